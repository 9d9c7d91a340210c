"""Matching a file's headers to a table's columns (ignoring case, spaces, underscores and
hyphens).
"""

from __future__ import annotations

from ..errors import InputError
from .schema import TableSpec


def norm_header(text: str) -> str:
    """Header matching ignores case, spaces, underscores and hyphens."""
    return "".join(ch for ch in text.strip().lower() if ch not in " _-\t")


def match_headers(
    headers: list[str], file: str, spec: TableSpec
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(canonical -> raw column cN, canonical -> header text, unused headers) for a file's
    headers (raw column cN is the N-th header)."""
    wanted = {norm_header(c.name): c.name for c in spec.columns}
    seen: dict[str, list[str]] = {}
    for i, h in enumerate(headers):
        key = norm_header(h)
        if key in wanted:
            seen.setdefault(wanted[key], []).append(f"c{i}")
    dupes = {canon: cols for canon, cols in seen.items() if len(cols) > 1}
    if dupes:
        described = "; ".join(
            f"{canon} (columns {', '.join(str(int(c[1:]) + 1) for c in cols)})"
            for canon, cols in dupes.items()
        )
        raise InputError(f"duplicate columns: {described}", file=file)
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        if h:
            positions.setdefault(h, []).append(i + 1)
    repeated = [cols for cols in positions.values() if len(cols) > 1]
    if repeated:
        # positions, not the text: without a header row the "headers" are a child's data
        raise InputError(
            "duplicate column headers in columns "
            + "; ".join(" and ".join(map(str, cols)) for cols in repeated),
            file=file,
        )
    to_raw = {canon: cols[0] for canon, cols in seen.items()}
    header_map = {canon: headers[int(col[1:])] for canon, col in to_raw.items()}
    extra = [h for i, h in enumerate(headers) if f"c{i}" not in to_raw.values() and h.strip()]
    for c in spec.columns:
        if c.required and c.name not in to_raw:
            raise InputError(
                missing_column_message(c.name, spec, headers, to_raw), file=file, column=c.name
            )
    return to_raw, header_map, extra


def missing_column_message(
    name: str, spec: TableSpec, headers: list[str], to_raw: dict[str, str]
) -> str:
    """Which columns were expected, and the count of what was found: never a found
    header's text (a file that lost its header row shows a child's name there)."""
    others = sum(1 for i, h in enumerate(headers) if h.strip() and f"c{i}" not in to_raw.values())
    known = ", ".join(to_raw) or "none"
    hint = " (is the header row missing?)" if not to_raw else ""
    return (
        f"required column '{name}' is missing (expected: {', '.join(spec.required)}; found: "
        f"{known} known, {others} other column(s)){hint}"
    )
