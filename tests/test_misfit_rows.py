"""Issue 15: a row that does not fit its header (a field missing, a value past the last
column) is rejected whole, reported by file and row with its value withheld, and no value of
it reaches any output: standard error, the JSON (data issues included), the CSV, the
workbook or a batch's log and summary, with or without --pseudonymise. The same on every
loader path: canonical CSVs, export-profile CSVs, workbooks (canonical and profile), CSVs
checked in blocks (as every file over a block is) and quoted fields spanning lines.

Every value of a misfit row here is a marker found nowhere else in the data."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hostile_kit import CHILDREN, KEY, invoke, small, workbook_from
from hypothesis import given, settings
from hypothesis import strategies as st

from supervision_audit.sources import fit
from supervision_audit.sources.parse import WITHHELD

REAL = Path(__file__).parent / "fixtures" / "real"
MARKS = ("Misfit Quillon", "07/07/2007", "MISFIT-TEAM", "C777777", "W-MISFIT", "Zz-Extra")
"""The values of the misfit rows: none may appear in any output."""
LAMBETH = ["--ruleset", "lambeth", "--as-of", "2026-10-31"]


def no_marks(text: str, where: str) -> None:
    for mark in MARKS:
        assert mark not in text, (mark, where)


def workbook_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


def append_line(path: Path, line: str) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    end = "" if text.endswith("\n") else "\n"
    path.write_text(text + end + line + "\n", encoding="utf-8")


def every_output(tmp_path: Path, data: Path, args: list[str]) -> dict:
    """Audit `data` three ways (JSON and workbook, CSV, pseudonymised JSON and workbook),
    checking that no marker reaches any of them; the plain JSON document back."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    runs = [
        (["--output", str(out / "a.xlsx"), "--format", "json"], out / "a.xlsx"),
        (["--output", str(out / "a.csv")], out / "a.csv"),
        (["--output", str(out / "p.xlsx"), "--format", "json", "--pseudonymise"], out / "p.xlsx"),
    ]
    doc = None
    for extra, written in runs:
        code, stdout, err = invoke(
            "audit", "--data", str(data), *args, *extra, env={"SUPERVISION_AUDIT_KEY": KEY}
        )
        assert code == 0, err
        no_marks(err, "stderr")
        no_marks(stdout, f"stdout {extra}")
        text = workbook_text(written) if written.suffix == ".xlsx" else written.read_text()
        no_marks(text, str(written.name))
        if doc is None:
            doc = json.loads(stdout)
    assert doc is not None
    return doc


def misfit_issues(doc: dict, table: str) -> list[dict]:
    found = [
        i
        for i in doc["data_issues"]
        if i["table"] == table and "does not fit the header" in i["reason"]
    ]
    for issue in found:
        assert issue["value"] == WITHHELD and issue["action"] == "rejected", issue
    return found


def reconciled(doc: dict) -> None:
    for name, row in doc["summary"]["tables"].items():
        excluded = sum((row.get("excluded") or {}).values())
        assert row["read"] == row["used"] + excluded + row["rejected"], (name, row)


# --------------------------------------------------------------------------------------
# Canonical CSVs, in blocks, with quoted fields over several lines

SHORT = "C777777,CP,2024-01-01,,MISFIT-TEAM,W-MISFIT,Misfit Quillon,07/07/2007"  # flags gone
LONG = "C777777,CP,2024-01-01,,MISFIT-TEAM,W-MISFIT,,Misfit Quillon,07/07/2007,Zz-Extra"
EVENT = "C777777,2024-02-01,Misfit Quillon"  # the kind gone: a name where the kind was


@pytest.mark.parametrize("block", [None, 64], ids=["whole", "in-64-byte-blocks"])
def test_canonical_csv_misfit_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int | None
) -> None:
    if block is not None:  # as a file over 16 MiB is read: many blocks, records across them
        monkeypatch.setattr(fit, "BLOCK_BYTES", block)
    data = small(tmp_path)
    episodes = data / "episodes.csv"
    # a quoted field over three lines first: rows are records, not lines
    append_line(episodes, 'C005,CIN,2024-01-01,,"North\nTeam, the\nsecond",W1,,,')
    for line in (SHORT, LONG):
        append_line(episodes, line)
    append_line(data / "case_events.csv", EVENT)
    doc = every_output(tmp_path, data, CHILDREN)
    rows = [i["row"] for i in misfit_issues(doc, "episodes")]
    assert rows == [9, 10]  # the header is row 1, the three-line record row 8
    assert [i["row"] for i in misfit_issues(doc, "case_events")] == [16]
    t = doc["summary"]["tables"]
    assert t["episodes"]["read"] == 9 and t["episodes"]["rejected"] >= 2
    reconciled(doc)


