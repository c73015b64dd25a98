"""The approvals commands of the registry (to be filled in)."""

from api.registry.spec import AnySpec

SPECS: tuple[AnySpec, ...] = ()
