"""Staff interval rules on the shared clock: ASYE phases, roles, absences, supervisor change.

Frames are built directly (typed, as the loader returns them) so these tests exercise the
rule kind and the engine, not file reading.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from supervision_audit.context import EvalContext
from supervision_audit.rules.loading import load_ruleset
from supervision_audit.rules.registry import RULE_KINDS

D = dt.date
RULESET = """
schema_version: 1
name: staffcheck
authority: Test Council
document: {title: Supervision Policy, date: March 2023, file: 000_0e0841cec2a69b30.txt}
version: "1"
rules:
  - id: TST-S1
    kind: interval
    scope: staff
    title: Professional supervision
    section: "3"
    quote: "every 4 weeks"
    counts: [SESSION]
    absence_grace: 7d
    requirements:
      - {label: "All staff: every 4 weeks", every: 28d}
      - {label: "ASYE weeks 1-6: weekly", every: 1w, when: {phase: {from: asye_start, until: 6w}}}
      - {label: "ASYE to 6 months: fortnightly", every: 14d,
         when: {phase: {from: asye_start, after: 6w, until: 6m}}}
  - id: TST-S2
    kind: interval
    scope: staff
    title: Supervision agreement
    section: "5"
    quote: "agreement"
    counts: [AGREEMENT]
    event_noun: agreement
    restart_on_supervisor_change: 28d
    requirements:
      - {label: "Agreement: every 6 months", every: 6m}
