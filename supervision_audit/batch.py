"""Scheduled batch audits: one YAML config, many audits, thresholds, trends and an exit code.

    audits:
      - name: lambeth-children
        data: ../sample_data            # relative to the config file
        source: auto                    # canonical, auto, mosaic, eclipse, ssd, hr or a .yaml
        ruleset: lambeth                # a built-in name or a .yaml (relative to the config)
        params: {cat_review_within: 10d}
        scope: all
        as_of: last-month-end           # a date, today, last-month-end or last-week-end
                                        # (the last Sunday strictly before today)
        outputs: [out/{name}-{as_of}.xlsx, out/{name}-{as_of}.json]
        thresholds: ["children_compliance >= 0.6", "red_findings <= 2000"]
        pseudonymise_key_file: secrets/audit.key   # optional: IDs as keyed tokens
        rag: "85,70"                    # optional: RAG cut-offs (as audit --rag); a
                                        # top-level `rag:` applies to every audit

Exit codes: 0 every audit ran and passed; 1 a threshold failed; 2 an audit could not run
(2 outranks 1). One failing audit never stops the others. Audits run in parallel processes
(--jobs), and the summary lists them in the config's order, so the result never depends on
which finished first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .dates import parse_as_of
from .errors import AuditError, UsageError
from .yamlio import load_yaml_file

SUMMARY_TOOL = "supervision-audit batch"
"""The summary's first key: how a history folder's summaries are told from other JSON."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
THRESHOLD = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
METRICS = {
    "children_compliance": "share of children open at as_of with no outstanding breach (0-1)",
    "carers_compliance": "share of foster carers with no outstanding breach (0-1)",
    "staff_compliance": "share of active staff with no outstanding breach (0-1)",
    "findings": "all findings",
    "red_findings": "findings past the limit",
    "amber_findings": "findings past the target, within the limit",
    "outstanding_findings": "findings still open at as_of",
    "data_issues": "rows reported as data issues",
    "excluded_rows": "rows an export profile left out (a filter, an unmapped value, a dropped "
    "person), over every table",
    "rules_not_evaluated": "rules that could not be evaluated",
}
AUDIT_KEYS = {
    "name",
    "data",
    "source",
    "ruleset",
    "params",
    "scope",
    "as_of",
    "history_from",
    "outputs",
    "thresholds",
    "pseudonymise_key_file",
    "rag",
}


STATUSES = ("ok", "threshold_failed", "error")


@dataclass(frozen=True)
class Threshold:
    text: str
    metric: str
    op: str
    value: float

    def passes(self, actual: float | None) -> bool:
        """A figure that could not be computed (None) never passes."""
        if actual is None:
            return False
        return {
            ">=": actual >= self.value,
            "<=": actual <= self.value,
            ">": actual > self.value,
            "<": actual < self.value,
            "==": actual == self.value,
        }[self.op]


def parse_threshold(text: str) -> Threshold:
    """'metric op number', nothing else (no expressions are evaluated)."""
    m = THRESHOLD.match(str(text))
    if not m:
        raise ValueError(f"threshold '{text}' is not 'metric op number' (e.g. red_findings <= 20)")
    metric, op, number = m.groups()
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}' (expected one of: {', '.join(METRICS)})")
    value = float(number)
    if metric.endswith("_compliance") and not 0 <= value <= 1:
        raise ValueError(f"threshold '{text}': compliance is a share from 0 to 1 (0.85 means 85%)")
    return Threshold(str(text).strip(), metric, op, value)


def check_source(value: Any, base: Path) -> str:
    """One audit's `source:`: canonical, auto, a shipped export profile, or a profile .yaml
    (relative to the config), checked before anything runs. New kinds of source go here."""
    from .sources.profiles import load_profile, profile_names

    text = str(value).strip()
    if text.lower().endswith((".yaml", ".yml")):
        path = Path(text) if Path(text).is_absolute() else base / text
        if not path.is_file():
            raise ValueError(f"source profile not found: {path}")
        try:
            load_profile(str(path))
        except AuditError as exc:
            raise ValueError(f"source profile is invalid: {exc}") from None
        return str(path)
    allowed = ["canonical", "auto", *profile_names()]
    if text not in allowed:
        raise ValueError(
            f"source '{text}' is not one of: {', '.join(allowed)} (or a profile .yaml)"
        )
    return text


