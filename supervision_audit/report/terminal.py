"""The Rich terminal report: readable at 80 columns, and without colour (every status is
also written as a word), which is what it gets when output is not a terminal."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import polars as pl
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..dates import uk_date
from ..findings import worst_first
from .safe_text import visible


class SafeConsole(Console):
    """A Console for text that may come from input data: markup is never interpreted (a
    team called `[/]` or `[link=...]` is shown as written) and control and escape
    characters are shown as visible markers (safe_text.visible), in plain strings, table
    cells, titles and Text objects alike. Styles set by the code still apply."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("highlight", False)
        kwargs.setdefault("emoji", False)
        super().__init__(**kwargs)

    def on_broken_pipe(self) -> None:
        """Standard output closed (`| head`): a quiet exit 2, as for JSON and CSV (Rich's
        own handler exits 1, which reads as a failed threshold)."""
        import os
        import sys

        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        raise SystemExit(2)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False
        kwargs["emoji"] = False
        return super().render_str(visible(text), **kwargs)

    def render(self, renderable: Any, options: Any = None) -> Any:
        if isinstance(renderable, Text) and visible(renderable.plain) != renderable.plain:
            renderable = renderable.copy()
            renderable.plain = visible(renderable.plain)
        return super().render(renderable, options)


def _subset(table: Table, columns: list[Any]) -> Table:
    """A copy of `table` with only `columns` (copied, re-indexed; their cells shared)."""
    part = copy.copy(table)
    part.columns = []
    for i, column in enumerate(columns):
        column = copy.copy(column)
        column._index = i
        part.columns.append(column)
    return part


def _ranges(table: Table, console: Console) -> list[Measurement]:
    """Each column's narrowest width without splitting a word (a no_wrap column's whole
    width), and its natural width (padding included)."""
    wide = console.options.update_width(100_000)
    out = []
    for column in table.columns:
        measured = table._measure_column(console, wide, column)
        out.append(Measurement(measured.maximum, measured.maximum) if column.no_wrap else measured)
    return out


def _fits(table: Table, console: Console) -> bool:
    return sum(r.minimum for r in _ranges(table, console)) + table._extra_width <= console.width


