"""Reading untrusted workbooks without letting them take the process down.

A workbook is a zip of XML parts read by a native (Rust) reader, calamine via fastexcel. A
crafted file can make that reader allocate without bound (one cell at XFD1048576 asks for
a 16,384 x 1,048,576 grid: 512 GiB), or panic (a ``PanicException`` is a BaseException,
so it passes every ``except Exception``), or abort the whole process. Two defences:

1. The container is checked in Python before any native code sees it (`check_workbook`):
   it must be a zip (an OLE2 compound file is an old ``.xls`` or an encrypted workbook);
   at most MAX_PARTS parts; each part and the whole at most MAX_PART_BYTES /
   MAX_TOTAL_BYTES uncompressed (as the zip declares them, and the zip reader stops at
   the declared size); each sheet's declared dimension (``<dimension ref="A1:XFD1048576"/>``)
   at most MAX_CELLS cells. The sheet list and which sheets are hidden come from
   ``xl/workbook.xml`` read with defusedxml (no entity expansion).
2. The sheets are read in a child process (`read_sheets`) whose memory is capped at
   READER_MEMORY bytes (``SUPERVISION_AUDIT_READER_MEMORY``, e.g. ``2G``) two ways: on
   POSIX its address space is limited by setrlimit before it starts, so an allocation
   past the cap fails in the child; and on every system (Windows has no setrlimit) a
   watchdog in the parent polls the child's resident memory with psutil every
   WATCH_SECONDS and ends it once it is over the cap. A panic, an allocation failure, an
   abort or the watchdog ending the child is an input error naming the file, one line;
   the parent never runs the native reader itself. The child writes each sheet as Arrow
   IPC into a private temporary folder (mode 0700) that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import InputError

MAX_PARTS = 10_000
MAX_PART_BYTES = 2 * 1024**3
"""A sheet of a million rows by 20 columns is about 1 GiB of XML; twice that is refused."""
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_CELLS = 200_000_000
"""Declared rows x columns of one sheet (Excel's own maximum is 17 billion)."""
READER_MEMORY = 8 * 1024**3
"""Default address-space cap of the reading process (override: SUPERVISION_AUDIT_READER_MEMORY)."""
READER_TIMEOUT = 3600
WATCH_SECONDS = 0.05
"""How often the watchdog reads the child's memory (at 2 GiB a second of growth, it ends
the child within about 100 MiB of the cap)."""
USE_SETRLIMIT = os.name == "posix"
"""Cap the child's address space with setrlimit too (POSIX); the watchdog runs anyway."""
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\""
)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class Sheet:
    name: str
    visible: bool
    part: str | None
    """The sheet's XML part in the zip (None if the workbook does not say)."""


def reader_memory() -> int:
    """The child's address-space cap in bytes: SUPERVISION_AUDIT_READER_MEMORY (a number of
    bytes, or with K, M or G), else READER_MEMORY."""
    text = os.environ.get("SUPERVISION_AUDIT_READER_MEMORY", "").strip().upper()
    if not text:
        return READER_MEMORY
    m = re.fullmatch(r"(\d{1,6})\s*([KMG]?)I?B?", text)
    if not m:
        from ..errors import UsageError

        raise UsageError(
            f"SUPERVISION_AUDIT_READER_MEMORY must be a size such as 4G or 512M (got '{text[:20]}')"
        )
    return int(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2)]


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _declared_cells(head: bytes) -> int | None:
    """Rows x columns of the first <dimension> in the start of a sheet's XML."""
    m = _DIMENSION.search(head)
    if not m:
        return None
    c1, r1, c2, r2 = (g.decode() if g else None for g in m.groups())
    if c2 is None or r2 is None:
        return 1
    cols = _column_number(c2) - (_column_number(c1) if c1 else 1) + 1
    rows = int(r2) - (int(r1) if r1 else 1) + 1
    return max(cols, 1) * max(rows, 1)


