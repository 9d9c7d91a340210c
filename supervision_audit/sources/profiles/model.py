"""Export profiles as data: a profile is a list of sources, each one kind of export file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...yamlio import load_yaml_file
from ..headers import norm_header
from ..schema import TABLES

PROFILE_DIR = Path(__file__).resolve().parent


LOOKUPS = ("persons", "allocations", "staff_details", "lookup", "links")
LOOKUP_COLUMNS = {
    "staff_details": ("worker_id", "name", "role", "team", "staff_number"),
    "persons": ("person_id", "person_name", "date_of_birth"),
    "allocations": ("person_id", "worker_id", "team", "start_date", "end_date"),
    "lookup": ("code", "description"),
    "links": ("code", "person_id"),
}
CODE_LISTS = ("lookup", "links")
"""Sources read before the others, which read their codes through them."""
DEFAULT_BLANKS = ("", "null", "#n/a")
"""Cell texts read as blank in every profile (compared trimmed and lower-cased)."""
DEFAULT_BLANK_DATES = ("1900-01-01",)
"""SQL Server's ISNULL(date, '') and SystemC's 'no date' stand-in."""

Spelling = str | tuple[str, ...]
"""A header, or several headers whose cells are joined with a space (forename + surname)."""


FILTER_KEYS = ("column", "keep", "drop", "reason", "drop_set")


@dataclass(frozen=True)
class Filter:
    column: tuple[str, ...]
    keep: tuple[str, ...] | None
    drop: tuple[str, ...] | None
    reason: str
    drop_set: bool = False
    """Rows whose cell holds any value (not blank) are left out (LiquidLogic's
    DUPLICATED_DTTM: a date set when the record is a duplicate)."""


@dataclass(frozen=True)
class DatesFrom:
    """An episode source without dates: start on the child's latest `take` of `category`."""

    category: str
    take: str = "end_date"


@dataclass(frozen=True)
class Link:
    """A source with no person column takes its persons through a `links` source: each
    row's `column` code is looked up there, one row per person it links to (Mosaic's
    DM_WORKFLOW_STEPS.SUBGROUP_ID through DM_SUBGROUP_SUBJECTS)."""

    column: tuple[str, ...]
    to: str


@dataclass(frozen=True)
class Source:
    name: str
    feeds: str
    recognise: tuple[str, ...]
    columns: dict[str, tuple[Spelling, ...]]
    fixed: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped: dict[str, str] = field(default_factory=dict)
    """column -> 'exclude' (rows whose value is not in the map are left out, and counted) or
    'keep' (passed on as they are, so the loader reports an unknown value)."""
    filters: tuple[Filter, ...] = ()
    describe: dict[str, str | tuple[Spelling, ...]] = field(default_factory=dict)
    """column -> a lookup source's name, or headers of the same file holding the description
    (the first present; a nested list is several headers joined, as in `columns`)."""
    one_row_per: tuple[str, ...] = ()
    dates_from: DatesFrom | None = None
    link: Link | None = None


@dataclass
class Profile:
    name: str
    title: str
    description: str
    path: Path
    sources: list[Source]
    system: str = ""
    blanks: tuple[str, ...] = DEFAULT_BLANKS
    blank_dates: tuple[str, ...] = DEFAULT_BLANK_DATES
    missing: dict[str, str] = field(default_factory=dict)
    auto: bool = True
    """False for parts other profiles include (case notes): `auto` never picks them alone."""


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


def _spellings(value: Any, where: str, path: Path) -> tuple[Spelling, ...]:
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list of header names", file=str(path))
    out: list[Spelling] = []
    for v in value:
        if isinstance(v, list):
            out.append(_strings(v, where, path))
        elif isinstance(v, str | int):
            out.append(str(v))
        else:
            raise InputError(f"{where}: expected a list of header names", file=str(path))
    return tuple(out)


