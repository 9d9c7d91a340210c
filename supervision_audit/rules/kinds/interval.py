"""Rule kind `interval`: a supervision (or other event) due at most every N days/weeks/months.

For children, the subject is a child (or foster carer) and the open periods are its episodes;
the requirement in force on each day is the strictest requirement matching any episode row
open that day (by category and flags). The clock itself is `engine.run_clock`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ...context import EvalContext, RuleOutcome, empty_covered
from ...dates import COLLECT_ENGINE, Interval, uk_date
from ...engine import ClockResult, in_range, merge_clocks, run_clock, subject_ranges
from ...findings import empty_findings
from ...vocab import (
    CASE_CATEGORIES,
    CASE_EVENT_KINDS,
    CASE_FLAGS,
    WORKER_EVENT_KINDS,
    subject_type_expr,
)
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import RuleKind, covered_children, finalise, missing_table, not_evaluated
from .interval_spec import (
    IntervalSpec,
    Requirement,
    drop_unseen,
    finding_labels,
    finding_message,
    rank_expr,
    requirements_frame,
    unseen_periods,
)
from .staff_interval import evaluate_staff

MAX_INTERVAL_DAYS = 5 * 366

REQUIREMENT_KEYS = {
    "label": "how the requirement reads in a finding, e.g. 'CP: every 4 weeks'",
    "every": "the target interval (4w, 28d, 1m, 2m, 1y)",
    "limit": "optional looser limit; missing the target is amber, missing the limit red",
    "when": "which episode rows it applies to: categories (any of) and flags (any of)",
    "section": "the section this requirement comes from, when not the rule's",
    "quote": "the policy's words for this requirement, when not the rule's",
}
WHEN_KEYS = {
    "categories": "any of these categories",
    "flags": "any of these flags",
    "unless_flags": "none of these flags (for a flag that loosens, e.g. NO_CHILDREN_PLACED)",
}
STAFF_WHEN_KEYS = {
    "roles": "any of these roles (matched ignoring case)",
    "frontline": "true: frontline staff only; false: non-frontline only",
    "phase": "a window measured from asye_start or start_date: from, after, until",
    "asye": "true: only workers with an asye_start",
}
PHASE_KEYS = {
    "from": "asye_start or start_date",
    "after": "the window opens this long after it (default 0d)",
    "until": "the window closes this long after it (exclusive; default: never)",
}
STAFF_COUNTS = ("SESSION", *WORKER_EVENT_KINDS)
"""What a staff interval rule can count: SESSION (a HELD worker_sessions row) or a
worker_events kind."""


FIELDS = {
    "counts": "event kinds that count (e.g. [CASE_SUPERVISION, GROUP_SUPERVISION])",
    "repeat": "false for a one-off requirement (only the first due date of a period is owed)",
    "requirements": "the intervals, each with label, every, optional limit and when",
    "event_noun": "what the event is called in messages (default 'supervision')",
    "absence_grace": "staff: a due date inside an absence moves to the return day (the day "
    "after it ends) plus this (e.g. 7d)",
    "restart_on_supervisor_change": "staff: a new event is due this long after supervisor_since "
    "(blank supervisor_since: the later of the worker's and the supervisor's start_date)",
    "absence_reasons": "staff: only absences whose reason contains one of these words (ignoring "
    "case) move a due date, e.g. [leave, holiday]; default: every absence",
    "absence_reasons_except": "staff: ...unless the reason also contains one of these, e.g. [sick]",
    "counts_by_roles": "children: only events recorded by a worker in these roles count "
    "(case_events.supervisor_id joined to workers.role), e.g. [Team Manager]",
    "from_supervision_by_roles": "children: the rule applies to a child from its first "
    "CASE_SUPERVISION recorded by a worker in these roles, e.g. [Advanced Practitioner]",
}


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> IntervalSpec:
    staff = rule.scope == "staff"
    counts = ctx.string_list(
        data, "counts", STAFF_COUNTS if staff else CASE_EVENT_KINDS, required=True
    )
    reqs_raw = data.get("requirements")
    if not isinstance(reqs_raw, list) or not reqs_raw:
        raise ctx.fail(
            data,
            "requirements" if "requirements" in data else None,
            "an interval rule needs a non-empty 'requirements' list",
        )
    reqs = []
    for i, item in enumerate(reqs_raw):
        r = ctx.mapping(item, reqs_raw, None)
        ctx.no_unknown_keys(r, REQUIREMENT_KEYS, "a requirement")
        every = ctx.interval(r, "every")
        limit = ctx.interval(r, "limit", required=False)
        assert every is not None
        for key, iv in (("every", every), ("limit", limit)):
            if iv is not None and iv.nominal_days > MAX_INTERVAL_DAYS:
                raise ctx.fail(
                    r, key, f"{iv.code()} is longer than five years: not a plausible interval"
                )
        if limit is not None and limit.nominal_days < every.nominal_days:
            raise ctx.fail(
                r, "limit", f"the limit {limit.code()} is shorter than the target {every.code()}"
            )
        when = r.get("when") or LineDict()
        when = ctx.mapping(when, r, "when")
        extra: dict[str, Any] = {}
        cats = flags = None
        if staff:
            ctx.no_unknown_keys(when, STAFF_WHEN_KEYS, "'when' (staff)")
            extra["roles"] = ctx.string_list(when, "roles")
            if "frontline" in when:
                extra["frontline"] = ctx.boolean(when, "frontline", True)
            extra["asye_only"] = ctx.boolean(when, "asye", False)
            if "phase" in when:
                ph = ctx.mapping(when["phase"], when, "phase")
                ctx.no_unknown_keys(ph, PHASE_KEYS, "'phase'")
                base = ctx.string(ph, "from")
                if base not in ("asye_start", "start_date"):
                    raise ctx.fail(ph, "from", "expected asye_start or start_date")
                extra["phase_from"] = base
                extra["phase_after"] = ctx.interval(ph, "after", required=False)
                extra["phase_until"] = ctx.interval(ph, "until", required=False)
                after = extra["phase_after"].nominal_days if extra["phase_after"] else 0
                if extra["phase_until"] and extra["phase_until"].nominal_days <= after:
                    raise ctx.fail(ph, "until", "the phase must end after it starts")
        else:
            ctx.no_unknown_keys(when, WHEN_KEYS, "'when'")
            cats = ctx.string_list(when, "categories", CASE_CATEGORIES)
            flags = ctx.string_list(when, "flags", CASE_FLAGS)
            unless = ctx.string_list(when, "unless_flags", CASE_FLAGS)
            if unless and flags and set(unless) & set(flags):
                raise ctx.fail(when, "unless_flags", "a flag cannot be both required and excluded")
            extra["unless_flags"] = unless
        label = ctx.string(r, "label", required=False) or _default_label(cats, flags, every)
        reqs.append(
            Requirement(
                label,
                every,
                limit,
                cats,
                flags,
                ctx.string(r, "section", required=False) or None,
                ctx.string(r, "quote", required=False) or None,
                i,
                **extra,
            )
        )
    reqs.sort(key=lambda q: (q.every.nominal_days, q.limit_or_every.nominal_days, q.order))
    grace = ctx.interval(data, "absence_grace", required=False)
    restart = ctx.interval(data, "restart_on_supervisor_change", required=False)
    if not staff:
        for key, value in (("absence_grace", grace), ("restart_on_supervisor_change", restart)):
            if value is not None:
                raise ctx.fail(data, key, "only staff rules can use this field")
    if grace is not None and grace.days is None:
        raise ctx.fail(data, "absence_grace", "give the grace in days or weeks (e.g. 7d)")
    reasons = ctx.string_list(data, "absence_reasons")
    reasons_except = ctx.string_list(data, "absence_reasons_except")
    by_roles = ctx.string_list(data, "counts_by_roles")
    from_roles = ctx.string_list(data, "from_supervision_by_roles")
    only = {
        "absence_reasons": (reasons, True),
        "absence_reasons_except": (reasons_except, True),
        "counts_by_roles": (by_roles, False),
        "from_supervision_by_roles": (from_roles, False),
    }
    for key, (given, staff_only) in only.items():
        if given is not None and staff_only != staff:
            raise ctx.fail(
                data,
                key,
                f"only {'staff' if staff_only else 'children'}'s rules can use this field",
            )
    if (reasons or reasons_except) and grace is None:
        raise ctx.fail(data, "absence_reasons", "absence reasons need an absence_grace")
    return IntervalSpec(
        counts=counts or (),
        repeat=ctx.boolean(data, "repeat", True),
        requirements=tuple(reqs),
        event_noun=ctx.string(data, "event_noun", required=False, default="supervision"),
        absence_grace=grace,
        restart_on_supervisor_change=restart,
        absence_reasons=reasons,
        absence_reasons_except=reasons_except,
        counts_by_roles=by_roles,
        from_supervision_by_roles=from_roles,
    )


def _default_label(
    cats: tuple[str, ...] | None, flags: tuple[str, ...] | None, every: Interval
) -> str:
    who = "/".join(cats) if cats else "All"
    if flags:
        who += " + " + "/".join(flags)
    return f"{who}: {every.every_words()}"


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, IntervalSpec)
    return [
        {
            "applies_to": q.applies_to(),
            "requirement": q.requirement_text(),
            "label": q.label,
            "counts": ", ".join(spec.counts),
        }
        for q in spec.requirements
    ]


def persons(ctx: EvalContext) -> pl.DataFrame:
    """person_id -> integer subject code (encode text IDs once; joins and sorts use codes)."""
    if "persons" not in ctx.cache:
        ctx.cache["persons"] = (
            ctx.tables["episodes"]
            .select("person_id")
            .unique()
            .sort("person_id")
            .with_row_index("subject")
        )
    return ctx.cache["persons"]


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    if rule.scope == "children":
        return evaluate_children(ctx, rule)
    return evaluate_staff(ctx, rule)


def evaluate_children(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, IntervalSpec)
    if (missing := missing_table(ctx, rule, "episodes", "case_events")) is not None:
        return missing
    kinds = ", ".join(spec.counts)
    roles = by_role(ctx, spec)
    if isinstance(roles, str):
        return not_evaluated(rule, roles)
    counted = ctx.tables["case_events"].lazy().filter(pl.col("kind").is_in(list(spec.counts)))
    if spec.counts_by_roles:
        counted = counted.join(roles_of(roles, spec.counts_by_roles).lazy(), on="supervisor_id")
    # only the two columns the clock needs are gathered from the (large) events table
    events = counted.select("person_id", "date").collect(engine=COLLECT_ENGINE)
    if events.height == 0:
        return not_evaluated(
            rule,
            f"case_events holds no {kinds} events, so every case would look overdue; "
            "check how the export's note types were mapped",
        )
    hist = ctx.history_from["children"]
    as_of = ctx.as_of
    codes = persons(ctx)
    episodes = ctx.tables["episodes"].lazy()
    if spec.from_supervision_by_roles:
        first = (
            ctx.tables["case_events"]
            .filter(pl.col("kind") == "CASE_SUPERVISION")
            .join(roles_of(roles, spec.from_supervision_by_roles), on="supervisor_id")
            .group_by("person_id")
            .agg(_from=pl.col("date").min())
        )
        episodes = episodes.join(first.lazy(), on="person_id").with_columns(
            start_date=pl.max_horizontal("start_date", "_from")
        )
    rows = (
        episodes.with_columns(rank=rank_expr(spec))
        .filter(pl.col("rank").is_not_null())
        .join(codes.lazy(), on="person_id")
        .with_columns(
            clipped=(pl.col("start_date") < pl.lit(hist)) if hist else pl.lit(False),
            start=pl.max_horizontal("start_date", pl.lit(hist)) if hist else pl.col("start_date"),
            end=pl.min_horizontal(pl.col("end_date").fill_null(pl.lit(as_of)), pl.lit(as_of)),
        )
        .filter(pl.col("start") <= pl.col("end"))
        .select(
            "subject",
            "person_id",
            "start",
            "end",
            "rank",
            "category",
            "team",
            "worker_id",
            "clipped",
        )
        .collect(engine=COLLECT_ENGINE)
    )
    ev = events.join(codes, on="person_id").select("subject", "date")
    requirements = requirements_frame(spec)
    findings, covered, clocks, unseen = [], [], [], 0
    # Subjects are independent: the clock and the findings are built one range of subject
    # codes at a time (codes follow person_id order, so the ranges' clocks merge into the
    # one an undivided run gives), with one range's working memory.
    for lo, hi in subject_ranges(codes.height, ctx.partition_subjects):
        part_rows = rows.filter(in_range(lo, hi))
        clock = run_clock(
            part_rows.lazy(),
            ev.lazy().filter(in_range(lo, hi)),
            requirements,
            as_of,
            repeat=spec.repeat,
        )
        if not spec.repeat and hist is not None:
            dropped = unseen_periods(clock, part_rows, hist)
            if dropped.height:
                unseen += dropped.height
                clock.findings = drop_unseen(clock.findings, dropped)
                clock.periods = clock.periods.join(dropped, on=["subject", "period"], how="anti")
        ordered = _ordered_rows(part_rows)
        part_findings = _children_findings(ctx, rule, spec, clock, ordered)
        covered.append(_children_covered(ctx, clock, ordered, part_findings))
        findings.append(part_findings)
        clocks.append(clock)
    caveats = []
    if unseen:
        caveats.append(
            f"{unseen} period(s) opened before the history date ({uk_date(hist)}): "
            f"the {spec.event_noun} owed from their start may have been recorded before "
            "the data starts, so it cannot be checked (not counted as met or as overdue)"
        )
    return RuleOutcome(
        rule.id,
        rule.scope,
        _concat(findings, empty_findings()),
        _concat(covered, empty_covered()),
        [],
        caveats,
        detail=merge_clocks(clocks) if clocks else None,
    )


def _concat(frames: list[pl.DataFrame], empty: pl.DataFrame) -> pl.DataFrame:
    """The parts' frames as one (those with rows; `empty` when none has any)."""
    full = [f for f in frames if f.height]
    return pl.concat(full, how="vertical") if full else empty


