"""The revised queue (SPEC §1-§4, §8): evidence routing, risk and sufficient rules, open
signals, persistence with a history, as_of, owners' capacity, renewals, Not scored rows.

Through xlwings' runtime with Excel-shaped payloads (call_udf) and from Python."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pandas as pd
import pytest

import udfs
import workbook
from tests.conftest import call_udf
from udfs.core import _threads, playbook
from udfs.scoring import _accounts, evidence

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

RULE_HEAD = list(playbook.RULE_TABLE_COLUMNS)


def queue(table, *args):
    out = call_udf("SCORE_ACCOUNTS", table, *args)
    assert out[0] == list(udfs.SCORE_COLUMNS)
    return [dict(zip(out[0], r, strict=True)) for r in out[1:]]


def rules_with(*rows):
    """The default rules plus ``rows`` (missing trailing cells blank), as an Excel range."""
    base = playbook.default_rules().astype(object)
    body = base.where(base.notna(), None).values.tolist()
    return [RULE_HEAD] + body + [list(r) + [None] * (len(RULE_HEAD) - len(r)) for r in rows]


# --------------------------------------------------------------------------- routing


def test_a_99_percent_full_account_with_nothing_else_is_a_ready_seat_play_owned_by_cs():
    rows = queue([["account_id", "account_name", "arr", "seat_utilization"],
                  ["a1", "Acme", 20_000, 0.99], ["a2", "Globex", 60_000, 0.99]])
    for row in rows:
        assert row["expansion_score"] == 40 and row["ready"] is True
        assert row["play"] == row["primary_motion"] == "Seat expansion"
        assert row["reasons"].startswith("ready on its own: seat utilization 99% ≥ 90% is enough by itself "
                                         "(score 40, below the 50 a play otherwise needs)")
    owners = {r["account_id"]: r["owner"] for r in rows}
    assert owners == {"a1": "CSM", "a2": "CSM + Expansion AE"}  # §4: arr ≥ 25,000 adds the AE
    assert [r["account_name"] for r in rows] == ["Globex", "Acme"]  # names travel with ids


def test_a_risk_signal_holds_back_a_sufficient_trigger_and_says_so():
    (row,) = queue([["account_id", "seat_utilization", "champion_left_90d"], ["a1", 0.99, True]])
    assert (row["expansion_score"], row["ready"], row["play"]) == (0.0, False, "Nurture")
    assert row["primary_motion"] == "Seat expansion"  # the evidence is still there
    assert row["reasons"] == ("Nurture: score 0 < 50, sufficient trigger held back by a risk signal; "
                              "seat utilization 99% ≥ 90% (+40); champion left (-40)")


def test_nurture_says_why_the_play_is_not_the_primary_motion():
    (row,) = queue([["account_id", "usage_vs_cap"], ["a1", 0.85]])
    assert (row["play"], row["primary_motion"], row["owner"]) == ("Nurture", "Tier upgrade", "")
    assert row["reasons"] == ("Nurture: score 25 < 50 and no signal strong enough on its own; "
                              "usage at 85% of cap ≥ 80% and < 90% (+25)")


def test_risk_rules_subtract_never_count_as_evidence_and_the_score_stays_in_0_100():
    table = [["usage_trend_90d", "champion_left_90d", "seat_utilization"],
             [-0.3, True, None], [-0.3, False, 0.95], [0.5, True, 0.95]]
    assert call_udf("EXPANSION_SCORE", table) == [[0.0], [15.0], [30.0]]  # 0 not -65; 40-25; 30+40-40
    assert call_udf("EXPANSION_MOTION", table) == [[""], ["Seat expansion"], ["Seat expansion"]]
    reasons = call_udf("EXPANSION_REASONS", table)[0][0]
    assert reasons == "no expansion signal; champion left (-40); usage -30% over 90 days ≤ -20% (-25)"


# --------------------------------------------------------------------------- rules table


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["r", "usage_vs_cap", ">=", 0.9, -10, "Tier upgrade"],
         "rules row 22 motion: expected a blank motion on a risk rule (negative points), got 'Tier upgrade'"),
        (["r", "usage_vs_cap", ">=", 0.9, 10, None],
         "rules row 22 motion: expected one of Seat expansion, Tier upgrade, Usage expansion, Cross-department, "
         "Cross-sell (only a risk rule, with negative points, has none), got a blank cell"),
        (["r", "usage_vs_cap", ">=", 0.9, -10, None, True],
         "rules row 22 alone: expected FALSE on a risk rule (negative points), got TRUE"),
        (["r", "usage_vs_cap", ">=", 0.9, 10, "Tier upgrade", None, 0],
         "rules row 22 persistence: expected a whole number ≥ 1, got 0"),
        (["r", "account_name", ">=", 0.9, 10, "Tier upgrade"],
         "rules row 22 signal: expected a numeric account column, got 'account_name'"),
    ],
)
def test_bad_rules_are_named_errors(row, message):
    with pytest.raises(ValueError) as info:
        call_udf("SCORE_ACCOUNTS", [["account_id"], ["a"]], rules_with(row))
    assert str(info.value) == message


def test_a_plays_table_with_only_its_header_is_a_named_error():
    with pytest.raises(ValueError, match=r"^plays: expected a row for every motion below the header row, got none$"):
        call_udf("SCORE_ACCOUNTS", [["account_id"], ["a"]], None, [list(playbook.PLAY_COLUMNS)])


def test_open_signals_any_numeric_column_and_a_missing_one_is_said_once():
    rules = rules_with(["nps_promoter", "nps", ">=", 9, 30, "Cross-sell"],
                       ["logins", "logins_per_seat", ">=", 20, 25, "Seat expansion"])
    table = [["account_id", "NPS", "seat_utilization"], ["a", 10, 0.95], ["b", 5, 0.5], ["c", 9, 0.2]]
    rows = queue(table, rules)
    assert [(r["account_id"], r["expansion_score"]) for r in rows] == [("a", 70.0), ("c", 30.0), ("b", 0.0)]
    assert "nps 10 ≥ 9 (+30)" in rows[0]["reasons"]
    note = "no logins_per_seat column: rule logins never fires"
    assert sum(r["reasons"].count(note) for r in rows) == 1 and rows[0]["reasons"].endswith(note)
    scores = call_udf("EXPANSION_SCORE", [["nps"], [9], [8]], None, rules)
    assert scores == [[30.0], [0.0]]


# --------------------------------------------------------------------------- persistence


def _persistent_rules():
    rules = playbook.default_rules()
    rules.loc[rules["rule"] == "usage_at_cap", "persistence"] = 3
    return rules


def test_persistence_without_history_does_not_fire_and_says_it_needs_k_periods():
    book = pd.DataFrame({"account_id": ["a"], "usage_vs_cap": [0.95]})
    q = udfs.score_accounts(book, _persistent_rules(), as_of="2026-06-01")
    assert q.loc[0, "expansion_score"] == 0 and not q.loc[0, "ready"]
    assert q.loc[0, "reasons"] == "no expansion signal; usage at 95% of cap ≥ 90% (needs 3 periods: no history)"


def test_persistence_reads_the_periods_before_the_snapshot_from_a_history():
    book = pd.DataFrame({"account_id": ["a", "b", "c"], "usage_vs_cap": [0.95, 0.95, 0.95]})
    history = [["account_id", "period", "usage_vs_cap"],
               ["a", 1, 0.5], ["a", 2, 0.92], ["a", 3, 0.91],  # held 3 periods with now
               ["b", 2, 0.95], ["b", 3, 0.5],  # broke just before now
               ["c", 3, 0.99]]  # only one period of history
    out = udfs.score_book(book, _persistent_rules(), history=history, as_of="2026-06-01").set_index("account_id")
    assert out["expansion_score"].tolist() == [50.0, 0.0, 0.0]
    assert out.loc["a", "ready"] and out.loc["a", "play"] == "Tier upgrade"
    assert out.loc["b", "reasons"].endswith("(needs 3 periods: held 1)")
    assert out.loc["c", "reasons"].endswith("(needs 3 periods: held 2)")
    # the same through Excel: the history is a raw range
    rows = queue([["account_id", "usage_vs_cap"], ["a", 0.95]], udfs_rules_range(_persistent_rules()),
                 None, history)
    assert rows[0]["expansion_score"] == 50.0


def udfs_rules_range(frame):
    body = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [list(frame.columns)] + body


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([["account_id", "usage_vs_cap"], ["a", 0.9]], "history: expected a column 'period' in the header row"),
        ([["account_id", "period", "usage_vs_cap"], ["a", 1, 0.9], ["a", 1, 0.8]],
         "history row 3: account_id 'a' appears twice in period 1"),
        ([["account_id", "period", "usage_vs_cap"], ["a", "soon", 0.9]],
         "history period: expected a whole number or a date, got 'soon' (item 1)"),
        ([["account_id", "period", "usage_vs_cap"], ["a", 1, "n/a"]],
         "history: row 2: usage_vs_cap 'n/a' is not a number"),
    ],
)
def test_a_bad_history_is_a_named_error(history, message):
    book = pd.DataFrame({"account_id": ["a"], "usage_vs_cap": [0.95]})
    with pytest.raises(ValueError) as info:
        udfs.score_accounts(book, _persistent_rules(), history=history)
    assert str(info.value) == message


# --------------------------------------------------------------------------- as_of, renewals, owners


def test_renewal_within_120_days_pairs_the_play_and_pulls_the_due_date():
    head = ["account_id", "arr", "segment", "usage_vs_cap", "renewal_date"]
    rows = [["soon", 100_000, "Enterprise", 0.95, "2026-02-15"],  # 45 days: due 15
            ["close", 100_000, "Enterprise", 0.95, dt.date(2026, 1, 20)],  # 19 days: due 0
            ["far", 100_000, "Enterprise", 0.95, "2026-08-01"],  # 212 days: the cycle, 70
            ["edge", 100_000, "Enterprise", 0.95, 46143]]  # serial 2026-05-01 = 120 days: due 70
    out = {r["account_id"]: r for r in queue([head, *rows], None, None, None, "2026-01-01")}
    assert {k: r["due_in_days"] for k, r in out.items()} == {"soon": 15, "close": 0, "far": 70, "edge": 70}
    assert "renewal in 45 days: pair the play with the renewal conversation" in out["soon"]["reasons"]
    assert "renewal" not in out["far"]["reasons"]
    # as_of makes the result reproducible: a later as_of moves the renewal closer
    later = {r["account_id"]: r for r in queue([head, *rows], None, None, None, "2026-04-10")}
    assert later["far"]["due_in_days"] == 70 and later["edge"]["due_in_days"] == 0


def test_tenure_comes_from_customer_since_at_as_of():
    head = ["account_id", "usage_vs_cap", "customer_since"]
    rows = [["new", 0.95, "2026-03-20"], ["old", 0.95, "2025-01-01"]]
    out = {r["account_id"]: r for r in queue([head, *rows], None, None, None, "2026-06-01")}
    assert out["new"]["play"] == "Too early" and "tenure 2 months < 4" in out["new"]["reasons"]
    assert out["old"]["play"] == "Tier upgrade"


def test_owners_capacity_gives_slots_in_queue_order_and_a_joint_play_takes_one_of_each():
    head = ["account_id", "arr", "seat_utilization", "usage_vs_cap"]
    rows = [["s1", 90_000, 0.95, None],  # Seat, CSM + Expansion AE, EV 6,750
            ["t1", 60_000, None, 0.95],  # Tier, Expansion AE, EV 7,800
            ["s2", 80_000, 0.95, None],  # Seat, CSM + Expansion AE, EV 6,000
            ["s3", 10_000, 0.95, None],  # Seat, CSM, EV 750
            ["t2", 10_000, None, 0.95]]  # Tier, CSM (increase 4,000 < 10,000), EV 1,300
    owners = [["owner", "weekly_capacity"], ["CSM", 3], ["Expansion AE", 2]]
    out = queue([head, *rows], None, None, None, "2026-01-01", owners)
    assert [r["account_id"] for r in out] == ["t1", "s1", "s2", "t2", "s3"]
    # t1 takes AE 1; s1 takes CSM 1 and AE 2; s2 needs an AE: queued; t2 CSM 2; s3 CSM 3
    assert [r["slot"] for r in out] == ["this week", "this week", "queued", "this week", "this week"]
    assert [r["slot"] for r in queue([head, *rows])] == [""] * 5  # no Owners table: no slots
    with pytest.raises(ValueError, match=r"^owners owner: expected each owner once, got 'csm' \(item 2\)$"):
        call_udf("SCORE_ACCOUNTS", [head, *rows], None, None, None, None,
                 [["owner", "weekly_capacity"], ["CSM", 1], ["csm", 2]])


def test_summary_rows_and_blank_ids_stay_as_not_scored_last():
    head = ["account_id", "arr", "usage_vs_cap"]
    rows = [["Total", 500_000, 0.95], ["a1", 50_000, 0.95], [None, 10, 0.99], ["grand TOTAL", 1, 1]]
    out = queue([head, *rows])
    assert len(out) == 4
    assert [r["play"] for r in out] == ["Tier upgrade", "Not scored", "Not scored", "Not scored"]
    assert [r["expansion_score"] for r in out[1:]] == ["", "", ""]
    by_id = {r["account_id"]: r["reasons"] for r in out[1:]}
    assert by_id == {"": "Not scored: no account_id; row 4: account_id is blank",
                     "Total": "Not scored: a summary row", "grand TOTAL": "Not scored: a summary row"}


def test_as_of_and_routing_are_checked():
    with pytest.raises(ValueError, match=r"^as_of: expected a date from 1900-01-01 to 9999-12-31, got 'someday'$"):
        call_udf("SCORE_ACCOUNTS", [["account_id"], ["a"]], None, None, None, "someday")


# --------------------------------------------------------------------------- PLAY_DUE_DATE


def test_play_due_date_pairs_with_a_renewal_and_rejects_dates_outside_excels_calendar():
    # 46027 = 2026-01-05; renewal 2026-02-20 is 46 days away: due 16 days after the trigger
    out = call_udf("PLAY_DUE_DATE", "Tier upgrade", 46027, "Enterprise", None, 46073)
    assert out[0][0]["basicValue"] == 46027 + 16
    far = call_udf("PLAY_DUE_DATE", "Tier upgrade", 46027, "Enterprise", None, 46027 + 200)
    assert far[0][0]["basicValue"] == 46027 + 70
    for bad, arg in ((dt.date(1899, 12, 31), "trigger_date"), ("0001-01-01", "trigger_date")):
        with pytest.raises(ValueError, match=rf"^{arg}: expected a date from 1900-01-01 to 9999-12-31"):
            udfs.play_due_date("Tier upgrade", bad)
    with pytest.raises(ValueError, match=r"^renewal_date: expected a date from 1900-01-01 to 9999-12-31"):
        udfs.play_due_date("Tier upgrade", "2026-01-05", renewal_date=3_000_000)
    with pytest.raises(ValueError, match=r"^trigger_date: expected a date whose play is due by 9999-12-31"):
        udfs.play_due_date("Tier upgrade", "9999-12-30")


# --------------------------------------------------------------------------- score_book


def test_score_book_is_the_queue_in_input_order_with_its_rank():
    book = udfs.sample_accounts(120, seed=4)
    owners = pd.DataFrame({"owner": ["CSM", "Expansion AE"], "weekly_capacity": [5, 3]})
    frame = udfs.score_book(book, as_of="2026-12-15", owners=owners)
    assert frame["account_id"].tolist() == book["account_id"].tolist()
    assert sorted(frame["queue_rank"]) == list(range(1, 121))
    q = udfs.score_accounts(book, as_of="2026-12-15", owners=owners)
    ranked = frame.sort_values("queue_rank")[list(udfs.SCORE_COLUMNS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(ranked, q)
    fast = udfs.score_book(book, as_of="2026-12-15", owners=owners, reasons=False)
    assert (fast["reasons"] == "").all()
    pd.testing.assert_frame_equal(fast.drop(columns="reasons"), frame.drop(columns="reasons"))
    assert (q["slot"][q["ready"]] != "").all() and (q["slot"][~q["ready"]] == "").all()


# --------------------------------------------------------------------------- pandas text columns


def test_ids_read_as_arrow_text_in_order_are_used_as_read_and_the_input_is_left_alone():
    """Ascending Arrow ids (a sorted export) skip the per-id objects; error and summary ids
    are still found, the error id is blanked in the queue only, never in the caller's table."""
    pytest.importorskip("pyarrow")
    ids = ["#N/A", "ACC-1", "ACC-2", "TOTAL"]  # ascending: '#' sorts before letters
    book = pd.DataFrame({"account_id": pd.Series(ids, dtype=pd.StringDtype("pyarrow")),
                         "account_name": pd.Series(["x", "Acme", "Globex", "all"], dtype=pd.StringDtype("pyarrow")),
                         "usage_vs_cap": [0.5, 0.99, 0.2, 0.9]})
    got = udfs.score_accounts(book, as_of="2026-01-01")
    assert book["account_id"].tolist() == ids  # the input is untouched
    assert got["account_id"].tolist() == ["ACC-1", "ACC-2", "", "TOTAL"]
    assert got["play"].tolist() == ["Tier upgrade", "Nurture", "Not scored", "Not scored"]
    assert got["reasons"].iloc[2].startswith("Not scored: no account_id; row 2: account_id is the Excel error #N/A")
    assert got["reasons"].iloc[3].startswith("Not scored: a summary row")
    objects = book.astype({"account_id": object, "account_name": object})
    pd.testing.assert_frame_equal(got, udfs.score_accounts(objects, as_of="2026-01-01"))
    assert str(got["account_id"].dtype) == "str" and str(got["account_name"].dtype) == "str"


