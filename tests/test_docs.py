"""The schema reference in docs/rulesets.md is generated from the code and must be current."""

from __future__ import annotations

from pathlib import Path

from supervision_audit.rules.docs import BEGIN, END, generate_reference, splice

DOC = Path(__file__).resolve().parents[1] / "docs" / "rulesets.md"


def test_generated_reference_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert splice(text) == text, "docs/rulesets.md is stale: run `make docs`"


def test_reference_names_every_kind_and_field() -> None:
    from supervision_audit.rules.registry import RULE_KINDS

    ref = generate_reference()
    for name, kind in RULE_KINDS.items():
        assert f"### Kind `{name}`" in ref
        for field in kind.fields:
            assert f"`{field}`" in ref


def test_markers_present() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
