"""Scheduled batch audits: exit codes, thresholds, relative dates, config validation, trends,
parallel runs, and the shipped examples."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from supervision_audit import batch
from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.batch import load_config, parse_threshold
from supervision_audit.cli import app
from supervision_audit.dates import parse_as_of
from supervision_audit.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
D = dt.date


def config(tmp_path: Path, audits: str, name: str = "batch.yaml") -> Path:
    path = tmp_path / name
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


def summary_of(res) -> dict:
    """The JSON summary on standard output (the log is on standard error)."""
    try:
        return json.loads(res.stdout)
    except ValueError:
        pytest.fail(f"stdout is not the JSON summary: {res.stdout[:200]!r}; stderr: {res.stderr}")


def _dorset(as_of: dt.date, data: Path = SAMPLE):
    return run_audit(AuditOptions(data=data, ruleset="dorset", as_of=as_of, scope="children"))


def test_a_broken_audit_outranks_a_failed_threshold(tmp_path: Path) -> None:
    code, res = run(
        config(tmp_path, PASSING + FAILING + BROKEN), "--summary", str(tmp_path / "s.json")
    )
    assert code == 2, res.output
    doc = json.loads((tmp_path / "s.json").read_text())
    by = {a["name"]: a for a in doc["audits"]}
    assert [a["name"] for a in doc["audits"]] == ["passing", "failing", "broken"]
    assert doc["exit_code"] == 2
    assert doc["counts"] == {"ok": 1, "threshold_failed": 1, "error": 1}

    assert by["passing"]["status"] == "ok" and by["passing"]["error"] is None
    assert by["passing"]["outputs"] == [str(tmp_path / "out" / "passing-2026-10-31.json")]
    assert (tmp_path / "out" / "passing-2026-10-31.json").is_file()
    # the figures are the audit's own summary, compliance as a share
    direct = _dorset(D(2026, 10, 31)).result.summary
    assert by["passing"]["figures"]["children_compliance"] == round(
        direct["children"]["compliance_pct"] / 100, 4
    )
    assert by["passing"]["figures"]["red_findings"] == direct["findings"]["red"]
    assert by["passing"]["thresholds"] == [
        {
            "threshold": "children_compliance >= 0.5",
            "actual": by["passing"]["figures"]["children_compliance"],
            "passed": True,
        }
    ]
    assert by["passing"]["duration_seconds"] >= 0

    assert by["failing"]["status"] == "threshold_failed"
    assert by["failing"]["as_of"] == "2026-10-31"  # last-month-end from 23/11/2026
    assert [t["passed"] for t in by["failing"]["thresholds"]] == [False, True]
    assert by["failing"]["thresholds"][0]["actual"] == direct["findings"]["red"] > 10
    assert (tmp_path / "out" / "failing.xlsx").is_file()

    assert by["broken"]["status"] == "error"
    assert "does/not/exist" in by["broken"]["error"]
    assert by["broken"]["outputs"] == [] and by["broken"]["figures"] == {}
    assert by["broken"]["trend"] is None

    log = res.stderr.splitlines()
    assert [ln.split()[0] for ln in log if ln.split()[0] in ("OK", "FAILED", "ERROR")] == [
        "OK",
        "FAILED",
        "ERROR",
    ]
    assert any(ln.startswith("ERROR   broken:") and "does/not/exist" in ln for ln in log)
    assert "\x1b[" not in res.stderr  # no colour codes in a CI log
    assert log[-1].startswith("batch: exit 2 (1 ok, 1 threshold failed, 1 error)")


def test_without_the_broken_audit_the_batch_exits_1(tmp_path: Path) -> None:
    code, res = run(config(tmp_path, PASSING + FAILING))
    assert code == 1, res.output
    doc = summary_of(res)
    assert doc["tool"] == batch.SUMMARY_TOOL and doc["exit_code"] == 1
    assert [a["status"] for a in doc["audits"]] == ["ok", "threshold_failed"]
    assert "FAILED  failing" in res.stderr and "failed: red_findings <= 10 (actual" in res.stderr


def test_all_passing_exits_0_and_quiet_is_silent(tmp_path: Path) -> None:
    code, res = run(config(tmp_path, PASSING), "--quiet")
    assert code == 0, res.output
    assert res.stderr == ""
    assert summary_of(res)["audits"][0]["status"] == "ok"


def test_quiet_logs_only_the_failures(tmp_path: Path) -> None:
    code, res = run(config(tmp_path, PASSING + FAILING), "--quiet")
    assert code == 1
    assert "FAILED  failing" in res.stderr
    assert "passing" not in res.stderr


def test_a_crashing_audit_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import supervision_audit.audit as audit_mod

    real = audit_mod.run_audit

    def crash_on_devon(opts):
        if opts.ruleset == "devon":
            raise RuntimeError("secret-looking value C000123")
        return real(opts)

    monkeypatch.delenv("SUPERVISION_AUDIT_RERAISE")
    monkeypatch.setattr(audit_mod, "run_audit", crash_on_devon)
    jobs = load_config(
        config(tmp_path, PASSING.replace("dorset", "devon") + PASSING.replace("passing", "p2")),
        D(2026, 11, 23),
    )
    results = batch.run_batch(jobs, workers=1, isolate=False)  # the patch lives here
    assert [r["status"] for r in results] == ["error", "ok"]
    assert results[0]["error"].startswith("internal error (RuntimeError)")
    assert "C000123" not in results[0]["error"]  # the exception text may quote data
    assert batch.exit_code(results) == 2


@pytest.mark.parametrize(
    ("today", "token", "expected"),
    [
        (D(2026, 1, 1), "last-month-end", D(2025, 12, 31)),  # across the year end
        (D(2024, 3, 1), "last-month-end", D(2024, 2, 29)),  # leap year
        (D(2023, 3, 1), "last-month-end", D(2023, 2, 28)),  # not a leap year
        (D(2026, 3, 31), "last-month-end", D(2026, 2, 28)),  # the last day of a month
        (D(2026, 12, 31), "last-month-end", D(2026, 11, 30)),
        (D(2026, 11, 23), "last-week-end", D(2026, 11, 22)),  # a Monday: yesterday
        (D(2026, 11, 22), "last-week-end", D(2026, 11, 15)),  # a Sunday: strictly before
        (D(2026, 11, 28), "last-week-end", D(2026, 11, 22)),  # a Saturday
        (D(2026, 1, 1), "last-week-end", D(2025, 12, 28)),  # a Thursday, across the year
        (D(2024, 3, 2), "last-week-end", D(2024, 2, 25)),  # across a leap February
        (D(2026, 11, 23), "today", D(2026, 11, 23)),
        (D(2026, 11, 23), " Last-Month-End ", D(2026, 10, 31)),
        (D(2026, 11, 23), "2026-06-30", D(2026, 6, 30)),
        (D(2026, 11, 23), D(2026, 6, 30), D(2026, 6, 30)),  # YAML gives a date
        (D(2026, 11, 23), dt.datetime(2026, 6, 30, 9, 0), D(2026, 6, 30)),
    ],
)
def test_relative_dates(today, token, expected) -> None:
    assert parse_as_of(token, today) == expected


def test_relative_dates_resolve_in_the_config_and_the_output_names(tmp_path: Path) -> None:
    audits = PASSING.replace("as_of: 2026-10-31", "as_of: last-week-end")
    (job,) = load_config(config(tmp_path, audits), D(2026, 1, 1))
    assert job.as_of == D(2025, 12, 28)
    assert job.outputs == [str(tmp_path / "out" / "passing-2025-12-28.json")]


@pytest.mark.parametrize(
    ("audits", "message"),
    [
        (PASSING.replace("scope: children", "scop: children"), "unknown field 'scop'"),
        (PASSING + PASSING, "audit passing: field 'name': duplicate name"),
        (PASSING.replace("2026-10-31", "next-tuesday"), "field 'as_of': 'next-tuesday' is not"),
        (PASSING.replace("children_compliance >= 0.5", "happiness >= 1"), "unknown metric"),
        (PASSING.replace(">= 0.5", ">= 85"), "compliance is a share from 0 to 1"),
        (PASSING.replace(">= 0.5", "=> 0.5"), "is not 'metric op number'"),
        (PASSING.replace(".json", ".pdf"), "must end in .xlsx, .json or .csv"),
        (PASSING.replace("{as_of}", "{date}"), "only {name} and {as_of}"),
        (PASSING.replace("    ruleset: dorset\n", ""), "audit passing: 'ruleset' is required"),
        (PASSING.replace("ruleset: dorset", "ruleset: kent"), "unknown ruleset 'kent'"),
        (
            PASSING.replace("ruleset: dorset", "ruleset: worcestershire"),
            "needs --param personal_interval",
        ),
        (PASSING.replace("scope: children", "source: cerner"), "source 'cerner' is not one of"),
        (PASSING.replace("scope: children", "source: nope.yaml"), "source profile not found"),
        (PASSING.replace("scope: children", "scope: carers"), "field 'scope'"),
        (
            PASSING + PASSING.replace("name: passing", "name: other").replace("{name}", "passing"),
            "is also written by audit passing",
        ),
        (
            PASSING.replace("scope: children", "pseudonymise_key_file: no.key"),
            "field 'pseudonymise_key_file'",
        ),
        ("  - just a string\n", "audit #1: expected a mapping"),
        (PASSING + '    rag: "75,90"\n', "field 'rag': '75,90': need 0 <= AMBER <= GREEN"),
        (PASSING + "    rag: lots\n", "field 'rag': 'lots' must be two percentages"),
    ],
)
def test_config_errors_are_clear_and_come_first(tmp_path: Path, audits, message) -> None:
    path = config(tmp_path, audits)
    with pytest.raises(UsageError) as err:
        load_config(path, D(2026, 11, 23))
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))  # the file
    if "#1" not in message:
        assert str(err.value).startswith(f"{path}, line ")  # and the line
    code, res = run(path)
    assert code == 2 and message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()  # nothing ran


def test_config_file_errors(tmp_path: Path) -> None:
    code, res = run(tmp_path / "missing.yaml")
    assert code == 2 and "batch config not found" in res.output
    empty = tmp_path / "empty.yaml"
    empty.write_text("audits: []\n")
    code, res = run(empty)
    assert code == 2 and "expected a non-empty 'audits' list" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("audits:\n  - name: [unclosed\n")
    code, res = run(bad)
    assert code == 2 and str(bad) in res.output and "Traceback" not in res.output
    code, res = run(config(tmp_path, PASSING), "--jobs", "0")
    assert code == 2 and "--jobs must be at least 1" in res.output


def test_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    """data, outputs, a source profile .yaml and a ruleset .yaml are read beside the config,
    wherever the batch is run from."""
    shutil.copytree(SAMPLE / "mosaic", tmp_path / "exports")
    shutil.copy(
        ROOT / "supervision_audit" / "sources" / "profiles" / "mosaic.yaml", tmp_path / "p.yaml"
    )
    shutil.copy(ROOT / "supervision_audit" / "rulesets" / "dorset.yaml", tmp_path / "ours.yaml")
    audits = """
  - name: ours
    data: exports
    source: p.yaml
    ruleset: ours.yaml
    scope: children
    as_of: 2026-10-31
    outputs: ["out/{name}.json"]
