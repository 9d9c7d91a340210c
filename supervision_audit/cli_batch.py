"""`supervision-audit batch`: a thin Typer layer over batch.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli import DebugOpt, parse_date
from .errors import UsageError


def batch_cmd(
    config: Annotated[Path, typer.Argument(help="The batch config (YAML) listing the audits.")],
    summary: Annotated[
        Path | None,
        typer.Option("--summary", help="Write the JSON summary here (default: standard output)."),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="A previous summary JSON, or a folder of them (the newest is used): adds trends.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", help="Audits run at once (default: the number of cores)."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Print nothing but errors and the summary.")
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today", help="Resolve relative as_of dates from this date (default: today)."
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Run every audit in a config: thresholds, trends, one summary, one exit code
    (0 all passed, 1 a threshold failed, 2 an audit could not run)."""
    from . import batch
    from .report.workbook import add_trend_sheet

    if not config.is_file():
        raise UsageError(f"batch config not found: {config}")
    day = parse_date(today, "--today") if today else dt.date.today()
    job_list = batch.load_config(config, day)  # type: ignore[arg-type]
    prev = batch.load_previous(previous) if previous is not None else None
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UsageError("--jobs must be at least 1")
    results = batch.run_batch(job_list, workers)
    before = {a["name"]: a for a in (prev or {}).get("audits", [])}
    for r in results:
        r["trend"] = batch.trend(r, before.get(r["name"])) if prev is not None else None
        if r["trend"] is not None:
            for target in r["outputs"]:
                if target.endswith(".xlsx"):
                    add_trend_sheet(Path(target), batch.trend_rows(r["trend"], r))
    code = batch.exit_code(results)
    doc = {
        "tool": "supervision-audit batch",
        "config": str(config),
        "today": day.isoformat(),  # type: ignore[union-attr]
        "exit_code": code,
        "audits": results,
    }
    if not quiet or code:
        for r in results:
            _log(r, quiet)
    text = json.dumps(doc, indent=2, default=str)
    if summary is not None:
        summary.write_text(text + "\n", encoding="utf-8")
        if not quiet:
            typer.echo(f"summary: {summary}", err=True)
    else:
        typer.echo(text)
    raise typer.Exit(code)


def _log(r: dict, quiet: bool) -> None:
    """One plain line per audit on standard error (no colour, safe in CI logs)."""
    if quiet and r["status"] == "ok":
        return
    f = r.get("figures") or {}

    def pct(key: str) -> str:
        v = f.get(key)
        return "-" if v is None else f"{100 * v:.1f}%"

    if r["status"] == "error":
        line = f"ERROR   {r['name']}: {r['error']}"
    else:
        mark = "OK     " if r["status"] == "ok" else "FAILED "
        line = (
            f"{mark} {r['name']} (as of {r['as_of']}): children {pct('children_compliance')}, "
            f"staff {pct('staff_compliance')}, red {f.get('red_findings')}, "
            f"{r['duration_seconds']} s"
        )
        failed = [t["threshold"] for t in r["thresholds"] if not t["passed"]]
        if failed:
            line += f"; failed: {', '.join(failed)}"
        t = r.get("trend")
        if t:
            line += (
                f"; since {t['previous_as_of']}: {t['findings_new']} new, "
                f"{t['findings_resolved']} resolved, {t['findings_still_open']} still open"
            )
    print(line, file=sys.stderr, flush=True)
