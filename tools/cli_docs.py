"""Generate docs/cli.md from the commands' own --help, so the CLI reference cannot go stale.

python -m tools.cli_docs           # rewrite docs/cli.md
python -m tools.cli_docs --check   # exit 1 if docs/cli.md is not current
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import typer.main

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"
WIDTH = 100


def commands() -> list[tuple[str, Any]]:
    """Every command and group, depth first, as (full name, click command)."""
    from supervision_audit.cli import app

    root = typer.main.get_command(app)
    out: list[tuple[str, Any]] = []

    def walk(name: str, cmd: Any) -> None:
        out.append((name, cmd))
        if hasattr(cmd, "commands"):
            for sub in sorted(cmd.commands):
                walk(f"{name} {sub}", cmd.commands[sub])

    walk("supervision-audit", root)
    return out


def help_text(name: str, cmd: Any) -> str:
    ctx = cmd.context_class(cmd, info_name=name, terminal_width=WIDTH, max_content_width=WIDTH)
    return cmd.get_help(ctx).rstrip() + "\n"


def render() -> str:
    parts = [
        "# Command reference",
        "",
        "Generated from each command's `--help` by `make docs` (tools/cli_docs.py); a test fails",
        "when it is out of date. Run any command with `--help` to see the same text.",
        "",
    ]
    for name, cmd in commands():
        parts += [f"## `{name}`", "", "```text", help_text(name, cmd).rstrip(), "```", ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/cli.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run make docs")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
