"""Rows that do not fit their header: a CSV record with a field missing (every later value
shifts one column left: a name into flags, a birth date into the name) or with a value past
the header's last named column (values shifted right), or a sheet row with a value in a
column that has no header. Such a row is never used and none of its values is shown: the
loader rejects it with one data issue whose value is withheld (sources.parse).

Extra empty fields (a trailing comma on every line) shift nothing and fit.

CSV files of any size are checked in blocks of BLOCK_BYTES, so memory stays bounded, with
Polars string expressions (no Python loop over rows): records are told from lines by the
parity of their quotes (a quoted field may hold line breaks), and a quoted field counts as
one value whatever commas it holds. The records found must match the rows Polars read; when
they do not (quoting the two read differently), Python's csv module counts the fields
instead, and if even that does not match, no row can be trusted to fit: every row is a
misfit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

BLOCK_BYTES = 16 * 1024**2
"""CSV text is checked this many bytes at a time (cut at a line break)."""

QUOTED = r'"[^"]*"'
"""A quoted piece. An escaped quote ("a""b") splits a field into two pieces with no comma
between them, so replacing each piece by one letter keeps the field count exact (and a
regular expression without alternation is about half as slow)."""


def named_width(headers: list[str]) -> int:
    """Columns up to the header's last named one (blank headers after it do not count)."""
    named = [i for i, h in enumerate(headers) if str(h or "").strip()]
    return named[-1] + 1 if named else 0


def _blocks(source: Path | bytes) -> Iterator[bytes]:
    """The text in blocks of about BLOCK_BYTES, each ending at a line break (the last one
    wherever the text ends); a UTF-8 BOM at the start is left out."""
    if isinstance(source, bytes):
        start, size = (3 if source.startswith(b"\xef\xbb\xbf") else 0), len(source)
        while start < size:
            end = source.find(b"\n", min(start + BLOCK_BYTES, size) - 1)
            end = size if end == -1 else end + 1
            yield source[start:end]
            start = end
        return
    with open(source, "rb") as fh:
        rest = fh.read(3).removeprefix(b"\xef\xbb\xbf")
        while chunk := fh.read(BLOCK_BYTES):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut:
                yield data[:cut]
            rest = data[cut:]
        if rest:
            yield rest


def _misfits(records: pl.Series, width: int) -> pl.Series:
    """The positions (0-based) of the records (their text) whose fields do not fit `width`
    named columns: fewer fields, or a value in a field past the last named column. Commas
    are counted on every record; only the few that hold a quote or a count other than
    `width` are looked at closer."""
    t = pl.col("t")
    frame = pl.DataFrame({"t": records}).with_row_index("i")
    rough = t.str.count_matches(",", literal=True) + 1
    closer = frame.filter((rough != width) | t.str.contains('"', literal=True))
    bad = pl.Series("i", [], dtype=pl.UInt32)
    if closer.height:
        closer = (
            closer.with_columns(t=t.str.replace_all(QUOTED, "Q"))
            .with_columns(n=t.str.count_matches(",", literal=True) + 1)
            .filter(pl.col("n") != width)
        )
        beyond = t.str.split(",").list.slice(width).list.eval(pl.element().str.strip_chars() != "")
        short = closer.filter(pl.col("n") < width).filter(
            t.str.replace_all(r'[\s,"]', "").str.len_bytes() > 0  # a blank line is no row
        )
        long = closer.filter(pl.col("n") > width).filter(beyond.list.any())
        bad = pl.concat([short["i"], long["i"]])
    return bad.sort()


def _lines(block: bytes) -> pl.Series:
    """The lines of a block (a final line break ends the last line, it does not start
    another), a carriage return before a line break left out. Read by Polars as a one-column
    CSV with no quoting, split on a byte the block does not hold: ten times faster than
    splitting the text in Python."""
    body = block[:-1] if block.endswith(b"\n") else block
    separator = next((chr(b) for b in range(1, 32) if bytes([b]) not in body and b != 10), None)
    if separator is None or not body:
        text = body.decode("utf-8", errors="replace")
        return pl.Series("l", [line.removesuffix("\r") for line in text.split("\n")])
    return (
        pl.read_csv(
            io.BytesIO(body + b"\n"),
            has_header=False,
            separator=separator,
            quote_char=None,
            new_columns=["l"],
            schema={"l": pl.String},
            encoding="utf8-lossy",
        )
        .get_column("l")
        .fill_null("")
    )


