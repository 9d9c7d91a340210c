"""Invariants of the clock: the engine agrees with the plain-Python reference on random
timelines; shuffling input rows changes nothing; month arithmetic never passes a month end."""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from supervision_audit.dates import add_interval_expr, add_months
from supervision_audit.engine import run_clock
from tests.reference import Req, reference_clock

BASE = dt.date(2024, 1, 1)
AS_OF = dt.date(2024, 9, 30)
INTERVALS = [
    (14, None, None, None),
    (28, None, 42, None),
    (56, None, None, None),
    (None, 1, None, 2),
    (None, 2, None, None),
    (None, 3, None, 4),
]

day = st.integers(min_value=-60, max_value=300).map(lambda n: BASE + dt.timedelta(days=n))


@st.composite
def timelines(draw):
    absences, restarts = [], []
    n_ranks = draw(st.integers(1, 4))
    reqs = draw(st.lists(st.sampled_from(INTERVALS), min_size=n_ranks, max_size=n_ranks))
    rows, events = [], []
    for subject in range(draw(st.integers(1, 4))):
        for _ in range(draw(st.integers(1, 4))):
            start = draw(day)
            length = draw(st.integers(0, 200))
            end = start + dt.timedelta(days=length) if draw(st.booleans()) else None
            rows.append((subject, start, end, draw(st.integers(0, n_ranks - 1))))
        events += [(subject, draw(day)) for _ in range(draw(st.integers(0, 8)))]
        for _ in range(draw(st.integers(0, 2))):
            start = draw(day)
            absences.append((subject, start, start + dt.timedelta(days=draw(st.integers(0, 40)))))
        for _ in range(draw(st.integers(0, 2))):
            restarts.append((subject, draw(day), draw(st.sampled_from([14, 28])), None))
    return reqs, rows, events, absences, restarts


def run_both(reqs, rows, events, repeat=True, absences=(), restarts=(), staff=False):
    clipped = [
        (s, a, min(e or AS_OF, AS_OF), r) for s, a, e, r in rows if a <= min(e or AS_OF, AS_OF)
    ]
    frame = pl.DataFrame(
        [
            {"rank": i, "every_days": d, "every_months": m, "limit_days": ld, "limit_months": lm}
            for i, (d, m, ld, lm) in enumerate(reqs)
        ],
        schema={
            k: pl.Int32
            for k in ("rank", "every_days", "every_months", "limit_days", "limit_months")
        },
    )
    timeline = pl.LazyFrame(
        clipped or None,
        schema={"subject": pl.Int64, "start": pl.Date, "end": pl.Date, "rank": pl.Int32},
        orient="row",
    )
    ev = pl.LazyFrame(events or None, schema={"subject": pl.Int64, "date": pl.Date}, orient="row")
    extra: dict = {}
    if staff:
        extra["absences"] = pl.LazyFrame(
            absences or None,
            orient="row",
            schema={"subject": pl.Int64, "start": pl.Date, "end": pl.Date},
        )
        extra["restarts"] = pl.LazyFrame(
            restarts or None,
            orient="row",
            schema={"subject": pl.Int64, "date": pl.Date, "days": pl.Int32, "months": pl.Int32},
        )
        extra["grace_days"] = 7
    got = run_clock(timeline, ev, frame, AS_OF, repeat=repeat, **extra).findings
    engine = sorted(
        (
            r["subject"],
            r["due_date"],
            r["limit_date"],
            r["met_date"],
            r["days_overdue"],
            r["severity"],
            r["due_rank"],
        )
        for r in got.to_dicts()
    )
    refs = {i: Req(*q) for i, q in enumerate(reqs)}
    ref = sorted(
        (f.subject, f.due_date, f.limit_date, f.met_date, f.days_overdue, f.severity, f.due_rank)
        for f in reference_clock(
            clipped,
            events,
            refs,
            AS_OF,
            repeat=repeat,
            restarts=restarts,
            absences=absences,
            grace_days=7 if staff else 0,
        )
    )
    return engine, ref


@given(timelines(), st.booleans())
def test_engine_agrees_with_reference(case, repeat) -> None:
    reqs, rows, events, _, _ = case
    engine, ref = run_both(reqs, rows, events, repeat)
    assert engine == ref


@given(timelines(), st.booleans())
def test_engine_agrees_with_reference_with_absences_and_restarts(case, repeat) -> None:
    reqs, rows, events, absences, restarts = case
    engine, ref = run_both(reqs, rows, events, repeat, absences, restarts, staff=True)
    assert engine == ref


@given(timelines(), st.randoms(use_true_random=False))
def test_shuffled_rows_give_the_same_findings(case, rnd) -> None:
    reqs, rows, events, _, _ = case
    first, _ = run_both(reqs, rows, events)
    rows2, events2 = rows[:], events[:]
    rnd.shuffle(rows2)
    rnd.shuffle(events2)
    second, _ = run_both(reqs, rows2, events2)
    assert first == second


@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(min_value=1, max_value=36),
)
def test_month_addition_never_passes_the_month_end(start, months) -> None:
    expected = add_months(start, months)
    assert expected.day <= calendar.monthrange(expected.year, expected.month)[1]
    assert expected.day == min(start.day, calendar.monthrange(expected.year, expected.month)[1])
    got = (
        pl.DataFrame({"d": [start]})
        .select(add_interval_expr(pl.col("d"), pl.lit(None, pl.Int32), pl.lit(months, pl.Int32)))
        .item()
    )
    assert got == expected


def test_month_end_examples() -> None:
    frame = pl.DataFrame(
        {"d": [dt.date(2024, 1, 31), dt.date(2023, 1, 31), dt.date(2024, 8, 31)], "m": [1, 1, 1]}
    )
    got = frame.select(add_interval_expr(pl.col("d"), pl.lit(None, pl.Int32), pl.col("m")))
    assert got.to_series().to_list() == [
        dt.date(2024, 2, 29),
        dt.date(2023, 2, 28),
        dt.date(2024, 9, 30),
    ]
