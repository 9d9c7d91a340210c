"""Rule kind `ratio`: a supervisor with more active supervisees at --as-of than the limit
(Lambeth: 6, for supervisors of staff with face-to-face contact).

Supervisees are the workers employed on --as-of whose `supervisor_id` is the supervisor,
optionally only those matching `supervisees` (e.g. frontline: true). Subject: the supervisor.

How the finding's dates are filled: due_date = limit_date = the day the supervisor's current
supervisees first numbered more than the limit, from each one's joining date (the later of
start_date and supervisor_since). Leavers are not counted, since the export holds only
each worker's latest supervisor, so the true date can only be earlier. met_date is empty,
the finding is outstanding, days_overdue = as_of - due_date.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ...context import EvalContext, RuleOutcome, empty_covered
from ...dates import uk_date
from ...dates import uk_date_expr as uk
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import (
    RuleKind,
    StaffFilter,
    finalise,
    missing_table,
    not_evaluated,
    severity,
    staff_filter,
    with_waited,
    workers_active,
)

FIELDS = {
    "max_supervisees": "the most active supervisees one supervisor may have",
    "supervisees": "which supervisees count: roles (any of) and frontline (true/false)",
    "label": "how the requirement reads in a finding",
    "severity": "red (default) or amber",
}


@dataclass(frozen=True)
class RatioSpec:
    max_supervisees: int
    supervisees: StaffFilter
    label: str
    severity: str


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> RatioSpec:
    limit = ctx.integer(data, "max_supervisees", minimum=1)
    assert limit is not None
    default = f"At most {limit} supervisees per supervisor"
    return RatioSpec(
        limit,
        staff_filter(ctx, data, "supervisees"),
        ctx.string(data, "label", required=False, default=default),
        severity(ctx, data),
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, RatioSpec)
    return [
        {
            "applies_to": f"supervisors of {spec.supervisees.words()}",
            "requirement": f"at most {spec.max_supervisees} active supervisees",
            "label": spec.label,
            "counts": "workers.supervisor_id",
        }
    ]


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, RatioSpec)
    if (missing := missing_table(ctx, rule, "workers")) is not None:
        return missing
    if "supervisor_id" not in ctx.columns_present.get("workers", set()):
        return not_evaluated(rule, "workers has no supervisor_id column")
    workers = ctx.tables["workers"]
    supervisees = spec.supervisees.filter(workers_active(ctx)).filter(
        pl.col("supervisor_id").is_not_null()
    )
    limit = spec.max_supervisees
    joined = pl.max_horizontal(
        "start_date", pl.col("supervisor_since").fill_null(pl.col("start_date"))
    )
    over = (
        supervisees.select("supervisor_id", joined.alias("joined"))
        .group_by("supervisor_id")
        .agg(
            n=pl.len(),
            # the (limit+1)-th joining date: from then on there were more than the limit
            due_date=pl.col("joined").sort().get(limit, null_on_oob=True),
        )
        .filter(pl.col("n") > limit)
    )
    me = workers.select(
        pl.col("worker_id").alias("supervisor_id"),
        "role",
        "team",
        pl.col("supervisor_id").alias("line_manager"),
    )
    rows = over.join(me, on="supervisor_id", how="left").with_columns(
        subject_type=pl.lit("supervisor"),
        subject_id=pl.col("supervisor_id"),
        worker_id=pl.col("supervisor_id"),
        category=pl.col("role"),
        message=pl.format(
            "{} active supervisees on {} (at most {}); over the limit since {}",
            "n",
            pl.lit(uk_date(ctx.as_of)),
            pl.lit(limit),
            uk("due_date"),
        ),
    )
    rows = with_waited(rows, ctx.as_of)
    # the supervisor's own line manager reviews the ratio: the by-supervisor view uses it
    rows = rows.with_columns(supervisor_id=pl.col("line_manager"))
    findings = finalise(rows, rule, requirement=spec.label, severity=spec.severity)
    return RuleOutcome(rule.id, rule.scope, findings, empty_covered())


KIND = RuleKind(
    name="ratio",
    summary="A supervisor with more active supervisees at --as-of than the limit.",
    fields=FIELDS,
    scopes=("staff",),
    default_scope="staff",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
