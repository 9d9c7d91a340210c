"""Issue 14, "Rules that differ from the policy text" and the requirements that were missing:
staff rules, through the real audit on tiny staff exports. Every date is worked out by hand
from the quoted policy sentence before the tool was run.

Calendar facts used: January, March, May, July, August, October and December have 31 days;
February 2026 has 28; April, June, September and November 30.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from supervision_audit.audit import AuditRun
from tests.scenarios import STAFF_COLUMNS, assert_evaluated, findings_of, write_tables
from tests.scenarios import run as run_audit

D = dt.date


def audit(
    tmp_path: Path,
    ruleset: str,
    files: dict[str, str],
    as_of: dt.date,
    *,
    history_from: dt.date | None = None,
    params: dict[str, str] | None = None,
) -> AuditRun:
    data = write_tables(tmp_path / ruleset, files)
    return run_audit(
        data, ruleset, as_of, scope="staff", history_from=history_from, params=params or {}
    )


def rows(run: AuditRun, rule_id: str) -> list[tuple]:
    """(subject, due, met, days overdue) of one rule's findings; the rule must have run."""
    assert_evaluated(run, rule_id)
    return findings_of(run.result.findings, rule_id, STAFF_COLUMNS)


def caveats(run: AuditRun, rule_id: str) -> str:
    return " ".join(c for o in run.outcomes if o.rule_id == rule_id for c in o.caveats)


# --------------------------------------------------------------------------------------
# Lambeth LAM-S7 (Principles and Expectations): "Where supervision cannot take place at the
# usual time because of booked leave, it should be rescheduled to take place before the
# leave or within 1 week of the staff member returning."

LAM_WORKERS = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,North,M1,2020-01-01,,true
W3,Social Worker,North,M1,2020-01-01,,true
W4,Social Worker,North,M1,2020-01-01,,true
M1,Team Manager,North,S1,2015-01-01,,false
S1,Service Manager,North,,2010-01-01,,false
"""


def test_lambeth_booked_leave_due_a_week_after_the_return_day(tmp_path: Path) -> None:
    # Everyone supervised on 12/1/2026 (the first day of the session history). LAM-S1 "4-weekly"
    # (limit "monthly"): due 12/1 + 28 = 9/2, limit 12/2. Leave 2/2 to 17/2 inclusive holds
    # both dates; the worker is back on 18/2, so "within 1 week of the staff member
    # returning" is 18/2 + 7 = 25/2 (due and limit).
    # W1 (annual leave), supervised 25/2: on time. (Before: 17/2 + 7 = 24/2, 1 day late.)
    # W2 (annual leave), supervised 26/2: 1 day late (25/2 -> 26/2), red: past the moved
    #   limit too. (Before: 2 days late.)
    # W3 (sickness): the policy's grace is for "booked leave"; it says nothing that moves a
    #   due date for sickness, so 9/2 stands: supervised 25/2 is 16 days late (9/2 -> 25/2),
    #   red (past 12/2). (Before: moved like leave, 1 day late.)
    # W4 (an absence with no reason recorded): not known to be booked leave, so 9/2 stands
    #   too: 16 days late, and the rule says how many absences it could not read.
    # As of 20/3 every next due date (25/2 + 28 = 25/3, 26/2 + 28 = 26/3) is still ahead.
    sessions = "worker_id,date,status\n" + "\n".join(
        [
            "W1,2026-01-12,HELD",
            "W1,2026-02-25,HELD",
            "W2,2026-01-12,HELD",
            "W2,2026-02-26,HELD",
            "W3,2026-01-12,HELD",
            "W3,2026-02-25,HELD",
            "W4,2026-01-12,HELD",
            "W4,2026-02-25,HELD",
            "M1,2026-01-12,HELD",
            "M1,2026-02-05,HELD",
            "M1,2026-03-05,HELD",
            "S1,2026-01-12,HELD",
            "S1,2026-02-05,HELD",
            "S1,2026-03-05,HELD",
        ]
    )
    absences = """
