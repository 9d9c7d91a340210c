"""The JSON document: the finding contract (see findings.py), deterministic key order.

The summary is serialised by `json`; the findings and data issues, which can run to
millions of rows, are serialised by Polars (one object per line inside the arrays), which
is many times faster than building a Python dict per row.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl

from ..findings import ISSUE_SCHEMA
from .atomic import atomic_write_text

_FINDINGS = "\x00findings\x00"
_ISSUES = "\x00issues\x00"


def _array(frame: pl.DataFrame, indent: str = "    ") -> str:
    if frame.height == 0:
        return "[]"
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    buf = io.BytesIO()
    frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c in dates).write_ndjson(buf)
    lines = buf.getvalue().decode("utf-8").splitlines()
    return "[\n" + ",\n".join(indent + line for line in lines) + "\n  ]"


def render_json(result: Any) -> str:
    obj = result.to_json_obj(rows=False)
    obj["findings"] = _FINDINGS
    obj["data_issues"] = _ISSUES
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
    text = text.replace(json.dumps(_FINDINGS), _array(result.findings_contract()), 1)
    text = text.replace(json.dumps(_ISSUES), _array(result.data_issues.select(list(ISSUE_SCHEMA))), 1)
    return text + "\n"


def write_json(result: Any, path: Path) -> Path:
    return atomic_write_text(path, render_json(result))
