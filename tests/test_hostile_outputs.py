"""Issue 15: inputs are never outputs, output-location failures are one-line exit 2, several
outputs are replaced together or not at all, and temporaries never outlive a run.

Every test here is writer-agnostic: it checks exit codes, messages, bytes on disk and the
temporary folder, never which library wrote the workbook.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_kit import (
    AUDIT,
    CHILDREN,
    invoke,
    one_line_error,
    run_cli,
    small,
    workbook_from,
)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SAMPLE = Path(__file__).parent.parent / "sample_data"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------------------
# An output that is an input


@pytest.mark.parametrize("target", ["case_events.csv", "episodes.csv", "EPISODES.CSV"])
def test_audit_output_onto_an_input_file_is_refused(tmp_path: Path, target: str) -> None:
    data = small(tmp_path)
    before = snapshot(data)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(data / target)
    )
    line = one_line_error(code, err)
    assert "input" in line
    assert snapshot(data) == before  # byte-identical, nothing added


def test_audit_output_through_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    data = small(tmp_path)
    (tmp_path / "link").symlink_to(data, target_is_directory=True)
    before = snapshot(data)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(tmp_path / "link" / "episodes.csv")
    )
    one_line_error(code, err)
    assert snapshot(data) == before


def test_audit_output_as_a_symlink_to_an_input_is_refused(tmp_path: Path) -> None:
    data = small(tmp_path)
    (tmp_path / "out.csv").symlink_to(data / "case_events.csv")
    before = snapshot(data)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(tmp_path / "out.csv")
    )
    one_line_error(code, err)
    assert snapshot(data) == before


def test_audit_output_inside_the_input_folder_is_refused(tmp_path: Path) -> None:
    """A new file in the export folder would be read as an export next month."""
    data = small(tmp_path)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(data / "audit.json")
    )
    one_line_error(code, err)
    assert not (data / "audit.json").exists()


def test_audit_output_onto_the_input_workbook_is_refused(tmp_path: Path) -> None:
    book = workbook_from(small(tmp_path), tmp_path / "data.xlsx")
    before = digest(book)
    code, _out, err = invoke(
        "audit", "--data", str(book), *CHILDREN, "--output", str(tmp_path / "." / "data.xlsx")
    )
    one_line_error(code, err)
    assert digest(book) == before


def test_output_onto_the_key_file_is_refused(tmp_path: Path) -> None:
    data = small(tmp_path)
    key = tmp_path / "audit.key"
    key.write_text("k" * 40)
    # --output must end in .json/.csv/.xlsx, so the key can only be hit through a symlink
    link = tmp_path / "k.json"
    link.symlink_to(key)
    code, _out, err = invoke(
        "audit",
        "--data",
        str(data),
        *CHILDREN,
        "--pseudonymise",
        "--key-file",
        str(key),
        "--output",
        str(link),
    )
    one_line_error(code, err)
    assert key.read_text() == "k" * 40


# --------------------------------------------------------------------------------------
# Output locations that cannot be written


def test_output_path_that_is_a_folder(tmp_path: Path) -> None:
    data = small(tmp_path)
    (tmp_path / "report.json").mkdir()
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(tmp_path / "report.json")
    )
    assert "folder" in one_line_error(code, err)


@pytest.mark.parametrize(
    "command",
    [
        ["audit", *CHILDREN],
        ["due", *AUDIT],
        ["sample", *AUDIT, "--children-per-worker", "2", "--seed", "1"],
    ],
)
@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".json"])
def test_missing_output_folder(tmp_path: Path, command: list[str], suffix: str) -> None:
    data = small(tmp_path)
    target = tmp_path / "no" / "such" / f"out{suffix}"
    code, _out, err = invoke(command[0], "--data", str(data), *command[1:], "--output", str(target))
    assert "does not exist" in one_line_error(code, err)
    assert not (tmp_path / "no").exists()


def test_file_name_too_long(tmp_path: Path) -> None:
    data = small(tmp_path)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(tmp_path / ("a" * 300 + ".json"))
    )
    one_line_error(code, err)


def test_unwritable_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only folder: chmod where that binds, else the OS's refusal simulated at the
    one place every writer creates its staged file."""
    data = small(tmp_path)
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.xlsx").write_bytes(b"previous")
    if IS_ROOT:
        import tempfile

        real = tempfile.mkstemp

        def refuse(*args, **kwargs):
            if str(kwargs.get("dir", "")).startswith(str(folder)):
                raise PermissionError(13, "Permission denied")
            return real(*args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    else:
        folder.chmod(0o555)
    try:
        code, _out, err = invoke(
            "audit", "--data", str(data), *CHILDREN, "--output", str(folder / "out.xlsx")
        )
    finally:
        folder.chmod(0o755)
    assert "cannot write" in one_line_error(code, err)
    assert (folder / "out.xlsx").read_bytes() == b"previous"
    assert sorted(p.name for p in folder.iterdir()) == ["out.xlsx"]


def _limit_file_size(limit: int):
    def apply() -> None:  # pragma: no cover - runs in the child
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _run_with_fsize(args: list[str], limit: int, env: dict | None = None) -> tuple[int, str]:
    child_env = {k: v for k, v in os.environ.items() if k != "SUPERVISION_AUDIT_RERAISE"}
    child_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "supervision_audit", *args],
        capture_output=True,
        env=child_env,
        preexec_fn=_limit_file_size(limit),
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".json"])
def test_full_disk_is_one_line_and_keeps_the_previous_output(tmp_path: Path, suffix: str) -> None:
    """A disk that fills up mid-write (a file-size limit makes every write past 2 KB fail
    with EFBIG, as ENOSPC would): one line, exit 2, previous file intact, no temp file,
    and none of the writer library's 'Exception ignored' blocks."""
    data = small(tmp_path)
    out = tmp_path / "out" / f"audit{suffix}"
    out.parent.mkdir()
    out.write_bytes(b"previous")
    code, err = _run_with_fsize(
        ["audit", "--data", str(data), *CHILDREN, "--output", str(out), "--format", "json"], 2048
    )
    assert "cannot write" in one_line_error(code, err)
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