worker_id,start_date,end_date,reason
W1,2026-02-02,2026-02-17,Annual leave
W2,2026-02-02,2026-02-17,Annual leave
W3,2026-02-02,2026-02-17,Sickness
W4,2026-02-02,2026-02-17,
"""
    run = audit(
        tmp_path,
        "lambeth",
        {"workers": LAM_WORKERS, "worker_sessions": sessions, "absences": absences},
        D(2026, 3, 20),
    )
    assert rows(run, "LAM-S1") == [
        ("W2", D(2026, 2, 25), D(2026, 2, 26), 1),
        ("W3", D(2026, 2, 9), D(2026, 2, 25), 16),
        ("W4", D(2026, 2, 9), D(2026, 2, 25), 16),
    ]
    f = run.result.findings.filter(pl.col("rule") == "LAM-S1").sort("subject_id")
    assert f["severity"].to_list() == ["red", "red", "red"]
    assert "1 absence" in caveats(run, "LAM-S1") and "no reason" in caveats(run, "LAM-S1")


# --------------------------------------------------------------------------------------
# Lambeth LAM-S8 (Principles and Expectations): "If the supervisor is absent from work for a
# period longer than four weeks alternative formal supervision arrangements should be put in
# place within the following week."


def test_lambeth_supervisor_absent_over_four_weeks_alternative_supervision_next_week(
    tmp_path: Path,
) -> None:
    # M1 absent 2/3/2026 to 30/4/2026 (60 days, longer than four weeks). The four weeks are
    # days 1-28 (2/3 to 29/3); "the following week" is days 29-35, 30/3 to 5/4: due
    # 2/3 + 34 = 5/4 (2 + 34 = 36, less March's 31 = 5 April). Any held session of each
    # of M1's supervisees from 2/3 meets it.
    #   W1 supervised 3/4: on time.  W2 supervised 10/4: 5 days late (5/4 -> 10/4).
    #   W3 nothing after 1/3: outstanding at 30/4, 25 days (5/4 -> 30/4).
    # M2 absent 2/3 to 29/3: exactly 28 days, not longer than four weeks: nothing owed by W4.
    workers = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,North,M1,2020-01-01,,true
W3,Social Worker,North,M1,2020-01-01,,true
W4,Social Worker,South,M2,2020-01-01,,true
M1,Team Manager,North,S1,2015-01-01,,false
M2,Team Manager,South,S1,2015-01-01,,false
S1,Service Manager,North,,2010-01-01,,false
"""
    sessions = "worker_id,date,status\n" + "\n".join(
        [
            "W1,2026-03-01,HELD",
            "W1,2026-04-03,HELD",
            "W2,2026-03-01,HELD",
            "W2,2026-04-10,HELD",
            "W3,2026-03-01,HELD",
            "W4,2026-03-01,HELD",
        ]
    )
    absences = """
worker_id,start_date,end_date,reason
M1,2026-03-02,2026-04-30,Long-term sickness
M2,2026-03-02,2026-03-29,Annual leave
"""
    run = audit(
        tmp_path,
        "lambeth",
        {"workers": workers, "worker_sessions": sessions, "absences": absences},
        D(2026, 4, 30),
    )
    assert rows(run, "LAM-S8") == [
        ("W2", D(2026, 4, 5), D(2026, 4, 10), 5),
        ("W3", D(2026, 4, 5), None, 25),
    ]


# --------------------------------------------------------------------------------------
# Lambeth group supervision, "Frequency of supervision" table, row "Group Supervision (about
# complex / stuck cases)": "3 - 4 weekly (under review)".


def test_lambeth_group_supervision_in_every_month(tmp_path: Path) -> None:
    # Team North's group supervision on 10/1, 5/2 and 20/4/2026. The history starts on 10/1,
    # so the first whole month is February; as of 30/4 April has ended too. February (5/2)
    # and April (20/4) have one; March has none: due 31/3, the gap closed on 20/4: 20 days.
    # A 3-4 weekly rhythm puts at least one session in every calendar month, so a month
    # without one is a breach whatever the reading; amber, because the row is "under review".
    team_events = """
team,kind,date
North,GROUP_SUPERVISION,2026-01-10
North,GROUP_SUPERVISION,2026-02-05
North,GROUP_SUPERVISION,2026-04-20
"""
    run = audit(
        tmp_path,
        "lambeth",
        {"workers": LAM_WORKERS, "team_events": team_events},
        D(2026, 4, 30),
    )
    assert rows(run, "LAM-S11") == [("North", D(2026, 3, 31), D(2026, 4, 20), 20)]
    f = run.result.findings.filter(pl.col("rule") == "LAM-S11")
    assert f["severity"].to_list() == ["amber"]


# --------------------------------------------------------------------------------------
# Dorset DOR-S7 (8.1 a): "The minimum requirement is that each Service Manager audits one
# supervision file per supervisor every 12 months. ... This should be entered on the
# supervisor's electronic supervision file."