def _laid_out(table: Table, console: Console) -> Table:
    """`table` with every column given a width at least its longest word and the spare
    room shared out (Rich's own shrinking takes the same off every column, and then splits
    words)."""
    ranges = _ranges(table, console)
    room = console.width - table._extra_width
    if sum(r.maximum for r in ranges) <= room:
        return table
    widths = [r.minimum for r in ranges]
    slack = [r.maximum - r.minimum for r in ranges]
    spare = room - sum(widths)
    # Water-filling: each column in turn, narrowest growth first, takes its share of what
    # is left, so short columns show whole and the long text wraps.
    order = sorted(range(len(slack)), key=lambda i: (slack[i], i))
    for n, i in enumerate(order):
        give = min(slack[i], spare // (len(order) - n))
        widths[i] += give
        spare -= give
    out = _subset(table, table.columns)
    for column, width in zip(out.columns, widths, strict=True):
        column.width = max(1, width - table._get_padding_width(column._index))
    return out


def _chunks(table: Table, console: Console, keys: int) -> list[Table] | None:
    """The table split into groups of columns that each fit the width, each repeating the
    first `keys` columns (what names the row); None if even one column beside them cannot."""
    head, rest = table.columns[:keys], table.columns[keys:]
    groups: list[list[Any]] = []
    current: list[Any] = []
    for column in rest:
        if _fits(_subset(table, [*head, *current, column]), console):
            current.append(column)
            continue
        if not current or not _fits(_subset(table, [*head, column]), console):
            return None
        groups.append(current)
        current = [column]
    groups.append(current)
    return [_subset(table, [*head, *g]) for g in groups]


def _cell_text(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def print_table(con: Console, table: Table, keys: int = 1) -> None:
    """Print `table` so that no word in it is split (a date, an ID, a rule id, a ruleset or
    team name) whatever the terminal width, long text wrapping at spaces instead: whole when
    its words fit; else in groups of columns that fit, each repeating the first `keys`
    columns; else one record per row ('column: value' lines). Rich alone cuts words."""
    if not table.columns or _fits(table, con):
        con.print(_laid_out(table, con))
        return
    parts = _chunks(table, con, keys) if len(table.columns) > keys else None
    if parts:
        for i, part in enumerate(parts):
            if i and table.title:
                part.title = f"{_cell_text(table.title)} (continued)"
            con.print(_laid_out(part, con))
        return
    if table.title:
        con.print(Text(_cell_text(table.title), style="bold"))
    for row in range(table.row_count):
        for i, column in enumerate(table.columns):
            cells = list(column.cells)
            cell = cells[row] if row < len(cells) else ""
            line = Text(f"{'' if i == 0 else '  '}{_cell_text(column.header) or '-'}: ")
            line.append(cell if isinstance(cell, Text) else str(cell))
            con.print(line)
    con.print()


_RAG = [(90.0, 75.0)]


def _pct_text(pct: float | None) -> Text:
    if pct is None:
        return Text("—")
    green, amber = _RAG[0]
    style = "green" if pct >= green else "yellow" if pct >= amber else "red"
    return Text(f"{pct:.1f}%", style=style)


def _title(result: Any, con: Console) -> None:
    s = result.summary
    con.print(Text(f"Supervision audit — {result.authority}", style="bold"))
    period = (
        f"{uk_date(result.from_date)} to {uk_date(result.as_of)}"
        if result.from_date
        else f"everything up to {uk_date(result.as_of)}"
    )
    con.print(
        f"Ruleset {result.ruleset_name} {result.ruleset_version}; as of {uk_date(result.as_of)}; "
        f"findings: {period}",
        markup=False,
        highlight=False,
    )
    if result.source_note and not result.source_note.startswith("canonical"):
        con.print(f"Data: {result.source_note}", markup=False, highlight=False)
    for scope, h in result.history_from.items():
        date = h.get("date")
        when = uk_date(date) if date else "none"
        con.print(f"History date ({scope}): {when} ({h.get('source')})", markup=False)
    if result.parameters:
        con.print(
            "Parameters: " + ", ".join(f"{k}={v}" for k, v in result.parameters.items()),
            markup=False,
        )
    filters = {k: v for k, v in (s.get("filters") or {}).items() if v}
    if filters:
        con.print("Filters: " + ", ".join(f"{k}={v}" for k, v in filters.items()), markup=False)
    if s.get("pseudonymised"):
        con.print("IDs are pseudonymised (keyed tokens).", markup=False)


def _warnings(result: Any, con: Console) -> None:
    """Before any figure: nothing checked (as the headline), then every other warning, with
    the subjects no rule covers listed by ID."""
    s = result.summary
    for w in s.get("warnings") or []:
        style = "bold red" if w == s.get("nothing_checked") else "bold yellow"
        con.print(Text(w if w == s.get("nothing_checked") else f"Warning: {w}", style=style))
    subjects = (s.get("not_covered") or {}).get("subjects") or []
    if subjects:
        shown = ", ".join(r["subject_id"] for r in subjects[:LIST_IDS])
        more = f" and {len(subjects) - LIST_IDS} more (--format json lists them all)"
        con.print(
            f"Not covered by any rule: {shown}{more if len(subjects) > LIST_IDS else ''}",
            markup=False,
            highlight=False,
        )
    if s.get("warnings"):
        con.print()


LIST_IDS = 20


def _headline(result: Any, con: Console) -> None:
    s = result.summary
    if s.get("nothing_checked"):
        return
    table = Table(
        title="Headline: open at the audit date, and with no outstanding breach",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for col, just in (
        ("", "left"),
        ("open", "right"),
        ("no breach", "right"),
        ("%", "right"),
        ("findings", "right"),
        ("red", "right"),
        ("amber", "right"),
        ("overdue now", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    rows = 0
    for key, label, open_key in (
        ("children", "Children", "open_at_as_of"),
        ("carers", "Carers", "open_at_as_of"),
        ("staff", "Staff", "active_at_as_of"),
    ):
        b = s.get(key)
        if not b or (key == "carers" and not b.get(open_key) and not b["findings"]["total"]):
            continue
        f = b["findings"]
        table.add_row(
            label,
            str(b.get(open_key)),
            str(b.get("compliant")),
            _pct_text(b.get("compliance_pct")),
            str(f["total"]),
            str(f["red"]),
            str(f["amber"]),
            str(f["outstanding"]),
        )
        rows += 1
    if rows:
        print_table(con, table)


def _breakdown(result: Any, con: Console, key: str, label: str, title: str) -> None:
    rows = result.summary.get(key) or []
    if not rows:
        return
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column(label, overflow="fold", max_width=40)
    for col in ("open", "no breach", "%"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r.get(label, "")),
            str(r["open"]),
            str(r["compliant"]),
            _pct_text(r.get("compliance_pct")),
        )
    print_table(con, table)


def _scorecard(result: Any, con: Console) -> None:
    rows = result.summary.get("supervisor_scorecard") or []
    if not rows:
        return
    table = Table(
        title="Supervisors: their supervisees' own supervision, and their caseloads",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("supervisor", overflow="fold")
    for col in ("staff", "no breach", "%", "children", "no breach", "%"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r["supervisor_id"]),
            str(r["supervisees"]),
            str(r["supervisees_compliant"]),
            _pct_text(r["supervisees_compliance_pct"]),
            str(r["cases"]),
            str(r["cases_compliant"]),
            _pct_text(r["cases_compliance_pct"]),
        )
    print_table(con, table)


def _findings(result: Any, con: Console, limit: int) -> None:
    f = result.findings
    if f.height == 0:
        if result.summary.get("nothing_checked"):
            return  # the headline said so: silence here is not an all-clear
        n, m = len(result.rules_evaluated), len(result.not_evaluated)
        if m:
            con.print(
                f"No findings from the {n} rule{'s' if n != 1 else ''} evaluated; {m} "
                f"rule{'s' if m != 1 else ''} could not be evaluated (listed below) and "
                f"{'are' if m != 1 else 'is'} never counted as compliant.",
                markup=False,
            )
        else:
            con.print(
                Text("No findings: nobody was outside their required interval.", style="green")
            )
        return
    _by_rule(result, con)
    ordered = worst_first(f)
    now = ordered.filter(pl.col("outstanding"))
    past = ordered.filter(~pl.col("outstanding"))
    budget = limit if limit > 0 else f.height
    shown_now = now.head(budget)
    shown_past = past.head(max(0, budget - shown_now.height))
    if shown_now.height or not now.height:
        _findings_table(con, f"Overdue now, worst first ({now.height})", shown_now)
    if shown_past.height:
        _findings_table(con, f"Past breaches: met late or ended unmet ({past.height})", shown_past)
    shown = shown_now.height + shown_past.height
    if shown < f.height:
        # say what is not shown, so "more" under the overdue-now table is not read as
        # more overdue now
        hidden = []
        if now.height > shown_now.height:
            hidden.append(f"{now.height - shown_now.height} overdue now")
        if past.height > shown_past.height:
            hidden.append(
                f"{past.height - shown_past.height} past breaches (met late or ended unmet)"
            )
        con.print(
            f"... and {f.height - shown} more. Not shown: {', '.join(hidden)}. See them all "
            "with --limit 0, --format csv, or --output audit.xlsx.",
            markup=False,
        )


def _findings_table(con: Console, title: str, rows: pl.DataFrame) -> None:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    # IDs, rule ids and dates are what a reader types or matches: never split them.
    table.add_column("subject", no_wrap=True, min_width=8)
    table.add_column("rule", no_wrap=True)
    table.add_column("requirement", overflow="fold", ratio=2)
    table.add_column("due", no_wrap=True, min_width=10)
    table.add_column("met", no_wrap=True)
    table.add_column("days", justify="right", no_wrap=True)
    table.add_column("sev", no_wrap=True)
    for r in rows.to_dicts():
        sev = r["severity"]
        sev_text = Text(
            "RED" if sev == "red" else "amber", style="bold red" if sev == "red" else "yellow"
        )
        met = (
            uk_date(r["met_date"]) if r["met_date"] else ("open" if r["outstanding"] else "closed")
        )
        table.add_row(
            f"{r['subject_type']} {r['subject_id']}",
            r["rule"],
            r["requirement"] or "",
            uk_date(r["due_date"]),
            met,
            str(r["days_overdue"]),
            sev_text,
        )
    print_table(con, table)


def _by_rule(result: Any, con: Console) -> None:
    """What to do next: each rule's findings, most overdue now first."""
    rows = sorted(result.summary.get("by_rule") or [], key=lambda r: (-r["outstanding"], r["rule"]))
    if not rows:
        return
    table = Table(
        title="Findings by rule, most overdue now first", title_justify="left", box=box.SIMPLE_HEAD
    )
    table.add_column("rule", no_wrap=True)
    table.add_column("requirement", overflow="fold", ratio=1)
    for col in ("findings", "red", "amber", "overdue now"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows:
        table.add_row(
            r["rule"],
            r.get("title") or "",
            str(r["findings"]),
            str(r["red"]),
            str(r["amber"]),
            str(r["outstanding"]),
        )
    print_table(con, table)


def _not_evaluated(result: Any, con: Console) -> None:
    caveats = result.summary.get("caveats") or []
    if not result.not_evaluated and not caveats:
        n = len(result.rules_evaluated)
        left = (result.summary.get("not_covered") or {}).get("total") or 0
        tail = f"; {left} open at the audit date under none of them (above)" if left else ""
        con.print(f"Rules: all {n} evaluated{tail}.", markup=False, highlight=False)
        return
    parts = []
    if result.not_evaluated:
        parts.append("Not evaluated (never counted as compliant)")
    if caveats:
        parts.append("caveats on rules that ran")
    table = Table(
        title="; ".join(parts),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("rule", no_wrap=True)
    table.add_column("scope", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for n in result.not_evaluated:
        table.add_row(n.rule, n.scope, n.reason)
    for c in caveats:
        table.add_row(c["rule"], "caveat", c["caveat"])
    print_table(con, table)


def _data(result: Any, con: Console) -> None:
    tables = result.summary.get("tables") or {}
    rec = Table(
        title="Input rows: read = used + excluded + rejected",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    rec.add_column("table")
    for col in ("read", "used", "excluded", "rejected"):
        rec.add_column(col, justify="right")
    for name, r in tables.items():
        excluded = r.get("excluded") or {}
        rec.add_row(
            name,
            f"{r['read']:,}",
            f"{r['used']:,}",
            f"{sum(excluded.values()):,}",
            f"{r['rejected']:,}",
        )
    print_table(con, rec)
    for name, r in tables.items():
        for reason, n in (r.get("excluded") or {}).items():
            con.print(f"  {name}: {n:,} rows excluded ({reason})", markup=False)
    issues = result.data_issues
    if issues.height == 0:
        return
    counts = (
        issues.group_by("table", "action", "reason")
        .agg(n=pl.len())
        .sort("n", "table", "action", "reason", descending=[True, False, False, False])
        .head(12)
    )
    summary = Table(
        title=f"Data issues ({issues.height})", title_justify="left", box=box.SIMPLE_HEAD
    )
    summary.add_column("table", no_wrap=True)
    summary.add_column("action", no_wrap=True)
    summary.add_column("reason", overflow="fold")
    summary.add_column("rows", justify="right")
    for r in counts.to_dicts():
        summary.add_row(r["table"], r["action"], r["reason"], str(r["n"]))
    print_table(con, summary)
    first = Table(
        title="First data issues (file, row, column)", title_justify="left", box=box.SIMPLE_HEAD
    )
    for col in ("file", "row", "column"):
        first.add_column(col, no_wrap=True)
    first.add_column("reason", overflow="fold")
    for r in issues.sort("file", "row", "column", "reason", nulls_last=True).head(10).to_dicts():
        first.add_row(
            str(r["file"]).rsplit("/", 1)[-1], str(r["row"]), r["column"] or "—", r["reason"]
        )
    print_table(con, first)


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One block per value, 0% lowest and 100% highest; a gap (no data) is a space."""
    return "".join(
        " " if v is None else SPARKS[min(len(SPARKS) - 1, int(v / 100 * len(SPARKS)))]
        for v in values
    )


def _trend(result: Any, con: Console) -> None:
    """The monthly trend (`--trend N`): one compact line per group, oldest month first."""
    points = (result.summary.get("trend") or {}).get("points") or []
    if not points:
        return
    first = uk_date(dt.date.fromisoformat(points[0]["month_end"]))
    last = uk_date(dt.date.fromisoformat(points[-1]["month_end"]))
    con.print(Text(f"Monthly trend: no outstanding breach, {first} to {last}", style="bold"))
    for group, noun in (("children", "Children"), ("carers", "Carers"), ("staff", "Staff")):
        values = [(p.get(group) or {}).get("compliance_pct") for p in points]
        shown = [v for v in values if v is not None]
        if not shown:
            continue
        line = Text(f"  {noun:<9} ")
        line.append(sparkline(values), style="bold")
        line.append(f"  {shown[0]:.1f}% -> {shown[-1]:.1f}%")
        con.print(line, no_wrap=True, overflow="ellipsis")
    con.print()


def render_terminal(result: Any, console: Console | None = None, *, limit: int = 50) -> None:
    con = console or SafeConsole()
    rag = result.summary.get("rag") or {}
    _RAG[0] = (float(rag.get("green", 90.0)), float(rag.get("amber", 75.0)))
    _title(result, con)
    con.print()
    _warnings(result, con)
    _headline(result, con)
    _trend(result, con)
    _breakdown(result, con, "by_category", "category", "Children and carers by category")
    _breakdown(result, con, "by_team", "team", "Children and carers by team")
    _breakdown(result, con, "staff_by_team", "team", "Staff by team")
    _scorecard(result, con)
    _findings(result, con, limit)
    _not_evaluated(result, con)
    _data(result, con)
