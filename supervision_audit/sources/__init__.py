"""Reading the input tables: one entry point, `load_data`.

read (files as text, header row found), headers (matching headers to columns), parse (text to
typed canonical tables, with the data issues), reconcile (what a load returns and how its rows
add up), canonical (the canonical tables by file name), profiles/ (council exports through an
export profile), schema (the canonical tables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .canonical import load_canonical
from .profiles.choose import choose_and_read
from .profiles.mapping import load_with_profile
from .reconcile import LoadedData, LoadedTable

__all__ = ["LoadedData", "LoadedTable", "load_canonical", "load_data"]


def load_data(
    data: Path,
    source: str,
    tables: Any,
    required: Any = (),
    value_maps: dict[str, dict[str, str]] | None = None,
    dates_until: Any = None,
) -> LoadedData:
    """The canonical tables at `data`, read directly or through the export profile `source`
    picks (auto: by the files' headers); `.source` says which and why, `.mapping` how."""
    root = Path(data)
    profile, why, read = choose_and_read(root, source)
    if profile is None:
        loaded = load_canonical(
            root, tables=tables, required=required, value_maps=value_maps, dates_until=dates_until
        )
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
        dates_until=dates_until,
    )
    loaded.source = f"{profile.name} profile ({why})"
    loaded.mapping = report
    return loaded
