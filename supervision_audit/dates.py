"""Dates, the one home for them: intervals as policies write them ('4w', '28d', '2m', '1y')
and their calendar arithmetic, working days (England and Wales bank holidays), the one grammar
for an audit date (`parse_as_of`) and the one UK date formatter (`uk_date`).

Days and weeks add days; months and years add calendar months, clamped to the end of the
month (31 Jan + 1 month = 28/29 Feb). Strictness compares intervals by nominal length, with
a month counted as 30.44 days, so '4w' (28 days) is stricter than '1m'.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import holidays
import polars as pl

_PATTERN = re.compile(r"^\s*(\d{1,9})\s*(d|w|m|y)\s*$", re.IGNORECASE)
_UNIT_WORDS = {
    "d": ("day", "days"),
    "w": ("week", "weeks"),
    "m": ("month", "months"),
    "y": ("year", "years"),
}
_NOMINAL_DAYS = {"d": 1.0, "w": 7.0, "m": 365.2425 / 12, "y": 365.2425}


@dataclass(frozen=True, order=False)
class Interval:
    """A policy interval: a count and a unit (d, w, m or y)."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: object) -> Interval:
        """Parse '28d', '4w', '2m', '1y' (case-insensitive); raise ValueError otherwise."""
        if isinstance(text, Interval):
            return text
        if not isinstance(text, str):
            raise ValueError(f"expected an interval like '4w', '28d', '2m' or '1y', got {text!r}")
        m = _PATTERN.match(text)
        if not m:
            raise ValueError(f"expected an interval like '4w', '28d', '2m' or '1y', got {text!r}")
        count, unit = int(m.group(1)), m.group(2).lower()
        if count <= 0:
            raise ValueError(f"an interval must be at least one {unit!r}, got {text!r}")
        if count * {"d": 1, "w": 7, "m": 31, "y": 366}[unit] > MAX_INTERVAL_DAYS:
            raise ValueError(f"an interval is at most 100 years, got {text[:30]!r}")
        return cls(count, unit)

    @property
    def days(self) -> int | None:
        """Whole days for day/week intervals; None for calendar intervals."""
        if self.unit == "d":
            return self.count
        if self.unit == "w":
            return self.count * 7
        return None

    @property
    def months(self) -> int | None:
        """Calendar months for month/year intervals; None for day intervals."""
        if self.unit == "m":
            return self.count
        if self.unit == "y":
            return self.count * 12
        return None

    @property
    def nominal_days(self) -> float:
        """Length used only to rank strictness (a month counts 30.44 days)."""
        return self.count * _NOMINAL_DAYS[self.unit]

    def code(self) -> str:
        return f"{self.count}{self.unit}"

    def words(self) -> str:
        one, many = _UNIT_WORDS[self.unit]
        return f"{self.count} {one if self.count == 1 else many}"

    def every_words(self) -> str:
        """'every 4 weeks', 'every month'."""
        if self.count == 1:
            return f"every {_UNIT_WORDS[self.unit][0]}"
        return f"every {self.words()}"

    def add(self, day: dt.date) -> dt.date:
        """Plain-Python date arithmetic (the reference the Polars expression is tested against)."""
        if self.days is not None:
            return day + dt.timedelta(days=self.days)
        return add_months(day, self.months or 0)

    def sub(self, day: dt.date) -> dt.date:
        """day minus the interval (months clamped to the month's end, as in add)."""
        if self.days is not None:
            return day - dt.timedelta(days=self.days)
        return add_months(day, -(self.months or 0))

    def window_start(self, end: dt.date) -> dt.date:
        """The first day of a window of this length that ends on `end` (both included):
        the 12 months to 31/10/2026 start on 01/11/2025."""
        return self.sub(end) + dt.timedelta(days=1)

    def __str__(self) -> str:
        return self.code()


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar-month addition clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def add_interval_expr(date: pl.Expr, days: pl.Expr, months: pl.Expr) -> pl.Expr:
    """date + interval, vectorised: `days` (Int) for d/w intervals, else `months` (Int).

    Month arithmetic is done on integers (year*12 + month) and clamped to the month's end,
    so it needs no per-row string parsing.
    """
    index = date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - 1
    index = index + months.cast(pl.Int32)
    year = index // 12
    month = index % 12 + 1
    first = pl.date(year, month, 1)
    last_day = first.dt.month_end().dt.day()
    by_months = pl.date(year, month, pl.min_horizontal(date.dt.day(), last_day))
    by_days = date + pl.duration(days=days)
    return pl.when(days.is_not_null()).then(by_days).otherwise(by_months)


