"""`inspect` (how the export files were read) and `profiles list|new`: thin Typer commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from ..report.terminal import print_table
from .common import (
    DataOpt,
    DebugOpt,
    ReadableGroup,
    SourceOpt,
    err_console,
    handle_errors,
    out_console,
)

profiles_app = typer.Typer(
    cls=ReadableGroup,
    help="Export profiles: how Mosaic, Eclipse, SSD and HR exports are read.",
    no_args_is_help=True,
)


def inspect_report(data: Path, source: str, ruleset: str | None) -> dict[str, Any]:
    """The mapping report as JSON-ready data (library call, used by the command and tests)."""
    from ..rules.loading import load_ruleset
    from ..sources import load_data
    from ..sources.schema import TABLES

    maps = load_ruleset(ruleset).value_maps() if ruleset else {}
    loaded = load_data(data, source, list(TABLES), (), maps)
    issues = (
        loaded.issues.group_by("table", "column", "reason", "action")
        .len()
        .sort(
            "table",
            "len",
            "column",
            "reason",
            "action",
            descending=[False, True, False, False, False],
            nulls_last=True,
        )  # fmt: skip  (ties broken by name: the same order on every run)
    )
    return {
        "source": loaded.source,
        "mapping": loaded.mapping.to_dict() if loaded.mapping is not None else None,
        "tables": loaded.reconciliation(),
        "data_issues": issues.rename({"len": "rows"}).to_dicts(),
    }


def inspect_cmd(
    data: DataOpt,
    source: SourceOpt = "auto",
    ruleset: Annotated[
        str | None,
        typer.Option(
            "--ruleset",
            metavar="RULESET",
            help="Also apply this ruleset's vocabulary (local names).",
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table (default) or json.")
    ] = "table",
    debug: DebugOpt = False,
) -> None:
    """Show how the files in --data were read: profile, columns, values, filters, dates."""
    if output_format not in ("table", "json"):
        raise UsageError(f"--format must be table or json (got '{output_format}')")
    from .progress import progress

    with progress("Reading the exports"):
        report = inspect_report(data, source, ruleset)
    if output_format == "json":
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    _render(report)


def _render(report: dict[str, Any]) -> None:
    con = out_console()
    con.print(f"Source: {report['source']}", markup=False)
    mapping = report["mapping"]
    if mapping is not None:
        for f in mapping["files"]:
            con.print()
            if f["source"] is None:
                con.print(
                    Text.assemble(
                        (f["file"], "bold"),
                        ": not recognised by the profile, not used "
                        f"(headers: {', '.join(f['unused_headers']) or 'none'})",
                        style="yellow",
                    )
                )
                continue
            con.print(
                Text.assemble(
                    (f["file"], "bold"),
                    f" → {f['feeds']} (as '{f['source']}'; header on line "
                    f"{f['header_line']}): {f['rows']:,} rows, {f['passed']:,} passed on",
                )
            )
            cols = Table("canonical column", "from", box=None, pad_edge=False)
            for canon, header in f["columns"].items():
                cols.add_row(canon, header)
            print_table(con, cols)
            if f["unused_headers"]:
                con.print(f"  headers not used: {', '.join(f['unused_headers'])}", markup=False)
            for reason, n in f["excluded"].items():
                con.print(f"  excluded: {n:,} rows ({reason})", markup=False)
            if f["values"]:
                vals = Table("column", "value seen", "rows", "mapped to", box=None)
                for v in f["values"]:
                    to = v["mapped_to"]
                    desc = v.get("description")
                    vals.add_row(
                        v["column"],
                        f"{v['value']} ({desc})" if desc else str(v["value"]),
                        f"{v['rows']:,}",
                        to if to else Text("UNMAPPED", style="red"),
                    )
                print_table(con, vals)
            for col, formats in f["date_formats"].items():
                seen = ", ".join(f"{k}: {v:,}" for k, v in formats.items())
                con.print(f"  {col} date formats: {seen}", markup=False)
        for note in mapping.get("notes", []):
            con.print(f"Note: {note}", markup=False)
        missing = {t: c for t, c in mapping["missing_columns"].items() if c}
        for table, cols in missing.items():
            con.print(f"{table}: no file supplies {', '.join(cols)}", markup=False)
    con.print()
    rec = Table(
        "table",
        "read",
        "used",
        "excluded",
        "rejected",
        title="Rows: read = used + excluded + rejected",
    )
    for name, t in report["tables"].items():
        excluded = sum((t.get("excluded") or {}).values())
        rec.add_row(name, f"{t['read']:,}", f"{t['used']:,}", f"{excluded:,}", f"{t['rejected']:,}")
    print_table(con, rec)
    if report["data_issues"]:
        iss = Table("table", "column", "reason", "action", "rows", title="Data issues")
        for i in report["data_issues"]:
            iss.add_row(i["table"], i["column"], i["reason"], i["action"], f"{i['rows']:,}")
        print_table(con, iss)


@profiles_app.command("list")
@handle_errors
def list_cmd(debug: DebugOpt = False) -> None:
    """List the shipped export profiles."""
    from ..sources.profiles import load_profile, profile_names

    table = Table("profile", "reads", "sources")
    for name in profile_names():
        p = load_profile(name)
        table.add_row(name, p.title, str(len(p.sources)))
    print_table(out_console(), table)


@profiles_app.command("new")
@handle_errors
def new_cmd(
    path: Annotated[
        Path, typer.Argument(metavar="FILE.yaml", help="Where to write the profile (.yaml).")
    ],
    from_profile: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="PROFILE",
            help="The system's profile to start from: mosaic, eclipse, ssd or hr.",
        ),
    ] = "mosaic",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            metavar="FOLDER|FILE.xlsx",
            help="Your own export (folder of CSV files or .xlsx): list every note, step and "
            "form type and involvement role in it, with its row count, and propose what counts.",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Write a profile to adapt, from a shipped one or from your own export (--data).

    With --data, every note, step and form type and involvement role in your export is listed
    with its row count, and what counts as supervision is proposed for you to review.
    """
    from ..report.atomic import atomic_write_text
    from ..sources.profiles import resolve_profile

    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"the profile file must end in .yaml (got '{path.name}')")
    if path.exists():
        raise UsageError(f"{path} already exists; choose another name")
    if data is not None:
        from ..sources.guided import guided_profile

        text, listings = guided_profile(from_profile, data, path.stem)
        atomic_write_text(path, text)
        _render_proposals(path, data, listings)
        return
    source = resolve_profile(from_profile)
    text = source.read_text(encoding="utf-8")
    text = text.replace(f"name: {source.stem}\n", f"name: {path.stem}\n", 1)
    path.write_text(text, encoding="utf-8")
    err_console().print(
        f"wrote {path}: edit the header spellings and value maps, then "
        f"`supervision-audit inspect --data YOUR_EXPORTS --source {path}`",
        markup=False,
    )


def _render_proposals(path: Path, data: Path, listings: list[Any]) -> None:
    """What `profiles new --data` listed and proposed, for the officer to review."""
    con = err_console()
    con.print(f"wrote {path}: the types and roles found in {data}", markup=False)
    for listing in listings:
        if not listing.files:
            continue
        rows = listing.types.to_dicts()
        proposed = [r for r in rows if r["proposed"]]
        what = "types" if listing.what == "kind" else "roles"
        con.print(
            f"\n{listing.source} ({', '.join(listing.files)}): {len(rows)} {what} in "
            f"{listing.header}, {len(proposed)} proposed",
            markup=False,
            highlight=False,
        )
        if proposed:
            table = Table("value", "description", "rows", "proposed", "rule", box=None)
            for r in proposed:
                table.add_row(
                    Text(str(r["value"])),
                    Text(str(r["description"] or "")),
                    f"{r['rows']:,}",
                    r["proposed"],
                    r["rule"],
                )
            print_table(con, table)
    con.print(
        f"\nReview the proposals (lines marked '# proposed') in {path}, then run "
        f"`supervision-audit inspect --data {data} --source {path}`.",
        markup=False,
        highlight=False,
    )
