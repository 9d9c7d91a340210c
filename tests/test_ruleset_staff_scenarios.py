"""The shipped rulesets' staff rules of the non-clock kinds, on tiny staff exports, through
the real audit. Each test quotes the policy words it enforces; dates are worked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from tests.scenarios import STAFF_COLUMNS, findings_of, write_tables
from tests.scenarios import run as run_audit

D = dt.date
WORKERS = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,North,M1,2020-01-01,,true
M1,Team Manager,North,S1,2015-01-01,,false
"""


def audit(tmp_path: Path, ruleset: str, files: dict[str, str], as_of: dt.date, **kw):
    data = write_tables(tmp_path / ruleset, files)
    return run_audit(data, ruleset, as_of, strict=False, scope="staff", **kw).result


def rows(result, rule_id: str) -> list[tuple]:
    return findings_of(result.findings, rule_id, STAFF_COLUMNS)


def test_lambeth_record_typed_within_2_working_days_over_easter(tmp_path: Path) -> None:
    # "The Individual Staff Supervision Record must be typed up within 2 working days of the
    # session." Thursday 17/4/2025 + 2 working days, Good Friday and Easter Monday skipped:
    # Tuesday 22/4 is day 1, Wednesday 23/4 day 2.
    sessions = """
worker_id,date,status,recorded_date
W1,2025-04-17,HELD,2025-04-23
W2,2025-04-17,HELD,2025-04-25
"""
    result = audit(
        tmp_path, "lambeth", {"workers": WORKERS, "worker_sessions": sessions}, D(2025, 5, 31)
    )
    assert rows(result, "LAM-S3") == [("W2", D(2025, 4, 23), D(2025, 4, 25), 2)]


def test_lambeth_cancelled_session_rescheduled_within_2_weeks(tmp_path: Path) -> None:
    # "rescheduled as soon as possible, but no later than 2 weeks from the date of
    # cancellation": cancelled 3/3/2025, due 17/3; held 20/3 is 3 days late.
    sessions = """
worker_id,date,status,recorded_date
W1,2025-03-03,CANCELLED,
W1,2025-03-20,HELD,2025-03-20
W2,2025-03-03,CANCELLED,
W2,2025-03-17,HELD,2025-03-17
"""
    result = audit(
        tmp_path, "lambeth", {"workers": WORKERS, "worker_sessions": sessions}, D(2025, 3, 31)
    )
    assert rows(result, "LAM-S6") == [("W1", D(2025, 3, 17), D(2025, 3, 20), 3)]


def test_lambeth_ratio_of_six_frontline_supervisees(tmp_path: Path) -> None:
    # "the recommended maximum ratio is 1 Supervisor up to a maximum of 6 supervisees":
    # M1 has 7 frontline supervisees; the seventh started on 1/9/2026.
    lines = ["worker_id,role,team,supervisor_id,start_date,end_date,frontline"]
    lines += [f"W{i},Social Worker,North,M1,2020-01-01,,true" for i in range(1, 7)]
    lines += [
        "W7,Social Worker,North,M1,2026-09-01,,true",
        "M1,Team Manager,North,S1,2015-01-01,,false",
    ]
    result = audit(tmp_path, "lambeth", {"workers": "\n".join(lines)}, D(2026, 10, 31))
    assert rows(result, "LAM-S9") == [("M1", D(2026, 9, 1), None, 60)]
    assert result.findings.filter(pl.col("rule") == "LAM-S9")["severity"].to_list() == ["amber"]


def test_devon_one_group_supervision_a_month_per_team(tmp_path: Path) -> None:
    # "Every team and service are expected to facilitate at least one Group Supervision a
    # month": history from 1/7/2025; North met July and September but not August.
    team_events = """
team,kind,date
North,GROUP_SUPERVISION,2025-07-01
North,GROUP_SUPERVISION,2025-09-04
"""
    result = audit(
        tmp_path, "devon", {"workers": WORKERS, "team_events": team_events}, D(2025, 9, 30)
    )
    assert rows(result, "DEV-S5") == [("North", D(2025, 8, 31), D(2025, 9, 4), 4)]


