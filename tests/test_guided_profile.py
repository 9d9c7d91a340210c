"""`profiles new --from SYSTEM --data EXPORTS`: the council's own types listed and proposed.

The written profile is the shipped one with the type maps replaced by what the council's
export holds: every distinct type with its row count, the proposals active and marked, the
rest listed but not counted. It reads back through the profile loader, and an audit through
it gives the same findings as the canonical tables.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.errors import InputError
from supervision_audit.sources.guided import guided_profile
from supervision_audit.sources.profiles import load_profile, load_with_profile
from supervision_audit.sources.schema import TABLES

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT.parent / "sample_data"
MOSAIC = ROOT / "fixtures" / "guided" / "mosaic"
AS_OF = dt.date(2026, 10, 31)


def write_profile(tmp_path: Path, system: str, data: Path, name: str = "council") -> Path:
    text, _ = guided_profile(system, data, name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def kind_map(path: Path, source: str) -> dict[str, str]:
    return next(s for s in load_profile(str(path)).sources if s.name == source).values["kind"]


def test_every_type_is_listed_with_its_count_and_only_matches_are_proposed(tmp_path) -> None:
    text, listings = guided_profile("mosaic", MOSAIC, "council")
    (notes,) = [listing for listing in listings if listing.files]
    assert notes.source == "case notes" and notes.files == ["case notes.csv"]
    assert notes.types.select("value", "rows", "proposed", "rule").rows() == [
        ("Case Supervision", 3, "CASE_SUPERVISION", "K9"),
        ("Home Visit", 3, None, None),
        ("Interim Supervision Order", 1, None, "K1"),
        ("Manager's case note", 1, "MANAGEMENT_OVERSIGHT", "K6"),
        ("Reflective supervision", 1, "CASE_SUPERVISION", "K9"),
        ("Supervision file audit", 1, "FILE_AUDIT", "K4"),
        ("Supervision Order", 1, None, "K1"),
    ]
    # the written file lists each, with its count, once
    for value, rows in (("Home Visit", 3), ("Supervision Order", 1), ("Case Supervision", 3)):
        assert f'"{value}"' in text
        assert f"({rows} row" in text or f"# {rows} row" in text


def test_the_written_profile_reads_back_with_exactly_the_proposals(tmp_path) -> None:
    path = write_profile(tmp_path, "mosaic", MOSAIC)
    assert kind_map(path, "case notes") == {
        "case supervision": "CASE_SUPERVISION",
        "manager's case note": "MANAGEMENT_OVERSIGHT",
        "reflective supervision": "CASE_SUPERVISION",
        "supervision file audit": "FILE_AUDIT",
    }
    profile = load_profile(str(path))
    assert profile.name == "council"
    notes = next(s for s in profile.sources if s.name == "case notes")
    assert notes.unmapped == {"kind": "exclude"}
    # what the shipped profile held for a source the export has no file for is not kept
    assert kind_map(path, "workflow steps") == {}
    # everything else is the shipped profile's
    shipped = load_profile("mosaic")
    assert [s.name for s in profile.sources] == [s.name for s in shipped.sources]
    for mine, theirs in zip(profile.sources, shipped.sources, strict=True):
        assert (mine.feeds, mine.recognise, mine.columns, mine.filters, mine.fixed) == (
            theirs.feeds,
            theirs.recognise,
            theirs.columns,
            theirs.filters,
            theirs.fixed,
        )
        if mine.name not in ("case notes", "workflow steps"):
            assert mine.values == theirs.values


def test_proposals_are_marked_and_the_rest_commented_out(tmp_path) -> None:
    text, _ = guided_profile("mosaic", MOSAIC, "council")
    active = [ln for ln in text.splitlines() if re.match(r'^\s+"[^"]*": [A-Z_]+', ln)]
    assert active and all(ln.endswith("# proposed") for ln in active)
    assert len(active) == 4
    for value in ("Home Visit", "Supervision Order", "Interim Supervision Order"):
        (line,) = [ln for ln in text.splitlines() if f'"{value}"' in ln]
        assert line.strip() == f'# "{value}":'
    # each proposal says why, by the rule's id
    assert "proposed (K6: management oversight" in text
    assert "not counted (K1: a court order" in text
    assert "REVIEW THE PROPOSALS BEFORE AUDITING" in text


def test_a_type_nothing_matches_is_left_out_of_the_audit_and_counted(tmp_path) -> None:
    path = write_profile(tmp_path, "mosaic", MOSAIC)
    data, report = load_with_profile(MOSAIC, load_profile(str(path)), tables=tuple(TABLES))
    notes = next(f for f in report.files if f.file == "case notes.csv")
    assert notes.excluded == {"note not completed": 1, "kind not mapped (see the value list)": 5}
    kinds = data.tables["case_events"].frame.group_by("kind").len().sort("kind").rows()
    assert kinds == [("CASE_SUPERVISION", 3), ("FILE_AUDIT", 1), ("MANAGEMENT_OVERSIGHT", 1)]


def test_nothing_is_proposed_when_nothing_matches(tmp_path) -> None:
    d = tmp_path / "exports"
    shutil.copytree(MOSAIC, d)
    (d / "case notes.csv").write_text(
        "PERSON_ID,NOTE_TYPE,CONTACT_DATE,STATUS\n"
        "P9001,Home Visit,2026-06-10,Complete\n"
        "P9002,Supervision Order,2026-08-01,Complete\n",
        encoding="utf-8",
    )
    text, _ = guided_profile("mosaic", d, "council")
    assert "kind: {}  # nothing proposed" in text
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    assert kind_map(path, "case notes") == {}


def test_no_personal_data_in_the_written_file(tmp_path) -> None:
    """Only codes, descriptions and counts: never a name, date of birth, person or worker
    id, or a date from the export."""
    text, _ = guided_profile("mosaic", MOSAIC, "council")
    frames = [pl.read_csv(p, infer_schema=False) for p in MOSAIC.glob("*.csv")]
    personal = set()
    for f in frames:
        for col in f.columns:
            if col not in ("NOTE_TYPE", "STATUS", "TEAM"):
                personal |= {v for v in f[col].drop_nulls().to_list() if v}
    assert personal, "the fixture holds personal data to look for"
    leaked = sorted(v for v in personal if v in text)
    assert leaked == []


def test_a_hostile_type_value_cannot_change_the_profile(tmp_path) -> None:
    """A type that carries YAML (a newline, a quote, a key) stays one quoted key in a
    comment: the profile reads back with only the real proposal."""
    d = tmp_path / "exports"
    shutil.copytree(MOSAIC, d)
    evil = 'Home\n  "supervision order": CASE_SUPERVISION\nx: "y'
    frame = pl.DataFrame(
        {
            "PERSON_ID": ["P9001", "P9002"],
            "NOTE_TYPE": [evil, "Case Supervision"],
            "CONTACT_DATE": ["2026-06-10", "2026-06-11"],
            "STATUS": ["Complete", "Complete"],
        }
    )
    frame.write_csv(d / "case notes.csv")
    path = write_profile(tmp_path, "mosaic", d)
    assert kind_map(path, "case notes") == {"case supervision": "CASE_SUPERVISION"}
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["name"] == "council"


def test_a_column_of_free_text_is_refused_not_copied(tmp_path) -> None:
    d = tmp_path / "exports"
    shutil.copytree(MOSAIC, d)
    rows = "".join(f"P9001,Note about child number {i},2026-06-10,Complete\n" for i in range(600))
    (d / "case notes.csv").write_text(
        "PERSON_ID,NOTE_TYPE,CONTACT_DATE,STATUS\n" + rows, encoding="utf-8"
    )
    with pytest.raises(InputError, match="600 distinct values in NOTE_TYPE") as info:
        guided_profile("mosaic", d, "council")
    assert "child number" not in str(info.value)


def test_an_export_with_no_type_column_is_an_error(tmp_path) -> None:
    d = tmp_path / "exports"
    d.mkdir()
    (d / "x.csv").write_text("A,B\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no file here is a note, step, form or involvement"):
        guided_profile("mosaic", d, "council")


def findings(data: Path, source: str) -> list[dict]:
    run = run_audit(AuditOptions(data=data, ruleset="lambeth", as_of=AS_OF, source=source))
    return run.result.to_json_obj()["findings"]


@pytest.mark.slow
@pytest.mark.parametrize("system", ["mosaic", "eclipse", "ssd"])
def test_the_sample_exports_audit_through_their_written_profile_as_canonical(
    tmp_path, system
) -> None:
    """No hand edit: each sample export's types are proposed from their descriptions, and the
    audit through the written profile equals the canonical tables' audit."""
    path = write_profile(tmp_path, system, SAMPLE / system)
    got = findings(SAMPLE / system, str(path))
    assert len(got) > 1000
    assert json.dumps(got, sort_keys=True) == json.dumps(
        findings(SAMPLE, "canonical"), sort_keys=True
    )


