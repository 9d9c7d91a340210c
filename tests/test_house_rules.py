"""House rules that keep the code honest: vectorised library code, help on every command,
no traceback locals, and no option named after a Python builtin."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
from typer.core import TyperOption

from supervision_audit.cli import app

PACKAGE = Path(__file__).resolve().parents[1] / "supervision_audit"
# The plain-Python reference clock (tests/) and the benchmark (tools/) live outside the package.
EXEMPT: set[str] = set()


def library_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.name not in EXEMPT]


def test_no_row_loops_in_library_code() -> None:
    offenders = []
    pattern = re.compile(r"\.(iter_rows|map_elements|map_rows|apply)\(")
    for path in library_files():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_catch_a_row_loop() -> None:
    assert re.search(r"\.(iter_rows|map_elements|map_rows|apply)\(", "df.iter_rows(named=True)")


def _commands(group, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if hasattr(cmd, "commands"):
            out += _commands(cmd, f"{prefix}{name} ")
    return out


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert len(commands) >= 3
    for name, cmd in commands:
        assert (cmd.help or "").strip(), f"command '{name}' has no help text"
        for param in cmd.params:
            if isinstance(param, TyperOption):
                assert (param.help or "").strip(), f"'{name}' option {param.opts} has no help"


def test_no_parameter_shadows_a_builtin() -> None:
    root = typer.main.get_command(app)
    for name, cmd in _commands(root):
        for param in cmd.params:
            assert param.name not in {"type", "format", "input", "json", "id", "filter"}, (
                name,
                param.name,
            )


def test_tracebacks_never_show_locals() -> None:
    assert app.pretty_exceptions_show_locals is False
