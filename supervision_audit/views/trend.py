"""The monthly trend from one run: "are we getting better?" without twelve snapshots.

For each month end from the history date up to --as-of (the last N of them), every rule is
evaluated again over the same loaded tables, as of that month end: events after it are
unseen (the engine ignores events after as_of), episodes and employment open then are the
ones counted, and the history date is the run's own. Each point is therefore exactly what a
separate `audit --as-of MONTH_END` over the same files reports (a test checks it), but the
exports are read once. The evaluation is the vectorised rule kinds, once per month end: a
loop over at most 24 dates, never over rows or subjects.

A scope's point before its history date is None (the data cannot say), never 100%.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl

from ..audit import AuditRun, apply_filters, breakdown, headline
from ..context import empty_covered
from ..rules.registry import RULE_KINDS

MAX_MONTHS = 24


def month_ends(first: dt.date, as_of: dt.date, months: int) -> list[dt.date]:
    """The last `months` month ends on or after `first` and on or before `as_of`, oldest
    first (as_of itself counts when it is a month end)."""
    out: list[dt.date] = []
    day = as_of.replace(day=1) - dt.timedelta(days=1)  # the month end before as_of's month
    nxt = (as_of.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if nxt - dt.timedelta(days=1) == as_of:
        day = as_of
    while day >= first and len(out) < months:
        out.append(day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return out[::-1]


def _covered_at(run: AuditRun, day: dt.date, scopes: tuple[str, ...]) -> pl.DataFrame:
    ctx = dataclasses.replace(run.context, as_of=day)
    frames = []
    for scope in scopes:
        for rule in run.ruleset.rules_for(scope):
            outcome = RULE_KINDS[rule.kind].evaluate(ctx, rule)
            if outcome.covered.height:
                frames.append(outcome.covered)
    covered = pl.concat(frames, how="vertical") if frames else empty_covered()
    filters = run.result.summary.get("filters") or {}
    return apply_filters(covered, filters.get("team"), filters.get("worker"))


def _staff_headline(covered: pl.DataFrame) -> dict[str, Any]:
    figures = headline(covered.filter(pl.col("scope") == "staff"), None)
    return {"active_at_as_of": figures.pop("open_at_as_of"), **figures}


def monthly_trend(run: AuditRun, months: int = 12) -> dict[str, Any]:
    """Per month end: the share of open children, carers and active staff with no
    outstanding breach, overall and by team, as a separate audit as of that day reports it."""
    months = max(0, min(months, MAX_MONTHS))
    history = {s: run.context.history_from.get(s) for s in ("children", "staff")}
    scopes = tuple(s for s in ("children", "staff") if run.ruleset.rules_for(s) and history.get(s))
    scopes = tuple(s for s in scopes if s in _run_scopes(run))
    starts = [d for s in scopes if (d := history[s]) is not None]
    points: list[dict[str, Any]] = []
    if months and starts:
        for day in month_ends(min(starts), run.result.as_of, months):
            live = tuple(s for s in scopes if (h := history[s]) is not None and h <= day)
            covered = _covered_at(run, day, live)
            point: dict[str, Any] = {"month_end": day.isoformat()}
            if "children" in scopes:
                on = "children" in live
                point["children"] = headline(covered, "child") if on else None
                point["carers"] = headline(covered, "carer") if on else None
                point["by_team"] = breakdown(covered, "team", "children") if on else None
            if "staff" in scopes:
                on = "staff" in live
                point["staff"] = _staff_headline(covered) if on else None
                point["staff_by_team"] = breakdown(covered, "team", "staff") if on else None
            points.append(point)
    return {"months": months, "points": points}


def _run_scopes(run: AuditRun) -> tuple[str, ...]:
    scope = run.result.summary.get("scope", "all")
    return ("children", "staff") if scope == "all" else (scope,)
