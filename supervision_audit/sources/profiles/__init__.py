"""Export profiles: Mosaic, Eclipse, SSD and HR exports turned into the canonical tables.

A profile is YAML (shipped in supervision_audit/sources/profiles/, or any file a user writes):
a list of *sources*, each one kind of export file, recognised by its headers whatever the file
or sheet is called. A source says which canonical table it feeds, which header feeds each
canonical column (a list of accepted spellings, matched ignoring case, spaces, underscores
and hyphens), fixed values (a CP-plans file gives category CP), value maps (a council's note
types or classification names to the canonical kinds and categories), and row filters (only
completed records; no test or duplicate persons). Two lookup sources feed the episodes:
`persons` (names, dates of birth, and persons to drop) and `allocations` (the worker and team
allocated when each episode started).

Nothing is dropped silently: every row a filter or an unmapped value leaves out is counted
in the mapping report (`supervision-audit inspect`), with the distinct values and what each
mapped to, and every row kept keeps its own file and line for the data-issue report.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ...errors import InputError
from ...yamlio import load_yaml_file
from ..loader import (
    FILE_COL,
    ROW,
    SRC_ROW,
    LoadedData,
    RawTable,
    _decode,
    id_expr,
    load_canonical,
    norm_header,
    parse_date_expr,
    parse_table,
    read_csv_raw,
    read_xlsx_raw,
    xlsx_sheets,
)
from ..schema import STAFF_TABLES, TABLES

PROFILE_DIR = Path(__file__).resolve().parent
LOOKUPS = ("persons", "allocations", "staff_details")
LOOKUP_COLUMNS = {
    "staff_details": ("worker_id", "name", "role", "team"),
    "persons": ("person_id", "person_name", "date_of_birth"),
    "allocations": ("person_id", "worker_id", "team", "start_date", "end_date"),
}


@dataclass(frozen=True)
class Filter:
    column: tuple[str, ...]
    keep: tuple[str, ...] | None
    drop: tuple[str, ...] | None
    reason: str


@dataclass(frozen=True)
class Source:
    name: str
    feeds: str
    recognise: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    fixed: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped: dict[str, str] = field(default_factory=dict)
    """column -> 'exclude' (rows whose value is not in the map are left out, and counted) or
    'keep' (passed on as they are, so the loader reports an unknown value)."""
    filters: tuple[Filter, ...] = ()


@dataclass
class Profile:
    name: str
    title: str
    description: str
    path: Path
    sources: list[Source]


# --------------------------------------------------------------------------------------
# Loading profiles


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def resolve_profile(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in (".yaml", ".yml"):
        if not candidate.is_file():
            raise InputError("profile file not found", file=name_or_path)
        return candidate
    path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        names = ", ".join(["canonical", "auto", *profile_names()])
        raise InputError(
            f"unknown --source '{name_or_path}' (expected one of: {names}, or a .yaml)"
        )
    return path


def _strings(value: Any, where: str, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise InputError(f"{where}: expected a list of header names or values", file=str(path))
    return tuple(str(v) for v in value)


def load_profile(name_or_path: str, _seen: tuple[Path, ...] = ()) -> Profile:
    path = resolve_profile(name_or_path)
    if path in _seen:
        raise InputError("profiles include each other in a loop", file=str(path))
    data = load_yaml_file(path)
    if not isinstance(data, dict):
        raise InputError("a profile is a YAML mapping", file=str(path))
    sources: list[Source] = []
    for inc in data.get("include") or []:
        sources += load_profile(str(inc), (*_seen, path)).sources
    for i, raw in enumerate(data.get("sources") or []):
        where = f"sources[{i}]"
        if not isinstance(raw, dict) or "name" not in raw or "feeds" not in raw:
            raise InputError(f"{where}: needs 'name' and 'feeds'", file=str(path))
        feeds = str(raw["feeds"])
        if feeds not in TABLES and feeds not in LOOKUPS:
            known = ", ".join([*TABLES, *LOOKUPS])
            raise InputError(
                f"{where}: feeds unknown table '{feeds}' (expected: {known})", file=str(path)
            )
        allowed = (
            set(LOOKUP_COLUMNS[feeds])
            if feeds in LOOKUPS
            else {c.name for c in TABLES[feeds].columns}
        )
        columns = {}
        for canon, spellings in (raw.get("columns") or {}).items():
            if canon not in allowed:
                raise InputError(
                    f"{where}: '{canon}' is not a column of {feeds} (expected: "
                    f"{', '.join(sorted(allowed))})",
                    file=str(path),
                )
            columns[canon] = _strings(spellings, f"{where}.columns.{canon}", path)
        filters = tuple(
            Filter(
                _strings(f.get("column"), f"{where}.filters", path),
                _strings(f["keep"], f"{where}.filters.keep", path) if "keep" in f else None,
                _strings(f["drop"], f"{where}.filters.drop", path) if "drop" in f else None,
                str(f.get("reason") or "filtered out"),
            )
            for f in raw.get("filters") or []
        )
        values = {
            str(col): {str(k).strip().lower(): str(v) for k, v in (m or {}).items()}
            for col, m in (raw.get("values") or {}).items()
        }
        recognise = _strings(raw.get("recognise") or [], f"{where}.recognise", path)
        if not recognise:
            raise InputError(
                f"{where}: 'recognise' lists the headers that identify the file", file=str(path)
            )
        sources.append(
            Source(
                name=str(raw["name"]),
                feeds=feeds,
                recognise=tuple(norm_header(h) for h in recognise),
                columns=columns,
                fixed={str(k): str(v) for k, v in (raw.get("fixed") or {}).items()},
                values=values,
                unmapped={str(k): str(v) for k, v in (raw.get("unmapped") or {}).items()},
                filters=filters,
            )
        )
    return Profile(
        name=str(data.get("name") or path.stem),
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        path=path,
        sources=sources,
    )


# --------------------------------------------------------------------------------------
# Reading any export: every CSV in a folder or every sheet of a workbook, header row found


@dataclass
class InputFile:
    raw: RawTable
    header_line: int
    """1-based line (or sheet row) of the header."""


def _header_index(rows: list[list[str]], wanted: list[set[str]]) -> int:
    """The first row that holds all the headers of some source (else the first row)."""
    for i, row in enumerate(rows):
        keys = {norm_header(c) for c in row if c and c.strip()}
        if any(w <= keys for w in wanted):
            return i
    return 0


def read_inputs(root: Path, wanted: list[set[str]]) -> tuple[list[InputFile], bool]:
    """Every CSV file in the folder, or every sheet of the workbook, each with its header row
    found; and whether the input is a workbook (whose numbers may be Excel date serials)."""

    def header_at(rows: list[list[str]]) -> int:
        return _header_index(rows, wanted)

    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        raws = [read_csv_raw(p, header_at, shown=p.name) for p in files]
        workbook = False
    elif root.suffix.lower() in (".xlsx", ".xlsm"):
        raws = [read_xlsx_raw(root, s, header_at) for s in xlsx_sheets(root).values()]
        workbook = True
    else:
        raise InputError("expected a folder of CSV files or an .xlsx workbook", file=str(root))
    return [InputFile(raw, raw.header_line) for raw in raws], workbook


# --------------------------------------------------------------------------------------
# Recognising files and choosing a profile


def recognise(source: Source, headers: list[str]) -> bool:
    keys = {norm_header(h) for h in headers if h}
    return set(source.recognise) <= keys


def best_source(profile: Profile, headers: list[str]) -> Source | None:
    """The most specific source whose recognising headers the file has."""
    matches = [s for s in profile.sources if recognise(s, headers)]
    return max(matches, key=lambda s: len(s.recognise)) if matches else None


def all_wanted(profiles: list[Profile]) -> list[set[str]]:
    return [set(s.recognise) for p in profiles for s in p.sources]


# --------------------------------------------------------------------------------------
# Mapping


@dataclass
class SourceReport:
    file: str
    source: str | None
    feeds: str | None
    header_line: int
    rows: int
    columns: dict[str, str] = field(default_factory=dict)
    """canonical column -> the header it came from (or '= VALUE' for a fixed value)."""
    unused_headers: list[str] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    """reason -> rows left out."""
    passed: int = 0
    values: list[dict[str, Any]] = field(default_factory=list)
    """column, value, rows, mapped_to (None: unmapped)."""
    date_formats: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped_ids: list[str] = field(default_factory=list)
    """persons only: the people a filter dropped (their episodes and events go too)."""


@dataclass
class MappingReport:
    profile: str
    title: str
    chosen_because: str
    files: list[SourceReport]
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    """canonical table -> optional columns no source supplied."""
    notes: list[str] = field(default_factory=list)
    """Anything else the reader must know about how the files were combined."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "title": self.title,
            "chosen_because": self.chosen_because,
            "files": [f.__dict__ for f in self.files],
            "missing_columns": self.missing_columns,
            "notes": self.notes,
        }


