"""Issue 15: an untrusted workbook cannot take the process down or exhaust memory.

The container is checked before any native code reads it (signature, parts, uncompressed
sizes, declared dimensions), and the sheets are read in a child process with a memory cap,
so a panic, an abort or an allocation failure in the Rust reader is an input error naming
the file. In a batch, an audit whose worker dies fails alone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import pytest
from hostile_kit import CHILDREN, invoke, one_line_error, small, workbook_from

OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")


def _far_cell(tmp_path: Path, *, keep_dimension: bool) -> Path:
    """The small authority as a workbook with one more cell at XFD1048576: the Rust reader
    would allocate a 16,384 x 1,048,576 grid (512 GiB)."""
    import openpyxl

    plain = workbook_from(small(tmp_path, "src"), tmp_path / "plain.xlsx")
    wb = openpyxl.load_workbook(plain)
    wb["episodes"]["XFD1048576"] = "x"
    path = tmp_path / ("far.xlsx" if keep_dimension else "far_nodim.xlsx")
    wb.save(path)
    if not keep_dimension:
        tmp = path.with_suffix(".tmp")
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                body = src.read(info)
                if info.filename.startswith("xl/worksheets/"):
                    body = re.sub(rb"<dimension[^>]*/>", b"", body)
                dst.writestr(info, body)
        tmp.replace(path)
    return path


@pytest.fixture
def capped_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small cap so that the crash comes quickly and never strains the machine."""
    monkeypatch.setenv("SUPERVISION_AUDIT_READER_MEMORY", "1G")


def _audit(book: Path) -> tuple[int, str, str]:
    return invoke("audit", "--data", str(book), *CHILDREN, "--format", "json")


@pytest.mark.parametrize(
    "body",
    [
        OLE2 + b"\x00" * 504 + b"\xff" * 4096,  # an old .xls (or encrypted xlsx) renamed
        OLE2 + b"\x00" * 20,  # a truncated encrypted workbook
        b"PK\x03\x04" + b"\x00" * 100,  # a broken zip
        b"",  # empty
        b"person_id,category\nC1,CP\n",  # a CSV renamed .xlsx
        b"\x00" * 4096,
    ],
    ids=["ole2", "truncated-ole2", "broken-zip", "empty", "csv", "zeros"],
)
def test_not_a_workbook(tmp_path: Path, body: bytes) -> None:
    book = tmp_path / "data.xlsx"
    book.write_bytes(body)
    for source in ("canonical", "auto"):
        code, _out, err = invoke("audit", "--data", str(book), *CHILDREN, "--source", source)
        assert "data.xlsx" in one_line_error(code, err)


def test_declared_dimension_too_large(tmp_path: Path) -> None:
    book = _far_cell(tmp_path, keep_dimension=True)
    code, _out, err = _audit(book)
    line = one_line_error(code, err)
    assert "far.xlsx" in line and "too large" in line


def test_a_reader_crash_is_an_input_error_naming_the_file(
    tmp_path: Path, capped_reader: None
) -> None:
    """No declared dimension: the container check passes and the reader itself runs out
    of its memory cap (the native abort happens in the child, not here)."""
    book = _far_cell(tmp_path, keep_dimension=False)
    for source in ("canonical", "auto"):
        code, _out, err = invoke("audit", "--data", str(book), *CHILDREN, "--source", source)
        line = one_line_error(code, err)
        assert "far_nodim.xlsx" in line and "reader" in line


def test_the_watchdog_caps_the_reader_where_setrlimit_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no setrlimit: the parent's watchdog reads the child's memory and ends it
    over the cap. Here (Linux) setrlimit is switched off, so only the watchdog can stop
    it: with a 32 MiB cap (the reader needs more just to start), a valid workbook is ended
    by the watchdog: one line, exit 2, naming the file and the cap; with the default cap
    it reads."""
    from supervision_audit.sources import contained

    monkeypatch.setattr(contained, "USE_SETRLIMIT", False)
    monkeypatch.setattr(contained, "_limit_memory", None)  # never called: it would fail
    book = workbook_from(small(tmp_path), tmp_path / "book.xlsx")
    monkeypatch.setenv("SUPERVISION_AUDIT_READER_MEMORY", "32M")
    code, _out, err = _audit(book)
    line = one_line_error(code, err)
    assert "book.xlsx" in line and "was stopped" in line and "32 MiB memory cap" in line
    assert not list(tmp_path.glob("**/*.arrow"))
    monkeypatch.delenv("SUPERVISION_AUDIT_READER_MEMORY")
    code, out, err = _audit(book)
    assert code == 0, err
    assert json.loads(out)["summary"]["tables"]["episodes"]["read"] == 6


def test_the_watchdog_alone_contains_the_far_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capped_reader: None
) -> None:
    """The 512 GiB grid with only the watchdog: however the system answers the allocation
    (refused at once, or granted lazily and ended by the watchdog at 1 GiB), one line."""
    from supervision_audit.sources import contained

    monkeypatch.setattr(contained, "USE_SETRLIMIT", False)
    book = _far_cell(tmp_path, keep_dimension=False)
    code, _out, err = _audit(book)
    line = one_line_error(code, err)
    assert "far_nodim.xlsx" in line and "1 GiB memory cap" in line


def test_inspect_contains_the_crash_too(tmp_path: Path, capped_reader: None) -> None:
    book = _far_cell(tmp_path, keep_dimension=False)
    code, _out, err = invoke("inspect", "--data", str(book))
    assert "far_nodim.xlsx" in one_line_error(code, err)


def test_container_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts and uncompressed sizes are checked against the documented caps (lowered here
    so the test needs no gigabytes)."""
    from supervision_audit.sources import contained

    book = workbook_from(small(tmp_path), tmp_path / "data.xlsx")
    code, _out, err = _audit(book)
    assert code == 0, err
    for cap, value in (("MAX_PART_BYTES", 100), ("MAX_TOTAL_BYTES", 1000), ("MAX_PARTS", 3)):
        with monkeypatch.context() as m:
            m.setattr(contained, cap, value)
            code, _out, err = _audit(book)
            assert "too large" in one_line_error(code, err)


