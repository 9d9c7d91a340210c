"""Subjects are independent: an audit whose subject-by-subject rules run over ranges of
subjects (context.EvalContext.partition_subjects) gives the same findings, summaries,
reconciliation, caveats and clock frames as one run over every subject, on the sample and
on generated authorities, for several range sizes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.engine import ClockResult, subject_ranges
from supervision_audit.report.csvout import render_csv
from supervision_audit.report.jsonout import render_json
from tools.synth import generate, write_csv

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 10, 31)


def _outputs(opts: AuditOptions) -> tuple[str, str, dict[str, ClockResult]]:
    run = run_audit(opts)
    clocks = {o.rule_id: o.detail for o in run.outcomes if isinstance(o.detail, ClockResult)}
    return render_json(run.result), render_csv(run.result), clocks


def _assert_same(opts: AuditOptions, sizes: list[int]) -> None:
    whole_json, whole_csv, whole_clocks = _outputs(opts)
    assert '"findings": [\n' in whole_json  # there are findings to compare
    for size in sizes:
        got_json, got_csv, got_clocks = _outputs(dataclasses.replace(opts, partition_subjects=size))
        assert got_json == whole_json, f"JSON differs with ranges of {size} subjects"
        assert got_csv == whole_csv, f"CSV differs with ranges of {size} subjects"
        assert got_clocks.keys() == whole_clocks.keys()
        for rule, clock in got_clocks.items():
            whole = whole_clocks[rule]
            for name in ("segments", "periods", "cycles", "findings", "changes"):
                a, b = getattr(clock, name), getattr(whole, name)
                assert a.equals(b), f"{rule}: clock.{name} differs with ranges of {size}"
            assert clock.counts == whole.counts


@pytest.mark.parametrize("ruleset", ["lambeth", "dorset", "devon"])
def test_partitioned_sample_equals_undivided(ruleset: str) -> None:
    opts = AuditOptions(data=ROOT / "sample_data", ruleset=ruleset, as_of=AS_OF)
    _assert_same(opts, [97, 150])


def test_partitioned_generated_equals_undivided(tmp_path: Path) -> None:
    write_csv(generate(1500, 11, AS_OF), tmp_path)
    opts = AuditOptions(data=tmp_path, ruleset="dorset", as_of=AS_OF)
    _assert_same(opts, [400, 999, 1499])
    # one-off requirements clipped at the history date are dropped the same way in every
    # range, and the caveat counts them over all ranges
    lam = AuditOptions(
        data=tmp_path, ruleset="lambeth", as_of=AS_OF, history_from=dt.date(2025, 6, 1)
    )
    _assert_same(lam, [333])


def test_subject_ranges_cover_every_code_once() -> None:
    for n, size in [(0, 5), (1, 5), (10, 3), (10, 10), (10, 11), (7, 1)]:
        ranges = subject_ranges(n, size)
        codes = [c for lo, hi in ranges for c in range(lo, hi)]
        assert codes == list(range(n))
        assert all(hi - lo <= size for lo, hi in ranges)
        assert len(ranges) == max(1, -(-n // size))


def test_ranges_split_the_clock(tmp_path: Path) -> None:
    """The test above is not vacuous: a small range size does run several ranges."""
    write_csv(generate(300, 3, AS_OF), tmp_path)
    run = run_audit(
        AuditOptions(data=tmp_path, ruleset="dorset", as_of=AS_OF, partition_subjects=100)
    )
    clock = next(o.detail for o in run.outcomes if isinstance(o.detail, ClockResult))
    subjects = clock.periods["subject"]
    assert subjects.min() < 100 and subjects.max() >= 200
    assert pl.Series(clock.periods["period"]).is_sorted()