def _too_big(what: str, shown: str) -> InputError:
    return InputError(
        f"the workbook is too large to read safely ({what}); save the sheets as CSV", file=shown
    )


def check_workbook(path: Path, shown: str | None = None) -> list[Sheet]:
    """The workbook's sheets, after checking its container (see the module docstring);
    every refusal is an InputError naming the file."""
    shown = shown or str(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", file=shown) from None
    if magic.startswith(OLE2):
        raise InputError(
            "cannot open the workbook (it is password-protected or encrypted, or an old .xls "
            "saved under a new name; open it in Excel and save it as .xlsx without a password)",
            file=shown,
        )
    if not magic.startswith(ZIP):
        raise InputError("cannot open the workbook (it is not a valid .xlsx file)", file=shown)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_PARTS:
                raise _too_big(f"{len(infos)} parts", shown)
            total = 0
            for info in infos:
                if info.file_size > MAX_PART_BYTES:
                    raise _too_big(f"a part of {info.file_size:,} bytes", shown)
                total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise _too_big(f"{total:,} bytes uncompressed", shown)
            sheets = _sheets(zf, shown)
            names = set(zf.namelist())
            for sheet in sheets:
                if sheet.part is None or sheet.part not in names:
                    continue
                with zf.open(sheet.part) as fh:
                    head = fh.read(4096)
                cells = _declared_cells(head)
                if cells is not None and cells > MAX_CELLS:
                    raise _too_big(f"sheet '{sheet.name}' declares {cells:,} cells", shown)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError):
        raise InputError(
            "cannot open the workbook (it is not a valid .xlsx file)", file=shown
        ) from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: an encrypted zip member
        raise InputError(
            f"cannot open the workbook ({type(exc).__name__}: it is damaged or encrypted)",
            file=shown,
        ) from None
    return sheets


def _sheets(zf: zipfile.ZipFile, shown: str) -> list[Sheet]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        with zf.open("xl/workbook.xml") as fh:
            book = ElementTree.fromstring(fh.read(MAX_PART_BYTES))
        rels: dict[str, str] = {}
        with contextlib.suppress(KeyError), zf.open("xl/_rels/workbook.xml.rels") as fh:
            for rel in ElementTree.fromstring(fh.read(MAX_PART_BYTES)):
                target = rel.get("Target") or ""
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                rels[rel.get("Id") or ""] = os.path.normpath(target).replace(os.sep, "/")
    except KeyError:
        raise InputError(
            "cannot open the workbook (it is not a valid .xlsx file: no xl/workbook.xml)",
            file=shown,
        ) from None
    except (DefusedXmlException, ElementTree.ParseError):
        raise InputError(
            "cannot open the workbook (its workbook.xml is not safe, well-formed XML)", file=shown
        ) from None
    out = []
    for el in book.iter(f"{{{_MAIN_NS}}}sheet"):
        name = el.get("name") or ""
        state = (el.get("state") or "visible").lower()
        rid = el.get(f"{{{_REL_NS}}}id")
        out.append(Sheet(name, state == "visible", rels.get(rid or "")))
    return out


# ---------------------------------------------------------------------------------------
# The contained read


def _limit_memory(limit: int) -> None:  # pragma: no cover - runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def private_tempdir(prefix: str = "supervision-audit-") -> str:
    """A temporary folder only this user can read (mkdtemp makes it 0700)."""
    return tempfile.mkdtemp(prefix=prefix)


def _size(n: int) -> str:
    return f"{n / 1024**3:g} GiB" if n >= 1024**3 else f"{n / 1024**2:g} MiB"


