"""load -> requirements in force -> engine -> findings: one audit, as a library call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ._version import __version__
from .context import EvalContext, RuleOutcome, empty_covered
from .dates import add_months
from .errors import InputError, UsageError
from .findings import (
    FINDING_EXTRA_SCHEMA,
    FINDING_SCHEMA,
    AuditResult,
    NotEvaluated,
    empty_findings,
    merge_sorted,
)
from .guards import (
    as_of_caveats,
    check_as_of,
    check_filters,
    not_covered,
    not_covered_summary,
    nothing_checked,
)
from .rules.loading import load_ruleset
from .rules.model import Ruleset
from .rules.registry import RULE_KINDS
from .rules.verify import problems as ruleset_problems
from .sources import LoadedData, load_data
from .sources.schema import CHILD_TABLES, STAFF_TABLES
from .vocab import subject_type_expr

SCOPES = ("children", "staff", "all")


@dataclass
class AuditOptions:
    data: Path
    ruleset: str
    as_of: dt.date
    from_date: dt.date | None = None
    history_from: dt.date | None = None
    scope: str = "all"
    team: str | None = None
    worker: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    source: str = "auto"
    """canonical, auto, an export profile name (mosaic, eclipse, ssd, hr) or a .yaml path."""
    allow_unverified: bool = False
    """Run a ruleset that fails verification (starter text, quotes not in its policy file)."""
    rag: tuple[float, float] = (90.0, 75.0)
    """RAG cut-offs: green at or above the first % with no breach, amber at or above the second."""
    partition_subjects: int = 250_000
    """Subject-by-subject rules run over ranges of at most this many subjects (context.py)."""


def parse_rag(text: str) -> tuple[float, float]:
    """'GREEN,AMBER' percentages, e.g. '90,75' (a % sign allowed): green at or above the
    first, amber at or above the second, red below. The one grammar of `audit --rag` and a
    batch config's `rag:`; a ValueError quotes the text and says what is wrong."""
    parts = [p.strip().rstrip("%") for p in str(text).split(",")]
    try:
        green, amber = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"'{text}' must be two percentages GREEN,AMBER (e.g. 90,75)") from None
    if not (0 <= amber <= green <= 100):
        raise ValueError(f"'{text}': need 0 <= AMBER <= GREEN <= 100 (e.g. 90,75: green from 90%)")
    return (green, amber)


@dataclass
class AuditRun:
    """The result plus the intermediate objects other commands (explain, due) reuse."""

    result: AuditResult
    ruleset: Ruleset
    data: LoadedData
    context: EvalContext
    outcomes: list[RuleOutcome]
    privacy_key: bytes | None = None
    """Set when outputs are pseudonymised (the key never leaves the process)."""


def scopes_of(scope: str) -> tuple[str, ...]:
    if scope not in SCOPES:
        raise UsageError(f"--scope must be one of: {', '.join(SCOPES)} (got '{scope}')")
    return ("children", "staff") if scope == "all" else (scope,)


