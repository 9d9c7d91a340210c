"""Loading rulesets: find them (built in or a file), merge `extends`, validate every rule
through its kind, and bind parameters. Sits above the kinds (it needs the registry)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..dates import Interval
from ..errors import RulesetError
from ..vocab import CASE_EVENT_KINDS, WORKER_EVENT_KINDS
from ..yamlio import LineDict, load_yaml_file
from .model import (
    NOT_AUDITABLE_KEYS,
    PARAM_INLINE,
    PARAM_NAME,
    PARAM_REF,
    PARAM_TYPES,
    RULE_COMMON_KEYS,
    RULE_ID,
    SCHEMA_VERSION,
    TOP_KEYS,
    VOCAB_KEYS,
    Ctx,
    Document,
    NotAuditable,
    Parameter,
    Rule,
    Ruleset,
    param_text,
)
from .registry import RULE_KINDS

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "rulesets"
"""The shipped rulesets and their policy texts (package data, found from an installed wheel)."""


def builtin_dirs() -> list[Path]:
    """Where named rulesets live: the package's rulesets/ folder."""
    return [BUILTIN_DIR]


def resolve_ruleset(name_or_path: str) -> Path:
    """A ruleset name (dorset) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in (".yaml", ".yml") or candidate.exists() or "/" in name_or_path:
        if not candidate.is_file():
            raise RulesetError("ruleset file not found", file=name_or_path)
        return candidate
    for d in builtin_dirs():
        p = d / f"{name_or_path.lower()}.yaml"
        if p.is_file():
            return p
    known = ", ".join(sorted(builtin_names())) or "none found"
    raise RulesetError(
        f"unknown ruleset '{name_or_path}' (built in: {known}; or give a .yaml path)"
    )


def builtin_names() -> list[str]:
    names: set[str] = set()
    for d in builtin_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


PLACEHOLDERS = {"interval": "4w", "integer": "1", "number": "1", "string": "x"}


def load_ruleset(
    name_or_path: str, params: dict[str, str] | None = None, *, placeholders: bool = False
) -> Ruleset:
    """Load, merge (extends), validate and bind parameters. Raises RulesetError.

    placeholders=True binds a required parameter that was not given to a nominal value, so
    the ruleset can be listed, shown or validated; `Ruleset.placeholders` names them.
    """
    path = resolve_ruleset(name_or_path)
    raw = _load_merged(path, seen=())
    given = dict(params or {})
    filled: list[str] = []
    if placeholders:
        declared = raw["data"].get("parameters") or {}
        for pname, spec in declared.items():
            if pname in given or not isinstance(spec, dict):
                continue
            if spec.get("default") is None:
                given[pname] = PLACEHOLDERS.get(str(spec.get("type", "interval")), "4w")
                filled.append(pname)
    ruleset = _build(raw, path, given)
    ruleset.placeholders = filled
    return ruleset


def _load_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read a ruleset file and fold in the one it extends (rules replaced by id)."""
    source = str(path)
    if path.resolve() in seen:
        raise RulesetError("'extends' goes round in a circle", file=source)
    data = load_yaml_file(path)
    ctx = Ctx(source)
    if not isinstance(data, LineDict):
        raise RulesetError("a ruleset must be a YAML mapping at the top level", file=source)
    ctx.no_unknown_keys(data, TOP_KEYS, "the ruleset")
    sources = {"self": source}
    if "extends" not in data or data["extends"] is None:
        return {"data": data, "sources": sources, "rule_sources": {}}
    base_name = ctx.string(data, "extends")
    base_path = (
        resolve_ruleset(base_name)
        if not base_name.endswith((".yaml", ".yml"))
        else ((path.parent / base_name) if not Path(base_name).is_absolute() else Path(base_name))
    )
    base = _load_merged(base_path, seen + (path.resolve(),))
    merged = LineDict(base["data"])
    merged.line = data.line
    merged.key_lines = dict(base["data"].key_lines)
    rule_sources = dict(base["rule_sources"])
    base_rules = list(base["data"].get("rules") or [])
    for r in base_rules:
        if isinstance(r, dict) and "id" in r:
            rule_sources.setdefault(str(r["id"]), str(base_path))
    drop = data.get("drop_rules") or []
    if not isinstance(drop, list):
        raise ctx.fail(data, "drop_rules", "expected a list of rule ids")
    own_rules = data.get("rules") or []
    if not isinstance(own_rules, list):
        raise ctx.fail(data, "rules", "expected a list of rules")
    own_ids = {str(r.get("id")) for r in own_rules if isinstance(r, dict)}
    base_ids = {str(r.get("id")) for r in base_rules if isinstance(r, dict)}
    for d in drop:
        if d not in base_ids:
            raise ctx.fail(data, "drop_rules", f"'{d}' is not a rule of '{base_name}'")
    kept = [r for r in base_rules if str(r.get("id")) not in own_ids and r.get("id") not in drop]
    for key, value in data.items():
        if key in ("rules", "drop_rules", "extends"):
            continue
        if key in ("parameters", "vocabulary") and isinstance(value, LineDict):
            combined = LineDict(merged.get(key) or {})
            combined.line = value.line
            combined.key_lines = {**getattr(merged.get(key), "key_lines", {}), **value.key_lines}
            if key == "vocabulary":
                for sub, mapping in value.items():
                    inner = LineDict({**(combined.get(sub) or {}), **(mapping or {})})
                    inner.line = getattr(mapping, "line", value.line)
                    inner.key_lines = getattr(mapping, "key_lines", {})
                    combined[sub] = inner
            else:
                combined.update(value)
            merged[key] = combined
        else:
            merged[key] = value
        merged.key_lines[key] = data.line_of(key)
    merged["rules"] = kept + list(own_rules)
    for r in own_rules:
        if isinstance(r, dict) and "id" in r:
            rule_sources[str(r["id"])] = source
    merged.pop("extends", None)
    return {"data": merged, "sources": sources, "rule_sources": rule_sources, "extends": base_name}


