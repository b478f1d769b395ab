"""A sample history panel with planted triggers, sharing the sample book (SPEC §7).

:func:`sample_history` plants the right answers (``PLANTED_TRIGGERS``): an account whose
``usage_vs_cap`` crosses 0.87 upgrades its tier within the next 3 periods with high
probability, others rarely; likewise one signal per motion. It shares the sample book
(same account ids, names, segments, plan tiers and ARR as ``udfs.sample_accounts``), so
backtests, the queue replay and the apps have a history whose answers are known.

>>> h = sample_history(n_accounts=20, n_periods=12)
>>> h["account_id"].iloc[0], int(h["period"].max()), sorted(set(h["expansion"]))
('ACC-0001', 12, [0, 1])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..backtest.panel import rule_window
from ..core import _args, playbook
from .accounts import sample_accounts

__all__ = ["PLANTED_TRIGGERS", "PLANTED_FOLLOW", "HISTORY_SIGNALS", "sample_history"]

# signal -> (planted threshold, motion whose expansions follow a crossing)
PLANTED_TRIGGERS: dict[str, tuple[float, str]] = {
    "usage_vs_cap": (0.87, "Tier upgrade"),
    "seat_utilization": (0.93, "Seat expansion"),
    "usage_trend_90d": (0.25, "Usage expansion"),
    "new_department_users_30d": (4.0, "Cross-department"),
    "cross_sell_intent_7d": (2.0, "Cross-sell"),
}
PLANTED_WINDOW = 3  # a crossing is followed by its expansion within this many periods
PLANTED_FOLLOW = 0.85  # share of crossings followed by their motion's expansion
# (and within its motion's backtest window, backtest_panel.rule_window, when shorter)

HISTORY_SIGNALS: tuple[str, ...] = (
    "seat_utilization", "usage_vs_cap", "usage_trend_90d", "next_tier_feature_adoption",
    "gated_feature_requests_90d", "pricing_page_visits_30d", "active_user_growth_60d",
    "headcount_growth_90d", "funding_event_days_ago", "new_department_users_30d",
    "cross_sell_intent_7d", "champion_promoted_90d", "health_score", "tenure_months",
)
_DESCRIPTIVE = ("account_name", "segment", "plan_tier", "arr")


def _book(n: int, seed: int) -> pd.DataFrame:
    return sample_accounts(n=n, seed=seed).iloc[:n].reset_index(drop=True)


def _planted(rng, shape, threshold, low, high, step, window, p_cross, p_follow):
    """Baseline below the threshold, one crossing episode per crossing account.

    Returns (values, crossing period or −1, expansion period or −1). Before the crossing
    the signal stays below ``threshold - step``; the episode holds values in
    [threshold, threshold + 4·step] from the crossing until the expansion (or 2–4 periods),
    then the signal falls back to a lower baseline.
    """
    a, p = shape
    level = rng.uniform(low, threshold - 2 * step, size=(a, 1))
    noise = rng.normal(0.0, 2 * step, size=(a, p))
    for t in range(1, p):
        noise[:, t] = 0.6 * noise[:, t - 1] + 0.8 * noise[:, t]
    values = np.clip(level + noise, low, threshold - step)
    cross = np.where(rng.random(a) < p_cross, rng.integers(2, max(3, p - window), size=a), -1)
    follow = rng.random(a) < p_follow
    delay = rng.integers(1, window + 1, size=a)
    expand = np.where((cross >= 0) & follow & (cross + delay < p), cross + delay, -1)
    length = np.where(expand >= 0, expand - cross, rng.integers(2, 5, size=a))
    t = np.arange(p)[None, :]
    in_episode = (cross[:, None] >= 0) & (t >= cross[:, None]) & (t < (cross + length)[:, None])
    bump = threshold + rng.uniform(0, 4 * step, size=(a, p))
    values = np.where(in_episode, np.minimum(bump, high), values)
    after = (cross[:, None] >= 0) & (t >= (cross + length)[:, None])
    values = np.where(after, np.clip(values - 6 * step, low, threshold - step), values)
    return values, cross, expand


def sample_history(n_accounts: int = 300, n_periods: int = 24, seed: int = 7) -> pd.DataFrame:
    """A deterministic history panel with planted triggers (same seed, same panel).

    Accounts are ``udfs.sample_accounts(n_accounts, seed)`` (ids, names, segments, plan
    tiers, ARR). Periods 1 … ``n_periods`` (months; the last is "now"); an account appears
    from the month it became a customer (its tenure), so young accounts start later.
    For each planted signal of ``PLANTED_TRIGGERS``, about 40 % of accounts cross its
    threshold once; 85 % of crossings are followed within 1–3 periods by an expansion of
    the planted motion; other periods expand at random only rarely (0.2 % per motion).
    Columns: account_id, account_name, segment, plan_tier, arr, period, the
    ``HISTORY_SIGNALS``, expansion (0/1), expansion_motion ('' when none),
    expansion_amount (NaN when none), sorted by account and period.
    """
    a = _args.integer("n_accounts", n_accounts, minimum=1)
    p = _args.integer("n_periods", n_periods, minimum=2)
    seed = _args.integer("seed", seed, minimum=0)
    book = _book(a, seed)
    rng = np.random.default_rng([seed, 20261125])
    shape = (a, p)
    w = PLANTED_WINDOW

    planted = {}
    specs = {  # signal: (low, high, step)
        "usage_vs_cap": (0.2, 1.3, 0.01),
        "seat_utilization": (0.3, 1.3, 0.01),
        "usage_trend_90d": (-0.3, 1.0, 0.02),
    }
    for signal, (low, high, step) in specs.items():
        threshold, motion = PLANTED_TRIGGERS[signal]
        reach = min(w, rule_window(motion))  # within the motion's backtest window too
        planted[signal] = _planted(rng, shape, threshold, low, high, step, reach, 0.4, PLANTED_FOLLOW)
    for signal in ("new_department_users_30d", "cross_sell_intent_7d"):
        threshold, motion = PLANTED_TRIGGERS[signal]
        base = np.minimum(rng.poisson(0.4 * threshold, size=shape), threshold - 1)
        reach = min(w, rule_window(motion))
        _, cross, expand = _planted(rng, shape, 0.5, 0.0, 1.0, 0.01, reach, 0.4, PLANTED_FOLLOW)
        t = np.arange(p)[None, :]
        stop = np.where(expand >= 0, expand, cross + 2)
        episode = (cross[:, None] >= 0) & (t >= cross[:, None]) & (t < stop[:, None])
        values = np.where(episode, threshold + rng.integers(0, 3, size=shape), base)
        planted[signal] = (values.astype(float), cross, expand)

    # expansions: planted ones first (motion order breaks collisions), then rare random ones
    motion = np.full(shape, "", dtype=object)
    for signal, (_, m) in PLANTED_TRIGGERS.items():
        expand = planted[signal][2]
        rows = np.flatnonzero(expand >= 0)
        free = motion[rows, expand[rows]] == ""
        motion[rows[free], expand[rows[free]]] = m
    for m in playbook.MOTIONS:
        rare = (rng.random(shape) < 0.002) & (motion == "")
        motion[rare] = m

    expansion = (motion != "").astype(np.int64)
    share = playbook.default_plays()["arr_increase_share"].to_dict()
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(20000.0).to_numpy(dtype=float)
    shares = np.vectorize(lambda m: share.get(m, 0.0), otypes=[float])(motion)
    amount = np.where(
        expansion == 1,
        np.round(arr[:, None] * shares * rng.lognormal(0.0, 0.3, size=shape), -1),
        np.nan,
    )

    # the other signals: noise, with a little lift before the expansions they announce
    soon = np.zeros(shape, dtype=object)
    soon[:] = ""
    for lag in (1, 2):
        soon[:, :-lag] = np.where(soon[:, :-lag] == "", motion[:, lag:], soon[:, :-lag])
    tier_soon = soon == "Tier upgrade"
    seat_soon = soon == "Seat expansion"
    signals = {k: v[0] for k, v in planted.items()}
    signals["next_tier_feature_adoption"] = np.clip(
        rng.beta(2, 5, size=shape) + 0.15 * tier_soon, 0, 1).round(3)
    signals["gated_feature_requests_90d"] = rng.poisson(0.5 + 1.5 * tier_soon).astype(float)
    signals["pricing_page_visits_30d"] = rng.poisson(0.15 + 1.2 * tier_soon).astype(float)
    signals["active_user_growth_60d"] = (rng.normal(0.05, 0.08, size=shape) + 0.12 * seat_soon).round(3)
    signals["headcount_growth_90d"] = (rng.normal(0.03, 0.05, size=shape) + 0.05 * seat_soon).round(3)
    funding = np.full(shape, np.nan)
    funded = rng.random(a) < 0.2
    when = rng.integers(0, p, size=a)
    t = np.arange(p)[None, :]
    since = (t - when[:, None]) * 30.0
    funding = np.where(funded[:, None] & (since >= 0), since, funding)
    signals["funding_event_days_ago"] = funding
    signals["champion_promoted_90d"] = (rng.random(shape) < 0.03 + 0.1 * (soon == "Cross-sell")).astype(float)
    health0 = pd.to_numeric(book.get("health_score", 70), errors="coerce")
    health0 = np.broadcast_to(np.asarray(health0, dtype=float), (a,)).copy()
    health0 = np.where(np.isnan(health0), 70.0, health0)
    walk = np.cumsum(rng.normal(0, 2.0, size=shape), axis=1)
    signals["health_score"] = np.clip(health0[:, None] + walk - walk[:, -1:], 0, 100).round(0)
    tenure_now = pd.to_numeric(book.get("tenure_months", 24), errors="coerce")
    tenure_now = np.broadcast_to(np.asarray(tenure_now, dtype=float), (a,)).copy()
    tenure_now = np.where(np.isnan(tenure_now), 24.0, tenure_now)
    tenure = tenure_now[:, None] - (p - 1 - t)
    signals["tenure_months"] = tenure
    for name in ("usage_vs_cap", "seat_utilization", "usage_trend_90d"):
        signals[name] = signals[name].round(3)

    present = tenure >= 0  # a customer from its first month on
    acc_idx, per_idx = np.nonzero(present)
    frame = {
        "account_id": book["account_id"].to_numpy(dtype=object)[acc_idx],
        "account_name": book.get("account_name", book["account_id"]).to_numpy(dtype=object)[acc_idx],
        "segment": book.get("segment", pd.Series([""] * a)).to_numpy(dtype=object)[acc_idx],
        "plan_tier": book.get("plan_tier", pd.Series([""] * a)).to_numpy(dtype=object)[acc_idx],
        "arr": arr[acc_idx],
        "period": (per_idx + 1).astype(np.int64),
    }
    for name in HISTORY_SIGNALS:
        frame[name] = np.asarray(signals[name], dtype=float)[acc_idx, per_idx]
    frame["expansion"] = expansion[acc_idx, per_idx]
    frame["expansion_motion"] = motion[acc_idx, per_idx]
    frame["expansion_amount"] = amount[acc_idx, per_idx]
    return pd.DataFrame(frame)
