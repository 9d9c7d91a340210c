"""`profiles new --from SYSTEM --data EXPORTS` on exports laid out as the real systems are
(tests/fixtures/real/<system>/, each with the same cases as canonical tables in canonical/).

Done means: with no hand edit, the written profile audits the export to the canonical
tables' findings, including when the council's supervision type is described in words the
shipped profile does not know ("Supervision Record" rather than "Case Supervision").
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.sources.guided import guided_profile
from supervision_audit.sources.profiles import load_profile

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
AS_OF = dt.date(2026, 10, 31)


def findings(data: Path, source: str) -> list[dict]:
    run = run_audit(AuditOptions(data=data, ruleset="lambeth", as_of=AS_OF, source=source))
    return run.result.to_json_obj()["findings"]


def same(a: list[dict], b: list[dict]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def written(tmp_path: Path, system: str, data: Path) -> Path:
    text, _ = guided_profile(system, data, "council")
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def copy(folder: str, tmp_path: Path) -> Path:
    """The export without its canonical/ twin."""
    d = tmp_path / folder
    shutil.copytree(REAL / folder, d, ignore=shutil.ignore_patterns("canonical"))
    return d


@pytest.mark.parametrize(
    "system", ["ssd", "liquidlogic", "mosaic_dm", "eclipse", "ssda903", "annex_a"]
)
def test_written_profile_audits_the_real_layout_as_canonical(tmp_path, system) -> None:
    path = written(tmp_path, system, REAL / system)
    got = findings(REAL / system, str(path))
    assert got and same(got, findings(REAL / system / "canonical", "canonical"))


RENAMES = {
    # (file, text in the export, the council's own words)
    "liquidlogic": ("FACT_CASENOTES.csv", ",Case Supervision,", ",Supervision Record,"),
    "ssd": ("FACT_CASENOTES.csv", ",Case Supervision,", ",Child: Supervision Consultation,"),
    "mosaic_dm": (
        "DM_WORKFLOW_STEP_TYPES.csv",
        "2101,Case Supervision",
        "2101,Supervision Workflow",
    ),
    # Devon's form (policy 5.3), as its page title
    "eclipse": (
        "FORMANSWERPERSONVIEW.csv",
        ",,Case Supervision,",
        ",,Child: Supervision Consultation,",
    ),
}


@pytest.mark.parametrize("system", sorted(RENAMES))
def test_a_council_s_own_words_need_no_hand_edit(tmp_path, system) -> None:
    """The shipped profile maps only exact descriptions, so a council's own name for its
    supervision type leaves the records out; the written profile proposes it and the audit
    equals the canonical tables' again."""
    d = copy(system, tmp_path)
    name, old, new = RENAMES[system]
    text = (d / name).read_text(encoding="utf-8-sig")
    assert old in text
    (d / name).write_text(text.replace(old, new), encoding="utf-8")
    want = findings(REAL / system / "canonical", "canonical")
    assert not same(findings(d, system), want)  # the shipped profile cannot see them
    path = written(tmp_path, system, d)
    assert "CASE_SUPERVISION  # proposed" in path.read_text(encoding="utf-8")
    assert same(findings(d, str(path)), want)


def test_mosaic_relationship_types_are_described_by_their_lookup(tmp_path) -> None:
    text, listings = guided_profile("mosaic_dm", REAL / "mosaic_dm", "council")
    (roles,) = [x for x in listings if x.what == "role"]
    got = {r["value"]: (r["description"], r["proposed"]) for r in roles.types.to_dicts()}
    assert got["REL.ALLWORK"] == ("Allocated Worker", "ALLOCATED_WORKER")
    assert got["REL.ALLWORKCF"] == ("C&F Allocated Worker", "ALLOCATED_WORKER")
    assert got["REL.IRO"][1] is None and got["REL.PERSONALADVISOR"][1] is None
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    rel = next(s for s in load_profile(str(path)).sources if s.name == roles.source)
    assert {f.keep for f in rel.filters if f.keep and "REL.ALLWORK" in f.keep} == {
        ("REL.ALLWORK", "REL.ALLWORKCF")
    }
    (steps,) = [x for x in listings if x.what == "kind" and x.files]
    assert steps.types.select("value", "description", "proposed").row(0) == (
        "2101",
        "Case Supervision",
        "CASE_SUPERVISION",
    )