@pytest.mark.parametrize("storage", ["pyarrow", "python"])
def test_pandas_text_columns_give_the_queue_their_cells_give_as_objects(storage):
    """A DataFrame whose text columns are pandas' text dtype (read without a Python object per
    cell) scores exactly as the same cells held as Python objects: ids stripped of every kind
    of space Python strips, blank, error and summary ids not scored, repeats noted, unknown
    segments and bad dates named."""
    pytest.importorskip(storage) if storage == "pyarrow" else None
    cells = {
        "account_id": ["  a1 ", "a2\x1c", "Total", "#N/A", "", "a3", "a3", "b\u3000", "z0"],
        "account_name": ["Acme", "Globex", "", "Initech", "Umbrella", "Hooli", "Hooli", "Soylent", "Tyrell"],
        "segment": ["ent", "SMB", "Unknown", "", "Mid-market", "mm", "mm", "Enterprise", "smb"],
        "renewal_date": ["2026-02-15", "soon", "", "2026-03-01", "2026-02-01T00:00", "2026-02-20",
                         "2026-02-20", "2027-01-01", "2026-01-20"],
        "customer_since": ["2020-01-01", "2025-11-20", "2019-05-01", "2020-01-01", "2020-01-01", "never",
                           "2020-01-01", "2021-06-30", "2022-02-02"],
        "arr": [100_000, 40_000, 1e6, 20_000, 30_000, 80_000, 80_000, 60_000, 10_000],
        "usage_vs_cap": [0.95, 0.99, 0.9, 0.5, 0.97, 0.91, 0.91, 0.2, 0.96],
        "seat_utilization": [0.5, 0.95, 0.99, 0.92, 0.3, 0.93, 0.93, 0.99, 0.1],
    }
    text = pd.DataFrame({k: pd.Series(v, dtype=pd.StringDtype(storage) if isinstance(v[0], str) else None)
                         for k, v in cells.items()})
    objects = pd.DataFrame({k: pd.Series(v, dtype=object if isinstance(v[0], str) else None)
                            for k, v in cells.items()})
    assert isinstance(text["account_id"].dtype, pd.StringDtype) and objects["account_id"].dtype == object
    assert set(_accounts.WHITESPACE) == {c for c in map(chr, range(0x110000)) if c.isspace()}
    got = udfs.score_accounts(text, as_of="2026-01-01")
    pd.testing.assert_frame_equal(got, udfs.score_accounts(objects, as_of="2026-01-01"))
    by_id = got.set_index("account_id")
    assert {"a1", "a2", "b", "z0"} <= set(by_id.index)  # stripped, \x1c and \u3000 too
    assert by_id.loc["a2", "reasons"].endswith("row 3: renewal_date 'soon' is not a date")
    sentences = " | ".join(got["reasons"])
    for note in ("row 8: account_id 'a3' repeats row 7", "row 5: account_id is the Excel error #N/A",
                 "row 7: customer_since 'never' is not a date", "segment 'Unknown' is not one of",
                 "row 6: account_id is blank"):
        assert note in sentences, note
    assert by_id.loc["Total", "play"] == "Not scored"


