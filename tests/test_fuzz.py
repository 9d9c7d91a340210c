"""Issue 15: the fuzz suite. Random and hostile bytes, CSVs and workbooks go to the loaders
(through the CLI, in this process) and must give:

- an exit code of 0 or 2, never a traceback or an "internal error";
- rows read = rows used + rows rejected for every table;
- no value of a personal column (name, date of birth) on stderr or in a data issue;
- after any failure, the previous output file byte-identical.

Deterministic in CI (the "ci" hypothesis profile in conftest.py: derandomised); the example
counts below keep the whole file within about a minute on two cores.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hostile_kit import CHILDREN, SMALL, invoke, workbook_from
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

HEADER = [
    "person_id",
    "category",
    "start_date",
    "end_date",
    "team",
    "worker_id",
    "flags",
    "person_name",
    "date_of_birth",
]
MARK = "Qzxname"
"""Every generated name and date of birth holds this marker: it must never be shown."""
PREVIOUS = b'{"previous": "output"}'
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t",
    "[/]",
    "[link=http://evil]x[/link]",
    "\x1b[31m",
    "\x00",
    "\u2028",
    "\f",
    "\x1e",
    '"',
    "\r",
    "\n",
    "NA",
    "null",
    "#N/A",
    "{=SUM(A1)}",
    "ı",
    "\ufeff",
    "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "9" * 400,
    "2024-02-30",
    "31/12/9999",
    "0001-01-01",
    "-90",
]


def fuzz(examples: int) -> settings:
    """The loaded profile (derandomised in CI), with this test's example count."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _check_run(folder: Path, *extra: str) -> tuple[int, str, dict | None]:
    """Audit `folder` with --output over a previous file; check the invariants."""
    out = folder.parent / "previous.json"
    out.write_bytes(PREVIOUS)
    code, stdout, err = invoke(
        "audit", "--data", str(folder), *CHILDREN, "--format", "json", "--output", str(out), *extra
    )
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    assert MARK not in err, err
    if code != 0:
        assert len([x for x in err.splitlines() if x.strip()]) == 1, err
        assert out.read_bytes() == PREVIOUS
        return code, err, None
    doc = json.loads(stdout)
    for name, t in doc["summary"]["tables"].items():
        assert t["read"] == t["used"] + t["rejected"], (name, t)
    for issue in doc["data_issues"]:
        assert MARK not in str(issue.get("value")), issue
    return code, err, doc


def _folder() -> Path:
    root = Path(tempfile.mkdtemp(prefix="fuzz-"))
    folder = root / "data"
    shutil.copytree(SMALL, folder)
    return folder


# --------------------------------------------------------------------------------------
# Random bytes


@fuzz(30)
@given(body=st.binary(max_size=600), table=st.sampled_from(["episodes.csv", "case_events.csv"]))
@example(body=b"\r".join([b"person_id,category,start_date"] * 3), table="episodes.csv")
@example(body=b"\xff\xfe" + "person_id,x\n".encode("utf-16-le")[:-1], table="episodes.csv")
@example(body=b"\xef\xbb\xbf\xef\xbb\xbf", table="case_events.csv")
@example(body=b'"' * 301, table="episodes.csv")
def test_random_bytes_as_a_table(body: bytes, table: str) -> None:
    folder = _folder()
    try:
        (folder / table).write_bytes(body)
        _check_run(folder)
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


@fuzz(20)
@given(prefix=st.binary(max_size=80), cut=st.integers(min_value=0, max_value=400))
def test_spoiled_real_file(prefix: bytes, cut: int) -> None:
    """A real episodes file with bytes in front and its end cut off."""
    folder = _folder()
    try:
        real = (folder / "episodes.csv").read_bytes()
        (folder / "episodes.csv").write_bytes(prefix + real[: max(len(real) - cut, 0)])
        _check_run(folder)
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


# --------------------------------------------------------------------------------------
# Generated CSVs: ragged rows, hostile text, personal values marked

cell = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x3000), max_size=12
    ),
    st.sampled_from(["C001", "C002", "CP", "CIN", "2024-01-01", "01/02/2024", ""]),
)


@st.composite
def episode_rows(draw: st.DrawFn) -> list[list[str]]:
    rows = []
    for i in range(draw(st.integers(min_value=0, max_value=12))):
        row = [
            draw(st.sampled_from(["C001", "C002", "C003", f"C9{i}", ""])),
            draw(st.sampled_from(["CP", "CIN", "CLA", "cp", "Child Protection", "X"])),
            draw(st.sampled_from(["2024-01-01", "01/01/2024", "2024-13-01", "", "45292"])),
            draw(st.sampled_from(["", "2024-03-01", "2023-01-01"])),
            draw(cell),
            draw(st.sampled_from(["W1", "W2", ""])),
            draw(st.sampled_from(["", "HIGH_RISK", "X;Y"])),
            f"{MARK} {draw(st.sampled_from(['Ann', 'Bo', '=1+1', '[/]']))}",
            f"{MARK}{draw(st.sampled_from(['01/01/2010', 'x']))}",
        ]
        # ragged: drop or add fields so the name shifts into other columns
        change = draw(st.integers(min_value=-3, max_value=2))
        if change < 0:
            del row[draw(st.integers(min_value=0, max_value=8)) :][:-change]
        else:
            row += [draw(cell) for _ in range(change)]
        rows.append(row)
    return rows


