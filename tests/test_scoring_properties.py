"""Properties of the scoring core (hypothesis), through xlwings' runtime where Excel is involved.

- the score never decreases when a signal strengthens (in the direction of its rules),
  and stays within 0-100;
- a row scores the same alone as inside a table;
- every bad-input class of SPEC §8 on every function of udfs/scoring.py gives exactly one
  one-line ValueError naming the argument (and nothing else: no TypeError, no warning).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import call_udf, excel_error
from udfs.core._args import InputError

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def maybe(strategy):
    return st.one_of(st.none(), strategy)


fraction = st.floats(0, 1.5, allow_nan=False)
growth = st.floats(-0.5, 1.0, allow_nan=False)
count = st.integers(0, 12)
SIGNALS = {
    "seat_utilization": fraction,
    "seats_active": count,
    "seats_licensed": st.integers(1, 12),
    "usage_vs_cap": fraction,
    "usage_trend_90d": growth,
    "next_tier_feature_adoption": st.floats(0, 1, allow_nan=False),
    "gated_feature_requests_90d": count,
    "pricing_page_visits_30d": count,
    "active_user_growth_60d": growth,
    "headcount_growth_90d": growth,
    "funding_event_days_ago": st.integers(0, 400),
    "new_department_users_30d": count,
    "cross_sell_intent_7d": count,
    "champion_promoted_90d": st.booleans(),
    "health_score": st.integers(0, 100),
    "tenure_months": st.integers(0, 60),
}
HEAD = list(SIGNALS)
rows = st.fixed_dictionaries({k: maybe(v) for k, v in SIGNALS.items()})
# direction in which a signal strengthens: every default rule on it is >= / >, except funding
STRONGER = {k: +1 for k in SIGNALS if k not in ("seats_licensed", "champion_promoted_90d")}
STRONGER["funding_event_days_ago"] = -1


def as_row(record):
    return [record[k] for k in HEAD]


@SETTINGS
@given(record=rows, signal=st.sampled_from(sorted(STRONGER)), step=st.floats(0.001, 2.0))
def test_score_never_decreases_when_a_signal_strengthens(record, signal, step):
    weak = dict(record)
    if weak[signal] is None:
        weak[signal] = 0.5 if STRONGER[signal] > 0 else 200
    strong = dict(weak)
    strong[signal] = weak[signal] + STRONGER[signal] * step * (1 if isinstance(weak[signal], float) else 20)
    if signal == "funding_event_days_ago":
        strong[signal] = max(0, strong[signal])
    if signal == "health_score":  # a 0-100 score: above 100 is a bad cell, not a stronger one
        strong[signal] = min(100, strong[signal])
    out = call_udf("EXPANSION_SCORE", [HEAD, as_row(weak), as_row(strong)])
    (before,), (after,) = out
    assert 0 <= before <= 100 and 0 <= after <= 100
    assert after >= before


@SETTINGS
@given(table=st.lists(rows, min_size=1, max_size=6), pick=st.integers(0, 5))
def test_row_alone_scores_as_inside_the_table(table, pick):
    i = pick % len(table)
    scores = call_udf("EXPANSION_SCORE", [HEAD] + [as_row(r) for r in table])
    motions = call_udf("EXPANSION_MOTION", [HEAD] + [as_row(r) for r in table])
    alone = call_udf("EXPANSION_SCORE", [as_row(table[i])], [HEAD])
    assert scores[i] == alone[0]
    assert 0 <= alone[0][0] <= 100
    assert motions[i] == call_udf("EXPANSION_MOTION", [as_row(table[i])], [HEAD])[0]
    # the same in Python, from a DataFrame and from a single record
    assert udfs.expansion_score(table[i]) == alone[0][0]


# --------------------------------------------------------------------------- bad input

BAD = {
    "blank": None,
    "text": "n/a",
    "Excel error": excel_error("#N/A"),
    "NaN": math.nan,
    "negative": -3,
}
GOOD = {
    "motion": "Tier upgrade", "expected_arr_increase": 12_000, "account_arr": 50_000,
    "seats_active": 40, "seats_licensed": 50, "trigger_date": 46027, "segment": "SMB",
}
# function -> (its arguments in order, the arguments that must be numbers/dates)
NUMERIC_ARGS = {
    "SEAT_UTILIZATION": (("seats_active", "seats_licensed"), ("seats_active", "seats_licensed")),
    "EXPANSION_OWNER": (("motion", "expected_arr_increase", "account_arr"), ("expected_arr_increase", "account_arr")),
    "EXPECTED_EXPANSION": (("motion", "account_arr"), ("account_arr",)),
    "PLAY_DUE_DATE": (("motion", "trigger_date", "segment"), ("trigger_date",)),
}
CASES = [
    (func, arg, kind)
    for func, (_, numeric) in NUMERIC_ARGS.items()
    for arg in numeric
    for kind in BAD
    if not (kind == "blank" and arg == "account_arr" and func == "EXPANSION_OWNER")  # optional: inferred
]
MOTION_FUNCS = {
    "CLOSE_RATE": ("motion",),
    "EXPANSION_OWNER": ("motion", "expected_arr_increase"),
    "EXPECTED_EXPANSION": ("motion", "account_arr"),
    "PLAY_DUE_DATE": ("motion", "trigger_date"),
}
BAD_MOTIONS = ["Upsell", excel_error("#VALUE!"), 5, True]


def assert_one_line_error(info, arg):
    assert type(info.value) is InputError
    message = str(info.value)
    assert "\n" not in message
    # 'seats_active: expected ...', or for a table argument 'rules row 2 threshold: expected ...'
    assert re.match(rf"^{arg}( [\w ]+)?: expected ", message), message


@SETTINGS
@given(case=st.sampled_from(CASES), length=st.integers(1, 4), position=st.integers(0, 3))
def test_every_bad_number_class_on_every_cell_function(case, length, position):
    func, arg, kind = case
    args = [GOOD[a] for a in NUMERIC_ARGS[func][0]]
    k = NUMERIC_ARGS[func][0].index(arg)
    if length == 1:
        args[k] = BAD[kind]
    else:
        column = [GOOD[arg]] * length
        column[position % length] = BAD[kind]
        args[k] = column
    with pytest.raises(ValueError) as info:
        call_udf(func, *args)
    assert_one_line_error(info, arg)
    if kind == "NaN":  # and in Python, from a numpy column
        plain = [a[0] if isinstance(a, list) else a for a in args]
        plain[k] = np.array(args[k], dtype=float) if isinstance(args[k], list) else math.nan
        with pytest.raises(ValueError) as info:
            getattr(udfs, func.lower())(*plain)
        assert_one_line_error(info, arg)


@SETTINGS
@given(func=st.sampled_from(sorted(MOTION_FUNCS)), bad=st.sampled_from(BAD_MOTIONS), column=st.booleans())
def test_unknown_motion_on_every_motion_function(func, bad, column):
    args = [GOOD[a] for a in MOTION_FUNCS[func]]
    args[0] = ["Seat expansion", bad] if column else bad
    if column and len(args) > 1:
        args[1] = [args[1], args[1]]
    with pytest.raises(ValueError) as info:
        call_udf(func, *args)
    assert_one_line_error(info, "motion")
    assert "expected one of Seat expansion, Tier upgrade, Usage expansion, Cross-department, Cross-sell" in str(info.value)


@pytest.mark.parametrize("bad", ["Startup", excel_error("#REF!"), 3])
def test_bad_segment_on_play_due_date(bad):
    with pytest.raises(ValueError) as info:
        call_udf("PLAY_DUE_DATE", "Tier upgrade", 46027, bad)
    assert_one_line_error(info, "segment")


TABLE_FUNCS = {
    "SCORE_ACCOUNTS": "accounts", "EXPANSION_SCORE": "values",
    "EXPANSION_MOTION": "values", "EXPANSION_REASONS": "values",
}


@pytest.mark.parametrize("func", sorted(TABLE_FUNCS))
@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_table_argument_on_table_functions(func, kind):
    with pytest.raises(ValueError) as info:
        call_udf(func, BAD[kind])
    assert_one_line_error(info, TABLE_FUNCS[func])


RULE_HEAD = ["rule", "signal", "op", "threshold", "points", "motion"]
BAD_RULES = {
    "text threshold": ["r", "usage_vs_cap", ">=", "high", 10, "Tier upgrade"],
    "Excel error": ["r", "usage_vs_cap", ">=", excel_error("#N/A"), 10, "Tier upgrade"],
    "blank threshold": ["r", "usage_vs_cap", ">=", None, 10, "Tier upgrade"],
    "NaN points": ["r", "usage_vs_cap", ">=", 0.9, math.nan, "Tier upgrade"],
    "negative points with a motion": ["r", "usage_vs_cap", ">=", 0.9, -10, "Tier upgrade"],
    "positive points, no motion": ["r", "usage_vs_cap", ">=", 0.9, 10, None],
    "unknown motion": ["r", "usage_vs_cap", ">=", 0.9, 10, "Upsell"],
    "text column as signal": ["r", "segment", ">=", 0.9, 10, "Tier upgrade"],
    "unknown op": ["r", "usage_vs_cap", "~", 0.9, 10, "Tier upgrade"],
    "alone on a risk rule": ["r", "usage_vs_cap", ">=", 0.9, -10, None, True],
    "alone not a flag": ["r", "usage_vs_cap", ">=", 0.9, 10, "Tier upgrade", "maybe"],
    "persistence 0": ["r", "usage_vs_cap", ">=", 0.9, 10, "Tier upgrade", None, 0],
    "persistence 1.5": ["r", "usage_vs_cap", ">=", 0.9, 10, "Tier upgrade", None, 1.5],
    "window text": ["r", "usage_vs_cap", ">=", 0.9, 10, "Tier upgrade", None, 1, "soon"],
}
RULE_HEAD_ALL = RULE_HEAD + ["alone", "persistence", "window"]


@pytest.mark.parametrize("func", sorted(TABLE_FUNCS))
@pytest.mark.parametrize("kind", sorted(BAD_RULES))
def test_bad_rules_table_on_table_functions(func, kind):
    accounts = [["account_id", "usage_vs_cap"], ["a1", 0.95]]
    row = BAD_RULES[kind] + [None] * (len(RULE_HEAD_ALL) - len(BAD_RULES[kind]))
    with pytest.raises(ValueError) as info:
        call_udf(func, accounts, *([None] if func != "SCORE_ACCOUNTS" else []), [RULE_HEAD_ALL, row])
    assert_one_line_error(info, "rules")


@pytest.mark.parametrize(
    "change",
    [("close_rate", "n/a"), ("close_rate", -0.1), ("close_rate", 1.5), ("arr_increase_share", None),
     ("motion", "Upsell"), ("cycle_days", excel_error("#N/A"))],
)
def test_bad_plays_table(change):
    plays = udfs.default_plays().reset_index(drop=True).astype(object)
    plays = plays.where(plays.notna(), None)
    column, value = change
    rng = [list(plays.columns)] + plays.values.tolist()
    rng[2][rng[0].index(column)] = value  # the Tier upgrade row
    for func, args in (("SCORE_ACCOUNTS", ([["account_id"], ["a"]], None)), ("CLOSE_RATE", ("Seat expansion",)),
                       ("EXPECTED_EXPANSION", ("Seat expansion", 1000))):
        with pytest.raises(ValueError) as info:
            call_udf(func, *args, rng)
        assert_one_line_error(info, "plays")


@SETTINGS
@given(
    column=st.sampled_from(["seat_utilization", "pricing_page_visits_30d", "arr", "health_score", "account_id"]),
    bad=st.sampled_from(["n/a", excel_error("#DIV/0!"), -5, True, None]),
    n=st.integers(1, 5),
    position=st.integers(0, 4),
)
def test_a_bad_cell_in_a_table_is_kept_and_named(column, bad, n, position):
    head = ["account_id", "arr", "seat_utilization", "pricing_page_visits_30d", "health_score"]
    good = {"arr": 50_000, "seat_utilization": 0.95, "pricing_page_visits_30d": 1, "health_score": 80}
    body = [[f"a{i}"] + [good[h] for h in head[1:]] for i in range(n)]
    i = position % n
    body[i][head.index(column)] = bad
    queue = call_udf("SCORE_ACCOUNTS", [head, *body])
    assert len(queue) == n + 1  # nothing dropped
    reasons = call_udf("EXPANSION_REASONS", [head, *body])
    if column == "account_id":  # any text or number is an id; a blank or an error is not
        named = bad is None or isinstance(bad, dict)
        assert (f"row {i + 2}: account_id" in " ".join(r[-1] for r in queue[1:])) == named
    elif bad is not None:  # text, Excel error, negative, TRUE: all named; a blank is no signal
        assert f"row {i + 2}: {column}" in reasons[i][0]
    else:
        assert "row" not in reasons[i][0]


cells = st.one_of(
    st.none(), st.just(""), st.text(max_size=6), st.booleans(), st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([excel_error("#N/A"), excel_error("#VALUE!")]),
)
headers = st.sampled_from(
    ["account_id", "Account ID", "arr", "segment", "seat_utilization", "seats_active",
     "seats_licensed", "usage_vs_cap", "pricing_page_visits_30d", "champion_promoted_90d",
     "health_score", "tenure_months", "funding_event_days_ago", "notes", "", None]
)


@SETTINGS
@given(head=st.lists(headers, min_size=1, max_size=6), body=st.lists(st.lists(cells, min_size=6, max_size=6), max_size=4),
       func=st.sampled_from(sorted(TABLE_FUNCS)))
def test_any_range_gives_a_result_or_a_one_line_value_error(head, body, func):
    width = len(head)
    table = [head] + [row[:width] for row in body]
    try:
        out = call_udf(func, table)
    except ValueError as err:
        assert type(err) is InputError and "\n" not in str(err)
        assert str(err).startswith(TABLE_FUNCS[func] + ":") or str(err).startswith("headers"), str(err)
        return
    n = len(body) + (1 if func == "SCORE_ACCOUNTS" else 0)
    assert len(out) == n
