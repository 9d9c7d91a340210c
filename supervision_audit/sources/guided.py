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

import re
from dataclasses import dataclass

import polars as pl


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
        "names a court order or a sentence (a Supervision Order is a court order, "
        "a supervision requirement a youth sentence), not supervision",
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
        "management oversight or a manager's case note (Devon 8; Dorset 4.7: "
        "Management Discussion or Management Decision)",
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
        "another role (team, IRO, personal adviser, key agency, co-worker, student, "
        "duty, temporary or previous worker, manager)",
    ),
    MatchRule("R2", r"^ka", None, "a key-agency involvement (LiquidLogic KA... codes)", "code"),
    MatchRule(
        "R3",
        "^(" + "|".join(re.sub(r"[^a-z0-9]+", " ", c.lower()) for c in ALLOCATED_CODES) + ")$",
        ALLOCATED,
        "the allocated-worker code the published extracts filter on "
        "(LiquidLogic CW, Eclipse AW, Mosaic REL.ALLWORK, REL.ALLWORKCF, ALLWKR)",
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
        expr = pl.when(hits[0][0]).then(pl.lit(getattr(hits[0][1], field), pl.String))
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
