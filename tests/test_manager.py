"""`due` and `explain` on the hand-computed fixture (tests/fixtures/small, Devon's policy):
they read the audit's own clock frames, so they must agree with it exactly."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.cli import app
from supervision_audit.dates import Interval
from supervision_audit.views.due import due_list
from supervision_audit.views.explain import explain_subject

SMALL = Path(__file__).parent / "fixtures" / "small"
SAMPLE = Path(__file__).parents[1] / "sample_data"
COMMON = [
    "--data",
    str(SMALL),
    "--ruleset",
    "devon",
    "--as-of",
    "2024-06-30",
    "--history-from",
    "2024-01-01",
    "--scope",
    "children",
]


def devon_run():
    return run_audit(
        AuditOptions(
            data=SMALL,
            ruleset="devon",
            as_of=dt.date(2024, 6, 30),
            history_from=dt.date(2024, 1, 1),
            scope="children",
        )
    )


def test_due_within_14_days_lists_only_the_overdue() -> None:
    frame = due_list(devon_run(), Interval.parse("14d"))
    # C002 is next due 25 Jul and C003 30 Jul: after 14 Jul, so not listed yet
    assert frame.select("subject_id", "due_date", "days_until_due", "status").rows() == [
        ("C001", dt.date(2024, 5, 10), -51, "overdue by 51 days"),
        # DEV-C10: C004 closed 15 Mar with no manager's oversight form by 22 Mar
        ("C004", dt.date(2024, 3, 22), -100, "overdue by 100 days"),
        ("F001", dt.date(2024, 4, 10), -81, "overdue by 81 days"),
    ]


def test_due_status_says_one_day_not_one_days() -> None:
    # C002 is next due 25 Jul 2024 (as in the test above; the fixture has no events after
    # June): as of 24 Jul it is due in 1 day, as of 26 Jul overdue by 1 day.
    def status(day: int) -> str:
        run = run_audit(
            AuditOptions(
                data=SMALL,
                ruleset="devon",
                as_of=dt.date(2024, 7, day),
                history_from=dt.date(2024, 1, 1),
                scope="children",
            )
        )
        frame = due_list(run, Interval.parse("14d"))
        return dict(frame.select("subject_id", "status").rows())["C002"]

    assert status(24) == "due in 1 day"
    assert status(25) == "due today"
    assert status(26) == "overdue by 1 day"


def test_due_window_includes_its_last_day() -> None:
    frame = due_list(devon_run(), Interval.parse("30d"))  # window ends 30 Jul
    got = dict(frame.select("subject_id", "due_date").rows())
    assert got["C002"] == dt.date(2024, 7, 25)
    assert got["C003"] == dt.date(2024, 7, 30)  # exactly on the window's last day
    frame = due_list(devon_run(), Interval.parse("29d"))
    assert "C003" not in frame["subject_id"].to_list()


def test_due_command_json() -> None:
    result = CliRunner().invoke(
        app, ["due", *COMMON, "--within", "30d", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    # C004: DEV-C10's closure form (issue 14)
    assert [r["subject_id"] for r in doc["rows"]] == ["C001", "C002", "C004", "C003", "F001"]
    assert doc["within"] == "30d"


def test_explain_shows_how_each_due_date_was_reached() -> None:
    info = explain_subject(devon_run(), "C001")
    (rule,) = info["rules"]
    assert rule["rule"] == "DEV-C1"
    assert [(c["anchor"], c["due_date"]) for c in rule["cycles"]] == [
        ("2024-01-01", "2024-02-01"),
        ("2024-01-25", "2024-02-25"),
        ("2024-04-10", "2024-05-10"),
    ]
    events = {(e["date"], e["kind"]): (e["counted"], e["why_not"]) for e in rule["events"]}
    assert events[("2024-03-01", "GROUP_SUPERVISION")] == (
        False,
        "GROUP_SUPERVISION does not count for this rule",
    )
    assert events[("2024-06-20", "MANAGEMENT_OVERSIGHT")][0] is False
    assert events[("2024-01-25", "CASE_SUPERVISION")] == (True, None)
    assert "late by 45 days" in " ".join(rule["cycles"][1]["steps"])
    assert [(f["due_date"], f["days_overdue"]) for f in rule["findings"]] == [
        ("2024-02-25", 45),
        ("2024-05-10", 51),
    ]


def test_explain_shows_the_history_date_and_requirement_changes(tmp_path: Path) -> None:
    (tmp_path / "episodes.csv").write_text(
        "person_id,category,start_date,end_date,team,worker_id\n"
        "K1,CIN,2023-05-01,2024-01-31,T,W\nK1,CP,2024-02-01,,T,W\n"
    )
    (tmp_path / "case_events.csv").write_text(
        "person_id,date,kind\nK1,2024-01-10,CASE_SUPERVISION\n"
    )
    run = run_audit(
        AuditOptions(
            data=tmp_path,
            ruleset="dorset",
            as_of=dt.date(2024, 3, 20),
            history_from=dt.date(2024, 1, 1),
            scope="children",
        )
    )
    (rule,) = explain_subject(run, "K1")["rules"]
    assert rule["periods"][0]["note"] == "treated as opening on the history date"
    steps = " ".join(rule["cycles"][1]["steps"])
    # 10 Jan under 8 weeks: due 6 Mar; CP plan from 1 Feb: max(7 Feb, min(6 Mar, 29 Feb)) = 29 Feb
    assert "due 06/03/2024 became 29/02/2024" in steps
    assert [f["due_date"] for f in rule["findings"]] == ["2024-02-29"]


def test_explain_agrees_with_audit_for_every_subject() -> None:
    run = run_audit(
        AuditOptions(data=SAMPLE, ruleset="dorset", as_of=dt.date(2026, 10, 31), scope="children")
    )
    findings = run.result.findings
    for sid in findings["subject_id"].unique().sort().head(40).to_list():
        info = explain_subject(run, sid)
        explained = sorted(
            (r["rule"], f["due_date"], f["days_overdue"])
            for r in info["rules"]
            for f in r["findings"]
        )
        audited = sorted(
            (r, d.isoformat(), n)
            for r, d, n in findings.filter(findings["subject_id"] == sid)
            .select("rule", "due_date", "days_overdue")
            .rows()
        )
        assert explained == audited, sid
        cycle_dues = {c["due_date"] for r in info["rules"] for c in r["cycles"]}
        assert {d for _, d, _ in audited} <= cycle_dues


def test_explain_unknown_subject_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["explain", "NOBODY", *COMMON], catch_exceptions=False)
    assert result.exit_code == 2 and "NOBODY" in result.stderr


def test_explain_command_renders() -> None:
    result = CliRunner().invoke(app, ["explain", "C003", *COMMON], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "DEV-C1" in result.stdout and "Rory" not in result.stdout


SAMPLE_ARGS = ["--data", str(SAMPLE), "--ruleset", "lambeth", "--as-of", "2026-10-31"]


def _due_groups(text: str, by: str) -> list[tuple[str, int, list[str]]]:
    """(group name, count in its heading, its item lines) in the order printed."""
    groups: list[tuple[str, int, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(f"{by.capitalize()} "):
            name, count = line[len(by) + 1 :].rsplit(": ", 1)
            groups.append((name, int(count.split(" ", 1)[0]), []))
        elif groups and line.startswith("  ") and ("overdue by" in line or " due " in line):
            groups[-1][2].append(line)
    return groups


def _days(line: str) -> int:
    status = line.strip()
    if status.startswith("overdue by"):
        return -int(status.split()[2])
    return 0 if status.startswith("due today") else int(status.split()[2])


def test_due_is_one_line_per_item_grouped_most_urgent_first() -> None:
    """The sample's due list (307 items, 1,384 lines as per-supervisor tables at 80
    columns): one line per item under its supervisor, the group with the most overdue item
    first and each group most overdue first; --full keeps the detailed tables."""
    runner = CliRunner(env={"COLUMNS": "80"})
    rows = json.loads(runner.invoke(app, ["due", *SAMPLE_ARGS, "--format", "json"]).stdout)["rows"]
    for by, key in (("supervisor", "supervisor_id"), ("worker", "worker_id")):
        result = runner.invoke(app, ["due", *SAMPLE_ARGS, "--by", by])
        assert result.exit_code == 0, result.stderr
        groups = _due_groups(result.stdout, by)
        assert sum(len(items) for _, _, items in groups) == len(rows) == 307
        assert all(count == len(items) for _, count, items in groups)
        names = {r[key] or "(none recorded)" for r in rows}
        assert [g[0] for g in groups] == sorted(
            names,
            key=lambda n: (
                min(r["days_until_due"] for r in rows if (r[key] or "(none recorded)") == n),
                n == "(none recorded)",
                n,
            ),
        )
        for name, _, items in groups:
            days = [_days(line) for line in items]
            assert days == sorted(days), name
            expected = sorted(
                r["days_until_due"] for r in rows if (r[key] or "(none recorded)") == name
            )
            assert days == expected, name
        lines = result.stdout.splitlines()
        assert len(lines) <= len(rows) + 2 * len(groups) + 20  # 1,384 before
        assert max(len(line) for line in lines) <= 80
    full = runner.invoke(app, ["due", *SAMPLE_ARGS, "--full"])
    assert full.exit_code == 0
    assert "requirement" in full.stdout and "Supervisor M0001" in full.stdout
    assert len(full.stdout.splitlines()) > 2 * len(rows)
    bad = runner.invoke(app, ["due", *SAMPLE_ARGS, "--by", "team"])
    assert bad.exit_code == 2 and "--by must be supervisor or worker" in bad.stderr
