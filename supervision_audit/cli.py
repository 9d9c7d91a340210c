"""The command line: parse -> call the library -> render -> exit code. Typer only.

Exit codes: 0 ran (findings are not errors); 1 a requested threshold failed; 2 a usage or
input error, shown as one line. An unexpected internal error is one line too (exit 3);
--debug shows the traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from . import __version__
from .errors import AuditError, UsageError

app = typer.Typer(
    name="supervision-audit",
    help="Audit supervision intervals in children's social care against an authority's policy.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_THRESHOLD, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    return Console(highlight=False)


def handle_errors(func: F) -> F:
    """Turn library errors into one-line messages and exit codes; --debug shows tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except AuditError as exc:
            if debug:
                raise
            err_console().print(f"error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console().print("interrupted", markup=False)
            raise typer.Exit(130) from None
        except Exception as exc:
            if debug or os.environ.get("SUPERVISION_AUDIT_RERAISE"):
                raise
            # The exception text may quote input values (personal data): name its type only.
            err_console().print(
                f"internal error ({type(exc).__name__}); run again with --debug for the details",
                markup=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str | None, option: str) -> dt.date | None:
    """ISO YYYY-MM-DD, UK DD/MM/YYYY, or 'today'."""
    if text is None:
        return None
    t = text.strip()
    try:
        if t.lower() == "today":
            return dt.date.today()
        m = _UK_DATE.match(t)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date.fromisoformat(t)
    except ValueError:
        raise UsageError(
            f"{option} '{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)"
        ) from None


def parse_params(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(
                f"--param '{item}' must look like NAME=VALUE (e.g. personal_interval=4w)"
            )
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


# Shared option declarations -------------------------------------------------------------

DataOpt = Annotated[
    Path, typer.Option("--data", help="Folder of CSV files, or one .xlsx workbook.")
]
SourceOpt = Annotated[
    str,
    typer.Option(
        "--source",
        help="How to read --data: auto (by the files' headers), canonical, mosaic, eclipse, "
        "ssd, hr, or an export profile .yaml.",
    ),
]
RulesetOpt = Annotated[
    str, typer.Option("--ruleset", help="Ruleset name (dorset, devon, ...) or a .yaml file.")
]
AsOfOpt = Annotated[
    str, typer.Option("--as-of", help="Audit date (YYYY-MM-DD, DD/MM/YYYY or today).")
]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="Only findings overdue at some point from this date.")
]
HistoryOpt = Annotated[
    str | None,
    typer.Option(
        "--history-from",
        help="Date from which event data is complete (default: the earliest event in the data).",
    ),
]
ScopeOpt = Annotated[str, typer.Option("--scope", help="children, staff or all.")]
FormatOpt = Annotated[str, typer.Option("--format", help="Terminal output: table, json or csv.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Also write to FILE (.json, .csv or .xlsx).")
]
TeamOpt = Annotated[str | None, typer.Option("--team", help="Only this team.")]
WorkerOpt = Annotated[str | None, typer.Option("--worker", help="Only this worker's cases.")]
ParamOpt = Annotated[
    list[str] | None, typer.Option("--param", help="Ruleset parameter NAME=VALUE (repeatable).")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (may include data).")]
LimitOpt = Annotated[int, typer.Option("--limit", help="Findings to list in the table (0: all).")]
PseudoOpt = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help="Replace person and worker IDs with keyed tokens "
        "(HMAC-SHA-256; key from $SUPERVISION_AUDIT_KEY or --key-file).",
    ),
]
KeyFileOpt = Annotated[
    Path | None, typer.Option("--key-file", help="File holding the pseudonymisation key.")
]
NoNamesOpt = Annotated[bool, typer.Option("--no-names", help="Leave names out of every output.")]


def _version_callback(value: bool) -> None:
    if value:
        print(f"supervision-audit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Audit supervision intervals in children's social care against an authority's policy."""


@app.command()
@handle_errors
def audit(
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
    debug: DebugOpt = False,
) -> None:
    """Find every child, carer and worker outside their required supervision interval."""
    from .audit import AuditOptions, run_audit
    from .report.outputs import write_output

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
    )
    key = None
    if pseudonymise:
        from .report.privacy import read_key

        key = read_key(key_file)  # before the audit: refuse early without a key
    elif key_file is not None:
        raise UsageError("--key-file goes with --pseudonymise")
    run = run_audit(opts)
    from .report.privacy import apply_privacy

    run = apply_privacy(run, key, no_names)
    if output is not None:
        written = write_output(run, output, argv=sys.argv)
        err_console().print(f"wrote {written}", markup=False)
    render(run.result, output_format, limit)


def render(result: Any, output_format: str, limit: int) -> None:
    if output_format == "json":
        from .report.jsonout import write_json_to

        sys.stdout.flush()
        write_json_to(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    elif output_format == "csv":
        from .report.csvout import render_csv

        sys.stdout.write(render_csv(result))
    else:
        from .report.terminal import render_terminal

        render_terminal(result, out_console(), limit=limit)


@app.command("sample-data")
@handle_errors
def sample_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the CSV files to.")],
    children: Annotated[int, typer.Option("--children", help="How many children.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 1,
    as_of: Annotated[str, typer.Option("--as-of", help="The authority's 'today'.")] = "2026-10-31",
    staff: Annotated[bool, typer.Option("--staff/--no-staff", help="Include staff tables.")] = True,
    bad_rows: Annotated[
        bool, typer.Option("--bad-rows/--no-bad-rows", help="Include a few realistic bad rows.")
    ] = True,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write data.xlsx.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write a realistic synthetic authority (canonical CSV tables) for trying the tool."""
    from .sample import generate, write_csv, write_xlsx

    if children < 1:
        raise UsageError("--children must be at least 1")
    day = parse_date(as_of, "--as-of")
    assert day is not None
    tables = generate(children, seed, day, staff=staff, bad_rows=bad_rows)
    paths = write_csv(tables, out)
    if xlsx:
        paths.append(write_xlsx(tables, out / "data.xlsx"))
    for p in paths:
        err_console().print(f"wrote {p}", markup=False)


def _register_groups() -> None:
    from .cli_batch import batch_cmd
    from .cli_manager import due_cmd, explain_cmd
    from .cli_profiles import inspect_cmd, profiles_app
    from .cli_rulesets import rulesets_app
    from .cli_sample import sample_cmd

    app.add_typer(rulesets_app, name="rulesets")
    app.add_typer(profiles_app, name="profiles")
    app.command("inspect")(handle_errors(inspect_cmd))
    app.command("due")(handle_errors(due_cmd))
    app.command("explain")(handle_errors(explain_cmd))
    app.command("batch")(handle_errors(batch_cmd))
    app.command("sample")(handle_errors(sample_cmd))


_register_groups()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
