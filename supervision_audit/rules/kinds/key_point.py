"""Rule kind `key_point`: a record due at a key point of a case that the episodes show.

The key points: a new allocated worker, coming into care, returning home, a change of
category, closure or transfer.

Two shapes:

- `within: 7d` (with an optional `before`): a counting event (a manager's case note) is due
  within N days of the key point; one recorded up to `before` earlier also meets it (a
  decision to close is written before the closure). Devon: "At key points a Manager's
  Oversight/ Review/Decision form must be added to the child's record."
- `before: period` (no `within`): at least one counting event between the start of the
  period and the key point itself (Lambeth: "all cases must have at least 1 supervision on
  the record before case transfer"). A breach is closed at the key point: nothing recorded
  later can meet it.

How the finding's dates are filled:
- `within`: due_date = limit_date = the key point + within; met_date = the first counting
  event on or after the key point - before; late: days_overdue = met_date - due_date; none
  yet: outstanding once the due date has passed, days_overdue = as_of - due_date.
- `before: period`: due_date = limit_date = the key point (the period's last day); met_date
  is empty and days_overdue 0: a breach closed at the transfer, not a wait.
Key points whose window starts before the history date are not checked (a caveat counts
them): the record could predate the data.

Key points are read from the episode rows (after `when`), per child, sorted by start date;
a row *continues* the case when it starts on or before the day after every earlier row's
latest end. Everything is whole-frame Polars: sorts, shifts over each child, as-of joins.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ...context import EvalContext, RuleOutcome, empty_covered
from ...dates import Interval, uk_date
from ...dates import uk_date_expr as uk
from ...vocab import CASE_CATEGORIES, CASE_EVENT_KINDS, subject_type_expr
from ...yamlio import LineDict
from ..model import Ctx, Rule, spec_as
from .base import RuleKind, days_text, finalise, missing_table, not_evaluated, severity

KEY_POINTS = {
    "new_worker": "the allocated worker (episodes.worker_id) changes while the case stays open",
    "into_care": "a CLA row begins (the case opens as CLA, or moves into CLA)",
    "returns_home": "a CLA row ends and the case continues under a category other than CLA "
    "or CARE_LEAVER (dated the day after the last day in care)",
    "category_change": "the category changes while the case stays open",
    "closure": "the case (its rows after `when`) ends on or before --as-of: closure, or with "
    "`when` a transfer out of those categories",
}
POINT_WORDS = {
    "new_worker": "new allocated worker",
    "into_care": "came into care",
    "returns_home": "returned home from care",
    "category_change": "change of category",
    "closure": "closed or transferred",
}

FIELDS = {
    "at": "the key points, any of: " + ", ".join(KEY_POINTS),
    "counts": "case_events kinds that count (e.g. [MANAGEMENT_OVERSIGHT])",
    "within": "the event is due this long after the key point (e.g. 7d)",
    "before": "an event this long before the key point also counts (default: none); or "
    "'period': one event is due between the period's start and the key point itself, and a "
    "breach is closed at the key point",
    "when": "which episode rows the key points are read from: categories (any of)",
    "event_noun": "what the event is called in messages (default 'manager's case note')",
    "label": "how the requirement reads in a finding",
    "severity": "red (default) or amber",
}


@dataclass(frozen=True)
class KeyPointSpec:
    at: tuple[str, ...]
    counts: tuple[str, ...]
    within: Interval | None
    """None: by the key point itself."""
    before: Interval | None
    """None: no earlier event counts (or, with since_period_start, any since it began)."""
    since_period_start: bool
    categories: tuple[str, ...] | None
    event_noun: str
    label: str
    severity: str

    @property
    def within_days(self) -> int:
        return self.within.days or 0 if self.within else 0

    @property
    def before_days(self) -> int:
        return self.before.days or 0 if self.before else 0


def _days(ctx: Ctx, data: LineDict, key: str) -> Interval | None:
    value = ctx.interval(data, key, required=False)
    if value is not None and value.days is None:
        raise ctx.fail(data, key, "give the time in days or weeks (e.g. 7d or 1w)")
    return value


def validate(ctx: Ctx, data: LineDict, rule: Rule) -> KeyPointSpec:
    at = ctx.string_list(data, "at", tuple(KEY_POINTS), required=True) or ()
    counts = ctx.string_list(data, "counts", CASE_EVENT_KINDS, required=True) or ()
    since = data.get("before") == "period"
    before = None if since else _days(ctx, data, "before")
    within = _days(ctx, data, "within")
    if since and within is not None:
        raise ctx.fail(data, "within", "with 'before: period' the key point itself is the deadline")
    if not since and within is None:
        raise ctx.fail(data, None, "'within' is required (or 'before: period')")
    categories = None
    if "when" in data:
        when = ctx.mapping(data["when"], data, "when")
        ctx.no_unknown_keys(when, {"categories": "any of these categories"}, "'when'")
        categories = ctx.string_list(when, "categories", CASE_CATEGORIES)
    noun = ctx.string(data, "event_noun", required=False, default="manager's case note")
    default = (
        f"A {noun} before the key point"
        if since
        else f"A {noun} within {within.words() if within else ''} of a key point"
    )
    return KeyPointSpec(
        at=tuple(at),
        counts=tuple(counts),
        within=within,
        before=before,
        since_period_start=since,
        categories=categories,
        event_noun=noun,
        label=ctx.string(data, "label", required=False, default=default),
        severity=severity(ctx, data),
    )


def describe(rule: Rule) -> list[dict[str, str]]:
    spec = spec_as(rule, KeyPointSpec)
    cats = ", ".join(spec.categories) if spec.categories else "any category"
    when = (
        "between the period's start and the key point"
        if spec.since_period_start or spec.within is None
        else f"within {spec.within.words()} of the key point"
    )
    return [
        {
            "applies_to": f"{cats}: " + ", ".join(spec.at),
            "requirement": f"a {spec.event_noun} {when}",
            "label": spec.label,
            "counts": ", ".join(spec.counts),
        }
    ]


def key_points(rows: pl.DataFrame, at: tuple[str, ...], as_of: object) -> pl.DataFrame:
    """person_id, key_date, point, period_start, category, team, worker_id: every key point
    of `at` the rows show (rows: person_id, category, start_date, end (filled), team,
    worker_id, open_end (the end_date as given, null while open))."""
    by = "person_id"
    r = (
        rows.sort(by, "start_date", "end", "category", "worker_id", nulls_last=True)
        .with_columns(
            prev_reach=pl.col("end").cum_max().shift(1).over(by),
            prev_start=pl.col("start_date").shift(1).over(by),
            prev_category=pl.col("category").shift(1).over(by),
            prev_worker=pl.col("worker_id").shift(1).over(by),
            next_start=pl.col("start_date").shift(-1).over(by),
            next_category=pl.col("category").shift(-1).over(by),
        )
        .with_columns(
            continuing=pl.col("prev_reach").is_not_null()
            & (pl.col("start_date") <= pl.col("prev_reach") + pl.duration(days=1))
        )
        .with_columns(period=(~pl.col("continuing")).cast(pl.UInt32).cum_sum().over(by))
        .with_columns(
            period_start=pl.col("start_date").min().over(by, "period"),
            period_end=pl.col("end").max().over(by, "period"),
            period_open=pl.col("open_end").is_null().any().over(by, "period"),
        )
    )
    moved = pl.col("continuing") & (pl.col("start_date") > pl.col("prev_start"))
    tests = {
        "new_worker": (
            moved
            & pl.col("worker_id").is_not_null()
            & pl.col("prev_worker").is_not_null()
            & (pl.col("worker_id") != pl.col("prev_worker")),
            pl.col("start_date"),
        ),
        "category_change": (
            moved & (pl.col("category") != pl.col("prev_category")),
            pl.col("start_date"),
        ),
        "into_care": (
            (pl.col("category") == "CLA")
            & (~pl.col("continuing") | (pl.col("prev_category") != "CLA").fill_null(True)),
            pl.col("start_date"),
        ),
        "returns_home": (
            (pl.col("category") == "CLA")
            & pl.col("open_end").is_not_null()
            & (pl.col("next_start") <= pl.col("end") + pl.duration(days=1)).fill_null(False)
            & ~pl.col("next_category").is_in(["CLA", "CARE_LEAVER"]).fill_null(True),
            pl.col("end") + pl.duration(days=1),
        ),
        "closure": (
            ~pl.col("period_open") & (pl.col("end") == pl.col("period_end")),
            pl.col("end"),
        ),
    }
    frames = [
        r.filter(cond).select(
            by,
            pl.lit(point).alias("point"),
            date.alias("key_date"),
            "period_start",
            "category",
            "team",
            "worker_id",
        )
        for point, (cond, date) in tests.items()
        if point in at
    ]
    return (
        pl.concat(frames)
        .filter(pl.col("key_date") <= pl.lit(as_of))
        .sort(by, "key_date", "point")
        .group_by(by, "key_date", maintain_order=True)
        .agg(
            pl.col("point").replace_strict(POINT_WORDS).unique(maintain_order=True).str.join("; "),
            pl.col("period_start").first(),
            pl.col("category").last(),
            pl.col("team").last(),
            pl.col("worker_id").last(),
        )
    )


def evaluate(ctx: EvalContext, rule: Rule) -> RuleOutcome:
    spec = spec_as(rule, KeyPointSpec)
    if (missing := missing_table(ctx, rule, "episodes", "case_events")) is not None:
        return missing
    if "new_worker" in spec.at and "worker_id" not in ctx.columns_present.get("episodes", set()):
        return not_evaluated(
            rule, "episodes has no worker_id column, so a new worker cannot be seen"
        )
    as_of = ctx.as_of
    hist = ctx.history_from["children"]
    episodes = ctx.tables["episodes"]
    if spec.categories:
        episodes = episodes.filter(pl.col("category").is_in(list(spec.categories)))
    rows = episodes.filter(pl.col("start_date") <= pl.lit(as_of)).select(
        "person_id",
        "category",
        "start_date",
        pl.min_horizontal(pl.col("end_date").fill_null(pl.lit(as_of)), pl.lit(as_of)).alias("end"),
        pl.when(pl.col("end_date") <= pl.lit(as_of)).then(pl.col("end_date")).alias("open_end"),
        "team",
        "worker_id",
    )
    if rows.height == 0:
        return RuleOutcome(rule.id, rule.scope, finalise(rows.clear(), rule), empty_covered())
    points = key_points(rows, spec.at, as_of)
    within = pl.duration(days=spec.within_days)
    window_start = (
        pl.col("period_start")
        if spec.since_period_start
        else pl.col("key_date") - pl.duration(days=spec.before_days)
    )
    points = points.with_columns(window_start=window_start, due_date=pl.col("key_date") + within)
    caveats = []
    if hist is not None:
        unseen = points.filter(pl.col("window_start") < pl.lit(hist))
        if unseen.height:
            caveats.append(
                f"{unseen.height} key point(s) whose {spec.event_noun} could have been "
                f"recorded before the history date ({uk_date(hist)}) cannot be checked"
            )
        points = points.filter(pl.col("window_start") >= pl.lit(hist))
    if ctx.tables["case_events"].filter(pl.col("kind").is_in(list(spec.counts))).height == 0:
        return not_evaluated(
            rule,
            f"case_events holds no {', '.join(spec.counts)} events, so every key point would "
            "look unmet; check how the export's note types were mapped",
        )
    events = (
        ctx.tables["case_events"]
        .filter(pl.col("kind").is_in(list(spec.counts)) & (pl.col("date") <= pl.lit(as_of)))
        .select("person_id", pl.col("date").alias("met_date"))
        .unique()
        .sort("met_date")
    )
    matched = points.sort("window_start").join_asof(
        events,
        left_on="window_start",
        right_on="met_date",
        by="person_id",
        strategy="forward",
        check_sortedness=False,
    )
    if spec.since_period_start:
        late = (
            matched.filter(pl.col("met_date").is_null() | (pl.col("met_date") > pl.col("due_date")))
            .with_columns(
                met_date=pl.lit(None, pl.Date),
                days_overdue=pl.lit(0),
                outstanding=pl.lit(False),
                span_end=pl.col("key_date"),
            )
            .with_columns(
                message=pl.format(
                    "{} on {}: no {} on record since it opened on {}",
                    "point",
                    uk("key_date"),
                    pl.lit(spec.event_noun),
                    uk("period_start"),
                )
            )
        )
    else:
        late = (
            matched.filter(
                pl.when(pl.col("met_date").is_null())
                .then(pl.col("due_date") < pl.lit(as_of))
                .otherwise(pl.col("met_date") > pl.col("due_date"))
            )
            .with_columns(
                outstanding=pl.col("met_date").is_null(),
                span_end=pl.col("met_date").fill_null(pl.lit(as_of)),
            )
            .with_columns(days_overdue=(pl.col("span_end") - pl.col("due_date")).dt.total_days())
            .with_columns(
                message=pl.when(pl.col("outstanding"))
                .then(
                    pl.format(
                        "{} on {}: a {} was due by {}, none by {} ({} overdue)",
                        "point",
                        uk("key_date"),
                        pl.lit(spec.event_noun),
                        uk("due_date"),
                        pl.lit(uk_date(as_of)),
                        days_text(),
                    )
                )
                .otherwise(
                    pl.format(
                        "{} on {}: a {} was due by {}, recorded {} ({} late)",
                        "point",
                        uk("key_date"),
                        pl.lit(spec.event_noun),
                        uk("due_date"),
                        uk("met_date"),
                        days_text(),
                    )
                )
            )
        )
    findings = finalise(
        late.with_columns(
            subject_type=subject_type_expr(),
            subject_id=pl.col("person_id"),
            limit_date=pl.col("due_date"),
        ).sort("person_id", "due_date"),
        rule,
        requirement=spec.label,
        severity=spec.severity,
    )
    return RuleOutcome(rule.id, rule.scope, findings, empty_covered(), caveats=caveats)


KIND = RuleKind(
    name="key_point",
    summary="A record due at a key point of a case the episodes show (a new worker, into "
    "care, home, a change of category, closure or transfer).",
    fields=FIELDS,
    scopes=("children",),
    default_scope="children",
    validate=validate,
    evaluate=evaluate,
    describe=describe,
)