def by_role(ctx: EvalContext, spec: IntervalSpec) -> pl.DataFrame | str | None:
    """worker_id -> lower-case role, when the rule counts or starts by role (else None); or
    why it cannot."""
    if not (spec.counts_by_roles or spec.from_supervision_by_roles):
        return None
    if not ctx.has("workers"):
        return "no workers table in the data, so who recorded each event cannot be known"
    if "supervisor_id" not in ctx.columns_present.get("case_events", set()):
        return "case_events has no supervisor_id column, so who recorded each event is not known"
    return ctx.tables["workers"].select(
        pl.col("worker_id").alias("supervisor_id"), pl.col("role").str.to_lowercase().alias("_role")
    )


def roles_of(roles: Any, wanted: tuple[str, ...]) -> pl.DataFrame:
    """The supervisor_ids of workers in one of the wanted roles (ignoring case)."""
    return roles.filter(pl.col("_role").is_in([r.lower() for r in wanted])).select("supervisor_id")


def _ordered_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """The episode rows in the order _row_at prefers them: per subject the strictest rank,
    then the latest start; ties broken by end, category, team and worker, so the answer
    never depends on the input's row order. Sorted once per rule."""
    return rows.sort(
        "subject",
        "rank",
        "start",
        "end",
        "category",
        "team",
        "worker_id",
        descending=[False, False, True, True, False, False, False],
        nulls_last=True,
    )


