"""Guided mapping of what counts: proposals for a council's own note, step and form types.

No public schema names the case-note type, workflow step type or form a council uses for
case supervision (real-exports.md §6-7): only the council knows. `profiles new --from SYSTEM
--data EXPORTS` lists every distinct type in the council's export with its row count and
proposes, for each, one canonical kind (CASE_SUPERVISION, GROUP_SUPERVISION,
MANAGEMENT_OVERSIGHT, FILE_AUDIT) or nothing, by the matching tables below; and, for the
involvement / professional-relationship roles, which of them is the allocated worker.

The matching is deliberately conservative: a type is proposed only when its description
says so in words, and the exclusions run first ("Supervision Order" is a court order,
"Professional supervision" is the worker's own). A type nothing matches is listed and not
counted. Every proposal is marked as proposed in the written file for the officer to review.
docs/profiles.md ("Proposing what counts") is the same table in prose; a test keeps them in
step.

All matching is Polars expressions over the table of distinct values (no row loops).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from ..errors import InputError
from ..yamlio import load_yaml_file
from .headers import norm_header
from .parse import id_expr
from .profiles import Profile, Source, all_wanted, best_source, load_profile, resolve_profile
from .read import MISFIT, InputFile, read_inputs


@dataclass(frozen=True)
class MatchRule:
    """One row of a matching table: the first rule whose pattern matches decides."""

    rule: str
    """Stable id (shown in the written profile and in docs/profiles.md)."""
    pattern: str
    """A regular expression over the normalised text (see `normalise`)."""
    proposes: str | None
    """The canonical value proposed, or None: never proposed (an exclusion)."""
    why: str
    reads: str = "description"
    """description (the type's description, or its code when it has none) or code."""


# Matched in order over the normalised description: lower case, apostrophes dropped
# ("Manager's" -> "managers"), every other run of non-letters and non-digits one space.
KIND_RULES: tuple[MatchRule, ...] = (
    MatchRule(
        "K1",
        r"\b(orders?|court|requirements?|sentence|licen[cs]e)\b",
        None,
        "a court order or sentence (a Supervision Order is a court order), not supervision",
    ),
    MatchRule(
        "K2",
        r"\b(contact supervision|supervision of contacts?|supervising contacts?)\b",
        None,
        "supervision of a child's contact with family, not supervision of the case",
    ),
    MatchRule(
        "K3",
        r"\b(preparation|prep|reminders?|requests?|requested|cancelled|canceled|missed"
        r"|overdue|due|not held|declined|templates?|agreement|contract)\b",
        None,
        "about a supervision (planned, requested, missed or its agreement), not the record of one",
    ),
    MatchRule(
        "K4",
        r"\b(file audits?|audit of (the |a )?(case |childs |child )?files?)\b",
        "FILE_AUDIT",
        "a file audit",
    ),
    MatchRule(
        "K5",
        r"\b(audits?|audited|auditing|quality assurance|qa)\b",
        None,
        "an audit or quality assurance other than a file audit",
    ),
    MatchRule(
        "K6",
        r"\b(management oversight|managers? oversight|managers? case notes?"
        r"|management (decision|discussion)s?)\b",
        "MANAGEMENT_OVERSIGHT",
        "management oversight or a manager's case note (Devon 8, Dorset 4.7)",
    ),
    MatchRule(
        "K7",
        r"\b(personal|professional|staff|management|managers|individual|1 1|one to one)"
        r" supervision\b|\bsupervision (of|for) (staff|the worker|workers?)\b",
        None,
        "the worker's own supervision, not supervision of a child's case",
    ),
    MatchRule(
        "K8",
        r"\bgroup\b.*\bsupervisions?\b|\bsupervisions? groups?\b",
        "GROUP_SUPERVISION",
        "group supervision",
    ),
    MatchRule(
        "K9",
        r"\bsupervisions?\b",
        "CASE_SUPERVISION",
        "supervision recorded on the child's record",
    ),
)

ALLOCATED = "ALLOCATED_WORKER"
"""What a role proposal proposes: this role is the child's allocated worker."""

# Role codes the published extracts filter on for the allocated worker (real-exports.md
# §1.8, §1.11, §2.5): LiquidLogic CW, Eclipse AW, Mosaic REL.ALLWORK / REL.ALLWORKCF (data
# mart) and ALLWKR (raw PEOPLE_WORKERS).
ALLOCATED_CODES: tuple[str, ...] = ("CW", "AW", "ALLWKR", "REL.ALLWORK", "REL.ALLWORKCF")

ROLE_RULES: tuple[MatchRule, ...] = (
    MatchRule(
        "R1",
        r"\b(team|iro|independent reviewing|reviewing officer|personal advi[sc][eo]rs?|pa"
        r"|key agency|co|second|secondary|assistant|student|previous|former|temporary"
        r"|duty|family worker|support worker|supervisor|manager)\b",
        None,
        "another role (team, IRO, personal adviser, key agency, co-worker...)",
    ),
    MatchRule("R2", r"^ka", None, "a key-agency involvement (LiquidLogic KA... codes)", "code"),
    MatchRule(
        "R3",
        "^(" + "|".join(re.sub(r"[^a-z0-9]+", " ", c.lower()) for c in ALLOCATED_CODES) + ")$",
        ALLOCATED,
        "an allocated-worker code the published extracts filter on",
        "code",
    ),
    MatchRule(
        "R4",
        r"\b(allocated (social )?workers?|case ?workers?|allocated practitioners?)\b",
        ALLOCATED,
        "described as the allocated worker or case worker",
    ),
)


def normalise(text: pl.Expr) -> pl.Expr:
    """Lower case, apostrophes dropped, every other run of punctuation or space one space."""
    return (
        text.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"['’‘`´]", "")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
        .fill_null("")
    )


