"""The read side's storage: the in-memory reference, the SQL store per engine, the check."""
