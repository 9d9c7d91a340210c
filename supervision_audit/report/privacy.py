"""Pseudonymisation: stable keyed tokens in place of person and worker IDs, in every output.

A token is HMAC-SHA-256 of the ID under a secret key kept apart from the data. An unkeyed
hash of a small ID space is reversible by trying every ID; a keyed one is not without the
key. The same key gives the same token month after month, so trends still join.
Pseudonymised data is still personal data (UK GDPR, recital 26): handle the outputs as such.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import UsageError
from ..findings import sort_findings

KEY_ENV = "SUPERVISION_AUDIT_KEY"
ID_COLUMNS = ("subject_id", "worker_id", "supervisor_id", "person_id")
MIN_KEY_BYTES = 16


MAX_KEY_BYTES = 4096


def read_key(key_file: Path | None) -> bytes:
    """The key from --key-file, else from $SUPERVISION_AUDIT_KEY; refuse to run without one."""
    if key_file is not None:
        try:
            with open(key_file, "rb") as fh:  # capped: /dev/zero or a wrong file never ends
                key = fh.read(MAX_KEY_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"--key-file {key_file}: cannot read ({exc.strerror})") from None
        if len(key) > MAX_KEY_BYTES:
            raise UsageError(
                f"--key-file {key_file}: longer than {MAX_KEY_BYTES} bytes; is it the key file?"
            )
        key = key.strip()
    else:
        key = os.environ.get(KEY_ENV, "").strip().encode()
    if not key:
        raise UsageError(
            f"--pseudonymise needs a secret key: set {KEY_ENV} or pass --key-file FILE "
            "(keep the key apart from the data; the same key gives the same tokens every month)"
        )
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} characters")
    return key


def token(key: bytes, value: str) -> str:
    return "PS-" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def token_map(key: bytes, values: pl.Series) -> pl.DataFrame:
    """id -> token for each distinct value (one HMAC per distinct ID, not per row)."""
    uniq = values.drop_nulls().unique().to_list()
    return pl.DataFrame(
        {"id": uniq, "token": [token(key, v) for v in uniq]},
        schema={"id": pl.String, "token": pl.String},
    )


def _replace(frame: pl.DataFrame, columns: list[str], mapping: pl.DataFrame) -> pl.DataFrame:
    if frame.height == 0 or not columns:
        return frame
    lookup = dict(zip(mapping["id"].to_list(), mapping["token"].to_list(), strict=True))
    return frame.with_columns(
        pl.col(c).replace_strict(lookup, default=None, return_dtype=pl.String) for c in columns
    )


def pseudonymise_frame(
    frame: pl.DataFrame, key: bytes, columns: tuple[str, ...] = ID_COLUMNS
) -> pl.DataFrame:
    cols = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    if not cols:
        return frame
    values = pl.concat([frame[c] for c in cols])
    return _replace(frame, cols, token_map(key, values))


def pseudonymise_result(result: Any, key: bytes) -> Any:
    """A copy of an AuditResult with every ID replaced by its token. Data issues on ID
    columns get the token as their value; other personal values are already withheld."""
    findings = sort_findings(pseudonymise_frame(result.findings, key))
    issues = result.data_issues
    if issues.height:
        id_rows = pl.col("column").is_in(list(ID_COLUMNS))
        ids = issues.filter(id_rows)["value"]
        mapping = token_map(key, ids)
        lookup = dict(zip(mapping["id"].to_list(), mapping["token"].to_list(), strict=True))
        issues = issues.with_columns(
            value=pl.when(id_rows)
            .then(pl.col("value").replace_strict(lookup, default=None, return_dtype=pl.String))
            .otherwise(pl.col("value"))
        )
    summary = dict(result.summary)
    if "staff_by_supervisor" in summary:
        summary["staff_by_supervisor"] = [
            {
                **row,
                "supervisor_id": token(key, row["supervisor_id"])
                if row.get("supervisor_id") not in (None, "(none)")
                else row.get("supervisor_id"),
            }
            for row in summary["staff_by_supervisor"]
        ]
    if summary.get("supervisor_scorecard"):
        summary["supervisor_scorecard"] = [
            {**row, "supervisor_id": token(key, row["supervisor_id"])}
            for row in summary["supervisor_scorecard"]
        ]
    if summary.get("filters", {}).get("worker"):
        summary["filters"] = {
            **summary["filters"],
            "worker": token(key, summary["filters"]["worker"]),
        }
    nc = summary.get("not_covered")
    if nc and nc.get("subjects"):
        summary["not_covered"] = {
            **nc,
            "subjects": [
                {**r, **{c: token(key, r[c]) for c in ("subject_id", "worker_id") if r.get(c)}}
                for r in nc["subjects"]
            ],
        }
    summary["pseudonymised"] = True
    covered = result.covered
    if covered is not None and covered.height:
        covered = pseudonymise_frame(covered, key)
    return dataclasses.replace(
        result, findings=findings, data_issues=issues, summary=summary, covered=covered
    )


def apply_privacy(run: Any, key: bytes | None, no_names: bool) -> Any:
    """Pseudonymise (every ID a keyed token) and/or drop names, for every output format of
    an AuditRun; returns the run."""
    import dataclasses

    result = run.result
    if key is not None:
        result = pseudonymise_result(result, key)
        run.privacy_key = key
    if no_names or key is not None:
        result = dataclasses.replace(result, summary={**result.summary, "no_names": True})
    run.result = result
    return run
