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
    # booked this quarter: o16 before as_of counts; o17, dated after as_of, is not booked yet
    ["o16", "a2", "Add seats", 15_000, "Closed Won", None, "2025-01-05", "Bo", "won"],
    ["o17", "a4", "Upsell", 5_000, "Closed Won", None, "2025-02-01", "Ana", "won"],
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
    assert seat.pipeline == 100_000  # o8 + o9; o13 (closing 2024-12-20, still open) is past due
    assert seat.past_due == 99_000
    assert seat.weighted_pipeline == pytest.approx(70_000 * 0.5 + 30_000 * 0.8)
    assert seat.weighting == "mixed: 1 of 2 by CRM probability"
    # booked to date: o16 (2025-01-05); o17 is dated after as_of
    assert (seat.target, seat.booked, seat.remaining_target) == (40_000, 15_000, 25_000)
    assert (seat.coverage, seat.weighted_coverage) == (4.0, pytest.approx(59_000 / 25_000))
    assert (seat.status, seat.gap) == ("Healthy", 0.0)
    tier = t[("2025-Q1", "Tier upgrade", all_)]
    assert tier.weighted_pipeline == pytest.approx(30_000) and tier.weighting == "CRM probability"  # its own 0.3
    assert tier.booked == 0 and tier.remaining_target == 40_000
    # weighted coverage 30k / 40k = 0.75: Thin (from 2/3), though 2.5x is below 1 / 0.25 x 2/3 = 2.67x
    assert (tier.coverage, tier.weighted_coverage, tier.status) == (2.5, 0.75, "Thin")
    assert tier.gap == pytest.approx((40_000 - 30_000) * 4)  # at 1 / win rate
    cross = t[("2025-Q1", "Cross-sell", all_)]
    assert cross.weighted_pipeline == pytest.approx(50_000 * 0.2) and cross.basis == "assumed"
    assert cross.weighting == "win rate"
    assert (cross.status, cross.gap) == ("Undercovered", pytest.approx(20_000 * 5 - 50_000))
    usage = t[("2025-Q1", "Usage expansion", all_)]
    assert usage.pipeline == 0 and usage.target is None and usage.status is None and usage.weighting == ""
    total = t[("2025-Q1", "Total", all_)]
    assert (total.pipeline, total.past_due, total.booked, total.target) == (250_000, 99_000, 15_000, 100_000)
    assert total.weighted_pipeline == pytest.approx(59_000 + 30_000 + 10_000)
    # required = (40k x 2 + 40k x 4 + 20k x 5) / 100k = 3.4 (the target-weighted 1 / win rate)
    assert total.required_coverage == pytest.approx(3.4)
    assert (total.remaining_target, total.weighted_coverage, total.status) == (
        85_000, pytest.approx(99_000 / 85_000), "Healthy")
    q2 = t[("2025-Q2", "Total", all_)]
    # a total with no motion split requires 3x: o12 weighs 20k x 0.5 against 50k
    assert (q2.pipeline, q2.past_due, q2.required_coverage, q2.coverage, q2.weighted_coverage, q2.status) == (
        20_000, 0, 3.0, 0.4, 0.2, "Undercovered")
    assert q2.gap == pytest.approx((50_000 - 10_000) * 3)
    assert not any(k[0] == "2024-Q4" for k in t)  # before the as_of quarter


