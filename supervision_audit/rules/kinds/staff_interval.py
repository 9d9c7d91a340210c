"""Rule kind `interval` over staff: each worker's own supervision (or agreement, observation,
appraisal) on the same clock as children's cases.

The open period is employment (start_date to end_date), clipped to the staff history date.
Requirements vary by role, frontline status and phase (weeks or months from asye_start or
start_date); each requirement becomes timeline rows for the workers it matches, and the
engine takes the strictest in force each day, so a phase boundary is a requirement change.
"""

from __future__ import annotations

import polars as pl

from ...context import EvalContext, RuleOutcome
from ...dates import COLLECT_ENGINE, Interval, add_interval_expr
from ...engine import run_clock
from ...findings import empty_findings
from ..model import Rule, spec_as
from .base import covered_workers, finalise, missing_table, not_evaluated
from .interval_spec import (
    IntervalSpec,
    Requirement,
    drop_unseen,
    finding_labels,
    finding_message,
    requirements_frame,
    unseen_periods,
)


def worker_codes(ctx: EvalContext) -> pl.DataFrame:
    """worker_id -> integer subject code, shared by every staff rule."""
    if "workers" not in ctx.cache:
        ctx.cache["workers"] = (
            ctx.tables["workers"]
            .select("worker_id")
            .unique()
            .sort("worker_id")
            .with_row_index("subject")
        )
    return ctx.cache["workers"]


def _iv(interval: Interval | None) -> tuple[pl.Expr, pl.Expr]:
    if interval is None:
        return pl.lit(0, pl.Int32), pl.lit(None, pl.Int32)
    return pl.lit(interval.days, pl.Int32), pl.lit(interval.months, pl.Int32)


def _requirement_rows(workers: pl.LazyFrame, q: Requirement, rank: int) -> pl.LazyFrame:
    """The employment days on which requirement `q` applies to each matching worker."""
    frame = workers
    if q.roles:
        frame = frame.filter(pl.col("role").str.to_lowercase().is_in([r.lower() for r in q.roles]))
    if q.frontline is not None:
        frame = frame.filter(pl.col("frontline") == q.frontline)
    if q.asye_only or q.phase_from == "asye_start":
        frame = frame.filter(pl.col("asye_start").is_not_null())
    start, end = pl.col("start_date"), pl.col("end")
    if q.phase_from:
        base = pl.col(q.phase_from)
        days, months = _iv(q.phase_after)
        start = pl.max_horizontal(start, add_interval_expr(base, days, months))
        if q.phase_until is not None:
            udays, umonths = _iv(q.phase_until)
            window_end = add_interval_expr(base, udays, umonths) - pl.duration(days=1)
            end = pl.min_horizontal(end, window_end)
    return frame.select(
        "subject", start.alias("start"), end.alias("end"), pl.lit(rank, pl.Int32).alias("rank")
    )


def _counting_events(
    ctx: EvalContext, spec: IntervalSpec
) -> tuple[pl.DataFrame | None, str | None]:
    """(worker_id, date) of every counting event, or the reason there are none."""
    frames = []
    if "SESSION" in spec.counts:
        if not ctx.has("worker_sessions"):
            return None, "no worker_sessions table in the data"
        frames.append(
            ctx.tables["worker_sessions"]
            .filter(pl.col("status") == "HELD")
            .select("worker_id", "date")
        )
    kinds = [k for k in spec.counts if k != "SESSION"]
    if kinds:
        if not ctx.has("worker_events"):
            return None, "no worker_events table in the data"
        frames.append(
            ctx.tables["worker_events"]
            .filter(pl.col("kind").is_in(kinds))
            .select("worker_id", "date")
        )
    events = pl.concat(frames)
    if events.height == 0:
        what = " or ".join(
            "held sessions" if k == "SESSION" else f"{k} events" for k in spec.counts
        )
        return None, f"the data holds no {what}, so every worker would look overdue"
    return events, None


def _graced_absences(ctx: EvalContext, spec: IntervalSpec) -> tuple[pl.DataFrame, int]:
    """The absences that move a due date under this rule (by reason, when the rule says which),
    and how many had no reason to read."""
    absences = ctx.tables["absences"]
    if spec.absence_reasons is None and spec.absence_reasons_except is None:
        return absences, 0
    if "reason" not in absences.columns:
        absences = absences.with_columns(reason=pl.lit(None, pl.String))
    reason = pl.col("reason").str.to_lowercase()
    unread = int(absences.filter(reason.is_null() | (reason.str.strip_chars() == "")).height)
    keep = pl.lit(True)
    if spec.absence_reasons:
        keep = keep & pl.any_horizontal(
            reason.str.contains(w.lower(), literal=True) for w in spec.absence_reasons
        )
    if spec.absence_reasons_except:
        keep = keep & ~pl.any_horizontal(
            reason.str.contains(w.lower(), literal=True) for w in spec.absence_reasons_except
        )
    return absences.filter(keep.fill_null(False)), unread


