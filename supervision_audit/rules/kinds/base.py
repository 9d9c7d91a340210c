"""What the rule kinds share: the not-evaluated outcome, the finding frame, staff filters,
the workers active at as_of and the coverage built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl

from ...context import EvalContext, RuleOutcome, empty_covered
from ...findings import FINDING_EXTRA_SCHEMA, FINDING_SCHEMA, NotEvaluated, empty_findings
from ...vocab import subject_type_expr
from ...yamlio import LineDict
from ..model import Ctx, Rule


@dataclass(frozen=True)
class RuleKind:
    """A rule kind: its YAML fields, how to validate them, and how to evaluate a rule."""

    name: str
    summary: str
    fields: dict[str, str]
    """Kind-specific YAML fields and what each holds (the schema reference is built from it)."""
    scopes: tuple[str, ...]
    default_scope: str
    validate: Callable[[Ctx, LineDict, Rule], object]
    """validate(ctx, rule_mapping, rule) -> spec; raises RulesetError via ctx.fail."""
    evaluate: Callable[[EvalContext, Rule], RuleOutcome]
    """evaluate(audit_context, rule) -> RuleOutcome."""
    describe: Callable[[Rule], list[dict[str, str]]]
    """describe(rule) -> rows {applies_to, requirement, counts} for `rulesets show`."""


SEVERITIES = ("red", "amber")
STAFF_FILTER_KEYS = {
    "roles": "any of these roles (matched ignoring case)",
    "frontline": "true: frontline staff only; false: non-frontline only",
}


def not_evaluated(rule: Rule, reason: str) -> RuleOutcome:
    """An outcome with no findings and no coverage: the rule is listed as not evaluated."""
    return RuleOutcome(
        rule.id,
        rule.scope,
        empty_findings(),
        empty_covered(),
        [NotEvaluated(rule.id, rule.scope, reason)],
    )


def missing_table(ctx: EvalContext, rule: Rule, *tables: str) -> RuleOutcome | None:
    """The guard every kind starts with: not evaluated, naming the first of `tables` the data
    lacks ("no workers table in the data"; audit.source_caveats matches this wording), or
    None when all are there."""
    for table in tables:
        if not ctx.has(table):
            return not_evaluated(rule, f"no {table} table in the data")
    return None


def days_text(column: str = "days_overdue") -> pl.Expr:
    """'1 day', '12 days': a count of calendar days as a finding's message writes it."""
    return (
        pl.when(pl.col(column) == 1)
        .then(pl.lit("1 day"))
        .otherwise(pl.format("{} days", pl.col(column)))
    )


def finalise(
    frame: pl.DataFrame, rule: Rule, *, requirement: str | None = None, severity: str = "red"
) -> pl.DataFrame:
    """The finding contract (plus the engine's extra columns) from a kind's working frame:
    columns it has are cast, the rule's own fill the rest, anything else is null. (A frame
    with per-row requirement, citation and severity, like the interval clock's, keeps them.)"""
    if frame.height == 0:
        return empty_findings()
    own = {
        "rule": pl.lit(rule.id),
        "kind": pl.lit(rule.kind),
        "requirement": pl.lit(requirement),
        "citation": pl.lit(rule.citation()),
        "severity": pl.lit(severity),
        "scope": pl.lit(rule.scope),
    }
    schema = {**FINDING_SCHEMA, **FINDING_EXTRA_SCHEMA}
    return frame.select(
        (pl.col(c) if c in frame.columns else own.get(c, pl.lit(None))).cast(t).alias(c)
        for c, t in schema.items()
    )


def severity(ctx: Ctx, data: LineDict, default: str = "red") -> str:
    value = ctx.string(data, "severity", required=False, default=default)
    if value not in SEVERITIES:
        raise ctx.fail(data, "severity", f"expected one of: {', '.join(SEVERITIES)}")
    return value


@dataclass(frozen=True)
class StaffFilter:
    """Which workers a staff rule applies to (None: everyone)."""

    roles: tuple[str, ...] | None = None
    frontline: bool | None = None

    def filter(self, workers: pl.DataFrame) -> pl.DataFrame:
        if self.roles:
            wanted = [r.lower() for r in self.roles]
            workers = workers.filter(pl.col("role").str.to_lowercase().is_in(wanted))
        if self.frontline is not None:
            workers = workers.filter(pl.col("frontline") == self.frontline)
        return workers

    def words(self) -> str:
        parts = []
        if self.roles:
            parts.append(" or ".join(self.roles))
        if self.frontline is not None:
            parts.append("frontline" if self.frontline else "not frontline")
        return ", ".join(parts) or "all staff"


def staff_filter(ctx: Ctx, data: LineDict, key: str = "when") -> StaffFilter:
    if key not in data or data[key] is None:
        return StaffFilter()
    when = ctx.mapping(data[key], data, key)
    ctx.no_unknown_keys(when, STAFF_FILTER_KEYS, f"'{key}'")
    frontline = ctx.boolean(when, "frontline", True) if "frontline" in when else None
    return StaffFilter(ctx.string_list(when, "roles"), frontline)


