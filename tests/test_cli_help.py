"""Every command's --help explains itself: an example that parses (each command, the root
and group pages too), readable placeholders (no Python types, arguments included), and
whole descriptions in the command lists (issue 16)."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest
from typer.testing import CliRunner

from supervision_audit.cli import app
from tools import cli_docs

COMMANDS = cli_docs.commands()
NAMES = [name for name, _ in COMMANDS]
runner = CliRunner()


def help_at(name: str, cmd: Any, width: int) -> str:
    ctx = cmd.context_class(cmd, info_name=name, terminal_width=width, max_content_width=width)
    return str(cmd.get_help(ctx))


def examples(text: str) -> list[str]:
    """The command lines under the help's 'Example' heading."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith("Example")]
    out = []
    for i in starts:
        for line in lines[i + 1 :]:
            if not line.strip().startswith("supervision-audit "):
                break
            out.append(line.strip())
    return out


def test_the_walk_sees_every_command() -> None:
    for expected in (
        "supervision-audit",
        "supervision-audit audit",
        "supervision-audit due",
        "supervision-audit explain",
        "supervision-audit inspect",
        "supervision-audit sample",
        "supervision-audit batch",
        "supervision-audit rulesets",
        "supervision-audit rulesets compare",
        "supervision-audit rulesets validate",
        "supervision-audit profiles",
        "supervision-audit profiles list",
        "supervision-audit profiles new",
    ):
        assert expected in NAMES
    assert len(NAMES) == 17


LEAVES = [(n, c) for n, c in COMMANDS if not hasattr(c, "commands")]


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=NAMES)
def test_help_has_an_example_of_this_command_on_one_line(name: str, cmd: Any) -> None:
    text = help_at(name, cmd, 80)
    assert "Example" in text
    lines = examples(text)
    assert lines, f"{name}: no 'supervision-audit ...' line under 'Example'"
    assert any(line == name or line.startswith(name + " ") for line in lines), lines
    # The \b marker keeps an example unwrapped at 80 columns: the whole command line.
    for line in lines:
        if "--ruleset" in line:
            assert "--as-of 2026-10-31" in line, line


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=NAMES)
def test_examples_use_real_options(name: str, cmd: Any) -> None:
    """Each example parses: its subcommand exists, its options exist and its values convert
    (parsing only; nothing runs)."""
    root = COMMANDS[0][1]
    for line in examples(help_at(name, cmd, 80)):
        args = shlex.split(line)[1:]
        current, info = root, "supervision-audit"
        while hasattr(current, "commands") and args and args[0] in current.commands:
            info = f"{info} {args[0]}"
            current, args = current.commands[args[0]], args[1:]
        assert not hasattr(current, "commands"), f"{line}: names a group, not a command"
        current.make_context(info, args)  # raises click.UsageError on an unknown option


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=NAMES)
def test_placeholders_are_words_not_python_types(name: str, cmd: Any) -> None:
    text = help_at(name, cmd, 100)
    python_types = re.findall(r"<[a-z_\[\]|, ]+>", text)
    assert not python_types, f"{name}: {python_types}"
    assert not re.findall(r"\{[a-z_]+\}", text), f"{name}: lower-case argument placeholder"


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize(
    ("name", "cmd"), [(n, c) for n, c in COMMANDS if hasattr(c, "commands")], ids=str
)
def test_command_lists_show_whole_descriptions(name: str, cmd: Any, width: int) -> None:
    text = help_at(name, cmd, width)
    listing = text.split("Commands:", 1)[1]
    assert "..." not in listing and "…" not in listing, listing
    for sub in cmd.commands.values():
        assert sub.get_short_help_str(limit=10_000).endswith("."), sub.name


def test_rulesets_format_json_and_the_hidden_json_alias() -> None:
    for args in (["list"], ["show", "dorset"], ["explain", "DOR-C1"], ["compare"]):
        new = runner.invoke(app, ["rulesets", *args, "--format", "json"])
        old = runner.invoke(app, ["rulesets", *args, "--json"])
        assert new.exit_code == 0 and old.exit_code == 0, (new.output, old.output)
        assert json.loads(new.stdout) == json.loads(old.stdout)
        table = runner.invoke(app, ["rulesets", *args])
        assert table.exit_code == 0
        assert not table.stdout.lstrip().startswith(("{", "["))
        helptext = runner.invoke(app, ["rulesets", args[0], "--help"]).stdout
        assert "--format" in helptext
        assert "--json" not in helptext
    bad = runner.invoke(app, ["rulesets", "list", "--format", "xml"])
    assert bad.exit_code == 2
    assert "--format must be table or json (got 'xml')" in bad.output
