"""The JSON document: the finding contract (see findings.py), deterministic key order.

The summary is serialised by `json`; the findings and data issues, which can run to
millions of rows, are serialised by Polars (one object per line inside the arrays) and
spliced in as bytes, which is many times faster than building a Python dict per row.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl

from ..findings import ISSUE_SCHEMA
from .atomic import atomic_write

_FINDINGS = "\x00findings\x00"
_ISSUES = "\x00issues\x00"


def _array(frame: pl.DataFrame) -> bytes:
    if frame.height == 0:
        return b"[]"
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    buf = io.BytesIO()
    frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c in dates).write_ndjson(buf)
    body = buf.getvalue().rstrip(b"\n").replace(b"\n", b",\n    ")
    return b"[\n    " + body + b"\n  ]"


def render_json_bytes(result: Any) -> bytes:
    obj = result.to_json_obj(rows=False)
    obj["findings"] = _FINDINGS
    obj["data_issues"] = _ISSUES
    head = json.dumps(obj, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    findings = _array(result.findings_contract())
    issues = _array(result.data_issues.select(list(ISSUE_SCHEMA)))
    head = head.replace(json.dumps(_FINDINGS).encode(), findings, 1)
    head = head.replace(json.dumps(_ISSUES).encode(), issues, 1)
    return head + b"\n"


def render_json(result: Any) -> str:
    return render_json_bytes(result).decode("utf-8")


def write_json(result: Any, path: Path) -> Path:
    data = render_json_bytes(result)
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))