def test_dorset_two_observations_a_year_for_frontline(tmp_path: Path) -> None:
    # "There should be at least two formal observations a year for frontline practitioners":
    # the year to 31/10/2026 starts 1/11/2025; W1 has one in it, and the year ending
    # 13/10/2026 was the last with two (14/10/2025 and 10/12/2025). M1 is not frontline.
    events = """
worker_id,kind,date
W1,OBSERVATION,2025-10-14
W1,OBSERVATION,2025-12-10
W2,OBSERVATION,2025-10-01
W2,OBSERVATION,2026-03-01
W2,OBSERVATION,2026-09-01
"""
    result = audit(
        tmp_path, "dorset", {"workers": WORKERS, "worker_events": events}, D(2026, 10, 31)
    )
    assert rows(result, "DOR-S6") == [("W1", D(2026, 10, 13), None, 18)]


def test_dorset_record_copy_within_10_working_days_over_christmas(tmp_path: Path) -> None:
    # "within 10 working days": Monday 22/12/2025 -> 23, 24, 29, 30, 31 Dec, 2, 5, 6, 7,
    # 8 Jan (25, 26 Dec and 1 Jan are bank holidays): due Thursday 8/1/2026.
    sessions = """
worker_id,date,status,recorded_date
W1,2025-12-22,HELD,2026-01-08
W2,2025-12-22,HELD,2026-01-09
"""
    result = audit(
        tmp_path, "dorset", {"workers": WORKERS, "worker_sessions": sessions}, D(2026, 1, 31)
    )
    assert rows(result, "DOR-S5") == [("W2", D(2026, 1, 8), D(2026, 1, 9), 1)]


def test_portsmouth_ninety_minutes_every_four_weeks(tmp_path: Path) -> None:
    # "a minimum of 1 and a half hours every 4 weeks": windows back from 31/10/2026 are
    # 4/10-31/10 and 6/9-3/10 (history from 6/9/2026). W1 had 60 minutes in October.
    sessions = """
worker_id,date,status,duration_minutes
W1,2026-09-06,HELD,90
W1,2026-10-10,HELD,60
W2,2026-09-10,HELD,90
W2,2026-10-10,HELD,90
M1,2026-09-10,HELD,90
M1,2026-10-10,HELD,90
"""
    result = audit(
        tmp_path, "portsmouth", {"workers": WORKERS, "worker_sessions": sessions}, D(2026, 10, 31)
    )
    assert rows(result, "POR-S4") == [("W1", D(2026, 10, 31), None, 0)]


def test_worcestershire_sessions_at_most_two_hours(tmp_path: Path) -> None:
    # "Formal supervision will take place every ... weeks for a maximum of 2 hours."
    sessions = """
worker_id,date,status,duration_minutes
W1,2026-03-03,HELD,150
W2,2026-03-03,HELD,120
"""
    result = audit(
        tmp_path,
        "worcestershire",
        {"workers": WORKERS, "worker_sessions": sessions},
        D(2026, 3, 31),
        params={"personal_interval": "4w"},
    )
    assert rows(result, "WOR-S5") == [("W1", D(2026, 3, 3), None, 0)]


def test_devon_annual_appraisal(tmp_path: Path) -> None:
    # "Every staff member will have an annual appraisal": appraised 30/4/2025, next due
    # 30/4/2026; W2's on 15/5/2026 is 15 days late.
    events = """
worker_id,kind,date
W1,APPRAISAL,2025-04-30
W1,APPRAISAL,2026-04-30
W2,APPRAISAL,2025-04-30
W2,APPRAISAL,2026-05-15
M1,APPRAISAL,2025-04-30
M1,APPRAISAL,2026-04-01
"""
    result = audit(
        tmp_path,
        "devon",
        {"workers": WORKERS, "worker_events": events},
        D(2026, 6, 30),
        history_from=D(2025, 4, 30),
    )
    assert rows(result, "DEV-S6") == [("W2", D(2026, 4, 30), D(2026, 5, 15), 15)]
