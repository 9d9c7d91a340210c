"""Value conventions every export profile handles (issue 13): the text NULL, #N/A and empty
cells as blank; 1900-01-01 and the stand-ins a profile names (SSD_PH, -1) as blank; SQL
Server datetimes; Excel serial dates in CSV; UK and ISO dates; a byte-order mark. Each test
writes a tiny SSD extract in the published column names and reads it through the ssd
profile, so the case it pins would fail if the convention were dropped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from supervision_audit.sources import load_data
from supervision_audit.sources.schema import TABLES

D = dt.date.fromisoformat
CIN = "cine_referral_id,cine_person_id,cine_referral_date,cine_close_date,cine_referral_team\n"


def read(tmp_path: Path, cin_rows: str, *, bom: bool = False, extra: dict | None = None):
    d = tmp_path / "ssd"
    d.mkdir(exist_ok=True)
    body = (CIN + cin_rows).encode("utf-8")
    (d / "ssd_cin_episodes.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + body)
    for name, text in (extra or {}).items():
        (d / name).write_text(text, encoding="utf-8")
    loaded = load_data(d, "ssd", tables=TABLES)
    return loaded, loaded.tables["episodes"].frame.sort("person_id")


@pytest.mark.parametrize(
    "blank",
    ["NULL", "null", "#N/A", "", "  ", "1900-01-01", "1900-01-01 00:00:00.000", "01/01/1900"],
)
def test_a_blank_or_stand_in_end_date_leaves_the_episode_open(tmp_path: Path, blank: str) -> None:
    loaded, ep = read(tmp_path, f"1,C1,2026-06-01,{blank},NULL\n")
    assert ep["end_date"].to_list() == [None]
    assert loaded.issues.height == 0
    rec = loaded.reconciliation()["episodes"]
    assert (rec["read"], rec["used"], rec["rejected"]) == (1, 1, 0)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-12-10 00:00:00.000", "2024-12-10"),  # SQL Server datetime
        ("2024-12-10T00:00:00", "2024-12-10"),  # ISO with a time (PostgreSQL, JSON)
        ("2024-12-10", "2024-12-10"),  # ISO
        ("10/12/2024", "2024-12-10"),  # UK day first, never US order
        ("10/12/2024 13:45", "2024-12-10"),
        ("45636", "2024-12-10"),  # an Excel serial saved into a CSV
    ],
)
def test_start_dates_in_every_convention(tmp_path: Path, text: str, day: str) -> None:
    loaded, ep = read(tmp_path, f"1,C1,{text},NULL,NULL\n")
    assert ep["start_date"].to_list() == [D(day)]
    assert loaded.issues.height == 0


def test_a_byte_order_mark_does_not_hide_the_first_header(tmp_path: Path) -> None:
    loaded, ep = read(tmp_path, "1,C1,2026-06-01,NULL,NULL\n", bom=True)
    assert ep["person_id"].to_list() == ["C1"]
    assert loaded.mapping.files[0].source == "ssd_cin_episodes"


def test_a_date_that_is_not_a_date_is_still_rejected(tmp_path: Path) -> None:
    loaded, ep = read(tmp_path, "1,C1,2026-06-01,NULL,NULL\n2,C2,not a date,NULL,NULL\n")
    assert ep["person_id"].to_list() == ["C1"]
    assert loaded.issues["reason"].str.contains("not a date").to_list() == [True]


def test_profile_named_stand_ins_ssd_ph_and_minus_one_read_as_blank(tmp_path: Path) -> None:
    invo = (
        "invo_involvements_id,invo_professional_id,invo_professional_role_id,"
        "invo_professional_team,invo_person_id,invo_involvement_start_date,"
        "invo_involvement_end_date\n"
        "9,-1,CW,SSD_PH,C1,2026-06-01,NULL\n"
    )
    _, ep = read(tmp_path, "1,C1,2026-06-01,NULL,NULL\n", extra={"ssd_involvements.csv": invo})
    assert ep.select("worker_id", "team").row(0) == (None, None)


def test_without_the_blank_convention_null_would_be_rejected(tmp_path: Path) -> None:
    """The same file read as canonical tables (no profile): the text NULL is not a date, so
    the convention above is what keeps the open case."""
    d = tmp_path / "canon"
    d.mkdir()
    (d / "episodes.csv").write_text(
        "person_id,category,start_date,end_date\nC1,CIN,2026-06-01,NULL\n", encoding="utf-8"
    )
    loaded = load_data(d, "canonical", tables=TABLES)
    assert loaded.tables["episodes"].frame.height == 0
    assert loaded.issues.filter(pl.col("column") == "end_date").height == 1
