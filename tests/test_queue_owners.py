"""Named owners (issue 15, item 2): an Owners table of people gives each new play a named
assignee and a slot under each person's weekly capacity; the model has an Owners sheet; one
owner's list exports as a CSV for the CRM. Through xlwings' runtime, the model read back
with openpyxl, and the command line."""

from __future__ import annotations

import csv
import os

import openpyxl
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf
from udfs.core import playbook
from workbook import build
from workbook.__main__ import main
from workbook.sheets.owners import SAMPLE_OWNERS

PEOPLE_HEAD = ["name", "role", "motions", "weekly_capacity"]
AS_OF = "2026-12-01"


def queue(accounts, owners, opps=None):
    out = call_udf("SCORE_ACCOUNTS", accounts, None, None, None, AS_OF, owners, None, opps)
    return [dict(zip(out[0], r, strict=True)) for r in out[1:]]


def test_new_plays_are_dealt_to_the_people_of_their_role_by_capacity():
    # eight seat plays (CSM under $25k ARR), then two joint ones (CSM + Expansion AE)
    accounts = [["account_id", "arr", "seat_utilization"],
                *[[f"s{i}", 20_000 - i * 1000, 0.95] for i in range(8)],
                ["j1", 90_000, 0.95], ["j2", 80_000, 0.95]]
    owners = [PEOPLE_HEAD, ["Ana", "CSM", "", 2], ["Ben", "CSM", "Seat expansion", 1],
              ["Cy", "Expansion AE", "", 1], ["Dee", "CSM", "Tier upgrade", 5]]
    rows = {r["account_id"]: r for r in queue(accounts, owners)}
    order = [r["account_id"] for r in queue(accounts, owners)]
    assert order[:2] == ["j1", "j2"]  # the joint plays are worth the most
    # the CSM seat plays, in queue order, dealt Ana, Ben, Ana, then again (Dee takes no seats)
    csm = [rows[a]["assignee"] for a in order]
    assert csm == ["Ana + Cy", "Ben + Cy", "Ana", "Ana", "Ben", "Ana", "Ana", "Ben", "Ana", "Ana"]
    # in queue order each play takes a slot of each of its people while they have one:
    # j1 (Ana, Cy), j2 waits for Cy, s0 is Ana's second, s2 Ben's only; the rest wait
    week, later = playbook.THIS_WEEK, playbook.QUEUED
    assert [rows[a]["slot"] for a in order] == [week, later, week, later, week, later, later, later, later, later]


def test_a_role_nobody_plays_is_said_in_the_reasons_and_plays_in_flight_get_no_assignee():
    accounts = [["account_id", "arr", "seat_utilization", "usage_vs_cap"],
                ["a", 10_000, 0.95, 0.5], ["b", 200_000, 0.5, 0.95], ["c", 10_000, 0.95, 0.5]]
    owners = [PEOPLE_HEAD, ["Ana", "CSM", "", 3]]
    opps = [["opportunity_id", "account_id", "type", "amount", "stage", "close_date", "status"],
            ["O1", "c", "Add seats", 900, "Proposal", "2026-12-20", "open"]]
    rows = {r["account_id"]: r for r in queue(accounts, owners, opps)}
    assert (rows["a"]["assignee"], rows["a"]["slot"]) == ("Ana", playbook.THIS_WEEK)
    assert rows["b"]["owner"] == "Expansion AE" and rows["b"]["assignee"] == ""
    assert "no one in the Owners table is a Expansion AE taking Tier upgrade" in rows["b"]["reasons"]
    assert rows["c"]["pipeline_status"] == "In pipeline" and rows["c"]["assignee"] == rows["c"]["slot"] == ""