# --------------------------------------------------------------------------------------
# Batch: outputs checked before anything runs, staged and replaced together


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "batch.yaml"
    path.write_text("audits:\n" + body, encoding="utf-8")
    return path


def _audit(name: str, outputs: str, data: str = "data") -> str:
    return (
        f"  - name: {name}\n    data: {data}\n    ruleset: dorset\n    as_of: 2024-06-30\n"
        f"    history_from: 2024-01-01\n    scope: children\n    outputs: {outputs}\n"
    )


def test_batch_output_onto_an_input_is_refused_before_anything_runs(tmp_path: Path) -> None:
    data = small(tmp_path)
    before = snapshot(data)
    cfg = _config(
        tmp_path,
        _audit("first", '["out/first.json"]') + _audit("second", '["data/episodes.csv"]'),
    )
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1")
    line = one_line_error(code, err)
    assert "second" in line and "input" in line
    assert snapshot(data) == before
    assert not (tmp_path / "out").exists()  # the first audit did not run either


def test_batch_outputs_shared_through_a_symlinked_folder(tmp_path: Path) -> None:
    small(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "out", target_is_directory=True)
    cfg = _config(tmp_path, _audit("a", '["out/same.json"]') + _audit("b", '["alias/same.json"]'))
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1")
    assert "also written by" in one_line_error(code, err)
    assert list((tmp_path / "out").iterdir()) == []


def test_batch_output_onto_its_own_config_is_refused(tmp_path: Path) -> None:
    small(tmp_path)
    (tmp_path / "cfg.json").write_text("{}")
    cfg = _config(tmp_path, _audit("a", '["cfg.json"]'))
    (tmp_path / "cfg.json").unlink()
    (tmp_path / "cfg.json").symlink_to(cfg)
    before = cfg.read_bytes()
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1")
    one_line_error(code, err)
    assert cfg.read_bytes() == before


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_batch_replaces_an_audits_outputs_together_or_not_at_all(tmp_path: Path) -> None:
    """Two outputs, the second too big to write: the first is NOT replaced either."""
    small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_bytes(b"previous csv")
    (out / "a.xlsx").write_bytes(b"previous xlsx")
    cfg = _config(tmp_path, _audit("a", '["out/a.csv", "out/a.xlsx"]'))
    code, err = _run_with_fsize(
        ["batch", str(cfg), "--jobs", "1", "--summary", str(tmp_path / "s" / "summary.json")],
        4096,
    )
    assert code == 2, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert (out / "a.csv").read_bytes() == b"previous csv"
    assert (out / "a.xlsx").read_bytes() == b"previous xlsx"
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "a.xlsx"]


def _trend_job(tmp_path: Path):
    """One audit with three outputs (the workbook, with its Trend sheet, written last), a
    previous summary to compare with, and 'previous' bytes in every output."""
    import datetime as dt

    from supervision_audit import batch

    small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    names = ["a.json", "a.csv", "a.xlsx"]
    for name in names:
        (out / name).write_bytes(f"previous {name}".encode())
    cfg = _config(tmp_path, _audit("a", "[" + ", ".join(f'"out/{n}"' for n in names) + "]"))
    (job,) = batch.load_config(cfg, dt.date(2024, 7, 1))
    job.compare = True
    job.previous = {
        "name": "a",
        "status": "ok",
        "as_of": "2024-05-31",
        "figures": {"children_compliance": 0.5},
        "open_findings": ["DOR-C1|C001"],
    }
    return batch, job, out, names


