"""What the manager views share: subject codes as the rule kinds encoded them."""

from __future__ import annotations

import polars as pl

from ..audit import AuditRun


def subject_codes(run: AuditRun, scope: str) -> pl.DataFrame | None:
    """subject code -> subject_id for the scope (as the rule kinds encoded them)."""
    key, id_col = ("persons", "person_id") if scope == "children" else ("workers", "worker_id")
    codes = run.context.cache.get(key)
    if codes is None:
        return None
    return codes.select("subject", pl.col(id_col).alias("subject_id"))