def prepare(opts: AuditOptions) -> tuple[Ruleset, LoadedData, EvalContext, tuple[str, ...]]:
    """Load the ruleset and the data, and settle the history dates."""
    scopes = scopes_of(opts.scope)
    if opts.from_date and opts.from_date > opts.as_of:
        raise UsageError(f"--from {opts.from_date} is after --as-of {opts.as_of}")
    if opts.history_from and opts.history_from > opts.as_of:
        raise UsageError(f"--history-from {opts.history_from} is after --as-of {opts.as_of}")
    ruleset = load_ruleset(opts.ruleset, opts.params)
    problems = ruleset_problems(ruleset)
    if problems and not opts.allow_unverified:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(
            f"ruleset {ruleset.name} failed validation: {problems[0]}{more}. Fix it (see "
            "`supervision-audit rulesets validate`), or pass --allow-unverified to run it "
            "anyway: every output then says the ruleset is unverified"
        )
    wanted: list[str] = []
    required: list[str] = []
    if "children" in scopes:
        wanted += CHILD_TABLES
        if "staff" not in scopes:
            wanted.append("workers")  # optional: who recorded a case event (LAM-C10's roles)
        if opts.scope == "children":
            required += CHILD_TABLES
    if "staff" in scopes:
        wanted += STAFF_TABLES
    # A date more than a year after the audit date (or after today, when auditing a past
    # date with today's export) is a typed year, not a plan: a data issue.
    until = add_months(max(opts.as_of, dt.date.today()), 12)
    data = load_data(
        opts.data, opts.source, wanted, required, ruleset.value_maps(), dates_until=until
    )
    if not data.tables:
        names = ", ".join(f"{t}.csv" for t in wanted)
        raise InputError(f"no input tables found (looked for {names})", file=str(opts.data))
    tables = {name: t.frame for name, t in data.tables.items()}
    ctx = EvalContext(
        as_of=opts.as_of,
        from_date=opts.from_date,
        tables=tables,
        columns_present={name: t.columns_present for name, t in data.tables.items()},
        history_from={},
        history_option=opts.history_from,
        params=dict(ruleset.param_values),
        partition_subjects=opts.partition_subjects,
    )
    ctx.cache["ruleset_problems"] = problems
    too_late = {n: t.earliest_too_late for n, t in data.tables.items() if t.earliest_too_late}
    check_as_of(ctx.tables, ruleset, scopes, opts.as_of, too_late)
    check_filters(ctx.tables, opts.team, opts.worker)
    ctx.settle_history()
    return ruleset, data, ctx, scopes


def run_audit(opts: AuditOptions, step: Callable[[str], None] | None = None) -> AuditRun:
    """Run one audit end to end. Raises AuditError subclasses for user or input errors.
    `step`, if given, is told each stage as it starts (the CLI's progress line)."""
    say = step or (lambda _text: None)
    say("Reading the exports")
    ruleset, data, ctx, scopes = prepare(opts)
    outcomes: list[RuleOutcome] = []
    not_evaluated: list[NotEvaluated] = []
    total = sum(len(ruleset.rules_for(scope)) for scope in scopes)
    for scope in scopes:
        rules = ruleset.rules_for(scope)
        if not rules:
            not_evaluated.append(
                NotEvaluated("*", scope, f"ruleset '{ruleset.name}' has no {scope} rules")
            )
        for rule in rules:
            say(f"Checking rule {rule.id} ({len(outcomes) + 1} of {total})")
            outcome = RULE_KINDS[rule.kind].evaluate(ctx, rule)
            outcomes.append(outcome)
            not_evaluated.extend(outcome.not_evaluated)
    say("Assembling the findings")
    result = assemble(opts, ruleset, data, ctx, scopes, outcomes, not_evaluated)
    return AuditRun(result, ruleset, data, ctx, outcomes)


def apply_filters(frame: pl.DataFrame, team: str | None, worker: str | None) -> pl.DataFrame:
    """Only one team's rows (ignoring case) and one worker's: the --team and --worker filters,
    the same for the audit's findings and coverage and for the manager views."""
    if team:
        frame = frame.filter(pl.col("team").str.to_lowercase() == team.lower())
    if worker:
        frame = frame.filter(pl.col("worker_id") == worker)
    return frame


