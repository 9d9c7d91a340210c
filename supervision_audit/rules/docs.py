"""The ruleset schema reference, generated from the code so it cannot drift.

docs/rulesets.md holds a hand-written guide and, between two markers, this generated
reference; a test fails when the two differ (`make docs` rewrites it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..vocab import CASE_CATEGORIES, CASE_EVENT_KINDS, CASE_FLAGS, WORKER_EVENT_KINDS
from .kinds.base import STAFF_FILTER_KEYS
from .model import NOT_AUDITABLE_KEYS, PARAM_TYPES, RULE_COMMON_KEYS, TOP_KEYS
from .registry import RULE_KINDS

BEGIN = "<!-- BEGIN GENERATED REFERENCE (make docs) -->"
END = "<!-- END GENERATED REFERENCE -->"


def _table(fields: dict[str, str]) -> list[str]:
    lines = ["| field | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in fields.items()]
    return lines


def generate_reference() -> str:
    from .kinds import interval

    out: list[str] = ["## Schema reference", "", "### Top level", ""]
    out += _table(TOP_KEYS)
    out += [
        "",
        f"Parameter types: {', '.join(PARAM_TYPES)}. A string value `${{name}}` anywhere in "
        "a rule is replaced by the parameter's value.",
        "",
    ]
    out += ["### Every rule", ""] + _table(RULE_COMMON_KEYS)
    out += ["", "### `not_auditable` entries", ""] + _table(NOT_AUDITABLE_KEYS)
    for name, kind in RULE_KINDS.items():
        out += [
            "",
            f"### Kind `{name}`",
            "",
            kind.summary,
            "",
            f"Scopes: {', '.join(kind.scopes)} (default {kind.default_scope}).",
            "",
        ]
        out += _table(kind.fields)
        doc = (sys.modules[kind.evaluate.__module__].__doc__ or "").strip().split("\n", 1)
        if name != "interval" and len(doc) > 1:
            out += ["", doc[1].strip()]
        if name == "interval":
            out += ["", "Each entry of `requirements`:", ""] + _table(interval.REQUIREMENT_KEYS)
            out += ["", "`when` for children's rules:", ""] + _table(interval.WHEN_KEYS)
            out += ["", "`when` for staff rules:", ""] + _table(interval.STAFF_WHEN_KEYS)
            out += ["", "`phase`:", ""] + _table(interval.PHASE_KEYS)
            out += ["", f"Staff `counts`: {', '.join(interval.STAFF_COUNTS)}."]
    out += [
        "",
        "### Vocabulary",
        "",
        f"- Case categories: {', '.join(CASE_CATEGORIES)}",
        f"- Case flags: {', '.join(CASE_FLAGS)}",
        f"- Case event kinds: {', '.join(CASE_EVENT_KINDS)}",
        f"- Worker event kinds: {', '.join(WORKER_EVENT_KINDS)}",
        "- `when` / `supervisees` for the other staff kinds: "
        + "; ".join(f"`{k}`: {v}" for k, v in STAFF_FILTER_KEYS.items()),
        "- Working days: weekends and England and Wales bank holidays, from the `holidays` "
        "package, are skipped.",
        "- Intervals: a whole number and a unit: `d` days, `w` weeks, `m` calendar months, "
        "`y` years (`28d`, `4w`, `1m`, `2m`, `1y`).",
    ]
    return "\n".join(out) + "\n"


def splice(doc: str) -> str:
    """The document with its generated section replaced by the current reference."""
    if BEGIN not in doc or END not in doc:
        raise ValueError("docs/rulesets.md lacks the generated-reference markers")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{generate_reference()}{END}{tail}"


def main() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "rulesets.md"
    path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
