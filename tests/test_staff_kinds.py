"""The staff rule kinds beyond the interval clock, each on a hand-computed scenario:
timeliness (working days across Easter, the August bank holiday and Christmas), reschedule,
count (a worker's trailing year; a team's calendar months), ratio and duration.

Every scenario is written as the input files a QA officer would export, audited through the
library (`run_audit`), and every expected date below was worked out by hand from a calendar.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from supervision_audit.dates import add_working_days, bank_holidays
from tests.scenarios import STAFF_COLUMNS, findings_of, write_tables
from tests.scenarios import run as run_audit

D = dt.date
POLICY = "000_0e0841cec2a69b30.txt"
HEAD = f"""
schema_version: 1
name: kinds
authority: Test Council
document: {{title: Supervision Policy, date: March 2023, file: {POLICY}}}
version: "1"
rules:
"""


def rule(rid: str, kind: str, body: str, scope: str = "staff") -> str:
    lines = "\n".join(f"    {line}" for line in body.strip().splitlines())
    return (
        f"  - id: {rid}\n    kind: {kind}\n    scope: {scope}\n    title: {rid}\n"
        f'    section: "5"\n    quote: "the policy sentence"\n{lines}\n'
    )


def audit(tmp_path: Path, rules: str, files: dict[str, str], as_of: dt.date, **opts):
    data = write_tables(tmp_path / "data", files)
    ruleset = tmp_path / "kinds.yaml"
    ruleset.write_text(HEAD + rules)
    opts.setdefault("scope", "staff")
    # These rulesets quote a stand-in sentence, not the policy: run them as unverified.
    opts.setdefault("allow_unverified", True)
    return run_audit(data, str(ruleset), as_of, strict=False, **opts).result


def found(result, rule_id: str) -> list[tuple]:
    """(subject, due, met, days_overdue, outstanding) of a rule's findings, in order."""
    return findings_of(result.findings, rule_id, (*STAFF_COLUMNS, "outstanding"))


def not_evaluated(result) -> dict[str, str]:
    return {n.rule: n.reason for n in result.not_evaluated}


WORKERS = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,North,M1,2020-01-01,,true
W3,Social Worker,North,M1,2020-01-01,,true
W4,Social Worker,North,M1,2020-01-01,,true
W5,Social Worker,North,M1,2020-01-01,,true
W6,Social Worker,North,M1,2020-01-01,2026-01-10,true
W7,Social Worker,North,M1,2020-01-01,,true
W8,Social Worker,North,M1,2020-01-01,,true
M1,Team Manager,North,S1,2015-01-01,,false
"""


# --------------------------------------------------------------------------------------
# Working days


@pytest.mark.parametrize(
    ("start", "n", "expected", "why"),
    [
        (D(2025, 4, 17), 2, D(2025, 4, 23), "Good Friday 18/4 and Easter Monday 21/4 skipped"),
        (D(2025, 4, 19), 2, D(2025, 4, 23), "a Saturday session: Tuesday is day 1"),
        (D(2025, 8, 22), 2, D(2025, 8, 27), "late summer bank holiday Monday 25/8 skipped"),
        (D(2025, 12, 22), 10, D(2026, 1, 8), "Christmas, Boxing Day and New Year skipped"),
        (D(2026, 12, 24), 1, D(2026, 12, 29), "Boxing Day (observed) Monday 28/12 skipped"),
        (D(2025, 6, 9), 3, D(2025, 6, 12), "an ordinary week"),
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(start, n, expected, why) -> None:
    frame = pl.DataFrame({"d": [start]})
    got = frame.select(add_working_days(pl.col("d"), n, (2025, 2027)))["d"][0]
    assert got == expected, why


def test_bank_holidays_come_from_the_maintained_source() -> None:
    days = bank_holidays(2025, 2025)
    assert D(2025, 4, 18) in days and D(2025, 4, 21) in days and D(2025, 8, 25) in days
    assert D(2025, 3, 17) not in days  # St Patrick's Day is Northern Ireland only


# --------------------------------------------------------------------------------------
# timeliness

TIMELY = rule("TX-S1", "timeliness", "working_days: 2")


def test_staff_records_written_late_or_not_at_all(tmp_path: Path) -> None:
    sessions = """
