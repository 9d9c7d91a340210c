"""Parsing text tables into typed canonical tables, one Polars expression per column kind.

Dates are ISO or day-first UK (never US order), with any time part dropped; every value
present but unreadable becomes a data issue with file, row, column and reason, and its row
is left out (or, for a column no rule reads, kept with a warning). Repeating columns (dates,
categories, flags) are parsed once per distinct text and looked up per row. Values of
personal columns never appear in issues.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from typing import Any

import polars as pl
from polars._typing import PolarsDataType

from ..dates import COLLECT_ENGINE
from ..findings import ISSUE_SCHEMA, empty_issues
from .headers import match_headers
from .read import FILE_COL, MISFIT, PROVENANCE, ROW, SRC_ROW, RawTable
from .reconcile import LoadedData, LoadedTable
from .schema import TABLES, Column, TableSpec

WITHHELD = "[withheld: personal data]"


MISFIT_REASON = (
    "the row does not fit the header (a field missing, or a value past the last column): "
    "its values may be in the wrong columns, so the row is left out and none is shown"
)


TRUE_WORDS = ("y", "yes", "true", "t", "1")


FALSE_WORDS = ("n", "no", "false", "f", "0")


ISO_DATE = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"


UK_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"


SERIAL = r"^\d{1,5}(?:\.0+)?$"


DATE_REASON = "not a date (expected YYYY-MM-DD or DD/MM/YYYY)"


EARLIEST_DATE = dt.date(1900, 1, 1)
"""No date in these records comes before it: an earlier one is a typed year ('0202', or a
two-digit year such as '25-01-06' read as the year 25)."""


def _norm_enum(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_uppercase().str.replace_all(r"[\s\-]+", "_")


def _apply_map(expr: pl.Expr, mapping: dict[str, str] | None) -> pl.Expr:
    if not mapping:
        return expr
    keys = {k.strip().lower(): v for k, v in mapping.items()}
    lowered = expr.str.strip_chars().str.to_lowercase()
    return (
        pl.when(lowered.is_in(list(keys)))
        .then(lowered.replace_strict(keys, default=None, return_dtype=pl.String))
        .otherwise(expr)
    )


def parse_date_expr(text: pl.Expr, *, serials: bool) -> pl.Expr:
    """ISO or day-first UK text (a time part is dropped); Excel serials when `serials`."""
    t = text.str.strip_chars()
    iso = t.str.extract_groups(ISO_DATE)
    uk = t.str.extract_groups(UK_DATE)

    def build(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
        return pl.concat_str([y, m.str.zfill(2), d.str.zfill(2)], separator="-").str.to_date(
            "%Y-%m-%d", strict=False
        )

    parsed = pl.coalesce(
        build(iso.struct.field("1"), iso.struct.field("2"), iso.struct.field("3")),
        build(uk.struct.field("3"), uk.struct.field("2"), uk.struct.field("1")),
    )
    if serials:
        number = t.str.extract(r"^(\d{1,5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
        # 1900 date system: serial 60 is the fictitious 29 Feb 1900; serials 1-59 are one
        # day off relative to later ones. Only serials after 60 are accepted.
        serial_date = pl.when(number > 60).then(
            (pl.lit(-25569, pl.Int64) + number).cast(pl.Int32).cast(pl.Date)
        )
        parsed = pl.coalesce(parsed, serial_date)
    return parsed


def fast_date_expr(text: pl.Expr) -> pl.Expr:
    """Polars' native parsers for plain YYYY-MM-DD and DD/MM/YYYY (ten characters, so a
    two-digit year can never be read as year 0024); null for anything else."""
    t = text.str.strip_chars()
    uk = (t.str.len_bytes() == 10) & (t.str.slice(2, 1) == "/") & (t.str.slice(5, 1) == "/")
    return pl.coalesce(
        t.str.to_date("%Y-%m-%d", strict=False),
        pl.when(uk).then(t.str.to_date("%d/%m/%Y", strict=False)),
    )


def id_expr(text: pl.Expr) -> pl.Expr:
    """An ID as text: trimmed, and '123.0' (a number stored by Excel) read as '123'; leading
    zeros are kept."""
    s = text.str.strip_chars()
    return (
        pl.when(s.str.ends_with(".0") & s.str.contains(r"^\d+\.0+$"))
        .then(s.str.replace(r"\.0+$", ""))
        .otherwise(s)
    )


def _parse_column(
    col: Column, text: pl.Expr, value_maps: dict[str, dict[str, str]], serials: bool
) -> tuple[pl.Expr, pl.Expr | None, str]:
    """(parsed value, failure mask (present but unparseable), reason)."""
    present = text.is_not_null() & (text.str.strip_chars() != "")
    if col.kind == "id":
        return pl.when(present).then(id_expr(text)), None, ""
    if col.kind == "text":
        return pl.when(present).then(text.str.strip_chars()), None, ""
    if col.kind == "date":
        # Fast path here; the rare values it cannot read get parse_date_expr in parse_table.
        value = fast_date_expr(text)
        return value, present & value.is_null(), DATE_REASON
    if col.kind == "enum":
        value = _norm_enum(_apply_map(text, value_maps.get(col.name)))
        ok = value.is_in(list(col.choices))
        reason = f"unknown {col.name.replace('_', ' ')} (expected one of: {', '.join(col.choices)})"
        parsed: pl.Expr = pl.when(present & ok).then(value)
        if col.default is not None:
            parsed = pl.when(present).then(parsed).otherwise(pl.lit(col.default))
        return parsed, present & ~ok, reason
    if col.kind == "flags":
        mapping = value_maps.get(col.name) or {}
        parts = text.fill_null("").str.replace_all(",", ";", literal=True).str.split(";")
        keys = {k.strip().lower(): v for k, v in mapping.items()}
        cleaned = parts.list.eval(
            pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != "")
        )
        if keys:
            cleaned = cleaned.list.eval(
                pl.when(pl.element().str.to_lowercase().is_in(list(keys)))
                .then(
                    pl.element()
                    .str.to_lowercase()
                    .replace_strict(keys, default=None, return_dtype=pl.String)
                )
                .otherwise(pl.element())
            )
        normed = cleaned.list.eval(_norm_enum(pl.element()))
        bad = normed.list.eval(~pl.element().is_in(list(col.choices))).list.any()
        value = normed.list.unique().list.sort()
        reason = f"unknown flag (expected any of: {', '.join(col.choices)}, separated by ';')"
        return value, present & bad.fill_null(False), reason
    if col.kind == "bool":
        low = text.str.strip_chars().str.to_lowercase()
        default = None if col.default is None else col.default.lower() in TRUE_WORDS
        value = (
            pl.when(low.is_in(list(TRUE_WORDS)))
            .then(True)
            .when(low.is_in(list(FALSE_WORDS)))
            .then(False)
            .when(~present)
            .then(pl.lit(default, pl.Boolean))
        )
        bad = present & ~low.is_in(list(TRUE_WORDS + FALSE_WORDS))
        return value, bad, "not a yes/no value (expected Y/N, Yes/No, TRUE/FALSE or 1/0)"
    if col.kind == "int":
        s = text.str.strip_chars()
        value = s.str.extract(r"^(-?\d+)(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
        return value, present & value.is_null(), "not a whole number"
    if col.kind == "number":
        value = text.str.strip_chars().cast(pl.Float64, strict=False)
        return value, present & value.is_null(), "not a number"
    raise ValueError(f"unknown column kind {col.kind}")


def _empty_typed(col: Column) -> pl.Expr:
    types: dict[str, PolarsDataType] = {
        "date": pl.Date,
        "bool": pl.Boolean,
        "int": pl.Int64,
        "number": pl.Float64,
        "flags": pl.List(pl.String),
    }
    dtype = types.get(col.kind, pl.String)
    if col.kind == "flags":
        return pl.lit([], dtype=pl.List(pl.String))
    if col.default is not None:
        if col.kind == "bool":
            return pl.lit(col.default.lower() in TRUE_WORDS, pl.Boolean)
        return pl.lit(col.default, dtype)
    return pl.lit(None, dtype)


def _issue_frame(
    frame: pl.DataFrame,
    mask: str,
    table: str,
    file: str,
    column: str,
    value: pl.Expr,
    reason: str | pl.Expr,
    action: str = "rejected",
) -> pl.DataFrame:
    rows = frame.filter(pl.col(mask))
    if rows.height == 0:
        return empty_issues()
    mapped = FILE_COL in rows.columns
    if MISFIT in rows.columns:  # a row that does not fit the header: any value may be personal
        value = pl.when(pl.col(MISFIT)).then(pl.lit(WITHHELD)).otherwise(value.cast(pl.String))
    return rows.select(
        table=pl.lit(table),
        file=pl.col(FILE_COL) if mapped else pl.lit(file),
        row=pl.col(SRC_ROW) if mapped else pl.col(ROW),
        column=pl.lit(column),
        value=value.cast(pl.String),
        reason=reason if isinstance(reason, pl.Expr) else pl.lit(reason),
        action=pl.lit(action),
    ).cast(ISSUE_SCHEMA)  # type: ignore[arg-type]


def _slow_dates(
    parsed: pl.DataFrame, to_raw: dict[str, str], checks: list[tuple], serials: bool
) -> pl.DataFrame:
    """Re-read, with the full parser, only the date cells the fast path left unread
    (times, one-digit days, Excel serials); clear their failure flags where it succeeds."""
    for name, _m, col, _reason, src in checks:
        if col.kind != "date" or not name.startswith(("_bad_", "_warn_")):
            continue
        todo = parsed.filter(pl.col(name))
        if todo.height == 0:
            continue
        fixed = todo.select(
            pl.col(ROW), parse_date_expr(pl.col(src), serials=serials).alias("_slow")
        ).filter(pl.col("_slow").is_not_null())
        if fixed.height == 0:
            continue
        parsed = (
            parsed.join(fixed, on=ROW, how="left")
            .with_columns(
                pl.coalesce(col.name, "_slow").alias(col.name),
                (pl.col(name) & pl.col("_slow").is_null()).alias(name),
            )
            .drop("_slow")
        )
    return parsed


def _confirm_duplicates(
    parsed: pl.DataFrame, raw_cols: list[str], repeats: pl.DataFrame
) -> pl.DataFrame:
    """The later copies among rows sharing a hash (`repeats`: ROW, _hash), kept only where
    every raw cell equals the first copy's, so a hash collision can never drop a row.
    Returns the duplicates' provenance columns, _first (its ROW) and _first_shown (the row
    number a reader sees: the first copy's own line in its file)."""
    shown = SRC_ROW if SRC_ROW in parsed.columns else ROW
    provenance = [c for c in PROVENANCE if c in parsed.columns]
    empty = (
        parsed.select(*provenance)
        .clear()
        .with_columns(_first=pl.lit(None, pl.Int64), _first_shown=pl.lit(None, pl.Int64))
    )
    if repeats.height == 0:
        return empty
    cand = repeats.with_columns(_first=pl.col(ROW).min().over("_hash")).filter(
        pl.col(ROW) != pl.col("_first")
    )
    if cand.height == 0:
        return empty
    rows = parsed.filter(pl.col(ROW).is_in(repeats[ROW].implode())).select(*provenance, *raw_cols)
    firsts = rows.select(
        pl.col(ROW).alias("_first"),
        pl.col(shown).alias("_first_shown"),
        *[pl.col(c).alias(f"_f_{c}") for c in raw_cols],
    )
    same = (
        cand.select(ROW, "_first")
        .join(rows, on=ROW)
        .join(firsts, on="_first")
        .filter(pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"_f_{c}")) for c in raw_cols))
    )
    return same.select(*provenance, "_first", "_first_shown")


