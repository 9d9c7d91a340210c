"""What the tests share: one way to run the command line.

Every CLI test goes through `run_cli` (tests/hostile_kit.py adds the two the hostile-file
tests need: one that lets a crash show as its exit code, and one in a real process).
conftest.py sets SUPERVISION_AUDIT_RERAISE for every test, so an unexpected crash raises
instead of passing as an expected exit code.
"""

from __future__ import annotations

from typer.testing import CliRunner

from supervision_audit.cli import app


def cli_result(*args: object, env: dict[str, str] | None = None):
    """The full click Result of `supervision-audit ARGS` (exit_code, stdout, stderr, bytes)."""
    return CliRunner(env=env).invoke(app, [str(a) for a in args], catch_exceptions=False)


def run_cli(*args: object, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(exit code, standard output, standard error) of `supervision-audit ARGS`."""
    result = cli_result(*args, env=env)
    return result.exit_code, result.stdout, result.stderr
