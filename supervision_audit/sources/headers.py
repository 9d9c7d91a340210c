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
            f"{canon} ({', '.join(repr(headers[int(c[1:])]) for c in cols)})"
            for canon, cols in dupes.items()
        )
        raise InputError(f"duplicate columns: {described}", file=file)
    exact = [h for h in headers if h and headers.count(h) > 1]
    if exact:
        raise InputError(f"duplicate column headers: {', '.join(sorted(set(exact)))}", file=file)
    to_raw = {canon: cols[0] for canon, cols in seen.items()}
    header_map = {canon: headers[int(col[1:])] for canon, col in to_raw.items()}
    extra = [h for i, h in enumerate(headers) if f"c{i}" not in to_raw.values() and h.strip()]
    for c in spec.columns:
        if c.required and c.name not in to_raw:
            raise InputError(
                f"required column '{c.name}' is missing (headers found: "
                f"{', '.join(h for h in headers if h.strip()) or 'none'})",
                file=file,
                column=c.name,
            )
    return to_raw, header_map, extra
