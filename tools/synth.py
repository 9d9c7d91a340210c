"""A realistic synthetic authority, for trying the tool and for the benchmark.

Teams by service, about one worker per 16 children and one team manager per team; children
move through services (assessment, child in need, child protection plan, care, leaving
care) with flags on some periods, overlapping rows, closures and re-referrals; supervision
mostly on time, some late, a few long gaps; group supervision and management oversight
(which no policy counts as supervision) recorded too; staff supervision, agreements,
observations, appraisals, ASYE mentoring, team group supervision and absences.

Everything is generated with numpy arrays and Polars expressions (no loops over children or
events), so a million children takes seconds. The same (children, seed, as_of) always gives
byte-identical files. Names are made up from short lists; nobody real is described.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from supervision_audit.sources.schema import TABLES

FIRST = [
    "Amara",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Finley",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kai",
    "Leah",
    "Mia",
    "Noah",
    "Olivia",
    "Priya",
    "Reuben",
    "Sofia",
    "Theo",
    "Zara",
    "Aaliyah",
    "Callum",
    "Evie",
    "Mohammed",
    "Ruby",
    "Tyler",
    "Ava",
    "Lewis",
    "Maya",
    "Oscar",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Khan",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Thompson",
    "Hughes",
    "Ali",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Hussain",
    "Begum",
    "Lewis",
    "Harris",
    "Jackson",
]

# Service teams: (base name, the categories they hold).
TEAM_TYPES = [
    ("Assessment", ("ASSESSMENT",)),
    ("Safeguarding", ("CIN", "CP")),
    ("Children in Care", ("CLA",)),
    ("Care Leavers", ("CARE_LEAVER",)),
    ("Fostering", ("FOSTER_CARER",)),
    ("Early Help", ("EARLY_HELP",)),
    ("Disabled Children", ("CWD_REVIEW",)),
    ("Youth Justice", ("YOS",)),
]
AREAS = ["North", "South", "East", "West", "Central", "Coast"]
CATEGORY_TEAM = {c: i for i, (_, cats) in enumerate(TEAM_TYPES) for c in cats}
CATEGORIES = [
    "EARLY_HELP",
    "ASSESSMENT",
    "CIN",
    "CP",
    "CLA",
    "CARE_LEAVER",
    "CWD_REVIEW",
    "FOSTER_CARER",
    "YOS",
]
CAT = {c: i for i, c in enumerate(CATEGORIES)}
# Journeys: up to three stages, and how often each occurs.
PATHWAYS = [
    (("EARLY_HELP", "", ""), 0.15),
    (("ASSESSMENT", "", ""), 0.10),
    (("ASSESSMENT", "CIN", ""), 0.22),
    (("ASSESSMENT", "CIN", "CP"), 0.14),
    (("CIN", "CP", "CLA"), 0.09),
    (("CLA", "", ""), 0.12),
    (("CLA", "CARE_LEAVER", ""), 0.04),
    (("CARE_LEAVER", "", ""), 0.06),
    (("CWD_REVIEW", "", ""), 0.02),
    (("YOS", "", ""), 0.03),
    (("FOSTER_CARER", "", ""), 0.03),
]
# Typical stage length in days, by category.
STAGE_DAYS = {
    "EARLY_HELP": 180,
    "ASSESSMENT": 40,
    "CIN": 300,
    "CP": 280,
    "CLA": 700,
    "CARE_LEAVER": 900,
    "CWD_REVIEW": 900,
    "FOSTER_CARER": 1500,
    "YOS": 300,
}
# Supervision gap multiplier by category (lower-frequency services are supervised less often).
GAP_SCALE = {
    "EARLY_HELP": 1.5,
    "ASSESSMENT": 0.9,
    "CIN": 1.3,
    "CP": 0.85,
    "CLA": 1.2,
    "CARE_LEAVER": 1.8,
    "CWD_REVIEW": 2.2,
    "FOSTER_CARER": 1.4,
    "YOS": 1.4,
}


def _iso(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%Y-%m-%d")


def _gaps(rng: np.random.Generator, n: int, scale: np.ndarray) -> np.ndarray:
    """Days between supervisions: mostly 3-5 weeks, sometimes 6-10, rarely longer."""
    u = rng.random(n)
    gap = np.where(
        u < 0.62,
        rng.uniform(14, 30, n),
        np.where(
            u < 0.86,
            rng.uniform(28, 42, n),
            np.where(u < 0.97, rng.uniform(42, 70, n), rng.uniform(70, 150, n)),
        ),
    )
    return np.maximum(1, np.round(gap * scale)).astype(np.int32)


def _sequences(
    rng: np.random.Generator,
    starts: np.ndarray,
    ends: np.ndarray,
    scale: np.ndarray,
    first_gap: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Event days inside [start, end] per owner: (owner index, day) arrays, vectorised.

    Each owner gets enough gaps to cover its window (bounded), cumulated from its start."""
    span = np.maximum(ends - starts, 0)
    counts = (span / (16 * np.maximum(scale, 0.5))).astype(np.int64) + 2
    owner = np.repeat(np.arange(len(starts)), counts)
    gaps = _gaps(rng, len(owner), np.repeat(scale, counts))
    if first_gap is not None:
        firsts = np.cumsum(counts) - counts
        gaps[firsts] = first_gap
    csum = np.cumsum(gaps)
    offsets = np.cumsum(counts) - counts
    base = np.repeat(csum[offsets] - gaps[offsets], counts)
    day = np.repeat(starts, counts) + (csum - base)
    keep = day <= np.repeat(ends, counts)
    return owner[keep], day[keep]


