"""Write an audit to a file, the format chosen by the file's extension; and the checks that
keep every output away from every input before anything runs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .atomic import check_target, write_errors

EXTENSIONS = (".json", ".csv", ".xlsx")


def _resolved(path: Path) -> Path:
    """The path with every symlink followed (also a dangling one), made absolute."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def _same(a: Path, b: Path) -> bool:
    """The same file: by path after resolution, or by inode where both exist (hard links,
    case-insensitive file systems)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_outputs(
    outputs: Iterable[tuple[str, Path]], inputs: Iterable[Path], *, must_exist: bool = True
) -> None:
    """Refuse, before anything runs, any output (named by its option or audit, then path)
    that resolves (symlinks followed) to an input file, to a file inside an input folder or
    into that folder, or to the same file as another output. `must_exist`: the output's
    folder must already exist (audit, due, sample; batch creates its folders)."""
    ins = []
    for p in inputs:
        if p is None:
            continue
        r = _resolved(Path(p))
        ins.append((Path(p), r, r.is_dir()))
    seen: dict[Path, str] = {}
    for index, (who, out) in enumerate(outputs):
        try:
            _check_one(who, Path(out), ins, seen, must_exist)
        except UsageError as exc:
            exc.output_index = index  # type: ignore[attr-defined]
            raise


def _check_one(
    who: str,
    out: Path,
    ins: list[tuple[Path, Path, bool]],
    seen: dict[Path, str],
    must_exist: bool,
) -> None:
    out = Path(out)
    if must_exist:
        check_target(out, who)
    elif out.is_dir():
        raise UsageError(f"{who} {out} is a folder; give a file name")
    r = _resolved(out)
    for shown, res, is_dir in ins:
        if _same(r, res) or (is_dir and (res in r.parents)):
            where = "is" if _same(r, res) else "is inside"
            raise UsageError(
                f"{who} {out} {where} the input {shown}: outputs never overwrite or join "
                "their inputs; write them to another folder"
            )
    for other, other_who in seen.items():
        if _same(r, other):
            raise UsageError(f"{who} {out} is also written by {other_who}")
    seen[r] = who


def write_output(
    run: Any,
    path: Path,
    argv: list[str] | None = None,
    fmt: str | None = None,
    trend: list[dict[str, Any]] | None = None,
    due_within: Any = None,
) -> Path:
    """Write `run` (an AuditRun) to `path` (.json, .csv or .xlsx, or `fmt`), atomically;
    `trend`: a batch's change since its previous run, as a workbook's Trend sheet;
    `due_within` (a dates.Interval) is the workbook's Due sheet window (default 14 days)."""
    suffix = (fmt or path.suffix).lower()
    if suffix not in EXTENSIONS:
        raise UsageError(f"--output must end in {', '.join(EXTENSIONS)} (got '{path.name}')")
    with write_errors(path):
        if suffix == ".json":
            from .jsonout import write_json

            write_json(run.result, path)
        elif suffix == ".csv":
            from .csvout import write_csv

            write_csv(run.result, path)
        else:
            from .workbook import write_workbook

            write_workbook(run, path, argv=argv, trend=trend, due_within=due_within)
    return path
