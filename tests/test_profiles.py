"""Export profiles: Mosaic, Eclipse, SSD and HR exports read into the canonical tables.

The sample authority is shipped four ways (canonical, mosaic, eclipse, ssd); all four must
give the same findings. Small hand-written exports pin down each profile's mapping and each
kind of mess real exports carry.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.cli import app
from supervision_audit.errors import InputError
from supervision_audit.sources.profiles import choose_profile, load_profile, load_with_profile
from supervision_audit.sources.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
AS_OF = dt.date(2026, 10, 31)


def findings(data: Path, source: str = "auto", ruleset: str = "lambeth") -> list[dict]:
    run = run_audit(AuditOptions(data=data, ruleset=ruleset, as_of=AS_OF, source=source))
    return run.result.to_json_obj()["findings"]


@pytest.fixture(scope="module")
def canonical_findings() -> list[dict]:
    return findings(SAMPLE, "canonical")


@pytest.mark.parametrize("export", ["mosaic", "eclipse", "ssd"])
def test_every_sample_export_gives_the_canonical_findings(export, canonical_findings) -> None:
    got = findings(SAMPLE / export)
    assert len(got) > 1000
    assert json.dumps(got, sort_keys=True) == json.dumps(canonical_findings, sort_keys=True)


@pytest.mark.parametrize("export", ["mosaic", "eclipse", "ssd"])
def test_auto_chooses_the_profile_and_says_why(export) -> None:
    profile, why = choose_profile(SAMPLE / export, "auto")
    assert profile is not None and profile.name == export
    assert why.startswith(f"auto: {export} recognised")


def test_auto_reads_canonical_folders_as_canonical() -> None:
    profile, why = choose_profile(SAMPLE, "auto")
    assert profile is None and "canonical file names" in why


def load(folder: Path, profile: str, tables=tuple(TABLES)):
    return load_with_profile(folder, load_profile(profile), tables=tables)


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))


def test_mosaic_export_to_canonical_tables(tmp_path: Path) -> None:
    d = tmp_path / "m"
    write(
        d,
        "people.csv",
        "PERSON_ID,FULL_NAME,DATE_OF_BIRTH,IS_TEST_PERSON\n"
        "1001,Ann Smith,01/02/2015,N\n0042,Test Child,2016-01-01,Y\n",
    )
    # a report title and run date above the header
    write(
        d,
        "cp.csv",
        "Child protection registrations\nRun 01/11/2026 06:00\n\n"
        "PERSON_ID,REGISTRATION_START_DATE,DEREGISTRATION_DATE\n"
        "1001.0,03/03/2025 14:30,\n0042,2025-01-01,\n",
    )
    write(
        d,
        "alloc.csv",
        "PERSON_ID,WORKER_ID,TEAM,START_DATE,END_DATE\n"
        "1001,W1,Safeguarding,2025-01-01,2025-03-02\n1001,W2,Safeguarding,2025-03-03,\n",
    )
    write(
        d,
        "notes.csv",
        "PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON,CREATED_BY,STATUS\n"
        "1001, Record of Supervision Discussion ,2025-03-31,2025-04-01,M1,Complete\n"
        "1001,Record of supervision discussion,2025-04-28,,M1,Draft\n"
        "1001,Home Visit,2025-04-10,2025-04-10,W2,Complete\n"
        "0042,Record of supervision discussion,2025-02-01,2025-02-01,M1,Complete\n",
    )
    data, report = load(d, "mosaic")
    ep = data.tables["episodes"].frame
    assert ep.select(
        "person_id", "category", "start_date", "worker_id", "team", "person_name"
    ).rows() == [("1001", "CP", dt.date(2025, 3, 3), "W2", "Safeguarding", "Ann Smith")]
    ev = data.tables["case_events"].frame
    assert ev.select("person_id", "kind", "date", "recorded_date").rows() == [
        ("1001", "CASE_SUPERVISION", dt.date(2025, 3, 31), dt.date(2025, 4, 1))
    ]
    by_file = {f.file: f for f in report.files}
    assert by_file["cp.csv"].header_line == 4
    assert by_file["cp.csv"].excluded == {
        "person dropped by a persons filter (duplicate, test or deleted)": 1
    }
    notes = by_file["notes.csv"]
    assert notes.rows == 4 and notes.passed == 1
    assert notes.excluded == {
        "note not completed": 1,
        "kind not mapped (see the value list)": 1,
        "person dropped by a persons filter (duplicate, test or deleted)": 1,
    }
    unmapped = [v["value"] for v in notes.values if v["mapped_to"] is None]
    assert unmapped == ["Home Visit"]
    # every row in a file is accounted for: passed on + excluded
    for f in report.files:
        if f.source is not None:
            assert f.rows == f.passed + sum(f.excluded.values()), f.file


def test_eclipse_windows_1252_and_iso_datetimes(tmp_path: Path) -> None:
    d = tmp_path / "e"
    write(
        d,
        "class.csv",
        "PERSONID,CLASSIFICATION,STARTDATE,ENDDATE,STATUS\n"
        "P1,Child In Need,2025-01-06T00:00:00,,Active\n"
        "P1,Child Looked After,2025-02-01T09:15:00,,Deleted\n"
        "P2,Café Support,2025-01-06T00:00:00,,Active\n",
        encoding="cp1252",
    )
    write(
        d,
        "forms.csv",
        "ANSWERFORSUBJECTID,FORMNAME,INSTANCESTATE,DATEANSWERVALUE,DATECOMPLETED,COMPLETEDBY\n"
        "P1,Child: Supervision Consultation,COMPLETE,2025-02-03T10:00:00,2025-02-06T09:00:00,M1\n"
        "P1,Child: Supervision Consultation,IN PROGRESS,2025-03-03T10:00:00,,M1\n",
    )
    data, _ = load(d, "eclipse")
    ep = data.tables["episodes"].frame
    assert ep.select("person_id", "category", "start_date").rows() == [
        ("P1", "CIN", dt.date(2025, 1, 6))
    ]
    issues = data.issues.filter(pl.col("table") == "episodes")
    assert issues.select("file", "row", "column").rows() == [("class.csv", 4, "category")]
    ev = data.tables["case_events"].frame
    assert ev.select("kind", "date", "recorded_date").rows() == [
        ("CASE_SUPERVISION", dt.date(2025, 2, 3), dt.date(2025, 2, 6))
    ]
    assert data.tables["episodes"].rows_read == 2  # the deleted classification never arrives


def test_utf16_export_and_yes_no_flags(tmp_path: Path) -> None:
    d = tmp_path / "h"
    write(
        d,
        "staff.csv",
        "Employee Number,Full Name,Job Title,Team,Start Date,Frontline\n"
        "00123,A Worker,Social Worker,North,01/09/2020,Yes\n"
        "00124,B Worker,Manager,North,01/09/2020,No\n",
        encoding="utf-16",
    )
    data, _ = load(d, "hr", tables=("workers",))
    w = data.tables["workers"].frame
    assert w.select("worker_id", "frontline").rows() == [("00123", True), ("00124", False)]


def test_duplicate_headers_are_an_error_naming_them(tmp_path: Path) -> None:
    d = tmp_path / "dup"
    write(
        d,
        "cp.csv",
        "PERSON_ID,REGISTRATION_START_DATE,REGISTRATION_START_DATE\n1,2025-01-01,2025-01-02\n",
    )
    with pytest.raises(InputError, match="REGISTRATION_START_DATE"):
        load(d, "mosaic")


def test_all_note_types_unmapped_is_reported_not_every_child_overdue(tmp_path: Path) -> None:
    d = tmp_path / "u"
    write(d, "cin.csv", "PERSON_ID,REFERRAL_DATE,CLOSURE_DATE\n1,2025-01-01,\n2,2025-01-01,\n")
    write(
        d,
        "notes.csv",
        "PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON,CREATED_BY,STATUS\n"
        "1,Supervision Note (local),2025-02-01,2025-02-01,M1,Complete\n"
        "2,Supervision Note (local),2025-02-01,2025-02-01,M1,Complete\n",
    )
    run = run_audit(
        AuditOptions(data=d, ruleset="lambeth", as_of=AS_OF, scope="children", source="mosaic")
    )
    assert run.result.findings.filter(pl.col("kind") == "interval").height == 0
    reasons = {n.rule: n.reason for n in run.result.not_evaluated}
    assert "CASE_SUPERVISION" in reasons["LAM-C1"]
    report = run.data.mapping
    notes = next(f for f in report.files if f.file == "notes.csv")
    assert notes.excluded == {"kind not mapped (see the value list)": 2}


def _scramble(src: Path, dst: Path, seed: int) -> None:
    """The same export with rows shuffled, headers respelt and ISO dates written UK-style."""
    rng = random.Random(seed)
    dst.mkdir(parents=True)
    for path in sorted(src.glob("*.csv")):
        text = path.read_bytes().decode("utf-8-sig")
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if "," in line)
        head, body = lines[start], lines[start + 1 :]
        rng.shuffle(body)
        spelt = ",".join(
            h.replace("_", " ").title() if rng.random() < 0.5 else h.lower()
            for h in head.split(",")
        )
        uk = rng.random() < 0.5
        out = []
        for line in body:
            cells = line.split(",")
            if uk:
                cells = [
                    f"{c[8:10]}/{c[5:7]}/{c[0:4]}"
                    if len(c) == 10 and c[4] == "-" and c[7] == "-"
                    else c
                    for c in cells
                ]
            out.append(",".join(cells))
        (dst / path.name).write_text("\n".join([spelt, *out]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_row_order_header_spelling_and_date_format_change_nothing(tmp_path, seed) -> None:
    base = findings(SAMPLE / "ssd", "ssd", ruleset="dorset")
    _scramble(SAMPLE / "ssd", tmp_path / "x", seed)
    assert findings(tmp_path / "x", "ssd", ruleset="dorset") == base


def test_inspect_and_profiles_new(tmp_path: Path, monkeypatch) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["inspect", "--data", str(SAMPLE / "eclipse"), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["source"].startswith("eclipse profile")
    forms = next(f for f in doc["mapping"]["files"] if f["file"] == "forms.csv")
    assert forms["columns"]["kind"] == "FORMNAME"
    assert {"value": "Visit Record", "mapped_to": None} in [
        {k: v[k] for k in ("value", "mapped_to")} for v in forms["values"]
    ]
    assert doc["tables"]["case_events"]["read"] == (
        doc["tables"]["case_events"]["used"] + doc["tables"]["case_events"]["rejected"]
    )
    target = tmp_path / "ours.yaml"
    res = runner.invoke(app, ["profiles", "new", str(target), "--from", "mosaic"])
    assert res.exit_code == 0, res.output
    assert load_profile(str(target)).name == "ours"
    res = runner.invoke(
        app,
        [
            "audit",
            "--data",
            str(SAMPLE / "mosaic"),
            "--source",
            str(target),
            "--ruleset",
            "dorset",
            "--as-of",
            "2026-10-31",
            "--format",
            "json",
            "--scope",
            "children",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"]["source"].startswith("ours profile")


def test_unknown_source_is_a_clear_error() -> None:
    res = CliRunner().invoke(
        app,
        [
            "audit",
            "--data",
            str(SAMPLE),
            "--ruleset",
            "dorset",
            "--as-of",
            "2026-10-31",
            "--source",
            "nope",
        ],
    )
    assert res.exit_code == 2
    assert "unknown --source 'nope'" in res.output


def test_the_audit_workbook_has_the_mapping_sheet(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "audit.xlsx"
    res = CliRunner().invoke(
        app,
        [
            "audit",
            "--data",
            str(SAMPLE / "mosaic"),
            "--ruleset",
            "lambeth",
            "--as-of",
            "2026-10-31",
            "--output",
            str(out),
            "--limit",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "Mapping" in wb.sheetnames
    rows = [tuple(r) for r in wb["Mapping"].iter_rows(values_only=True)]
    assert (
        "case notes.csv",
        "case notes",
        "case_events",
        "value",
        "Home Visit",
        "UNMAPPED",
        40,
    ) in rows


def test_one_workbook_with_many_sheets_and_real_excel_dates(tmp_path: Path) -> None:
    """The Mosaic sample as a single .xlsx: one sheet per report, dates as real Excel dates,
    the persons sheet with a title row above its header."""
    import openpyxl

    from supervision_audit.sources.parse import parse_date_expr
    from supervision_audit.sources.profiles import all_wanted
    from supervision_audit.sources.read import read_inputs

    inputs, _ = read_inputs(SAMPLE / "mosaic", all_wanted([load_profile("mosaic")]))
    wb = openpyxl.Workbook(write_only=True)
    for item in inputs:
        ws = wb.create_sheet(Path(item.raw.file).stem[:31])
        if item.raw.file == "persons.csv":
            ws.append(["Mosaic: persons report"])
        ws.append(item.raw.headers)
        frame = item.raw.frame.drop("_row", "_misfit", strict=False)
        dated = [
            c
            for c, h in zip(frame.columns, item.raw.headers, strict=True)
            if "DATE" in h.upper() or h.upper().endswith("_ON") or h in ("Manager Since",)
        ]
        as_dates = frame.with_columns(
            pl.coalesce(parse_date_expr(pl.col(c), serials=False).cast(pl.String), pl.col(c)).alias(
                c
            )
            for c in dated
        )
        for row in as_dates.rows():
            ws.append(
                [
                    dt.date.fromisoformat(v)
                    if i in {frame.columns.index(c) for c in dated}
                    and isinstance(v, str)
                    and len(v) == 10
                    and v[4] == "-"
                    else v
                    for i, v in enumerate(row)
                ]
            )
    book = tmp_path / "mosaic.xlsx"
    wb.save(book)
    assert findings(book, "mosaic") == findings(SAMPLE / "mosaic", "mosaic")


def test_due_and_sample_read_exports_too() -> None:
    runner = CliRunner()
    canon = runner.invoke(
        app,
        [
            "due",
            "--data",
            str(SAMPLE),
            "--ruleset",
            "devon",
            "--as-of",
            "2026-10-31",
            "--within",
            "7d",
            "--format",
            "json",
        ],
    )
    export = runner.invoke(
        app,
        [
            "due",
            "--data",
            str(SAMPLE / "eclipse"),
            "--ruleset",
            "devon",
            "--as-of",
            "2026-10-31",
            "--within",
            "7d",
            "--format",
            "json",
            "--source",
            "eclipse",
        ],
    )
    assert canon.exit_code == 0 and export.exit_code == 0, export.output
    rows = json.loads(canon.stdout)["rows"]
    assert len(rows) > 10 and json.loads(export.stdout)["rows"] == rows


def test_a_case_system_worker_list_alone_cannot_make_the_staff_table(tmp_path: Path) -> None:
    d = tmp_path / "w"
    write(
        d,
        "workers view.csv",
        "WORKER_ID,FULL_NAME,JOB_TITLE,TEAM\nW1,A Worker,Social Worker,North\n",
    )
    write(d, "cin.csv", "PERSON_ID,REFERRAL_DATE,CLOSURE_DATE\n1,2025-01-01,\n")
    data, report = load(d, "mosaic")
    assert "workers" not in data.tables
    assert report.notes and "no staff list with employment start dates" in report.notes[0]
    run = run_audit(AuditOptions(data=d, ruleset="lambeth", as_of=AS_OF, source="mosaic"))
    reasons = {n.rule: n.reason for n in run.result.not_evaluated}
    assert reasons["LAM-S1"] == "no workers table in the data"


def test_ssd_extract_to_canonical_tables(tmp_path: Path) -> None:
    d = tmp_path / "s"
    write(
        d,
        "ssd_person.csv",
        "pers_person_id,pers_forename,pers_dob\n7,Sam,2010-05-05\n8,Ali,2012-01-01\n",
    )
    write(
        d,
        "ssd_care_leavers.csv",
        "clea_person_id,clea_care_leaver_start_date,clea_care_leaver_end_date,"
        "clea_care_leaver_accommodation_suitable\n"
        "7,2025-01-01,,Unsuitable\n8,2025-02-01,,Suitable\n",
    )
    write(
        d,
        "ssd_involvements.csv",
        "invo_person_id,invo_professional_id,invo_professional_team,"
        "invo_involvement_start_date,invo_involvement_end_date\n"
        "7,W9,Leaving Care,2025-01-01,\n8,W9,Leaving Care,2025-02-01,\n",
    )
    write(
        d,
        "notes.csv",
        "person_id,note_type,note_date,created_on,created_by,status\n"
        "7,Case Supervision,2025-03-01,2025-03-03,M1,complete\n"
        "8,Case Supervision,2025-03-01,,M1,draft\n",
    )
    data, report = load(d, "ssd")
    ep = data.tables["episodes"].frame.sort("person_id")
    assert ep.select(
        "person_id", "category", "flags", "worker_id", "team", "person_name"
    ).rows() == [
        ("7", "CARE_LEAVER", ["UNSUITABLE_ACCOMMODATION"], "W9", "Leaving Care", "Sam"),
        ("8", "CARE_LEAVER", [], "W9", "Leaving Care", "Ali"),
    ]
    ev = data.tables["case_events"].frame
    assert ev.select("person_id", "kind", "recorded_date").rows() == [
        ("7", "CASE_SUPERVISION", dt.date(2025, 3, 3))
    ]
    notes = next(f for f in report.files if f.file == "notes.csv")
    assert notes.excluded == {"note not completed": 1}


def test_auto_reads_hr_files_alone_with_the_hr_profile(tmp_path: Path) -> None:
    d = tmp_path / "hr"
    d.mkdir()
    for name in ("HR staff list.csv", "supervision log.csv"):
        (d / name).write_bytes((SAMPLE / "mosaic" / name).read_bytes())
    profile, why = choose_profile(d, "auto")
    assert profile is not None and profile.name == "hr", why
