"""The mapping report: how each export file was read (what `inspect` and the workbook show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass
class SourceReport:
    file: str
    source: str | None
    feeds: str | None
    header_line: int
    rows: int
    columns: dict[str, str] = field(default_factory=dict)
    """canonical column -> the header it came from (or '= VALUE' for a fixed value)."""
    unused_headers: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    """reason -> rows left out."""
    passed: int = 0
    values: list[dict[str, Any]] = field(default_factory=list)
    """column, value, rows, mapped_to (None: unmapped)."""
    date_formats: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped_ids: list[str] = field(default_factory=list)
    """persons only: the people a filter dropped (their episodes and events go too)."""


@dataclass
class MappingReport:
    profile: str
    title: str
    chosen_because: str
    files: list[SourceReport]
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    """canonical table -> optional columns no source supplied."""
    notes: list[str] = field(default_factory=list)
    """Anything else the reader must know about how the files were combined."""
    missing_tables: dict[str, str] = field(default_factory=dict)
    """table the audit reads -> which export would supply it, when no file feeds it."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "title": self.title,
            "chosen_because": self.chosen_because,
            "files": [f.__dict__ for f in self.files],
            "missing_columns": self.missing_columns,
            "notes": self.notes,
            "missing_tables": self.missing_tables,
        }


def mapping_frame(report: MappingReport) -> pl.DataFrame:
    """The mapping report as one flat table (the workbook's Mapping sheet): per file, each
    column used, each header left unused, each exclusion, each value seen, each date format."""
    rows: list[dict[str, Any]] = []
    for f in report.files:
        base = {"file": f.file, "read as": f.source or "(not recognised)", "feeds": f.feeds or ""}

        def add(what: str, item: str, detail: str = "", n: int | None = None, **_: Any) -> None:
            rows.append({**base, "what": what, "item": item, "detail": detail, "rows": n})  # noqa: B023

        add("file", f"header on line {f.header_line}", f"{f.passed:,} passed on", f.rows)
        for canon, header in f.columns.items():
            add("column", canon, f"from {header}")
        for h in f.unused_headers:
            add("header not used", h)
        for reason, n in f.excluded.items():
            add("excluded", reason, "", n)
        for v in f.values:
            add("value", str(v["value"]), v["mapped_to"] or "UNMAPPED", v["rows"])
        for col, formats in f.date_formats.items():
            for fmt, n in formats.items():
                add("date format", col, fmt, n)
    for note in report.notes:
        rows.append(
            {"file": "", "read as": "", "feeds": "", "what": "note", "item": note, "detail": ""}
        )
    schema = {
        "file": pl.String,
        "read as": pl.String,
        "feeds": pl.String,
        "what": pl.String,
        "item": pl.String,
        "detail": pl.String,
        "rows": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


DATE_FORMATS = [
    ("YYYY-MM-DD", r"^\d{4}-\d{2}-\d{2}$"),
    ("YYYY-MM-DD hh:mm[:ss]", r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}"),
    ("DD/MM/YYYY", r"^\d{1,2}/\d{1,2}/\d{4}$"),
    ("DD/MM/YYYY hh:mm[:ss]", r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}"),
    ("Excel serial", r"^\d{1,5}(\.0+)?$"),
]


def date_formats(frame: pl.DataFrame, column: str) -> dict[str, int]:
    t = pl.col(column).str.strip_chars()
    cases: Any = pl.when(t.is_null() | (t == "")).then(pl.lit("blank"))  # a when/then chain
    for label, pattern in DATE_FORMATS:
        cases = cases.when(t.str.contains(pattern)).then(pl.lit(label))
    counts = frame.select(fmt=cases.otherwise(pl.lit("other (rejected unless readable)")))
    tally = counts.group_by("fmt").len().sort("fmt")
    return dict(zip(tally["fmt"].to_list(), tally["len"].to_list(), strict=True))
