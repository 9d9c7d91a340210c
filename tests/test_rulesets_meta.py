"""Every shipped ruleset is traceable to its policy document.

For each supervision_audit/rulesets/*.yaml:

* it loads (required parameters given, e.g. worcestershire personal_interval=4w);
* every rule has id, title, section, quote, note and example, all non-empty;
* every quote (rule, requirement and not_auditable) appears verbatim in
  the file document.file names, relative to the ruleset. "Verbatim" allows only
  whitespace to differ (runs of spaces, tabs and line breaks compare as one space);
  quotation marks and apostrophes are compared exactly, curly or straight, as the file has them;
* every section names something that exists in that file, by this convention:
  a section is one or more parts separated by ';', each part names at least one anchor,
  and every anchor must be found in the policy text:
    - a double-quoted phrase ("Frequency of supervision", "Children in need"): a heading
      or table-row label, found in the text (whitespace-normalised, ignoring case);
    - "Standard N": row N of a numbered standards table (a line that starts "N." and a tab);
    - "Appendix N": the words "Appendix N";
    - a section number (4, 4.3, 5.1): a line that starts, after indentation or a list
      dash or bullet, with that number followed by '.', ')', a space or a tab.
  Other words in a part ("table", "row", "a)", "first paragraph") are description only;
* ids are unique across the ruleset's rules and not_auditable entries, match the schema's
  id pattern and the house convention <PREFIX>-C<n> (children), -S<n> (staff),
  -N<n> (not auditable), with one prefix per ruleset.

The checker itself is tested on deliberately bad quotes, sections and ids, so it can fail.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from supervision_audit.errors import RulesetError
from supervision_audit.rules.loading import load_ruleset
from supervision_audit.rules.model import RULE_ID

ROOT = Path(__file__).resolve().parents[1]
RULESETS = ROOT / "supervision_audit" / "rulesets"
SHIPPED = sorted(p.stem for p in RULESETS.glob("*.yaml"))
REQUIRED_PARAMS: dict[str, dict[str, str]] = {"worcestershire": {"personal_interval": "4w"}}
PREFIXES = {
    "dorset": "DOR",
    "devon": "DEV",
    "lambeth": "LAM",
    "portsmouth": "POR",
    "worcestershire": "WOR",
}
RULE_TEXT_FIELDS = ("id", "title", "section", "quote", "note", "example")

# Rulesets that cannot load yet, and why (strict xfail: remove the entry when it loads).
NOT_LOADABLE_YET: dict[str, str] = {}


# --------------------------------------------------------------------------------------
# The checker


def norm(text: str) -> str:
    """Whitespace runs to one space; nothing else changes."""
    return " ".join(text.split())


def quote_found(quote: str, policy: str) -> bool:
    return bool(quote.strip()) and norm(quote) in norm(policy)


QUOTED = re.compile(r'"([^"]+)"')
STANDARD = re.compile(r"\bStandard\s+(\d+)\b")
APPENDIX = re.compile(r"\bAppendix\s+(\d+)\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.]*\w)")


def section_anchors(part: str) -> list[tuple[str, str]]:
    """The anchors one ';'-part of a section names: (kind, value)."""
    anchors = [("phrase", m) for m in QUOTED.findall(part)]
    rest = QUOTED.sub(" ", part)
    anchors += [("standard", m) for m in STANDARD.findall(rest)]
    anchors += [("appendix", m) for m in APPENDIX.findall(rest)]
    rest = APPENDIX.sub(" ", STANDARD.sub(" ", rest))
    anchors += [("number", m) for m in NUMBER.findall(rest)]
    return anchors


def anchor_found(kind: str, value: str, policy: str) -> bool:
    if kind == "phrase":
        return norm(value).lower() in norm(policy).lower()
    if kind == "standard":
        return re.search(rf"^{value}\.\t", policy, re.M) is not None
    if kind == "appendix":
        return f"appendix {value}" in norm(policy).lower()
    return re.search(rf"^[ \t\-•*]*{re.escape(value)}(?:[.)\s]|$)", policy, re.M) is not None


def section_problems(section: str, policy: str) -> list[str]:
    problems = []
    parts = [p.strip() for p in section.split(";")]
    for part in parts:
        anchors = section_anchors(part)
        if not anchors:
            problems.append(
                f"section part {part!r} names no number, Standard, Appendix or quoted heading"
            )
        for kind, value in anchors:
            if not anchor_found(kind, value, policy):
                problems.append(f"section {section!r}: {kind} {value!r} not found in the policy")
    return problems


def ruleset_problems(data: dict[str, Any], policy: str, prefix: str | None = None) -> list[str]:
    """Everything in a raw ruleset mapping that is not traceable to `policy`."""
    problems: list[str] = []
    seen: set[str] = set()

    def check_id(rid: Any, letters: str) -> None:
        if not isinstance(rid, str) or not RULE_ID.match(rid):
            problems.append(f"id {rid!r} does not match {RULE_ID.pattern}")
            return
        if rid in seen:
            problems.append(f"id {rid} is used twice")
        seen.add(rid)
        if prefix and not re.fullmatch(rf"{prefix}-[{letters}]\d+", rid):
            problems.append(f"id {rid} is not {prefix}-{'/'.join(letters)}<number>")

    for rule in data.get("rules") or []:
        rid = rule.get("id")
        scope = rule.get("scope", "children")
        check_id(rid, "C" if scope == "children" else "S")
        for key in RULE_TEXT_FIELDS:
            value = rule.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{rid}: '{key}' is missing or empty")
        if isinstance(rule.get("quote"), str) and not quote_found(rule["quote"], policy):
            problems.append(f"{rid}: quote not found verbatim: {norm(rule['quote'])[:80]!r}")
        if isinstance(rule.get("section"), str):
            problems += [f"{rid}: {p}" for p in section_problems(rule["section"], policy)]
        for i, req in enumerate(rule.get("requirements") or []):
            where = f"{rid} requirement {i + 1} ({req.get('label', '')})"
            if "quote" in req and not quote_found(str(req["quote"]), policy):
                problems.append(
                    f"{where}: quote not found verbatim: {norm(str(req['quote']))[:80]!r}"
                )
            if "section" in req:
                problems += [f"{where}: {p}" for p in section_problems(str(req["section"]), policy)]
    for item in data.get("not_auditable") or []:
        nid = item.get("id")
        check_id(nid, "N")
        for key in ("requirement", "section", "reason"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append(f"{nid}: '{key}' is missing or empty")
        if item.get("quote") is not None and not quote_found(str(item["quote"]), policy):
            problems.append(f"{nid}: quote not found verbatim: {norm(str(item['quote']))[:80]!r}")
        if isinstance(item.get("section"), str):
            problems += [f"{nid}: {p}" for p in section_problems(item["section"], policy)]
    return problems


def raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((RULESETS / f"{name}.yaml").read_text(encoding="utf-8"))


def policy_text(data: dict[str, Any]) -> str:
    return (RULESETS / data["document"]["file"]).read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# The shipped rulesets


def test_the_five_authorities_are_shipped() -> None:
    assert {"dorset", "devon", "lambeth", "portsmouth", "worcestershire"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_ruleset_loads(name: str, request: pytest.FixtureRequest) -> None:
    if name in NOT_LOADABLE_YET:
        request.applymarker(
            pytest.mark.xfail(raises=RulesetError, strict=True, reason=NOT_LOADABLE_YET[name])
        )
    rs = load_ruleset(name, REQUIRED_PARAMS.get(name))
    assert rs.name == name
    assert [r.id for r in rs.rules] == [r["id"] for r in raw(name)["rules"]]
    assert [n.id for n in rs.not_auditable] == [
        n["id"] for n in raw(name).get("not_auditable") or []
    ]
    for rule in rs.rules:
        for key in RULE_TEXT_FIELDS:
            assert str(getattr(rule, key)).strip(), f"{rule.id}: {key} is empty"


@pytest.mark.parametrize("name", SHIPPED)
def test_ruleset_header(name: str) -> None:
    data = raw(name)
    assert data["schema_version"] == 1
    assert data["name"] == name
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(data["version"])), data["version"]
    for key in ("authority", "description"):
        assert isinstance(data.get(key), str) and data[key].strip(), key
    for key in ("title", "date", "file"):
        assert str(data["document"].get(key, "")).strip(), f"document.{key}"
    assert (RULESETS / data["document"]["file"]).is_file()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_rule_is_traceable_to_its_policy(name: str) -> None:
    data = raw(name)
    assert ruleset_problems(data, policy_text(data), PREFIXES.get(name)) == []


def test_worcestershire_requires_its_personal_interval() -> None:
    params = raw("worcestershire")["parameters"]
    assert "personal_interval" in params
    assert params["personal_interval"].get("default") is None
    with pytest.raises(RulesetError, match="personal_interval"):
        load_ruleset("worcestershire")


# --------------------------------------------------------------------------------------
# The checker can fail

POLICY = """\
4.3 Standards for case review

