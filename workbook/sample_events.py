"""The sample product records: events that give the sample book's signals.

``sample_events()`` generates, for the 300 accounts of ``workbook/sample_accounts.csv``
as of 2026-12-01, the raw records a SaaS team exports — daily API usage, plan caps, seat
snapshots, active users with their departments, web visits, support tickets, a feature
catalog and feature use — such that the signals computed from them
(``workbook.signals``) are the book's own values, up to the rounding of whole events
(seat counts). Before the windows at as_of reach, the records go back to January 2025
(or the account's first bill), so the monthly panel has 24 month ends. There each account
keeps its own usual levels (usage and seats of its own, some of the next tier's features,
busy months, a lone look at prices or gated request, a curious user of another department,
none of which leads anywhere), and the signals rise at the month end before most
expansions of the sample ARR history (usage at the cap, full seats, a new department,
pricing visits, gated requests, the next tier's features) and now and then without one:
the backtests have triggers to find and must trade coverage for precision.
Deterministic: the same call gives the same records.

``python -m workbook.sample_events [--force]`` writes them to ``workbook/sample_events/``
(Parquet for the events, CSV for the two small catalogs).

>>> ev = sample_events()
>>> sorted(ev), int(ev["caps"]["cap"].min())
(['caps', 'feature_events', 'features', 'seats', 'tickets', 'usage', 'users', 'web'], 10000)
"""

from __future__ import annotations

import os
import sys
from math import gcd

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_CSV = os.path.join(HERE, "sample_accounts.csv")
EVENTS_DIR = os.path.join(HERE, "sample_events")
AS_OF = pd.Timestamp("2026-12-01")
START = pd.Timestamp("2025-01-01")  # the exports' first day: 24 month ends to as_of
TIERS = ("Starter", "Growth", "Business", "Enterprise", "Ultimate")  # lowest first
CAPS = {"Starter": 10_000, "Growth": 50_000, "Business": 200_000, "Enterprise": 1_000_000}
FEATURES_PER_TIER = 1000  # adoption shares are given to 3 decimals: 1000 features keep them exact
METRIC = "api_calls"
FILES = {"usage": "usage.parquet", "caps": "caps.csv", "seats": "seats.parquet",
         "users": "users.parquet", "web": "web.parquet", "tickets": "tickets.parquet",
         "features": "features.csv", "feature_events": "feature_events.parquet"}
SEED = 20261201


def _days(offsets: np.ndarray) -> np.ndarray:
    """Dates ``offsets`` days before as_of (0 = as_of itself)."""
    return (AS_OF - pd.to_timedelta(offsets, unit="D")).to_numpy(dtype="datetime64[D]")


