"""Real council exports read as they are (issue 13).

One small folder per system under tests/fixtures/real/<system>/, laid out with the table and
column names of the published specifications (SSD v1.4.5, Mosaic's data mart, LiquidLogic's
HDM tables, Eclipse's reporting views, the SSDA903 return, Ofsted's Annex A); the data is
made up. Each folder holds the same children (CIN, CP, CLA, a care leaver, a closed CIN
case) and `canonical/` holds the same cases written as canonical tables by hand. The audit
of the export must equal the audit of its canonical twin.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.sources import load_data
from supervision_audit.sources.profiles import best_source, choose_profile
from supervision_audit.sources.schema import TABLES

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
AS_OF = dt.date(2026, 10, 31)
SYSTEMS = ["ssd", "liquidlogic", "mosaic_dm", "eclipse", "ssda903", "annex_a"]
TEAMS = {"Assessment North", "Safeguarding South", "IRO Service"}


def folder(system: str) -> Path:
    if system == "annex_a":
        return REAL / "annex_a"
    return REAL / system


def source_for(system: str) -> str:
    return "auto"


def audit_json(data: Path, source: str, scope: str = "children") -> dict:
    run = run_audit(
        AuditOptions(data=data, ruleset="lambeth", as_of=AS_OF, source=source, scope=scope)
    )
    return run.result.to_json_obj()


@pytest.mark.parametrize("system", SYSTEMS)
def test_auto_recognises_each_system_by_its_headers_and_says_why(system: str) -> None:
    profile, why = choose_profile(folder(system), "auto")
    assert profile is not None, why
    assert profile.name == system
    assert why.startswith(f"auto: {system} recognised"), why


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_open_episode_is_used_and_teams_are_names(system: str) -> None:
    loaded = load_data(folder(system), source_for(system), tables=TABLES)
    twin = load_data(folder(system) / "canonical", "canonical", tables=TABLES)
    got = loaded.tables["episodes"].frame
    want = twin.tables["episodes"].frame
    assert got.filter(pl.col("end_date").is_null()).height == (
        want.filter(pl.col("end_date").is_null()).height
    )
    assert got.height == want.height
    teams = set(got["team"].drop_nulls().to_list())
    assert teams and teams <= TEAMS, teams
    # nothing rejected: NULL, 1900-01-01, SQL Server datetimes and serials all read
    assert loaded.issues.filter(pl.col("action") == "rejected").height == 0, loaded.issues


@pytest.mark.parametrize("system", SYSTEMS)
def test_findings_equal_the_canonical_twin(system: str) -> None:
    got = audit_json(folder(system), source_for(system))
    want = audit_json(folder(system) / "canonical", "canonical")
    assert want["findings"], "the twin must give findings, or the comparison proves nothing"
    assert json.dumps(got["findings"], sort_keys=True) == json.dumps(
        want["findings"], sort_keys=True
    )
    assert got["summary"]["children"] == want["summary"]["children"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_reconciliation_counts_every_row(system: str) -> None:
    loaded = load_data(folder(system), source_for(system), tables=TABLES)
    for f in loaded.mapping.files:
        if f.source is None:
            continue
        assert f.rows == f.passed + sum(f.excluded.values()), f


def test_ssd_names_come_from_forename_and_surname_not_the_legacy_id() -> None:
    loaded = load_data(folder("ssd"), "auto", tables=TABLES)
    names = set(loaded.tables["episodes"].frame["person_name"].to_list())
    assert "Amy Stone" in names
    assert not any(n and n.startswith("L-") for n in names)


def test_ssd_an_iro_is_never_the_allocated_worker() -> None:
    loaded = load_data(folder("ssd"), "auto", tables=TABLES)
    ep = loaded.tables["episodes"].frame.filter(pl.col("person_id") == "1003")
    assert ep["worker_id"].to_list() == ["M0501"]


def test_ssd_care_leaver_without_a_cla_episode_is_counted_not_dropped() -> None:
    loaded = load_data(folder("ssd"), "auto", tables=TABLES)
    rep = next(f for f in loaded.mapping.files if f.file == "ssd_care_leavers.csv")
    assert rep.rows == 2 and rep.passed == 1
    (reason,) = rep.excluded
    assert "no date" in reason and rep.excluded[reason] == 1


def test_mosaic_registrations_keep_only_child_protection_plans() -> None:
    loaded = load_data(folder("mosaic_dm"), "auto", tables=TABLES)
    rep = next(f for f in loaded.mapping.files if f.file == "DM_REGISTRATIONS.csv")
    assert rep.rows == 3 and rep.passed == 1
    assert sum(rep.excluded.values()) == 2


def test_eclipse_duplicate_persons_are_dropped_with_their_episodes() -> None:
    loaded = load_data(folder("eclipse"), source_for("eclipse"), tables=TABLES)
    ids = set(loaded.tables["episodes"].frame["person_id"].to_list())
    assert "1098" not in ids
    rep = next(f for f in loaded.mapping.files if f.file == "PERSONVIEW.csv")
    assert rep.excluded == {"duplicate person": 1}


def test_eclipse_forms_are_one_event_per_form_not_per_answer() -> None:
    loaded = load_data(folder("eclipse"), source_for("eclipse"), tables=TABLES)
    assert loaded.tables["case_events"].frame.height == 6
    rep = next(f for f in loaded.mapping.files if f.file == "FORMANSWERPERSONVIEW.csv")
    assert rep.rows == 16
    assert rep.rows == rep.passed + sum(rep.excluded.values())


def test_eclipse_forms_are_named_by_their_page_title_or_by_a_council_s_guid() -> None:
    """The shipped profile counts a form titled "Case Supervision" (PAGETITLE, with its
    DESIGNSUBNAME); a council's own profile can name its form by DESIGNGUID instead, and
    the two read the same forms. The "Child: Visit" form (DESIGNSUBNAME 'Child Protection ')
    is excluded as unmapped, counted."""
    by_title = load_data(folder("eclipse"), "auto", tables=TABLES)
    by_guid = load_data(folder("eclipse"), str(REAL / "eclipse-council.yaml"), tables=TABLES)
    for loaded in (by_title, by_guid):
        events = loaded.tables["case_events"].frame
        assert events.height == 6
        assert set(events["kind"].to_list()) == {"CASE_SUPERVISION"}
        rep = next(f for f in loaded.mapping.files if f.file == "FORMANSWERPERSONVIEW.csv")
        assert rep.excluded["kind not mapped (see the value list)"] == 1
    visit = next(v for v in by_title.mapping.files if v.file == "FORMANSWERPERSONVIEW.csv")
    described = {(v["value"], v["description"], v["mapped_to"]) for v in visit.values}
    assert described == {
        ("5a1e3c2d-0000-4000-8000-00000000c0de", "Case Supervision", "CASE_SUPERVISION"),
        ("7b04f2b4-1170-44a2-8f2f-111d51d8a90f", "Child: Visit Child Protection", None),
    }


def test_ssda903_episodes_csv_is_not_taken_for_the_canonical_file() -> None:
    profile, why = choose_profile(folder("ssda903"), "auto")
    assert profile is not None and profile.name == "ssda903", why


def test_ssd_without_case_notes_says_which_table_is_missing_and_what_supplies_it(
    tmp_path: Path,
) -> None:
    d = tmp_path / "ssd"
    d.mkdir()
    for p in folder("ssd").glob("ssd_*.csv"):
        (d / p.name).write_bytes(p.read_bytes())
    loaded = load_data(d, "auto", tables=TABLES)
    text = " ".join(loaded.mapping.notes)
    assert "case_events" in text and "FACT_CASENOTES" in text
    out = audit_json(d, "auto")
    caveats = " ".join(c["caveat"] for c in out["summary"]["caveats"])
    assert "FACT_CASENOTES" in caveats
    # the open caseload is still reported
    assert out["summary"]["children"]["open_caseload"] == 4


SAMPLE_MOSAIC = Path(__file__).resolve().parents[1] / "sample_data" / "mosaic"


@pytest.fixture(scope="module")
def renamed_mosaic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Mosaic sample with one note type spelt as a real council might spell it."""
    d = tmp_path_factory.mktemp("renamed") / "mosaic"
    d.mkdir()
    for p in SAMPLE_MOSAIC.iterdir():
        data = p.read_bytes()
        if p.name == "case notes.csv":
            assert b"Record of supervision discussion" in data
            data = data.replace(b"Record of supervision discussion", b"Supervision Record")
        (d / p.name).write_bytes(data)
    return d


