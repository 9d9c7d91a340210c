"""Rule kind `timeliness`: a record written up no later than N working days after the event.

Staff rules check `worker_sessions` (HELD sessions, their `recorded_date`); children's rules
check `case_events` of the kinds listed in `counts`. Working days skip weekends and England
and Wales bank holidays (see dates.py). The deadline is the N-th working day after the
event; a record written on or before it is on time.

How the finding's dates are filled:
- due_date = limit_date = the deadline;
- written late: met_date = recorded_date, days_overdue = recorded_date - deadline;
- not written (blank recorded_date, or written after --as-of): outstanding once the deadline
  has passed, days_overdue = as_of - deadline; before the deadline, nothing is owed yet.
Events after --as-of are ignored. `days_overdue` is calendar days, like every other kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ...context import EvalContext, RuleOutcome, empty_covered
from ...dates import add_working_days, uk_date, year_span
from ...dates import uk_date_expr as uk
from ...vocab import CASE_EVENT_KINDS, subject_type_expr
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import (
    RuleKind,
    covered_active_workers,
    covered_children,
    days_text,
    episode_on,
    finalise,
    missing_column,
    not_evaluated,
    open_on,
    severity,
    with_waited,
    worker_info,
)

FIELDS = {
    "working_days": "the record is due this many working days after the event (e.g. 2)",
    "counts": "children: the case_events kinds whose records are checked (staff: HELD sessions)",
    "label": "how the requirement reads in a finding, e.g. 'Recorded within 2 working days'",
    "severity": "red (default) or amber",
}


@dataclass(frozen=True)
class TimelinessSpec:
    working_days: int
    counts: tuple[str, ...]
    label: str
    severity: str


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> TimelinessSpec:
    n = ctx.integer(data, "working_days", minimum=1)
    assert n is not None
    if n > 60:
        raise ctx.fail(data, "working_days", "more than 60 working days is not a plausible limit")
    if rule.scope == "children":
        counts = ctx.string_list(data, "counts", CASE_EVENT_KINDS, required=True) or ()
    else:
        if "counts" in data:
            raise ctx.fail(data, "counts", "staff timeliness always checks HELD worker_sessions")
        counts = ("SESSION",)
    default = f"Recorded within {n} working day{'s' if n != 1 else ''}"
    return TimelinessSpec(
        n, counts, ctx.string(data, "label", required=False, default=default), severity(ctx, data)
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, TimelinessSpec)
    what = "held sessions" if rule.scope == "staff" else ", ".join(spec.counts)
    return [
        {
            "applies_to": what,
            "requirement": f"recorded_date within {spec.working_days} working days",
            "label": spec.label,
            "counts": what,
        }
    ]


def _deadlines(ctx: EvalContext, events: pl.DataFrame, n: int) -> pl.DataFrame:
    """Events up to as_of with their record's deadline (due_date) and the date it was written
    by as_of (met_date, else null)."""
    as_of = ctx.as_of
    events = events.filter(pl.col("date") <= pl.lit(as_of))
    if events.height == 0:
        return events.with_columns(due_date=pl.col("date"), met_date=pl.col("date"))
    years = year_span(events["date"].min(), as_of)  # type: ignore[arg-type]
    recorded = pl.when(pl.col("recorded_date") <= pl.lit(as_of)).then(pl.col("recorded_date"))
    return events.with_columns(
        due_date=add_working_days(pl.col("date"), n, years), met_date=recorded
    )


def _pending(ctx: EvalContext, events: pl.DataFrame) -> pl.DataFrame:
    """Records not written yet whose deadline is today or later (what `due` lists ahead)."""
    return events.filter(pl.col("met_date").is_null() & (pl.col("due_date") >= pl.lit(ctx.as_of)))


def _late(ctx: EvalContext, events: pl.DataFrame, n: int, noun: str) -> pl.DataFrame:
    """The events whose record is late or missing at as_of, with the finding's dates."""
    as_of = ctx.as_of
    out = events.filter(
        pl.when(pl.col("met_date").is_null())
        .then(pl.col("due_date") < pl.lit(as_of))
        .otherwise(pl.col("met_date") > pl.col("due_date"))
    ).pipe(with_waited, as_of)
    late = pl.format(
        "{} on {}: record due by {}, written {} ({} late)",
        pl.lit(noun),
        uk("date"),
        uk("due_date"),
        uk("met_date"),
        days_text(),
    )
    missing = pl.format(
        "{} on {}: record due by {}, none written by {} ({} overdue)",
        pl.lit(noun),
        uk("date"),
        uk("due_date"),
        pl.lit(uk_date(as_of)),
        days_text(),
    )
    return out.with_columns(message=pl.when(pl.col("outstanding")).then(missing).otherwise(late))


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, TimelinessSpec)
    if rule.scope == "staff":
        return _staff(ctx, rule, spec)
    return _children(ctx, rule, spec)