def test_each_column_of_the_queue_is_its_own_so_editing_one_leaves_the_others():
    """A notebook user fills in a cell of the queue: no other column may change with it
    (the blank columns once shared one array, so an opportunity id typed in also became
    the stage)."""
    book = udfs.sample_accounts(40, seed=3)
    q = udfs.score_accounts(book, as_of="2026-12-15")
    q.loc[0, "opportunity_id"] = "OPP-1"  # in place: no copy of the queue exists yet
    q.loc[1, "assignee"] = "Ana"
    assert q.loc[0, "opportunity_stage"] == "" and q.loc[1, "slot"] == ""
    q = udfs.score_accounts(book, as_of="2026-12-15")
    before = q.copy(deep=True)
    for column in q.columns:
        edited = q.copy(deep=False)
        kind = q[column].dtype.kind
        edited.loc[0, column] = {"f": 7.0, "i": 99, "b": not q.loc[0, column],
                                 "M": pd.Timestamp("2030-01-02")}.get(kind, "typed in")
        assert edited.loc[0, column] != before.loc[0, column]
        others = [c for c in q.columns if c != column]
        pd.testing.assert_frame_equal(edited[others], before[others])


# --------------------------------------------------------------------------- work beside


def _busy_book():
    """The sample book with a summary row, a blank id and bad cells: every path of the queue."""
    book = udfs.sample_accounts(3000, seed=5).astype(
        {"renewal_date": object, "segment": object, "seat_utilization": object})
    book.loc[7, "account_id"] = "Total"
    book.loc[8, "account_id"] = None
    book.loc[9, "seat_utilization"] = "n/a"
    book.loc[10, "segment"] = "Galactic"
    return book