def check_ruleset(value: Any, params: dict[str, str], base: Path) -> str:
    """A built-in ruleset name, or a .yaml relative to the config; loaded with the audit's
    params now, so an unknown ruleset or a missing parameter stops the batch before it runs."""
    from .rules.loading import load_ruleset

    text = str(value).strip()
    if text.lower().endswith((".yaml", ".yml")) or "/" in text:
        path = Path(text)
        text = str(path if path.is_absolute() else base / path)
    try:
        load_ruleset(text, params)
    except AuditError as exc:
        raise ValueError(f"ruleset: {exc}") from None
    return text


@dataclass
class AuditJob:
    name: str
    data: str
    ruleset: str
    as_of: dt.date
    source: str = "auto"
    params: dict[str, str] = field(default_factory=dict)
    scope: str = "all"
    history_from: dt.date | None = None
    outputs: list[str] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    key_file: str | None = None
    """Pseudonymise every output with this key (the same key keeps trends matching)."""
    rag: tuple[float, float] = (90.0, 75.0)
    """RAG cut-offs (green, amber) in % with no breach: the audit's own `rag:`, else the
    config's top-level one, else 90,75."""
    compare: bool = False
    """A previous summary was given (--previous): the audit's trend is computed, and its
    workbooks get a Trend sheet, before any of its outputs is written."""
    previous: dict[str, Any] | None = None
    """This audit's entry in the previous summary (matched by name), if it has one."""


def _strings(value: Any) -> list[str] | None:
    """A string, or a list of strings, as a list; None for any other shape."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


class ConfigErrors(UsageError):
    """Every problem found in a batch config, each a UsageError naming the file, the line,
    the audit and the field; str() gives one line per problem."""

    def __init__(self, problems: list[UsageError]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _rag(value: Any) -> tuple[float, float]:
    """A config's `rag:` as written ('90,75', or a list [90, 75]): audit --rag's grammar."""
    from .audit import parse_rag

    parts = _strings(value)
    if parts is None or len(parts) not in (1, 2):
        raise ValueError("must be GREEN,AMBER percentages, e.g. '90,75'")
    return parse_rag(",".join(parts))


def load_config(path: Path, today: dt.date) -> list[AuditJob]:
    """Read and validate the whole config before any audit runs. Every problem is found in
    one pass and raised together (ConfigErrors: one line each, naming the file, the line,
    the audit and the field), so one run lists every mistake. Relative paths are relative
    to the config file.

    Every scalar is read as the string written (`name: no` is "no", `010` stays "010"; no
    YAML 1.1 booleans, octals or dates) and then checked as its field's type. No output may
    resolve (symlinks followed) to an input of any audit, into an input folder, or to the
    same file as another output."""
    try:
        raw = load_yaml_file(path, plain=True)
    except AuditError as exc:
        raise UsageError(f"batch config: {exc.message}", file=str(path), line=exc.line) from None
    problems: list[UsageError] = []

    def top(message: str, key: str | None = None) -> None:
        line = raw.line_of(key) if key is not None and hasattr(raw, "line_of") else None
        problems.append(UsageError(f"batch config: {message}", file=str(path), line=line))

    if not isinstance(raw, dict) or not isinstance(raw.get("audits"), list) or not raw["audits"]:
        raise UsageError("batch config: expected a non-empty 'audits' list", file=str(path))
    for key in sorted(str(k) for k in raw if k not in TOP_KEYS):
        top(f"unknown top-level field '{key}' (allowed: {', '.join(sorted(TOP_KEYS))})", key)
    default_rag = DEFAULT_RAG
    if raw.get("rag") is not None:
        try:
            default_rag = _rag(raw["rag"])
        except ValueError as exc:
            top(f"field 'rag': {exc}", "rag")
    jobs: list[AuditJob] = []
    seen: set[str] = set()
    outputs_of: list[tuple[str, Path]] = []
    blame: list[Callable[..., None]] = []
    inputs: list[Path] = [path]
    for i, item in enumerate(raw["audits"], 1):
        job, found = _check_audit(i, item, path, today, seen, default_rag)
        problems += found
        if job is None:
            continue
        bad = _blamer(i, item, path, problems)
        for target in job.outputs:
            outputs_of.append((f"audit {job.name}", Path(target)))
            blame.append(bad)
        inputs += [
            Path(job.data),
            *(Path(p) for p in (job.ruleset, job.source) if Path(p).is_file()),
            *([Path(job.key_file)] if job.key_file else []),
        ]
        if not found:
            jobs.append(job)
    _check_outputs(outputs_of, inputs, blame, path, problems)
    if problems:  # in the order of the config's lines
        raise ConfigErrors(sorted(problems, key=lambda p: (p.line is None, p.line or 0)))
    return jobs


TOP_KEYS = {"audits", "rag"}
DEFAULT_RAG = (90.0, 75.0)


def _blamer(i: int, item: Any, path: Path, problems: list[UsageError]) -> Callable[..., None]:
    """A function that records one problem of audit #i (its name, line and field); a
    field's further problems join its line (two bad outputs: one line, both named)."""
    mapping = isinstance(item, dict)
    name = item.get("name") if mapping else None
    who = name if isinstance(name, str) and name else f"#{i}"

    def bad(message: str, key: str | None = None) -> None:
        line = getattr(item, "line", None)
        if mapping and key is not None and key in item and hasattr(item, "line_of"):
            line = item.line_of(key)
        head = f"audit {who}: field '{key}': " if key else f"audit {who}: "
        for k, p in enumerate(problems):
            if key is not None and p.message.startswith(head) and p.line == line:
                problems[k] = UsageError(f"{p.message}; {message}", file=str(path), line=line)
                return
        problems.append(UsageError(f"{head}{message}", file=str(path), line=line))

    return bad


