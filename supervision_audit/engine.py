"""The interval clock: Polars expressions over whole tables, nothing else.

Input is a *timeline* (one row per subject and period of time during which a requirement
applies, already clipped to [history_from, as_of]), the *counting events* of the subjects,
and a *requirements* table (one row per requirement rank; rank 0 is the strictest). The
clock (see the foundation issue, and docs/engine.md):

* A continuous open period is the union of a subject's rows where each starts on or before
  the day after the ones before it end. A gap restarts the clock.
* On any day the requirement in force is the strictest (lowest rank) of the rows open.
* At the start of a period the first supervision is due one interval after the start; after
  each counting event on date e the next is due at e + interval (interval in force on e).
* When the requirement changes on day c inside a cycle (a = the cycle's anchor, D = the due
  date running) and D >= c: D := max(a + new, min(D, c + new)). Otherwise D stays.
* A cycle whose next anchor (the next counting event) comes after D is a finding; so is a
  cycle with no next event whose period is still open at as_of after D, or that closed after D.

Everything is vectorised: sorts, shifted comparisons of sorted frames, as-of joins and
cumulative sums. The only Python loop is over *change depth* (the k-th requirement change
inside one cycle), and it runs over the small table of changes, not over rows or subjects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from .dates import COLLECT_ENGINE, add_interval_expr

SUBJECT = "subject"
DATE = pl.Date


@dataclass
class ClockResult:
    """What the clock produces; every frame is keyed by the integer `subject` code."""

    segments: pl.DataFrame
    """subject, period, seg_start, seg_end, rank: the requirement in force, day by day."""
    periods: pl.DataFrame
    """subject, period, period_start, period_end, open_at_as_of."""
    cycles: pl.DataFrame
    """One row per anchor (period start or counting event) with its final due dates."""
    findings: pl.DataFrame
    """One row per overdue episode."""
    changes: pl.DataFrame | None = None
    """Each requirement change inside a cycle: cycle, change, new_rank, due_before,
    due_after, applied (False when the due date had already passed): for `explain`."""
    counts: tuple[int, int] = (0, 0)
    """(periods, cycles) as the clock numbered them, before any were dropped (merge_clocks)."""


def subject_ranges(n_subjects: int, size: int) -> list[tuple[int, int]]:
    """[lo, hi) ranges of subject codes, at most `size` codes each (one range when the
    subjects fit in one, or when there are none)."""
    size = max(1, size)
    return [(lo, min(lo + size, n_subjects)) for lo in range(0, n_subjects, size)] or [(0, 0)]


def in_range(lo: int, hi: int) -> pl.Expr:
    """Rows whose subject code lies in [lo, hi)."""
    return (pl.col(SUBJECT) >= lo) & (pl.col(SUBJECT) < hi)


def merge_clocks(parts: list[ClockResult]) -> ClockResult:
    """One ClockResult from clocks run over consecutive ranges of subjects, in subject
    order: equal to the clock run over all of them at once. Periods are numbered 1..P and
    cycles 0..C-1 in subject order, so each range's numbers are shifted by the counts of the
    ranges before it (counted before any period was dropped from a part's frames: pass
    each part's raw counts in `ClockResult.counts`)."""
    if len(parts) == 1:
        return parts[0]
    frames: dict[str, list[pl.DataFrame]] = {
        "segments": [],
        "periods": [],
        "cycles": [],
        "findings": [],
        "changes": [],
    }
    periods = cycles = 0
    for part in parts:
        for name, found in frames.items():
            frame = getattr(part, name)
            if frame is None:
                continue
            cols = [
                (pl.col(c) + by).cast(frame.schema[c]).alias(c)
                for c, by in (("period", periods), ("cycle", cycles))
                if by and c in frame.columns
            ]
            found.append(frame.with_columns(cols) if cols else frame)
        periods += part.counts[0]
        cycles += part.counts[1]
    merged = {name: pl.concat(fs, how="vertical") if fs else None for name, fs in frames.items()}
    return ClockResult(
        segments=merged["segments"],  # type: ignore[arg-type]
        periods=merged["periods"],  # type: ignore[arg-type]
        cycles=merged["cycles"],  # type: ignore[arg-type]
        findings=merged["findings"],  # type: ignore[arg-type]
        changes=merged["changes"],
        counts=(periods, cycles),
    )


def day_key(subject: str | pl.Expr, date: str | pl.Expr) -> pl.Expr:
    """(subject, date) as one unsigned integer that sorts the same way: subject * 2^32 plus
    the day number (shifted to be non-negative). One integer sort or as-of join instead of
    two keys (which Polars row-encodes, or groups by)."""
    s = pl.col(subject) if isinstance(subject, str) else subject
    d = pl.col(date) if isinstance(date, str) else date
    return s.cast(pl.UInt64) * (1 << 32) + (d.cast(pl.Int32).cast(pl.Int64) + (1 << 31)).cast(
        pl.UInt64
    )


def build_segments(timeline: pl.LazyFrame, n_ranks: int) -> pl.LazyFrame:
    """Split each subject's timeline into maximal runs of one requirement in force.

    A sweep line over start (+1) and end + 1 (-1) boundaries, one counter per rank, summed
    cumulatively over the whole frame sorted by subject and date (one integer key). Each
    subject's deltas sum to zero, so the global cumulative sum is correct within every
    subject without `over()`; of several boundaries on one day the last row carries the
    day's total. The requirement in force is the lowest rank whose counter is positive; no
    rank in force is a gap, which ends a continuous open period.
    """
    ranks = list(range(n_ranks))
    one_hot = [(pl.col("rank") == k).cast(pl.Int32).alias(f"r{k}") for k in ranks]
    starts = timeline.select(SUBJECT, pl.col("start").alias("date"), *one_hot)
    ends = timeline.select(
        SUBJECT,
        (pl.col("end") + pl.duration(days=1)).alias("date"),
        *[-((pl.col("rank") == k).cast(pl.Int32)).alias(f"r{k}") for k in ranks],
    )
    in_force = pl.coalesce(
        [pl.when(pl.col(f"r{k}").cum_sum() > 0).then(pl.lit(k, pl.Int32)) for k in ranks]
        + [pl.lit(None, pl.Int32)]
    )
    last_of_day = (pl.col("_k") != pl.col("_k").shift(-1)).fill_null(True)
    bounds = (
        pl.concat([starts, ends])
        .with_columns(_k=day_key(SUBJECT, "date"))
        .sort("_k")
        .select(SUBJECT, "date", "_k", in_force.alias("rank"))
        .filter(last_of_day)
        .drop("_k")
    )
    same_subject_as_prev = pl.col(SUBJECT) == pl.col(SUBJECT).shift(1)
    changed = ~(same_subject_as_prev & pl.col("rank").eq_missing(pl.col("rank").shift(1)))
    bounds = bounds.filter(changed)
    next_same = pl.col(SUBJECT).shift(-1) == pl.col(SUBJECT)
    period_start = pl.col("rank").is_not_null() & (
        ~same_subject_as_prev.fill_null(False) | pl.col("rank").shift(1).is_null()
    )
    segments = (
        bounds.with_columns(
            seg_end=pl.when(next_same).then(pl.col("date").shift(-1) - pl.duration(days=1)),
            new_period=period_start.fill_null(True),
        )
        .with_columns(period=pl.col("new_period").cast(pl.UInt32).cum_sum())
        .filter(pl.col("rank").is_not_null())
        .select(SUBJECT, "period", pl.col("date").alias("seg_start"), "seg_end", "rank")
    )
    return segments


class _Intervals:
    """Each rank's target and limit as literals, so adding an interval is one native
    operation per rank (days: plus a duration; months: Polars' offset_by, which clamps to
    the month's end exactly as durations.add_months does) instead of per-row arithmetic.

    Given the span of days the dates lie in, every (day, rank) sum is computed once into a
    small table and each row looks its own up by position: a few thousand sums instead of
    one per rank per row (dates outside the span make the lookup fail loudly)."""

    GRID_LIMIT = 4_000_000

    def __init__(
        self, requirements: pl.DataFrame, span: tuple[dt.date, dt.date] | None = None
    ) -> None:
        self.rows = []
        for r in requirements.to_dicts():
            no_limit = r["limit_days"] is None and r["limit_months"] is None
            self.rows.append(
                {
                    "rank": r["rank"],
                    "every": (r["every_days"], r["every_months"]),
                    "limit": (r["every_days"], r["every_months"])
                    if no_limit
                    else (r["limit_days"], r["limit_months"]),
                }
            )
        self.grid: pl.DataFrame | None = None
        self.width = max((r["rank"] for r in self.rows), default=-1) + 1
        if span is not None and None not in span and self.width:
            lo, hi = span
            if 0 < ((hi - lo).days + 1) * self.width <= self.GRID_LIMIT:
                days = pl.DataFrame({"d": pl.date_range(lo, hi, eager=True)})
                ranks = pl.DataFrame({"r": range(self.width)}, schema={"r": pl.Int32})
                self.lo = lo
                self.grid = days.join(ranks, how="cross").select(
                    every=self.chain(pl.col("d"), pl.col("r"), "every"),
                    limit=self.chain(pl.col("d"), pl.col("r"), "limit"),
                )

    def add(self, date: pl.Expr, rank: pl.Expr, which: str) -> pl.Expr:
        """date + the `which` ('every' or 'limit') interval of the row's rank."""
        if self.grid is None:
            return self.chain(date, rank, which)
        at = (date - pl.lit(self.lo)).dt.total_days() * self.width + rank
        return pl.lit(self.grid[which]).gather(at)

    def chain(self, date: pl.Expr, rank: pl.Expr, which: str) -> pl.Expr:
        """The sum computed row by row: one branch per rank."""
        branches = []
        for r in self.rows:
            days, months = r[which]
            if days is not None:
                value = date + pl.duration(days=days)
            elif months is not None:
                value = date.dt.offset_by(f"{months}mo")
            else:
                continue
            branches.append(pl.when(rank == r["rank"]).then(value))
        if not branches:
            return pl.lit(None, DATE)
        return pl.coalesce(branches) if len(branches) > 1 else branches[0]


def _in_segment(dated: pl.LazyFrame, segments: pl.LazyFrame) -> pl.LazyFrame:
    """Rows (subject, date, _k = day_key; sorted by _k) inside a segment, with that segment's
    period and rank; rows on no open day are dropped. Segments come sorted by subject and
    start (build_segments), so one as-of join on the combined key finds the segment, and a
    match from an earlier subject is dropped with the days outside any segment."""
    segs = segments.select(
        _k=day_key(SUBJECT, "seg_start"),
        _seg_subject=pl.col(SUBJECT),
        period=pl.col("period"),
        seg_end=pl.col("seg_end"),
        rank=pl.col("rank"),
    )
    return (
        dated.join_asof(segs, on="_k", strategy="backward", check_sortedness=False)
        .filter((pl.col("_seg_subject") == pl.col(SUBJECT)) & (pl.col("date") <= pl.col("seg_end")))
        .drop("_seg_subject")
    )


def _periods(segments: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per continuous open period, numbered 1..P in (subject, start) order: its first
    segment gives the start and the rank in force then, its last the end."""
    first = (pl.col("period") != pl.col("period").shift(1)).fill_null(True)
    last = (pl.col("period") != pl.col("period").shift(-1)).fill_null(True)
    heads = segments.filter(first).select(
        SUBJECT, "period", pl.col("seg_start").alias("period_start")
    )
    tails = segments.filter(last).select(pl.col("seg_end").alias("period_end"))
    ranks = segments.filter(first).select(pl.col("rank").alias("rank_start"))
    periods = pl.concat([heads, tails, ranks], how="horizontal").with_columns(
        open_at_as_of=pl.col("period_end") >= pl.lit(as_of)
    )
    if periods.height and periods["period"][-1] != periods["period"][0] + periods.height - 1:
        raise AssertionError("periods are not numbered consecutively")  # pragma: no cover
    return periods


def run_clock(
    timeline: pl.LazyFrame,
    events: pl.LazyFrame,
    requirements: pl.DataFrame,
    as_of: dt.date,
    *,
    repeat: bool = True,
    restarts: pl.LazyFrame | None = None,
    absences: pl.LazyFrame | None = None,
    grace_days: int = 0,
) -> ClockResult:
    """Run the interval clock.

    timeline: subject (int, below 2^30), start (date), end (date, <= as_of), rank (int,
    0 = strictest); rows must already be clipped to [history_from, as_of] and have
    start <= end.
    events: subject, date: the counting events (any dates; those outside every period, or
    after as_of, are ignored).
    requirements: rank, every_days, every_months, limit_days, limit_months (the limit
    columns may be null: the limit is then the target).
    repeat: False for a one-off requirement (only the first due date of each period is owed).
    restarts: subject, date, days, months: forced new starts inside a period (a change of
    supervisor restarts the agreement clock): the cycle running then ends (unmet, if overdue)
    and the next is due `days` or `months` after the restart. An event the same day wins.
    absences: subject, start, end (inclusive): a due or limit date inside an absence moves to
    the return day (the day after the absence ends) plus `grace_days`, again while it lands
    in another absence.
    """
    n_ranks = requirements.height
    timeline = timeline.select(
        pl.col(SUBJECT), pl.col("start"), pl.col("end"), pl.col("rank").cast(pl.Int32)
    ).filter(pl.col("start") <= pl.col("end"))

    segments = build_segments(timeline, n_ranks).collect(engine=COLLECT_ENGINE)
    seg_lazy = segments.lazy()
    periods = _periods(segments, as_of)
    subject_type = segments.schema[SUBJECT]

    # Anchors, one integer key each: day_key * 4 + anchor type (0 a counting event, 1 a
    # restart, 2 the period's own start), so sorting the key orders them by subject, day
    # and type, and one anchor a day is the first of its day.
    def anchor_key(date: str, kind: int) -> pl.Expr:
        return day_key(SUBJECT, date) * 4 + kind

    # Counting events inside a segment (which gives the period and the rank in force), one
    # a day.
    ev = (
        events.select(pl.col(SUBJECT).cast(subject_type), pl.col("date"))
        .filter(pl.col("date") <= pl.lit(as_of))
        .with_columns(_k=day_key(SUBJECT, "date"))
        .sort("_k")
        .filter((pl.col("_k") != pl.col("_k").shift(1)).fill_null(True))
    )
    ev = _in_segment(ev, seg_lazy).select(
        SUBJECT,
        "period",
        pl.col("date").alias("anchor"),
        "rank",
        is_event=pl.lit(True),
        anchor_type=pl.lit(0, pl.Int8),
        _ak=pl.col("_k") * 4,
    )
    starts = periods.lazy().select(
        SUBJECT,
        "period",
        pl.col("period_start").alias("anchor"),
        pl.col("rank_start").alias("rank"),
        is_event=pl.lit(False),
        anchor_type=pl.lit(2, pl.Int8),
        _ak=anchor_key("period_start", 2),
    )
    if restarts is None:
        anchors = ev.merge_sorted(starts, key="_ak").with_columns(
            r_days=pl.lit(None, pl.Int32), r_months=pl.lit(None, pl.Int32)
        )
    else:
        rs = (
            restarts.select(
                pl.col(SUBJECT).cast(subject_type),
                pl.col("date"),
                pl.col("days").cast(pl.Int32).alias("r_days"),
                pl.col("months").cast(pl.Int32).alias("r_months"),
            )
            .filter(pl.col("date") <= pl.lit(as_of))
            .with_columns(_k=day_key(SUBJECT, "date"))
            .sort("_k")
            .pipe(_in_segment, seg_lazy)
            .select(
                SUBJECT,
                "period",
                pl.col("date").alias("anchor"),
                "rank",
                is_event=pl.lit(False),
                anchor_type=pl.lit(1, pl.Int8),
                _ak=pl.col("_k") * 4 + 1,
                r_days="r_days",
                r_months="r_months",
            )
        )
        # Of two restarts the same day, the one due sooner (the stricter) wins.
        anchors = (
            pl.concat([ev, starts, rs], how="diagonal_relaxed")
            .with_columns(
                _r_len=pl.coalesce(
                    pl.col("r_days").cast(pl.Float64), pl.col("r_months") * (365.2425 / 12)
                )
            )
            .sort("_ak", "_r_len", nulls_last=True)
            .drop("_r_len")
        )
    # One anchor a day: an event beats a restart, which beats the period's own start.
    day = pl.col("_ak") // 4
    p0 = periods["period"][0] if periods.height else 0
    anchors = (
        anchors.filter((day != day.shift(1)).fill_null(True))
        .drop("_ak")
        .with_columns(
            period_end=pl.lit(periods["period_end"]).gather(pl.col("period") - p0),
            open_at_as_of=pl.lit(periods["open_at_as_of"]).gather(pl.col("period") - p0),
        )
    )
    same_period_next = (pl.col(SUBJECT).shift(-1) == pl.col(SUBJECT)) & (
        pl.col("period").shift(-1) == pl.col("period")
    )
    cycles = anchors.with_columns(
        next_anchor=pl.when(same_period_next).then(pl.col("anchor").shift(-1)),
        next_is_event=pl.when(same_period_next).then(pl.col("is_event").shift(-1)),
    )
    if not repeat:
        cycles = cycles.filter(~pl.col("is_event"))
    span = (segments["seg_start"].min(), segments["seg_end"].max())
    intervals = _Intervals(requirements, span)  # type: ignore[arg-type]
    due = intervals.add(pl.col("anchor"), pl.col("rank"), "every")
    lim = intervals.add(pl.col("anchor"), pl.col("rank"), "limit")
    if restarts is not None:
        forced = add_interval_expr(pl.col("anchor"), pl.col("r_days"), pl.col("r_months"))
        due = pl.when(pl.col("anchor_type") == 1).then(forced).otherwise(due)
        lim = pl.when(pl.col("anchor_type") == 1).then(forced).otherwise(lim)
    dated = (
        cycles.with_row_index("cycle")
        .with_columns(due_date=due, limit_date=lim, due_rank=pl.col("rank"))
        .drop("r_days", "r_months")
        .collect(engine=COLLECT_ENGINE)
    )

    dated, changes = _apply_changes(dated, seg_lazy, intervals)
    if absences is not None:
        dated = _apply_absences(dated, absences, grace_days)
    else:
        dated = dated.with_columns(absence_moved=pl.lit(False))
    findings = _findings(dated.lazy(), as_of).collect(engine=COLLECT_ENGINE)
    return ClockResult(
        segments=segments,
        periods=periods,
        cycles=dated,
        findings=findings,
        changes=changes,
        counts=(periods.height, dated.height),
    )


def _apply_changes(
    cycles: pl.DataFrame, segments: pl.LazyFrame, intervals: _Intervals
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fold every requirement change inside a cycle into its due and limit dates.

    A change is the start of a segment that is not a period start. Each change belongs to
    the cycle whose anchor is the latest one strictly before it (an as-of join on c - 1 day).
    Within a cycle, changes apply in date order; change k uses the due date left by change
    k - 1, so the loop runs over change depth k, each step over the whole changes table.
    """
    # Cycles are in (subject, anchor) order, so in (period, anchor) order too: one integer
    # key (period, day) finds each change's cycle by an as-of join, without grouping.
    starts = (
        segments.filter((pl.col("period") == pl.col("period").shift(1)).fill_null(False))
        .select("period", pl.col("seg_start").alias("change"), pl.col("rank").alias("new_rank"))
        .with_columns(_k=day_key("period", pl.col("change") - pl.duration(days=1)))
    )
    anchor_keys = cycles.lazy().select(
        "cycle", "anchor", _cycle_period="period", _k=day_key("period", "anchor")
    )
    changes = (
        starts.join_asof(anchor_keys, on="_k", strategy="backward", check_sortedness=False)
        .filter(pl.col("_cycle_period") == pl.col("period"))
        .with_columns(
            a_new=intervals.add(pl.col("anchor"), pl.col("new_rank"), "every"),
            c_new=intervals.add(pl.col("change"), pl.col("new_rank"), "every"),
            a_new_limit=intervals.add(pl.col("anchor"), pl.col("new_rank"), "limit"),
            c_new_limit=intervals.add(pl.col("change"), pl.col("new_rank"), "limit"),
        )
        .select("cycle", "change", "new_rank", "a_new", "c_new", "a_new_limit", "c_new_limit")
        .sort("cycle", "change")
        .collect(engine=COLLECT_ENGINE)
    )
    if changes.height == 0:
        empty = pl.DataFrame(
            schema={
                "cycle": pl.UInt32,
                "change": DATE,
                "new_rank": pl.Int32,
                "due_before": DATE,
                "due_after": DATE,
                "applied": pl.Boolean,
            }
        )
        return cycles.with_columns(changes_applied=pl.lit(0, pl.UInt32)), empty

    first_of_cycle = pl.col("cycle") != pl.col("cycle").shift(1)
    idx = pl.int_range(pl.len(), dtype=pl.UInt32)
    changes = changes.with_columns(
        depth=idx - pl.when(first_of_cycle.fill_null(True)).then(idx).forward_fill()
    )
    owner = changes["cycle"]
    changes = changes.with_columns(
        d0=cycles["due_date"].gather(owner),
        l0=cycles["limit_date"].gather(owner),
        r0=cycles["due_rank"].gather(owner),
    )
    changes = changes.with_columns(
        due=pl.lit(None, DATE),
        lim=pl.lit(None, DATE),
        drank=pl.lit(None, pl.Int32),
        applied=pl.lit(0, pl.UInt32),
        due_before=pl.lit(None, DATE),
        live=pl.lit(None, pl.Boolean),
    )
    max_depth = int(changes["depth"].max() or 0)  # type: ignore[arg-type]
    for k in range(max_depth + 1):
        at_k = pl.col("depth") == k
        first = pl.col("depth") == 0
        prev_due = pl.when(first).then(pl.col("d0")).otherwise(pl.col("due").shift(1))
        prev_lim = pl.when(first).then(pl.col("l0")).otherwise(pl.col("lim").shift(1))
        prev_rank = pl.when(first).then(pl.col("r0")).otherwise(pl.col("drank").shift(1))
        prev_applied = pl.when(first).then(0).otherwise(pl.col("applied").shift(1))
        live = prev_due >= pl.col("change")
        live_lim = prev_lim >= pl.col("change")
        new_due = pl.max_horizontal(pl.col("a_new"), pl.min_horizontal(prev_due, pl.col("c_new")))
        new_lim = pl.max_horizontal(
            pl.col("a_new_limit"), pl.min_horizontal(prev_lim, pl.col("c_new_limit"))
        )
        changes = changes.with_columns(
            due=pl.when(at_k)
            .then(pl.when(live).then(new_due).otherwise(prev_due))
            .otherwise("due"),
            lim=pl.when(at_k)
            .then(pl.when(live_lim).then(new_lim).otherwise(prev_lim))
            .otherwise("lim"),
            drank=pl.when(at_k)
            .then(pl.when(live).then(pl.col("new_rank")).otherwise(prev_rank))
            .otherwise("drank"),
            applied=pl.when(at_k).then(prev_applied + live.cast(pl.UInt32)).otherwise("applied"),
            due_before=pl.when(at_k).then(prev_due).otherwise("due_before"),
            live=pl.when(at_k).then(live).otherwise("live"),
        )
    final = changes.group_by("cycle").agg(
        pl.col("due").last(), pl.col("lim").last(), pl.col("drank").last(), pl.col("applied").last()
    )
    steps = changes.select(
        "cycle",
        "change",
        "new_rank",
        "due_before",
        pl.col("due").alias("due_after"),
        pl.col("live").alias("applied"),
    )
    # A cycle is its row number: the folded dates go straight into their rows.
    at = final["cycle"]

    def folded(column: str, new: str) -> pl.Series:
        return cycles[column].clone().scatter(at, final[new].fill_null(cycles[column].gather(at)))

    merged = cycles.with_columns(
        due_date=folded("due_date", "due"),
        limit_date=folded("limit_date", "lim"),
        due_rank=folded("due_rank", "drank"),
        changes_applied=pl.zeros(cycles.height, pl.UInt32, eager=True).scatter(
            at, final["applied"].fill_null(0)
        ),
    )
    return merged, steps


def _findings(cycles: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Keep the cycles whose due date passed before the next event, the closure or as_of."""
    span_end = pl.coalesce("next_anchor", "period_end")
    return (
        cycles.with_columns(span_end=span_end)
        .filter(pl.col("span_end") > pl.col("due_date"))
        .with_columns(
            met_date=pl.when(pl.col("next_is_event")).then(pl.col("next_anchor")),
            days_overdue=(pl.col("span_end") - pl.col("due_date")).dt.total_days(),
            severity=pl.when(pl.col("span_end") > pl.col("limit_date"))
            .then(pl.lit("red"))
            .otherwise(pl.lit("amber")),
            outstanding=pl.col("next_anchor").is_null() & pl.col("open_at_as_of"),
            closed_unmet=pl.col("next_anchor").is_null() & ~pl.col("open_at_as_of"),
            ended_by_restart=pl.col("next_anchor").is_not_null() & ~pl.col("next_is_event"),
        )
        .select(
            SUBJECT,
            "period",
            "cycle",
            "anchor",
            "is_event",
            "due_date",
            "limit_date",
            "met_date",
            "span_end",
            "days_overdue",
            "severity",
            "due_rank",
            "outstanding",
            "closed_unmet",
            "ended_by_restart",
            "absence_moved",
            "period_end",
        )
        # cycle breaks ties: two dues of one subject on one day keep one order every run
        .sort(SUBJECT, "due_date", "cycle")
    )


def _merge_intervals(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Merge each subject's overlapping or adjacent (start, end) intervals."""
    ordered = frame.select(SUBJECT, "start", "end").sort(SUBJECT, "start", "end")
    reach = pl.col("end").cum_max().over(SUBJECT)
    return (
        ordered.with_columns(prev_reach=reach.shift(1).over(SUBJECT))
        .with_columns(
            new=pl.col("prev_reach").is_null()
            | (pl.col("start") > pl.col("prev_reach") + pl.duration(days=1))
        )
        .with_columns(group=pl.col("new").cast(pl.UInt32).cum_sum())
        .group_by(SUBJECT, "group")
        .agg(pl.col("start").min(), pl.col("end").max())
        .select(SUBJECT, "start", "end")
        .sort(SUBJECT, "start")
    )


def _apply_absences(cycles: pl.DataFrame, absences: pl.LazyFrame, grace_days: int) -> pl.DataFrame:
    """Move due and limit dates that fall inside an absence to the return day (the day after
    the absence ends) plus the grace.

    Absences are merged first, so each pass moves a date past one absence; passes repeat
    while any date landed inside another (absences closer together than the grace).
    """
    merged = _merge_intervals(absences).collect(engine=COLLECT_ENGINE)
    if merged.height == 0:
        return cycles.with_columns(absence_moved=pl.lit(False))
    grace = pl.duration(days=grace_days + 1)  # the return day, plus the grace
    out = cycles.with_columns(absence_moved=pl.lit(False))
    for column in ("due_date", "limit_date"):
        for _ in range(merged.height + 1):
            probe = (
                out.lazy()
                .select("cycle", SUBJECT, pl.col(column).alias("d"))
                .sort(SUBJECT, "d")
                .join_asof(
                    merged.lazy().sort(SUBJECT, "start"),
                    left_on="d",
                    right_on="start",
                    by=SUBJECT,
                    strategy="backward",
                    check_sortedness=False,
                )
                .filter(pl.col("end").is_not_null() & (pl.col("d") <= pl.col("end")))
                .select("cycle", moved_to=pl.col("end") + grace)
                .collect(engine=COLLECT_ENGINE)
            )
            if probe.height == 0:
                break
            out = (
                out.join(probe, on="cycle", how="left")
                .with_columns(
                    pl.coalesce("moved_to", column).alias(column),
                    absence_moved=pl.col("absence_moved")
                    | (pl.col("moved_to").is_not_null() & pl.lit(column == "due_date")),
                )
                .drop("moved_to")
            )
    return out.with_columns(limit_date=pl.max_horizontal("limit_date", "due_date")).sort("cycle")
