"""`due_list`: every child and worker whose next supervision (or agreement, observation...)
falls due within a window after as_of, or is already overdue. It reads the clock's own frames
(RuleOutcome.detail), so `due` and the audit can never disagree."""

from __future__ import annotations

import polars as pl

from ..audit import AuditRun
from ..dates import Interval
from ..engine import ClockResult
from ..rules.kinds.interval_spec import IntervalSpec, labels_frame
from ..rules.model import spec_as
from .common import subject_codes

DUE_SCHEMA = {
    "rule": pl.String,
    "requirement": pl.String,
    "subject_type": pl.String,
    "subject_id": pl.String,
    "category": pl.String,
    "team": pl.String,
    "worker_id": pl.String,
    "supervisor_id": pl.String,
    "last_event": pl.Date,
    "due_date": pl.Date,
    "limit_date": pl.Date,
    "days_until_due": pl.Int64,
    "status": pl.String,
}


def _supervisors(run: AuditRun) -> pl.DataFrame | None:
    workers = run.context.tables.get("workers")
    if workers is None:
        return None
    return workers.select("worker_id", pl.col("supervisor_id").alias("worker_supervisor"))


def due_list(run: AuditRun, within: Interval) -> pl.DataFrame:
    """Open subjects whose current due date is on or before as_of + within (overdue included),
    sorted by supervisor, worker, then soonest due."""
    as_of = run.result.as_of
    window_end = within.add(as_of)
    frames = []
    for outcome in run.outcomes:
        clock = outcome.detail
        if not isinstance(clock, ClockResult) or clock.cycles.height == 0:
            continue
        rule = run.ruleset.rule(outcome.rule_id)
        spec = spec_as(rule, IntervalSpec)
        codes = subject_codes(run, outcome.scope)
        if codes is None:
            continue
        current = clock.cycles.filter(
            pl.col("next_anchor").is_null()
            & pl.col("open_at_as_of")
            & (pl.col("due_date") <= pl.lit(window_end))
        )
        if current.height == 0:
            continue
        attrs = outcome.covered.select(
            "subject_id", "subject_type", "category", "team", "worker_id", "supervisor_id"
        )
        frame = (
            current.join(codes, on="subject")
            .join(attrs, on="subject_id", how="left")
            .join(
                labels_frame(spec, rule).select("due_rank", "requirement"),
                on="due_rank",
                how="left",
            )
            .with_columns(
                rule=pl.lit(rule.id),
                last_event=pl.when(pl.col("is_event")).then(pl.col("anchor")),
                days_until_due=(pl.col("due_date") - pl.lit(as_of)).dt.total_days(),
            )
        )
        frames.append(frame)
    if not frames:
        return pl.DataFrame(schema=DUE_SCHEMA)
    out = pl.concat(
        [f.select([c for c in DUE_SCHEMA if c != "status"]) for f in frames], how="vertical_relaxed"
    )
    sups = _supervisors(run)
    if sups is not None:
        out = (
            out.join(sups, on="worker_id", how="left")
            .with_columns(supervisor_id=pl.coalesce("supervisor_id", "worker_supervisor"))
            .drop("worker_supervisor")
        )
    status = (
        pl.when(pl.col("days_until_due") < 0)
        .then(pl.format("overdue by {} days", -pl.col("days_until_due")))
        .when(pl.col("days_until_due") == 0)
        .then(pl.lit("due today"))
        .otherwise(pl.format("due in {} days", "days_until_due"))
    )
    return (
        out.with_columns(status=status)
        .select(list(DUE_SCHEMA))
        .sort("supervisor_id", "worker_id", "due_date", "subject_id", "rule", nulls_last=True)
    )