def assemble(
    opts: AuditOptions,
    ruleset: Ruleset,
    data: LoadedData,
    ctx: EvalContext,
    scopes: tuple[str, ...],
    outcomes: list[RuleOutcome],
    not_evaluated: list[NotEvaluated],
) -> AuditResult:
    schema = {**FINDING_SCHEMA, **FINDING_EXTRA_SCHEMA}
    frames = []
    for o in outcomes:
        if o.findings.height:
            frame = apply_filters(o.findings.select(list(schema)), opts.team, opts.worker)
            if opts.from_date:
                frame = frame.filter(pl.col("span_end") >= pl.lit(opts.from_date))
            frames.append(frame)
        # The result holds the findings once, in order: each rule's frame is dropped here
        # (its findings are result.findings' rows with that rule).
        o.findings = empty_findings()
    findings = merge_sorted(frames)
    covered_frames = [o.covered for o in outcomes if o.covered.height]
    covered = pl.concat(covered_frames, how="vertical") if covered_frames else empty_covered()
    uncovered = apply_filters(
        not_covered(ctx.tables, opts.as_of, scopes, covered, _unevaluated(not_evaluated)),
        opts.team,
        opts.worker,
    )
    covered = apply_filters(covered, opts.team, opts.worker)
    caveats = [{"rule": o.rule_id, "caveat": c} for o in outcomes for c in o.caveats]
    caveats += source_caveats(data, not_evaluated)
    summary = build_summary(
        opts,
        ruleset,
        data,
        ctx,
        scopes,
        findings,
        covered,
        [o.rule_id for o in outcomes if not o.not_evaluated],
        caveats,
    )
    summary.update(_guarantees(opts, ruleset, ctx, scopes, outcomes, covered, findings, uncovered))
    return AuditResult(
        tool_version=__version__,
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
        authority=ruleset.authority,
        as_of=opts.as_of,
        from_date=opts.from_date,
        history_from={
            s: {"date": ctx.history_from.get(s), "source": ctx.cache["history_source"].get(s)}
            for s in scopes
            if ruleset.rules_for(s)
        },
        scope=opts.scope,
        parameters=ruleset.parameter_strings(),
        findings=findings,
        data_issues=data.issues,
        not_evaluated=not_evaluated,
        summary=summary,
        rules_evaluated=[o.rule_id for o in outcomes if not o.not_evaluated],
        inputs=[
            {
                "table": t.name,
                "file": t.file,
                "size_bytes": t.size_bytes,
                "rows": t.rows_read,
                "sha256": t.sha256,
            }
            for t in data.tables.values()
        ],
        source_note=data.source,
        ruleset_path=str(ruleset.path),
        ruleset_sha256=ruleset.sha256,
        covered=covered,
    )


def open_caseload(
    episodes: pl.DataFrame | None, as_of: dt.date, team: str | None, worker: str | None
) -> int:
    """Children (not carers) with an episode open at as_of, read straight from the episodes
    (within the team and worker filters): reported even when no rule could run."""
    if episodes is None:
        return 0
    on = pl.lit(as_of)
    open_ = episodes.filter(
        (pl.col("start_date") <= on)
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= on))
        & (subject_type_expr() == "child")
    )
    return apply_filters(open_, team, worker)["person_id"].n_unique()


def source_caveats(data: LoadedData, not_evaluated: list[NotEvaluated]) -> list[dict[str, str]]:
    """What the export profile could not supply: each table no file feeds (with the rules
    that therefore did not run and the export that would supply it), and each file whose
    rows were excluded because a value (a note type, a category) is not mapped."""
    mapping = data.mapping
    if mapping is None:
        return []
    out = []
    for table, text in mapping.missing_tables.items():
        rules = sorted({n.rule for n in not_evaluated if f"no {table} " in n.reason})
        cannot = f"; rules not evaluated: {', '.join(rules)}" if rules else ""
        out.append(
            {"rule": ", ".join(rules) or "*", "caveat": f"no file feeds {table}: {text}{cannot}"}
        )
    for f in mapping.files:
        unmapped = {r: n for r, n in f.excluded.items() if "not mapped" in r}
        if not unmapped:
            continue
        values = [
            f"'{v['value']}'"
            + (f" ({v['description']})" if v.get("description") else "")
            + f": {v['rows']:,} row{'s' if v['rows'] != 1 else ''}"
            for v in f.values
            if v["mapped_to"] is None
        ]
        n = sum(unmapped.values())
        listed = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
        if f.feeds == "case_events":
            # a rule that found none of its events names the types left unmapped
            for miss in not_evaluated:
                if "note types were mapped" in miss.reason:
                    miss.reason += f"; not mapped in {f.file}: {listed}"
        out.append(
            {
                "rule": "*",
                "caveat": f"{n:,} row{'s' if n != 1 else ''} of {f.file} excluded because a "
                f"value is not mapped ({listed}): "
                "map them in the profile if they count",
            }
        )
    return out


def _unevaluated(not_evaluated: list[NotEvaluated]) -> set[str]:
    """Scopes where a rule of the ruleset could not be evaluated (not a scope it has none in)."""
    return {n.scope for n in not_evaluated if n.rule != "*"}


