"""TRIGGER_BACKTEST against a plain transcription of SPEC §7 on random panels with gaps."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import udfs
from udfs.backtest import trigger as backtest

# --------------------------------------------------------------------------- SPEC §7, literally


def spec_backtest(rows, thresholds, k, w, min_lift=1.5, op=">="):
    """rows: list of (account, period, signal or None, expansion 0/1). Loops, no cleverness."""
    signal = {}
    expansion = set()
    for a, t, x, e in rows:
        signal[(a, t)] = x
        if e:
            expansion.add((a, t))
    periods = [t for _, t, _, _ in rows]
    FIRST, LAST = min(periods), max(periods)
    compare = {">=": lambda x, tau: x >= tau, "<=": lambda x, tau: x <= tau,
               ">": lambda x, tau: x > tau, "<": lambda x, tau: x < tau}[op]

    def present(a, t):
        return (a, t) in signal and signal[(a, t)] is not None

    def ratio(num, den):
        return num / den if den else math.nan

    out = []
    for tau in thresholds:

        def holds(a, t, tau=tau):
            # the comparison holds in each of the k periods t-k+1 .. t, all present
            for s in range(t - k + 1, t + 1):
                if not present(a, s) or not compare(signal[(a, s)], tau):
                    return False
            return True

        fires = []
        for (a, t) in signal:
            if holds(a, t) and not holds(a, t - 1):
                fires.append((a, t))
        true = pending = false = 0
        for a, t in fires:
            if any((a, e) in expansion for e in range(t + 1, min(t + w, LAST) + 1)):
                true += 1
            elif t + w > LAST and (a, LAST) in signal:
                pending += 1
            else:
                false += 1
        fpr = ratio(false, true + false)
        precision = ratio(true, true + false)
        observable = [(a, e) for (a, e) in expansion if e - w >= FIRST]
        unobservable = len(expansion) - len(observable)
        leads, preceded = [], 0
        for a, e in observable:
            earlier = [t for (b, t) in fires if b == a and e - w <= t < e]
            if earlier:
                leads.append(e - min(earlier))
            if any(holds(a, t) for t in range(e - w, e)):
                preceded += 1
        coverage = ratio(len(leads), len(observable))
        preceded = ratio(preceded, len(observable))
        median = statistics.median(leads) if leads else math.nan
        base_rows = [(a, t) for (a, t) in signal if t + w <= LAST]
        base_hits = [(a, t) for (a, t) in base_rows
                     if any((a, e) in expansion for e in range(t + 1, t + w + 1))]
        base_rate = ratio(len(base_hits), len(base_rows))
        lift = math.nan if math.isnan(precision) or math.isnan(base_rate) else ratio(precision, base_rate)
        gate = (not math.isnan(preceded) and not math.isnan(fpr)
                and preceded >= 0.40 and fpr < 0.50
                and (min_lift == 0 or (not math.isnan(lift) and lift >= min_lift)))
        out.append({
            "threshold": tau, "fires": len(fires), "true_fires": true, "pending": pending,
            "false_positive_rate": fpr, "precision": precision, "coverage": coverage,
            "preceded": preceded, "unobservable": unobservable, "median_lead": median,
            "base_rate": base_rate, "lift": lift, "passes_gate": gate,
        })
    return out


def random_panel(rng, n_accounts=6, n_periods=10, gap=0.2, blank=0.1, exp_rate=0.15):
    rows = []
    for a in range(n_accounts):
        for t in range(n_periods):
            if rng.random() < gap:
                continue
            x = None if rng.random() < blank else round(float(rng.choice([0.2, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.1])) + 0.0, 2)
            rows.append((f"acc{a}", t, x, int(rng.random() < exp_rate)))
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == pytest.approx(b)


def check(rows, thresholds, k, w, min_lift=None):
    expected = spec_backtest(rows, thresholds, k, w, 1.5 if min_lift is None else min_lift)
    ids = [r[0] for r in rows]
    per = [r[1] for r in rows]
    sig = [r[2] for r in rows]
    flags = [r[3] for r in rows]
    got = udfs.trigger_backtest(ids, per, sig, flags, thresholds, k, w, min_lift)
    assert list(got.columns) == list(backtest.BACKTEST_COLUMNS)
    for exp, (_, row) in zip(expected, got.iterrows(), strict=True):
        assert set(exp) == set(row.index)
        for col in got.columns:
            assert same(exp[col], row[col]), (col, exp, row.to_dict())
    return got


@pytest.mark.parametrize("seed", range(25))
def test_matches_spec_on_random_panels_with_gaps(seed):
    rng = np.random.default_rng(seed)
    rows = random_panel(rng, n_accounts=int(rng.integers(1, 8)), n_periods=int(rng.integers(1, 14)))
    thresholds = [0.1, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1, 2.0]
    rng.shuffle(thresholds)
    check(rows, thresholds, int(rng.integers(1, 4)), int(rng.integers(1, 5)),
          [None, 0, 1.2][seed % 3])


@pytest.mark.parametrize("seed", range(8))
def test_matches_spec_with_long_persistence_and_window(seed):
    """Persistence and windows past the engine's short-window scans take its other paths."""
    rng = np.random.default_rng(300 + seed)
    rows = random_panel(rng, n_accounts=4, n_periods=30, gap=0.05, blank=0.02, exp_rate=0.1)
    rows = [(a, t, None if x is None else max(x, 0.9) if rng.random() < 0.8 else x, e)
            for a, t, x, e in rows]  # long runs above 0.9
    check(rows, [0.5, 0.9, 0.95, 1.0], int(rng.integers(1, 12)), int(rng.integers(6, 14)))


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 3),  # account
            st.integers(-2, 9),  # period
            st.one_of(st.none(), st.sampled_from([0.0, 0.3, 0.6, 0.9, 1.2])),
            st.integers(0, 1),
        ),
        max_size=40,
        unique_by=lambda r: (r[0], r[1]),
    ),
    k=st.integers(1, 3),
    w=st.integers(1, 4),
)
def test_matches_spec_hypothesis(data, k, w):
    if not data:
        return
    rows = [(f"a{a}", t, x, e) for a, t, x, e in data]
    check(rows, [0.0, 0.3, 0.45, 0.6, 0.9, 1.2, 1.5], k, w)