def generate(
    children: int,
    seed: int,
    as_of: dt.date,
    *,
    staff: bool = True,
    bad_rows: bool = True,
    history_months: int = 24,
) -> dict[str, pl.DataFrame]:
    """The canonical tables of a synthetic authority, as text (what the files hold)."""
    rng = np.random.default_rng(seed)
    n = int(children)
    asof = (np.datetime64(as_of, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    hist = asof - int(history_months * 30.44)

    # --- workers and teams -------------------------------------------------------------
    n_workers = max(12, n // 16)
    per_type = np.array([0.17, 0.25, 0.2, 0.08, 0.07, 0.12, 0.05, 0.06])
    type_workers = np.maximum(1, np.round(per_type / per_type.sum() * n_workers)).astype(np.int64)
    teams_per_type = np.maximum(1, type_workers // 7)
    team_names: list[str] = []
    team_type: list[int] = []
    for t, (base, _) in enumerate(TEAM_TYPES):
        k = int(teams_per_type[t])
        for j in range(k):
            area = AREAS[j % len(AREAS)]
            suffix = f" {j // len(AREAS) + 1}" if k > len(AREAS) else ""
            team_names.append(f"{base} {area}{suffix}")
            team_type.append(t)
    team_type_arr = np.array(team_type)
    # Worker -> team: workers of a type spread evenly over that type's teams.
    w_type = np.repeat(np.arange(len(TEAM_TYPES)), type_workers)
    team_first = np.concatenate([[0], np.cumsum(teams_per_type)[:-1]])
    w_rank = np.arange(len(w_type)) - np.repeat(
        np.concatenate([[0], np.cumsum(type_workers)[:-1]]), type_workers
    )
    w_team = team_first[w_type] + w_rank % teams_per_type[w_type]
    n_w = len(w_type)
    worker_ids = np.array([f"W{i:05d}" for i in range(1, n_w + 1)], dtype=object)
    n_teams = len(team_names)
    manager_ids = np.array([f"M{i:04d}" for i in range(1, n_teams + 1)], dtype=object)
    n_service = max(1, n_teams // 5)
    service_ids = np.array([f"S{i:03d}" for i in range(1, n_service + 1)], dtype=object)
    type_pool_start = np.concatenate([[0], np.cumsum(type_workers)[:-1]])

    # --- children's journeys ----------------------------------------------------------
    probs = np.array([p for _, p in PATHWAYS])
    path = rng.choice(len(PATHWAYS), size=n, p=probs / probs.sum())
    stage_cat = np.array([[CAT.get(c, -1) for c in stages] for stages, _ in PATHWAYS])[
        path
    ]  # (n,3)
    mean_days = np.array([STAGE_DAYS[c] for c in CATEGORIES])
    first_start = asof - (rng.gamma(1.4, 420, n).astype(np.int64) + 5)
    rows_child, rows_cat, rows_start, rows_end = [], [], [], []
    cursor = first_start.copy()
    alive = np.ones(n, dtype=bool)
    for k in range(3):
        cat = stage_cat[:, k]
        has = alive & (cat >= 0)
        length = np.maximum(7, rng.exponential(mean_days[np.maximum(cat, 0)])).astype(np.int64)
        start = cursor
        end = start + length - 1
        idx = np.nonzero(has)[0]
        rows_child.append(idx)
        rows_cat.append(cat[idx])
        rows_start.append(start[idx])
        rows_end.append(end[idx])
        cursor = end + 1
        alive = has & (end < asof)
    child = np.concatenate(rows_child)
    cat = np.concatenate(rows_cat)
    start = np.concatenate(rows_start)
    end = np.concatenate(rows_end)
    # The last stage of most children is still open; a later stage never starts after as_of.
    keep = start <= asof
    child, cat, start, end = child[keep], cat[keep], start[keep], end[keep]
    order = np.lexsort((start, child))
    child, cat, start, end = child[order], cat[order], start[order], end[order]
    last = np.append(child[1:] != child[:-1], True)
    # Most journeys are still open at as_of, but an assessment is not left open for months.
    open_last = (
        last & (rng.random(len(child)) < 0.78) & ((cat != CAT["ASSESSMENT"]) | (start > asof - 50))
    )
    end = np.where(open_last | (end > asof), -1, end)
    # Re-referrals: a gap then a new child-in-need or early-help episode.
    closed_last = last & (end >= 0) & (end < asof - 60) & (rng.random(len(child)) < 0.25)
    rr = np.nonzero(closed_last)[0]
    rr_start = end[rr] + rng.integers(20, 200, len(rr))
    ok = rr_start < asof
    rr, rr_start = rr[ok], rr_start[ok]
    rr_cat = np.where(rng.random(len(rr)) < 0.5, CAT["CIN"], CAT["EARLY_HELP"])
    child = np.concatenate([child, child[rr]])
    cat = np.concatenate([cat, rr_cat])
    start = np.concatenate([start, rr_start])
    end = np.concatenate([end, np.full(len(rr), -1)])

    # Flags: a change of flags starts a new row, so a flagged stage splits in two.
    flag_names = np.array(
        [
            "",
            "HIGH_RISK",
            "PROCEEDINGS",
            "UNSUITABLE_ACCOMMODATION",
            "NO_CHILDREN_PLACED",
            "INSTABILITY",
        ],
        dtype=object,
    )
    u = rng.random(len(cat))
    flag = np.zeros(len(cat), dtype=np.int64)
    flag = np.where(np.isin(cat, [CAT["CIN"], CAT["CLA"], CAT["YOS"]]) & (u < 0.15), 1, flag)
    flag = np.where((cat == CAT["CP"]) & (u < 0.2), 2, flag)
    flag = np.where((cat == CAT["CLA"]) & (u >= 0.85) & (u < 0.95), 2, flag)
    flag = np.where((cat == CAT["CARE_LEAVER"]) & (u < 0.12), 3, flag)
    flag = np.where((cat == CAT["FOSTER_CARER"]) & (u < 0.15), 4, flag)
    flag = np.where((cat == CAT["FOSTER_CARER"]) & (u >= 0.15) & (u < 0.27), 5, flag)
    eff_end = np.where(end < 0, asof, end)
    can_split = (flag > 0) & (eff_end - start > 30)
    split_at = start + ((eff_end - start) * rng.uniform(0.3, 0.7, len(cat))).astype(np.int64)
    s_idx = np.nonzero(can_split)[0]
    # first part (no flag) ends the day before the flagged part starts
    child = np.concatenate([child, child[s_idx]])
    cat = np.concatenate([cat, cat[s_idx]])
    new_start = start.copy()
    new_start[s_idx] = split_at[s_idx]
    start = np.concatenate([new_start, start[s_idx]])
    end = np.concatenate([end, split_at[s_idx] - 1])
    flag = np.concatenate([flag, np.zeros(len(s_idx), dtype=np.int64)])
    # Overlap: some child-in-need rows run on around a CP plan (as real records do).
    overlap = (cat == CAT["CIN"]) & (end >= 0) & (rng.random(len(cat)) < 0.3)
    end = np.where(overlap, np.minimum(end + rng.integers(30, 200, len(cat)), asof), end)

    # Workers: the team that holds the category, a worker of that team type.
    cat_team_type = np.array([CATEGORY_TEAM[c] for c in CATEGORIES])[cat]
    pick = type_pool_start[cat_team_type] + (
        rng.random(len(cat)) * type_workers[cat_team_type]
    ).astype(np.int64)
    row_worker = worker_ids[pick]
    row_team = np.array(team_names, dtype=object)[w_team[pick]]

    person_ids = np.array([f"C{i:07d}" for i in range(1, n + 1)], dtype=object)
    is_carer = stage_cat[:, 0] == CAT["FOSTER_CARER"]
    person_ids = np.where(
        is_carer, np.char.replace(person_ids.astype(str), "C", "F", count=1), person_ids
    )
    first_names = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), n)]
    last_names = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), n)]
    age_years = np.where(
        np.isin(stage_cat[:, 0], [CAT["CARE_LEAVER"]]),
        rng.integers(18, 25, n),
        np.where(is_carer, rng.integers(30, 65, n), rng.integers(0, 18, n)),
    )
    dob = asof - (age_years * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    epoch = np.datetime64("1970-01-01", "D")
    episodes = (
        pl.DataFrame(
            {
                "_child": child,
                "_start": start,
                "_end": end,
                "_flag": flag,
                "person_id": person_ids[child],
                "category": np.array(CATEGORIES, dtype=object)[cat],
                "team": row_team,
                "worker_id": row_worker,
                "flags": pl.Series(flag_names[flag], dtype=pl.String),
                "person_name": (first_names[child] + " " + last_names[child]),
                "date_of_birth": (epoch + dob[child].astype("timedelta64[D]")),
            }
        )
        .with_columns(
            flags=pl.when(pl.col("flags") != "").then(pl.col("flags")),
            start_date=_iso(pl.col("_start").cast(pl.Int32).cast(pl.Date)),
            end_date=pl.when(pl.col("_end") >= 0).then(
                _iso(pl.col("_end").cast(pl.Int32).cast(pl.Date))
            ),
            date_of_birth=_iso(pl.col("date_of_birth").cast(pl.Date)),
        )
        .sort("_child", "_start", "category")
    )

    # --- case events: supervisions within each row's window ------------------------------
    win_start = np.maximum(episodes["_start"].to_numpy(), hist)
    win_end = np.where(episodes["_end"].to_numpy() < 0, asof, episodes["_end"].to_numpy())
    valid = win_start <= win_end
    ep_idx = np.nonzero(valid)[0]
    scale = _scale_fast(episodes)
    first_gap = rng.integers(0, 35, len(ep_idx)).astype(np.int32)
    owner, day = _sequences(rng, win_start[ep_idx], win_end[ep_idx], scale[ep_idx] * 1.0, first_gap)
    row = ep_idx[owner]
    kind_u = rng.random(len(row))
    kinds = np.where(
        kind_u < 0.80,
        "CASE_SUPERVISION",
        np.where(
            kind_u < 0.90,
            "GROUP_SUPERVISION",
            np.where(kind_u < 0.99, "MANAGEMENT_OVERSIGHT", "FILE_AUDIT"),
        ),
    )
    rec_lag = rng.choice(
        [0, 1, 2, 3, 5, 8, 14], size=len(row), p=[0.3, 0.3, 0.17, 0.1, 0.07, 0.04, 0.02]
    )
    ep_person = episodes["person_id"].to_numpy()
    ep_worker = episodes["worker_id"].to_numpy()
    sup_of_worker = manager_ids[w_team]
    w_num = (pl.Series(ep_worker[row]).str.slice(1).cast(pl.Int64) - 1).to_numpy()
    case_events = (
        pl.DataFrame(
            {
                "person_id": ep_person[row],
                "_day": day,
                "kind": kinds,
                "supervisor_id": sup_of_worker[w_num],
                "worker_id": ep_worker[row],
                "_rec": day + rec_lag,
            }
        )
        .with_columns(
            date=_iso(pl.col("_day").cast(pl.Int32).cast(pl.Date)),
            recorded_date=_iso(
                pl.min_horizontal("_rec", pl.lit(int(asof))).cast(pl.Int32).cast(pl.Date)
            ),
        )
        .unique(subset=["person_id", "_day", "kind"], keep="first", maintain_order=True)
        .sort("person_id", "_day", "kind")
    )

    tables = {
        "episodes": episodes.select([c.name for c in TABLES["episodes"].columns]),
        "case_events": case_events.select([c.name for c in TABLES["case_events"].columns]),
    }
    if staff:
        tables.update(
            _staff(
                rng,
                asof,
                hist,
                worker_ids,
                w_team,
                w_type,
                manager_ids,
                service_ids,
                team_names,
                team_type_arr,
            )
        )
    if bad_rows:
        tables = _add_bad_rows(rng, tables, n)
    return tables


def _scale_fast(episodes: pl.DataFrame) -> np.ndarray:
    return (
        episodes.select(pl.col("category").replace_strict(GAP_SCALE, return_dtype=pl.Float64))
        .to_series()
        .to_numpy()
    )


def _staff(
    rng, asof, hist, worker_ids, w_team, w_type, manager_ids, service_ids, team_names, team_type_arr
) -> dict[str, pl.DataFrame]:
    n_w = len(worker_ids)
    n_m = len(manager_ids)
    n_s = len(service_ids)
    ids = np.concatenate([worker_ids, manager_ids, service_ids])
    total = len(ids)
    team_of = np.concatenate(
        [
            np.array(team_names, dtype=object)[w_team],
            np.array(team_names, dtype=object),
            np.array(["Service Management"] * n_s, dtype=object),
        ]
    )
    role_u = rng.random(n_w)
    roles_w = np.where(
        role_u < 0.55,
        "Social Worker",
        np.where(
            role_u < 0.8,
            "Senior Social Worker",
            np.where(role_u < 0.9, "Advanced Practitioner", "Family Support Worker"),
        ),
    )
    roles = np.concatenate(
        [
            roles_w,
            np.array(["Team Manager"] * n_m, dtype=object),
            np.array(["Service Manager"] * n_s, dtype=object),
        ]
    )
    supervisor = np.concatenate(
        [
            manager_ids[w_team],
            service_ids[np.arange(n_m) % n_s],
            np.array([None] * n_s, dtype=object),
        ]
    )
    start = asof - rng.gamma(1.3, 900, total).astype(np.int64) - 20
    asye = np.zeros(total, dtype=bool)
    asye[:n_w] = (rng.random(n_w) < 0.08) & np.isin(roles_w, ["Social Worker"])
    start = np.where(asye, asof - rng.integers(20, 700, total), start)
    leaver = rng.random(total) < 0.05
    end = np.where(leaver, asof - rng.integers(1, 300, total), -1)
    end = np.where((end >= 0) & (end <= start), -1, end)
    since = np.maximum(start, asof - rng.integers(30, 1500, total))
    frontline = np.concatenate([np.ones(n_w, dtype=bool), np.zeros(n_m + n_s, dtype=bool)])
    fte = np.where(rng.random(total) < 0.8, 1.0, rng.choice([0.5, 0.6, 0.8], total))
    first_names = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), total)]
    last_names = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), total)]
    d = lambda a: pl.Series(a).cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")  # noqa: E731
    workers = pl.DataFrame(
        {
            "worker_id": ids,
            "name": first_names + " " + last_names,
            "role": roles,
            "team": team_of,
            "supervisor_id": supervisor,
            "supervisor_since": d(since),
            "start_date": d(start),
            "end_date": pl.Series(np.where(end >= 0, end, 0))
            .cast(pl.Int32)
            .cast(pl.Date)
            .dt.strftime("%Y-%m-%d")
            .zip_with(pl.Series(end >= 0), pl.Series([None] * total, dtype=pl.String)),
            "asye_start": pl.Series(np.where(asye, start, 0))
            .cast(pl.Int32)
            .cast(pl.Date)
            .dt.strftime("%Y-%m-%d")
            .zip_with(pl.Series(asye), pl.Series([None] * total, dtype=pl.String)),
            "frontline": np.where(frontline, "Y", "N"),
            "fte": fte.astype(str),
        }
    )
    w_start = np.maximum(start, hist)
    w_end = np.where(end >= 0, np.minimum(end, asof), asof)
    ok = w_start <= w_end
    idx = np.nonzero(ok)[0]
    scale = np.where(asye[idx], 0.6, 1.0)
    owner, day = _sequences(rng, w_start[idx], w_end[idx], scale, rng.integers(0, 30, len(idx)))
    who = idx[owner]
    # ASYE: weekly for six weeks, then fortnightly to six months, on top of the monthly rhythm.
    a_idx = np.nonzero(asye & (start + 182 >= hist))[0]
    a_owner = np.repeat(a_idx, 18)
    a_day = np.repeat(start[a_idx], 18) + np.tile(
        np.array([7, 14, 21, 28, 35, 42, 56, 70, 84, 98, 112, 126, 140, 154, 168, 182, 196, 210]),
        len(a_idx),
    )
    a_day = a_day + rng.integers(-1, 5, len(a_day))
    a_keep = (a_day <= asof) & (a_day >= hist)
    who = np.concatenate([who, a_owner[a_keep]])
    day = np.concatenate([day, a_day[a_keep]])
    m = len(who)
    status = np.where(rng.random(m) < 0.08, "CANCELLED", "HELD")
    minutes = rng.choice([45, 60, 60, 75, 90, 90, 90, 105, 120, 135], m)
    lag = rng.choice([0, 1, 2, 3, 4, 6, 10], m, p=[0.25, 0.3, 0.2, 0.1, 0.07, 0.05, 0.03])
    rec = np.minimum(day + lag, asof)
    blank_rec = rng.random(m) < 0.02
    sessions = (
        pl.DataFrame(
            {
                "worker_id": ids[who],
                "_day": day,
                "status": status,
                "supervisor_id": supervisor[who],
                "duration_minutes": minutes.astype(str),
                "_rec": rec,
                "_blank": blank_rec,
            }
        )
        .with_columns(
            date=pl.col("_day").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d"),
            recorded_date=pl.when(~pl.col("_blank") & (pl.col("status") == "HELD")).then(
                pl.col("_rec").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")
            ),
        )
        .unique(subset=["worker_id", "_day"], keep="first", maintain_order=True)
        .sort("worker_id", "_day")
    )

    # Agreements (at the supervisor change, then roughly yearly), observations, appraisals,
    # ASYE mentoring, occasional file audits.
    ev_parts = []
    for kind, every, jitter, prob in (
        ("AGREEMENT", 330, 90, 0.95),
        ("OBSERVATION", 170, 80, 0.9),
        ("APPRAISAL", 350, 40, 0.9),
        ("FILE_AUDIT", 300, 200, 0.4),
    ):
        chosen = np.nonzero(ok & (rng.random(total) < prob))[0]
        base_day = np.maximum(
            w_start[chosen], since[chosen] if kind == "AGREEMENT" else w_start[chosen]
        )
        k = 4
        o = np.repeat(chosen, k)
        dd = (
            np.repeat(base_day, k)
            + np.tile(np.arange(k) * every, len(chosen))
            + rng.integers(0, jitter, len(o))
        )
        keep = dd <= np.repeat(w_end[chosen], k)
        ev_parts.append(pl.DataFrame({"worker_id": ids[o[keep]], "kind": kind, "_day": dd[keep]}))
    mentor = np.nonzero(asye)[0]
    mo = np.repeat(mentor, 26)
    md = (
        np.repeat(start[mentor], 26)
        + np.tile(np.arange(1, 27) * 14, len(mentor))
        + rng.integers(0, 4, len(mo))
    )
    mk = (md <= asof) & (md >= hist)
    ev_parts.append(pl.DataFrame({"worker_id": ids[mo[mk]], "kind": "MENTORING", "_day": md[mk]}))
    worker_events = (
        pl.concat(ev_parts)
        .with_columns(date=pl.col("_day").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d"))
        .unique(subset=["worker_id", "kind", "_day"], keep="first", maintain_order=True)
        .sort("worker_id", "_day", "kind")
    )

    # Team group supervision: most months, some missed.
    months = pl.date_range(
        pl.Series([hist]).cast(pl.Int32).cast(pl.Date).item().replace(day=1),
        pl.Series([asof]).cast(pl.Int32).cast(pl.Date).item(),
        "1mo",
        eager=True,
    )
    tm = len(months)
    tt = np.repeat(np.arange(len(team_names)), tm)
    mday = np.tile(months.cast(pl.Int32).to_numpy(), len(team_names)) + rng.integers(3, 25, len(tt))
    tk = (rng.random(len(tt)) < 0.86) & (mday <= asof) & (mday >= hist)
    team_events = (
        pl.DataFrame(
            {
                "team": np.array(team_names, dtype=object)[tt[tk]],
                "kind": "GROUP_SUPERVISION",
                "_day": mday[tk],
            }
        )
        .with_columns(date=pl.col("_day").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d"))
        .sort("team", "_day")
    )

    # Absences: annual leave, sickness, a few long absences; some running over as_of.
    per = rng.integers(1, 4, total)
    ao = np.repeat(np.arange(total), per)
    a_start = np.repeat(w_start, per) + (
        rng.random(len(ao)) * np.repeat(np.maximum(w_end - w_start, 1), per)
    ).astype(np.int64)
    reason_u = rng.random(len(ao))
    length = np.where(
        reason_u < 0.7,
        rng.integers(5, 15, len(ao)),
        np.where(reason_u < 0.95, rng.integers(1, 6, len(ao)), rng.integers(30, 90, len(ao))),
    )
    reason = np.where(
        reason_u < 0.7, "Annual leave", np.where(reason_u < 0.95, "Sickness", "Long-term sickness")
    )
    absences = (
        pl.DataFrame(
            {"worker_id": ids[ao], "_s": a_start, "_e": a_start + length - 1, "reason": reason}
        )
        .with_columns(
            start_date=pl.col("_s").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d"),
            end_date=pl.col("_e").cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d"),
        )
        .sort("worker_id", "_s")
    )
    return {
        "workers": workers.select([c.name for c in TABLES["workers"].columns]),
        "worker_sessions": sessions.select([c.name for c in TABLES["worker_sessions"].columns]),
        "worker_events": worker_events.select([c.name for c in TABLES["worker_events"].columns]),
        "team_events": team_events.select([c.name for c in TABLES["team_events"].columns]),
        "absences": absences.select([c.name for c in TABLES["absences"].columns]),
    }


def _add_bad_rows(
    rng: np.random.Generator, tables: dict[str, pl.DataFrame], n: int
) -> dict[str, pl.DataFrame]:
    """A handful of realistic bad rows (about 0.1%, at least one of each kind)."""
    ep = tables["episodes"]
    ev = tables["case_events"]
    k = max(1, n // 1000)
    pick = rng.integers(0, ep.height, k)
    bad_date = ep[pick].with_columns(start_date=pl.lit("31/02/2024"))
    bad_cat = ep[rng.integers(0, ep.height, k)].with_columns(
        category=pl.lit("CHILD PROTECTION PLAN??")
    )
    bad_end = ep[rng.integers(0, ep.height, k)].with_columns(
        end_date=pl.lit("2019-01-01"), start_date=pl.lit("2020-06-01")
    )
    ev_pick = ev[rng.integers(0, ev.height, k)]
    orphan = ev_pick.with_columns(person_id=pl.lit("C9999999"))
    dupes = ev[rng.integers(0, ev.height, k)]
    words = ev[rng.integers(0, ev.height, k)].with_columns(date=pl.lit("next week"))
    tables["episodes"] = pl.concat([ep, bad_date, bad_cat, bad_end])
    tables["case_events"] = pl.concat([ev, orphan, dupes, words])
    return tables


def write_csv(tables: dict[str, pl.DataFrame], out_dir: Path) -> list[Path]:
    """<table>.csv for each table, all text, UTF-8."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        p = out_dir / f"{name}.csv"
        frame.write_csv(p)
        paths.append(p)
    return paths


def write_xlsx(tables: dict[str, pl.DataFrame], path: Path) -> Path:
    """One sheet per table, same names; ISO date text becomes real Excel dates."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, frame in tables.items():
        ws = wb.create_sheet(name)
        ws.append(frame.columns)
        dated = [
            c.name for c in TABLES[name].columns if c.kind == "date" and c.name in frame.columns
        ]
        cols = []
        for c in frame.columns:
            raw = frame[c].to_list()
            if c in dated:  # real dates where the text is an ISO date; bad text stays text
                parsed = frame[c].str.to_date("%Y-%m-%d", strict=False).to_list()
                cols.append([p if p is not None else r for p, r in zip(parsed, raw, strict=True)])
            else:
                cols.append(raw)
        for values in zip(*cols, strict=True):
            ws.append(list(values))
    wb.save(path)
    return Path(path)


def main(argv: list[str] | None = None) -> int:
    """`make sample-data`: write a synthetic authority as canonical CSV tables."""
    import argparse

    parser = argparse.ArgumentParser(description="Write a realistic synthetic authority.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the CSVs to")
    parser.add_argument("--children", type=int, default=200, help="how many children")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    parser.add_argument("--as-of", default="2026-10-31", help="the authority's 'today'")
    parser.add_argument("--no-staff", action="store_true", help="leave the staff tables out")
    parser.add_argument("--no-bad-rows", action="store_true", help="no deliberately bad rows")
    parser.add_argument("--xlsx", action="store_true", help="also write data.xlsx")
    args = parser.parse_args(argv)
    if args.children < 1:
        parser.error("--children must be at least 1")
    day = dt.date.fromisoformat(args.as_of)
    tables = generate(
        args.children, args.seed, day, staff=not args.no_staff, bad_rows=not args.no_bad_rows
    )
    paths = write_csv(tables, args.out)
    if args.xlsx:
        paths.append(write_xlsx(tables, args.out / "data.xlsx"))
    for p in paths:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