def _watch(proc: subprocess.Popen, limit: int, timeout: float) -> str | None:
    """Wait for the child, ending it when its resident memory passes `limit` ('memory') or
    it runs past `timeout` seconds ('timeout'); None when it ended by itself."""
    try:
        import psutil

        watched: Any = psutil.Process(proc.pid)
        gone: tuple[type[BaseException], ...] = (psutil.Error,)
    except (ImportError, OSError):  # no psutil, or the child already gone: setrlimit only
        watched, gone = None, ()
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(timeout=WATCH_SECONDS)
            return None
        except subprocess.TimeoutExpired:
            pass
        over = None
        if time.monotonic() > deadline:
            over = "timeout"
        elif watched is not None:
            try:
                if watched.memory_info().rss > limit:
                    over = "memory"
            except gone:
                pass  # it is ending: the next wait sees it
        if over is not None:
            proc.kill()
            proc.wait()
            return over


def read_sheets(path: Path, sheets: list[str], shown: str | None = None) -> dict[str, pl.DataFrame]:
    """Each named sheet as a frame of String columns (no header row), read by fastexcel in a
    child process with a memory cap (setrlimit where there is one, and the watchdog). Any
    failure of the child is an InputError naming the file; nothing from the file's content
    reaches the message."""
    shown = shown or str(path)
    if not sheets:
        return {}
    tmp = private_tempdir()
    try:
        cmd = [sys.executable, "-m", __name__, str(path), tmp, *sheets]
        limit = reader_memory()
        kwargs: dict = {}
        if USE_SETRLIMIT:
            kwargs["preexec_fn"] = lambda: _limit_memory(limit)
        env = dict(os.environ)
        env["POLARS_MAX_THREADS"] = os.environ.get("POLARS_MAX_THREADS", "2")
        errors = Path(tmp) / "stderr.txt"
        with open(errors, "wb") as err_fh:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_fh,
                env=env, **kwargs,
            )  # fmt: skip
            try:
                over = _watch(proc, limit, READER_TIMEOUT)
            except BaseException:  # Ctrl-C, SIGTERM: the child goes too
                with contextlib.suppress(OSError):
                    proc.kill()
                proc.wait()
                raise
        if over == "timeout":
            raise InputError(f"the workbook reader gave up after {READER_TIMEOUT} s", file=shown)
        if over == "memory":
            raise InputError(
                f"the workbook reader was stopped: it needed more than its {_size(limit)} "
                "memory cap (the file is damaged, crafted or too large to read this way); "
                "open it in Excel and save it again, or save the sheets as CSV",
                file=shown,
            )
        if proc.returncode == 2:
            reason = errors.read_bytes().decode("utf-8", errors="replace").strip().splitlines()
            raise InputError(
                f"cannot read the workbook ({reason[-1] if reason else 'unknown reason'})",
                file=shown,
            )
        if proc.returncode != 0:
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"code {proc.returncode}"
            raise InputError(
                "the workbook reader crashed on this file (it is damaged, crafted, or needs more "
                f"than the reader's {_size(limit)} memory cap; {how}); "
                "open it in Excel and save it again, or save the sheets as CSV",
                file=shown,
            )
        out = {}
        for i, name in enumerate(sheets):
            out[name] = pl.read_ipc(Path(tmp) / f"{i}.arrow")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _child(argv: list[str]) -> int:  # pragma: no cover - exercised through read_sheets
    """python -m supervision_audit.sources.contained WORKBOOK OUTDIR SHEET...: exit 0 with
    one OUTDIR/<i>.arrow per sheet, 2 with one line (the kind of failure, no cell text)."""
    path, outdir, *names = argv
    try:
        import fastexcel

        reader = fastexcel.read_excel(path)
        for i, name in enumerate(names):
            sheet = reader.load_sheet_by_name(name, header_row=None, dtypes="string")
            frame = sheet.to_polars()
            frame = frame.select(pl.all().cast(pl.String))
            frame.write_ipc(Path(outdir) / f"{i}.arrow")
    except MemoryError:
        print("it needs more memory than the reader is allowed", file=sys.stderr)
        return 2
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        text = str(exc).lower()
        if "password" in text or "encrypt" in text or "cfb" in text:
            print("it is password-protected or encrypted", file=sys.stderr)
        else:
            print(f"it is not a valid .xlsx file: {type(exc).__name__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child(sys.argv[1:]))
