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

from udfs import _args
from udfs.playbook import ACCOUNT_COLUMNS, NON_NEGATIVE_KINDS, account_column

TEXT_KINDS = frozenset({"id", "text"})
NON_NUMERIC_KINDS = frozenset({"id", "text", "flag", "date", "extra"})
SUMMARY_IDS = frozenset({"total", "grand_total", "subtotal", "sub_total"})


@dataclass(frozen=True)
class Schema:
    """One record type. ``resolve(header)`` gives a column name or None.

    ``id_column``: the column that identifies a row (required; a blank one leaves the row
    out, reported, as does a summary row such as ``Total``). ``required``: further columns
    without which the file is refused. ``sheet``: the XLSX sheet read when present.
    ``noun``: how the report counts rows ("account row").
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
