"""Matching a file's headers to a table's columns (ignoring case, spaces, underscores and
hyphens).
"""

from __future__ import annotations

from ..errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .read import RawTable
    from .schema import TableSpec


def norm_header(text: str) -> str:
    """Header matching ignores case, spaces, underscores and hyphens."""
    return "".join(ch for ch in text.strip().lower() if ch not in " _-\t")


def match_headers(
    raw: RawTable, spec: TableSpec
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(canonical -> raw column cN, canonical -> header text, unused headers)."""
    wanted = {norm_header(c.name): c.name for c in spec.columns}
    seen: dict[str, list[str]] = {}
    for i, h in enumerate(raw.headers):
        key = norm_header(h)
        if key in wanted:
            seen.setdefault(wanted[key], []).append(f"c{i}")
    dupes = {canon: cols for canon, cols in seen.items() if len(cols) > 1}
    if dupes:
        described = "; ".join(
            f"{canon} ({', '.join(repr(raw.headers[int(c[1:])]) for c in cols)})"
            for canon, cols in dupes.items()
        )
        raise InputError(f"duplicate columns: {described}", file=raw.file)
    exact = [h for h in raw.headers if h and raw.headers.count(h) > 1]
    if exact:
        raise InputError(
            f"duplicate column headers: {', '.join(sorted(set(exact)))}", file=raw.file
        )
    to_raw = {canon: cols[0] for canon, cols in seen.items()}
    header_map = {canon: raw.headers[int(col[1:])] for canon, col in to_raw.items()}
    extra = [h for i, h in enumerate(raw.headers) if f"c{i}" not in to_raw.values() and h.strip()]
    for c in spec.columns:
        if c.required and c.name not in to_raw:
            raise InputError(
                f"required column '{c.name}' is missing (headers found: "
                f"{', '.join(h for h in raw.headers if h.strip()) or 'none'})",
                file=raw.file,
                column=c.name,
            )
    return to_raw, header_map, extra
