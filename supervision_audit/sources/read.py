"""Reading export files as text: every cell a string, every row numbered as a spreadsheet
shows it (header = row 1, or the row a report title pushed it down to). CSV (UTF-8 with or
without BOM, UTF-16, Windows-1252: converted, never silently replaced) and xlsx sheets give
the same frame shape.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from .headers import norm_header

ROW = "_row"


FILE_COL = "_file"


SRC_ROW = "_src_row"


PROVENANCE = (ROW, FILE_COL, SRC_ROW)
"""Profile-mapped tables carry each row's own file and line (rows from several files are
concatenated, so _row is then only a unique key)."""


@dataclass
class RawTable:
    file: str
    headers: list[str]
    frame: pl.DataFrame  # one String column per header position (c0, c1, ...) + _row
    size_bytes: int
    sha256: str
    header_line: int = 1
    """1-based line (or sheet row) the header was read from."""


def decode_text(data: bytes, shown: str) -> bytes:
    """UTF-8 bytes for Polars: BOMs removed, UTF-16 and Windows-1252 converted, never a
    silent replacement of undecodable bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-16 text (byte {exc.start})", file=shown) from None
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot read the text encoding (not UTF-8, UTF-16 or Windows-1252; byte {exc.start})",
            file=shown,
        ) from None


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _polars_csv(source: Any, names: list[str], skip: int = 1) -> pl.DataFrame:
    return pl.read_csv(
        source,
        has_header=False,
        skip_rows=skip,
        new_columns=names,
        schema={n: pl.String for n in names},
        truncate_ragged_lines=True,
        infer_schema=False,
    )


HEADER_SCAN = 30
"""Report exports put titles and run dates above the header: a reader given `header_at`
shows it the first 30 rows and reads the header from the row it picks."""


HeaderAt = Callable[[list[list[str]]], int]


def _top_rows(text: str, header_at: HeaderAt | None) -> tuple[int, list[str]]:
    """(index of the header row, its cells) among the first rows of `text`."""
    lines = text.splitlines()[: HEADER_SCAN if header_at else 1]
    rows = list(csv.reader(lines))
    idx = header_at(rows) if header_at and rows else 0
    return idx, rows[idx] if rows else []


def read_csv_raw(
    path: Path, header_at: HeaderAt | None = None, shown: str | None = None
) -> RawTable:
    """Plain UTF-8 (with or without BOM) goes straight from the file to Polars, which refuses
    invalid UTF-8; anything else (UTF-16, Windows-1252) is converted first, never replaced.
    The header is the first row, or the row `header_at` picks among the first 30."""
    shown = shown or str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", file=shown) from None
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise InputError("the file is empty (no header row)", file=shown)
    frame = None
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = head.removeprefix(b"\xef\xbb\xbf")
        if len(head) == 65536 and b"\n" in body:
            body = body[: body.rindex(b"\n")]  # a character may be cut at the end of the head
        try:
            idx, headers = _top_rows(body.decode("utf-8"), header_at)
            names = [f"c{i}" for i in range(len(headers))]
            frame = _polars_csv(path, names, skip=idx + 1)
        except (UnicodeDecodeError, pl.exceptions.PolarsError):
            frame = None  # not plain UTF-8 (or not readable as such): the careful path below
    if frame is None:
        text = decode_text(path.read_bytes(), shown)
        idx, headers = _top_rows(text[:262144].decode("utf-8", errors="replace"), header_at)
        names = [f"c{i}" for i in range(len(headers))]
        try:
            frame = _polars_csv(io.BytesIO(text), names, skip=idx + 1)
        except pl.exceptions.PolarsError as exc:
            raise InputError(
                f"not a readable CSV file ({type(exc).__name__})", file=shown
            ) from None
    frame = frame.with_row_index(ROW, offset=idx + 2).with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(shown, headers, frame, size, _sha256(path), header_line=idx + 1)


def xlsx_sheets(path: Path) -> dict[str, str]:
    """lower-case sheet name -> sheet name."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own types for corrupt/encrypted files
        raise InputError(f"cannot open the workbook ({_reason(exc)})", file=str(path)) from None
    return {name.strip().lower(): name for name in reader.sheet_names}


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "password" in text or "encrypt" in text or "cfb" in text:
        return "it is password-protected or encrypted"
    return "it is not a valid .xlsx file"


def read_xlsx_raw(path: Path, sheet: str, header_at: HeaderAt | None = None) -> RawTable:
    import fastexcel

    shown = f"{path.name}[{sheet}]"
    data = path.read_bytes()
    try:
        reader = fastexcel.read_excel(str(path))
        loaded = reader.load_sheet_by_name(sheet, header_row=None, dtypes="string")
        frame = loaded.to_polars()
    except Exception as exc:
        raise InputError(f"cannot read the sheet ({_reason(exc)})", file=shown) from None
    if frame.height == 0:
        raise InputError("the sheet is empty (no header row)", file=shown)
    names = [f"c{i}" for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    top = frame.head(HEADER_SCAN if header_at else 1).cast(pl.String).rows()
    rows = [["" if v is None else str(v) for v in row] for row in top]
    idx = header_at(rows) if header_at else 0
    frame = (
        frame.slice(idx + 1)
        .with_row_index(ROW, offset=idx + 2)
        .with_columns(pl.col(ROW).cast(pl.Int64))
        .with_columns(pl.col(n).cast(pl.String) for n in names)
    )
    return RawTable(
        shown, rows[idx], frame, len(data), hashlib.sha256(data).hexdigest(), header_line=idx + 1
    )


# ---------------------------------------------------------------------------------------
# Reading any export: every CSV in a folder or every sheet of a workbook, header row found


@dataclass
class InputFile:
    raw: RawTable
    header_line: int
    """1-based line (or sheet row) of the header."""


def _header_index(rows: list[list[str]], wanted: list[set[str]]) -> int:
    """The first row that holds all the headers of some source (else the first row)."""
    for i, row in enumerate(rows):
        keys = {norm_header(c) for c in row if c and c.strip()}
        if any(w <= keys for w in wanted):
            return i
    return 0


def read_inputs(root: Path, wanted: list[set[str]]) -> tuple[list[InputFile], bool]:
    """Every CSV file in the folder, or every sheet of the workbook, each with its header row
    found; and whether the input is a workbook (whose numbers may be Excel date serials)."""

    def header_at(rows: list[list[str]]) -> int:
        return _header_index(rows, wanted)

    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        raws = [read_csv_raw(p, header_at, shown=p.name) for p in files]
        workbook = False
    elif root.suffix.lower() in (".xlsx", ".xlsm"):
        raws = [read_xlsx_raw(root, s, header_at) for s in xlsx_sheets(root).values()]
        workbook = True
    else:
        raise InputError("expected a folder of CSV files or an .xlsx workbook", file=str(root))
    return [InputFile(raw, raw.header_line) for raw in raws], workbook