def test_weighted_pipeline_above_the_remaining_target_is_never_undercovered():
    # one deal at a 90 % CRM probability, a 25 % win rate: 1.2x coverage is far below 1 / 0.25 = 4x,
    # yet 90k expected covers the 80k left to book
    rows = [["id", "motion", "amount", "probability", "close_date", "status"],
            [1, "Tier upgrade", 100_000, 0.9, "2025-03-01", "open"],
            [2, "Tier upgrade", 20_000, None, "2025-01-02", "won"],
            [3, "Tier upgrade", 10_000, None, "2024-05-01", "won"],
            [4, "Tier upgrade", 30_000, None, "2024-06-01", "lost"]]
    targets = [["quarter", "motion", "target"], ["2025-Q1", "Tier upgrade", 100_000]]
    t = rows_of(udfs.pipeline_from_opportunities(rows, targets, AS_OF))[("2025-Q1", "Tier upgrade", "All owners")]
    assert (t.remaining_target, t.coverage, t.weighted_pipeline) == (80_000, 1.25, pytest.approx(90_000))
    assert (t.required_coverage, t.status, t.gap) == (4.0, "Healthy", 0.0)
    # the same deal weighed by the win rate alone (weighting "win rate"): 25k against 80k
    w = rows_of(udfs.pipeline_from_opportunities(rows, targets, AS_OF, weighting="win rate"))
    w = w[("2025-Q1", "Tier upgrade", "All owners")]
    assert (w.weighted_pipeline, w.weighting, w.status) == (pytest.approx(25_000), "win rate", "Undercovered")
    assert w.gap == pytest.approx((80_000 - 25_000) * 4)
    # booked past the target: met, nothing left to cover
    met = udfs.pipeline_from_opportunities(rows, [["quarter", "target"], ["2025-Q1", 15_000]], AS_OF)
    met = met[met["motion"] == "Total"].iloc[0]
    assert (met["remaining_target"], met["status"], met["gap"], met["coverage"]) == (0, "Target met", 0, None)


def test_past_due_is_apart_and_counted_only_when_asked():
    late = udfs.past_due_opportunities(opps(), AS_OF)
    assert late[["opportunity_id", "account_id", "motion", "amount", "stage", "days_past_due", "owner"]].to_dict(
        "records") == [{"opportunity_id": "o13", "account_id": "a3", "motion": "Seat expansion", "amount": 99_000,
                        "stage": "Proposal", "days_past_due": 26, "owner": "Ana"}]
    assert late["close_date"].iloc[0] == pd.Timestamp("2024-12-20")
    o = udfs.read_opportunities(opps())
    assert udfs.is_past_due(o, np.datetime64("2025-01-15")).sum() == 1
    # o13 (row 12) on its own close date is not past due yet; the day after, it is
    assert not udfs.is_past_due(o, np.datetime64("2024-12-20"))[12]
    assert udfs.is_past_due(o, np.datetime64("2024-12-21"))[12]
    counted = rows_of(udfs.pipeline_from_opportunities(opps(), TARGETS, AS_OF, past_due=True))
    seat = counted[("2025-Q1", "Seat expansion", "All owners")]
    assert (seat.pipeline, seat.past_due) == (199_000, 99_000)  # o13 counts in the as_of quarter
    assert seat.weighted_pipeline == pytest.approx(59_000 + 99_000 * 0.5)
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "2025-Q1", "Seat expansion", None, None, AS_OF, None, True) == 199_000
    assert one_cell("OPPORTUNITY_PAST_DUE", opps(), "Seat expansion", None, AS_OF) == 99_000
    assert one_cell("OPPORTUNITY_PAST_DUE", opps(), "Tier upgrade", None, AS_OF) == 0
    out = call_udf("PAST_DUE_OPPORTUNITIES", opps(), AS_OF)
    assert out[0] == ["opportunity_id", "account_id", "motion", "type", "amount", "stage", "close_date",
                      "days_past_due", "owner"]
    assert out[1][0] == "o13" and out[1][7] == 26
    none = call_udf("PAST_DUE_OPPORTUNITIES", opps(), "2024-12-01")
    assert none == [none[0]]  # a header and no row: nothing was past due then


