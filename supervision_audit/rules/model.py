"""Rulesets as data: the YAML schema, its validation, parameters and `extends`.

Every error names the file, the YAML line, the rule id and the field, and says what was
expected. Rule *kinds* (interval, timeliness, count...) are code in `rules.registry`;
rules themselves are YAML. See docs/rulesets.md for the schema reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..dates import Interval
from ..errors import RulesetError
from ..vocab import CASE_CATEGORIES, CASE_EVENT_KINDS, CASE_FLAGS
from ..yamlio import LineDict

SCHEMA_VERSION = 1
RULE_ID = re.compile(r"^[A-Z]{2,5}-[A-Z]{1,3}[0-9]{1,3}[a-z]?$")
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
PARAM_REF = re.compile(r"^\$\{([a-z][a-z0-9_]*)\}$")
PARAM_INLINE = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")
SCOPES = ("children", "staff")
PARAM_TYPES = ("interval", "integer", "number", "string")

TOP_KEYS = {
    "schema_version": "the schema version (1)",
    "name": "the ruleset's short name (lower case, e.g. dorset)",
    "authority": "the authority's name",
    "document": "the policy document: title, date, and file (its text, relative to the ruleset)",
    "version": "the ruleset's own version, as a quoted string",
    "description": "one paragraph on what the ruleset covers",
    "extends": "another ruleset (name or path) whose rules this one starts from",
    "parameters": "named values the rules use as ${name}, with defaults",
    "vocabulary": "local names for categories, flags and event kinds",
    "rules": "the list of rules",
    "drop_rules": "ids of inherited rules to leave out (with extends)",
    "not_auditable": "requirements that cannot be checked from data, with the reason",
    "digest": "each requirement id of the project's policy digest for this authority, and the "
    "rule(s) or not_auditable entry that answers it",
}
RULE_COMMON_KEYS = {
    "id": "permanent id like DOR-C1 (never reused)",
    "kind": "the rule kind (interval, timeliness, ...)",
    "scope": "children or staff",
    "title": "what the rule checks, in one line",
    "section": "the section of the policy document it comes from",
    "quote": "the policy's words, verbatim",
    "note": "the reading the policy forced, and known problems",
    "example": "a worked example of a breach",
}
NOT_AUDITABLE_KEYS = {
    "id": "an id like DOR-N1",
    "requirement": "the requirement in plain words",
    "section": "where it is in the document",
    "reason": "why it cannot be checked from the data",
    "quote": "the policy's words (optional)",
}
VOCAB_KEYS = {"categories": CASE_CATEGORIES, "flags": CASE_FLAGS, "event_kinds": CASE_EVENT_KINDS}


@dataclass(frozen=True)
class Document:
    title: str
    date: str
    file: str


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    required: bool
    description: str


@dataclass
class Rule:
    """One rule: the common, self-documenting fields plus its kind's validated spec."""

    id: str
    kind: str
    scope: str
    title: str
    section: str
    quote: str
    note: str
    example: str
    spec: object
    """The kind's validated spec (IntervalSpec, CountSpec...): read it with `spec_as`."""
    source: str
    line: int
    document: Document
    authority: str

    def citation(self, section: str | None = None, quote: str | None = None) -> str:
        """'Authority, Title (date), section: “quote”': the policy sentence enforced."""
        sec = section or self.section
        q = " ".join((quote or self.quote).split())
        return f"{self.authority}, {self.document.title} ({self.document.date}), {sec}: “{q}”"


@dataclass(frozen=True)
class NotAuditable:
    id: str
    requirement: str
    section: str
    reason: str
    quote: str = ""