worker_id,date,status,recorded_date
W1,2025-04-17,HELD,2025-04-23
W2,2025-04-17,HELD,2025-04-24
W3,2025-08-22,HELD,2025-08-27
W4,2025-08-22,HELD,2025-08-28
W5,2025-04-19,HELD,2025-04-23
W6,2025-12-01,CANCELLED,
W7,2026-10-28,HELD,
W8,2026-10-29,HELD,
W1,2026-10-20,HELD,2026-11-05
"""
    result = audit(
        tmp_path, TIMELY, {"workers": WORKERS, "worker_sessions": sessions}, D(2026, 10, 31)
    )
    assert found(result, "TX-S1") == [
        # Thursday before Easter: due Wednesday 23/4; written Thursday 24/4, 1 day late
        ("W1", D(2026, 10, 22), None, 9, True),  # written after --as-of: still missing
        ("W2", D(2025, 4, 23), D(2025, 4, 24), 1, False),
        ("W4", D(2025, 8, 27), D(2025, 8, 28), 1, False),
        # Wednesday 28/10: due Friday 30/10; blank at Saturday 31/10, 1 day overdue
        ("W7", D(2026, 10, 30), None, 1, True),
        # W8's Thursday 29/10 session is due Monday 2/11: not yet owed
    ]
    messages = result.findings.filter(pl.col("subject_id") == "W2")["message"]
    assert messages[0] == (
        "Supervision session on 17/04/2025: record due by 23/04/2025, written 24/04/2025 "
        "(1 day late)"
    )
    assert set(result.findings["kind"]) == {"timeliness"}
    assert set(result.findings["subject_type"]) == {"worker"}


def test_timeliness_without_recorded_date_is_not_evaluated(tmp_path: Path) -> None:
    sessions = "worker_id,date,status\nW1,2025-04-17,HELD\n"
    result = audit(
        tmp_path, TIMELY, {"workers": WORKERS, "worker_sessions": sessions}, D(2026, 10, 31)
    )
    assert result.findings.height == 0
    assert not_evaluated(result) == {"TX-S1": "worker_sessions has no recorded_date column"}


def test_case_supervision_recorded_late_over_the_august_bank_holiday(tmp_path: Path) -> None:
    rules = rule(
        "TX-C1", "timeliness", "working_days: 2\ncounts: [CASE_SUPERVISION]", scope="children"
    )
    episodes = """
person_id,category,start_date,end_date,team,worker_id
C1,CP,2025-01-01,,Safeguarding,W1
C2,CIN,2025-01-01,,Safeguarding,W2
"""
    events = """
person_id,date,kind,recorded_date
C1,2025-08-22,CASE_SUPERVISION,2025-08-28
C1,2025-08-22,GROUP_SUPERVISION,2025-09-30
C2,2025-08-22,CASE_SUPERVISION,2025-08-27
"""
    result = audit(
        tmp_path,
        rules,
        {"episodes": episodes, "case_events": events},
        D(2025, 10, 31),
        scope="children",
    )
    assert found(result, "TX-C1") == [("C1", D(2025, 8, 27), D(2025, 8, 28), 1, False)]
    row = result.findings.row(0, named=True)
    assert (row["subject_type"], row["category"], row["team"], row["worker_id"]) == (
        "child",
        "CP",
        "Safeguarding",
        "W1",
    )


# --------------------------------------------------------------------------------------
# reschedule


def test_cancelled_sessions_must_be_followed_within_14_days(tmp_path: Path) -> None:
    sessions = """
