"""What a load gives back, table by table, and how its rows reconcile: rows read = rows used
+ rows excluded (by a profile: filters, unmapped values, with the reason) + rows rejected
(a value that does not parse, with file, row and column in the data issues).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
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
    provenance: pl.DataFrame | None = None
    earliest_too_late: Any = None
    """The earliest event date rejected as more than a year after the audit date (so an
    audit date years before the data can still be told from data that is not there)."""
    """A table mapped from export files: each used row's _row -> _file and _src_row (its own
    file and line). None when the table is one file, where _row is the line."""

    def lines(self) -> pl.DataFrame:
        """_row -> file (its name) and line (in that file) of every used row."""
        if self.provenance is not None:
            return self.provenance.select(
                "_row",
                file=pl.col("_file").str.replace(r"^.*[/\\]", ""),
                line=pl.col("_src_row"),
            )
        return self.frame.select("_row", file=pl.lit(Path(self.file).name), line=pl.col("_row"))


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