def test_batch_trend_sheet_is_staged_with_the_audits_other_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15: the Trend sheet is written with the audit's outputs, not added after they
    were replaced: a write failing there (the disk full) leaves every previous output
    byte-identical and no staged file behind; without the failure all three are new and the
    workbook holds the Trend sheet."""
    import errno

    from openpyxl import load_workbook

    from supervision_audit.report import workbook

    batch, job, out, names = _trend_job(tmp_path)
    before = snapshot(out)

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(workbook, "_trend", full_disk)
        result = batch.run_job(job)
    assert result["status"] == "error" and "the disk is full" in result["error"]
    assert result["outputs"] == []
    assert snapshot(out) == before  # byte-identical
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    result = batch.run_job(job)
    assert result["status"] == "ok", result["error"]
    assert result["trend"]["previous_as_of"] == "2024-05-31"
    after = snapshot(out)
    assert all(after[n] != before[n] for n in names)
    assert load_workbook(out / "a.xlsx", read_only=True).sheetnames[1] == "Trend"


def test_batch_outputs_are_put_back_when_the_last_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All written and staged, then the very last step (renaming the workbook into place)
    fails: the two outputs already replaced are put back, byte-identical."""
    import errno

    from supervision_audit.report import atomic

    batch, job, out, names = _trend_job(tmp_path)
    before = snapshot(out)
    real_replace = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == "a.xlsx":
            raise OSError(errno.EROFS, "Read-only file system")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    result = batch.run_job(job)
    assert result["status"] == "error" and "a.xlsx" in result["error"]
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(names)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_batch_with_a_previous_summary_replaces_nothing_when_the_workbook_fails(
    tmp_path: Path,
) -> None:
    """The same through the command line (the audit in its own worker process): the JSON
    fits under the file-size limit, the workbook with its Trend sheet does not."""
    small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    cfg = _config(tmp_path, _audit("a", '["out/a.json", "out/a.xlsx"]'))
    code, _out, err = invoke(
        "batch", str(cfg), "--jobs", "1", "--summary", str(tmp_path / "s.json")
    )
    assert code == 0, err
    small_one, big_one = (out / "a.json").stat().st_size, (out / "a.xlsx").stat().st_size
    assert small_one < big_one, (small_one, big_one)
    limit = (small_one + big_one) // 2
    for name in ("a.json", "a.xlsx"):
        (out / name).write_bytes(f"previous {name}".encode())
    before = snapshot(out)
    code, err = _run_with_fsize(
        ["batch", str(cfg), "--jobs", "1", "--previous", str(tmp_path / "s.json")], limit
    )
    assert code == 2, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "a.xlsx"]


def test_stale_staged_files_are_removed_on_the_next_run(tmp_path: Path) -> None:
    """A staged file left by a run that was killed (its process is gone) is removed by the
    next run that writes to the same folder; one of a live process is left alone."""
    data = small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".audit.json.{dead.pid}.x1y2z3.tmp"
    stale.write_text("half")
    live = out / f".audit.json.{os.getpid()}.a1b2c3.tmp"
    live.write_text("in progress")
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--output", str(out / "audit.json")
    )
    assert code == 0, err
    assert not stale.exists()
    assert live.exists()


# --------------------------------------------------------------------------------------
# Library temporaries: private, removed, even when the run is killed


def _private_dirs(tmp: Path) -> list[Path]:
    return [p for p in tmp.iterdir()]


def test_library_temporaries_live_in_a_private_folder_and_go(tmp_path: Path) -> None:
    data = small(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    code, _out, err = run_cli(
        "audit",
        "--data",
        str(data),
        *CHILDREN,
        "--output",
        str(tmp_path / "a.xlsx"),
        env={"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)},
    )
    assert code == 0, err
    assert list(tmp.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_killed_workbook_write_leaves_no_temporary_files(
    tmp_path: Path, sig: int, expected: int
) -> None:
    """SIGTERM or Ctrl-C while the workbook is being written: one line, exit 143 / 130, no
    library temporary (which would hold child IDs in clear) and no staged file left."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SUPERVISION_AUDIT_RERAISE"}
    env.update(TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supervision_audit",
            "audit",
            "--data",
            str(SAMPLE),
            "--ruleset",
            "lambeth",
            "--as-of",
            "2026-10-31",
            "--output",
            str(out / "a.xlsx"),
            "--format",
            "json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    # wait until the workbook's temporaries exist (the write is under way), then signal
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(p for d in tmp.glob("supervision-audit-*") for p in d.iterdir()):
                break
        except FileNotFoundError:  # the folder went between listing and reading: look again
            pass
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    text = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        assert proc.returncode == expected, text
        one_line_error(proc.returncode, text, expect=expected)
    assert list(tmp.iterdir()) == []
    assert [p.name for p in out.iterdir()] in ([], ["a.xlsx"])


def test_stale_files_are_told_by_whether_their_process_runs() -> None:
    """The one liveness check behind the sweeps of staged files and private temporary
    folders: this process runs; a child that has exited (and been reaped) does not. It must
    not send the process anything (on Windows `os.kill(pid, 0)` is a Ctrl-C)."""
    from supervision_audit.report.atomic import process_alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_alive(os.getpid())
    assert not process_alive(child.pid)
