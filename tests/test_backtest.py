"""Trigger backtests: UDFs through xlwings' runtime, planted answers, no lookahead, bootstrap."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf, excel_error, udf_meta
from udfs.backtest import engine as backtest_engine
from udfs.backtest import panel as backtest_panel
from udfs.backtest import trigger as backtest
from udfs.backtest import tuning as backtest_tuning
from udfs.core import playbook


@pytest.fixture(scope="module")
def history():
    return udfs.sample_history()


@pytest.fixture(autouse=True)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# =========================================================================== TRIGGER_FIRES


def test_trigger_fires_row_in_row_out():
    out = call_udf("TRIGGER_FIRES", [[0.5, 0.95, 0.96, None, 0.97, 0.2]], 0.9)
    assert out == [[False, True, False, False, True, False]]


def test_trigger_fires_column_in_column_out():
    out = call_udf("TRIGGER_FIRES", [0.5, 0.95, 0.96, None, 0.97], 0.9, 1)
    assert out == [[False], [True], [False], [False], [True]]


def test_trigger_fires_single_cell_and_first_period():
    assert call_udf("TRIGGER_FIRES", 0.95, 0.9) == [[True]]  # first period: did not hold before
    assert call_udf("TRIGGER_FIRES", 0.5, 0.9) == [[False]]


def test_trigger_fires_persistence_and_blank_breaks_the_run():
    out = call_udf("TRIGGER_FIRES", [[0.95, 0.96, 0.97, None, 0.95, 0.95]], 0.9, 2)
    assert out == [[False, True, False, False, False, True]]
    out = call_udf("TRIGGER_FIRES", [[0.95, 0.96, 0.97]], 0.9, 4)
    assert out == [[False, False, False]]


def test_trigger_fires_python_shapes():
    s = pd.Series([0.5, 0.95, np.nan], index=[10, 11, 12])
    out = udfs.trigger_fires(s, 0.9)
    assert isinstance(out, pd.Series) and out.index.tolist() == [10, 11, 12]
    assert out.tolist() == [False, True, False]
    assert udfs.trigger_fires(0.95, 0.9) is True
    assert udfs.trigger_fires(np.array([0.95, 0.95]), 0.9).tolist() == [True, False]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (([[0.5, excel_error("#N/A")]], 0.9), "signal_values"),
        (([[0.5, "n/a"]], 0.9), "signal_values"),
        (([[0.5, 0.9]], excel_error("#DIV/0!")), "threshold"),
        (([[0.5, 0.9]], "high"), "threshold"),
        (([[0.5, 0.9]], None), "threshold"),
        (([[0.5, 0.9]], 0.9, 0), "persistence"),
        (([[0.5, 0.9]], 0.9, -1), "persistence"),
        (([[0.5, 0.9]], 0.9, 1.5), "persistence"),
        (([[0.5, 0.9]], 0.9, "two"), "persistence"),
        (([[0.5, 0.9], [0.1, 0.2]], 0.9), "signal_values"),
    ],
)
def test_trigger_fires_bad_input_is_one_named_line(args, names):
    with pytest.raises(ValueError) as err:
        call_udf("TRIGGER_FIRES", *args)
    message = str(err.value)
    assert message.startswith(names + ":") and "\n" not in message


# =========================================================================== TRIGGER_BACKTEST

IDS = ["a", "a", "a", "a", "b", "b", "b"]
PER = [1, 2, 3, 4, 1, 3, 4]  # b misses period 2
SIG = [0.5, 0.92, 0.6, 0.95, 0.93, 0.95, None]
EXP = [0, 0, 1, 0, 0, 0, 1]


def test_trigger_backtest_excel_table():
    out = call_udf("TRIGGER_BACKTEST", IDS, PER, SIG, EXP, [[0.9, 0.94, 2.0]], None, 2)
    assert out[0] == list(backtest.BACKTEST_COLUMNS)
    # FIRST 1, LAST 4, window 2. Base rate: rows with t + 2 <= 4 are a1, a2, b1; a1 and a2
    # are followed by a's expansion at 3 -> 2/3.
    # τ 0.9: a fires at 2 (true: expansion 3) and 4 (pending: 4 + 2 > LAST, a seen at 4);
    # b fires at 1 (false: expansion 4 > 1 + 2) and at 3 (period 2 absent; true).
    # Both expansions observable (3 − 2 >= 1), covered at lead 1 and preceded.
    third, two_thirds = pytest.approx(1 / 3), pytest.approx(2 / 3)
    assert out[1] == [0.9, 4, 2, 1, third, two_thirds, 1.0, 1.0, 0, 1.0, two_thirds, 1.0, False]
    # τ 0.94: a fires at 4 (pending); b at 3 (true): FPR 0, precision 1, lift 1.5 -> passes
    assert out[2] == [0.94, 2, 1, 1, 0.0, 1.0, 0.5, 0.5, 0, 1.0, two_thirds, 1.5, True]
    # τ 2: no fire -> false positive rate, precision, lift and median lead blank, gate FALSE
    assert out[3] == [2.0, 0, 0, 0, "", "", 0.0, 0.0, 0, "", two_thirds, "", False]


def test_trigger_backtest_unsorted_rows_and_default_window():
    order = [6, 2, 0, 5, 3, 1, 4]
    out = call_udf(
        "TRIGGER_BACKTEST", [IDS[i] for i in order], [PER[i] for i in order],
        [SIG[i] for i in order], [EXP[i] for i in order], 0.9,
    )
    direct = udfs.trigger_backtest(IDS, PER, SIG, EXP, [0.9], 1, 3)
    assert out[1] == direct.iloc[0].tolist()


def test_trigger_backtest_no_expansions_gives_blank_coverage():
    out = call_udf("TRIGGER_BACKTEST", IDS, PER, SIG, [0] * 7, [0.9])
    row = dict(zip(out[0], out[1], strict=True))
    assert row["coverage"] == "" and row["median_lead"] == "" and row["passes_gate"] is False
    assert row["fires"] == 4 and row["false_positive_rate"] == 1.0


def test_trigger_backtest_gate_uses_playbook_constants():
    # one account: fires at 2, expansion at 3 -> preceded 1, FPR 0, base rate 1/5, lift 5
    args = (["x"] * 6, [1, 2, 3, 4, 5, 6], [0.5, 0.9, 0.5, 0.5, 0.5, 0.5], [0, 0, 1, 0, 0, 0], [0.9], 1, 1)
    out = udfs.trigger_backtest(*args)
    assert out[["preceded", "false_positive_rate", "base_rate", "lift"]].iloc[0].tolist() == [1.0, 0.0, 0.2, 5.0]
    assert out["passes_gate"].tolist() == [True]
    assert udfs.trigger_backtest(*args, min_lift=5.5)["passes_gate"].tolist() == [False]
    assert playbook.GATE_MIN_PRECEDED == 0.40 and playbook.GATE_MAX_FALSE_POSITIVE_RATE == 0.50
    assert playbook.GATE_MIN_LIFT == 1.5
    # the expansion at 2 with window 3 looks back before period 1: unobservable, so the
    # gate has no preceded share to judge and fails
    out = udfs.trigger_backtest(["x", "x"], [1, 2], [0.9, 0.9], [0, 1], [0.9])
    assert out[["unobservable", "passes_gate"]].iloc[0].tolist() == [1, False]
    assert math.isnan(out["preceded"].iloc[0])


def test_trigger_backtest_thresholds_keep_their_order_and_repeats():
    out = udfs.trigger_backtest(IDS, PER, SIG, EXP, [0.94, 0.9, 0.94])
    assert out["threshold"].tolist() == [0.94, 0.9, 0.94]
    assert out.iloc[0].tolist() == out.iloc[2].tolist()


def test_trigger_backtest_flags_accept_excel_spellings():
    flags = [False, "", True, None, "no", 0, "TRUE"]
    a = udfs.trigger_backtest(IDS, PER, SIG, flags, [0.9])
    b = udfs.trigger_backtest(IDS, PER, SIG, EXP, [0.9])
    assert a.equals(b)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({0: ["a", excel_error("#N/A")] + IDS[2:]}, "account_ids"),
        ({0: [None] + IDS[1:]}, "account_ids"),
        ({1: [1, "two"] + PER[2:]}, "periods"),
        ({1: [1, 2.5] + PER[2:]}, "periods"),
        ({1: [1, None] + PER[2:]}, "periods"),
        ({1: [1, excel_error("#REF!")] + PER[2:]}, "periods"),
        ({2: [0.5, "high"] + SIG[2:]}, "signal_values"),
        ({2: [0.5, excel_error("#VALUE!")] + SIG[2:]}, "signal_values"),
        ({3: [0, 2] + EXP[2:]}, "expansion_flags"),
        ({3: [0, "maybe"] + EXP[2:]}, "expansion_flags"),
        ({3: [0, excel_error("#N/A")] + EXP[2:]}, "expansion_flags"),
        ({4: [[0.9, "x"]]}, "thresholds"),
        ({4: [[0.9, None]]}, "thresholds"),
        ({4: excel_error("#NUM!")}, "thresholds"),
        ({5: 0}, "persistence"),
        ({5: -2}, "persistence"),
        ({6: 0}, "window"),
        ({6: "three"}, "window"),
        ({1: PER[:-1]}, "periods"),
        ({3: EXP + [0]}, "expansion_flags"),
        ({1: [1, 1] + PER[2:]}, "periods"),  # a repeated account-period
    ],
)
def test_trigger_backtest_bad_input_is_one_named_line(change, name):
    args = [IDS, PER, SIG, EXP, [[0.9]], None, None]
    for i, v in change.items():
        args[i] = v
    with pytest.raises(ValueError) as err:
        call_udf("TRIGGER_BACKTEST", *args)
    message = str(err.value)
    assert message.startswith(name + ":"), message
    assert "\n" not in message


def test_udf_help_and_examples():
    meta = udf_meta()
    for name in ("TRIGGER_FIRES", "TRIGGER_BACKTEST"):
        assert "Example: =" + name in meta[name]["description"]
        for p in meta[name]["parameters"]:
            assert p.get("description"), (name, p["name"])
    for name in backtest.__all__:
        assert hasattr(udfs, name)
    assert meta["TRIGGER_BACKTEST"]["parameters"][5].get("optional")


# =========================================================================== panels and rules


def test_planted_thresholds_are_recovered(history):
    for rule, signal in (("usage_at_cap", "usage_vs_cap"), ("seats_full", "seat_utilization"),
                         ("usage_growth", "usage_trend_90d")):
        planted, motion = udfs.PLANTED_TRIGGERS[signal]
        rec = udfs.recommend_threshold(history, rule)
        assert rec["motion"] == motion and rec["passes_gate"]
        assert abs(rec["threshold"] - planted) <= 0.02, (rule, rec["threshold"], planted)
    rec = udfs.recommend_threshold(history, "usage_vs_cap", motion="Tier upgrade")
    assert abs(rec["threshold"] - 0.87) <= 0.02


def test_recommend_thresholds_covers_every_rule(history):
    table = udfs.recommend_thresholds(history)
    rules = playbook.default_rules()
    motion_rules = rules.loc[rules["motion"].notna(), "rule"]  # risk rules are not backtested
    assert table["rule"].tolist() == list(dict.fromkeys(motion_rules))
    row = table.set_index("rule").loc["usage_at_cap"]
    assert abs(row["threshold"] - 0.87) <= 0.02 and row["passes_gate"]
    assert row["expected_value"] >= row["current_expected_value"]
    passing = table[table["passes_gate"]]
    assert (passing["coverage"] >= 0.40).all() and (passing["false_positive_rate"] < 0.50).all()
    assert table.loc[~table["passes_gate"], "threshold"].isna().all()


def test_recommendation_maximizes_value_under_the_gate(history):
    rec = udfs.recommend_threshold(history, "usage_at_cap", false_play_cost=500)
    curve = udfs.backtest_curve(history, "usage_at_cap")
    value = curve["true_fires"] * rec["close_rate"] * rec["deal_size"] - curve["false_fires"] * 500
    assert rec["expected_value"] == pytest.approx(value[curve["passes_gate"]].max())


def test_motion_backtests_one_row_per_rule_at_current_thresholds(history):
    table = udfs.motion_backtests(history, persistence={"usage_at_cap": 2})
    assert len(table) == 15
    row = table.set_index("rule").loc["usage_at_cap"]
    assert row["motion"] == "Tier upgrade" and row["persistence"] == 2
    direct = udfs.backtest_curve(history, "usage_vs_cap", [0.9], 2, motion="Tier upgrade").iloc[0]
    for col in ("fires", "true_fires", "coverage", "median_lead"):
        assert row[col] == direct[col]


def test_le_rule_is_swept_on_the_negated_signal(history):
    curve = udfs.backtest_curve(history, "funding", [30, 90, 180])
    neg = history.assign(neg_funding=-history["funding_event_days_ago"])
    direct = udfs.backtest_curve(neg, "neg_funding", [-180, -90, -30], motion="Seat expansion")
    assert curve["threshold"].tolist() == [30, 90, 180]
    cols = ["fires", "true_fires", "coverage", "covered"]
    assert curve[cols].to_numpy().tolist() == direct[cols].to_numpy()[::-1].tolist()


def test_and_rule_holds_other_conditions_fixed(history):
    curve = udfs.backtest_curve(history, "usage_near_cap", [0.8, 0.85])
    masked = history.assign(x=history["usage_vs_cap"].where(history["usage_vs_cap"] < 0.9))
    direct = udfs.backtest_curve(masked, "x", [0.8, 0.85], motion="Tier upgrade")
    assert curve.drop(columns="threshold").equals(direct.drop(columns="threshold"))


def test_strict_operators_are_exact():
    panel = pd.DataFrame({"account_id": ["a"] * 4 + ["b"] * 4, "period": [1, 2, 3, 4] * 2,
                          "usage_vs_cap": [0.5, 0.9, 0.95, 0.5, 0.5, 0.9, 0.9, 0.5],
                          "expansion_motion": ["", "", "Tier upgrade", "", "", "", "", ""]})
    rules = [list(playbook.RULE_COLUMNS), ["hot", "usage_vs_cap", ">", 0.9, 10, "Tier upgrade"],
             ["cold", "usage_vs_cap", "<", 0.9, 10, "Tier upgrade"]]
    table = udfs.motion_backtests(panel, rules=rules).set_index("rule")
    assert table.loc["hot", "fires"] == 1 and table.loc["hot", "true_fires"] == 0  # a at 3
    assert table.loc["cold", "fires"] == 4  # a at 1 and 4, b at 1 and 4
    ge = udfs.backtest_curve(panel, "usage_vs_cap", [0.9], motion="Tier upgrade")
    assert ge["fires"].iloc[0] == 2


def test_flag_rule_has_one_threshold(history):
    curve = udfs.backtest_curve(history, "champion_promoted")
    assert curve["threshold"].tolist() == [1.0]


def test_lead_times_match_curve(history):
    leads = udfs.lead_times(history, "usage_at_cap", 0.87)
    row = udfs.backtest_curve(history, "usage_at_cap", [0.87]).iloc[0]
    assert len(leads) == row["expansions"] and leads["covered"].sum() == row["covered"]
    assert leads.loc[leads["covered"], "lead"].median() == row["median_lead"]
    assert leads["lead"].dropna().between(1, 3).all()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda h: udfs.backtest_curve(h, "no_such_signal"), "signal"),
        (lambda h: udfs.backtest_curve(h.drop(columns="period"), "usage_vs_cap"), "panel"),
        (lambda h: udfs.backtest_curve(h, "usage_vs_cap", motion="Upsell"), "motion"),
        (lambda h: udfs.backtest_curve(h, "usage_vs_cap", window=0), "window"),
        (lambda h: udfs.backtest_curve(h, "usage_vs_cap", ["high"]), "thresholds"),
        (lambda h: udfs.backtest_curve(
            h.assign(usage_vs_cap=h["usage_vs_cap"].astype(object).where(h.index != 5, "n/a")),
            "usage_vs_cap"), "panel usage_vs_cap"),
        (lambda h: udfs.recommend_threshold(h, "usage_at_cap", false_play_cost=-1), "false_play_cost"),
        (lambda h: udfs.bootstrap_curve(h, "usage_at_cap", resamples=0), "resamples"),
        (lambda h: udfs.walk_forward(h, "usage_at_cap", splits=["x"]), "splits"),
    ],
)
def test_panel_functions_bad_input(history, call, name):
    with pytest.raises(ValueError) as err:
        call(history)
    assert str(err.value).startswith(name) and "\n" not in str(err.value)


def test_bad_panel_cell_names_the_row(history):
    bad = history.head(10).copy()
    bad["usage_vs_cap"] = bad["usage_vs_cap"].astype(object)
    bad.loc[4, "usage_vs_cap"] = "n/a"
    with pytest.raises(ValueError, match=r"panel usage_vs_cap: .*'n/a' \(row 6\)"):
        udfs.backtest_curve(bad, "usage_vs_cap")


# =========================================================================== walk-forward


def _mutate_after(panel: pd.DataFrame, split: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = panel.copy()
    late = out["period"] >= split
    n = int(late.sum())
    for col in udfs.HISTORY_SIGNALS:
        out.loc[late, col] = rng.permutation(out.loc[late, col].to_numpy())
    flip = rng.random(n) < 0.5
    out.loc[late, "expansion"] = np.where(flip, 1 - out.loc[late, "expansion"], out.loc[late, "expansion"])
    out.loc[late, "expansion_motion"] = rng.choice(list(playbook.MOTIONS), n)
    out.loc[late, "expansion_amount"] = rng.uniform(1, 1e6, n)
    return out


@pytest.mark.parametrize("signal", ["usage_at_cap", "seats_full", "funding"])
def test_walk_forward_has_no_lookahead(history, signal):
    splits = [10, 14, 18]
    base = udfs.walk_forward(history, signal, splits)
    for split in splits:
        for seed in range(3):
            mutated = _mutate_after(history, split, seed)
            again = udfs.walk_forward(mutated, signal, [split])
            before = base[base["split"] == split].iloc[0]
            for col in ("threshold", "train_fires", "train_true_fires",
                        "train_false_positive_rate", "train_coverage", "train_expected_value"):
                a, b = before[col], again.iloc[0][col]
                assert (pd.isna(a) and pd.isna(b)) or a == b, (signal, split, seed, col, a, b)


def test_walk_forward_recovers_planted_and_scores_later_periods(history):
    wf = udfs.walk_forward(history, "usage_at_cap", [12, 16])
    assert (abs(wf["threshold"] - 0.87) <= 0.02).all()
    row = wf.iloc[1]
    # test fires = fires (SPEC §7 on the full history) at periods >= split
    fires = 0
    for _, acc in history.sort_values("period").groupby("account_id"):
        full = pd.Series(np.nan, index=range(1, int(history["period"].max()) + 1))
        full[acc["period"].to_numpy()] = acc["usage_vs_cap"].to_numpy()
        flags = udfs.trigger_fires(full.to_numpy(), row["threshold"])
        fires += int(flags[full.index.to_numpy() >= 16].sum())
    assert row["test_fires"] == fires
    # test expansions: the Tier upgrade ones whose look-back (the rule's window, 4 periods
    # for a 70-day cycle) starts at the split or later; the others are unobservable there
    assert udfs.rule_window("Tier upgrade") == 4
    late = history[(history["period"] >= 16 + 4) & (history["expansion_motion"] == "Tier upgrade")]
    assert row["test_expansions"] == len(late)


def test_walk_forward_default_split_and_columns(history):
    wf = udfs.walk_forward(history, "usage_at_cap")
    assert len(wf) == 1 and wf["split"].iloc[0] == 17
    assert list(wf.columns)[:2] == ["split", "threshold"]


# =========================================================================== bootstrap


def test_bootstrap_is_reproducible_by_seed(history):
    a = udfs.bootstrap_curve(history, "usage_at_cap", [0.8, 0.87, 0.9], resamples=100, seed=3)
    b = udfs.bootstrap_curve(history, "usage_at_cap", [0.8, 0.87, 0.9], resamples=100, seed=3)
    c = udfs.bootstrap_curve(history, "usage_at_cap", [0.8, 0.87, 0.9], resamples=100, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    point = udfs.backtest_curve(history, "usage_at_cap", [0.8, 0.87, 0.9])
    assert a["fires"].tolist() == point["fires"].tolist()
    assert np.allclose(a["coverage"], point["coverage"])
    assert (a["coverage_low"] <= a["coverage_high"]).all()
    assert (a["false_positive_rate_low"] <= a["false_positive_rate"] + 1e-12).all()
    assert a.set_index("threshold").loc[0.87, "gate_probability"] > 0.9


def test_bootstrap_weights_equal_a_rebuilt_resample(history):
    """A resample as account multiplicities gives the counts of the rebuilt panel."""
    panel = history[history["account_id"].isin(history["account_id"].unique()[:40])]
    data = backtest_panel._data(panel)
    sig = backtest_panel._resolve(data, "usage_at_cap", None)
    y = backtest_panel._expansions(data, "Tier upgrade")
    m, p = backtest_engine._window_min(data.P, sig.values, 2)
    thr = np.array([0.8, 0.85, 0.87, 0.9, 0.95])
    per_account = backtest_engine._counts(data.P, m, p, backtest_engine._truth(data.P, y, 3), y, thr, 3,
                                   by_account=True, **backtest._scope(data.P))
    rng = np.random.default_rng(11)
    mult = rng.multinomial(data.P.n_acc, np.full(data.P.n_acc, 1 / data.P.n_acc))
    copies = []
    for code, count in enumerate(mult):
        acc = panel[panel["account_id"] == data.labels[code]]
        for c in range(count):
            copies.append(acc.assign(account_id=f"{data.labels[code]}#{c}"))
    rebuilt = pd.concat(copies, ignore_index=True)
    direct = udfs.backtest_curve(rebuilt, "usage_at_cap", thr, 2, 3)
    assert (mult @ per_account.fires).tolist() == direct["fires"].tolist()
    assert (mult @ per_account.true_fires).tolist() == direct["true_fires"].tolist()
    assert (mult @ per_account.at_least[0]).tolist() == direct["covered"].tolist()
    lead = backtest_engine._median_lead(np.stack([mult @ per_account.at_least[j] for j in range(3)]))
    assert np.allclose(lead, direct["median_lead"], equal_nan=True)


# =========================================================================== calibration


def test_calibrated_points_match_or_beat_defaults(history):
    for k in (50, 100, 200):
        result = udfs.compare_points(history, k=k)
        assert result["precision_calibrated"] >= result["precision_default"], result
        assert 0 <= result["precision_default"] <= 1 and result["rows"] > k
    points = result["points"]
    assert points["points"].between(0, 100).all()
    assert points["points"].sum() == pytest.approx(100, abs=0.5)
    top = points.set_index("rule")["points"]
    assert top["usage_at_cap"] > top["funding"]


def test_calibration_points_from_training_only(history):
    a = udfs.calibrate_points(history, split=14)
    b = udfs.calibrate_points(_mutate_after(history, 14, 0), split=14)
    pd.testing.assert_frame_equal(a, b)


def test_logistic_fit_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(20000, 3)).astype(float)
    beta = np.array([-1.0, 2.0, 0.0, -0.5])
    p = 1 / (1 + np.exp(-(beta[0] + X @ beta[1:])))
    y = (rng.random(20000) < p).astype(float)
    fit = backtest_tuning._fit_logistic(X, y, l2=0.0)
    assert np.allclose(fit, beta, atol=0.1)


def test_precision_at_k_counts_ties_fairly():
    score = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    hit = np.array([1, 1, 0, 0, 1])
    assert backtest_tuning._precision_at_k(score, hit, 2) == pytest.approx((1 + 1 / 3) / 2)
    assert math.isnan(backtest_tuning._precision_at_k(np.zeros(0), np.zeros(0), 3))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"thresholds": [0.9, float("nan")]}, "thresholds"),
        ({"periods": [1, 2, 3, 4, 1, float("nan"), 4]}, "periods"),
        ({"account_ids": pd.Series(["a", "a", None, "a", "b", "b", "b"])}, "account_ids"),
        ({"signal_values": [0.5, np.inf, 0.6, 0.95, 0.93, 0.95, None]}, "signal_values"),
        ({"persistence": float("nan")}, "persistence"),
        ({"window": -1}, "window"),
    ],
)
def test_python_bad_input_is_one_named_line(kwargs, name):
    args = {"account_ids": IDS, "periods": PER, "signal_values": SIG, "expansion_flags": EXP,
            "thresholds": [0.9]}
    args.update(kwargs)
    with pytest.raises(ValueError) as err:
        udfs.trigger_backtest(**args)
    assert str(err.value).startswith(name + ":") and "\n" not in str(err.value)


def test_python_signal_nan_is_not_present():
    a = udfs.trigger_backtest(IDS, PER, [np.nan if v is None else v for v in SIG], EXP, [0.9])
    assert a.equals(udfs.trigger_backtest(IDS, PER, SIG, EXP, [0.9]))


# =========================================================================== bounds


@pytest.mark.parametrize(("change", "name", "words"), [
    ({6: 10**9}, "window", "from 1 to 366"),
    ({5: 10**9}, "persistence", "from 1 to 366"),
    ({1: [1, 2, 3, 4, 1, 3, 10**12]}, "periods", "at most 10,000,000 apart"),
    ({4: [list(np.linspace(0, 1, 100_001))]}, "thresholds", "at most 100,000 thresholds"),
])
def test_trigger_backtest_bounds_are_named_errors_not_hangs(change, name, words):
    args = [IDS, PER, SIG, EXP, [[0.9]], None, None]
    for i, v in change.items():
        args[i] = v
    with pytest.raises(ValueError) as err:
        udfs.trigger_backtest(*args)
    message = str(err.value)
    assert message.startswith(name + ":") and words in message and "\n" not in message


def test_a_window_longer_than_the_panel_is_the_panel():
    """Any window past LAST − FIRST + 1 gives the same result: the engine caps it."""
    a = udfs.trigger_backtest(IDS, PER, SIG, EXP, [0.9, 0.94], 1, 4)
    b = udfs.trigger_backtest(IDS, PER, SIG, EXP, [0.9, 0.94], 1, 366)
    pd.testing.assert_frame_equal(a, b)


def test_walk_forward_training_counts_a_fire_near_the_split_as_pending():
    """Training sees periods before the split only: a fire whose window reaches past it is
    pending there (its outcome is not visible yet), never false."""
    panel = pd.DataFrame({
        "account_id": ["a"] * 8 + ["b"] * 8,
        "period": list(range(1, 9)) * 2,
        "usage_vs_cap": [0.5, 0.95, 0.5, 0.5, 0.5, 0.95, 0.5, 0.5] * 2,
        "expansion": [0, 0, 1, 0, 0, 0, 1, 0] * 2,
    })
    wf = udfs.walk_forward(panel, "usage_vs_cap", [7], window=2, thresholds=[0.9], min_lift=0)
    row = wf.iloc[0]
    # training = periods 1-6: the fires at 2 are true, the fires at 6 are pending (6 + 2 > 6)
    assert (row["train_fires"], row["train_true_fires"], row["train_pending"]) == (4, 2, 2)
    assert row["train_false_positive_rate"] == 0.0


def test_a_motion_column_that_names_no_motion_counts_every_expansion(history):
    """A panel with only an expansion flag (``load_history`` then adds a blank
    expansion_motion; the signals command writes one) does not say which motion expanded:
    every expansion counts for every rule, as if the column were absent, in a rule's
    backtest and in the queue replay."""
    flags_only = history.drop(columns=["expansion_motion"])
    blank = flags_only.assign(expansion_motion="")
    loaded, problems = udfs.load_history(flags_only)
    assert len(problems) == 0 and (loaded["expansion_motion"] == "").all()
    for panel in (blank, loaded):
        got, want = (udfs.recommend_thresholds(panel), udfs.recommend_thresholds(flags_only))
        assert want["threshold"].notna().sum() >= 2
        pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(udfs.compare_queues(blank), udfs.compare_queues(flags_only))
    # one named motion is enough for the column to say: blanks are then no motion's
    named = blank.copy()
    named.loc[named["expansion"] == 1, "expansion_motion"] = "Tier upgrade"
    assert udfs.backtest_single(named, "seats_full", 0.9)["base_rate"] == 0.0
