"""Every option or usage error, on every command, is one line on standard error: what is
wrong, the closest name where one is close, and where --help is; exit 2, no traceback, no
usage block (issue 16: Click's own take three lines)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import run_cli
from tools import cli_docs

COMMANDS = cli_docs.commands()
GROUPS = [(n, c) for n, c in COMMANDS if hasattr(c, "commands")]
LEAVES = [(n, c) for n, c in COMMANDS if not hasattr(c, "commands")]
S = ["--data", "sample_data", "--ruleset", "lambeth", "--as-of", "2026-10-31"]


def words(name: str) -> list[str]:
    return name.split()[1:]


def assert_one_line(code: int, out: str, err: str, *needles: str) -> str:
    assert code == 2, (code, out, err)
    assert out == "", out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: "), line
    assert "Traceback" not in err and "Usage:" not in err and "Try '" not in err
    for needle in needles:
        assert needle in line, (needle, line)
    return line


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_an_unknown_option_is_one_line_naming_the_commands_help(name: str) -> None:
    line = assert_one_line(
        *run_cli(*words(name), "--bogus"), "no such option --bogus", f"see '{name} --help'"
    )
    assert "did you mean" not in line  # nothing is close to --bogus


@pytest.mark.parametrize(("name", "cmd"), LEAVES, ids=[n for n, _ in LEAVES])
def test_a_misspelt_option_suggests_the_closest_name(name: str, cmd: Any) -> None:
    option = sorted(o for p in cmd.params for o in p.opts if o.startswith("--") and len(o) > 6)[0]
    typo = option[:3] + option[4:]  # one letter dropped: --dta for --data
    assert_one_line(*run_cli(*words(name), typo), f"did you mean {option}?", f"'{name} --help'")


@pytest.mark.parametrize(("name", "cmd"), GROUPS, ids=[n for n, _ in GROUPS])
def test_an_unknown_command_is_one_line_with_the_closest(name: str, cmd: Any) -> None:
    assert_one_line(*run_cli(*words(name), "zzzz"), "no such command 'zzzz'", f"'{name} --help'")
    first = sorted(cmd.commands)[0]
    typo = first[:-1] if len(first) > 4 else first + "x"
    assert_one_line(*run_cli(*words(name), typo), f"did you mean {first}?")


@pytest.mark.parametrize(("name", "cmd"), LEAVES, ids=[n for n, _ in LEAVES])
def test_an_option_given_no_value_is_one_line(name: str, cmd: Any) -> None:
    options = [p for p in cmd.params if not getattr(p, "is_flag", True)]
    valued = sorted(o for p in options for o in p.opts if o.startswith("--") and o != "--help")
    if not valued:
        pytest.skip(f"{name} takes no option with a value")
    assert_one_line(
        *run_cli(*words(name), valued[0]),
        f"option '{valued[0]}' requires an argument",
        f"see '{name} --help'",
    )


@pytest.mark.parametrize(("name", "cmd"), LEAVES, ids=[n for n, _ in LEAVES])
def test_a_missing_required_option_or_argument_is_one_line(name: str, cmd: Any) -> None:
    required = [p for p in cmd.params if p.required]
    if not required:
        pytest.skip(f"{name} needs nothing")
    assert_one_line(*run_cli(*words(name)), "missing", f"see '{name} --help'")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["audit", *S[:4], "--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date"),
        (["audit", *S, "--trend", "abc"], "invalid value for '--trend'"),
        (["audit", *S, "--format", "xml"], "--format must be"),
        (["audit", *S, "--scope", "everyone"], "--scope must be one of"),
        (["audit", *S, "--rag", "75,90"], "--rag '75,90'"),
        (["due", *S, "--within", "soon"], "--within"),
        (["sample", *S, "--per-supervisor", "many"], "invalid value for '--per-supervisor'"),
        (["rulesets", "list", "--format", "xml"], "--format must be"),
        (["profiles", "new", "--from", "nope", "never-written.yaml"], "--source 'nope'"),
        (["explain", "C0000126", *S[:4], "--as-of", "31/02/2026"], "is not a date"),
    ],
    ids=lambda v: " ".join(v[:2]) if isinstance(v, list) else "",
)
def test_bad_values_and_choices_are_one_line(args: list[str], needle: str) -> None:
    assert_one_line(*run_cli(*args), needle)
