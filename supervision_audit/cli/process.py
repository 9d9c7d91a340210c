"""What the command-line process sets up around every command, so that environment
failures end in one line and leave nothing behind:

- A private temporary folder (mode 0700, `supervision-audit-<pid>-*` under the system's),
  used by every library this process and its children run (TMPDIR and tempfile.tempdir),
  removed at exit, on Ctrl-C and on SIGTERM; folders left by a killed run (their process
  is gone) are removed by the next run. Writers' temporary sheet files hold child IDs in
  clear: they never outlive the run.
- SIGTERM is turned into an exception (like Ctrl-C), so that staged files and temporaries
  are removed on the way out: exit 143 (Ctrl-C: 130), one line.
- A terminal that cannot encode the output (PYTHONIOENCODING=ascii, a legacy code page)
  gets an ASCII-safe fallback (unencodable characters replaced) instead of a crash.
- A closed standard output (`| head`) ends the run quietly (exit 2, nothing printed).
- Python's "Exception ignored in ..." reports from writer libraries' half-finished
  generators (openpyxl on a full disk) are not printed: the one-line error says it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..report.atomic import process_alive

PRIVATE_PREFIX = "supervision-audit-"
_PRIVATE = re.compile(r"^supervision-audit-(\d+)-")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that cleanup runs (exit 143)."""

    exit_code = 143
    message = "terminated"


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def remove_stale_private(base: str) -> None:
    """Private temporary folders of runs whose process is gone."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(base):
            m = _PRIVATE.match(entry.name)
            if m and not process_alive(int(m.group(1))):
                shutil.rmtree(entry.path, ignore_errors=True)


def _ascii_safe(stream: Any) -> None:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if encoding and encoding not in ("utf8", "utf16", "utf32") and hasattr(stream, "reconfigure"):
        with contextlib.suppress(Exception):
            stream.reconfigure(errors="replace")


def _quiet_unraisable(unraisable: Any) -> None:
    """Writer libraries' generators finalised after a failed write report their own
    secondary errors here; the command's one-line error already says what happened."""
    if os.environ.get("SUPERVISION_AUDIT_DEBUG_UNRAISABLE"):
        sys.__unraisablehook__(unraisable)


@contextlib.contextmanager
def guarded_process() -> Iterator[Path | None]:
    """The setup above around one command; yields the private temporary folder."""
    for stream in (sys.stdout, sys.stderr):
        _ascii_safe(stream)
    sys.unraisablehook = _quiet_unraisable
    with contextlib.suppress(ValueError, OSError):  # not in the main thread / no signals
        signal.signal(signal.SIGTERM, _on_sigterm)
    base = tempfile.gettempdir()
    remove_stale_private(base)
    private: Path | None = None
    old_env = {k: os.environ.get(k) for k in ("TMPDIR", "TEMP", "TMP")}
    old_tempdir = tempfile.tempdir
    try:
        private = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=base))
    except OSError:
        private = None  # no writable temporary folder: libraries will say so if they need one
    try:
        if private is not None:
            for k in old_env:
                os.environ[k] = str(private)
            tempfile.tempdir = str(private)
        yield private
    finally:
        tempfile.tempdir = old_tempdir
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)


def closed_stdout() -> None:
    """After a BrokenPipeError: point stdout at devnull so that the interpreter's final
    flush cannot raise again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
