"""What a load gives back, table by table, and how its rows reconcile: rows read = rows used
+ rows excluded (by a profile: filters, unmapped values, with the reason) + rows rejected
(a value that does not parse, with file, row and column in the data issues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..findings import empty_issues


@dataclass
class LoadedTable:
    name: str
    file: str
    frame: pl.DataFrame
    columns_present: set[str]
    header_map: dict[str, str]
    extra_columns: list[str]
    rows_read: int
    rows_rejected: int
    size_bytes: int
    sha256: str


@dataclass
class LoadedData:
    path: str
    tables: dict[str, LoadedTable] = field(default_factory=dict)
    issues: pl.DataFrame = field(default_factory=empty_issues)
    source: str = "canonical"
    """Which export profile read the files, and why (--source)."""
    mapping: Any = None
    """The profile's MappingReport (None for canonical tables)."""

    def reconciliation(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "file": t.file,
                "read": t.rows_read,
                "used": t.frame.height,
                "rejected": t.rows_rejected,
            }
            for name, t in self.tables.items()
        }