def _decide(types: pl.DataFrame, rules: tuple[MatchRule, ...]) -> pl.DataFrame:
    """Adds `proposed`, `rule` and `why`: those of the first rule that matches each row
    (all null when none does). `value` is the type's code (or its text when the export has
    no code), `description` its description where the export has one."""
    code = pl.col("value").cast(pl.String)
    desc = pl.col("description").cast(pl.String) if "description" in types.columns else None
    texts = {
        "code": normalise(code),
        "description": normalise(code if desc is None else pl.coalesce(desc, code)),
    }
    hits = [(texts[r.reads].str.contains(r.pattern), r) for r in rules]

    def first(field: str) -> pl.Expr:
        expr: Any = pl.when(hits[0][0]).then(pl.lit(getattr(hits[0][1], field), pl.String))
        for hit, r in hits[1:]:
            expr = expr.when(hit).then(pl.lit(getattr(r, field), pl.String))
        return expr.otherwise(pl.lit(None, pl.String)).alias(field)

    names = {"proposed": "proposes", "rule": "rule", "why": "why"}
    return types.with_columns(first(f).alias(out) for out, f in names.items())


def propose_kinds(types: pl.DataFrame) -> pl.DataFrame:
    """The kind proposed for each distinct note, step or form type (KIND_RULES)."""
    return _decide(types, KIND_RULES)


def propose_roles(roles: pl.DataFrame) -> pl.DataFrame:
    """Whether each distinct involvement role is proposed as the allocated worker
    (ROLE_RULES)."""
    return _decide(roles, ROLE_RULES)


# --------------------------------------------------------------------------------------
# Surveying a council's export: every distinct type with its row count and description

MAX_TYPES = 500
"""A type column holds a few dozen codes; thousands of distinct values mean the profile is
reading the wrong column (free text, names), which must never be copied into a profile."""
BLANK_TEXTS = ("", "null", "#n/a")
EMPTY_TYPES = pl.DataFrame(
    schema={"key": pl.String, "value": pl.String, "description": pl.String, "rows": pl.Int64}
)


@dataclass
class Listing:
    """The distinct values of one column of one source, with what is proposed for each."""

    source: str
    what: str
    """'kind' (note, step or form type) or 'role' (involvement role: the allocated worker)."""
    header: str
    files: list[str]
    types: pl.DataFrame
    """key (trimmed, lower case: how the profile matches), value, description, rows,
    proposed, rule, why; most rows first."""
    blank_rows: int = 0
    filter_index: int | None = None
    """role: which of the source's filters keeps the allocated worker's roles."""
    per: tuple[str, ...] = ()
    """The headers that make one record of many rows (an Eclipse form: INSTANCEID), when
    `rows` counts records rather than rows."""