worker_id,date,status
W1,2025-03-03,CANCELLED
W1,2025-03-20,HELD
W2,2025-03-03,CANCELLED
W2,2025-03-17,HELD
W3,2025-03-03,CANCELLED
W3,2025-03-10,CANCELLED
W3,2025-03-31,HELD
W4,2026-10-10,CANCELLED
W5,2026-10-25,CANCELLED
W6,2026-01-05,CANCELLED
"""
    rules = rule("RX-S1", "reschedule", "within: 14d")
    result = audit(
        tmp_path, rules, {"workers": WORKERS, "worker_sessions": sessions}, D(2026, 10, 31)
    )
    assert found(result, "RX-S1") == [
        ("W1", D(2025, 3, 17), D(2025, 3, 20), 3, False),  # held 3 days after the deadline
        ("W3", D(2025, 3, 17), D(2025, 3, 31), 14, False),  # one finding, from the first
        ("W4", D(2026, 10, 24), None, 7, True),  # none held by --as-of
        # W2 held on the deadline; W5's deadline 8/11 is after --as-of; W6 left on 10/1
    ]


# --------------------------------------------------------------------------------------
# count: a worker's trailing window

OBSERVATIONS = rule(
    "CX-S1",
    "count",
    "event: OBSERVATION\nat_least: 2\nwindow: 12m\nwhen: {frontline: true}",
)
COUNT_WORKERS = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,North,M1,2020-01-01,,true
W3,Social Worker,North,M1,2026-03-01,,true
W4,Social Worker,North,M1,2020-01-01,,true
W5,Social Worker,North,M1,2020-01-01,,false
"""
OBS_EVENTS = """
worker_id,kind,date
W1,OBSERVATION,2025-04-01
W1,OBSERVATION,2025-10-14
W1,OBSERVATION,2025-12-10
W2,OBSERVATION,2026-01-05
W2,OBSERVATION,2026-06-01
W4,APPRAISAL,2026-02-01
"""


def test_two_observations_in_the_twelve_months_to_the_audit(tmp_path: Path) -> None:
    result = audit(
        tmp_path,
        OBSERVATIONS,
        {"workers": COUNT_WORKERS, "worker_events": OBS_EVENTS},
        D(2026, 10, 31),
    )
    # The year to 31/10/2026 starts 1/11/2025. W1 has one observation in it (10/12/2025);
    # the second most recent (14/10/2025) last counted for the year ending 13/10/2026.
    # W4 has none: the history starts 1/4/2025, so the first whole year ended 31/3/2026.
    # W2 has two; W3 joined inside the window; W5 is not frontline.
    assert found(result, "CX-S1") == [
        ("W1", D(2026, 10, 13), None, 18, True),
        ("W4", D(2026, 3, 31), None, 214, True),
    ]
    w1 = result.findings.filter(pl.col("subject_id") == "W1")["message"][0]
    assert w1 == (
        "1 OBSERVATION event(s) in the 12 months to 31/10/2026 (at least 2 required); "
        "last met on 13/10/2026"
    )
    covered = result.covered.filter(pl.col("subject_type") == "worker")
    assert sorted(covered["subject_id"]) == ["W1", "W2", "W4"]


def test_a_history_shorter_than_the_window_is_not_evaluated(tmp_path: Path) -> None:
    result = audit(
        tmp_path,
        OBSERVATIONS,
        {"workers": COUNT_WORKERS, "worker_events": OBS_EVENTS},
        D(2026, 10, 31),
        history_from=D(2026, 1, 1),
    )
    assert result.findings.height == 0
    assert "after the start of the 12 months window (01/11/2025)" in not_evaluated(result)["CX-S1"]


def test_a_supervisor_needs_one_file_audit_a_year(tmp_path: Path) -> None:
    rules = rule(
        "CX-S2", "count", "event: FILE_AUDIT\nat_least: 1\nwindow: 12m\nsubject: supervisor"
    )
    workers = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,South,M2,2020-01-01,,true
M1,Team Manager,North,S1,2015-01-01,,false
M2,Team Manager,South,S1,2015-01-01,,false
"""
    events = """
worker_id,kind,date
W1,FILE_AUDIT,2025-09-03
W2,FILE_AUDIT,2026-02-01
"""
    result = audit(tmp_path, rules, {"workers": workers, "worker_events": events}, D(2026, 10, 31))
    # M1's supervisee was audited 3/9/2025, which last counted for the year to 2/9/2026
    assert found(result, "CX-S2") == [("M1", D(2026, 9, 2), None, 59, True)]
    assert result.findings["subject_type"].to_list() == ["supervisor"]


# --------------------------------------------------------------------------------------
# count: a team's calendar months


def test_a_team_missing_a_month_of_group_supervision(tmp_path: Path) -> None:
    rules = rule(
        "CX-S3",
        "count",
        "event: GROUP_SUPERVISION\nat_least: 1\nsubject: team\nperiod: calendar_month",
    )
    workers = """
worker_id,role,team,start_date,end_date
W1,Social Worker,Alpha,2020-01-01,
W2,Social Worker,Beta,2020-01-01,
W3,Social Worker,Gamma,2020-01-01,
W4,Social Worker,Delta,2020-01-01,2025-08-31
"""
    team_events = """
