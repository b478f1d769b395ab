"""What each kind of record holds: its columns, their kinds and the headers that mean them.

A :class:`Schema` names a record type (``accounts``, ``opportunities``, ``arr_history``),
its columns (column -> kind) and how a header resolves to a column. Other modules
register theirs with :func:`register_schema` and read files with
``load_records(source, kind)``; every record type then gets the same dialects, encodings,
decimal marks, header matching and report.

Column kinds: ``id`` and ``text`` (kept exactly as typed), ``flag`` (TRUE/FALSE),
``date``, and the numeric ones ``money``, ``count``, ``fraction``, ``growth``, ``days``,
``months``, ``score``, ``number``.

>>> SCHEMAS["accounts"].column_for("Pricing Page Visits (30d)")
'pricing_page_visits_30d'
>>> SCHEMAS["accounts"].column_for("Customer Since")
'customer_since'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from udfs.core import _args
from udfs.core.playbook import (
    ACCOUNT_COLUMNS,
    NON_NEGATIVE_KINDS,
    account_column,
)
from udfs.core.record_columns import HISTORY_ALIASES, OPPORTUNITY_ALIASES

TEXT_KINDS = frozenset({"id", "text"})
NON_NUMERIC_KINDS = frozenset({"id", "text", "flag", "date", "extra"})
SUMMARY_IDS = frozenset({"total", "grand_total", "subtotal", "sub_total"})


@dataclass(frozen=True)
class Schema:
    """One record type. ``resolve(header)`` gives a column name or None.

    ``id_column``: the column that identifies a row (a blank one leaves the row out,
    reported, as does a summary row such as ``Total``); the header row is the first one
    naming it, or with ``id_required=False`` the first naming two of the columns.
    ``required``: further columns without which the file is refused. ``sheet``: the XLSX
    sheet read when present. ``noun``: how the report counts rows ("account row").
    """

    kind: str
    columns: Mapping[str, str]
    id_column: str
    resolve: Callable[[str], str | None]
    noun: str = "row"
    required: tuple[str, ...] = ()
    sheet: str = ""
    non_negative: frozenset = NON_NEGATIVE_KINDS
    summary_rows: bool = True
    derived: Mapping[str, str] = field(default_factory=dict)  # column -> how it is derived
    id_required: bool = True
    unique_ids: bool = True  # a repeated id is noted (not for panels such as ARR history)

    def column_for(self, header: str) -> str | None:
        """The column a header means (SPEC §2 matching: case, spacing, punctuation)."""
        column = self.resolve(header)
        return column if column in self.columns else None


SCHEMAS: dict[str, Schema] = {}


def register_schema(schema: Schema) -> Schema:
    """Make ``schema`` readable by ``load_records(source, schema.kind)`` and ``check --kind``."""
    SCHEMAS[schema.kind] = schema
    return schema


def get_schema(kind: str) -> Schema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        known = ", ".join(sorted(SCHEMAS))
        raise ValueError(f"kind: expected one of {known}, got {kind!r}") from None


# --------------------------------------------------------------------------- accounts

# Dates of the account table (SPEC §2): customer_since gives tenure_months at the build date.
ACCOUNT_DATES = {"customer_since": "date", "renewal_date": "date"}
_ACCOUNT_DATE_ALIASES = {
    "customer_since": "customer_since", "customer_since_date": "customer_since",
    "customer_start_date": "customer_since", "first_contract_date": "customer_since",
    "contract_start_date": "customer_since", "start_date": "customer_since",
    "renewal_date": "renewal_date", "renewal": "renewal_date", "next_renewal": "renewal_date",
    "next_renewal_date": "renewal_date", "contract_end_date": "renewal_date",
}


def _account_resolve(header: str) -> str | None:
    column = account_column(header)
    if column is not None:
        return column
    return _ACCOUNT_DATE_ALIASES.get(_args.normalize_key(header))


ACCOUNTS = register_schema(Schema(
    kind="accounts",
    columns={**ACCOUNT_COLUMNS, **ACCOUNT_DATES},
    id_column="account_id",
    resolve=_account_resolve,
    noun="account row",
    sheet="Accounts",
    derived={"tenure_months": "customer_since", "seat_utilization": "seats_active / seats_licensed"},
))


# --------------------------------------------------------------------------- opportunities, ARR history


def _alias_resolver(columns: Mapping[str, str], aliases: Mapping[str, str]) -> Callable[[str], str | None]:
    def resolve(header: str) -> str | None:
        key = _args.normalize_key(header)
        if key in columns:
            return key
        return aliases.get(key, aliases.get(key.replace("_", "")))

    return resolve


# SPEC §5: one row per opportunity, as a CRM exports it (aliases: udfs.playbook).
OPPORTUNITY_COLUMNS = {
    "opportunity_id": "id", "account_id": "id", "motion": "text", "type": "text",
    "amount": "money", "stage": "text", "probability": "number", "close_date": "date",
    "owner": "text", "status": "text", "created_date": "date",
}
OPPORTUNITIES = register_schema(Schema(
    kind="opportunities",
    columns=OPPORTUNITY_COLUMNS,
    id_column="opportunity_id",
    resolve=_alias_resolver(OPPORTUNITY_COLUMNS, OPPORTUNITY_ALIASES),
    noun="opportunity row",
    required=("amount", "close_date"),
    sheet="Opportunities",
    id_required=False,
))

# SPEC §6: one row per account-month (or a subscription export with start and end dates).
HISTORY_COLUMNS = {
    "account_id": "id", "month": "date", "arr": "money", "mrr": "money",
    "start_date": "date", "end_date": "date",
}
ARR_HISTORY = register_schema(Schema(
    kind="arr_history",
    columns=HISTORY_COLUMNS,
    id_column="account_id",
    resolve=_alias_resolver(HISTORY_COLUMNS, HISTORY_ALIASES),
    noun="history row",
    sheet="ARR history",
    unique_ids=False,
))
