"""Rulesets as a user-facing feature: list, show, explain, validate, new, compare.

Plain data out (lists of dicts); the CLI renders them. Nothing here evaluates input data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..dates import Interval
from ..errors import RulesetError
from ..vocab import CASE_CATEGORIES, CASE_FLAGS
from . import verify
from .digest import digest_states
from .kinds.interval_spec import IntervalSpec
from .loading import builtin_names, load_ruleset
from .model import RULE_ID, Rule, Ruleset
from .registry import RULE_KINDS
from .verify import norm as _norm
from .verify import policy_path


def quote_found(ruleset: Ruleset, quote: str) -> bool | None:
    """Whether `quote` appears (modulo whitespace) in the ruleset's policy file; None if the
    file is not available."""
    path = policy_path(ruleset)
    if path is None:
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    return _norm(quote) in _norm(text)


def load_for_display(name: str) -> Ruleset:
    return load_ruleset(name, placeholders=True)


def list_rulesets() -> list[dict[str, Any]]:
    rows = []
    for name in builtin_names():
        rs = load_for_display(name)
        n_rules, n_na = len(rs.rules), len(rs.not_auditable)
        states = digest_states(rs)
        rows.append(
            {
                "name": rs.name,
                "authority": rs.authority,
                "document": rs.document.title,
                "document_date": rs.document.date,
                "version": rs.version,
                "rules": n_rules,
                "children_rules": len(rs.rules_for("children")),
                "staff_rules": len(rs.rules_for("staff")),
                "not_auditable": n_na,
                "coverage": f"{n_rules} of {n_rules + n_na} requirements checkable",
                "digest_encoded": len(states["encoded"]),
                "digest_not_auditable": len(states["not_auditable"]),
                "digest_missing": len(states["missing"]),
                "parameters": ", ".join(
                    f"{p.name}{' (required)' if p.required else '=' + _ptext(rs, p.name)}"
                    for p in rs.parameters.values()
                ),
            }
        )
    return rows


def _ptext(rs: Ruleset, name: str) -> str:
    value = rs.param_values.get(name)
    return value.code() if isinstance(value, Interval) else str(value)


def rule_rows(rs: Ruleset) -> list[dict[str, str]]:
    """One row per requirement of every rule, for `rulesets show`."""
    rows = []
    for rule in rs.rules:
        kind = RULE_KINDS[rule.kind]
        for i, d in enumerate(kind.describe(rule)):
            rows.append(
                {
                    "id": rule.id if i == 0 else "",
                    "kind": rule.kind if i == 0 else "",
                    "scope": rule.scope if i == 0 else "",
                    "title": rule.title if i == 0 else "",
                    "applies_to": d.get("applies_to", ""),
                    "requirement": d.get("requirement", ""),
                    "counts": d.get("counts", ""),
                    "section": rule.section if i == 0 else "",
                    "note": rule.note if i == 0 else "",
                }
            )
    return rows


def find_rule(rule_id: str, ruleset: str | None = None) -> tuple[Ruleset, Rule]:
    """Find a rule id (case-insensitive) in `ruleset` (a name or a user's own .yaml file),
    or else in the built-in rulesets."""
    wanted = rule_id.strip().upper()
    if not RULE_ID.match(wanted):
        raise RulesetError(f"'{rule_id}' is not a rule id (ids look like DOR-C1)")
    for name in [ruleset] if ruleset else builtin_names():
        rs = load_for_display(name)
        for rule in rs.rules:
            if rule.id == wanted:
                return rs, rule
        for na in rs.not_auditable:
            if na.id == wanted:
                raise RulesetError(f"{wanted} is listed as not auditable in '{name}': {na.reason}")
    if ruleset:
        raise RulesetError(f"ruleset '{ruleset}' has no rule {wanted}")
    raise RulesetError(
        f"no built-in ruleset has a rule {wanted} (see: supervision-audit rulesets list; "
        "for your own ruleset add --ruleset FILE)"
    )


def explain(rule_id: str, ruleset: str | None = None) -> dict[str, Any]:
    """A rule's policy text, the reading applied, its requirements and worked example."""
    rs, rule = find_rule(rule_id, ruleset)
    kind = RULE_KINDS[rule.kind]
    return {
        "id": rule.id,
        "title": rule.title,
        "ruleset": rs.name,
        "authority": rs.authority,
        "kind": rule.kind,
        "kind_summary": kind.summary,
        "scope": rule.scope,
        "citation": f"{rs.document.title} ({rs.document.date}), {rule.section}",
        "document_file": rs.document.file,
        "quote": _norm(rule.quote),
        "quote_verified": quote_found(rs, rule.quote),
        "note": rule.note,
        "example": rule.example,
        "requirements": kind.describe(rule),
        "parameters": {k: v for k, v in rs.parameter_strings().items()},
        "placeholders": rs.placeholders,
    }


@dataclass
class Validation:
    ok: bool
    message: str
    warnings: list[str]
    ruleset: Ruleset | None = None


def validate_file(path: str, params: dict[str, str] | None = None) -> Validation:
    """Schema and semantic checks (errors carry the YAML line), then verification: starter
    text left in, a quote not in the named policy file, or that file missing, fail it."""
    try:
        rs = load_ruleset(path, params, placeholders=True)
    except RulesetError as exc:
        return Validation(False, str(exc), [])
    warnings = []
    for p in rs.placeholders:
        warnings.append(f"required parameter '{p}' not given; checked with a placeholder value")
    problems = verify.problems(rs)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        return Validation(False, f"{path}: not verified ({len(problems)}):\n{listed}", warnings)
    n = len(rs.rules)
    return Validation(
        True,
        f"{path}: valid ({n} rule{'s' if n != 1 else ''}, {len(rs.not_auditable)} not auditable)",
        warnings,
        rs,
    )


STARTER = """\
# Ruleset for {authority}: supervision requirements, one rule per timed requirement.
# Reference: docs/rulesets.md. Check it with:  supervision-audit rulesets validate {file}
# Run it with:  supervision-audit audit --data DATA --ruleset {file} --as-of YYYY-MM-DD
schema_version: 1
name: {name}
authority: "{authority}"
document:
  title: "Supervision Policy"          # the policy document's own title
  date: "2025"                        # its date or version, as printed on it
  file: "{name}_policy.txt"           # its text, saved next to this file: every quote is checked
version: "0.1.0"                      # your ruleset's version: quote it
description: >
  Case and staff supervision requirements of the {authority} supervision policy.

# Named values the rules use as ${{name}}; --param name=value overrides them on the command line.
parameters:
  case_interval:
    type: interval                    # interval (4w, 28d, 1m, 2m, 1y), integer, number or string
    default: 4w
    description: how often every open case is supervised

# Local names in your exports mapped to the canonical vocabulary (optional).
vocabulary:
  categories:
    "Child Protection": CP
  event_kinds:
    "Supervision": CASE_SUPERVISION

rules:
  - id: {prefix}-C1                   # permanent: never reuse a retired id
    kind: interval
    scope: children
    title: Every open case is supervised at the required interval
    section: "4.1"                    # the document's own numbering or heading
    quote: >-
      Paste the policy's exact words here.
    note: >-
      How you read the policy: which categories are covered, what counts, what does not.
    example: >-
      A child on a CP plan supervised on 3 January is due by 31 January; supervision on
      12 February is 12 days late.
    counts: [CASE_SUPERVISION, GROUP_SUPERVISION]   # event kinds that count as supervision
    requirements:                     # the strictest requirement that applies is in force
      - label: "All open cases: every 4 weeks"
        every: ${{case_interval}}
      - label: "CP: every 4 weeks (limit 6 weeks)"
        every: 4w
        limit: 6w                     # optional: missing the target is amber, the limit red
        when: {{categories: [CP]}}

  - id: {prefix}-S1
    kind: interval
    scope: staff
    title: Every member of staff has professional supervision at the required interval
    section: "5.1"
    quote: >-
      Paste the policy's exact words here.
    note: >-
      Held sessions count; cancelled ones do not. Due dates in leave move to the return plus 7 days.
    example: >-
      A social worker supervised on 5 January is due by 2 February.
    counts: [SESSION]
    absence_grace: 7d
    requirements:
      - label: "All staff: monthly"
        every: 1m
      - label: "Newly qualified, first 6 weeks: weekly"
        every: 1w
        when: {{phase: {{from: asye_start, until: 6w}}}}

# Requirements that cannot be checked from dates, so the coverage is visible.
not_auditable:
  - id: {prefix}-N1
    requirement: Supervision dates are agreed six months in advance
    section: "5.2"
    reason: the exports hold when sessions happened, not when they were planned
"""


def starter_ruleset(name: str, authority: str | None = None) -> str:
    if not re.match(r"^[a-z][a-z0-9_-]*$", name):
        raise RulesetError(f"'{name}' is not a ruleset name (use lower case, e.g. 'kent')")
    prefix = re.sub(r"[^A-Z]", "", name.upper())[:3] or "NEW"
    if len(prefix) < 2:
        prefix = (prefix + "X")[:2]
    return STARTER.format(
        name=name,
        prefix=prefix,
        file=f"{name}.yaml",
        authority=authority or f"{name.title()} Children's Services",
    )


# ---------------------------------------------------------------------------------------
# compare

_FLAG_CATEGORIES = {
    "HIGH_RISK": ("CIN", "CLA", "CARE_LEAVER", "YOS", "CP"),
    "PROCEEDINGS": ("CIN", "CP", "CLA"),
    "UNSUITABLE_ACCOMMODATION": ("CARE_LEAVER",),
    "NO_CHILDREN_PLACED": ("FOSTER_CARER",),
    "INSTABILITY": ("FOSTER_CARER",),
}


def _case_requirement(rs: Ruleset, category: str, flags: tuple[str, ...]) -> str:
    best = None
    for rule in rs.rules_for("children"):
        spec = rule.spec
        if not isinstance(spec, IntervalSpec) or "CASE_SUPERVISION" not in spec.counts:
            continue
        for q in spec.requirements:
            if q.categories and category not in q.categories:
                continue
            if q.flags and not set(q.flags) & set(flags):
                continue
            if q.unless_flags and set(q.unless_flags) & set(flags):
                continue
            key = (q.every.nominal_days, q.limit_or_every.nominal_days)
            if best is None or key < best[0]:
                best = (key, q)
            break  # requirements are sorted strictest first
    if best is None:
        return "—"
    q = best[1]
    text = q.every.every_words().removeprefix("every ")
    return f"{text} (limit {q.limit.words()})" if q.limit else text


STAFF_GROUPS = [
    ("Experienced frontline worker", {"role": "social worker", "frontline": True, "day": 800}),
    ("Manager, not frontline", {"role": "team manager", "frontline": False, "day": 800}),
    ("New starter, week 2", {"role": "social worker", "frontline": True, "day": 10}),
    (
        "Newly qualified (ASYE), week 2",
        {"role": "social worker", "frontline": True, "day": 10, "asye": True},
    ),
    ("ASYE, month 3", {"role": "social worker", "frontline": True, "day": 90, "asye": True}),
    ("ASYE, month 9", {"role": "social worker", "frontline": True, "day": 270, "asye": True}),
    ("ASYE, second year", {"role": "social worker", "frontline": True, "day": 500, "asye": True}),
]


def _staff_requirement(rs: Ruleset, group: dict[str, Any], counts: str) -> str:
    base = dt.date(2024, 1, 1)
    today = base + dt.timedelta(days=group["day"])
    best = None
    for rule in rs.rules_for("staff"):
        spec = rule.spec
        if not isinstance(spec, IntervalSpec) or counts not in spec.counts:
            continue
        for q in spec.requirements:
            if q.roles and group["role"] not in [r.lower() for r in q.roles]:
                continue
            if q.frontline is not None and q.frontline != group["frontline"]:
                continue
            if (q.asye_only or q.phase_from == "asye_start") and not group.get("asye"):
                continue
            if q.phase_from:
                opens = q.phase_after.add(base) if q.phase_after else base
                closes = q.phase_until.add(base) if q.phase_until else None
                if today < opens or (closes is not None and today >= closes):
                    continue
            key = (q.every.nominal_days, q.limit_or_every.nominal_days)
            if best is None or key < best[0]:
                best = (key, q)
    if best is None:
        return "—"
    q = best[1]
    text = q.every.every_words().removeprefix("every ")
    return f"{text} (limit {q.limit.words()})" if q.limit else text


def compare(names: list[str] | None = None) -> dict[str, Any]:
    """Each authority's required interval side by side, by case category and staff group."""
    rulesets = [load_for_display(n) for n in (names or builtin_names())]
    cols = [rs.name for rs in rulesets]
    case_rows = []
    for cat in CASE_CATEGORIES:
        plain = [_case_requirement(rs, cat, ()) for rs in rulesets]
        case_rows.append({"group": cat, **dict(zip(cols, plain, strict=True))})
        for flag in CASE_FLAGS:
            if cat not in _FLAG_CATEGORIES.get(flag, ()):
                continue
            flagged = [_case_requirement(rs, cat, (flag,)) for rs in rulesets]
            if flagged != plain:
                case_rows.append(
                    {"group": f"{cat} + {flag}", **dict(zip(cols, flagged, strict=True))}
                )
    staff_rows = []
    for label, group in STAFF_GROUPS:
        staff_rows.append(
            {
                "group": label,
                **{rs.name: _staff_requirement(rs, group, "SESSION") for rs in rulesets},
            }
        )
    for kind, label in (
        ("AGREEMENT", "Supervision agreement"),
        ("OBSERVATION", "Observation of practice"),
        ("APPRAISAL", "Appraisal"),
        ("MENTORING", "ASYE mentoring"),
        ("FILE_AUDIT", "Supervision file audit"),
    ):
        row = {
            "group": label,
            **{
                rs.name: _staff_requirement(
                    rs, STAFF_GROUPS[3 if kind == "MENTORING" else 0][1], kind
                )
                for rs in rulesets
            },
        }
        if any(v != "—" for k, v in row.items() if k != "group"):
            staff_rows.append(row)
    placeholders = {rs.name: rs.placeholders for rs in rulesets if rs.placeholders}
    return {"rulesets": cols, "cases": case_rows, "staff": staff_rows, "placeholders": placeholders}
