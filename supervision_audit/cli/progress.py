"""A progress line on standard error for long work (reading the exports, checking the rules,
writing the workbook): shown only when the work has taken DELAY seconds and standard error
is a terminal, and erased when the work ends. Never when standard error is piped or
redirected (a batch log, a CI step, `2> log`), and never on standard output, so JSON or CSV
written there is untouched."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

DELAY = 2.0


def stderr_is_terminal() -> bool:
    """Standard error is a real terminal (not FORCE_COLOR or a CI that claims colour)."""
    if os.environ.get("SUPERVISION_AUDIT_NO_PROGRESS") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """`with Progress(...) as p: p.update("Checking rule LAM-C1 (1 of 15)")`: a spinner
    and the latest step on `console`, started DELAY seconds after entry if the work is still
    running, erased on exit. Disabled (nothing written, ever) unless `enabled`."""

    def __init__(
        self, console: Any, text: str, *, enabled: bool, delay: float | None = None
    ) -> None:
        self.console = console
        self.text = text
        self.enabled = enabled
        self.delay = DELAY if delay is None else delay
        self._lock = threading.Lock()
        self._status: Any = None
        self._timer: threading.Timer | None = None
        self._done = False

    def _start(self) -> None:
        with self._lock:
            if self._done:
                return
            self._status = self.console.status(self.text, spinner="dots")
            self._status.start()

    def update(self, text: str) -> None:
        with self._lock:
            self.text = text
            if self._status is not None:
                self._status.update(text)

    def __enter__(self) -> Progress:
        if self.enabled:
            if self.delay <= 0:
                self._start()
            else:
                self._timer = threading.Timer(self.delay, self._start)
                self._timer.daemon = True
                self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join(timeout=5)
        with self._lock:
            self._done = True
            if self._status is not None:
                with contextlib.suppress(Exception):
                    self._status.stop()
                self._status = None


@contextlib.contextmanager
def progress(text: str) -> Iterator[Progress]:
    """A Progress on standard error, enabled only when it is a terminal."""
    from ..report.terminal import SafeConsole

    enabled = stderr_is_terminal()
    console = SafeConsole(stderr=True, soft_wrap=True) if enabled else None
    with Progress(console, text, enabled=enabled) as shown:
        yield shown
