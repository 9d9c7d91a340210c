"""Rule kind `duration`: how long supervision lasts.

- `minimum_minutes` + `window` (e.g. 90 minutes every 28 days, Portsmouth): the HELD
  sessions' `duration_minutes` in each window counted back from --as-of (window 0 ends on
  --as-of, window 1 the day before window 0 starts...) add up to at least the minimum.
  A worker is assessed in a window when employed for all of it and not absent on any day of
  it; windows that start before the staff history date are not assessed. A window holding a
  held session with a blank duration is not assessed either (its total is unknown).
- `maximum_minutes` (e.g. 2 hours, Worcestershire): no single HELD session lasts longer.

How the finding's dates are filled: a duration finding is a shortfall (or an overlong session)
in a closed period, not a wait, so due_date = limit_date = the window's last day (the
session's date for a maximum), met_date is empty and days_overdue is 0; the minutes are in
the message. A minimum finding is outstanding when it is the window ending on --as-of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from ...context import EvalContext, RuleOutcome
from ...dates import Interval
from ...dates import uk_date_expr as uk
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import (
    RuleKind,
    StaffFilter,
    covered_active_workers,
    covered_workers,
    finalise,
    missing_column,
    missing_table,
    not_evaluated,
    severity,
    staff_filter,
    worker_info,
    workers_active,
)

FIELDS = {
    "minimum_minutes": "held supervision in each window adds up to at least this",
    "window": "with minimum_minutes: the window, counted back from --as-of (e.g. 28d or 4w)",
    "maximum_minutes": "no held session lasts longer than this",
    "when": "which workers: roles (any of) and frontline (true/false)",
    "label": "how the requirement reads in a finding",
    "severity": "red (default) or amber",
}
MAX_WINDOWS = 260  # five years of 4-week windows


@dataclass(frozen=True)
class DurationSpec:
    minimum: int | None
    window: Interval | None
    maximum: int | None
    when: StaffFilter
    label: str
    severity: str


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> DurationSpec:
    minimum = ctx.integer(data, "minimum_minutes", required=False, minimum=1)
    maximum = ctx.integer(data, "maximum_minutes", required=False, minimum=1)
    if (minimum is None) == (maximum is None):
        raise ctx.fail(data, None, "give exactly one of minimum_minutes or maximum_minutes")
    window = None
    if minimum is not None:
        window = ctx.interval(data, "window")
        assert window is not None
        if window.days is None:
            raise ctx.fail(data, "window", "give the window in days or weeks (e.g. 28d or 4w)")
        default = f"At least {minimum} minutes of supervision every {window.words()}"
    else:
        if "window" in data:
            raise ctx.fail(data, "window", "a maximum applies to each session: no window")
        default = f"Sessions last at most {maximum} minutes"
    return DurationSpec(
        minimum,
        window,
        maximum,
        staff_filter(ctx, data),
        ctx.string(data, "label", required=False, default=default),
        severity(ctx, data),
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, DurationSpec)
    if spec.minimum is not None and spec.window is not None:
        text = f"at least {spec.minimum} minutes in each {spec.window.words()} to --as-of"
    else:
        text = f"each session at most {spec.maximum} minutes"
    return [
        {
            "applies_to": spec.when.words(),
            "requirement": text,
            "label": spec.label,
            "counts": "HELD worker_sessions duration_minutes",
        }
    ]


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, DurationSpec)
    reason = missing_column(ctx, "worker_sessions", "duration_minutes")
    if reason:
        return not_evaluated(rule, reason)
    if spec.maximum is not None:
        return _maximum(ctx, rule, spec)
    return _minimum(ctx, rule, spec)


def _held(ctx: EvalContext) -> pl.DataFrame:
    return ctx.tables["worker_sessions"].filter(
        (pl.col("status") == "HELD") & (pl.col("date") <= pl.lit(ctx.as_of))
    )


def _dated_on(day: str) -> dict[str, pl.Expr]:
    """A duration finding's worker and dates: a shortfall or an overlong session on `day`
    (the session, or the window's last day), not a wait, so 0 days overdue."""
    return {
        "subject_type": pl.lit("worker"),
        "subject_id": pl.col("worker_id"),
        "category": pl.col("role"),
        "due_date": pl.col(day),
        "limit_date": pl.col(day),
        "days_overdue": pl.lit(0),
        "span_end": pl.col(day),
    }


def _maximum(ctx: EvalContext, rule: Rule, spec: DurationSpec) -> RuleOutcome:
    limit = spec.maximum or 0
    info = worker_info(ctx)
    rows = (
        _held(ctx)
        .filter(pl.col("duration_minutes") > limit)
        .join(info, on="worker_id", how="left")
        .with_columns(
            **_dated_on("date"),
            outstanding=pl.lit(False),
            message=pl.format(
                "Session on {} lasted {} minutes (at most {})",
                uk("date"),
                "duration_minutes",
                pl.lit(limit),
            ),
        )
    )
    if ctx.has("workers"):
        allowed = spec.when.filter(ctx.tables["workers"]).select("worker_id")
        rows = rows.join(allowed, on="worker_id")
    findings = finalise(rows, rule, requirement=spec.label, severity=spec.severity)
    return RuleOutcome(
        rule.id, rule.scope, findings, covered_active_workers(ctx, findings, spec.when)
    )


def _minimum(ctx: EvalContext, rule: Rule, spec: DurationSpec) -> RuleOutcome:
    if (missing := missing_table(ctx, rule, "workers")) is not None:
        return missing
    width = spec.window.days if spec.window else None
    assert width is not None and spec.minimum is not None
    as_of = ctx.as_of
    hist = ctx.history_from.get("staff")
    if hist is None:
        return not_evaluated(rule, "no worker_sessions rows, so no staff history")
    count = min(((as_of - hist).days + 1) // width, MAX_WINDOWS)
    if count == 0:
        return not_evaluated(
            rule, f"the staff history holds no whole {spec.window.words() if spec.window else ''}"
        )
    windows = (
        pl.DataFrame({"k": pl.int_range(0, count, eager=True, dtype=pl.Int32)})
        .with_columns(
            w_end=pl.lit(as_of) - pl.duration(days=pl.col("k") * width),
        )
        .with_columns(w_start=pl.col("w_end") - pl.duration(days=width - 1))
    )
    window_of = ((pl.lit(as_of) - pl.col("date")).dt.total_days() // width).cast(pl.Int32)
    totals = (
        _held(ctx)
        .with_columns(k=window_of)
        .group_by("worker_id", "k")
        .agg(
            minutes=pl.col("duration_minutes").sum(), blanks=pl.col("duration_minutes").null_count()
        )
    )
    workers = spec.when.filter(ctx.tables["workers"])
    assessed = (
        workers.select("worker_id", "role", "team", "supervisor_id", "start_date", "end_date")
        .join(windows, how="cross")
        .filter(
            (pl.col("start_date") <= pl.col("w_start"))
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("w_end")))
        )
    )
    if ctx.has("absences"):
        away = (
            ctx.tables["absences"]
            .filter(pl.col("end_date") >= pl.lit(as_of - dt.timedelta(days=count * width - 1)))
            .select(
                "worker_id",
                k=pl.int_ranges(
                    (
                        (
                            pl.lit(as_of) - pl.min_horizontal("end_date", pl.lit(as_of))
                        ).dt.total_days()
                        // width
                    ).cast(pl.Int32),
                    ((pl.lit(as_of) - pl.col("start_date")).dt.total_days() // width + 1)
                    .clip(upper_bound=count)
                    .cast(pl.Int32),
                ),
            )
            .explode("k")
            .drop_nulls("k")
            .unique()
        )
        assessed = assessed.join(away, on=["worker_id", "k"], how="anti")
    short = (
        assessed.join(totals, on=["worker_id", "k"], how="left")
        .with_columns(pl.col("minutes").fill_null(0), pl.col("blanks").fill_null(0))
        .filter((pl.col("blanks") == 0) & (pl.col("minutes") < spec.minimum))
        .with_columns(
            **_dated_on("w_end"),
            outstanding=pl.col("k") == 0,
            message=pl.format(
                "{} minutes of held supervision from {} to {} (at least {})",
                "minutes",
                uk("w_start"),
                uk("w_end"),
                pl.lit(spec.minimum),
            ),
        )
    )
    findings = finalise(short, rule, requirement=spec.label, severity=spec.severity)
    active = spec.when.filter(workers_active(ctx))
    return RuleOutcome(rule.id, rule.scope, findings, covered_workers(active, findings))


KIND = RuleKind(
    name="duration",
    summary="Minimum minutes of held supervision per window, or a maximum session length.",
    fields=FIELDS,
    scopes=("staff",),
    default_scope="staff",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
