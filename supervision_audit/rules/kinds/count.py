"""Rule kind `count`: at least N events of a kind in a period.

Two shapes:

- `window: 12m` (subject: worker): at least N `worker_events` of the kind in the trailing
  window ending on --as-of (Dorset: two observations of practice a year). Only workers
  employed for the whole window are assessed, and only when the data's history covers the
  window (otherwise the rule is not evaluated: a short history would look like a breach).
  With `subject: supervisor` the events counted are those on the files of the supervisor's
  current (active) supervisees (Dorset: one supervision file audited per supervisor a year).
- `period: calendar_month` (subject: team): at least N `team_events` of the kind in every
  calendar month (Devon: one group supervision a month per team). Months run from the first
  whole month of the history to the last month ending on or before --as-of; a team is assessed
  in a month when at least one of its workers was employed in it.

How the finding's dates are filled:
- worker window: the requirement stopped being met the day after the N-th most recent event
  left the window, so due_date = limit_date = that event + window - 1 day (for a worker with
  fewer than N events ever: the end of their first whole window in the data);
  met_date is empty; outstanding; days_overdue = as_of - due_date.
- team month: due_date = limit_date = the month's last day; met_date = the team's next event
  of the kind after the month (the gap closed), or empty; days_overdue = (met_date or as_of)
  - due_date; outstanding while no event has followed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from ...context import EvalContext, RuleOutcome, empty_covered
from ...dates import Interval, uk_date
from ...dates import uk_date_expr as uk
from ...vocab import TEAM_EVENT_KINDS, WORKER_EVENT_KINDS
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import (
    RuleKind,
    StaffFilter,
    covered_workers,
    finalise,
    missing_table,
    not_evaluated,
    severity,
    staff_filter,
    with_waited,
    workers_active,
)

PROGRAMME = "ASYE programme"
"""The one subject of subject: asye_programme."""

FIELDS = {
    "event": "the event kind counted: a worker_events kind (OBSERVATION...) or, for teams, "
    "a team_events kind (GROUP_SUPERVISION)",
    "at_least": "the minimum number of events in each window or month",
    "window": "subject worker: the trailing window ending on --as-of (e.g. 12m)",
    "period": "subject team: calendar_month",
    "subject": "worker (default), supervisor (events on their own file or on the files of "
    "their current supervisees), team, or asye_programme (one subject: the months in which "
    "any worker is in their ASYE year)",
    "when": "which workers (supervisor: which supervisees): roles (any of), frontline",
    "label": "how the requirement reads in a finding",
    "severity": "red (default) or amber",
}


@dataclass(frozen=True)
class CountSpec:
    event: str
    at_least: int
    subject: str
    window: Interval | None
    label: str
    severity: str
    when: StaffFilter


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> CountSpec:
    subject = ctx.string(data, "subject", required=False, default="worker")
    if subject not in ("worker", "supervisor", "team", "asye_programme"):
        raise ctx.fail(data, "subject", "expected worker, supervisor, team or asye_programme")
    monthly = subject in ("team", "asye_programme")
    kinds = TEAM_EVENT_KINDS if monthly else WORKER_EVENT_KINDS
    event = ctx.string(data, "event")
    if event not in kinds:
        raise ctx.fail(
            data,
            "event",
            f"unknown {subject} event '{event}' (expected one of: {', '.join(kinds)})",
        )
    at_least = ctx.integer(data, "at_least", minimum=1)
    assert at_least is not None
    window = None
    if not monthly:
        if "period" in data:
            raise ctx.fail(data, "period", "a worker count uses 'window' (e.g. 12m)")
        window = ctx.interval(data, "window")
        default = f"At least {at_least} {event.lower()}(s) in {window.words() if window else ''}"
    else:
        if "window" in data or "when" in data:
            raise ctx.fail(
                data,
                "window" if "window" in data else "when",
                "a team count uses 'period: calendar_month' and no 'when'",
            )
        if ctx.string(data, "period") != "calendar_month":
            raise ctx.fail(data, "period", "expected calendar_month")
        default = f"At least {at_least} {event.lower().replace('_', ' ')} a month per team"
    return CountSpec(
        event,
        at_least,
        subject,
        window,
        ctx.string(data, "label", required=False, default=default),
        severity(ctx, data),
        staff_filter(ctx, data),
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, CountSpec)
    period = f"in the {spec.window.words()} to --as-of" if spec.window else "each calendar month"
    return [
        {
            "applies_to": "each team" if spec.subject == "team" else spec.when.words(),
            "requirement": f"at least {spec.at_least} {spec.event} {period}",
            "label": spec.label,
            "counts": spec.event,
        }
    ]


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, CountSpec)
    if spec.subject in ("team", "asye_programme"):
        return _teams(ctx, rule, spec)
    return _workers(ctx, rule, spec)


def _workers(ctx: EvalContext, rule: Rule, spec: CountSpec) -> RuleOutcome:
    if (missing := missing_table(ctx, rule, "workers", "worker_events")) is not None:
        return missing
    window = spec.window
    assert window is not None
    as_of = ctx.as_of
    start = window.window_start(as_of)
    hist = ctx.history("worker_events")
    if hist is None or hist > start:
        begun = f"starts on {uk_date(hist)}" if hist else "is empty"
        return not_evaluated(
            rule,
            f"the worker_events history {begun}, after the start of the "
            f"{window.words()} window ({uk_date(start)}), so the count would be short",
        )
    offset = f"{window.days}d" if window.days is not None else f"{window.months}mo"
    active = spec.when.filter(workers_active(ctx))
    events = (
        ctx.tables["worker_events"]
        .filter((pl.col("kind") == spec.event) & (pl.col("date") <= pl.lit(as_of)))
        .select("worker_id", "date")
    )
    if spec.subject == "supervisor":
        # a supervisor's count is the events on their own file ("This should be entered on
        # the supervisor's electronic supervision file") and on the files of their current
        # supervisees; one audit entered on both on the same day counts once
        supervisors = active.select(pl.col("supervisor_id").alias("worker_id")).unique()
        assessed = workers_active(ctx).join(supervisors, on="worker_id")
        on_supervisees = events.join(
            active.select("worker_id", "supervisor_id"), on="worker_id"
        ).select(pl.col("supervisor_id").alias("worker_id"), "date")
        events = pl.concat([events.join(supervisors, on="worker_id"), on_supervisees]).unique()
        noun = "on their own or their supervisees' files"
    else:
        assessed = active
        noun = ""
    assessed = assessed.filter(pl.col("start_date") <= pl.lit(start))
    # the N-th most recent event of each subject (null when they have fewer than N)
    nth = (
        events.sort("worker_id", "date", descending=[False, True])
        .group_by("worker_id", maintain_order=True)
        .agg(
            in_window=(pl.col("date") >= pl.lit(start)).sum(),
            nth=pl.col("date").get(spec.at_least - 1, null_on_oob=True),
        )
    )
    base = pl.max_horizontal("start_date", pl.lit(hist))
    short = (
        assessed.join(nth, on="worker_id", how="left")
        .with_columns(pl.col("in_window").fill_null(0))
        .filter(pl.col("in_window") < spec.at_least)
        .with_columns(due_date=pl.coalesce("nth", base).dt.offset_by(offset) - pl.duration(days=1))
        .filter(pl.col("due_date") < pl.lit(as_of))
        .pipe(with_waited, as_of)
        .with_columns(
            subject_type=pl.lit(spec.subject),
            subject_id=pl.col("worker_id"),
            category=pl.col("role"),
            message=pl.format(
                "{} {} event(s){} in the {} to {} (at least {} required); last met on {}",
                "in_window",
                pl.lit(spec.event),
                pl.lit(f" {noun}" if noun else ""),
                pl.lit(window.words()),
                pl.lit(uk_date(as_of)),
                pl.lit(spec.at_least),
                uk("due_date"),
            ),
        )
    )
    findings = finalise(short, rule, requirement=spec.label, severity=spec.severity)
    covered = covered_workers(assessed, findings) if spec.subject == "worker" else empty_covered()
    return RuleOutcome(rule.id, rule.scope, findings, covered)


def _teams(ctx: EvalContext, rule: Rule, spec: CountSpec) -> RuleOutcome:
    if (missing := missing_table(ctx, rule, "team_events")) is not None:
        return missing
    as_of = ctx.as_of
    hist = ctx.history("team_events")
    if hist is None:
        return not_evaluated(rule, "team_events holds no rows")
    first = hist if hist.day == 1 else (hist.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    last_end = pl.select(pl.lit(as_of).dt.month_end()).item()
    if last_end > as_of:
        last_end = as_of.replace(day=1) - dt.timedelta(days=1)
    if first > last_end:
        return not_evaluated(rule, "the team_events history holds no whole calendar month")
    months = pl.DataFrame(
        {"month": pl.date_range(first, last_end, "1mo", eager=True)}
    ).with_columns(month_end=pl.col("month").dt.month_end())
    caveats = []
    programme = spec.subject == "asye_programme"
    if programme:
        if not ctx.has("workers"):
            return not_evaluated(rule, "no workers table in the data, so ASYE years are not known")
        # one subject: the months in which at least one worker is in their ASYE year
        teams = (
            ctx.tables["workers"]
            .filter(pl.col("asye_start").is_not_null())
            .join(months, how="cross")
            .filter(
                (pl.col("asye_start") <= pl.col("month_end"))
                & (pl.col("asye_start").dt.offset_by("12mo") > pl.col("month"))
                & (pl.col("start_date") <= pl.col("month_end"))
                & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("month")))
            )
            .select(pl.lit(PROGRAMME).alias("team"), "month", "month_end")
            .unique()
        )
    elif ctx.has("workers"):
        w = ctx.tables["workers"].filter(pl.col("team").is_not_null())
        teams = (
            w.join(months, how="cross")
            .filter(
                (pl.col("start_date") <= pl.col("month_end"))
                & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("month")))
            )
            .select("team", "month", "month_end")
            .unique()
        )
    else:
        caveats.append(
            "no workers table: teams are those in team_events, so a team with no events "
            "at all cannot be seen"
        )
        teams = ctx.tables["team_events"].select("team").unique().join(months, how="cross")
    events = ctx.tables["team_events"].filter(
        (pl.col("kind") == spec.event) & (pl.col("date") <= pl.lit(as_of))
    )
    if ctx.tables["team_events"].filter(pl.col("kind") == spec.event).height == 0:
        return not_evaluated(
            rule,
            f"team_events holds no {spec.event} events, so every month would look missed; "
            "check how the export's event types were mapped",
        )
    if programme:
        events = events.with_columns(team=pl.lit(PROGRAMME))
    counted = (
        events.with_columns(month=pl.col("date").dt.month_start())
        .group_by("team", "month")
        .agg(n=pl.len())
    )
    following = events.select("team", pl.col("date").alias("met_date")).unique().sort("met_date")
    short = (
        teams.join(counted, on=["team", "month"], how="left")
        .with_columns(pl.col("n").fill_null(0))
        .filter(pl.col("n") < spec.at_least)
        .sort("month_end")
        .join_asof(
            following,
            left_on="month_end",
            right_on="met_date",
            by="team",
            strategy="forward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .with_columns(due_date=pl.col("month_end"))
        .pipe(with_waited, as_of)
        .with_columns(
            subject_type=pl.lit("team"),
            subject_id=pl.col("team"),
            category=pl.lit("team"),
            message=pl.format(
                "{} {} in {} (at least {} required); {}",
                "n",
                pl.lit(spec.event.lower().replace("_", " ")),
                pl.col("month").dt.strftime("%B %Y"),
                pl.lit(spec.at_least),
                pl.when(pl.col("met_date").is_null())
                .then(pl.format("none since, to {}", pl.lit(uk_date(as_of))))
                .otherwise(pl.format("next on {}", uk("met_date"))),
            ),
        )
    )
    findings = finalise(short, rule, requirement=spec.label, severity=spec.severity)
    return RuleOutcome(rule.id, rule.scope, findings, empty_covered(), caveats=caveats)


KIND = RuleKind(
    name="count",
    summary="At least N events in a trailing window (workers) or each calendar month (teams).",
    fields=FIELDS,
    scopes=("staff",),
    default_scope="staff",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