def test_owner_rows_and_no_target():
    t = rows_of(udfs.pipeline_from_opportunities(opps(), TARGETS, AS_OF, by="owner"))
    bo = t[("2025-Q1", "Seat expansion", "Bo")]
    # Bo booked o16 (15k) against a 10k target: met
    assert (bo.pipeline, bo.weighted_pipeline, bo.booked, bo.target, bo.status) == (
        30_000, 24_000, 15_000, 10_000, "Target met")
    ana = t[("2025-Q1", "Seat expansion", "Ana")]
    assert (ana.pipeline, ana.past_due, ana.target, ana.status) == (70_000, 99_000, None, None)
    none = udfs.pipeline_from_opportunities(opps(), None, AS_OF)
    assert none["target"].isna().all() and none["status"].isna().all() and none["gap"].isna().all()
    one = rows_of(udfs.pipeline_from_opportunities(opps(), 125_000, AS_OF))
    # 99k weighted against 125k − 15k booked = 110k: 0.9, Thin
    assert one[("2025-Q1", "Total", "All owners")].coverage == pytest.approx(250_000 / 110_000)
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
    assert header == ["quarter", "motion", "owner", "target", "booked", "remaining_target", "pipeline", "past_due",
                      "weighted_pipeline", "weighting", "win_rate", "basis", "required_coverage", "coverage",
                      "weighted_coverage", "status", "gap"]
    total = [dict(zip(header, r, strict=True)) for r in out[1:] if r[0] == "2025-Q1" and r[1] == "Total"][0]
    assert total["status"] == "Healthy" and total["coverage"] == pytest.approx(250_000 / 85_000)
    rates = call_udf("WIN_RATES", opps(), AS_OF)
    assert rates[0][:4] == ["motion", "won", "lost", "win_rate"] and rates[1][3] == pytest.approx(0.5)
    assert call_udf("OTHER_OPPORTUNITIES", opps())[0] == ["type", "status", "opportunities", "amount"]
    # Excel date serials (a date cell) work like ISO text: 45703 = 2025-02-15
    serial = [HEADER] + [r[:6] + [45703] + r[7:] if r[0] == "o8" else list(r) for r in ROWS]
    again = call_udf("PIPELINE_FROM_OPPORTUNITIES", serial, TARGETS, AS_OF)
    assert again == out
    meta = udf_meta()
    for name in ("PIPELINE_FROM_OPPORTUNITIES", "WIN_RATES", "OTHER_OPPORTUNITIES", "PAST_DUE_OPPORTUNITIES",
                 "OPPORTUNITY_BOOKED", "OPPORTUNITY_PAST_DUE", "PIPELINE_WEIGHTING"):
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
        ((None, AS_OF, None, None, "maybe"), r"^past_due: expected TRUE or FALSE, got 'maybe'"),
        ((None, AS_OF, None, None, None, "stage"), r"^weighting: expected one of probability, win rate, got 'stage'"),
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
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "2025-Q1", "Seat expansion", None, None, AS_OF) == 100_000
    assert one_cell("OPPORTUNITY_PIPELINE", opps(), "2025-Q1", None, None, None, AS_OF) == \
        table[("2025-Q1", "Total", "All owners")].pipeline
    assert one_cell("OPPORTUNITY_BOOKED", opps(), "2025-Q1", "Seat expansion", None, AS_OF) == 15_000
    assert one_cell("OPPORTUNITY_BOOKED", opps(), "2025-Q1", None, None, "2025-03-31") == 20_000  # o17 by then
    assert one_cell("OPPORTUNITY_BOOKED", opps(), "2025-Q1", None, "Ana", AS_OF) == 0
    assert one_cell("PIPELINE_WEIGHTING", opps(), "2025-Q1", "Seat expansion", None, AS_OF) == \
        table[("2025-Q1", "Seat expansion", "All owners")].weighting
    assert one_cell("PIPELINE_WEIGHTING", opps(), "2025-Q1", "Seat expansion", None, AS_OF, None, "win rate") == \
        "win rate"
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


# --------------------------------------------------------------------------- text held by Arrow

_CELLS = ["a", "A", " a", "a\u3000", "b", "Ω", "é", "\x1cz", "z\x1c", "", "  ", "10", "Zeta", "zeta",
          "\u2003x", None, "x y", "#N/A", " #ref! "]