@fuzz(40)
@given(rows=episode_rows(), newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_generated_episodes(rows: list[list[str]], newline: str) -> None:
    folder = _folder()
    try:
        buf = io.StringIO()
        csv.writer(buf, lineterminator=newline).writerows([HEADER, *rows])
        (folder / "episodes.csv").write_text(buf.getvalue(), encoding="utf-8", newline="")
        _code, _err, doc = _check_run(folder)
        if doc is not None:
            # every non-blank row is read: none lost in silence
            expected = sum(1 for r in rows if any(c.strip() for c in r))
            assert doc["summary"]["tables"]["episodes"]["read"] == expected
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


@fuzz(15)
@given(rows=episode_rows(), key=st.just("k" * 32))
def test_generated_episodes_pseudonymised(rows: list[list[str]], key: str) -> None:
    folder = _folder()
    try:
        buf = io.StringIO()
        csv.writer(buf).writerows([HEADER, *rows])
        (folder / "episodes.csv").write_text(buf.getvalue(), encoding="utf-8")
        out = folder.parent / "previous.json"
        out.write_bytes(PREVIOUS)
        code, stdout, err = invoke(
            "audit",
            "--data",
            str(folder),
            *CHILDREN,
            "--format",
            "json",
            "--pseudonymise",
            env={"SUPERVISION_AUDIT_KEY": key},
        )
        assert code in (0, 2), err
        assert MARK not in err and MARK not in stdout
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


@fuzz(15)
@given(headers=st.lists(st.sampled_from([*HEADER, *HOSTILE, f"{MARK}x"]), max_size=12))
def test_generated_headers(headers: list[str]) -> None:
    """Any header row (missing, repeated, hostile or personal-looking headers)."""
    folder = _folder()
    try:
        buf = io.StringIO()
        csv.writer(buf).writerows([headers, [f"{MARK}{i}" for i in range(len(headers))]])
        (folder / "episodes.csv").write_text(buf.getvalue(), encoding="utf-8")
        _check_run(folder)
        code, _out, err = invoke("inspect", "--data", str(folder), "--format", "json")
        assert code in (0, 2), err
        assert "Traceback" not in err
        assert MARK not in err
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


# --------------------------------------------------------------------------------------
# Workbooks: mutated containers go through the contained reader


@pytest.fixture(scope="module")
def good_book(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("book")
    return workbook_from(SMALL, root / "data.xlsx").read_bytes()


@fuzz(10)
@given(
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=20000), st.integers(0, 255)), max_size=6
    ),
    cut=st.integers(min_value=0, max_value=3000),
)
def test_mutated_workbook(good_book: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    body = bytearray(good_book[: max(len(good_book) - cut, 0)])
    for pos, value in flips:
        if body:
            body[pos % len(body)] = value
    root = Path(tempfile.mkdtemp(prefix="fuzzbook-"))
    try:
        book = root / "data.xlsx"
        book.write_bytes(bytes(body))
        out = root / "previous.json"
        out.write_bytes(PREVIOUS)
        code, _stdout, err = invoke(
            "audit", "--data", str(book), *CHILDREN, "--format", "json", "--output", str(out)
        )
        assert code in (0, 2), err
        assert "Traceback" not in err and "internal error" not in err, err
        if code:
            assert out.read_bytes() == PREVIOUS
    finally:
        shutil.rmtree(root, ignore_errors=True)


@fuzz(6)
@given(
    sheet_xml=st.sampled_from(
        [
            b"<worksheet/>",
            b"",
            b"<",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet>&a;</worksheet>',
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
            b"</c></row></sheetData></worksheet>",
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="s"><v>99999</v></c></row></sheetData>'
            b"</worksheet>",
        ]
    )
)
def test_hostile_sheet_xml(good_book: bytes, sheet_xml: bytes) -> None:
    root = Path(tempfile.mkdtemp(prefix="fuzzxml-"))
    try:
        src = root / "src.xlsx"
        src.write_bytes(good_book)
        book = root / "data.xlsx"
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(book, "w") as zout:
            for info in zin.infolist():
                body = zin.read(info)
                if info.filename == "xl/worksheets/sheet2.xml":
                    body = sheet_xml
                zout.writestr(info, body)
        code, _stdout, err = invoke(
            "audit",
            "--data",
            str(book),
            *CHILDREN,
            "--format",
            "json",
            env={"SUPERVISION_AUDIT_READER_MEMORY": "1G"},
        )
        assert code in (0, 2), err
        assert "Traceback" not in err and "internal error" not in err, err
    finally:
        shutil.rmtree(root, ignore_errors=True)
