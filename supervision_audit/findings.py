"""The JSON finding contract: findings, data issues, rules not evaluated, and the result.

A finding is one overdue episode. Its keys are fixed (FINDING_KEYS) and every output format
(JSON, CSV, workbook, terminal) is rendered from the same frame, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

FINDING_KEYS: tuple[str, ...] = (
    "rule",
    "kind",
    "subject_type",
    "subject_id",
    "category",
    "team",
    "worker_id",
    "due_date",
    "limit_date",
    "met_date",
    "days_overdue",
    "severity",
    "requirement",
    "citation",
    "message",
)

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "rule": pl.String(),
    "kind": pl.String(),
    "subject_type": pl.String(),
    "subject_id": pl.String(),
    "category": pl.String(),
    "team": pl.String(),
    "worker_id": pl.String(),
    "due_date": pl.Date(),
    "limit_date": pl.Date(),
    "met_date": pl.Date(),
    "days_overdue": pl.Int64(),
    "severity": pl.String(),
    "requirement": pl.Categorical(),
    "citation": pl.Categorical(),
    "message": pl.String(),
}
"""requirement and citation have a handful of distinct values per rule (the citation is the
policy's sentence, often hundreds of characters): Categorical holds each text once and a
4-byte code per finding. Every writer renders them as text (`as_text`), so the outputs are
the same strings."""

# Columns the engine keeps beside the contract (for summaries, never serialised as findings).
FINDING_EXTRA_SCHEMA: dict[str, pl.DataType] = {
    "scope": pl.String(),  # "children" or "staff"
    "outstanding": pl.Boolean(),  # still unmet at as_of, subject still open
    "span_end": pl.Date(),  # met date, closure date, or as_of
    "supervisor_id": pl.String(),  # staff: the worker's supervisor (for the by-supervisor view)
}

ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "file": pl.String(),
    "row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "reason": pl.String(),
    "action": pl.String(),  # "rejected" | "counted once" | "warning"
}

SEVERITY_ORDER = {"red": 0, "amber": 1}


def empty_findings() -> pl.DataFrame:
    """A findings frame with no rows and the full schema."""
    return pl.DataFrame(schema={**FINDING_SCHEMA, **FINDING_EXTRA_SCHEMA})


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its Categorical columns as String (for text operations and writers)."""
    cats = [c for c, t in frame.schema.items() if isinstance(t, pl.Categorical | pl.Enum)]
    return frame.with_columns(pl.col(cats).cast(pl.String)) if cats else frame


def empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


SORT_KEYS = ("subject_id", "due_date", "rule", "kind")


def sort_findings(frame: pl.DataFrame) -> pl.DataFrame:
    """The contract order: subject_id, then due_date (then rule, for a stable total order)."""
    return frame.sort(*SORT_KEYS, nulls_last=True, maintain_order=True)


def merge_sorted(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The frames (the rules' findings) as one frame in the contract order, the same as
    `sort_findings(pl.concat(frames))`, built with the memory of one frame plus one column:
    the order is computed from the sort keys alone, then each column is gathered in it and
    its unsorted copy dropped before the next. The caller passes the only references to
    the frames' data: the list is emptied."""
    if not frames:
        return empty_findings()
    merged = pl.concat(frames, how="vertical", rechunk=False)
    frames.clear()
    order = merged.select(
        pl.arg_sort_by(list(SORT_KEYS), nulls_last=True, maintain_order=True)
    ).to_series()
    out: list[pl.Series] = []
    for name in merged.columns:
        out.append(merged[name].gather(order))
        merged = merged.drop(name)
    return pl.DataFrame(out)


def worst_first(frame: pl.DataFrame) -> pl.DataFrame:
    """Report order: red before amber, outstanding first, then most days overdue; ties
    keep the contract order, so the list is the same every run."""
    return frame.sort(
        pl.col("severity").replace_strict(SEVERITY_ORDER, default=9, return_dtype=pl.Int8),
        pl.col("outstanding").not_(),
        pl.col("days_overdue"),
        pl.col("subject_id"),
        descending=[False, False, True, False],
        nulls_last=True,
        maintain_order=True,
    )


@dataclass
class NotEvaluated:
    """A rule (or part of one) that could not be evaluated, and why."""

    rule: str
    scope: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "scope": self.scope, "reason": self.reason}


@dataclass
class AuditResult:
    """Everything one audit produced; the reports render it, never recompute it."""

    tool_version: str
    ruleset_name: str
    ruleset_version: str
    authority: str
    as_of: dt.date
    from_date: dt.date | None
    history_from: dict[str, Any]
    """{"children": {"date": date|None, "source": str}, "staff": {...}}"""
    scope: str
    parameters: dict[str, str]
    findings: pl.DataFrame
    """FINDING_SCHEMA + FINDING_EXTRA_SCHEMA, sorted by the contract order."""
    data_issues: pl.DataFrame
    not_evaluated: list[NotEvaluated]
    summary: dict[str, Any]
    """Headline figures, compliance tables and table reconciliation (JSON-ready)."""
    rules_evaluated: list[str] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """Input files: path, table, size, rows, sha256 (for the workbook's About sheet)."""
    ruleset_path: str | None = None
    ruleset_sha256: str | None = None
    source_note: str | None = None
    covered: pl.DataFrame | None = None
    """Subjects each rule applies to at as_of (context.COVERED_SCHEMA), after the filters."""

    def findings_contract(self) -> pl.DataFrame:
        """The findings with exactly the contract's keys, in the contract's order (`findings`
        is kept sorted: assemble sorts it, and pseudonymising sorts the tokens again)."""
        return self.findings.select(FINDING_KEYS)

    def to_json_obj(self, rows: bool = True) -> dict[str, Any]:
        """The JSON document: the contract's top-level keys, dates as ISO strings.
        rows=False leaves the findings and data issues empty (report/jsonout.py fills them)."""
        return {
            "tool_version": self.tool_version,
            "ruleset": {"name": self.ruleset_name, "version": self.ruleset_version},
            "as_of": self.as_of.isoformat(),
            "from": self.from_date.isoformat() if self.from_date else None,
            "summary": self.summary,
            "findings": _records(self.findings_contract()) if rows else [],
            "data_issues": _records(self.data_issues.select(list(ISSUE_SCHEMA))) if rows else [],
            "not_evaluated": [n.to_dict() for n in self.not_evaluated],
        }


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with dates as ISO strings (JSON-ready)."""
    date_cols = [n for n, t in frame.schema.items() if t == pl.Date]
    if date_cols:
        frame = frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c in date_cols)
    return frame.to_dicts()
