"""The findings as CSV: one row per finding, the contract's columns, ISO dates.

Written as UTF-8 with a byte-order mark, which is what makes Excel open non-ASCII text
(names like Zoë, quotes “…”) correctly on a double-click. Every text value goes through the
one neutraliser, so a value like =HYPERLINK(...) arrives as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ..findings import as_text
from .atomic import staged
from .safe_text import neutralise_expr

BOM = "\ufeff"


def safe_csv(frame: pl.DataFrame) -> str:
    """Any frame as CSV text with neutralised String columns and ISO dates."""
    return _safe(frame).write_csv()


SLICE = 100_000


def _safe(frame: pl.DataFrame) -> pl.DataFrame:
    frame = as_text(frame)
    return frame.with_columns(
        [neutralise_expr(pl.col(c)).alias(c) for c, t in frame.schema.items() if t == pl.String]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )


def render_csv(result: Any) -> str:
    return safe_csv(result.findings_contract())


def write_csv(result: Any, path: Path) -> Path:
    """Streamed in slices of 100,000 findings, so memory stays flat however many there are."""
    findings = result.findings_contract()
    with staged(Path(path)) as tmp, open(tmp, "wb") as fh:
        fh.write(BOM.encode("utf-8"))
        if findings.height == 0:
            _safe(findings).write_csv(fh)
        for i, part in enumerate(findings.iter_slices(SLICE)):
            _safe(part).write_csv(fh, include_header=i == 0)
    return Path(path)
