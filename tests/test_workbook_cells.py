"""The workbook's cells hold exactly the text they were given, whatever it looks like: no
text becomes a formula, markup, a rich-text run or another cell, and formula-like text gets
Excel's quote prefix. Checked through both cell writers (the streamed rows of a table, and
single cells), read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
from openpyxl import load_workbook

from supervision_audit.report import workbook as wbmod

RICH = (
    '<r><t>x</t></r></is></c><c r="B1"><f>HYPERLINK("http://x","y")</f></c>'
    '<c r="C1" t="inlineStr"><is><r><t>y</t></r>'
)
TEXTS = [
    RICH,
    "<r>short</r>",
    "=1+1",
    "+1",
    "@SUM(A1)",
    "-2",
    "{=SUM(A1)}",
    "#N/A",
    "＝1+1",
    "_x0041_ stays as typed",
    "a & b < c > d \" ' quotes",
    "  leading and trailing  ",
    "line one\nline two\r\nthree\tTab",
    "Zoë “curly” ✓ 😀",
    "ends in </is></c>",
    "]]><![CDATA[",
    "",
]


def _excel(value: object) -> object:
    """A value as Excel shows it: openpyxl leaves the _xHHHH_ escapes of inline strings
    (a control character, or an escaped literal _xHHHH_) as they are in the file."""
    if not isinstance(value, str):
        return value
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def _book(tmp_path: Path, frame: pl.DataFrame) -> Path:
    n = frame.height
    path = tmp_path / "cells.xlsx"
    with wbmod.open_book(path) as book:
        sheet = wbmod.Sheet(book, "Rows", dt.date(2026, 10, 31))
        sheet.header(frame.columns)
        wbmod._write_rows(
            sheet,
            frame,
            frame.columns,
            null_text={
                "when": "never",
                "n": pl.Series(["no n" if i % 2 else None for i in range(n)], dtype=pl.String),
            },
            heights=pl.Series([30.0 if i % 3 == 0 else None for i in range(n)], dtype=pl.Float64),
        )
        single = wbmod.Sheet(book, "Cells", dt.date(2026, 10, 31))
        for text in TEXTS:
            single.append([text, wbmod.Cell(text, {"bold": True})])
        wbmod._merged_text(single, "Merged", RICH, 3, 40)
    return path


def test_every_text_comes_back_exactly_and_never_as_a_formula(tmp_path: Path) -> None:
    n = len(TEXTS)
    frame = pl.DataFrame(
        {
            "text": TEXTS,
            "cat": pl.Series(TEXTS, dtype=pl.Categorical),
            "when": [dt.date(2026, 1, 1 + i) if i % 2 else None for i in range(n)],
            "n": [i if i % 2 == 0 else None for i in range(n)],
            "pct": [i / 3 for i in range(n)],
            "flag": [i % 2 == 0 for i in range(n)],
        }
    )
    path = _book(tmp_path, frame)
    wb = load_workbook(path)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    rows = wb["Rows"]
    assert rows.max_row == n + 1 and rows.max_column == 6
    for i, text in enumerate(TEXTS, start=2):
        for col in (1, 2):
            cell = rows.cell(i, col)
            assert (_excel(cell.value) or "") == text, (i, col, cell.value)
            if text and wbmod.danger(text):
                assert cell.quotePrefix, text
        when = rows.cell(i, 3).value
        assert when == (dt.datetime(2026, 1, i - 1) if (i - 2) % 2 else "never")
        assert rows.cell(i, 4).value == ((i - 2) if (i - 2) % 2 == 0 else "no n")
        assert abs(rows.cell(i, 5).value - (i - 2) / 3) < 1e-12
        assert rows.cell(i, 6).value is ((i - 2) % 2 == 0)
        assert rows.cell(i, 3).number_format == wbmod.DATE_FORMAT or when == "never"
    assert rows.row_dimensions[2].height == 30.0
    single = wb["Cells"]
    got = [_excel(single.cell(i, 1).value) or "" for i in range(1, len(TEXTS) + 1)]
    assert got == TEXTS
    assert [_excel(single.cell(i, 2).value) or "" for i in range(1, len(TEXTS) + 1)] == got
    assert single.cell(len(TEXTS) + 1, 2).value == RICH
    # nothing but the written cells: the crafted text added no cell of its own
    assert single.max_column <= 4


def test_rows_past_one_chunk_stay_in_order(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(wbmod, "XML_CHUNK", 7)
    frame = pl.DataFrame({"id": [f"C{i:03}" for i in range(50)], "n": list(range(50))})
    path = tmp_path / "rows.xlsx"
    with wbmod.open_book(path) as book:
        sheet = wbmod.Sheet(book, "Rows", dt.date(2026, 10, 31))
        sheet.append(["title"])
        sheet.header(["id", "n"])
        wbmod._write_rows(sheet, frame, ["id", "n"])
        sheet.append(["after the table"])
    ws = load_workbook(path)["Rows"]
    assert ws.cell(1, 1).value == "title" and ws.cell(2, 1).value == "id"
    assert [ws.cell(r, 1).value for r in range(3, 53)] == frame["id"].to_list()
    assert [ws.cell(r, 2).value for r in range(3, 53)] == list(range(50))
    assert ws.cell(53, 1).value == "after the table"
