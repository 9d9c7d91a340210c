"""Reading the canonical tables by their file (or sheet) names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from .parse import ORDER, load_tables
from .read import csv_files, read_csv_raw, read_xlsx_raw, xlsx_sheets
from .reconcile import LoadedData


def load_canonical(
    path: str | Path,
    *,
    tables: Any,
    required: Any = (),
    value_maps: dict[str, dict[str, str]] | None = None,
    dates_until: Any = None,
) -> LoadedData:
    """Load the canonical tables found at `path` (a folder of CSVs or one .xlsx workbook)."""
    root = Path(path)
    if not root.exists():
        raise InputError(
            "not found (give a folder of CSV files or an .xlsx workbook)", file=str(root)
        )
    wanted = [t for t in ORDER if t in set(tables)]
    required = set(required)
    value_maps = value_maps or {}
    found: dict[str, Any] = {}
    if root.is_dir():
        files = {p.name.lower(): p for p in csv_files(root)}
        for name in wanted:
            p = files.get(f"{name}.csv")
            if p is not None:
                found[name] = ("csv", p)
            elif name in required:
                raise InputError(
                    f"file not found (required for children's rules: {name}.csv)",
                    file=str(root / f"{name}.csv"),
                )
        serials = False
    elif root.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = xlsx_sheets(root)
        for name in wanted:
            if name in sheets:
                found[name] = ("xlsx", sheets[name])
            elif name in required:
                raise InputError(
                    f"no sheet named '{name}' (required for children's rules)", file=str(root)
                )
        serials = True
    else:
        raise InputError("expected a folder of CSV files or an .xlsx workbook", file=str(root))

    raws = {}
    for name, (kind, where) in found.items():
        raws[name] = read_csv_raw(where) if kind == "csv" else read_xlsx_raw(root, where)
    # one file per table: issues in row order within each table
    return load_tables(
        raws,
        str(root),
        value_maps,
        serials=serials,
        order=("table", "row", "column"),
        dates_until=dates_until,
    )
