"""The JSON document: the finding contract (see findings.py), deterministic key order.

The summary is serialised by `json`; the findings and data issues, which can run to
millions of rows, are serialised by Polars in slices of 100,000 rows (one object per line
inside the arrays) and streamed to the output, so memory stays flat however many rows.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl

from ..findings import ISSUE_SCHEMA
from .atomic import staged

SLICE = 100_000
_FINDINGS = "\x00findings\x00"
_ISSUES = "\x00issues\x00"
_SEP = b",\n    "


def _array_chunks(frame: pl.DataFrame) -> Iterator[bytes | memoryview]:
    if frame.height == 0:
        yield b"[]"
        return
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    yield b"[\n    "
    for i, part in enumerate(frame.iter_slices(SLICE)):
        buf = io.BytesIO()
        part.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c in dates).write_ndjson(buf)
        # Every line ends in a newline, which becomes the separator; the last one is left
        # out by a view of the buffer rather than another copy of it.
        body = buf.getvalue().replace(b"\n", _SEP)
        if i:
            yield _SEP
        yield memoryview(body)[: -len(_SEP)]
    yield b"\n  ]"


def write_json_to(result: Any, out: IO[bytes]) -> None:
    """Stream the document to a binary file object."""
    obj = result.to_json_obj(rows=False)
    obj["findings"] = _FINDINGS
    obj["data_issues"] = _ISSUES
    head = json.dumps(obj, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    f_mark, i_mark = json.dumps(_FINDINGS).encode(), json.dumps(_ISSUES).encode()
    before, rest = head.split(f_mark, 1)
    middle, after = rest.split(i_mark, 1)
    out.write(before)
    for chunk in _array_chunks(result.findings_contract()):
        out.write(chunk)
    out.write(middle)
    for chunk in _array_chunks(result.data_issues.select(list(ISSUE_SCHEMA))):
        out.write(chunk)
    out.write(after + b"\n")


def render_json(result: Any) -> str:
    buf = io.BytesIO()
    write_json_to(result, buf)
    return buf.getvalue().decode("utf-8")


def write_json(result: Any, path: Path) -> Path:
    with staged(path) as tmp, open(tmp, "wb") as fh:
        write_json_to(result, fh)
    return Path(path)