"""


def workers(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [
            dict(
                zip(
                    (
                        "worker_id",
                        "role",
                        "team",
                        "supervisor_id",
                        "supervisor_since",
                        "start_date",
                        "end_date",
                        "asye_start",
                        "frontline",
                    ),
                    r,
                    strict=True,
                )
            )
            for r in rows
        ],
        schema={
            "worker_id": pl.String,
            "role": pl.String,
            "team": pl.String,
            "supervisor_id": pl.String,
            "supervisor_since": pl.Date,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "asye_start": pl.Date,
            "frontline": pl.Boolean,
        },
    )


def sessions(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        [{"worker_id": w, "date": d, "status": s} for w, d, s in rows],
        schema={"worker_id": pl.String, "date": pl.Date, "status": pl.String},
    )


def run(tmp_path: Path, rule_id: str, tables: dict, as_of: dt.date, hist: dt.date | None = None):
    path = tmp_path / "staffcheck.yaml"
    path.write_text(RULESET)
    rule = load_ruleset(str(path)).rule(rule_id)
    ctx = EvalContext(
        as_of=as_of,
        from_date=None,
        tables=tables,
        columns_present={k: set(v.columns) for k, v in tables.items()},
        history_from={"staff": hist},
    )
    return RULE_KINDS[rule.kind].evaluate(ctx, rule)


def rows(outcome) -> list[tuple]:
    return [
        (r["subject_id"], r["due_date"], r["met_date"], r["days_overdue"], r["requirement"])
        for r in outcome.findings.sort("subject_id", "due_date").to_dicts()
    ]


def test_asye_phase_change_is_a_requirement_change(tmp_path: Path) -> None:
    # Weekly sessions through the first six weeks (1 Jan to 11 Feb); the last, 5 Feb, makes the
    # next due 12 Feb. On 12 Feb the fortnightly phase starts (loosening, D >= c):
    # D = max(5 Feb + 14 = 19 Feb, min(12 Feb, 12 Feb + 14 = 26 Feb)) = 19 Feb.
    # The session on 20 Feb is one day late; the next is due 5 Mar, after as_of.
    w = workers(
        ("W1", "Social Worker", "North", "M1", None, D(2024, 1, 1), None, D(2024, 1, 1), True)
    )
    s = sessions(
        *[("W1", D(2024, 1, 1) + dt.timedelta(days=7 * k), "HELD") for k in range(1, 6)],
        ("W1", D(2024, 2, 20), "HELD"),
        ("W1", D(2024, 2, 14), "CANCELLED"),
    )
    out = run(
        tmp_path, "TST-S1", {"workers": w, "worker_sessions": s}, D(2024, 3, 1), D(2024, 1, 1)
    )
    assert rows(out) == [("W1", D(2024, 2, 19), D(2024, 2, 20), 1, "ASYE to 6 months: fortnightly")]
    assert out.covered["outstanding"].to_list() == [False]


def test_cancelled_sessions_do_not_count(tmp_path: Path) -> None:
    w = workers(("W2", "Social Worker", "North", "M1", None, D(2023, 6, 1), None, None, True))
    s = sessions(("W2", D(2024, 1, 10), "HELD"), ("W2", D(2024, 2, 5), "CANCELLED"))
    out = run(
        tmp_path, "TST-S1", {"workers": w, "worker_sessions": s}, D(2024, 2, 20), D(2024, 1, 1)
    )
    # due 10 Jan + 28 = 7 Feb; the cancelled session does not count: 13 days outstanding
    assert rows(out) == [("W2", D(2024, 2, 7), None, 13, "All staff: every 4 weeks")]
    assert out.covered["outstanding"].to_list() == [True]


def test_start_before_history_date_opens_on_it(tmp_path: Path) -> None:
    w = workers(("W3", "Team Manager", "North", "S1", None, D(2015, 3, 1), None, None, False))
    s = sessions(("W3", D(2024, 1, 20), "HELD"))
    out = run(
        tmp_path, "TST-S1", {"workers": w, "worker_sessions": s}, D(2024, 3, 1), D(2024, 1, 1)
    )
    # employment since 2015 is treated as opening 1 Jan 2024: due 29 Jan, met 20 Jan;
    # next due 17 Feb: 13 days outstanding at 1 Mar
    assert rows(out) == [("W3", D(2024, 2, 17), None, 13, "All staff: every 4 weeks")]


def test_due_date_in_absence_moves_to_return_plus_grace(tmp_path: Path) -> None:
    w = workers(("W4", "Social Worker", "North", "M1", None, D(2023, 1, 1), None, None, True))
    s = sessions(("W4", D(2024, 1, 5), "HELD"), ("W4", D(2024, 2, 20), "HELD"))
    absences = pl.DataFrame(
        {
            "worker_id": ["W4"],
            "start_date": [D(2024, 1, 29)],
            "end_date": [D(2024, 2, 9)],
            "reason": ["Annual leave"],
        }
    )
    out = run(
        tmp_path,
        "TST-S1",
        {"workers": w, "worker_sessions": s, "absences": absences},
        D(2024, 3, 1),
        D(2024, 1, 1),
    )
    # due 2 Feb is inside the leave (29 Jan - 9 Feb): back on 10 Feb, so 10 Feb + 7 = 17 Feb;
    # held 20 Feb: 3 days late
    assert rows(out)[0][:4] == ("W4", D(2024, 2, 17), D(2024, 2, 20), 3)
    assert "moved for an absence" in out.findings["message"][0]


def test_missing_absences_table_is_a_caveat_not_silence(tmp_path: Path) -> None:
    w = workers(("W5", "Social Worker", "North", "M1", None, D(2023, 1, 1), None, None, True))
    s = sessions(("W5", D(2024, 1, 5), "HELD"))
    out = run(
        tmp_path, "TST-S1", {"workers": w, "worker_sessions": s}, D(2024, 1, 20), D(2024, 1, 1)
    )
    assert out.caveats and "absences" in out.caveats[0]


def test_new_supervisor_restarts_the_agreement_clock(tmp_path: Path) -> None:
    w = workers(
        ("W6", "Social Worker", "North", "M2", D(2024, 3, 1), D(2023, 1, 1), None, None, True)
    )
    ev = pl.DataFrame(
        {
            "worker_id": ["W6", "W6"],
            "kind": ["AGREEMENT", "AGREEMENT"],
            "date": [D(2024, 1, 10), D(2024, 4, 2)],
        }
    )
    out = run(
        tmp_path,
        "TST-S2",
        {
            "workers": w,
            "worker_events": ev,
            "worker_sessions": sessions(("W6", D(2024, 1, 1), "HELD")),
        },
        D(2024, 5, 1),
        D(2024, 1, 1),
    )
    # agreement 10 Jan (next due 10 Jul); new supervisor 1 Mar: new agreement due 29 Mar;
    # signed 2 Apr: 4 days late. (From 1 Jan the first agreement was due 1 Jul: met 10 Jan.)
    assert rows(out) == [("W6", D(2024, 3, 29), D(2024, 4, 2), 4, "Agreement: every 6 months")]


def test_rule_without_its_table_is_not_evaluated(tmp_path: Path) -> None:
    w = workers(("W7", "Social Worker", "North", "M1", None, D(2023, 1, 1), None, None, True))
    out = run(tmp_path, "TST-S2", {"workers": w}, D(2024, 5, 1))
    assert out.findings.height == 0
    assert [n.reason for n in out.not_evaluated] == ["no worker_events table in the data"]


def test_leaver_with_overdue_supervision_ends_unmet(tmp_path: Path) -> None:
    w = workers(
        ("W8", "Social Worker", "North", "M1", None, D(2023, 1, 1), D(2024, 2, 15), None, True)
    )
    s = sessions(("W8", D(2024, 1, 5), "HELD"))
    out = run(
        tmp_path, "TST-S1", {"workers": w, "worker_sessions": s}, D(2024, 3, 1), D(2024, 1, 1)
    )
    # due 2 Feb; left 15 Feb: 13 days, unmet; not active at as_of so not in the headline
    assert rows(out) == [("W8", D(2024, 2, 2), None, 13, "All staff: every 4 weeks")]
    assert "left employment on 15/02/2024" in out.findings["message"][0]
    assert out.covered.height == 0
