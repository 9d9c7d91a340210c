"""The interval kind's spec and the frames both evaluators (children, staff) build from it:
requirements, their ranks, their labels, and the finding's sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ...dates import Interval, uk_date_expr
from ...engine import ClockResult
from ..model import Rule
from .base import days_text


@dataclass(frozen=True)
class Requirement:
    label: str
    every: Interval
    limit: Interval | None
    categories: tuple[str, ...] | None
    flags: tuple[str, ...] | None
    section: str | None
    quote: str | None
    order: int
    unless_flags: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    frontline: bool | None = None
    phase_from: str | None = None
    phase_after: Interval | None = None
    phase_until: Interval | None = None
    asye_only: bool = False

    @property
    def limit_or_every(self) -> Interval:
        return self.limit or self.every

    def applies_to(self) -> str:
        if self.phase_from or self.roles or self.frontline is not None or self.asye_only:
            parts = []
            if self.roles:
                parts.append(" or ".join(self.roles))
            if self.frontline is not None:
                parts.append("frontline" if self.frontline else "not frontline")
            if self.asye_only and not self.phase_from:
                parts.append("ASYE")
            if self.phase_from:
                after = self.phase_after.words() if self.phase_after else "0 days"
                until = f" to {self.phase_until.words()}" if self.phase_until else " on"
                parts.append(f"{after}{until} from {self.phase_from}")
            return ", ".join(parts)
        cats = ", ".join(self.categories) if self.categories else "any category"
        if self.flags:
            cats = f"{cats} with {' or '.join(self.flags)}"
        if self.unless_flags:
            cats = f"{cats} without {' or '.join(self.unless_flags)}"
        return cats

    def requirement_text(self) -> str:
        text = self.every.every_words()
        if self.limit:
            text += f" (limit {self.limit.words()})"
        return text


@dataclass(frozen=True)
class IntervalSpec:
    counts: tuple[str, ...]
    repeat: bool
    requirements: tuple[Requirement, ...]
    """Sorted strictest first: index = rank."""
    event_noun: str
    absence_grace: Interval | None = None
    """Staff: due dates inside an absence move to the return day plus this grace (None:
    ignore absences)."""
    restart_on_supervisor_change: Interval | None = None
    """Staff: a new event is due this long after supervisor_since."""
    absence_reasons: tuple[str, ...] | None = None
    """Staff: only absences whose reason contains one of these (ignoring case) move a due
    date (None: every absence)."""
    absence_reasons_except: tuple[str, ...] | None = None
    """Staff: ...unless the reason also contains one of these."""
    counts_by_roles: tuple[str, ...] | None = None
    """Children: only events recorded (case_events.supervisor_id) by a worker in these roles."""
    from_supervision_by_roles: tuple[str, ...] | None = None
    """Children: the rule applies to a child from its first CASE_SUPERVISION recorded by a
    worker in these roles."""


def requirements_frame(spec: IntervalSpec) -> pl.DataFrame:
    """One row per rank: the interval parts the engine adds to dates."""
    rows = [
        {
            "rank": i,
            "every_days": q.every.days,
            "every_months": q.every.months,
            "limit_days": q.limit.days if q.limit else None,
            "limit_months": q.limit.months if q.limit else None,
        }
        for i, q in enumerate(spec.requirements)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "rank": pl.Int32,
            "every_days": pl.Int32,
            "every_months": pl.Int32,
            "limit_days": pl.Int32,
            "limit_months": pl.Int32,
        },
    )


def rank_expr(spec: IntervalSpec) -> pl.Expr:
    """The strictest requirement matching each episode row (null: none applies)."""
    ranks = []
    for i, q in enumerate(spec.requirements):
        cond = pl.lit(True)
        if q.categories:
            cond = cond & pl.col("category").is_in(list(q.categories))
        if q.flags:
            cond = cond & pl.any_horizontal(pl.col("flags").list.contains(f) for f in q.flags)
        if q.unless_flags:
            cond = cond & ~pl.any_horizontal(
                pl.col("flags").list.contains(f) for f in q.unless_flags
            )
        ranks.append(pl.when(cond).then(pl.lit(i, pl.Int32)))
    return pl.min_horizontal(ranks)


def labels_frame(spec: IntervalSpec, rule: Rule) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "due_rank": list(range(len(spec.requirements))),
            "requirement": [q.label for q in spec.requirements],
            "citation": [rule.citation(q.section, q.quote) for q in spec.requirements],
            "_limit_words": [q.limit_or_every.words() for q in spec.requirements],
            "_has_limit": [q.limit is not None for q in spec.requirements],
        },
        schema_overrides={"due_rank": pl.Int32},
    )


def finding_labels(spec: IntervalSpec, rule: Rule) -> pl.DataFrame:
    """labels_frame with requirement and citation as the findings frame holds them
    (Categorical), so that gathering or joining them per finding copies a code, not text."""
    return labels_frame(spec, rule).with_columns(
        pl.col("requirement", "citation").cast(pl.Categorical)
    )


def finding_message(noun: str, as_of: Any, ended: str) -> pl.Expr:
    """The finding's sentence, from the clock's columns: late, still outstanding, ended by a
    supervisor change, or ended by closure (`ended` names the closure: "case closed" or
    "left employment on"); plus an absence move and the limit when they apply.

    The four sentences share their frame, so one format builds them all: only the words
    around the second date, that date and "late"/"overdue" are chosen per row."""
    met = pl.col("met_date").is_not_null()
    outstanding = pl.col("outstanding")
    restart = pl.col("ended_by_restart")
    opening = (
        pl.when(met)
        .then(pl.lit("held "))
        .when(outstanding)
        .then(pl.lit("none recorded by "))
        .when(restart)
        .then(pl.lit("none before the change of supervisor on "))
        .otherwise(pl.lit(ended + " "))
    )
    second = (
        pl.when(met)
        .then(pl.col("met_date"))
        .when(outstanding)
        .then(pl.lit(as_of))
        .otherwise(pl.col("span_end"))
    )
    closing = (
        pl.when(met | outstanding | restart).then(pl.lit("")).otherwise(pl.lit(" without one"))
    )
    late = pl.when(met).then(pl.lit("late")).otherwise(pl.lit("overdue"))
    message = pl.format(
        "{}: {} due {}, {}{}{} ({} {})",
        pl.col("requirement").cast(pl.String),
        pl.lit(noun),
        uk_date_expr("due_date"),
        opening,
        uk_date_expr(second),
        closing,
        days_text(),
        late,
    )
    moved = pl.when(pl.col("absence_moved")).then(pl.lit(" (due date moved for an absence)"))
    limit = pl.when((pl.col("severity") == "red") & pl.col("_has_limit")).then(
        pl.format("; past the limit ({}, {})", "_limit_words", uk_date_expr("limit_date"))
    )
    return message + moved.otherwise(pl.lit("")) + limit.otherwise(pl.lit(""))


def unseen_periods(clock: ClockResult, rows: pl.DataFrame, hist: Any) -> pl.DataFrame:
    """(subject, period, anchor) of the periods that opened before the history date (a row was
    clipped to it): a one-off requirement owed from their start cannot be checked."""
    clipped = rows.filter(pl.col("clipped")).select("subject").unique()
    return (
        clock.periods.filter(pl.col("period_start") == pl.lit(hist))
        .join(clipped, on="subject")
        .select("subject", "period", pl.col("period_start").alias("anchor"))
    )


def drop_unseen(findings: pl.DataFrame, unseen: pl.DataFrame) -> pl.DataFrame:
    """Drop the findings of the cycle that starts an unseen period (a later restart's cycle
    in the same period stays: its start is in the data)."""
    return findings.join(unseen, on=["subject", "period", "anchor"], how="anti")
