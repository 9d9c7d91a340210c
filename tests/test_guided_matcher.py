"""The guided mapping's matcher: which note, step or form types are proposed as what.

Each row is a description a council's export could plausibly hold (most are the names the
policies and the published extracts use: real-exports.md §6, the policies in shared/), with
the kind the matcher must propose, or None: listed, not counted. The matching is
conservative: "supervision" counts, but never a Supervision Order (a court order), never the
worker's own supervision, never a note *about* a supervision.
"""

from __future__ import annotations

import polars as pl
import pytest

from supervision_audit.sources.guided import (
    ALLOCATED,
    KIND_RULES,
    ROLE_RULES,
    normalise,
    propose_kinds,
    propose_roles,
)

KINDS = [
    # the brief's own cases
    ("Supervision Order", None, "K1"),
    ("Interim Supervision Order", None, "K1"),
    ("Education Supervision Order", None, "K1"),
    ("Supervision order - review", None, "K1"),
    ("Management Oversight", "MANAGEMENT_OVERSIGHT", "K6"),
    ("Manager's case note", "MANAGEMENT_OVERSIGHT", "K6"),
    ("Case Supervision", "CASE_SUPERVISION", "K9"),
    ("Group supervision", "GROUP_SUPERVISION", "K8"),
    ("Supervision file audit", "FILE_AUDIT", "K4"),
    ("Reflective supervision", "CASE_SUPERVISION", "K9"),
    # names the policies give
    ("Record of supervision discussion", "CASE_SUPERVISION", "K9"),  # Lambeth
    ("Children's Case Supervision", "CASE_SUPERVISION", "K9"),  # Lambeth appendix
    ("Reflective Group Supervision", "GROUP_SUPERVISION", "K8"),  # Lambeth 3c
    ("Supervision Workflow", "CASE_SUPERVISION", "K9"),  # Dorset 4.3
    ("Management Discussion", "MANAGEMENT_OVERSIGHT", "K6"),  # Dorset 4.7
    ("Management Decision", "MANAGEMENT_OVERSIGHT", "K6"),  # Dorset 4.7
    ("Child: Supervision Consultation", "CASE_SUPERVISION", "K9"),  # Devon 5.3
    ("Manager’s Case note", "MANAGEMENT_OVERSIGHT", "K6"),  # Devon 8 (curly apostrophe)
    ("manager case note", "MANAGEMENT_OVERSIGHT", "K6"),  # Devon, elsewhere
    ("Manager's Oversight/Review/Decision", "MANAGEMENT_OVERSIGHT", "K6"),  # Devon
    ("Restorative Circle/Group Supervision/Consultation Form", "GROUP_SUPERVISION", "K8"),
    ("Supervision Record", "CASE_SUPERVISION", "K9"),  # Brighton (CareFirst)
    ("Case file audit", "FILE_AUDIT", "K4"),
    ("Audit of case file", "FILE_AUDIT", "K4"),
    ("CASE_SUPERVISION", "CASE_SUPERVISION", "K9"),  # a code that says it in words
    ("  case   SUPERVISION ", "CASE_SUPERVISION", "K9"),
    # what must not be counted
    ("Supervision Quality Assurance and Audit", None, "K5"),  # Dorset appendix 11
    ("Practice audit", None, "K5"),
    ("Personal Supervision Record", None, "K7"),  # Dorset: the worker's own
    ("Professional supervision", None, "K7"),
    ("Management Supervision", None, "K7"),  # Lambeth: a manager's own
    ("Staff supervision", None, "K7"),
    ("Supervision agreement", None, "K3"),
    ("Preparation for supervision", None, "K3"),
    ("Supervision cancelled", None, "K3"),
    ("Contact supervision", None, "K2"),
    ("Supervision of contact", None, "K2"),
    ("Supervised contact", None, None),  # not the word "supervision"
    ("Post-sentence supervision", None, "K1"),
    ("Youth Rehabilitation Order - supervision requirement", None, "K1"),
    ("Home visit", None, None),
    ("Statutory visit", None, None),
    ("Group case discussion", None, None),  # may be group supervision: the officer decides
    ("Supervisor", None, None),
    ("SUPERCONT", None, None),  # LiquidLogic code of unstated meaning (real-exports §3)
    ("", None, None),
]


@pytest.mark.parametrize(
    ("description", "kind", "rule"), KINDS, ids=[k[0] or "blank" for k in KINDS]
)
def test_kind_proposed_for_each_description(description, kind, rule) -> None:
    out = propose_kinds(pl.DataFrame({"value": ["X1"], "description": [description]}))
    assert out.row(0, named=True) | {"why": None} == {
        "value": "X1",
        "description": description,
        "proposed": kind,
        "rule": rule,
        "why": None,
    }
    if rule is not None:
        assert out["why"][0] == next(r.why for r in KIND_RULES if r.rule == rule)


