"""The canonical vocabulary (see shared/policy-digest.md): categories, flags, event kinds."""

from __future__ import annotations

import polars as pl

CASE_CATEGORIES: tuple[str, ...] = (
    "EARLY_HELP",
    "ASSESSMENT",
    "CIN",
    "CP",
    "CLA",
    "CARE_LEAVER",
    "CWD_REVIEW",
    "FOSTER_CARER",
    "YOS",
    "IRO",
    "QA",
)
CASE_FLAGS: tuple[str, ...] = (
    "HIGH_RISK",
    "PROCEEDINGS",
    "UNSUITABLE_ACCOMMODATION",
    "NO_CHILDREN_PLACED",
    "INSTABILITY",
)
CASE_EVENT_KINDS: tuple[str, ...] = (
    "CASE_SUPERVISION",
    "GROUP_SUPERVISION",
    "MANAGEMENT_OVERSIGHT",
    "FILE_AUDIT",
)
WORKER_EVENT_KINDS: tuple[str, ...] = (
    "AGREEMENT",
    "OBSERVATION",
    "APPRAISAL",
    "MENTORING",
    "FILE_AUDIT",
    "ASYE_REVIEW",
)
TEAM_EVENT_KINDS: tuple[str, ...] = ("GROUP_SUPERVISION", "ASYE_GROUP_LEARNING")
SESSION_STATUSES: tuple[str, ...] = ("HELD", "CANCELLED")

CARER_CATEGORIES: frozenset[str] = frozenset({"FOSTER_CARER"})


def subject_type_for(category: str) -> str:
    """A FOSTER_CARER episode makes a 'carer' subject; every other category a 'child'."""
    return "carer" if category in CARER_CATEGORIES else "child"


def subject_type_expr(category: str = "category") -> pl.Expr:
    """subject_type_for over a whole column: 'carer' for FOSTER_CARER, else 'child'."""
    return (
        pl.when(pl.col(category).is_in(list(CARER_CATEGORIES)))
        .then(pl.lit("carer"))
        .otherwise(pl.lit("child"))
    )