def _source(raw: dict[str, Any], where: str, path: Path) -> Source:
    feeds = str(raw["feeds"])
    if feeds not in TABLES and feeds not in LOOKUPS:
        known = ", ".join([*TABLES, *LOOKUPS])
        raise InputError(
            f"{where}: feeds unknown table '{feeds}' (expected: {known})", file=str(path)
        )
    allowed = (
        set(LOOKUP_COLUMNS[feeds]) if feeds in LOOKUPS else {c.name for c in TABLES[feeds].columns}
    )
    columns = {}
    for canon, spellings in (raw.get("columns") or {}).items():
        if canon not in allowed:
            raise InputError(
                f"{where}: '{canon}' is not a column of {feeds} (expected: "
                f"{', '.join(sorted(allowed))})",
                file=str(path),
            )
        columns[canon] = _spellings(spellings, f"{where}.columns.{canon}", path)
    for f in raw.get("filters") or []:
        unknown = sorted(str(k) for k in (f if isinstance(f, dict) else {}) if k not in FILTER_KEYS)
        if unknown or not isinstance(f, dict):
            # an unquoted comma in a flow mapping ({reason: a, b}) makes "b" a key
            raise InputError(
                f"{where}.filters: unknown key(s) {', '.join(unknown) or '(not a mapping)'} "
                f"(expected: {', '.join(FILTER_KEYS)}; quote a reason that has a comma)",
                file=str(path),
            )
    filters = tuple(
        Filter(
            _strings(f.get("column"), f"{where}.filters", path),
            _strings(f["keep"], f"{where}.filters.keep", path) if "keep" in f else None,
            _strings(f["drop"], f"{where}.filters.drop", path) if "drop" in f else None,
            str(f.get("reason") or "filtered out"),
            bool(f.get("drop_set", False)),
        )
        for f in raw.get("filters") or []
    )
    recognise = _strings(raw.get("recognise") or [], f"{where}.recognise", path)
    if not recognise:
        raise InputError(
            f"{where}: 'recognise' lists the headers that identify the file", file=str(path)
        )
    describe: dict[str, str | tuple[Spelling, ...]] = {}
    for col, what in (raw.get("describe") or {}).items():
        describe[str(col)] = (
            str(what) if isinstance(what, str) else _spellings(what, f"{where}.describe", path)
        )
    dates_from = None
    if raw.get("dates_from"):
        spec = raw["dates_from"]
        if not isinstance(spec, dict) or "category" not in spec:
            raise InputError(f"{where}.dates_from: needs 'category'", file=str(path))
        dates_from = DatesFrom(str(spec["category"]), str(spec.get("take") or "end_date"))
    link = None
    if raw.get("link"):
        spec = raw["link"]
        if not isinstance(spec, dict) or "column" not in spec or "to" not in spec:
            raise InputError(
                f"{where}.link: needs 'column' (the code's headers) and 'to' (a links source)",
                file=str(path),
            )
        link = Link(_strings(spec["column"], f"{where}.link.column", path), str(spec["to"]))
    return Source(
        name=str(raw["name"]),
        feeds=feeds,
        recognise=tuple(norm_header(h) for h in recognise),
        columns=columns,
        fixed={str(k): str(v) for k, v in (raw.get("fixed") or {}).items()},
        values=_values(raw.get("values")),
        unmapped={str(k): str(v) for k, v in (raw.get("unmapped") or {}).items()},
        filters=filters,
        describe=describe,
        one_row_per=_strings(raw.get("one_row_per") or [], f"{where}.one_row_per", path),
        dates_from=dates_from,
        link=link,
    )


def _values(raw: Any) -> dict[str, dict[str, str]]:
    return {
        str(col): {str(k).strip().lower(): str(v) for k, v in (m or {}).items()}
        for col, m in (raw or {}).items()
    }


def _amend(base: Source, raw: dict[str, Any], where: str, path: Path) -> Source:
    """An included source amended by a source of the same name without `feeds`: its value
    maps are added (its entries win); any other key it gives replaces the included one."""
    merged = {
        "name": base.name,
        "feeds": base.feeds,
        "recognise": list(base.recognise),
        "columns": {
            k: [list(s) if isinstance(s, tuple) else s for s in v] for k, v in base.columns.items()
        },
    }
    amended = _source({**merged, **{k: v for k, v in raw.items() if k != "values"}}, where, path)
    kept = {k: raw[k] for k in raw if k != "values"}
    values = {c: dict(m) for c, m in base.values.items()}
    for col, extra in _values(raw.get("values")).items():
        values.setdefault(col, {}).update(extra)
    return Source(
        name=base.name,
        feeds=base.feeds,
        recognise=amended.recognise if "recognise" in kept else base.recognise,
        columns=amended.columns if "columns" in kept else base.columns,
        fixed=amended.fixed if "fixed" in kept else base.fixed,
        values=values,
        unmapped=amended.unmapped if "unmapped" in kept else base.unmapped,
        filters=amended.filters if "filters" in kept else base.filters,
        describe=amended.describe if "describe" in kept else base.describe,
        one_row_per=amended.one_row_per if "one_row_per" in kept else base.one_row_per,
        dates_from=amended.dates_from if "dates_from" in kept else base.dates_from,
        link=amended.link if "link" in kept else base.link,
    )


def load_profile(name_or_path: str, _seen: tuple[Path, ...] = ()) -> Profile:
    path = resolve_profile(name_or_path)
    if path in _seen:
        raise InputError("profiles include each other in a loop", file=str(path))
    data = load_yaml_file(path)
    if not isinstance(data, dict):
        raise InputError("a profile is a YAML mapping", file=str(path))
    sources: list[Source] = []
    blanks = list(DEFAULT_BLANKS)
    blank_dates = list(DEFAULT_BLANK_DATES)
    missing: dict[str, str] = {}
    for inc in data.get("include") or []:
        included = load_profile(str(inc), (*_seen, path))
        sources += included.sources
        blanks += [b for b in included.blanks if b not in blanks]
        blank_dates += [d for d in included.blank_dates if d not in blank_dates]
        for k, v in included.missing.items():
            missing.setdefault(k, v)
    for i, raw in enumerate(data.get("sources") or []):
        where = f"sources[{i}]"
        if not isinstance(raw, dict) or "name" not in raw:
            raise InputError(f"{where}: needs 'name' and 'feeds'", file=str(path))
        if "feeds" not in raw:
            at = [j for j, s in enumerate(sources) if s.name == str(raw["name"])]
            if not at:
                raise InputError(
                    f"{where}: needs 'feeds' (or the name of an included source to amend)",
                    file=str(path),
                )
            sources[at[-1]] = _amend(sources[at[-1]], raw, where, path)
            continue
        sources.append(_source(raw, where, path))
    blanks += [str(b).strip().lower() for b in data.get("blanks") or [] if str(b) not in blanks]
    blank_dates += [str(d) for d in data.get("blank_dates") or [] if str(d) not in blank_dates]
    for table, text in (data.get("missing") or {}).items():
        missing[str(table)] = " ".join(str(text).split())
    return Profile(
        name=str(data.get("name") or path.stem),
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        path=path,
        sources=sources,
        system=str(data.get("system") or ""),
        blanks=tuple(blanks),
        blank_dates=tuple(blank_dates),
        missing=missing,
        auto=bool(data.get("auto", True)),
    )