def _sample_with_records():
    """The sample book with its opportunities and named owners: plays in flight, assignees."""
    owners = pd.read_csv(os.path.join(os.path.dirname(workbook.__file__), "sample_owners.csv"))
    return udfs.sample_accounts(), {"opportunities": udfs.sample_opportunities(), "owners": owners}


@pytest.mark.parametrize("options", [{}, {"routing": "value"}, {"owners": [["owner", "weekly_capacity"],
                                                                            ["CSM", 40], ["AE", 25]]}, "records"])
def test_the_queue_is_the_same_whether_its_long_stretches_run_beside_or_in_turn(monkeypatch, options):
    book = _busy_book()
    if options == "records":
        book, options = _sample_with_records()
    in_turn = udfs.score_accounts(book, as_of="2026-12-15", **options)
    where: list[str] = []
    evaluate = evidence.evaluate

    def spy(*args, **kwargs):
        where.append(threading.current_thread().name)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(_threads, "MIN_ROWS", 0)
    monkeypatch.setattr(evidence, "evaluate", spy)
    beside = udfs.score_accounts(book, as_of="2026-12-15", **options)
    assert where and where[0].startswith("upcell-beside")  # it did run on a worker
    pd.testing.assert_frame_equal(beside, in_turn)
    assert beside["reasons"].str.len().gt(0).all()
    if "opportunities" in options:  # the records did reach the queue
        assert beside["pipeline_status"].ne("").sum() > 10 and beside["assignee"].ne("").sum() > 5


