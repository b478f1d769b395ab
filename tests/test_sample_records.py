"""The sample ARR history and opportunities: generated from the sample book, bundled, in agreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import udfs
from udfs.core import record_columns

HERE = Path(__file__).resolve().parents[1] / "workbook"


def test_bundled_csvs_are_the_generator_output():
    history = pd.read_csv(HERE / "sample_arr_history.csv")
    pd.testing.assert_frame_equal(history, udfs.sample_arr_history(), check_dtype=False)
    opps = pd.read_csv(HERE / "sample_opportunities.csv")
    pd.testing.assert_frame_equal(opps, udfs.sample_opportunities(), check_dtype=False)


def test_history_agrees_with_the_book():
    book = udfs.sample_accounts()
    history = udfs.sample_arr_history()
    h = udfs.arr_matrix(history)
    assert h.month_labels[-1] == "2026-11" and len(h.month_labels) == 36
    last = dict(zip(h.accounts, h.arr[:, -1], strict=True))
    for acc, arr in zip(book["account_id"], book["arr"], strict=True):
        assert last[acc] == pytest.approx(arr), acc  # the book's ARR is the history's last month
    gone = [a for a in h.accounts if a not in set(book["account_id"])]
    assert gone and all(last[a] == 0 for a in gone)  # past customers: churned, not in the book
    # each book account is billed from its tenure on (older ones are in the opening book)
    first = np.argmax(h.arr > 0, axis=1)
    tenure = dict(zip(book["account_id"], book["tenure_months"], strict=True))
    for i, acc in enumerate(h.accounts):
        if acc in tenure:
            assert first[i] == max(0, 36 - tenure[acc]), acc
    moves = udfs.arr_movements(history)
    assert (moves["reactivation"].fillna(0) > 0).any()
    t = udfs.trailing_retention(history)
    assert 1.0 < t["nrr"] < 1.2 and 0.85 < t["grr"] < 1.0


def test_opportunities_agree_with_the_book_and_the_history():
    book = udfs.sample_accounts()
    opps = udfs.sample_opportunities()
    assert opps["opportunity_id"].is_unique
    prospects = opps["account_id"].str.startswith("PROSPECT-")
    assert set(opps.loc[~prospects, "account_id"]) <= set(book["account_id"])
    assert set(opps.loc[prospects, "type"]) == {"New business"}
    # the open expansion pipeline is the book's ready plays
    queue = udfs.score_accounts(book)
    ready = queue[queue["ready"]]
    open_ = opps[(opps["status"] == "open") & (opps["type"].map(record_columns.opportunity_motion) >= 0)]
    assert sorted(open_["account_id"]) == sorted(ready["account_id"])
    # the won deals of the last 4 closed quarters are expansions of the history
    rates = udfs.win_rates(opps, udfs.SAMPLE_AS_OF)
    assert (rates["basis"] == "measured").all()
    plays = udfs.default_plays()["close_rate"].to_numpy(float)
    assert np.abs(rates["win_rate"].to_numpy(float) - plays).max() < 0.12
    won = opps[opps["status"] == "won"]
    expansion = udfs.arr_movements(udfs.sample_arr_history())
    assert won["amount"].sum() == pytest.approx(
        expansion.set_index("month").loc["2025-11":"2026-10", "expansion"].sum())
    other = udfs.other_opportunities(opps)
    assert set(other["type"]) == {"New business", "Renewal"}


def test_the_sample_pipeline_has_no_invented_target():
    table = udfs.pipeline_from_opportunities(udfs.sample_opportunities(), None, udfs.SAMPLE_AS_OF)
    assert table["quarter"].unique().tolist() == ["2026-Q4", "2027-Q1"]
    assert table["target"].isna().all() and table["status"].isna().all()
