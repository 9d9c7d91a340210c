"""The monthly trend from one run equals, month by month, what a separate audit as of that
month end reports: for children, carers, staff and each team, over every month of the sample."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from supervision_audit import AuditOptions, run_audit
from supervision_audit.views.trend import month_ends, monthly_trend
from tests.helpers import run_cli

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_OF = dt.date(2026, 10, 31)


def test_month_ends_are_the_last_n_on_or_before_the_audit_date() -> None:
    # 31/10/2026 is itself a month end, so it is the last point; 12 points go back to 30/11/2025
    ends = month_ends(dt.date(2024, 10, 31), AS_OF, 12)
    assert ends[0] == dt.date(2025, 11, 30) and ends[-1] == AS_OF and len(ends) == 12
    # 30/10/2026 is not: the last point is 30/09/2026, and 8 points go back to February,
    # whose end is the 28th in 2026
    assert month_ends(dt.date(2026, 1, 1), dt.date(2026, 10, 30), 8)[0] == dt.date(2026, 2, 28)
    # nothing before the history date: a history from 15/08/2026 leaves 31/08 and 30/09
    assert month_ends(dt.date(2026, 8, 15), dt.date(2026, 10, 30), 12) == [
        dt.date(2026, 8, 31),
        dt.date(2026, 9, 30),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("ruleset", ["lambeth", "dorset"])
def test_each_month_end_equals_a_separate_audit_as_of_that_day(ruleset: str) -> None:
    run = run_audit(AuditOptions(data=SAMPLE, ruleset=ruleset, as_of=AS_OF))
    trend = monthly_trend(run, 24)
    assert len(trend["points"]) == 24  # the sample's history starts 31/10/2024
    for point in trend["points"]:
        day = dt.date.fromisoformat(point["month_end"])
        alone = run_audit(AuditOptions(data=SAMPLE, ruleset=ruleset, as_of=day)).result.summary
        for group in ("children", "carers", "staff"):
            if point.get(group) is None:
                assert group not in alone or ruleset != "lambeth", (day, group)
                continue
            expected = {k: v for k, v in alone[group].items() if k != "findings"}
            assert point[group] == expected, (day, group)
        if point.get("by_team") is not None:
            assert point["by_team"] == alone["by_team"], day
        if point.get("staff_by_team") is not None:
            assert point["staff_by_team"] == alone["staff_by_team"], day


def test_the_trend_is_in_the_json_and_the_terminal_when_asked() -> None:
    args = ["audit", "--data", str(SAMPLE), "--ruleset", "dorset", "--as-of", "2026-10-31"]
    code, out, err = run_cli(*args, "--trend", "3", "--format", "json")
    assert code == 0, err
    points = json.loads(out)["summary"]["trend"]["points"]
    assert [p["month_end"] for p in points] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    code, out, err = run_cli(*args, "--trend", "3")
    assert code == 0, err
    assert "Monthly trend: no outstanding breach, 31/08/2026 to 31/10/2026" in out
    assert "Children" in out and "Staff" in out
    code, out, err = run_cli(*args, "--format", "json")
    assert "trend" not in json.loads(out)["summary"]
    code, _, err = run_cli(*args, "--trend", "25")
    assert code == 2 and "--trend" in err


def test_the_workbook_has_a_monthly_trend_sheet_with_a_chart(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "audit.xlsx"
    args = ["audit", "--data", str(SAMPLE), "--ruleset", "lambeth", "--as-of", "2026-10-31"]
    code, _, err = run_cli(*args, "--trend", "12", "--output", str(out), "--format", "json")
    assert code == 0, err
    ws = openpyxl.load_workbook(out)["Monthly trend"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Month end", "Children open", "Children % no breach")
    assert rows[12][0].date() == AS_OF and rows[12][1] == 338 and rows[12][2] == 66.0
    assert any(r[0] == "Staff: % with no outstanding breach, by team" for r in rows if r)
    import zipfile

    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