DOR_WORKERS = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline
W1,Social Worker,North,M1,2020-01-01,,true
W2,Social Worker,North,M1,2020-01-01,,true
W3,Social Worker,South,M2,2020-01-01,,true
M1,Team Manager,North,S1,2015-01-01,,false
M2,Team Manager,South,S1,2015-01-01,,false
S1,Service Manager,North,,2010-01-01,,false
"""


def test_dorset_file_audit_entered_on_the_supervisors_own_file_counts(tmp_path: Path) -> None:
    # As of 31/10/2026 the 12 months run from 1/11/2025. The worker_events history starts on
    # 1/9/2025 (an observation), before that, so the count can be made.
    # M1's audit is entered on M1's own file on 15/1/2026: in the 12 months, so M1 is met.
    #   (Before: only audits on supervisees' files counted: "304 days overdue" in the issue.)
    # S1 supervises M1 and M2: the audit on M1's file is on a supervisee's file: met.
    # M2: no audit anywhere. The 12 months from the history date (1/9/2025) ended on
    #   31/8/2026 (1/9/2025 + 12 months - 1 day): 31/8 -> 31/10 = 30 + 31 = 61 days.
    events = """
worker_id,kind,date
W1,OBSERVATION,2025-09-01
M1,FILE_AUDIT,2026-01-15
"""
    run = audit(
        tmp_path,
        "dorset",
        {"workers": DOR_WORKERS, "worker_events": events},
        D(2026, 10, 31),
    )
    assert rows(run, "DOR-S7") == [("M2", D(2026, 8, 31), None, 61)]


# --------------------------------------------------------------------------------------
# Dorset DOR-S2 (4.6): "regular reviews – 3, 6 and 9 with the final review 11 months post
# starting the ASYE programme".


def test_dorset_asye_reviews_at_3_6_9_and_11_months(tmp_path: Path) -> None:
    # ASYE programme started 5/1/2026 (asye_start). Reviews due 5/4 (3 months), 5/7 (6),
    # 5/10 (9) and 5/12 (11), each 3 months after the last and the final one 2 months
    # after the 9-month review.
    # W1 reviewed 5/4 and 5/7, then nothing: the 9-month review was due 5/10; at 31/12:
    #   5/10 -> 31/12 = 26 + 30 + 31 = 87 days.
    # W2 reviewed 5/4, 5/7 and 5/10: the final review due 5/12; at 31/12: 26 days.
    # W3 reviewed first on 5/5: 30 days late (5/4 -> 5/5); the next is due 3 months after
    #   it, 5/8 (a late review moves the next one: the reading in the rule's note); none by
    #   31/12: 5/8 -> 31/12 = 26 + 30 + 31 + 30 + 31 = 148 days.
    workers = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline,asye_start
W1,Social Worker,North,M1,2026-01-05,,true,2026-01-05
W2,Social Worker,North,M1,2026-01-05,,true,2026-01-05
W3,Social Worker,North,M1,2026-01-05,,true,2026-01-05
M1,Team Manager,North,S1,2015-01-01,,false,
S1,Service Manager,North,,2010-01-01,,false,
"""
    events = """
worker_id,kind,date
W1,ASYE_REVIEW,2026-04-05
W1,ASYE_REVIEW,2026-07-05
W2,ASYE_REVIEW,2026-04-05
W2,ASYE_REVIEW,2026-07-05
W2,ASYE_REVIEW,2026-10-05
W3,ASYE_REVIEW,2026-05-05
"""
    run = audit(
        tmp_path,
        "dorset",
        {"workers": workers, "worker_events": events},
        D(2026, 12, 31),
        history_from=D(2026, 1, 1),
    )
    assert rows(run, "DOR-S2") == [
        ("W1", D(2026, 10, 5), None, 87),
        ("W2", D(2026, 12, 5), None, 26),
        ("W3", D(2026, 4, 5), D(2026, 5, 5), 30),
        ("W3", D(2026, 8, 5), None, 148),
    ]


# --------------------------------------------------------------------------------------
# Devon DEV-S4 (4.0): "A supervision agreement must be completed at the start of every
# supervisory relationship and reviewed every 12 months". With supervisor_since blank, the
# relationship is taken to start with the later of the worker's and the supervisor's start.


