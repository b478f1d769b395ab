"""A deterministic sample account book that reads like a real B2B SaaS book (SPEC §2).

Most accounts are quiet; a minority shows one expansion story (seats filling up, usage at
the plan cap, usage growing on a metered plan, new departments, cross-sell intent), a
few carry risk signals (champion left, usage falling) or are gated (low health, new
customers). Dates (customer_since, renewal_date) are relative to ``SAMPLE_AS_OF``.

The demo, the tests, the Excel model and the notebooks share it (the bundled copy is
``workbook/sample_accounts.csv``, written from :func:`sample_accounts`). Pure numpy: no I/O.

>>> book = sample_accounts()
>>> len(book), book["segment"].value_counts().to_dict()["SMB"] > 100, book["account_id"].is_unique
(300, True, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import _args
from ..core.playbook import ACCOUNT_COLUMNS, SEGMENTS

__all__ = ["sample_accounts", "SAMPLE_AS_OF"]

SAMPLE_AS_OF = "2026-12-15"  # the book's "today": tenure and renewals are counted from it

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
COLUMNS = tuple(ACCOUNT_COLUMNS)
_SALT = 6  # mixed into the seed: the stream whose default book has every motion and owner near the top
# expansion stories: (name, share of accounts)
_STORIES = (
    ("quiet", 0.67),
    ("seats", 0.07),  # seats filling up (some 99 % full and nothing else)
    ("cap", 0.045),  # usage at the plan cap, or gated-feature requests
    ("tier_curious", 0.05),  # next-tier features and pricing page, not yet enough
    ("metered", 0.04),  # usage growing on a usage-priced plan (mostly SMB)
    ("departments", 0.03),  # users from new departments, company growing
    ("cross_sell", 0.03),  # intent for products the account does not own
    ("weak", 0.065),  # one weak signal: nurture
)


def sample_accounts(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """``n`` sample accounts across SMB, Mid-market and Enterprise (same ``seed``, same book).

    ARR, seats and health follow the segment; about one account in six is ready for an
    expansion play, every motion is represented, a few accounts are gated or carry a risk
    signal, and most have no recent funding round (a blank ``funding_event_days_ago``).

    >>> sample_accounts(5).columns.tolist() == list(COLUMNS)
    True
    """
    n = int(n)
    if n < 1:
        raise _args.InputError(f"n: expected a whole number ≥ 1, got {n}")
    rng = np.random.default_rng([seed, _SALT])
    seg = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    segment = np.array(SEGMENTS, dtype=object)[seg]
    names_, shares = zip(*_STORIES, strict=True)
    story = np.array(names_, dtype=object)[rng.choice(len(_STORIES), size=n, p=np.array(shares) / sum(shares))]
    # usage-priced (metered) plans are mostly SMB: a metered Enterprise story is a quiet one
    story[(story == "metered") & (seg == 2)] = "quiet"
    # new departments show up where there are departments: mostly not in SMB
    story[(story == "departments") & (seg == 0) & (rng.random(n) < 0.6)] = "quiet"

    # ARR: log-normal around a segment median ($9K SMB, $55K Mid-market, $260K Enterprise)
    median = np.array([9_000.0, 55_000.0, 260_000.0])[seg]
    arr = np.round(median * np.exp(rng.normal(0.0, 0.55, n)), -2)
    seat_price = np.array([450.0, 600.0, 750.0])[seg] * np.exp(rng.normal(0.0, 0.2, n))
    seats_licensed = np.maximum(3, np.round(arr / seat_price)).astype(np.int64)

    def pick(name):
        return story == name

    # quiet baselines
    utilization = np.clip(rng.beta(5.0, 3.5, n) * 0.95, 0.15, 0.86)
    usage_vs_cap = np.clip(rng.beta(3.0, 4.0, n) * 1.05, 0.03, 0.84)
    usage_trend = rng.normal(0.02, 0.06, n)
    next_tier = rng.beta(2.0, 5.0, n) * 0.9
    gated_requests = rng.binomial(2, 0.15, n)
    pricing_visits = np.zeros(n, dtype=np.int64)
    user_growth = rng.normal(0.03, 0.05, n)
    headcount_growth = rng.normal(0.02, 0.03, n)
    funded = rng.random(n) < np.array([0.10, 0.15, 0.12])[seg]
    funding_days = np.where(funded, rng.integers(95, 400, n), np.nan)
    new_dept = rng.binomial(2, np.array([0.1, 0.2, 0.3])[seg])
    intent = np.zeros(n, dtype=np.int64)
    promoted = rng.random(n) < 0.02

    s = pick("seats")
    utilization = np.where(s, rng.uniform(0.9, 1.08, n), utilization)
    solo = s & (rng.random(n) < 0.35)  # 99 % full and nothing else: ready on its own
    utilization = np.where(solo, 0.99, utilization)
    user_growth = np.where(s & ~solo & (rng.random(n) < 0.5), rng.uniform(0.2, 0.4, n), user_growth)
    pricing_visits = np.where(s & ~solo & (rng.random(n) < 0.3), 1, pricing_visits)
    s = pick("cap")
    at_cap = s & (rng.random(n) < 0.6)
    usage_vs_cap = np.where(at_cap, rng.uniform(0.9, 1.25, n), usage_vs_cap)
    gated_requests = np.where(s & ~at_cap, rng.integers(3, 7, n), gated_requests)
    pricing_visits = np.where(s & (rng.random(n) < 0.4), rng.integers(1, 4, n), pricing_visits)
    s = pick("tier_curious")
    next_tier = np.where(s, rng.uniform(0.7, 0.9, n), next_tier)
    pricing_visits = np.where(s & (rng.random(n) < 0.5), rng.integers(1, 3, n), pricing_visits)
    s = pick("metered")
    arr = np.where(s & (seg == 0), np.round(rng.uniform(14_000, 24_000, n), -2), arr)  # top of SMB
    usage_trend = np.where(s, rng.uniform(0.16, 0.45, n), usage_trend)
    usage_vs_cap = np.where(s, rng.uniform(0.8, 0.89, n), usage_vs_cap)
    s = pick("departments")
    new_dept = np.where(s, rng.integers(3, 9, n), new_dept)
    headcount_growth = np.where(s & (rng.random(n) < 0.7), rng.uniform(0.1, 0.25, n), headcount_growth)
    funding_days = np.where(s & (rng.random(n) < 0.5), rng.integers(10, 90, n), funding_days)
    s = pick("cross_sell")
    intent = np.where(s, rng.integers(1, 4, n), intent)
    promoted = np.where(s, rng.random(n) < 0.8, promoted)
    s = pick("weak")
    which = rng.integers(0, 4, n)
    pricing_visits = np.where(s & (which == 0), 1, pricing_visits)
    utilization = np.where(s & (which == 1), rng.uniform(0.8, 0.89, n), utilization)
    usage_vs_cap = np.where(s & (which == 2), rng.uniform(0.8, 0.89, n), usage_vs_cap)
    intent = np.where(s & (which == 3), 1, intent)

    # risks: champions leave, usage falls (on quiet and signalled accounts alike)
    champion_left = rng.random(n) < 0.05
    falling = rng.random(n) < 0.06
    usage_trend = np.where(falling & ~pick("metered"), rng.uniform(-0.45, -0.2, n), usage_trend)
    health = np.clip(np.round(rng.normal(72.0, 11.0, n) - 12 * falling - 8 * champion_left), 8, 100)
    health = health.astype(np.int64)
    tenure = np.maximum(1, np.round(rng.gamma(2.4, 10.0, n))).astype(np.int64)

    seats_active = np.round(seats_licensed * utilization).astype(np.int64)
    seat_util = np.round(seats_active / seats_licensed, 3)
    exact = np.round(utilization, 3)
    seat_util = np.where(pick("seats"), exact, seat_util)  # the CRM's own figure
    seat_util[rng.random(n) < 0.08] = np.nan  # left blank: derived from the seat counts

    since, renewal = _dates(rng, tenure)
    tier_pick = rng.random(n) < 0.6
    plan_tier = np.array([_TIERS[sg][0 if low else 1] for sg, low in zip(segment, tier_pick, strict=True)],
                         dtype=object)
    names = [f"{p} {sf}" for p in _PREFIXES for sf in _SUFFIXES]
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
        "usage_vs_cap": np.round(usage_vs_cap, 3),
        "usage_trend_90d": np.round(usage_trend, 3),
        "next_tier_feature_adoption": np.round(next_tier, 3),
        "gated_feature_requests_90d": gated_requests.astype(np.int64),
        "pricing_page_visits_30d": pricing_visits.astype(np.int64),
        "active_user_growth_60d": np.round(user_growth, 3),
        "headcount_growth_90d": np.round(headcount_growth, 3),
        "funding_event_days_ago": funding_days,
        "new_department_users_30d": new_dept.astype(np.int64),
        "cross_sell_intent_7d": intent.astype(np.int64),
        "champion_promoted_90d": promoted.astype(bool),
        "health_score": health,
        "tenure_months": tenure,
        "customer_since": since,
        "renewal_date": renewal,
        "champion_left_90d": champion_left,
    })


def _dates(rng, tenure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """customer_since exactly ``tenure`` whole months before SAMPLE_AS_OF, and the next
    annual renewal after SAMPLE_AS_OF, both as ISO text (as a CRM export writes them)."""
    as_of = np.datetime64(SAMPLE_AS_OF, "D")
    month = as_of.astype("datetime64[M]") - tenure.astype("timedelta64[M]")
    day_of = int((as_of - as_of.astype("datetime64[M]")).astype(int))  # 14 for the 15th
    since = month.astype("datetime64[D]") + rng.integers(0, day_of + 1, len(tenure)).astype("timedelta64[D]")
    years = (tenure // 12 + 1).astype("timedelta64[Y]").astype("timedelta64[M]")
    renewal = (since.astype("datetime64[M]") + years).astype("datetime64[D]") + (
        since - since.astype("datetime64[M]"))
    renewal = np.where(renewal <= as_of, (renewal.astype("datetime64[M]") + np.timedelta64(12, "M"))
                       .astype("datetime64[D]") + (since - since.astype("datetime64[M]")), renewal)
    return since.astype(str).astype(object), renewal.astype(str).astype(object)