def test_a_bad_opportunities_table_read_beside_is_named_before_the_book_is(monkeypatch):
    monkeypatch.setattr(_threads, "MIN_ROWS", 0)
    bad_book = pd.DataFrame({"name": ["a"], "usage_vs_cap": [0.95]})  # no account_id
    bad_opps = [["opportunity_id", "account_id", "type", "amount", "close_date", "status"],
                ["O1", "a", "Upsell", 1000, "2026-01-01", "maybe"]]
    with pytest.raises(ValueError) as info:
        udfs.score_accounts(bad_book, as_of="2026-12-15", opportunities=bad_opps)
    assert str(info.value) == "opportunities row 2 status: expected open, won or lost, got 'maybe'"
    with pytest.raises(ValueError, match="account_id"):  # alone, the book's own error
        udfs.score_accounts(bad_book, as_of="2026-12-15")


def test_an_error_on_the_worker_reaches_the_caller_as_its_one_line(monkeypatch):
    monkeypatch.setattr(_threads, "MIN_ROWS", 0)
    book = pd.DataFrame({"account_id": ["a"], "usage_vs_cap": [0.95]})
    with pytest.raises(ValueError) as info:
        udfs.score_accounts(book, _persistent_rules(), history=[["account_id", "usage_vs_cap"], ["a", 0.9]])
    assert str(info.value) == "history: expected a column 'period' in the header row"