def test_cli_writes_the_profile_and_the_audit_runs_through_it(tmp_path, monkeypatch) -> None:
    """`profiles new --from mosaic --data EXPORTS council.yaml`, then `audit --source
    council.yaml`, with no hand edit in between; the command refuses to overwrite."""
    from typer.testing import CliRunner

    from supervision_audit.cli import app

    monkeypatch.setenv("SUPERVISION_AUDIT_RERAISE", "1")
    out = tmp_path / "council.yaml"

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args), catch_exceptions=False)

    made = invoke("profiles", "new", str(out), "--from", "mosaic", "--data", str(MOSAIC))
    assert made.exit_code == 0, made.stderr
    assert "7 types in NOTE_TYPE, 4 proposed" in made.stderr
    assert "Zephyrine" not in made.stderr + out.read_text(encoding="utf-8")
    again = invoke("profiles", "new", str(out), "--from", "mosaic", "--data", str(MOSAIC))
    assert again.exit_code == 2 and "already exists" in again.stderr
    audit = invoke(
        "audit", "--data", str(MOSAIC), "--source", str(out), "--ruleset", "lambeth",
        "--as-of", "2026-10-31", "--scope", "children", "--format", "json",
    )  # fmt: skip
    assert audit.exit_code == 0, audit.stderr
    assert json.loads(audit.stdout)["findings"]
    missing = invoke("profiles", "new", str(tmp_path / "x.yaml"), "--data", str(tmp_path / "no"))
    assert missing.exit_code == 2 and missing.stderr.startswith("error:")


