"""The shipped rulesets' case rules on tiny canonical tables, through the real audit.

Each scenario quotes the policy words it tests and computes its dates by hand, in the
comments, from those words: Dorset "every 8 weeks" = 56 days, "every four weeks" = 28 days;
Devon "Monthly" = one calendar month, "Bi monthly" = two, "Quarterly" = three; Lambeth
"4 weekly" = 28 days with the 3a "minimum every 8 weeks" (56 days) as the limit, "4-6 weeks"
= 28 days target and 42 days limit; Portsmouth "every two months" and "annual".

The engine's clock (docs/engine.md): the first supervision is due one interval after the
episode opens, the next one interval after each counting event; a supervision on its due date
is on time; days overdue run from the due date to the supervision, the closure, or as_of;
red when past the limit (with no limit, the limit is the due date, so any lateness is red).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from supervision_audit.audit import AuditRun
from tests.scenarios import assert_evaluated, findings_of, write_children
from tests.scenarios import run as run_audit

D = dt.date.fromisoformat


def audit(
    tmp_path: Path,
    ruleset: str,
    episodes: list[tuple],
    events: list[tuple],
    *,
    as_of: str,
    history_from: str,
    params: dict[str, str] | None = None,
) -> AuditRun:
    """Write episodes.csv and case_events.csv and run one children's audit.

    episodes: (person_id, category, start, end or None, flags ';'-separated or "")
    events:   (person_id, date, kind)
    """
    data = write_children(tmp_path / ruleset, episodes, events)
    return run_audit(
        data,
        ruleset,
        D(as_of),
        history_from=D(history_from),
        scope="children",
        params=params or {},
    )


def found(run: AuditRun, rule: str, subject: str | None = None) -> list[tuple[Any, ...]]:
    """(subject, due, limit, met, days, severity, requirement) of one rule's findings.

    The rule must have been evaluated: an empty list then really means "no breach"."""
    assert_evaluated(run, rule)
    columns = ("subject_id", "due_date", "limit_date", "met_date", "days_overdue", "severity")
    return findings_of(run.result.findings, rule, (*columns, "requirement"), subject=subject)


# --------------------------------------------------------------------------------------
# Dorset, DOR-C1: "a supervision episode should be recorded on mosaic in respect of each
# child at a minimum of every 8 weeks. For children who are subject to a Child Protection
# Plan or in Proceedings, and for care leavers in emergency or unsuitable accommodation
# (including custody), case supervision should take place every four weeks." (4.3)

DOR_8W = "Each child: every 8 weeks"
DOR_CP = "Child Protection Plan: every 4 weeks"
DOR_PROC = "In proceedings: every 4 weeks"
DOR_UA = "Care leaver in emergency or unsuitable accommodation: every 4 weeks"


def test_dorset_every_child_every_8_weeks(tmp_path: Path) -> None:
    run = audit(
        tmp_path,
        "dorset",
        [("A", "CIN", "2024-01-01", None, "")],
        # 1 Jan + 56 days = 26 Feb: 20 Feb is on time. 20 Feb + 56 = 16 Apr: 26 Apr is
        # 10 days late. 26 Apr + 56 = 21 Jun, after as_of.
        [("A", "2024-02-20", "CASE_SUPERVISION"), ("A", "2024-04-26", "CASE_SUPERVISION")],
        as_of="2024-05-31",
        history_from="2024-01-01",
    )
    assert found(run, "DOR-C1") == [
        ("A", D("2024-04-16"), D("2024-04-16"), D("2024-04-26"), 10, "red", DOR_8W),
    ]


def test_dorset_child_protection_plan_every_4_weeks(tmp_path: Path) -> None:
    run = audit(
        tmp_path,
        "dorset",
        [("B", "CP", "2024-01-01", None, "")],
        # 1 Jan + 28 = 29 Jan: met that day. 29 Jan + 28 = 26 Feb: 4 Mar is 7 days late
        # (2024 is a leap year). 4 Mar + 28 = 1 Apr, after as_of.
        [("B", "2024-01-29", "CASE_SUPERVISION"), ("B", "2024-03-04", "CASE_SUPERVISION")],
        as_of="2024-03-20",
        history_from="2024-01-01",
    )
    assert found(run, "DOR-C1") == [
        ("B", D("2024-02-26"), D("2024-02-26"), D("2024-03-04"), 7, "red", DOR_CP),
    ]


def test_dorset_proceedings_makes_any_child_4_weekly(tmp_path: Path) -> None:
    # Two looked after children with the same supervision dates; only C is in proceedings.
    run = audit(
        tmp_path,
        "dorset",
        [("C", "CLA", "2024-01-01", None, "PROCEEDINGS"), ("C2", "CLA", "2024-01-01", None, "")],
        # C: due 1 Jan + 28 = 29 Jan; met 12 Feb, 14 days late; next due 11 Mar.
        # C2: due 1 Jan + 56 = 26 Feb; 12 Feb is on time.
        [("C", "2024-02-12", "CASE_SUPERVISION"), ("C2", "2024-02-12", "CASE_SUPERVISION")],
        as_of="2024-02-20",
        history_from="2024-01-01",
    )
    assert found(run, "DOR-C1") == [
        ("C", D("2024-01-29"), D("2024-01-29"), D("2024-02-12"), 14, "red", DOR_PROC),
    ]


def test_dorset_proceedings_starting_mid_cycle_tightens_the_due_date(tmp_path: Path) -> None:
    # Supervised 10 Jan: due 10 Jan + 56 = 6 Mar. Proceedings from 1 Feb (4 weeks): the due
    # date becomes max(10 Jan + 28, min(6 Mar, 1 Feb + 28)) = max(7 Feb, 29 Feb) = 29 Feb.
    # Nothing by as_of 10 Mar: 10 days overdue, under the proceedings requirement.
    run = audit(
        tmp_path,
        "dorset",
        [
            ("H", "CIN", "2024-01-01", "2024-01-31", ""),
            ("H", "CIN", "2024-02-01", None, "PROCEEDINGS"),
            ("X", "CIN", "2024-01-01", None, ""),
        ],
        [("H", "2024-01-10", "CASE_SUPERVISION"), ("X", "2024-02-01", "CASE_SUPERVISION")],
        as_of="2024-03-10",
        history_from="2024-01-01",
    )
    assert found(run, "DOR-C1", "H") == [
        ("H", D("2024-02-29"), D("2024-02-29"), None, 10, "red", DOR_PROC),
    ]


def test_dorset_care_leaver_in_unsuitable_accommodation_every_4_weeks(tmp_path: Path) -> None:
    run = audit(
        tmp_path,
        "dorset",
        [
            ("D", "CARE_LEAVER", "2024-03-01", None, "UNSUITABLE_ACCOMMODATION"),
            ("D2", "CARE_LEAVER", "2024-03-01", None, ""),
            ("X", "CIN", "2024-03-01", None, ""),
        ],
        # D: due 1 Mar + 28 = 29 Mar; nothing by 10 Apr: 12 days overdue.
        # D2: due 1 Mar + 56 = 26 Apr, after as_of.
        [("X", "2024-03-15", "CASE_SUPERVISION")],
        as_of="2024-04-10",
        history_from="2024-03-01",
    )
    assert found(run, "DOR-C1") == [
        ("D", D("2024-03-29"), D("2024-03-29"), None, 12, "red", DOR_UA),
    ]


def test_dorset_counts_group_supervision_on_the_childs_file(tmp_path: Path) -> None:
    # "monthly uninterrupted structured one to one supervisory discussions or participation
    # in group supervision sessions" (4.2); group discussions "added to the child's record"
    # (5.4). Due 1 Jan + 56 = 26 Feb; the group discussion on 20 Feb meets it; next due
    # 16 Apr, after as_of.
    run = audit(
        tmp_path,
        "dorset",
        [("E", "CIN", "2024-01-01", None, "")],
        [("E", "2024-02-20", "GROUP_SUPERVISION")],
        as_of="2024-04-10",
        history_from="2024-01-01",
    )
    assert found(run, "DOR-C1") == []


def test_dorset_management_discussion_notes_never_count(tmp_path: Path) -> None:
    # "Informal or ad hoc Case discussions ... recorded on mosaic Case Note Type: Management
    # Discussion or Management Decision" (4.7) are not supervision episodes. F is on a CP
    # plan: due 1 Jan + 28 = 29 Jan; two management notes do not meet it; 12 days overdue at
    # 10 Feb. (X has a supervision so that the rule is evaluated at all.)
    run = audit(
        tmp_path,
        "dorset",
        [("F", "CP", "2024-01-01", None, ""), ("X", "CIN", "2024-01-01", None, "")],
        [
            ("F", "2024-01-20", "MANAGEMENT_OVERSIGHT"),
            ("F", "2024-01-27", "MANAGEMENT_OVERSIGHT"),
            ("X", "2024-01-15", "CASE_SUPERVISION"),
        ],
        as_of="2024-02-10",
        history_from="2024-01-01",
    )
    assert found(run, "DOR-C1") == [
        ("F", D("2024-01-29"), D("2024-01-29"), None, 12, "red", DOR_CP),
    ]


def test_dorset_does_not_cover_foster_carers(tmp_path: Path) -> None:
    # "each child": a foster carer household is not a child, so no DOR-C1 finding even with
    # no supervision in a year.
    run = audit(
        tmp_path,
        "dorset",
        [("G", "FOSTER_CARER", "2023-01-01", None, ""), ("X", "CIN", "2023-12-01", None, "")],
        [("X", "2024-01-05", "CASE_SUPERVISION")],
        as_of="2024-01-10",
        history_from="2023-01-01",
    )
    assert found(run, "DOR-C1", "G") == []


# --------------------------------------------------------------------------------------
# Devon, DEV-C1: the 5.1 table, "every child open to Children’s Social Care or Early Help
# teams should be discussed at the following minimum frequencies".


def test_devon_child_in_need_bi_monthly_and_high_risk_monthly(tmp_path: Path) -> None:
    # "Child in need (CIN) Bi monthly (high risk/concern monthly)".
    run = audit(
        tmp_path,
        "devon",
        [("A", "CIN", "2024-01-15", None, ""), ("B", "CIN", "2024-01-15", None, "HIGH_RISK")],
        # A: due 15 Jan + 2 months = 15 Mar; 1 Mar on time; next due 1 May.
        # B: due 15 Jan + 1 month = 15 Feb; 1 Mar is 15 days late; next due 1 Apr,
        #    nothing by 20 Apr: 19 days overdue.
        [("A", "2024-03-01", "CASE_SUPERVISION"), ("B", "2024-03-01", "CASE_SUPERVISION")],
        as_of="2024-04-20",
        history_from="2024-01-15",
    )
    label = "Child in need, high risk/concern: monthly"
    assert found(run, "DEV-C1") == [
        ("B", D("2024-02-15"), D("2024-02-15"), D("2024-03-01"), 15, "red", label),
        ("B", D("2024-04-01"), D("2024-04-01"), None, 19, "red", label),
    ]


def test_devon_foster_carer_instability_monthly(tmp_path: Path) -> None:
    # "Foster carers Bi monthly (Instability or concerns for quality of care monthly)".
    run = audit(
        tmp_path,
        "devon",
        [
            ("C", "FOSTER_CARER", "2024-01-10", None, ""),
            ("D", "FOSTER_CARER", "2024-01-10", None, "INSTABILITY"),
        ],
        # C: due 10 Jan + 2 months = 10 Mar; 5 Mar on time.
        # D: due 10 Jan + 1 month = 10 Feb; 5 Mar is 24 days late; next due 5 Apr.
        [("C", "2024-03-05", "CASE_SUPERVISION"), ("D", "2024-03-05", "CASE_SUPERVISION")],
        as_of="2024-03-20",
        history_from="2024-01-10",
    )
    rows = found(run, "DEV-C1")
    assert rows == [
        (
            "D",
            D("2024-02-10"),
            D("2024-02-10"),
            D("2024-03-05"),
            24,
            "red",
            "Foster carer, instability or concerns for quality of care: monthly",
        )
    ]
    assert run.result.findings["subject_type"].to_list() == ["carer"]


def test_devon_high_risk_changes_nothing_where_the_table_has_no_modifier(tmp_path: Path) -> None:
    # "Family Early Help (FEH) Bi monthly": no high-risk modifier. Due 1 Jan + 2 months =
    # 1 Mar; 20 Feb on time, even flagged HIGH_RISK.
    run = audit(
        tmp_path,
        "devon",
        [("G", "EARLY_HELP", "2024-01-01", None, "HIGH_RISK")],
        [("G", "2024-02-20", "CASE_SUPERVISION")],
        as_of="2024-04-10",
        history_from="2024-01-01",
    )
    assert found(run, "DEV-C1") == []


def test_devon_care_leaver_quarterly_clamped_to_month_end(tmp_path: Path) -> None:
    # "Care leavers Quarterly": 31 Jan + 3 months = 30 Apr (April has 30 days); nothing by
    # 5 May: 5 days overdue.
    run = audit(
        tmp_path,
        "devon",
        [("H", "CARE_LEAVER", "2024-01-31", None, ""), ("X", "CIN", "2024-01-31", None, "")],
        [("X", "2024-03-15", "CASE_SUPERVISION")],
        as_of="2024-05-05",
        history_from="2024-01-31",
    )
    assert found(run, "DEV-C1", "H") == [
        ("H", D("2024-04-30"), D("2024-04-30"), None, 5, "red", "Care leaver: quarterly"),
    ]


def test_devon_group_supervision_does_not_count(tmp_path: Path) -> None:
    # "Group Supervision cannot replace 1:1 child specific supervision" (7). Due 1 Jan +
    # 2 months = 1 Mar; the group discussion on 20 Feb does not count: 40 days overdue at
    # 10 Apr. (X has a 1:1 supervision so that the rule is evaluated.)
    run = audit(
        tmp_path,
        "devon",
        [("E", "CIN", "2024-01-01", None, ""), ("X", "CIN", "2024-01-01", None, "")],
        [("E", "2024-02-20", "GROUP_SUPERVISION"), ("X", "2024-02-20", "CASE_SUPERVISION")],
        as_of="2024-04-10",
        history_from="2024-01-01",
    )
    assert found(run, "DEV-C1") == [
        ("E", D("2024-03-01"), D("2024-03-01"), None, 40, "red", "Child in need: bi monthly"),
    ]


def test_devon_managers_case_note_does_not_count(tmp_path: Path) -> None:
    # A "Manager’s Case note" "should NOT replace a planned and structured supervision
    # session" (6). "Child protection (CP) Monthly": due 1 Jan + 1 month = 1 Feb; 9 days
    # overdue at 10 Feb.
    run = audit(
        tmp_path,
        "devon",
        [("F", "CP", "2024-01-01", None, ""), ("X", "CIN", "2024-01-01", None, "")],
        [("F", "2024-01-20", "MANAGEMENT_OVERSIGHT"), ("X", "2024-01-20", "CASE_SUPERVISION")],
        as_of="2024-02-10",
        history_from="2024-01-01",
    )
    assert found(run, "DEV-C1") == [
        ("F", D("2024-02-01"), D("2024-02-01"), None, 9, "red", "Child protection: monthly"),
    ]


def test_dorset_and_devon_differ_on_the_same_data(tmp_path: Path) -> None:
    episodes = [("P1", "CIN", "2024-01-01", None, ""), ("P2", "CP", "2024-01-01", None, "")]
    events = [
        ("P1", "2024-02-20", "GROUP_SUPERVISION"),
        ("P2", "2024-02-01", "CASE_SUPERVISION"),
        ("P2", "2024-03-01", "CASE_SUPERVISION"),
    ]
    dorset = audit(
        tmp_path, "dorset", episodes, events, as_of="2024-04-10", history_from="2024-01-01"
    )
    devon = audit(
        tmp_path, "devon", episodes, events, as_of="2024-04-10", history_from="2024-01-01"
    )
    # Dorset: P1's group discussion counts (due 26 Feb, met 20 Feb; next due 16 Apr).
    # P2 is 4 weekly: due 29 Jan, met 1 Feb (3 late); due 29 Feb, met 1 Mar (1 late);
    # due 1 Mar + 28 = 29 Mar, nothing by 10 Apr (12 overdue).
    assert found(dorset, "DOR-C1") == [
        ("P2", D("2024-01-29"), D("2024-01-29"), D("2024-02-01"), 3, "red", DOR_CP),
        ("P2", D("2024-02-29"), D("2024-02-29"), D("2024-03-01"), 1, "red", DOR_CP),
        ("P2", D("2024-03-29"), D("2024-03-29"), None, 12, "red", DOR_CP),
    ]
    # Devon: P1's group discussion does not count (due 1 Mar: 40 overdue). P2 is monthly:
    # due 1 Feb met 1 Feb, due 1 Mar met 1 Mar, due 1 Apr: 9 overdue.
    assert found(devon, "DEV-C1") == [
        ("P1", D("2024-03-01"), D("2024-03-01"), None, 40, "red", "Child in need: bi monthly"),
        ("P2", D("2024-04-01"), D("2024-04-01"), None, 9, "red", "Child protection: monthly"),
    ]


# --------------------------------------------------------------------------------------
# Lambeth: 3a "A child should be reviewed as a minimum every 8 weeks ... Generally, all
# cases will be discussed every 4 weeks (with the exception of Care Leavers)", and the
# "Frequency of supervision" table.


def test_lambeth_general_and_table_rows(tmp_path: Path) -> None:
    episodes = [
        ("A", "CP", "2024-01-10", None, ""),  # CP row: 4 weekly, limit 8 weeks
        ("B", "YOS", "2024-02-01", None, ""),  # 3a: 4 weeks, at least 8 weeks
        ("C", "EARLY_HELP", "2024-02-01", None, ""),  # "Every 4-6 weeks"
        ("F", "CWD_REVIEW", "2024-01-15", None, ""),  # "At least every 3 months"
        ("G", "CARE_LEAVER", "2024-02-01", None, ""),  # "8 weekly"
        ("H", "FOSTER_CARER", "2024-01-05", None, ""),  # "4 weekly"
        ("J", "IRO", "2024-02-01", None, ""),  # "4 - 6 weekly"
        ("K", "CLA", "2024-01-10", None, ""),  # CLA row, met by group supervision
    ]
    events = [
        # A: due 10 Jan + 28 = 7 Feb, limit + 56 = 6 Mar; met 14 Feb: 7 late, amber. Next due
        #    14 Feb + 28 = 13 Mar, limit 10 Apr; nothing by 15 Apr: 33 overdue, red.
        ("A", "2024-01-10", "CASE_SUPERVISION"),
        ("A", "2024-02-14", "CASE_SUPERVISION"),
        # B: due 29 Feb, limit 28 Mar; met 4 Apr: 35 late, red. Next due 2 May.
        ("B", "2024-02-01", "CASE_SUPERVISION"),
        ("B", "2024-04-04", "CASE_SUPERVISION"),
        # C: due 29 Feb, limit 14 Mar; met 8 Mar: 8 late, amber. Next due 5 Apr, limit
        #    19 Apr; met 12 Apr: 7 late, amber.
        ("C", "2024-02-01", "CASE_SUPERVISION"),
        ("C", "2024-03-08", "CASE_SUPERVISION"),
        ("C", "2024-04-12", "CASE_SUPERVISION"),
        # F: due 15 Jan + 3 months = 15 Apr; nothing by 15 Apr: on the due date, not late.
        ("F", "2024-01-15", "CASE_SUPERVISION"),
        # G: due 1 Feb + 56 = 28 Mar; met 5 Apr: 8 late.
        ("G", "2024-02-01", "CASE_SUPERVISION"),
        ("G", "2024-04-05", "CASE_SUPERVISION"),
        # H: due 5 Jan + 28 = 2 Feb; met 16 Feb: 14 late. Next due 15 Mar; met 15 Mar. Next
        #    due 12 Apr; nothing by 15 Apr: 3 overdue.
        ("H", "2024-01-05", "CASE_SUPERVISION"),
        ("H", "2024-02-16", "CASE_SUPERVISION"),
        ("H", "2024-03-15", "CASE_SUPERVISION"),
        # J: due 29 Feb, limit 14 Mar; met 8 Mar: 8 late, amber. Next due 5 Apr, limit
        #    19 Apr; nothing by 15 Apr: 10 overdue, amber.
        ("J", "2024-02-01", "CASE_SUPERVISION"),
        ("J", "2024-03-08", "CASE_SUPERVISION"),
        # K: reflective group supervision "is equal and equivalent to individual case
        #    management supervision" (3c): due 7 Feb met 5 Feb by a group discussion; next
        #    due 4 Mar, met 1 Mar; next due 29 Mar, met 28 Mar; next due 25 Apr.
        ("K", "2024-02-05", "GROUP_SUPERVISION"),
        ("K", "2024-03-01", "CASE_SUPERVISION"),
        ("K", "2024-03-28", "GROUP_SUPERVISION"),
    ]
    run = audit(
        tmp_path, "lambeth", episodes, events, as_of="2024-04-15", history_from="2024-01-01"
    )
    cin = "Child in need of protection: 4 weekly (at least every 8 weeks)"
    assert found(run, "LAM-C1", "A") == [
        ("A", D("2024-02-07"), D("2024-03-06"), D("2024-02-14"), 7, "amber", cin),
        ("A", D("2024-03-13"), D("2024-04-10"), None, 33, "red", cin),
    ]
    assert found(run, "LAM-C1", "B") == [
        (
            "B",
            D("2024-02-29"),
            D("2024-03-28"),
            D("2024-04-04"),
            35,
            "red",
            "Every child: every 4 weeks (at least every 8 weeks)",
        ),
    ]
    assert found(run, "LAM-C1", "C") == [
        (
            "C",
            D("2024-02-29"),
            D("2024-03-14"),
            D("2024-03-08"),
            8,
            "amber",
            "Early help: every 4-6 weeks",
        ),
        (
            "C",
            D("2024-04-05"),
            D("2024-04-19"),
            D("2024-04-12"),
            7,
            "amber",
            "Early help: every 4-6 weeks",
        ),
    ]
    assert found(run, "LAM-C1", "F") == []
    assert found(run, "LAM-C1", "G") == [
        ("G", D("2024-03-28"), D("2024-03-28"), D("2024-04-05"), 8, "red", "Care leaver: 8 weekly"),
    ]
    carer = "Foster carer: 4 weekly"
    assert found(run, "LAM-C1", "H") == [
        ("H", D("2024-02-02"), D("2024-02-02"), D("2024-02-16"), 14, "red", carer),
        ("H", D("2024-04-12"), D("2024-04-12"), None, 3, "red", carer),
    ]
    assert found(run, "LAM-C1", "J") == [
        (
            "J",
            D("2024-02-29"),
            D("2024-03-14"),
            D("2024-03-08"),
            8,
            "amber",
            "IRO / CPC case: every 4-6 weeks",
        ),
        (
            "J",
            D("2024-04-05"),
            D("2024-04-19"),
            None,
            10,
            "amber",
            "IRO / CPC case: every 4-6 weeks",
        ),
    ]
    # One clock per child (every table row is a requirement of LAM-C1): no gap is reported
    # twice.
    per_subject = run.result.findings.group_by("subject_id").agg(pl.col("rule").unique())
    assert all(rules == ["LAM-C1"] for rules in per_subject["rule"].to_list())
    assert found(run, "LAM-C1", "K") == []


def test_lambeth_cwd_review_every_3_months(tmp_path: Path) -> None:
    # "At least every 3 months (four times a year)": 15 Jan + 3 months = 15 Apr; met 2 May:
    # 17 days late.
    run = audit(
        tmp_path,
        "lambeth",
        [("F", "CWD_REVIEW", "2024-01-15", None, "")],
        [("F", "2024-01-15", "CASE_SUPERVISION"), ("F", "2024-05-02", "CASE_SUPERVISION")],
        as_of="2024-05-10",
        history_from="2024-01-01",
    )
    assert found(run, "LAM-C1") == [
        (
            "F",
            D("2024-04-15"),
            D("2024-04-15"),
            D("2024-05-02"),
            17,
            "red",
            "Children with disabilities on annual review: every 3 months",
        ),
    ]


def test_lambeth_assessment_monthly_and_10_day_review(tmp_path: Path) -> None:
    # CAT: "supervision should take place monthly" and "A 10 day review (recorded as
    # Management Oversight) will be undertaken".
    run = audit(
        tmp_path,
        "lambeth",
        [
            ("D", "ASSESSMENT", "2024-03-04", None, ""),
            ("E", "ASSESSMENT", "2024-03-01", "2024-03-20", ""),
            ("X", "CIN", "2024-03-01", None, ""),
        ],
        [
            ("D", "2024-03-18", "MANAGEMENT_OVERSIGHT"),
            ("D", "2024-04-08", "MANAGEMENT_OVERSIGHT"),
            ("X", "2024-03-20", "CASE_SUPERVISION"),
        ],
        as_of="2024-04-15",
        history_from="2024-03-01",
    )
    # LAM-C1 (the CAT row), D: first supervision due 4 Mar + 1 month = 4 Apr; management
    # oversight does not count: 11 days overdue at 15 Apr. E closed on 20 Mar, before its
    # due date (1 Apr): nothing owed under the monthly interval; X (CIN) was supervised on
    # 20 Mar, within 28 days of opening.
    assert found(run, "LAM-C1") == [
        ("D", D("2024-04-04"), D("2024-04-04"), None, 11, "red", "Assessment (CAT): monthly"),
    ]
    # LAM-C12, "all cases must have at least 1 supervision on the record before case
    # transfer": E left assessment on 20 Mar with none since it opened on 1 Mar (the
    # history date, so it is seen whole): breached at the transfer, 0 days, closed.
    assert found(run, "LAM-C12") == [
        (
            "E",
            D("2024-03-20"),
            D("2024-03-20"),
            None,
            0,
            "red",
            "Assessment (CAT): at least 1 supervision on record before transfer",
        ),
    ]
    # LAM-C4, D: due 4 Mar + 10 days = 14 Mar; the oversight on 18 Mar is 4 days late; one
    # review only (repeat: false), so nothing more is owed. E: due 11 Mar, closed 20 Mar
    # without one: 9 days overdue at closure.
    assert found(run, "LAM-C4") == [
        (
            "D",
            D("2024-03-14"),
            D("2024-03-14"),
            D("2024-03-18"),
            4,
            "red",
            "Assessment (CAT): 10 day review",
        ),
        ("E", D("2024-03-11"), D("2024-03-11"), None, 9, "red", "Assessment (CAT): 10 day review"),
    ]


def test_lambeth_cat_review_parameter_reads_working_days(tmp_path: Path) -> None:
    # --param cat_review_within=14d (10 working days): due 4 Mar + 14 = 18 Mar, met that day.
    run = audit(
        tmp_path,
        "lambeth",
        [("D", "ASSESSMENT", "2024-03-04", None, "")],
        [("D", "2024-03-18", "MANAGEMENT_OVERSIGHT"), ("D", "2024-03-20", "CASE_SUPERVISION")],
        as_of="2024-03-31",
        history_from="2024-03-01",
        params={"cat_review_within": "14d"},
    )
    assert found(run, "LAM-C4") == []


def test_lambeth_management_oversight_does_not_replace_supervision(tmp_path: Path) -> None:
    # "This does not replace the regular supervision session" (Case Management Oversight).
    # A child looked after: due 1 Jan + 28 = 29 Jan, limit 26 Feb; oversight on 20 Jan and
    # 10 Feb does not count: 32 days overdue at 1 Mar, red.
    run = audit(
        tmp_path,
        "lambeth",
        [("L", "CLA", "2024-01-01", None, ""), ("X", "CIN", "2024-01-01", None, "")],
        [
            ("L", "2024-01-20", "MANAGEMENT_OVERSIGHT"),
            ("L", "2024-02-10", "MANAGEMENT_OVERSIGHT"),
            ("X", "2024-01-20", "CASE_SUPERVISION"),
            ("X", "2024-02-15", "CASE_SUPERVISION"),
        ],
        as_of="2024-03-01",
        history_from="2024-01-01",
    )
    assert found(run, "LAM-C1", "L") == [
        (
            "L",
            D("2024-01-29"),
            D("2024-02-26"),
            None,
            32,
            "red",
            "Child looked after: 4 weekly (at least every 8 weeks)",
        ),
    ]


def test_lambeth_foster_carer_with_no_children_placed_every_2_months(tmp_path: Path) -> None:
    # "4 weekly with the exception of where there are no children placed. In these
    # circumstances every 2 months." I has no children placed: due 5 Jan + 2 months = 5 Mar;
    # 16 Feb is on time, so the policy finds nothing. H has children placed: due 2 Feb, met
    # 16 Feb, 14 days late.
    run = audit(
        tmp_path,
        "lambeth",
        [
            ("H", "FOSTER_CARER", "2024-01-05", None, ""),
            ("I", "FOSTER_CARER", "2024-01-05", None, "NO_CHILDREN_PLACED"),
        ],
        [
            ("H", "2024-01-05", "CASE_SUPERVISION"),
            ("H", "2024-02-16", "CASE_SUPERVISION"),
            ("I", "2024-01-05", "CASE_SUPERVISION"),
            ("I", "2024-02-16", "CASE_SUPERVISION"),
        ],
        as_of="2024-02-20",
        history_from="2024-01-01",
    )
    assert [r[0] for r in found(run, "LAM-C1")] == ["H"]


def test_lambeth_placement_change_is_a_requirement_change(tmp_path: Path) -> None:
    # A carer with children placed (4 weekly) supervised 5 Jan: due 2 Feb. From 20 Jan no
    # children are placed (every 2 months, loosening, D >= c):
    # D = max(5 Jan + 2 months = 5 Mar, min(2 Feb, 20 Jan + 2 months = 20 Mar)) = 5 Mar.
    # Supervision on 1 Mar is on time.
    run = audit(
        tmp_path,
        "lambeth",
        [
            ("J", "FOSTER_CARER", "2024-01-05", "2024-01-19", ""),
            ("J", "FOSTER_CARER", "2024-01-20", None, "NO_CHILDREN_PLACED"),
        ],
        [("J", "2024-01-05", "CASE_SUPERVISION"), ("J", "2024-03-01", "CASE_SUPERVISION")],
        as_of="2024-03-10",
        history_from="2024-01-01",
    )
    assert found(run, "LAM-C1") == []


# --------------------------------------------------------------------------------------
# Portsmouth: "Review of case work, ensuring each open case is reviewed at least every two
# months" and "every case file is subject to a minimum annual review by the supervisor and
# audited using the agreed tool" (4 Mandatory Procedures).


def test_portsmouth_each_open_case_every_two_months(tmp_path: Path) -> None:
    run = audit(
        tmp_path,
        "portsmouth",
        [("A", "CIN", "2024-01-31", None, ""), ("B", "FOSTER_CARER", "2024-01-01", None, "")],
        # A: 31 Jan + 2 months = 31 Mar; met 17 Apr: 17 days late.
        # B (an open case too): due 1 Jan + 2 months = 1 Mar; nothing by 17 Apr: 47.
        [("A", "2024-01-31", "CASE_SUPERVISION"), ("A", "2024-04-17", "CASE_SUPERVISION")],
        as_of="2024-04-17",
        history_from="2024-01-01",
    )
    label = "Each open case: at least every two months"
    assert found(run, "POR-C1") == [
        ("A", D("2024-03-31"), D("2024-03-31"), D("2024-04-17"), 17, "red", label),
        ("B", D("2024-03-01"), D("2024-03-01"), None, 47, "red", label),
    ]


def test_portsmouth_group_counts_but_file_audit_does_not_for_case_review(tmp_path: Path) -> None:
    # Supervision "can also include group supervision" (1). C: due 1 Feb + 2 months = 1 Apr,
    # met 25 Mar by a group discussion. D: a file audit is not a case review: due 1 Apr,
    # 9 days overdue at 10 Apr.
    run = audit(
        tmp_path,
        "portsmouth",
        [("C", "CLA", "2024-02-01", None, ""), ("D", "CLA", "2024-02-01", None, "")],
        [("C", "2024-03-25", "GROUP_SUPERVISION"), ("D", "2024-03-25", "FILE_AUDIT")],
        as_of="2024-04-10",
        history_from="2024-02-01",
    )
    assert found(run, "POR-C1") == [
        (
            "D",
            D("2024-04-01"),
            D("2024-04-01"),
            None,
            9,
            "red",
            "Each open case: at least every two months",
        ),
    ]


def test_portsmouth_annual_file_audit(tmp_path: Path) -> None:
    run = audit(
        tmp_path,
        "portsmouth",
        [("E", "CLA", "2023-06-01", None, ""), ("F", "CLA", "2023-06-01", None, "")],
        # E: audited 1 Jun 2023 (the day it opened): next due 1 Jun 2024; audited
        #    20 Jun 2024: 19 days late. F: never audited; due 1 Jun 2024; 29 days
        #    overdue at 30 Jun 2024. Case supervision does not count for POR-C2.
        [
            ("E", "2023-06-01", "FILE_AUDIT"),
            ("E", "2024-06-20", "FILE_AUDIT"),
            ("F", "2024-05-01", "CASE_SUPERVISION"),
        ],
        as_of="2024-06-30",
        history_from="2023-06-01",
    )
    label = "Every case file: audited at least annually"
    assert found(run, "POR-C2") == [
        ("E", D("2024-06-01"), D("2024-06-01"), D("2024-06-20"), 19, "red", label),
        ("F", D("2024-06-01"), D("2024-06-01"), None, 29, "red", label),
    ]
    messages = run.result.findings.filter(run.result.findings["rule"] == "POR-C2")[
        "message"
    ].to_list()
    assert all("file audit due" in m for m in messages)