def test_text_columns_read_alike_whether_pandas_holds_them_as_arrow_or_as_objects():
    """coded_texts and text_positions take a faster road for Arrow text (pandas 3's own);
    it must give the same labels, order, positions and one-line errors as the object road,
    on random columns with every kind of blank, space, case and Excel error."""
    from udfs.core import _records

    rng = np.random.default_rng(0)

    def outcome(read, *args, **kw):
        try:
            out = read(*args, **kw)
        except ValueError as err:
            return str(err)
        return [np.asarray(part).tolist() for part in out] if isinstance(out, tuple) else out.tolist()

    lookups = 0
    for trial in range(300):
        cells = [_CELLS[i] for i in rng.integers(0, len(_CELLS), int(rng.integers(1, 30)))]
        if trial % 3 == 0:  # runs of one value, as exports list them
            cells = sorted(c for c in cells if c is not None) or ["q"]
        if trial % 2 == 0:
            cells = [c for c in cells if c not in ("#N/A", " #ref! ")] or ["q"]
        known = pd.array(["a", "b", "x y", "zeta", "Ω"], dtype="str")
        for allow in (True, False):
            arrow = pd.DataFrame({"c": pd.Series(cells, dtype="str")})
            objects = pd.DataFrame({"c": pd.Series(cells, dtype=object)})
            assert outcome(_records.coded_texts, "t", arrow, "c", allow_blank=allow) == \
                outcome(_records.coded_texts, "t", objects, "c", allow_blank=allow), (cells, allow)
            got = outcome(_records.text_positions, "t", arrow, "c", known, allow_blank=allow)
            assert got == outcome(_records.text_positions, "t", objects, "c", known, allow_blank=allow), cells
            lookups += isinstance(got, list) and any(p >= 0 for p in got)
    assert lookups > 20  # the lookups did find texts, not only errors and misses


def test_the_queue_reads_an_opportunity_whose_account_is_an_excel_error_as_one_line():
    book = pd.DataFrame({"account_id": ["A1"], "usage_vs_cap": [0.95]})
    opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "account_id": pd.Series(["A1", " #N/A"], dtype="str"),
                         "type": ["Upsell", "Upsell"], "amount": [1000, 2000], "stage": ["Proposal"] * 2,
                         "close_date": ["2027-01-10", "2027-01-11"], "status": ["open", "open"]})
    with pytest.raises(ValueError, match=r"^opportunities row 3 account_id: expected text"):
        udfs.score_accounts(book, as_of="2026-12-15", opportunities=opps)


def test_summary_rows_of_arrow_text_ids_in_any_case_are_left_out():
    """Ids held as pandas' Arrow text (as read from Parquet or CSV), not in runs: a summary
    id in any case and spacing is left out; an id that only contains 'total' is kept."""
    from udfs.revenue.opportunities import read_opportunities

    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    ids = ["O1", " gRaNd ToTaL ", "SUBTOTAL", "O2", "totally-new-deal", "Total", "O3"]
    frame = pd.DataFrame({"opportunity_id": pd.array(ids, dtype=text), "account_id": "a",
                          "type": "Upsell", "amount": 1000.0, "close_date": "2026-01-01", "status": "won"})
    o = read_opportunities(frame)
    assert o.frame["opportunity_id"].tolist() == ["O1", "O2", "totally-new-deal", "O3"]


@pytest.mark.parametrize("distinct", [3, 5000])
def test_text_codes_are_the_stripped_cells_however_the_column_is_hashed(distinct):
    """A column of few words is hashed as read and each spelling stripped once; a column of
    ids is stripped cell by cell: the same labels either way, spellings that strip alike merged."""
    from udfs.core import _records

    cells = [f"{' ' * (k % 3)}W{k % distinct}{' ' * (k % 2)}" for k in range(6000)]
    frame = pd.DataFrame({"stage": pd.array(cells, dtype=pd.StringDtype("pyarrow", na_value=float("nan")))})
    codes, labels = _records.coded_texts("opportunities", frame, "stage")
    assert labels[codes].tolist() == [c.strip() for c in cells]
    assert list(labels) == sorted({c.strip() for c in cells})


def test_a_text_column_of_only_blank_cells_codes_every_row_blank():
    from udfs.core import _records

    frame = pd.DataFrame({"owner": pd.array([None, None], dtype=pd.StringDtype("pyarrow", na_value=float("nan")))})
    codes, labels = _records.coded_texts("opportunities", frame, "owner", allow_blank=True)
    assert labels[codes].tolist() == ["", ""]
