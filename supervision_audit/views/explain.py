"""`explain_subject`: one child's or worker's whole timeline, rule by rule, step by step, from
the audit run's own frames."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ..audit import AuditRun
from ..dates import uk_date
from ..engine import ClockResult
from ..findings import _records
from ..rules.kinds.interval_spec import IntervalSpec, labels_frame, rank_expr
from ..rules.model import spec_as
from .common import subject_codes


def explain_subject(run: AuditRun, subject_id: str) -> dict[str, Any]:
    """The whole timeline of one child, carer or worker, rule by rule, from the audit run.

    Returns a JSON-ready dict: subject, history dates, and per rule: the input rows and the
    requirement each matched, the requirement in force period by period, every event (and
    whether it counted, and why not), every cycle with how its due date was computed, and
    the findings (the very rows the audit reported).
    """
    from ..errors import UsageError

    ctx = run.context
    as_of = run.result.as_of
    rules_out = []
    found_as: set[str] = set()
    for outcome in run.outcomes:
        rule = run.ruleset.rule(outcome.rule_id)
        scope = outcome.scope
        codes = subject_codes(run, scope)
        clock = outcome.detail
        entry: dict[str, Any] = {
            "rule": rule.id,
            "title": rule.title,
            "kind": rule.kind,
            "scope": scope,
        }
        if outcome.not_evaluated:
            continue
        if not isinstance(clock, ClockResult) or codes is None:
            f = run.result.findings.filter(
                (pl.col("rule") == rule.id) & (pl.col("subject_id") == subject_id)
            )
            if f.height:
                entry["findings"] = _records(f.select(list(_FINDING_VIEW)))
                rules_out.append(entry)
                found_as.add(scope)
            continue
        match = codes.filter(pl.col("subject_id") == subject_id)
        if match.height == 0:
            continue
        code = match["subject"][0]
        found_as.add(scope)
        spec = spec_as(rule, IntervalSpec)
        labels = labels_frame(spec, rule).select(pl.col("due_rank").alias("rank"), "requirement")
        hist = ctx.history_from.get(scope)
        entry["history_from"] = hist.isoformat() if hist else None
        entry["inputs"] = _input_rows(run, rule, spec, scope, subject_id, labels)
        segs = clock.segments.filter(pl.col("subject") == code).join(labels, on="rank", how="left")
        entry["in_force"] = [
            {
                "from": r["seg_start"].isoformat(),
                "to": r["seg_end"].isoformat(),
                "requirement": r["requirement"],
            }
            for r in segs.sort("seg_start").to_dicts()
        ]
        periods = clock.periods.filter(pl.col("subject") == code).sort("period_start")
        entry["periods"] = [
            {
                "start": p["period_start"].isoformat(),
                "end": p["period_end"].isoformat(),
                "open_at_as_of": p["open_at_as_of"],
                "note": "treated as opening on the history date"
                if hist
                and p["period_start"] == hist
                and _started_before(run, scope, subject_id, hist)
                else "",
            }
            for p in periods.to_dicts()
        ]
        entry["events"] = _events(run, spec, scope, subject_id, segs, hist, as_of)
        entry["cycles"] = _cycles(clock, code, labels)
        f = run.result.findings.filter(
            (pl.col("rule") == rule.id) & (pl.col("subject_id") == subject_id)
        )
        entry["findings"] = _records(f.select(list(_FINDING_VIEW)))
        rules_out.append(entry)
    if not found_as:
        raise UsageError(
            f"no child, carer or worker '{subject_id}' is covered by any evaluated "
            "rule (check the ID, --scope and --as-of)"
        )
    return {
        "subject_id": subject_id,
        "as_of": as_of.isoformat(),
        "ruleset": {"name": run.ruleset.name, "version": run.ruleset.version},
        "rules": rules_out,
    }


_FINDING_VIEW = (
    "rule",
    "kind",
    "due_date",
    "limit_date",
    "met_date",
    "days_overdue",
    "severity",
    "requirement",
    "message",
    "citation",
)


def _started_before(run: AuditRun, scope: str, subject_id: str, hist: dt.date) -> bool:
    if scope == "children":
        rows = run.context.tables["episodes"].filter(pl.col("person_id") == subject_id)
    else:
        rows = run.context.tables["workers"].filter(pl.col("worker_id") == subject_id)
    first = rows["start_date"].min() if rows.height else None
    return isinstance(first, dt.date) and first < hist


def _located(run: AuditRun, table: str, rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of a loaded table with the file each came from and its line in that file (an
    export mapped from several files names each row's own)."""
    return rows.join(run.data.tables[table].lines(), on="_row", how="left")


def _input_rows(
    run: AuditRun, rule: Any, spec: IntervalSpec, scope: str, subject_id: str, labels: pl.DataFrame
) -> list[dict[str, Any]]:
    t = run.context.tables
    if scope == "children":
        rows = (
            _located(run, "episodes", t["episodes"].filter(pl.col("person_id") == subject_id))
            .with_columns(rank=rank_expr(spec))
            .join(labels, on="rank", how="left")
            .sort("start_date")
        )
        return [
            {
                "file": r["file"],
                "line": r["line"],
                "category": r["category"],
                "flags": ";".join(r["flags"] or []),
                "start": r["start_date"].isoformat(),
                "end": r["end_date"].isoformat() if r["end_date"] else None,
                "team": r["team"],
                "worker_id": r["worker_id"],
                "requirement": r["requirement"] or "no requirement of this rule applies",
            }
            for r in rows.to_dicts()
        ]
    rows = _located(run, "workers", t["workers"].filter(pl.col("worker_id") == subject_id))
    keep = [
        c
        for c in (
            "file",
            "line",
            "role",
            "team",
            "supervisor_id",
            "supervisor_since",
            "start_date",
            "end_date",
            "asye_start",
            "frontline",
        )
        if c in rows.columns
    ]
    return _records(rows.select(keep))