def _relationship_starts(
    ctx: EvalContext, workers: pl.LazyFrame, hist: object
) -> tuple[pl.DataFrame, list[str]]:
    """(subject, date): when each worker's supervisory relationship started: supervisor_since,
    or, when it is blank, the later of the worker's start_date and their supervisor's (the
    start of employment, or of the supervisor's own record). Never silently relaxed: the
    caveats say how many were read that way, and how many began before the history date
    (their first agreement cannot be checked)."""
    supervisors = ctx.tables["workers"].select(
        pl.col("worker_id").alias("supervisor_id"), pl.col("start_date").alias("_sup_start")
    )
    frame = (
        workers.filter(
            pl.col("supervisor_id").is_not_null() | pl.col("supervisor_since").is_not_null()
        )
        .join(supervisors.lazy(), on="supervisor_id", how="left")
        .with_columns(
            blank=pl.col("supervisor_since").is_null(),
            date=pl.coalesce("supervisor_since", pl.max_horizontal("start_date", "_sup_start")),
        )
        .select("subject", "date", "blank")
        .collect()
    )
    blank = frame.filter(pl.col("blank"))
    said = []
    if blank.height:
        before = blank.filter(pl.col("date") < pl.lit(hist)).height
        text = (
            f"supervisor_since is blank for {blank.height} worker"
            f"{'s' if blank.height != 1 else ''}: the later of their start date and their "
            "supervisor's start date is taken as the start of the supervisory relationship"
        )
        if before:
            text += (
                f"; for {before} of them that is before the history date, so their first "
                "agreement cannot be checked (the later reviews are)"
            )
        said.append(text)
    return frame.select("subject", "date"), said


def evaluate_staff(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, IntervalSpec)
    if (missing := missing_table(ctx, rule, "workers")) is not None:
        return missing
    events, reason = _counting_events(ctx, spec)
    if events is None:
        return not_evaluated(rule, reason or "no events")
    as_of = ctx.as_of
    hist = ctx.history_from.get("staff") or ctx.history("worker_events")
    codes = worker_codes(ctx)
    workers = (
        ctx.tables["workers"]
        .lazy()
        .join(codes.lazy(), on="worker_id")
        .with_columns(end=pl.col("end_date").fill_null(pl.lit(as_of)))
    )
    rows = (
        pl.concat([_requirement_rows(workers, q, i) for i, q in enumerate(spec.requirements)])
        .with_columns(
            clipped=pl.col("start") < pl.lit(hist),
            start=pl.max_horizontal("start", pl.lit(hist)),
            end=pl.min_horizontal("end", pl.lit(as_of)),
        )
        .filter(pl.col("start") <= pl.col("end"))
        .collect(engine=COLLECT_ENGINE)
    )
    ev = events.lazy().join(codes.lazy(), on="worker_id").select("subject", "date")
    extra: dict = {}
    caveats: list[str] = []
    if spec.absence_grace is not None and ctx.has("absences"):
        absences, unread = _graced_absences(ctx, spec)
        if unread:
            caveats.append(
                f"{unread} absence{'s' if unread != 1 else ''} with no reason recorded: not "
                "known to be leave the grace applies to, so due dates in them were not moved"
            )
        extra["absences"] = (
            absences.lazy()
            .join(codes.lazy(), on="worker_id")
            .select("subject", pl.col("start_date").alias("start"), pl.col("end_date").alias("end"))
        )
        extra["grace_days"] = spec.absence_grace.days or 0
    if spec.restart_on_supervisor_change is not None:
        iv = spec.restart_on_supervisor_change
        starts, said = _relationship_starts(ctx, workers, hist)
        caveats += said
        extra["restarts"] = starts.lazy().select(
            "subject",
            "date",
            days=pl.lit(iv.days, pl.Int32),
            months=pl.lit(iv.months, pl.Int32),
        )
    clock = run_clock(rows.lazy(), ev, requirements_frame(spec), as_of, repeat=spec.repeat, **extra)
    if not spec.repeat and hist is not None:
        unseen = unseen_periods(clock, rows, hist)
        if unseen.height:
            clock.findings = drop_unseen(clock.findings, unseen)
            caveats.append(
                f"{unseen.height} worker(s) employed before the history date "
                f"({hist.strftime('%d/%m/%Y')}): the {spec.event_noun} owed from the start "
                "may have been recorded before the data starts, so it cannot be checked"
            )
    info = (
        ctx.tables["workers"]
        .select("worker_id", "role", "team", "supervisor_id")
        .join(codes, on="worker_id")
    )
    findings = _findings(ctx, rule, spec, clock.findings, info)
    active = clock.periods.filter(pl.col("open_at_as_of")).select("subject").unique()
    covered = covered_workers(active.join(info, on="subject"), findings)
    outcome = RuleOutcome(rule.id, rule.scope, findings, covered, [], caveats, detail=clock)
    if spec.absence_grace is not None and not ctx.has("absences"):
        outcome.caveats.append(
            "no absences table: due dates falling in leave or sickness are not moved"
        )
    return outcome


def _findings(
    ctx: EvalContext, rule: Rule, spec: IntervalSpec, f: pl.DataFrame, info: pl.DataFrame
) -> pl.DataFrame:
    if f.height == 0:
        return empty_findings()
    out = (
        f.join(info, on="subject", how="left")
        .join(finding_labels(spec, rule), on="due_rank", how="left")
        .with_columns(
            subject_type=pl.lit("worker"),
            subject_id=pl.col("worker_id"),
            category=pl.col("role"),
            message=finding_message(spec.event_noun, ctx.as_of, "left employment on"),
        )
    )
    return finalise(out, rule)
