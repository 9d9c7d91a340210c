"""How much of the project's policy digest a ruleset answers.

The digest (rulesets/policies/policy-digest.md, a copy of the shared one) lists every timed
requirement of the five policies with an id (LAM-C1, DOR-S7...). A ruleset's `digest`
mapping names, for each of its authority's ids, the rule(s) that encode it or the
not_auditable entry that says why it cannot be checked. Each id is in one of three states:
encoded (answered by at least one rule), not auditable (only by not_auditable entries), or
missing (not in the mapping, or answered by ids the ruleset does not have).
"""

from __future__ import annotations

import re
from functools import cache

from .loading import BUILTIN_DIR
from .model import Ruleset

DIGEST_FILE = BUILTIN_DIR / "policies" / "policy-digest.md"
_ID_ROW = re.compile(r"^\|\s*([A-Z]{2,5}-[CS]\d+)\s*\|", re.MULTILINE)
STATES = ("encoded", "not_auditable", "missing")


@cache
def digest_ids() -> list[str]:
    """Every requirement id of the shipped digest, in its order."""
    return _ID_ROW.findall(DIGEST_FILE.read_text(encoding="utf-8"))


def _prefix(ruleset: Ruleset) -> str | None:
    """The authority's id prefix: that of its digest mapping, else of its rules."""
    ids = list(ruleset.digest) or [r.id for r in ruleset.rules]
    prefixes = {i.split("-", 1)[0] for i in ids}
    return prefixes.pop() if len(prefixes) == 1 else None


def digest_states(ruleset: Ruleset) -> dict[str, list[str]]:
    """{encoded: [...], not_auditable: [...], missing: [...]}: the digest ids of the ruleset's
    authority in each state (all empty when the digest has no requirement for it)."""
    prefix = _prefix(ruleset)
    wanted = [i for i in digest_ids() if prefix and i.startswith(prefix + "-")]
    rules = {r.id for r in ruleset.rules}
    entries = {n.id for n in ruleset.not_auditable}
    out: dict[str, list[str]] = {state: [] for state in STATES}
    for rid in wanted:
        answers = ruleset.digest.get(rid, ())
        if any(a in rules for a in answers):
            out["encoded"].append(rid)
        elif answers and all(a in entries for a in answers):
            out["not_auditable"].append(rid)
        else:
            out["missing"].append(rid)
    return out


def digest_line(ruleset: Ruleset) -> str | None:
    """'21 digest requirements: 21 encoded, 0 not auditable, 0 missing (...)', or None when the
    digest has nothing for this authority."""
    states = digest_states(ruleset)
    total = sum(len(v) for v in states.values())
    if not total:
        return None
    line = (
        f"{total} digest requirements: {len(states['encoded'])} encoded, "
        f"{len(states['not_auditable'])} not auditable, {len(states['missing'])} missing"
    )
    if states["missing"]:
        line += f" ({', '.join(states['missing'])})"
    return line