@pytest.mark.parametrize("row, message", [
    (["Ana", "CSM + Expansion AE", "", 2], "owners role: expected one role per person"),
    (["Ana", "CSM", "Teleportation", 2], "owners motions"),
    (["Ana", "CSM", "", 2.5], "owners weekly_capacity: expected a whole number of plays"),
    (["Ana", "CSM", "", -1], "owners weekly_capacity"),
])
def test_a_bad_people_table_is_one_named_line(row, message):
    with pytest.raises(Exception) as err:
        queue([["account_id", "seat_utilization"], ["a", 0.95]], [PEOPLE_HEAD, row])
    assert message in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(Exception, match="owners name: expected each person once"):
        queue([["account_id", "seat_utilization"], ["a", 0.95]], [PEOPLE_HEAD, ["Ana", "CSM", "", 1],
                                                                   [" ana ", "CSM", "", 1]])


def test_the_sample_owners_resolve_every_owner_of_the_plays_to_people():
    people = udfs.owner_people(pd.read_csv(SAMPLE_OWNERS))
    plays = playbook.plays_table(None)
    for motion, row in plays.iterrows():
        m = playbook.MOTIONS.index(motion)
        for label in {row["owner"], row["owner_above"] or row["owner"]}:
            for role in str(label).split("+"):
                key = udfs.core._args.normalize_key(role)
                takers = [n for n, r, t in zip(people.names, people.roles, people.motions[:, m], strict=True)
                          if r == key and t]
                assert takers, f"{label} / {motion}: nobody in sample_owners.csv"
    q = udfs.score_accounts(udfs.sample_accounts(), as_of=AS_OF, owners=pd.read_csv(SAMPLE_OWNERS),
                            opportunities=udfs.sample_opportunities())
    new = q[q["ready"] & (q["pipeline_status"] == "")]
    assert len(new) >= 5 and (new["assignee"] != "").all()
    assert set(new["slot"]) == {playbook.THIS_WEEK, playbook.QUEUED}
    assert set(new["assignee"].str.split(" + ", regex=False).explode()) <= set(people.names)


@pytest.fixture(scope="module")
def demo_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("owners") / "demo.xlsx"
    return build(None, path, owners=SAMPLE_OWNERS)


def test_the_model_has_an_owners_sheet_and_filled_slots(demo_model):
    wb = openpyxl.load_workbook(demo_model.path)
    assert wb.sheetnames.index("Owners") == wb.sheetnames.index("Plays") + 1
    owners = wb["Owners"]
    assert "Owners" in owners.tables
    header = [c.value for c in owners[1]]
    assert header[:6] == ["name", "role", "motions", "weekly_capacity", "this week", "queued"]
    assert "Owners[#All]" in str(wb["upcell formulas"]["C2"].value) or any(
        "Owners[#All]" in str(r[2]) for r in wb["upcell formulas"].iter_rows(values_only=True))
    values = openpyxl.load_workbook(demo_model.path, data_only=True)
    queue = demo_model.queue
    new = queue[queue["ready"].map(lambda v: v is True) & (queue["pipeline_status"] == "")]
    assert len(new) and (new["assignee"] != "").all() and (new["slot"] != "").all()
    # the counts beside each person are their plays on Scores
    for row in values["Owners"].iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        mine = new["assignee"].str.split(" + ", regex=False).map(lambda ns, n=row[0]: n in ns)
        assert row[4] == int((mine & (new["slot"] == playbook.THIS_WEEK)).sum())
        assert row[5] == int((mine & (new["slot"] == playbook.QUEUED)).sum())
        assert row[4] <= row[3]  # never more this week than the person's capacity
    assert values["Scores"].auto_filter.ref.startswith("A4:")


