"""`supervision-audit audit` end to end on a small fixture whose every finding was computed by
hand (tests/fixtures/small), under two policies that differ in every way that matters.

Dorset: 8 weeks for every child, 4 weeks on a CP plan or in proceedings; group supervision
counts; no limit (so any lateness is red). Devon: the 5.1 table in calendar months, monthly
when high risk (CIN) or unstable (foster carers); group supervision does not count.
History date 1 Jan 2024, audit date 30 Jun 2024.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supervision_audit.cli import app
from supervision_audit.findings import FINDING_KEYS
from tests.helpers import run_cli as invoke

FIXTURE = Path(__file__).parent / "fixtures" / "small"
GOLDEN = Path(__file__).parent / "golden"
BASE = [
    "audit",
    "--data",
    str(FIXTURE),
    "--as-of",
    "2024-06-30",
    "--history-from",
    "2024-01-01",
    "--scope",
    "children",
]
D = dt.date.fromisoformat


def audit_json(ruleset: str) -> dict:
    code, out, err = invoke(*BASE, "--ruleset", ruleset, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def rows(doc: dict) -> list[tuple]:
    return [
        (f["subject_id"], f["due_date"], f["met_date"], f["days_overdue"], f["severity"])
        for f in doc["findings"]
    ]


def test_dorset_findings_computed_by_hand() -> None:
    doc = audit_json("dorset")
    assert rows(doc) == [
        # CP, 4 weeks, group counts: 1 Jan -> 29 Jan; met 25 Jan -> due 22 Feb; group 1 Mar: 8 late
        ("C001", "2024-02-22", "2024-03-01", 8, "red"),
        # -> due 29 Mar; met 10 Apr: 12 late
        ("C001", "2024-03-29", "2024-04-10", 12, "red"),
        # -> due 8 May; management oversight 20 Jun does not count: 53 days at 30 Jun
        ("C001", "2024-05-08", None, 53, "red"),
        # CIN 8 weeks (high risk changes nothing in Dorset): 15 Feb -> due 11 Apr; met 30 Apr
        ("C002", "2024-04-11", "2024-04-30", 19, "red"),
        # CLA in proceedings, 4 weeks, from the history date: 20 Jan, group 10 Feb -> due 9 Mar
        ("C003", "2024-03-09", "2024-03-20", 11, "red"),
        ("C003", "2024-04-17", "2024-05-30", 43, "red"),
        ("C003", "2024-06-27", None, 3, "red"),
    ]
    s = doc["summary"]["children"]
    assert (s["open_at_as_of"], s["compliant"], s["compliance_pct"]) == (3, 1, 33.3)


def test_devon_findings_computed_by_hand() -> None:
    doc = audit_json("devon")
    assert rows(doc) == [
        # CP monthly, group does not count: 25 Jan -> due 25 Feb; next counted 10 Apr: 45 late
        ("C001", "2024-02-25", "2024-04-10", 45, "red"),
        ("C001", "2024-05-10", None, 51, "red"),
        # CIN high risk, monthly: due 1 Feb met 15 Feb; 15 Mar met 30 Apr; 30 May met 25 Jun
        ("C002", "2024-02-01", "2024-02-15", 14, "red"),
        ("C002", "2024-03-15", "2024-04-30", 46, "red"),
        ("C002", "2024-05-30", "2024-06-25", 26, "red"),
        # CLA bi-monthly: 20 Jan -> 20 Mar met on the day; -> 20 May, met 30 May: 10 late
        ("C003", "2024-05-20", "2024-05-30", 10, "red"),
        # DEV-C10, key point 13 (closure): C004 closed 15 Mar; a manager's oversight form
        # within 7 days (key_point_within): due 22 Mar; none from 8 Mar: 100 days at 30 Jun
        ("C004", "2024-03-22", None, 100, "red"),
        # Foster carer with instability: monthly: due 1 Feb, met 10 Mar; due 10 Apr, outstanding
        ("F001", "2024-02-01", "2024-03-10", 38, "red"),
        ("F001", "2024-04-10", None, 81, "red"),
    ]
    s = doc["summary"]
    assert (s["children"]["open_at_as_of"], s["children"]["compliant"]) == (3, 2)
    assert (s["carers"]["open_at_as_of"], s["carers"]["compliant"]) == (1, 0)


def test_dorset_and_devon_differ_on_the_same_data() -> None:
    assert rows(audit_json("dorset")) != rows(audit_json("devon"))


@pytest.mark.parametrize("ruleset", ["dorset", "devon"])
def test_json_matches_golden(ruleset: str) -> None:
    doc = audit_json(ruleset)
    doc["summary"]["tables"] = {
        k: {**v, "file": Path(v["file"]).name} for k, v in doc["summary"]["tables"].items()
    }
    for issue in doc["data_issues"]:
        issue["file"] = Path(issue["file"]).name
    golden = GOLDEN / f"audit_{ruleset}.json"
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDENS"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), "run UPDATE_GOLDENS=1 pytest to refresh"


def test_json_follows_the_contract_to_the_key() -> None:
    doc = audit_json("dorset")
    assert list(doc) == [
        "tool_version",
        "ruleset",
        "as_of",
        "from",
        "summary",
        "findings",
        "data_issues",
        "not_evaluated",
    ]
    assert list(doc["ruleset"]) == ["name", "version"]
    for f in doc["findings"]:
        assert tuple(f) == FINDING_KEYS
        assert f["kind"] == "interval"
        assert "“" in f["citation"] and f["rule"] in ("DOR-C1",)
    keys = [(f["subject_id"], f["due_date"]) for f in doc["findings"]]
    assert keys == sorted(keys)


def test_bad_rows_are_reported_and_reconciled() -> None:
    doc = audit_json("dorset")
    issues = {
        (i["table"], i["row"], i["column"], i["reason"].split(" (")[0]) for i in doc["data_issues"]
    }
    assert ("episodes", 7, "start_date", "not a date") in issues
    assert ("case_events", 9, "", "exact duplicate of row 8") in issues
    assert ("case_events", 15, "person_id", "no episode for this person") in issues
    for table in doc["summary"]["tables"].values():
        assert table["read"] == table["used"] + table["rejected"]
    assert doc["summary"]["tables"]["episodes"] == {
        **doc["summary"]["tables"]["episodes"],
        "read": 6,
        "used": 5,
        "rejected": 1,
    }


def test_personal_data_never_printed() -> None:
    for fmt in ("table", "json", "csv"):
        code, out, err = invoke(*BASE, "--ruleset", "dorset", "--format", fmt)
        assert code == 0
        assert "Zebedee" not in out + err and "Quixotic" not in out + err
        assert "04/05/2016" not in out + err and "not a date\n" not in out


def test_csv_has_the_contract_columns() -> None:
    code, out, _ = invoke(*BASE, "--ruleset", "devon", "--format", "csv")
    assert code == 0
    reader = list(csv.reader(io.StringIO(out)))
    assert tuple(reader[0]) == FINDING_KEYS
    assert len(reader) == 1 + 9


def test_from_limits_to_findings_touching_the_period() -> None:
    code, out, _ = invoke(*BASE, "--ruleset", "dorset", "--format", "json", "--from", "2024-05-01")
    assert code == 0
    # spans ending before 1 May drop out: C001's 1 Mar and 10 Apr, C002's 30 Apr, C003's 20 Mar
    assert rows(json.loads(out)) == [
        ("C001", "2024-05-08", None, 53, "red"),
        ("C003", "2024-04-17", "2024-05-30", 43, "red"),
        ("C003", "2024-06-27", None, 3, "red"),
    ]


def test_team_filter() -> None:
    code, out, _ = invoke(*BASE, "--ruleset", "dorset", "--format", "json", "--team", "south")
    assert code == 0
    assert {f["subject_id"] for f in json.loads(out)["findings"]} == {"C003"}


def test_table_output_fits_80_columns() -> None:
    code, out, _ = invoke(*BASE, "--ruleset", "devon")
    assert code == 0
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "History date (children): 01/01/2024 (--history-from)" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--data", "/no/such/folder", "--ruleset", "dorset", "--as-of", "2024-06-30"],
            "/no/such/folder",
        ),
        (
            ["--data", str(FIXTURE), "--ruleset", "nowhere", "--as-of", "2024-06-30"],
            "unknown ruleset",
        ),
        (["--data", str(FIXTURE), "--ruleset", "dorset", "--as-of", "06/31/2024"], "--as-of"),
        (
            [
                "--data",
                str(FIXTURE),
                "--ruleset",
                "dorset",
                "--as-of",
                "2024-06-30",
                "--format",
                "xml",
            ],
            "--format",
        ),
        (
            [
                "--data",
                str(FIXTURE),
                "--ruleset",
                "dorset",
                "--as-of",
                "2024-06-30",
                "--scope",
                "kids",
            ],
            "--scope",
        ),
        (
            [
                "--data",
                str(FIXTURE),
                "--ruleset",
                "dorset",
                "--as-of",
                "2024-06-30",
                "--from",
                "2024-07-01",
            ],
            "after --as-of",
        ),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(args: list[str], needle: str) -> None:
    code, out, err = invoke("audit", *args)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    (tmp_path / "episodes.csv").write_text("person_id,start_date\nC1,2024-01-01\n")
    (tmp_path / "case_events.csv").write_text("person_id,date,kind\n")
    code, _, err = invoke(
        "audit",
        "--data",
        str(tmp_path),
        "--ruleset",
        "dorset",
        "--as-of",
        "2024-06-30",
        "--scope",
        "children",
    )
    assert code == 2
    assert "episodes.csv" in err and "category" in err


def test_missing_required_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "episodes.csv").write_text((FIXTURE / "episodes.csv").read_text())
    code, _, err = invoke(
        "audit",
        "--data",
        str(tmp_path),
        "--ruleset",
        "dorset",
        "--as-of",
        "2024-06-30",
        "--scope",
        "children",
    )
    assert code == 2 and "case_events.csv" in err


def test_no_counting_events_means_not_evaluated_not_all_overdue(tmp_path: Path) -> None:
    (tmp_path / "episodes.csv").write_text((FIXTURE / "episodes.csv").read_text())
    (tmp_path / "case_events.csv").write_text(
        "person_id,date,kind\nC001,2024-02-01,MANAGEMENT_OVERSIGHT\n"
    )
    code, out, _ = invoke(
        "audit",
        "--data",
        str(tmp_path),
        "--ruleset",
        "devon",
        "--as-of",
        "2024-06-30",
        "--format",
        "json",
        "--scope",
        "children",
    )
    doc = json.loads(out)
    assert code == 0
    # DEV-C10 counts management oversight, which this data has, so it runs: C004's closure
    # on 15 Mar has no oversight form (due 22 Mar). Nothing else is reported.
    assert [(f["rule"], f["subject_id"]) for f in doc["findings"]] == [("DEV-C10", "C004")]
    reasons = {n["rule"]: n["reason"] for n in doc["not_evaluated"]}
    assert sorted(reasons) == ["DEV-C1", "DEV-C11"]
    assert "CASE_SUPERVISION" in reasons["DEV-C1"]
    assert reasons["DEV-C11"] == "case_events has no recorded_date column"


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(
        app,
        ["audit", "--data", "/no/such", "--ruleset", "dorset", "--as-of", "2024-06-30", "--debug"],
    )
    assert result.exit_code != 0
    assert result.exception is not None and type(result.exception).__name__ == "InputError"


def test_outputs_written_by_extension(tmp_path: Path) -> None:
    for ext in ("json", "csv"):
        target = tmp_path / f"audit.{ext}"
        code, _, err = invoke(*BASE, "--ruleset", "dorset", "--output", str(target))
        assert code == 0, err
        assert target.exists() and target.stat().st_size > 0
    code, _, err = invoke(*BASE, "--ruleset", "dorset", "--output", str(tmp_path / "audit.txt"))
    assert code == 2 and ".json, .csv, .xlsx" in err


def test_csv_streamed_in_slices_equals_the_whole(tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    from supervision_audit.audit import AuditOptions, run_audit
    from supervision_audit.report import csvout

    run = run_audit(
        AuditOptions(data=FIXTURE, ruleset="devon", as_of=dt.date(2024, 6, 30), scope="children")
    )
    assert run.result.findings.height > 3
    monkeypatch.setattr(csvout, "SLICE", 2)
    csvout.write_csv(run.result, tmp_path / "a.csv")
    whole = (csvout.BOM + csvout.render_csv(run.result)).encode("utf-8")
    assert (tmp_path / "a.csv").read_bytes() == whole


def test_audit_threshold_fails_a_ci_step_with_batchs_grammar_and_exit_codes() -> None:
    """A performance team's scheduled audit: `--threshold` uses batch's metrics and grammar;
    a failed test is exit 1 with the actual figure, a malformed one is exit 2."""
    sample = Path(__file__).resolve().parents[1] / "sample_data"
    dorset = ["audit", "--data", str(sample), "--ruleset", "dorset", "--as-of", "2026-10-31"]
    dorset += ["--format", "json"]
    code, out, err = invoke(*dorset, "--threshold", "children_compliance >= 0.80")
    assert code == 0, err  # Dorset's sample: 286 of 338 children, 84.6%
    assert json.loads(out)["summary"]["children"]["compliance_pct"] == 84.6
    code, out, err = invoke(*dorset, "--threshold", "children_compliance >= 0.85")
    assert code == 1
    assert "threshold failed: children_compliance >= 0.85 (actual 0.846)" in err
    assert json.loads(out)["findings"]  # the report is still written before the exit code
    code, _, err = invoke(*dorset, "--threshold", "children >= 1")
    assert code == 2 and err.count("\n") == 1 and "unknown metric 'children'" in err
