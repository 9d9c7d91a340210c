"""Shared helpers for the hostile-input tests (issue 15): a small authority to spoil, the CLI
in-process and as a real process, and the checks every hostile case makes."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from supervision_audit.cli import app

SMALL = Path(__file__).parent / "fixtures" / "small"
AUDIT = ["--ruleset", "dorset", "--as-of", "2024-06-30", "--history-from", "2024-01-01"]
CHILDREN = [*AUDIT, "--scope", "children"]
NAMES = ("Zebedee Quixotic", "Amy Pond", "Rory Williams", "Clara Oswald")
"""The fixture's children's names: none may ever appear in an error or a log."""
BIRTHS = ("04/05/2016", "2012-01-01", "2010-02-02", "2011-03-03")
KEY = "k" * 32


def small(tmp_path: Path, name: str = "data") -> Path:
    """A fresh copy of the small fixture authority (episodes.csv, case_events.csv)."""
    dest = tmp_path / name
    shutil.copytree(SMALL, dest)
    return dest


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]], newline: str = "\n", encoding="utf-8") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The CLI in this process (crashes are NOT re-raised: they must show as exit codes)."""
    env = {"SUPERVISION_AUDIT_RERAISE": "", **(env or {})}
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    stdin: bytes | None = None,
) -> tuple[int, bytes, bytes]:
    """The CLI as a real process (signals, encodings, closed pipes)."""
    full_env = {k: v for k, v in os.environ.items() if k != "SUPERVISION_AUDIT_RERAISE"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "supervision_audit", *args],
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        input=stdin,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def one_line_error(code: int, err: str, *, expect: int = 2) -> str:
    """An input, option or environment error: the exit code, exactly one line, no traceback."""
    assert code == expect, (code, err)
    assert "Traceback" not in err, err
    assert "Exception ignored" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def no_personal_data(text: str) -> None:
    for value in (*NAMES, *BIRTHS):
        assert value not in text, value


def workbook_from(
    folder: Path, path: Path, hidden: dict[str, list[list[str]]] | None = None
) -> Path:
    """An .xlsx with one sheet per CSV in `folder` (text cells), plus `hidden` sheets."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for csv_path in sorted(folder.glob("*.csv")):
        ws = wb.create_sheet(csv_path.stem)
        for row in rows_of(csv_path):
            ws.append(row)
    for name, rows in (hidden or {}).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        ws.sheet_state = "hidden"
    wb.save(path)
    return path


def abort_on_crash_name(job, reraise: bool = False):
    """A batch runner that dies like a native crash (SIGABRT) on the audit named 'crash'.
    Module level, so a spawned worker process can import it."""
    if job.name == "crash":
        os.abort()
    from supervision_audit.batch import run_job

    return run_job(job, reraise)
