"""Why now (issue 15): ``ready_since`` — the day each ready play first became ready, over a
continuous run — from the previous queue snapshot when given, else from the history panel;
``ready_signal`` — the rule that made it ready. Through xlwings' runtime and on the sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf
from workbook.snapshots import SnapshotStore

AS_OF = "2026-12-01"
ROOT = Path(__file__).resolve().parents[1]
BOOK = [["account_id", "usage_vs_cap", "pricing_page_visits_30d"],
        ["a", 0.95, 0], ["b", 0.95, 0], ["c", 0.5, 0], ["d", 0.95, 0]]


def queue(*args):
    out = call_udf("SCORE_ACCOUNTS", BOOK, None, None, *args)
    return {r[0]: dict(zip(out[0], r, strict=True)) for r in out[1:]}


def test_ready_since_from_a_monthly_history_is_the_first_month_of_the_run():
    history = [["account_id", "period", "usage_vs_cap"],
               ["a", "2026-08-31", 0.5], ["a", "2026-09-30", 0.93], ["a", "2026-10-31", 0.91],
               ["a", "2026-11-30", 0.96],
               ["b", "2026-09-30", 0.95], ["b", "2026-10-31", 0.5], ["b", "2026-11-30", 0.92],
               ["d", "2026-10-31", 0.95], ["d", "2026-11-30", 0.5]]
    rows = queue(history, AS_OF)
    assert rows["a"]["ready_since"] == "2026-09-01"  # ready since September, without a break
    assert rows["b"]["ready_since"] == "2026-11-01"  # the October gap ends its first run
    assert rows["d"]["ready_since"] == AS_OF  # not ready the month before: ready from today
    assert rows["c"]["ready_since"] == "" and rows["c"]["ready"] is False
    assert rows["a"]["ready_signal"] == "usage_at_cap"


def test_ready_since_from_the_previous_snapshot_carries_the_run_and_a_changed_play_restarts_it():
    previous = [["account_id", "as_of", "ready", "play", "ready_since"],
                ["a", "2026-11-24", True, "Tier upgrade", "2026-10-06"],
                ["b", "2026-11-24", True, "Cross-sell", "2026-10-06"],  # another play then
                ["d", "2026-11-24", False, "Nurture", None],
                ["c", "2026-11-24", True, "Tier upgrade", None]]
    rows = queue(None, AS_OF, None, None, None, previous)
    assert rows["a"]["ready_since"] == "2026-10-06"
    assert rows["b"]["ready_since"] == AS_OF and rows["d"]["ready_since"] == AS_OF
    assert rows["c"]["ready_since"] == ""  # not ready now
    # the previous snapshot wins over a history when both are given
    history = [["account_id", "period", "usage_vs_cap"], ["a", "2026-11-30", 0.96]]
    assert queue(history, AS_OF, None, None, None, previous)["a"]["ready_since"] == "2026-10-06"
    # a previous snapshot without ready_since: the run goes back at least to its day
    short = [row[:4] for row in previous]
    assert queue(None, AS_OF, None, None, None, short)["a"]["ready_since"] == "2026-11-24"


def test_a_bad_previous_snapshot_is_one_named_line():
    with pytest.raises(Exception, match="previous: expected a column 'play' in the header row"):
        queue(None, AS_OF, None, None, None, [["account_id", "as_of", "ready"], ["a", "2026-11-24", True]])
    with pytest.raises(Exception, match="previous ready: expected TRUE or FALSE"):
        queue(None, AS_OF, None, None, None, [["account_id", "as_of", "ready", "play"],
                                              ["a", "2026-11-24", "maybe", "Tier upgrade"]])


def test_the_sample_snapshots_carry_ready_since_from_week_to_week():
    snaps = udfs.sample_snapshots()
    first = snaps[snaps["as_of"] == "2026-09-15"]
    assert first["ready_since"].isna().all()  # the first week has nothing before it
    last = snaps[(snaps["as_of"] == AS_OF) & snaps["ready"]]
    assert last["ready_since"].notna().all() and (last["ready_since"] <= AS_OF).all()
    # a play ready every week since the first snapshot says so; one ready later, its first week
    weeks = snaps[snaps["ready"]].groupby("account_id")["as_of"].agg(["min", "count"])
    for acc, since, play in zip(last["account_id"], last["ready_since"], last["play"], strict=True):
        mine = snaps[(snaps["account_id"] == acc)].sort_values("as_of")
        same = (mine["ready"] & (mine["play"] == play)).to_numpy()
        run = 0
        while run < len(same) and same[len(same) - 1 - run]:
            run += 1
        assert since == mine["as_of"].iloc[len(same) - run], acc
    assert weeks.loc["ACC-0187", "min"] == pd.Timestamp("2026-09-15")


def test_the_demo_model_scores_with_the_previous_snapshot(tmp_path):
    from workbook import build

    store = SnapshotStore(tmp_path / "s.duckdb")
    snaps = pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False, na_values=[""])
    store.append(snaps[snaps["as_of"] < AS_OF])
    result = build(None, tmp_path / "m.xlsx", snapshots=store.path)
    q = result.queue.set_index("account_id")
    before = snaps[snaps["as_of"] == "2026-11-24"].set_index("account_id")
    acc = "ACC-0187"
    assert before.loc[acc, "ready"] and q.loc[acc, "ready"]
    assert q.loc[acc, "ready_since"] == before.loc[acc, "ready_since"] == "2026-09-15"
