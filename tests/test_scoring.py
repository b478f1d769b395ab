"""Scoring core (SPEC §3, §4, §8) through xlwings' own runtime, with Excel-shaped payloads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf, excel_error
from udfs.core._args import InputError
from udfs.core.playbook import MOTIONS

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

HEAD = ["account_id", "arr", "segment", "usage_vs_cap", "pricing_page_visits_30d"]
# the motion's own evidence is the strongest (25 v 20; 30 + 20 = 50, ready)
DEPARTMENTS = {"new_department_users_30d": 5, "headcount_growth_90d": 0.1, "funding_event_days_ago": 30}
CROSS_SELL = {"cross_sell_intent_7d": 1, "champion_promoted_90d": True}


def score_table(rows, head=HEAD, *extra):
    out = call_udf("SCORE_ACCOUNTS", [head, *rows], *extra)
    assert out[0] == list(udfs.SCORE_COLUMNS)
    return [dict(zip(out[0], r, strict=True)) for r in out[1:]]


def cell(*args):
    """Call a UDF whose result is one cell (xlwings always writes a 2-D range)."""
    out = call_udf(*args)
    assert isinstance(out, list) and len(out) == 1 and len(out[0]) == 1, out
    return out[0][0]


def one_score(**signals):
    head, row = list(signals), list(signals.values())
    return cell("EXPANSION_SCORE", [head, row])


# --------------------------------------------------------------------------- SPEC §3 figures


def test_spec_figures_pricing_page_usage_at_cap_and_both():
    table = [
        ["usage_vs_cap", "pricing_page_visits_30d"],
        [None, 1],
        [0.95, None],
        [0.95, 1],
    ]
    assert call_udf("EXPANSION_SCORE", table) == [[30.0], [50.0], [80.0]]
    assert one_score(pricing_page_visits_30d=1) == 30.0
    assert one_score(usage_vs_cap=0.95) == 50.0


def test_one_row_with_headers_and_a_single_cell():
    head = [["Usage vs Cap", "Pricing Page Visits 30d"]]
    assert cell("EXPANSION_SCORE", [[0.95, 1]], head) == 80.0
    assert cell("EXPANSION_SCORE", 0.95, "usage_vs_cap") == 50.0
    assert cell("EXPANSION_MOTION", [[0.95, 1]], head) == "Tier upgrade"
    assert udfs.expansion_score([0.95, 1], headers=["usage_vs_cap", "pricing_page_visits_30d"]) == 80.0


@pytest.mark.parametrize(
    ("signals", "score"),
    [
        ({"usage_vs_cap": 0.85}, 25),
        ({"usage_vs_cap": 0.90}, 50),
        ({"usage_vs_cap": 0.7999}, 0),
        ({"seat_utilization": 0.80}, 25),
        ({"seat_utilization": 0.90}, 40),
        ({"seat_utilization": 1.3}, 40),
        ({"gated_feature_requests_90d": 3}, 35),
        ({"gated_feature_requests_90d": 2}, 0),
        ({"next_tier_feature_adoption": 0.7}, 30),
        ({"active_user_growth_60d": 0.2}, 25),
        ({"headcount_growth_90d": 0.1}, 20),
        ({"funding_event_days_ago": 90}, 20),
        ({"funding_event_days_ago": 91}, 0),
        ({"new_department_users_30d": 3}, 25),
        ({"cross_sell_intent_7d": 1}, 30),
        ({"champion_promoted_90d": True}, 20),
        ({"champion_promoted_90d": False}, 0),
        ({"champion_promoted_90d": "TRUE"}, 20),
        ({"usage_trend_90d": 0.15}, 30),
        ({"health_score": 75, "tenure_months": 6}, 15),
        ({"health_score": 75}, 0),  # AND-ed rule: tenure missing = no signal
        ({"seats_active": 46, "seats_licensed": 50}, 40),  # utilization derived: 92 %
        ({"seat_utilization": None, "seats_active": 42, "seats_licensed": 50}, 25),
        ({"seats_active": 46, "seats_licensed": 0}, 0),  # no licensed seats: no signal
    ],
)
def test_each_default_rule(signals, score):
    assert one_score(**signals) == score


def test_score_is_capped_at_100():
    everything = dict(
        usage_vs_cap=1.2, seat_utilization=1.0, pricing_page_visits_30d=4,
        gated_feature_requests_90d=5, cross_sell_intent_7d=2, usage_trend_90d=0.5,
    )
    assert one_score(**everything) == 100.0


def test_headers_match_case_spacing_and_aliases():
    table = [["Account ID", "Usage-vs-Cap", "Pricing Page Visits"], ["a1", "95%", 2]]
    assert cell("EXPANSION_SCORE", table) == 80.0


# --------------------------------------------------------------------------- primary motion


@pytest.mark.parametrize(
    ("signals", "motion"),
    [
        ({"active_user_growth_60d": 0.3, "usage_vs_cap": 0.85}, "Seat expansion"),  # 25 v 25
        ({"pricing_page_visits_30d": 1, "cross_sell_intent_7d": 1}, "Tier upgrade"),  # 30 v 30
        ({"usage_trend_90d": 0.2, "cross_sell_intent_7d": 1}, "Usage expansion"),  # 30 v 30
        ({"new_department_users_30d": 4, "champion_promoted_90d": True}, "Cross-department"),
        ({"seat_utilization": 0.95, "pricing_page_visits_30d": 1, "health_score": 80,
          "tenure_months": 12}, "Seat expansion"),  # strongest rule 40 v 30 (the 15 only adds up)
        ({"pricing_page_visits_30d": 1, "health_score": 80, "tenure_months": 12,
          "cross_sell_intent_7d": 1}, "Tier upgrade"),  # 30 v 30: the sums decide, 45 v 30
        ({"pricing_page_visits_30d": 1, "cross_sell_intent_7d": 1,
          "champion_promoted_90d": True}, "Cross-sell"),  # 30 v 30: sums 30 v 50
        ({"champion_promoted_90d": True}, "Cross-sell"),
        ({"champion_left_90d": True, "usage_trend_90d": -0.3}, ""),  # risk rules: no motion
    ],
)
def test_primary_motion_most_evidence_ties_by_sum_then_first_listed(signals, motion):
    head, row = list(signals), list(signals.values())
    assert cell("EXPANSION_MOTION", [head, row]) == motion


def test_the_primary_motion_of_whole_points_is_that_of_the_same_points_as_fractions():
    """primary() keys whole points (the usual Rules table) as one packed integer; it must
    pick what the plain comparison of (evidence, support) picks, negative points and ties
    included (ties to the motion listed first)."""
    from types import SimpleNamespace

    from udfs.scoring.evidence import primary

    rng = np.random.default_rng(7)
    for small in (False, True):  # wide values, then values 0-2 (ties everywhere)
        high = 3 if small else 80
        evidence = rng.integers(0 if small else -40, high, (5, 5000)).astype(np.int16)
        support = rng.integers(0 if small else -60, high, (5, 5000)).astype(np.int32)
        fired = rng.random((5, 5000)) < 0.5
        whole = SimpleNamespace(n=5000, evidence=evidence, support=support, motion_fired=fired)
        floats = SimpleNamespace(n=5000, evidence=evidence.astype(float), support=support.astype(float),
                                 motion_fired=fired)
        best = primary(whole)
        assert best.tolist() == primary(floats).tolist()
        assert (best == -1).tolist() == (~fired.any(axis=0)).tolist()


def test_no_rule_fired_gives_a_blank_motion():
    assert cell("EXPANSION_MOTION", [["usage_vs_cap"], [0.2]]) == ""
    assert udfs.expansion_motion({"usage_vs_cap": 0.2}) == ""


# --------------------------------------------------------------------------- reasons


def test_reasons_sentence_of_the_spec():
    table = [["seat_utilization", "pricing_page_visits_30d"], [0.92, 2]]
    assert cell("EXPANSION_REASONS", table) == "seat utilization 92% ≥ 90% (+40); 2 pricing page visits (+30)"


def test_reasons_show_fractions_counts_money_and_bands():
    reasons = udfs.expansion_reasons(
        {"usage_vs_cap": 0.85, "pricing_page_visits_30d": 1, "funding_event_days_ago": 30,
         "headcount_growth_90d": 0.12, "champion_promoted_90d": True}
    )
    assert "usage at 85% of cap ≥ 80% and < 90% (+25)" in reasons
    assert "1 pricing page visit (+30)" in reasons
    assert "funding round 30 days ago ≤ 90 (+20)" in reasons
    assert "headcount +12% in 90 days ≥ 10% (+20)" in reasons
    assert "champion promoted (+20)" in reasons
    assert udfs.expansion_reasons({"usage_vs_cap": 0.1}) == "no expansion signal"


def test_bad_cells_are_kept_scored_on_good_cells_and_named_by_row():
    table = [
        ["account_id", "seat_utilization", "pricing_page_visits_30d", "seats_active"],
        ["a1", 0.95, 1, 10],
        ["a2", "n/a", 1, 10],
        ["a3", 0.95, excel_error("#N/A"), 10],
        ["a4", 0.95, 1, -3],
        ["a5", 0.95, True, 10],
    ]
    assert call_udf("EXPANSION_SCORE", table) == [[70.0], [30.0], [40.0], [70.0], [40.0]]
    reasons = [r[0] for r in call_udf("EXPANSION_REASONS", table)]
    assert "row" not in reasons[0]
    assert reasons[1].endswith("row 3: seat_utilization 'n/a' is not a number")
    assert reasons[2].endswith("row 4: pricing_page_visits_30d is the Excel error #N/A")
    assert reasons[3].endswith("row 5: seats_active -3 is negative")
    assert reasons[4].endswith("row 6: pricing_page_visits_30d TRUE is not a number")


# --------------------------------------------------------------------------- SCORE_ACCOUNTS


def test_score_accounts_columns_one_row_per_account_sorted_by_expected_value():
    rows = [
        ["small", 10_000, "SMB", 0.95, 1],  # Tier upgrade: 4,000 × 0.325 = 1,300
        ["big", 100_000, "Enterprise", 0.95, 1],  # 40,000 × 0.325 = 13,000
        ["quiet", 500_000, "Enterprise", 0.1, 0],  # nothing fired
        ["mid", 50_000, "Mid-market", 0.95, 0],  # 50 points: ready, 6,500
        ["near", 900_000, "Mid-market", 0.85, 0],  # 25 points: Nurture
    ]
    queue = score_table(rows)
    assert [r["account_id"] for r in queue] == ["big", "mid", "small", "near", "quiet"]
    big, mid, small, near, quiet = queue
    assert big["expected_arr_increase"] == pytest.approx(40_000)
    assert big["close_rate"] == pytest.approx(0.325)
    assert big["expected_value"] == pytest.approx(13_000)
    assert (big["owner"], big["due_in_days"], big["play"]) == ("Expansion AE", 70, "Tier upgrade")
    assert (mid["owner"], mid["due_in_days"]) == ("Expansion AE", 56)
    assert (small["owner"], small["due_in_days"], small["expected_value"]) == ("CSM", 28, pytest.approx(1300))
    assert big["ready"] is True and near["ready"] is False
    assert (near["play"], near["owner"], near["expected_value"], near["expansion_score"]) == ("Nurture", "", 0, 25)
    assert (quiet["primary_motion"], quiet["motions"], quiet["reasons"]) == ("", "", "no expansion signal")


def test_ties_in_expected_value_sort_by_score_then_account_id():
    head = ["account_id", "usage_vs_cap", "pricing_page_visits_30d"]
    rows = [["b", 0.95, 0], ["c", 0.95, 1], ["a", 0.95, 0]]  # no arr: expected value 0
    assert [r["account_id"] for r in score_table(rows, head)] == ["c", "a", "b"]


def test_the_play_is_the_primary_motion_others_travel_as_context():
    head = ["account_id", "arr", "seat_utilization", "pricing_page_visits_30d", "cross_sell_intent_7d"]
    (row,) = score_table([["a1", 100_000, 0.95, 1, 1]], head)
    # strongest evidence: seats 40 v 30 v 30, although Cross-sell has the best value per $
    assert row["play"] == row["primary_motion"] == "Seat expansion"
    assert row["motions"] == "Seat expansion; Tier upgrade; Cross-sell"
    assert row["expected_value"] == pytest.approx(100_000 * 0.15 * 0.50)
    assert (row["owner"], row["due_in_days"]) == ("CSM + Expansion AE", 21)
    assert row["reasons"].startswith("seat utilization 95% ≥ 90% (+40)")


def test_routing_by_value_is_an_option_and_the_reasons_say_why():
    head = ["account_id", "arr", "seat_utilization", "pricing_page_visits_30d", "cross_sell_intent_7d"]
    out = call_udf("SCORE_ACCOUNTS", [head, ["a1", 100_000, 0.95, 1, 1]], None, None, None, None, None, "value")
    row = dict(zip(out[0], out[1], strict=True))
    # Seat 15 %×0.50 = 0.075, Tier 40 %×0.325 = 0.13, Cross-sell 100 %×0.20 = 0.20 per $ ARR
    assert (row["play"], row["primary_motion"]) == ("Cross-sell", "Seat expansion")
    assert row["expected_value"] == pytest.approx(20_000)
    assert (row["owner"], row["due_in_days"]) == ("Expansion AE", 75)  # no segment: cycle_days
    assert row["reasons"].startswith("play Cross-sell by expected value; strongest evidence Seat expansion")
    with pytest.raises(ValueError, match=r"^routing: expected one of evidence, value, got 'ev'$"):
        call_udf("SCORE_ACCOUNTS", [head, ["a1", 100_000, 0.95, 1, 1]], None, None, None, None, None, "ev")


@pytest.mark.parametrize(
    ("signals", "segment", "play", "due"),
    [
        ({"seat_utilization": 0.95, "active_user_growth_60d": 0.3}, "SMB", "Seat expansion", 21),
        ({"usage_vs_cap": 0.95}, "SMB", "Tier upgrade", 28),
        ({"usage_vs_cap": 0.95}, "Mid-market", "Tier upgrade", 56),
        ({"usage_vs_cap": 0.95}, "Enterprise", "Tier upgrade", 70),
        ({"usage_trend_90d": 0.3, "seat_utilization": 0.85}, "Enterprise", "Usage expansion", 14),
        (DEPARTMENTS, "SMB", "Cross-department", 75),
        (CROSS_SELL, "SMB", "Cross-sell", 60),
        (CROSS_SELL, "Mid-market", "Cross-sell", 75),
        (CROSS_SELL, "enterprise", "Cross-sell", 120),
    ],
)
def test_due_days_per_motion_and_segment(signals, segment, play, due):
    head = ["account_id", "arr", "segment", *signals]
    (row,) = score_table([["a1", 50_000, segment, *signals.values()]], head)
    assert (row["play"], row["due_in_days"]) == (play, due)


@pytest.mark.parametrize(
    ("signals", "arr", "owner"),
    [
        ({"seat_utilization": 0.95, "active_user_growth_60d": 0.3}, 24_999, "CSM"),
        ({"seat_utilization": 0.95, "active_user_growth_60d": 0.3}, 25_000, "CSM + Expansion AE"),
        ({"usage_vs_cap": 0.95}, 24_999, "CSM"),  # increase 9,999.6 < 10,000
        ({"usage_vs_cap": 0.95}, 25_000, "Expansion AE"),  # increase 10,000
        ({"usage_trend_90d": 0.3, "seat_utilization": 0.85}, 24_999, "Self-serve"),
        ({"usage_trend_90d": 0.3, "seat_utilization": 0.85}, 25_000, "CSM"),  # increase 5,000
        (DEPARTMENTS, 1_000, "Expansion AE"),
        (CROSS_SELL, 1_000, "Expansion AE"),
    ],
)
def test_owner_thresholds_of_spec_4(signals, arr, owner):
    head = ["account_id", "arr", *signals]
    (row,) = score_table([["a1", arr, *signals.values()]], head)
    assert row["owner"] == owner


def test_gates_keep_score_and_reasons_but_no_play_owner_or_value():
    head = ["account_id", "arr", "usage_vs_cap", "pricing_page_visits_30d", "health_score", "tenure_months"]
    rows = [
        ["sick", 100_000, 0.95, 2, 35, 24],
        ["new", 100_000, 0.95, 2, 80, 2],
        ["both", 100_000, 0.95, 2, 20, 1],
        ["ok", 100_000, 0.95, 2, 40, 4],  # exactly at the gates: not gated
    ]
    queue = {r["account_id"]: r for r in score_table(rows, head)}
    assert queue["ok"]["ready"] is True and queue["ok"]["play"] == "Tier upgrade"
    for name, play in (("sick", "Fix adoption first"), ("new", "Too early"), ("both", "Fix adoption first")):
        row = queue[name]
        assert row["play"] == play
        assert row["ready"] is False
        assert row["expansion_score"] == 80.0
        assert (row["owner"], row["expected_value"], row["due_in_days"]) == ("", 0.0, "")
        assert row["primary_motion"] == "Tier upgrade"
        assert row["reasons"].startswith(play)
        assert "usage at 95% of cap ≥ 90% (+50)" in row["reasons"]
    assert "Fix adoption first: health score 20 < 40; Too early: tenure 1 month < 4" in queue["both"]["reasons"]


def test_bad_rows_are_kept_and_named_nothing_dropped():
    head = ["account_id", "arr", "seat_utilization", "pricing_page_visits_30d", "segment"]
    rows = [
        ["a1", 50_000, 0.95, 1, "SMB"],
        ["a2", "lots", 0.95, 1, "SMB"],
        ["a1", 50_000, excel_error("#DIV/0!"), 1, "SMB"],
        [None, 50_000, 0.95, -2, "Startup"],
        ["a5", 50_000, 0.95, 1, "SMB"],
    ]
    queue = score_table(rows, head)
    assert len(queue) == 5
    reasons = " | ".join(r["reasons"] for r in queue)
    assert "row 3: arr 'lots' is not a number" in reasons
    assert "row 4: seat_utilization is the Excel error #DIV/0!" in reasons
    assert "row 4: account_id 'a1' repeats row 2" in reasons
    assert "row 5: account_id is blank" in reasons
    assert "row 5: pricing_page_visits_30d -2 is negative" in reasons
    assert "row 5: segment 'Startup' is not one of SMB, Mid-market, Enterprise" in reasons
    blank_id = queue[-1]  # kept as 'Not scored', sorted last (one row in, one row out)
    assert (blank_id["account_id"], blank_id["play"], blank_id["expansion_score"]) == ("", "Not scored", "")
    assert blank_id["reasons"].startswith("Not scored: no account_id")


def test_missing_optional_columns_are_no_signal():
    (row,) = score_table([["only"]], ["account_id"])
    assert (row["expansion_score"], row["play"], row["ready"]) == (0.0, "Nurture", False)


def test_custom_rules_and_plays_tables_from_excel():
    rules = [["rule", "signal", "op", "threshold", "points", "motion"],
             ["hot_usage", "usage_vs_cap", "≥", 0.5, 60, "Usage expansion"]]
    plays = udfs.default_plays().reset_index(drop=True)
    plays.loc[plays["motion"] == "Usage expansion", "close_rate"] = 0.9
    plays_range = [list(plays.columns)] + plays.astype(object).where(plays.notna(), None).values.tolist()
    head = ["account_id", "arr", "usage_vs_cap"]
    (row,) = score_table([["a1", 10_000, 0.6]], head, rules, plays_range)
    assert (row["expansion_score"], row["play"], row["close_rate"]) == (60.0, "Usage expansion", 0.9)
    assert row["expected_value"] == pytest.approx(10_000 * 0.2 * 0.9)


# --------------------------------------------------------------------------- cell functions


def test_seat_utilization_cell_column_and_row():
    assert cell("SEAT_UTILIZATION", 46, 50) == pytest.approx(0.92)
    assert call_udf("SEAT_UTILIZATION", [46, 65], [50, 50]) == [[pytest.approx(0.92)], [pytest.approx(1.3)]]
    assert call_udf("SEAT_UTILIZATION", [[46, 10]], [[50, 50]]) == [[pytest.approx(0.92), pytest.approx(0.2)]]
    assert call_udf("SEAT_UTILIZATION", [46, 10], 50) == [[pytest.approx(0.92)], [pytest.approx(0.2)]]


def test_expected_expansion_and_close_rate_per_motion():
    shares = {"Seat expansion": 0.15, "Tier upgrade": 0.40, "Usage expansion": 0.20,
              "Cross-department": 0.75, "Cross-sell": 1.00}
    rates = {"Seat expansion": 0.50, "Tier upgrade": 0.325, "Usage expansion": 0.60,
             "Cross-department": 0.25, "Cross-sell": 0.20}
    for motion in MOTIONS:
        assert cell("EXPECTED_EXPANSION", motion, 100_000) == pytest.approx(shares[motion] * 100_000)
        assert cell("CLOSE_RATE", motion) == rates[motion]
    assert call_udf("CLOSE_RATE", list(MOTIONS)) == [[rates[m]] for m in MOTIONS]
    assert cell("CLOSE_RATE", "tier UPGRADE") == 0.325


def test_expansion_owner_with_and_without_account_arr():
    assert cell("EXPANSION_OWNER", "Tier upgrade", 9_999) == "CSM"
    assert cell("EXPANSION_OWNER", "Tier upgrade", 10_000) == "Expansion AE"
    assert cell("EXPANSION_OWNER", "Usage expansion", 4_999) == "Self-serve"
    assert cell("EXPANSION_OWNER", "Usage expansion", 5_000) == "CSM"
    assert cell("EXPANSION_OWNER", "Seat expansion", 3_000, 24_999) == "CSM"
    assert cell("EXPANSION_OWNER", "Seat expansion", 3_000, 25_000) == "CSM + Expansion AE"
    assert cell("EXPANSION_OWNER", "Seat expansion", 3_750) == "CSM + Expansion AE"  # arr = 3,750 / 15 %
    assert cell("EXPANSION_OWNER", "Cross-sell", 1) == "Expansion AE"
    col = call_udf("EXPANSION_OWNER", ["Tier upgrade", None, "Cross-department"], [20_000, None, 5])
    assert col == [["Expansion AE"], [""], ["Expansion AE"]]


def test_play_due_date_from_excel_serial_is_written_as_a_date():
    # 46027 = 2026-01-05 in Excel's 1900 date system
    out = cell("PLAY_DUE_DATE", "Tier upgrade", 46027, "Enterprise")
    assert out["type"] == "FormattedNumber" and out["basicValue"] == 46027 + 70
    col = call_udf("PLAY_DUE_DATE", ["Seat expansion", "Cross-sell"], [46027, 46027], ["SMB", "SMB"])
    assert [c[0]["basicValue"] for c in col] == [46027 + 21, 46027 + 60]


def test_play_due_date_in_python_takes_dates_timestamps_and_text():
    start = dt.date(2026, 1, 5)
    assert udfs.play_due_date("Tier upgrade", start, "SMB") == dt.date(2026, 2, 2)
    assert udfs.play_due_date("Tier upgrade", pd.Timestamp(start)) == dt.date(2026, 3, 2)
    assert udfs.play_due_date("Cross-sell", "2026-01-05", "Enterprise") == dt.date(2026, 5, 5)
    assert udfs.play_due_date("Usage expansion", dt.datetime(2026, 1, 5, 17, 30)) == dt.date(2026, 1, 19)
    due = udfs.play_due_date(pd.Series(["Seat expansion", "Tier upgrade"]), pd.Series(pd.to_datetime(["2026-01-05"] * 2)))
    assert isinstance(due, pd.Series) and list(due) == [pd.Timestamp("2026-01-26"), pd.Timestamp("2026-03-02")]


# --------------------------------------------------------------------------- Python API


def test_python_dataframe_in_dataframe_and_series_out():
    frame = pd.DataFrame(
        {"account_id": ["x", "y"], "arr": [50_000, 10_000], "usage_vs_cap": [0.95, np.nan],
         "pricing_page_visits_30d": [1, 0]},
        index=[10, 20],
    )
    score = udfs.expansion_score(frame)
    assert isinstance(score, pd.Series) and score.index.tolist() == [10, 20]
    assert score.tolist() == [80.0, 0.0]
    motion = udfs.expansion_motion(frame)
    assert motion.tolist() == ["Tier upgrade", ""]
    queue = udfs.score_accounts(frame)
    assert isinstance(queue, pd.DataFrame) and tuple(queue.columns) == udfs.SCORE_COLUMNS
    assert queue["account_id"].tolist() == ["x", "y"]
    increase = udfs.expected_expansion(motion, frame["arr"])
    assert increase.tolist()[0] == pytest.approx(20_000) and np.isnan(increase.tolist()[1])
    owner = udfs.expansion_owner(motion, increase, frame["arr"])
    assert owner.tolist() == ["Expansion AE", ""]
    assert udfs.close_rate(np.array(["Cross-sell", "Seat expansion"])).tolist() == [0.2, 0.5]


def test_row_alone_equals_row_in_table_for_the_sample_book():
    book = udfs.sample_accounts(40, seed=3)
    scores = udfs.expansion_score(book)
    reasons = udfs.expansion_reasons(book)
    for i in (0, 7, 39):
        alone = book.iloc[i]
        assert udfs.expansion_score(alone) == scores.iloc[i]
        assert udfs.expansion_reasons(alone) == reasons.iloc[i]


# --------------------------------------------------------------------------- argument errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("SCORE_ACCOUNTS", [["arr"], [5]]), "accounts: expected a column 'account_id' in the header row"),
        (("SCORE_ACCOUNTS", "n/a"), "accounts: expected a table with a header row (or headers), got 'n/a'"),
        (("SCORE_ACCOUNTS", [["account_id", "ARR"]]), "accounts: expected at least one row of values below the header row"),
        (("SCORE_ACCOUNTS", [["account_id", "id"], ["a", "b"]]), "accounts: columns 'account_id' and 'id' both mean account_id"),
        (("EXPANSION_SCORE", [[0.9, 1]], [["usage_vs_cap"]]), "headers: expected 2 names (one per column of values), got 1"),
        (("CLOSE_RATE", "Upsell"), "motion: expected one of Seat expansion, Tier upgrade, Usage expansion, Cross-department, Cross-sell, got 'Upsell'"),
        (("CLOSE_RATE", ["Seat expansion", "Upsell"]), "motion: expected one of Seat expansion, Tier upgrade, Usage expansion, Cross-department, Cross-sell, got 'Upsell' (item 2)"),
        (("SEAT_UTILIZATION", "n/a", 5), "seats_active: expected a number, got 'n/a'"),
        (("SEAT_UTILIZATION", 5, 0), "seats_licensed: expected a number > 0, got 0"),
        (("EXPECTED_EXPANSION", "Tier upgrade", [1, 2], None), None),
        (("PLAY_DUE_DATE", "Tier upgrade", 46027, "Startup"), "segment: expected one of SMB, Mid-market, Enterprise, got 'Startup'"),
        (("PLAY_DUE_DATE", "Tier upgrade", "someday"), "trigger_date: expected a date from 1900-01-01 to 9999-12-31, got 'someday'"),
        (("EXPANSION_OWNER", ["Tier upgrade"] * 3, [1, 2]), "expected_arr_increase: expected 3 values (one per row of motion), got 2"),
    ],
)
def test_argument_errors_are_one_line_value_errors(args, message):
    if message is None:  # a column of ARR with one motion broadcasts
        assert call_udf(*args) == [[0.4], [0.8]]
        return
    with pytest.raises(ValueError) as info:
        call_udf(*args)
    assert type(info.value) is InputError
    assert str(info.value) == message


def test_bad_rules_and_plays_tables_name_the_argument():
    rules = [["rule", "signal", "op", "threshold", "points", "motion"], ["r", "usage_vs_cap", ">=", "high", 10, "Tier upgrade"]]
    with pytest.raises(ValueError, match=r"^rules row 2 threshold: expected a number, got 'high'$"):
        call_udf("EXPANSION_SCORE", [["usage_vs_cap"], [0.5]], None, rules)
    plays = [["motion", "arr_increase_share", "close_rate", "owner", "cycle_days"], ["Upsell", 0.1, 0.5, "CSM", 10]]
    with pytest.raises(ValueError, match=r"^plays motion: expected one of"):
        call_udf("CLOSE_RATE", "Tier upgrade", plays)


def test_a_zero_point_rule_still_names_its_motion():
    rules = [["rule", "signal", "op", "threshold", "points", "motion"],
             ["watch", "champion_promoted_90d", "=", 1, 0, "Cross-sell"],
             ["seats", "seat_utilization", ">=", 0.9, 10, "Seat expansion"]]
    table = [["champion_promoted_90d", "seat_utilization"], [True, 0.1], [False, 0.1], [True, 0.95]]
    assert call_udf("EXPANSION_MOTION", table, None, rules) == [["Cross-sell"], [""], ["Seat expansion"]]
    assert call_udf("EXPANSION_SCORE", table, None, rules) == [[0.0], [0.0], [10.0]]
    assert call_udf("EXPANSION_REASONS", table, None, rules)[0] == ["champion promoted (+0)"]


def test_fractional_points_are_exact():
    rules = [["rule", "signal", "op", "threshold", "points", "motion"],
             ["a", "usage_vs_cap", ">=", 0.5, 0.1, "Tier upgrade"],
             ["b", "seat_utilization", ">=", 0.5, 0.2, "Seat expansion"]]
    table = [["usage_vs_cap", "seat_utilization"], [0.6, 0.6]]
    assert cell("EXPANSION_SCORE", table, None, rules) == pytest.approx(0.3)
    assert cell("EXPANSION_MOTION", table, None, rules) == "Seat expansion"


def test_ready_account_without_arr_keeps_its_play_with_unknown_value():
    head = ["account_id", "arr", "usage_vs_cap", "cross_sell_intent_7d"]
    (row,) = score_table([["a1", None, 0.95, 2]], head)
    # a Tier upgrade's owner depends on the increase, unknown without arr: left blank
    assert (row["ready"], row["play"], row["owner"], row["slot"]) == (True, "Tier upgrade", "", "")
    assert (row["expected_arr_increase"], row["expected_value"], row["due_in_days"]) == ("", 0.0, 56)
    assert row["reasons"].endswith("no usable arr: expected ARR increase and value unknown")
