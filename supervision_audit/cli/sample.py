"""`supervision-audit sample`: choose supervision files to audit, with a pre-filled checklist
(a thin layer over sampling.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ..dates import uk_date
from ..errors import UsageError
from ..report.terminal import print_table
from .common import (
    AsOfOpt,
    DataOpt,
    DebugOpt,
    FormatOpt,
    HistoryOpt,
    ParamOpt,
    RulesetOpt,
    SourceOpt,
    check_format,
    check_output_option,
    err_console,
    json_rows,
    out_console,
    run_from_options,
    write_frame_file,
)

if TYPE_CHECKING:
    from ..views.sampling import SampleResult

PerSupervisorOpt = Annotated[
    int | None,
    typer.Option(
        "--per-supervisor",
        metavar="N",
        help="Staff files: this many workers from each supervisor's team (all when fewer).",
    ),
]
ChildrenPerWorkerOpt = Annotated[
    int | None,
    typer.Option(
        "--children-per-worker",
        metavar="N",
        help="Case files: this many children (or carers) from each worker's caseload "
        "(all when fewer).",
    ),
]
StrategyOpt = Annotated[
    str,
    typer.Option(
        "--strategy",
        metavar="STRATEGY",
        help="random (every file equally likely) or risk (weighted towards outstanding and "
        "recent findings and high-risk flags; every file can still be drawn).",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="SEED",
        help="Seed for a reproducible sample (default: a new random seed, printed and stored "
        "in the output).",
    ),
]
ExcludeOpt = Annotated[
    str | None,
    typer.Option(
        "--exclude-audited-within",
        metavar="PERIOD",
        help="Skip files with a FILE_AUDIT event in this window up to --as-of, e.g. 12m, 26w.",
    ),
]
SampleOutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Also write the sample with its audit checklist to FILE (.xlsx, .csv or .json).",
    ),
]


def sample_cmd(
    data: DataOpt,
    ruleset: RulesetOpt,
    as_of: AsOfOpt,
    per_supervisor: PerSupervisorOpt = None,
    children_per_worker: ChildrenPerWorkerOpt = None,
    strategy: StrategyOpt = "random",
    seed: SeedOpt = None,
    exclude_audited_within: ExcludeOpt = None,
    history_from: HistoryOpt = None,
    param: ParamOpt = None,
    output_format: FormatOpt = "table",
    output: SampleOutputOpt = None,
    source: SourceOpt = "auto",
    debug: DebugOpt = False,
) -> None:
    """Choose supervision files to audit, with an audit checklist pre-filled from the data."""
    from ..dates import Interval
    from ..views.sampling import SampleOptions, check_options, sample_files

    check_format(output_format)
    if output is not None and output.suffix.lower() not in (".xlsx", ".csv", ".json"):
        raise UsageError(f"--output must end in .xlsx, .csv or .json (got '{output.name}')")
    window = None
    if exclude_audited_within is not None:
        try:
            window = Interval.parse(exclude_audited_within)
        except ValueError as exc:
            raise UsageError(f"--exclude-audited-within: {exc}") from None
    opts = SampleOptions(
        per_supervisor=per_supervisor,
        children_per_worker=children_per_worker,
        strategy=strategy,
        seed=seed,
        exclude_within=window,
    )
    check_options(opts)
    check_output_option(output, data, ruleset, source)
    run = run_from_options(data, ruleset, as_of, history_from, "all", param, source=source)
    sample = sample_files(run, opts)
    about = {
        "command": "sample",
        "as_of": str(run.result.as_of),
        "ruleset": f"{run.ruleset.name} {run.ruleset.version}",
        "per_supervisor": "" if per_supervisor is None else str(per_supervisor),
        "children_per_worker": "" if children_per_worker is None else str(children_per_worker),
        "exclude_audited_within": window.code() if window else "",
        **sample.about(),
    }
    if output is not None:
        write_frame_file(sample.frame, output, "Sample", about)
    rerun = f"seed {sample.seed} (rerun with --seed {sample.seed} for the same sample)"
    if output_format == "json":
        err_console().print(rerun, markup=False)
        sys.stdout.write(json.dumps({**about, "rows": json_rows(sample.frame)}, indent=2) + "\n")
    elif output_format == "csv":
        from ..report.tables import frame_to_csv

        err_console().print(rerun, markup=False)
        sys.stdout.write(frame_to_csv(sample.frame))
    else:
        _render_sample(sample, rerun)


def _render_sample(sample: SampleResult, rerun: str) -> None:
    con = out_console()
    frame = sample.frame
    con.print(
        Text(
            f"Files to audit as of {uk_date(sample.as_of)} ({sample.strategy} sample): "
            f"{frame.height}",
            style="bold",
        )
    )
    con.print(rerun, markup=False)
    for name, n in sample.candidates.items():
        skipped = sample.excluded.get(name, 0)
        note = f", {skipped} skipped as audited within the window" if skipped else ""
        con.print(f"{name}: {n} eligible{note}", markup=False)
    if frame.height == 0:
        return
    view = frame.select(
        "file",
        "subject_type",
        "subject_id",
        "team",
        "worker_id",
        "supervisor_id",
        "weight",
        "last_supervision",
        "days_since_supervision",
        "open_findings",
        "findings_12m",
    ).with_columns(
        pl.col("days_since_supervision").cast(pl.String).fill_null("—"),
        pl.col(pl.String).fill_null("—"),
    )
    risk = sample.strategy == "risk"
    for (file,), group in view.group_by(["file"], maintain_order=True):
        case = file == "case file"
        table = Table(
            title=f"{str(file).capitalize()}s",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        table.add_column("subject", no_wrap=True)
        table.add_column("team")
        for col in [*(["worker"] if case else []), "supervisor"]:
            table.add_column(col, no_wrap=True)
        if risk:
            table.add_column("weight", justify="right")
        table.add_column("last supervision")
        for col in ("days since", "open findings", "findings 12m"):
            table.add_column(col, justify="right")
        for r in group.to_dicts():
            table.add_row(
                f"{r['subject_type']} {r['subject_id']}",
                r["team"],
                *([r["worker_id"]] if case else []),
                r["supervisor_id"],
                *([str(r["weight"])] if risk else []),
                uk_date(r["last_supervision"]),
                r["days_since_supervision"],
                str(r["open_findings"]),
                str(r["findings_12m"]),
            )
        print_table(con, table)
