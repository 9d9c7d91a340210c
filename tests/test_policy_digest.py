"""Every requirement of the project's policy digest is answered by a shipped ruleset: encoded
as a rule, or listed as not auditable with the reason; none is missing.

The digest lives outside the repository, in the shared folder next to the clone
(../shared/policy-digest.md in CI; /work/shared from a worktree two levels down). A copy
ships with the policy texts so that `rulesets show` can count without it; this test checks
the copy has exactly the shared digest's ids, then counts every ruleset against them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supervision_audit.rules.digest import digest_ids, digest_states
from supervision_audit.rules.loading import builtin_names, load_ruleset

ROOT = Path(__file__).resolve().parents[1]
REQUIRED_PARAMS: dict[str, dict[str, str]] = {"worcestershire": {"personal_interval": "4w"}}
ID_ROW = re.compile(r"^\|\s*([A-Z]{3}-[CS]\d+)\s*\|", re.MULTILINE)


def shared_digest() -> Path:
    for folder in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if (folder / "policy-digest.md").is_file():
            return folder / "policy-digest.md"
    raise AssertionError(
        f"policy-digest.md not found in {ROOT.parent / 'shared'} or {ROOT.parent.parent / 'shared'}"
    )


def test_the_shipped_digest_copy_has_the_shared_digests_ids() -> None:
    shared = ID_ROW.findall(shared_digest().read_text(encoding="utf-8"))
    assert len(shared) == 57  # 21 Lambeth + 4 Worcestershire + 10 Dorset + 5 Portsmouth + 17 Devon
    assert digest_ids() == shared


@pytest.mark.parametrize("name", builtin_names())
def test_no_digest_requirement_is_missing(name: str) -> None:
    ruleset = load_ruleset(name, REQUIRED_PARAMS.get(name, {}))
    states = digest_states(ruleset)
    prefix = {
        "lambeth": "LAM",
        "worcestershire": "WOR",
        "dorset": "DOR",
        "portsmouth": "POR",
        "devon": "DEV",
    }[name]
    expected = [i for i in digest_ids() if i.startswith(prefix + "-")]
    assert sorted(states["encoded"] + states["not_auditable"] + states["missing"]) == sorted(
        expected
    )
    assert states["missing"] == []


def test_the_counts_every_ruleset_reports() -> None:
    # worked from the mappings: Lambeth, Dorset, Portsmouth and Devon encode every digest
    # requirement; Worcestershire lists WOR-S3 (no interval: "case supervision recorded (no
    # interval set)") as not auditable.
    counts = {
        name: {
            k: len(v)
            for k, v in digest_states(load_ruleset(name, REQUIRED_PARAMS.get(name, {}))).items()
        }
        for name in builtin_names()
    }
    assert counts == {
        "devon": {"encoded": 17, "not_auditable": 0, "missing": 0},
        "dorset": {"encoded": 10, "not_auditable": 0, "missing": 0},
        "lambeth": {"encoded": 21, "not_auditable": 0, "missing": 0},
        "portsmouth": {"encoded": 5, "not_auditable": 0, "missing": 0},
        "worcestershire": {"encoded": 3, "not_auditable": 1, "missing": 0},
    }


def test_a_requirement_left_out_of_the_mapping_is_counted_missing(tmp_path: Path) -> None:
    # the check can fail: drop LAM-S8 from a copy of the Lambeth mapping
    src = ROOT / "supervision_audit" / "rulesets" / "lambeth.yaml"
    text = src.read_text(encoding="utf-8")
    assert "\n  LAM-S8: LAM-S8\n" in text
    copy = tmp_path / "lambeth_copy.yaml"
    copy.write_text(text.replace("\n  LAM-S8: LAM-S8\n", "\n"), encoding="utf-8")
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "supervision_audit" / "rulesets" / "policies", policies)
    states = digest_states(load_ruleset(str(copy), {}))
    assert states["missing"] == ["LAM-S8"]


def test_rulesets_show_and_list_print_the_three_counts() -> None:
    from supervision_audit.cli.app import app

    runner = CliRunner()
    shown = runner.invoke(app, ["rulesets", "show", "lambeth"])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "21 digest requirements: 21 encoded, 0 not auditable, 0 missing" in flat
    listed = runner.invoke(app, ["rulesets", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"digest_missing": 0' in listed.output
