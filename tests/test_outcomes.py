"""What changed, flags, outcomes per play and Playbook results on hand-made snapshots and
opportunities (expected numbers worked out by hand), through Python and xlwings' runtime."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import call_udf
from udfs.core import playbook

# --------------------------------------------------------------------------- what changed

HEAD = ["account_id", "account_name", "ready", "play", "owner", "expansion_score", "expected_value",
        "pipeline_status", "opportunity_id", "arr"]
BEFORE = [HEAD,
          ["A1", "Ada", True, "Seat expansion", "CSM", 60, 900, "", "", 24_000],
          ["A2", "Bo", True, "Tier upgrade", "CSM", 55, 5000, "", "", 10_000],
          ["A3", "Cy", False, "Nurture", "", 20, 0, "", "", 5_000],
          ["A4", "Di", True, "Cross-sell", "Expansion AE", 70, 4000, "", "", 30_000],
          ["A5", "Ed", True, "Usage expansion", "CSM", 65, 3000, "", "", 40_000],
          ["A6", "Fa", True, "Seat expansion", "CSM", 50, 2000, "", "", 8_000],
          ["A7", "Gu", False, "Nurture", "", 30, 0, "", "", 9_000],
          ["A8", "Ha", False, "Nurture", "", 30, 0, "", "", 9_000],
          ["A9", "Io", True, "Tier upgrade", "CSM", 50, 700, "", "", 7_000]]
NOW = [HEAD,
       ["A1", "Ada", True, "Seat expansion", "CSM + Expansion AE", 60, 1100, "", "", 26_000],
       ["A2", "Bo", False, "Nurture", "", 30, 0, "", "", 10_000],
       ["A3", "Cy", True, "Cross-sell", "Expansion AE", 50, 800, "", "", 5_000],
       ["A4", "Di", False, playbook.GATE_FIX_ADOPTION, "", 70, 0, "", "", 30_000],
       ["A5", "Ed", True, "Usage expansion", "CSM", 65, 3000, "In pipeline", "OPP-9", 40_000],
       ["A7", "Gu", False, "Nurture", "", 45, 0, "", "", 9_000],
       ["A8", "Ha", False, "Nurture", "", 35, 0, "", "", 9_000],
       ["A9", "Io", True, "Seat expansion", "CSM", 50, 600, "", "", 7_000],
       ["A10", "Jo", True, "Tier upgrade", "CSM", 80, 2500, "", "", 12_000]]


def test_what_changed_lists_each_kind_in_order_with_why():
    out = udfs.what_changed(BEFORE, NOW)
    got = out[["change", "account_id", "was", "now", "why"]].values.tolist()
    assert got == [
        ["New ready", "A10", "", "Tier upgrade", ""],  # expected value 2,500 first
        ["New ready", "A3", "Nurture", "Cross-sell", ""],
        ["Dropped", "A2", "Tier upgrade", "Nurture", "signal gone (score 55 -> 30)"],  # by the value it had
        ["Dropped", "A4", "Cross-sell", playbook.GATE_FIX_ADOPTION, "gated: Fix adoption first"],
        ["Dropped", "A5", "Usage expansion", "Usage expansion", "In pipeline: OPP-9"],
        ["Dropped", "A6", "Seat expansion", "", "not in this snapshot"],
        ["Play changed", "A9", "Tier upgrade", "Seat expansion", ""],
        ["Owner changed", "A1", "CSM", "CSM + Expansion AE", "arr $24,000 -> $26,000"],
        ["Score moved", "A7", "Nurture", "Nurture", "score 30 -> 45"],  # A8 moved 5 points: not listed
    ]
    a6 = out.set_index("account_id").loc["A6"]
    assert a6["play"] == "Seat expansion" and a6["account_name"] == "Fa" and math.isnan(a6["score_now"])
    assert out.set_index("account_id").loc["A7", "score_move"] == 15
    assert "note" not in out.attrs
    assert len(udfs.what_changed(BEFORE, NOW, min_move=5)) == 10  # A8 too
    assert udfs.what_changed(NOW, NOW).empty


def test_what_changed_says_when_the_rules_differ_and_names_bad_input():
    before = pd.DataFrame(BEFORE[1:], columns=HEAD).assign(rules_version="aaa")
    now = pd.DataFrame(NOW[1:], columns=HEAD).assign(rules_version="bbb")
    assert "different Rules or Plays (versions aaa, bbb)" in udfs.what_changed(before, now).attrs["note"]
    with pytest.raises(ValueError, match=r"^current: expected a column 'account_id' in the header row$"):
        udfs.what_changed(BEFORE, [["id2", "ready"], ["x", True]])
    with pytest.raises(ValueError, match=r"^previous ready: expected TRUE or FALSE, got 'maybe'$"):
        udfs.what_changed([HEAD[:3], ["A1", "x", "maybe"]], NOW)
    with pytest.raises(ValueError, match="^min_move: "):
        udfs.what_changed(BEFORE, NOW, min_move="lots")


def test_what_changed_through_xlwings():
    cells = call_udf("WHAT_CHANGED", BEFORE, NOW)
    assert cells[0] == list(udfs.CHANGE_COLUMNS)
    assert [r[0] for r in cells[1:]] == ["New ready", "New ready", "Dropped", "Dropped", "Dropped", "Dropped",
                                         "Play changed", "Owner changed", "Score moved"]
    assert cells[5][7] == "In pipeline: OPP-9"
    assert cells[3][8] == 55 and cells[3][9] == 30


_ROW = st.tuples(st.sampled_from(["A", "B", "C", "D", "E", "F"]), st.booleans(),
                 st.sampled_from(["Seat expansion", "Tier upgrade", "Nurture", playbook.GATE_TOO_EARLY]),
                 st.sampled_from(["CSM", "Expansion AE"]), st.integers(0, 100),
                 st.sampled_from(["", "In pipeline"]))


def _snap(rows):
    frame = pd.DataFrame(rows, columns=["account_id", "ready", "play", "owner", "expansion_score",
                                        "pipeline_status"]).drop_duplicates("account_id")
    return frame.assign(ready=frame["ready"] & frame["play"].isin(playbook.MOTIONS))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=8), st.lists(_ROW, max_size=8))
def test_new_ready_less_dropped_is_the_change_in_ready_plays(before_rows, now_rows):
    before, now = _snap(before_rows), _snap(now_rows)
    out = udfs.what_changed(before, now)
    live = lambda f: int((f["ready"] & (f["pipeline_status"] == "")).sum())  # noqa: E731
    counts = out["change"].value_counts()
    assert counts.get("New ready", 0) - counts.get("Dropped", 0) == live(now) - live(before)
    assert out["account_id"].is_unique
    assert udfs.what_changed(now, now).empty


# --------------------------------------------------------------------------- flags

WEEKS = ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"]


def _snapshots() -> pd.DataFrame:
    rows = []
    ready = {  # account -> {week: play}
        "A1": {0: "Seat expansion", 1: "Seat expansion", 3: "Seat expansion"},  # a gap: two flags
        "A2": {1: "Tier upgrade", 2: "Tier upgrade", 3: "Tier upgrade", 4: "Tier upgrade"},
        "A3": {1: "Seat expansion", 2: "Tier upgrade"},  # a play change: two flags
        "A5": {0: "Cross-sell", 1: "Cross-sell"},  # ready since before the store began
    }
    for t, day in enumerate(WEEKS):
        for acc in ("A1", "A2", "A3", "A4", "A5"):
            play = ready.get(acc, {}).get(t)
            status = "In pipeline" if acc == "A4" and t >= 2 else ""
            rows.append({"as_of": day, "account_id": acc, "ready": play is not None or acc == "A4" and t >= 2,
                         "play": play or ("Tier upgrade" if acc == "A4" and t >= 2 else "Nurture"),
                         "pipeline_status": status, "owner": "CSM", "assignee": "Ana" if acc == "A2" else "",
                         "ready_since": "2025-12-01" if acc == "A5" else None})
    return pd.DataFrame(rows)


def test_flags_are_the_first_snapshot_of_each_episode():
    flags = udfs.play_flags(_snapshots())
    got = flags[["account_id", "play", "flagged_on", "ready_until", "owner", "from_first_snapshot"]]
    assert got.assign(flagged_on=got["flagged_on"].dt.strftime("%m-%d"),
                      ready_until=got["ready_until"].dt.strftime("%m-%d")).values.tolist() == [
        ["A5", "Cross-sell", "12-01", "01-12", "CSM", True],  # its ready_since, as the queue said
        ["A1", "Seat expansion", "01-05", "01-12", "CSM", True],
        ["A2", "Tier upgrade", "01-12", "02-02", "Ana", False],  # the named assignee
        ["A3", "Seat expansion", "01-12", "01-12", "CSM", False],
        ["A3", "Tier upgrade", "01-19", "01-19", "CSM", False],
        ["A1", "Seat expansion", "01-26", "01-26", "CSM", False],
    ]  # A4 is ready but in pipeline: no flag


def test_flags_from_the_ready_rows_alone_need_the_snapshot_days():
    snaps = _snapshots()
    ready = snaps[snaps["ready"] & (snaps["pipeline_status"] == "")]
    full = udfs.play_flags(snaps)
    pd.testing.assert_frame_equal(udfs.play_flags(ready, WEEKS), full)
    # without the days, A1's gap week (no row at all) would not end its episode... but the
    # week still exists through the other accounts' rows: only a store-wide gap matters
    assert len(udfs.play_flags(ready[ready["as_of"] != "2026-01-19"])) == len(full) - 2


# --------------------------------------------------------------------------- outcomes

FLAGS = [["account_id", "play", "flagged_on", "owner", "arr", "expected_arr_increase", "segment"],
         ["A1", "Seat expansion", "2026-01-05", "CSM", 20_000, 3_000, "SMB"],
         ["A1", "Seat expansion", "2026-03-10", "CSM", 20_000, 3_000, "SMB"],
         ["A2", "Tier upgrade", "2026-01-05", "Expansion AE", 50_000, 20_000, "Enterprise"],
         ["A3", "Cross-sell", "2026-01-12", "Expansion AE", 40_000, 40_000, ""]]
OPPS = [["opportunity_id", "account_id", "type", "amount", "created_date", "close_date", "status", "owner"],
        ["O1", "A1", "Add seats", 5000, "2026-01-10", "2026-01-30", "won", "Ana"],
        ["O2", "A1", "Seat expansion", 4000, "2026-03-12", "2026-04-01", "lost", "Ana"],
        ["O3", "A2", "Add seats", 3000, "2026-01-20", "2026-02-15", "lost", "Bo"],
        ["O4", "A2", "Upsell", 9000, "2026-06-01", "2026-06-20", "won", "Bo"],  # after its window
        ["O5", "A3", "Cross-sell", 7000, "2026-01-11", "2026-02-20", "won", "Cy"],  # before its flag
        ["O6", "A3", "Add-on product", 8000, "2026-01-15", "2026-05-01", "open", "Cy"],
        ["O7", "A9", "Renewal", 9000, "2026-01-15", "2026-05-01", "open", "Cy"],  # no motion
        ["O8", "A1", "Add seats", 1000, None, "2026-02-01", "won", "Ana"]]  # no created date


def test_each_flag_gets_the_opportunity_created_after_it_within_its_window():
    out = udfs.flag_outcomes(FLAGS, OPPS)
    got = out[["account_id", "worked", "outcome", "opportunity_id", "amount", "days_to_close", "cycle_days",
               "opportunities"]].astype(object).where(out.notna(), None).values.tolist()
    assert got == [
        ["A1", "as flagged", "won", "O1", 5000.0, 25.0, 21.0, 1.0],  # 01-05 -> 01-30
        ["A1", "as flagged", "lost", "O2", 4000.0, 22.0, 21.0, 1.0],  # the later flag of its motion
        ["A2", "other motion", "lost", "O3", 3000.0, 41.0, 70.0, 1.0],  # Tier, Enterprise cycle
        ["A3", "as flagged", "open", "O6", 8000.0, None, 75.0, 1.0],  # O5 came before the flag
    ]
    assert udfs.flag_windows().tolist() == [60, 120, 60, 120, 150]


def test_missed_expansions_are_won_deals_of_the_period_with_no_flag():
    missed = udfs.missed_expansions(FLAGS, OPPS, "2026-01-01", "2026-06-30")
    assert missed["opportunity_id"].tolist() == ["O5", "O4"]  # by created date
    assert udfs.missed_expansions(FLAGS, OPPS, "2026-01-01", "2026-03-31")["opportunity_id"].tolist() == ["O5"]
    # by default, the flags' own span (2026-01-05 to 2026-03-10)
    assert udfs.missed_expansions(FLAGS, OPPS)["opportunity_id"].tolist() == ["O5"]


def test_playbook_results_per_play_by_hand():
    res = udfs.playbook_results(FLAGS, OPPS, by="play", min_closed=2).set_index("play")
    assert res.index.tolist() == list(playbook.MOTIONS)
    seat = res.loc["Seat expansion"]
    assert seat[["flagged", "worked", "other_motion", "won", "lost", "open", "closed", "won_amount"]].tolist() == [
        2, 2, 0, 1, 1, 0, 2, 5000]
    assert seat["close_rate"] == 0.5 and seat["basis"] == "measured: 1 won of 2 closed"
    low, high = udfs.wilson_interval(1, 2)  # z = 1.96: centre (0.5 + 0.96) / 2.92, half-width 0.5874
    assert (seat["close_rate_low"], seat["close_rate_high"]) == (pytest.approx(0.0945, abs=1e-4),
                                                                  pytest.approx(0.9055, abs=1e-4))
    assert (low, high) == (seat["close_rate_low"], seat["close_rate_high"])
    assert seat["median_deal"] == 5000 and seat["assumed_deal"] == 3000
    assert seat["increase_share"] == 0.25 and seat["assumed_increase_share"] == 0.15
    assert seat["median_days_to_close"] == 25 and seat["cycle_days"] == 21
    tier = res.loc["Tier upgrade"]
    assert tier[["flagged", "worked", "other_motion", "closed"]].tolist() == [1, 0, 1, 0]
    assert math.isnan(tier["close_rate"]) and tier["basis"] == "too few: none closed"
    assert res.loc["Cross-sell", "open"] == 1 and res.loc["Cross-sell", "basis"] == "too few: none closed"
    assert res.loc["Usage expansion", "flagged"] == 0
    # the default floor is 20 closed plays
    assert udfs.playbook_results(FLAGS, OPPS, by="play").loc[0, "basis"] == "too few: 1 won of 2 closed"


def test_playbook_results_per_owner_and_quarter():
    res = udfs.playbook_results(FLAGS, OPPS)
    assert res[["play", "owner", "quarter", "flagged", "won", "lost"]].values.tolist() == [
        ["Seat expansion", "CSM", "2026-Q1", 2.0, 1.0, 1.0],
        ["Tier upgrade", "Expansion AE", "2026-Q1", 1.0, 0.0, 0.0],
        ["Cross-sell", "Expansion AE", "2026-Q1", 1.0, 0.0, 0.0],
    ]
    by_owner = udfs.playbook_results(FLAGS, OPPS, by="owner")
    assert set(by_owner["quarter"]) == {"All quarters"}


def test_outcomes_name_bad_input_in_one_line():
    no_created = [[c for c in OPPS[0] if c != "created_date"]] + [r[:4] + r[5:] for r in OPPS[1:]]
    with pytest.raises(ValueError, match=r"^opportunities: expected a column 'created_date' in the header row$"):
        udfs.flag_outcomes(FLAGS, no_created)
    with pytest.raises(ValueError, match=r"^flags row 2 play: expected one of Seat expansion"):
        udfs.flag_outcomes([FLAGS[0], ["A1", "Nurture", "2026-01-05", "CSM", 1, 1, ""]], OPPS)
    with pytest.raises(ValueError, match=r"^opportunities row 3 created_date: expected a date"):
        udfs.flag_outcomes(FLAGS, [OPPS[0], OPPS[1], ["O2", "A1", "Add seats", 4000, "soon", "2026-04-01", "lost", ""]])
    with pytest.raises(ValueError, match=r"^by: expected owner, quarter"):
        udfs.playbook_results(FLAGS, OPPS, by="region")


def test_playbook_results_and_outcomes_through_xlwings():
    cells = call_udf("PLAYBOOK_RESULTS", FLAGS, OPPS, None, "play", 2)
    assert cells[0] == list(udfs.RESULT_COLUMNS) and len(cells) == 6
    assert cells[1][:4] == ["Seat expansion", "All owners", "All quarters", 2]
    assert cells[1][cells[0].index("basis")] == "measured: 1 won of 2 closed"
    assert cells[2][cells[0].index("close_rate")] == ""  # Tier: none closed, a blank cell
    flags = call_udf("FLAG_OUTCOMES", FLAGS, OPPS)
    i, d = flags[0].index("close_date"), flags[0].index("days_to_close")
    assert flags[1][i] == "2026-01-30" and flags[4][i] == "2026-05-01"  # dates as ISO text
    assert flags[1][d] == 25 and flags[4][d] == ""  # an open deal has not closed: blank
    missed = call_udf("MISSED_EXPANSIONS", FLAGS, OPPS, "2026-01-01", "2026-06-30")
    assert [r[0] for r in missed[1:]] == ["O5", "O4"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 200), st.integers(0, 200))
def test_wilson_interval_holds_the_rate(won, lost):
    low, high = udfs.wilson_interval(won, won + lost)
    if won + lost == 0:
        assert math.isnan(low) and math.isnan(high)
        return
    rate = won / (won + lost)
    assert 0 <= low <= rate <= high <= 1
    low2, high2 = udfs.wilson_interval(won * 2, (won + lost) * 2)  # twice the evidence: narrower
    assert high2 - low2 <= high - low + 1e-12


def test_a_flag_counts_each_opportunity_once():
    """Two flags of the same play, one opportunity: it goes to the latest flag before it."""
    flags = [FLAGS[0], ["A1", "Seat expansion", "2026-01-05", "CSM", 1, 1, ""],
             ["A1", "Seat expansion", "2026-01-20", "CSM", 1, 1, ""]]
    opps = [OPPS[0], ["O1", "A1", "Add seats", 5000, "2026-01-25", "2026-02-10", "won", ""]]
    out = udfs.flag_outcomes(flags, opps)
    assert out["outcome"].tolist() == ["not worked", "won"]
    assert np.nansum(out["opportunities"]) == 1
