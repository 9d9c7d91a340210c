"""Writing a plain table (due lists, samples, explain output) to csv, json or xlsx safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import UsageError
from .atomic import atomic_write_text, write_errors
from .csvout import BOM, safe_csv


def frame_to_csv(frame: pl.DataFrame) -> str:
    return safe_csv(frame)


def frame_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    return frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c in dates).to_dicts()


def write_frame(frame: pl.DataFrame, path: Path, *, sheet: str, about: dict[str, str]) -> Path:
    with write_errors(path):
        return _write_frame(frame, path, sheet=sheet, about=about)


def _write_frame(frame: pl.DataFrame, path: Path, *, sheet: str, about: dict[str, str]) -> Path:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return atomic_write_text(path, BOM + safe_csv(frame))
    if suffix == ".json":
        return atomic_write_text(
            path,
            json.dumps({**about, "rows": frame_records(frame)}, indent=2, ensure_ascii=False)
            + "\n",
        )
    if suffix == ".xlsx":
        from .workbook import write_table_workbook

        return write_table_workbook(frame, path, sheet=sheet, about=about)
    raise UsageError(f"--output must end in .csv, .json or .xlsx (got '{path.name}')")