def test_a_short_first_row_does_not_refuse_the_file(tmp_path: Path) -> None:
    """Polars takes the column count from the first row it reads: a first data row short of
    a field must not make the file unreadable; that row alone is rejected."""
    data = small(tmp_path)
    episodes = data / "episodes.csv"
    header, *rows = episodes.read_text().splitlines()
    episodes.write_text("\n".join([header, SHORT, *rows]) + "\n")
    doc = every_output(tmp_path, data, CHILDREN)
    assert [i["row"] for i in misfit_issues(doc, "episodes")] == [2]
    assert doc["summary"]["tables"]["episodes"]["read"] == 7
    reconciled(doc)


def test_trailing_empty_fields_fit(tmp_path: Path) -> None:
    """A trailing comma (an extra empty field) on every line shifts nothing: the rows used,
    the issues and the findings are those of the file without it."""
    docs = []
    for trailing in ("", ","):
        data = small(tmp_path, f"data{len(docs)}")
        for name in ("episodes.csv", "case_events.csv"):
            path = data / name
            lines = path.read_text().splitlines()
            path.write_text("".join(f"{line}{trailing}\n" for line in lines))
        code, stdout, err = invoke("audit", "--data", str(data), *CHILDREN, "--format", "json")
        assert code == 0, err
        docs.append(json.loads(stdout))
    plain, trailed = docs
    assert not misfit_issues(trailed, "episodes") and not misfit_issues(trailed, "case_events")
    counts = [
        {t: (r["read"], r["used"], r["rejected"]) for t, r in d["summary"]["tables"].items()}
        for d in docs
    ]
    assert counts[0] == counts[1]
    assert [(i["row"], i["reason"]) for i in plain["data_issues"]] == [
        (i["row"], i["reason"]) for i in trailed["data_issues"]
    ]
    assert plain["findings"] == trailed["findings"] and plain["findings"]


# --------------------------------------------------------------------------------------
# Workbooks: a value in a column with no header


