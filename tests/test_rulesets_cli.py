"""`supervision-audit rulesets ...`: list, show, explain, validate, new, compare, and custom
rulesets (a path, `extends`, vocabulary) used by `audit`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli as run

SMALL = Path(__file__).parent / "fixtures" / "small"


def test_list_shows_all_five_with_coverage() -> None:
    code, out, _ = run("rulesets", "list", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == {"dorset", "devon", "lambeth", "portsmouth", "worcestershire"}
    assert rows["worcestershire"]["parameters"] == (
        "personal_interval (required), agreement_within=4w"
    )
    assert all(r["rules"] >= 1 and r["not_auditable"] >= 1 for r in rows.values())


def test_explain_prints_quote_reading_and_example() -> None:
    code, out, _ = run("rulesets", "explain", "dor-c1")
    assert code == 0
    assert "A supervision episode should be recorded on MOSAIC" in out
    assert "How the tool reads it" in out and "Example of a breach" in out
    assert "found verbatim in policies/dorset.txt" in out


def test_explain_unknown_id_is_a_clear_error() -> None:
    code, _, err = run("rulesets", "explain", "XYZ-C9")
    assert code == 2 and "XYZ-C9" in err


def test_new_then_validate_then_audit(tmp_path: Path) -> None:
    target = tmp_path / "kent.yaml"
    code, _, err = run("rulesets", "new", "kent", "--out", str(target))
    assert code == 0, err
    # The starter's quotes are placeholders and its policy text is not there: not verified.
    code, out, err = run("rulesets", "validate", str(target))
    assert code == 2
    assert "still the starter text" in err and "kent_policy.txt not found" in err
    args = ["audit", "--data", str(SMALL), "--ruleset", str(target), "--as-of", "2024-06-30"]
    args += ["--scope", "children", "--format", "json"]
    code, out, err = run(*args)
    assert code == 2 and "--allow-unverified" in err
    code, out, err = run(*args, "--allow-unverified")
    assert code == 0, err
    doc = json.loads(out)
    assert {f["rule"] for f in doc["findings"]} == {"KEN-C1"}
    assert doc["summary"]["ruleset_verified"] is False


@pytest.mark.parametrize(
    ("old", "new", "message", "at"),
    [
        ("limit: 6w", "limit: 3w", "shorter than the target", "limit: 3w"),
        ("categories: [CP]", "categories: [CPP]", "unknown value 'CPP'", "categories: [CPP]"),
        ("- id: KEN-S1", "- id: KEN-C1", "duplicate rule id", "- id: KEN-C1"),
        ("every: 1m", "every: 0m", "at least one", "every: 0m"),
        ('version: "0.1.0"', "version: 0.1", "expected text", "version: 0.1"),
        (
            "  event_kinds:",
            "  event_kinds:\n    Supervision: CASE_SUPERVISION\n  event_kinds:",
            "duplicate key",
            "event_kinds:",
        ),
    ],
)
def test_validate_errors_name_the_line(
    tmp_path: Path, old: str, new: str, message: str, at: str
) -> None:
    target = tmp_path / "kent.yaml"
    run("rulesets", "new", "kent", "--out", str(target))
    text = target.read_text()
    assert old in text
    edited = text.replace(old, new, 1)
    target.write_text(edited)
    lines = [n for n, line in enumerate(edited.splitlines(), 1) if at in line]
    expected = lines[-1]  # the offending (last) occurrence
    code, _, err = run("rulesets", "validate", str(target))
    assert code == 2
    assert message in err
    assert f"line {expected}" in err


def test_python_tags_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "evil.yaml"
    bad.write_text("name: !!python/object/apply:os.system ['echo hi']\n")
    code, _, err = run("rulesets", "validate", str(bad))
    assert code == 2 and "line 1" in err


def test_extends_overrides_a_rule_and_maps_local_vocabulary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "episodes.csv").write_text(
        "person_id,category,start_date\nK1,Child Protection Plan,2024-01-01\n"
    )
    (data / "case_events.csv").write_text(
        "person_id,date,kind\nK1,2024-01-20,Record of supervision discussion\n"
    )
    custom = tmp_path / "mine.yaml"
    custom.write_text(
        "extends: dorset\nname: mine\nauthority: My Council\nversion: '0.1'\n"
        "vocabulary:\n  categories: {'Child Protection Plan': CP}\n"
        "  event_kinds: {'Record of supervision discussion': CASE_SUPERVISION}\n"
        "drop_rules: [DOR-S3]\n"
    )
    code, out, err = run(
        "audit",
        "--data",
        str(data),
        "--ruleset",
        str(custom),
        "--as-of",
        "2024-03-01",
        "--scope",
        "children",
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    # Dorset's CP rule, inherited: 20 Jan + 28 days = 17 Feb; 13 days outstanding on 1 Mar
    assert [(f["rule"], f["due_date"], f["days_overdue"]) for f in doc["findings"]] == [
        ("DOR-C1", "2024-02-17", 13)
    ]
    code, out, _ = run("rulesets", "show", str(custom), "--json")
    ids = [r["id"] for r in json.loads(out)["rules"] if r["id"]]
    assert "DOR-S3" not in ids and "DOR-C1" in ids


def test_required_parameter_missing_says_what_to_pass() -> None:
    code, _, err = run(
        "audit", "--data", str(SMALL), "--ruleset", "worcestershire", "--as-of", "2024-06-30"
    )
    assert code == 2 and "--param personal_interval=" in err


def test_unknown_parameter_is_an_error() -> None:
    code, _, err = run(
        "audit",
        "--data",
        str(SMALL),
        "--ruleset",
        "dorset",
        "--as-of",
        "2024-06-30",
        "--param",
        "nope=4w",
    )
    assert code == 2 and "no parameter 'nope'" in err


def test_compare_side_by_side() -> None:
    code, out, _ = run("rulesets", "compare", "--json")
    assert code == 0
    doc = json.loads(out)
    cp = next(r for r in doc["cases"] if r["group"] == "CP")
    assert cp["dorset"] == "4 weeks" and cp["devon"] == "month"
    assert cp["lambeth"] == "4 weeks (limit 8 weeks)" or cp["lambeth"].startswith("4 weeks")
    cin_hr = next(r for r in doc["cases"] if r["group"] == "CIN + HIGH_RISK")
    assert cin_hr["devon"] == "month"
    asye = next(r for r in doc["staff"] if r["group"] == "Newly qualified (ASYE), week 2")
    assert asye["dorset"] == "week" and asye["devon"] == "week"
    assert doc["placeholders"] == {"worcestershire": ["personal_interval"]}
    code, out, _ = run("rulesets", "compare")
    assert "Case supervision" in out and "Staff supervision" in out


def test_explain_reads_a_users_own_ruleset_checked_against_its_own_policy_file(
    tmp_path: Path,
) -> None:
    """A council's ruleset and its policy text travel together: `rulesets explain --ruleset
    FILE` finds the council's own rule, and its quote is checked against the policy file the
    YAML names, next to the YAML."""
    root = Path(__file__).resolve().parents[1] / "supervision_audit" / "rulesets"
    text = (root / "dorset.yaml").read_text(encoding="utf-8")
    own = text.replace("DOR-", "KEN-").replace("file: policies/dorset.txt", "file: kent.txt")
    (tmp_path / "kent.yaml").write_text(own, encoding="utf-8")
    (tmp_path / "kent.txt").write_text(
        (root / "policies" / "dorset.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    code, out, _ = run("rulesets", "explain", "ken-c1", "--ruleset", str(tmp_path / "kent.yaml"))
    assert code == 0
    assert "KEN-C1" in out and "(found verbatim in kent.txt)" in out
    code, _, err = run("rulesets", "explain", "ken-c1")
    assert code == 2 and "--ruleset FILE" in err
