"""The interval clock written the straightforward pandas way: the benchmark's second baseline.

The same algorithm as the engine (docs/engine.md): a sweep line for the requirement in
force, periods, anchors (period starts and counting events, one a day), a requirement change
folded into the cycle it falls in, and the overdue cycles. Whole-column pandas operations
(sort, groupby, merge_asof, shift, cumsum), as a competent pandas user would write it, so
`make bench` can say how the Polars engine compares with it on the same rule and data.
Development only: pandas is a dev dependency, and nothing in the package imports this.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

ONE_DAY = pd.Timedelta(days=1)


def _add(dates: pd.Series, ranks: pd.Series, reqs: dict[int, tuple[int | None, int | None]]):
    """dates + the interval (days, months) of each row's rank."""
    out = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    for rank, (days, months) in reqs.items():
        mask = ranks == rank
        if not mask.any():
            continue
        if days is not None:
            out[mask] = dates[mask] + pd.Timedelta(days=days)
        elif months is not None:
            out[mask] = dates[mask] + pd.DateOffset(months=months)
    return out


def pandas_clock(
    rows: pd.DataFrame,
    events: pd.DataFrame,
    every: dict[int, tuple[int | None, int | None]],
    limit: dict[int, tuple[int | None, int | None]],
    as_of: dt.date,
    repeat: bool = True,
) -> pd.DataFrame:
    """rows: subject, start, end, rank (datetime64, clipped to as_of); events: subject,
    date; every/limit: rank -> (days, months). Returns the findings: subject, due_date,
    limit_date, met_date, days_overdue, severity, due_rank."""
    as_of_ts = pd.Timestamp(as_of)
    rows = rows[rows["start"] <= rows["end"]]
    ranks = sorted(every)
    starts = pd.DataFrame({"subject": rows["subject"], "date": rows["start"]})
    ends = pd.DataFrame({"subject": rows["subject"], "date": rows["end"] + ONE_DAY})
    for k in ranks:
        starts[f"r{k}"] = (rows["rank"] == k).astype(np.int32)
        ends[f"r{k}"] = -(rows["rank"] == k).astype(np.int32)
    cols = [f"r{k}" for k in ranks]
    deltas = (
        pd.concat([starts, ends]).groupby(["subject", "date"], sort=True)[cols].sum().reset_index()
    )
    counts = deltas[cols].cumsum().to_numpy()
    in_force = np.where(counts > 0, np.arange(len(ranks)), len(ranks)).min(axis=1)
    deltas["rank"] = np.where(in_force == len(ranks), -1, np.array(ranks + [-1])[in_force])
    b = deltas[["subject", "date", "rank"]]
    same_prev = b["subject"].eq(b["subject"].shift(1))
    b = b[~(same_prev & b["rank"].eq(b["rank"].shift(1)))].reset_index(drop=True)
    same_prev = b["subject"].eq(b["subject"].shift(1))
    next_same = b["subject"].shift(-1).eq(b["subject"])
    b["seg_end"] = (b["date"].shift(-1) - ONE_DAY).where(next_same)
    b["new_period"] = (b["rank"] >= 0) & (~same_prev | b["rank"].shift(1).eq(-1))
    b["period"] = b["new_period"].cumsum()
    segs = b[b["rank"] >= 0].rename(columns={"date": "seg_start"})

    periods = segs.groupby("period").agg(
        subject=("subject", "first"),
        period_start=("seg_start", "min"),
        period_end=("seg_end", "max"),
        rank_start=("rank", "first"),
    )
    periods["open_at_as_of"] = periods["period_end"] >= as_of_ts

    ev = events[events["date"] <= as_of_ts].drop_duplicates().sort_values("date")
    ev = pd.merge_asof(
        ev,
        segs[["subject", "seg_start", "seg_end", "period", "rank"]].sort_values("seg_start"),
        left_on="date",
        right_on="seg_start",
        by="subject",
    )
    ev = ev[ev["seg_end"].notna() & (ev["date"] <= ev["seg_end"])].astype(
        {"period": np.int64, "rank": np.int64}
    )
    anchors = pd.concat(
        [
            pd.DataFrame(
                {
                    "subject": ev["subject"],
                    "period": ev["period"],
                    "anchor": ev["date"],
                    "rank": ev["rank"],
                    "is_event": True,
                    "anchor_type": 0,
                }
            ),
            pd.DataFrame(
                {
                    "subject": periods["subject"],
                    "period": periods.index,
                    "anchor": periods["period_start"],
                    "rank": periods["rank_start"],
                    "is_event": False,
                    "anchor_type": 2,
                }
            ),
        ]
    ).sort_values(["subject", "anchor", "anchor_type"], kind="stable")
    anchors = anchors.drop_duplicates(["subject", "anchor"], keep="first").reset_index(drop=True)
    anchors = anchors.join(periods[["period_end", "open_at_as_of"]], on="period")
    same_next = anchors["period"].shift(-1).eq(anchors["period"])
    anchors["next_anchor"] = anchors["anchor"].shift(-1).where(same_next)
    anchors["next_is_event"] = anchors["is_event"].shift(-1).where(same_next)
    if not repeat:
        anchors = anchors[~anchors["is_event"]].reset_index(drop=True)
    anchors["due_date"] = _add(anchors["anchor"], anchors["rank"], every)
    anchors["limit_date"] = _add(anchors["anchor"], anchors["rank"], limit)
    anchors["due_rank"] = anchors["rank"]
    anchors["cycle"] = np.arange(len(anchors))

    # Requirement changes inside a cycle, folded in date order (change depth by depth).
    same_period = segs["period"].eq(segs["period"].shift(1))
    ch = segs[same_period][["period", "seg_start", "rank"]].rename(
        columns={"seg_start": "change", "rank": "new_rank"}
    )
    ch["probe"] = ch["change"] - ONE_DAY
    ch = pd.merge_asof(
        ch.sort_values("probe"),
        anchors[["period", "anchor", "cycle"]].sort_values("anchor"),
        left_on="probe",
        right_on="anchor",
        by="period",
    ).dropna(subset=["cycle"])
    if len(ch):
        ch["cycle"] = ch["cycle"].astype(np.int64)
        ch = ch.sort_values(["cycle", "change"]).reset_index(drop=True)
        ch["a_new"] = _add(ch["anchor"], ch["new_rank"], every)
        ch["c_new"] = _add(ch["change"], ch["new_rank"], every)
        ch["a_lim"] = _add(ch["anchor"], ch["new_rank"], limit)
        ch["c_lim"] = _add(ch["change"], ch["new_rank"], limit)
        ch["depth"] = ch.groupby("cycle").cumcount()
        due = anchors["due_date"].to_numpy().copy()
        lim = anchors["limit_date"].to_numpy().copy()
        drank = anchors["due_rank"].to_numpy().copy()
        for k in range(int(ch["depth"].max()) + 1):
            step = ch[ch["depth"] == k]
            c = step["cycle"].to_numpy()
            d_prev, l_prev = due[c], lim[c]
            change = step["change"].to_numpy()
            live = d_prev >= change
            live_lim = l_prev >= change
            new_due = np.maximum(step["a_new"].to_numpy(), np.minimum(d_prev, step["c_new"]))
            new_lim = np.maximum(step["a_lim"].to_numpy(), np.minimum(l_prev, step["c_lim"]))
            due[c] = np.where(live, new_due, d_prev)
            lim[c] = np.where(live_lim, new_lim, l_prev)
            drank[c] = np.where(live, step["new_rank"].to_numpy(), drank[c])
        anchors["due_date"], anchors["limit_date"], anchors["due_rank"] = due, lim, drank

    span_end = anchors["next_anchor"].fillna(anchors["period_end"])
    f = anchors[span_end > anchors["due_date"]].copy()
    f["span_end"] = span_end[f.index]
    f["met_date"] = f["next_anchor"].where(f["next_is_event"].fillna(False).astype(bool))
    f["days_overdue"] = (f["span_end"] - f["due_date"]).dt.days
    f["severity"] = np.where(f["span_end"] > f["limit_date"], "red", "amber")
    return f[
        ["subject", "due_date", "limit_date", "met_date", "days_overdue", "severity", "due_rank"]
    ].sort_values(["subject", "due_date"], kind="stable")
