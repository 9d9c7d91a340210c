"""Working days in England and Wales: weekends and bank holidays skipped.

Bank holidays come from the maintained `holidays` package (GB, subdivision ENG, which is also
the list for Wales), never a hand-typed list, so substitute days ("Boxing Day (observed)")
and one-off holidays (a coronation, a state funeral) are included as the package records them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
import polars as pl

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
