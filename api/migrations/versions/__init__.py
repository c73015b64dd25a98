"""The Alembic revisions; Alembic loads each file by path (their names are not modules)."""