team,kind,date
Alpha,GROUP_SUPERVISION,2025-08-28
Alpha,GROUP_SUPERVISION,2025-10-06
Beta,GROUP_SUPERVISION,2025-09-15
"""
    result = audit(
        tmp_path, rules, {"workers": workers, "team_events": team_events}, D(2025, 11, 15)
    )
    # History starts 28/8/2025, so September is the first whole month; October (ending
    # 31/10) is the last month ended by 15/11. Delta had no one employed in either.
    assert found(result, "CX-S3") == [
        ("Alpha", D(2025, 9, 30), D(2025, 10, 6), 6, False),  # the gap closed on 6/10
        ("Beta", D(2025, 10, 31), None, 15, True),
        ("Gamma", D(2025, 9, 30), None, 46, True),
        ("Gamma", D(2025, 10, 31), None, 15, True),
    ]
    assert set(result.findings["subject_type"]) == {"team"}
    gamma = result.findings.filter(pl.col("subject_id") == "Gamma")["message"].to_list()
    assert (
        gamma[0]
        == "0 group supervision in September 2025 (at least 1 required); none since, to 15/11/2025"
    )


# --------------------------------------------------------------------------------------
# ratio


def test_a_supervisor_over_the_ratio(tmp_path: Path) -> None:
    rules = rule("QX-S1", "ratio", "max_supervisees: 6\nsupervisees: {frontline: true}")
    rows = [
        "worker_id,role,team,supervisor_id,supervisor_since,start_date,end_date,frontline",
        "M1,Team Manager,North,S9,,2015-01-01,,false",
        "M2,Team Manager,South,S9,,2015-01-01,,false",
    ]
    rows += [f"A{i},Social Worker,North,M1,,2020-01-01,,true" for i in range(1, 6)]
    rows += [
        "A6,Social Worker,North,M1,2026-05-01,2019-01-01,,true",  # joined M1 on 1/5/2026
        "A7,Social Worker,North,M1,,2026-09-01,,true",  # the seventh: from 1/9/2026
        "A8,Business Support,North,M1,,2020-01-01,,false",  # not frontline: not counted
        "A9,Social Worker,North,M1,,2020-01-01,2026-06-30,true",  # left: not counted
    ]
    rows += [f"B{i},Social Worker,South,M2,,2020-01-01,,true" for i in range(1, 7)]
    result = audit(tmp_path, rules, {"workers": "\n".join(rows)}, D(2026, 10, 31))
    assert found(result, "QX-S1") == [("M1", D(2026, 9, 1), None, 60, True)]
    row = result.findings.row(0, named=True)
    assert row["subject_type"] == "supervisor"
    assert row["supervisor_id"] == "S9"  # shown under the line manager who must review it
    assert row["message"].startswith("7 active supervisees on 31/10/2026 (at most 6)")


# --------------------------------------------------------------------------------------
# duration


def test_minimum_minutes_in_each_28_day_window(tmp_path: Path) -> None:
    rules = rule("DX-S1", "duration", "minimum_minutes: 90\nwindow: 28d")
    workers = """
worker_id,role,team,start_date,end_date
W1,Social Worker,North,2020-01-01,
W2,Social Worker,North,2020-01-01,
W3,Social Worker,North,2020-01-01,
W4,Social Worker,North,2026-09-20,
"""
    # Windows to 31/10/2026: k0 4/10-31/10, k1 6/9-3/10; k2 (9/8-5/9) starts before the
    # history (the earliest session, 10/8/2026), so it is not assessed.
    sessions = """
worker_id,date,status,duration_minutes
W1,2026-08-10,HELD,45
W1,2026-09-10,HELD,90
W1,2026-10-10,HELD,60
W1,2026-10-12,CANCELLED,90
W2,2026-08-15,HELD,90
W3,2026-09-10,HELD,120
W3,2026-10-12,HELD,
W3,2026-10-13,HELD,30
"""
    absences = "worker_id,start_date,end_date\nW2,2026-10-20,2026-10-22\n"
    result = audit(
        tmp_path,
        rules,
        {"workers": workers, "worker_sessions": sessions, "absences": absences},
        D(2026, 10, 31),
    )
    assert found(result, "DX-S1") == [
        ("W1", D(2026, 10, 31), None, 0, True),  # 60 minutes in k0 (the cancelled one no)
        ("W2", D(2026, 10, 3), None, 0, False),  # nothing in k1; k0 skipped (absent)
        ("W4", D(2026, 10, 31), None, 0, True),  # joined 20/9: k0 only, with nothing
        # W3: k1 has 120; k0 holds a blank duration, so its total is unknown
    ]
    w1 = result.findings.filter(pl.col("subject_id") == "W1")["message"][0]
    assert w1 == "60 minutes of held supervision from 04/10/2026 to 31/10/2026 (at least 90)"


def test_maximum_session_length(tmp_path: Path) -> None:
    rules = rule("DX-S2", "duration", "maximum_minutes: 120\nseverity: amber")
    sessions = """
