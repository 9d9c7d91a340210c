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


HISTORY_TABLES = ("case_events", "worker_sessions", "worker_events", "team_events")
SCOPE_HISTORY = {
    "children": ("case_events", "earliest case event"),
    "staff": ("worker_sessions", "earliest worker session"),
}
"""Which table's history is each scope's history date, and how the report names it."""


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
    """--history-from as given (None: each table's history starts at its earliest date)."""
    history_by_table: dict[str, dt.date | None] = field(default_factory=dict)
    """Per event table: the date from which its events are complete (see `history`)."""
    params: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    partition_subjects: int = 250_000
    """Rules that work subject by subject (the children's interval clock) run over ranges of
    at most this many subjects, one range after another, and merge: the same findings as
    one run over all, with the working memory of one range rather than of every subject."""

    def has(self, table: str) -> bool:
        return table in self.tables

    def history(self, table: str) -> dt.date | None:
        """The date from which `table`'s events are complete: --history-from, else the
        earliest date in that table (its export's first day); None for an absent or empty
        table. Settled once, by `settle_history`; every rule kind reads it from here."""
        return self.history_by_table.get(table)

    def settle_history(self) -> None:
        """Fix the history date of every event table, and of each scope (children: case
        events; staff: worker sessions), once, before any rule runs."""
        for table in HISTORY_TABLES:
            frame = self.tables.get(table)
            earliest = frame["date"].min() if frame is not None and frame.height else None
            self.history_by_table[table] = (
                self.history_option if self.history_option is not None else earliest  # type: ignore[assignment]
            )
        sources = self.cache.setdefault("history_source", {})
        for scope, (table, what) in SCOPE_HISTORY.items():
            self.history_from[scope] = self.history_by_table[table]
            if self.history_option is not None:
                sources[scope] = "--history-from"
            else:
                sources[scope] = (
                    what if self.history_from[scope] is not None else f"no {table} rows"
                )


@dataclass
class RuleOutcome:
    """One rule's findings and coverage at as_of."""

    rule_id: str
    scope: str
    findings: pl.DataFrame
    """FINDING_SCHEMA + FINDING_EXTRA_SCHEMA. audit.assemble moves them into the result's
    one sorted frame (result.findings, filtered on `rule`) and leaves this empty."""
    covered: pl.DataFrame
    """COVERED_SCHEMA: subjects this rule applies to at as_of, and whether one is in breach."""
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    """Evaluated, but with a limitation the reader must know (e.g. no absences table)."""
    detail: Any = None
    """Kind-specific intermediate frames (the interval clock's), for `explain`."""


def empty_covered() -> pl.DataFrame:
    return pl.DataFrame(schema=COVERED_SCHEMA)