def mapping_frame(report: MappingReport) -> pl.DataFrame:
    """The mapping report as one flat table (the workbook's Mapping sheet): per file, each
    column used, each header left unused, each exclusion, each value seen, each date format."""
    rows: list[dict[str, Any]] = []
    for f in report.files:
        base = {"file": f.file, "read as": f.source or "(not recognised)", "feeds": f.feeds or ""}

        def add(what: str, item: str, detail: str = "", n: int | None = None, **_: Any) -> None:
            rows.append({**base, "what": what, "item": item, "detail": detail, "rows": n})  # noqa: B023

        add("file", f"header on line {f.header_line}", f"{f.passed:,} passed on", f.rows)
        for canon, header in f.columns.items():
            add("column", canon, f"from {header}")
        for h in f.unused_headers:
            add("header not used", h)
        for reason, n in f.excluded.items():
            add("excluded", reason, "", n)
        for v in f.values:
            add("value", str(v["value"]), v["mapped_to"] or "UNMAPPED", v["rows"])
        for col, formats in f.date_formats.items():
            for fmt, n in formats.items():
                add("date format", col, fmt, n)
    for note in report.notes:
        rows.append(
            {"file": "", "read as": "", "feeds": "", "what": "note", "item": note, "detail": ""}
        )
    schema = {
        "file": pl.String,
        "read as": pl.String,
        "feeds": pl.String,
        "what": pl.String,
        "item": pl.String,
        "detail": pl.String,
        "rows": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


DATE_FORMATS = [
    ("YYYY-MM-DD", r"^\d{4}-\d{2}-\d{2}$"),
    ("YYYY-MM-DD hh:mm[:ss]", r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}"),
    ("DD/MM/YYYY", r"^\d{1,2}/\d{1,2}/\d{4}$"),
    ("DD/MM/YYYY hh:mm[:ss]", r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}"),
    ("Excel serial", r"^\d{1,5}(\.0+)?$"),
]


def _date_formats(frame: pl.DataFrame, column: str) -> dict[str, int]:
    t = pl.col(column).str.strip_chars()
    cases = pl.when(t.is_null() | (t == "")).then(pl.lit("blank"))
    for label, pattern in DATE_FORMATS:
        cases = cases.when(t.str.contains(pattern)).then(pl.lit(label))
    counts = frame.select(fmt=cases.otherwise(pl.lit("other (rejected unless readable)")))
    tally = counts.group_by("fmt").len().sort("fmt")
    return dict(zip(tally["fmt"].to_list(), tally["len"].to_list(), strict=True))


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
            report.date_formats[canon] = _date_formats(kept, canon)
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


def _canonical_header(path: Path) -> bool:
    """Whether a file named like a canonical table (workers.csv) has that table's required
    columns in its first line: an export that happens to share the name does not."""
    spec = TABLES[path.stem.lower()]
    try:
        with open(path, "rb") as fh:
            first = fh.readline(65536)
    except OSError:
        return True  # let the canonical loader report it
    text = _decode(first, path.name).decode("utf-8", errors="replace")
    headers = {norm_header(h) for h in next(csv.reader([text.strip()]), [])}
    return all(norm_header(c) in headers for c in spec.required)


def choose_profile(root: Path, source: str) -> tuple[Profile | None, str]:
    """(profile or None for canonical, why). `auto` chooses by the files' headers."""
    profile, why, _ = _choose(root, source)
    return profile, why


def _choose(
    root: Path, source: str
) -> tuple[Profile | None, str, tuple[list[InputFile], bool] | None]:
    """choose_profile, plus the files `auto` read to decide (so they are not read twice)."""
    if source == "canonical":
        return None, "--source canonical", None
    if source != "auto":
        return load_profile(source), f"--source {source}", None
    canonical_names = {f"{t}.csv" for t in TABLES}
    if root.is_dir():
        found = sorted(
            p.name
            for p in root.iterdir()
            if p.is_file() and p.name.lower() in canonical_names and _canonical_header(p)
        )
        if found:
            return None, f"auto: canonical file names found ({', '.join(found)})", None
    elif (
        root.suffix.lower() in (".xlsx", ".xlsm")
        and root.exists()
        and set(xlsx_sheets(root)) & set(TABLES)
    ):
        return None, "auto: canonical sheet names found", None
    if not root.exists():
        return None, "auto: nothing to inspect", None
    profiles = [load_profile(n) for n in profile_names()]
    read = read_inputs(root, all_wanted(profiles))
    inputs = read[0]

    def score(p: Profile) -> tuple[int, int, list[str]]:
        """(case-system files recognised, all files recognised, their names): every profile
        includes the HR sources, so the case-system files decide."""
        sources = [(i.raw.file, best_source(p, i.raw.headers)) for i in inputs]
        hits = [f for f, s in sources if s is not None]
        own = [f for f, s in sources if s is not None and s.feeds not in STAFF_TABLES]
        return len(own), len(hits), hits

    # ties go to the smaller profile: a folder of HR files alone is read as hr
    scored = sorted(
        ((*score(p), p.name, p) for p in profiles),
        key=lambda t: (t[0], t[1], -len(t[4].sources)),
        reverse=True,
    )
    _, n_hits, hits, name, best = scored[0]
    if n_hits == 0:
        return None, "auto: no export profile recognised the files; reading them as canonical", None
    return (
        best,
        f"auto: {name} recognised {n_hits} of {len(inputs)} files by their headers "
        f"({', '.join(hits)})",
        read,
    )


def load_with_profile(
    root: Path,
    profile: Profile,
    *,
    tables: Any,
    required: Any = (),
    value_maps: dict[str, dict[str, str]] | None = None,
    chosen_because: str = "",
    inputs: tuple[list[InputFile], bool] | None = None,
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
                    unused_headers=[h for h in item.raw.headers if h.strip()],
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
    wanted = [t for t in TABLES if t in set(tables)]
    for name in required:
        if name not in merged:
            raise InputError(
                f"no file the '{profile.name}' profile recognises feeds {name} "
                "(run `supervision-audit inspect` to see how each file was read)",
                file=str(root),
            )
    data = LoadedData(path=str(root))
    known: dict[str, Any] = {}
    issue_frames = []
    from ..loader import ORDER, PARENT_KEY

    for name in [t for t in ORDER if t in wanted and t in merged]:
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
        raw = RawTable(" + ".join(files), canon_cols, body, 0, "")
        table, issues = parse_table(raw, TABLES[name], value_maps, serials=serials, known=known)
        data.tables[name] = table
        issue_frames.append(issues)
        report.missing_columns[name] = [
            c.name for c in TABLES[name].columns if c.name not in canon_cols
        ]
        if name in PARENT_KEY:
            known[name] = (
                table.frame[PARENT_KEY[name]].unique(),
                known.pop(f"_all_{name}", table.frame[PARENT_KEY[name]].unique()),
            )
    if issue_frames:
        data.issues = pl.concat(issue_frames, how="vertical").sort("table", "file", "row", "column")
    return data, report


def load_data(
    data: Path,
    source: str,
    tables: Any,
    required: Any = (),
    value_maps: dict[str, dict[str, str]] | None = None,
) -> LoadedData:
    """The canonical tables at `data`, read directly or through the export profile `source`
    picks (auto: by the files' headers); `.source` says which and why, `.mapping` how."""
    root = Path(data)
    profile, why, read = _choose(root, source)
    if profile is None:
        loaded = load_canonical(root, tables=tables, required=required, value_maps=value_maps)
        loaded.source = f"canonical ({why})"
        return loaded
    loaded, report = load_with_profile(
        root,
        profile,
        tables=tables,
        required=required,
        value_maps=value_maps,
        chosen_because=why,
        inputs=read,
    )
    loaded.source = f"{profile.name} profile ({why})"
    loaded.mapping = report
    return loaded