def _check_outputs(
    outputs_of: list[tuple[str, Path]],
    inputs: list[Path],
    blame: list[Callable[..., None]],
    path: Path,
    problems: list[UsageError],
) -> None:
    """Every output that is an input, is inside an input folder, or repeats another output:
    each reported, not only the first."""
    from .report.outputs import check_outputs

    remaining = list(range(len(outputs_of)))
    while remaining:
        try:
            check_outputs([outputs_of[k] for k in remaining], inputs, must_exist=False)
            return
        except UsageError as exc:
            index = getattr(exc, "output_index", None)
            if index is None:
                problems.append(UsageError(f"batch config: {exc.message}", file=str(path)))
                return
            blame[remaining[index]](exc.message, "outputs")
            del remaining[index]


def _check_audit(
    i: int,
    item: Any,
    path: Path,
    today: dt.date,
    seen: set[str],
    default_rag: tuple[float, float],
) -> tuple[AuditJob | None, list[UsageError]]:
    """One audit's entry checked field by field: the job (None when it cannot be built at
    all) and every problem found in it."""
    problems: list[UsageError] = []
    bad = _blamer(i, item, path, problems)
    if not isinstance(item, dict):
        bad("expected a mapping (name, data, ruleset, as_of, ...)")
        return None, problems
    for key in sorted(str(k) for k in set(item) - AUDIT_KEYS):
        bad(f"unknown field '{key}' (allowed: {', '.join(sorted(AUDIT_KEYS))})", key)
    text_keys = (
        "name", "data", "ruleset", "as_of", "source", "scope", "history_from",
        "pseudonymise_key_file",
    )  # fmt: skip
    for key in text_keys:
        if key in item and item[key] is not None and not isinstance(item[key], str):
            bad("must be a single value, not a list or mapping", key)
    missing = [k for k in ("name", "data", "ruleset", "as_of") if item.get(k) in (None, "")]
    for key in missing:
        bad(f"'{key}' is required")

    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) and value else None

    name = text("name")
    if name is not None:
        if not NAME.match(name):
            bad("may hold only letters, digits, '-', '_' and '.'", "name")
            name = None
        elif name in seen:
            bad("duplicate name", "name")
            name = None  # its outputs would clash with the first's: one problem, not two
        else:
            seen.add(name)

    def date(key: str) -> dt.date | None:
        if text(key) is None:
            return None
        try:
            return parse_as_of(item[key], today)
        except ValueError as exc:
            bad(str(exc), key)
            return None

    as_of, history = date("as_of"), date("history_from")
    thresholds: list[Threshold] = []
    thresholds_raw = _strings(item.get("thresholds") or [])
    if thresholds_raw is None:
        bad("must be a list of 'metric op number' texts", "thresholds")
    for t in thresholds_raw or []:
        try:
            thresholds.append(parse_threshold(t))
        except ValueError as exc:
            bad(str(exc), "thresholds")
    scope = text("scope") or "all"
    if scope not in ("children", "staff", "all"):
        bad(f"must be children, staff or all (got '{scope[:40]}')", "scope")
    rag = default_rag
    if item.get("rag") is not None:
        try:
            rag = _rag(item["rag"])
        except ValueError as exc:
            bad(str(exc), "rag")
    params = item.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        bad("must be a mapping of name: value (each value one text)", "params")
        params = {}
    params = {str(k): v for k, v in params.items()}
    base = path.parent
    source = "auto"
    if item.get("source") is None or text("source") is not None:
        try:
            source = check_source(item.get("source") or "auto", base)
        except ValueError as exc:
            bad(str(exc), "source")
    ruleset = ""
    if text("ruleset") is not None:
        try:
            ruleset = check_ruleset(item["ruleset"], params, base)
        except ValueError as exc:
            bad(str(exc), "ruleset")
    resolved = []
    outputs = _strings(item.get("outputs") or [])
    if outputs is None:
        bad("must be a list of file names", "outputs")
    for out in outputs or []:
        filled = out.replace("{name}", name or "name")
        filled = filled.replace("{as_of}", as_of.isoformat() if as_of else "as_of")
        if "{" in filled or "}" in filled:
            bad(f"'{out}': only {{name}} and {{as_of}} can be filled in", "outputs")
        elif Path(filled).suffix.lower() not in (".xlsx", ".json", ".csv"):
            bad(f"'{out}' must end in .xlsx, .json or .csv", "outputs")
        elif name is not None and as_of is not None:
            resolved.append(str(Path(filled) if Path(filled).is_absolute() else base / filled))
    key_file = text("pseudonymise_key_file")
    if key_file is not None:
        from .report.privacy import read_key

        key_path = Path(key_file)
        key_path = key_path if key_path.is_absolute() else base / key_path
        try:
            read_key(key_path)
        except AuditError as exc:
            bad(exc.message, "pseudonymise_key_file")
        key_file = str(key_path)
    if name is None or as_of is None or text("data") is None:
        return None, problems
    data = Path(item["data"])
    job = AuditJob(
        name=name,
        data=str(data if data.is_absolute() else base / data),
        ruleset=ruleset,
        as_of=as_of,
        source=source,
        params=params,
        scope=scope,
        history_from=history,
        outputs=resolved,
        thresholds=thresholds,
        key_file=key_file,
        rag=rag,
    )
    return job, problems