def test_the_whole_table_is_matched_at_once() -> None:
    """One vectorised pass over every distinct type gives the same as one at a time."""
    table = pl.DataFrame(
        {"value": [f"T{i}" for i in range(len(KINDS))], "description": [k[0] for k in KINDS]}
    )
    out = propose_kinds(table)
    assert out["proposed"].to_list() == [k[1] for k in KINDS]
    assert out["rule"].to_list() == [k[2] for k in KINDS]


def test_without_a_description_the_value_itself_is_read() -> None:
    """Mosaic's case-note export writes the note type's text; a missing description is read
    as the code (a numeric step type id proposes nothing)."""
    out = propose_kinds(
        pl.DataFrame(
            {
                "value": ["Case Supervision", "1234", "Supervision Order"],
                "description": [None, None, None],
            },
            schema={"value": pl.String, "description": pl.String},
        )
    )
    assert out["proposed"].to_list() == ["CASE_SUPERVISION", None, None]
    no_desc = propose_kinds(pl.DataFrame({"value": ["Group supervision", "STVC"]}))
    assert no_desc["proposed"].to_list() == ["GROUP_SUPERVISION", None]


def test_a_description_wins_over_its_code() -> None:
    """The code is only a key: a step type coded 'SUPERVISION' whose description is a court
    order is not counted."""
    out = propose_kinds(
        pl.DataFrame({"value": ["SUPERVISION"], "description": ["Supervision Order"]})
    )
    assert out["proposed"].to_list() == [None]


def test_normalise() -> None:
    got = pl.select(
        normalise(pl.Series(["Manager’s  Case-Note", "Child: Supervision", None]))
    ).to_series()
    assert got.to_list() == ["managers case note", "child supervision", ""]


ROLES = [
    # (code, description, proposed, rule)
    ("CW", None, ALLOCATED, "R3"),  # LiquidLogic (DfE payload filters on it)
    ("cw ", None, ALLOCATED, "R3"),
    ("AW", None, ALLOCATED, "R3"),  # Eclipse ALLOCATEDWORKERCODE
    ("REL.ALLWORK", None, ALLOCATED, "R3"),  # Mosaic
    ("REL.ALLWORKCF", "C&F Allocated Worker", ALLOCATED, "R3"),
    ("ALLWKR", "Allocated Worker", ALLOCATED, "R3"),  # Mosaic raw PEOPLE_WORKERS
    ("CW", "Case Worker", ALLOCATED, "R3"),
    ("77", "Allocated Social Worker", ALLOCATED, "R4"),
    ("X9", "Caseworker", ALLOCATED, "R4"),
    ("IRO", None, None, "R1"),
    ("IRO", "Independent Reviewing Officer", None, "R1"),
    ("16PLUS", "Personal Adviser", None, "R1"),
    ("REL.PERSONALADVISOR", "Personal Advisor", None, "R1"),
    ("REL.IEYSF", "IEYS Family Worker", None, "R1"),
    ("AT", "Allocated Team", None, "R1"),
    ("KASCHO", None, None, "R2"),
    ("KAGP", "Key Agency - GP", None, "R1"),
    ("X2", "Co-allocated worker", None, "R1"),
    ("X3", "Student social worker", None, "R1"),
    ("CW", "Independent Reviewing Officer", None, "R1"),  # the description wins
    ("CSW", None, None, None),  # meaning not given in the sources: the officer decides
    ("LCW", None, None, None),
    ("PSW", None, None, None),
]


@pytest.mark.parametrize(("code", "description", "proposed", "rule"), ROLES)
def test_allocated_worker_role_proposed(code, description, proposed, rule) -> None:
    out = propose_roles(
        pl.DataFrame(
            {"value": [code], "description": [description]},
            schema={"value": pl.String, "description": pl.String},
        )
    )
    assert (out["proposed"][0], out["rule"][0]) == (proposed, rule)


def test_rule_ids_are_unique_and_every_rule_explains_itself() -> None:
    for rules in (KIND_RULES, ROLE_RULES):
        ids = [r.rule for r in rules]
        assert len(ids) == len(set(ids))
        assert all(r.why and r.pattern for r in rules)
    assert {r.proposes for r in KIND_RULES} == {
        None,
        "CASE_SUPERVISION",
        "GROUP_SUPERVISION",
        "MANAGEMENT_OVERSIGHT",
        "FILE_AUDIT",
    }


def test_docs_list_every_matching_rule() -> None:
    """docs/profiles.md ("Proposing what counts") is the matching table in prose: every rule
    in the code has its row there, proposing the same thing."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "profiles.md").read_text("utf-8")
    section = doc[doc.index("## Proposing what counts") :]
    rows = {
        line.split("|")[1].strip(): line
        for line in section.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip()[:1] in ("K", "R")
    }
    for r in (*KIND_RULES, *ROLE_RULES):
        assert r.rule in rows, f"{r.rule} is not documented"
        said = rows[r.rule].split("|")[3]
        if r.proposes is None:
            assert "not" in said, r.rule
        elif r.proposes == ALLOCATED:
            assert "allocated worker" in said and "not" not in said, r.rule
        else:
            assert f"`{r.proposes}`" in said, r.rule
    assert set(rows) == {r.rule for r in (*KIND_RULES, *ROLE_RULES)}
