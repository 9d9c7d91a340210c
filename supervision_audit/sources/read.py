"""Reading export files as text: every cell a string, every row numbered as a spreadsheet
shows it (header = row 1, or the row a report title pushed it down to). CSV (UTF-8 with or
without BOM, UTF-16, Windows-1252: converted, never silently replaced) and xlsx sheets give
the same frame shape.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import inspect
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError
from .contained import check_workbook, read_sheets
from .fit import csv_misfits, sheet_misfits
from .headers import norm_header

ROW = "_row"


FILE_COL = "_file"


SRC_ROW = "_src_row"


MISFIT = "_misfit"
"""True for a row that does not fit its header (sources.fit: a CSV field missing or a value
past the last named column shifts values into the wrong columns, a name into flags). Such
a row is rejected with its values withheld, whatever the column."""


PROVENANCE = (ROW, FILE_COL, SRC_ROW, MISFIT)
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


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the start of a file is plainly UTF-16 text without a
    byte-order mark (every other byte NUL, as ASCII headers are), else None."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def decode_text(data: bytes, shown: str) -> bytes:
    """UTF-8 bytes for Polars: BOMs removed, UTF-16 (either byte order, with or without a
    BOM) and Windows-1252 converted, CR-only line endings made LF; never a silent
    replacement of undecodable bytes. A file mixing UTF-8 and Windows-1252 lines (two
    exports pasted together) is decoded line by line, each as what it is; a line that is
    neither is an input error naming the line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else None
        encoding = encoding or _utf16_without_bom(data) or "utf-16"
        try:
            data = data.decode(encoding).removeprefix("\ufeff").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-16 text (byte {exc.start})", file=shown) from None
        return _lf(data)
    try:
        data.decode("utf-8")
        return _lf(data)
    except UnicodeDecodeError:
        pass
    if not _UTF8_MULTIBYTE.search(data):  # no UTF-8 at all: Windows-1252 throughout
        try:
            return _lf(data.decode("cp1252").encode("utf-8"))
        except UnicodeDecodeError:
            pass  # the line-by-line reading below names the line
    out = []
    for number, line in enumerate(data.splitlines(keepends=True), 1):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                out.append(line.decode("cp1252"))
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"line {number}: cannot read the text encoding (not UTF-8, UTF-16 or "
                    f"Windows-1252; byte {exc.start + 1} of the line)",
                    file=shown,
                ) from None
    return _lf("".join(out).encode("utf-8"))


def _lf(data: bytes) -> bytes:
    """CR-only line endings (old Mac, some report writers) as LF; CRLF and LF untouched."""
    if b"\r" in data and b"\n" not in data:
        return data.replace(b"\r", b"\n")
    return data


def decode_head(data: bytes) -> str:
    """The start of a file as text, for recognising its header: whatever its encoding, and
    even when the chunk cuts a character or a UTF-16 code unit in two."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else None
        encoding = encoding or _utf16_without_bom(data) or "utf-16"
        return data[: len(data) // 2 * 2].decode(encoding, errors="replace").lstrip("\ufeff")
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


_SHORT_FIRST_ROW = (
    {"missing_columns": "insert"}
    if "missing_columns" in inspect.signature(pl.read_csv).parameters
    else {}
)
"""Polars takes the column count from the first row read: a first data row short of a field
would refuse the whole file, so missing columns are inserted (the row is a misfit)."""


def _polars_csv(source: Any, names: list[str], skip: int = 1) -> pl.DataFrame:
    return pl.read_csv(
        source,
        has_header=False,
        skip_rows=skip,
        new_columns=names,
        schema={n: pl.String for n in names},
        truncate_ragged_lines=True,
        infer_schema=False,
        **_SHORT_FIRST_ROW,  # type: ignore[arg-type]
    )


HEADER_SCAN = 30
"""Report exports put titles and run dates above the header: a reader given `header_at`
shows it the first 30 rows and reads the header from the row it picks."""


HeaderAt = Callable[[list[list[str]]], int]


def _top_rows(text: str, header_at: HeaderAt | None) -> tuple[int, list[str]]:
    """(index of the header row, its cells) among the first rows of `text`. Rows are CSV
    records ended by CR or LF only, as Polars counts them: a form feed, U+001E or U+2028 in
    a report title is text, not a line break (str.splitlines would split there and skip a
    data row)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    with contextlib.suppress(csv.Error):
        for row in reader:
            rows.append(row)
            if len(rows) >= (HEADER_SCAN if header_at else 1):
                break
    idx = header_at(rows) if header_at and rows else 0
    return idx, rows[idx] if rows else []


