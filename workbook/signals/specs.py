"""What each kind of product record holds: its columns and the header spellings that mean
them (no engine needed: the command line reads this to list its options).

>>> SOURCES["usage"].column_for("Event Time"), SOURCES["usage"].column_for("Customer ID")
('date', 'account_id')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from udfs.core import _args, playbook

_DATE_ALIASES = ("day", "timestamp", "time", "datetime", "ts", "event_date", "event_time",
                 "event_timestamp", "created_at", "created", "occurred_at", "snapshot_date",
                 "activity_date", "active_date", "visit_date", "usage_date", "as_of", "when")


# the report's problems with a row of a source
PROBLEMS = (  # in the order a row is checked: each row is counted under its first problem
    ("no_account", "no account id"),
    ("bad_date", "a date that cannot be read (or none)"),
    ("bad_number", "not a number"),
    ("negative", "a negative number"),
    ("after_as_of", "dated after as_of"),
    ("unknown_account", "account not in the accounts export"),
    ("duplicate", "an exact repeat of another row"),
)
PROBLEM_CODES = {code: i for i, (code, _) in enumerate(PROBLEMS)}


class EmptySource(ValueError):
    """A source file with no bytes at all: reported, its signals not computed."""


@dataclass(frozen=True)
class SourceSpec:
    """One kind of product record: its columns (column -> kind) and header spellings.

    Kinds: ``id`` (text kept as typed), ``date`` (a date or timestamp), ``key`` (text
    matched case-insensitively: metrics, plans, tags, features), ``text``, ``number``.
    """

    name: str
    columns: Mapping[str, str]
    required: tuple[str, ...]
    aliases: Mapping[str, str]
    meaning: str
    events: bool = True  # rows about an account on a date (not a catalog)
    non_negative: tuple[str, ...] = ()

    def column_for(self, header: Any) -> str | None:
        """The column a header means, or None."""
        key = _args.normalize_key(header)
        if key in self.columns:
            return key
        alias = self.aliases.get(key) or self.aliases.get(key.replace("_", ""))
        if alias:
            return alias
        if "account_id" in self.columns and playbook.account_column(header) == "account_id":
            return "account_id"
        if "plan_tier" in self.columns and playbook.account_column(header) == "plan_tier":
            return "plan_tier"
        return None


def _with_dates(aliases: dict) -> dict:
    return {**{a: "date" for a in _DATE_ALIASES}, **aliases}


SOURCES: dict[str, SourceSpec] = {s.name: s for s in (
    SourceSpec("usage", {"account_id": "id", "date": "date", "metric": "key", "quantity": "number"},
               ("account_id", "date", "quantity"),
               _with_dates({"metric_name": "metric", "meter": "metric", "resource": "metric",
                            "event": "metric", "event_name": "metric", "qty": "quantity",
                            "value": "quantity", "amount": "quantity", "units": "quantity",
                            "count": "quantity", "usage": "quantity", "calls": "quantity"}),
               "metered consumption: one row per account, day (or timestamp) and metric",
               non_negative=("quantity",)),
    SourceSpec("caps", {"plan_tier": "key", "metric": "key", "cap": "number"},
               ("plan_tier", "cap"),
               {"metric_name": "metric", "meter": "metric", "resource": "metric",
                "limit": "cap", "quota": "cap", "included": "cap", "allowance": "cap",
                "cap_per_30d": "cap", "monthly_cap": "cap", "cap_30d": "cap"},
               "each plan's cap per 30 days, per metric", events=False, non_negative=("cap",)),
    SourceSpec("seats", {"account_id": "id", "date": "date", "seats_licensed": "number",
                         "seats_active": "number"},
               ("account_id", "date", "seats_licensed"),
               _with_dates({"licensed": "seats_licensed", "purchased": "seats_licensed",
                            "active": "seats_active"}),
               "seat snapshots: seats licensed (and active) per account and date",
               non_negative=("seats_licensed", "seats_active")),
    SourceSpec("users", {"account_id": "id", "user_id": "id", "date": "date", "department": "key"},
               ("account_id", "user_id", "date"),
               _with_dates({"user": "user_id", "userid": "user_id", "user_email": "user_id",
                            "email": "user_id", "member_id": "user_id", "person_id": "user_id",
                            "dept": "department", "team": "department", "division": "department",
                            "business_unit": "department", "domain": "department",
                            "email_domain": "department"}),
               "user activity: one row per user and day the user was active"),
    SourceSpec("web", {"account_id": "id", "date": "date", "page": "text"},
               ("account_id", "date", "page"),
               _with_dates({"url": "page", "path": "page", "page_url": "page", "page_path": "page",
                            "page_name": "page", "page_title": "page"}),
               "web visits by users of the account: one row per page view"),
    SourceSpec("tickets", {"account_id": "id", "date": "date", "tag": "key"},
               ("account_id", "date", "tag"),
               _with_dates({"tags": "tag", "label": "tag", "category": "tag", "type": "tag",
                            "ticket_type": "tag", "topic": "tag", "reason": "tag"}),
               "support tickets or requests: one row per ticket and tag"),
    SourceSpec("features", {"feature": "key", "tier": "key"},
               ("feature", "tier"),
               {"feature_name": "feature", "feature_key": "feature", "plan_tier": "tier",
                "plan": "tier", "min_tier": "tier", "required_tier": "tier"},
               "the feature catalog: each feature and the plan tier that includes it",
               events=False),
    SourceSpec("feature_events", {"account_id": "id", "date": "date", "feature": "key"},
               ("account_id", "date", "feature"),
               _with_dates({"feature_name": "feature", "feature_key": "feature"}),
               "feature use: one row per account, day and feature used"),
)}

# Plan tiers from the lowest up, when the feature catalog does not rank them (a ``rank``
# column) and no order is given: the tier above a plan is the next one in this list.
TIER_ORDER: tuple[str, ...] = ("Free", "Starter", "Basic", "Team", "Growth", "Pro", "Professional",
                               "Business", "Premium", "Enterprise", "Ultimate")
