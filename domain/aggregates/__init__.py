"""The aggregates of the governance domain: each one history of events (docs/events.md)."""