def _guarantees(
    opts: AuditOptions,
    ruleset: Ruleset,
    ctx: EvalContext,
    scopes: tuple[str, ...],
    outcomes: list[RuleOutcome],
    covered: pl.DataFrame,
    findings: pl.DataFrame,
    uncovered: pl.DataFrame,
) -> dict[str, Any]:
    """What the report must say before any figure: nothing checked, an unverified ruleset,
    an audit date past the data, subjects no rule covers (summary["warnings"], in order)."""
    evaluated = [o.rule_id for o in outcomes if not o.not_evaluated]
    in_scope = sum(len(ruleset.rules_for(s)) for s in scopes)
    nothing = nothing_checked(evaluated, in_scope, covered, findings)
    problems = ctx.cache.get("ruleset_problems") or []
    nc = not_covered_summary(uncovered)
    warnings = [nothing] if nothing else []
    if problems:
        warnings.append(
            f"UNVERIFIED ruleset {ruleset.name} {ruleset.version}, run with --allow-unverified: "
            f"{'; '.join(problems[:3])}{' ...' if len(problems) > 3 else ''}"
        )
    warnings += as_of_caveats(ctx.tables, ruleset, scopes, opts.as_of)
    warnings += nc["messages"]
    return {
        "warnings": warnings,
        "nothing_checked": nothing,
        "ruleset_verified": not problems,
        "ruleset_problems": problems,
        "not_covered": nc,
    }


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def headline(covered: pl.DataFrame, subject_type: str | None) -> dict[str, Any]:
    """Open subjects (of one subject type, or all in `covered`), how many have an outstanding
    breach, and the share that do not."""
    if subject_type is not None:
        covered = covered.filter(pl.col("subject_type") == subject_type)
    subjects = covered.group_by("subject_id").agg(pl.col("outstanding").any())
    n = subjects.height
    breached = int(subjects["outstanding"].sum()) if n else 0
    return {
        "open_at_as_of": n,
        "with_outstanding_breach": breached,
        "compliant": n - breached,
        "compliance_pct": _pct(n - breached, n),
    }


def breakdown(covered: pl.DataFrame, key: str, scope: str) -> list[dict[str, Any]]:
    """The headline per value of `key` (team, category, supervisor) within a scope."""
    per_subject = (
        covered.filter(pl.col("scope") == scope)
        .group_by("subject_id")
        .agg(pl.col(key).drop_nulls().first(), pl.col("outstanding").any())
    )
    table = (
        per_subject.with_columns(pl.col(key).fill_null("(none)"))
        .group_by(key)
        .agg(open=pl.len(), breached=pl.col("outstanding").sum())
        .with_columns(compliant=pl.col("open") - pl.col("breached"))
        .sort(key)
    )
    return [
        {
            key: r[key],
            "open": r["open"],
            "compliant": r["compliant"],
            "compliance_pct": _pct(r["compliant"], r["open"]),
        }
        for r in table.to_dicts()
    ]


def _counts(findings: pl.DataFrame) -> dict[str, int]:
    return {
        "total": findings.height,
        "red": int((findings["severity"] == "red").sum()),
        "amber": int((findings["severity"] == "amber").sum()),
        "outstanding": int(findings["outstanding"].sum()),
        "met_late": int(findings["met_date"].is_not_null().sum()),
        "closed_unmet": int((findings["met_date"].is_null() & ~findings["outstanding"]).sum()),
    }


