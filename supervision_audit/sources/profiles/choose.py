"""Recognising export files by their headers, and choosing the profile that reads a folder."""

from __future__ import annotations

import csv
from pathlib import Path

from ..headers import norm_header
from ..read import InputFile, decode_head, read_inputs, xlsx_sheets
from ..schema import STAFF_TABLES, TABLES
from .model import Profile, Source, load_profile, profile_names


def recognise(source: Source, headers: list[str]) -> bool:
    keys = {norm_header(h) for h in headers if h}
    return set(source.recognise) <= keys


def best_source(profile: Profile, headers: list[str]) -> Source | None:
    """The most specific source whose recognising headers the file has."""
    matches = [s for s in profile.sources if recognise(s, headers)]
    return max(matches, key=lambda s: len(s.recognise)) if matches else None


def all_wanted(profiles: list[Profile]) -> list[set[str]]:
    return [set(s.recognise) for p in profiles for s in p.sources]


def _canonical_header(path: Path) -> bool:
    """Whether a file named like a canonical table (workers.csv) has that table's required
    columns in its first line: an export that happens to share the name does not."""
    spec = TABLES[path.stem.lower()]
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return True  # let the canonical loader report it
    first = decode_head(head).split("\n", 1)[0]
    headers = {norm_header(h) for h in next(csv.reader([first.strip()]), [])}
    return all(norm_header(c) in headers for c in spec.required)


def choose_profile(root: Path, source: str) -> tuple[Profile | None, str]:
    """(profile or None for canonical, why). `auto` chooses by the files' headers."""
    profile, why, _ = choose_and_read(root, source)
    return profile, why


def choose_and_read(
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
