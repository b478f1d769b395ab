"""The pipeline-aware queue (issue 15, item 1): each ready play against the account's
opportunities of its motion — Past due, In pipeline, Recently expanded, Cooling down —
through xlwings' runtime (call_udf), against a plain per-account reading, and on the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf
from udfs.core import playbook, record_columns
from workbook.__main__ import main

AS_OF = "2026-12-01"
OPP_HEAD = ["opportunity_id", "account_id", "type", "amount", "stage", "created_date", "close_date", "status"]
ACC_HEAD = ["account_id", "arr", "seat_utilization"]


def queue(accounts, opps, *, plays=None, owners=None, as_of=AS_OF):
    out = call_udf("SCORE_ACCOUNTS", accounts, None, plays, None, as_of, owners, None, opps)
    assert out[0] == list(udfs.SCORE_COLUMNS)
    return {r[0]: dict(zip(out[0], r, strict=True)) for r in out[1:]}, [r[0] for r in out[1:]]


def seat_book(*ids):
    """Accounts 95 % full on seats: each a ready Seat expansion play (cycle 21 days)."""
    return [ACC_HEAD, *[[a, 50_000, 0.95] for a in ids]]


OPPS = [OPP_HEAD,
        ["O1", "open", "Add seats", 9000, "Proposal", "2026-11-01", "2026-12-20", "open"],
        ["O2", "late", "Seats", 4000, "Negotiation", "2026-10-01", "2026-11-01", "open"],
        ["O3", "won", "Add seats", 4000, "Closed Won", "2026-10-01", "2026-11-21", "won"],
        ["O4", "lost", "Add seats", 5000, "Closed Lost", "2026-09-01", "2026-11-01", "lost"],
        ["O5", "other", "Upsell", 7000, "Proposal", "2026-11-01", "2026-12-20", "open"],  # another motion
        ["O6", "old_loss", "Add seats", 3000, "Closed Lost", "2026-04-01", "2026-06-01", "lost"],
        ["O7", "future", "Add seats", 3000, "Discovery", "2026-12-03", "2027-01-20", "open"],  # not opened yet
        ["O8", "old_win", "Add seats", 3000, "Closed Won", "2026-09-01", "2026-10-01", "won"],
        ["O9", "then", "Add seats", 3000, "Closed Won", "2026-11-01", "2026-12-10", "won"]]  # open on as_of


def test_each_status_with_its_opportunity_due_days_and_reasons():
    rows, order = queue(seat_book("new", "open", "late", "won", "lost", "other", "old_loss", "future", "old_win",
                                  "then"), OPPS)
    status = {a: r["pipeline_status"] for a, r in rows.items()}
    assert status == {"new": "", "open": "In pipeline", "late": "Past due", "won": "Recently expanded",
                      "lost": "Cooling down", "other": "", "old_loss": "", "future": "", "old_win": "",
                      "then": "In pipeline"}
    assert all(r["ready"] is True and r["play"] == "Seat expansion" for r in rows.values())
    # new plays first, then the plays in flight in the order of the statuses
    assert order == ["future", "new", "old_loss", "old_win", "other", "late", "open", "then", "won", "lost"]
    # a deal won after as_of was open on that day; its stage then is not known
    assert (rows["then"]["opportunity_id"], rows["then"]["opportunity_stage"]) == ("O9", "")
    o = rows["open"]
    assert (o["opportunity_id"], o["opportunity_stage"], o["opportunity_close_date"], o["due_in_days"]) == (
        "O1", "Proposal", "2026-12-20", 19.0)
    assert o["reasons"].startswith("In pipeline: O1 (Seat expansion, $9,000, Proposal) closes on 2026-12-20")
    late = rows["late"]
    assert late["due_in_days"] == -30.0 and "was to close on 2026-11-01, 30 days ago" in late["reasons"]
    assert rows["won"]["due_in_days"] == 11.0  # the 21-day cycle since the win
    lost = rows["lost"]
    assert lost["opportunity_id"] == "O4" and lost["due_in_days"] == 60.0  # 90-day cool-down, 30 gone
    assert lost["reasons"].startswith("Cooling down: lost O4 (Seat expansion, $5,000) on 2026-11-01, 30 days ago")
    # a loss past its cool-down no longer holds the play back, and the reasons still say it
    assert "lost a Seat expansion opportunity 183 days ago: O6 ($3,000, closed 2026-06-01)" in rows["old_loss"]["reasons"]
    for a in ("new", "other", "future", "old_win"):
        assert rows[a]["opportunity_id"] == "" and rows[a]["due_in_days"] == 21.0 and "lost" not in rows[a]["reasons"]


def test_cooldown_days_is_read_from_the_plays_table():
    plays = playbook.default_plays().reset_index(drop=True)
    plays.loc[plays["motion"] == "Seat expansion", "cooldown_days"] = 20
    table = [list(plays.columns)] + plays.astype(object).where(plays.notna(), None).values.tolist()
    rows, _ = queue(seat_book("lost"), OPPS, plays=table)
    assert rows["lost"]["pipeline_status"] == ""
    assert "lost a Seat expansion opportunity 30 days ago" in rows["lost"]["reasons"]


def test_a_play_in_flight_takes_no_slot_of_its_owner():
    owners = [["owner", "weekly_capacity"], ["CSM", 1], ["Expansion AE", 1]]
    rows, _ = queue(seat_book("open", "late", "new", "other"), OPPS, owners=owners)
    assert rows["open"]["slot"] == rows["late"]["slot"] == ""
    assert sorted([rows["new"]["slot"], rows["other"]["slot"]]) == [playbook.QUEUED, playbook.THIS_WEEK]


@pytest.mark.parametrize("opps, message", [
    ([["opportunity_id", "type", "amount", "close_date", "status"], ["O1", "Add seats", 10, "2026-12-20", "open"]],
     "opportunities: expected a column 'account_id' in the header row"),
    ([OPP_HEAD, ["O1", "a", "Add seats", 10, "Proposal", "2026-11-01", "2026-12-20", "maybe"]],
     "opportunities"),
    ([OPP_HEAD, ["O1", "a", "Add seats", "lots", "Proposal", "2026-11-01", "2026-12-20", "open"]], "amount"),
])
def test_bad_opportunities_are_one_named_line(opps, message):
    with pytest.raises(Exception) as err:
        queue(seat_book("a"), opps)
    text = str(err.value)
    assert message in text and "\n" not in text and "Traceback" not in text


def test_measured_win_rates_replace_assumed_close_rates_and_say_so():
    opps = [OPP_HEAD,
            ["W1", "x", "Add seats", 3000, "Closed Won", "2026-01-01", "2026-03-10", "won"],
            ["L1", "y", "Add seats", 1000, "Closed Lost", "2026-01-01", "2026-05-10", "lost"]]
    rows, _ = queue(seat_book("a"), opps)
    assert rows["a"]["close_rate"] == 0.75 and rows["a"]["expected_value"] == 7500 * 0.75
    assert rows["a"]["value_basis"].startswith("close rate measured (won $ ÷ closed $ of the opportunities, "
                                               "2025-Q4 to 2026-Q3); increase share assumed")
    # a close rate the Plays table itself says is measured is kept
    plays = playbook.default_plays().reset_index(drop=True)
    plays["close_rate_basis"] = plays["close_rate_basis"].astype(object)
    plays.loc[0, "close_rate_basis"] = "measured: 30 won of 60 closed"
    table = [list(plays.columns)] + plays.astype(object).where(plays.notna(), None).values.tolist()
    rows, _ = queue(seat_book("a"), opps, plays=table)
    assert rows["a"]["close_rate"] == 0.5
    assert rows["a"]["value_basis"] == "close rate measured: 30 won of 60 closed; increase share assumed"


def _reference(book: pd.DataFrame, queue_: pd.DataFrame, opps: pd.DataFrame, day: np.datetime64) -> dict:
    """The statuses read account by account, as a person would (no vectorization)."""
    cycle = udfs.scoring.plays.play_set(None).cycle
    out = {}
    for r in queue_.itertuples():
        if not r.ready:
            out[r.account_id] = ""
            continue
        m = playbook.MOTIONS.index(r.play)
        mine = opps[(opps["account_id"] == r.account_id)
                    & (opps["type"].map(record_columns.opportunity_motion) == m)
                    & (pd.to_datetime(opps["created_date"]) <= pd.Timestamp(day))]
        close = pd.to_datetime(mine["close_date"])
        open_ = mine[(mine["status"] == "open") | (close > pd.Timestamp(day))]
        ago = (pd.Timestamp(day) - close).dt.days
        if len(open_):  # open on that day (a deal closed later was still open)
            late = (open_["status"] == "open") & (pd.to_datetime(open_["close_date"]) < pd.Timestamp(day))
            out[r.account_id] = "Past due" if late.any() else "In pipeline"
        elif ((mine["status"] == "won") & (ago >= 0) & (ago <= cycle[m, 3])).any():
            out[r.account_id] = "Recently expanded"
        elif ((mine["status"] == "lost") & (ago >= 0) & (ago <= playbook.DEFAULT_COOLDOWN_DAYS)).any():
            out[r.account_id] = "Cooling down"
        else:
            out[r.account_id] = ""
    return out


def test_the_vectorized_statuses_equal_a_plain_reading_account_by_account():
    rng = np.random.default_rng(3)
    n, k = 400, 1500
    book = pd.DataFrame({"account_id": [f"A{i:04d}" for i in range(n)], "arr": rng.uniform(1e4, 1e5, n),
                         "seat_utilization": rng.uniform(0.5, 1.0, n), "usage_vs_cap": rng.uniform(0.5, 1.0, n),
                         "new_department_users_30d": rng.integers(0, 5, n), "tenure_months": 24,
                         "segment": "Other"})
    day = np.datetime64(AS_OF)
    close = day + rng.integers(-200, 120, k).astype("timedelta64[D]")
    created = close - rng.integers(5, 150, k).astype("timedelta64[D]")
    status = rng.choice(["won", "lost", "open"], k, p=[0.35, 0.35, 0.3])  # some closed after as_of
    opps = pd.DataFrame({
        "opportunity_id": [f"O{i}" for i in range(k)], "account_id": rng.choice(book["account_id"], k),
        "type": rng.choice(["Add seats", "Upsell", "New department", "Renewal"], k), "amount": 1000.0,
        "created_date": np.datetime_as_string(created), "close_date": np.datetime_as_string(close), "status": status})
    q = udfs.score_accounts(book, as_of=AS_OF, opportunities=opps)
    want = _reference(book, q, opps, day)
    got = dict(zip(q["account_id"], q["pipeline_status"], strict=True))
    assert got == want
    assert len(set(got.values())) == 5  # every status, and none, occur


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_queue():
    return udfs.score_accounts(udfs.sample_accounts(), as_of=udfs.SAMPLE_AS_OF,
                               opportunities=udfs.sample_opportunities()).set_index("account_id")


def test_the_sample_deal_in_flight_and_the_lost_tier_upgrade(sample_queue):
    row = sample_queue.loc["ACC-0195"]
    assert (row["pipeline_status"], row["opportunity_id"], row["opportunity_stage"]) == (
        "In pipeline", "OPP-00516", "Proposal")
    assert row["opportunity_close_date"] == pd.Timestamp("2026-12-02") and row["due_in_days"] == 1
    assert "due 75" not in row["reasons"] and row["reasons"].startswith("In pipeline: OPP-00516")
    acc20 = sample_queue.loc["ACC-0020"]
    assert acc20["play"] == "Tier upgrade"
    assert (acc20["pipeline_status"] == "Cooling down"
            or "lost a Tier upgrade opportunity 133 days ago: OPP-00394" in acc20["reasons"])


def test_the_samples_past_due_plays_are_the_pipeline_sheets_past_due_deals(sample_queue):
    late = udfs.past_due_opportunities(udfs.sample_opportunities(), udfs.SAMPLE_AS_OF)
    flagged = sample_queue[sample_queue["pipeline_status"] == "Past due"]
    assert len(flagged) > 0 and set(flagged["opportunity_id"]) <= set(late["opportunity_id"])
    # and every ready account with a past-due deal of its play's motion says so
    motion = late["motion"]
    mine = late[late["account_id"].isin(sample_queue.index)]
    for acc, m in zip(mine["account_id"], motion[mine.index], strict=True):
        row = sample_queue.loc[acc]
        if row["ready"] and row["play"] == m:
            assert row["pipeline_status"] == "Past due"


def test_the_queue_command_reads_opportunities(capsys, tmp_path):
    path = tmp_path / "opps.csv"
    udfs.sample_opportunities().to_csv(path, index=False)
    assert main(["queue", "--top", "49", "--opportunities", str(path), "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert "In pipeline: OPP-00516 (Cross-department, $151,500, Proposal) closes on 2026-12-02" in out
    assert " 49 ready (" in out and "past due" in out


def test_the_sample_says_why_a_35_is_ready_and_a_45_is_not():
    """Issue 15, item 6: ACC-0116 (score 35) is ready while accounts at 45 are Nurture."""
    q = udfs.score_accounts(udfs.sample_accounts(), as_of=udfs.SAMPLE_AS_OF).set_index("account_id")
    acc = q.loc["ACC-0116"]
    assert acc["ready"] and acc["expansion_score"] == 35 and acc["ready_signal"] == "gated_requests"
    assert acc["reasons"].startswith("ready on its own: 3 gated-feature requests is enough by itself "
                                     "(score 35, below the 50 a play otherwise needs)")
    at45 = q[(q["expansion_score"] == 45) & (q["play"] == "Nurture")]  # ungated, not ready
    assert len(at45) >= 3 and not at45["ready"].any()
    assert at45["reasons"].str.startswith("Nurture: score 45 < 50 and no signal strong enough on its own").all()
