"""Tabular data under a schema: typed columns, row checking, CSV reading."""

from adapters.tables.columns import Column
from adapters.tables.errors import RowError
from adapters.tables.schema import TableSchema

__all__ = ["Column", "RowError", "TableSchema"]
