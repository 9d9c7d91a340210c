"""`scorecard`: per supervisor, their supervisees' own compliance and their caseloads'."""

from __future__ import annotations

import polars as pl

from ..audit import AuditRun


def scorecard(run: AuditRun) -> pl.DataFrame:
    """Per supervisor: their supervisees' own supervision compliance, and the compliance of
    the children and carers on their supervisees' caseloads, at as_of."""
    from ..audit import supervisor_scorecard

    covered = [o.covered for o in run.outcomes if o.covered.height]
    cov = pl.concat(covered, how="vertical_relaxed") if covered else None
    return supervisor_scorecard(cov, run.context.tables.get("workers"))
