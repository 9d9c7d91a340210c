"""What every command shares: option declarations, error handling, consoles, date and
parameter parsing, and the few steps commands repeat (run an audit from options, write a
frame). Command modules import this; nothing here imports a command module."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import polars as pl
import typer
import typer.core
from rich.console import Console

from ..dates import AS_OF_TOKENS, parse_as_of
from ..errors import AuditError, UsageError

try:  # Typer 0.22+ carries its own copy of Click; older ones use the click package.
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    import click.exceptions as click_errors  # type: ignore[no-redef]

EXIT_OK, EXIT_THRESHOLD, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
Exit = typer.Exit

F = TypeVar("F", bound=Callable[..., Any])


def err_console() -> Console:
    from ..report.terminal import SafeConsole

    return SafeConsole(stderr=True, soft_wrap=True)


def out_console() -> Console:
    from ..report.terminal import SafeConsole

    return SafeConsole()


@contextlib.contextmanager
def _input_warnings_as_lines() -> Any:
    """Each input warning (sources.read.InputWarning: a hidden sheet left out...) as one
    'warning: ...' line on standard error, every time it happens."""
    from ..sources.read import InputWarning

    def show(message: Any, category: Any, *_args: Any, **_kwargs: Any) -> None:
        if issubclass(category, InputWarning):
            err_console().print(f"warning: {message}", markup=False)
        else:
            original(message, category, *_args, **_kwargs)

    with warnings.catch_warnings():
        original = warnings.showwarning
        warnings.simplefilter("always", InputWarning)
        warnings.showwarning = show
        yield


def handle_errors(func: F) -> F:
    """Turn library errors into one-line messages and exit codes; --debug shows tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug"))
        try:
            with _input_warnings_as_lines():
                return func(*args, **kwargs)
        except typer.Exit:
            raise
        except AuditError as exc:
            if debug:
                raise
            err_console().print(f"error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (cli.process.Terminated)
            with contextlib.suppress(Exception):
                err_console().print(getattr(exc, "message", "interrupted"), markup=False)
            raise typer.Exit(getattr(exc, "exit_code", 130)) from None
        except BrokenPipeError:  # standard output closed (`| head`): a quiet exit
            from .process import closed_stdout

            closed_stdout()
            raise typer.Exit(EXIT_INPUT) from None
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


def parse_date(text: str | None, option: str) -> dt.date | None:
    """The one audit-date grammar (dates.parse_as_of): ISO, DD/MM/YYYY, today,
    last-month-end or last-week-end."""
    if text is None:
        return None
    try:
        return parse_as_of(text, dt.date.today())
    except ValueError:
        raise UsageError(
            f"{option} '{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY, or one of: "
            f"{', '.join(AS_OF_TOKENS)})"
        ) from None


def parse_window(text: str, option: str) -> Any:
    """A window after the audit date (`due --within`, `audit --due-within`): 14d, 2w, 1m."""
    from ..dates import Interval

    try:
        return Interval.parse(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


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


def parse_rag(text: str | None, option: str = "--rag") -> tuple[float, float]:
    """'GREEN,AMBER' percentages, e.g. '90,75' (audit.parse_rag's grammar, shared with
    batch configs): green at or above the first, amber at or above the second, red below."""
    if text is None:
        return (90.0, 75.0)
    from ..audit import parse_rag as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"{option} {exc}") from None


class _NamedArgument(typer.core.TyperArgument):
    """An argument shown by its name alone (SUBJECT_ID, FILE), not followed by '<str>'."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class OneLineUsageError(click_errors.UsageError):
    """A Click usage error shown as one line on standard error (what is wrong, the closest
    option or command name where there is one, and where --help is), exit 2."""

    def __init__(self, line: str, exit_code: int = EXIT_INPUT) -> None:
        super().__init__(line)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        import sys

        print(f"error: {self.message}", file=file or sys.stderr)


def _closest(word: str, names: list[str]) -> list[str]:
    """The one name nearest to `word` (ignoring leading dashes), if any is close."""
    import difflib

    bare = {n.lstrip("-"): n for n in sorted(set(names))}
    near = difflib.get_close_matches(word.lstrip("-"), list(bare), n=1, cutoff=0.6)
    return [bare[n] for n in near]


def usage_line(exc: Any, path: str = "supervision-audit") -> str:
    """Click's three-line usage error (usage, hint, 'Error: ...') as one line: what is
    wrong, the closest option or command name where one is close, and where --help is."""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        path = ctx.command_path
    hint = f"see '{path} --help'"
    if isinstance(exc, click_errors.NoSuchOption):
        options = [o for p in ctx.command.params for o in p.opts + p.secondary_opts] if ctx else []
        near = _closest(exc.option_name, options + ["--help"])
        did = f" (did you mean {near[0]}?)" if near else ""
        return f"no such option {exc.option_name}{did}; {hint}"
    text = " ".join(exc.format_message().split()).rstrip(".")
    if (
        ctx is not None
        and hasattr(ctx.command, "list_commands")
        and text.startswith("No such command")
    ):
        word = text.split("'", 2)[1] if text.count("'") >= 2 else ""
        near = _closest(word, ctx.command.list_commands(ctx))
        did = f" (did you mean {near[0]}?)" if near else ""
        return f"no such command '{word}'{did}; {hint}"
    if text:
        text = text[0].lower() + text[1:]
    return f"{text}; {hint}"


def _one_line(exc: Any, path: str = "supervision-audit") -> Any:
    if isinstance(exc, OneLineUsageError | click_errors.NoArgsIsHelpError):
        return exc
    return OneLineUsageError(usage_line(exc, path), exit_code=exc.exit_code)


class ReadableGroup(typer.core.TyperGroup):
    """A command group whose commands list their arguments by name, without Python types,
    and whose usage errors (an unknown option or command, a bad choice, a missing value)
    are one line on standard error, exit 2 (Click's own take three)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for cmd in self.commands.values():
            for param in cmd.params:
                if type(param) is typer.core.TyperArgument:
                    param.__class__ = _NamedArgument

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except click_errors.ClickException as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: Any) -> Any:
        # The command about to run, for errors Click raises before its context exists
        # ('--data' given no value).
        protected = getattr(ctx, "_protected_args", None)
        if protected is None:  # older Click
            protected = ctx.protected_args
        pending = [*protected, *ctx.args][:1]
        path = ctx.command_path
        if pending and pending[0] in self.commands:
            path = f"{path} {pending[0]}"
        try:
            return super().invoke(ctx)
        except click_errors.ClickException as exc:
            raise _one_line(exc, path) from None


# Shared option declarations -------------------------------------------------------------

DataOpt = Annotated[
    Path,
    typer.Option(
        "--data", metavar="FOLDER|FILE.xlsx", help="Folder of CSV files, or one .xlsx workbook."
    ),
]
SourceOpt = Annotated[
    str,
    typer.Option(
        "--source",
        metavar="SOURCE",
        help="How to read --data: auto (by the files' headers), canonical, mosaic, eclipse, "
        "ssd, hr, or an export profile .yaml.",
    ),
]
RulesetOpt = Annotated[
    str,
    typer.Option(
        "--ruleset", metavar="RULESET", help="Ruleset name (dorset, devon, ...) or a .yaml file."
    ),
]
AsOfOpt = Annotated[
    str,
    typer.Option("--as-of", metavar="DATE", help="Audit date (YYYY-MM-DD, DD/MM/YYYY or today)."),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from", metavar="DATE", help="Only findings overdue at some point from this date."
    ),
]
HistoryOpt = Annotated[
    str | None,
    typer.Option(
        "--history-from",
        metavar="DATE",
        help="Date from which event data is complete (default: the earliest event in the data).",
    ),
]
ScopeOpt = Annotated[str, typer.Option("--scope", metavar="SCOPE", help="children, staff or all.")]
FormatOpt = Annotated[
    str, typer.Option("--format", metavar="FORMAT", help="Terminal output: table, json or csv.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Also write to FILE (.json, .csv or .xlsx)."
    ),
]
TeamOpt = Annotated[str | None, typer.Option("--team", metavar="TEAM", help="Only this team.")]
WorkerOpt = Annotated[
    str | None, typer.Option("--worker", metavar="WORKER_ID", help="Only this worker's cases.")
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param", metavar="NAME=VALUE", help="Ruleset parameter NAME=VALUE (repeatable)."
    ),
]
ThresholdOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="TEST",
        help='Exit 1 if this test fails after the audit, e.g. "children_compliance >= 0.85" '
        "(batch's grammar and metrics; repeatable).",
    ),
]
TrendOpt = Annotated[
    int,
    typer.Option(
        "--trend",
        metavar="MONTHS",
        help="Also report the last MONTHS month ends (at most 24): the share with no "
        "outstanding breach at each, as an audit as of that day would say.",
    ),
]
DueWithinOpt = Annotated[
    str | None,
    typer.Option(
        "--due-within",
        metavar="PERIOD",
        help="The workbook's Due sheet: who falls due within PERIOD after --as-of, or is "
        "overdue now (as `due --within`: 14d, 2w, 1m; default 14d). Needs an .xlsx --output.",
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (may include data).")]
LimitOpt = Annotated[
    int, typer.Option("--limit", metavar="N", help="Findings to list in the table (0: all).")
]
PseudoOpt = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help="Replace person and worker IDs with keyed tokens "
        "(HMAC-SHA-256; key from $SUPERVISION_AUDIT_KEY or --key-file).",
    ),
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option("--key-file", metavar="FILE", help="File holding the pseudonymisation key."),
]
AllowUnverifiedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-unverified",
        help="Run a ruleset that fails `rulesets validate` (starter text, or quotes not in "
        "its policy file); every output then says it is unverified.",
    ),
]
RagOpt = Annotated[
    str | None,
    typer.Option(
        "--rag",
        metavar="GREEN,AMBER",
        help="RAG cut-offs in % with no breach: green at or above GREEN, amber at or above "
        "AMBER, red below (default 90,75).",
    ),
]
NoNamesOpt = Annotated[bool, typer.Option("--no-names", help="Leave names out of every output.")]