def _figures(summary: dict[str, Any], not_evaluated: int) -> dict[str, float | int | None]:
    def share(part: str) -> float | None:
        pct = (summary.get(part) or {}).get("compliance_pct")
        return None if pct is None else round(pct / 100, 4)

    counts = summary.get("findings", {})
    return {
        "children_compliance": share("children"),
        "carers_compliance": share("carers"),
        "staff_compliance": share("staff"),
        "findings": counts.get("total", 0),
        "red_findings": counts.get("red", 0),
        "amber_findings": counts.get("amber", 0),
        "outstanding_findings": counts.get("outstanding", 0),
        "data_issues": summary.get("data_issues", 0),
        "excluded_rows": sum(
            sum((r.get("excluded") or {}).values()) for r in (summary.get("tables") or {}).values()
        ),
        "rules_not_evaluated": not_evaluated,
    }


def open_finding_keys(findings: Any) -> list[str]:
    """'rule|subject_id' of every finding still outstanding, sorted and distinct: what the
    next run's trend is matched on (no names, no dates; pseudonymised IDs when keyed)."""
    import polars as pl

    return (
        findings.filter(pl.col("outstanding"))
        .select(
            pl.concat_str(
                [pl.col("rule").fill_null(""), pl.col("subject_id").fill_null("")], separator="|"
            ).alias("key")
        )
        .unique()
        .sort("key")
        .get_column("key")
        .to_list()
    )


