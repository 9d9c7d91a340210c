"""Reading exports: encodings, headers, dates, IDs, bad rows and provenance.

Every case from the safety checklist's "Reading exports" section, each asserting the exact
rows, values or message it is about."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from supervision_audit.errors import InputError
from supervision_audit.sources import load_canonical
from supervision_audit.sources.parse import WITHHELD

HEADER = "person_id,category,start_date,end_date,team,worker_id,flags,person_name,date_of_birth\n"
EVENTS = "person_id,date,kind\nC1,2024-01-10,CASE_SUPERVISION\n"


def folder(tmp_path: Path, episodes: bytes | str, events: bytes | str = EVENTS) -> Path:
    for name, content in (("episodes.csv", episodes), ("case_events.csv", events)):
        data = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(data)
    return tmp_path


def load(path: Path, **kw):
    return load_canonical(path, tables=["episodes", "case_events"], required=["episodes"], **kw)


def test_utf8_bom_is_removed_from_the_first_header(tmp_path: Path) -> None:
    data = load(
        folder(tmp_path, b"\xef\xbb\xbf" + (HEADER + "C1,CP,2024-01-01,,N,W1,,Zoe,\n").encode())
    )
    assert data.tables["episodes"].frame["person_id"].to_list() == ["C1"]


def test_utf16_and_windows_1252(tmp_path: Path) -> None:
    text = HEADER + "C1,CP,2024-01-01,,Équipe Nord,W1,,Zoë Brontë,\n"
    data = load(folder(tmp_path, text.encode("utf-16")))
    assert data.tables["episodes"].frame["team"].to_list() == ["Équipe Nord"]
    data = load(folder(tmp_path, text.encode("cp1252")))
    assert data.tables["episodes"].frame["person_name"].to_list() == ["Zoë Brontë"]


def test_undecodable_bytes_are_an_error_not_a_replacement(tmp_path: Path) -> None:
    bad = (HEADER + "C1,CP,2024-01-01,,N,W1,,Zo").encode() + b"\x81\x8d\n"
    with pytest.raises(InputError, match="encoding"):
        load(folder(tmp_path, bad))


def test_header_spellings_match_ignoring_case_spaces_underscores(tmp_path: Path) -> None:
    text = "Person ID,CATEGORY,Start-Date,end_date,Extra Column\nC1,cp,2024-01-01,,x\n"
    data = load(folder(tmp_path, text))
    t = data.tables["episodes"]
    assert t.header_map["person_id"] == "Person ID" and t.header_map["start_date"] == "Start-Date"
    assert t.extra_columns == ["Extra Column"]
    assert t.frame["category"].to_list() == ["CP"]


def test_duplicate_headers_are_an_error_naming_them(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="person_id"):
        load(folder(tmp_path, "person_id,Person ID,category,start_date\nC1,C1,CP,2024-01-01\n"))


def test_missing_required_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(folder(tmp_path, "person_id,category\nC1,CP\n"))
    assert err.value.column == "start_date" and "episodes.csv" in str(err.value)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load(tmp_path / "nowhere")
    (tmp_path / "episodes.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        load(tmp_path)


def test_row_numbers_survive_multiline_fields_ragged_and_blank_rows(tmp_path: Path) -> None:
    text = (
        HEADER
        + 'C1,CP,2024-01-01,,"North\nTeam",W1,,,\n'  # row 2, two lines in the file
        + "\n"  # row 3, blank: not counted
        + "C2,CIN,2024-01-01\n"  # row 4, short (ragged): does not fit, rejected
        + "C3,CIN,bad,,,,,,,extra,cells\n"  # row 5, long (ragged): does not fit, rejected
        + "C4,CIN,2024-01-01,,,,,,,,\n"  # row 6, extra fields all empty: fits
        + "\n\n"
    )
    data = load(folder(tmp_path, text))
    t = data.tables["episodes"]
    assert t.frame["_row"].to_list() == [2, 6]
    assert t.rows_read == 4 and t.rows_rejected == 2
    issues = data.issues.filter(pl.col("table") == "episodes")
    assert issues["row"].to_list() == [4, 5]  # one issue each, whatever else is wrong
    assert set(issues["value"].to_list()) == {WITHHELD}
    assert all("does not fit the header" in r for r in issues["reason"].to_list())


def test_ids_keep_leading_zeros_and_drop_float_tails(tmp_path: Path) -> None:
    text = HEADER + "00123,CP,2024-01-01,,N,W1,,,\n123.0,CP,2024-01-01,,N,007.0,,,\n"
    data = load(folder(tmp_path, text, "person_id,date,kind\n00123,2024-01-10,CASE_SUPERVISION\n"))
    f = data.tables["episodes"].frame
    assert f["person_id"].to_list() == ["00123", "123"]
    assert f["worker_id"].to_list() == ["W1", "007"]


def test_na_none_null_are_names_not_missing(tmp_path: Path) -> None:
    text = HEADER + "C1,CP,2024-01-01,,NA,W1,,None,\nC2,CP,2024-01-01,,null,W1,,NA,\n"
    f = load(folder(tmp_path, text)).tables["episodes"].frame
    assert f["team"].to_list() == ["NA", "null"] and f["person_name"].to_list() == ["None", "NA"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("05/03/2024", dt.date(2024, 3, 5)),
        ("5/3/2024", dt.date(2024, 3, 5)),
        ("05/03/2024 14:30", dt.date(2024, 3, 5)),
        ("2024-03-05T09:00:00", dt.date(2024, 3, 5)),
        ("2024-03-05 09:00:00", dt.date(2024, 3, 5)),
        (" 2024-03-05 ", dt.date(2024, 3, 5)),
    ],
)
def test_dates_iso_and_day_first(tmp_path: Path, text: str, expected: dt.date) -> None:
    f = load(folder(tmp_path, HEADER + f"C1,CP,{text},,N,W1,,,\n")).tables["episodes"].frame
    assert f["start_date"].to_list() == [expected]


@pytest.mark.parametrize("text", ["31/02/2024", "12/25/2024", "2024-13-01", "next week", "45321"])
def test_bad_or_us_dates_are_rejected_with_the_reason(tmp_path: Path, text: str) -> None:
    data = load(folder(tmp_path, HEADER + f"C1,CP,{text},,N,W1,,,\n"))
    assert data.tables["episodes"].frame.height == 0
    issue = data.issues.filter(pl.col("table") == "episodes").row(0, named=True)
    assert (issue["row"], issue["column"], issue["value"]) == (2, "start_date", text)
    assert issue["reason"].startswith("not a date")


def test_personal_values_are_withheld_and_do_not_reject_the_row(tmp_path: Path) -> None:
    data = load(folder(tmp_path, HEADER + "C1,CP,2024-01-01,,N,W1,,Zebedee,31/31/2011\n"))
    assert data.tables["episodes"].frame.height == 1
    issue = data.issues.filter(pl.col("table") == "episodes").row(0, named=True)
    assert issue["value"] == WITHHELD and issue["action"] == "warning"
    assert "31/31/2011" not in str(data.issues.to_dicts())


def test_unknown_category_kind_and_flag_are_rejected(tmp_path: Path) -> None:
    eps = (
        HEADER
        + "C1,CP,2024-01-01,,N,W1,,,\nC2,CPP,2024-01-01,,N,W1,,,\n"
        + "C3,CIN,2024-01-01,,N,W1,HIGH RISK;WEIRD,,\n"
    )
    evs = "person_id,date,kind\nC1,2024-01-10,SUPERVISION\nC1,2024-01-11,case supervision\n"
    data = load(folder(tmp_path, eps, evs))
    assert data.tables["episodes"].frame["person_id"].to_list() == ["C1"]
    assert data.tables["case_events"].frame["kind"].to_list() == ["CASE_SUPERVISION"]
    reasons = data.issues.select("table", "row", "column").rows()
    assert reasons == [
        ("case_events", 2, "kind"),
        ("episodes", 3, "category"),
        ("episodes", 4, "flags"),
    ]


def test_flags_parse_to_sorted_canonical_lists(tmp_path: Path) -> None:
    f = (
        load(folder(tmp_path, HEADER + "C1,CIN,2024-01-01,,N,W1,proceedings; high risk,,\n"))
        .tables["episodes"]
        .frame
    )
    assert f["flags"].to_list() == [["HIGH_RISK", "PROCEEDINGS"]]


def test_value_maps_translate_local_vocabulary(tmp_path: Path) -> None:
    eps = HEADER + "C1,Child Protection Plan,2024-01-01,,N,W1,,,\n"
    evs = "person_id,date,kind\nC1,2024-01-10,Record of supervision discussion\n"
    data = load(
        folder(tmp_path, eps, evs),
        value_maps={
            "category": {"child protection plan": "CP"},
            "kind": {"Record of supervision discussion": "CASE_SUPERVISION"},
        },
    )
    assert data.tables["episodes"].frame["category"].to_list() == ["CP"]
    assert data.tables["case_events"].frame["kind"].to_list() == ["CASE_SUPERVISION"]


def test_end_before_start_and_orphan_events_and_duplicates(tmp_path: Path) -> None:
    eps = HEADER + "C1,CP,2024-01-01,,N,W1,,,\nC2,CP,2024-03-01,2024-02-01,N,W1,,,\n"
    evs = (
        "person_id,date,kind\nC1,2024-01-10,CASE_SUPERVISION\nC1,2024-01-10,CASE_SUPERVISION\n"
        "C9,2024-01-10,CASE_SUPERVISION\nC2,2024-02-10,CASE_SUPERVISION\n"
    )
    data = load(folder(tmp_path, eps, evs))
    got = data.issues.select("table", "row", "reason", "action").rows()
    assert got == [
        ("case_events", 3, "exact duplicate of row 2", "counted once"),
        ("case_events", 4, "no episode for this person", "rejected"),
        (
            "case_events",
            5,
            "every episode row of this person was rejected (see episodes)",
            "rejected",
        ),
        ("episodes", 3, "end date is before the start date", "rejected"),
    ]
    rec = data.reconciliation()
    assert rec["case_events"] == {**rec["case_events"], "read": 4, "used": 1, "rejected": 3}


def _xlsx(path: Path, rows_by_sheet: dict[str, list[list]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in rows_by_sheet.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_xlsx_gives_the_same_frame_and_rows_as_csv(tmp_path: Path) -> None:
    eps_rows = [
        HEADER.strip().split(","),
        ["C1", "CP", dt.date(2024, 1, 1), None, "N", "W1", None, "Ann", dt.date(2015, 2, 1)],
        [None] * 9,
        [123.0, "CIN", "02/01/2024", None, "N", "W1", "HIGH_RISK", "Bo", None],
        ["C3", "CIN", 45300, None, "N", "W1", None, None, None],
        ["C4", "CIN", "31/02/2024", None, "N", "W1", None, None, None],
    ]
    book = _xlsx(
        tmp_path / "data.xlsx",
        {
            "Episodes": eps_rows,
            "case_events": [
                ["person_id", "date", "kind"],
                ["C1", dt.datetime(2024, 1, 10, 9, 30), "CASE_SUPERVISION"],
            ],
        },
    )
    x = load_canonical(book, tables=["episodes", "case_events"], required=["episodes"])
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    folder(
        csv_dir,
        HEADER + "C1,CP,2024-01-01,,N,W1,,Ann,2015-02-01\n,,,,,,,,\n"
        "123,CIN,02/01/2024,,N,W1,HIGH_RISK,Bo,\nC3,CIN,2024-01-09,,N,W1,,,\n"
        "C4,CIN,31/02/2024,,N,W1,,,\n",
        "person_id,date,kind\nC1,2024-01-10,CASE_SUPERVISION\n",
    )
    c = load(csv_dir)
    assert x.tables["episodes"].frame.equals(c.tables["episodes"].frame)
    assert x.tables["episodes"].frame["start_date"].to_list()[2] == dt.date(
        2024, 1, 9
    )  # serial 45300 (25569 = 1 Jan 1970)
    assert (
        x.issues.select("row", "column").rows()
        == c.issues.select("row", "column").rows()
        == [(6, "start_date")]
    )


def test_corrupt_workbook_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "data.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="workbook"):
        load_canonical(bad, tables=["episodes"], required=["episodes"])


cell = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "C1",
            "C2",
            "CP",
            "CIN",
            "2024-01-01",
            "01/02/2024",
            "31/02/2024",
            "x",
            "HIGH_RISK",
            "W1",
            '"a,b"',
        ]
    ),
    st.text(alphabet="abcXYZ019/-;, ", max_size=8),
)


@given(st.lists(st.lists(cell, min_size=0, max_size=11), min_size=0, max_size=30))
def test_rows_reconcile_on_messy_input(tmp_path_factory, rows) -> None:
    tmp = tmp_path_factory.mktemp("messy")
    lines = [",".join(r) for r in rows]
    folder(tmp, HEADER + "\n".join(lines) + "\n", "person_id,date,kind\n" + "\n".join(lines) + "\n")
    try:
        data = load(tmp)
    except InputError:
        return
    for t in data.tables.values():
        assert t.rows_read == t.frame.height + t.rows_rejected
        rejected_rows = data.issues.filter(
            (pl.col("table") == t.name) & (pl.col("action") != "warning")
        )
        assert rejected_rows["row"].n_unique() == t.rows_rejected
