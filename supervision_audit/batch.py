"""Scheduled batch audits: one YAML config, many audits, thresholds, trends and an exit code.

    audits:
      - name: lambeth-children
        data: ../sample_data            # relative to the config file
        source: auto                    # canonical, mosaic, eclipse, ssd, hr or a .yaml
        ruleset: lambeth
        params: {cat_review_within: 10d}
        scope: all
        as_of: last-month-end           # a date, today, last-month-end or last-week-end
        outputs: [out/{name}-{as_of}.xlsx, out/{name}-{as_of}.json]
        thresholds: ["children_compliance >= 0.6", "red_findings <= 2000"]
        pseudonymise_key_file: secrets/audit.key   # optional: IDs as keyed tokens

Exit codes: 0 every audit ran and passed; 1 a threshold failed; 2 an audit could not run
(2 outranks 1). One failing audit never stops the others. Audits run in parallel processes
(--jobs), and the summary lists them in the config's order, so the result never depends on
which finished first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .errors import AuditError, UsageError
from .rules.yamlio import load_yaml_file

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
}
TOKENS = ("today", "last-month-end", "last-week-end")


def resolve_as_of(value: Any, today: dt.date) -> dt.date:
    """A date, or a token relative to `today`: today; last-month-end (the last day of the
    previous calendar month); last-week-end (the last Sunday before today)."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().lower()
    if text == "today":
        return today
    if text == "last-month-end":
        return today.replace(day=1) - dt.timedelta(days=1)
    if text == "last-week-end":
        # Monday is weekday 0: the Sunday before today is 1..7 days back
        return today - dt.timedelta(days=today.weekday() + 1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"as_of '{value}' is not a date (YYYY-MM-DD) or one of: {', '.join(TOKENS)}"
        ) from None


@dataclass(frozen=True)
class Threshold:
    text: str
    metric: str
    op: str
    value: float

    def passes(self, actual: float | None) -> bool:
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
    m = THRESHOLD.match(str(text))
    if not m:
        raise ValueError(f"threshold '{text}' is not 'metric op number' (e.g. red_findings <= 20)")
    metric, op, number = m.groups()
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}' (expected one of: {', '.join(METRICS)})")
    return Threshold(str(text).strip(), metric, op, float(number))


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


def load_config(path: Path, today: dt.date) -> list[AuditJob]:
    """Read and validate the whole config before any audit runs; errors name the audit and
    the field."""
    try:
        raw = load_yaml_file(path)
    except AuditError as exc:
        raise UsageError(f"batch config {path}: {exc.message}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("audits"), list) or not raw["audits"]:
        raise UsageError(f"batch config {path}: expected a non-empty 'audits' list")
    base = path.parent
    jobs: list[AuditJob] = []
    seen: set[str] = set()
    for i, item in enumerate(raw["audits"], 1):

        def bad(message: str, i: int = i, item: Any = item) -> UsageError:
            who = item.get("name") if isinstance(item, dict) and item.get("name") else f"#{i}"
            return UsageError(f"batch config {path}: audit {who}: {message}")

        if not isinstance(item, dict):
            raise bad("expected a mapping")
        unknown = sorted(set(item) - AUDIT_KEYS)
        if unknown:
            raise bad(f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(AUDIT_KEYS))})")
        for key in ("name", "data", "ruleset", "as_of"):
            if item.get(key) in (None, ""):
                raise bad(f"'{key}' is required")
        name = str(item["name"])
        if not NAME.match(name):
            raise bad("name may hold only letters, digits, '-', '_' and '.'")
        if name in seen:
            raise bad("duplicate name")
        seen.add(name)
        try:
            as_of = resolve_as_of(item["as_of"], today)
            history = (
                resolve_as_of(item["history_from"], today) if item.get("history_from") else None
            )
            thresholds = [parse_threshold(t) for t in item.get("thresholds") or []]
        except ValueError as exc:
            raise bad(str(exc)) from None
        scope = str(item.get("scope", "all"))
        if scope not in ("children", "staff", "all"):
            raise bad(f"scope must be children, staff or all (got '{scope}')")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise bad("params must be a mapping")
        outputs = item.get("outputs") or []
        if isinstance(outputs, str):
            outputs = [outputs]
        resolved = []
        for out in outputs:
            text = str(out).replace("{name}", name).replace("{as_of}", as_of.isoformat())
            if "{" in text:
                raise bad(f"output '{out}': only {{name}} and {{as_of}} can be filled in")
            if Path(text).suffix.lower() not in (".xlsx", ".json", ".csv"):
                raise bad(f"output '{out}' must end in .xlsx, .json or .csv")
            resolved.append(str(base / text))
        key_file = item.get("pseudonymise_key_file")
        if key_file is not None:
            key_path = Path(str(key_file))
            key_file = str(key_path if key_path.is_absolute() else base / key_path)
        data = Path(str(item["data"]))
        jobs.append(
            AuditJob(
                name=name,
                data=str(data if data.is_absolute() else base / data),
                ruleset=str(item["ruleset"]),
                as_of=as_of,
                source=str(item.get("source", "auto")),
                params={str(k): str(v) for k, v in params.items()},
                scope=scope,
                history_from=history,
                outputs=resolved,
                thresholds=thresholds,
                key_file=key_file,
            )
        )
    return jobs


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
        "rules_not_evaluated": not_evaluated,
    }


