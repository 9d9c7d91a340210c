"""Mapping export files into the canonical tables: columns, fixed values, filters, value maps,
the persons/allocations/staff lookups; then the canonical parser validates every row.

Nothing is dropped silently: every row a filter or an unmapped value leaves out is counted
in the mapping report, with the distinct values and what each mapped to, and every row kept
keeps its own file and line for the data-issue report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ...errors import InputError
from ..headers import norm_header
from ..parse import id_expr, load_tables, parse_date_expr
from ..read import FILE_COL, MISFIT, ROW, SRC_ROW, InputFile, RawTable, read_inputs
from ..reconcile import LoadedData
from ..schema import TABLES
from .choose import best_source
from .model import CODE_LISTS, LOOKUPS, Profile, Source, Spelling
from .report import MappingReport, SourceReport, date_formats


@dataclass
class MapContext:
    """What every source of one load shares: the profile's blank conventions, the code lists
    its lookup sources read, and the canonical values a value map may name."""

    blanks: tuple[str, ...]
    blank_dates: tuple[str, ...]
    canonical_ok: dict[str, tuple[str, ...]]
    lookups: dict[str, dict[str, str]] = field(default_factory=dict)
    links: dict[str, pl.DataFrame] = field(default_factory=dict)
    """links source name -> (_link, _person): every person each code links to."""
    notes: list[str] = field(default_factory=list)

    @property
    def blank_date_pattern(self) -> str:
        """The blank dates in ISO and UK spelling, with or without a time part."""
        texts = []
        for d in self.blank_dates:
            y, m, day = d.split("-")
            texts += [re.escape(d), re.escape(f"{day}/{m}/{y}")]
        return rf"^(?:{'|'.join(texts)})(?:[ T].*)?$"


DATE_COLUMNS = {"start_date", "end_date"} | {
    c.name for spec in TABLES.values() for c in spec.columns if c.kind == "date"
}


def _lookup_value(column: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    return (
        column.str.strip_chars()
        .str.to_lowercase()
        .replace_strict(mapping, default=None, return_dtype=pl.String)
    )


def _clean(col: str, ctx: MapContext, *, date: bool) -> pl.Expr:
    """A raw cell with the profile's blank conventions applied: NULL, #N/A, empty and the
    profile's stand-ins (SSD_PH, -1) become null, and so do 1900-01-01 in a date column;
    non-breaking spaces (Annex A names) read as spaces."""
    c = pl.col(col).str.replace_all("\u00a0", " ", literal=True)
    blank = c.str.strip_chars().str.to_lowercase().is_in(list(ctx.blanks))
    if date:
        blank = blank | c.str.strip_chars().str.contains(ctx.blank_date_pattern)
    return pl.when(blank).then(pl.lit(None, pl.String)).otherwise(c)


def map_source(
    item: InputFile, source: Source, ctx: MapContext
) -> tuple[pl.DataFrame, SourceReport]:
    """One export file as rows of its canonical table (strings), with its report."""
    raw = item.raw
    headers = raw.headers
    by_key: dict[str, str] = {}
    for i, h in enumerate(headers):
        by_key.setdefault(norm_header(h), f"c{i}")

    def flat(spellings: tuple[Spelling, ...]) -> list[str]:
        return [s for sp in spellings for s in ((sp,) if isinstance(sp, str) else sp)]

    wanted = {norm_header(sp) for sps in source.columns.values() for sp in flat(sps)}
    wanted |= {norm_header(sp) for f in source.filters for sp in f.column}
    repeated = sorted(
        {h for h in headers if norm_header(h) in wanted}
        & {h for h in headers if [norm_header(x) for x in headers].count(norm_header(h)) > 1}
    )
    if repeated:
        raise InputError(f"duplicate column headers: {', '.join(repeated)}", file=raw.file)
    report = SourceReport(raw.file, source.name, source.feeds, item.header_line, 0)
    frame = raw.frame
    cells = [pl.col(c) for c in frame.columns if c not in (ROW, MISFIT)]
    frame = frame.filter(
        ~pl.all_horizontal([(c.is_null() | (c.str.strip_chars() == "")) for c in cells])
    )
    # Rows that do not fit the header (sources.fit) are kept out of every value count,
    # filter, link and lookup: their values may be in any column. A table's go on, empty,
    # to be rejected by the canonical parser (one data issue each, nothing shown); a
    # lookup's are excluded here, counted.
    misfits = frame.filter(pl.col(MISFIT)).select(ROW) if MISFIT in frame.columns else None
    frame = frame.filter(~pl.col(MISFIT)).drop(MISFIT) if misfits is not None else frame
    used_cols: set[str] = set()
    unlinked = pl.lit(None, pl.String)
    if source.link is not None:
        frame, shown, unlinked = _linked(frame, by_key, source, ctx, raw.file)
        used_cols.update(c for c in [by_key.get(norm_header(h)) for h in source.link.column] if c)
        report.columns["person_id"] = shown
    report.rows = frame.height + (misfits.height if misfits is not None else 0)

    def find(spellings: tuple[str, ...]) -> str | None:
        for s in spellings:
            col = by_key.get(norm_header(s))
            if col is not None:
                return col
        return None

    def alternatives(spellings: tuple[Spelling, ...], date: bool) -> tuple[list[pl.Expr], str]:
        """Each spelling the file has (a header, or headers joined with a space), in order."""
        exprs, shown = [], []
        for sp in spellings:
            parts = (sp,) if isinstance(sp, str) else sp
            cols = [by_key.get(norm_header(s)) for s in parts]
            if any(c is None for c in cols):
                continue
            used_cols.update(c for c in cols if c)
            shown.append(" + ".join(headers[int(c[1:])] for c in cols if c))
            if len(cols) == 1:
                exprs.append(_clean(cols[0] or "", ctx, date=date))
            else:
                joined = pl.concat_str(
                    [_clean(c or "", ctx, date=date).str.strip_chars() for c in cols],
                    separator=" ",
                    ignore_nulls=True,
                )
                exprs.append(pl.when(joined != "").then(joined))
        return exprs, " or ".join(shown)

    select: list[pl.Expr] = []
    for canon, spellings in source.columns.items():
        exprs, shown = alternatives(spellings, canon in DATE_COLUMNS)
        if not exprs:
            continue
        report.columns[canon] = shown
        # the first of the headers present that holds a value (Mosaic's SSD build leaves
        # prof_professional_id NULL and keys workers by prof_staff_id)
        select.append((exprs[0] if len(exprs) == 1 else pl.coalesce(exprs)).alias(canon))
    for canon, value in source.fixed.items():
        report.columns[canon] = f"= {value}"
        select.append(pl.lit(value, pl.String).alias(canon))
    if source.link is not None:
        select.append(pl.col("_linked_person").alias("person_id"))
    # filters: evaluated on the cells (blanks applied), each row counted under the first
    # filter that drops it
    dropped = unlinked
    for f in source.filters:
        col = find(f.column)
        if col is None:
            continue
        used_cols.add(col)
        v = _clean(col, ctx, date=False).str.strip_chars().str.to_lowercase()
        out = pl.lit(False)
        if f.keep is not None:
            # a blank is not a listed value: a keep filter leaves it out too
            out = out | (~v.is_in([k.lower() for k in f.keep])).fill_null(True)
        if f.drop is not None:
            out = out | v.is_in([d.lower() for d in f.drop]).fill_null(False)
        if f.drop_set:
            out = out | v.is_not_null()
        dropped = pl.when(dropped.is_null() & out).then(pl.lit(f.reason)).otherwise(dropped)
    keys = []
    for i, k in enumerate(source.one_row_per):
        col = find((k,))
        if col is not None:
            used_cols.add(col)
            keys.append(_clean(col, ctx, date=False).alias(f"_k{i}"))
    describe: list[pl.Expr] = []
    for canon, what in source.describe.items():
        if isinstance(what, tuple):
            exprs, shown = alternatives(what, False)
            if exprs:
                describe.append(pl.coalesce(exprs).str.strip_chars().alias(f"_d_{canon}"))
    extra = [pl.lit(source.name).alias("_derive")] if source.dates_from else []
    mapped = frame.select(pl.col(ROW), *select, *keys, *describe, *extra, _dropped=dropped)
    for canon, what in source.describe.items():
        if isinstance(what, str) and canon in mapped.columns:
            codes = ctx.lookups.get(what, {})
            mapped = mapped.with_columns(
                id_expr(pl.col(canon))
                .replace_strict(codes, default=None, return_dtype=pl.String)
                .alias(f"_d_{canon}")
            )
    if keys:
        mapped = _one_row_per(mapped, [f"_k{i}" for i in range(len(keys))], source)
    # value maps: tallied per distinct value, unmapped values excluded where the profile says
    for canon, mapping in source.values.items():
        if canon not in mapped.columns:
            continue
        own = {c.lower(): c for c in ctx.canonical_ok.get(canon, ())}
        full = {**own, **mapping}
        desc = f"_d_{canon}"
        target = _lookup_value(pl.col(canon), full)
        group = {"value": pl.col(canon).str.strip_chars()}
        if desc in mapped.columns:
            target = pl.coalesce(target, _lookup_value(pl.col(desc), full))
            group["description"] = pl.col(desc)
        tally = (
            mapped.filter(pl.col("_dropped").is_null())
            .with_columns(mapped_to=target)
            .group_by(*[e.alias(k) for k, e in group.items()])
            .agg(rows=pl.len(), mapped_to=pl.col("mapped_to").first())
            .sort("rows", "value", descending=[True, False])
        )
        report.values += [{"column": canon, **r} for r in tally.to_dicts()]
        if source.unmapped.get(canon, "exclude") == "exclude":
            mapped = mapped.with_columns(
                _dropped=pl.when(pl.col("_dropped").is_null() & target.is_null())
                .then(pl.lit(f"{canon} not mapped (see the value list)"))
                .otherwise(pl.col("_dropped"))
            )
        mapped = mapped.with_columns(pl.coalesce(target, pl.col(canon)).alias(canon))
    for canon in source.describe:
        desc = f"_d_{canon}"
        if desc in mapped.columns and canon not in source.values and canon in mapped.columns:
            # a team id read through the team list: the team's name (its id when not listed)
            mapped = mapped.with_columns(pl.coalesce(pl.col(desc), pl.col(canon)).alias(canon))
    mapped = mapped.drop([c for c in mapped.columns if c.startswith(("_k", "_d_"))])
    if source.feeds == "persons" and "person_id" in mapped.columns:
        report.dropped_ids = (
            mapped.filter(pl.col("_dropped").is_not_null())
            .select(id_expr(pl.col("person_id")))["person_id"]
            .drop_nulls()
            .unique()
            .to_list()
        )
    excluded = (
        mapped.filter(pl.col("_dropped").is_not_null()).group_by("_dropped").len().sort("_dropped")
    )
    report.excluded = dict(
        zip(excluded["_dropped"].to_list(), excluded["len"].to_list(), strict=True)
    )
    kept = mapped.filter(pl.col("_dropped").is_null()).drop("_dropped")
    report.passed = kept.height
    for canon in kept.columns:
        if canon in DATE_COLUMNS and canon not in source.fixed:
            report.date_formats[canon] = date_formats(kept, canon)
    report.unused_headers = [
        h for i, h in enumerate(headers) if f"c{i}" not in used_cols and h.strip()
    ]
    kept = kept.rename({ROW: SRC_ROW}).with_columns(pl.lit(raw.file).alias(FILE_COL))
    if misfits is not None and misfits.height:
        if source.feeds in TABLES:
            odd = misfits.select(
                pl.col(ROW).alias(SRC_ROW), pl.lit(raw.file).alias(FILE_COL), pl.lit(True)
            )
            kept = pl.concat(
                [kept.with_columns(pl.lit(False).alias(MISFIT)), odd.rename({"literal": MISFIT})],
                how="diagonal_relaxed",
            )
            report.passed = kept.height
        else:
            reason = "rows that do not fit the header (values withheld)"
            report.excluded[reason] = misfits.height
    return kept, report


MAX_LINK_FACTOR = 20
"""A link table gives a record its people (a step's subgroup: a child, or a few siblings);
more than this many per row on average means a wrong table, and a join that size could
exhaust memory, so the load stops before it."""


def _linked(
    frame: pl.DataFrame, by_key: dict[str, str], source: Source, ctx: MapContext, file: str
) -> tuple[pl.DataFrame, str, pl.Expr]:
    """The rows of a source with no person column, one per person its link code leads to
    (a Mosaic step for a subgroup of two children is an event for each, as
    DM_WORKFLOW_STEPS_PEOPLE_VW holds it), in file order; a row linked to nobody stays once,
    with the reason it is excluded. Returns (rows, how person_id was read, the reason)."""
    link = source.link
    assert link is not None
    col = next((c for h in link.column if (c := by_key.get(norm_header(h)))), None)
    shown = f"{' or '.join(link.column)} through {link.to}"
    table = ctx.links.get(link.to)
    if col is None or table is None:
        why = (
            f"no {' or '.join(link.column)} column to link to a person"
            if col is None
            else f"no person linked: no {link.to} file in the export"
        )
        return frame.with_columns(_linked_person=pl.lit(None, pl.String)), shown, pl.lit(why)
    before = frame.height
    keyed = frame.with_columns(_link=id_expr(_clean(col, ctx, date=False)))
    per_code = table.group_by("_link").len("_n")
    after = (
        keyed.join(per_code, on="_link", how="left").select(pl.col("_n").fill_null(1).sum()).item()
    )
    if after > MAX_LINK_FACTOR * max(before, 1):
        raise InputError(
            f"{link.to} links the {before:,} rows to {after:,} people, more than "
            f"{MAX_LINK_FACTOR} per row: it is not the table that lists each record's people "
            "(nothing was read)",
            file=file,
        )
    joined = (
        keyed.join(table, on="_link", how="left", maintain_order="left")
        .rename({"_person": "_linked_person"})
        .drop("_link")
    )
    if joined.height != before:
        ctx.notes.append(
            f"{file}: {before:,} rows read as {joined.height:,}, one "
            f"per person linked through {link.to} (a record for several people counts for each)"
        )
    why = f"no person linked through {link.to} (its code is not listed there as a person)"
    unlinked = pl.when(pl.col("_linked_person").is_null()).then(pl.lit(why))
    return joined, shown, unlinked


def _one_row_per(mapped: pl.DataFrame, keys: list[str], source: Source) -> pl.DataFrame:
    """Rows sharing the key cells are one record (an Eclipse form is one row per answer):
    the first row of each group takes each column's first non-blank cell in the group; the
    group's other rows are excluded, counted under a reason that says so."""
    live = mapped.filter(pl.col("_dropped").is_null())
    cols = [c for c in live.columns if c not in (ROW, "_dropped", *keys)]
    records = (
        live.group_by(keys, maintain_order=True)
        .agg(pl.col(ROW).first(), *[pl.col(c).drop_nulls().first() for c in cols])
        .with_columns(_dropped=pl.lit(None, pl.String))
    )
    reason = f"further rows of the same record (one per {', '.join(source.one_row_per)})"
    rest = live.filter(~pl.col(ROW).is_in(records[ROW].implode())).with_columns(
        _dropped=pl.lit(reason)
    )
    out = pl.concat(
        [records.select(mapped.columns), rest, mapped.filter(pl.col("_dropped").is_not_null())],
        how="vertical_relaxed",
    )
    return out.sort(ROW)


def _apply_lookups(
    tables: dict[str, pl.DataFrame], lookups: dict[str, pl.DataFrame], serials: bool
) -> None:
    """Persons dropped by a filter take their episodes and events with them (counted by the
    caller); names and dates of birth come from persons; worker and team from the allocation
    that started on or before each episode's start (latest first)."""
    episodes = tables.get("episodes")
    if episodes is None:
        return
    persons = lookups.get("persons")
    if persons is not None and persons.height:
        people = persons.select(
            id_expr(pl.col("person_id")).alias("_pid"),
            *[
                pl.col(c).alias(f"_p_{c}")
                for c in ("person_name", "date_of_birth")
                if c in persons.columns
            ],
        ).unique(subset=["_pid"], keep="first")
        episodes = episodes.with_columns(_pid=id_expr(pl.col("person_id"))).join(
            people, on="_pid", how="left"
        )
        for c in ("person_name", "date_of_birth"):
            if f"_p_{c}" in episodes.columns:
                base = pl.col(c) if c in episodes.columns else pl.lit(None, pl.String)
                episodes = episodes.with_columns(pl.coalesce(base, pl.col(f"_p_{c}")).alias(c))
        episodes = episodes.drop([c for c in episodes.columns if c.startswith("_p_")] + ["_pid"])
    alloc = lookups.get("allocations")
    if alloc is not None and alloc.height and "start_date" in alloc.columns:
        a = (
            alloc.select(
                id_expr(pl.col("person_id")).alias("_pid"),
                parse_date_expr(pl.col("start_date"), serials=serials).alias("_astart"),
                *[pl.col(c).alias(f"_a_{c}") for c in ("worker_id", "team") if c in alloc.columns],
            )
            .drop_nulls(["_pid", "_astart"])
            .sort("_astart")
        )
        e = episodes.with_columns(
            _pid=id_expr(pl.col("person_id")),
            _estart=parse_date_expr(pl.col("start_date"), serials=serials),
            _order=pl.int_range(pl.len()),
        )
        dated = e.filter(pl.col("_estart").is_not_null()).sort("_estart")
        joined = dated.join_asof(
            a,
            left_on="_estart",
            right_on="_astart",
            by="_pid",
            strategy="backward",
            check_sortedness=False,
        )
        e = pl.concat([joined, e.filter(pl.col("_estart").is_null())], how="diagonal_relaxed").sort(
            "_order"
        )
        for c in ("worker_id", "team"):
            if f"_a_{c}" in e.columns:
                base = pl.col(c) if c in e.columns else pl.lit(None, pl.String)
                e = e.with_columns(pl.coalesce(base, pl.col(f"_a_{c}")).alias(c))
        episodes = e.drop(
            [c for c in e.columns if c.startswith(("_a_", "_astart"))]
            + ["_pid", "_estart", "_order"]
        )
    tables["episodes"] = episodes


def _apply_staff_details(
    merged: dict[str, pl.DataFrame], details: pl.DataFrame | None, report: MappingReport
) -> None:
    """A case system's worker list (Mosaic's workers view, SSD's ssd_professionals) fills the
    name, role and team the HR staff list leaves blank. It has no employment dates, so on its
    own it cannot make the workers table: the report says so."""
    if details is None or details.height == 0:
        return
    workers = merged.get("workers")
    if workers is None:
        report.notes.append(
            f"{details.height:,} workers were read from the case system's worker list, but no "
            "staff list with employment start dates was found (see the hr profile), so staff "
            "rules cannot be evaluated"
        )
        return
    cols = [c for c in ("name", "role", "team") if c in details.columns]
    extra = details.select(
        id_expr(pl.col("worker_id")).alias("_wid"), *[pl.col(c).alias(f"_d_{c}") for c in cols]
    ).unique(subset=["_wid"], keep="first", maintain_order=True)
    joined = workers.with_columns(_wid=id_expr(pl.col("worker_id"))).join(
        extra, on="_wid", how="left"
    )
    for c in cols:
        base = pl.col(c) if c in joined.columns else pl.lit(None, pl.String)
        joined = joined.with_columns(pl.coalesce(base, pl.col(f"_d_{c}")).alias(c))
    merged["workers"] = joined.drop(["_wid", *[f"_d_{c}" for c in cols]])
    report.notes.append(
        "the case system's worker list filled blank names, roles and teams in the staff list"
    )


def _drop_persons(merged: dict[str, pl.DataFrame], gone: list[str], report: MappingReport) -> None:
    """Episodes and case events of persons the persons file marks for dropping (duplicate,
    test or deleted records) are left out, and counted on the file they came from."""
    reason = "person dropped by a persons filter (duplicate, test or deleted)"
    by_file = {f.file: f for f in report.files}
    for name in ("episodes", "case_events"):
        frame = merged.get(name)
        if frame is None or "person_id" not in frame.columns:
            continue
        hit = id_expr(pl.col("person_id")).is_in(gone).fill_null(False)  # a blank id stays
        counts = frame.filter(hit).group_by(FILE_COL).len()
        for file, n in zip(counts[FILE_COL].to_list(), counts["len"].to_list(), strict=True):
            rep = by_file[file]
            rep.excluded[reason] = rep.excluded.get(reason, 0) + n
            rep.passed -= n
        merged[name] = frame.filter(~hit)


GENERIC_MISSING = {
    "episodes": "add the export that holds the children's episodes (CIN, CP, CLA...)",
    "case_events": "add your case-notes export (LiquidLogic FACT_CASENOTES, Mosaic workflow "
    "steps or case notes, Eclipse forms) and say which note types count as supervision",
    "workers": "add an HR staff list with employment start dates (see the hr profile)",
    "worker_sessions": "add the supervision log kept by HR or the service (see the hr profile)",
}


def _derive_dates(merged: dict[str, pl.DataFrame], profile: Profile, report: MappingReport) -> None:
    """Episodes without dates of their own (SSD care leavers, Annex A list 9) start on the
    child's latest end of the named category (the day they ceased to be looked after) and
    stay open; rows with no such date are excluded and counted on their file."""
    episodes = merged.get("episodes")
    if episodes is None or "_derive" not in episodes.columns:
        return
    by_file = {f.file: f for f in report.files}
    derived = episodes.filter(pl.col("_derive").is_not_null())
    rest = episodes.filter(pl.col("_derive").is_null())
    parts = [rest]
    for name in derived["_derive"].unique(maintain_order=True).to_list():
        source = next(s for s in profile.sources if s.name == name)
        spec = source.dates_from
        assert spec is not None
        rows = derived.filter(pl.col("_derive") == name)
        ends = (
            rest.filter(pl.col("category").str.to_uppercase() == spec.category.upper())
            .select(
                _pid=id_expr(pl.col("person_id")),
                _from=parse_date_expr(pl.col(spec.take), serials=True),
            )
            .group_by("_pid")
            .agg(pl.col("_from").max())
        )
        rows = rows.with_columns(_pid=id_expr(pl.col("person_id"))).join(
            ends, on="_pid", how="left"
        )
        lost = rows.filter(pl.col("_from").is_null())
        reason = (
            f"no date to start the episode: the export has no dates, and the child has no "
            f"ended {spec.category} episode in the other files (add a list with dates)"
        )
        counts = lost.group_by(FILE_COL).len()
        for file, n in zip(counts[FILE_COL].to_list(), counts["len"].to_list(), strict=True):
            rep = by_file[file]
            rep.excluded[reason] = rep.excluded.get(reason, 0) + n
            rep.passed -= n
        kept = rows.filter(pl.col("_from").is_not_null()).with_columns(
            start_date=pl.col("_from").dt.strftime("%Y-%m-%d"), end_date=pl.lit(None, pl.String)
        )
        parts.append(kept.drop("_pid", "_from"))
    merged["episodes"] = pl.concat(parts, how="diagonal_relaxed").drop("_derive")


def _staff_numbers(merged: dict[str, pl.DataFrame], details: pl.DataFrame | None) -> None:
    """One worker, one id: where the case system's worker list (or a crosswalk file) gives a
    worker's HR staff number, every case-system worker id becomes that staff number."""
    if details is None or "staff_number" not in details.columns:
        return
    pairs = (
        details.select(_wid=id_expr(pl.col("worker_id")), _staff=id_expr(pl.col("staff_number")))
        .drop_nulls()
        .unique(subset=["_wid"], keep="first", maintain_order=True)
    )
    if pairs.height == 0:
        return
    mapping = dict(zip(pairs["_wid"].to_list(), pairs["_staff"].to_list(), strict=True))

    def swap(col: str) -> pl.Expr:
        ids = id_expr(pl.col(col))
        return ids.replace_strict(mapping, default=ids, return_dtype=pl.String).alias(col)

    for name, cols in (
        ("episodes", ("worker_id",)),
        ("allocations", ("worker_id",)),
        ("case_events", ("worker_id", "supervisor_id")),
        ("staff_details", ("worker_id",)),
    ):
        frame = merged.get(name)
        if frame is not None:
            merged[name] = frame.with_columns(swap(c) for c in cols if c in frame.columns)


def _team_from_worker(merged: dict[str, pl.DataFrame], details: pl.DataFrame | None) -> None:
    """An episode whose allocation names no team (SSDA903 has no team column; Mosaic keeps a
    worker's team on the worker) takes its worker's team: from the case system's worker list,
    else from the HR staff list."""
    episodes = merged.get("episodes")
    if episodes is None or "worker_id" not in episodes.columns:
        return
    teams = []
    for frame in (details, merged.get("workers")):
        if frame is not None and "team" in frame.columns and "worker_id" in frame.columns:
            teams.append(frame.select(_wid=id_expr(pl.col("worker_id")), _t=pl.col("team")))
    if not teams:
        return
    lookup = (
        pl.concat(teams, how="vertical_relaxed")
        .drop_nulls()
        .unique(subset=["_wid"], keep="first", maintain_order=True)
    )
    base = pl.col("team") if "team" in episodes.columns else pl.lit(None, pl.String)
    merged["episodes"] = (
        episodes.with_columns(_wid=id_expr(pl.col("worker_id")), _order=pl.int_range(pl.len()))
        .join(lookup, on="_wid", how="left")
        .sort("_order")
        .with_columns(team=pl.coalesce(base, pl.col("_t")))
        .drop("_wid", "_t", "_order")
    )


def _one_per_worker(details: pl.DataFrame | None) -> pl.DataFrame | None:
    """Several worker lists (Mosaic's DM_WORKERS for names, DM_WORKER_ROLES for teams, a
    crosswalk for staff numbers) make one row per worker: each column's first non-blank."""
    if details is None or details.height == 0:
        return details
    cols = [c for c in details.columns if c not in ("worker_id", FILE_COL, SRC_ROW)]
    return details.group_by(id_expr(pl.col("worker_id")), maintain_order=True).agg(
        pl.col(c).drop_nulls().first() for c in cols
    )


def missing_tables(profile: Profile, merged: dict[str, Any], tables: Any) -> dict[str, str]:
    """table -> what to add, for every table the audit reads that no file feeds."""
    out = {}
    for name in TABLES:
        if name in set(tables) and name not in merged:
            text = profile.missing.get(name) or GENERIC_MISSING.get(name)
            if text:
                out[name] = text
    return out


def load_with_profile(
    root: Path,
    profile: Profile,
    *,
    tables: Any,
    required: Any = (),
    value_maps: dict[str, dict[str, str]] | None = None,
    chosen_because: str = "",
    inputs: tuple[list[InputFile], bool] | None = None,
    dates_until: Any = None,
) -> tuple[LoadedData, MappingReport]:
    """Read every export file, map each recognised one, and validate the canonical tables
    with the canonical loader (so every rule about bad rows applies unchanged)."""
    if not root.exists():
        raise InputError(
            "not found (give a folder of CSV files or an .xlsx workbook)", file=str(root)
        )
    value_maps = value_maps or {}
    files, _ = inputs or read_inputs(root, [set(s.recognise) for s in profile.sources])
    serials = True  # exports saved through Excel carry serial dates, CSV or not
    report = MappingReport(profile.name, profile.title, chosen_because, [])
    parts: dict[str, list[pl.DataFrame]] = {}
    ctx = MapContext(
        blanks=profile.blanks,
        blank_dates=profile.blank_dates,
        canonical_ok={
            "category": TABLES["episodes"].column("category").choices,
            "kind": tuple(
                {
                    *TABLES["case_events"].column("kind").choices,
                    *TABLES["worker_events"].column("kind").choices,
                }
            ),
            "status": TABLES["worker_sessions"].column("status").choices,
        },
    )
    chosen = [(item, best_source(profile, item.raw.headers)) for item in files]
    # code lists first: other sources read their codes (and persons) through them
    for item, source in chosen:
        if source is not None and source.feeds in CODE_LISTS:
            frame, rep = map_source(item, source, ctx)
            report.files.append(rep)
            if source.feeds == "links" and {"code", "person_id"} <= set(frame.columns):
                pairs = frame.select(
                    _link=id_expr(pl.col("code")), _person=id_expr(pl.col("person_id"))
                ).drop_nulls()
                seen = ctx.links.get(source.name)
                both = pairs if seen is None else pl.concat([seen, pairs])
                ctx.links[source.name] = both.unique(maintain_order=True)
            elif "code" in frame.columns and "description" in frame.columns:
                codes = frame.select(id_expr(pl.col("code")), pl.col("description")).drop_nulls()
                pairs = codes.unique(subset=["code"], keep="first", maintain_order=True)
                own = ctx.lookups.setdefault(source.name, {})
                found = dict(
                    zip(pairs["code"].to_list(), pairs["description"].to_list(), strict=True)
                )
                ctx.lookups[source.name] = {**found, **own}
    for item, source in chosen:
        if source is None:
            report.files.append(
                SourceReport(
                    item.raw.file,
                    None,
                    None,
                    item.header_line,
                    item.raw.frame.height,
                    # not the cells' text: with no header recognised, the row may be data
                    unused_headers=[
                        f"{sum(1 for h in item.raw.headers if h.strip())} columns, none "
                        "recognised (not shown: the first row may be a child's data)"
                    ],
                )
            )
            continue
        if source.feeds in CODE_LISTS:
            continue
        frame, rep = map_source(item, source, ctx)
        report.files.append(rep)
        parts.setdefault(source.feeds, []).append(frame)
    report.notes += ctx.notes
    merged = {name: pl.concat(frames, how="diagonal_relaxed") for name, frames in parts.items()}
    _derive_dates(merged, profile, report)
    gone = sorted({pid for f in report.files for pid in f.dropped_ids})
    if gone:
        _drop_persons(merged, gone, report)
    _staff_numbers(merged, merged.get("staff_details"))
    lookups = {name: merged.pop(name) for name in LOOKUPS if name in merged}
    details = _one_per_worker(lookups.get("staff_details"))
    _apply_lookups(merged, lookups, serials)
    _team_from_worker(merged, details)
    _apply_staff_details(merged, details, report)
    report.missing_tables = missing_tables(profile, merged, tables)
    for name, text in report.missing_tables.items():
        report.notes.append(f"no file feeds {name}: {text}")
    for name in required:
        if name not in merged and (name == "episodes" or name not in report.missing_tables):
            raise InputError(
                f"no file the '{profile.name}' profile recognises feeds {name} "
                "(run `supervision-audit inspect` to see how each file was read)",
                file=str(root),
            )
    raws = {}
    for name in [t for t in TABLES if t in set(tables) and t in merged]:
        frame = merged[name]
        canon_cols = [c for c in frame.columns if c not in (FILE_COL, SRC_ROW, MISFIT)]
        names = [f"c{i}" for i in range(len(canon_cols))]
        misfit = pl.col(MISFIT).fill_null(False) if MISFIT in frame.columns else pl.lit(False)
        body = (
            frame.select(
                *[
                    pl.col(c).cast(pl.String).alias(n)
                    for c, n in zip(canon_cols, names, strict=True)
                ],
                pl.col(FILE_COL),
                pl.col(SRC_ROW).cast(pl.Int64),
                misfit.alias(MISFIT),
            )
            .with_row_index(ROW, offset=1)
            .with_columns(pl.col(ROW).cast(pl.Int64))
        )
        files_in = sorted(set(body[FILE_COL].to_list()))
        raws[name] = RawTable(" + ".join(files_in), canon_cols, body, 0, "")
        report.missing_columns[name] = [
            c.name for c in TABLES[name].columns if c.name not in canon_cols
        ]
    data = load_tables(raws, str(root), value_maps, serials=serials, dates_until=dates_until)
    for name, table in data.tables.items():
        for f in report.files:
            if f.feeds == name:
                for reason, n in f.excluded.items():
                    table.rows_excluded[reason] = table.rows_excluded.get(reason, 0) + n
        table.rows_excluded = dict(sorted(table.rows_excluded.items()))
    return data, report
