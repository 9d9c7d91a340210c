"""What a manager does next, from the terminal report: findings by rule (most overdue now
first), the list split into overdue now and past breaches, stable order run to run, and
nothing a reader must type split across lines at 80 columns."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from supervision_audit.cli.app import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ARGS = ["audit", "--data", str(SAMPLE), "--ruleset", "lambeth", "--as-of", "2026-10-31"]


def report(*extra: str) -> str:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, [*ARGS, *extra])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_findings_by_rule_then_overdue_now_first() -> None:
    out = report("--limit", "5")
    by_rule = out.index("Findings by rule, most overdue now first")
    now = out.index("Overdue now, worst first (187)")
    assert by_rule < now
    # LAM-C1 (every row of the frequency table on one clock per child since issue 14) has
    # the most findings overdue now (111 of 2299)
    first_rule = re.search(
        r"^\s+(LAM-\S+)\s+.*?\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", out[by_rule:], re.M
    )
    assert first_rule and first_rule.groups() == ("LAM-C1", "2299", "809", "1490", "111")
    assert "Past breaches" not in out  # the 5 shown are all overdue now
    assert "... and 3614 more." in out
    # what "more" holds: 187 - 5 overdue now, and every past breach (3619 - 187 = 3432)
    said = " ".join(out.split())  # the line wraps at the terminal's width
    assert "Not shown: 182 overdue now, 3432 past breaches (met late or ended unmet)." in said


def test_json_by_rule_counts_add_up_and_name_the_rule() -> None:
    import json

    result = CliRunner().invoke(app, [*ARGS, "--format", "json"])
    doc = json.loads(result.stdout)
    rows = doc["summary"]["by_rule"]
    assert sum(r["findings"] for r in rows) == len(doc["findings"])
    assert (
        sum(r["outstanding"] for r in rows)
        == sum(1 for f in doc["findings"] if f["met_date"] is None)
        - doc["summary"]["findings"]["closed_unmet"]
    )
    assert all(r["title"] for r in rows)


def test_the_report_is_the_same_run_to_run() -> None:
    assert report("--limit", "0") == report("--limit", "0")


def test_dates_and_ids_are_never_split_at_80_columns() -> None:
    out = report("--limit", "60")
    for line in out.splitlines():
        assert len(line.rstrip()) <= 80
        # a date cut in two leaves a partial date at the end of a cell
        assert not re.search(r"\b\d{2}/\d{2}/\d{1,3}\s*$", line), line
    ids = re.findall(r"\b(?:C\d{7}|W\d{5}|M\d{4})\b", out)
    assert len(ids) >= 60