def _events(
    run: AuditRun,
    spec: IntervalSpec,
    scope: str,
    subject_id: str,
    segs: pl.DataFrame,
    hist: dt.date | None,
    as_of: dt.date,
) -> list[dict[str, Any]]:
    t = run.context.tables
    if scope == "children":
        if "case_events" not in t:
            return []
        ev = _located(
            run, "case_events", t["case_events"].filter(pl.col("person_id") == subject_id)
        ).select("_row", "file", "line", "date", "kind")
        counts = pl.col("kind").is_in(list(spec.counts))
    else:
        parts = []
        if "worker_sessions" in t:
            parts.append(
                _located(
                    run,
                    "worker_sessions",
                    t["worker_sessions"].filter(pl.col("worker_id") == subject_id),
                ).select(
                    "_row",
                    "file",
                    "line",
                    "date",
                    pl.format("SESSION ({})", "status").alias("kind"),
                    pl.col("status"),
                )
            )
        if "worker_events" in t:
            parts.append(
                _located(
                    run,
                    "worker_events",
                    t["worker_events"].filter(pl.col("worker_id") == subject_id),
                ).select(
                    "_row", "file", "line", "date", "kind", pl.lit(None, pl.String).alias("status")
                )
            )
        if not parts:
            return []
        ev = pl.concat(parts, how="vertical_relaxed")
        kinds = [k for k in spec.counts if k != "SESSION"]
        counts = pl.col("kind").is_in(kinds)
        if "SESSION" in spec.counts:
            counts = counts | (pl.col("status") == "HELD")
    in_period = pl.lit(False)
    for s in segs.to_dicts():
        in_period = in_period | pl.col("date").is_between(
            pl.lit(s["seg_start"]), pl.lit(s["seg_end"])
        )
    reason = (
        pl.when(~counts)
        .then(pl.format("{} does not count for this rule", "kind"))
        .when(pl.col("date") > pl.lit(as_of))
        .then(pl.lit("after the audit date"))
        .when(pl.lit(hist is not None) & (pl.col("date") < pl.lit(hist)))
        .then(pl.lit(f"before the history date ({uk_date(hist)})"))
        .when(~in_period)
        .then(pl.lit("outside every open period of this rule"))
        .otherwise(pl.lit(None, pl.String))
    )
    ev = (
        ev.sort("date", "file", "line")
        .with_columns(reason=reason)
        .with_columns(
            reason=pl.when(
                pl.col("reason").is_null()
                & (pl.int_range(pl.len()).over("date", pl.col("reason").is_null()) > 0)
            )
            .then(pl.lit("another counting event the same day (counts once)"))
            .otherwise("reason")
        )
        .with_columns(counted=pl.col("reason").is_null())
    )
    return [
        {
            "file": r["file"],
            "line": r["line"],
            "date": r["date"].isoformat(),
            "kind": r["kind"],
            "counted": r["counted"],
            "why_not": r["reason"],
        }
        for r in ev.to_dicts()
    ]


def _cycles(clock: ClockResult, code: int, labels: pl.DataFrame) -> list[dict[str, Any]]:
    cyc = clock.cycles.filter(pl.col("subject") == code).sort("anchor")
    steps = clock.changes if clock.changes is not None else None
    start_labels = labels.rename({"rank": "rank_at_anchor", "requirement": "requirement_at_anchor"})
    cyc = cyc.join(start_labels, left_on="rank", right_on="rank_at_anchor", how="left").join(
        labels.rename({"rank": "due_rank", "requirement": "due_requirement"}),
        on="due_rank",
        how="left",
    )
    out = []
    kinds = {0: "counting event", 1: "restart (new supervisor)", 2: "start of the open period"}
    for c in cyc.to_dicts():
        lines = [
            f"{kinds.get(c['anchor_type'], 'anchor')} on {uk_date(c['anchor'])} under "
            f"'{c['requirement_at_anchor']}'"
        ]
        if steps is not None:
            for s in (
                steps.filter(pl.col("cycle") == c["cycle"])
                .sort("change")
                .join(labels.rename({"rank": "new_rank"}), on="new_rank", how="left")
                .to_dicts()
            ):
                if s["applied"]:
                    lines.append(
                        f"requirement changed on {uk_date(s['change'])} to '{s['requirement']}': "
                        f"due {uk_date(s['due_before'])} became {uk_date(s['due_after'])} "
                        "(max(a + new, min(D, c + new)))"
                    )
                else:
                    lines.append(
                        f"requirement changed on {uk_date(s['change'])} to '{s['requirement']}': "
                        f"not applied, the due date {uk_date(s['due_before'])} had already passed"
                    )
        if c.get("absence_moved"):
            lines.append("due date moved past an absence (to its end plus the grace)")
        nxt = c["next_anchor"]
        if nxt is not None and c["next_is_event"]:
            verdict = (
                "on time" if nxt <= c["due_date"] else f"late by {(nxt - c['due_date']).days} days"
            )
            lines.append(f"next counting event {uk_date(nxt)}: {verdict}")
        elif nxt is not None:
            lines.append(f"restarted on {uk_date(nxt)}")
        elif c["open_at_as_of"]:
            lines.append("no counting event since; still open at the audit date")
        else:
            lines.append(f"period closed {uk_date(c['period_end'])}")
        out.append(
            {
                "anchor": c["anchor"].isoformat(),
                "due_date": c["due_date"].isoformat(),
                "limit_date": c["limit_date"].isoformat(),
                "requirement": c["due_requirement"],
                "next_event": nxt.isoformat() if nxt else None,
                "steps": lines,
            }
        )
    return out