def build_summary(
    opts: AuditOptions,
    ruleset: Ruleset,
    data: LoadedData,
    ctx: EvalContext,
    scopes: tuple[str, ...],
    findings: pl.DataFrame,
    covered: pl.DataFrame,
    evaluated: list[str],
    caveats: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    by_rule = (
        findings.group_by("rule")
        .agg(
            findings=pl.len(),
            red=(pl.col("severity") == "red").sum(),
            amber=(pl.col("severity") == "amber").sum(),
            outstanding=pl.col("outstanding").sum(),
        )
        .sort("rule")
    )
    titles = {r.id for r in ruleset.rules}
    summary: dict[str, Any] = {
        "scope": opts.scope,
        "authority": ruleset.authority,
        "history_from": {
            s: {
                "date": day.isoformat() if (day := ctx.history_from.get(s)) else None,
                "source": ctx.cache["history_source"].get(s),
            }
            for s in scopes
            if ruleset.rules_for(s)
        },
        "parameters": ruleset.parameter_strings(),
        "filters": {"team": opts.team, "worker": opts.worker},
        "findings": _counts(findings),
        "by_rule": [
            {**r, "title": ruleset.rule(r["rule"]).title if r["rule"] in titles else None}
            for r in by_rule.to_dicts()
        ],
        "rag": {"green": float(opts.rag[0]), "amber": float(opts.rag[1])},
        "source": data.source,
        "tables": data.reconciliation(),
        "data_issues": data.issues.height,
        "rules_evaluated": evaluated,
        "caveats": caveats or [],
    }
    if "children" in scopes and ruleset.rules_for("children"):
        child_findings = findings.filter(pl.col("scope") == "children")
        summary["children"] = {
            **headline(covered, "child"),
            "open_caseload": open_caseload(
                ctx.tables.get("episodes"), opts.as_of, opts.team, opts.worker
            ),
            "findings": _counts(child_findings.filter(pl.col("subject_type") == "child")),
        }
        summary["carers"] = {
            **headline(covered, "carer"),
            "findings": _counts(child_findings.filter(pl.col("subject_type") == "carer")),
        }
        summary["by_category"] = breakdown(covered, "category", "children")
        summary["by_team"] = breakdown(covered, "team", "children")
    if "staff" in scopes and ruleset.rules_for("staff"):
        staff_findings = findings.filter(pl.col("scope") == "staff")
        staff_cov = covered.filter(pl.col("scope") == "staff")
        subjects = staff_cov.group_by("subject_id").agg(pl.col("outstanding").any())
        n = subjects.height
        breached = int(subjects["outstanding"].sum()) if n else 0
        summary["staff"] = {
            "active_at_as_of": n,
            "with_outstanding_breach": breached,
            "compliant": n - breached,
            "compliance_pct": _pct(n - breached, n),
            "findings": _counts(staff_findings),
        }
        summary["staff_by_team"] = breakdown(covered, "team", "staff")
        summary["staff_by_supervisor"] = breakdown(covered, "supervisor_id", "staff")
        board = supervisor_scorecard(covered, ctx.tables.get("workers"))
        summary["supervisor_scorecard"] = board.to_dicts() if board.height else []
    return summary


def supervisor_scorecard(
    covered: pl.DataFrame | None, workers: pl.DataFrame | None
) -> pl.DataFrame:
    """Per supervisor: supervisees active at as_of and how many have no outstanding breach of
    their own supervision; and the children on those supervisees' caseloads, likewise."""
    if covered is None or workers is None or covered.height == 0:
        return pl.DataFrame()
    staff = (
        covered.filter(pl.col("scope") == "staff")
        .group_by("subject_id")
        .agg(pl.col("supervisor_id").first(), pl.col("outstanding").any())
    )
    own = staff.group_by("supervisor_id").agg(
        supervisees=pl.len(), supervisees_compliant=(~pl.col("outstanding")).sum()
    )
    cases = (
        covered.filter(pl.col("scope") == "children")
        .group_by("subject_id")
        .agg(pl.col("worker_id").first(), pl.col("outstanding").any())
        .join(workers.select("worker_id", "supervisor_id"), on="worker_id", how="inner")
    )
    case = cases.group_by("supervisor_id").agg(
        cases=pl.len(), cases_compliant=(~pl.col("outstanding")).sum()
    )
    board = own.join(case, on="supervisor_id", how="full", coalesce=True).fill_null(0)
    return (
        board.filter(pl.col("supervisor_id").is_not_null())
        .with_columns(
            supervisees_compliance_pct=pl.when(pl.col("supervisees") > 0).then(
                (100 * pl.col("supervisees_compliant") / pl.col("supervisees")).round(1)
            ),
            cases_compliance_pct=pl.when(pl.col("cases") > 0).then(
                (100 * pl.col("cases_compliant") / pl.col("cases")).round(1)
            ),
        )
        .sort("supervisor_id")
    )