worker_id,date,status,duration_minutes
W1,2026-03-03,HELD,150
W1,2026-03-31,HELD,120
W2,2026-03-03,HELD,
W2,2026-04-03,CANCELLED,180
"""
    result = audit(
        tmp_path, rules, {"workers": WORKERS, "worker_sessions": sessions}, D(2026, 10, 31)
    )
    assert found(result, "DX-S2") == [("W1", D(2026, 3, 3), None, 0, False)]
    row = result.findings.row(0, named=True)
    assert row["severity"] == "amber"
    assert row["message"] == "Session on 03/03/2026 lasted 150 minutes (at most 120)"


def test_absent_tables_are_listed_not_passed(tmp_path: Path) -> None:
    rules = (
        rule("RX-S1", "reschedule", "within: 14d")
        + rule("DX-S1", "duration", "minimum_minutes: 90\nwindow: 28d")
        + rule(
            "CX-S3",
            "count",
            "event: GROUP_SUPERVISION\nat_least: 1\nsubject: team\nperiod: calendar_month",
        )
        + rule("QX-S1", "ratio", "max_supervisees: 7")
    )
    result = audit(tmp_path, rules, {"workers": WORKERS}, D(2026, 10, 31))
    assert not_evaluated(result) == {
        "RX-S1": "no worker_sessions table in the data",
        "DX-S1": "no worker_sessions table in the data",
        "CX-S3": "no team_events table in the data",
    }
    # QX-S1 was evaluated: M1 has exactly 7 active supervisees (W6 has left)
    assert result.findings.height == 0
    assert "QX-S1" in result.rules_evaluated


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("working_days: 0", "must be at least 1"),
        ("working_days: 2\ncounts: [CASE_SUPERVISION]", "staff timeliness always checks"),
    ],
)
def test_timeliness_fields_are_validated(tmp_path: Path, body: str, message: str) -> None:
    from supervision_audit.errors import RulesetError

    with pytest.raises(RulesetError, match=message):
        audit(tmp_path, rule("TX-S9", "timeliness", body), {"workers": WORKERS}, D(2026, 10, 31))


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("reschedule", "within: 1m", "days or weeks"),
        ("count", "event: OBSERVATION\nat_least: 2", "'window' is required"),
        (
            "count",
            "event: GROUP_SUPERVISION\nat_least: 1\nsubject: team\nperiod: week",
            "calendar_month",
        ),
        (
            "count",
            "event: AGREEMENT\nat_least: 1\nsubject: team\nperiod: calendar_month",
            "unknown team event",
        ),
        ("duration", "minimum_minutes: 90\nmaximum_minutes: 120", "exactly one"),
        ("duration", "maximum_minutes: 120\nwindow: 28d", "no window"),
        ("ratio", "max_supervisees: 6\nseverity: purple", "red, amber"),
    ],
)
def test_kind_fields_are_validated(tmp_path: Path, kind: str, body: str, message: str) -> None:
    from supervision_audit.errors import RulesetError

    with pytest.raises(RulesetError, match=message):
        audit(tmp_path, rule("KX-S9", kind, body), {"workers": WORKERS}, D(2026, 10, 31))


def test_window_start_counts_back_whole_months_and_days() -> None:
    from supervision_audit.dates import Interval

    assert Interval.parse("12m").window_start(D(2026, 10, 31)) == D(2025, 11, 1)
    assert Interval.parse("1m").window_start(D(2026, 3, 31)) == D(2026, 3, 1)  # 28/2 + 1 day
    assert Interval.parse("28d").window_start(D(2026, 10, 31)) == D(2026, 10, 4)
    assert Interval.parse("1m").sub(D(2024, 3, 31)) == D(2024, 2, 29)
