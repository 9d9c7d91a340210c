"""`supervision-audit rulesets ...`: list, show, explain, validate, new, compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from ..report.terminal import print_table
from .common import (
    DebugOpt,
    ParamOpt,
    ReadableGroup,
    err_console,
    handle_errors,
    out_console,
    parse_params,
)

rulesets_app = typer.Typer(
    cls=ReadableGroup,
    help="List, read, check and write rulesets.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

JsonFlag = Annotated[
    bool, typer.Option("--json", hidden=True, help="Same as --format json (older scripts).")
]
RulesetFormatOpt = Annotated[
    str, typer.Option("--format", metavar="FORMAT", help="table (default) or json.")
]


def _wants_json(output_format: str, as_json: bool) -> bool:
    if output_format not in ("table", "json"):
        raise UsageError(f"--format must be table or json (got '{output_format}')")
    return as_json or output_format == "json"


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


@rulesets_app.command("list")
@handle_errors
def list_cmd(
    output_format: RulesetFormatOpt = "table", as_json: JsonFlag = False, debug: DebugOpt = False
) -> None:
    """The built-in rulesets: authority, document date, rules and coverage."""
    from ..rules.catalogue import list_rulesets

    rows = list_rulesets()
    if _wants_json(output_format, as_json):
        _print_json(rows)
        return
    table = Table(title="Built-in rulesets", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("name", no_wrap=True)
    for col in ("authority", "policy date", "rules", "not auditable", "digest"):
        table.add_column(col)
    for r in rows:
        rules = f"{r['rules']} ({r['children_rules']} case, {r['staff_rules']} staff)"
        digest = (
            f"{r['digest_encoded']} encoded, {r['digest_not_auditable']} not auditable, "
            f"{r['digest_missing']} missing"
        )
        table.add_row(
            r["name"], r["authority"], r["document_date"], rules, str(r["not_auditable"]), digest
        )
    con = out_console()
    print_table(con, table)
    for r in rows:
        if r["parameters"]:
            con.print(f"Parameters of {r['name']}: {r['parameters']}")
    con.print(
        "digest: the requirements of the project's policy digest for each authority, encoded "
        "as rules, listed as not auditable (with the reason), or missing."
    )


@rulesets_app.command("show")
@handle_errors
def show_cmd(
    name: Annotated[str, typer.Argument(metavar="RULESET", help="Ruleset name or .yaml file.")],
    param: ParamOpt = None,
    output_format: RulesetFormatOpt = "table",
    as_json: JsonFlag = False,
    debug: DebugOpt = False,
) -> None:
    """Every rule of a ruleset as a readable table."""
    from ..rules.catalogue import rule_rows
    from ..rules.digest import digest_line, digest_states
    from ..rules.loading import load_ruleset

    rs = load_ruleset(name, parse_params(param), placeholders=True)
    rows = rule_rows(rs)
    if _wants_json(output_format, as_json):
        _print_json(
            {
                "name": rs.name,
                "version": rs.version,
                "rules": rows,
                "not_auditable": [vars(n) for n in rs.not_auditable],
                "parameters": rs.parameter_strings(),
                "digest": digest_states(rs),
            }
        )
        return
    con = out_console()
    con.print(
        Text(
            f"{rs.authority} — {rs.document.title} ({rs.document.date}); "
            f"ruleset {rs.name} {rs.version}",
            style="bold",
        )
    )
    if rs.parameters:
        con.print(
            "Parameters: "
            + ", ".join(f"{k}={v}" for k, v in rs.parameter_strings().items())
            + (f"  (placeholder for: {', '.join(rs.placeholders)})" if rs.placeholders else "")
        )
    covered = digest_line(rs)
    if covered:
        con.print(f"Policy digest: {covered}.")
    table = Table(show_lines=True, box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True)
    for col in ("applies to", "requirement", "counts", "citation", "note"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"], r["applies_to"], r["requirement"], r["counts"], r["section"], r["note"]
        )
    print_table(con, table)
    if rs.not_auditable:
        na = Table(title="Not auditable from data", show_lines=True, box=box.SIMPLE_HEAD)
        na.add_column("id", no_wrap=True)
        for col in ("requirement", "section", "reason"):
            na.add_column(col)
        for n in rs.not_auditable:
            na.add_row(n.id, n.requirement, n.section, n.reason)
        print_table(con, na)


@rulesets_app.command("explain")
@handle_errors
def explain_cmd(
    rule_id: Annotated[str, typer.Argument(metavar="RULE_ID", help="A rule id such as DOR-C1.")],
    ruleset: Annotated[
        str | None,
        typer.Option(
            "--ruleset",
            metavar="RULESET",
            help="Look in this ruleset (a name, or your own .yaml file), not the built-in ones.",
        ),
    ] = None,
    output_format: RulesetFormatOpt = "table",
    as_json: JsonFlag = False,
    debug: DebugOpt = False,
) -> None:
    """A rule's policy text, the reading the tool applies, and a worked example."""
    from ..rules.catalogue import explain

    info = explain(rule_id, ruleset)
    if _wants_json(output_format, as_json):
        _print_json(info)
        return
    con = out_console()
    con.print(Text(f"{info['id']}: {info['title']}", style="bold"))
    con.print(
        f"Ruleset {info['ruleset']} ({info['authority']}); kind {info['kind']}, "
        f"scope {info['scope']}"
    )
    con.print(Text("\nWhat the policy says", style="bold underline"))
    con.print(f"{info['citation']}:")
    con.print(Text(f"“{info['quote']}”", style="italic"))
    if info["quote_verified"] is True:
        con.print(f"(found verbatim in {info['document_file']})")
    con.print(Text("\nHow the tool reads it", style="bold underline"))
    con.print(info["note"] or "(no note)")
    con.print(Text("\nRequirements", style="bold underline"))
    for r in info["requirements"]:
        counts = f"; counts: {r['counts']}" if r.get("counts") else ""
        con.print(f"- {r['applies_to']}: {r['requirement']}{counts}")
    con.print(Text("\nExample of a breach", style="bold underline"))
    con.print(info["example"] or "(no example)")
    if info["parameters"]:
        con.print(Text("\nParameters", style="bold underline"))
        con.print(", ".join(f"{k}={v}" for k, v in info["parameters"].items()))


