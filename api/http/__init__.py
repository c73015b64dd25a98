"""The HTTP API: ``create_app(settings)`` serves the command registry, the ledger, scoring,
the auditor's questions and the console."""
