"""The canonical input tables: their columns, which are required, and how each is parsed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..vocab import (
    CASE_CATEGORIES,
    CASE_EVENT_KINDS,
    CASE_FLAGS,
    SESSION_STATUSES,
    TEAM_EVENT_KINDS,
    WORKER_EVENT_KINDS,
)

# Column value types:
#   id      text identifier: trimmed, '123.0' -> '123', leading zeros kept
#   text    free text, trimmed ('NA', 'None', 'null' are text, not missing)
#   date    ISO YYYY-MM-DD or UK DD/MM/YYYY (optionally with a time, which is dropped),
#           or a real Excel date in xlsx; never US order
#   enum    one of `choices` (case-insensitive; spaces and hyphens read as underscores),
#           after any ruleset vocabulary map
#   flags   ';'-separated list of `choices`
#   bool    Y/N/Yes/No/TRUE/FALSE/1/0 (case-insensitive)
#   int     whole number (a '90.0' is 90)
#   number  decimal number


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    personal: bool = False
    """Personal data (names, dates of birth): never echoed in issues, errors or logs."""
    evaluated: bool = True
    """False for columns no rule reads: a bad value there is a warning (value ignored), and
    the row is kept, so a typo in a date of birth never drops a child's case."""
    bounds: tuple[int, int] | None = None
    """(lowest, highest) for a number: a value outside is a data issue (warning: the value
    ignored, the row kept, so a held session with a mistyped length still counts as held)."""


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    description: str = ""
    dedupe: bool = False
    """Exact duplicate rows count once (the later copies are rejected and reported)."""
    checks: tuple[str, ...] = field(default=())
    """Row checks beyond column parsing, e.g. 'end_not_before_start'."""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


EPISODES = TableSpec(
    "episodes",
    (
        Column("person_id", "id", required=True),
        Column("category", "enum", required=True, choices=CASE_CATEGORIES),
        Column("start_date", "date", required=True),
        Column("end_date", "date"),
        Column("team", "text"),
        Column("worker_id", "id"),
        Column("flags", "flags", choices=CASE_FLAGS),
        Column("person_name", "text", personal=True),
        Column("date_of_birth", "date", personal=True, evaluated=False),
    ),
    description="One row per period a child (or foster carer) is open under one category "
    "and one set of flags.",
    checks=("end_not_before_start",),
)
CASE_EVENTS = TableSpec(
    "case_events",
    (
        Column("person_id", "id", required=True),
        Column("date", "date", required=True),
        Column("kind", "enum", required=True, choices=CASE_EVENT_KINDS),
        Column("supervisor_id", "id"),
        Column("worker_id", "id"),
        Column("recorded_date", "date"),
    ),
    description="Supervision and oversight recorded on a child's (or carer's) record.",
    dedupe=True,
    checks=("person_has_episode",),
)
WORKERS = TableSpec(
    "workers",
    (
        Column("worker_id", "id", required=True),
        Column("name", "text", personal=True),
        Column("role", "text"),
        Column("team", "text"),
        Column("supervisor_id", "id"),
        Column("supervisor_since", "date"),
        Column("start_date", "date", required=True),
        Column("end_date", "date"),
        Column("asye_start", "date"),
        Column("frontline", "bool", default="true"),
        Column("fte", "number", evaluated=False),
    ),
    description="One row per member of staff (employment dates, supervisor, ASYE start).",
    checks=("end_not_before_start", "unique_worker_id"),
)
WORKER_SESSIONS = TableSpec(
    "worker_sessions",
    (
        Column("worker_id", "id", required=True),
        Column("date", "date", required=True),
        Column("status", "enum", choices=SESSION_STATUSES, default="HELD"),
        Column("supervisor_id", "id"),
        Column("duration_minutes", "int", bounds=(1, 24 * 60)),
        Column("recorded_date", "date"),
    ),
    description="Each worker's own supervision sessions, held or cancelled.",
    dedupe=True,
    checks=("worker_exists",),
)
WORKER_EVENTS = TableSpec(
    "worker_events",
    (
        Column("worker_id", "id", required=True),
        Column("kind", "enum", required=True, choices=WORKER_EVENT_KINDS),
        Column("date", "date", required=True),
    ),
    description="Agreements, observations of practice, appraisals, mentoring, file audits.",
    dedupe=True,
    checks=("worker_exists",),
)
TEAM_EVENTS = TableSpec(
    "team_events",
    (
        Column("team", "text", required=True),
        Column("kind", "enum", required=True, choices=TEAM_EVENT_KINDS),
        Column("date", "date", required=True),
    ),
    description="Team-level events (group supervision).",
    dedupe=True,
)
ABSENCES = TableSpec(
    "absences",
    (
        Column("worker_id", "id", required=True),
        Column("start_date", "date", required=True),
        Column("end_date", "date", required=True),
        Column("reason", "text"),
    ),
    description="Leave and sickness absences, inclusive dates.",
    checks=("end_not_before_start", "worker_exists"),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (EPISODES, CASE_EVENTS, WORKERS, WORKER_SESSIONS, WORKER_EVENTS, TEAM_EVENTS, ABSENCES)
}
CHILD_TABLES = ("episodes", "case_events")
STAFF_TABLES = ("workers", "worker_sessions", "worker_events", "team_events", "absences")
