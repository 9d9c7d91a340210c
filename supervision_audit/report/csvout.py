"""The findings as CSV: one row per finding, the contract's columns, ISO dates.

Written as UTF-8 with a byte-order mark, which is what makes Excel open non-ASCII text
(names like Zoë, quotes “…”) correctly on a double-click. Every text value goes through the
one neutraliser, so a value like =HYPERLINK(...) arrives as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from .atomic import atomic_write_text
from .safe_text import neutralise_expr

BOM = "\ufeff"


def safe_csv(frame: pl.DataFrame) -> str:
    """Any frame as CSV text with neutralised String columns and ISO dates."""
    out = frame.with_columns(
        [neutralise_expr(pl.col(c)).alias(c) for c, t in frame.schema.items() if t == pl.String]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )
    return out.write_csv()


def render_csv(result: Any) -> str:
    return safe_csv(result.findings_contract())


def write_csv(result: Any, path: Path) -> Path:
    return atomic_write_text(path, BOM + render_csv(result))