@pytest.mark.parametrize("seed", range(8))
def test_full_curve_equals_single_threshold_backtests(seed):
    rng = np.random.default_rng(100 + seed)
    n = 40
    rows = []
    for a in range(n):
        for t in range(12):
            if rng.random() < 0.15:
                continue
            rows.append((f"A{a}", t, float(np.round(rng.random(), 2)), int(rng.random() < 0.1)))
    panel = pd.DataFrame(rows, columns=["account_id", "period", "usage_vs_cap", "expansion"])
    k, w = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    curve = udfs.backtest_curve(panel, "usage_vs_cap", persistence=k, window=w)
    assert curve["threshold"].is_monotonic_increasing
    for _, row in curve.sample(15, random_state=seed, replace=True).iterrows():
        one = udfs.backtest_single(panel, "usage_vs_cap", row["threshold"], k, w)
        for col in backtest.BACKTEST_COLUMNS:
            assert same(one[col], row[col]), (col, one, row.to_dict())
    # between candidates nothing changes: just above the largest there is no fire
    top = udfs.backtest_single(panel, "usage_vs_cap", curve["threshold"].max() + 1e-9, k, w)
    assert top["fires"] == 0


@pytest.mark.parametrize("seed", range(10))
def test_matches_spec_with_sparse_period_numbers(seed):
    """Far-apart period numbers (e.g. 100000·account + t) take the sort/search paths."""
    rng = np.random.default_rng(500 + seed)
    rows = random_panel(rng, n_accounts=5, n_periods=9)
    rows = [(a, int(a[3:]) * 100_000 + t - 7, x, e) for a, t, x, e in rows]
    check(rows, [0.5, 0.8, 0.85, 0.9, 1.0], int(rng.integers(1, 3)), int(rng.integers(1, 4)))


@pytest.mark.parametrize("seed", range(5))
def test_excel_path_matches_spec(seed):
    """The same through xlwings' runtime: columns of cells, blanks as None, thresholds a row."""
    from tests.conftest import call_udf

    rng = np.random.default_rng(900 + seed)
    rows = random_panel(rng, n_accounts=4, n_periods=8)
    thresholds = [0.5, 0.8, 0.9, 1.0]
    k, w = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    out = call_udf("TRIGGER_BACKTEST", [r[0] for r in rows], [r[1] for r in rows],
                   [r[2] for r in rows], [bool(r[3]) for r in rows], [thresholds], k, w)
    assert out[0] == list(backtest.BACKTEST_COLUMNS)
    for exp, got in zip(spec_backtest(rows, thresholds, k, w), out[1:], strict=True):
        for col, g in zip(out[0], got, strict=True):
            assert same(exp[col], None if g == "" else g), (col, exp, got)


@pytest.mark.parametrize("seed", range(12))
def test_rule_with_le_operator_second_condition_and_motion_matches_spec(seed):
    """A '≤' rule with a second condition, on a panel saying which motion expanded: swept
    by its own operator, the other condition held, only its motion's expansions counted."""
    rng = np.random.default_rng(700 + seed)
    records, spec_rows = [], []
    for a in range(int(rng.integers(2, 7))):
        for t in range(int(rng.integers(3, 12))):
            if rng.random() < 0.2:
                continue
            days = None if rng.random() < 0.1 else float(rng.choice([10, 30, 60, 90, 120, 200]))
            health = float(rng.choice([30, 60, 80]))
            motion = str(rng.choice(["", "", "", "Seat expansion", "Tier upgrade"]))
            records.append((f"A{a}", t, days, health, motion))
            held = days if health >= 50 else None  # the second condition, held as it is
            spec_rows.append((f"A{a}", t, held, int(motion == "Seat expansion")))
    panel = pd.DataFrame(records, columns=["account_id", "period", "funding_event_days_ago",
                                           "health_score", "expansion_motion"])
    rules = pd.DataFrame([
        ("recent_funding", "funding_event_days_ago", "<=", 90, 20, "Seat expansion"),
        ("recent_funding", "health_score", ">=", 50, None, None),
    ], columns=["rule", "signal", "op", "threshold", "points", "motion"])
    k, w = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    thresholds = [10.0, 30.0, 60.0, 90.0, 120.0, 200.0]
    got = udfs.backtest_curve(panel, "recent_funding", thresholds, k, w, rules=rules).set_index("threshold")
    for exp in spec_backtest(spec_rows, thresholds, k, w, op="<="):
        row = got.loc[exp["threshold"]]
        for col in ("fires", "true_fires", "pending", "false_positive_rate", "precision",
                    "coverage", "preceded", "unobservable", "median_lead", "base_rate", "lift",
                    "passes_gate"):
            assert same(exp[col], row[col]), (col, exp, row.to_dict())


