"""Trigger backtest: 1,000 thresholds over 10,000,000 account-periods in one pass.

Target (issues 11 and 16): ≤ 2 s for 100,000 accounts × 100 periods (text account ids as
a CSV gives them: object strings, gaps, blank signals) × 1,000 thresholds, parsing
included, **on the first call in a fresh process** (measured in new processes that read
the panel from a pickle: the first process's call and the best of several, each with the
load), and warm in this process; against looping the single-threshold backtest over the
same thresholds in the same run. The loop is timed on a subset of the thresholds and
scaled to 1,000 (its panel is parsed once and not timed, which favours the baseline).
Rows come sorted by period, then account, as an export often is. Wall-clock and CPU
seconds are both printed: on a shared machine the wall clock includes waiting for a core.

    .venv/bin/python bench/bench_backtest.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import udfs  # noqa: E402
from udfs.backtest import engine as backtest_engine
from udfs.backtest import panel as backtest_panel
from udfs.backtest import trigger as backtest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import fresh, load, summary  # noqa: E402

ACCOUNTS, PERIODS, THRESHOLDS, LOOPED = 100_000, 100, 1_000, 10
PERSISTENCE, WINDOW = 2, 3
FRESH_RUNS = 4  # fresh processes for the first call
TARGET = 2.0


def panel(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = ACCOUNTS * PERIODS
    level = rng.uniform(0.3, 0.95, ACCOUNTS).astype(np.float32)
    signal = np.repeat(level, PERIODS) + rng.normal(0, 0.08, n).astype(np.float32)
    signal = np.clip(signal, 0, 1.4).round(3).astype(float)
    signal[rng.random(n) < 0.02] = np.nan  # blanks
    ids = pd.Categorical.from_codes(np.repeat(np.arange(ACCOUNTS), PERIODS),
                                    [f"ACC-{i:06d}" for i in range(1, ACCOUNTS + 1)])
    frame = pd.DataFrame({
        "account_id": ids,
        "period": np.tile(np.arange(1, PERIODS + 1), ACCOUNTS),
        "usage_vs_cap": signal,
        "expansion": (rng.random(n) < 0.02 + 0.08 * (signal > 0.9)).astype(np.int8),
    })
    keep = rng.random(n) > 0.01  # gaps
    # an export sorted by period, then account (the engine sorts it by account and period)
    order = np.lexsort((np.repeat(np.arange(ACCOUNTS), PERIODS), frame["period"].to_numpy()))
    frame = frame.iloc[order[keep[order]]].reset_index(drop=True)
    frame["account_id"] = frame["account_id"].astype(object)  # text ids, as read from a file
    return frame


def best_of(fn, repeat=3):
    """Best wall-clock and CPU seconds of a few runs (CPU: this process only; the machine is
    shared, so the wall clock also counts time spent waiting for a core)."""
    best, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return best, cpu, out


def main() -> int:
    frame = panel()
    thresholds = np.linspace(0.3, 1.2, THRESHOLDS)
    rows = len(frame)
    print(f"panel: {rows:,} account-periods ({ACCOUNTS:,} accounts × {PERIODS} periods, text "
          f"ids, 1% gaps, 2% blanks), {THRESHOLDS:,} thresholds, persistence {PERSISTENCE}, "
          f"window {WINDOW}")

    print(load())
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "panel.pkl")
        frame.to_pickle(path)
        setup = ("import numpy as np, pandas as pd\n"
                 f"frame = pd.read_pickle({path!r})\n"
                 "import udfs\n"
                 f"thresholds = np.linspace(0.3, 1.2, {THRESHOLDS})\n")
        stmt = f"udfs.backtest_curve(frame, 'usage_vs_cap', thresholds, {PERSISTENCE}, {WINDOW})"
        runs = fresh(setup, stmt, runs=FRESH_RUNS, calls=2)
    print(load())
    one_pass, one_cpu, curve = best_of(lambda: udfs.backtest_curve(
        frame, "usage_vs_cap", thresholds, PERSISTENCE, WINDOW), repeat=3)
    print(f"one pass (backtest_curve, all {THRESHOLDS} thresholds, incl. parsing), warm, best of 3: "
          f"{one_pass:.3f} s wall, {one_cpu:.3f} s CPU")

    data = backtest_panel._data(frame)
    sig = backtest_panel._resolve(data, "usage_vs_cap", None)
    y = data.expansion
    engine, engine_cpu, _ = best_of(lambda: backtest._run(
        data.P, sig.values, y, np.unique(thresholds), PERSISTENCE, WINDOW), repeat=2)
    print(f"one pass, engine only (panel already parsed): {engine:.3f} s wall, {engine_cpu:.3f} s CPU")

    # baseline: the single-threshold backtest, panel parsed once (not timed)
    truth = backtest_engine._truth(data.P, y, WINDOW)
    subset = thresholds[:: THRESHOLDS // LOOPED][:LOOPED]
    c0 = time.process_time()
    singles = [backtest._single(data.P, sig.values, y, truth, t, PERSISTENCE, WINDOW) for t in subset]
    per_threshold = (time.process_time() - c0) / len(subset)
    loop_total = per_threshold * THRESHOLDS
    print(f"single-threshold loop: {per_threshold * 1000:.0f} ms CPU per threshold "
          f"({len(subset)} timed, scaled) -> {loop_total:.1f} s CPU for {THRESHOLDS}")

    # the two agree on the timed subset, every column
    sub = curve.set_index("threshold")
    for s in singles:
        row = sub.loc[s["threshold"]]
        for col, value in s.items():
            if col != "threshold":
                assert np.isclose(float(row[col]), float(value), equal_nan=True), (col, s)

    ratio = loop_total / one_cpu
    print(f"ratio (loop / one pass incl. parsing, warm, CPU): {ratio:.0f}x   "
          f"(loop / engine only: {loop_total / engine_cpu:.0f}x)")
    first = summary(f"backtest_curve, {THRESHOLDS:,} thresholds over {rows:,} account-periods",
                    runs, TARGET, loop_total, "single-threshold loop (CPU)")
    warm_ok = min(one_pass, one_cpu) <= TARGET
    print(f"target <= {TARGET:g} s warm: {'PASS' if warm_ok else 'FAIL'}   {load()}")
    ok = warm_ok and min(first["best"]["s"], first["best"]["cpu"]) <= TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