def test_a_renamed_note_type_is_excluded_counted_and_named_everywhere(
    renamed_mosaic: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from supervision_audit.cli import app

    with open(renamed_mosaic / "case notes.csv", encoding="utf-8-sig") as fh:
        renamed = sum(1 for line in fh if "Supervision Record" in line)
    out = audit_json(renamed_mosaic, "auto", scope="all")
    events = out["summary"]["tables"]["case_events"]
    excluded = events["excluded"]["kind not mapped (see the value list)"]
    assert excluded >= renamed > 0
    # every row of the file is accounted for
    with open(renamed_mosaic / "case notes.csv", encoding="utf-8-sig") as fh:
        data_lines = [line for line in fh.read().splitlines()[4:] if line.strip()]
    assert events["read"] == len(data_lines)
    assert events["read"] == events["used"] + sum(events["excluded"].values()) + events["rejected"]
    caveats = " ".join(c["caveat"] for c in out["summary"]["caveats"])
    assert "'Supervision Record'" in caveats
    audit = ["audit", "--data", str(renamed_mosaic), "--ruleset", "lambeth"]
    audit += ["--as-of", "2026-10-31"]
    # terminal
    res = CliRunner().invoke(app, [*audit, "--limit", "1"])
    assert "Supervision Record" in res.output.replace("\n", " ")
    assert "kind not mapped" in res.output.replace("\n", " ")
    # workbook
    xlsx = tmp_path / "a.xlsx"
    res = CliRunner().invoke(app, [*audit, "--output", str(xlsx)])
    assert res.exit_code in (0, 1), res.output
    wb = load_workbook(xlsx, read_only=True)
    cells = " ".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
    assert "Supervision Record" in cells and "kind not mapped" in cells


def test_batch_threshold_on_excluded_rows_fails_when_rows_were_excluded(
    renamed_mosaic: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from supervision_audit.cli import app

    def batch(data: Path) -> int:
        cfg = tmp_path / "batch.yaml"
        cfg.write_text(
            f"audits:\n  - name: one\n    data: {data}\n    ruleset: lambeth\n"
            '    as_of: 2026-10-31\n    outputs: []\n    thresholds: ["excluded_rows <= 0"]\n'
        )
        return CliRunner().invoke(app, ["batch", str(cfg), "--today", "2026-11-23"]).exit_code

    assert batch(renamed_mosaic) == 1  # rows were excluded: the threshold fails
    assert batch(SAMPLE_MOSAIC.parent) == 0  # canonical tables: nothing excluded


@pytest.mark.parametrize("system", ["ssd", "mosaic_dm"])
def test_scope_all_and_scope_children_agree_on_the_children(system: str) -> None:
    every = audit_json(folder(system), source_for(system), scope="all")
    children = audit_json(folder(system), source_for(system), scope="children")
    assert children["findings"]
    assert [f for f in every["findings"] if f["rule"].startswith("LAM-C")] == children["findings"]
    assert every["summary"]["children"] == children["summary"]["children"]


def test_one_worker_one_id_case_system_ids_become_hr_staff_numbers(tmp_path: Path) -> None:
    """Mosaic worker 501 is HR's M0501 (the crosswalk file): the caseload, the case-system
    worker list and the HR staff list meet on M0501."""
    d = tmp_path / "m"
    d.mkdir()
    for p in folder("mosaic_dm").glob("*.csv"):
        (d / p.name).write_bytes(p.read_bytes())
    (d / "HR staff list.csv").write_text(
        "Employee Number,Job Title,Start Date\nM0501,Social Worker,2020-01-01\n"
        "M0502,Senior Social Worker,2019-05-01\n",
        encoding="utf-8",
    )
    loaded = load_data(d, "auto", tables=TABLES)
    ep = loaded.tables["episodes"].frame
    assert set(ep["worker_id"].to_list()) == {"M0501", "M0502"}
    workers = loaded.tables["workers"].frame.sort("worker_id")
    # name from DM_WORKERS and team from DM_WORKER_ROLES, joined through the staff number
    assert workers.select("worker_id", "name", "team").rows() == [
        ("M0501", "Lewis Jones", "Assessment North"),
        ("M0502", "Kai Thompson", "Safeguarding South"),
    ]


def test_a_rule_left_with_no_events_names_the_unmapped_types(tmp_path: Path) -> None:
    """Every supervision note spelt the council's own way: the children's supervision rule
    is not evaluated (never a false all-clear), and its reason names what was not mapped."""
    d = tmp_path / "mosaic"
    d.mkdir()
    for p in SAMPLE_MOSAIC.iterdir():
        data = p.read_bytes()
        if p.name == "case notes.csv":
            data = data.replace(b"Record of supervision discussion", b"Supervision Record")
            data = data.replace(b"Group Supervision", b"Team Reflection")
        (d / p.name).write_bytes(data)
    out = audit_json(d, "auto", scope="children")
    reasons = {n["rule"]: n["reason"] for n in out["not_evaluated"]}
    assert "LAM-C1" in reasons, reasons
    assert "'Supervision Record'" in reasons["LAM-C1"]
    assert "'Team Reflection'" in reasons["LAM-C1"]


def annex_a_with_hr(tmp_path: Path, crosswalk: bool) -> Path:
    """The Annex A workbook and case notes, beside an HR staff list (staff numbers M0501,
    M0502, their manager M0900), HR's supervision log and, optionally, the crosswalk from
    Annex A's worker names to staff numbers (tests/fixtures/real/annex_a_hr/)."""
    d = tmp_path / ("with" if crosswalk else "without")
    d.mkdir()
    for p in [*folder("annex_a").glob("*.*"), *(REAL / "annex_a_hr").glob("*.csv")]:
        if crosswalk or p.name != "worker id crosswalk.csv":
            (d / p.name).write_bytes(p.read_bytes())
    return d


def by_worker_sheets(data: Path, tmp_path: Path) -> tuple[dict, dict[str, list[tuple]]]:
    from openpyxl import load_workbook

    from tests.helpers import run_cli

    xlsx = tmp_path / f"{data.name}.xlsx"
    audit = ["audit", "--data", data, "--ruleset", "lambeth", "--as-of", "2026-10-31"]
    code, _, err = run_cli(*audit, "--scope", "all", "--output", xlsx)
    assert code in (0, 1), err
    wb = load_workbook(xlsx, read_only=True)
    sheets = {n: list(wb[n].iter_rows(values_only=True)) for n in ("By worker", "By supervisor")}
    return audit_json(data, "auto", scope="all"), sheets


def test_annex_a_worker_names_and_hr_staff_numbers_are_one_person_through_the_crosswalk(
    tmp_path: Path,
) -> None:
    """Annex A names the allocated worker ("Lewis\u00a0Jones"); HR keys staff by number
    (M0501) and holds their own supervision. The crosswalk (Case System Worker ID = the
    name, Staff Number) makes them one person in By worker and By supervisor.

    Worked by hand (audit date 31/10/2026, Lambeth LAM-S1 "4-weekly", limit one month):
    - caseloads: M0501 Lewis Jones holds 1001 (CIN, open) and 1003 (CLA, open) = 2;
      M0502 Kai Thompson holds 1002 (CP, open) and 1005 (care leaver, open) = 2; 1004's
      CIN closed 31/05/2026 and 1005's CLA closed 31/12/2025.
    - own supervision: the staff history starts at the first session, 01/08/2026. M0501
      met every 28 days at most (01/08, 27/08 +26, 24/09 +28, 22/10 +28; next due
      19/11/2026): no finding. M0502's only session is 01/08/2026: due 29/08/2026, none by
      31/10/2026, 63 days overdue. M0900 (no session): due 29/08/2026, 63 days overdue.
    - M0900 supervises M0501 and M0502: 2 supervisees, 1 (M0501) with no breach, 4 cases.
    """
    out, sheets = by_worker_sheets(annex_a_with_hr(tmp_path, crosswalk=True), tmp_path)
    staff = {f["subject_id"]: f for f in out["findings"] if f["rule"] == "LAM-S1"}
    assert sorted(staff) == ["M0502", "M0900"]
    assert [staff[w]["days_overdue"] for w in ("M0502", "M0900")] == [63, 63]
    assert {staff[w]["due_date"] for w in staff} == {"2026-08-29"}
    children = [f for f in out["findings"] if f["rule"].startswith("LAM-C")]
    assert children and {f["worker_id"] for f in children} == {"M0501", "M0502"}
    assert {f["worker_id"] for f in children if f["subject_id"] in ("1001", "1003")} == {"M0501"}
    (card,) = out["summary"]["supervisor_scorecard"]
    assert (card["supervisor_id"], card["supervisees"], card["supervisees_compliant"]) == (
        "M0900",
        2,
        1,
    )
    assert card["cases"] == 4
    head, *rows = sheets["By worker"]
    col = {h: i for i, h in enumerate(head)}
    got = {
        r[col["Worker"]]: (
            r[col["Name"]],
            r[col["Team"]],
            r[col["Supervisor"]],
            r[col["Caseload"]],
            r[col["Own supervision findings"]],
        )
        for r in rows
    }
    assert got == {
        "M0501": ("Lewis Jones", "Assessment North", "M0900", 2, 0),
        "M0502": ("Kai Thompson", "Safeguarding South", "M0900", 2, 1),
        "M0900": ("Sam Lead", "Assessment North", None, 0, 1),
    }
    head, *rows = sheets["By supervisor"]
    col = {h: i for i, h in enumerate(head)}
    assert [
        (
            r[col["Supervisor"]],
            r[col["Supervisees"]],
            r[col["Supervisees with no breach"]],
            r[col["Cases"]],
        )
        for r in rows
    ] == [("M0900", 2, 1, 4)]


def test_annex_a_without_the_crosswalk_a_worker_is_two_people(tmp_path: Path) -> None:
    """The control: without the crosswalk the caseload sits on the name and the own
    supervision on the staff number, so By worker shows Lewis Jones twice and the
    supervisor has no cases."""
    out, sheets = by_worker_sheets(annex_a_with_hr(tmp_path, crosswalk=False), tmp_path)
    children = [f for f in out["findings"] if f["rule"].startswith("LAM-C")]
    assert {f["worker_id"] for f in children} == {"Lewis Jones", "Kai Thompson"}
    head, *rows = sheets["By worker"]
    col = {h: i for i, h in enumerate(head)}
    caseload = {r[col["Worker"]]: r[col["Caseload"]] for r in rows}
    assert caseload["Lewis Jones"] == 2 and caseload["M0501"] == 0
    assert out["summary"]["supervisor_scorecard"][0]["cases"] == 0


def mosaic_plain_steps(tmp_path: Path) -> Path:
    """The Mosaic data-mart folder with the plain DM_WORKFLOW_STEPS table (no person column)
    and DM_SUBGROUP_SUBJECTS instead of DM_WORKFLOW_STEPS_PEOPLE_VW
    (tests/fixtures/real/mosaic_dm_steps/: the same steps, plus step 80010 for a subgroup
    that links to no person)."""
    d = tmp_path / "mosaic_steps"
    d.mkdir()
    for p in [*folder("mosaic_dm").glob("*.csv"), *(REAL / "mosaic_dm_steps").glob("*.csv")]:
        if p.name != "DM_WORKFLOW_STEPS_PEOPLE_VW.csv":
            (d / p.name).write_bytes(p.read_bytes())
    return d


def test_mosaic_plain_workflow_steps_take_their_person_through_the_subgroup(
    tmp_path: Path,
) -> None:
    """10 steps: 6 completed case-supervision steps used, 1 a CP visit (type 1187, not
    mapped), 1 started and 1 cancelled (not completed), 1 (80010, subgroup 9) linked to no
    person; the audit equals the canonical twin's."""
    d = mosaic_plain_steps(tmp_path)
    profile, why = choose_profile(d, "auto")
    assert profile is not None and profile.name == "mosaic_dm", why
    # a _PEOPLE_VW export carries SUBGROUP_ID too: it is still read as the view, by its
    # PERSON_ID, not through the link table
    with open(folder("mosaic_dm") / "DM_WORKFLOW_STEPS_PEOPLE_VW.csv", encoding="utf-8") as fh:
        view_headers = fh.readline().strip().split(",")
    assert "SUBGROUP_ID" in view_headers
    view = best_source(profile, view_headers)
    assert view is not None and view.name == "DM_WORKFLOW_STEPS_PEOPLE_VW"
    loaded = load_data(d, "auto", tables=TABLES)
    rep = next(f for f in loaded.mapping.files if f.file == "DM_WORKFLOW_STEPS.csv")
    assert rep.source == "DM_WORKFLOW_STEPS"
    assert rep.columns["person_id"] == "SUBGROUP_ID through DM_SUBGROUP_SUBJECTS"
    assert (rep.rows, rep.passed) == (10, 6)
    assert rep.excluded == {
        "kind not mapped (see the value list)": 1,
        "no person linked through DM_SUBGROUP_SUBJECTS (its code is not listed there as a "
        "person)": 1,
        "step not completed (draft, cancelled or proposed)": 2,
    }
    events = loaded.tables["case_events"].frame.sort("person_id", "date")
    assert events["person_id"].to_list() == ["1001", "1001", "1002", "1003", "1004", "1005"]
    got = audit_json(d, "auto")
    want = audit_json(folder("mosaic_dm") / "canonical", "canonical")
    assert want["findings"]
    assert json.dumps(got["findings"], sort_keys=True) == json.dumps(
        want["findings"], sort_keys=True
    )


def test_mosaic_a_step_for_a_subgroup_of_two_children_is_an_event_for_each(
    tmp_path: Path,
) -> None:
    """Subgroup 1 lists 1001 and 1004 as persons, and a third subject whose type is not PER
    (left out of the link): steps 80001 and 80002 are events for both children, so the file's
    10 rows are read as 12, said in a note, and 12 = used + excluded."""
    d = mosaic_plain_steps(tmp_path)
    (d / "DM_SUBGROUP_SUBJECTS.csv").write_text(
        "SUBGROUP_ID,SUBJECT_TYPE_CODE,SUBJECT_COMPOUND_ID\n1,PER,1001\n1,PER,1004\n1,,7001\n"
        "2,PER,1002\n3,PER,1003\n4,PER,1004\n5,PER,1005\n",
        encoding="utf-8",
    )
    loaded = load_data(d, "auto", tables=TABLES)
    links = next(f for f in loaded.mapping.files if f.file == "DM_SUBGROUP_SUBJECTS.csv")
    assert (links.rows, links.passed) == (7, 6)
    assert links.excluded == {"not a person (SUBJECT_TYPE_CODE is not PER)": 1}
    rep = next(f for f in loaded.mapping.files if f.file == "DM_WORKFLOW_STEPS.csv")
    assert (rep.rows, rep.passed) == (12, 8)
    assert rep.rows == rep.passed + sum(rep.excluded.values())
    assert "DM_WORKFLOW_STEPS.csv: 10 rows read as 12" in " ".join(loaded.mapping.notes)
    events = loaded.tables["case_events"].frame
    dates = events.filter(pl.col("person_id") == "1004")["date"].cast(pl.String).sort()
    assert dates.to_list() == ["2026-02-20", "2026-07-15", "2026-09-20"]
    table = loaded.reconciliation()["case_events"]
    assert table["read"] == 12 == table["used"] + sum(table["excluded"].values())


def test_mosaic_plain_steps_without_the_subgroup_table_are_excluded_not_lost(
    tmp_path: Path,
) -> None:
    """Without DM_SUBGROUP_SUBJECTS no step has a person: every step is excluded under a
    reason naming the missing table, and the children's supervision rule is not evaluated
    (never a false all-clear)."""
    d = mosaic_plain_steps(tmp_path)
    (d / "DM_SUBGROUP_SUBJECTS.csv").unlink()
    loaded = load_data(d, "auto", tables=TABLES)
    rep = next(f for f in loaded.mapping.files if f.file == "DM_WORKFLOW_STEPS.csv")
    assert rep.passed == 0
    assert rep.excluded == {"no person linked: no DM_SUBGROUP_SUBJECTS file in the export": 10}
    out = audit_json(d, "auto")
    assert "LAM-C1" in {n["rule"] for n in out["not_evaluated"]}
    assert not [f for f in out["findings"] if f["rule"] == "LAM-C1"]


def test_a_filter_reason_with_an_unquoted_comma_is_refused(tmp_path: Path) -> None:
    """In a YAML flow mapping `{reason: a, b}` makes "b" a key of its own and cuts the
    reason short (the shipped step-status filter read "step not completed (draft"): a
    filter key the model does not know is an error naming it."""
    from supervision_audit.errors import InputError
    from supervision_audit.sources.profiles import load_profile

    path = tmp_path / "p.yaml"
    path.write_text(
        "schema_version: 1\nname: p\nsources:\n  - name: s\n    feeds: case_events\n"
        "    recognise: [A]\n    columns: {person_id: [A]}\n"
        "    filters:\n      - {column: [S], keep: [X], reason: not done (draft, cancelled)}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"unknown key\(s\) cancelled\)"):
        load_profile(str(path))


def test_a_link_table_that_would_multiply_the_rows_is_refused_before_the_join(
    tmp_path: Path,
) -> None:
    """A hostile or wrong DM_SUBGROUP_SUBJECTS linking one subgroup to 500 people would make
    each of its steps 500 events (a join that size could exhaust memory): the load stops
    with one clear error naming the file, before joining."""
    from supervision_audit.errors import InputError
    from supervision_audit.sources.profiles.mapping import MAX_LINK_FACTOR

    d = mosaic_plain_steps(tmp_path)
    rows = "".join(f"1,PER,{9000 + i}\n" for i in range(500))
    (d / "DM_SUBGROUP_SUBJECTS.csv").write_text(
        "SUBGROUP_ID,SUBJECT_TYPE_CODE,SUBJECT_COMPOUND_ID\n" + rows, encoding="utf-8"
    )
    # steps 80001 and 80002 (subgroup 1) x 500, plus 8 unlinked rows: 1,008 > 20 x 10
    assert MAX_LINK_FACTOR * 10 < 2 * 500 + 8
    with pytest.raises(InputError, match="more than 20 per row") as err:
        load_data(d, "auto", tables=TABLES)
    assert err.value.file == "DM_WORKFLOW_STEPS.csv"