def _cleaned(frame: pl.DataFrame, blanks: tuple[str, ...]) -> pl.DataFrame:
    """Every cell trimmed, and None when blank by the profile's conventions (empty, NULL,
    #N/A and the texts the profile names as blank)."""
    words = sorted({*BLANK_TEXTS, *(b.strip().lower() for b in blanks)})
    return frame.with_columns(
        pl.when(s.str.to_lowercase().is_in(words)).then(None).otherwise(s).alias(c)
        for c in frame.columns
        if frame.schema[c] == pl.String
        for s in [pl.col(c).str.strip_chars()]
    )


def _tally(
    frame: pl.DataFrame, value: pl.Expr, description: pl.Expr, record: list[str]
) -> pl.DataFrame:
    """value, description, rows for one file (blank values left out). With `record` (the
    columns that identify one record, such as an Eclipse form's INSTANCEID) a record of many
    rows counts once, described by every name its rows carry (joined with " / ")."""
    cells = frame.select(
        value.alias("value"),
        description.alias("description"),
        *(
            [pl.concat_str([pl.col(c) for c in record], separator="\x1f").alias("_rec")]
            if record
            else []
        ),
    ).drop_nulls("value")
    if record:
        names = pl.col("description").drop_nulls().unique().sort().str.join(" / ")
        cells = (
            cells.group_by("_rec", "value", maintain_order=True)
            .agg(names.alias("description"))
            .with_columns(
                description=pl.when(pl.col("description") != "").then(pl.col("description"))
            )
            .drop("_rec")
        )
    return (
        cells.group_by("value", "description")
        .len("rows")
        .with_columns(pl.col("rows").cast(pl.Int64), key=pl.col("value").str.to_lowercase())
    )


def _combine(tallies: list[pl.DataFrame]) -> pl.DataFrame:
    """One row per distinct (type, description) over every file: key, value, description,
    rows; most rows first."""
    both = pl.concat(tallies, how="vertical").sort(
        ["rows", "value"], descending=[True, False], nulls_last=True
    )
    return (
        both.group_by("key", "description", maintain_order=True)
        .agg(pl.col("value").first(), pl.col("rows").sum())
        .sort(["rows", "key"], descending=[True, False])
    )


def propose_per_type(pairs: pl.DataFrame, what: str) -> pl.DataFrame:
    """One row per type from its (type, description) pairs: the proposal of every pair when
    they all agree, else nothing, said why (an Eclipse form design whose forms carry a
    supervision title and a visit title is not proposed from one of them)."""
    decided = (propose_kinds if what == "kind" else propose_roles)(pairs)
    agreed = pl.col("proposed").fill_null("").n_unique() == 1
    names = pl.col("description").drop_nulls().str.join(" / ")
    return (
        decided.sort(["rows", "key"], descending=[True, False])
        .group_by("key", maintain_order=True)
        .agg(
            pl.col("value").first(),
            pl.when(names != "").then(names).alias("description"),
            pl.col("rows").sum(),
            pl.when(agreed).then(pl.col("proposed").first()).alias("proposed"),
            pl.when(agreed).then(pl.col("rule").first()).alias("rule"),
            pl.when(agreed)
            .then(pl.col("why").first())
            .otherwise(
                pl.format(
                    "its records carry names not all proposed the same way ({})",
                    pl.col("description").fill_null("(none)").str.join("; "),
                )
            )
            .alias("why"),
        )
        .sort(["rows", "key"], descending=[True, False])
    )


# --------------------------------------------------------------------------------------
# Writing the council's profile: the shipped profile with its value maps replaced

HOW_TO_REVIEW = """\
REVIEW THE PROPOSALS BEFORE AUDITING. Each line marked "# proposed" was proposed from the
type's description by the matching table in docs/profiles.md ("Proposing what counts"), and
it is active: delete it, or change its kind, if it is wrong. A type shown commented out is
not counted: its rows are left out of the audit and counted as excluded ("kind not
mapped"); to count it, remove the "# " and write its kind after the colon
(CASE_SUPERVISION, GROUP_SUPERVISION, MANAGEMENT_OVERSIGHT or FILE_AUDIT). Roles work the
same way: the roles listed under `keep` are the child's allocated worker."""