def _build(raw: dict[str, Any], path: Path, cli_params: dict[str, str]) -> Ruleset:
    data: LineDict = raw["data"]
    source = str(path)
    ctx = Ctx(source)
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ctx.fail(data, "schema_version", f"expected {SCHEMA_VERSION}, got {version!r}")
    name = ctx.string(data, "name")
    authority = ctx.string(data, "authority")
    doc = ctx.mapping(data.get("document"), data, "document")
    ctx.no_unknown_keys(doc, {"title", "date", "file"}, "document")
    doc_date = doc.get("date")
    document = Document(
        title=ctx.string(doc, "title"),
        date=str(doc_date) if doc_date is not None else "undated",
        file=ctx.string(doc, "file"),
    )
    ruleset_version = ctx.string(data, "version")
    description = ctx.string(data, "description", required=False)

    parameters = _parameters(ctx, data.get("parameters") or LineDict())
    values = _bind_parameters(ctx, parameters, cli_params, name)
    vocabulary = _vocabulary(ctx, data.get("vocabulary") or LineDict())

    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise ctx.fail(
            data, "rules" if "rules" in data else None, "a ruleset needs a non-empty 'rules' list"
        )
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    rule_sources = raw.get("rule_sources", {})
    for item in rules_raw:
        rsource = rule_sources.get(str(item.get("id")) if isinstance(item, dict) else "", source)
        rctx = Ctx(rsource)
        r = rctx.mapping(item, rules_raw, None)
        rid = r.get("id")
        rctx = rctx.for_rule(str(rid) if rid is not None else None)
        if not isinstance(rid, str) or not RULE_ID.match(rid):
            raise rctx.fail(
                r, "id", f"expected an id like DOR-C1 (pattern {RULE_ID.pattern}), got {rid!r}"
            )
        if rid in seen:
            raise rctx.fail(r, "id", f"duplicate rule id (first on line {seen[rid]})")
        seen[rid] = r.line
        kind_name = rctx.string(r, "kind")
        kind = RULE_KINDS.get(kind_name)
        if kind is None:
            raise rctx.fail(
                r, "kind", f"unknown kind '{kind_name}' (expected one of: {', '.join(RULE_KINDS)})"
            )
        bound = _substitute(rctx, r, values)
        allowed = dict(RULE_COMMON_KEYS) | dict(kind.fields)
        rctx.no_unknown_keys(bound, allowed, f"a '{kind_name}' rule")
        scope = rctx.string(bound, "scope", required=False, default=kind.default_scope)
        if scope not in kind.scopes:
            raise rctx.fail(bound, "scope", f"expected one of: {', '.join(kind.scopes)}")
        rule = Rule(
            id=rid,
            kind=kind_name,
            scope=scope,
            title=rctx.string(bound, "title"),
            section=rctx.string(bound, "section"),
            quote=rctx.string(bound, "quote"),
            note=rctx.string(bound, "note", required=False),
            example=rctx.string(bound, "example", required=False),
            spec=None,
            source=rsource,
            line=r.line,
            document=document,
            authority=authority,
        )
        rule.spec = kind.validate(rctx, bound, rule)
        rules.append(rule)

    not_auditable = []
    na_raw = data.get("not_auditable") or []
    if not isinstance(na_raw, list):
        raise ctx.fail(data, "not_auditable", "expected a list")
    for item in na_raw:
        n = ctx.mapping(item, na_raw, None)
        nctx = ctx.for_rule(str(n.get("id")))
        nctx.no_unknown_keys(n, NOT_AUDITABLE_KEYS, "not_auditable")
        nid = nctx.string(n, "id")
        if not RULE_ID.match(nid):
            raise nctx.fail(n, "id", "expected an id like DOR-N1")
        if nid in seen:
            raise nctx.fail(n, "id", f"duplicate id (first on line {seen[nid]})")
        seen[nid] = n.line
        not_auditable.append(
            NotAuditable(
                id=nid,
                requirement=nctx.string(n, "requirement"),
                section=nctx.string(n, "section"),
                reason=nctx.string(n, "reason"),
                quote=nctx.string(n, "quote", required=False),
            )
        )
    return Ruleset(
        digest=_digest(ctx, data.get("digest")),
        name=name,
        authority=authority,
        document=document,
        version=ruleset_version,
        description=description,
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        parameters=parameters,
        param_values=values,
        vocabulary=vocabulary,
        rules=rules,
        not_auditable=not_auditable,
        extends=raw.get("extends"),
    )