A supervision episode should be recorded on mosaic in respect of each child
at a minimum of every 8 weeks.

Children’s Social Care

10.\tA supervision episode should be recorded on MOSAIC.
"""


def good_rule(**over: Any) -> dict[str, Any]:
    rule = {
        "id": "TST-C1",
        "kind": "interval",
        "title": "t",
        "section": "4.3; Standard 10",
        "quote": "in respect of each child at a minimum of every 8 weeks.",
        "note": "n",
        "example": "e",
        "requirements": [
            {
                "every": "8w",
                "section": '4.3 "Standards for case review"',
                "quote": "at a minimum   of\nevery 8 weeks",
            }
        ],
    }
    rule.update(over)
    return rule


def test_checker_accepts_a_faithful_rule() -> None:
    assert ruleset_problems({"rules": [good_rule()]}, POLICY, "TST") == []


@pytest.mark.parametrize(
    "bad",
    [
        "in respect of each child at a minimum of every 4 weeks.",  # a changed word
        "in respect of every child at a minimum of every 8 weeks.",  # a paraphrase
        "Children's Social Care",  # straight for curly
        "",  # empty
    ],
)
def test_checker_rejects_a_quote_not_in_the_policy(bad: str) -> None:
    problems = ruleset_problems({"rules": [good_rule(quote=bad)]}, POLICY, "TST")
    assert any("quote" in p for p in problems), problems


def test_checker_rejects_a_bad_requirement_quote() -> None:
    rule = good_rule(requirements=[{"every": "4w", "quote": "every four weeks"}])
    assert any("requirement 1" in p for p in ruleset_problems({"rules": [rule]}, POLICY))


@pytest.mark.parametrize(
    "bad", ["4.9", "Standard 11", '"Frequency of supervision"', "the case review table", "4.3; 5"]
)
def test_checker_rejects_a_section_not_in_the_policy(bad: str) -> None:
    problems = ruleset_problems({"rules": [good_rule(section=bad)]}, POLICY, "TST")
    assert any("section" in p for p in problems), problems


def test_checker_rejects_missing_fields_and_bad_ids() -> None:
    rule = good_rule(note="", example=None)
    problems = ruleset_problems(
        {
            "rules": [rule, good_rule(), good_rule(id="TST-X1")],
            "not_auditable": [
                {"id": "TST-C9", "requirement": "r", "section": "4.3", "reason": "x"}
            ],
        },
        POLICY,
        "TST",
    )
    text = "\n".join(problems)
    assert "'note' is missing" in text and "'example' is missing" in text
    assert "used twice" in text
    assert "TST-X1" in text and "TST-C9 is not TST-N" in text


def test_checker_rejects_a_bad_not_auditable_quote() -> None:
    data = {
        "rules": [good_rule()],
        "not_auditable": [
            {
                "id": "TST-N1",
                "requirement": "r",
                "section": "4.3",
                "reason": "x",
                "quote": "dates agreed six months in advance",
            }
        ],
    }
    assert any("TST-N1: quote" in p for p in ruleset_problems(data, POLICY, "TST"))
