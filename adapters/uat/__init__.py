"""UAT evidence: integration and performance checks of a scoring path before Prod."""

from adapters.uat.checks import integration_check, performance_check

__all__ = ["integration_check", "performance_check"]
