"""Write an audit to a file, the format chosen by the file's extension."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError

EXTENSIONS = (".json", ".csv", ".xlsx")


def write_output(run: Any, path: Path, argv: list[str] | None = None) -> Path:
    """Write `run` (an AuditRun) to `path` (.json, .csv or .xlsx), atomically."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise UsageError(f"--output must end in {', '.join(EXTENSIONS)} (got '{path.name}')")
    if not path.parent.exists():
        raise UsageError(f"--output folder does not exist: {path.parent}")
    if suffix == ".json":
        from .jsonout import write_json

        write_json(run.result, path)
    elif suffix == ".csv":
        from .csvout import write_csv

        write_csv(run.result, path)
    else:
        from .workbook import write_workbook

        write_workbook(run, path, argv=argv)
    return path