def workers_active(ctx: EvalContext, on: Any = None) -> pl.DataFrame:
    """Workers employed on `on` (default as_of): start_date <= day <= end_date (open if blank)."""
    return ctx.tables["workers"].filter(open_on(day=on or ctx.as_of))


def worker_info(ctx: EvalContext) -> pl.DataFrame:
    """worker_id -> role, team, supervisor_id (empty when there is no workers table)."""
    if not ctx.has("workers"):
        return pl.DataFrame(
            schema={
                "worker_id": pl.String,
                "role": pl.String,
                "team": pl.String,
                "supervisor_id": pl.String,
            }
        )
    return ctx.tables["workers"].select("worker_id", "role", "team", "supervisor_id")


def covered_workers(active: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """Coverage: the active workers a staff rule applies to, and whether each has an
    outstanding finding under it."""
    if active.height == 0:
        return empty_covered()
    breached = (
        findings.filter(pl.col("outstanding") & (pl.col("subject_type") == "worker"))
        .select("subject_id")
        .unique()
        .with_columns(outstanding=pl.lit(True))
    )
    return active.join(breached, left_on="worker_id", right_on="subject_id", how="left").select(
        scope=pl.lit("staff"),
        subject_type=pl.lit("worker"),
        subject_id=pl.col("worker_id"),
        category=pl.col("role"),
        team=pl.col("team"),
        worker_id=pl.col("worker_id"),
        supervisor_id=pl.col("supervisor_id"),
        outstanding=pl.col("outstanding").fill_null(False),
    )


def covered_active_workers(
    ctx: EvalContext, findings: pl.DataFrame, when: StaffFilter | None = None
) -> pl.DataFrame:
    """covered_workers over the workers active at as_of (that `when` selects); empty without
    a workers table."""
    if not ctx.has("workers"):
        return empty_covered()
    active = workers_active(ctx)
    return covered_workers(when.filter(active) if when else active, findings)


def open_on(start: str = "start_date", end: str = "end_date", day: Any = None) -> pl.Expr:
    """A row open on `day` (a date or a date column): start <= day <= end, a blank end open."""
    on = pl.col(day) if isinstance(day, str) else pl.lit(day)
    return (pl.col(start) <= on) & (pl.col(end).is_null() | (pl.col(end) >= on))


def episode_on(episodes: pl.DataFrame, probes: pl.DataFrame, day: str, key: str) -> pl.DataFrame:
    """For each probe (key, person_id, day), the episode open that day: the latest start,
    ties broken by a fixed order so the answer never depends on the input's row order.
    Returns key, category, team, worker_id."""
    return (
        probes.select(key, "person_id", day)
        .join(episodes, on="person_id")
        .filter(open_on(day=day))
        .sort(
            key,
            "start_date",
            "end_date",
            "category",
            "team",
            "worker_id",
            descending=[False, True, True, False, False, False],
            nulls_last=True,
        )
        .unique(subset=[key], keep="first", maintain_order=True)
        .select(key, "category", "team", "worker_id")
    )


def covered_children(at: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """Coverage: children and carers open at as_of (`at`: person_id, category, team,
    worker_id, one row each), and whether each has an outstanding finding under the rule."""
    if at.height == 0:
        return empty_covered()
    breached = (
        findings.filter(pl.col("outstanding"))
        .select("subject_id")
        .unique()
        .with_columns(outstanding=pl.lit(True))
    )
    return at.join(breached, left_on="person_id", right_on="subject_id", how="left").select(
        scope=pl.lit("children"),
        subject_type=subject_type_expr(),
        subject_id=pl.col("person_id"),
        category=pl.col("category"),
        team=pl.col("team"),
        worker_id=pl.col("worker_id"),
        supervisor_id=pl.lit(None, pl.String),
        outstanding=pl.col("outstanding").fill_null(False),
    )


def missing_column(ctx: EvalContext, table: str, column: str) -> str | None:
    """Why a rule cannot use table.column, or None when it can."""
    if not ctx.has(table):
        return f"no {table} table in the data"
    if column not in ctx.columns_present.get(table, set()):
        return f"{table} has no {column} column"
    return None


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def with_waited(frame: FrameT, as_of: dt.date | pl.Expr, /) -> FrameT:
    """The dates every finding of a one-deadline kind carries, from `due_date` and `met_date`
    (null or absent: nothing met it by as_of): limit_date = due_date; outstanding when not
    met; span_end = the met date, else as_of; days_overdue = span_end - due_date, in calendar
    days. One home for what timeliness, reschedule, count and ratio findings report."""
    names = frame.collect_schema().names()
    met = pl.col("met_date") if "met_date" in names else pl.lit(None, pl.Date)
    return frame.with_columns(
        limit_date=pl.col("due_date"),
        outstanding=met.is_null(),
        span_end=met.fill_null(as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of)),
    ).with_columns(days_overdue=(pl.col("span_end") - pl.col("due_date")).dt.total_days())