def test_devon_first_agreement_without_supervisor_since(tmp_path: Path) -> None:
    # new_agreement_within defaults to 4 weeks. History from 1/1/2026; as of 30/6/2026.
    # W1 started 1/3/2026: agreement due 1/3 + 28 = 29/3; none: 29/3 -> 30/6 =
    #   2 + 30 + 31 + 30 = 93 days. (Before: the 12-month clock from 1/3, due 1/3/2027.)
    # W2 started 1/3/2026, agreement 20/3: on time.
    # W3 started 2020 under M1 (started 2015): the relationship began before the history,
    #   so its first agreement cannot be checked; the 12-monthly review runs from 1/1/2026
    #   and is due 1/1/2027: nothing yet.
    # W4 started 2020, but their supervisor M2 started on 1/4/2026: the relationship began
    #   then: due 1/4 + 28 = 29/4; none: 29/4 -> 30/6 = 1 + 31 + 30 = 62 days.
    # M2 started 1/4/2026 under S1: due 29/4; agreement on 10/4: on time.
    workers = """
worker_id,role,team,supervisor_id,supervisor_since,start_date,end_date,frontline
W1,Social Worker,North,M1,,2026-03-01,,true
W2,Social Worker,North,M1,,2026-03-01,,true
W3,Social Worker,North,M1,,2020-01-01,,true
W4,Social Worker,South,M2,,2020-01-01,,true
M1,Team Manager,North,S1,,2015-01-01,,false
M2,Team Manager,South,S1,,2026-04-01,,false
S1,Service Manager,North,,,2010-01-01,,false
"""
    events = """
worker_id,kind,date
W2,AGREEMENT,2026-03-20
M2,AGREEMENT,2026-04-10
"""
    run = audit(
        tmp_path,
        "devon",
        {"workers": workers, "worker_events": events},
        D(2026, 6, 30),
        history_from=D(2026, 1, 1),
    )
    assert rows(run, "DEV-S4") == [
        ("W1", D(2026, 3, 29), None, 93),
        ("W4", D(2026, 4, 29), None, 62),
    ]
    said = caveats(run, "DEV-S4")
    assert "supervisor_since" in said and "6 workers" in said


# --------------------------------------------------------------------------------------
# Worcestershire WOR-S2 (6 Agreement): "An example of a Supervision Agreement which should
# be signed and adhered to by both parties is provided in Appendix 2."


def test_worcestershire_signed_supervision_agreement(tmp_path: Path) -> None:
    # agreement_within defaults to 4 weeks; history from 1/1/2026; as of 31/3/2026.
    # W1 started 1/2/2026, agreement 20/2: on time (due 1/2 + 28 = 1/3).
    # W2 started 1/2/2026, none: due 1/3; 1/3 -> 31/3 = 30 days.
    # W3 started 2020 (before the history): whether it was signed then cannot be seen.
    # W4 started 2020 with a new supervisor from 1/3/2026: due 1/3 + 28 = 29/3; 2 days.
    workers = """
worker_id,role,team,supervisor_id,supervisor_since,start_date,end_date,frontline
W1,Social Worker,North,M1,,2026-02-01,,true
W2,Social Worker,North,M1,,2026-02-01,,true
W3,Social Worker,North,M1,,2020-01-01,,true
W4,Social Worker,North,M1,2026-03-01,2020-01-01,,true
M1,Team Manager,North,,,2015-01-01,,false
"""
    events = """
worker_id,kind,date
W1,AGREEMENT,2026-02-20
"""
    run = audit(
        tmp_path,
        "worcestershire",
        {"workers": workers, "worker_events": events},
        D(2026, 3, 31),
        history_from=D(2026, 1, 1),
        params={"personal_interval": "4w"},
    )
    assert rows(run, "WOR-S2") == [
        ("W2", D(2026, 3, 1), None, 30),
        ("W4", D(2026, 3, 29), None, 2),
    ]


# --------------------------------------------------------------------------------------
# Lambeth, "Newly qualified social workers": "each ASYE cohort has a programme which
# includes monthly facilitated group learning and reflection" (was LAM-N16).


def test_lambeth_asye_cohort_group_learning_every_month(tmp_path: Path) -> None:
    # W1 is in the ASYE year from 5/1/2026. The cohort's sessions (team_events kind
    # ASYE_GROUP_LEARNING, whatever the cohort's name) on 15/1, 12/2 and 20/4/2026; the
    # history starts on 15/1, so the first whole month is February; as of 30/4 April has
    # ended. March has none: due 31/3, the gap closed on 20/4: 20 days.
    workers = """
worker_id,role,team,supervisor_id,start_date,end_date,frontline,asye_start
W1,Social Worker,North,M1,2026-01-05,,true,2026-01-05
M1,Team Manager,North,,2015-01-01,,false,
"""
    team_events = """
team,kind,date
ASYE cohort 2026,ASYE_GROUP_LEARNING,2026-01-15
ASYE cohort 2026,ASYE_GROUP_LEARNING,2026-02-12
ASYE cohort 2026,ASYE_GROUP_LEARNING,2026-04-20
"""
    run = audit(
        tmp_path, "lambeth", {"workers": workers, "team_events": team_events}, D(2026, 4, 30)
    )
    assert rows(run, "LAM-S12") == [("ASYE programme", D(2026, 3, 31), D(2026, 4, 20), 20)]
