"""Scheduled batch audits: exit codes, thresholds, relative dates, trends, parallel runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.batch import load_config, parse_threshold, resolve_as_of
from supervision_audit.cli import app
from supervision_audit.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
D = dt.date


def config(tmp_path: Path, audits: str) -> Path:
    path = tmp_path / "batch.yaml"
    path.write_text("audits:\n" + audits)
    return path


PASSING = f"""
  - name: passing
    data: {SAMPLE}
    ruleset: dorset
    scope: children
    as_of: 2026-10-31
    outputs: ["out/{{name}}-{{as_of}}.json"]
    thresholds: ["children_compliance >= 0.5"]
"""
FAILING = f"""
  - name: failing
    data: {SAMPLE}
    ruleset: dorset
    scope: children
    as_of: last-month-end
    outputs: ["out/{{name}}.xlsx"]
    thresholds: ["red_findings <= 10", "children_compliance >= 0.5"]
"""
BROKEN = """
  - name: broken
    data: does/not/exist
    ruleset: dorset
    as_of: today
"""


def run(path: Path, *args: str):
    res = CliRunner().invoke(app, ["batch", str(path), "--today", "2026-11-23", *args])
    return res.exit_code, res


def test_a_broken_audit_outranks_a_failed_threshold(tmp_path: Path) -> None:
    code, res = run(
        config(tmp_path, PASSING + FAILING + BROKEN), "--summary", str(tmp_path / "s.json")
    )
    assert code == 2, res.output
    doc = json.loads((tmp_path / "s.json").read_text())
    by = {a["name"]: a for a in doc["audits"]}
    assert [a["name"] for a in doc["audits"]] == ["passing", "failing", "broken"]
    assert by["passing"]["status"] == "ok"
    assert by["passing"]["outputs"] == [str(tmp_path / "out" / "passing-2026-10-31.json")]
    assert (tmp_path / "out" / "passing-2026-10-31.json").is_file()
    assert by["failing"]["status"] == "threshold_failed"
    assert by["failing"]["as_of"] == "2026-10-31"  # last-month-end from 23/11/2026
    assert [t["passed"] for t in by["failing"]["thresholds"]] == [False, True]
    assert by["failing"]["thresholds"][0]["actual"] > 10
    assert (tmp_path / "out" / "failing.xlsx").is_file()
    assert by["broken"]["status"] == "error"
    assert "does/not/exist" in by["broken"]["error"]
    assert doc["exit_code"] == 2


def test_without_the_broken_audit_the_batch_exits_1(tmp_path: Path) -> None:
    code, res = run(config(tmp_path, PASSING + FAILING))
    assert code == 1, res.output
    doc = json.loads(res.stdout)
    assert [a["status"] for a in doc["audits"]] == ["ok", "threshold_failed"]
    assert "FAILED  failing" in res.stderr


def test_all_passing_exits_0(tmp_path: Path) -> None:
    code, res = run(config(tmp_path, PASSING), "--quiet")
    assert code == 0, res.output
    assert res.stderr == ""


@pytest.mark.parametrize(
    ("today", "token", "expected"),
    [
        (D(2026, 1, 1), "last-month-end", D(2025, 12, 31)),  # across the year end
        (D(2024, 3, 1), "last-month-end", D(2024, 2, 29)),  # leap year
        (D(2026, 3, 31), "last-month-end", D(2026, 2, 28)),
        (D(2026, 11, 23), "last-week-end", D(2026, 11, 22)),  # a Monday: yesterday
        (D(2026, 11, 22), "last-week-end", D(2026, 11, 15)),  # a Sunday: the week before
        (D(2026, 1, 1), "last-week-end", D(2025, 12, 28)),  # a Thursday, across the year
        (D(2026, 11, 23), "today", D(2026, 11, 23)),
        (D(2026, 11, 23), "2026-06-30", D(2026, 6, 30)),
    ],
)
def test_relative_dates(today, token, expected) -> None:
    assert resolve_as_of(token, today) == expected


@pytest.mark.parametrize(
    ("audits", "message"),
    [
        (PASSING.replace("scope: children", "scop: children"), "unknown field 'scop'"),
        (PASSING + PASSING, "audit passing: duplicate name"),
        (PASSING.replace("2026-10-31", "next-tuesday"), "not a date"),
        (PASSING.replace("children_compliance >= 0.5", "happiness >= 1"), "unknown metric"),
        (PASSING.replace(".json", ".pdf"), "must end in .xlsx, .json or .csv"),
        (PASSING.replace("    ruleset: dorset\n", ""), "'ruleset' is required"),
    ],
)
def test_config_errors_are_clear_and_come_first(tmp_path: Path, audits, message) -> None:
    with pytest.raises(UsageError, match=message):
        load_config(config(tmp_path, audits), D(2026, 11, 23))
    code, res = run(config(tmp_path, audits))
    assert code == 2 and message.split("'")[0] in res.output
    assert not (tmp_path / "out").exists()  # nothing ran


def test_threshold_grammar() -> None:
    t = parse_threshold("staff_compliance >= 0.9")
    assert (t.metric, t.op, t.value) == ("staff_compliance", ">=", 0.9)
    assert t.passes(0.9) and not t.passes(0.89) and not t.passes(None)


def _open_keys(as_of: dt.date) -> set[str]:
    r = run_audit(AuditOptions(data=SAMPLE, ruleset="dorset", as_of=as_of, scope="children"))
    f = r.result.findings.filter(pl.col("outstanding"))
    return {f"{a}|{b}" for a, b in zip(f["rule"], f["subject_id"], strict=True)}


def test_trend_matches_findings_across_two_runs(tmp_path: Path) -> None:
    audit = PASSING.replace("as_of: 2026-10-31", "as_of: {AS_OF}").replace(
        '"out/{name}-{as_of}.json"', '"out/{name}-{as_of}.json", "out/{name}-{as_of}.xlsx"'
    )
    sep = config(tmp_path, audit.replace("{AS_OF}", "2026-09-30"))
    code, res = run(sep, "--summary", str(tmp_path / "sep.json"))
    assert code == 0, res.output
    oct_cfg = tmp_path / "oct.yaml"
    oct_cfg.write_text(sep.read_text().replace("2026-09-30", "2026-10-31"))
    code, res = run(oct_cfg, "--previous", str(tmp_path / "sep.json"))
    assert code == 0, res.output
    t = json.loads(res.stdout)["audits"][0]["trend"]
    before, now = _open_keys(D(2026, 9, 30)), _open_keys(D(2026, 10, 31))
    assert t["previous_as_of"] == "2026-09-30"
    assert t["findings_new"] == len(now - before) > 0
    assert t["findings_resolved"] == len(before - now) > 0
    assert t["findings_still_open"] == len(now & before)
    assert "still open" in res.stderr
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "out" / "passing-2026-10-31.xlsx", read_only=True)
    assert wb.sheetnames[1] == "Trend"
    rows = {r[0]: r[1] for r in wb["Trend"].iter_rows(values_only=True)}
    assert rows["findings new"] == str(t["findings_new"])
    assert rows["previous run as of"] == "2026-09-30"


def test_jobs_1_and_2_give_identical_outputs(tmp_path: Path) -> None:
    audits = PASSING + FAILING.replace('"out/{name}.xlsx"', '"out/{name}.json"')
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, jobs in ((one, "1"), (two, "2")):
        folder.mkdir()
        code, res = run(config(folder, audits), "--jobs", jobs, "--quiet")
        assert code == 1, res.output
    for name in ("passing-2026-10-31.json", "failing.json"):
        a = json.loads((one / "out" / name).read_text())
        b = json.loads((two / "out" / name).read_text())
        assert a == b and len(a["findings"]) > 0


def test_trend_matches_pseudonymised_ids_with_the_same_key(tmp_path: Path) -> None:
    (tmp_path / "audit.key").write_text("a-long-enough-secret-key-for-tests-0123456789\n")
    audit = PASSING.replace("as_of: 2026-10-31", "as_of: {AS_OF}") + (
        "    pseudonymise_key_file: audit.key\n"
    )
    sep = config(tmp_path, audit.replace("{AS_OF}", "2026-09-30"))
    code, _ = run(sep, "--summary", str(tmp_path / "sep.json"))
    assert code == 0
    prev = json.loads((tmp_path / "sep.json").read_text())["audits"][0]
    assert prev["open_findings"] and all("|PS-" in k for k in prev["open_findings"])
    oct_cfg = tmp_path / "oct.yaml"
    oct_cfg.write_text(sep.read_text().replace("2026-09-30", "2026-10-31"))
    code, res = run(oct_cfg, "--previous", str(tmp_path))
    assert code == 0, res.output
    t = json.loads(res.stdout)["audits"][0]["trend"]
    before, now = _open_keys(D(2026, 9, 30)), _open_keys(D(2026, 10, 31))
    assert t["findings_still_open"] == len(now & before) > 0
    assert t["findings_new"] == len(now - before)