def _blank(job: AuditJob) -> dict[str, Any]:
    return {
        "name": job.name,
        "ruleset": job.ruleset,
        "as_of": job.as_of.isoformat(),
        "data": job.data,
        "status": "error",
        "error": None,
        "figures": {},
        "thresholds": [],
        "outputs": [],
        "open_findings": [],
        "warnings": [],
    }


def audit_figures(result: Any) -> dict[str, float | None]:
    """The metrics a threshold can test, from one audit's result (see METRICS)."""
    return _figures(result.summary, len(result.not_evaluated))


def check_thresholds(
    thresholds: list[Threshold], figures: dict[str, float | None]
) -> list[dict[str, Any]]:
    """Each threshold with the actual figure and whether it passed (a missing figure fails)."""
    return [
        {
            "threshold": t.text,
            "actual": figures.get(t.metric),
            "passed": t.passes(figures.get(t.metric)),
        }
        for t in thresholds
    ]


def run_job(job: AuditJob, reraise: bool = False) -> dict[str, Any]:
    """Run one audit and write its outputs; never raises unless `reraise` (--debug) asks
    (a failure is in the result)."""
    from .audit import AuditOptions, run_audit
    from .report.atomic import staged_together
    from .report.outputs import write_output

    start = time.perf_counter()
    out = _blank(job)
    try:
        for target in job.outputs:
            try:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(
                    f"cannot create the output folder {Path(target).parent} ({exc.strerror})"
                ) from None
        run = run_audit(
            AuditOptions(
                data=Path(job.data),
                ruleset=job.ruleset,
                as_of=job.as_of,
                history_from=job.history_from,
                scope=job.scope,
                params=job.params,
                source=job.source,
                rag=job.rag,
            )
        )
        if job.key_file is not None:
            from .report.privacy import apply_privacy, read_key

            run = apply_privacy(run, read_key(Path(job.key_file)), no_names=True)
        result = run.result
        figures = _figures(result.summary, len(result.not_evaluated))
        out["figures"] = figures
        out["source"] = result.source_note
        out["thresholds"] = check_thresholds(job.thresholds, figures)
        out["open_findings"] = open_finding_keys(result.findings)
        out["warnings"] = list(result.summary.get("warnings") or [])
        failed = [t for t in out["thresholds"] if not t["passed"]]
        status = "threshold_failed" if failed else "ok"
        out["status"] = status
        out["trend"] = trend(out, job.previous) if job.compare else None
        rows = trend_rows(out["trend"], out) if out["trend"] is not None else None
        out["status"] = "error"  # until every output is in place
        # Every output of the audit, its workbooks' Trend sheet included, is written to a
        # staged file first; only when all are written are they replaced, together.
        targets = [Path(t) for t in job.outputs]
        with staged_together(targets) as tmps:
            for dest, staged_file in zip(targets, tmps, strict=True):
                argv = ["supervision-audit", "batch", job.name]
                write_output(run, staged_file, argv=argv, fmt=dest.suffix, trend=rows)
        out["outputs"] = list(job.outputs)
        out["status"] = status
    except AuditError as exc:
        if reraise:
            raise
        out["status"] = "error"
        out["error"] = str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # one audit's crash (even a native panic) must not stop the batch
        if reraise or os.environ.get("SUPERVISION_AUDIT_RERAISE"):
            raise
        # The exception text may quote input values (personal data): name its type only.
        out["status"] = "error"
        out["error"] = f"internal error ({type(exc).__name__}); run the batch with --debug"
    out["duration_seconds"] = round(time.perf_counter() - start, 2)
    return out