def test_canonical_workbook_misfit_rows(tmp_path: Path) -> None:
    data = small(tmp_path)
    book = workbook_from(data, tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["episodes"].append(next(csv.reader([LONG])))
    wb["case_events"].append(["C777777", "2024-02-01", "CASE_SUPERVISION", "W-MISFIT", "Zz-Extra"])
    wb.save(book)
    doc = every_output(tmp_path, book, CHILDREN)
    assert [i["row"] for i in misfit_issues(doc, "episodes")] == [8]
    assert [i["row"] for i in misfit_issues(doc, "case_events")] == [16]
    reconciled(doc)


def test_profile_workbook_misfit_rows(tmp_path: Path) -> None:
    """Annex A (a workbook read through the annex_a profile): a List 7 row with a value
    past the last header."""
    data = tmp_path / "annex"
    shutil.copytree(REAL / "annex_a", data, ignore=shutil.ignore_patterns("canonical"))
    wb = openpyxl.load_workbook(data / "Annex_A.xlsx")
    ws = wb["List 7"]
    width = ws.max_column
    ws.append(
        ["C777777", "F", "WBRI", "07/07/2007", "12", "N", "2026-01-01", "Neglect", "Neglect"]
        + [None] * (width - 11)
        + ["MISFIT-TEAM", "W-MISFIT", "Zz-Extra"]
    )
    wb.save(data / "Annex_A.xlsx")
    doc = every_output(tmp_path, data, LAMBETH)
    issues = misfit_issues(doc, "episodes")
    assert [(i["file"], i["row"]) for i in issues] == [("Annex_A.xlsx[List 7]", ws.max_row)]
    reconciled(doc)


# --------------------------------------------------------------------------------------
# Export-profile CSVs: a table's rows and a lookup's rows


def test_profile_csv_misfit_rows(tmp_path: Path) -> None:
    """SSD: a CP plan short of a field (episodes), a case note with a name where its type
    was (case events), and a person row one field too long (the persons lookup: excluded
    and counted, its name never joined to an episode)."""
    data = tmp_path / "ssd"
    shutil.copytree(REAL / "ssd", data, ignore=shutil.ignore_patterns("canonical"))
    append_line(data / "ssd_cp_plans.csv", "6999,5999,NULL,C777777,2026-01-01,NULL,N,Neglect")
    append_line(
        data / "FACT_CASENOTES.csv",
        "40999,1001,Misfit Quillon,Case Supervision,2026-09-01 00:00:00.000,NULL,NULL",
    )
    append_line(
        data / "ssd_person.csv",
        "L-77999,1002,NULL,Misfit,Quillon,F,02,WBRI,2007-07-07 00:00:00.000,NULL,NULL,N,NULL,"
        "NULL,NULL,NULL,Zz-Extra",
    )
    doc = every_output(tmp_path, data, LAMBETH)
    assert [i["file"] for i in misfit_issues(doc, "episodes")] == ["ssd_cp_plans.csv"]
    assert [i["file"] for i in misfit_issues(doc, "case_events")] == ["FACT_CASENOTES.csv"]
    code, stdout, err = invoke("inspect", "--data", str(data))
    assert code == 0, err
    no_marks(stdout + err, "inspect")
    reconciled(doc)


def test_profiles_new_never_lists_a_misfit_rows_value(tmp_path: Path) -> None:
    """`profiles new --data` lists every note type with its count: a case note short of a
    field (a name where the type code was) is not among them, on screen or in the file."""
    data = tmp_path / "ssd"
    shutil.copytree(REAL / "ssd", data, ignore=shutil.ignore_patterns("canonical"))
    append_line(
        data / "FACT_CASENOTES.csv",
        "40999,1001,Misfit Quillon,Zz-Extra,2026-09-01 00:00:00.000,NULL,NULL",
    )
    out = tmp_path / "council.yaml"
    code, stdout, err = invoke("profiles", "new", str(out), "--from", "ssd", "--data", str(data))
    assert code == 0, err
    no_marks(stdout + err + out.read_text(encoding="utf-8"), "profiles new")


# --------------------------------------------------------------------------------------
# Batch: the log, the summary and every output


def test_batch_never_shows_a_misfit_row(tmp_path: Path) -> None:
    data = small(tmp_path)
    append_line(data / "episodes.csv", SHORT)
    append_line(data / "case_events.csv", EVENT)
    (tmp_path / "audit.key").write_text(KEY + "\n")
    cfg = tmp_path / "batch.yaml"
    body = ""
    for name, extra in (("plain", ""), ("keyed", "    pseudonymise_key_file: audit.key\n")):
        body += (
            f"  - name: {name}\n    data: data\n    ruleset: dorset\n    as_of: 2024-06-30\n"
            "    history_from: 2024-01-01\n    scope: children\n"
            '    outputs: ["out/{name}.xlsx", "out/{name}.csv", "out/{name}.json"]\n' + extra
        )
    cfg.write_text("audits:\n" + body)
    code, stdout, err = invoke("batch", str(cfg), "--jobs", "1")
    assert code == 0, err
    no_marks(err, "batch log")
    no_marks(stdout, "batch summary")
    for name in ("plain", "keyed"):
        no_marks(workbook_text(tmp_path / "out" / f"{name}.xlsx"), f"{name}.xlsx")
        for suffix in (".csv", ".json"):
            no_marks((tmp_path / "out" / f"{name}{suffix}").read_text(), f"{name}{suffix}")
    doc = json.loads((tmp_path / "out" / "plain.json").read_text())
    assert [i["row"] for i in misfit_issues(doc, "episodes")] == [8]
    assert json.loads(stdout)["audits"][0]["figures"]["data_issues"] >= 2


# --------------------------------------------------------------------------------------
# The block scan agrees with Python's csv module, whatever the block size

field = st.one_of(
    st.sampled_from(["", "x", "C001", '"q,uo""ted"', '"multi\nline"', '"a\r\nb"', " "]),
    st.text(alphabet="ab ;", max_size=4),
)
record = st.lists(field, min_size=0, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(record, max_size=12),
    block=st.integers(min_value=1, max_value=64),
    crlf=st.booleans(),
)
def test_block_scan_matches_the_csv_module(rows: list[list[str]], block: int, crlf: bool) -> None:
    newline = "\r\n" if crlf else "\n"
    text = ("a,b,c" + newline + "".join(",".join(r) + newline for r in rows)).encode()
    expected = fit._scan_exact(text, 3)
    old = fit.BLOCK_BYTES
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(text)
        try:
            fit.BLOCK_BYTES = block
            assert fit._scan(text, 3) == expected  # converted text, in memory
            assert fit._scan(path, 3) == expected  # a file, read block by block
        finally:
            fit.BLOCK_BYTES = old