def test_a_workbook_with_entities_is_refused(tmp_path: Path) -> None:
    book = workbook_from(small(tmp_path), tmp_path / "data.xlsx")
    tmp = tmp_path / "bomb.xlsx"
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/workbook.xml":
                body = bomb + body.split(b"?>", 1)[-1]
            dst.writestr(info, body)
    code, _out, err = _audit(tmp)
    assert "bomb.xlsx" in one_line_error(code, err)


def test_a_panic_in_the_reader_is_caught_at_the_boundary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    """fastexcel's PanicException derives from BaseException, not Exception: the child's
    boundary catches every BaseException but KeyboardInterrupt and SystemExit."""
    import fastexcel

    from supervision_audit.sources import contained

    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panic(*_a, **_k):
        raise PanicException("called `Result::unwrap()` on an `Err` value: C000123 Amy Pond")

    monkeypatch.setattr(fastexcel, "read_excel", panic)
    assert contained._child([str(tmp_path / "x.xlsx"), str(tmp_path), "episodes"]) == 2
    err = capsys.readouterr().err
    assert "PanicException" in err and "Amy Pond" not in err
    monkeypatch.setattr(
        fastexcel, "read_excel", lambda *_a: (_ for _ in ()).throw(KeyboardInterrupt())
    )
    with pytest.raises(KeyboardInterrupt):
        contained._child([str(tmp_path / "x.xlsx"), str(tmp_path), "episodes"])


# --------------------------------------------------------------------------------------
# Batch: the done-when case, and a worker that dies


def _five(tmp_path: Path, book: Path) -> Path:
    small(tmp_path)
    body = "audits:\n"
    for i in range(5):
        data = str(book) if i == 2 else "data"
        body += (
            f"  - name: a{i}\n    data: {data}\n    ruleset: dorset\n    as_of: 2024-06-30\n"
            f"    history_from: 2024-01-01\n    scope: children\n"
            f'    outputs: ["out/a{i}.json", "out/a{i}.xlsx"]\n'
        )
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(body, encoding="utf-8")
    return cfg


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "undeclared"])
def test_five_audits_one_crashing_workbook(
    tmp_path: Path, capped_reader: None, jobs: str, dimension: bool
) -> None:
    """Done when: the audit with the crashing workbook fails (exit 2); the other four
    complete and their outputs are written."""
    book = _far_cell(tmp_path, keep_dimension=dimension)
    cfg = _five(tmp_path, book)
    summary = tmp_path / "summary.json"
    code, _out, err = invoke("batch", str(cfg), "--jobs", jobs, "--summary", str(summary))
    assert code == 2, err
    assert "Traceback" not in err
    doc = json.loads(summary.read_text())
    assert [a["status"] for a in doc["audits"]] == ["ok", "ok", "error", "ok", "ok"]
    assert book.name in doc["audits"][2]["error"]
    for i in (0, 1, 3, 4):
        for suffix in (".json", ".xlsx"):
            assert (tmp_path / "out" / f"a{i}{suffix}").stat().st_size > 0
    assert not list((tmp_path / "out").glob("a2.*"))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dying_worker_fails_its_audit_alone(tmp_path: Path, workers: int) -> None:
    """A worker process that aborts (as a native crash would) fails its own audit; the pool
    is rebuilt and every other audit completes, with --jobs 1 as with --jobs 2."""
    from hostile_kit import abort_on_crash_name

    from supervision_audit import batch

    small(tmp_path)
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(
        "audits:\n"
        + "".join(
            f"  - name: {n}\n    data: data\n    ruleset: dorset\n    as_of: 2024-06-30\n"
            f"    scope: children\n"
            for n in ("one", "crash", "three", "four")
        ),
        encoding="utf-8",
    )
    jobs = batch.load_config(cfg, dt.date(2024, 7, 1))
    results = batch.run_batch(jobs, workers, runner=abort_on_crash_name)
    assert [r["status"] for r in results] == ["ok", "error", "ok", "ok"]
    assert "process" in results[1]["error"]
    assert batch.exit_code(results) == 2
