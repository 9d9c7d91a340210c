"""Mapping export files into the canonical tables: columns, fixed values, filters, value maps,
the persons/allocations/staff lookups; then the canonical parser validates every row.

Nothing is dropped silently: every row a filter or an unmapped value leaves out is counted
in the mapping report, with the distinct values and what each mapped to, and every row kept
keeps its own file and line for the data-issue report.
"""

from __future__ import annotations

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
from .model import LOOKUPS, Profile, Source
from .report import MappingReport, SourceReport, date_formats


def _lookup_value(column: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    return (
        column.str.strip_chars()
        .str.to_lowercase()
        .replace_strict(mapping, default=None, return_dtype=pl.String)
    )


def map_source(
    item: InputFile, source: Source, canonical_ok: dict[str, tuple[str, ...]]
) -> tuple[pl.DataFrame, SourceReport]:
    """One export file as rows of its canonical table (strings), with its report."""
    raw = item.raw
    headers = raw.headers
    by_key: dict[str, str] = {}
    for i, h in enumerate(headers):
        by_key.setdefault(norm_header(h), f"c{i}")
    wanted = {norm_header(sp) for sps in source.columns.values() for sp in sps}
    wanted |= {norm_header(sp) for f in source.filters for sp in f.column}
    repeated = sorted(
        {h for h in headers if norm_header(h) in wanted}
        & {h for h in headers if [norm_header(x) for x in headers].count(norm_header(h)) > 1}
    )
    if repeated:
        raise InputError(f"duplicate column headers: {', '.join(repeated)}", file=raw.file)
    report = SourceReport(raw.file, source.name, source.feeds, item.header_line, 0)
    frame = raw.frame
    frame = frame.drop(MISFIT, strict=False)
    cells = [pl.col(c) for c in frame.columns if c != ROW]
    frame = frame.filter(
        ~pl.all_horizontal([(c.is_null() | (c.str.strip_chars() == "")) for c in cells])
    )
    report.rows = frame.height
    used_cols: set[str] = set()

    def find(spellings: tuple[str, ...]) -> str | None:
        for s in spellings:
            col = by_key.get(norm_header(s))
            if col is not None:
                return col
        return None

    select: list[pl.Expr] = []
    for canon, spellings in source.columns.items():
        col = find(spellings)
        if col is None:
            continue
        used_cols.add(col)
        report.columns[canon] = headers[int(col[1:])]
        select.append(pl.col(col).alias(canon))
    for canon, value in source.fixed.items():
        report.columns[canon] = f"= {value}"
        select.append(pl.lit(value, pl.String).alias(canon))
    # filters: evaluated on the raw cells, each row counted under the first that drops it
    dropped = pl.lit(None, pl.String)
    for f in source.filters:
        col = find(f.column)
        if col is None:
            continue
        used_cols.add(col)
        v = pl.col(col).str.strip_chars().str.to_lowercase()
        out = pl.lit(False)
        if f.keep is not None:
            out = out | ~v.is_in([k.lower() for k in f.keep]).fill_null(True)
        if f.drop is not None:
            out = out | v.is_in([d.lower() for d in f.drop]).fill_null(False)
        dropped = pl.when(dropped.is_null() & out).then(pl.lit(f.reason)).otherwise(dropped)
    mapped = frame.select(pl.col(ROW), *select, _dropped=dropped)
    # value maps: tallied per distinct value, unmapped values excluded where the profile says
    for canon, mapping in source.values.items():
        if canon not in mapped.columns:
            continue
        own = {c.lower(): c for c in canonical_ok.get(canon, ())}
        full = {**own, **mapping}
        target = _lookup_value(pl.col(canon), full)
        tally = (
            mapped.filter(pl.col("_dropped").is_null())
            .group_by(value=pl.col(canon).str.strip_chars())
            .agg(rows=pl.len())
            .with_columns(mapped_to=_lookup_value(pl.col("value"), full))
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
    if source.feeds == "persons" and "person_id" in mapped.columns:
        report.dropped_ids = (
            mapped.filter(pl.col("_dropped").is_not_null())
            .select(id_expr(pl.col("person_id")))["person_id"]
            .drop_nulls()
            .unique()
            .to_list()
        )
    excluded = mapped.filter(pl.col("_dropped").is_not_null()).group_by("_dropped").len()
    report.excluded = dict(
        zip(excluded["_dropped"].to_list(), excluded["len"].to_list(), strict=True)
    )
    kept = mapped.filter(pl.col("_dropped").is_null()).drop("_dropped")
    report.passed = kept.height
    for canon in kept.columns:
        spec = TABLES.get(source.feeds)
        is_date = canon in ("start_date", "end_date") or (
            spec is not None and any(c.name == canon and c.kind == "date" for c in spec.columns)
        )
        if is_date and canon not in source.fixed:
            report.date_formats[canon] = date_formats(kept, canon)
    report.unused_headers = [
        h for i, h in enumerate(headers) if f"c{i}" not in used_cols and h.strip()
    ]
    kept = kept.rename({ROW: SRC_ROW}).with_columns(pl.lit(raw.file).alias(FILE_COL))
    return kept, report


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
        hit = id_expr(pl.col("person_id")).is_in(gone)
        counts = frame.filter(hit).group_by(FILE_COL).len()
        for file, n in zip(counts[FILE_COL].to_list(), counts["len"].to_list(), strict=True):
            rep = by_file[file]
            rep.excluded[reason] = rep.excluded.get(reason, 0) + n
            rep.passed -= n
        merged[name] = frame.filter(~hit)


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
    files, serials = inputs or read_inputs(root, [set(s.recognise) for s in profile.sources])
    report = MappingReport(profile.name, profile.title, chosen_because, [])
    parts: dict[str, list[pl.DataFrame]] = {}
    canonical_ok = {
        "category": TABLES["episodes"].column("category").choices,
        "kind": tuple(
            {
                *TABLES["case_events"].column("kind").choices,
                *TABLES["worker_events"].column("kind").choices,
            }
        ),
        "status": TABLES["worker_sessions"].column("status").choices,
    }
    for item in files:
        source = best_source(profile, item.raw.headers)
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
        frame, rep = map_source(item, source, canonical_ok)
        report.files.append(rep)
        parts.setdefault(source.feeds, []).append(frame)
    merged = {name: pl.concat(frames, how="diagonal_relaxed") for name, frames in parts.items()}
    gone = sorted({pid for f in report.files for pid in f.dropped_ids})
    if gone:
        _drop_persons(merged, gone, report)
    lookups = {name: merged.pop(name) for name in LOOKUPS if name in merged}
    _apply_lookups(merged, lookups, serials)
    _apply_staff_details(merged, lookups.get("staff_details"), report)
    for name in required:
        if name not in merged:
            raise InputError(
                f"no file the '{profile.name}' profile recognises feeds {name} "
                "(run `supervision-audit inspect` to see how each file was read)",
                file=str(root),
            )
    raws = {}
    for name in [t for t in TABLES if t in set(tables) and t in merged]:
        frame = merged[name]
        canon_cols = [c for c in frame.columns if c not in (FILE_COL, SRC_ROW)]
        names = [f"c{i}" for i in range(len(canon_cols))]
        body = (
            frame.select(
                *[
                    pl.col(c).cast(pl.String).alias(n)
                    for c, n in zip(canon_cols, names, strict=True)
                ],
                pl.col(FILE_COL),
                pl.col(SRC_ROW).cast(pl.Int64),
            )
            .with_row_index(ROW, offset=1)
            .with_columns(pl.col(ROW).cast(pl.Int64))
        )
        files = sorted(set(body[FILE_COL].to_list()))
        raws[name] = RawTable(" + ".join(files), canon_cols, body, 0, "")
        report.missing_columns[name] = [
            c.name for c in TABLES[name].columns if c.name not in canon_cols
        ]
    data = load_tables(raws, str(root), value_maps, serials=serials, dates_until=dates_until)
    return data, report
