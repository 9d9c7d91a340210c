"""The Excel audit workbook: the deliverable a QA officer hands to managers.

Sheets: Summary (headline, compliance by team and category with RAG fills, a bar chart),
Children findings and Staff findings (every JSON field, real dates, worst first, frozen
header, autofilter, severity colours; continued on further sheets past Excel's row limit),
By worker, By supervisor, Data issues (with the reconciliation), Rules (as applied, with
parameters and what was not evaluated), About (versions, command line, input file hashes).

Safety: every text value from input data goes through `safe_text` (formula-like text stays
an exact string cell with Excel's quote prefix; illegal control characters are removed;
over-long text is cut with a marker). Written with openpyxl's write-only mode, to a
temporary file beside the target, renamed into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import platform
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import TableStyleInfo  # noqa: F401  (kept for users extending)

from .. import __version__
from ..findings import FINDING_KEYS, worst_first
from .atomic import staged
from .safe_text import XLSX_MAX_CHARS, clean_text_expr, needs_quote_prefix_expr

MAX_DATA_ROWS = 1_048_576 - 1
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
RED = PatternFill("solid", fgColor="F4B6B6")
AMBER = PatternFill("solid", fgColor="FFE29A")
GREEN = PatternFill("solid", fgColor="C6E5B3")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
FINDING_COLUMNS = (*FINDING_KEYS, "status")


def rag(pct: float | None) -> PatternFill | None:
    if pct is None:
        return None
    return GREEN if pct >= 90 else AMBER if pct >= 75 else RED


class Sheet:
    """A write-only worksheet with safe cells, header styling and print setup."""

    def __init__(self, wb: Workbook, title: str, as_of: dt.date) -> None:
        self.ws = wb.create_sheet(title)
        self.rows = 0
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.center.text = "Page &P of &N"
        ws.oddFooter.right.text = f"As of {as_of:%d/%m/%Y}"
        ws.oddFooter.left.text = "&A"

    def cell(
        self,
        value: Any,
        *,
        font: Font | None = None,
        fill: PatternFill | None = None,
        number_format: str | None = None,
        prefix: bool = False,
        wrap: bool = False,
    ) -> Any:
        if value is None and not (font or fill):
            return None
        if isinstance(value, str):
            value = _clean(value)
        c = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, str) and (prefix or _danger(value)):
            c.data_type = "s"
            c.quotePrefix = True
        if font:
            c.font = font
        if fill:
            c.fill = fill
        if number_format:
            c.number_format = number_format
        if wrap:
            c.alignment = WRAP
        return c

    def header(self, names: Sequence[str]) -> None:
        self.append([self.cell(n, font=HEADER_FONT, fill=HEADER_FILL) for n in names])

    def append(self, row: Iterable[Any]) -> None:
        self.ws.append(list(row))
        self.rows += 1

    def blank(self) -> None:
        self.append([])

    def widths(self, widths: Sequence[float]) -> None:
        for i, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = max(8.0, min(w, 70.0))


def _danger(value: str) -> bool:
    from .safe_text import is_formula_like

    return is_formula_like(value) or value.strip().upper() in _ERROR_CODES or value.startswith("{=")


_ERROR_CODES = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NULL!", "#NAME?", "#NUM!", "#GETTING_DATA"}


def _clean(value: str) -> str:
    from .safe_text import strip_control

    value = strip_control(value)
    if len(value) > XLSX_MAX_CHARS:
        marker = f" [cut: {len(value)} characters]"
        value = value[: XLSX_MAX_CHARS - len(marker)] + marker
    return value


def _fit(frame: pl.DataFrame, names: Sequence[str]) -> list[float]:
    """Column widths from the header and the longest of the first 2,000 values."""
    head = frame.head(2000)
    out = []
    for n in names:
        if n in head.columns and head.height:
            longest = head.select(pl.col(n).cast(pl.String).str.len_chars().max()).item() or 0
        else:
            longest = 0
        out.append(float(max(len(n), longest)) + 2)
    return out


def _rows_for_sheet(frame: pl.DataFrame, names: Sequence[str]) -> tuple[list[list[Any]], list[str]]:
    """Columns as Python lists, text cleaned and a per-row 'needs a safe cell' mask computed
    in Polars over whole columns; only the rare dangerous rows pay for styled cells."""
    text_cols = [n for n in names if frame.schema[n] == pl.String]
    prepared = frame.select(
        [clean_text_expr(pl.col(n)).alias(n) if n in text_cols else pl.col(n) for n in names]
    )
    danger = prepared.select(
        pl.any_horizontal([needs_quote_prefix_expr(pl.col(n)).fill_null(False) for n in text_cols])
        if text_cols
        else pl.lit(False)
    ).to_series()
    return [prepared[n].to_list() for n in names] + [danger.to_list()], text_cols


def write_findings(wb: Workbook, base_title: str, frame: pl.DataFrame, as_of: dt.date) -> list[str]:
    """Findings worst first, split across sheets past Excel's row limit. Returns titles."""
    frame = (
        worst_first(frame)
        .with_columns(
            status=pl.when(pl.col("met_date").is_not_null())
            .then(pl.lit("met late"))
            .when(pl.col("outstanding"))
            .then(pl.lit("outstanding"))
            .otherwise(pl.lit("ended unmet"))
        )
        .select(FINDING_COLUMNS)
    )
    titles = []
    widths = _fit(frame, FINDING_COLUMNS)
    chunks = max(1, -(-frame.height // MAX_DATA_ROWS))
    for k in range(chunks):
        part = frame.slice(k * MAX_DATA_ROWS, MAX_DATA_ROWS)
        title = base_title if k == 0 else f"{base_title} ({k + 1})"
        titles.append(title)
        sheet = Sheet(wb, title, as_of)
        ws = sheet.ws
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        sheet.widths(widths)
        last_col = get_column_letter(len(FINDING_COLUMNS))
        ws.auto_filter.ref = f"A1:{last_col}{max(part.height + 1, 2)}"
        sev = get_column_letter(FINDING_COLUMNS.index("severity") + 1)
        rng = f"{sev}2:{sev}{max(part.height + 1, 2)}"
        ws.conditional_formatting.add(
            rng, CellIsRule(operator="equal", formula=['"red"'], fill=RED)
        )
        ws.conditional_formatting.add(
            rng, CellIsRule(operator="equal", formula=['"amber"'], fill=AMBER)
        )
        sheet.header(FINDING_COLUMNS)
        columns, _ = _rows_for_sheet(part, FINDING_COLUMNS)
        danger = columns.pop()
        append = ws.append
        for values, risky in zip(zip(*columns, strict=True), danger, strict=True):
            if risky:
                append([sheet.cell(v) if isinstance(v, str) else v for v in values])
            else:
                append(values)
        sheet.rows += part.height
    return titles


def _summary(wb: Workbook, result: Any, finding_sheets: dict[str, list[str]]) -> None:
    s = result.summary
    sheet = Sheet(wb, "Summary", result.as_of)
    sheet.widths([34, 16, 14, 14, 12, 10, 10, 14])
    sheet.append([sheet.cell(f"Supervision audit — {result.authority}", font=TITLE)])
    info = [
        ("Ruleset", f"{result.ruleset_name} {result.ruleset_version}"),
        ("As of", result.as_of),
        (
            "Period",
            f"{result.from_date:%d/%m/%Y} to {result.as_of:%d/%m/%Y}"
            if result.from_date
            else f"all findings up to {result.as_of:%d/%m/%Y}",
        ),
    ]
    for scope, h in result.history_from.items():
        date = h.get("date")
        info.append(
            (
                f"History date ({scope})",
                f"{date:%d/%m/%Y} ({h.get('source')})" if date else f"none ({h.get('source')})",
            )
        )
    if result.parameters:
        info.append(("Parameters", ", ".join(f"{k}={v}" for k, v in result.parameters.items())))
    filters = {k: v for k, v in (s.get("filters") or {}).items() if v}
    if filters:
        info.append(("Filters", ", ".join(f"{k}={v}" for k, v in filters.items())))
    if s.get("pseudonymised"):
        info.append(("Pseudonymised", "yes: IDs are keyed tokens; still personal data"))
    for label, value in info:
        sheet.append(
            [
                sheet.cell(label, font=BOLD),
                sheet.cell(
                    value, number_format="DD/MM/YYYY" if isinstance(value, dt.date) else None
                ),
            ]
        )
    sheet.blank()
    sheet.header(
        [
            "Headline",
            "Open at as-of",
            "Compliant",
            "% compliant",
            "Findings",
            "Red",
            "Amber",
            "Outstanding",
        ]
    )
    for key, label, open_key in (
        ("children", "Children", "open_at_as_of"),
        ("carers", "Foster carers", "open_at_as_of"),
        ("staff", "Staff", "active_at_as_of"),
    ):
        block = s.get(key)
        if not block or (
            key == "carers" and not block.get(open_key) and not block["findings"]["total"]
        ):
            continue
        f = block["findings"]
        pct = block.get("compliance_pct")
        sheet.append(
            [
                label,
                block.get(open_key),
                block.get("compliant"),
                sheet.cell(pct, fill=rag(pct)),
                f["total"],
                f["red"],
                f["amber"],
                f["outstanding"],
            ]
        )
    sheet.blank()
    team_first_row = None
    n_teams = 0
    for key, title in (
        ("by_team", "Compliance by team (children)"),
        ("by_category", "Compliance by category (children)"),
        ("staff_by_team", "Staff compliance by team"),
    ):
        rows = s.get(key) or []
        if not rows:
            continue
        label = "team" if "team" in key else "category"
        sheet.append([sheet.cell(title, font=BOLD)])
        sheet.header([label.title(), "Open", "Compliant", "% compliant"])
        if key == "by_team":
            team_first_row = sheet.rows + 1
            n_teams = len(rows)
        for r in rows:
            pct = r.get("compliance_pct")
            sheet.append(
                [sheet.cell(r[label]), r["open"], r["compliant"], sheet.cell(pct, fill=rag(pct))]
            )
        sheet.blank()
    notes = []
    for base, titles in finding_sheets.items():
        if len(titles) > 1:
            notes.append(
                f"{base}: more rows than one sheet holds; continued on {', '.join(titles[1:])}."
            )
    if result.not_evaluated:
        notes.append(f"{len(result.not_evaluated)} rule(s) not evaluated: see the Rules sheet.")
    if result.data_issues.height:
        notes.append(f"{result.data_issues.height} data issue(s): see the Data issues sheet.")
    for n in notes:
        sheet.append([sheet.cell(n, font=BOLD)])
    if team_first_row and n_teams:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Children: % with no outstanding breach, by team"
        chart.y_axis.title = "% compliant"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.legend = None
        data = Reference(
            sheet.ws, min_col=4, min_row=team_first_row - 1, max_row=team_first_row + n_teams - 1
        )
        cats = Reference(
            sheet.ws, min_col=1, min_row=team_first_row, max_row=team_first_row + n_teams - 1
        )
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        chart.height = max(7.5, 0.6 * n_teams + 3)
        chart.width = 18
        sheet.ws.add_chart(chart, "J2")


def _by_worker(wb: Workbook, run: Any, result: Any, with_names: bool) -> None:
    sheet = Sheet(wb, "By worker", result.as_of)
    names = [
        "worker_id",
        "name",
        "team",
        "supervisor_id",
        "caseload",
        "children compliant",
        "% compliant",
        "open case findings",
        "oldest overdue (days)",
        "own supervision findings",
    ]
    if not with_names:
        names.remove("name")
    cov = result.covered if result.covered is not None else pl.DataFrame()
    f = result.findings
    case_f = (
        f.filter((pl.col("scope") == "children") & pl.col("outstanding"))
        .group_by("worker_id")
        .agg(open_findings=pl.len(), oldest=pl.col("days_overdue").max())
    )
    own = (
        f.filter((pl.col("scope") == "staff") & pl.col("outstanding"))
        .group_by("subject_id")
        .agg(own=pl.len())
        .rename({"subject_id": "worker_id"})
    )
    if cov.height:
        cases = (
            cov.filter(pl.col("scope") == "children")
            .group_by("subject_id")
            .agg(pl.col("worker_id").first(), pl.col("outstanding").any())
            .group_by("worker_id")
            .agg(caseload=pl.len(), compliant=(~pl.col("outstanding")).sum())
        )
    else:
        cases = pl.DataFrame(
            schema={"worker_id": pl.String, "caseload": pl.UInt32, "compliant": pl.UInt32}
        )
    workers = run.context.tables.get("workers")
    if workers is not None and result.summary.get("pseudonymised"):
        from .privacy import pseudonymise_frame

        workers = pseudonymise_frame(
            workers.select("worker_id", "team", "supervisor_id"), run.privacy_key
        ).with_columns(name=pl.lit(None, pl.String))
    base = cases.select("worker_id")
    if workers is not None:
        base = pl.concat([base, workers.select("worker_id")]).unique()
    table = (
        base.join(cases, on="worker_id", how="left")
        .join(case_f, on="worker_id", how="left")
        .join(own, on="worker_id", how="left")
    )
    if workers is not None:
        table = table.join(
            workers.select("worker_id", "name", "team", "supervisor_id"), on="worker_id", how="left"
        )
    for c in ("name", "team", "supervisor_id"):
        if c not in table.columns:
            table = table.with_columns(pl.lit(None, pl.String).alias(c))
    table = (
        table.with_columns(
            pl.col("caseload", "compliant", "open_findings", "own").fill_null(0),
            pct=pl.when(pl.col("caseload") > 0).then(
                (100 * pl.col("compliant") / pl.col("caseload")).round(1)
            ),
        )
        .filter((pl.col("caseload") > 0) | (pl.col("own") > 0) | pl.col("team").is_not_null())
        .sort("worker_id")
    )
    frame = table.select(
        pl.col("worker_id"),
        pl.col("name"),
        pl.col("team"),
        pl.col("supervisor_id"),
        pl.col("caseload"),
        pl.col("compliant").alias("children compliant"),
        pl.col("pct").alias("% compliant"),
        pl.col("open_findings").alias("open case findings"),
        pl.col("oldest").alias("oldest overdue (days)"),
        pl.col("own").alias("own supervision findings"),
    ).select(names)
    _plain_table(sheet, frame, names)


def _plain_table(
    sheet: Sheet, frame: pl.DataFrame, names: Sequence[str], *, start_filter: bool = True
) -> None:
    sheet.widths(_fit(frame, names))
    first = sheet.rows + 1
    sheet.header(names)
    if start_filter:
        sheet.ws.freeze_panes = f"A{first + 1}"
        sheet.ws.print_title_rows = f"{first}:{first}"
        sheet.ws.auto_filter.ref = (
            f"A{first}:{get_column_letter(len(names))}{max(first + frame.height, first + 1)}"
        )
    if frame.height == 0:
        return
    columns, _ = _rows_for_sheet(frame, names)
    danger = columns.pop()
    dates = {i for i, n in enumerate(names) if frame.schema[n] == pl.Date}
    for values, risky in zip(zip(*columns, strict=True), danger, strict=True):
        if risky or dates:
            sheet.append(
                [
                    sheet.cell(v, number_format="DD/MM/YYYY")
                    if i in dates and v is not None
                    else (sheet.cell(v) if isinstance(v, str) and risky else v)
                    for i, v in enumerate(values)
                ]
            )
        else:
            sheet.append(values)


def _by_supervisor(wb: Workbook, run: Any, result: Any) -> None:
    from ..views.scorecard import scorecard

    sheet = Sheet(wb, "By supervisor", result.as_of)
    board = scorecard(run)
    names = [
        "supervisor_id",
        "supervisees",
        "supervisees compliant",
        "% supervisees compliant",
        "cases",
        "cases compliant",
        "% cases compliant",
        "open staff findings",
    ]
    if board.height == 0:
        sheet.header(names)
        sheet.append([sheet.cell("No staff data: the workers table was not supplied.")])
        return
    own = (
        result.findings.filter((pl.col("scope") == "staff") & pl.col("outstanding"))
        .group_by("supervisor_id")
        .agg(open_staff=pl.len())
    )
    if result.summary.get("pseudonymised"):
        from .privacy import pseudonymise_frame

        board = pseudonymise_frame(board, run.privacy_key)
    frame = (
        board.join(own, on="supervisor_id", how="left")
        .with_columns(pl.col("open_staff").fill_null(0))
        .select(
            pl.col("supervisor_id"),
            pl.col("supervisees"),
            pl.col("supervisees_compliant").alias("supervisees compliant"),
            pl.col("supervisees_compliance_pct").alias("% supervisees compliant"),
            pl.col("cases"),
            pl.col("cases_compliant").alias("cases compliant"),
            pl.col("cases_compliance_pct").alias("% cases compliant"),
            pl.col("open_staff").alias("open staff findings"),
        )
    )
    _plain_table(sheet, frame, names)


def _data_issues(wb: Workbook, result: Any) -> None:
    sheet = Sheet(wb, "Data issues", result.as_of)
    sheet.append([sheet.cell("Reconciliation: rows read = rows used + rows rejected", font=BOLD)])
    sheet.header(["table", "file", "read", "used", "rejected"])
    for table, r in (result.summary.get("tables") or {}).items():
        sheet.append(
            [
                sheet.cell(table),
                sheet.cell(r.get("file")),
                r.get("read"),
                r.get("used"),
                r.get("rejected"),
            ]
        )
    sheet.blank()
    names = ["table", "file", "row", "column", "value", "reason", "action"]
    issues = result.data_issues.select(names) if result.data_issues.height else result.data_issues
    sheet.append([sheet.cell(f"Data issues ({result.data_issues.height})", font=BOLD)])
    _plain_table(
        sheet,
        issues.select(names)
        if issues.height
        else pl.DataFrame(schema={n: pl.String for n in names}),
        names,
        start_filter=True,
    )


def _rules(wb: Workbook, run: Any, result: Any) -> None:
    from ..rules.registry import RULE_KINDS

    sheet = Sheet(wb, "Rules", result.as_of)
    sheet.widths([10, 12, 10, 40, 40, 28, 22, 60, 60])
    rs = run.ruleset
    sheet.append(
        [
            sheet.cell(
                f"{rs.authority} — {rs.document.title} ({rs.document.date}); "
                f"ruleset {rs.name} {rs.version}",
                font=BOLD,
            )
        ]
    )
    if result.parameters:
        sheet.append(
            [
                sheet.cell("Parameters", font=BOLD),
                sheet.cell(", ".join(f"{k}={v}" for k, v in result.parameters.items())),
            ]
        )
    sheet.blank()
    first = sheet.rows + 1
    sheet.header(
        ["id", "kind", "scope", "title", "requirement", "counts", "section", "quote", "note"]
    )
    sheet.ws.freeze_panes = f"A{first + 1}"
    sheet.ws.print_title_rows = f"{first}:{first}"
    evaluated = set(result.rules_evaluated)
    for rule in rs.rules:
        reqs = RULE_KINDS[rule.kind].describe(rule)
        requirement = "; ".join(f"{d.get('applies_to')}: {d.get('requirement')}" for d in reqs)
        counts = reqs[0].get("counts", "") if reqs else ""
        title = rule.title if rule.id in evaluated else f"{rule.title} [NOT EVALUATED]"
        sheet.append(
            [
                sheet.cell(v, wrap=True)
                for v in (
                    rule.id,
                    rule.kind,
                    rule.scope,
                    title,
                    requirement,
                    counts,
                    rule.section,
                    " ".join(rule.quote.split()),
                    rule.note,
                )
            ]
        )
    sheet.blank()
    sheet.append([sheet.cell("Not evaluated", font=BOLD)])
    sheet.header(["rule", "scope", "reason"])
    if not result.not_evaluated:
        sheet.append([sheet.cell("(none: every rule in scope was evaluated)")])
    for n in result.not_evaluated:
        sheet.append([sheet.cell(n.rule), sheet.cell(n.scope), sheet.cell(n.reason, wrap=True)])
    for c in result.summary.get("caveats") or []:
        sheet.append(
            [sheet.cell(c["rule"]), sheet.cell("caveat"), sheet.cell(c["caveat"], wrap=True)]
        )
    if rs.not_auditable:
        sheet.blank()
        sheet.append([sheet.cell("Requirements that cannot be checked from data", font=BOLD)])
        sheet.header(["id", "section", "requirement", "reason"])
        for n in rs.not_auditable:
            sheet.append(
                [sheet.cell(v, wrap=True) for v in (n.id, n.section, n.requirement, n.reason)]
            )


REDACT_OPTIONS = {"--worker", "--key-file", "--team"}


def redact_argv(argv: Sequence[str] | None, pseudonymised: bool) -> str:
    """The command line with values that may identify a person removed."""
    if not argv:
        return "(not recorded)"
    out: list[str] = [Path(argv[0]).name]
    skip = False
    for arg in argv[1:]:
        if skip:
            out.append("[removed]")
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--worker", "--key-file") or (pseudonymised and name in REDACT_OPTIONS):
            if "=" in arg:
                out.append(f"{name}=[removed]")
            else:
                out.append(arg)
                skip = True
            continue
        out.append(arg)
    return shlex.join(out)


def _about(wb: Workbook, result: Any, argv: Sequence[str] | None) -> None:
    sheet = Sheet(wb, "About", result.as_of)
    sheet.widths([28, 60, 14, 12, 68])
    rows = [
        ("Tool", f"supervision-audit {__version__}"),
        ("Command line", redact_argv(argv, bool(result.summary.get("pseudonymised")))),
        ("Run at (UTC)", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("Python / Polars", f"{platform.python_version()} / {pl.__version__}"),
        ("Data read as", result.source_note or ""),
        ("Ruleset file", result.ruleset_path or ""),
        ("Ruleset SHA-256", result.ruleset_sha256 or ""),
    ]
    for k, v in rows:
        sheet.append([sheet.cell(k, font=BOLD), sheet.cell(v)])
    sheet.blank()
    sheet.header(["table", "file", "size (bytes)", "rows", "SHA-256"])
    for i in result.inputs:
        sheet.append(
            [
                sheet.cell(i["table"]),
                sheet.cell(i["file"]),
                i["size_bytes"],
                i["rows"],
                sheet.cell(i["sha256"]),
            ]
        )


def write_workbook(
    run: Any,
    path: Path,
    argv: Sequence[str] | None = None,
    trend: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the audit workbook for an AuditRun, atomically."""
    result = run.result
    wb = Workbook(write_only=True)
    # Summary first in the tab order: findings sheets are built into a second pass below.
    scopes = ("children", "staff") if result.scope == "all" else (result.scope,)
    frames = {
        "Children findings": result.findings.filter(pl.col("scope") == "children"),
        "Staff findings": result.findings.filter(pl.col("scope") == "staff"),
    }
    planned = {
        base: [base] + [f"{base} ({k + 1})" for k in range(1, -(-frame.height // MAX_DATA_ROWS))]
        for base, frame in frames.items()
    }
    _summary(wb, result, planned)
    if "children" in scopes:
        write_findings(wb, "Children findings", frames["Children findings"], result.as_of)
    if "staff" in scopes:
        write_findings(wb, "Staff findings", frames["Staff findings"], result.as_of)
    with_names = not (result.summary.get("pseudonymised") or result.summary.get("no_names"))
    _by_worker(wb, run, result, with_names)
    _by_supervisor(wb, run, result)
    _data_issues(wb, result)
    _mapping(wb, run, result)
    _rules(wb, run, result)
    if trend:
        _trend(wb, result, trend)
    _about(wb, result, argv)
    _save_atomic(wb, path)
    return path


def _mapping(wb: Workbook, run: Any, result: Any) -> None:
    """How an export profile read the files (only when one did)."""
    report = getattr(getattr(run, "data", None), "mapping", None)
    if report is None:
        return
    from ..sources.profiles import mapping_frame

    sheet = Sheet(wb, "Mapping", result.as_of)
    sheet.append([sheet.cell(f"Source: {result.source_note}", font=BOLD)])
    frame = mapping_frame(report)
    _plain_table(sheet, frame, frame.columns)


def _trend(wb: Workbook, result: Any, rows: list[dict[str, Any]]) -> None:
    sheet = Sheet(wb, "Trend", result.as_of)
    names = list(rows[0].keys()) if rows else ["metric", "previous", "current", "change"]
    frame = pl.DataFrame(rows) if rows else pl.DataFrame(schema={n: pl.String for n in names})
    _plain_table(sheet, frame, names)


def add_trend_sheet(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Add (or replace) a Trend sheet in an existing workbook (used by batch runs)."""
    wb = load_workbook(path)
    if "Trend" in wb.sheetnames:
        del wb["Trend"]
    ws = wb.create_sheet("Trend", index=1)
    names = list(rows[0].keys()) if rows else ["metric", "previous", "current", "change"]
    ws.append([n for n in names])
    for c in ws[1]:
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
    from .safe_text import is_formula_like

    for r in rows:
        ws.append([_clean(v) if isinstance(v, str) else v for v in (r.get(n) for n in names)])
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and (is_formula_like(c.value) or c.value.startswith("{=")):
                c.data_type = "s"
                c.quotePrefix = True
    ws.freeze_panes = "A2"
    _save_atomic(wb, path)
    return path


def _save_atomic(wb: Workbook, path: Path) -> None:
    """Save beside the target and rename (report/atomic.py): on failure the previous file is
    untouched and no temporary file remains."""
    with staged(Path(path)) as tmp:
        wb.save(tmp)
