"""The plain registry of rule kinds: name -> the code that validates and evaluates it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RuleKind:
    """A rule kind: its YAML fields, how to validate them, and how to evaluate a rule."""

    name: str
    summary: str
    fields: dict[str, str]
    """Kind-specific YAML fields and what each holds (the schema reference is built from it)."""
    scopes: tuple[str, ...]
    default_scope: str
    validate: Callable[..., Any]
    """validate(ctx, rule_mapping, rule) -> spec; raises RulesetError via ctx.fail."""
    evaluate: Callable[..., Any]
    """evaluate(audit_context, rule) -> RuleOutcome."""
    describe: Callable[..., list[dict[str, str]]]
    """describe(rule) -> rows {applies_to, requirement, counts} for `rulesets show`."""


RULE_KINDS: dict[str, RuleKind] = {}


def register(kind: RuleKind) -> RuleKind:
    RULE_KINDS[kind.name] = kind
    return kind


def _load_kinds() -> None:
    from . import count, duration, interval, ratio, reschedule, timeliness  # noqa: F401


_load_kinds()