def _staff(ctx: EvalContext, rule: Rule, spec: TimelinessSpec) -> RuleOutcome:
    reason = missing_column(ctx, "worker_sessions", "recorded_date")
    if reason:
        return not_evaluated(rule, reason)
    sessions = ctx.tables["worker_sessions"].filter(pl.col("status") == "HELD")
    dated = _deadlines(
        ctx, sessions.select("worker_id", "date", "recorded_date"), spec.working_days
    )
    info = worker_info(ctx)

    def subjects(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(info, on="worker_id", how="left").with_columns(
            subject_type=pl.lit("worker"), subject_id=pl.col("worker_id"), category=pl.col("role")
        )

    late = _late(ctx, dated, spec.working_days, "Supervision session")
    findings = finalise(subjects(late), rule, requirement=spec.label, severity=spec.severity)
    covered = covered_active_workers(ctx, findings)
    pending = subjects(_pending(ctx, dated))
    return RuleOutcome(rule.id, rule.scope, findings, covered, detail=pending)


def _children(ctx: EvalContext, rule: Rule, spec: TimelinessSpec) -> RuleOutcome:
    reason = missing_column(ctx, "case_events", "recorded_date")
    if reason:
        return not_evaluated(rule, reason)
    events = ctx.tables["case_events"].filter(pl.col("kind").is_in(list(spec.counts)))
    if events.height == 0:
        return not_evaluated(rule, f"case_events holds no {', '.join(spec.counts)} events")
    noun = "Case supervision" if spec.counts == ("CASE_SUPERVISION",) else "Case record"
    cols = ["person_id", "date", "recorded_date", "worker_id"]
    dated = _deadlines(ctx, events.select(cols).with_row_index("_event"), spec.working_days)

    def subjects(frame: pl.DataFrame) -> pl.DataFrame:
        return (
            frame.join(_episode_at_event(ctx, frame), on="_event", how="left")
            .with_columns(worker_id=pl.coalesce("_ep_worker", "worker_id"))
            .with_columns(
                subject_type=subject_type_expr(),
                subject_id=pl.col("person_id"),
                supervisor_id=pl.lit(None, pl.String),
            )
        )

    late = _late(ctx, dated, spec.working_days, noun)
    findings = finalise(subjects(late), rule, requirement=spec.label, severity=spec.severity)
    covered = _children_covered(ctx, findings)
    return RuleOutcome(
        rule.id, rule.scope, findings, covered, detail=subjects(_pending(ctx, dated))
    )


def _episode_at_event(ctx: EvalContext, late: pl.DataFrame) -> pl.DataFrame:
    """The episode open on each event's date: category, team and the allocated worker, as
    interval findings report them (the event's own worker_id is only a fallback)."""
    if not ctx.has("episodes") or late.height == 0:
        return pl.DataFrame(
            schema={
                "_event": pl.UInt32,
                "category": pl.String,
                "team": pl.String,
                "_ep_worker": pl.String,
            }
        )
    return episode_on(ctx.tables["episodes"], late, "date", "_event").rename(
        {"worker_id": "_ep_worker"}
    )


def _children_covered(ctx: EvalContext, findings: pl.DataFrame) -> pl.DataFrame:
    """Children (and carers) with an episode open at as_of; breached if a record is missing."""
    if not ctx.has("episodes"):
        return empty_covered()
    episodes = ctx.tables["episodes"]
    people = (
        episodes.filter(open_on(day=ctx.as_of))
        .select("person_id")
        .unique()
        .with_columns(_on=pl.lit(ctx.as_of))
    )
    at = episode_on(episodes, people.with_columns(_key=pl.col("person_id")), "_on", "_key")
    return covered_children(at.rename({"_key": "person_id"}), findings)


KIND = RuleKind(
    name="timeliness",
    summary="A record written up within N working days of the session (bank holidays skipped).",
    fields=FIELDS,
    scopes=("staff", "children"),
    default_scope="staff",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
