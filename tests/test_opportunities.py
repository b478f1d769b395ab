"""Pipeline coverage from opportunities (SPEC §5): per quarter × motion × owner, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf, udf_meta
from udfs.core._args import InputError

AS_OF = "2025-01-15"  # quarter 2025-Q1; the last 4 closed quarters are 2024-Q1 .. 2024-Q4

HEADER = ["Opportunity ID", "Account ID", "Type", "Amount", "Stage", "Probability", "Close Date", "Owner", "Status"]
ROWS = [
    # closed in the window
    ["o1", "a1", "Seat expansion", 40_000, "Closed Won", None, "2024-03-10", "Ana", "won"],
    ["o2", "a2", "Add seats", 20_000, "Closed Won", None, "2024-10-01", "Bo", "Won"],
    ["o3", "a3", "Seat expansion", 60_000, "Closed Lost", None, "2024-06-30", "Ana", "lost"],
    ["o4", "a4", "Upsell", 25_000, "Closed Won", None, "2024-12-31", "Ana", "won"],
    ["o5", "a5", "Tier upgrade", 75_000, "Closed Lost", None, "2024-02-01", "Bo", "lost"],
    ["o6", "a6", "Cross-sell", 10_000, "Closed Won", None, "2023-12-15", "Bo", "won"],  # before the window
    ["o7", "a7", "New department", 50_000, "Closed Lost", None, "2024-05-01", "Bo", "lost"],
    # open
    ["o8", "a1", "Seat expansion", 70_000, "Proposal", None, "2025-02-10", "Ana", "open"],
    ["o9", "a2", "Seat expansion", 30_000, "Negotiation", 80, "2025-03-31", "Bo", "open"],  # 80 = 80 %
    ["o10", "a4", "Upgrade", 100_000, "Discovery", 0.3, "2025-01-20", "Ana", "open"],
    ["o11", "a6", "Cross sell", 50_000, "Discovery", None, "2025-03-01", "Bo", "open"],
    ["o12", "a1", "Seat expansion", 20_000, "Discovery", None, "2025-04-02", "Ana", "open"],  # 2025-Q2
    ["o13", "a3", "Seat expansion", 99_000, "Proposal", None, "2024-12-20", "Ana", "open"],  # slipped: before Q1
    # other types: left out, reported
    ["o14", "a9", "New Business", 200_000, "Discovery", None, "2025-02-01", "Cy", "open"],
    ["o15", "a5", "Renewal", 80_000, "Closed Won", None, "2024-11-01", "Cy", "won"],
]
TARGETS = [
    ["Quarter", "Motion", "Owner", "Target"],
    ["2025-Q1", "Seat expansion", None, 40_000],
    ["2025-Q1", "Tier upgrade", None, 40_000],
    ["2025-Q1", "Cross-sell", None, 20_000],
    ["2025-Q1", "Seat expansion", "Bo", 10_000],
    ["Q2 2025", None, None, 50_000],
]


def opps() -> list[list]:
    return [HEADER] + [list(r) for r in ROWS]


def rows_of(table: pd.DataFrame) -> dict:
    return {(r.quarter, r.motion, r.owner): r for r in table.itertuples(index=False)}


def test_win_rates_by_hand():
    w = udfs.win_rates(opps(), as_of=AS_OF).set_index("motion")
    assert w.loc["Seat expansion", "win_rate"] == pytest.approx(60 / 120)  # (40 + 20) / (40 + 20 + 60)
    assert w.loc["Seat expansion", "required_coverage"] == pytest.approx(2.0)
    assert w.loc["Tier upgrade", "win_rate"] == pytest.approx(25 / 100)
    assert w.loc["Tier upgrade", "required_coverage"] == pytest.approx(4.0)
    assert w.loc["Cross-sell", ["win_rate", "basis"]].tolist() == [0.20, "assumed"]  # 2023 is outside
    assert w.loc["Usage expansion", ["win_rate", "basis"]].tolist() == [0.60, "assumed"]
    assert w.loc["Cross-department", ["win_rate", "basis"]].tolist() == [0.0, "measured"]
    assert np.isnan(w.loc["Cross-department", "required_coverage"])  # no wins: no finite coverage
    assert w["window"].iloc[0] == "2024-Q1 to 2024-Q4"
    assert w.loc["Seat expansion", "basis"] == "measured"


def test_coverage_per_quarter_and_motion_by_hand():
    t = rows_of(udfs.pipeline_from_opportunities(opps(), TARGETS, AS_OF))
    all_ = "All owners"
    seat = t[("2025-Q1", "Seat expansion", all_)]
    assert seat.pipeline == 100_000  # o8 + o9 (o13 slipped into 2024-Q4: not this quarter)
    assert seat.weighted_pipeline == pytest.approx(70_000 * 0.5 + 30_000 * 0.8)
    assert (seat.target, seat.coverage, seat.status, seat.gap) == (40_000, 2.5, "Healthy", 0.0)
    tier = t[("2025-Q1", "Tier upgrade", all_)]
    assert tier.weighted_pipeline == pytest.approx(30_000)  # its own probability 0.3
    # required 4x: Healthy at 4, Thin at 8/3 = 2.67; 2.5 is Undercovered
    assert (tier.coverage, tier.status, tier.gap) == (2.5, "Undercovered", pytest.approx(40_000 * 4 - 100_000))
    cross = t[("2025-Q1", "Cross-sell", all_)]
    assert cross.weighted_pipeline == pytest.approx(50_000 * 0.2) and cross.basis == "assumed"
    assert (cross.status, cross.gap) == ("Undercovered", pytest.approx(20_000 * 5 - 50_000))
    usage = t[("2025-Q1", "Usage expansion", all_)]
    assert usage.pipeline == 0 and usage.target is None and usage.status is None
    total = t[("2025-Q1", "Total", all_)]
    assert total.pipeline == 250_000 and total.target == 100_000
    # required = (40k x 2 + 40k x 4 + 20k x 5) / 100k = 3.4; Thin from 3.4 x 2/3 = 2.27
    assert total.required_coverage == pytest.approx(3.4)
    assert (total.coverage, total.status) == (2.5, "Thin")
    assert total.gap == pytest.approx(340_000 - 250_000)
    q2 = t[("2025-Q2", "Total", all_)]
    # a total with no motion split requires 3x: 20k / 50k = 0.4
    assert (q2.pipeline, q2.required_coverage, q2.coverage, q2.status, q2.gap) == (
        20_000, 3.0, 0.4, "Undercovered", 130_000)
    assert not any(k[0] == "2024-Q4" for k in t)  # before the as_of quarter


def test_owner_rows_and_no_target():
    t = rows_of(udfs.pipeline_from_opportunities(opps(), TARGETS, AS_OF, by="owner"))
    bo = t[("2025-Q1", "Seat expansion", "Bo")]
    assert (bo.pipeline, bo.weighted_pipeline, bo.target, bo.coverage, bo.status) == (30_000, 24_000, 10_000, 3.0, "Healthy")
    ana = t[("2025-Q1", "Seat expansion", "Ana")]
    assert (ana.pipeline, ana.target, ana.status) == (70_000, None, None)
    none = udfs.pipeline_from_opportunities(opps(), None, AS_OF)
    assert none["target"].isna().all() and none["status"].isna().all() and none["gap"].isna().all()
    one = rows_of(udfs.pipeline_from_opportunities(opps(), 125_000, AS_OF))
    assert one[("2025-Q1", "Total", "All owners")].coverage == pytest.approx(2.0)
    assert one[("2025-Q1", "Total", "All owners")].status == "Thin"


def test_other_types_are_left_out_and_reported():
    other = udfs.other_opportunities(opps())
    assert other.to_dict("records") == [
        {"type": "New Business", "status": "open", "opportunities": 1, "amount": 200_000},
        {"type": "Renewal", "status": "won", "opportunities": 1, "amount": 80_000},
    ]


def test_through_xlwings_spill_and_meta():
    out = call_udf("PIPELINE_FROM_OPPORTUNITIES", opps(), TARGETS, AS_OF)
    header = out[0]
    assert header == ["quarter", "motion", "owner", "pipeline", "weighted_pipeline", "win_rate", "basis",
                      "required_coverage", "target", "coverage", "status", "gap"]
    total = [dict(zip(header, r, strict=True)) for r in out[1:] if r[0] == "2025-Q1" and r[1] == "Total"][0]
    assert total["status"] == "Thin" and total["coverage"] == pytest.approx(2.5)
    rates = call_udf("WIN_RATES", opps(), AS_OF)
    assert rates[0][:4] == ["motion", "won", "lost", "win_rate"] and rates[1][3] == pytest.approx(0.5)
    assert call_udf("OTHER_OPPORTUNITIES", opps())[0] == ["type", "status", "opportunities", "amount"]
    # Excel date serials (a date cell) work like ISO text: 45703 = 2025-02-15
    serial = [HEADER] + [r[:6] + [45703] + r[7:] if r[0] == "o8" else list(r) for r in ROWS]
    again = call_udf("PIPELINE_FROM_OPPORTUNITIES", serial, TARGETS, AS_OF)
    assert again == out
    meta = udf_meta()
    for name in ("PIPELINE_FROM_OPPORTUNITIES", "WIN_RATES", "OTHER_OPPORTUNITIES"):
        assert "Example: =" + name in meta[name]["description"]
        assert all(p["description"] for p in meta[name]["parameters"])


def test_status_from_stage_when_no_status_column():
    rows = [["id", "motion", "amount", "stage", "close_date"],
            [1, "Seat expansion", 30, "Closed Won", "2024-05-01"],
            [2, "Seat expansion", 10, "Closed Lost", "2024-06-01"],
            [3, "Seat expansion", 50, "Proposal", "2025-02-01"]]
    w = udfs.win_rates(rows, as_of=AS_OF).set_index("motion")
    assert w.loc["Seat expansion", "win_rate"] == pytest.approx(0.75)
    t = udfs.pipeline_from_opportunities(rows, as_of=AS_OF)
    assert t.loc[t["motion"] == "Seat expansion", "pipeline"].iloc[0] == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((TARGETS[:1] + [["2025-Q1", None, None, 0]],), r"^targets row 2 target: expected a number above 0"),
        ((0,), r"^target: expected a number above 0 \(the quarter's expansion target\), got 0"),
        ((TARGETS[:1] + [["2025-Q1", "Upsell", None, 5]],), r"^targets row 2 motion: expected one of Seat expansion"),
        ((TARGETS[:1] + [["soon", None, None, 5]],), r"^targets row 2 quarter: expected a quarter such as 2025-Q1"),
        ((TARGETS[:1] + [["2025-Q1", None, None, 5], ["2025Q1", None, None, 6]],), r"^targets row 3 target: expected one target per quarter"),
        ((None, "sometime"), r"^as_of: expected a date"),
        ((None, AS_OF, None, "region"), r"^by: expected one of motion, owner, got 'region'"),
    ],
)
def test_bad_targets_and_arguments_are_named(args, message):
    with pytest.raises(InputError, match=message) as info:
        call_udf("PIPELINE_FROM_OPPORTUNITIES", opps(), *args)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"Amount": "lots"}, r"^opportunities row 2 amount: expected a number, got 'lots'$"),
        ({"Amount": -5}, r"^opportunities row 2 amount: expected a non-negative number, got -5"),
        ({"Close Date": None}, r"^opportunities row 2 close_date: expected a date"),
        ({"Status": "maybe"}, r"^opportunities row 2 status: expected open, won or lost, got 'maybe'$"),
        ({"Probability": 150}, r"^opportunities row 2 probability: expected a probability from 0 to 1"),
    ],
)
def test_bad_opportunity_cells_are_named(row, message):
    bad = [HEADER, [row.get(h, v) for h, v in zip(HEADER, ROWS[0], strict=True)]] + [list(r) for r in ROWS[1:]]
    with pytest.raises(InputError, match=message):
        call_udf("WIN_RATES", bad, AS_OF)


def test_missing_columns_are_named():
    with pytest.raises(InputError, match=r"^opportunities: expected a column 'motion' \(or 'type'\)"):
        udfs.win_rates([["id", "amount", "close_date"], [1, 5, "2025-01-01"]])
    with pytest.raises(InputError, match=r"^opportunities: expected a column 'amount'"):
        udfs.win_rates([["id", "motion", "close_date"], [1, "Seat expansion", "2025-01-01"]])


def test_a_tiny_target_is_a_named_error_not_infinity():
    # issue 8: 1.5M / 5e-324 overflows to inf; every function here returns finite numbers or a named error
    with pytest.raises(InputError, match=r"^target: expected a target of at least 0.01, got 5e-324$"):
        call_udf("PIPELINE_COVERAGE", 1_500_000, 5e-324)
    with pytest.raises(InputError, match=r"^target: "):
        udfs.pipeline_from_opportunities(opps(), 5e-324, AS_OF)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("PIPELINE_GAP", (0, 1e308, 5), r"^target: expected a target small enough"),
        ("WEIGHTED_PIPELINE", ([1.7e308, 1.7e308], ["Seat expansion", "Usage expansion"]), r"^amounts: expected amounts small enough"),
        ("NRR", (5e-324, 1e6, 0, 0), r"^starting_arr: expected a starting ARR that keeps the ratio finite"),
        ("ARR_AFTER", (1e300, 5, 100), r"^years: expected a horizon whose ARR stays a finite number"),
        ("NRR_PROJECTION", (1e300, 5, 100), r"^years: expected a horizon whose ARR stays a finite number"),
    ],
)
def test_overflow_is_a_named_error(name, args, message):
    with np.errstate(over="raise", divide="raise", invalid="raise"), pytest.raises(InputError, match=message):
        call_udf(name, *args)


def test_single_cell_functions_agree_with_the_table():
    table = rows_of(udfs.pipeline_from_opportunities(opps(), TARGETS, AS_OF, by="owner"))
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "2025-Q1", "Seat expansion") == 100_000
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "2025-Q1") == table[("2025-Q1", "Total", "All owners")].pipeline
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "Q1 2025", "Seat expansion", "Bo", True, AS_OF) == pytest.approx(24_000)
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "2025-Q1", None, None, True, AS_OF) == pytest.approx(
        table[("2025-Q1", "Total", "All owners")].weighted_pipeline)
    assert one_cell("WIN_RATE", opps(), "Tier upgrade", AS_OF) == pytest.approx(0.25)
    assert one_cell("WIN_RATE_BASIS", opps(), "Cross-sell", AS_OF) == "assumed"
    assert one_cell("WIN_RATE_BASIS", opps(), "Seat expansion", AS_OF) == "measured"
    with pytest.raises(InputError, match=r"^motion: expected one of Seat expansion"):
        call_udf("WIN_RATE", opps(), "Upsell-ish")
    with pytest.raises(InputError, match=r"^quarter: expected a quarter such as 2025-Q1"):
        call_udf("OPPORTUNITY_PIPELINE", opps(), "next one")


def one_cell(name, *args):
    out = call_udf(name, *args)
    assert len(out) == 1 and len(out[0]) == 1, out
    return out[0][0]