DISTINCT_KINDS = {
    "date": pl.Date(),
    "enum": pl.String(),
    "bool": pl.Boolean(),
    "flags": pl.List(pl.String()),
}


DISTINCT_LIMIT = 2_000_000
"""Dates, categories and flags repeat: a column of a million cells holds a few thousand
distinct texts. Those are parsed once each and looked up per row (a hash lookup instead of
string work on every cell)."""


def _by_distinct(
    frame: pl.DataFrame,
    src: str,
    col: Column,
    value: pl.Expr,
    bad: pl.Expr | None,
    serials: bool,
) -> tuple[pl.Expr, pl.Expr | None]:
    """(value, bad) computed on the distinct cell texts, then looked up for every row; the
    full date parser runs here too, since it only sees the distinct texts."""
    distinct = frame.select(pl.col(src).unique().drop_nulls())
    if distinct.height > min(DISTINCT_LIMIT, frame.height // 4):
        return value, bad
    text = pl.col(src)
    if col.kind == "date":
        value = pl.coalesce(fast_date_expr(text), parse_date_expr(text, serials=serials))
        present = text.is_not_null() & (text.str.strip_chars() != "")
        bad = present & value.is_null()
    flag = bad if bad is not None else pl.lit(False)
    dtype = DISTINCT_KINDS[col.kind]
    table = distinct.select(text, _v=value.cast(dtype), _b=flag.fill_null(False))
    on_null = pl.DataFrame({src: [None]}, schema={src: pl.String}).select(
        _v=value.cast(dtype), _b=flag.fill_null(False)
    )
    v_null, b_null = on_null.row(0)
    if col.kind == "flags":  # a list per text: looked up by its position in the table
        at = pl.Series(range(table.height), dtype=pl.UInt32)
        position = text.replace_strict(table[src], at, default=None, return_dtype=pl.UInt32)
        looked = pl.lit(table["_v"]).gather(position)
    else:
        looked = text.replace_strict(table[src], table["_v"], default=None, return_dtype=dtype)
    new_value = pl.when(text.is_null()).then(pl.lit(v_null, dtype)).otherwise(looked)
    if bad is None:
        return new_value, None
    flagged = text.replace_strict(table[src], table["_b"], default=False, return_dtype=pl.Boolean)
    return new_value, pl.when(text.is_null()).then(pl.lit(b_null)).otherwise(flagged)


def _drop_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows whose every cell is empty or whitespace. Only rows whose cells are all missing,
    empty or start with a space, tab or return can be blank, so the exact (allocating)
    check runs on those few rows only; the first cell alone rules out most rows."""
    cells = [pl.col(c) for c in frame.columns if c not in PROVENANCE]
    if not cells:
        return frame

    def could_be(c: pl.Expr) -> pl.Expr:
        return (
            c.is_null()
            | (c.str.len_bytes() == 0)
            | c.str.starts_with(" ")
            | c.str.starts_with("\t")
            | c.str.starts_with("\r")
        )

    maybe = frame.filter(could_be(cells[0]))
    if maybe.height:
        maybe = maybe.filter(pl.all_horizontal([could_be(c) for c in cells[1:]] or [True]))
    if maybe.height == 0:
        return frame
    blank = maybe.filter(
        pl.all_horizontal([(c.is_null() | (c.str.strip_chars() == "")) for c in cells])
    )
    if MISFIT in blank.columns:  # a misfit row, emptied by a profile, is still a row
        blank = blank.filter(~pl.col(MISFIT))
    if blank.height == 0:
        return frame
    return frame.filter(~pl.col(ROW).is_in(blank[ROW].implode()))


def row_hash(columns: list[str]) -> pl.Expr:
    """One 64-bit hash per row from each column's own hash (order-sensitive); about ten times
    faster than hashing a struct of text columns. Equal rows always hash equal; a collision
    is possible, so callers confirm cell by cell."""
    return reduce(
        lambda a, b: (a * 31).xor(b), [pl.col(c).hash(seed=i + 1) for i, c in enumerate(columns)]
    )


def _implausible_dates(
    parsed: pl.DataFrame,
    spec: TableSpec,
    to_raw: dict[str, str],
    file: str,
    dates_until: dt.date | None,
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Dates that parse but cannot be true (before 1900, or after `dates_until`: a year past
    both the audit date and today) are data issues, not data: the row is rejected (a column
    no rule reads keeps its row, with the value dropped and a warning)."""
    issues = []
    for col in spec.columns:
        if col.kind != "date" or col.name not in to_raw:
            continue
        early = pl.col(col.name) < pl.lit(EARLIEST_DATE)
        late = pl.col(col.name) > pl.lit(dates_until) if dates_until else pl.lit(False)
        name = f"_implausible_{col.name}"
        bad = (~pl.col("_rejected") & (early | late)).fill_null(False)
        parsed = parsed.with_columns(bad.alias(name))
        if col.name == "date":
            parsed = parsed.with_columns(
                _too_late=pl.when(pl.col(name) & ~early).then(pl.col(col.name)).min()
            )
        reason = (
            pl.when(early)
            .then(pl.lit("implausible date: before 1900 (a mistyped or two-digit year?)"))
            .otherwise(pl.lit("implausible date: more than a year after the audit date and today"))
        )
        value = pl.lit(WITHHELD) if col.personal else pl.col(to_raw[col.name])
        if col.evaluated:
            issues.append(_issue_frame(parsed, name, spec.name, file, col.name, value, reason))
            parsed = parsed.with_columns(_rejected=pl.col("_rejected") | pl.col(name))
        else:
            issues.append(
                _issue_frame(
                    parsed,
                    name,
                    spec.name,
                    file,
                    col.name,
                    value,
                    reason + pl.lit("; value ignored"),
                    action="warning",
                )
            )
            parsed = parsed.with_columns(
                pl.when(pl.col(name)).then(None).otherwise(pl.col(col.name)).alias(col.name)
            )
    return parsed, issues


def parse_table(
    raw: RawTable,
    spec: TableSpec,
    value_maps: dict[str, dict[str, str]],
    *,
    serials: bool,
    known: dict[str, Any],
    dates_until: dt.date | None = None,
) -> tuple[LoadedTable, pl.DataFrame]:
    to_raw, header_map, extra = match_headers(raw.headers, raw.file, spec)
    frame = raw.frame
    # Rows whose every cell is empty are not data (blank lines); they are not counted.
    frame = _drop_blank_rows(frame)
    rows_read = frame.height
    exprs, fails, warns, issues = [], [], [], []
    if MISFIT in frame.columns and frame[MISFIT].any():
        # A row that does not fit the header (sources.fit): its values may sit in any
        # column, so it is rejected whole, with one issue and nothing of it shown.
        issues.append(
            _issue_frame(frame, MISFIT, spec.name, raw.file, "", pl.lit(WITHHELD), MISFIT_REASON)
        )
        frame = frame.filter(~pl.col(MISFIT))
    for col in spec.columns:
        src = to_raw.get(col.name)
        if src is None:
            exprs.append(_empty_typed(col).alias(col.name))
            continue
        value, bad, reason = _parse_column(col, pl.col(src), value_maps, serials)
        if col.kind == "id" and not frame[src].str.contains(".0", literal=True).any():
            # No cell holds ".0", so none is a number stored as text ('123.0'): the
            # repair's regular expressions would only cost time on every cell.
            text = pl.col(src)
            present = text.is_not_null() & (text.str.strip_chars() != "")
            value = pl.when(present).then(text.str.strip_chars())
        if col.kind in DISTINCT_KINDS:
            value, bad = _by_distinct(frame, src, col, value, bad, serials)
        if col.bounds is not None:  # negative or absurd numbers: an issue, never used
            lo, hi = col.bounds
            outside = value.is_not_null() & ((value < lo) | (value > hi))
            reason_out = f"outside {lo} to {hi}; value ignored"
            warns.append((f"_warn_range_{col.name}", outside, col, reason_out, src))
            value = pl.when(outside).then(None).otherwise(value)
        exprs.append(value.alias(col.name))
        if col.required:
            missing = pl.col(src).is_null() | (pl.col(src).str.strip_chars() == "")
            fails.append((f"_miss_{col.name}", missing, col, "required value missing", src))
        if bad is not None:
            if col.evaluated:
                fails.append((f"_bad_{col.name}", bad, col, reason, src))
            else:
                warns.append((f"_warn_{col.name}", bad, col, f"{reason}; value ignored", src))
    # Lazy, so Polars computes each shared sub-expression (a stripped column, say) once.
    parsed = (
        frame.lazy()
        .select(
            *[pl.col(c) for c in PROVENANCE if c in frame.columns],
            *[pl.col(c) for c in to_raw.values()],
            *[m.alias(name) for name, m, *_ in fails + warns],
            *exprs,
        )
        .collect(engine=COLLECT_ENGINE)
    )
    parsed = _slow_dates(parsed, to_raw, fails + warns, serials)
    for name, _m, col, reason, src in fails + warns:
        value = pl.lit(WITHHELD) if col.personal else pl.col(src)
        action = "warning" if name.startswith("_warn_") else "rejected"
        issues.append(
            _issue_frame(parsed, name, spec.name, raw.file, col.name, value, reason, action=action)
        )
    bad_cols = [name for name, *_ in fails]
    rejected = (
        pl.any_horizontal([pl.col(n).fill_null(False) for n in bad_cols])
        if bad_cols
        else pl.lit(False)
    )
    parsed = parsed.with_columns(_rejected=rejected)
    parsed, implausible = _implausible_dates(parsed, spec, to_raw, raw.file, dates_until)
    issues += implausible

    # Table checks on rows that parsed.
    ok = ~pl.col("_rejected")
    if "end_not_before_start" in spec.checks:
        cond = ok & pl.col("end_date").is_not_null() & (pl.col("end_date") < pl.col("start_date"))
        parsed = parsed.with_columns(_chk_end=cond)
        value = pl.col(to_raw["end_date"]) if "end_date" in to_raw else pl.lit(None, pl.String)
        issues.append(
            _issue_frame(
                parsed,
                "_chk_end",
                spec.name,
                raw.file,
                "end_date",
                value,
                "end date is before the start date",
            )
        )
        parsed = parsed.with_columns(_rejected=pl.col("_rejected") | pl.col("_chk_end"))
    for check, key, parent in (
        ("person_has_episode", "person_id", "episodes"),
        ("worker_exists", "worker_id", "workers"),
    ):
        if check in spec.checks and parent in known:
            used_ids, all_ids = known[parent]
            cond = (
                ~pl.col("_rejected")
                & pl.col(key).is_not_null()
                & ~pl.col(key).is_in(used_ids.implode())
            )
            parsed = parsed.with_columns(_chk_parent=cond)
            if parent == "episodes":
                what = (
                    pl.when(pl.col(key).is_in(all_ids.implode()))
                    .then(pl.lit("every episode row of this person was rejected (see episodes)"))
                    .otherwise(pl.lit("no episode for this person"))
                )
            else:
                what = (
                    pl.when(pl.col(key).is_in(all_ids.implode()))
                    .then(pl.lit("this worker's row was rejected (see workers)"))
                    .otherwise(pl.lit("no such worker in workers"))
                )
            issues.append(
                _issue_frame(parsed, "_chk_parent", spec.name, raw.file, key, pl.col(key), what)
            )
            parsed = parsed.with_columns(_rejected=pl.col("_rejected") | pl.col("_chk_parent"))
    if "unique_worker_id" in spec.checks:
        first = pl.col(ROW).min().over(pl.col("worker_id"), ~pl.col("_rejected"))
        cond = ~pl.col("_rejected") & pl.col("worker_id").is_not_null() & (pl.col(ROW) != first)
        parsed = parsed.with_columns(_first=first).with_columns(_chk_dup=cond)
        issues.append(
            _issue_frame(
                parsed,
                "_chk_dup",
                spec.name,
                raw.file,
                "worker_id",
                pl.col("worker_id"),
                pl.format("worker_id repeated (first on row {})", "_first"),
            )
        )
        parsed = parsed.with_columns(_rejected=pl.col("_rejected") | pl.col("_chk_dup"))
    if spec.dedupe:
        raw_cols = list(to_raw.values())
        # One 64-bit hash per row instead of a window over every text column; a duplicate
        # is then confirmed cell by cell, so a hash collision can never drop a row.
        hashed = parsed.select(ROW, _hash=row_hash(raw_cols), _ok=~pl.col("_rejected"))
        # Only rows whose hash repeats among the kept rows can be duplicates: usually few.
        # Sorted, a repeated hash sits next to its twin: cheaper than a hash table of them.
        same_as = pl.col("_hash") == pl.col("_hash").shift(1)
        repeats = (
            hashed.with_row_index("_pos")
            .filter(pl.col("_ok"))
            .sort("_hash")
            .filter(same_as.fill_null(False) | same_as.shift(-1).fill_null(False))
            .sort("_pos")
            .drop("_pos")
        )
        dups = _confirm_duplicates(parsed, raw_cols, repeats)
        parsed = parsed.with_columns(_chk_same=pl.col(ROW).is_in(dups[ROW].implode()))
        issues.append(
            _issue_frame(
                dups.with_columns(_chk_same=pl.lit(True)),
                "_chk_same",
                spec.name,
                raw.file,
                "",
                pl.lit(None, pl.String),
                pl.format("exact duplicate of row {}", "_first_shown"),
                action="counted once",
            )
        )
        parsed = parsed.with_columns(_rejected=pl.col("_rejected") | pl.col("_chk_same"))

    used = parsed.filter(~pl.col("_rejected")).select(
        [pl.col(c.name) for c in spec.columns] + [pl.col(ROW)]
    )
    too_late = parsed["_too_late"][0] if "_too_late" in parsed.columns and parsed.height else None
    provenance = (
        parsed.filter(~pl.col("_rejected")).select(ROW, FILE_COL, SRC_ROW)
        if FILE_COL in parsed.columns
        else None
    )
    seen_ids = (
        parsed.select(pl.col(to_raw[PARENT_KEY[spec.name]]).str.strip_chars().alias("id"))["id"]
        if spec.name in PARENT_KEY and PARENT_KEY[spec.name] in to_raw
        else None
    )
    table = LoadedTable(
        name=spec.name,
        file=raw.file,
        frame=used,
        columns_present=set(to_raw),
        header_map=header_map,
        extra_columns=extra,
        rows_read=rows_read,
        rows_rejected=rows_read - used.height,
        size_bytes=raw.size_bytes,
        sha256=raw.sha256,
        provenance=provenance,
        earliest_too_late=too_late,
    )
    all_issues = pl.concat(issues, how="vertical") if issues else empty_issues()
    if seen_ids is not None:
        known[f"_all_{spec.name}"] = seen_ids.drop_nulls().unique()
    return table, all_issues


ORDER = (
    "episodes",
    "workers",
    "case_events",
    "worker_sessions",
    "worker_events",
    "team_events",
    "absences",
)


PARENT_KEY = {"episodes": "person_id", "workers": "worker_id"}


def load_tables(
    raws: dict[str, RawTable],
    path: str,
    value_maps: dict[str, dict[str, str]],
    *,
    serials: bool,
    order: tuple[str, ...] = ("table", "file", "row", "column"),
    dates_until: dt.date | None = None,
) -> LoadedData:
    """Parse each table's raw text (in ORDER, so a child table can check its parent's keys)
    into a LoadedData: the one per-table loop both the canonical and the profile loaders use."""
    data = LoadedData(path=path)
    known: dict[str, Any] = {}
    issue_frames = []
    for name in [t for t in ORDER if t in raws]:
        table, issues = parse_table(
            raws[name], TABLES[name], value_maps, serials=serials, known=known,
            dates_until=dates_until,
        )  # fmt: skip
        data.tables[name] = table
        issue_frames.append(issues)
        if name in PARENT_KEY:
            known[name] = (
                table.frame[PARENT_KEY[name]].unique(),
                known.pop(f"_all_{name}", table.frame[PARENT_KEY[name]].unique()),
            )
    if issue_frames:
        data.issues = pl.concat(issue_frames, how="vertical").sort(*order)
    return data