def _ignore_interrupts() -> None:  # pragma: no cover - runs in each worker
    """Workers leave Ctrl-C to the batch (which stops them), so it prints one line, not one
    traceback per worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.unraisablehook = lambda _unraisable: None  # writer libraries' after-failure noise


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_ignore_interrupts
    )


def _stop(pool: ProcessPoolExecutor, jobs: list[AuditJob]) -> None:
    """Stop a pool now: cancel what has not started, end the workers, and remove the staged
    files a worker ended mid-write left in the jobs' output folders (once it is gone)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(5)
    from .report.atomic import remove_stale

    for folder in sorted({Path(t).parent for job in jobs for t in job.outputs}):
        remove_stale(folder)


def _died(job: AuditJob) -> dict[str, Any]:
    return {
        **_blank(job),
        "error": "the audit's process died (a crash in a native library, or out of memory); "
        "its outputs were not written",
        "duration_seconds": 0.0,
    }


def run_batch(
    jobs: list[AuditJob],
    workers: int,
    each: Callable[[dict[str, Any]], None] | None = None,
    reraise: bool = False,
    runner: Callable[..., dict[str, Any]] = run_job,
    isolate: bool = True,
) -> list[dict[str, Any]]:
    """Every job, in worker processes (spawned: Polars' threads do not survive a fork),
    returned in the config's order; `each` sees every result in that order as soon as it and
    those before it are done.

    A worker that dies (a native crash, the memory killer) breaks its pool: the jobs that
    had not finished are then run again one at a time, each in a fresh process, so the one
    that dies again fails alone and every other audit completes. With `workers` = 1 the
    audits still run in a worker process, so --jobs 1 is isolated the same way. `isolate`
    False runs them in this process (tests, or where processes are not available)."""
    results: list[dict[str, Any]] = []

    def done(r: dict[str, Any]) -> None:
        results.append(r)
        if each is not None:
            each(r)

    pool = None
    if isolate:
        try:
            pool = _pool(max(1, min(workers, len(jobs))))
        except (NotImplementedError, OSError):  # no process support here: run them in turn
            pool = None
    if pool is None:
        for job in jobs:
            done(runner(job, reraise))
        return results
    retry: list[int] = []
    try:
        futures = [pool.submit(partial(runner, job, reraise)) for job in jobs]
        for i, (_job, future) in enumerate(zip(jobs, futures, strict=True)):
            if retry:  # the pool broke: keep what finished, run the rest alone
                if future.done() and future.exception() is None:
                    results.append(future.result())
                else:
                    retry.append(i)
                    results.append({})
                continue
            try:
                done(future.result())
            except BrokenProcessPool:
                retry.append(i)
                results.append({})
        pool.shutdown(wait=True)
    except BaseException:
        _stop(pool, jobs)
        raise
    if not retry:
        return results
    # Emit, in order, what finished before the break; then each unfinished job alone.
    emitted = retry[0]
    for i in range(len(jobs)):
        if i < emitted:
            continue
        if i in retry:
            alone = _pool(1)
            try:
                results[i] = alone.submit(partial(runner, jobs[i], reraise)).result()
            except BrokenProcessPool:
                results[i] = _died(jobs[i])
            except BaseException:
                _stop(alone, [jobs[i]])
                raise
            alone.shutdown(wait=True)
        if each is not None:
            each(results[i])
    return results


def summary_document(
    config: Path, today: dt.date, previous: dict[str, Any] | None, results: list[dict[str, Any]]
) -> dict[str, Any]:
    """The batch summary (JSON): the config, today, the previous summary compared with, the
    exit code, counts per status and every audit's result, in config order."""
    return {
        "tool": SUMMARY_TOOL,
        "config": str(config),
        "today": today.isoformat(),
        "previous": previous["path"] if previous is not None else None,
        "exit_code": exit_code(results),
        "counts": {s: sum(r["status"] == s for r in results) for s in STATUSES},
        "audits": results,
    }


