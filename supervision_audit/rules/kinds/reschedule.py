"""Rule kind `reschedule`: a cancelled supervision session is followed by a held one within N
days of the cancellation (Lambeth: "no later than 2 weeks from the cancellation").

Subject: the worker. For each CANCELLED session (on or before --as-of), the next HELD session
of the same worker on or after the cancellation date meets it. Several cancellations waiting
for the same held session are one finding, dated from the first of them: its deadline is the
binding one. A worker who left employment before the deadline owes nothing.

How the finding's dates are filled:
- due_date = limit_date = cancellation date + N days;
- held late: met_date = the held session, days_overdue = met_date - due_date;
- none held by --as-of: outstanding, days_overdue = as_of - due_date (only once the deadline
  has passed).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ...context import EvalContext, RuleOutcome
from ...dates import Interval, uk_date
from ...dates import uk_date_expr as uk
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import (
    RuleKind,
    covered_active_workers,
    days_text,
    finalise,
    not_evaluated,
    severity,
    with_waited,
    worker_info,
)

FIELDS = {
    "within": "a held session is due this long after a cancelled one (e.g. 14d or 2w)",
    "label": "how the requirement reads in a finding",
    "severity": "red (default) or amber",
}


@dataclass(frozen=True)
class RescheduleSpec:
    within: Interval
    label: str
    severity: str


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> RescheduleSpec:
    within = ctx.interval(data, "within")
    assert within is not None
    if within.days is None:
        raise ctx.fail(data, "within", "give the time in days or weeks (e.g. 14d or 2w)")
    default = f"Cancelled session rescheduled within {within.words()}"
    return RescheduleSpec(
        within, ctx.string(data, "label", required=False, default=default), severity(ctx, data)
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, RescheduleSpec)
    return [
        {
            "applies_to": "workers with a CANCELLED session",
            "requirement": f"a HELD session within {spec.within.words()}",
            "label": spec.label,
            "counts": "HELD worker_sessions",
        }
    ]


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, RescheduleSpec)
    if not ctx.has("worker_sessions"):
        return not_evaluated(rule, "no worker_sessions table in the data")
    as_of = pl.lit(ctx.as_of)
    sessions = ctx.tables["worker_sessions"].filter(pl.col("date") <= as_of)
    cancelled = sessions.filter(pl.col("status") == "CANCELLED").select("worker_id", "date")
    if "status" not in ctx.columns_present.get("worker_sessions", set()):
        return not_evaluated(
            rule, "worker_sessions has no status column, so cancellations cannot be seen"
        )
    held = (
        sessions.filter(pl.col("status") == "HELD")
        .select("worker_id", pl.col("date").alias("met_date"))
        .unique()
        .sort("worker_id", "met_date")
    )
    days = spec.within.days or 0
    matched = (
        cancelled.sort("worker_id", "date")
        .join_asof(
            held,
            left_on="date",
            right_on="met_date",
            by="worker_id",
            strategy="forward",
            check_sortedness=False,
        )
        # several cancellations awaiting the same held session: the first is binding
        .unique(subset=["worker_id", "met_date"], keep="first", maintain_order=True)
        .with_columns(due_date=pl.col("date") + pl.duration(days=days))
    )
    info = worker_info(ctx)
    ends = (
        ctx.tables["workers"].select("worker_id", "end_date")
        if ctx.has("workers")
        else pl.DataFrame(schema={"worker_id": pl.String, "end_date": pl.Date})
    )
    late = (
        matched.join(ends, on="worker_id", how="left")
        .filter(
            pl.when(pl.col("met_date").is_null())
            .then(
                (pl.col("due_date") < as_of)
                & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("due_date")))
            )
            .otherwise(pl.col("met_date") > pl.col("due_date"))
        )
        .pipe(with_waited, as_of)
        .join(info, on="worker_id", how="left")
    )
    message = (
        pl.when(pl.col("outstanding"))
        .then(
            pl.format(
                "Session cancelled {}: a held session was due by {}, none by {} ({} overdue)",
                uk("date"),
                uk("due_date"),
                pl.lit(uk_date(ctx.as_of)),
                days_text(),
            )
        )
        .otherwise(
            pl.format(
                "Session cancelled {}: a held session was due by {}, held {} ({} late)",
                uk("date"),
                uk("due_date"),
                uk("met_date"),
                days_text(),
            )
        )
    )
    findings = finalise(
        late.with_columns(
            subject_type=pl.lit("worker"),
            subject_id=pl.col("worker_id"),
            category=pl.col("role"),
            message=message,
        ),
        rule,
        requirement=spec.label,
        severity=spec.severity,
    )
    return RuleOutcome(rule.id, rule.scope, findings, covered_active_workers(ctx, findings))


KIND = RuleKind(
    name="reschedule",
    summary="A cancelled session followed by a held one within N days.",
    fields=FIELDS,
    scopes=("staff",),
    default_scope="staff",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
