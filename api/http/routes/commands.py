"""Routes: every command of the registry as ``POST /v1<path>``, one router per resource.

INTERFACE: ``routers()`` returns the routers built from ``api.registry.catalog.COMMANDS``.
"""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """One router per resource of the registry."""
    return []
