"""What the API's routes share: the opened ledger, the token store and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.composition import Ledger
from api.registry.spec import CommandContext
from api.settings import Settings
from api.tokens import TokenStore

__all__ = ["Services", "services"]


@dataclass(frozen=True)
class Services:
    """The collaborators of one running API."""

    settings: Settings
    ledger: Ledger
    tokens: TokenStore

    @property
    def context(self) -> CommandContext:
        """What a registered command runs with."""
        return CommandContext(application=self.ledger.application, settings=self.settings)


def services(request: Request) -> Services:
    """The ``Services`` of the app serving ``request``."""
    found: Services = request.app.state.services
    return found