def _plain_path(path: Path) -> str | None:
    """The path as text Polars can open, or None when the file name is not valid UTF-8
    (such a file is read through Python instead)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return None
    return str(path)


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
    text: bytes | None = None
    plain_path = _plain_path(path)
    if (
        plain_path is not None
        and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
        and not _utf16_without_bom(head)
        and not (b"\r" in head and b"\n" not in head)
    ):
        body = head.removeprefix(b"\xef\xbb\xbf")
        if len(head) == 65536 and b"\n" in body:
            body = body[: body.rindex(b"\n")]  # a character may be cut at the end of the head
        try:
            idx, headers = _top_rows(body.decode("utf-8"), header_at)
            names = [f"c{i}" for i in range(len(headers))]
            frame = _polars_csv(plain_path, names, skip=idx + 1)
        except (UnicodeDecodeError, pl.exceptions.PolarsError):
            frame = None  # not plain UTF-8 (or not readable as such): the careful path below
    if frame is None:
        try:
            text = decode_text(path.read_bytes(), shown)
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", file=shown) from None
        idx, headers = _top_rows(text[:262144].decode("utf-8", errors="replace"), header_at)
        names = [f"c{i}" for i in range(len(headers))]
        try:
            frame = _polars_csv(io.BytesIO(text), names, skip=idx + 1)
        except pl.exceptions.PolarsError as exc:
            raise InputError(
                f"not a readable CSV file ({type(exc).__name__})", file=shown
            ) from None
    frame = frame.with_row_index(ROW, offset=idx + 2).with_columns(pl.col(ROW).cast(pl.Int64))
    misfit = csv_misfits(frame, ROW, text if text is not None else path, headers, idx + 1)
    frame = frame.with_columns(misfit.alias(MISFIT))
    return RawTable(shown, headers, frame, size, _sha256(path), header_line=idx + 1)


def shown_name(path: Path) -> str:
    """A file name fit to print: bytes that are not UTF-8 (a name from another system)
    shown as U+FFFD instead of crashing the terminal or the JSON."""
    return path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class InputWarning(UserWarning):
    """Something about the input the user must hear, though the run goes on (a hidden
    sheet left out). The CLI prints each as one 'warning:' line on standard error."""


def xlsx_sheets(path: Path) -> dict[str, str]:
    """lower-case sheet name -> sheet name, of the visible sheets, after checking the
    container (sources.contained). A hidden sheet is never read: each is named in a
    warning. Two visible sheets whose names differ only in case or outer spaces are an
    input error naming both (one would be chosen without a word)."""
    sheets = check_workbook(path)
    out: dict[str, str] = {}
    for sheet in sheets:
        key = sheet.name.strip().lower()
        if not sheet.visible:
            warnings.warn(
                InputWarning(
                    f"{path.name}: hidden sheet '{sheet.name}' not read (unhide it to use it)"
                ),
                stacklevel=2,
            )
            continue
        if key in out:
            raise InputError(
                f"sheets '{out[key]}' and '{sheet.name}' have the same name ignoring case and "
                "spaces: rename or delete one",
                file=str(path),
            )
        out[key] = sheet.name
    return out


_BOOKS: dict[tuple[str, int, int], dict[str, pl.DataFrame]] = {}


def _sheet_frame(path: Path, sheet: str) -> pl.DataFrame:
    """One sheet's cells as text, read in the contained reader; every visible sheet of a
    workbook is read in one go and kept for the next call (the last workbook only)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _BOOKS:
        names = list(xlsx_sheets(path).values())
        _BOOKS.clear()
        _BOOKS[key] = read_sheets(path, names)
    frames = _BOOKS[key]
    if sheet not in frames:
        raise InputError("no such visible sheet", file=f"{path.name}[{sheet}]")
    return frames[sheet]


def read_xlsx_raw(path: Path, sheet: str, header_at: HeaderAt | None = None) -> RawTable:
    shown = f"{path.name}[{sheet}]"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", file=shown) from None
    frame = _sheet_frame(path, sheet)
    if frame.height == 0 or frame.width == 0:
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
    frame = frame.with_columns(sheet_misfits(frame, rows[idx]).alias(MISFIT))
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


def csv_files(root: Path) -> list[Path]:
    """The CSV files of an export folder, sorted. Two whose names differ only in case
    (episodes.csv beside Episodes.csv) are an input error naming both: reading either
    would be a silent choice."""
    try:
        files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    except OSError as exc:
        raise InputError(f"cannot list the folder ({exc.strerror})", file=str(root)) from None
    seen: dict[str, Path] = {}
    for p in files:
        key = p.name.lower()
        if key in seen:
            raise InputError(
                f"'{shown_name(seen[key])}' and '{shown_name(p)}' differ only in case: "
                "keep one of them",
                file=str(root),
            )
        seen[key] = p
    return files


def read_inputs(root: Path, wanted: list[set[str]]) -> tuple[list[InputFile], bool]:
    """Every CSV file in the folder, or every sheet of the workbook, each with its header row
    found; and whether the input is a workbook (whose numbers may be Excel date serials)."""

    def header_at(rows: list[list[str]]) -> int:
        return _header_index(rows, wanted)

    if root.is_dir():
        files = csv_files(root)
        raws = [read_csv_raw(p, header_at, shown=shown_name(p)) for p in files]
        # an Annex A workbook beside CSV exports: every sheet of every workbook too
        books = sorted(
            p
            for p in root.iterdir()
            if p.is_file()
            and p.suffix.lower() in (".xlsx", ".xlsm")
            and not p.name.startswith("~$")
        )
        raws += [read_xlsx_raw(b, s, header_at) for b in books for s in xlsx_sheets(b).values()]
        workbook = bool(books)
    elif root.suffix.lower() in (".xlsx", ".xlsm"):
        raws = [read_xlsx_raw(root, s, header_at) for s in xlsx_sheets(root).values()]
        workbook = True
    else:
        raise InputError("expected a folder of CSV files or an .xlsx workbook", file=str(root))
    return [InputFile(raw, raw.header_line) for raw in raws], workbook
