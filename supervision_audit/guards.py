"""The report's guarantees, checked once per audit: refuse what cannot be answered (an audit
date before the data, a filter that matches nothing), and say what was not checked (dates
past the data, subjects no rule covers, a run where nothing could be checked).

The warnings go into the summary (`summary["warnings"]`), which every output renders."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from typing import Any

import polars as pl

from .dates import Interval, uk_date
from .errors import UsageError
from .rules.model import Rule, Ruleset

# The event tables that hold a scope's evidence, and what a row of each is called.
SCOPE_EVENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "children": (("case_events", "case event"),),
    "staff": (("worker_sessions", "worker session"), ("worker_events", "worker event")),
}
SCOPE_WORDS = {"children": "children's", "staff": "staff"}


def _edge(
    tables: dict[str, pl.DataFrame],
    scope: str,
    last: bool,
    too_late: dict[str, dt.date] | None = None,
) -> tuple[dt.date, str] | None:
    """The earliest (or latest) event date of a scope's evidence, and what that event is
    (the earliest counts events rejected only for being a year past the audit date)."""
    best: tuple[dt.date, str] | None = None
    for table, what in SCOPE_EVENTS[scope]:
        frame = tables.get(table)
        late = (too_late or {}).get(table)
        if not last and late is not None and (best is None or late < best[0]):
            best = (late, what)
        if frame is None or frame.height == 0:
            continue
        found = frame["date"].max() if last else frame["date"].min()
        if not isinstance(found, dt.date):
            continue
        if best is None or (found > best[0] if last else found < best[0]):
            best = (found, what)
    return best


def check_as_of(
    tables: dict[str, pl.DataFrame],
    ruleset: Ruleset,
    scopes: tuple[str, ...],
    as_of: dt.date,
    too_late: dict[str, dt.date] | None = None,
) -> None:
    """An audit date before the first event of a scope the ruleset checks is an input error:
    on that date the data holds no evidence, so every figure would be a false all-clear."""
    before = {}
    for scope in scopes:
        first = _edge(tables, scope, False, too_late) if ruleset.rules_for(scope) else None
        if first is not None and as_of < first[0]:
            before[scope] = first
    if not before:
        return
    scope, (day, what) = next(iter(before.items()))
    others = [s for s in scopes if s not in before and ruleset.rules_for(s)]
    hint = f", or --scope {others[0]}" if others else ""
    raise UsageError(
        f"--as-of {uk_date(as_of)} is before the first {SCOPE_WORDS[scope]} data "
        f"(the earliest {what}, {uk_date(day)}): nothing could be checked on that date. "
        f"Use an audit date on or after {uk_date(day)}{hint}."
    )


def _intervals(value: Any) -> list[Interval]:
    """Every Interval in a rule kind's spec (its requirements, windows, grace...)."""
    if isinstance(value, Interval):
        return [value]
    if isinstance(value, (list, tuple)):
        return [iv for item in value for iv in _intervals(item)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [iv for f in dataclasses.fields(value) for iv in _intervals(getattr(value, f.name))]
    return []


def longest_interval(rules: list[Rule]) -> Interval | None:
    found = [iv for rule in rules for iv in _intervals(rule.spec)]
    return max(found, key=lambda iv: iv.nominal_days) if found else None


def as_of_caveats(
    tables: dict[str, pl.DataFrame], ruleset: Ruleset, scopes: tuple[str, ...], as_of: dt.date
) -> list[str]:
    """A caveat per scope whose last event is further before --as-of than the longest interval
    the ruleset sets: past that, a breach may be missing data rather than missed supervision."""
    out = []
    for scope in scopes:
        rules = ruleset.rules_for(scope)
        last = _edge(tables, scope, last=True)
        longest = longest_interval(rules)
        if not rules or last is None or longest is None or longest.add(last[0]) >= as_of:
            continue
        gap = (as_of - last[0]).days
        out.append(
            f"--as-of {uk_date(as_of)} is {gap:,} days past the last {SCOPE_WORDS[scope]} data "
            f"(a {last[1]} on {uk_date(last[0])}), more than the longest interval in force "
            f"({longest.words()}): a breach found after {uk_date(last[0])} may be data not yet "
            "exported rather than supervision missed."
        )
    return out


def _closest(wanted: str, names: list[str]) -> str:
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(wanted.lower(), list(by_lower), n=3, cutoff=0.5)
    if close:
        return "closest: " + ", ".join(f"'{by_lower[c]}'" for c in close)
    shown = sorted(names)[:8]
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return "the data has: " + ", ".join(f"'{n}'" for n in shown) + more


def _values(tables: dict[str, pl.DataFrame], column: str) -> list[str]:
    parts = [
        t[column].drop_nulls()
        for name, t in tables.items()
        if name in ("episodes", "workers") and column in t.columns
    ]
    if not parts:
        return []
    return pl.concat(parts).unique().sort().to_list()


def check_filters(tables: dict[str, pl.DataFrame], team: str | None, worker: str | None) -> None:
    """--team and --worker must name a team or worker in the data (a team ignoring case);
    otherwise every figure would describe nobody and read as an all-clear."""
    if team is not None:
        teams = _values(tables, "team")
        if team.strip().lower() not in {t.lower() for t in teams}:
            raise UsageError(f"--team '{team}' is not a team in the data; {_closest(team, teams)}")
    if worker is not None:
        workers = _values(tables, "worker_id")
        if worker not in set(workers):
            raise UsageError(
                f"--worker '{worker}' is not a worker in the data; {_closest(worker, workers)}"
            )


def nothing_checked(
    evaluated: list[str], rule_count: int, covered: pl.DataFrame, findings: pl.DataFrame
) -> str | None:
    """The headline of a run that checked nothing (None when rules ran over evidence)."""
    if rule_count and not evaluated:
        return (
            f"Nothing could be checked: none of the ruleset's {rule_count} rules could be "
            "evaluated (the reasons are listed under Not evaluated)."
        )
    if covered.height == 0 and findings.height == 0:
        return (
            "Nothing could be checked: no child, carer or worker open at the audit date "
            "falls under a rule that could be evaluated."
        )
    return None


_NOUNS = {
    "carer": ("foster carer", "foster carers"),
    "child": ("child", "children"),
    "worker": ("member of staff", "staff"),
}


def _message(subject_type: str, groups: list[dict[str, Any]]) -> str:
    """'9 foster carers: no rule of this ruleset applies'; children and staff also say in
    which categories or roles ('12 children (9 QA, 3 IRO): ...')."""
    n = sum(g["count"] for g in groups)
    one, many = _NOUNS[subject_type]
    what = ""
    if subject_type != "carer":
        what = " (" + ", ".join(f"{g['count']} {g['category']}" for g in groups) + ")"
    return f"{n} {one if n == 1 else many}{what}: {groups[0]['reason']}"


NOT_COVERED_SCHEMA = {
    "subject_type": pl.String,
    "subject_id": pl.String,
    "category": pl.String,
    "team": pl.String,
    "worker_id": pl.String,
}


def not_covered(
    tables: dict[str, pl.DataFrame],
    as_of: dt.date,
    scopes: tuple[str, ...],
    covered: pl.DataFrame,
    unevaluated_scopes: set[str],
) -> pl.DataFrame:
    """Children, carers and staff open at as_of that no evaluated rule covers: subject_type,
    subject_id, category (every open category, or the role), team, worker_id and reason."""
    parts = []
    day = pl.lit(as_of)
    open_now = (pl.col("start_date") <= day) & (
        pl.col("end_date").is_null() | (pl.col("end_date") >= day)
    )
    if "children" in scopes and "episodes" in tables:
        seen = covered.filter(pl.col("scope") == "children")["subject_id"]
        parts.append(
            tables["episodes"]
            .filter(open_now & ~pl.col("person_id").is_in(seen.implode()))
            .sort("person_id", "start_date", "category", nulls_last=True)
            .group_by("person_id", maintain_order=True)
            .agg(
                pl.col("category").unique(maintain_order=True).sort().str.join(" and "),
                pl.col("team").last(),
                pl.col("worker_id").last(),
                carer=(pl.col("category") == "FOSTER_CARER").all(),
            )
            .select(
                subject_type=pl.when("carer").then(pl.lit("carer")).otherwise(pl.lit("child")),
                subject_id="person_id",
                category="category",
                team="team",
                worker_id="worker_id",
                scope=pl.lit("children"),
            )
        )
    if "staff" in scopes and "workers" in tables:
        seen = covered.filter(pl.col("scope") == "staff")["subject_id"]
        parts.append(
            tables["workers"]
            .filter(open_now & ~pl.col("worker_id").is_in(seen.implode()))
            .select(
                subject_type=pl.lit("worker"),
                subject_id="worker_id",
                category=pl.col("role").fill_null("no role recorded"),
                team="team",
                worker_id="worker_id",
                scope=pl.lit("staff"),
            )
        )
    if not parts:
        return pl.DataFrame(schema={**NOT_COVERED_SCHEMA, "reason": pl.String})
    frame = pl.concat(parts, how="vertical_relaxed")
    reason = (
        pl.when(pl.col("scope").is_in(sorted(unevaluated_scopes)))
        .then(pl.lit("no rule that could be evaluated applies (see Not evaluated)"))
        .otherwise(pl.lit("no rule of this ruleset applies"))
    )
    return frame.with_columns(reason=reason).drop("scope").sort("subject_type", "subject_id")


def not_covered_summary(frame: pl.DataFrame) -> dict[str, Any]:
    """JSON-ready: the total, one message per kind of subject and reason, the count per
    category or role, and the subjects themselves."""
    groups = (
        frame.group_by("subject_type", "category", "reason")
        .agg(count=pl.len())
        .sort("subject_type", "reason", "count", "category", descending=[False, False, True, False])
        .to_dicts()
    )
    messages = []
    for key in dict.fromkeys((g["subject_type"], g["reason"]) for g in groups):
        messages.append(
            _message(key[0], [g for g in groups if (g["subject_type"], g["reason"]) == key])
        )
    return {
        "total": frame.height,
        "messages": messages,
        "groups": groups,
        "subjects": frame.select(list(NOT_COVERED_SCHEMA)).to_dicts(),
    }
