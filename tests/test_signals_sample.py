"""The sample product records (workbook/sample_events/) and the signal commands.

The records are generated (``python -m workbook.sample_events``) so that the signals
computed from them are the sample book's own values; scoring either gives the same queue
(the drift test). The commands go from the records to the Accounts table, the panel, the
queue and the model.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import udfs
from tests.conftest import ROOT
from workbook.sample_events import AS_OF, FILES, SAMPLE_CSV, sample_events, sample_sources
from workbook.sheets.playbook import plays_rows, rules_rows
from workbook.signals import compute_signals

SIGNAL_COLUMNS = ["usage_vs_cap", "usage_trend_90d", "next_tier_feature_adoption",
                  "gated_feature_requests_90d", "pricing_page_visits_30d", "active_user_growth_60d",
                  "new_department_users_30d"]


@pytest.fixture(scope="module")
def from_events():
    return compute_signals(sample_sources(), AS_OF.date(), accounts=SAMPLE_CSV)


def test_the_files_are_what_the_generator_makes():
    made = sample_events()
    for name, file in FILES.items():
        path = os.path.join(ROOT, "workbook", "sample_events", file)
        stored = pd.read_csv(path) if file.endswith(".csv") else pd.read_parquet(path)
        pd.testing.assert_frame_equal(stored, made[name], check_dtype=False, check_like=False)


def test_signals_from_events_are_the_books(from_events):
    accounts, panel, report = from_events
    book = pd.read_csv(SAMPLE_CSV)
    assert accounts["account_id"].tolist() == book["account_id"].tolist()
    for column in SIGNAL_COLUMNS:
        np.testing.assert_allclose(accounts[column].to_numpy(float), book[column].to_numpy(float),
                                   atol=1e-9, err_msg=column)
    # seats: whole seats, so the utilization is the book's within half a seat
    util = book["seat_utilization"].fillna(book["seats_active"] / book["seats_licensed"])
    half_seat = 0.5 / book["seats_licensed"] + 1e-9
    assert ((accounts["seat_utilization"] - util).abs() <= half_seat).all()
    # the other columns come from the accounts export as its import reads them
    from workbook.importer import load_accounts

    crm = load_accounts(SAMPLE_CSV, as_of=AS_OF.date()).frame
    for column in ("account_name", "arr", "health_score", "renewal_date", "champion_left_90d",
                   "seats_licensed"):
        pd.testing.assert_series_equal(accounts[column], crm[column], check_dtype=False)
    for rep in report.sources:
        assert rep.rows_used == rep.rows_in, rep.lines()


def test_scores_from_events_equal_scores_from_the_book(from_events):
    """The drift test: the queue from the events is the queue from sample_accounts.csv."""
    from workbook.importer import load_accounts

    accounts, _, _ = from_events
    as_of = AS_OF.date().isoformat()
    mine = udfs.score_accounts(load_accounts(accounts, as_of=AS_OF.date()).frame, rules_rows(),
                               plays_rows(), as_of=as_of).set_index("account_id")
    theirs = udfs.score_accounts(load_accounts(SAMPLE_CSV, as_of=AS_OF.date()).frame, rules_rows(),
                                 plays_rows(), as_of=as_of).set_index("account_id")
    mine = mine.loc[theirs.index]
    assert (mine["expansion_score"] == theirs["expansion_score"]).all()
    assert mine["ready"].tolist() == theirs["ready"].tolist()
    assert mine["play"].tolist() == theirs["play"].tolist()
    assert int(theirs["ready"].map(lambda v: v is True).sum()) > 10


def test_panel_feeds_the_backtests_and_the_queue(from_events):
    accounts, panel, _ = from_events
    assert panel["month"].iloc[-1] == "2026-12" and panel["period"].min() == 1
    loaded, problems = udfs.load_history(panel)
    assert len(problems) == 0 and len(loaded) == len(panel)
    bt = udfs.trigger_backtest(loaded["account_id"], loaded["period"], loaded["usage_vs_cap"],
                               loaded["expansion"], [0.8, 0.9])
    assert bt["threshold"].tolist() == [0.8, 0.9] and (bt["fires"] > 0).all()
    queue = udfs.score_accounts(accounts, rules_rows(), plays_rows(), history=panel,
                                as_of=AS_OF.date().isoformat())
    assert len(queue) == len(accounts)


def test_panel_spans_24_month_ends_with_no_invented_first_months(from_events):
    """The records start in January 2025: 24 month ends to as_of. Where a window reaches
    before that (the first months of new_department_users_30d's 210 days), the panel is
    blank, not a department counted as new because nothing came before it."""
    _, panel, report = from_events
    months = sorted(panel["month"].unique())
    assert len(months) == 24 and months[0] == "2025-01" and months[-1] == "2026-12"
    first = panel[panel["month"] == months[0]]
    assert len(first) > 100 and first["new_department_users_30d"].isna().all()
    # blank until the 210 days fit after Jan 2, 2025 (Jul 31 is the first month end they do)
    n, start = report.short_history["new_department_users_30d"]
    assert (n, start.isoformat()) == (6, "2025-01-02")
    july = panel[panel["month"] == "2025-07"]["new_department_users_30d"]
    assert july.notna().all() and (july < 3).mean() > 0.8  # most accounts add no department
    assert "new_department_users_30d at 6 of 24 month ends" in str(report)
    # seats (the latest snapshot) are not held back
    assert "seat_utilization" not in report.short_history


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "workbook", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def _source_args() -> list[str]:
    out = []
    for name, path in sample_sources().items():
        out += ["--" + name.replace("_", "-"), path]
    return out


def test_signals_command_writes_the_accounts_and_the_panel(tmp_path):
    out, panel = tmp_path / "accounts.csv", tmp_path / "panel.parquet"
    args = ["signals", *_source_args(), "--accounts", SAMPLE_CSV, "--arr-history",
            os.path.join(ROOT, "workbook", "sample_arr_history.csv"), "--as-of", "2026-12-01",
            "--out", str(out), "--panel", str(panel)]
    r = _run(*args)
    assert r.returncode == 0, r.stderr
    assert "signals [" in r.stderr and "computing 8 signals" in r.stderr  # the progress line
    assert "Wrote" in r.stdout and "300 accounts" in r.stdout
    accounts = pd.read_csv(out)
    assert accounts["usage_vs_cap"].tolist() == pytest.approx(pd.read_csv(SAMPLE_CSV)["usage_vs_cap"].tolist())
    p = pd.read_parquet(panel)
    assert p["expansion"].sum() > 0 and set(p["expansion"]) == {0, 1}
    again = _run(*args)
    assert again.returncode == 1 and again.stderr.startswith("error: ") and "--force" in again.stderr
    bad = _run("signals", "--usage", str(tmp_path / "none.parquet"), "--as-of", "2026-12-01",
               "--out", str(tmp_path / "x.csv"))
    errors = [line for line in bad.stderr.splitlines() if not line.startswith("signals [")]
    assert bad.returncode == 2 and len(errors) == 1 and errors[0].startswith("error: usage: no such file")


def test_queue_and_build_from_records(tmp_path):
    r = _run("queue", *_source_args(), "--accounts", SAMPLE_CSV, "--as-of", "2026-12-01", "--top", "5")
    assert r.returncode == 0, r.stderr
    assert "Computed: usage_vs_cap" in r.stdout and "Expansion queue" in r.stdout
    plain = _run("queue", "--accounts", SAMPLE_CSV, "--as-of", "2026-12-01", "--top", "5")
    assert r.stdout.split("Expansion queue", 1)[1].split("\n", 1)[1] == \
        plain.stdout.split("Expansion queue", 1)[1].split("\n", 1)[1]
    model = tmp_path / "m.xlsx"
    b = _run("build", *_source_args(), "--accounts", SAMPLE_CSV, "--as-of", "2026-12-01",
             "--out", str(model))
    assert b.returncode == 0, b.stderr
    from openpyxl import load_workbook

    wb = load_workbook(model, read_only=True)
    ws = wb["Accounts"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert "usage_vs_cap" in header and ws.max_row >= 301


def test_the_backtest_recommends_thresholds_near_the_defaults_on_the_sample():
    """The sample's accounts have their own usual levels, busy months with no expansion after
    and lone pricing visits, gated requests and curious users of another department; so the
    backtest must trade coverage for precision and lands near the Rules table's defaults, not
    at whatever low value separates a too-clean baseline."""
    arr = os.path.join(ROOT, "workbook", "sample_arr_history.csv")
    _, panel, _ = compute_signals(sample_sources(), AS_OF.date(), accounts=SAMPLE_CSV, arr_history=arr)
    assert panel["expansion"].sum() > 200
    rec = udfs.recommend_thresholds(panel).set_index("rule")
    near = {"usage_at_cap": (0.75, 1.0), "seats_full": (0.85, 1.0), "pricing_page": (1, 3),
            "gated_requests": (2, 4), "next_tier_adoption": (0.5, 0.9), "new_departments": (2, 4)}
    for rule, (lo, hi) in near.items():
        assert rec.loc[rule, "passes_gate"], rule
        assert lo <= rec.loc[rule, "threshold"] <= hi, (rule, rec.loc[rule, "threshold"])
        assert rec.loc[rule, "false_positive_rate"] > 0.1, rule  # the baseline is not separable
