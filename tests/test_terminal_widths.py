"""At 80 and 120 columns every command's table output wraps long text at spaces and never
splits a word: no date ("03/11/202" / "5"), id, rule id or name you must type
("worcesters" / "hire", "authorit" / "y") is cut, and no line is wider than the terminal
(issue 16).

The check is general: the words of the output at 80 or 120 columns must all be words of the
same output at 1,000 columns, where nothing needs wrapping. A split leaves a fragment
("authorit") that is not a word of the wide output; a cell cut with an ellipsis does too.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_cli

S = ["--data", "sample_data", "--ruleset", "lambeth", "--as-of", "2026-10-31"]
COMMANDS = {
    "audit": ["audit", *S, "--limit", "40"],
    "audit staff": ["audit", *S, "--scope", "staff", "--limit", "40"],
    "due": ["due", *S, "--within", "14d"],
    "sample": ["sample", *S, "--per-supervisor", "1", "--seed", "7"],
    "explain": ["explain", "C0000126", *S],
    "explain worker": ["explain", "W00017", *S],
    "inspect": ["inspect", "--data", "sample_data/mosaic"],
    "rulesets list": ["rulesets", "list"],
    "rulesets show": ["rulesets", "show", "worcestershire"],
    "rulesets show lambeth": ["rulesets", "show", "lambeth"],
    "rulesets explain": ["rulesets", "explain", "LAM-C1"],
    "rulesets compare": ["rulesets", "compare"],
    "profiles list": ["profiles", "list"],
}
BOX = re.compile(r"[\s\u2500-\u257f]+")


def words(text: str) -> set[str]:
    return {w for line in text.splitlines() for w in BOX.split(line) if w}


def output(args: list[str], width: int) -> str:
    code, out, err = run_cli(*args, env={"COLUMNS": str(width)})
    assert code == 0, err
    return out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_no_word_is_split_at_80_or_120_columns(name: str) -> None:
    wide = words(output(COMMANDS[name], 1000))
    for width in (80, 120):
        text = output(COMMANDS[name], width)
        too_long = [line for line in text.splitlines() if len(line) > width]
        assert not too_long, f"{name} at {width}: {too_long[:3]}"
        # A table too wide for the terminal comes in parts ("(continued)"), or as one
        # "column: value" record per row.
        extra = {w for w in words(text) if w == "(continued)" or w[:-1] in wide}
        fragments = sorted(words(text) - wide - extra)
        assert not fragments, f"{name} at {width} columns splits: {fragments[:20]}"
        assert "…" not in text, f"{name} at {width}: a cell is cut short"


def test_the_check_sees_a_split_and_print_table_avoids_it() -> None:
    """Rich alone, squeezed to 24 columns, folds 'worcestershire' (the check sees the
    fragments); print_table shows the same table in parts or as records, whole words only."""
    import io

    from rich.table import Table

    from supervision_audit.report.terminal import SafeConsole, print_table

    table = Table("name", "authority", "rules")
    table.add_row("worcestershire", "Worcestershire Safeguarding Children Board", "3 (0 case)")

    def render(width: int, draw: bool) -> str:
        console = SafeConsole(width=width, record=True, file=io.StringIO())
        if draw:
            print_table(console, table)
        else:
            console.print(table)
        return console.export_text()

    wide = words(render(1000, False))
    assert words(render(24, False)) - wide  # Rich's own fold leaves fragments
    for width in (24, 40, 60):
        text = render(width, True)
        assert {w for w in words(text) - wide if w != "(continued)" and w[:-1] not in wide} == set()
        assert max(len(line) for line in text.splitlines()) <= width


def test_every_table_comes_out_in_the_same_order_each_run() -> None:
    """Deterministic order: the inspect report's data issues are sorted on every key (table,
    most rows first, then column, reason and action), and two runs of each table print the
    same lines."""
    import json

    code, out, err = run_cli("inspect", "--data", "sample_data/mosaic", "--format", "json")
    assert code == 0, err
    issues = json.loads(out)["data_issues"]
    keys = [(i["table"], -i["rows"], i["column"] or "", i["reason"], i["action"]) for i in issues]
    assert issues and keys == sorted(keys)
    for name in ("inspect", "due", "sample", "rulesets list", "rulesets compare"):
        assert output(COMMANDS[name], 120) == output(COMMANDS[name], 120), name