# The query engine every collect in the package uses, chosen deliberately: the clock is
# sorts, shifted comparisons and as-of joins over tables that fit in memory, and Polars'
# in-memory engine ran it about twice as fast as the streaming default (make bench).
COLLECT_ENGINE: Final = "in-memory"


# --------------------------------------------------------------------------------------
# Working days in England and Wales: weekends and bank holidays skipped.
#
# Bank holidays come from the maintained `holidays` package (GB, subdivision ENG, which is also
# the list for Wales), never a hand-typed list, so substitute days ("Boxing Day (observed)")
# and one-off holidays (a coronation, a state funeral) are included as the package records them.

SOURCE = f"holidays {holidays.__version__} (GB, subdivision ENG: England and Wales)"


@lru_cache(maxsize=16)
def bank_holidays(first_year: int, last_year: int) -> tuple[dt.date, ...]:
    """Every England and Wales bank holiday from 1 January first_year to 31 December last_year."""
    table = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return tuple(sorted(table))


def add_working_days(date: pl.Expr, n: int, years: tuple[int, int]) -> pl.Expr:
    """The date `n` working days after `date`: the first working day after it is day 1.

    A session on a weekend or bank holiday counts from the working day before it (Polars'
    roll="backward"), so Saturday + 2 working days is the Tuesday, as a person counts:
    Monday is day 1, Tuesday day 2. `years` bounds the bank-holiday list (first, last).
    """
    return date.dt.add_business_days(n, holidays=list(bank_holidays(*years)), roll="backward")


def year_span(first: dt.date, last: dt.date) -> tuple[int, int]:
    """(first, last) calendar year covering the dates, with a year's margin after the last,
    so a due date that crosses New Year still sees January's bank holidays."""
    return first.year, last.year + 1


# --------------------------------------------------------------------------------------
# The audit date: one grammar for the CLI and batch, one formatter for every output.

AS_OF_TOKENS = ("today", "last-month-end", "last-week-end")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


MAX_INTERVAL_DAYS = 36_600
"""No policy interval or window is longer than a century; longer ones overflow date sums."""
YEARS = (1900, 2199)
"""Audit dates (--as-of, --from, --history-from, batch as_of) lie in these years: a date
outside them is a typo, and date arithmetic near year 9999 overflows."""


def parse_as_of(value: object, today: dt.date) -> dt.date:
    """A date (YYYY-MM-DD or DD/MM/YYYY) or a token relative to `today`: today;
    last-month-end (the last day of the previous calendar month); last-week-end (the last
    Sunday strictly before today, so on a Sunday the Sunday a week earlier).
    Raises ValueError with a message naming the accepted forms."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().lower()
    if text == "today":
        return today
    if text == "last-month-end":
        return today.replace(day=1) - dt.timedelta(days=1)
    if text == "last-week-end":
        # Monday is weekday 0: the Sunday before today is 1..7 days back
        return today - dt.timedelta(days=today.weekday() + 1)
    try:
        m = _UK_DATE.match(text)
        if m:
            day = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        else:
            day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"'{str(value)[:40]}' is not a date (YYYY-MM-DD or DD/MM/YYYY) or one of: "
            f"{', '.join(AS_OF_TOKENS)}"
        ) from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise ValueError(f"'{text}' is outside the years {YEARS[0]}-{YEARS[1]}")
    return day


def uk_date(day: dt.date | None, missing: str = "—") -> str:
    """DD/MM/YYYY, as every output a person reads shows a date; `missing` for none."""
    return day.strftime("%d/%m/%Y") if isinstance(day, dt.date) else missing


def uk_date_expr(column: str | pl.Expr) -> pl.Expr:
    """DD/MM/YYYY text of a date column (Polars), the vectorised twin of uk_date."""
    return (pl.col(column) if isinstance(column, str) else column).dt.strftime("%d/%m/%Y")
