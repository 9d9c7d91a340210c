"""`supervision-audit due` and `supervision-audit explain`: a manager's daily views."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import polars as pl
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ..dates import uk_date
from ..errors import UsageError
from ..report.terminal import print_table
from .common import (
    AllowUnverifiedOpt,
    AsOfOpt,
    DataOpt,
    DebugOpt,
    FormatOpt,
    HistoryOpt,
    OutputOpt,
    ParamOpt,
    RulesetOpt,
    ScopeOpt,
    SourceOpt,
    TeamOpt,
    WorkerOpt,
    check_format,
    check_output_option,
    json_rows,
    out_console,
    parse_window,
    run_from_options,
    write_frame_file,
)

WithinOpt = Annotated[
    str, typer.Option("--within", metavar="PERIOD", help="Window after --as-of, e.g. 14d, 2w, 1m.")
]
ByOpt = Annotated[
    str,
    typer.Option(
        "--by",
        metavar="GROUP",
        help="Group the list by supervisor (default) or worker, most urgent group first.",
    ),
]
FullOpt = Annotated[
    bool,
    typer.Option(
        "--full",
        help="A table per supervisor with each item's requirement, last event and status, "
        "instead of one line per item.",
    ),
]


def due_cmd(
    data: DataOpt,
    ruleset: RulesetOpt,
    as_of: AsOfOpt,
    within: WithinOpt = "14d",
    by: ByOpt = "supervisor",
    full: FullOpt = False,
    history_from: HistoryOpt = None,
    scope: ScopeOpt = "all",
    team: TeamOpt = None,
    worker: WorkerOpt = None,
    param: ParamOpt = None,
    output_format: FormatOpt = "table",
    output: OutputOpt = None,
    source: SourceOpt = "auto",
    allow_unverified: AllowUnverifiedOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Everyone whose next supervision falls due within the window, or is already overdue.

    The table is one line per item, grouped by supervisor (or --by worker), the most urgent
    first; --full shows each item's requirement, last event and status."""
    from ..views.due import due_list, left_out

    check_format(output_format)
    if by not in ("supervisor", "worker"):
        raise UsageError(f"--by must be supervisor or worker (got '{by}')")
    window = parse_window(within, "--within")
    check_output_option(output, data, ruleset, source)
    run = run_from_options(
        data, ruleset, as_of, history_from, scope, param, team, worker, source, allow_unverified
    )
    frame = due_list(run, window, team=team, worker=worker)
    about = {
        "command": "due",
        "as_of": str(run.result.as_of),
        "within": window.code(),
        "ruleset": f"{run.ruleset.name} {run.ruleset.version}",
    }
    gaps = left_out(run)
    if output is not None:
        write_frame_file(frame, output, "Due", about)
    if output_format == "json":
        doc = {**about, "left_out": gaps, "rows": json_rows(frame)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif output_format == "csv":
        from ..report.tables import frame_to_csv

        sys.stdout.write(frame_to_csv(frame))
    else:
        _render_due(frame, run.result.as_of, window.words(), gaps, by=by, full=full)


def _render_due(
    frame: pl.DataFrame,
    as_of: Any,
    window: str,
    gaps: list[dict[str, str]],
    *,
    by: str = "supervisor",
    full: bool = False,
) -> None:
    con = out_console()
    overdue = int((frame["days_until_due"] < 0).sum()) if frame.height else 0
    con.print(
        Text(
            f"Due within {window} of {uk_date(as_of)}: {frame.height} ({overdue} already overdue)",
            style="bold",
        )
    )
    for g in gaps:
        con.print(f"Not forecast: {g['rule']} ({g['reason']})", markup=False, highlight=False)
    if frame.height == 0:
        return
    if full:
        _render_due_full(frame, con)
    else:
        _render_due_compact(frame, con, by)


def _render_due_compact(frame: pl.DataFrame, con: Any, by: str) -> None:
    """One line per item, grouped by supervisor or worker: the group with the most overdue
    item first, and in each group the most overdue first (then by ID and rule)."""
    key, other, other_label = (
        ("supervisor_id", "worker_id", "worker")
        if by == "supervisor"
        else ("worker_id", "supervisor_id", "supervisor")
    )
    items = frame.sort("days_until_due", "subject_id", "rule", nulls_last=True)
    urgency = (
        items.group_by(key)
        .agg(
            first=pl.col("days_until_due").min(),
            n=pl.len(),
            overdue=(pl.col("days_until_due") < 0).sum(),
        )
        .sort("first", key, nulls_last=True)
    )
    con.print(
        f"By {by}, most urgent first; one line per item (--full adds each requirement and "
        "last event).",
        markup=False,
        highlight=False,
    )
    for g in urgency.to_dicts():
        name = g[key] or "(none recorded)"
        con.print()
        con.print(
            Text(f"{by.capitalize()} {name}: {g['n']} ({g['overdue']} overdue)", style="bold")
        )
        rows = items.filter(pl.col(key).is_null() if g[key] is None else pl.col(key) == g[key])
        table = Table(box=None, show_header=False, pad_edge=False)
        for _ in range(5):
            table.add_column(no_wrap=True)
        for r in rows.to_dicts():
            style = "red" if r["days_until_due"] < 0 else ""
            also = r[other] if r[other] != r["subject_id"] else None  # a worker's own
            table.add_row(
                Text("  ").append(r["status"], style=style),
                f"{r['subject_type']} {r['subject_id']}",
                r["rule"],
                f"due {uk_date(r['due_date'])}",
                f"{other_label} {also}" if also else "",
            )
        print_table(con, table)


def _render_due_full(frame: pl.DataFrame, con: Any) -> None:
    for (sup,), group in frame.group_by(["supervisor_id"], maintain_order=True):
        table = Table(
            title=f"Supervisor {sup or '(none recorded)'}",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for col in ("worker", "subject", "rule"):
            table.add_column(col, no_wrap=True)
        table.add_column("requirement")
        for col in ("last", "due"):
            table.add_column(col, no_wrap=True)
        table.add_column("status")
        for r in group.to_dicts():
            style = "red" if r["days_until_due"] < 0 else None
            table.add_row(
                r["worker_id"] or "—",
                f"{r['subject_type']} {r['subject_id']}",
                r["rule"],
                r["requirement"] or "",
                uk_date(r["last_event"]),
                uk_date(r["due_date"]),
                Text(r["status"], style=style or ""),
            )
        print_table(con, table)


def explain_cmd(
    subject_id: Annotated[
        str, typer.Argument(metavar="SUBJECT_ID", help="The child's, carer's or worker's ID.")
    ],
    data: DataOpt,
    ruleset: RulesetOpt,
    as_of: AsOfOpt,
    history_from: HistoryOpt = None,
    scope: ScopeOpt = "all",
    param: ParamOpt = None,
    output_format: FormatOpt = "table",
    source: SourceOpt = "auto",
    allow_unverified: AllowUnverifiedOpt = False,
    debug: DebugOpt = False,
) -> None:
    """One child's or worker's whole timeline: requirements, events, due dates, findings."""
    from ..views.explain import explain_subject

    check_format(output_format)
    run = run_from_options(
        data, ruleset, as_of, history_from, scope, param, source=source,
        allow_unverified=allow_unverified,
    )  # fmt: skip
    info = explain_subject(run, subject_id.strip())
    if output_format == "json":
        sys.stdout.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
        return
    if output_format == "csv":
        from ..report.tables import frame_to_csv

        rows = [{"rule": r["rule"], **f} for r in info["rules"] for f in r.get("findings", [])]
        sys.stdout.write(frame_to_csv(pl.DataFrame(rows)) if rows else "")
        return
    _render_explain(info)


def _render_explain(info: dict[str, Any]) -> None:
    con = out_console()
    con.print(
        Text(
            f"{info['subject_id']}: timeline as of {info['as_of']} "
            f"(ruleset {info['ruleset']['name']} {info['ruleset']['version']})",
            style="bold",
        )
    )
    for r in info["rules"]:
        con.print(Text(f"\n{r['rule']} — {r['title']}", style="bold underline"))
        if r.get("history_from"):
            con.print(f"Event data complete from {r['history_from']} (history date).")
        if r.get("inputs"):
            t = Table(title="Input rows", title_justify="left", box=box.SIMPLE_HEAD)
            cols = list(r["inputs"][0].keys())
            for c in cols:
                t.add_column(c)
            for row in r["inputs"]:
                t.add_row(*["" if row[c] is None else str(row[c]) for c in cols])
            print_table(con, t)
        for seg in r.get("in_force", []):
            con.print(
                f"  in force {seg['from']} to {seg['to']}: {seg['requirement']}", markup=False
            )
        for p in r.get("periods", []):
            state = "open at the audit date" if p["open_at_as_of"] else "closed"
            note = f" ({p['note']})" if p["note"] else ""
            con.print(f"  open period {p['start']} to {p['end']}, {state}{note}", markup=False)
        if r.get("events"):
            t = Table(title="Events", title_justify="left", box=box.SIMPLE_HEAD)
            for c in ("file", "line", "date", "kind", "counted", "why not"):
                t.add_column(c)
            for e in r["events"]:
                t.add_row(
                    e["file"],
                    str(e["line"]),
                    e["date"],
                    e["kind"],
                    "yes" if e["counted"] else "no",
                    e["why_not"] or "",
                )
            print_table(con, t)
        for c in r.get("cycles", []):
            con.print(
                Text(
                    f"  due {c['due_date']} (limit {c['limit_date']}) — {c['requirement']}",
                    style="bold",
                )
            )
            for step in c["steps"]:
                con.print(f"    · {step}", markup=False)
        findings = r.get("findings", [])
        con.print(f"  findings: {len(findings)}", markup=False)
        for f in findings:
            con.print(f"    {f['severity'].upper()}: {f['message']}", markup=False)