@rulesets_app.command("validate")
@handle_errors
def validate_cmd(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.yaml", help="The ruleset .yaml file to check.")
    ],
    param: ParamOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check a ruleset file: schema, vocabulary, intervals, ids; errors name the line."""
    from ..rules.catalogue import validate_file

    if not file.is_file():
        raise UsageError(f"{file}: file not found")
    result = validate_file(str(file), parse_params(param))
    con = err_console()
    for w in result.warnings:
        con.print(f"warning: {w}", markup=False)
    if not result.ok:
        con.print(f"error: {result.message}", markup=False)
        raise typer.Exit(2)
    out_console().print(result.message, markup=False, soft_wrap=True)


@rulesets_app.command("new")
@handle_errors
def new_cmd(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Short lower-case name, e.g. kent.")],
    authority: Annotated[
        str | None, typer.Option("--authority", metavar="NAME", help="The authority's name.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="File to write (default NAME.yaml)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter ruleset to adapt."""
    from ..report.atomic import atomic_write_text
    from ..rules.catalogue import starter_ruleset

    target = out or Path(f"{name}.yaml")
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    atomic_write_text(target, starter_ruleset(name, authority))
    err_console().print(
        f"wrote {target}; check it with: supervision-audit rulesets validate {target}", markup=False
    )


@rulesets_app.command("compare")
@handle_errors
def compare_cmd(
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[RULESET]...", help="Rulesets to compare (default: all)."),
    ] = None,
    output_format: RulesetFormatOpt = "table",
    as_json: JsonFlag = False,
    debug: DebugOpt = False,
) -> None:
    """Each authority's required interval side by side, by case category and staff group."""
    from ..rules.catalogue import compare

    data = compare(names)
    if _wants_json(output_format, as_json):
        _print_json(data)
        return
    con = out_console()
    for key, title in (
        ("cases", "Case supervision (child's or carer's record)"),
        ("staff", "Staff supervision"),
    ):
        table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
        table.add_column("group")
        for col in data["rulesets"]:
            table.add_column(col)
        for row in data[key]:
            table.add_row(row["group"], *[row[c] for c in data["rulesets"]])
        print_table(con, table)
    con.print("— : no requirement for that group in that policy.", markup=False)
    for name, params in data["placeholders"].items():
        con.print(
            f"{name}: set by --param {', '.join(params)} (shown with a placeholder)", markup=False
        )