def _scan(source: Path | bytes, width: int) -> tuple[list[int], int]:
    """(the 1-based record numbers that do not fit, the number of records) of CSV text."""
    misfits: list[int] = []
    before = 0  # records in the blocks already checked
    carry = b""  # the lines of a record that continues into the next block
    blocks = _blocks(source)
    block = next(blocks, None)
    while block is not None:
        following = next(blocks, None)
        lines = _lines(carry + block)
        ends = (lines.str.count_matches('"', literal=True).cum_sum() % 2) == 0
        carry = b""
        if following is not None and lines.len() and not ends[-1]:
            done = int(ends.arg_true()[-1]) + 1 if ends.any() else 0
            carry = ("\n".join(lines.slice(done).to_list()) + "\n").encode("utf-8")
            lines, ends = lines.slice(0, done), ends.slice(0, done)
        if lines.len():
            records = lines
            if not ends.all():  # a quoted field spans lines: one record of several lines
                # a record's lines share the count of record ends before them
                before_end = ends.cast(pl.Int64).cum_sum() - ends.cast(pl.Int64)
                records = (
                    pl.DataFrame({"r": before_end, "l": lines})
                    .group_by("r", maintain_order=True)
                    .agg(pl.col("l").str.join("\n"))
                    .get_column("l")
                )
            bad = _misfits(records, width)
            misfits += (bad.cast(pl.Int64) + 1 + before).to_list()
            before += records.len()
        block = following
    return misfits, before


def _scan_exact(source: Path | bytes, width: int) -> tuple[list[int], int]:
    """The same with Python's csv module (a loop, so only where the fast count and Polars
    disagree on where records end)."""
    if isinstance(source, bytes):
        handle: io.TextIOBase = io.StringIO(
            source.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace"), newline=""
        )
    else:
        handle = open(source, encoding="utf-8-sig", errors="replace", newline="")  # noqa: SIM115
    misfits: list[int] = []
    count = 0
    with handle:
        try:
            for count, row in enumerate(csv.reader(handle), 1):
                short = len(row) < width and any(c.strip() for c in row)
                if short or any(c.strip() for c in row[width:]):
                    misfits.append(count)
        except csv.Error:
            return [], -1
    return misfits, count


def csv_misfits(
    frame: pl.DataFrame, row_col: str, source: Path | bytes, headers: list[str], header_row: int
) -> pl.Expr:
    """A boolean expression, per row of `frame` (numbered in `row_col` as a spreadsheet
    shows it: record k is row k), true where the row does not fit the header. `source` is
    the file, or its text as UTF-8 bytes when it had to be converted; `header_row` is the
    header's 1-based record number (title rows above it are not checked)."""
    width = max(named_width(headers), 1)
    expected = frame.height + header_row
    for scan in (_scan, _scan_exact):
        misfits, records = scan(source, width)
        if records == expected:
            bad = pl.Series([m for m in misfits if m > header_row], dtype=pl.Int64)
            return pl.col(row_col).is_in(bad.implode())
    return pl.lit(True)  # the rows cannot be matched to records: none can be trusted


def sheet_misfits(frame: pl.DataFrame, headers: list[str]) -> pl.Expr:
    """True for a sheet row with a value in a column past the header's last named one."""
    width = named_width(headers)
    beyond = [f"c{i}" for i in range(width, len(frame.columns)) if f"c{i}" in frame.columns]
    if not beyond:
        return pl.lit(False)
    return pl.any_horizontal(
        [
            pl.col(c).is_not_null() & (pl.col(c).cast(pl.String).str.strip_chars() != "")
            for c in beyond
        ]
    ).fill_null(False)
