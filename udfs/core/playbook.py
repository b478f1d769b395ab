"""The playbook as data: vocabulary, account columns, default rules and plays (SPEC §1–§5).

This module is the one definition of every label, threshold and default in upcell.
Rules and plays are tables, so RevOps edits them in Excel (the ``Rules`` and ``Plays``
sheets) and analysts write tuned thresholds back into them.

>>> MOTIONS[0], default_rules()["rule"].nunique(), float(default_plays().loc["Tier upgrade", "close_rate"])
('Seat expansion', 17, 0.325)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _args

__all__ = [
    "MOTIONS", "SEGMENTS", "TRIGGER_THRESHOLD", "ACCOUNT_COLUMNS", "account_column",
    "default_rules", "default_plays", "rules_table", "plays_table",
    "NURTURE", "NOT_SCORED", "ROUTINGS",
]

# --------------------------------------------------------------------------- vocabulary (§1)

MOTIONS: tuple[str, ...] = (
    "Seat expansion",
    "Tier upgrade",
    "Usage expansion",
    "Cross-department",
    "Cross-sell",
)
SEGMENTS: tuple[str, ...] = ("SMB", "Mid-market", "Enterprise")

TRIGGER_THRESHOLD = 50.0
MAX_SCORE = 100.0

# Plays that are not a motion's playbook (§1, §2)
NURTURE = "Nurture"  # an ungated account that is not ready
NOT_SCORED = "Not scored"  # a summary row (Total...) or a blank account_id, kept and sorted last
SUMMARY_IDS = frozenset({"total", "grand total", "subtotal"})  # account_id, any case

# Routing of the play (§4): the primary motion (default) or the best expected value
ROUTINGS = ("evidence", "value")

# Renewal pairing (§4): a renewal within this many days of as_of joins the play, whose
# due date then lands this many days before the renewal (never past the play's cycle)
RENEWAL_WINDOW_DAYS = 120
RENEWAL_LEAD_DAYS = 30

# Capacity (§4): a slot this week, or queued behind the owner's weekly capacity
THIS_WEEK, QUEUED = "this week", "queued"

# The account's opportunities of the play's motion (SCORE_ACCOUNTS' ``opportunities``): a
# ready play already in flight, just won or just lost is kept in the queue, not a new play.
IN_PIPELINE = "In pipeline"  # an open opportunity of the play's motion
PAST_DUE = "Past due"  # ... whose close date is before as_of
RECENTLY_EXPANDED = "Recently expanded"  # a won one within the play's cycle before as_of
COOLING_DOWN = "Cooling down"  # a lost one within the play's cooldown_days before as_of
PIPELINE_STATUSES = (PAST_DUE, IN_PIPELINE, RECENTLY_EXPANDED, COOLING_DOWN)  # their queue order
DEFAULT_COOLDOWN_DAYS = 90
MAX_PLAY_DAYS = 3_650  # a play's cycle or cool-down beyond ten years is a typo
RECENT_LOSS_DAYS = 365  # a loss of the play's motion this recent is named in the reasons
MEASURED, ASSUMED = "measured", "assumed"  # where a close rate or an increase share comes from

# Gates (§3): a gated account is never ready; its play names the gate instead.
GATE_FIX_ADOPTION = "Fix adoption first"
GATE_TOO_EARLY = "Too early"
GATE_HEALTH_BELOW = 40.0
GATE_TENURE_BELOW = 4.0

# Pipeline coverage (§5)
COVERAGE_HEALTHY = 3.0
COVERAGE_THIN = 2.0
HEALTHY, THIN, UNDERCOVERED = "Healthy", "Thin", "Undercovered"
TARGET_MIN = 0.01  # $: a smaller target is a typo (and pipeline / target would overflow)
# From opportunities, a row's status reads its weighted coverage (weighted pipeline ÷ the
# target still to book): Healthy when the expected closings cover it, Thin from two thirds
# of it (the same 2 : 3 as the cut-offs above); a target already booked is met.
WEIGHTED_HEALTHY = 1.0
WEIGHTED_THIN = COVERAGE_THIN / COVERAGE_HEALTHY
TARGET_MET = "Target met"
# PAST_DUE (above) on the Pipeline sheet: listed, and left out of coverage unless asked
# (``past_due`` TRUE counts it in the as_of quarter).
# What weighs an open opportunity: its CRM probability where given, else its motion's win
# rate (``probability``, the default), or the win rate for every one (``win rate``); each
# row says which it used.
WEIGHTINGS = ("probability", "win rate")
BY_PROBABILITY, BY_WIN_RATE, BY_BOTH = "CRM probability", "win rate", "mixed"

# Retention benchmarks (§6), from the ARR-stage table: (stage floor $, expansion share of
# new ARR median range, top-quartile range, typical NRR range). Below the first floor ($1M)
# there is no expansion-share benchmark; NRR is then judged against the first band.
BENCHMARK_STAGES: tuple[tuple[float, tuple[float, float], tuple[float, float], tuple[float, float]], ...] = (
    (1_000_000, (0.05, 0.10), (0.12, 0.15), (0.95, 1.10)),
    (5_000_000, (0.10, 0.15), (0.18, 0.22), (1.00, 1.15)),
    (15_000_000, (0.15, 0.20), (0.25, 0.30), (1.05, 1.20)),
    (50_000_000, (0.20, 0.28), (0.30, 0.40), (1.10, 1.25)),
    (100_000_000, (0.25, 0.35), (0.40, 0.55), (1.15, 1.35)),
)
NRR_BANDS: tuple[tuple[float, float, float], ...] = tuple((f, n[0], n[1]) for f, _, _, n in BENCHMARK_STAGES)
# NRR by the segment a company sells to: (typical range, best in class).
NRR_BY_SEGMENT: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "SMB": ((0.90, 1.00), (1.05, 1.10)),
    "Mid-market": ((1.00, 1.20), (1.20, 1.30)),
    "Enterprise": ((1.20, 1.50), (1.40, 1.60)),
}
BELOW_RANGE, IN_RANGE, ABOVE_RANGE = "Below range", "In range", "Above range"
SHARE_BELOW_MEDIAN, SHARE_MEDIAN, SHARE_TOP_QUARTILE, SHARE_NO_BENCHMARK = (
    "Below median", "Median", "Top quartile", "No benchmark",
)
# General lines on the expansion share: notes beside the verdict, never verdicts.
EXPANSION_SHARE_BEST_IN_CLASS = (0.20, 0.30)
EXPANSION_SHARE_CHECK_ABOVE = 0.60
# Where each verdict comes from, in words a reader can look up.
SOURCE_STAGE_TABLE = "ARR-stage benchmark table"
SOURCE_SEGMENT_TABLE = "NRR-by-segment benchmark table"
SOURCE_BEST_IN_CLASS = "Bessemer State of the Cloud"
SOURCE_READINESS = "expansion readiness checklist"
# Readiness for a systematic expansion motion; churn wins over the others.
READINESS_MIN_CUSTOMERS = 50
READINESS_MIN_TENURE_MONTHS = 6.0
FIX_CHURN_AT = 0.08  # annual churned ARR / starting ARR
BUILD_THE_MOTION, STAY_ACQUISITION_FIRST, FIX_CHURN_FIRST = (
    "Build the motion", "Stay acquisition-first", "Fix churn first",
)


# Backtest validation gate (§7): preceded ≥ 0.40, FPR < 0.50, lift ≥ 1.5 (0 = no lift floor)
GATE_MIN_PRECEDED = 0.40
GATE_MAX_FALSE_POSITIVE_RATE = 0.50
GATE_MIN_LIFT = 1.5
TUNED_FALSE_POSITIVE_RATE = 0.30

# Outcomes (queue snapshots): what changed between two snapshots, what flagged plays earned.
NEW_READY, DROPPED, PLAY_CHANGED, OWNER_CHANGED, SCORE_MOVED = (
    "New ready", "Dropped", "Play changed", "Owner changed", "Score moved")
CHANGES = (NEW_READY, DROPPED, PLAY_CHANGED, OWNER_CHANGED, SCORE_MOVED)  # their order
SIGNAL_GONE, GATED, LEFT_THE_BOOK = "signal gone", "gated", "not in this snapshot"  # why dropped
SCORE_MOVE_MIN = 10.0  # points: a smaller move of an otherwise unchanged account is not listed
AS_FLAGGED, OTHER_MOTION, NOT_WORKED = "as flagged", "other motion", "not worked"
MIN_CLOSED = 20  # closed plays (won + lost) below which a measured close rate is "too few"
TOO_FEW = "too few"
WILSON_Z = 1.96  # the close rate's 95 % interval

# --------------------------------------------------------------------------- accounts (§2)

# column -> kind. Kinds: id, text, money, count, fraction, days, months, score, flag.
ACCOUNT_COLUMNS: dict[str, str] = {
    "account_id": "id",
    "account_name": "text",
    "segment": "text",
    "plan_tier": "text",
    "arr": "money",
    "seats_licensed": "count",
    "seats_active": "count",
    "seat_utilization": "fraction",
    "usage_vs_cap": "fraction",
    "usage_trend_90d": "growth",
    "next_tier_feature_adoption": "fraction",
    "gated_feature_requests_90d": "count",
    "pricing_page_visits_30d": "count",
    "active_user_growth_60d": "growth",
    "headcount_growth_90d": "growth",
    "funding_event_days_ago": "days",
    "new_department_users_30d": "count",
    "cross_sell_intent_7d": "count",
    "champion_promoted_90d": "flag",
    "health_score": "score",
    "tenure_months": "months",
    "customer_since": "date",
    "renewal_date": "date",
    "champion_left_90d": "flag",
}
# Kinds that are not signals: no rule compares them (dates are read as dates, not numbers)
TEXT_KINDS = frozenset({"id", "text", "date"})
# Kinds whose values can never be negative (a negative one is a bad cell). Growth can be.
NON_NEGATIVE_KINDS = frozenset({"money", "count", "fraction", "days", "months", "score"})

PERCENT_MEDIAN_ABOVE = 1.5  # a fraction column with a larger median holds percents (92 for 92 %)


def reads_as_percent(values: np.ndarray) -> bool:
    """Whether a fraction column holds percents: its median is above 1.5 (SPEC §2).

    >>> reads_as_percent(np.array([92.0, 85.0, np.nan])), reads_as_percent(np.array([0.92, 1.3]))
    (True, False)
    """
    values = np.asarray(values, dtype=float)
    if not len(values) or not np.nanmax(values, initial=-np.inf) > PERCENT_MEDIAN_ABOVE:
        return False
    return bool(np.nanmedian(values) > PERCENT_MEDIAN_ABOVE)

# Common CRM export spellings, keyed by their normalized form (_args.normalize_key).
ACCOUNT_ALIASES: dict[str, str] = {
    "id": "account_id",
    "account": "account_id",
    "accountid": "account_id",
    "account_number": "account_id",
    "customer_id": "account_id",
    "name": "account_name",
    "company": "account_name",
    "company_name": "account_name",
    "customer": "account_name",
    "customer_name": "account_name",
    "tier": "plan_tier",
    "plan": "plan_tier",
    "annual_recurring_revenue": "arr",
    "arr_usd": "arr",
    "current_arr": "arr",
    "licensed_seats": "seats_licensed",
    "seats": "seats_licensed",
    "active_seats": "seats_active",
    "active_users": "seats_active",
    "users": "seats_active",
    "licenses": "seats_licensed",
    "seats_purchased": "seats_licensed",
    "seat_util": "seat_utilization",
    "utilization": "seat_utilization",
    "usage": "usage_vs_cap",
    "usage_of_cap": "usage_vs_cap",
    "usage_pct_of_cap": "usage_vs_cap",
    "usage_trend": "usage_trend_90d",
    "next_tier_adoption": "next_tier_feature_adoption",
    "gated_feature_requests": "gated_feature_requests_90d",
    "pricing_page_visits": "pricing_page_visits_30d",
    "user_growth": "active_user_growth_60d",
    "active_user_growth": "active_user_growth_60d",
    "headcount_growth": "headcount_growth_90d",
    "days_since_funding": "funding_event_days_ago",
    "new_department_users": "new_department_users_30d",
    "cross_sell_intent": "cross_sell_intent_7d",
    "champion_promoted": "champion_promoted_90d",
    "health": "health_score",
    "tenure": "tenure_months",
    "months_as_customer": "tenure_months",
    "customer_since_date": "customer_since",
    "start_date": "customer_since",
    "first_contract_date": "customer_since",
    "renewal": "renewal_date",
    "next_renewal": "renewal_date",
    "next_renewal_date": "renewal_date",
    "contract_end_date": "renewal_date",
    "champion_left": "champion_left_90d",
}


def account_column(header: Any) -> str | None:
    """The SPEC §2 column a header means, or None when it is not one.

    >>> account_column("Account ID"), account_column("ARR"), account_column("Seat Utilization")
    ('account_id', 'arr', 'seat_utilization')
    """
    key = _args.normalize_key(header)
    if key in ACCOUNT_COLUMNS:
        return key
    return ACCOUNT_ALIASES.get(key, ACCOUNT_ALIASES.get(key.replace("_", "")))


def require_account_header(name: str, labels: Any) -> None:
    """SPEC §2: a table whose header row names no account column is a named ``ValueError``
    (a range passed without its header row would otherwise score as "no signal").

    >>> require_account_header("accounts", ["A1", 0.95])
    Traceback (most recent call last):
    ...
    udfs.core._args.InputError: accounts: expected a header row naming account columns (account_id, seat_utilization, ...), got 'A1', 0.95
    """
    labels = list(labels)
    if any(account_column(label) is not None for label in labels):
        return
    shown = ", ".join(_args.describe(label) for label in labels[:4]) or "no columns"
    raise _args.InputError(
        f"{name}: expected a header row naming account columns (account_id, seat_utilization, "
        f"...), got {shown}"
    )


# --------------------------------------------------------------------------- rules (§3)

RULE_COLUMNS = ("rule", "signal", "op", "threshold", "points", "motion")  # required
RULE_OPTIONAL_COLUMNS = ("alone", "persistence", "window")  # may be left out (defaults)
RULE_TABLE_COLUMNS = RULE_COLUMNS + RULE_OPTIONAL_COLUMNS  # the Rules table as upcell writes it
OPERATORS = (">=", ">", "<=", "<", "=")

# Rows sharing a rule name are AND-ed; points, motion, alone, persistence and window come
# from the rule's first row. A risk rule has negative points and no motion.
# (rule, signal, op, threshold, points, motion, alone)
_DEFAULT_RULES = [
    ("usage_at_cap", "usage_vs_cap", ">=", 0.90, 50, "Tier upgrade", True),
    ("usage_near_cap", "usage_vs_cap", ">=", 0.80, 25, "Tier upgrade", False),
    ("usage_near_cap", "usage_vs_cap", "<", 0.90, None, None, None),
    ("seats_full", "seat_utilization", ">=", 0.90, 40, "Seat expansion", True),
    ("seats_near_full", "seat_utilization", ">=", 0.80, 25, "Seat expansion", False),
    ("seats_near_full", "seat_utilization", "<", 0.90, None, None, None),
    ("pricing_page", "pricing_page_visits_30d", ">=", 1, 30, "Tier upgrade", False),
    ("gated_requests", "gated_feature_requests_90d", ">=", 3, 35, "Tier upgrade", True),
    ("next_tier_adoption", "next_tier_feature_adoption", ">=", 0.70, 30, "Tier upgrade", False),
    ("user_growth", "active_user_growth_60d", ">=", 0.20, 25, "Seat expansion", False),
    ("headcount_growth", "headcount_growth_90d", ">=", 0.10, 20, "Seat expansion", False),
    ("funding", "funding_event_days_ago", "<=", 90, 20, "Seat expansion", False),
    ("new_departments", "new_department_users_30d", ">=", 3, 25, "Cross-department", False),
    ("cross_sell_intent", "cross_sell_intent_7d", ">=", 1, 30, "Cross-sell", False),
    ("champion_promoted", "champion_promoted_90d", "=", 1, 20, "Cross-sell", False),
    ("usage_growth", "usage_trend_90d", ">=", 0.15, 30, "Usage expansion", False),
    ("healthy_tenured", "health_score", ">=", 75, 15, "Tier upgrade", False),
    ("healthy_tenured", "tenure_months", ">=", 6, None, None, None),
    ("champion_left", "champion_left_90d", "=", 1, -40, None, False),
    ("usage_decline", "usage_trend_90d", "<=", -0.20, -25, None, False),
]

# What each Rules column means (the model's help text and the docs say the same)
RULE_HELP: dict[str, str] = {
    "rule": "Name; rows with the same name are AND-ed (points etc. from its first row).",
    "signal": "An account column: a SPEC column or any other numeric column of the table.",
    "op": ">=, >, <=, < or =.",
    "threshold": "The value the signal is compared with (fractions 0-1: 0.9 = 90%).",
    "points": "Added to the score when the rule fires; negative for a risk rule.",
    "motion": "The motion the rule is evidence for; blank only on a risk rule.",
    "alone": "TRUE: enough on its own to make an ungated account ready (no risk rule fired).",
    "persistence": "Periods the condition must hold (1 = now; more needs a history).",
    "window": "Periods an expansion may follow a fire in a backtest; blank = the motion's cycle.",
}


def default_rules() -> pd.DataFrame:
    """SPEC §3 default rules, one condition per row (rows of one rule are AND-ed).

    >>> default_rules().query("rule == 'seats_full'").to_dict("records")[0]["threshold"]
    0.9
    """
    rows = [(*r, None if r[4] is None else 1, None) for r in _DEFAULT_RULES]
    frame = pd.DataFrame(rows, columns=list(RULE_TABLE_COLUMNS))
    frame["threshold"] = frame["threshold"].astype(float)
    frame["points"] = frame["points"].astype(float)
    for col in ("motion", "alone", "persistence", "window"):
        frame[col] = frame[col].astype(object)
    return frame


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is blank (a table's empty rows)."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    return np.array([all(_args.is_blank(v) for v in row) for row in frame.itertuples(index=False)], dtype=bool)


def _rule_signal(where: str, value: Any) -> str:
    name = _args.texts(f"{where} signal", [value])[0]
    signal = account_column(name) or _args.normalize_key(name)
    if ACCOUNT_COLUMNS.get(signal) in TEXT_KINDS or not signal:
        raise _args.InputError(f"{where} signal: expected a numeric account column, got {name!r}")
    return signal


def _count_cell(where: str, value: Any, default: float) -> float:
    if _args.is_blank(value):
        return default
    n = _args.number(where, value, what="a whole number ≥ 1")
    if not (n >= 1 and float(n).is_integer()):
        raise _args.fail(where, "a whole number ≥ 1", value)
    return float(n)


def rules_table(rules: Any = None) -> pd.DataFrame:
    """Validate a rules table (2-D range with header, or DataFrame); None gives the defaults.

    Returns the table with columns ``RULE_TABLE_COLUMNS`` (risk rules have motion None, alone
    is a bool, persistence a whole number, window a whole number or NaN); a continuation
    row (same rule name, blank points and motion) inherits them from the rule's first row.
    Raises a one-line ``ValueError`` naming ``rules``, the row and the column.

    >>> rules_table().query("rule == 'champion_left'")[["points", "motion", "alone"]].values.tolist()
    [[-40.0, None, False]]
    """
    frame = _args.table("rules", default_rules() if rules is None else rules)
    _require_columns("rules", frame, RULE_COLUMNS)
    for col in RULE_OPTIONAL_COLUMNS:
        if col not in frame:
            frame[col] = None
    frame = frame[list(RULE_TABLE_COLUMNS)].reset_index(drop=True)
    frame = frame[~_blank_rows(frame)]
    if frame.empty:
        raise _args.InputError("rules: expected at least one rule row, got none")
    rows = []
    first: dict[str, tuple] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):  # row 1 is the header
        where = f"rules row {i}"
        rule = _args.texts(f"{where} rule", [row.rule])[0]
        signal = _rule_signal(where, row.signal)
        op = str(row.op).strip().replace("≥", ">=").replace("≤", "<=").replace("==", "=")
        if op not in OPERATORS:
            raise _args.fail(f"{where} op", "one of " + " ".join(OPERATORS), row.op)
        if isinstance(row.threshold, (bool, np.bool_)) and ACCOUNT_COLUMNS.get(signal) == "flag":
            threshold = float(row.threshold)
        else:
            threshold = _args.number(f"{where} threshold", row.threshold)
        if rule in first and _args.is_blank(row.points) and _args.is_blank(row.motion):
            rows.append((rule, signal, op, threshold, *first[rule]))
            continue
        points = _args.number(f"{where} points", row.points)
        motion = _rule_motion(where, points, row.motion)
        alone = _rule_alone(where, row.alone, risk=motion is None)
        persistence = _count_cell(f"{where} persistence", row.persistence, 1.0)
        window = _count_cell(f"{where} window", row.window, np.nan)
        first.setdefault(rule, (points, motion, alone, int(persistence), window))
        rows.append((rule, signal, op, threshold, *first[rule]))
    out = pd.DataFrame(rows, columns=list(RULE_TABLE_COLUMNS))
    motions = np.empty(len(rows), dtype=object)
    motions[:] = [r[5] for r in rows]  # None (not NaN) for a risk rule, on every pandas
    out["motion"] = pd.Series(motions, dtype=object)
    return out


def _rule_motion(where: str, points: float, value: Any) -> str | None:
    """A rule's motion; blank exactly when the rule is a risk rule (negative points).

    A blank motion with 0 points is a risk rule whose weight is gone (a calibration can
    give that); a blank motion with positive points, or a motion with negative points, is
    an error.
    """
    if points < 0 or (points == 0 and _args.is_blank(value)):
        if not _args.is_blank(value):
            raise _args.fail(f"{where} motion", "a blank motion on a risk rule (negative points)", value)
        return None
    if _args.is_blank(value):
        raise _args.fail(f"{where} motion", "one of " + ", ".join(MOTIONS)
                         + " (only a risk rule, with negative points, has none)", value)
    return str(_args.choices(f"{where} motion", [value], MOTIONS)[0])


def _rule_alone(where: str, value: Any, *, risk: bool) -> bool:
    if _args.is_blank(value):
        return False
    if isinstance(value, str) and value.strip().upper() in ("=TRUE()", "=FALSE()"):
        value = value.strip().upper() == "=TRUE()"  # how LibreOffice saves a TRUE/FALSE cell
    parsed = _args.parse_flag(value)
    if parsed is None:
        raise _args.fail(f"{where} alone", "TRUE or FALSE", value)
    if parsed and risk:
        raise _args.fail(f"{where} alone", "FALSE on a risk rule (negative points)", value)
    return bool(parsed)


# --------------------------------------------------------------------------- plays (§4)

PLAY_COLUMNS = (
    "motion",
    "arr_increase_share",  # expected ARR increase as a share of the account's ARR
    "close_rate",
    "owner",  # owner below owner_threshold (or always, when no threshold)
    "owner_above",  # owner at or above owner_threshold
    "owner_threshold",  # $; blank = one owner
    "owner_basis",  # what the threshold compares: 'arr' (account) or 'increase'
    "cycle_days",  # target cycle when the segment has no column of its own
    "cycle_days_smb",
    "cycle_days_mid_market",
    "cycle_days_enterprise",
    "cooldown_days",  # days a lost opportunity of the motion holds the play back
    "close_rate_basis",  # 'assumed', 'measured' or a phrase ('measured: 14 won of 41 closed')
    "arr_increase_share_basis",  # the same for arr_increase_share
)
OWNER_BASES = ("arr", "increase")

_BASES = (DEFAULT_COOLDOWN_DAYS, ASSUMED, ASSUMED)  # cooldown_days and the two bases
_DEFAULT_PLAYS = [
    ("Seat expansion", 0.15, 0.50, "CSM", "CSM + Expansion AE", 25_000, "arr", 21, None, None, None, *_BASES),
    ("Tier upgrade", 0.40, 0.325, "CSM", "Expansion AE", 10_000, "increase", 56, 28, 56, 70, *_BASES),
    ("Usage expansion", 0.20, 0.60, "Self-serve", "CSM", 5_000, "increase", 14, None, None, None, *_BASES),
    ("Cross-department", 0.75, 0.25, "Expansion AE", None, None, None, 75, None, None, None, *_BASES),
    ("Cross-sell", 1.00, 0.20, "Expansion AE", None, None, None, 75, 60, 75, 120, *_BASES),
]
_PLAY_NUMBERS = (
    "arr_increase_share", "close_rate", "owner_threshold", "cycle_days",
    "cycle_days_smb", "cycle_days_mid_market", "cycle_days_enterprise", "cooldown_days",
)


def default_plays() -> pd.DataFrame:
    """SPEC §4 default plays, indexed by motion.

    >>> default_plays().loc["Seat expansion", ["arr_increase_share", "close_rate"]].astype(float).tolist()
    [0.15, 0.5]
    """
    frame = pd.DataFrame(_DEFAULT_PLAYS, columns=list(PLAY_COLUMNS)).astype(object)
    for col in _PLAY_NUMBERS:
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    return frame.set_index("motion", drop=False)


def plays_table(plays: Any = None) -> pd.DataFrame:
    """Validate a plays table (2-D range with header, or DataFrame); None gives the defaults.

    Every motion of §1 must have exactly one row. Returns a DataFrame indexed by motion.
    """
    frame = _args.table("plays", default_plays().reset_index(drop=True) if plays is None else plays)
    required = ("motion", "arr_increase_share", "close_rate", "owner", "cycle_days")
    _require_columns("plays", frame, required)
    for col in PLAY_COLUMNS:
        if col not in frame:
            frame[col] = None
    frame = frame[list(PLAY_COLUMNS)].reset_index(drop=True)
    frame = frame[~_blank_rows(frame)].copy()
    if frame.empty:
        raise _args.InputError("plays: expected a row for every motion below the header row, got none")
    frame["motion"] = _args.choices("plays motion", frame["motion"].tolist(), MOTIONS)
    dupes = frame["motion"][frame["motion"].duplicated()]
    if len(dupes):
        raise _args.InputError(f"plays motion: expected one row per motion, got {dupes.iloc[0]!r} twice")
    missing = [m for m in MOTIONS if m not in set(frame["motion"])]
    if missing:
        raise _args.InputError(f"plays: expected a row for every motion, missing {missing[0]!r}")
    for col in _PLAY_NUMBERS:
        required_col = col in ("arr_increase_share", "close_rate", "cycle_days")
        frame[col] = _args.numbers(f"plays {col}", frame[col].tolist(), minimum=0, allow_blank=not required_col)
        if col.startswith(("cycle_days", "cooldown_days")) and (frame[col] > MAX_PLAY_DAYS).any():
            bad = frame.loc[frame[col] > MAX_PLAY_DAYS, col].iloc[0]
            raise _args.fail(f"plays {col}", f"a number of days from 0 to {MAX_PLAY_DAYS:,}", float(bad))
    if (frame["close_rate"] > 1).any():
        bad = frame.loc[frame["close_rate"] > 1, "close_rate"].iloc[0]
        raise _args.fail("plays close_rate", "a fraction between 0 and 1", float(bad))
    frame["owner"] = _args.texts("plays owner", frame["owner"].tolist())
    frame["owner_above"] = _args.texts("plays owner_above", frame["owner_above"].tolist(), allow_blank=True)
    basis = frame["owner_basis"].where(frame["owner_threshold"].notna(), None)
    frame["owner_basis"] = _args.choices("plays owner_basis", basis.tolist(), OWNER_BASES, allow_blank=True)
    frame["cooldown_days"] = frame["cooldown_days"].fillna(DEFAULT_COOLDOWN_DAYS)
    for col in ("close_rate_basis", "arr_increase_share_basis"):  # blank: assumed
        given = _args.texts(f"plays {col}", frame[col].tolist(), allow_blank=True)
        frame[col] = np.where(given == "", ASSUMED, given).astype(object)
    return frame.set_index("motion", drop=False).loc[list(MOTIONS)]


PLAY_HELP: dict[str, str] = {
    "motion": "One row per motion (the five of the playbook).",
    "arr_increase_share": "Expected ARR increase as a share of the account's ARR (0.4 = 40%).",
    "close_rate": "Share of these plays that close (0-1); calibrated rates can be written here.",
    "owner": "Who runs the play (below owner_threshold, or always when it is blank).",
    "owner_above": "Who runs it at or above owner_threshold.",
    "owner_threshold": "$ amount that switches the owner; blank = one owner.",
    "owner_basis": "What owner_threshold compares: arr (the account's) or increase (the play's).",
    "cycle_days": "Target cycle in days (segments without a column of their own).",
    "cycle_days_smb": "Target cycle for SMB accounts; blank = cycle_days.",
    "cycle_days_mid_market": "Target cycle for Mid-market accounts; blank = cycle_days.",
    "cycle_days_enterprise": "Target cycle for Enterprise accounts; blank = cycle_days.",
    "cooldown_days": (f"Days a lost opportunity of the motion holds the play back (Cooling down); "
                      f"blank = {DEFAULT_COOLDOWN_DAYS}."),
    "close_rate_basis": "Where close_rate comes from: assumed (blank), measured, or how it was measured.",
    "arr_increase_share_basis": "Where arr_increase_share comes from: assumed (blank), measured, or how.",
}

def _require_columns(name: str, frame: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise _args.InputError(f"{name}: expected a column {missing[0]!r} in the header row")
