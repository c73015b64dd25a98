"""The signed event store: sealing, the strict reading path, the SQLite and PostgreSQL recorders."""
