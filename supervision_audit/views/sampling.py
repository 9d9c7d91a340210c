"""Choosing supervision files for a service manager to audit, read from the same engine run as
`audit`, with an audit checklist pre-filled from the data.

Two kinds of file:

* staff files: `per_supervisor` workers from each supervisor's team (workers active at
  as_of; the supervisor is workers.supervisor_id);
* case files: `children_per_worker` children (and foster carers) from each worker's
  caseload (an episode open at as_of; the allocated worker is episodes.worker_id).

Strategies: `random` gives every file the same chance; `risk` weights each file by
1 + 3 x outstanding findings + 1 x findings in the 12 months to as_of + 2 x an open
HIGH_RISK flag, and samples without replacement with probability proportional to the weight
(Efraimidis–Spirakis: key = u^(1/w), the N largest keys per group). Every weight is at
least 1, so any file can be drawn.

Reproducible: the uniform draws come from numpy's default_rng(seed), one per candidate, over
the candidates sorted by (file, group, subject). Every candidate of both kinds gets its draw
before any exclusion, so the staff sample for a seed does not depend on whether case files
were sampled too, and excluding one recently audited file changes only its own group.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from polars._typing import PolarsDataType

from ..audit import AuditRun
from ..dates import Interval, add_months
from ..errors import InputError, UsageError
from ..rules.kinds.base import open_on
from ..vocab import subject_type_expr

STRATEGIES = ("random", "risk")
RISK_WEIGHTS = {"outstanding": 3, "recent": 1, "high_risk": 2}
"""Risk weight = 1 + sum(weight x count): the base 1 keeps every file drawable."""
SUPERVISION_KINDS = ("CASE_SUPERVISION", "GROUP_SUPERVISION")
"""case_events kinds that count as a child's supervision for 'last supervision'."""
JUDGEMENT_COLUMNS = (
    "Quality of recording",
    "Evidence of reflection",
    "Actions agreed",
    "Auditor",
    "Date audited",
)
FILE_LABELS = {"staff": "staff file", "case": "case file"}

# polars types cast() with an invariant-key Mapping, hence the ignores where these are cast.
CANDIDATE_SCHEMA: dict[str, PolarsDataType] = {
    "file": pl.String,
    "subject_type": pl.String,
    "subject_id": pl.String,
    "team": pl.String,
    "worker_id": pl.String,
    "supervisor_id": pl.String,
    "category": pl.String,
    "high_risk": pl.Boolean,
    "group": pl.String,
}

CHECKLIST_SCHEMA: dict[str, PolarsDataType] = {
    **{k: v for k, v in CANDIDATE_SCHEMA.items() if k != "group"},
    "weight": pl.Int64,
    "draw": pl.UInt32,
    "eligible_in_group": pl.UInt32,
    "last_supervision": pl.Date,
    "days_since_supervision": pl.Int64,
    "last_agreement": pl.Date,
    "last_observation": pl.Date,
    "last_file_audit": pl.Date,
    "late_records_12m": pl.Int64,
    "open_findings": pl.Int64,
    "findings_12m": pl.Int64,
    **dict.fromkeys(JUDGEMENT_COLUMNS, pl.String),
    "seed": pl.Int64,
}


@dataclass(frozen=True)
class SampleOptions:
    per_supervisor: int | None = None
    """Staff files per supervisor (None: no staff files)."""
    children_per_worker: int | None = None
    """Case files per allocated worker (None: no case files)."""
    strategy: str = "random"
    seed: int | None = None
    """None: a fresh random seed, reported in SampleResult.seed."""
    exclude_within: Interval | None = None
    """Skip files with a FILE_AUDIT event in this window up to as_of."""


@dataclass
class SampleResult:
    frame: pl.DataFrame
    """One row per selected file: CHECKLIST_SCHEMA."""
    seed: int
    strategy: str
    as_of: dt.date
    candidates: dict[str, int] = field(default_factory=dict)
    """Files eligible before the exclusion, by file type."""
    excluded: dict[str, int] = field(default_factory=dict)
    """Files skipped as audited within the window, by file type."""

    def about(self) -> dict[str, str]:
        return {
            "seed": str(self.seed),
            "strategy": self.strategy,
            "candidates": ", ".join(f"{k} {v}" for k, v in self.candidates.items()),
            "excluded as recently audited": ", ".join(f"{k} {v}" for k, v in self.excluded.items()),
        }