def test_one_owners_list_exports_for_the_crm(tmp_path, capsys):
    out = tmp_path / "maya.csv"
    args = ["queue", "--owners", SAMPLE_OWNERS, "--opportunities", str(tmp_path / "opps.csv"), "--as-of", AS_OF,
            "--owner", "Maya Chen", "--csv", str(out)]
    udfs.sample_opportunities().to_csv(tmp_path / "opps.csv", index=False)
    assert main(args) == 0
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["account_id", "account_name", "play", "owner", "slot", "due_date", "reason"]
    assert rows and {r["owner"] for r in rows} == {"Maya Chen"}
    q = udfs.score_accounts(udfs.sample_accounts(), as_of=AS_OF, owners=pd.read_csv(SAMPLE_OWNERS),
                            opportunities=udfs.sample_opportunities())
    mine = q[q["assignee"].str.split(" + ", regex=False).map(lambda ns: "Maya Chen" in ns)]
    assert [r["account_id"] for r in rows] == mine["account_id"].tolist()
    first = mine.iloc[0]
    expect = (pd.Timestamp(AS_OF) + pd.Timedelta(days=float(first["due_in_days"]))).date().isoformat()
    assert rows[0]["due_date"] == expect and rows[0]["reason"] == first["reasons"]
    # nothing overwritten without --force; with it, the file is replaced whole
    capsys.readouterr()
    assert main(args) == 1 and "--force" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["maya.csv", "opps.csv"]  # no temporary file left
    assert main(["queue", "--owners", SAMPLE_OWNERS, "--owner", "Nobody", "--csv", str(tmp_path / "x.csv"),
                 "--as-of", AS_OF]) == 2
    assert "'Nobody' has no play in this queue" in capsys.readouterr().err


def test_exported_text_is_never_a_live_formula(tmp_path):
    from workbook.sheets.owners import owner_list, write_owner_csv

    book = pd.DataFrame({"account_id": ["=1+1", "@SUM(A1)"], "account_name": ["-2+3", "+cmd"],
                         "seat_utilization": [0.95, 0.95], "arr": [10_000, 9_000]})
    q = udfs.score_accounts(book, as_of=AS_OF, owners=[PEOPLE_HEAD, ["Ana", "CSM", "", 5]])
    path = write_owner_csv(owner_list(q, "Ana", AS_OF), tmp_path / "ana.csv")
    text = open(path, encoding="utf-8").read()
    for hostile in ("=1+1", "@SUM(A1)", "-2+3", "+cmd"):
        assert f",'{hostile}," in text or f"\n'{hostile}," in text


def test_the_bundled_team_is_the_generator_output():
    bundled = pd.read_csv(SAMPLE_OWNERS, keep_default_na=False)
    pd.testing.assert_frame_equal(bundled, udfs.sample_owners(), check_dtype=False)


def test_a_continued_play_keeps_its_person_within_their_capacity():
    accounts = [["account_id", "arr", "seat_utilization"], *[[f"s{i}", 20_000 - i * 1000, 0.95] for i in range(5)]]
    owners = [PEOPLE_HEAD, ["Ana", "CSM", "", 2], ["Ben", "CSM", "", 2]]
    plain = {r["account_id"]: r["assignee"] for r in queue(accounts, owners)}
    assert plain == {"s0": "Ana", "s1": "Ben", "s2": "Ana", "s3": "Ben", "s4": "Ana"}
    previous = [["account_id", "as_of", "ready", "play", "assignee"],
                ["s3", "2026-11-24", True, "Seat expansion", "Ben"], ["s4", "2026-11-24", True, "Seat expansion", "Ben"],
                ["s2", "2026-11-24", True, "Seat expansion", "Ben"],  # three of Ben's, for a capacity of 2
                ["s0", "2026-11-24", True, "Tier upgrade", "Ben"]]  # another play then: dealt afresh
    out = call_udf("SCORE_ACCOUNTS", accounts, None, None, None, AS_OF, owners, None, None, previous)
    rows = {r[0]: dict(zip(out[0], r, strict=True)) for r in out[1:]}
    # in queue order Ben keeps s2 and s3 (his capacity, 2); s4 is dealt again, with s0 and s1
    assert {a: rows[a]["assignee"] for a in rows} == {"s0": "Ana", "s1": "Ana", "s2": "Ben", "s3": "Ben", "s4": "Ana"}
    assert [rows[a]["slot"] for a in ("s0", "s1", "s2", "s3", "s4")] == [
        playbook.THIS_WEEK, playbook.THIS_WEEK, playbook.THIS_WEEK, playbook.THIS_WEEK, playbook.QUEUED]