def test_eclipse_forms_are_counted_per_form_and_proposed_by_their_title(tmp_path) -> None:
    """FORMANSWERPERSONVIEW has one row per answer: each DESIGNGUID is listed with its
    number of forms (not answer rows), described by the PAGETITLE and DESIGNSUBNAME its
    rows carry, and proposed from them; the "Child: Visit" form is listed, not counted."""
    text, listings = guided_profile("eclipse", REAL / "eclipse", "council")
    (forms,) = [x for x in listings if x.what == "kind" and x.files]
    got = {r["value"]: (r["rows"], r["description"], r["proposed"]) for r in forms.types.to_dicts()}
    assert got == {
        # 8 forms, one of them in progress (listed: the officer sees every form of the type)
        "5a1e3c2d-0000-4000-8000-00000000c0de": (7, "Case Supervision", "CASE_SUPERVISION"),
        "7b04f2b4-1170-44a2-8f2f-111d51d8a90f": (1, "Child: Visit Child Protection", None),
    }
    assert '"5a1e3c2d-0000-4000-8000-00000000c0de": CASE_SUPERVISION  # proposed' in text
    assert "(a record is one INSTANCEID)" in text and "# Case Supervision (7 records)" in text
    assert '# "7b04f2b4-1170-44a2-8f2f-111d51d8a90f":' in text


def test_eclipse_a_form_design_with_titles_proposing_different_kinds_is_not_proposed(
    tmp_path,
) -> None:
    """One DESIGNGUID whose forms carry a supervision title and a visit title: proposing it
    would count the visits as supervision, so nothing is proposed and the reason says so."""
    d = copy("eclipse", tmp_path)
    path = d / "FORMANSWERPERSONVIEW.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "60005,5a1e3c2d-0000-4000-8000-00000000c0de,,Case Supervision,",
        "60005,5a1e3c2d-0000-4000-8000-00000000c0de,,Home Visit,",
    )
    path.write_text(text, encoding="utf-8")
    written_text, listings = guided_profile("eclipse", d, "council")
    (forms,) = [x for x in listings if x.what == "kind" and x.files]
    row = forms.types.filter(forms.types["value"] == "5a1e3c2d-0000-4000-8000-00000000c0de")
    assert row["rows"].item() == 7
    assert row["proposed"].item() is None
    assert "not all proposed the same way" in row["why"].item()
    assert '# "5a1e3c2d-0000-4000-8000-00000000c0de":' in written_text


def test_mosaic_plain_workflow_steps_are_listed_and_proposed(tmp_path) -> None:
    """From DM_WORKFLOW_STEPS (persons through DM_SUBGROUP_SUBJECTS) the step types are
    listed per step, described through DM_WORKFLOW_STEP_TYPES and proposed, with the
    council's own words; the written profile audits to the canonical findings."""
    d = tmp_path / "mosaic_steps"
    d.mkdir()
    for p in [*(REAL / "mosaic_dm").glob("*.csv"), *(REAL / "mosaic_dm_steps").glob("*.csv")]:
        if p.name != "DM_WORKFLOW_STEPS_PEOPLE_VW.csv":
            (d / p.name).write_bytes(p.read_bytes())
    types = d / "DM_WORKFLOW_STEP_TYPES.csv"
    types.write_text(
        types.read_text(encoding="utf-8").replace(
            "2101,Case Supervision", "2101,Supervision Workflow"
        ),
        encoding="utf-8",
    )
    want = findings(REAL / "mosaic_dm" / "canonical", "canonical")
    assert not same(findings(d, "mosaic_dm"), want)
    text, listings = guided_profile("mosaic_dm", d, "council")
    (steps,) = [x for x in listings if x.what == "kind" and x.files]
    assert steps.source == "DM_WORKFLOW_STEPS" and steps.files == ["DM_WORKFLOW_STEPS.csv"]
    got = {r["value"]: (r["rows"], r["description"], r["proposed"]) for r in steps.types.to_dicts()}
    assert got == {
        "2101": (9, "Supervision Workflow", "CASE_SUPERVISION"),
        "1187": (1, "Child protection visit (CSSW)", None),
    }
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    assert same(findings(d, str(path)), want)
