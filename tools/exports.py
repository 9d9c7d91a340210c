"""The synthetic authority written as a Mosaic, Eclipse or SSD export, with the mess real
exports carry, so `--source` can be tried (and tested) on the same children as sample_data/.

Each export holds exactly the canonical sample's information: auditing it gives the same
findings (a test checks this). The mess is only in form: report titles above the header,
a byte-order mark, Windows-1252 text, date-times, IDs stored as '123.0', spaces around
values, council spellings of categories and note types, Yes/No flags; plus rows every real
export has and the profile must leave out, counted: draft notes, home-visit notes, a test
person, a duplicate person.

    python -m supervision_audit.exports sample_data   # writes sample_data/{mosaic,eclipse,ssd}
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from supervision_audit.report.atomic import staged

KIND_NAMES = {
    "mosaic": {
        "CASE_SUPERVISION": "Record of supervision discussion",
        "GROUP_SUPERVISION": "Group Supervision",
        "MANAGEMENT_OVERSIGHT": "Management Oversight / Panel Decision",
        "FILE_AUDIT": "Case File Audit",
    },
    "eclipse": {
        "CASE_SUPERVISION": "Child: Supervision Consultation",
        "GROUP_SUPERVISION": "Restorative Circle/Group Supervision/Consultation Form",
        "MANAGEMENT_OVERSIGHT": "Manager's Case note",
        "FILE_AUDIT": "Case File Audit",
    },
    "ssd": {
        "CASE_SUPERVISION": "Case Supervision",
        "GROUP_SUPERVISION": "Group Supervision",
        "MANAGEMENT_OVERSIGHT": "Management Oversight",
        "FILE_AUDIT": "Case File Audit",
    },
}
CATEGORY_NAMES = {
    "EARLY_HELP": "Early Help",
    "ASSESSMENT": "Assessment",
    "CIN": "Child in Need",
    "CP": "Child Protection",
    "CLA": "Child Looked After",
    "CARE_LEAVER": "Care Leaver",
    "CWD_REVIEW": "Disabled Children Review",
    "FOSTER_CARER": "Foster Carer",
    "YOS": "Youth Justice",
    "IRO": "IRO",
    "QA": "Quality Assurance",
}
EVENT_NAMES = {
    "AGREEMENT": "Supervision Agreement",
    "OBSERVATION": "Observation of Practice",
    "APPRAISAL": "Appraisal",
    "MENTORING": "ASYE Mentoring",
    "FILE_AUDIT": "Supervision File Audit",
}


def _read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{name}.csv", infer_schema=False)


def _uk_datetime(col: str) -> pl.Expr:
    """'2025-03-03' -> '03/03/2025 00:00' (a date-time, as report exports write them);
    anything that is not an ISO date is left exactly as it was (the sample's bad values)."""
    d = pl.col(col).str.to_date("%Y-%m-%d", strict=False)
    return pl.when(d.is_not_null()).then(d.dt.strftime("%d/%m/%Y 00:00")).otherwise(pl.col(col))


def _iso_datetime(col: str) -> pl.Expr:
    d = pl.col(col).str.to_date("%Y-%m-%d", strict=False)
    return pl.when(d.is_not_null()).then(d.dt.strftime("%Y-%m-%dT00:00:00")).otherwise(pl.col(col))


def _named(col: str, names: dict[str, str]) -> pl.Expr:
    return pl.col(col).replace(names)


def _write(
    frame: pl.DataFrame, path: Path, *, title: str | None = None, encoding: str = "utf-8-sig"
) -> None:
    """CSV with an optional report title and run-date line above the header."""
    body = frame.write_csv()
    if title:
        body = f"{title}\nRun on 01/11/2026 06:00\n\n{body}"
    text = body.encode("cp1252" if encoding == "cp1252" else encoding, errors="strict")
    with staged(path) as tmp:
        Path(tmp).write_bytes(text)


def _people(ep: pl.DataFrame) -> pl.DataFrame:
    """One row per person: id, name, date of birth (the persons view every system has)."""
    return (
        ep.select("person_id", "person_name", "date_of_birth")
        .unique("person_id", keep="first")
        .sort("person_id")
    )


def _episodes(frame: pl.DataFrame, path: Path, headers: tuple[str, str, str, str]) -> None:
    """Episodes as an export of person, start, end and flags under the system's headers."""
    names = ("person_id", "start_date", "end_date", "flags")
    _write(frame.select(pl.col(c).alias(h) for c, h in zip(names, headers, strict=True)), path)


def _allocations(frame: pl.DataFrame, path: Path, columns: list[pl.Expr]) -> None:
    """Allocated workers under the system's headers, one row per person and start date
    (the first column is the person; the start is the column named like START)."""
    out = frame.select(columns)
    key = [out.columns[0], next(c for c in out.columns if "START" in c.upper())]
    _write(out.unique(subset=key, keep="first", maintain_order=True), path)


def _worker_list(src: Path, path: Path, headers: tuple[str, str, str, str]) -> None:
    """The case system's own list of workers: id, name, job title, team."""
    names = ("worker_id", "name", "role", "team")
    _write(
        _read(src, "workers").select(
            pl.col(c).alias(h) for c, h in zip(names, headers, strict=True)
        ),
        path,
    )


def _staff(src: Path, out: Path, *, teams: bool = True) -> None:
    """Staff in the HR layout (the hr profile), shared by every export. teams=False leaves
    the team out of the staff list (the case system's worker list supplies it)."""
    w = _read(src, "workers")
    _write(
        w.select(
            pl.col("worker_id").alias("Employee Number"),
            pl.col("name").alias("Full Name"),
            pl.col("role").alias("Job Title"),
            *([pl.col("team").alias("Team")] if teams else []),
            pl.col("supervisor_id").alias("Manager Employee Number"),
            pl.col("supervisor_since").alias("Manager Since"),
            _uk_datetime("start_date").alias("Start Date"),
            pl.col("end_date").alias("Leaving Date"),
            pl.col("asye_start").alias("ASYE Start"),
            pl.col("frontline").replace({"Y": "Yes", "N": "No"}).alias("Frontline"),
            pl.col("fte").alias("FTE"),
        ),
        out / "HR staff list.csv",
        title="iTrent: staff in post and leavers",
    )
    s = _read(src, "worker_sessions")
    _write(
        s.select(
            pl.col("worker_id").alias("Employee Number"),
            pl.col("date").alias("Session Date"),
            pl.col("status").replace({"HELD": "Held", "CANCELLED": "Cancelled"}).alias("Status"),
            pl.col("supervisor_id").alias("Supervisor Number"),
            pl.col("duration_minutes").alias("Duration (mins)"),
            pl.col("recorded_date").alias("Date Recorded"),
        ),
        out / "supervision log.csv",
    )
    e = _read(src, "worker_events")
    _write(
        e.select(
            pl.col("worker_id").alias("Employee Number"),
            _named("kind", EVENT_NAMES).alias("Event Type"),
            pl.col("date").alias("Event Date"),
        ),
        out / "staff events.csv",
    )
    t = _read(src, "team_events")
    _write(
        t.select(pl.col("team").alias("Team"), pl.col("date").alias("Group Session Date")),
        out / "team group supervision.csv",
    )
    a = _read(src, "absences")
    _write(
        a.select(
            pl.col("worker_id").alias("Employee Number"),
            pl.col("start_date").alias("Absence Start"),
            pl.col("end_date").alias("Absence End"),
            pl.col("reason").alias("Absence Type"),
        ),
        out / "staff absences.csv",
    )


def _extra_notes(events: pl.DataFrame, person: str, kind_name: str) -> pl.DataFrame:
    """Rows real exports carry that must be left out: drafts and other note types."""
    sample = events.head(40)
    return pl.concat(
        [
            sample.with_columns(_status=pl.lit("Draft")),
            sample.with_columns(_kind=pl.lit(kind_name), _status=pl.lit("Complete")),
            sample.head(3).with_columns(
                pl.lit(person).alias("person_id"), _status=pl.lit("Complete")
            ),
        ],
        how="diagonal_relaxed",
    )


def _with_extras(ev: pl.DataFrame, other: str) -> pl.DataFrame:
    base = ev.with_columns(_kind=pl.lit(None, pl.String), _status=pl.lit("Complete"))
    return pl.concat(
        [base, _extra_notes(ev, "TEST0001", other)], how="diagonal_relaxed"
    ).with_columns(_kind=pl.coalesce("_kind", "kind_name"))


def _by_category(ep: pl.DataFrame, cats: list[str]) -> pl.DataFrame:
    return ep.filter(pl.col("category").is_in(cats))


def write_mosaic(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ep = _read(src, "episodes")
    people = _people(ep)
    people = pl.concat(
        [
            people.with_columns(IS_TEST_PERSON=pl.lit("N")),
            pl.DataFrame(
                {
                    "person_id": ["TEST0001"],
                    "person_name": ["Test Person"],
                    "date_of_birth": ["2015-01-01"],
                    "IS_TEST_PERSON": ["Y"],
                }
            ),
        ]
    )
    _write(
        people.rename(
            {"person_id": "PERSON_ID", "person_name": "FULL_NAME", "date_of_birth": "DATE_OF_BIRTH"}
        ),
        out / "persons.csv",
        title="Mosaic report: persons",
    )
    test_ep = pl.DataFrame(
        {
            "person_id": ["TEST0001"],
            "category": ["CIN"],
            "start_date": ["2025-01-01"],
            "end_date": [None],
            "team": ["Test"],
            "worker_id": ["W00001"],
            "flags": [""],
        },
        schema={
            c: pl.String
            for c in (
                "person_id",
                "category",
                "start_date",
                "end_date",
                "team",
                "worker_id",
                "flags",
            )
        },
    )
    cin = pl.concat([_by_category(ep, ["CIN"]), test_ep], how="diagonal_relaxed")
    _write(
        cin.select(
            pl.col("person_id").alias("PERSON_ID"),
            _uk_datetime("start_date").alias("REFERRAL_DATE"),
            _uk_datetime("end_date").alias("CLOSURE_DATE"),
            pl.col("flags").alias("FLAGS"),
        ),
        out / "CIN referrals.csv",
        title="Mosaic report: CIN referrals",
    )
    _episodes(
        _by_category(ep, ["CP"]),
        out / "CP registrations.csv",
        ("PERSON_ID", "REGISTRATION_START_DATE", "DEREGISTRATION_DATE", "FLAGS"),
    )
    _episodes(
        _by_category(ep, ["CLA"]),
        out / "periods of care.csv",
        ("PERSON_ID", "START_DATE", "END_DATE", "FLAGS"),
    )
    others = ep.filter(~pl.col("category").is_in(["CIN", "CP", "CLA"]))
    _write(
        others.select(
            pl.col("person_id").alias("PERSON_ID"),
            _named("category", CATEGORY_NAMES).alias("INVOLVEMENT_TYPE"),
            pl.col("start_date").alias("START_DATE"),
            pl.col("end_date").alias("END_DATE"),
            pl.col("flags").alias("FLAGS"),
        ),
        out / "involvements.csv",
    )
    _allocations(
        pl.concat([ep, test_ep], how="diagonal_relaxed"),
        out / "allocated workers.csv",
        [
            (pl.col("person_id") + pl.lit(" ")).alias("PERSON_ID"),  # trailing spaces
            pl.col("worker_id").alias("WORKER_ID"),
            pl.col("team").alias("TEAM"),
            pl.col("start_date").alias("START_DATE"),
            pl.col("end_date").alias("END_DATE"),
        ],
    )
    ev = _read(src, "case_events").with_columns(kind_name=_named("kind", KIND_NAMES["mosaic"]))
    notes = _with_extras(ev, "Home Visit")
    _write(
        notes.select(
            pl.col("person_id").alias("PERSON_ID"),
            pl.col("_kind").alias("NOTE_TYPE"),
            _uk_datetime("date").alias("CONTACT_DATE"),
            _uk_datetime("recorded_date").alias("CREATED_ON"),
            pl.col("supervisor_id").alias("CREATED_BY"),
            pl.col("worker_id").alias("ALLOCATED_WORKER_ID"),
            pl.col("_status").alias("STATUS"),
        ),
        out / "case notes.csv",
        title="Mosaic report: case notes by type",
    )
    _worker_list(src, out / "Mosaic workers.csv", ("WORKER_ID", "FULL_NAME", "JOB_TITLE", "TEAM"))
    _staff(src, out, teams=False)


def write_eclipse(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ep = _read(src, "episodes")
    people = _people(ep)
    dup = people.head(1).with_columns(pl.lit("DUP0001").alias("person_id"))
    people = pl.concat(
        [people.with_columns(DUPLICATED=pl.lit("No")), dup.with_columns(DUPLICATED=pl.lit("Yes"))]
    )
    _write(
        people.select(
            pl.col("person_id").alias("PERSONID"),
            pl.col("person_name").str.split(" ").list.first().alias("FORENAME"),
            pl.col("person_name").str.split(" ").list.last().alias("SURNAME"),
            _iso_datetime("date_of_birth").alias("DATEOFBIRTH"),
            "DUPLICATED",
        ),
        out / "persons.csv",
        encoding="cp1252",
    )
    dup_ep = ep.head(1).with_columns(
        pl.lit("DUP0001").alias("person_id"), pl.lit("CIN").alias("category")
    )
    cls = pl.concat([ep.filter(pl.col("category") != "CLA"), dup_ep])
    _write(
        cls.select(
            pl.col("person_id").alias("PERSONID"),
            _named("category", CATEGORY_NAMES).str.to_uppercase().alias("CLASSIFICATION"),
            _iso_datetime("start_date").alias("STARTDATE"),
            _iso_datetime("end_date").alias("ENDDATE"),
            pl.lit("Active").alias("STATUS"),
            pl.col("flags").alias("FLAGS"),
        ),
        out / "classifications.csv",
        encoding="cp1252",
    )
    _episodes(
        _by_category(ep, ["CLA"]),
        out / "CLA episodes.csv",
        ("PERSONID", "EOCSTARTDATE", "EOCENDDATE", "FLAGS"),
    )
    _allocations(
        pl.concat([ep, dup_ep]),
        out / "professional relationships.csv",
        [
            pl.col("person_id").alias("PERSONID"),
            pl.lit("").alias("PROFESSIONALRELATIONSHIPPERSONID"),
            pl.col("worker_id").alias("ALLOCATEDWORKERCODE"),
            pl.col("start_date").alias("STARTDATE"),
            pl.col("end_date").alias("CLOSEDATE"),
            pl.col("team").alias("TEAM"),
        ],
    )
    ev = _read(src, "case_events").with_columns(kind_name=_named("kind", KIND_NAMES["eclipse"]))
    forms = _with_extras(ev, "Visit Record").with_columns(
        pl.when(pl.col("_status") == "Draft")
        .then(pl.lit("IN PROGRESS"))
        .otherwise(pl.lit("COMPLETE"))
        .alias("_status")
    )
    _write(
        forms.select(
            pl.col("person_id").alias("ANSWERFORSUBJECTID"),
            pl.col("_kind").alias("FORMNAME"),
            pl.col("_status").alias("INSTANCESTATE"),
            _iso_datetime("date").alias("DATEANSWERVALUE"),
            _iso_datetime("recorded_date").alias("DATECOMPLETED"),
            pl.col("supervisor_id").alias("COMPLETEDBY"),
        ),
        out / "forms.csv",
    )
    _staff(src, out)


def write_ssd(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ep = _read(src, "episodes")
    people = _people(ep)
    _write(
        people.select(
            pl.col("person_id").alias("pers_person_id"),
            pl.col("person_name").alias("pers_forename"),
            pl.col("date_of_birth").alias("pers_dob"),
        ),
        out / "ssd_person.csv",
    )
    simple = {
        "ssd_cin_episodes": ("CIN", "cine_person_id", "cine_referral_date", "cine_close_date"),
        "ssd_cp_plans": (
            "CP",
            "cppl_person_id",
            "cppl_cp_plan_start_date",
            "cppl_cp_plan_end_date",
        ),
        "ssd_cla_episodes": (
            "CLA",
            "clae_person_id",
            "clae_cla_episode_start_date",
            "clae_cla_episode_ceased_date",
        ),
        "ssd_early_help_episodes": (
            "EARLY_HELP",
            "earl_person_id",
            "earl_episode_start_date",
            "earl_episode_end_date",
        ),
    }
    for name, (cat, pid, start, end) in simple.items():
        _episodes(_by_category(ep, [cat]), out / f"{name}.csv", (pid, start, end, "flags"))
    leavers = _by_category(ep, ["CARE_LEAVER"])
    _write(
        leavers.select(
            pl.col("person_id").alias("clea_person_id"),
            pl.col("start_date").alias("clea_care_leaver_start_date"),
            pl.col("end_date").alias("clea_care_leaver_end_date"),
            pl.when(pl.col("flags").fill_null("") == "")
            .then(pl.lit("Suitable"))
            .when(pl.col("flags") == "UNSUITABLE_ACCOMMODATION")
            .then(pl.lit("Unsuitable"))
            .otherwise(pl.col("flags"))
            .alias("clea_care_leaver_accommodation_suitable"),
        ),
        out / "ssd_care_leavers.csv",
    )
    rest = ep.filter(~pl.col("category").is_in(["CIN", "CP", "CLA", "EARLY_HELP", "CARE_LEAVER"]))
    _write(
        rest.select(
            pl.col("person_id").alias("case_person_id"),
            _named("category", CATEGORY_NAMES).alias("case_type"),
            pl.col("start_date").alias("case_start_date"),
            pl.col("end_date").alias("case_end_date"),
            pl.col("flags").alias("flags"),
        ),
        out / "case types.csv",
    )
    _allocations(
        ep,
        out / "ssd_involvements.csv",
        [
            pl.col("person_id").alias("invo_person_id"),
            pl.col("worker_id").alias("invo_professional_id"),
            pl.col("team").alias("invo_professional_team"),
            pl.col("start_date").alias("invo_involvement_start_date"),
            pl.col("end_date").alias("invo_involvement_end_date"),
        ],
    )
    ev = _read(src, "case_events").with_columns(kind_name=_named("kind", KIND_NAMES["ssd"]))
    notes = _with_extras(ev, "Home Visit").with_columns(pl.col("_status").str.to_lowercase())
    _write(
        notes.select(
            pl.col("person_id").alias("person_id"),
            pl.col("_kind").alias("note_type"),
            pl.col("date").alias("note_date"),
            pl.col("recorded_date").alias("created_on"),
            pl.col("supervisor_id").alias("created_by"),
            pl.col("_status").alias("status"),
        ),
        out / "case notes.csv",
    )
    _worker_list(
        src,
        out / "ssd_professionals.csv",
        (
            "prof_professional_id",
            "prof_professional_name",
            "prof_professional_job_title",
            "prof_professional_team",
        ),
    )
    _staff(src, out)


WRITERS = {"mosaic": write_mosaic, "eclipse": write_eclipse, "ssd": write_ssd}


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    src = Path(args[0] if args else "sample_data")
    for name, writer in WRITERS.items():
        writer(src, src / name)
        print(f"wrote {src / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
