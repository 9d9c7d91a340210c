"""The Excel audit workbook: the deliverable a QA officer hands to managers, and prints.

Sheets: Summary (headline, what the terms mean and the RAG cut-offs, findings by rule,
compliance by team and category with RAG fills, a labelled chart), Children findings and
Staff findings (the columns a manager acts on, human headers, real dd/mm/yyyy dates, the
policy's words, worst first, frozen header, autofilter, printed landscape one page wide with
the header on every page; continued on further sheets past Excel's row limit), Due (who
falls due in the next days, per supervisor), By worker, By supervisor, Data issues (with the
reconciliation), Rules (each rule's full policy quote and citation, what was not evaluated,
what cannot be checked), About (versions, command line, input file hashes).

Written with XlsxWriter in constant-memory mode (rows streamed to disk), with its formula,
URL and number conversions off: single cells by its explicit typed calls, the long tables'
rows as the same cell XML built by Polars per distinct text (`_write_rows`), so text is
always an escaped string cell.

Safety: every text value goes through the same cleaning (report/safe_text.py): formula-like
text stays the exact string with Excel's quote prefix; illegal control characters are
removed; over-long text is cut with a marker. The file is written beside the target (its
temporary sheet files too) and renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import re
import shlex
import shutil
import tempfile
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from .._version import __version__
from ..findings import as_text, worst_first
from .atomic import staged
from .safe_text import (
    ERROR_CODES,
    XLSX_MAX_CHARS,
    clean_text_expr,
    is_formula_like,
    needs_quote_prefix_expr,
    strip_control,
)

MAX_DATA_ROWS = 1_048_576 - 1
DATE_FORMAT = "dd/mm/yyyy"
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EPOCH_SERIAL = (dt.date(1970, 1, 1) - _EXCEL_EPOCH).days  # 25569

# Style tokens: plain dicts of XlsxWriter format properties, merged per cell.
HEADER_FILL = {"bg_color": "#1F3864", "pattern": 1}
HEADER_FONT = {"bold": True, "font_color": "#FFFFFF", "text_wrap": True, "valign": "top"}
RED = {"bg_color": "#F4B6B6", "pattern": 1}
AMBER = {"bg_color": "#FFE29A", "pattern": 1}
GREEN = {"bg_color": "#C6E5B3", "pattern": 1}
BOLD = {"bold": True}
TITLE = {"bold": True, "font_size": 14}
WRAP = {"text_wrap": True, "valign": "top"}
ITALIC = {"italic": True}

DEFAULT_RAG = (90.0, 75.0)


def rag_cutoffs(summary: dict[str, Any] | None) -> tuple[float, float]:
    """(green at or above, amber at or above) from the summary, or the defaults."""
    rag = (summary or {}).get("rag") or {}
    return (float(rag.get("green", DEFAULT_RAG[0])), float(rag.get("amber", DEFAULT_RAG[1])))


def rag(pct: float | None, cutoffs: tuple[float, float] = DEFAULT_RAG) -> dict | None:
    if pct is None:
        return None
    green, amber = cutoffs
    return GREEN if pct >= green else AMBER if pct >= amber else RED


class Cell:
    """A value with its format properties (what Sheet.cell returns)."""

    __slots__ = ("props", "value")

    def __init__(self, value: Any, props: dict[str, Any]) -> None:
        self.value = value
        self.props = props


class Book:
    """An XlsxWriter workbook with a cache of formats (one per distinct property set). Its
    streamed sheets' temporary files live in a private folder beside the output, removed
    whether or not the workbook is completed (they hold the data)."""

    def __init__(self, path: Path) -> None:
        # the pid lets the next run remove it if this one is killed (report.atomic)
        self.tmpdir = tempfile.mkdtemp(
            prefix=f".supervision-audit-{os.getpid()}-", dir=Path(path).parent
        )
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "tmpdir": self.tmpdir,
            },
        )
        self._formats: dict[tuple, Any] = {}
        self.sheets: dict[str, Sheet] = {}

    def fmt(self, props: dict[str, Any] | None) -> Any:
        if not props:
            return None
        key = tuple(sorted(props.items()))
        found = self._formats.get(key)
        if found is None:
            found = self._formats[key] = self.wb.add_format(dict(props))
        return found

    def _cleanup(self) -> None:
        for ws in self.wb.worksheets():
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None and not fh.closed:
                with contextlib.suppress(OSError):  # a full disk fails the flush too
                    fh.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


@contextlib.contextmanager
def open_book(path: Path) -> Iterator[Book]:
    """A Book written to a temporary file beside `path` and renamed into place when complete;
    on any failure the previous file is untouched and nothing is left behind."""
    with staged(Path(path)) as tmp:
        book = Book(tmp)
        try:
            yield book
            book.wb.close()
        finally:
            book._cleanup()


class Sheet:
    """A streamed worksheet: safe cells, header styling and print setup (landscape, one page
    wide, footer with the sheet, page number and audit date)."""

    def __init__(self, book: Book, title: str, as_of: dt.date, *, landscape: bool = True) -> None:
        self.book = book
        self.title = title
        self.ws = book.wb.add_worksheet(title)
        book.sheets[title] = self
        self.rows = 0
        ws = self.ws
        if landscape:
            ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        ws.set_footer(f"&L&A&CPage &P of &N&RAs of {as_of:%d/%m/%Y}")
        self._date = book.fmt({"num_format": DATE_FORMAT, "align": "left"})
        self._quoted = book.fmt({"quote_prefix": True})

    def cell(
        self,
        value: Any,
        *,
        font: dict | None = None,
        fill: dict | None = None,
        number_format: str | None = None,
        prefix: bool = False,
        wrap: bool = False,
    ) -> Any:
        props: dict[str, Any] = {}
        for extra in (font, fill, WRAP if wrap else None):
            if extra:
                props.update(extra)
        if number_format:
            props["num_format"] = number_format
        if prefix:
            props["quote_prefix"] = True
        if value is None and not props:
            return None
        return Cell(value, props)

    def header(self, names: Sequence[str], widths: Sequence[float] | None = None) -> None:
        if widths:
            lines = max(_lines(n, w) for n, w in zip(names, widths, strict=False) if n)
            if lines > 1:
                self.ws.set_row(self.rows, LINE_HEIGHT * lines + 3)
        self.append([self.cell(n, font=HEADER_FONT, fill=HEADER_FILL) for n in names])

    def append(self, row: Iterable[Any]) -> None:
        r = self.rows
        for c, value in enumerate(row):
            self.put(r, c, value)
        self.rows += 1

    def put(self, r: int, c: int, value: Any, props: dict[str, Any] | None = None) -> None:
        if isinstance(value, Cell):
            props = {**(props or {}), **value.props}
            value = value.value
        ws = self.ws
        if value is None:
            if props:
                ws.write_blank(r, c, None, self.book.fmt(props))
            return
        if isinstance(value, str):
            value = clean(value)
            if danger(value):
                props = {**(props or {}), "quote_prefix": True}
            write_text(ws, r, c, value, self.book.fmt(props))
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, self.book.fmt(props))
        elif isinstance(value, dt.datetime):
            ws.write_datetime(
                r, c, value, self.book.fmt({"num_format": "dd/mm/yyyy hh:mm", **(props or {})})
            )
        elif isinstance(value, dt.date):
            serial = (value - _EXCEL_EPOCH).days
            ws.write_number(
                r,
                c,
                serial,
                self.book.fmt({"num_format": DATE_FORMAT, "align": "left", **(props or {})}),
            )
        elif isinstance(value, int | float):
            ws.write_number(r, c, value, self.book.fmt(props))
        else:
            write_text(ws, r, c, clean(str(value)), self.book.fmt(props))

    def blank(self) -> None:
        self.rows += 1

    def widths(self, widths: Sequence[float], *, wrap_from: int | None = None) -> None:
        for i, w in enumerate(widths):
            self.ws.set_column(i, i, max(6.0, min(w, 70.0)))

    def freeze_header(self, row: int) -> None:
        """Freeze the rows above `row` (1-based header row) and print it on every page."""
        self.ws.freeze_panes(row, 0)
        self.ws.repeat_rows(row - 1)


def write_text(ws: Any, r: int, c: int, value: str, fmt: Any) -> None:
    """One text cell, exactly `value`. XlsxWriter's constant-memory writer copies a string
    that starts with <r> and ends with </r> into the sheet unescaped, as rich-text XML, so
    such input text could add cells or formulas of its own; written as plain runs it is
    escaped like any other text and reads back as the same string."""
    if value.startswith("<r>") and value.endswith("</r>"):
        runs = (value[:1], value[1:2], value[2:])  # XlsxWriter wants at least three parts
        ws.write_rich_string(r, c, *runs, *([fmt] if fmt is not None else []))
    else:
        ws.write_string(r, c, value, fmt)


def danger(value: str) -> bool:
    return is_formula_like(value) or value.strip().upper() in ERROR_CODES or value.startswith("{=")


def clean(value: str) -> str:
    value = strip_control(value)
    if len(value) > XLSX_MAX_CHARS:
        marker = f" [cut: {len(value)} characters]"
        value = value[: XLSX_MAX_CHARS - len(marker)] + marker
    return value


# Kept under their old names for code that imported them.
_danger, _clean = danger, clean


def _fit(frame: pl.DataFrame, names: Sequence[str], cap: float = 50.0) -> list[float]:
    """Column widths from the header and the longest of the first 2,000 values."""
    head = frame.head(2000)
    out = []
    for n in names:
        longest = 0
        if n in head.columns and head.height:
            dtype = head.schema[n]
            if dtype == pl.Date:
                longest = 10
            else:
                longest = head.select(pl.col(n).cast(pl.String).str.len_chars().max()).item() or 0
        header = max((len(w) for w in str(n).split()), default=0)
        out.append(min(cap, float(max(header, longest, min(len(str(n)), 14))) + 2))
    return out


XML_CHUNK = 20_000
"""Rows rendered to sheet XML per Polars pass (bounded memory whatever the frame's size)."""


def _xml_text(expr: pl.Expr) -> pl.Expr:
    """Cleaned text (clean_text_expr) as the character data of an inline-string cell, as
    XlsxWriter writes it: a literal _xHHHH_ has its underscore escaped (else Excel would read
    it as an escape), the control characters XML cannot hold as _xHHHH_, then & < > as
    entities. Whatever the text, it stays text: no markup of its own reaches the file."""
    out = expr.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F${1}")
    for ch in ("\r", "\ufffe", "\uffff"):
        out = out.str.replace_all(ch, f"_x{ord(ch):04X}_", literal=True)
    for ch, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        out = out.str.replace_all(ch, entity, literal=True)
    return out


def _number_text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A numeric column as the <v> text XlsxWriter writes ({:.16G}), formatted once per
    distinct value."""
    values = frame[name].drop_nulls().unique().to_list()
    texts = {v: f"{v:.16G}" for v in values}
    return pl.col(name).replace_strict(texts, default=None, return_dtype=pl.String)


def _xf(fmt: Any) -> int:
    """A format's style index in the workbook (what XlsxWriter writes as a cell's s="")."""
    return int(fmt._get_xf_index()) if fmt is not None else 0


def _inline(text: pl.Expr) -> pl.Expr:
    """The rest of an inline-string cell after its style: the text, escaped, in <is><t>
    (keeping leading or trailing white space, as XlsxWriter does)."""
    preserve = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"'))
    return pl.concat_str(
        pl.lit('" t="inlineStr"><is><t'),
        preserve.otherwise(pl.lit("")),
        pl.lit(">"),
        _xml_text(text),
        pl.lit("</t></is></c>"),
    )


def _inline_text(text: str) -> str:
    """_inline for one text the tool itself writes (a blank cell's words)."""
    return str(pl.select(_inline(pl.lit(text, pl.String))).item())


def _text_cells(values: pl.Series) -> pl.DataFrame:
    """For a text column: each value's inline-string cell body (cleaned, escaped) and
    whether Excel could take it for a formula or an error (it then gets the quote prefix);
    worked out once per distinct value, as most columns repeat a few texts."""
    frame = pl.DataFrame({"v": values.cast(pl.String)})
    distinct = (
        frame.drop_nulls()
        .unique()
        .with_columns(_c=clean_text_expr(pl.col("v")))
        .select("v", body=_inline(pl.col("_c")), risky=needs_quote_prefix_expr(pl.col("_c")))
    )
    return frame.join(distinct, on="v", how="left", maintain_order="left").select(
        "body", pl.col("risky").fill_null(False)
    )


def _row_height_attrs(ws: Any, height: float) -> str:
    """A row's height attributes as XlsxWriter's set_row writes them (none at the default)."""
    pixels = int(height * 4.0 / 3.0 + 0.5)
    if pixels == ws.original_row_height:
        return ""
    return f' ht="{pixels * 0.75:.16g}" customHeight="1"'


def _write_rows(
    sheet: Sheet,
    frame: pl.DataFrame,
    names: Sequence[str],
    props: Sequence[dict[str, Any] | None] | None = None,
    overrides: dict[int, tuple[pl.Expr, dict[str, Any]]] | None = None,
    null_text: dict[str, str | pl.Series] | None = None,
    heights: pl.Series | None = None,
) -> None:
    """Stream a frame's rows below the current row. `props` styles whole columns;
    `overrides[c]` is (an expression over the frame giving a label, {label: format}): a
    cell's own format (null label: the column's style), for columns the engine writes,
    never input text;
    `null_text` is what a blank cell of a column says instead (one text, or one per row);
    `heights` is each row's height (null: one line).

    The rows' sheet XML is built by Polars over whole columns, XML_CHUNK rows at a time,
    and appended to the sheet's constant-memory row file, exactly as XlsxWriter's own cell
    writers would write it, less the Python call per cell. Every value is a typed cell:
    text an inline string (escaped, so no text is ever markup, a formula or a rich run),
    dates and numbers numbers, booleans booleans; text that Excel could take for a formula
    or an error gets the quote-prefixed style of its column, as the whole row did before."""
    if frame.height == 0:
        return
    book, ws = sheet.book, sheet.ws
    labels = {f"_o{c}": expr.cast(pl.String) for c, (expr, _) in (overrides or {}).items()}
    frame = as_text(frame.select(*names, **labels))
    kinds: list[tuple[str, dict[str, Any]]] = []
    for i, n in enumerate(names):
        dtype = frame.schema[n]
        base = {"valign": "top", **((props[i] if props else None) or {})}
        if dtype == pl.Date:
            kinds.append(("n", {"num_format": DATE_FORMAT, "align": "left", **base}))
        elif dtype == pl.String:
            kinds.append(("s", base))
        elif dtype == pl.Boolean:
            kinds.append(("b", base))
        else:
            kinds.append(("n", base))
    plain = [_xf(book.fmt(k[1])) for k in kinds]
    quoted = [_xf(book.fmt({**k[1], "quote_prefix": True})) for k in kinds]
    first = sheet.rows
    last = first + frame.height - 1
    # The row XlsxWriter holds (the header) goes out first; ours follow it in order.
    ws._write_single_row(first)
    # the override formats are registered after the columns' own (the styles' order)
    extra: dict[str, pl.Series | pl.Expr] = {
        f"_o{c}": pl.col(f"_o{c}").replace_strict(
            {label: _xf(fmt) for label, fmt in formats.items()}, default=None, return_dtype=pl.Int32
        )
        for c, (_, formats) in (overrides or {}).items()
    }
    blank_text: dict[int, str] = {}
    for c, n in enumerate(names):
        text = (null_text or {}).get(n)
        if isinstance(text, str) and text:
            blank_text[c] = text
        elif isinstance(text, pl.Series):
            given = text.cast(pl.String)
            extra[f"_b{c}"] = given.set(given == "", None)  # nothing to say: no cell
    if heights is not None:
        extra["_h"] = heights.cast(pl.Float64)
    frame = frame.with_columns(**extra) if extra else frame
    texts = [c for c, k in enumerate(kinds) if k[0] == "s"]
    risky = pl.any_horizontal(pl.col(f"_r{c}") for c in texts) if texts else pl.lit(False)
    numbers = {
        c: _number_text(frame, n)
        for c, n in enumerate(names)
        if kinds[c][0] == "n" and frame.schema[n] != pl.Date
    }
    height = pl.lit("")
    if heights is not None:
        attrs = {h: _row_height_attrs(ws, h) for h in heights.drop_nulls().unique().to_list()}
        height = pl.col("_h").replace_strict(attrs, default="", return_dtype=pl.String)

    def rows_xml(start: int) -> pl.Expr:
        """The XML of a chunk of rows whose first is sheet row `start` (0-based)."""
        row_num = (pl.int_range(pl.len(), dtype=pl.Int64) + start + 1).cast(pl.String)
        cells = []
        for c, n in enumerate(names):
            kind = kinds[c][0]
            ref = pl.concat_str(pl.lit(f'<c r="{xl_col_to_name(c)}'), row_num, pl.lit('" s="'))
            style = pl.lit(str(plain[c]))
            if kind == "s":
                style = pl.when(risky).then(pl.lit(str(quoted[c]))).otherwise(style)
            if f"_o{c}" in frame.columns:
                style = pl.coalesce(pl.col(f"_o{c}").cast(pl.String), style)
            if kind == "s":
                body = pl.col(f"_t{c}")
            elif kind == "b":
                body = pl.concat_str(
                    pl.lit('" t="b"><v>'),
                    pl.col(n).cast(pl.Int8).cast(pl.String),
                    pl.lit("</v></c>"),
                )
            else:
                number = (
                    (pl.col(n).cast(pl.Int32) + _EPOCH_SERIAL).cast(pl.String)
                    if frame.schema[n] == pl.Date
                    else numbers[c]
                )
                body = pl.concat_str(pl.lit('"><v>'), number, pl.lit("</v></c>"))
            empty: pl.Expr = pl.lit("")
            if c in blank_text:
                empty = pl.concat_str(ref, pl.lit(str(plain[c]) + _inline_text(blank_text[c])))
            elif f"_b{c}" in frame.columns:
                blank = pl.concat_str(ref, pl.lit(str(plain[c])), pl.col(f"_bt{c}"))
                empty = pl.when(pl.col(f"_bt{c}").is_not_null()).then(blank).otherwise(empty)
            cells.append(
                pl.when(pl.col(n).is_not_null())
                .then(pl.concat_str(ref, style, body))
                .otherwise(empty)
            )
        return pl.concat_str(
            pl.lit('<row r="'), row_num, pl.lit('"'), height, pl.lit(">"), *cells, pl.lit("</row>")
        ).str.join("")

    for offset in range(0, frame.height, XML_CHUNK):
        part = frame.slice(offset, XML_CHUNK)
        columns: dict[str, pl.Series] = {}
        for c in texts:
            cells_of = _text_cells(part[names[c]])
            columns[f"_t{c}"] = cells_of["body"]
            columns[f"_r{c}"] = cells_of["risky"]
        for c in range(len(names)):
            if f"_b{c}" in part.columns:
                columns[f"_bt{c}"] = _text_cells(part[f"_b{c}"])["body"]
        part = part.with_columns(**columns)
        ws.fh.write(part.select(rows_xml(first + offset)).item())
    for col in (0, len(names) - 1):
        ws._check_dimensions(first, col)
        ws._check_dimensions(last, col)
    ws.previous_row = last + 1
    sheet.rows = last + 1


def _plain_table(
    sheet: Sheet,
    frame: pl.DataFrame,
    names: Sequence[str],
    *,
    start_filter: bool = True,
    headers: Sequence[str] | None = None,
    wrap: Sequence[str] = (),
    null_text: dict[str, str | pl.Series] | None = None,
) -> list[float]:
    """A header and a frame's rows; frozen header, filter and print titles when asked. A
    column wider than the cap wraps (its rows made tall enough). Returns the widths."""
    shown = list(headers or names)
    natural = _fit(frame.rename(dict(zip(names, shown, strict=True))), shown, cap=1e9)
    widths = [min(w, 50.0) for w in natural]
    wrapped = {
        n: w for n, w, full in zip(names, widths, natural, strict=True) if n in wrap or full > w
    }
    sheet.widths(widths)
    first = sheet.rows + 1
    sheet.header(shown, widths)
    if start_filter:
        sheet.freeze_header(first)
        sheet.ws.autofilter(first - 1, 0, max(first - 1 + frame.height, first), len(names) - 1)
    props = [WRAP if n in wrapped else None for n in names]
    body = frame.select(names)
    _write_rows(sheet, body, names, props, null_text=null_text, heights=row_heights(body, wrapped))
    return widths


# Findings -----------------------------------------------------------------------------------

QUOTE_CHARS = 120
FINDINGS_LAYOUT: tuple[tuple[str, str, float, bool], ...] = (
    # column, header, width, wrap
    ("subject_id", "Child or carer", 12, False),
    ("rule", "Rule", 9, False),
    ("requirement", "Requirement", 30, True),
    ("due_date", "Due", 11, False),
    ("limit_date", "Limit", 11, False),
    ("met_date", "Met", 12, False),
    ("days_overdue", "Days overdue", 8, False),
    ("severity", "Severity", 8, False),
    ("worker_id", "Worker", 10, False),
    ("team", "Team", 20, True),
    ("supervisor_id", "Supervisor", 11, False),
    ("quote", "Policy says (full text and source: Rules sheet)", 48, True),
)
STAFF_SUBJECT = "Worker"


def findings_layout(staff: bool) -> list[tuple[str, str, float, bool]]:
    """The Findings sheets' columns: for staff the subject is the worker (no second column)."""
    if not staff:
        return list(FINDINGS_LAYOUT)
    return [
        (c[0], STAFF_SUBJECT, c[2], c[3]) if c[0] == "subject_id" else c
        for c in FINDINGS_LAYOUT
        if c[0] != "worker_id"
    ]


def _short_quote(citation: pl.Expr) -> pl.Expr:
    """The policy's words from a citation ('Authority, Title, section: “quote”'), cut at a
    word boundary near QUOTE_CHARS with an ellipsis."""
    quote = pl.coalesce(citation.str.extract(r"“(.*)”\s*$", 1), citation)
    cut = quote.str.slice(0, QUOTE_CHARS).str.replace(r"\s+\S*$", "")
    return pl.when(quote.str.len_chars() > QUOTE_CHARS).then(cut + "…").otherwise(quote)


def findings_frame(frame: pl.DataFrame, supervisors: pl.DataFrame | None) -> pl.DataFrame:
    """The findings as the sheet shows them (worst first), with the met column's text where
    there is no date, and each child's supervisor (the allocated worker's)."""
    if supervisors is not None and frame.height:
        frame = (
            frame.join(
                supervisors.select("worker_id", pl.col("supervisor_id").alias("_sup")),
                on="worker_id",
                how="left",
            )
            .with_columns(supervisor_id=pl.coalesce("supervisor_id", "_sup"))
            .drop("_sup")
        )
    return as_text(worst_first(frame)).with_columns(
        quote=_short_quote(pl.col("citation")),
        severity=pl.col("severity").str.to_titlecase(),
        met_text=pl.when(pl.col("met_date").is_null()).then(
            pl.when(pl.col("outstanding")).then(pl.lit("open")).otherwise(pl.lit("closed unmet"))
        ),
    )


def write_findings(
    book: Book,
    base_title: str,
    frame: pl.DataFrame,
    as_of: dt.date,
    supervisors: pl.DataFrame | None = None,
) -> list[str]:
    """Findings worst first, split across sheets past Excel's row limit. Returns titles."""
    layout = findings_layout(staff=base_title.startswith("Staff"))
    names = [c[0] for c in layout]
    frame = findings_frame(frame, supervisors)
    red, amber = book.fmt({**RED, "valign": "top"}), book.fmt({**AMBER, "valign": "top"})
    titles = []
    chunks = max(1, -(-frame.height // MAX_DATA_ROWS))
    for k in range(chunks):
        part = frame.slice(k * MAX_DATA_ROWS, MAX_DATA_ROWS)
        title = base_title if k == 0 else f"{base_title} ({k + 1})"
        titles.append(title)
        sheet = Sheet(book, title, as_of)
        for i, (_, _, width, _) in enumerate(layout):
            sheet.ws.set_column(i, i, width)
        sheet.header([c[1] for c in layout], [c[2] for c in layout])
        sheet.freeze_header(1)
        sheet.ws.autofilter(0, 0, max(part.height, 1), len(layout) - 1)
        _write_rows(
            sheet,
            part,
            names,
            [WRAP if c[3] else None for c in layout],
            overrides={names.index("severity"): (pl.col("severity"), {"Red": red, "Amber": amber})},
            null_text={"met_date": part["met_text"]},
            heights=row_heights(part, {c[0]: c[2] for c in layout if c[3]}),
        )
    return titles


# Summary ------------------------------------------------------------------------------------

SUMMARY_WIDTHS = (30, 11, 11, 11, 11, 11, 11, 12, 30)


def definitions(cutoffs: tuple[float, float]) -> list[tuple[str, str]]:
    """What the Summary's words mean (also printed under the terminal's headline)."""
    green, amber = cutoffs
    return [
        (
            "No breach",
            "Open at the audit date (a child's or carer's episode, or a worker's employment, "
            "covers it under a rule that applies) and no finding outstanding at that date "
            "under any rule that was evaluated. An amber finding is a breach too.",
        ),
        (
            "Never counted as compliant",
            "Rules that could not be evaluated, rows rejected from the input, and anything "
            "outside the data's dates (before the history date or after the audit date), and "
            "anyone open whom no rule covers (listed as not covered). They are listed on the "
            "Summary, Rules and Data issues sheets, never added to 'no breach'.",
        ),
        (
            "Finding",
            "One overdue episode: a supervision (or agreement, observation, write-up) due and "
            "not done in time. Amber: past the policy's target. Red: past its limit. "
            "Overdue now: still not done at the audit date.",
        ),
        (
            "RAG cut-offs",
            f"Green: {green:g}% or more with no breach. Amber: {amber:g}% to under {green:g}%. "
            f"Red: under {amber:g}%. (Set with --rag GREEN,AMBER, or rag: in a batch config.)",
        ),
    ]


def _warnings(sheet: Sheet, s: dict[str, Any]) -> None:
    """Before any figure: the run's warnings (nothing checked, unverified ruleset, audit date
    past the data, subjects no rule covers), and the IDs of those subjects."""
    width = sum(SUMMARY_WIDTHS[1:]) * 1.1
    for w in s.get("warnings") or []:
        _merged_text(sheet, "Warning", w, len(SUMMARY_WIDTHS) - 1, width)
    subjects = (s.get("not_covered") or {}).get("subjects") or []
    if subjects:
        ids = ", ".join(r["subject_id"] for r in subjects[:500])
        more = f" and {len(subjects) - 500} more (the JSON output lists them all)"
        text = ids + (more if len(subjects) > 500 else "")
        _merged_text(sheet, "Not covered", text, len(SUMMARY_WIDTHS) - 1, width)


def _merged_text(sheet: Sheet, label: str, text: str, last_col: int, chars: float) -> None:
    """A bold label in column A and wrapped text across B..last_col (row height set for it,
    as Excel does not grow merged cells)."""
    lines = max(1, -(-len(text) // int(chars)))
    r = sheet.rows
    sheet.ws.set_row(r, 15 * lines + 2)
    sheet.put(r, 0, sheet.cell(label, font=BOLD, wrap=True))
    sheet.ws.merge_range(r, 1, r, last_col, "", sheet.book.fmt(WRAP))
    write_text(sheet.ws, r, 1, clean(text), sheet.book.fmt(WRAP))
    sheet.rows += 1


def _summary(book: Book, run: Any, result: Any, finding_sheets: dict[str, list[str]]) -> None:
    s = result.summary
    cutoffs = rag_cutoffs(s)
    sheet = Sheet(book, "Summary", result.as_of)
    sheet.widths(SUMMARY_WIDTHS)
    sheet.append([sheet.cell(f"Supervision audit — {result.authority}", font=TITLE)])
    info: list[tuple[str, Any]] = [
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
        sheet.append([sheet.cell(label, font=BOLD), value])
    _warnings(sheet, s)
    sheet.blank()
    sheet.header(
        ["Headline", "Open", "No breach", "% no breach", "Findings", "Red", "Amber", "Overdue now"]
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
                sheet.cell(pct, fill=rag(pct, cutoffs), number_format="0.0"),
                f["total"],
                f["red"],
                f["amber"],
                f["outstanding"],
            ]
        )
    sheet.blank()
    sheet.append([sheet.cell("What the figures mean", font=BOLD)])
    width = sum(SUMMARY_WIDTHS[1:]) * 1.1
    for label, text in definitions(cutoffs):
        _merged_text(sheet, label, text, len(SUMMARY_WIDTHS) - 1, width)
    sheet.blank()
    _by_rule_block(sheet, s)
    team_first_row = None
    team_rows: list[dict[str, Any]] = []
    for key, title in (
        ("by_team", "No breach by team (children and carers)"),
        ("by_category", "No breach by category (children and carers)"),
        ("staff_by_team", "No breach by team (staff)"),
    ):
        rows = s.get(key) or []
        if not rows:
            continue
        label = "team" if "team" in key else "category"
        sheet.append([sheet.cell(title, font=BOLD)])
        sheet.header([label.title(), "Open", "No breach", "% no breach"])
        if key == "by_team":
            team_first_row = sheet.rows
            team_rows = rows
        for r in rows:
            pct = r.get("compliance_pct")
            sheet.append(
                [
                    r[label],
                    r["open"],
                    r["compliant"],
                    sheet.cell(pct, fill=rag(pct, cutoffs), number_format="0.0"),
                ]
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
    if team_first_row is not None and team_rows:
        _team_chart(book, sheet, team_first_row, team_rows)


def _by_rule_block(sheet: Sheet, s: dict[str, Any]) -> None:
    rows = sorted(s.get("by_rule") or [], key=lambda r: (-r["outstanding"], r["rule"]))
    sheet.append([sheet.cell("Findings by rule (most overdue now first)", font=BOLD)])
    last = len(SUMMARY_WIDTHS) - 1
    sheet.header(
        ["Rule", "Findings", "Red", "Amber", "Overdue now", "Requirement", "", "", ""],
        SUMMARY_WIDTHS,
    )
    # "Requirement" heads the merged cells its text spans (one cell cut it to "Requiremen")
    sheet.ws.merge_range(
        sheet.rows - 1, 5, sheet.rows - 1, last, "Requirement",
        sheet.book.fmt({**HEADER_FONT, **HEADER_FILL}),
    )  # fmt: skip
    if not rows:
        sheet.append(["(no findings)"])
    for r in rows:
        # the requirement spans the columns to the right, its row as tall as its text
        _grid_row(
            sheet,
            SUMMARY_WIDTHS,
            [
                (0, 0, r["rule"]),
                (1, 1, r["findings"]),
                (2, 2, r["red"]),
                (3, 3, r["amber"]),
                (4, 4, r["outstanding"]),
                (5, last, r.get("title") or ""),
            ],
        )
    sheet.blank()


def _team_chart(book: Book, sheet: Sheet, first: int, rows: list[dict[str, Any]]) -> None:
    """Bar chart of % no breach by team, each bar labelled with its % and team size (a team
    at 0% shows its label even with no bar)."""
    chart = book.wb.add_chart({"type": "bar"})
    last = first + len(rows) - 1
    labels = [
        {"value": f"{r['compliance_pct']:.0f}% of {r['open']}"}
        if r.get("compliance_pct") is not None
        else {"value": f"— of {r['open']}"}
        for r in rows
    ]
    chart.add_series(
        {
            "name": "% with no outstanding breach",
            "categories": [sheet.title, first, 0, last, 0],
            "values": [sheet.title, first, 3, last, 3],
            "data_labels": {"value": True, "custom": labels, "position": "outside_end"},
            "fill": {"color": "#4472C4"},
            "gap": 60,
        }
    )
    chart.set_title(
        {
            "name": "Children and carers: % with no outstanding breach, by team "
            "(label: % of children open)",
            "name_font": {"size": 11},
        }
    )
    chart.set_x_axis({"min": 0, "max": 100, "name": "% with no outstanding breach"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": max(260, 26 * len(rows) + 110)})
    sheet.ws.set_h_pagebreaks([sheet.rows])
    sheet.ws.insert_chart(sheet.rows + 1, 0, chart)


# Tables ----------------------------------------------------------------------------------------


def _by_worker(book: Book, run: Any, result: Any, with_names: bool) -> None:
    sheet = Sheet(book, "By worker", result.as_of)
    names = [
        "Worker",
        "Name",
        "Team",
        "Supervisor",
        "Caseload",
        "Children with no breach",
        "% no breach",
        "Open case findings",
        "Oldest overdue (days)",
        "Own supervision findings",
    ]
    if not with_names:
        names.remove("Name")
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
        pl.col("worker_id").alias("Worker"),
        pl.col("name").alias("Name"),
        pl.col("team").alias("Team"),
        pl.col("supervisor_id").alias("Supervisor"),
        pl.col("caseload").alias("Caseload"),
        pl.col("compliant").alias("Children with no breach"),
        pl.col("pct").alias("% no breach"),
        pl.col("open_findings").alias("Open case findings"),
        pl.col("oldest").alias("Oldest overdue (days)"),
        pl.col("own").alias("Own supervision findings"),
    ).select(names)
    _plain_table(sheet, frame, names)


def _by_supervisor(book: Book, run: Any, result: Any) -> None:
    from ..views.scorecard import scorecard

    sheet = Sheet(book, "By supervisor", result.as_of)
    board = scorecard(run)
    names = [
        "Supervisor",
        "Supervisees",
        "Supervisees with no breach",
        "% supervisees",
        "Cases",
        "Cases with no breach",
        "% cases",
        "Open staff findings",
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
            pl.col("supervisor_id").alias("Supervisor"),
            pl.col("supervisees").alias("Supervisees"),
            pl.col("supervisees_compliant").alias("Supervisees with no breach"),
            pl.col("supervisees_compliance_pct").alias("% supervisees"),
            pl.col("cases").alias("Cases"),
            pl.col("cases_compliant").alias("Cases with no breach"),
            pl.col("cases_compliance_pct").alias("% cases"),
            pl.col("open_staff").alias("Open staff findings"),
        )
    )
    _plain_table(sheet, frame, names)


def _data_issues(book: Book, result: Any) -> None:
    sheet = Sheet(book, "Data issues", result.as_of)
    sheet.widths([16, 30, 8, 14, 22, 44, 14])
    sheet.append(
        [
            sheet.cell(
                "Reconciliation: rows read = rows used + rows excluded + rows rejected", font=BOLD
            )
        ]
    )
    sheet.header(["Table", "File", "Read", "Used", "Excluded", "Rejected"])
    tables = result.summary.get("tables") or {}
    for table, r in tables.items():
        _grid_row(
            sheet,
            (16, 30, 8, 14, 22, 44),
            [
                (0, 0, table),
                (1, 1, r.get("file")),
                (2, 2, r.get("read")),
                (3, 3, r.get("used")),
                (4, 4, sum((r.get("excluded") or {}).values())),
                (5, 5, r.get("rejected")),
            ],
        )
    excluded = [
        (t, why, n) for t, r in tables.items() for why, n in (r.get("excluded") or {}).items()
    ]
    if excluded:
        sheet.blank()
        sheet.append([sheet.cell("Rows excluded by the export profile, by reason", font=BOLD)])
        sheet.header(["table", "reason", "rows"])
        for table, why, n in excluded:
            _grid_row(sheet, (16, 30, 8), [(0, 0, table), (1, 1, why), (2, 2, n)])
    sheet.blank()
    names = ["table", "file", "row", "column", "value", "reason", "action"]
    issues = (
        result.data_issues.select(names)
        if result.data_issues.height
        else pl.DataFrame(schema={n: pl.String for n in names})
    )
    sheet.append([sheet.cell(f"Data issues ({result.data_issues.height})", font=BOLD)])
    first = sheet.rows + 1
    sheet.header([n.capitalize() for n in names])
    sheet.freeze_header(first)
    sheet.ws.autofilter(first - 1, 0, max(first - 1 + issues.height, first), len(names) - 1)
    wrap: dict[str, float] = {"file": 30, "value": 22, "reason": 44}
    _write_rows(
        sheet,
        issues,
        names,
        [WRAP if n in wrap else None for n in names],
        heights=row_heights(issues, wrap),
    )


def _lines(text: str, width: float) -> int:
    """Wrapped lines of `text` in a column `width` characters wide (word wrap, as Excel and
    LibreOffice do: about 1.2 characters of text per unit of column width in Calibri 11 or
    a wider substitute)."""
    per_line = max(4, int(width * 1.15))
    return sum(
        max(1, len(textwrap.wrap(part, per_line, break_long_words=True)))
        for part in str(text).split("\n")
    )


LINE_HEIGHT = 15.0


def row_heights(frame: pl.DataFrame, wrapped: dict[str, float]) -> pl.Series | None:
    """Per row, the height its wrapped text needs (None: one line, the default). Counted once
    per distinct text, so a million rows with a few requirements cost a few lookups."""
    lines: pl.Expr | None = None
    for name, width in wrapped.items():
        if name not in frame.columns or frame.schema[name] != pl.String:
            continue
        distinct = frame[name].drop_nulls().unique().to_list()
        if not distinct:
            continue
        counts = {v: _lines(v, width) for v in distinct}
        expr = pl.col(name).replace_strict(counts, default=1, return_dtype=pl.Int32).fill_null(1)
        lines = expr if lines is None else pl.max_horizontal(lines, expr)
    if lines is None:
        return None
    return frame.select(
        pl.when(lines > 1).then(lines.cast(pl.Float64) * LINE_HEIGHT + 3).alias("h")
    )["h"]


def _grid_row(
    sheet: Sheet,
    widths: Sequence[float],
    cells: Sequence[tuple[int, int, Any]],
    props: dict[str, Any] | None = None,
) -> None:
    """One row of (first column, last column, value) cells, wrapped; a span of several
    columns is merged, and the row's height is set for its longest text (Excel and
    LibreOffice never grow merged cells by themselves)."""
    style = {**WRAP, **(props or {})}
    lines = max(
        (_lines(v, sum(widths[a : b + 1])) for a, b, v in cells if isinstance(v, str)),
        default=1,
    )
    r = sheet.rows
    sheet.ws.set_row(r, 15 * lines + 3)
    for a, b, v in cells:
        if b > a:
            text = clean(v) if isinstance(v, str) else v
            fmt = sheet.book.fmt(
                {
                    **style,
                    **({"quote_prefix": True} if isinstance(text, str) and danger(text) else {}),
                }
            )
            sheet.ws.merge_range(r, a, r, b, "", fmt)
            if isinstance(text, str):
                write_text(sheet.ws, r, a, text, fmt)
            elif text is not None:
                sheet.ws.write(r, a, text, fmt)
        else:
            sheet.put(r, a, v, style)
    sheet.rows += 1


RULES_WIDTHS = (9, 9, 24, 26, 18, 50, 42)


def _rules(book: Book, run: Any, result: Any) -> None:
    from ..rules.registry import RULE_KINDS

    sheet = Sheet(book, "Rules", result.as_of)
    widths = RULES_WIDTHS
    sheet.widths(widths)
    rs = run.ruleset
    last = len(widths) - 1
    sheet.append([sheet.cell(f"Rules applied: ruleset {rs.name} {rs.version}", font=TITLE)])
    _grid_row(
        sheet,
        widths,
        [(0, 0, "Policy"), (1, last, f"{rs.authority}, {rs.document.title} ({rs.document.date})")],
    )
    if result.parameters:
        _grid_row(
            sheet,
            widths,
            [
                (0, 0, "Parameters"),
                (1, last, ", ".join(f"{k}={v}" for k, v in result.parameters.items())),
            ],
        )
    sheet.blank()
    first = sheet.rows + 1
    sheet.header(
        [
            "Rule",
            "Scope",
            "What it checks",
            "Requirement",
            "Policy section",
            "Policy says (verbatim)",
            "How the tool reads it",
        ],
        widths,
    )
    sheet.freeze_header(first)
    evaluated = set(result.rules_evaluated)
    for rule in rs.rules:
        reqs = RULE_KINDS[rule.kind].describe(rule)
        requirement = "; ".join(f"{d.get('applies_to')}: {d.get('requirement')}" for d in reqs)
        title = f"{rule.title} ({rule.kind})"
        if rule.id not in evaluated:
            title += " [NOT EVALUATED]"
        _grid_row(
            sheet,
            widths,
            [
                (0, 0, rule.id),
                (1, 1, rule.scope),
                (2, 2, title),
                (3, 3, requirement),
                (4, 4, rule.section),
                (5, 5, " ".join(rule.quote.split())),
                (6, 6, rule.note),
            ],
        )
    sheet.blank()
    sheet.append([sheet.cell("Not evaluated (never counted as compliant)", font=BOLD)])
    sheet.header(["Rule", "Scope", "Reason", "", "", "", ""])
    if not result.not_evaluated and not (result.summary.get("caveats") or []):
        _grid_row(sheet, widths, [(0, last, "(none: every rule in scope was evaluated)")])
    for n in result.not_evaluated:
        _grid_row(sheet, widths, [(0, 0, n.rule), (1, 1, n.scope), (2, last, n.reason)])
    for c in result.summary.get("caveats") or []:
        _grid_row(sheet, widths, [(0, 0, c["rule"]), (1, 1, "caveat"), (2, last, c["caveat"])])
    _not_checkable(book, rs, result)


def _not_checkable(book: Book, rs: Any, result: Any) -> None:
    """The policy's requirements no data can show (never counted as compliant)."""
    if not rs.not_auditable:
        return
    sheet = Sheet(book, "Not checkable", result.as_of)
    widths = (10, 52, 24, 62)
    sheet.widths(widths)
    sheet.append(
        [sheet.cell("Requirements of the policy that cannot be checked from data", font=TITLE)]
    )
    sheet.header(["Id", "Requirement", "Policy section", "Why it cannot be checked"], widths)
    sheet.freeze_header(2)
    for n in rs.not_auditable:
        _grid_row(
            sheet,
            widths,
            [(0, 0, n.id), (1, 1, n.requirement), (2, 2, n.section), (3, 3, n.reason)],
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


ABOUT_WIDTHS = (18, 36, 12, 9, 68)


def _about(book: Book, result: Any, argv: Sequence[str] | None) -> None:
    sheet = Sheet(book, "About", result.as_of)
    widths = ABOUT_WIDTHS
    sheet.widths(widths)
    last = len(widths) - 1
    rows = [
        ("Tool", f"supervision-audit {__version__}"),
        ("Command line", redact_argv(argv, bool(result.summary.get("pseudonymised")))),
        ("Run at (UTC)", dt.datetime.now(dt.UTC).strftime("%d/%m/%Y %H:%M:%S")),
        ("Python / Polars", f"{platform.python_version()} / {pl.__version__}"),
        ("Data read as", result.source_note or ""),
        ("Ruleset file", result.ruleset_path or ""),
        ("Ruleset SHA-256", result.ruleset_sha256 or ""),
    ]
    for k, v in rows:
        _grid_row(sheet, widths, [(0, 0, k), (1, last, v)], None)
    sheet.blank()
    sheet.header(["Table", "File", "Size (bytes)", "Rows", "SHA-256"])
    for i in result.inputs:
        sheet.append(
            [i["table"], sheet.cell(i["file"], wrap=True), i["size_bytes"], i["rows"], i["sha256"]]
        )


DUE_WITHIN = "14d"
DUE_LAYOUT: tuple[tuple[str, str, float, bool], ...] = (
    ("supervisor_id", "Supervisor", 11, False),
    ("worker_id", "Worker", 10, False),
    ("subject_id", "Child, carer or worker", 13, False),
    ("rule", "Rule", 9, False),
    ("requirement", "Requirement", 34, True),
    ("last_event", "Last done", 11, False),
    ("due_date", "Due", 11, False),
    ("status", "Status", 20, False),
    ("team", "Team", 20, True),
)


def _due(book: Book, run: Any, result: Any, within: Any = None) -> None:
    """Who falls due within the window (a dates.Interval, DUE_WITHIN unless given) after the
    audit date, or is overdue now, grouped by supervisor (the `due` command's list)."""
    from ..dates import Interval
    from ..views.due import due_list

    window = within if within is not None else Interval.parse(DUE_WITHIN)
    frame = due_list(run, window)
    if result.summary.get("pseudonymised") or result.summary.get("no_names"):
        from .privacy import pseudonymise_frame

        if result.summary.get("pseudonymised") and run.privacy_key is not None:
            frame = pseudonymise_frame(frame, run.privacy_key)
    sheet = Sheet(book, "Due", result.as_of)
    for i, (_, _, width, _) in enumerate(DUE_LAYOUT):
        sheet.ws.set_column(i, i, width)
    overdue = int((frame["days_until_due"] < 0).sum()) if frame.height else 0
    sheet.append(
        [
            sheet.cell(
                f"Due within {window.words()} of {result.as_of:%d/%m/%Y}, or overdue now: "
                f"{frame.height} ({overdue} overdue now), by supervisor",
                font=TITLE,
            )
        ]
    )
    names = [c[0] for c in DUE_LAYOUT]
    sheet.header([c[1] for c in DUE_LAYOUT], [c[2] for c in DUE_LAYOUT])
    sheet.freeze_header(2)
    sheet.ws.autofilter(1, 0, max(frame.height + 1, 2), len(names) - 1)
    if frame.height == 0:
        sheet.append(["(nothing falls due in the window)"])
        return
    red = book.fmt({**RED, "valign": "top"})
    _write_rows(
        sheet,
        frame,
        names,
        [WRAP if c[3] else None for c in DUE_LAYOUT],
        overrides={
            names.index("status"): (
                pl.when(pl.col("days_until_due") < 0).then(pl.lit("overdue")),
                {"overdue": red},
            )
        },
        null_text={"last_event": "none recorded", "supervisor_id": "(none recorded)"},
        heights=row_heights(frame, {c[0]: c[2] for c in DUE_LAYOUT if c[3]}),
    )


def write_workbook(
    run: Any,
    path: Path,
    argv: Sequence[str] | None = None,
    trend: list[dict[str, Any]] | None = None,
    due_within: Any = None,
) -> Path:
    """Write the audit workbook for an AuditRun, atomically; the Due sheet lists who falls
    due within `due_within` (a dates.Interval; DUE_WITHIN unless given) of the audit date."""
    result = run.result
    scopes = ("children", "staff") if result.scope == "all" else (result.scope,)
    frames = {
        "Children findings": result.findings.filter(pl.col("scope") == "children"),
        "Staff findings": result.findings.filter(pl.col("scope") == "staff"),
    }
    planned = {
        base: [base] + [f"{base} ({k + 1})" for k in range(1, -(-frame.height // MAX_DATA_ROWS))]
        for base, frame in frames.items()
    }
    supervisors = _worker_supervisors(run, result)
    with open_book(Path(path)) as book:
        _summary(book, run, result, planned)
        if trend:  # a batch's change since its previous run, next to the Summary
            _trend(book, result, trend)
        if "children" in scopes:
            write_findings(
                book, "Children findings", frames["Children findings"], result.as_of, supervisors
            )
        if "staff" in scopes:
            write_findings(book, "Staff findings", frames["Staff findings"], result.as_of)
        _due(book, run, result, due_within)
        with_names = not (result.summary.get("pseudonymised") or result.summary.get("no_names"))
        _by_worker(book, run, result, with_names)
        _by_supervisor(book, run, result)
        _data_issues(book, result)
        _mapping(book, run, result)
        _rules(book, run, result)
        if (result.summary.get("trend") or {}).get("points"):
            _monthly_trend(book, result)
        _about(book, result, argv)
    return Path(path)


def _worker_supervisors(run: Any, result: Any) -> pl.DataFrame | None:
    """worker_id -> supervisor_id (pseudonymised like the findings when they are)."""
    workers = run.context.tables.get("workers")
    if workers is None:
        return None
    frame = workers.select("worker_id", "supervisor_id")
    if result.summary.get("pseudonymised") and run.privacy_key is not None:
        from .privacy import pseudonymise_frame

        frame = pseudonymise_frame(frame, run.privacy_key)
    return frame


def _mapping(book: Book, run: Any, result: Any) -> None:
    """How an export profile read the files (only when one did)."""
    report = getattr(getattr(run, "data", None), "mapping", None)
    if report is None:
        return
    from ..sources.profiles import mapping_frame

    sheet = Sheet(book, "Mapping", result.as_of)
    sheet.append([sheet.cell(f"Source: {result.source_note}", font=BOLD)])
    frame = mapping_frame(report)
    _plain_table(sheet, frame, frame.columns)


def _trend(book: Book, result: Any, rows: list[dict[str, Any]]) -> None:
    sheet = Sheet(book, "Trend", result.as_of)
    names = list(rows[0].keys()) if rows else ["metric", "previous", "current", "change"]
    frame = pl.DataFrame(rows) if rows else pl.DataFrame(schema={n: pl.String for n in names})
    _plain_table(sheet, frame, names)


def _monthly_trend(book: Book, result: Any) -> None:
    """`--trend N`: per month end, the % with no outstanding breach (children, carers, staff)
    as an audit as of that day reports it, with a line chart; then the same by team."""
    points = result.summary["trend"]["points"]
    sheet = Sheet(book, "Monthly trend", result.as_of)
    groups = [g for g in ("children", "carers", "staff") if any(p.get(g) for p in points)]
    labels = {"children": "Children", "carers": "Carers", "staff": "Staff"}
    names = ["Month end"]
    for g in groups:
        names += [f"{labels[g]} open", f"{labels[g]} % no breach"]
    widths = [14] + [14, 16] * len(groups)
    for i, width in enumerate(widths):
        sheet.ws.set_column(i, i, width)
    sheet.header(names, widths)
    sheet.ws.freeze_panes(1, 0)
    first = sheet.rows
    for p in points:
        row: list[Any] = [dt.date.fromisoformat(p["month_end"])]
        for g in groups:
            figures = p.get(g) or {}
            opened = figures.get("open_at_as_of", figures.get("active_at_as_of"))
            row += [opened, figures.get("compliance_pct")]
        sheet.append(row)
    last = sheet.rows - 1
    chart = book.wb.add_chart({"type": "line"})
    for k, g in enumerate(groups):
        col = 2 + 2 * k
        chart.add_series(
            {
                "name": f"{labels[g]}: % with no outstanding breach",
                "categories": [sheet.title, first, 0, last, 0],
                "values": [sheet.title, first, col, last, col],
                "marker": {"type": "circle", "size": 5},
                "data_labels": {"value": True, "position": "above", "num_format": "0"}
                if k == 0
                else {},
            }
        )
    chart.set_title(
        {"name": "% with no outstanding breach at each month end", "name_font": {"size": 11}}
    )
    chart.set_y_axis({"min": 0, "max": 100, "name": "%"})
    chart.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 340})
    sheet.ws.insert_chart(sheet.rows + 1, 0, chart)
    sheet.rows += 19
    for key, title in (("by_team", "Children and carers"), ("staff_by_team", "Staff")):
        teams = sorted({t["team"] for p in points for t in (p.get(key) or [])})
        if not teams:
            continue
        sheet.append([])
        sheet.append([sheet.cell(f"{title}: % with no outstanding breach, by team", font=BOLD)])
        sheet.header(["Month end", *teams], [14] + [16] * len(teams))
        for p in points:
            pct = {t["team"]: t["compliance_pct"] for t in (p.get(key) or [])}
            sheet.append([dt.date.fromisoformat(p["month_end"]), *[pct.get(t) for t in teams]])


PAGE_WIDTH = 125.0  # column-width units printed legibly across a landscape A4 page
_WORDS = {"id": "ID", "12m": "(12 months)", "dob": "date of birth"}


def human_header(name: str) -> str:
    """A machine column name as a printed header: 'days_since_supervision' -> 'Days since
    supervision', 'subject_id' -> 'Subject ID'; a header already in words is kept."""
    if " " in name or name != name.lower():
        return name[:1].upper() + name[1:]
    words = [_WORDS.get(w, w) for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _print_across(sheet: Sheet, widths: Sequence[float], names: Sequence[str]) -> None:
    """A table too wide for one legible landscape page prints across as many pages as it
    needs (not squeezed to one at a few points), each repeating the columns up to the
    subject's ID so every page says whose row it is."""
    total = sum(widths)
    if total <= PAGE_WIDTH:
        return
    keys = names.index("subject_id") + 1 if "subject_id" in names[:4] else 0
    repeated = sum(widths[:keys]) if keys and sum(widths[:keys]) <= PAGE_WIDTH / 3 else 0.0
    if repeated:
        sheet.ws.repeat_columns(0, keys - 1)
    pages = -(-(total - repeated) // (PAGE_WIDTH - repeated))
    sheet.ws.fit_to_pages(int(pages), 0)
    sheet.ws.print_across()  # a row's pages one after another, then the next rows


def write_table_workbook(
    frame: pl.DataFrame, path: Path, *, sheet: str, about: dict[str, str]
) -> Path:
    """One table (a due list, a sample with its checklist) and an About sheet, atomically:
    headers in words, frozen and printed on every page, landscape, at a readable size (as
    many pages across as it needs, the subject's ID repeated on each)."""
    as_of = dt.date.fromisoformat(about.get("as_of", dt.date.today().isoformat()))
    names = list(frame.columns)
    headers = [human_header(n) for n in names]
    with open_book(Path(path)) as book:
        table = Sheet(book, sheet, as_of)
        _print_across(table, _plain_table(table, frame, names, headers=headers), names)
        info = Sheet(book, "About", as_of)
        labels = [human_header(str(k)) for k in about]
        widths2 = (min(40.0, max([22.0, *(len(k) + 2.0 for k in labels)])), 80.0)
        info.widths(widths2)
        for label, v in zip(labels, about.values(), strict=True):
            text = str(v)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # the audit date, as everywhere
                text = f"{dt.date.fromisoformat(text):%d/%m/%Y}"
            _grid_row(info, widths2, [(0, 0, label), (1, 1, text)], None)
    return Path(path)