def _row_at(ordered: pl.DataFrame, probes: pl.DataFrame, date_col: str) -> pl.DataFrame:
    """For each probe (subject, date), the first row of `ordered` (_ordered_rows) in force
    that day: person_id, category, team and worker_id, one row per probe in the probes'
    order (nulls where no row is in force)."""
    hit = (
        probes.lazy()
        .select("subject", date_col)
        .with_row_index("_probe")
        .join(ordered.lazy().select("subject", "start", "end").with_row_index("_ord"), on="subject")
        .filter((pl.col("start") <= pl.col(date_col)) & (pl.col(date_col) <= pl.col("end")))
        .group_by("_probe")
        .agg(pl.col("_ord").min())
        .collect(engine=COLLECT_ENGINE)
    )
    at = pl.Series("_ord", [], pl.UInt32).extend_constant(None, probes.height)
    at = at.scatter(hit["_probe"], hit["_ord"])
    return ordered.select(pl.col("person_id", "category", "team", "worker_id").gather(at))


def _children_findings(
    ctx: EvalContext,
    rule: Rule,
    spec: IntervalSpec,
    clock: ClockResult,
    ordered: pl.DataFrame,
) -> pl.DataFrame:
    f = clock.findings
    if f.height == 0:
        return empty_findings()
    labels = finding_labels(spec, rule)  # one row per rank, in rank order
    out = (
        pl.concat([f, _row_at(ordered, f, "due_date")], how="horizontal")
        .with_columns(pl.lit(labels[c]).gather(pl.col("due_rank")) for c in labels.columns[1:])
        .with_columns(subject_type=subject_type_expr(), subject_id=pl.col("person_id"))
        .with_columns(message=finding_message(spec.event_noun, ctx.as_of, "case closed"))
    )
    return finalise(out, rule)


def _children_covered(
    ctx: EvalContext, clock: ClockResult, ordered: pl.DataFrame, findings: pl.DataFrame
) -> pl.DataFrame:
    open_now = clock.periods.filter(pl.col("open_at_as_of")).select(
        "subject", pl.lit(ctx.as_of).alias("as_of")
    )
    if open_now.height == 0:
        return empty_covered()
    at = _row_at(ordered, open_now, "as_of").filter(pl.col("person_id").is_not_null())
    return covered_children(at, findings)


KIND = RuleKind(
    name="interval",
    summary="An event (supervision, agreement...) due at most every N days, weeks or months.",
    fields=FIELDS,
    scopes=("children", "staff"),
    default_scope="children",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