def exit_code(results: list[dict[str, Any]]) -> int:
    """2 if an audit could not run (outranks 1), 1 if a threshold failed, else 0."""
    if any(r["status"] == "error" for r in results):
        return 2
    if any(r["status"] == "threshold_failed" for r in results):
        return 1
    return 0


# --------------------------------------------------------------------------------------
# Trends


def load_previous(path: Path) -> dict[str, Any] | None:
    """A previous summary JSON, or the newest batch summary in a history folder (by
    modification time, then name); None for a folder with no summary in it yet."""
    if path.is_dir():
        candidates = sorted(
            (p for p in path.glob("*.json") if _looks_like_summary(p)),
            key=lambda p: (p.stat().st_mtime, p.name),
        )
        if not candidates:
            return None
        path = candidates[-1]
    if not path.is_file():
        raise UsageError(f"--previous: not found: {path}")
    try:
        with path.open("rb") as fh:
            body = fh.read(MAX_SUMMARY_BYTES + 1)
        if len(body) > MAX_SUMMARY_BYTES:
            raise ValueError("too large")
        doc = json.loads(body.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        raise UsageError(f"--previous: not a batch summary JSON: {path}") from None
    problem = _summary_problem(doc)
    if problem:
        raise UsageError(f"--previous: not a batch summary JSON ({problem}): {path}")
    doc["path"] = str(path)
    return doc


MAX_SUMMARY_BYTES = 256 * 1024**2


def _summary_problem(doc: Any) -> str | None:
    """What is wrong with a previous summary's shape (the fields trends read), or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("audits"), list):
        return "no 'audits' list"
    for i, a in enumerate(doc["audits"], 1):
        if not isinstance(a, dict) or not isinstance(a.get("name"), str):
            return f"audit #{i} has no name"
        if not isinstance(a.get("status", ""), str) or not isinstance(a.get("as_of", ""), str):
            return f"audit {a['name'][:40]}: status and as_of must be text"
        figures = a.get("figures") or {}
        if not isinstance(figures, dict) or not all(
            v is None
            or (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v))
            for v in figures.values()
        ):
            return f"audit {a['name'][:40]}: figures must be numbers"
        keys = a.get("open_findings") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            return f"audit {a['name'][:40]}: open_findings must be a list of texts"
    return None


def _looks_like_summary(path: Path) -> bool:
    """Only the start of each file is read: the folder may also hold large audit JSONs."""
    try:
        with path.open("rb") as fh:
            head = fh.read(512).decode("utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r'"tool"\s*:\s*"' + re.escape(SUMMARY_TOOL) + '"', head) is not None


def trend(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """Change since the previous run of the same audit (matched by name): compliance deltas
    and findings new / resolved / still open, matched by rule and subject (pseudonymised IDs
    match too when the same key was used). None when either run has no result."""
    if previous is None or current["status"] == "error" or previous.get("status") == "error":
        return None
    now, before = set(current["open_findings"]), set(previous.get("open_findings") or [])
    deltas = {}
    for metric in ("children_compliance", "carers_compliance", "staff_compliance"):
        a, b = (previous.get("figures") or {}).get(metric), current["figures"].get(metric)
        deltas[metric] = None if a is None or b is None else round(b - a, 4)
    return {
        "previous_as_of": previous.get("as_of"),
        "compliance_change": deltas,
        "findings_new": len(now - before),
        "findings_resolved": len(before - now),
        "findings_still_open": len(now & before),
    }


def trend_rows(t: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """The Trend sheet's rows."""
    rows = [
        {"measure": "previous run as of", "value": t["previous_as_of"]},
        {"measure": "this run as of", "value": current["as_of"]},
    ]
    for metric, delta in t["compliance_change"].items():
        if delta is not None:
            rows.append({"measure": f"{metric} change (points)", "value": f"{100 * delta:+.1f}"})
    for key in ("findings_new", "findings_resolved", "findings_still_open"):
        rows.append({"measure": key.replace("_", " "), "value": str(t[key])})
    return rows
