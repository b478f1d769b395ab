"""A deterministic sample account book: every SPEC §2 column, realistic spreads.

The demo, the tests, the Excel model and the notebooks share it (the bundled copy is
``workbook/sample_accounts.csv``, written from :func:`sample_accounts`). Pure numpy: no I/O.

>>> book = sample_accounts()
>>> len(book), book["segment"].value_counts().to_dict()["SMB"] > 100, book["account_id"].is_unique
(300, True, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _args
from .playbook import SEGMENTS

__all__ = ["sample_accounts"]

_PREFIXES = (
    "Acme", "Northwind", "Globex", "Initech", "Contoso", "Fabrikam", "Tailspin", "Litware",
    "Proseware", "Woodgrove", "Lamna", "Coho", "Wingtip", "Adatum", "Relecloud", "Bellows",
    "Alder", "Bluefin", "Cobalt", "Juniper", "Harbor", "Summit", "Meridian", "Lumen",
    "Quarry", "Redwood", "Sable", "Tidewater", "Vantage", "Willow",
)
_SUFFIXES = (
    "Analytics", "Logistics", "Health", "Labs", "Systems", "Foods", "Capital", "Media",
    "Robotics", "Energy",
)
_TIERS = {
    "SMB": ("Starter", "Growth"),
    "Mid-market": ("Growth", "Business"),
    "Enterprise": ("Business", "Enterprise"),
}
COLUMNS = (
    "account_id", "account_name", "segment", "plan_tier", "arr", "seats_licensed",
    "seats_active", "seat_utilization", "usage_vs_cap", "usage_trend_90d",
    "next_tier_feature_adoption", "gated_feature_requests_90d", "pricing_page_visits_30d",
    "active_user_growth_60d", "headcount_growth_90d", "funding_event_days_ago",
    "new_department_users_30d", "cross_sell_intent_7d", "champion_promoted_90d",
    "health_score", "tenure_months",
)


def sample_accounts(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """``n`` sample accounts across SMB, Mid-market and Enterprise (same ``seed``, same book).

    ARR, seats and health follow the segment; signals are drawn so that every motion has
    ready accounts, a few accounts are gated (low health, or under 4 months), and most
    accounts have no recent funding round (a blank ``funding_event_days_ago``).

    >>> sample_accounts(5).columns.tolist() == list(COLUMNS)
    True
    """
    n = int(n)
    if n < 1:
        raise _args.InputError(f"n: expected a whole number ≥ 1, got {n}")
    rng = np.random.default_rng(seed)
    seg = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    segment = np.array(SEGMENTS, dtype=object)[seg]

    # ARR: log-normal around a segment median ($9K SMB, $55K Mid-market, $260K Enterprise)
    median = np.array([9_000.0, 55_000.0, 260_000.0])[seg]
    arr = np.round(median * np.exp(rng.normal(0.0, 0.55, n)), -2)
    seat_price = np.array([450.0, 600.0, 750.0])[seg] * np.exp(rng.normal(0.0, 0.2, n))
    seats_licensed = np.maximum(3, np.round(arr / seat_price)).astype(np.int64)
    utilization = np.clip(rng.beta(4.0, 3.2, n) * 1.2, 0.12, 1.3)
    seats_active = np.round(seats_licensed * utilization).astype(np.int64)
    seat_util = np.round(seats_active / seats_licensed, 3)
    seat_util[rng.random(n) < 0.08] = np.nan  # left blank: derived from the seat counts

    usage_vs_cap = np.round(np.clip(rng.beta(3.0, 3.6, n) * 1.25, 0.03, 1.35), 3)
    usage_trend = np.round(rng.normal(0.04, 0.1, n), 3)
    next_tier = np.round(rng.beta(2.0, 4.0, n), 3)
    gated_requests = rng.poisson(0.6, n)
    pricing_visits = rng.poisson(0.2, n)
    user_growth = np.round(rng.normal(0.04, 0.1, n), 3)
    headcount_growth = np.round(rng.normal(0.03, 0.06, n), 3)
    funded = rng.random(n) < np.array([0.12, 0.18, 0.15])[seg]
    funding_days = np.where(funded, rng.integers(5, 400, n), np.nan)
    new_dept = rng.poisson(np.array([0.3, 0.9, 1.6])[seg])
    intent = rng.poisson(0.12, n)
    champion = rng.random(n) < 0.06
    health = np.clip(np.round(rng.normal(70.0, 14.0, n)), 8, 100).astype(np.int64)
    tenure = np.maximum(1, np.round(rng.gamma(2.2, 10.0, n))).astype(np.int64)

    tier_pick = rng.random(n) < 0.6
    plan_tier = np.array([_TIERS[s][0 if low else 1] for s, low in zip(segment, tier_pick, strict=True)],
                         dtype=object)
    names = [f"{p} {s}" for p in _PREFIXES for s in _SUFFIXES]
    order = rng.permutation(len(names))
    account_name = np.array(
        [names[order[i % len(names)]] + ("" if i < len(names) else f" {i // len(names) + 1}")
         for i in range(n)],
        dtype=object,
    )

    return pd.DataFrame({
        "account_id": np.array([f"ACC-{i:04d}" for i in range(1, n + 1)], dtype=object),
        "account_name": account_name,
        "segment": segment,
        "plan_tier": plan_tier,
        "arr": arr,
        "seats_licensed": seats_licensed,
        "seats_active": seats_active,
        "seat_utilization": seat_util,
        "usage_vs_cap": usage_vs_cap,
        "usage_trend_90d": usage_trend,
        "next_tier_feature_adoption": next_tier,
        "gated_feature_requests_90d": gated_requests.astype(np.int64),
        "pricing_page_visits_30d": pricing_visits.astype(np.int64),
        "active_user_growth_60d": user_growth,
        "headcount_growth_90d": headcount_growth,
        "funding_event_days_ago": funding_days,
        "new_department_users_30d": new_dept.astype(np.int64),
        "cross_sell_intent_7d": intent.astype(np.int64),
        "champion_promoted_90d": champion,
        "health_score": health,
        "tenure_months": tenure,
    })
