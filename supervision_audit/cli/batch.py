"""`supervision-audit batch`: a thin Typer layer over batch.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from .common import DebugOpt, err_console, parse_date


def batch_cmd(
    config: Annotated[
        Path,
        typer.Argument(metavar="CONFIG.yaml", help="The batch config (YAML) listing the audits."),
    ],
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            metavar="FILE",
            help="Write the JSON summary here (default: standard output).",
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            metavar="FILE|FOLDER",
            help="A previous summary JSON, or a folder of them (the newest is used): adds trends.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", metavar="N", help="Audits run at once (default: the number of cores)."
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", help="Log only the audits that failed or could not run."),
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            metavar="DATE",
            help="Resolve today / last-month-end / last-week-end from this date "
            "(default: today), for reproducible reruns.",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Run every audit a config lists, in parallel: outputs, thresholds, trends, one JSON
    summary and one exit code (0 all passed, 1 a threshold failed, 2 an audit could not run
    or the config is invalid). Threshold metrics: children_compliance, carers_compliance,
    staff_compliance (shares 0-1), findings, red_findings, amber_findings,
    outstanding_findings, data_issues, rules_not_evaluated."""
    from .. import batch

    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise UsageError("--jobs must be at least 1")
    if not config.is_file():
        raise UsageError(f"batch config not found: {config}")
    day = parse_date(today, "--today") if today else dt.date.today()
    assert day is not None
    try:
        job_list = batch.load_config(config, day)
    except batch.ConfigErrors as exc:
        if debug:
            raise
        for problem in exc.problems:  # every mistake, one line each; nothing has run
            err_console().print(f"error: {problem}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    if summary is not None:
        from ..report.outputs import check_outputs

        check_outputs(
            [("--summary", summary)]
            + [(f"audit {j.name}", Path(o)) for j in job_list for o in j.outputs],
            [config, *(Path(j.data) for j in job_list)],
            must_exist=False,
        )
    prev = batch.load_previous(previous) if previous is not None else None
    if not quiet:
        _say(
            f"batch: {len(job_list)} audit(s) from {config}, today {day.isoformat()}, "
            f"up to {min(workers, len(job_list))} at once"
        )
        if previous is not None:
            _say(
                f"trends against {prev['path']}"
                if prev is not None
                else f"trends: no previous summary in {previous} yet"
            )
    before = {a.get("name"): a for a in (prev or {}).get("audits", []) if isinstance(a, dict)}
    for job in job_list:  # each audit's trend is worked out (and written) by the audit itself
        job.compare = prev is not None
        job.previous = before.get(job.name)

    def finish(r: dict[str, Any]) -> None:
        """The log line of one audit, in config order as results come."""
        r.setdefault("trend", None)
        _log(r, quiet, compared=prev is not None)

    results = batch.run_batch(job_list, workers, each=finish, reraise=debug)
    doc = batch.summary_document(config, day, prev, results)
    code = doc["exit_code"]
    text = json.dumps(doc, indent=2, default=str) + "\n"
    if summary is not None:
        from ..report.atomic import atomic_write_text

        try:
            summary.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(summary, text)
        except OSError as exc:
            raise UsageError(f"--summary {summary}: cannot write ({exc.strerror})") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if not quiet or code:
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in doc["counts"].items())
        where = f"; summary: {summary}" if summary is not None else ""
        _say(f"batch: exit {code} ({counts}){where}")
    raise typer.Exit(code)


def _say(line: str) -> None:
    """Plain text on standard error: no colour or progress bars, safe in CI logs."""
    print(line, file=sys.stderr, flush=True)


def _log(r: dict[str, Any], quiet: bool, compared: bool) -> None:
    """One line per audit."""
    if quiet and r["status"] == "ok":
        return
    f = r.get("figures") or {}

    def pct(key: str) -> str:
        v = f.get(key)
        return "-" if v is None else f"{100 * v:.1f}%"

    if r["status"] == "error":
        _say(f"ERROR   {r['name']}: {r['error']}")
        return
    mark = "OK     " if r["status"] == "ok" else "FAILED "
    line = (
        f"{mark} {r['name']} (as of {r['as_of']}): children {pct('children_compliance')}, "
        f"staff {pct('staff_compliance')}, red {f.get('red_findings')}, "
        f"{r['duration_seconds']} s"
    )
    failed = [
        f"{t['threshold']} (actual {_num(t['actual'])})" for t in r["thresholds"] if not t["passed"]
    ]
    if failed:
        line += f"; failed: {', '.join(failed)}"
    t = r.get("trend")
    if t:
        changes = [
            f"{metric.split('_')[0]} {100 * delta:+.1f} pts"
            for metric, delta in t["compliance_change"].items()
            if delta is not None
        ]
        line += (
            f"; since {t['previous_as_of']}: {', '.join(changes)}{', ' if changes else ''}"
            f"{t['findings_new']} new, {t['findings_resolved']} resolved, "
            f"{t['findings_still_open']} still open"
        )
    elif compared:
        line += "; no previous result to compare"
    _say(line)


def _num(v: Any) -> str:
    return "n/a" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
