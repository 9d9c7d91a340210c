"""Shared test setup: crashes re-raise (never pass as an exit code), and a fixed hypothesis
profile for CI (deterministic, bounded). The shared CLI helper is tests/helpers.py."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def reraise_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real crash must fail the test, never pass as an expected exit code (a test that
    checks the one-line internal-error message removes this with monkeypatch.delenv)."""
    monkeypatch.setenv("SUPERVISION_AUDIT_RERAISE", "1")