def run_job(job: AuditJob) -> dict[str, Any]:
    """Run one audit and write its outputs; never raises (a failure is in the result)."""
    from .audit import AuditOptions, run_audit
    from .report.outputs import write_output

    start = time.perf_counter()
    out: dict[str, Any] = {
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
    }
    try:
        for target in job.outputs:
            if not Path(target).parent.exists():
                Path(target).parent.mkdir(parents=True, exist_ok=True)
        run = run_audit(
            AuditOptions(
                data=Path(job.data),
                ruleset=job.ruleset,
                as_of=job.as_of,
                history_from=job.history_from,
                scope=job.scope,
                params=job.params,
                source=job.source,
            )
        )
        if job.key_file is not None:
            import dataclasses

            from .report.privacy import pseudonymise_result, read_key

            key = read_key(Path(job.key_file))
            run.result = pseudonymise_result(run.result, key)
            run.result = dataclasses.replace(
                run.result, summary={**run.result.summary, "no_names": True}
            )
            run.privacy_key = key
        result = run.result
        figures = _figures(result.summary, len(result.not_evaluated))
        out["figures"] = figures
        out["source"] = result.source_note
        out["thresholds"] = [
            {
                "threshold": t.text,
                "actual": figures.get(t.metric),
                "passed": t.passes(figures.get(t.metric)),
            }
            for t in job.thresholds
        ]
        opened = result.findings.filter(result.findings["outstanding"])
        out["open_findings"] = sorted(
            {f"{r}|{s}" for r, s in zip(opened["rule"], opened["subject_id"], strict=True)}
        )
        for target in job.outputs:
            write_output(run, Path(target), argv=["supervision-audit", "batch", job.name])
            out["outputs"].append(target)
        failed = [t for t in out["thresholds"] if not t["passed"]]
        out["status"] = "threshold_failed" if failed else "ok"
    except AuditError as exc:
        out["error"] = str(exc)
    except Exception as exc:  # one audit's crash must not stop the batch
        out["error"] = f"internal error ({type(exc).__name__}); rerun it alone with --debug"
    out["duration_seconds"] = round(time.perf_counter() - start, 2)
    return out


def run_batch(jobs: list[AuditJob], workers: int) -> list[dict[str, Any]]:
    """Every job, in parallel processes (spawned: Polars' threads do not survive a fork),
    returned in the config's order."""
    if workers <= 1 or len(jobs) <= 1:
        return [run_job(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(run_job, jobs))


def exit_code(results: list[dict[str, Any]]) -> int:
    if any(r["status"] == "error" for r in results):
        return 2
    if any(r["status"] == "threshold_failed" for r in results):
        return 1
    return 0


# --------------------------------------------------------------------------------------
# Trends


def load_previous(path: Path) -> dict[str, Any] | None:
    """A previous summary JSON, or the newest *.json summary in a history folder."""
    if path.is_dir():
        candidates = sorted(
            (p for p in path.glob("*.json") if _is_summary(p)), key=lambda p: p.stat().st_mtime
        )
        if not candidates:
            return None
        path = candidates[-1]
    if not path.is_file():
        raise UsageError(f"--previous: not found: {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"--previous: not a batch summary JSON: {path}") from None
    if not isinstance(doc, dict) or "audits" not in doc:
        raise UsageError(f"--previous: not a batch summary JSON: {path}")
    return doc


def _is_summary(path: Path) -> bool:
    try:
        return "audits" in json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False


def trend(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """Change since the previous run of the same audit (matched by name): compliance deltas
    and findings new / resolved / still open, matched by rule and subject (pseudonymised IDs
    match too when the same key was used)."""
    if previous is None or current["status"] == "error" or previous.get("status") == "error":
        return None
    now, before = set(current["open_findings"]), set(previous.get("open_findings") or [])
    deltas = {}
    for metric in ("children_compliance", "carers_compliance", "staff_compliance"):
        a, b = previous.get("figures", {}).get(metric), current["figures"].get(metric)
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
