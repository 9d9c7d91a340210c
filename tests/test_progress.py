"""The progress line for long work (issue 16): on standard error, only when it is a
terminal and the work outlasts the delay, erased when done; never when standard error is
piped or redirected (a batch log, CI), and never on standard output."""

from __future__ import annotations

import io
import json
import threading

import pytest
from rich.console import Console

from supervision_audit.cli import progress as progress_mod
from supervision_audit.cli.progress import Progress
from tests.helpers import run_cli

S = ["--data", "sample_data", "--ruleset", "lambeth", "--as-of", "2026-10-31"]


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=80), buffer


def test_a_terminal_sees_each_step_while_the_work_runs() -> None:
    console, buffer = terminal()
    with Progress(console, "Reading the exports", enabled=True, delay=0) as shown:
        shown.update("Checking rule LAM-C1 (1 of 15)")
        shown._status._live.refresh()  # (it also redraws on its own thread)
    text = buffer.getvalue()
    assert "Checking rule LAM-C1 (1 of 15)" in text


def test_nothing_is_shown_when_disabled_or_before_the_delay() -> None:
    console, buffer = terminal()
    with Progress(console, "Reading the exports", enabled=False, delay=0) as shown:
        shown.update("Checking rule LAM-C1 (1 of 15)")
    assert buffer.getvalue() == ""
    # Work that ends before the delay never starts the line (the timer is cancelled).
    with Progress(console, "Reading the exports", enabled=True, delay=3600) as shown:
        shown.update("Checking rule LAM-C1 (1 of 15)")
    assert buffer.getvalue() == ""
    assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]


def test_the_line_starts_after_the_delay_and_stops_at_the_end() -> None:
    console, buffer = terminal()
    started = threading.Event()
    shown = Progress(console, "Writing audit.xlsx", enabled=True, delay=0.01)
    original = shown._start

    def start() -> None:
        original()
        started.set()

    shown._start = start  # type: ignore[method-assign]
    with shown:
        assert started.wait(10)
        assert shown._status is not None
    assert shown._status is None
    assert "Writing audit.xlsx" in buffer.getvalue()


def test_only_a_real_terminal_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(progress_mod.sys, "stderr", io.StringIO())
    monkeypatch.setenv("FORCE_COLOR", "1")  # what CI sets: still not a terminal
    assert not progress_mod.stderr_is_terminal()
    monkeypatch.setattr(progress_mod.sys, "stderr", Tty())
    monkeypatch.delenv("TERM", raising=False)
    assert progress_mod.stderr_is_terminal()
    monkeypatch.setenv("SUPERVISION_AUDIT_NO_PROGRESS", "1")
    assert not progress_mod.stderr_is_terminal()


def test_piped_runs_show_no_progress(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the test runner standard error is a pipe: the audit, its workbook and
    --format json write nothing but their own lines, even with a zero delay."""
    monkeypatch.setattr(progress_mod, "DELAY", 0.0)
    out = tmp_path / "audit.xlsx"
    code, stdout, err = run_cli("audit", *S, "--format", "json", "--output", out)
    assert code == 0
    json.loads(stdout)  # standard output is the JSON document alone
    assert err.strip().splitlines() == [f"wrote {out}"]
    for word in ("Reading", "Checking rule", "Writing"):
        assert word not in err and word not in stdout
