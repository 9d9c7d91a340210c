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