DIGEST_ID = re.compile(r"^[A-Z]{2,5}-[CS]\d+$")


def _digest(ctx: Ctx, raw: Any) -> dict[str, tuple[str, ...]]:
    """digest: {LAM-C1: LAM-C1, LAM-C3: [LAM-C1, LAM-C12]}. An answer that names no rule or
    not_auditable entry of the ruleset is not an error here: it is counted as missing."""
    if raw is None:
        return {}
    mapping = ctx.mapping(raw, raw, None)
    out: dict[str, tuple[str, ...]] = {}
    for key in mapping:
        if not isinstance(key, str) or not DIGEST_ID.match(key):
            raise ctx.fail(mapping, str(key), "expected a digest id like LAM-C1 or DOR-S7")
        answer = mapping[key]
        items = answer if isinstance(answer, list) else [answer]
        if not items or not all(isinstance(i, str) and RULE_ID.match(i) for i in items):
            raise ctx.fail(mapping, key, "expected a rule or not_auditable id, or a list of them")
        out[key] = tuple(items)
    return out


def _parameters(ctx: Ctx, raw: Any) -> dict[str, Parameter]:
    raw = ctx.mapping(raw, raw, None)
    out = {}
    for pname, spec in raw.items():
        if not isinstance(pname, str) or not PARAM_NAME.match(pname):
            raise ctx.fail(raw, str(pname), "parameter names are lower_case_with_underscores")
        spec = ctx.mapping(spec, raw, pname)
        ctx.no_unknown_keys(
            spec, {"type", "default", "description", "required"}, f"parameter '{pname}'"
        )
        ptype = ctx.string(spec, "type", required=False, default="interval")
        if ptype not in PARAM_TYPES:
            raise ctx.fail(spec, "type", f"expected one of: {', '.join(PARAM_TYPES)}")
        required = ctx.boolean(spec, "required", default="default" not in spec)
        default = None
        if "default" in spec and spec["default"] is not None:
            default = _coerce_param(
                ptype, spec["default"], lambda m, s=spec: ctx.fail(s, "default", m)
            )
        out[pname] = Parameter(
            pname,
            ptype,
            default,
            required and default is None,
            ctx.string(spec, "description", required=False),
        )
    return out


