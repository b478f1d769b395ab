"""The records upcell reads besides accounts, in words: header spellings and meanings (SPEC §5, §6).

Opportunities, ARR history and targets are exported by CRMs and billing systems under
many names; this module is the one definition of the header aliases (by normalized key,
as ``_args.normalize_key`` gives it) and of the opportunity types and statuses that mean
a motion or an outcome. The reading layer and the functions both use it.

>>> opportunity_motion("Upsell"), opportunity_motion("cross sell"), opportunity_motion("Renewal")
(1, 4, -1)
"""

from __future__ import annotations

from typing import Any

from . import _args
from .playbook import MOTIONS

# Headers that name the account in any record, by normalized key.
ACCOUNT_ID_ALIASES = frozenset(
    {"id", "account", "accountid", "account_number", "customer_id", "customer"})

HISTORY_MAX_MONTHS = 600  # 50 years: a wider span is a date typo
HISTORY_ALIASES: dict[str, str] = {
    **{k: "account_id" for k in ACCOUNT_ID_ALIASES},
    "period": "month", "date": "month", "month_start": "month", "billing_month": "month",
    "billing_period": "month", "as_of": "month", "snapshot_month": "month",
    "annual_recurring_revenue": "arr", "arr_usd": "arr", "ending_arr": "arr",
    "monthly_recurring_revenue": "mrr", "mrr_usd": "mrr",
    "start": "start_date", "started_at": "start_date", "subscription_start": "start_date",
    "contract_start": "start_date", "end": "end_date", "ended_at": "end_date",
    "canceled_at": "end_date", "cancelled_at": "end_date", "subscription_end": "end_date",
    "contract_end": "end_date",
}

# Columns that make several ARR history rows of one account and month line items of an
# invoice or subscription export (summed), by normalized key; without one, such rows conflict.
LINE_ITEM_COLUMNS = ("subscription_id", "product", "plan")
LINE_ITEM_ALIASES: dict[str, str] = {
    "subscription": "subscription_id", "subscriptionid": "subscription_id", "sub_id": "subscription_id",
    "line_item_id": "subscription_id", "product_name": "product", "sku": "product",
    "plan_name": "plan", "price_plan": "plan",
}
HISTORY_ALIASES.update(LINE_ITEM_ALIASES)


def line_item_column(columns: Any) -> str | None:
    """The first of ``columns`` (headers as written) that makes rows line items, or None.

    >>> line_item_column(["Customer", "Month", "Product Name", "ARR"])
    'Product Name'
    """
    for col in columns:
        key = _args.normalize_key(col)
        if key in LINE_ITEM_COLUMNS or LINE_ITEM_ALIASES.get(key) or LINE_ITEM_ALIASES.get(key.replace("_", "")):
            return col
    return None


OPPORTUNITY_ALIASES: dict[str, str] = {
    "id": "opportunity_id", "opportunity": "opportunity_id", "opp_id": "opportunity_id",
    "opportunityid": "opportunity_id", "deal_id": "opportunity_id",
    **{k: "account_id" for k in ACCOUNT_ID_ALIASES - {"id"}},
    "expansion_motion": "motion", "opportunity_type": "type", "opp_type": "type",
    "deal_type": "type", "amount_usd": "amount", "arr": "amount", "value": "amount",
    "deal_amount": "amount", "expansion_arr": "amount", "acv": "amount",
    "probability_pct": "probability", "win_probability": "probability", "prob": "probability",
    "close": "close_date", "closedate": "close_date", "expected_close_date": "close_date",
    "expected_close": "close_date", "opportunity_owner": "owner", "owner_name": "owner",
    "rep": "owner", "assigned_to": "owner", "state": "status", "outcome": "status",
    "deal_stage": "stage", "opportunity_stage": "stage",
    "created": "created_date", "created_at": "created_date", "create_date": "created_date",
    "open_date": "created_date", "opened_at": "created_date", "createddate": "created_date",
}
# An opportunity's status (or a stage that says it), by normalized key.
OPPORTUNITY_STATUSES: dict[str, str] = {
    "open": "open", "pipeline": "open", "in_progress": "open", "active": "open",
    "won": "won", "closed_won": "won", "win": "won", "closedwon": "won", "booked": "won",
    "lost": "lost", "closed_lost": "lost", "loss": "lost", "closedlost": "lost",
}
# Opportunity types of CRM exports that are an expansion motion; any other type (new
# business, renewal...) is left out of expansion coverage and reported.
OPPORTUNITY_TYPES: dict[str, str] = {
    "seats": "Seat expansion", "add_seats": "Seat expansion", "add_on_seats": "Seat expansion",
    "additional_seats": "Seat expansion", "license_expansion": "Seat expansion",
    "seat_upsell": "Seat expansion",
    "upgrade": "Tier upgrade", "upsell": "Tier upgrade", "plan_upgrade": "Tier upgrade",
    "edition_upgrade": "Tier upgrade",
    "usage": "Usage expansion", "overage": "Usage expansion", "consumption": "Usage expansion",
    "usage_upsell": "Usage expansion",
    "new_department": "Cross-department", "department_expansion": "Cross-department",
    "new_team": "Cross-department", "land_and_expand": "Cross-department",
    "add_on": "Cross-sell", "add_on_product": "Cross-sell", "new_product": "Cross-sell",
}
TARGET_ALIASES: dict[str, str] = {
    "period": "quarter", "fiscal_quarter": "quarter", "expansion_target": "target",
    "quota": "target", "target_arr": "target", "amount": "target", "expansion_motion": "motion",
}


def opportunity_motion(kind: Any) -> int:
    """Index in MOTIONS of an opportunity's motion or type; -1 when it maps to none."""
    key = _args.normalize_key(kind)
    for i, motion in enumerate(MOTIONS):
        if key == _args.normalize_key(motion):
            return i
    motion = OPPORTUNITY_TYPES.get(key)
    return MOTIONS.index(motion) if motion else -1
