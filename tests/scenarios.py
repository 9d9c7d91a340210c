"""What the policy-reading tests share: write a tiny authority, run one audit, read findings.

Each scenario test states its cases in the policy's words and dates worked out by hand; this
module only does the plumbing, so that the files read as the policy does:

- `write_children` writes `episodes.csv` and `case_events.csv` from tuples;
- `write_tables` writes canonical tables given as CSV text (staff scenarios);
- `run` runs one audit over a folder, by default refusing any data issue, so a scenario can
  never pass because a row it relied on was silently rejected;
- `findings_of` lists chosen columns of a rule's findings in a fixed order, and first checks
  the rule ran (an empty list then really means "no breach", never "not evaluated").
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from supervision_audit.audit import AuditOptions, AuditRun, run_audit

EPISODE_COLUMNS = ("person_id", "category", "start_date", "end_date", "team", "worker_id", "flags")
EVENT_COLUMNS = ("person_id", "date", "kind")
STAFF_COLUMNS = ("subject_id", "due_date", "met_date", "days_overdue")


def write_children(data: Path, episodes: Iterable[tuple], events: Iterable[tuple]) -> Path:
    """episodes: (person_id, category, start, end or None, flags); events: (person, date, kind).

    Every child is in Team A with worker W1."""
    data.mkdir(parents=True, exist_ok=True)
    with (data / "episodes.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EPISODE_COLUMNS)
        for pid, cat, start, end, flags in episodes:
            w.writerow([pid, cat, start, end or "", "Team A", "W1", flags])
    with (data / "case_events.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EVENT_COLUMNS)
        w.writerows(events)
    return data


def write_tables(data: Path, files: dict[str, str]) -> Path:
    """Each {table: csv text} as DATA/table.csv."""
    data.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (data / f"{name}.csv").write_text(text.strip() + "\n")
    return data


def run(data: Path, ruleset: str, as_of: dt.date, *, strict: bool = True, **opts: Any) -> AuditRun:
    """One audit of DATA; with `strict`, a scenario whose rows raised a data issue fails."""
    result = run_audit(AuditOptions(data=data, ruleset=ruleset, as_of=as_of, **opts))
    if strict:
        assert result.result.data_issues.height == 0, result.result.data_issues.to_dicts()
    return result


def assert_evaluated(run: AuditRun, rule: str) -> None:
    assert rule in run.result.rules_evaluated, (
        rule,
        [n.to_dict() for n in run.result.not_evaluated],
    )


def findings_of(
    findings: pl.DataFrame,
    rule: str | None,
    columns: tuple[str, ...],
    *,
    subject: str | None = None,
    order: tuple[str, ...] = ("subject_id", "due_date"),
) -> list[tuple[Any, ...]]:
    """COLUMNS of the findings of RULE (every rule when None), optionally of one subject."""
    f = findings if rule is None else findings.filter(pl.col("rule") == rule)
    f = f.sort(*order)
    if subject is not None:
        f = f.filter(pl.col("subject_id") == subject)
    return list(f.select(columns).iter_rows())
