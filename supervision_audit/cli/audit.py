"""`supervision-audit audit`: find everyone outside their required interval."""

from __future__ import annotations

import sys
from typing import Any

from ..errors import UsageError
from ..views.trend import MAX_MONTHS
from .common import (
    EXIT_THRESHOLD,
    AllowUnverifiedOpt,
    AsOfOpt,
    DataOpt,
    DebugOpt,
    DueWithinOpt,
    Exit,
    FormatOpt,
    FromOpt,
    HistoryOpt,
    KeyFileOpt,
    LimitOpt,
    NoNamesOpt,
    OutputOpt,
    ParamOpt,
    PseudoOpt,
    RagOpt,
    RulesetOpt,
    ScopeOpt,
    SourceOpt,
    TeamOpt,
    ThresholdOpt,
    TrendOpt,
    WorkerOpt,
    check_output_option,
    err_console,
    out_console,
    parse_date,
    parse_params,
    parse_rag,
    parse_window,
)


def audit_cmd(
    data: DataOpt,
    ruleset: RulesetOpt,
    as_of: AsOfOpt,
    from_date: FromOpt = None,
    history_from: HistoryOpt = None,
    scope: ScopeOpt = "all",
    output_format: FormatOpt = "table",
    output: OutputOpt = None,
    team: TeamOpt = None,
    worker: WorkerOpt = None,
    param: ParamOpt = None,
    limit: LimitOpt = 50,
    pseudonymise: PseudoOpt = False,
    key_file: KeyFileOpt = None,
    no_names: NoNamesOpt = False,
    source: SourceOpt = "auto",
    allow_unverified: AllowUnverifiedOpt = False,
    rag: RagOpt = None,
    trend: TrendOpt = 0,
    threshold: ThresholdOpt = None,
    due_within: DueWithinOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Find every child, carer and worker outside their required supervision interval."""
    from ..audit import AuditOptions, run_audit
    from ..report.outputs import write_output

    if output_format not in ("table", "json", "csv"):
        raise UsageError(f"--format must be table, json or csv (got '{output_format}')")
    opts = AuditOptions(
        data=data,
        ruleset=ruleset,
        as_of=parse_date(as_of, "--as-of"),  # type: ignore[arg-type]
        from_date=parse_date(from_date, "--from"),
        history_from=parse_date(history_from, "--history-from"),
        scope=scope,
        team=team,
        worker=worker,
        params=parse_params(param),
        source=source,
        allow_unverified=allow_unverified,
        rag=parse_rag(rag),
    )
    if limit < 0:
        raise UsageError(f"--limit must be 0 (all) or more (got {limit})")
    check_output_option(output, data, ruleset, source, key_file)
    window = None
    if due_within is not None:
        window = parse_window(due_within, "--due-within")
        if output is None or output.suffix.lower() != ".xlsx":
            raise UsageError(
                "--due-within sets the Due sheet of the workbook: add --output FILE.xlsx"
            )
    key = None
    if pseudonymise:
        from ..report.privacy import read_key

        key = read_key(key_file)  # before the audit: refuse early without a key
    elif key_file is not None:
        raise UsageError("--key-file goes with --pseudonymise")
    if not 0 <= trend <= MAX_MONTHS:
        raise UsageError(f"--trend must be 0 to {MAX_MONTHS} months (got {trend})")
    from ..batch import audit_figures, check_thresholds, parse_threshold

    tests = []
    for text in threshold or []:
        try:
            tests.append(parse_threshold(text))
        except ValueError as exc:
            raise UsageError(f"--threshold: {exc}") from None
    from .progress import progress

    with progress("Reading the exports") as shown:
        run = run_audit(opts, step=shown.update)
        if trend:
            from ..views.trend import monthly_trend

            shown.update(f"Computing the {trend}-month trend")
            run.result.summary["trend"] = monthly_trend(run, trend)
    from ..report.privacy import apply_privacy

    run = apply_privacy(run, key, no_names)
    if output is not None:
        with progress(f"Writing {output.name}"):
            written = write_output(run, output, argv=sys.argv, due_within=window)
        err_console().print(f"wrote {written}", markup=False)
    render(run.result, output_format, limit)
    failed = [t for t in check_thresholds(tests, audit_figures(run.result)) if not t["passed"]]
    for t in failed:
        actual = "not computed" if t["actual"] is None else f"actual {t['actual']:g}"
        err_console().print(f"threshold failed: {t['threshold']} ({actual})", markup=False)
    if failed:
        raise Exit(EXIT_THRESHOLD)


def render(result: Any, output_format: str, limit: int) -> None:
    if output_format == "json":
        from ..report.jsonout import write_json_to

        sys.stdout.flush()
        write_json_to(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    elif output_format == "csv":
        from ..report.csvout import render_csv

        sys.stdout.write(render_csv(result))
    else:
        from ..report.terminal import render_terminal

        render_terminal(result, out_console(), limit=limit)