"""
    (job,) = load_config(config(tmp_path, audits), D(2026, 11, 23))
    assert (job.data, job.source, job.ruleset) == (
        str(tmp_path / "exports"),
        str(tmp_path / "p.yaml"),
        str(tmp_path / "ours.yaml"),
    )
    code, res = run(config(tmp_path, audits))
    assert code == 0, res.output
    got = json.loads((tmp_path / "out" / "ours.json").read_text())
    canonical = _dorset(D(2026, 10, 31)).result
    assert len(got["findings"]) == canonical.findings.height > 0


def test_threshold_grammar() -> None:
    t = parse_threshold("staff_compliance >= 0.9")
    assert (t.metric, t.op, t.value) == ("staff_compliance", ">=", 0.9)
    assert t.passes(0.9) and not t.passes(0.89) and not t.passes(None)
    assert parse_threshold("red_findings<=20").passes(20)
    assert not parse_threshold("red_findings < 20").passes(20)
    assert parse_threshold("findings == 0").passes(0) and not parse_threshold(
        "findings > 0"
    ).passes(0)
    for bad in ("__import__('os') >= 1", "red_findings <= 2 0", "red_findings <=", "0.9 <= x"):
        with pytest.raises(ValueError):
            parse_threshold(bad)


def test_trend_counts_by_hand() -> None:
    before = {
        "status": "ok",
        "as_of": "2026-09-30",
        "figures": {"children_compliance": 0.6, "staff_compliance": None},
        "open_findings": ["A|1", "A|2", "B|1"],
    }
    now = {
        "status": "threshold_failed",
        "figures": {"children_compliance": 0.65, "staff_compliance": 0.5},
        "open_findings": ["A|2", "B|1", "B|3", "C|4"],
    }
    t = batch.trend(now, before)
    assert t["findings_new"] == 2  # B|3, C|4
    assert t["findings_resolved"] == 1  # A|1
    assert t["findings_still_open"] == 2  # A|2, B|1
    assert t["compliance_change"] == {
        "children_compliance": 0.05,
        "carers_compliance": None,
        "staff_compliance": None,  # not measured last time: no change to report
    }
    assert batch.trend({**now, "status": "error"}, before) is None
    assert batch.trend(now, {**before, "status": "error"}) is None


def test_trend_against_a_hand_edited_previous_summary(tmp_path: Path) -> None:
    """Run once, then pretend last month two findings were not open yet, one other was,
    and compliance was 10 points lower: the counts follow by hand."""
    audit = PASSING.replace('"out/{name}-{as_of}.json"', '"out/{name}.xlsx"')
    path = config(tmp_path, audit)
    code, res = run(path, "--summary", str(tmp_path / "first.json"))
    assert code == 0, res.output
    first = json.loads((tmp_path / "first.json").read_text())
    a = first["audits"][0]
    n = len(a["open_findings"])
    assert n > 10 and all(k.count("|") == 1 for k in a["open_findings"])
    a["open_findings"] = a["open_findings"][2:] + ["DOR-C1|C999999"]
    a["figures"]["children_compliance"] = round(a["figures"]["children_compliance"] - 0.1, 4)
    a["as_of"] = "2026-09-30"
    (tmp_path / "edited.json").write_text(json.dumps(first))

    code, res = run(path, "--previous", str(tmp_path / "edited.json"))
    assert code == 0, res.output
    t = summary_of(res)["audits"][0]["trend"]
    assert (t["findings_new"], t["findings_resolved"], t["findings_still_open"]) == (2, 1, n - 2)
    assert t["compliance_change"]["children_compliance"] == pytest.approx(0.1)
    assert f"since 2026-09-30: children +10.0 pts, 2 new, 1 resolved, {n - 2} still open" in (
        res.stderr
    )
    wb = openpyxl.load_workbook(tmp_path / "out" / "passing.xlsx", read_only=True)
    assert wb.sheetnames[1] == "Trend"
    rows = {r[0]: r[1] for r in wb["Trend"].iter_rows(values_only=True)}
    assert rows["findings new"] == "2" and rows["findings resolved"] == "1"
    assert rows["children_compliance change (points)"] == "+10.0"
    assert rows["previous run as of"] == "2026-09-30"


def _open_keys(as_of: dt.date) -> set[str]:
    f = _dorset(as_of).result.findings.filter(pl.col("outstanding"))
    return set(f.select(pl.concat_str("rule", "subject_id", separator="|")).to_series())


def test_trend_matches_findings_across_two_runs(tmp_path: Path) -> None:
    audit = PASSING.replace("as_of: 2026-10-31", "as_of: {AS_OF}").replace(
        '"out/{name}-{as_of}.json"', '"out/{name}-{as_of}.json", "out/{name}-{as_of}.xlsx"'
    )
    sep = config(tmp_path, audit.replace("{AS_OF}", "2026-09-30"))
    code, res = run(sep, "--summary", str(tmp_path / "history" / "sep.json"))
    assert code == 0, res.output
    oct_cfg = tmp_path / "oct.yaml"
    oct_cfg.write_text(sep.read_text().replace("2026-09-30", "2026-10-31"))
    code, res = run(oct_cfg, "--previous", str(tmp_path / "history"))
    assert code == 0, res.output
    doc = summary_of(res)
    assert doc["previous"] == str(tmp_path / "history" / "sep.json")
    t = doc["audits"][0]["trend"]
    before, now = _open_keys(D(2026, 9, 30)), _open_keys(D(2026, 10, 31))
    assert t["previous_as_of"] == "2026-09-30"
    assert t["findings_new"] == len(now - before) > 0
    assert t["findings_resolved"] == len(before - now) > 0
    assert t["findings_still_open"] == len(now & before) > 0
    assert "still open" in res.stderr
    wb = openpyxl.load_workbook(tmp_path / "out" / "passing-2026-10-31.xlsx", read_only=True)
    rows = {r[0]: r[1] for r in wb["Trend"].iter_rows(values_only=True)}
    assert rows["findings new"] == str(t["findings_new"])


def test_trend_matches_pseudonymised_ids_with_the_same_key(tmp_path: Path) -> None:
    (tmp_path / "audit.key").write_text("a-long-enough-secret-key-for-tests-0123456789\n")
    audit = PASSING.replace("as_of: 2026-10-31", "as_of: {AS_OF}") + (
        "    pseudonymise_key_file: audit.key\n"
    )
    sep = config(tmp_path, audit.replace("{AS_OF}", "2026-09-30"))
    code, _ = run(sep, "--summary", str(tmp_path / "sep.json"))
    assert code == 0
    text = (tmp_path / "sep.json").read_text()
    prev = json.loads(text)["audits"][0]
    assert prev["open_findings"] and all("|PS-" in k for k in prev["open_findings"])
    assert "|C0" not in text  # no raw child ID in the summary
    oct_cfg = tmp_path / "oct.yaml"
    oct_cfg.write_text(sep.read_text().replace("2026-09-30", "2026-10-31"))
    code, res = run(oct_cfg, "--previous", str(tmp_path))
    assert code == 0, res.output
    t = summary_of(res)["audits"][0]["trend"]
    before, now = _open_keys(D(2026, 9, 30)), _open_keys(D(2026, 10, 31))
    assert t["findings_still_open"] == len(now & before) > 0
    assert t["findings_new"] == len(now - before)
    assert t["findings_resolved"] == len(before - now)


def test_the_summary_holds_no_names(tmp_path: Path) -> None:
    audits = PASSING.replace("scope: children", "scope: all").replace(
        "children_compliance >= 0.5", "staff_compliance >= 0"
    )
    code, res = run(config(tmp_path, audits))
    assert code == 0, res.output
    names = pl.read_csv(SAMPLE / "workers.csv")["name"].to_list()
    assert names and not [n for n in names if n in res.stdout]
    keys = summary_of(res)["audits"][0]["open_findings"]
    assert any("|W" in k for k in keys) and any("|C" in k for k in keys)


def test_previous_folder_takes_the_newest_summary(tmp_path: Path) -> None:
    import os

    hist = tmp_path / "history"
    hist.mkdir()
    old = {"tool": batch.SUMMARY_TOOL, "audits": [{"name": "x", "as_of": "2026-08-31"}]}
    new = {"tool": batch.SUMMARY_TOOL, "audits": [{"name": "x", "as_of": "2026-09-30"}]}
    (hist / "b-old.json").write_text(json.dumps(old, indent=2))
    (hist / "a-new.json").write_text(json.dumps(new, indent=2))
    (hist / "z-audit-output.json").write_text(json.dumps({"audits": "not a summary"}))
    (hist / "3.json").write_text("3")
    os.utime(hist / "b-old.json", (1_000_000, 1_000_000))
    os.utime(hist / "a-new.json", (2_000_000, 2_000_000))
    os.utime(hist / "z-audit-output.json", (3_000_000, 3_000_000))
    got = batch.load_previous(hist)
    assert got is not None and got["audits"][0]["as_of"] == "2026-09-30"
    assert got["path"] == str(hist / "a-new.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert batch.load_previous(empty) is None
    with pytest.raises(UsageError, match="not a batch summary"):
        batch.load_previous(hist / "3.json")
    with pytest.raises(UsageError, match="not found"):
        batch.load_previous(tmp_path / "nope.json")


def test_first_run_with_an_empty_history_folder(tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    code, res = run(config(tmp_path, PASSING), "--previous", str(tmp_path / "history"))
    assert code == 0, res.output
    assert "no previous summary in" in res.stderr
    assert summary_of(res)["audits"][0]["trend"] is None


def _without_run_details(doc: dict, folder: Path) -> dict:
    text = json.dumps(doc).replace(str(folder), "<folder>")
    doc = json.loads(text)
    for a in doc["audits"]:
        a.pop("duration_seconds")
    return doc


def test_jobs_1_and_2_give_identical_outputs(tmp_path: Path) -> None:
    audits = (
        PASSING
        + FAILING.replace('"out/{name}.xlsx"', '"out/{name}.json", "out/{name}.csv"')
        + BROKEN
    )
    one, two = tmp_path / "one", tmp_path / "two"
    docs = []
    for folder, jobs in ((one, "1"), (two, "2")):
        folder.mkdir()
        code, res = run(config(folder, audits), "--jobs", jobs, "--summary", str(folder / "s.json"))
        assert code == 2, res.output
        docs.append(_without_run_details(json.loads((folder / "s.json").read_text()), folder))
    assert docs[0] == docs[1]
    assert [a["status"] for a in docs[0]["audits"]] == ["ok", "threshold_failed", "error"]
    for name in ("passing-2026-10-31.json", "failing.json"):
        a = json.loads((one / "out" / name).read_text())
        b = json.loads((two / "out" / name).read_text())
        assert a == b and len(a["findings"]) > 0
    assert (one / "out" / "failing.csv").read_bytes() == (two / "out" / "failing.csv").read_bytes()


def test_the_shipped_example_config_is_valid() -> None:
    jobs = load_config(ROOT / "examples" / "batch.yaml", D(2026, 11, 23))
    assert len(jobs) == 3
    assert {Path(o).resolve().parent for j in jobs for o in j.outputs} == {ROOT / "out" / "batch"}
    assert all(Path(j.data).is_dir() for j in jobs)


def test_the_example_workflow_runs_the_batch_monthly() -> None:
    wf = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as True
    assert on["schedule"] == [{"cron": "0 6 1 * *"}]
    steps = wf["jobs"]["audit"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "make install" in runs and "supervision-audit batch examples/batch.yaml" in runs
    upload = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload and upload[0]["with"]["path"] == "out/batch/"
    assert upload[0].get("if") == "always()"  # keep the workbooks when a threshold fails


def test_the_readme_config_example_is_valid(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Scheduled batch audits") :]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", 10)]
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "audit.key").write_text("a-long-enough-secret-key-for-tests-0123")
    path = tmp_path / "cfg" / "audits.yaml"
    path.parent.mkdir()
    example = example.replace("../sample_data", str(SAMPLE))
    path.write_text(example.replace("secrets/", "../secrets/"))
    (job,) = load_config(path, D(2026, 11, 23))
    assert (job.ruleset, job.source, job.as_of) == ("lambeth", "canonical", D(2026, 10, 31))
    assert [t.metric for t in job.thresholds] == [
        "children_compliance",
        "staff_compliance",
        "red_findings",
    ]


def test_every_config_mistake_is_reported_in_one_run(tmp_path: Path) -> None:
    """Issue 16: three mistakes in two audits (an unknown field, a bad threshold, a key
    file that is not there) and a bad top-level rag: all four in one run, each on its own
    line naming the audit (or the config) and the field, exit 2, nothing run."""
    second = PASSING.replace("name: passing", "name: second").replace("{name}", "second")
    body = PASSING.replace("scope: children", "scop: children").replace(
        ">= 0.5", ">= 85"
    ) + second.replace("scope: children", "pseudonymise_key_file: nowhere.key")
    path = tmp_path / "batch.yaml"
    path.write_text('rag: "90"\naudits:\n' + body)
    with pytest.raises(batch.ConfigErrors) as err:
        load_config(path, D(2026, 11, 23))
    assert len(err.value.problems) == 4
    code, res = run(path, "--summary", str(tmp_path / "out" / "s.json"))
    assert code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 4, lines
    assert all(line.startswith(f"error: {path}, line ") for line in lines), lines
    expected = [
        "batch config: field 'rag': '90' must be two percentages",
        "audit passing: field 'scop': unknown field 'scop'",
        "audit passing: field 'thresholds': threshold 'children_compliance >= 85': "
        "compliance is a share from 0 to 1",
        "audit second: field 'pseudonymise_key_file':",
    ]
    for line, want in zip(lines, expected, strict=True):
        assert want in line, (want, line)
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()  # nothing ran, no summary written


def _rag_fills(path: Path) -> tuple[str, set[str]]:
    """The Summary's text and the fill colours of its 'Children' compliance cells."""
    ws = openpyxl.load_workbook(path)["Summary"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    children = next(row for row in ws.iter_rows() if row[0].value == "Children")
    return text, {children[3].fill.fgColor.rgb}


def test_rag_cut_offs_from_the_config_reach_the_workbook(tmp_path: Path) -> None:
    """Issue 16: `rag:` at the top applies to every audit, an audit's own `rag:` wins; the
    workbook's Summary colours and defines its figures with them (the small fixture's
    children are 66.7% with no breach: green from 60%, amber from 50% to under 70%)."""
    small = Path(__file__).parent / "fixtures" / "small"
    audit = f"""
  - name: {{name}}
    data: {small}
    ruleset: devon
    scope: children
    as_of: 2024-06-30
    history_from: 2024-01-01
    outputs: ["out/{{{{name}}}}.xlsx", "out/{{{{name}}}}.json"]
"""
    body = 'rag: "60,50"\naudits:\n' + audit.format(name="top")
    body += audit.format(name="own") + '    rag: "70%, 50%"\n'
    path = tmp_path / "batch.yaml"
    path.write_text(body)
    jobs = load_config(path, D(2026, 11, 23))
    assert [j.rag for j in jobs] == [(60.0, 50.0), (70.0, 50.0)]
    code, res = run(path, "--jobs", "1")
    assert code == 0, res.output
    text, fills = _rag_fills(tmp_path / "out" / "top.xlsx")
    assert "Green: 60% or more with no breach. Amber: 50% to under 60%." in text
    assert fills == {"FFC6E5B3"}  # green
    text, fills = _rag_fills(tmp_path / "out" / "own.xlsx")
    assert "Green: 70% or more with no breach. Amber: 50% to under 70%." in text
    assert fills == {"FFFFE29A"}  # amber
    doc = json.loads((tmp_path / "out" / "own.json").read_text())
    assert doc["summary"]["rag"] == {"green": 70.0, "amber": 50.0}
    # without rag: the defaults, 66.7% is red
    path.write_text("audits:\n" + audit.format(name="plain"))
    code, res = run(path, "--jobs", "1")
    assert code == 0, res.output
    text, fills = _rag_fills(tmp_path / "out" / "plain.xlsx")
    assert "Green: 90% or more" in text and fills == {"FFF4B6B6"}