KIND_NOTE = "not counted"
ROLE_NOTE = "not the allocated worker"


def _printable(text: str) -> str:
    """Control and other non-printing characters as \\u escapes (inside a quoted key)."""
    return "".join(
        ch
        if ch.isprintable()
        else (f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
        for ch in text
    )


def quote(value: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `value`."""
    return _printable(json.dumps(value, ensure_ascii=False))


def comment(text: str, limit: int = 100) -> str:
    """Text safe inside a YAML comment: one line, printable, at most `limit` characters."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _label(row: dict[str, Any], unit: str = "row") -> str:
    """'Case Supervision (12 rows)', or just the row count when the value is its own text."""
    rows = f"{row['rows']:,} {unit}{'s' if row['rows'] != 1 else ''}"
    desc = row.get("description")
    return f"{comment(desc)} ({rows})" if desc else rows


def _reason(row: dict[str, Any]) -> str:
    if row["rule"] is None:
        return comment(row["why"] or "no rule matched", 200)
    return f"{row['rule']}: {row['why']}"


def _kind_block(listing: Listing, indent: str) -> list[str]:
    inner = indent + "  "
    if not listing.files:
        return [
            f"{indent}kind: {{}}  # nothing counted: no file in the export was read as this source",
            f"{inner}# (run `profiles new` again with that export to list its types)",
        ]
    rows = listing.types.to_dicts()
    proposed = [r for r in rows if r["proposed"]]
    files = comment(", ".join(listing.files), 200)
    unit = "record" if listing.per else "row"
    counted = f" (a record is one {', '.join(listing.per)})" if listing.per else ""
    intro = [
        f"{inner}# {len(rows)} distinct {listing.header} in {files}{counted}; "
        f"{len(proposed)} proposed"
        + (f"; {listing.blank_rows:,} rows with none" if listing.blank_rows else "")
    ]
    head = f"{indent}kind:" if proposed else f"{indent}kind: {{}}  # nothing proposed"
    lines = [head, *intro]
    for r in rows:
        if r["proposed"]:
            lines.append(f"{inner}# {_label(r, unit)}: proposed ({_reason(r)})")
            lines.append(f"{inner}{quote(r['value'])}: {r['proposed']}  # proposed")
        else:
            lines.append(f"{inner}# {_label(r, unit)}: {KIND_NOTE} ({_reason(r)})")
            lines.append(f"{inner}# {quote(r['value'])}:")
    return lines


def _role_block(listing: Listing, indent: str) -> list[str]:
    inner = indent + "  "
    rows = listing.types.to_dicts()
    proposed = [r for r in rows if r["proposed"]]
    files = comment(", ".join(listing.files), 200)
    intro = [
        f"{inner}# {len(rows)} distinct {listing.header} in {files}; "
        f"{len(proposed)} proposed as the allocated worker"
    ]
    head = f"{indent}keep:" if proposed else f"{indent}keep: []  # nothing proposed"
    lines = [head, *intro]
    for r in rows:
        if r["proposed"]:
            lines.append(f"{inner}# {_label(r)}: proposed ({_reason(r)})")
            lines.append(f"{inner}- {quote(r['value'])}  # proposed")
        else:
            lines.append(f"{inner}# {_label(r)}: {ROLE_NOTE} ({_reason(r)})")
            lines.append(f"{inner}# - {quote(r['value'])}")
    return lines


class _Dumper(yaml.SafeDumper):
    """Lists of plain values on one line ([PERSON_ID, FULL_NAME]), as people write them; a
    map the shipped profile shared by an anchor written out in full where it is used."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_multi_representer(list, _represent_list)
_Dumper.add_multi_representer(dict, yaml.SafeDumper.represent_dict)


def _is_role_filter(raw: Any) -> bool:
    keep = raw.get("keep") if isinstance(raw, dict) else None
    keep = [keep] if isinstance(keep, str | int) else keep or []
    return bool({str(k).strip().lower() for k in keep} & {c.lower() for c in ALLOCATED_CODES})


def render(base: dict[str, Any], listings: list[Listing], *, name: str, intro: str) -> str:
    """The YAML text of the council's profile: `base` (the shipped profile, as parsed, with
    the included profiles that hold listed sources copied in) named `name`, each listed
    column's map replaced by the listing, with comments saying what was proposed and why.
    `intro` opens the file as a comment."""
    doc = copy.deepcopy(base)
    doc["name"] = name
    entries = [s for s in doc.get("sources") or [] if isinstance(s, dict)]
    tokens: dict[str, Listing] = {}
    for i, listing in enumerate(listings):
        token = f"@@guided-{i}@@"
        tokens[token] = listing
        same = [s for s in entries if str(s.get("name")) == listing.source]
        if listing.what == "kind":
            for src in same:  # an amendment's kind map would add to the listing: it goes
                for key in ("values", "unmapped"):
                    if isinstance(src.get(key), dict):
                        src[key] = {k: v for k, v in src[key].items() if k != "kind"}
                        if not src[key]:
                            del src[key]
            definition = next(s for s in same if "feeds" in s)
            definition["values"] = {**(definition.get("values") or {}), "kind": token}
            definition["unmapped"] = {**(definition.get("unmapped") or {}), "kind": "exclude"}
        else:
            # the filters in force are the last given (an amendment's replace the included)
            filters = next(s["filters"] for s in reversed(same) if s.get("filters"))
            at = next(j for j, f in enumerate(filters) if _is_role_filter(f))
            kept = {k: v for k, v in filters[at].items() if k != "keep"}
            filters[at] = {**kept, "keep": token}
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    out = [f"# {line}".rstrip() for line in intro.splitlines()]
    out += ["#", *(f"# {line}" for line in HOW_TO_REVIEW.splitlines())]
    for line in text.splitlines():
        if line.startswith("- name: "):
            out.append("")
        m = re.fullmatch(r"( *)(kind|keep): '?(@@guided-\d+@@)'?", line)
        if m is None:
            out.append(line)
            continue
        listing = tokens[m.group(3)]
        block = _kind_block if listing.what == "kind" else _role_block
        out += block(listing, m.group(1))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# Reading the export: which column of which file holds the types


def _find(by_key: dict[str, str], spellings: Any) -> tuple[str, list[str]] | None:
    """(header shown, frame columns) of the first spelling the file has; a nested list is
    several headers whose cells are joined with a space."""
    for sp in spellings:
        parts = [sp] if isinstance(sp, str) else list(sp)
        cols = [by_key.get(norm_header(str(p))) for p in parts]
        if all(c is not None for c in cols):
            return " + ".join(str(p) for p in parts), [c for c in cols if c is not None]
    return None


def _companion(by_key: dict[str, str], header: str) -> str | None:
    """The description column next to a code column (LiquidLogic writes X_CODE beside
    X_DESC: real-exports.md §3), if the file has one."""
    key = norm_header(header)
    stems = [key[: -len("code")]] if key.endswith("code") else []
    stems.append(key)
    for stem in stems:
        for suffix in ("desc", "description"):
            col = by_key.get(stem + suffix)
            if col is not None:
                return col
    return None


def _lookup_frames(profile: Profile, files: list[InputFile]) -> dict[str, pl.DataFrame]:
    """Every lookup source's code list read from the export: name -> (code, description)."""
    found: dict[str, list[pl.DataFrame]] = {}
    for item in files:
        src = best_source(profile, item.raw.headers)
        if src is None or src.feeds != "lookup":
            continue
        by_key = _keys(item.raw.headers)
        code = _find(by_key, src.columns.get("code", ()))
        desc = _find(by_key, src.columns.get("description", ()))
        if code is None or desc is None:
            continue
        found.setdefault(src.name, []).append(
            item.raw.frame.select(
                id_expr(pl.col(code[1][0])).alias("_code"),
                _joined(desc[1]).alias("_lookup_description"),
            ).drop_nulls("_code")
        )
    return {
        name: pl.concat(frames).unique("_code", keep="first", maintain_order=True)
        for name, frames in found.items()
    }


def _keys(headers: list[str]) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for i, h in enumerate(headers):
        by_key.setdefault(norm_header(h), f"c{i}")
    return by_key


def _joined(cols: list[str]) -> pl.Expr:
    """Several cells as one text (a space between), None when all are blank."""
    if len(cols) == 1:
        return pl.col(cols[0])
    joined = pl.concat_str([pl.col(c) for c in cols], separator=" ", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def _role_filter(source: Source) -> int | None:
    """The filter that keeps the allocated worker's roles: the one whose `keep` list holds
    an allocated-worker code (CW, AW, REL.ALLWORK...)."""
    codes = {c.lower() for c in ALLOCATED_CODES}
    for i, f in enumerate(source.filters):
        if f.keep is not None and {k.strip().lower() for k in f.keep} & codes:
            return i
    return None


def _lookup_for(profile: Profile, header: str) -> str:
    """The lookup source whose code header is `header` (DM_PROF_REL_TYPES describes
    PROF_REL_TYPE_CODE), or ''."""
    for s in profile.sources:
        codes = s.columns.get("code", ()) if s.feeds == "lookup" else ()
        if norm_header(header) in {norm_header(str(c)) for c in codes if isinstance(c, str)}:
            return s.name
    return ""


def survey(profile: Profile, own: set[str], root: Path) -> list[Listing]:
    """Every distinct type (and allocated-worker role) in the export at `root`, per source of
    `profile` named in `own` (the sources the written profile defines itself), with its row
    count, description and proposal. Sources no file was read as are listed empty."""
    files, _ = read_inputs(root, all_wanted([profile]))
    blanks = tuple(str(b) for b in getattr(profile, "blanks", ()) or ())
    for item in files:  # a row that does not fit its header may hold a name anywhere
        frame = item.raw.frame
        frame = frame.filter(~pl.col(MISFIT)) if MISFIT in frame.columns else frame
        item.raw.frame = _cleaned(frame, blanks)
    lookups = _lookup_frames(profile, files)
    parts: dict[tuple[str, str], list[tuple[str, str, pl.DataFrame, int]]] = {}
    filter_at: dict[str, int] = {}
    per_at: dict[str, tuple[str, ...]] = {}
    for item in files:
        src = best_source(profile, item.raw.headers)
        if src is None or src.name not in own:
            continue
        by_key = _keys(item.raw.headers)
        describe = getattr(src, "describe", None) or {}
        wanted: list[tuple[str, Any, Any]] = []
        if src.feeds == "case_events" and "kind" in src.columns:
            wanted.append(("kind", src.columns["kind"], describe.get("kind")))
        idx = _role_filter(src) if src.feeds == "allocations" else None
        if idx is not None:
            filter_at[src.name] = idx
            wanted.append(("role", src.filters[idx].column, None))
        for what, spellings, described in wanted:
            found = _find(by_key, spellings)
            if found is None:
                continue
            header, cols = found
            value = _joined(cols)
            beside = _find(by_key, described) if isinstance(described, tuple | list) else None
            if beside is None and len(cols) == 1 and (companion := _companion(by_key, header)):
                beside = (companion, [companion])
            desc = _joined(beside[1]) if beside else pl.lit(None, pl.String)
            record = [
                c
                for h in getattr(src, "one_row_per", ()) or ()
                if (c := by_key.get(norm_header(str(h)))) is not None
            ]
            tally = _tally(item.raw.frame, value, desc, record)
            if record and what == "kind":
                per_at[src.name] = tuple(str(h) for h in src.one_row_per)
            lookup = lookups.get(
                str(described) if isinstance(described, str) else _lookup_for(profile, header)
            )
            if lookup is not None:
                tally = (
                    tally.with_columns(_code=id_expr(pl.col("value")))
                    .join(lookup, on="_code", how="left")
                    .with_columns(description=pl.coalesce("description", "_lookup_description"))
                    .drop("_code", "_lookup_description")
                )
            blank = item.raw.frame.select(value.is_null().sum()).item()
            parts.setdefault((src.name, what), []).append((item.raw.file, header, tally, blank))
    listings = []
    for src in profile.sources:
        kind_source = src.feeds == "case_events" and "kind" in src.columns
        if kind_source and src.name in own and (src.name, "kind") not in parts:
            listings.append(Listing(src.name, "kind", "", [], propose_kinds(EMPTY_TYPES)))
    for (name, what), got in parts.items():
        pairs = _combine([t for _, _, t, _ in got])
        types = propose_per_type(pairs, what)
        if types.height > MAX_TYPES:
            raise InputError(
                f"{types.height:,} distinct values in {got[0][1]}: a {what} column holds a few "
                f"dozen codes, so the '{name}' source is reading the wrong column; nothing "
                "was written",
                file=", ".join(f for f, _, _, _ in got),
            )
        listings.append(
            Listing(
                source=name,
                what=what,
                header=got[0][1],
                files=[f for f, _, _, _ in got],
                types=types,
                blank_rows=sum(b for _, _, _, b in got),
                filter_index=filter_at.get(name) if what == "role" else None,
                per=per_at.get(name, ()) if what == "kind" else (),
            )
        )
    return listings


def _rewritten(profile: Profile) -> bool:
    """Whether the guided mapping rewrites one of the profile's sources (a type column of a
    case-events source, or an allocations source's role filter)."""
    return any(
        (s.feeds == "case_events" and "kind" in s.columns)
        or (s.feeds == "allocations" and _role_filter(s) is not None)
        for s in profile.sources
    )


def _inline(doc: dict[str, Any], _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """`doc` with every included profile that holds a source the guided mapping rewrites
    copied in (its sources first, where `include` puts them; its includes, blanks, blank dates
    and missing-table texts merged), so the written profile replaces those maps instead of
    adding to them. Other includes (hr) stay includes."""
    out = {k: v for k, v in doc.items() if k not in ("include", "sources")}
    includes: list[Any] = []
    sources: list[Any] = []
    merged: dict[str, list[Any]] = {"blanks": [], "blank_dates": []}
    missing: dict[str, Any] = {}
    for inc in doc.get("include") or []:
        path = resolve_profile(str(inc))
        if path in _seen or not _rewritten(load_profile(str(inc))):
            includes.append(inc)
            continue
        sub = _inline(load_yaml_file(path), (*_seen, path))
        includes += [i for i in sub.get("include") or [] if i not in includes]
        sources += sub.get("sources") or []
        for key, seen in merged.items():
            seen += [v for v in sub.get(key) or [] if v not in seen]
        missing = {**missing, **(sub.get("missing") or {})}
    for key, seen in merged.items():
        seen += [v for v in doc.get(key) or [] if v not in seen]
        if seen:
            out[key] = seen
    missing = {**missing, **(doc.get("missing") or {})}
    if missing:
        out["missing"] = missing
    if includes:
        out["include"] = includes
    out["sources"] = sources + list(doc.get("sources") or [])
    return out


def guided_profile(system: str, root: Path, name: str) -> tuple[str, list[Listing]]:
    """The text of a council's profile made from the `system` profile and the council's own
    export at `root`, and what was listed. Raises InputError when no file in the export holds
    a type or role column the profile reads."""
    profile = load_profile(system)
    base = _inline(load_yaml_file(profile.path), (profile.path,))
    own = {str(s.get("name")) for s in base["sources"] if isinstance(s, dict) and "feeds" in s}
    if not Path(root).exists():
        raise InputError(
            "not found (give a folder of CSV files or an .xlsx workbook)", file=str(root)
        )
    listings = survey(profile, own, Path(root))
    if not any(listing.types.height for listing in listings):
        raise InputError(
            f"no file here is a note, step, form or involvement export the '{profile.name}' "
            "profile reads (run `supervision-audit inspect --source "
            f"{profile.name}` to see how each file was read)",
            file=str(root),
        )
    intro = (
        f"Export profile '{name}', written by `supervision-audit profiles new --from "
        f"{system} --data {Path(root).name}`:\nthe '{profile.name}' profile "
        f"({profile.title}) with the note, step and form types\nand involvement roles found "
        "in that export listed below, each with its row count."
    )
    return render(base, listings, name=name, intro=intro), listings