LIQUIDLOGIC = ROOT / "fixtures" / "guided" / "liquidlogic"
LIQUIDLOGIC_PROFILE = ROOT / "fixtures" / "guided" / "liquidlogic_like.yaml"


def test_codes_are_listed_with_the_description_beside_them(tmp_path) -> None:
    """LiquidLogic writes DIM_LOOKUP_CASNT_TYPE_ID_DESC beside the code: the code is mapped,
    the description matched and shown; a code with no description proposes nothing."""
    text, listings = guided_profile(str(LIQUIDLOGIC_PROFILE), LIQUIDLOGIC, "council")
    notes = next(x for x in listings if x.what == "kind")
    assert notes.types.select("value", "description", "rows", "proposed").rows() == [
        ("CSUP", "Case Supervision", 4, "CASE_SUPERVISION"),
        ("HVIS", "Home Visit", 1, None),
        ("MGRCN", "Manager's Case Note", 1, "MANAGEMENT_OVERSIGHT"),
        ("STVC", "Statutory Visit (CP)", 1, None),
        ("SUPERCONT", None, 1, None),
        ("SUPO", "Supervision Order", 1, None),
    ]
    assert "# Case Supervision (4 rows): proposed (K9" in text
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    assert kind_map(path, "FACT_CASENOTES") == {
        "csup": "CASE_SUPERVISION",
        "mgrcn": "MANAGEMENT_OVERSIGHT",
    }


def test_the_allocated_worker_role_is_proposed_and_the_others_listed(tmp_path) -> None:
    text, listings = guided_profile(str(LIQUIDLOGIC_PROFILE), LIQUIDLOGIC, "council")
    roles = next(x for x in listings if x.what == "role")
    assert roles.source == "FACT_INVOLVEMENTS" and roles.filter_index == 0
    assert roles.types.select("value", "description", "rows", "proposed", "rule").rows() == [
        ("CW", "Case Worker", 3, "ALLOCATED_WORKER", "R3"),
        ("16PLUS", "Personal Adviser", 1, None, "R1"),
        ("IRO", "Independent Reviewing Officer", 1, None, "R1"),
        ("KASCHO", "Key Agency - School", 1, None, "R1"),
    ]
    assert '      - "CW"  # proposed' in text
    assert '      # - "IRO"' in text
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    inv = next(s for s in load_profile(str(path)).sources if s.name == "FACT_INVOLVEMENTS")
    (role_filter,) = inv.filters
    assert role_filter.keep == ("CW",)  # the shipped AW, not in this export, is gone
    assert role_filter.reason == "not the allocated worker's role"


def test_no_role_proposed_keeps_none(tmp_path) -> None:
    d = tmp_path / "exports"
    shutil.copytree(LIQUIDLOGIC, d)
    inv = d / "FACT_INVOLVEMENTS.csv"
    inv.write_text(
        inv.read_text(encoding="utf-8").replace(",CW,Case Worker,", ",LCW,Locum,"),
        encoding="utf-8",
    )
    text, _ = guided_profile(str(LIQUIDLOGIC_PROFILE), d, "council")
    assert "keep: []  # nothing proposed" in text
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    inv_source = next(s for s in load_profile(str(path)).sources if s.name == "FACT_INVOLVEMENTS")
    assert inv_source.filters[0].keep == ()


def test_a_liquidlogic_shaped_export_audits_as_its_canonical_tables(tmp_path) -> None:
    """No hand edit: the note type described "Case Supervision" is counted, the one
    described "Manager's Case Note" is oversight, the Supervision Order is not counted, and
    the IRO (whose involvement started after the case worker's, before the referral) is not
    taken as the allocated worker. The findings equal the same cases as canonical tables."""
    path = write_profile(tmp_path, str(LIQUIDLOGIC_PROFILE), LIQUIDLOGIC)
    got = findings(LIQUIDLOGIC, str(path))
    want = findings(ROOT / "fixtures" / "guided" / "liquidlogic_canonical", "canonical")
    assert got and json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    workers = {(f["subject_id"], f["worker_id"]) for f in got}
    assert ("1001", "501") in workers and ("1001", "900") not in workers
