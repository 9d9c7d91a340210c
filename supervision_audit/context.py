"""What a rule kind gets to evaluate a rule, and what it gives back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .findings import NotEvaluated

COVERED_SCHEMA: dict[str, pl.DataType] = {
    "scope": pl.String(),
    "subject_type": pl.String(),
    "subject_id": pl.String(),
    "category": pl.String(),
    "team": pl.String(),
    "worker_id": pl.String(),
    "supervisor_id": pl.String(),
    "outstanding": pl.Boolean(),
}


@dataclass
class EvalContext:
    """Loaded, validated tables plus the audit's dates, shared by every rule."""

    as_of: dt.date
    from_date: dt.date | None
    tables: dict[str, pl.DataFrame]
    """Used rows of each present table (typed columns + _row)."""
    columns_present: dict[str, set[str]]
    history_from: dict[str, dt.date | None]
    """Per scope ("children", "staff"): the date from which event data is complete."""
    history_option: dt.date | None = None
    """--history-from as given (None: each rule uses the earliest date of its own data)."""
    params: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def has(self, table: str) -> bool:
        return table in self.tables


@dataclass
class RuleOutcome:
    """One rule's findings and coverage at as_of."""

    rule_id: str
    scope: str
    findings: pl.DataFrame
    """FINDING_SCHEMA + FINDING_EXTRA_SCHEMA."""
    covered: pl.DataFrame
    """COVERED_SCHEMA: subjects this rule applies to at as_of, and whether one is in breach."""
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    """Evaluated, but with a limitation the reader must know (e.g. no absences table)."""
    detail: Any = None
    """Kind-specific intermediate frames (the interval clock's), for `explain`."""


def empty_covered() -> pl.DataFrame:
    return pl.DataFrame(schema=COVERED_SCHEMA)