@dataclass
class Ruleset:
    name: str
    authority: str
    document: Document
    version: str
    description: str
    path: Path
    sha256: str
    parameters: dict[str, Parameter]
    param_values: dict[str, Any]
    vocabulary: dict[str, dict[str, str]]
    rules: list[Rule]
    not_auditable: list[NotAuditable] = field(default_factory=list)
    extends: str | None = None
    digest: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Policy-digest requirement id -> the rule or not_auditable ids that answer it."""
    placeholders: list[str] = field(default_factory=list)
    """Required parameters bound to a nominal value for display (see load_ruleset)."""

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def rules_for(self, scope: str) -> list[Rule]:
        return [r for r in self.rules if r.scope == scope]

    def value_maps(self) -> dict[str, dict[str, str]]:
        """Vocabulary as loader value maps, keyed by input column name."""
        return {
            "category": dict(self.vocabulary.get("categories", {})),
            "flags": dict(self.vocabulary.get("flags", {})),
            "kind": dict(self.vocabulary.get("event_kinds", {})),
        }

    def parameter_strings(self) -> dict[str, str]:
        return {k: param_text(v) for k, v in sorted(self.param_values.items())}


def param_text(value: Any) -> str:
    return value.code() if isinstance(value, Interval) else str(value)


class Ctx:
    """Validation context: raises RulesetError with file, line, rule and field."""

    def __init__(self, source: str, rule: str | None = None) -> None:
        self.source = source
        self.rule = rule

    def for_rule(self, rule_id: str | None) -> Ctx:
        return Ctx(self.source, rule_id)

    def fail(self, where: Any, key: str | None, message: str) -> RulesetError:
        line = None
        if isinstance(where, LineDict):
            line = where.line_of(key) if key is not None else where.line
        elif hasattr(where, "line"):
            line = where.line
        field_text = f"field '{key}': " if key else ""
        return RulesetError(f"{field_text}{message}", file=self.source, line=line, rule=self.rule)

    def mapping(self, value: Any, where: Any, key: str | None) -> LineDict:
        if not isinstance(value, dict):
            raise self.fail(where, key, f"expected a mapping, got {_kind_of(value)}")
        return value  # type: ignore[return-value]

    def no_unknown_keys(
        self, data: LineDict, allowed: dict[str, str] | set[str], what: str
    ) -> None:
        for key in data:
            if key not in allowed:
                names = ", ".join(sorted(allowed))
                raise self.fail(data, str(key), f"unknown field in {what} (allowed: {names})")

    def string(self, data: LineDict, key: str, *, required: bool = True, default: str = "") -> str:
        if key not in data or data[key] is None:
            if required:
                raise self.fail(data, key if key in data else None, f"'{key}' is required")
            return default
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(data, key, f"expected text, got {_kind_of(value)} (quote it)")
        if required and not value.strip():
            raise self.fail(data, key, "must not be empty")
        return value

    def string_list(
        self,
        data: LineDict,
        key: str,
        choices: tuple[str, ...] | None = None,
        *,
        required: bool = False,
    ) -> tuple[str, ...] | None:
        if key not in data:
            if required:
                raise self.fail(data, None, f"'{key}' is required")
            return None
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(data, key, "expected a non-empty list")
        out = []
        for item in value:
            if not isinstance(item, str):
                raise self.fail(data, key, f"expected text items, got {_kind_of(item)}")
            if choices is not None and item not in choices:
                raise self.fail(
                    data, key, f"unknown value '{item}' (expected one of: {', '.join(choices)})"
                )
            out.append(item)
        return tuple(out)

    def interval(self, data: LineDict, key: str, *, required: bool = True) -> Interval | None:
        if key not in data or data[key] is None:
            if required:
                raise self.fail(
                    data, None, f"'{key}' is required (an interval like 4w, 28d, 2m, 1y)"
                )
            return None
        try:
            return Interval.parse(data[key])
        except ValueError as exc:
            raise self.fail(data, key, str(exc)) from None

    def integer(
        self,
        data: LineDict,
        key: str,
        *,
        required: bool = True,
        minimum: int = 0,
        default: int | None = None,
    ) -> int | None:
        if key not in data or data[key] is None:
            if required:
                raise self.fail(data, None, f"'{key}' is required (a whole number)")
            return default
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(data, key, f"expected a whole number, got {_kind_of(value)}")
        if value < minimum:
            raise self.fail(data, key, f"must be at least {minimum}")
        return value

    def boolean(self, data: LineDict, key: str, default: bool) -> bool:
        if key not in data:
            return default
        value = data[key]
        if not isinstance(value, bool):
            raise self.fail(data, key, f"expected true or false, got {_kind_of(value)}")
        return value


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a true/false value ({value}; YAML reads yes/no/on/off as true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return f"a number ({value})"
    return type(value).__name__


SpecT = TypeVar("SpecT")


def spec_as(rule: Rule, kind_spec: type[SpecT]) -> SpecT:
    """The rule's spec as its kind's spec class (a checked cast: a rule of another kind is a
    programming error, never silently misread)."""
    if not isinstance(rule.spec, kind_spec):
        raise TypeError(
            f"rule {rule.id} has a {type(rule.spec).__name__}, not {kind_spec.__name__}"
        )
    return rule.spec