def new_seed() -> int:
    """A fresh seed small enough to read out and type back."""
    return secrets.randbelow(2**31)


def window_start(as_of: dt.date, window: Interval) -> dt.date:
    """The first day of the window that ends on as_of (as_of minus the interval)."""
    return window.sub(as_of)


# ---------------------------------------------------------------------------------------
# candidates


def staff_candidates(run: AuditRun) -> pl.DataFrame:
    """Workers active at as_of, grouped by their supervisor."""
    workers = run.context.tables.get("workers")
    if workers is None:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    return (
        workers.filter(open_on(day=run.result.as_of))
        .select(
            file=pl.lit("staff"),
            subject_type=pl.lit("worker"),
            subject_id=pl.col("worker_id"),
            team=pl.col("team"),
            worker_id=pl.col("worker_id"),
            supervisor_id=pl.col("supervisor_id"),
            category=pl.col("role"),
            high_risk=pl.lit(False),
            group=pl.col("supervisor_id"),
        )
        .unique("subject_id", keep="first", maintain_order=True)
        .cast(CANDIDATE_SCHEMA)  # type: ignore[arg-type]
    )


def case_candidates(run: AuditRun) -> pl.DataFrame:
    """Children and carers with an episode open at as_of, grouped by the allocated worker.

    With overlapping open episodes, the latest-starting one gives the worker, team and
    category; the HIGH_RISK flag counts if any open episode carries it.
    """
    episodes = run.context.tables.get("episodes")
    if episodes is None:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    current = (
        episodes.filter(open_on(day=run.result.as_of))
        .with_columns(
            high_risk=pl.col("flags")
            .list.contains("HIGH_RISK")
            .fill_null(False)
            .any()
            .over("person_id")
        )
        .sort("person_id", "start_date", "_row", descending=[False, True, True])
        .unique("person_id", keep="first", maintain_order=True)
    )
    workers = run.context.tables.get("workers")
    if workers is not None:
        sups = workers.select("worker_id", pl.col("supervisor_id").alias("worker_supervisor"))
        current = current.join(sups, on="worker_id", how="left")
    else:
        current = current.with_columns(worker_supervisor=pl.lit(None, pl.String))
    return current.select(
        file=pl.lit("case"),
        subject_type=subject_type_expr(),
        subject_id=pl.col("person_id"),
        team=pl.col("team"),
        worker_id=pl.col("worker_id"),
        supervisor_id=pl.col("worker_supervisor"),
        category=pl.col("category"),
        high_risk=pl.col("high_risk"),
        group=pl.col("worker_id"),
    ).cast(CANDIDATE_SCHEMA)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# per-file figures


def _finding_counts(run: AuditRun, since: dt.date) -> tuple[pl.DataFrame, set[str]]:
    """Per (file, subject_id): outstanding findings, findings in the window, late records;
    and the scopes where a timeliness rule was evaluated (elsewhere late records are blank)."""
    findings = run.result.findings
    timely = {
        o.scope
        for o in run.outcomes
        if not o.not_evaluated and run.ruleset.rule(o.rule_id).kind == "timeliness"
    }
    in_window = pl.col("span_end") >= pl.lit(since)
    counts = (
        findings.with_columns(
            file=pl.when(pl.col("scope") == "staff").then(pl.lit("staff")).otherwise(pl.lit("case"))
        )
        .group_by("file", "subject_id")
        .agg(
            open_findings=pl.col("outstanding").sum().cast(pl.Int64),
            findings_12m=in_window.sum().cast(pl.Int64),
            late_records_12m=((pl.col("kind") == "timeliness") & in_window).sum().cast(pl.Int64),
        )
    )
    return counts, timely


