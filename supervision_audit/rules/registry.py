"""The plain registry of rule kinds: name -> the code that validates and evaluates it."""

from __future__ import annotations

from .kinds import KINDS
from .kinds.base import RuleKind

RULE_KINDS: dict[str, RuleKind] = {kind.name: kind for kind in KINDS}

__all__ = ["RULE_KINDS", "RuleKind"]
