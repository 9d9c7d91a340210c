"""`due_list`: every child and worker whose next supervision (or agreement, observation...)
falls due within a window after as_of, or is already overdue. It reads the clock's own frames
(RuleOutcome.detail), so `due` and the audit can never disagree."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..audit import AuditRun, apply_filters
from ..dates import Interval
from ..engine import ClockResult
from ..findings import as_text
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


def due_list(
    run: AuditRun, within: Interval, team: str | None = None, worker: str | None = None
) -> pl.DataFrame:
    """Open subjects whose current due date is on or before as_of + within (overdue included),
    sorted by supervisor, worker, then soonest due; only `team`'s and `worker`'s when given
    (the audit's own filters)."""
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
    frames += _other_kinds(run, window_end)
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
    days = pl.col("days_until_due")
    unit = pl.when(days.abs() == 1).then(pl.lit("day")).otherwise(pl.lit("days"))
    status = (
        pl.when(days < 0)
        .then(pl.format("overdue by {} {}", -days, unit))
        .when(days == 0)
        .then(pl.lit("due today"))
        .otherwise(pl.format("due in {} {}", days, unit))
    )
    return apply_filters(
        out.with_columns(status=status)
        .select(list(DUE_SCHEMA))
        .sort("supervisor_id", "worker_id", "due_date", "subject_id", "rule", nulls_last=True),
        team,
        worker,
    )


def _other_kinds(run: AuditRun, window_end: dt.date) -> list[pl.DataFrame]:
    """Rules without an interval clock: what each finds overdue now (its outstanding
    findings, dated as the audit dates them), and records falling due in the window
    (timeliness: sessions and case events not yet written up)."""
    as_of = run.result.as_of
    findings = run.result.findings
    frames = []
    for outcome in run.outcomes:
        if isinstance(outcome.detail, ClockResult) or outcome.not_evaluated:
            continue
        rule = run.ruleset.rule(outcome.rule_id)
        rows = [as_text(findings.filter((pl.col("rule") == rule.id) & pl.col("outstanding")))]
        if isinstance(outcome.detail, pl.DataFrame) and outcome.detail.height:
            rows.append(
                outcome.detail.filter(pl.col("due_date") <= pl.lit(window_end)).with_columns(
                    requirement=pl.lit(getattr(rule.spec, "label", None), pl.String),
                    limit_date=pl.col("due_date"),
                )
            )
        for frame in rows:
            if frame.height == 0:
                continue
            frames.append(
                frame.with_columns(
                    rule=pl.lit(rule.id),
                    last_event=pl.lit(None, pl.Date),
                    days_until_due=(pl.col("due_date") - pl.lit(as_of)).dt.total_days(),
                    supervisor_id=pl.col("supervisor_id")
                    if "supervisor_id" in frame.columns
                    else pl.lit(None, pl.String),
                )
            )
    return frames


def left_out(run: AuditRun) -> list[dict[str, str]]:
    """Rules whose deadlines `due` cannot list ahead of time, and why (what they find overdue
    now is listed all the same); and rules that could not be evaluated at all."""
    out = []
    for outcome in run.outcomes:
        rule = run.ruleset.rule(outcome.rule_id)
        if outcome.not_evaluated:
            reason = "not evaluated: " + "; ".join(n.reason for n in outcome.not_evaluated)
        elif isinstance(outcome.detail, (ClockResult, pl.DataFrame)):
            continue
        else:
            reason = (
                f"upcoming deadlines of a {rule.kind} rule are not forecast; what it finds "
                "overdue now is listed"
            )
        out.append({"rule": rule.id, "kind": rule.kind, "reason": reason})
    return out
