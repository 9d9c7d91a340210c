"""A plain-Python reference of the interval clock: the test oracle and the benchmark baseline.

Written subject by subject with ordinary loops, deliberately unlike the vectorised engine,
so that agreement between the two on random inputs means something. Not used by audits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from supervision_audit.dates import add_months

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Req:
    """A rank's target and limit: (days, months) each, one of the pair set."""

    every_days: int | None
    every_months: int | None
    limit_days: int | None = None
    limit_months: int | None = None

    def add(self, day: dt.date, limit: bool = False) -> dt.date:
        days, months = (self.every_days, self.every_months)
        if limit and (self.limit_days is not None or self.limit_months is not None):
            days, months = self.limit_days, self.limit_months
        if days is not None:
            return day + dt.timedelta(days=days)
        return add_months(day, months or 0)


@dataclass(frozen=True)
class RefFinding:
    subject: int
    due_date: dt.date
    limit_date: dt.date
    met_date: dt.date | None
    days_overdue: int
    severity: str
    due_rank: int


def reference_clock(
    rows: Iterable[tuple[int, dt.date, dt.date, int]],
    events: Iterable[tuple[int, dt.date]],
    reqs: dict[int, Req],
    as_of: dt.date,
    repeat: bool = True,
    restarts: Iterable[tuple[int, dt.date, int | None, int | None]] = (),
    absences: Iterable[tuple[int, dt.date, dt.date]] = (),
    grace_days: int = 0,
) -> list[RefFinding]:
    """rows: (subject, start, end, rank), clipped to as_of; events: (subject, date);
    restarts: (subject, date, days, months); absences: (subject, start, end)."""
    by_subject: dict[int, list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
    for subject, start, end, rank in rows:
        if start <= end:
            by_subject[subject].append((start, end, rank))
    ev_by_subject: dict[int, set[dt.date]] = defaultdict(set)
    for subject, day in events:
        if day <= as_of:
            ev_by_subject[subject].add(day)
    rs_by_subject: dict[int, dict[dt.date, Req]] = defaultdict(dict)
    for subject, day, days, months in restarts:
        if day <= as_of:
            new = Req(days, months)
            old = rs_by_subject[subject].get(day)
            # two restarts the same day: the one due sooner (the stricter) wins
            if old is None or _nominal(new) < _nominal(old):
                rs_by_subject[subject][day] = new
    ab_by_subject: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for subject, start, end in absences:
        ab_by_subject[subject].append((start, end))
    out: list[RefFinding] = []
    for subject in sorted(by_subject):
        out.extend(
            _subject(
                subject,
                by_subject[subject],
                sorted(ev_by_subject[subject]),
                reqs,
                as_of,
                repeat,
                rs_by_subject[subject],
                ab_by_subject[subject],
                grace_days,
            )
        )
    return out


def _move_out_of_absences(
    day: dt.date, absences: list[tuple[dt.date, dt.date]], grace: int
) -> dt.date:
    # Overlapping or back-to-back absences are one: the return day is the first day the
    # worker is not absent at all.
    merged: list[list[dt.date]] = []
    for start, end in sorted(absences):
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    moved = True
    while moved:
        moved = False
        for start, end in merged:
            if start <= day <= end:
                day = end + dt.timedelta(days=1 + grace)  # return day + grace
                moved = True
    return day


def _segments(
    rows: list[tuple[dt.date, dt.date, int]],
) -> list[tuple[dt.date, dt.date, int | None]]:
    """(start, end, rank in force or None for a gap), consecutive and merged."""
    points = sorted({s for s, _, _ in rows} | {e + ONE_DAY for _, e, _ in rows})
    segs: list[tuple[dt.date, dt.date, int | None]] = []
    for i, p in enumerate(points[:-1]):
        covering = [r for s, e, r in rows if s <= p <= e]
        rank = min(covering) if covering else None
        end = points[i + 1] - ONE_DAY
        if segs and segs[-1][2] == rank:
            segs[-1] = (segs[-1][0], end, rank)
        else:
            segs.append((p, end, rank))
    return segs


def _subject(
    subject, rows, events, reqs, as_of, repeat, restarts=None, absences=(), grace=0
) -> list[RefFinding]:
    restarts = restarts or {}
    segs = _segments(rows)
    periods: list[list[tuple[dt.date, dt.date, int]]] = []
    for s, e, r in segs:
        if r is None:
            continue
        if periods and periods[-1][-1][1] + ONE_DAY == s:
            periods[-1].append((s, e, r))
        else:
            periods.append([(s, e, r)])
    found = []
    for period in periods:
        pstart, pend = period[0][0], period[-1][1]

        def rank_at(day: dt.date, period=period) -> int:
            for s, e, r in period:
                if s <= day <= e:
                    return r
            raise AssertionError(day)

        inside = [d for d in events if pstart <= d <= pend]
        forced = {d: r for d, r in restarts.items() if pstart <= d <= pend}
        anchors = sorted({pstart, *inside, *forced})
        cycles = []
        for i, a in enumerate(anchors):
            nxt = anchors[i + 1] if i + 1 < len(anchors) else None
            cycles.append((a, nxt, a in inside))
        if not repeat:
            cycles = [c for c in cycles if not c[2]]
        changes = [s for s, _, _ in period[1:]]
        for a, nxt, _ in cycles:
            r = rank_at(a)
            due, lim, due_rank = reqs[r].add(a), reqs[r].add(a, limit=True), r
            if a in forced and a not in inside:
                due = lim = forced[a].add(a)
            stop = nxt if nxt is not None else pend
            for c in changes:
                if not (a < c <= stop):
                    continue
                new = rank_at(c)
                if due >= c:
                    due = max(reqs[new].add(a), min(due, reqs[new].add(c)))
                    due_rank = new
                if lim >= c:
                    lim = max(reqs[new].add(a, limit=True), min(lim, reqs[new].add(c, limit=True)))
            due = _move_out_of_absences(due, absences, grace)
            lim = max(_move_out_of_absences(lim, absences, grace), due)
            span_end = nxt if nxt is not None else pend
            met = nxt if nxt in inside else None
            if span_end > due:
                found.append(
                    RefFinding(
                        subject,
                        due,
                        lim,
                        met,
                        (span_end - due).days,
                        "red" if span_end > lim else "amber",
                        due_rank,
                    )
                )
    return found


def _nominal(req: Req) -> float:
    """A restart's length in days (a month counts 365.2425 / 12), to compare strictness."""
    if req.every_days is not None:
        return float(req.every_days)
    return (req.every_months or 0) * 365.2425 / 12
