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
    missing_table,
    not_evaluated,
    severity,
    with_waited,
    worker_info,
)

FIELDS = {
    "within": "a held session is due this long after a cancelled one (e.g. 14d or 2w)",
    "label": "how the requirement reads in a finding",
    "severity": "red (default) or amber",
    "trigger": "cancellation (default): a CANCELLED session; supervisor_absence: an absence of "
    "the worker's supervisor longer than `longer_than`",
    "longer_than": "with trigger supervisor_absence: how long the absence must last (e.g. 4w); "
    "the held session is then due `within` of the day it passes that length",
}


@dataclass(frozen=True)
class RescheduleSpec:
    within: Interval
    label: str
    severity: str
    longer_than: Interval | None = None
    """Set for trigger supervisor_absence."""


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> RescheduleSpec:
    within = ctx.interval(data, "within")
    assert within is not None
    if within.days is None:
        raise ctx.fail(data, "within", "give the time in days or weeks (e.g. 14d or 2w)")
    trigger = ctx.string(data, "trigger", required=False, default="cancellation")
    if trigger not in ("cancellation", "supervisor_absence"):
        raise ctx.fail(data, "trigger", "expected cancellation or supervisor_absence")
    longer = None
    if trigger == "supervisor_absence":
        longer = ctx.interval(data, "longer_than")
        if longer is None or longer.days is None:
            raise ctx.fail(data, "longer_than", "give the length in days or weeks (e.g. 4w)")
        default = (
            f"A held session within {within.words()} once a supervisor's absence passes "
            f"{longer.words()}"
        )
    else:
        if "longer_than" in data:
            raise ctx.fail(data, "longer_than", "only with trigger: supervisor_absence")
        default = f"Cancelled session rescheduled within {within.words()}"
    return RescheduleSpec(
        within,
        ctx.string(data, "label", required=False, default=default),
        severity(ctx, data),
        longer,
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, RescheduleSpec)
    if spec.longer_than is not None:
        return [
            {
                "applies_to": f"supervisees of a supervisor absent over {spec.longer_than.words()}",
                "requirement": f"a HELD session within {spec.within.words()} after that",
                "label": spec.label,
                "counts": "HELD worker_sessions",
            }
        ]
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
    if (missing := missing_table(ctx, rule, "worker_sessions")) is not None:
        return missing
    as_of = pl.lit(ctx.as_of)
    sessions = ctx.tables["worker_sessions"].filter(pl.col("date") <= as_of)
    caveats: list[str] = []
    if spec.longer_than is not None:
        triggers = _supervisor_absences(ctx, spec, caveats)
        if isinstance(triggers, str):
            return not_evaluated(rule, triggers)
    else:
        if "status" not in ctx.columns_present.get("worker_sessions", set()):
            return not_evaluated(
                rule, "worker_sessions has no status column, so cancellations cannot be seen"
            )
        triggers = (
            sessions.filter(pl.col("status") == "CANCELLED")
            .select("worker_id", "date")
            .with_columns(due_date=pl.col("date") + pl.duration(days=spec.within.days or 0))
        )
    held = (
        sessions.filter(pl.col("status") == "HELD")
        .select("worker_id", pl.col("date").alias("met_date"))
        .unique()
        .sort("worker_id", "met_date")
    )
    matched = (
        triggers.sort("worker_id", "date")
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
    what = (
        f"Supervisor absent from {{}} (over {spec.longer_than.words()})"
        if spec.longer_than is not None
        else "Session cancelled {}"
    )
    message = (
        pl.when(pl.col("outstanding"))
        .then(
            pl.format(
                what + ": a held session was due by {}, none by {} ({} overdue)",
                uk("date"),
                uk("due_date"),
                pl.lit(uk_date(ctx.as_of)),
                days_text(),
            )
        )
        .otherwise(
            pl.format(
                what + ": a held session was due by {}, held {} ({} late)",
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
    return RuleOutcome(
        rule.id, rule.scope, findings, covered_active_workers(ctx, findings), caveats=caveats
    )


def _supervisor_absences(
    ctx: EvalContext, spec: RescheduleSpec, caveats: list[str]
) -> pl.DataFrame | str:
    """(worker_id, date, due_date): for each absence of a supervisor longer than
    `longer_than`, each of their supervisees owes a held session from the absence's first day,
    due `within` of the day the absence passed that length (day longer_than + 1):
    start + longer_than + within - 1 day. Or why it cannot be checked."""
    for table in ("workers", "absences"):
        if not ctx.has(table):
            return f"no {table} table in the data"
    longer = (spec.longer_than.days or 0) if spec.longer_than else 0
    long = ctx.tables["absences"].filter(
        (pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1 > longer
    )
    hist = ctx.history_from.get("staff")
    if hist is not None:
        early = long.filter(pl.col("start_date") < pl.lit(hist)).height
        if early:
            caveats.append(
                f"{early} long absence(s) began before the history date ({uk_date(hist)}): "
                "a session then would not be seen, so they are not checked"
            )
        long = long.filter(pl.col("start_date") >= pl.lit(hist))
    due = pl.col("date") + pl.duration(days=longer + (spec.within.days or 0) - 1)
    return (
        ctx.tables["workers"]
        .filter(pl.col("supervisor_id").is_not_null())
        .join(
            long.select(
                pl.col("worker_id").alias("supervisor_id"), pl.col("start_date").alias("date")
            ),
            on="supervisor_id",
        )
        .with_columns(due_date=due)
        .filter(
            (
                pl.col("supervisor_since").is_null()
                | (pl.col("supervisor_since") <= pl.col("due_date"))
            )
            & (pl.col("start_date") <= pl.col("due_date"))
        )
        .select("worker_id", "date", "due_date")
        .unique()
    )


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
