"""One neutraliser for every writer (CSV, xlsx): text from input data can never become a
formula (OWASP ASVS 5.0 1.2.10, CWE-1236).

A text value is formula-like when it starts with = + - @, a tab, CR, LF or NUL, or the
full-width forms of = + - @. In CSV such a value gets a leading apostrophe; in xlsx it stays
the exact text in a string cell with Excel's quote prefix. Numbers and dates are never
touched: only String columns pass through here.
"""

from __future__ import annotations

import re

import polars as pl

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "＝", "＋", "－", "＠")
_TRIGGER_RE = "^[=+\\-@\t\r\n\x00＝＋－＠]"
ERROR_CODES = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NULL!", "#NAME?", "#NUM!", "#GETTING_DATA")
XLSX_MAX_CHARS = 32_767
# XML 1.0 forbids these control characters; openpyxl raises (quoting the value) on them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ILLEGAL_EXPR = "[\x00-\x08\x0b\x0c\x0e-\x1f]"


def is_formula_like(value: str) -> bool:
    return bool(value) and value.startswith(TRIGGERS)


def neutralise(value: str) -> str:
    """For CSV: prefix an apostrophe to a formula-like value."""
    return "'" + value if is_formula_like(value) else value


def neutralise_expr(expr: pl.Expr) -> pl.Expr:
    """neutralise() over a whole String column."""
    return pl.when(expr.str.contains(_TRIGGER_RE)).then(pl.lit("'") + expr).otherwise(expr)


def strip_control(value: str) -> str:
    """Remove control characters that XML (and so xlsx) cannot hold; keeps tab, CR, LF."""
    return _ILLEGAL.sub("", value)


def clean_text_expr(expr: pl.Expr) -> pl.Expr:
    """For xlsx, over a column: illegal control characters removed, over-long text cut with
    a marker (Excel holds at most 32,767 characters in a cell and openpyxl would cut it
    silently)."""
    cleaned = expr.str.replace_all(_ILLEGAL_EXPR, "")
    n = cleaned.str.len_chars()
    marker = pl.format(" [cut: {} characters]", n)
    return (
        pl.when(n > XLSX_MAX_CHARS)
        .then(cleaned.str.slice(0, XLSX_MAX_CHARS - 40) + marker)
        .otherwise(cleaned)
    )


def needs_quote_prefix_expr(expr: pl.Expr) -> pl.Expr:
    """True where an xlsx cell must be forced to a quote-prefixed string: formula-like text,
    Excel error literals (#N/A...) and array-formula text ({=...})."""
    return (
        expr.str.contains(_TRIGGER_RE)
        | expr.str.strip_chars().str.to_uppercase().is_in(list(ERROR_CODES))
        | expr.str.starts_with("{=")
    )


# Terminal text ---------------------------------------------------------------------------
# Input data goes to the terminal as plain text: markup is never interpreted (see
# report.terminal.SafeConsole), and characters that a terminal would act on instead of
# showing are replaced one for one by a visible marker: C0 controls by their Unicode
# control pictures (ESC shows as ␛), DEL as ␡, C1 controls, line/paragraph separators and
# bidirectional overrides as ␦. Tab and newline are kept.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def _marker(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return "\u2426"


def visible(text: str) -> str:
    """`text` with every control, escape, separator and bidi-override character replaced
    by one visible marker (same length, so styled spans stay in place)."""
    return _INVISIBLE.sub(_marker, text) if _INVISIBLE.search(text) else text
