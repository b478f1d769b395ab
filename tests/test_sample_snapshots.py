"""The sample's 12 weekly queue snapshots: bundled as generated, real queues, and in
agreement with the sample opportunities (the deals of the period follow their flags)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import udfs
from udfs.core import record_columns

HERE = Path(__file__).resolve().parents[1] / "workbook"


def test_the_bundled_csv_is_the_generator_output():
    bundled = pd.read_csv(HERE / "sample_snapshots.csv", keep_default_na=False, na_values=[""])
    generated = udfs.sample_snapshots()
    bundled = udfs.snapshot_frame(bundled)  # the store's own reading of the file
    pd.testing.assert_frame_equal(bundled, udfs.snapshot_frame(generated), check_dtype=False)


def test_twelve_weeks_to_the_as_of_date_and_the_last_is_the_book_itself():
    snaps = udfs.sample_snapshots()
    days = sorted(snaps["as_of"].dt.strftime("%Y-%m-%d").unique())
    assert len(days) == 12 and days[0] == "2026-09-15" and days[-1] == udfs.SAMPLE_AS_OF
    assert (np.diff(pd.to_datetime(days)).astype("timedelta64[D]").astype(int) == 7).all()
    last = snaps[snaps["as_of"] == udfs.SAMPLE_AS_OF].reset_index(drop=True)
    queue = udfs.score_accounts(udfs.sample_accounts(), as_of=udfs.SAMPLE_AS_OF,
                                opportunities=udfs.sample_opportunities())
    assert last["account_id"].tolist() == queue["account_id"].tolist()
    assert last["pipeline_status"].fillna("").tolist() == queue["pipeline_status"].tolist()
    assert last["play"].tolist() == queue["play"].tolist()
    assert np.allclose(last["expected_value"], queue["expected_value"], equal_nan=True)
    assert set(snaps["rules_version"]) == {udfs.rules_version()}
    # each week's ARR is the ARR history's of that month
    history = udfs.sample_arr_history().set_index(["account_id", "month"])["arr"]
    oct6 = snaps[snaps["as_of"] == "2026-10-06"]
    for acc, arr in zip(oct6["account_id"].head(40), oct6["arr"].head(40), strict=True):
        assert history[(acc, "2026-10-01")] == arr


def test_the_deals_of_the_period_follow_their_flags():
    snaps, opps = udfs.sample_snapshots(), udfs.sample_opportunities()
    flags = udfs.play_flags(snaps)
    out = udfs.flag_outcomes(flags, opps)
    created, close = pd.to_datetime(opps["created_date"]), pd.to_datetime(opps["close_date"])
    motion = opps["type"].map(record_columns.opportunity_motion)
    closed = (opps["status"] != "open") & (created > "2026-09-15") & (close < udfs.SAMPLE_AS_OF) & (motion >= 0)
    matched = set(out.loc[out["worked"] == "as flagged", "opportunity_id"])
    share = opps.loc[closed, "opportunity_id"].isin(matched).mean()
    assert share > 0.75  # the rest are the deals the queue missed (and a few flagged too late)
    missed = udfs.missed_expansions(flags, opps, "2026-09-15", udfs.SAMPLE_AS_OF)
    assert 3 <= len(missed) <= 15
    # enough closed plays to measure two plays' close rates; the others say too few
    results = udfs.playbook_results(flags, opps, by="play").set_index("play")
    measured = results.index[results["basis"].str.startswith("measured")].tolist()
    assert measured == ["Seat expansion", "Tier upgrade"]
    assert (results["flagged"] > 0).all() and (results.loc[measured, "won"] > 0).all()