def _stamps(offsets: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """Times in UTC on the days ``offsets`` before as_of (zone-aware, as web logs keep them)."""
    seconds = rng.integers(0, 86_400, len(offsets))
    days = pd.to_datetime(_days(offsets)).tz_localize("UTC")
    return pd.Series(days + pd.to_timedelta(seconds, unit="s"))


def _spread(totals: np.ndarray, days: int) -> np.ndarray:
    """Whole quantities per day (accounts × days) adding up exactly to each total."""
    totals = np.asarray(totals, dtype=np.int64)
    base, extra = np.divmod(totals, days)
    return base[:, None] + (np.arange(days)[None, :] < extra[:, None])


def _thousandths(values: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(values, dtype=float) * 1000).astype(np.int64)


def sample_events(book: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The sample records (see the module docstring) as DataFrames by source name."""
    book = pd.read_csv(SAMPLE_CSV) if book is None else book
    rng = np.random.default_rng(SEED)
    ids = book["account_id"].astype(str).to_numpy()
    tier = book["plan_tier"].astype(str).to_numpy()
    n = len(book)
    out: dict[str, pd.DataFrame] = {}

    # ---- caps and daily usage: Σ (A−30, A] = usage_vs_cap × cap; (A−90, A] over (A−180, A−90]
    out["caps"] = pd.DataFrame({"plan_tier": list(CAPS), "metric": METRIC, "cap": list(CAPS.values())})
    cap = np.array([CAPS[t] for t in tier], dtype=np.int64)
    s30 = np.rint(book["usage_vs_cap"].to_numpy(float) * cap).astype(np.int64)
    k = _thousandths(book["usage_trend_90d"])  # trend = k / 1000
    m = -(-(s30 + 60 * 50) // (1000 + k))  # X = (1000 + k)·m ≥ S30 + 60 days × 50
    x, y = (1000 + k) * m, 1000 * m
    q = np.concatenate([_spread(s30, 30), _spread(x - s30, 60), _spread(y, 90)], axis=1)
    noise = rng.integers(0, 2, size=q.shape)  # days move a call to the next day, sums kept
    q = q + noise - np.roll(noise, -1, axis=1) * (np.arange(180) % 30 != 29)[None, :]
    q = np.maximum(q, 0)
    q30, q60, q90 = q[:, :30], q[:, 30:90], q[:, 90:]
    q30[:, -1] += s30 - q30.sum(1)
    q60[:, -1] += (x - s30) - q60.sum(1)
    q90[:, -1] += y - q90.sum(1)
    acc = np.repeat(np.arange(n), 180)
    out["usage"] = pd.DataFrame({"account_id": ids[acc], "date": np.tile(_days(np.arange(180)), n),
                                 "metric": METRIC, "quantity": q.reshape(-1).astype(np.int64)})

    # ---- seats: a snapshot 100 days ago and the latest one within the last 30 days
    licensed = book["seats_licensed"].to_numpy(float)
    util = book["seat_utilization"].to_numpy(float)
    active = np.where(np.isnan(util), book["seats_active"].to_numpy(float), np.rint(util * licensed))
    latest = rng.integers(1, 28, n)
    out["seats"] = pd.DataFrame({
        "account_id": np.concatenate([ids, ids]),
        "date": np.concatenate([_days(np.full(n, 100)), _days(latest)]),
        "seats_licensed": np.concatenate([np.maximum(licensed - rng.integers(0, 5, n), 1), licensed]).astype(np.int64),
        "seats_active": np.concatenate([np.rint(active * 0.9), active]).astype(np.int64),
    })

    # ---- users: U1 active in (A−30, A] over U0 in (A−90, A−60] − 1 = growth (exact to 1/1000)
    g = _thousandths(book["active_user_growth_60d"])
    d = np.array([gcd(int(abs(v)), 1000) or 1000 for v in g])
    u0 = 1000 // d
    u0 = u0 * np.maximum(1, -(-50 // u0))  # at least 50 users before
    u1 = (u0 * (1000 + g)) // 1000
    new = book["new_department_users_30d"].to_numpy(np.int64)
    users = []
    for i in range(n):  # per account: a few thousand rows at most, vectorized inside
        before = np.arange(u0[i])
        now = np.arange(u1[i])
        dept_old = np.where(before % 3 == 0, "Product", "Engineering")
        dept_now = np.where(now % 3 == 0, "Product", "Engineering").astype(object)
        dept_now[u1[i] - new[i]:] = "Finance"  # no Finance user in (A−210, A−30]
        users.append(pd.DataFrame({
            "account_id": ids[i],
            "user_id": np.concatenate([[f"{ids[i]}-u{j:04d}" for j in before],
                                       [f"{ids[i]}-u{j + 5000:04d}" for j in now]]),
            "date": np.concatenate([_days(rng.integers(61, 90, u0[i])), _days(rng.integers(0, 30, u1[i]))]),
            "department": np.concatenate([dept_old, dept_now]),
        }))
    out["users"] = pd.concat(users, ignore_index=True)

    # ---- web: pricing visits in (A−30, A], other pages and older pricing visits around them
    visits = book["pricing_page_visits_30d"].to_numpy(np.int64)
    other = rng.integers(2, 12, n)
    old = rng.integers(0, 3, n)
    a = np.concatenate([np.repeat(np.arange(n), visits), np.repeat(np.arange(n), other),
                        np.repeat(np.arange(n), old)])
    page = np.concatenate([np.full(visits.sum(), "/pricing"),
                           rng.choice(["/docs/api", "/blog/release-notes", "/app/settings"], other.sum()),
                           np.full(old.sum(), "/Pricing/compare")])
    when = np.concatenate([rng.integers(0, 30, visits.sum()), rng.integers(0, 120, other.sum()),
                           rng.integers(31, 150, old.sum())])
    out["web"] = pd.DataFrame({"account_id": ids[a], "timestamp": _stamps(when, rng), "page": page})

    # ---- tickets: gated requests in (A−90, A], other tags and older gated ones
    gated = book["gated_feature_requests_90d"].to_numpy(np.int64)
    other = rng.integers(0, 6, n)
    old = rng.integers(0, 2, n)
    a = np.concatenate([np.repeat(np.arange(n), gated), np.repeat(np.arange(n), other),
                        np.repeat(np.arange(n), old)])
    tag = np.concatenate([rng.choice(["gated", "upgrade request"], gated.sum()),
                          rng.choice(["bug", "how-to", "billing"], other.sum()), np.full(old.sum(), "gated")])
    when = np.concatenate([rng.integers(0, 90, gated.sum()), rng.integers(0, 180, other.sum()),
                           rng.integers(91, 180, old.sum())])
    out["tickets"] = pd.DataFrame({"account_id": ids[a], "created_at": _stamps(when, rng), "tag": tag})

    # ---- the catalog and feature use: share of the next tier's features used in (A−90, A]
    out["features"] = pd.DataFrame({
        "feature": [f"{t.lower()}_feature_{j:04d}" for t in TIERS for j in range(FEATURES_PER_TIER)],
        "tier": np.repeat(TIERS, FEATURES_PER_TIER)})
    nxt = {t: TIERS[i + 1] for i, t in enumerate(TIERS[:-1])}
    used = _thousandths(book["next_tier_feature_adoption"]) * FEATURES_PER_TIER // 1000
    a = np.repeat(np.arange(n), used)
    j = np.arange(used.sum()) - np.repeat(np.cumsum(used) - used, used)
    feature = [f"{nxt[tier[i]].lower()}_feature_{k:04d}" for i, k in zip(a, j, strict=True)]
    out["feature_events"] = pd.DataFrame({"account_id": ids[a], "date": _days(rng.integers(0, 90, len(a))),
                                          "feature": feature})
    _history(out, book, u0, np.rint(y / 90.0), rng)
    for name in ("usage", "seats", "users", "web", "tickets", "feature_events"):
        when = next(c for c in ("date", "timestamp", "created_at") if c in out[name])
        out[name] = out[name].sort_values(["account_id", when], kind="stable").reset_index(drop=True)
    return out


def _month_end_offsets(months: np.ndarray) -> np.ndarray:
    """Days before as_of of the last day of each month (year × 12 + month − 1)."""
    ends = pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1}) + pd.offsets.MonthEnd(0)
    return (AS_OF - ends).dt.days.to_numpy(np.int64)


def _history(out: dict[str, pd.DataFrame], book: pd.DataFrame, u0: np.ndarray, daily: np.ndarray,
             rng: np.random.Generator) -> None:
    """The records before the as_of windows, from START (or the account's first bill): a
    steady baseline in which, at the month end before most ARR expansions of the sample
    ARR history, the signals that announce one rise (usage near the cap, seats full, a new
    department, pricing visits, gated requests, the next tier's features), and now and
    then without one. Every row is dated where no window at as_of reaches it.
    """
    from udfs.samples.records import sample_arr_history

    ids = book["account_id"].astype(str).to_numpy()
    tier = book["plan_tier"].astype(str).to_numpy()
    n = len(book)
    first_m = START.year * 12 + START.month - 1
    as_m = AS_OF.year * 12 + AS_OF.month - 1
    months = np.arange(first_m, as_m)  # the month ends before as_of's month
    ends = _month_end_offsets(months)  # days before as_of
    hist = sample_arr_history()
    hist = hist[hist["account_id"].isin(set(ids))]
    stamp = pd.to_datetime(hist["month"])
    hist = hist.assign(m=stamp.dt.year * 12 + stamp.dt.month - 1).sort_values(["account_id", "m"])
    row_of = {a: i for i, a in enumerate(ids)}
    r = hist["account_id"].map(row_of).to_numpy()
    start_m = np.full(n, as_m)
    np.minimum.at(start_m, r, hist["m"].to_numpy())
    start_m = np.maximum(start_m, first_m)  # each account from START or its first bill
    prev = hist.groupby("account_id")["arr"].shift()
    up = (hist["arr"] > prev) & (prev > 0)
    # plant[i, k]: the month end k comes just before an expansion of account i
    plant = np.zeros((n, len(months)), dtype=bool)
    k = hist["m"].to_numpy()[up.to_numpy()] - 1 - first_m
    ok = (k >= 0) & (k < len(months))
    plant[r[up.to_numpy()][ok], k[ok]] = True
    soon = plant.copy()  # an expansion within the next 3 months: no stray rise there
    for lag in (1, 2):
        soon[:, :-lag] |= plant[:, lag:]
    alive = months[None, :] >= start_m[:, None]

    def planted(p_true: float, p_stray: float, last_offset: int) -> np.ndarray:
        """Where a signal rises: before p_true of the expansions, at p_stray of the other months."""
        hit = np.where(plant, rng.random(plant.shape) < p_true, (rng.random(plant.shape) < p_stray) & ~soon)
        return hit & alive & (ends[None, :] >= last_offset)

    def in_month(ai: np.ndarray, ki: np.ndarray, lo: int = 1, hi: int = 28) -> np.ndarray:
        """A day of month ki (days lo–hi), as days before as_of."""
        day = rng.integers(lo, hi + 1, ai.size)
        return ends[ki] + (pd.to_datetime({"year": months[ki] // 12, "month": months[ki] % 12 + 1,
                                            "day": 1}) + pd.offsets.MonthEnd(0)).dt.day.to_numpy() - day

    def bursts(where: np.ndarray, fewest: int, most: int) -> tuple[np.ndarray, pd.Series]:
        """fewest–most rows in the 25 days after each month end marked in ``where``:
        (account rows, timestamps)."""
        ai, ki = np.nonzero(where)
        per = rng.integers(fewest, most + 1, ai.size)
        ai, ki = np.repeat(ai, per), np.repeat(ki, per)
        return ai, _stamps(ends[ki] + rng.integers(0, 25, ai.size), rng)

    frames: dict[str, list[pd.DataFrame]] = {name: [out[name]] for name in
                                              ("usage", "seats", "users", "web", "tickets", "feature_events")}

    # ---- usage: every day up to A−180 at the account's usual share of the cap (60–100 % of
    # its share at as_of, within 20–88 %), moving ±13 % from month to month
    # (so a busy account nears the cap now and then with no expansion after); in the 30
    # days to a rising month end, 92–110 % of the cap
    cap = np.array([CAPS.get(t, 0) for t in tier], dtype=float)
    usual = np.clip(book["usage_vs_cap"].to_numpy(float) * rng.uniform(0.6, 1.0, n), 0.2, 0.88)
    level = usual * cap / 30
    day0 = (AS_OF - START).days
    offs = np.arange(180, day0 + 1)
    day_m = pd.DatetimeIndex(_days(offs)).year * 12 + pd.DatetimeIndex(_days(offs)).month - 1
    drift = rng.uniform(0.87, 1.13, (n, day_m.max() - first_m + 1))[:, day_m.to_numpy() - first_m]
    q = np.rint(level[:, None] * drift * rng.uniform(0.85, 1.15, (n, offs.size)))
    rise = planted(0.75, 0.012, 180)
    for i, kk in zip(*np.nonzero(rise), strict=True):
        days = (offs >= ends[kk]) & (offs <= ends[kk] + 29)  # (d−30, d]
        q[i, days] = np.rint(cap[i] * rng.uniform(0.92, 1.10) / 30)
    keep = (day_m.to_numpy()[None, :] >= start_m[:, None]) & (cap[:, None] > 0)
    ai, di = np.nonzero(keep)
    frames["usage"].append(pd.DataFrame({"account_id": ids[ai], "date": _days(offs[di]), "metric": METRIC,
                                         "quantity": q[ai, di].astype(np.int64)}))

    # ---- seats: a snapshot each month to A−101 (the account's usual 55–86 % used, ±6
    # points; 92–100 % before a rise)
    licensed = np.maximum(book["seats_licensed"].to_numpy(float), 5)
    full = planted(0.7, 0.012, 101)
    ai, ki = np.nonzero(alive & (ends[None, :] + 14 >= 101))
    when = ends[ki] + 14  # the month's middle (its end is 28–31 days after its first)
    usual = rng.uniform(0.55, 0.86, n)[ai] + rng.uniform(-0.06, 0.06, ai.size)
    util = np.where(full[ai, ki], rng.uniform(0.92, 1.0, ai.size), np.clip(usual, 0, 1))
    frames["seats"].append(pd.DataFrame({"account_id": ids[ai], "date": _days(when),
                                         "seats_licensed": licensed[ai].astype(np.int64),
                                         "seats_active": np.rint(util * licensed[ai]).astype(np.int64)}))

    # ---- users: the first 40 of the account's earlier users, each active one day of most
    # months to A−91; before a rise, 3–6 users of a department new to the account
    pool = np.minimum(u0, 40)
    ai, ki = np.nonzero(alive & (ends[None, :] >= 91 + 3))
    ua = np.repeat(ai, pool[ai])
    uk = np.repeat(ki, pool[ai])
    uj = np.arange(ua.size) - np.repeat(np.cumsum(pool[ai]) - pool[ai], pool[ai])
    on = rng.random(ua.size) < 0.9
    ua, uk, uj = ua[on], uk[on], uj[on]
    dated = in_month(ua, uk, 2, 28)
    inside = dated >= 91
    ua, uk, uj, dated = ua[inside], uk[inside], uj[inside], dated[inside]
    parts = [pd.DataFrame({"account_id": ids[ua], "user_id": [f"{ids[a]}-u{j:04d}" for a, j in zip(ua, uj, strict=True)],
                           "date": _days(dated), "department": np.where(uj % 3 == 0, "Product", "Engineering")})]
    spread = planted(0.8, 0.012, 92)
    new_depts = ("Sales", "Marketing", "Legal", "Operations", "Support", "Design", "Data", "Security")
    count = np.zeros(n, dtype=np.int64)
    for i, kk in zip(*np.nonzero(spread), strict=True):
        dept = new_depts[count[i] % len(new_depts)]
        if count[i] >= len(new_depts):
            continue
        m = int(rng.integers(3, 7))
        parts.append(pd.DataFrame({"account_id": ids[i],
                                   "user_id": [f"{ids[i]}-n{count[i]}{j}" for j in range(m)],
                                   "date": _days(ends[kk] + rng.integers(0, 25, m)), "department": dept}))
        count[i] += 1
    # now and then one or two curious users of another department, with no expansion after
    ai, ki = np.nonzero(alive & ~spread & (rng.random(alive.shape) < 0.08) & (ends[None, :] >= 92))
    per = rng.integers(1, 3, ai.size)
    ua, uk = np.repeat(ai, per), np.repeat(ki, per)
    curious = np.array(["HR", "Procurement", "Facilities"], dtype=object)[rng.integers(0, 3, ua.size)]
    parts.append(pd.DataFrame({"account_id": ids[ua],
                               "user_id": ids[ua] + "-c" + pd.Series(np.arange(ua.size)).astype(str).to_numpy(object),
                               "date": _days(ends[uk] + rng.integers(0, 25, ua.size)), "department": curious}))
    frames["users"].extend(parts)

    # ---- web: other pages now and then; 1–4 pricing visits before a rise (to A−31)
    ai, ki = np.nonzero(alive & (rng.random(alive.shape) < 0.5))
    frames["web"].append(pd.DataFrame({"account_id": ids[ai], "timestamp": _stamps(in_month(ai, ki) .clip(31), rng),
                                       "page": rng.choice(["/docs/api", "/blog/release-notes", "/app/settings"],
                                                          ai.size)}))
    ai, at = bursts(planted(0.75, 0.015, 31), 1, 4)
    frames["web"].append(pd.DataFrame({"account_id": ids[ai], "timestamp": at, "page": "/pricing"}))
    ai, at = bursts(alive & (rng.random(alive.shape) < 0.05) & (ends[None, :] >= 31), 1, 1)  # a look at prices
    frames["web"].append(pd.DataFrame({"account_id": ids[ai], "timestamp": at, "page": "/pricing"}))

    # ---- tickets: other tags now and then; 3–5 gated requests before a rise (to A−91)
    ai, ki = np.nonzero(alive & (rng.random(alive.shape) < 0.3) & (ends[None, :] >= 91))
    frames["tickets"].append(pd.DataFrame({"account_id": ids[ai], "created_at": _stamps(in_month(ai, ki).clip(91), rng),
                                           "tag": rng.choice(["bug", "how-to", "billing"], ai.size)}))
    ai, at = bursts(planted(0.7, 0.01, 91), 3, 5)
    frames["tickets"].append(pd.DataFrame({"account_id": ids[ai], "created_at": at,
                                           "tag": rng.choice(["gated", "upgrade request"], ai.size)}))
    ai, at = bursts(alive & (rng.random(alive.shape) < 0.12) & (ends[None, :] >= 91), 1, 1)  # a lone request
    frames["tickets"].append(pd.DataFrame({"account_id": ids[ai], "created_at": at, "tag": "gated"}))

    # ---- feature use of the next tier: the account's usual 0–65 % (±10 points) over 90
    # days; 72–90 % of it in the month before a rise (to A−91)
    nxt = {t: TIERS[i + 1] for i, t in enumerate(TIERS[:-1])}
    has_next = np.array([t in nxt for t in tier])
    adopt = planted(0.7, 0.01, 91) & has_next[:, None]
    ai, ki = np.nonzero(alive & has_next[:, None] & (ends[None, :] >= 91))
    usual = rng.uniform(0.0, 0.65, n)[ai] + rng.uniform(-0.1, 0.1, ai.size)
    share = np.where(adopt[ai, ki], rng.uniform(0.72, 0.9, ai.size), np.clip(usual, 0, 1))
    used = np.rint(share * FEATURES_PER_TIER).astype(np.int64)
    fa, fk = np.repeat(ai, used), np.repeat(ki, used)
    j = np.arange(used.sum()) - np.repeat(np.cumsum(used) - used, used)
    # the usual features come a third a month (any 90 days see them all); a rise's all at once
    keep = np.repeat(adopt[ai, ki], used) | (j % 3 == fk % 3)
    fa, fk, j = fa[keep], fk[keep], j[keep]
    j = (j + rng.integers(0, FEATURES_PER_TIER, n)[fa]) % FEATURES_PER_TIER  # the same ones each time
    names = np.array([f"{nxt[t].lower()}_feature_" for t in tier], dtype=object)[fa]
    feature = names + pd.Series(j).map("{:04d}".format).to_numpy(dtype=object)
    frames["feature_events"].append(pd.DataFrame({"account_id": ids[fa],
                                                  "date": _days(ends[fk] + rng.integers(0, 25, fa.size)),
                                                  "feature": feature}))
    for name, parts in frames.items():
        out[name] = pd.concat(parts, ignore_index=True)


def sample_sources(folder: str = EVENTS_DIR) -> dict[str, str]:
    """The sample records' files by source name (for ``compute_signals``)."""
    return {name: os.path.join(folder, f) for name, f in FILES.items()}


def write_events(folder: str = EVENTS_DIR, *, force: bool = False) -> list[str]:
    """Write :func:`sample_events` to ``folder`` (atomically; existing files need ``force``)."""
    from ._files import atomic_write, refuse_overwrite

    paths = sample_sources(folder)
    refuse_overwrite(paths.values(), force=force)
    os.makedirs(folder, exist_ok=True)
    for name, frame in sample_events().items():
        path = paths[name]
        if path.endswith(".csv"):
            atomic_write(path, frame.to_csv(index=False, lineterminator="\n"), force=True)
        else:
            atomic_write(path, lambda tmp, f=frame: f.to_parquet(tmp, index=False, compression="zstd"),
                         force=True)
    return list(paths.values())


if __name__ == "__main__":
    try:
        for p in write_events(force="--force" in sys.argv[1:]):
            print(f"wrote {os.path.relpath(p)} ({os.path.getsize(p):,} bytes)")
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
