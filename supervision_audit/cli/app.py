"""The command line: parse -> call the library -> render -> exit code. Typer only.

Exit codes: 0 ran (findings are not errors); 1 a requested threshold failed; 2 a usage or
input error, shown as one line. An unexpected internal error is one line too (exit 3);
--debug shows the traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .._version import __version__
from .audit import audit_cmd
from .batch import batch_cmd
from .common import ReadableGroup, handle_errors
from .manager import due_cmd, explain_cmd
from .profiles import inspect_cmd, profiles_app
from .rulesets import rulesets_app
from .sample import sample_cmd

app = typer.Typer(
    cls=ReadableGroup,
    name="supervision-audit",
    help="Audit supervision intervals in children's social care against an authority's policy.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


from .examples import annotate  # noqa: E402


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


app.command("audit")(handle_errors(audit_cmd))
app.add_typer(rulesets_app, name="rulesets")
app.add_typer(profiles_app, name="profiles")
app.command("inspect")(handle_errors(inspect_cmd))
app.command("due")(handle_errors(due_cmd))
app.command("explain")(handle_errors(explain_cmd))
app.command("batch")(handle_errors(batch_cmd))
app.command("sample")(handle_errors(sample_cmd))
annotate(app)


def main() -> None:
    """Console-script entry point: every command runs inside process.guarded_process()."""
    import sys

    from .process import closed_stdout, guarded_process

    try:
        with guarded_process():
            app()
    except BrokenPipeError:
        closed_stdout()
        sys.exit(2)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM outside a command's own handler
        code = getattr(exc, "exit_code", 130)
        print(getattr(exc, "message", "interrupted"), file=sys.stderr)
        sys.exit(code)