# --------------------------------------------------------------------------- fast paths


def _reference_panel(codes, periods):
    """The sorted panel the engine works on, by a plain argsort (the engine's fast paths
    must give the same rows, periods, keys and order)."""
    codes, periods = np.asarray(codes, dtype=np.int64), np.asarray(periods, dtype=np.int64)
    order = np.argsort(codes * (2**33) + (periods - periods.min()), kind="stable")
    return codes[order], periods[order], order


@settings(max_examples=80, deadline=None)
@given(
    cells=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 11)), min_size=1, max_size=60,
                   unique=True),
    layout=st.sampled_from(["shuffled", "sorted", "by period", "far periods", "huge periods"]),
    seed=st.integers(0, 2**16),
)
def test_sorted_panel_equals_a_plain_argsort(cells, layout, seed):
    """_prepare's paths (already sorted, the dense grid, the sort; int32 or int64 arrays)
    give the rows of a plain argsort, with keys one apart exactly for consecutive periods."""
    from udfs.backtest import engine

    rng = np.random.default_rng(seed)
    cells = [cells[i] for i in rng.permutation(len(cells))]
    if layout == "sorted":
        cells.sort()
    elif layout == "by period":
        cells.sort(key=lambda c: (c[1], c[0]))
    codes = np.array([a for a, _ in cells])
    periods = np.array([t for _, t in cells], dtype=np.int64)
    if layout == "far periods":  # a key space too sparse for the grid: the sort path
        periods = periods * 1_000 + codes * 7
    elif layout == "huge periods":  # periods past int32: int64 arrays
        periods = periods + 2**40
    P = engine._prepare(codes, periods)
    acc, per, order = _reference_panel(codes, periods)
    assert P.acc.tolist() == acc.tolist()
    assert P.per.tolist() == per.tolist()
    assert P.order.tolist() == order.tolist()
    assert P.n_acc == codes.max() + 1
    step = np.diff(P.key.astype(np.int64))
    next_period = (acc[1:] == acc[:-1]) & (per[1:] == per[:-1] + 1)
    assert ((step == 1) == next_period).all() and (step > 0).all()
    assert (np.diff(P.key.astype(np.int64))[acc[1:] != acc[:-1]] > P.w).all()


@pytest.mark.parametrize("layout", ["shuffled", "by period", "far periods"])
def test_a_repeated_account_period_is_named_on_every_path(layout):
    codes = np.array([0, 1, 2, 1, 0])
    periods = np.array([5, 5, 6, 6, 5])  # account 0 twice at period 5 (items 1 and 5)
    if layout == "by period":
        codes, periods = codes[[0, 4, 1, 2, 3]], periods[[0, 4, 1, 2, 3]]
    elif layout == "far periods":
        periods = periods * 100_000
    from udfs.backtest import engine

    with pytest.raises(ValueError, match=r"account .* twice \(items \d and \d\)"):
        engine._prepare(codes, periods, np.array(["a", "b", "c"], dtype=object))


@pytest.mark.parametrize("seed", range(6))
def test_blocks_of_accounts_give_the_whole_panels_curve(seed, monkeypatch):
    """The curve summed over blocks of a few accounts equals the one of the whole panel
    (counts, candidates, medians), and the SPEC transcription."""
    from udfs.backtest import engine

    rng = np.random.default_rng(700 + seed)
    rows = random_panel(rng, n_accounts=9, n_periods=12)
    k, w = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    panel = pd.DataFrame(rows, columns=["account_id", "period", "usage_vs_cap", "expansion"])
    whole = udfs.backtest_curve(panel, "usage_vs_cap", persistence=k, window=w)
    monkeypatch.setattr(engine, "_ROWS_PER_BLOCK", int(rng.integers(1, 15)))
    assert len(engine._account_blocks(engine._prepare(np.arange(20) // 2, np.arange(20) % 2))) > 1
    blocked = udfs.backtest_curve(panel, "usage_vs_cap", persistence=k, window=w)
    pd.testing.assert_frame_equal(blocked, whole)
    check(rows, [0.5, 0.8, 0.85, 0.9, 1.0], k, w)
