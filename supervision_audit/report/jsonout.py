"""The JSON document: the finding contract (see findings.py), deterministic key order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text


def render_json(result: Any) -> str:
    return json.dumps(result.to_json_obj(), indent=2, ensure_ascii=False, default=str) + "\n"


def write_json(result: Any, path: Path) -> Path:
    return atomic_write_text(path, render_json(result))
