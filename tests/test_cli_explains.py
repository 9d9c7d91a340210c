"""A command line that explains itself: audit --threshold with batch's grammar and exit
codes; an example in every command's --help; full descriptions in the top-level help."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.helpers import run_cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
ARGS = ["audit", "--data", str(SAMPLE), "--ruleset", "lambeth", "--as-of", "2026-10-31"]


def invoke(*args: str) -> tuple[int, str, str]:
    return run_cli(*args, env={"COLUMNS": "80"})


def test_audit_threshold_fails_the_step_with_exit_1() -> None:
    # the sample: 223 of 338 children with no breach (66.0%), 2006 red findings
    code, _, err = invoke(
        *ARGS,
        "--format",
        "csv",
        "--threshold",
        "children_compliance >= 0.85",
        "--threshold",
        "red_findings <= 5000",
    )
    assert code == 1
    assert "children_compliance >= 0.85" in err and "0.66" in err
    assert "red_findings" not in err  # only failures are reported


def test_audit_threshold_met_exits_0() -> None:
    code, _, err = invoke(*ARGS, "--format", "csv", "--threshold", "children_compliance >= 0.6")
    assert code == 0 and "threshold" not in err


@pytest.mark.parametrize(
    "text", ["children_compliance >= 85", "nonsense", "findings => 3", "__import__('os') > 1"]
)
def test_a_bad_threshold_is_one_line_and_exit_2_before_the_audit(text: str) -> None:
    code, out, err = invoke(*ARGS, "--threshold", text)
    assert code == 2 and out == ""
    assert err.startswith("error: --threshold") and len(err.strip().splitlines()) == 1


def _all_commands() -> list[list[str]]:
    from supervision_audit.cli.examples import EXAMPLES

    return [name.split() for name in EXAMPLES]


def test_every_command_has_an_example_and_readable_placeholders() -> None:
    from supervision_audit.cli.examples import EXAMPLES

    code, top, _ = invoke("--help")
    commands = top.split("Commands:", 1)[1]
    assert code == 0 and "..." not in commands  # descriptions whole, not cut at the width
    for path in _all_commands():
        code, out, err = invoke(*path, "--help")
        assert code == 0, (path, err)
        assert "Examples:" in out and EXAMPLES[" ".join(path)][0] in out, path
        options = [line for line in out.splitlines() if line.lstrip().startswith("-")]
        assert not [o for o in options if re.search(r"<(?:str|path|int|list\[str\])>", o)], path
    code, out, _ = invoke("audit", "--help")
    for placeholder in ("--as-of DATE", "--ruleset RULESET", "--output FILE", "--data FOLDER"):
        assert placeholder in out


def test_every_example_runs_on_the_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from supervision_audit.cli.examples import EXAMPLES

    (tmp_path / "sample_data").symlink_to(SAMPLE, target_is_directory=True)
    root = SAMPLE.parent
    (tmp_path / "examples").symlink_to(root / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    order = sorted(EXAMPLES, key=lambda name: name != "rulesets new")  # kent.yaml first
    seen: set[str] = set()  # the root's and groups' examples repeat their commands' ones
    for name in order:
        if name == "batch":
            continue  # runs every audit in examples/batch.yaml: tests/test_batch.py does
        for line in EXAMPLES[name]:
            if line in seen:
                continue
            seen.add(line)
            code, _out, err = invoke(*shlex.split(line)[1:])
            if name == "rulesets validate":
                # the starter's quotes are placeholders: validate says so, naming the file
                assert code in (0, 2) and "kent.yaml" in err + _out, (line, err)
                continue
            assert code == 0, (line, err)


def test_rulesets_take_format_json_and_keep_json_as_a_hidden_alias() -> None:
    import json

    code, out, _ = invoke("rulesets", "list", "--format", "json")
    assert code == 0 and {r["name"] for r in json.loads(out)} >= {"lambeth", "dorset"}
    code, old, _ = invoke("rulesets", "list", "--json")
    assert code == 0 and old == out
    code, helptext, _ = invoke("rulesets", "list", "--help")
    assert "--format" in helptext and "--json" not in helptext
    code, _, err = invoke("rulesets", "list", "--format", "xml")
    assert code == 2 and len(err.strip().splitlines()) == 1