def _last_dates(run: AuditRun) -> pl.DataFrame:
    """Per (file, subject_id): the last supervision, agreement, observation and file audit on
    or before as_of."""
    t = run.context.tables
    as_of = pl.lit(run.result.as_of)
    parts: list[pl.DataFrame] = []
    if "case_events" in t:
        parts.append(
            t["case_events"]
            .filter(pl.col("date") <= as_of)
            .select(
                pl.lit("case").alias("file"),
                pl.col("person_id").alias("subject_id"),
                pl.when(pl.col("kind").is_in(list(SUPERVISION_KINDS)))
                .then(pl.lit("supervision"))
                .when(pl.col("kind") == "FILE_AUDIT")
                .then(pl.lit("file_audit"))
                .alias("what"),
                "date",
            )
        )
    if "worker_sessions" in t:
        parts.append(
            t["worker_sessions"]
            .filter((pl.col("date") <= as_of) & (pl.col("status") == "HELD"))
            .select(
                pl.lit("staff").alias("file"),
                pl.col("worker_id").alias("subject_id"),
                pl.lit("supervision").alias("what"),
                "date",
            )
        )
    if "worker_events" in t:
        parts.append(
            t["worker_events"]
            .filter(pl.col("date") <= as_of)
            .select(
                pl.lit("staff").alias("file"),
                pl.col("worker_id").alias("subject_id"),
                pl.col("kind")
                .replace_strict(
                    {
                        "AGREEMENT": "agreement",
                        "OBSERVATION": "observation",
                        "FILE_AUDIT": "file_audit",
                    },
                    default=None,
                    return_dtype=pl.String,
                )
                .alias("what"),
                "date",
            )
        )
    whats = ("supervision", "agreement", "observation", "file_audit")
    if not parts:
        return pl.DataFrame(
            schema={"file": pl.String, "subject_id": pl.String}
            | {f"last_{w}": pl.Date for w in whats}
        )
    events = pl.concat(parts, how="vertical_relaxed").filter(pl.col("what").is_not_null())
    return events.group_by("file", "subject_id").agg(
        pl.col("date").filter(pl.col("what") == w).max().alias(f"last_{w}") for w in whats
    )


# ---------------------------------------------------------------------------------------
# the draw


def draw_keys(candidates: pl.DataFrame, weights: pl.Expr, seed: int) -> pl.DataFrame:
    """Sort the candidates, give each a uniform draw from default_rng(seed) and its
    Efraimidis–Spirakis key ln(u) / w (the order of u^(1/w), without underflow)."""
    ordered = candidates.sort("file", "group", "subject_id", nulls_last=True)
    u = np.random.default_rng(seed).random(ordered.height)
    return (
        ordered.with_columns(weight=weights)
        .with_columns(
            u=pl.Series("u", u, dtype=pl.Float64),
        )
        .with_columns(key=pl.col("u").log() / pl.col("weight"))
    )


MAX_SEED = 2**32 - 1
MAX_PER = 1_000_000


def check_options(opts: SampleOptions) -> None:
    """Raise UsageError for options no sample can be drawn with (before any data is read)."""
    if opts.strategy not in STRATEGIES:
        raise UsageError(
            f"--strategy must be one of: {', '.join(STRATEGIES)} (got '{opts.strategy}')"
        )
    if opts.per_supervisor is None and opts.children_per_worker is None:
        raise UsageError("give --per-supervisor N, --children-per-worker N, or both")
    for option, n in (
        ("--per-supervisor", opts.per_supervisor),
        ("--children-per-worker", opts.children_per_worker),
    ):
        if n is not None and n < 1:
            raise UsageError(f"{option} must be at least 1 (got {n})")
        if n is not None and n > MAX_PER:
            raise UsageError(f"{option} must be at most {MAX_PER:,} (got {str(n)[:20]})")
    if opts.seed is not None and not 0 <= opts.seed <= MAX_SEED:
        raise UsageError(f"--seed must be from 0 to {MAX_SEED} (got {str(opts.seed)[:24]})")


