"""Atomic file writes: a temporary file in the target's own folder, renamed into place only
when complete. On failure the previous file is byte-identical and no temporary file remains.

Staged files are named `.<name>.<pid>.<random>.tmp`: if a run is killed before it can
remove its own (SIGKILL, a power cut), the next run writing to that folder removes those
whose process is gone. A write that the system refuses (read-only folder, full disk, a name
too long, a folder where the file should be) is a UsageError naming the file, exit 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from ..errors import UsageError

_STAGED = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")
_PRIVATE_DIR = re.compile(r"^\.supervision-audit-(?P<pid>\d+)-[A-Za-z0-9_]+$")
"""A writer's private folder of sheet files beside the output (report.workbook.Book)."""


def process_alive(pid: int) -> bool:
    """Whether process PID still runs (this one always does). psutil, not `os.kill(pid, 0)`:
    on Windows signal 0 is CTRL_C_EVENT, so that check would interrupt the other process."""
    return pid == os.getpid() or psutil.pid_exists(pid)


def remove_stale(folder: Path) -> list[Path]:
    """Remove staged files in `folder` left by runs whose process is gone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _STAGED.match(entry.name)
        if m and not process_alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        m = _PRIVATE_DIR.match(entry.name)
        if m and not process_alive(int(m.group("pid"))):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def as_os_error(exc: BaseException) -> OSError | None:
    """The system error behind a writer library's own exception, if there is one: an
    OSError in its cause or context chain, or lxml's SerialisationError('IO_ENOSPC')."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, OSError):
            return cur
        text = str(cur)
        if type(cur).__name__ == "SerialisationError" and text.startswith("IO_E"):
            code = getattr(errno, text[3:], errno.EIO)
            return OSError(code, os.strerror(code))
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def cannot_write(path: Path, exc: OSError) -> UsageError:
    """One line for a write the system refused."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason = "the disk is full"
    elif exc.errno == errno.EFBIG:
        reason = "the file is too large for this disk or account (file size limit)"
    elif exc.errno == errno.ENAMETOOLONG:
        reason = "the file name is too long"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "the folder is read-only or not yours to write"
    return UsageError(f"cannot write {path} ({reason})")


@contextlib.contextmanager
def write_errors(path: Path) -> Iterator[None]:
    """Around a whole write (sheets built before the save write temporary files too): a
    system error behind a library's own exception becomes one line naming `path`."""
    try:
        yield
    except UsageError:
        raise
    except Exception as exc:
        os_exc = as_os_error(exc)
        if os_exc is None:
            raise
        raise cannot_write(Path(path), os_exc) from None


def check_target(path: Path, option: str = "--output") -> None:
    """Before anything runs: the folder exists, the target is not a folder, its name fits."""
    path = Path(path)
    if len(os.fsencode(path.name)) > 200:  # the staged name adds about 30 characters
        raise UsageError(f"{option} {path}: the file name is too long")
    if os.path.isdir(path):
        raise UsageError(f"{option} {path} is a folder; give a file name")
    if not os.path.isdir(path.parent):
        raise UsageError(f"{option} folder does not exist: {path.parent}")


def _staged_name(path: Path) -> Path:
    """A new empty staged file beside `path` (named so a later run can tell it is stale)."""
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise cannot_write(path, exc) from None
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def staged(path: Path) -> Iterator[Path]:
    """Yields a temporary path beside `path`; renames it over `path` if the block succeeds."""
    path = Path(path)
    m = _STAGED.match(path.name)
    if m and int(m.group("pid")) == os.getpid():  # already staged by staged_together
        yield path
        return
    check_target(path)
    remove_stale(path.parent)
    tmp = _staged_name(path)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        os_exc = as_os_error(exc) if isinstance(exc, Exception) else None
        if os_exc is not None and not isinstance(exc, UsageError):
            raise cannot_write(path, os_exc) from None
        raise


def _keep_copy(target: Path) -> Path | None:
    """A staged copy of the file now at `target` (a hard link where the system allows, else
    a byte copy), to put back if a later replacement fails; None when there is no file."""
    if not os.path.isfile(target):
        return None
    backup = _staged_name(target)
    try:
        os.unlink(backup)
        os.link(target, backup)
    except OSError:
        try:
            shutil.copy2(target, backup)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(backup)
            raise cannot_write(target, exc) from None
    return backup


def _replace_all(tmps: list[Path], targets: list[Path]) -> None:
    """Rename every staged file over its target, or (when one rename fails) put every
    target already replaced back as it was: all of them or none."""
    backups = [_keep_copy(Path(t)) for t in targets]
    done: list[int] = []
    try:
        for k, (staged_file, target) in enumerate(zip(tmps, targets, strict=True)):
            try:
                os.replace(staged_file, target)
            except OSError as exc:
                raise cannot_write(Path(target), exc) from None
            done.append(k)
    except BaseException:
        for k in reversed(done):
            backup = backups[k]
            with contextlib.suppress(OSError):
                if backup is None:
                    os.unlink(targets[k])
                else:
                    os.replace(backup, targets[k])
        raise
    finally:
        for backup in backups:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(backup)


@contextlib.contextmanager
def staged_together(paths: list[Path]) -> Iterator[list[Path]]:
    """Several outputs replaced together or not at all: yields one staged path per target
    (each with the target's own suffix, in the target's folder); only when the block has
    written them all are they renamed into place, and if one rename fails the ones already
    renamed are put back. On any failure every staged file is removed and every previous
    output is left byte-identical."""
    tmps: list[Path] = []
    try:
        for path in paths:
            path = Path(path)
            check_target(path)
            remove_stale(path.parent)
            tmps.append(_staged_name(path))
        yield tmps
        for staged_file in tmps:
            with open(staged_file, "rb") as fh:
                os.fsync(fh.fileno())
        _replace_all(tmps, [Path(p) for p in paths])
    except Exception as exc:
        os_exc = as_os_error(exc)
        if os_exc is not None and not isinstance(exc, UsageError):
            raise cannot_write(Path(paths[len(tmps) - 1] if tmps else paths[0]), os_exc) from None
        raise
    finally:
        for staged_file in tmps:
            with contextlib.suppress(OSError):
                os.unlink(staged_file)


def atomic_write(path: Path, write_fn: Callable[[Path], object]) -> Path:
    """Call write_fn(temp_path), then move the result into place."""
    with staged(path) as tmp:
        write_fn(tmp)
    return Path(path)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding))
