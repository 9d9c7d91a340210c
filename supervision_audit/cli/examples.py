"""An example for every command's --help (shown under "Examples"), and the full one-line
descriptions the top-level help lists. Every example here is run by tests/test_cli_explains.py
against the bundled sample, so none can go stale."""

from __future__ import annotations

from typing import Any

_S = "--data sample_data --ruleset lambeth --as-of 2026-10-31"

EXAMPLES: dict[str, list[str]] = {
    "": [
        f"supervision-audit audit {_S}",
        f"supervision-audit due {_S} --within 14d",
        "supervision-audit rulesets explain LAM-C1",
    ],
    "rulesets": ["supervision-audit rulesets list", "supervision-audit rulesets explain LAM-C1"],
    "profiles": ["supervision-audit profiles list"],
    "audit": [
        f"supervision-audit audit {_S}",
        f"supervision-audit audit {_S} --output october.xlsx",
        f"supervision-audit audit {_S} --format json --threshold 'children_compliance >= 0.6'",
    ],
    "inspect": ["supervision-audit inspect --data sample_data/mosaic"],
    "due": [f"supervision-audit due {_S} --within 14d --team 'Early Help North'"],
    "explain": [f"supervision-audit explain C0000126 {_S}"],
    "batch": ["supervision-audit batch examples/batch.yaml --summary summary.json"],
    "sample": [f"supervision-audit sample {_S} --per-supervisor 1 --seed 7"],
    "rulesets list": ["supervision-audit rulesets list"],
    "rulesets show": ["supervision-audit rulesets show dorset"],
    "rulesets explain": ["supervision-audit rulesets explain LAM-C1"],
    "rulesets validate": ["supervision-audit rulesets validate kent.yaml"],
    "rulesets new": ["supervision-audit rulesets new kent"],
    "rulesets compare": ["supervision-audit rulesets compare"],
    "profiles list": ["supervision-audit profiles list"],
    "profiles new": ["supervision-audit profiles new --from mosaic our-mosaic.yaml"],
}


def epilog(name: str) -> str | None:
    """The Examples block (\\b keeps Click from re-wrapping the lines)."""
    lines = EXAMPLES.get(name)
    if not lines:
        return None
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _first_sentence(doc: str | None) -> str | None:
    if not doc:
        return None
    text = " ".join(doc.strip().split("\n\n")[0].split())
    return text.split(". ", 1)[0].rstrip(".") + "."


def annotate(app: Any, prefix: str = "") -> None:
    """Give every registered command and group (the root too) its examples and its full
    description (Click cuts a command's description in a group's list at the terminal
    width otherwise)."""
    if not prefix:
        app.info.epilog = app.info.epilog or epilog("")
    for info in app.registered_commands:
        name = f"{prefix}{info.name}"
        info.epilog = info.epilog or epilog(name)
        doc = info.help or getattr(info.callback, "__doc__", None)
        info.short_help = info.short_help or _first_sentence(doc)
    for group in app.registered_groups:
        sub = group.typer_instance
        doc = group.help or sub.info.help or getattr(sub.info.callback, "__doc__", None)
        group.short_help = group.short_help or _first_sentence(doc)
        group.epilog = group.epilog or epilog(group.name)
        annotate(sub, f"{prefix}{group.name} ")