def sample_files(run: AuditRun, opts: SampleOptions) -> SampleResult:
    """Select files to audit and pre-fill their checklist (see the module docstring)."""
    check_options(opts)
    wanted = {"staff": opts.per_supervisor, "case": opts.children_per_worker}
    tables = run.context.tables
    if opts.per_supervisor is not None and "workers" not in tables:
        raise InputError("--per-supervisor needs workers.csv (staff files)")
    if opts.children_per_worker is not None and "episodes" not in tables:
        raise InputError("--children-per-worker needs episodes.csv (case files)")
    seed = new_seed() if opts.seed is None else opts.seed
    as_of = run.result.as_of
    year_ago = add_months(as_of, -12)

    candidates = pl.concat([staff_candidates(run), case_candidates(run)], how="vertical")
    counts, timely = _finding_counts(run, year_ago)
    last = _last_dates(run)
    scored = (
        candidates.join(counts, on=["file", "subject_id"], how="left")
        .join(last, on=["file", "subject_id"], how="left")
        .with_columns(
            pl.col("open_findings", "findings_12m").fill_null(0),
            late_records_12m=pl.when(
                pl.col("file").replace_strict(
                    {"staff": "staff" in timely, "case": "children" in timely},
                    return_dtype=pl.Boolean,
                )
            ).then(pl.col("late_records_12m").fill_null(0)),
        )
    )
    risk = (
        1
        + RISK_WEIGHTS["outstanding"] * pl.col("open_findings")
        + RISK_WEIGHTS["recent"] * pl.col("findings_12m")
        + RISK_WEIGHTS["high_risk"] * pl.col("high_risk").cast(pl.Int64)
    )
    weights = (risk if opts.strategy == "risk" else pl.lit(1)).cast(pl.Int64)
    keyed = draw_keys(scored, weights, seed).filter(
        pl.col("file").is_in([k for k, n in wanted.items() if n is not None])
    )

    if opts.exclude_within is not None:
        since = window_start(as_of, opts.exclude_within)
        audited = pl.col("last_file_audit").is_not_null() & (
            pl.col("last_file_audit") >= pl.lit(since)
        )
    else:
        audited = pl.lit(False)
    keyed = keyed.with_columns(audited=audited)
    eligible = keyed.filter(~pl.col("audited"))
    per_group = pl.col("file").replace_strict(
        {k: n or 0 for k, n in wanted.items()}, return_dtype=pl.UInt32
    )
    picked = (
        eligible.with_columns(
            draw=pl.col("key").rank("ordinal", descending=True).over("file", "group"),
            eligible_in_group=pl.len().over("file", "group"),
        )
        .filter(pl.col("draw") <= per_group)
        .with_columns(
            days_since_supervision=(pl.lit(as_of) - pl.col("last_supervision")).dt.total_days(),
            seed=pl.lit(seed, pl.Int64),
            last_agreement=pl.when(pl.col("file") == "staff").then("last_agreement"),
            last_observation=pl.when(pl.col("file") == "staff").then("last_observation"),
            **{c: pl.lit(None, pl.String) for c in JUDGEMENT_COLUMNS},
        )
        .sort(
            pl.col("file").replace_strict({"staff": 0, "case": 1}, return_dtype=pl.Int8),
            "supervisor_id",
            "group",
            "draw",
            nulls_last=True,
        )
        .with_columns(file=pl.col("file").replace_strict(FILE_LABELS, return_dtype=pl.String))
        .select(list(CHECKLIST_SCHEMA))
        .cast(CHECKLIST_SCHEMA)  # type: ignore[arg-type]
    )
    by_file = keyed.group_by("file").agg(n=pl.len(), audited=pl.col("audited").sum())
    n_of = dict(by_file.select("file", "n").rows())
    audited_of = dict(by_file.select("file", "audited").rows())
    return SampleResult(
        frame=picked,
        seed=seed,
        strategy=opts.strategy,
        as_of=as_of,
        candidates={
            FILE_LABELS[k] + "s": int(n_of.get(k, 0)) for k, n in wanted.items() if n is not None
        },
        excluded={
            FILE_LABELS[k] + "s": int(audited_of.get(k, 0))
            for k, n in wanted.items()
            if n is not None
        },
    )
