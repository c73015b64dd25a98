"""Notifiers: notices pushed to people outside the ledger (a webhook), queued durably first."""

from adapters.notify.webhook import DeliveryReport, WebhookNotifier

__all__ = ["DeliveryReport", "WebhookNotifier"]
