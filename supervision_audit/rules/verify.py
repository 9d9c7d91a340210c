"""Whether a ruleset can be trusted to cite its policy: no text left from the starter
(`rulesets new`), and every quote found, word for word (ignoring line breaks and spacing),
in the policy file the ruleset names. `rulesets validate` fails on any problem found here,
and `audit` refuses the ruleset unless told to run it unverified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .loading import builtin_dirs
from .model import Rule, Ruleset

# Text only the starter ruleset holds: a ruleset still carrying it cites nothing real.
STARTER_TEXT = (
    "Paste the policy's exact words here.",
    "How you read the policy: which categories are covered, what counts, what does not.",
)


def norm(text: str) -> str:
    return " ".join(text.split())


def policy_path(ruleset: Ruleset) -> Path | None:
    """The ruleset's policy text: `document.file` next to the ruleset's own YAML (a council's
    ruleset and its policy travel together), else among the shipped ones; None if absent."""
    name = ruleset.document.file
    candidates = [ruleset.path.parent / name]
    candidates += [d / name for d in builtin_dirs()]
    candidates += [d / "policies" / Path(name).name for d in builtin_dirs()]
    for candidate in candidates:
        if name and candidate.is_file():
            return candidate
    return None


def rule_quotes(rule: Rule) -> list[str]:
    """The rule's quote and any quote of its own requirements."""
    quotes = [rule.quote]
    for req in getattr(rule.spec, "requirements", ()) or ():
        quote = getattr(req, "quote", None)
        if quote:
            quotes.append(quote)
    return quotes


def _short(text: str, width: int = 70) -> str:
    text = norm(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def problems(ruleset: Ruleset) -> list[str]:
    """Why the ruleset cannot be trusted to cite its policy (empty: verified)."""
    out: list[str] = []
    for rule in ruleset.rules:
        for label, text in (("quote", rule.quote), ("note", rule.note)):
            for starter in STARTER_TEXT:
                if starter in norm(text or ""):
                    out.append(f"rule {rule.id}: its {label} is still the starter text “{starter}”")
    path = policy_path(ruleset)
    if path is None:
        out.append(
            f"policy file {ruleset.document.file} not found next to the ruleset (nor among the "
            "shipped policies): its quotes cannot be checked"
        )
        return out
    text = norm(path.read_text(encoding="utf-8", errors="replace"))
    for rule in ruleset.rules:
        for quote in rule_quotes(rule):
            if norm(quote) not in text and not any(s in norm(quote) for s in STARTER_TEXT):
                out.append(
                    f"rule {rule.id}: its quote “{_short(quote)}” is not in {ruleset.document.file}"
                )
    return out


def verification(ruleset: Ruleset) -> dict[str, Any]:
    """JSON-ready: verified or not, and the problems."""
    found = problems(ruleset)
    return {"verified": not found, "problems": found}