def _coerce_param(ptype: str, value: Any, fail: Any) -> Any:
    if ptype == "interval":
        try:
            return Interval.parse(value if isinstance(value, str) else str(value))
        except ValueError as exc:
            raise fail(str(exc)) from None
    if ptype == "integer":
        try:
            if isinstance(value, bool):
                raise ValueError
            return int(str(value).strip())
        except ValueError:
            raise fail(f"expected a whole number, got {value!r}") from None
    if ptype == "number":
        try:
            return float(str(value).strip())
        except ValueError:
            raise fail(f"expected a number, got {value!r}") from None
    return str(value)


def _bind_parameters(
    ctx: Ctx, params: dict[str, Parameter], cli: dict[str, str], name: str
) -> dict[str, Any]:
    for key in cli:
        if key not in params:
            known = ", ".join(sorted(params)) or "none"
            raise RulesetError(
                f"ruleset '{name}' has no parameter '{key}' (its parameters: {known})"
            )
    values = {}
    for pname, p in params.items():
        if pname in cli:

            def fail(message: str, pname: str = pname) -> RulesetError:
                return RulesetError(f"--param {pname}: {message}")

            values[pname] = _coerce_param(p.type, cli[pname], fail)
        elif p.default is not None:
            values[pname] = p.default
        else:
            hint = p.description or f"a value of type {p.type}"
            example = "4w" if p.type == "interval" else "..."
            raise RulesetError(
                f"ruleset '{name}' needs --param {pname}=VALUE "
                f"({hint}; e.g. --param {pname}={example})"
            )
    return values


def _substitute(ctx: Ctx, node: Any, values: dict[str, Any]) -> Any:
    """Replace every '${name}' string with the parameter's value (keeping line marks)."""
    if isinstance(node, LineDict):
        out = LineDict()
        out.line = node.line
        out.key_lines = node.key_lines
        for k, v in node.items():
            out[k] = _substitute(ctx, v, values)
        return out
    if isinstance(node, list):
        out_list = type(node)(_substitute(ctx, v, values) for v in node)
        if hasattr(node, "line"):
            out_list.line = node.line  # type: ignore[attr-defined]
        return out_list
    if isinstance(node, str):
        m = PARAM_REF.match(node.strip())
        if m:
            if m.group(1) not in values:
                raise RulesetError(
                    f"unknown parameter '${{{m.group(1)}}}'", file=ctx.source, rule=ctx.rule
                )
            value = values[m.group(1)]
            return param_text(value) if isinstance(value, Interval) else value
        if "${" in node:

            def inline(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in values:
                    raise RulesetError(
                        f"unknown parameter '${{{name}}}'", file=ctx.source, rule=ctx.rule
                    )
                value = values[name]
                return value.words() if isinstance(value, Interval) else str(value)

            return PARAM_INLINE.sub(inline, node)
    return node


def _vocabulary(ctx: Ctx, raw: Any) -> dict[str, dict[str, str]]:
    raw = ctx.mapping(raw, raw, None)
    out: dict[str, dict[str, str]] = {}
    for section, mapping in raw.items():
        if section not in VOCAB_KEYS:
            raise ctx.fail(raw, str(section), f"expected one of: {', '.join(VOCAB_KEYS)}")
        mapping = ctx.mapping(mapping, raw, section)
        allowed = VOCAB_KEYS[section]
        if section == "event_kinds":
            allowed = tuple(dict.fromkeys(CASE_EVENT_KINDS + WORKER_EVENT_KINDS))
        out[section] = {}
        for local, canonical in mapping.items():
            if not isinstance(canonical, str) or canonical not in allowed:
                raise ctx.fail(
                    mapping,
                    str(local),
                    f"maps to {canonical!r}; expected one of: {', '.join(allowed)}",
                )
            out[section][str(local)] = canonical
    return out
