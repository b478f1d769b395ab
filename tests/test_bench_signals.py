"""The signals benchmark on a tiny size: it runs end to end (upcell on DuckDB, the hand SQL,
pandas) and its equality check passes, and that check does catch a different value."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import workbook.signals  # noqa: F401 - the engine the bench measures must be there

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "bench_signals.py"


def _bench_module():
    sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_signals", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runs_small_and_the_results_agree(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "20000", "--accounts", "200", "--spark-rows", "0",
         "--pandas-rows", "0", "--runs", "1", "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "equality check: PASSED" in out
    # 200 accounts x 24 month ends, compared signal by signal with both other contenders
    assert "hand SQL = upcell: 4,800 account-months" in out
    assert "pandas = upcell (20,000 rows): 4,800 account-months" in out
    assert "usage: 20,000 rows from usage_20000_200.parquet; 20,000 used." in out
    # the data is cached and reused by the next run
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == [
        "caps.parquet", "seats_200.parquet", "usage_20000_200.parquet"]


def test_equality_check_catches_a_different_value_or_blank():
    bench = _bench_module()
    a = pd.DataFrame({"account_id": ["ACC-000001", "ACC-000001", "ACC-000002"], "period": [1, 2, 2],
                      "usage_vs_cap": [0.5, 0.75, 1.25], "usage_trend_90d": [np.nan, 0.1, -0.2],
                      "seat_utilization": [0.9, 0.9, np.nan]})
    assert bench.compare(a, a.copy(), "same")[0]
    b = a.copy()
    b.loc[1, "usage_trend_90d"] = 0.1000001
    ok, detail = bench.compare(a, b, "x")
    assert not ok and "usage_trend_90d" in detail
    c = a.copy()
    c.loc[2, "seat_utilization"] = 0.0  # a blank is not 0
    assert not bench.compare(a, c, "x")[0]
    assert not bench.compare(a, a.iloc[:2], "x")[0]  # a missing account-month


def test_dense_file_has_no_exact_repeats_and_the_results_agree(tmp_path):
    """More than 3 rows a day per account: rows of one account, day and metric differ in
    quantity, so upcell (which leaves exact repeats out) sums the same rows as pandas and
    the hand SQL (which keep every row); before, most rows of such a file were repeats."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "20000", "--accounts", "5", "--spark-rows", "0",
         "--pandas-rows", "0", "--runs", "1", "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "usage: 20,000 rows from usage_20000_5_distinct.parquet; 20,000 used." in out
    assert "equality check: PASSED" in out
    assert "pandas = upcell (20,000 rows): 120 account-months" in out