def run_from_options(
    data: Path,
    ruleset: str,
    as_of: str,
    history_from: str | None,
    scope: str,
    param: list[str] | None,
    team: str | None = None,
    worker: str | None = None,
    source: str = "auto",
    allow_unverified: bool = False,
) -> Any:
    from ..audit import AuditOptions, run_audit

    opts = AuditOptions(
        data=data,
        ruleset=ruleset,
        as_of=parse_date(as_of, "--as-of"),  # type: ignore[arg-type]
        history_from=parse_date(history_from, "--history-from"),
        scope=scope,
        params=parse_params(param),
        team=team,
        worker=worker,
        source=source,
        allow_unverified=allow_unverified,
    )
    from .progress import progress

    with progress("Reading the exports") as shown:
        return run_audit(opts, step=shown.update)


def check_output_option(output: Path | None, data: Path, *others: str | Path | None) -> None:
    """Before anything runs: --output is writable where it points, and resolves (symlinks
    followed) to no input: not the data, not a file in the data folder, not the ruleset,
    profile or key file (those named in `others` that are files)."""
    if output is None:
        return
    from ..report.outputs import check_outputs

    inputs = [data] + [Path(o) for o in others if o is not None and Path(str(o)).is_file()]
    check_outputs([("--output", output)], inputs)


def json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    return frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c in dates).to_dicts()


def check_format(output_format: str) -> None:
    if output_format not in ("table", "json", "csv"):
        raise UsageError(f"--format must be table, json or csv (got '{output_format}')")


def write_frame_file(frame: pl.DataFrame, path: Path, sheet: str, about: dict[str, str]) -> None:
    from ..report.tables import write_frame
    from .progress import progress

    with progress(f"Writing {path.name}"):
        write_frame(frame, path, sheet=sheet, about=about)
    err_console().print(f"wrote {path}", markup=False)
