"""ARR history (SPEC §6): movements, trailing-12-month NRR/GRR, logo churn, cohorts — by hand."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import call_udf, udf_meta
from udfs.core import _records

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"]


def _series(start: str, values: list[float]) -> list[tuple[str, float]]:
    i = MONTHS.index(start)
    return list(zip(MONTHS[i:i + len(values)], values, strict=False))


# A flat; B expands in June; C contracts in September; D churns in April (rows vanish) and
# comes back in November; E is new in March and churns in August (an explicit 0 row);
# F is new in February; G churns in May (rows vanish).
ACCOUNTS = {
    "A": _series("2024-01", [100] * 14),
    "B": _series("2024-01", [200] * 5 + [300] * 9),
    "C": _series("2024-01", [100] * 8 + [60] * 6),
    "D": _series("2024-01", [50] * 3) + _series("2024-11", [80] * 4),
    "E": _series("2024-03", [40] * 5 + [0]),
    "F": _series("2024-02", [10] * 13),
    "G": _series("2024-01", [30] * 4),
}


def history_rows(shuffle: bool = True) -> list[list]:
    rows = [[acc, month, arr] for acc, series in ACCOUNTS.items() for month, arr in series]
    if shuffle:
        rows = [rows[i] for i in np.random.default_rng(1).permutation(len(rows))]
    return [["Account ID", "Month", "ARR"]] + rows


def test_movements_by_hand():
    moves = udfs.arr_movements(history_rows()).set_index("month")
    expected = {  # month -> (new, expansion, contraction, churn, reactivation)
        "2024-02": (10, 0, 0, 0, 0),
        "2024-03": (40, 0, 0, 0, 0),
        "2024-04": (0, 0, 0, 50, 0),
        "2024-05": (0, 0, 0, 30, 0),
        "2024-06": (0, 100, 0, 0, 0),
        "2024-08": (0, 0, 0, 40, 0),
        "2024-09": (0, 0, 40, 0, 0),
        "2024-11": (0, 0, 0, 0, 80),
    }
    cols = ["new", "expansion", "contraction", "churn", "reactivation"]
    for month in MONTHS[1:]:
        assert tuple(moves.loc[month, cols]) == expected.get(month, (0, 0, 0, 0, 0)), month
    # the first month is the opening book: 100 + 200 + 100 + 50 + 30
    assert moves.loc["2024-01", "closing_arr"] == 480
    assert moves.loc["2024-01", cols].isna().all()
    assert moves.loc["2025-02", "closing_arr"] == 100 + 300 + 60 + 80 + 10
    later = moves.iloc[1:]
    bridge = later["opening_arr"] + later["new"] + later["expansion"] - later["contraction"] \
        - later["churn"] + later["reactivation"]
    assert bridge.tolist() == later["closing_arr"].tolist()
    assert moves.loc["2024-04", "churned_logos"] == 1 and moves.loc["2024-03", "new_logos"] == 1
    assert moves.loc["2024-11", "new_logos"] == 0  # D is back, not new


def test_trailing_twelve_months_by_hand():
    ret = udfs.retention_from_history(history_rows()).set_index("month")
    assert ret.index.tolist() == ["2025-01", "2025-02"]
    jan = ret.loc["2025-01"]
    # C = {A 100, B 200, C 100, D 50, G 30} billed in 2024-01; in 2025-01: 100, 300, 60, 80, 0
    assert jan["from_month"] == "2024-01" and jan["accounts"] == 5
    assert jan["starting_arr"] == 480 and jan["ending_arr"] == 540
    assert jan["nrr"] == pytest.approx(540 / 480)
    assert jan["grr"] == pytest.approx((100 + 200 + 60 + 50 + 0) / 480)
    assert (jan["expansion"], jan["contraction"], jan["churn"]) == (100 + 30, 40, 30)
    assert jan["logo_churn"] == pytest.approx(1 / 5) and jan["churned_logos"] == 1
    feb = ret.loc["2025-02"]
    # C = {A, B, C, D, F 10, G} billed in 2024-02 (E starts in March)
    assert feb["starting_arr"] == 490 and feb["ending_arr"] == 550
    assert feb["nrr"] == pytest.approx(550 / 490)
    assert feb["grr"] == pytest.approx((100 + 200 + 60 + 50 + 10) / 490)
    one = udfs.trailing_retention(history_rows())
    assert one["month"] == "2025-02" and one["nrr"] == pytest.approx(550 / 490)
    assert one["new_logo_arr"] == 40  # E in 2024-03 (F's February is outside Mar..Feb)
    # E churned since its first bill; nobody came back: 550 + 40 − 40 + 0 = 550, company ARR
    assert (one["new_logo_change"], one["reactivation"], one["arr"]) == (-40, 0, 550)
    assert udfs.trailing_retention(history_rows(), "2025-01")["grr"] == pytest.approx(410 / 480)
    pairs = udfs.account_changes(history_rows()).set_index("account_id")
    assert pairs.loc["G"].tolist() == [30, 0] and pairs.loc["B"].tolist() == [200, 300]
    assert "E" not in pairs.index


def test_cohorts_and_expansion_share_by_hand():
    cohorts = udfs.cohort_nrr(history_rows(), [3, 6, 12])
    # the opening book (A, B, C, D, G) has no acquisition quarter; E and F are 2024-Q1
    assert cohorts["cohort"].tolist() == ["2024-Q1"]
    row = cohorts.iloc[0]
    assert row["accounts"] == 2 and row["starting_arr"] == 50
    assert row["month_3"] == pytest.approx((10 + 40) / 50)  # F in May, E in June
    assert row["month_6"] == pytest.approx((10 + 0) / 50)  # F in August, E churned by September
    assert np.isnan(row["month_12"])  # E's month 12 (2025-03) is not in the history yet
    assert cohorts["period"].tolist() == ["partial: from 2024-02"]  # January is the opening book
    share = udfs.expansion_share_by_quarter(history_rows()).set_index("quarter")
    # point to point over each quarter, from the month before it (the opening month: no 2023-Q4)
    assert share.index.tolist() == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    assert share["period"].tolist() == ["partial: from 2024-02", "full quarter", "full quarter", "full quarter",
                                        "partial: to 2025-02"]
    assert share.loc["2024-Q1", ["new_logo_arr", "expansion", "expansion_share"]].tolist() == [50, 0, 0]
    assert share.loc["2024-Q2", ["expansion", "churn", "expansion_share"]].tolist() == [100, 50 + 30, 1.0]
    assert np.isnan(share.loc["2024-Q3", "expansion_share"])  # 0 + 0: blank, not an error
    assert share.loc["2024-Q3", ["contraction", "churn"]].tolist() == [40, 40]  # C to 60; E to 0
    assert share.loc["2024-Q4", ["reactivation", "closing_arr"]].tolist() == [80, 100 + 300 + 60 + 80 + 10]
    moves = share["expansion"] - share["contraction"] - share["churn"] + share["new_logo_arr"] \
        + share["new_logo_change"] + share["reactivation"]
    assert (share["opening_arr"] + moves).tolist() == share["closing_arr"].tolist()  # each quarter closes


# A tiny history whose 12-month bridge leaves a remainder outside the accounts of 12 months
# ago, known by hand: P expands, T churns, U contracts (all billed in 2024-03); Q was billed
# before and is at 0 in 2024-03, back in 2024-09 (a reactivation, not a new logo); R is new
# and grows; S is new and churns.
TINY_MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02", "2025-03"]
TINY = {
    "P": [100] * 5 + [150] * 10,
    "Q": [200] * 2 + [0] * 6 + [120] * 7,
    "R": [0] * 4 + [30] * 5 + [45] * 6,
    "S": [0] * 6 + [20] * 5 + [0] * 4,
    "T": [80] * 12 + [0] * 3,
    "U": [60] * 10 + [40] * 5,
}


def tiny_rows() -> list[list]:
    return [["account_id", "month", "arr"]] + [[a, m, v] for a, arr in TINY.items()
                                               for m, v in zip(TINY_MONTHS, arr, strict=True) if v > 0]


def test_the_bridge_closes_to_company_arr_by_hand():
    t = udfs.trailing_retention(tiny_rows())
    assert (t["from_month"], t["month"]) == ("2024-03", "2025-03")
    # over C = {P, T, U}: 240 + 50 − 20 − 80 = 190
    assert (t["starting_arr"], t["expansion"], t["contraction"], t["churn"], t["ending_arr"]) == (240, 50, 20, 80, 190)
    # the rest of company ARR: R and S at their first bill (30 + 20), their change since (+15 − 20),
    # Q reactivated at 120
    assert (t["new_logo_arr"], t["new_logo_change"], t["reactivation"]) == (50, -5, 120)
    assert t["arr"] == 150 + 120 + 45 + 40 == 190 + 50 - 5 + 120
    assert t["nrr"] == pytest.approx(190 / 240)
    # the same in cells, one measure each
    cells = {k: call_udf("TRAILING_MEASURE", tiny_rows(), k)[0][0]
             for k in ("ending_arr", "new_logo_arr", "new_logo_change", "reactivation", "arr")}
    assert cells["ending_arr"] + cells["new_logo_arr"] + cells["new_logo_change"] + cells["reactivation"] \
        == cells["arr"]
    # month over month the same 12 months count R's growth as expansion and Q as a reactivation:
    # the point-to-point bridge keeps R's growth with the new logos
    moves = udfs.arr_movements(tiny_rows()).set_index("month").loc["2024-04":"2025-03"]
    assert moves["expansion"].sum() == 50 + 15
    share = udfs.expansion_share_by_quarter(tiny_rows()).set_index("quarter")
    assert share.loc["2024-Q3", ["new_logo_arr", "reactivation", "closing_arr"]].tolist() == [20, 120, 460]
    assert share.loc["2024-Q4", ["expansion", "contraction", "churn"]].tolist() == [15, 20, 20]  # R, U, S
    assert share.loc["2024-Q2", "expansion_share"] == pytest.approx(50 / (50 + 30))


def test_udfs_spill_tables_through_xlwings():
    out = call_udf("RETENTION_FROM_HISTORY", history_rows())
    header = out[0]
    assert header[:3] == ["month", "from_month", "starting_arr"]
    jan = dict(zip(header, out[1], strict=True))
    assert jan["nrr"] == pytest.approx(540 / 480)
    moves = call_udf("ARR_MOVEMENTS", history_rows())
    assert moves[0][0] == "month" and len(moves) == 1 + 14
    assert moves[1][1] in (None, "")  # the opening month has no movements: blank, not 0
    cohorts = call_udf("COHORT_NRR", history_rows(), [3, 12])
    assert cohorts[0] == ["cohort", "period", "accounts", "starting_arr", "month_3", "month_12"]
    assert cohorts[1][5] in (None, "")
    share = call_udf("EXPANSION_SHARE_BY_QUARTER", history_rows())
    assert share[0] == ["quarter", "period", "from_month", "to_month", "opening_arr", "expansion", "contraction",
                        "churn", "new_logo_arr", "new_logo_change", "reactivation", "closing_arr", "expansion_share"]
    assert share[-1][:2] == ["2025-Q1", "partial: to 2025-02"]
    meta = udf_meta()
    for name in ("ARR_MOVEMENTS", "RETENTION_FROM_HISTORY", "COHORT_NRR", "EXPANSION_SHARE_BY_QUARTER"):
        assert "Example: =" + name in meta[name]["description"]
        assert all(p["description"] for p in meta[name]["parameters"])


def test_month_forms_mrr_and_empty_c():
    # Excel date serials (as a date cell arrives), datetimes and MRR; no account billed
    # 12 months before the last month -> blank NRR, not an error
    rows = [["customer_id", "date", "MRR"], ["x", 45292, 10], ["x", datetime(2024, 2, 1), 10],
            ["y", "2025-03-31", 5]]
    h = udfs.arr_matrix(rows)
    assert h.month_labels[0] == "2024-01" and h.month_labels[-1] == "2025-03"
    assert h.arr.sum() == 12 * (10 + 10 + 5)
    ret = udfs.retention_from_history(rows)
    assert ret["nrr"].iloc[0] == 0  # x billed in 2024-01, gone in 2025-01
    assert np.isnan(ret["nrr"].iloc[-1]) and ret["starting_arr"].iloc[-1] == 0  # nobody in 2024-03
    out = call_udf("RETENTION_FROM_HISTORY", rows)
    assert dict(zip(out[0], out[-1], strict=True))["nrr"] in (None, "")


def test_subscription_export():
    subs = pd.DataFrame({
        "account_id": ["a", "a", "b"],
        "start_date": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-02-01"]),
        "end_date": pd.to_datetime(["2024-04-15", None, "2024-02-29"]),
        "arr": [100.0, 50.0, 20.0],
    })
    h = udfs.arr_matrix(subs)
    # a: 100 in Jan-Mar (ends mid-April), 50 from March on; b: February only (ends on its last day)
    assert h.month_labels.tolist() == ["2024-01", "2024-02", "2024-03"]
    assert dict(zip(h.accounts, h.arr.tolist(), strict=True)) == {"a": [100, 100, 150], "b": [0, 20, 0]}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["account_id", "month", "arr"], ["a", "2024-01", "n/a"]], r"^history row 2 arr: expected a number, got 'n/a'$"),
        ([["account_id", "month", "arr"], ["a", "2024-01", 1], ["a", "soon", 2]],
         r"^history row 3 month: expected a date \(e.g. 2025-03-01\), got 'soon'$"),
        ([["account_id", "month", "arr"], ["a", "2024-01", -5]], r"^history row 2 arr: expected a non-negative number, got -5"),
        ([["account_id", "arr"], ["a", 1]], r"^history: expected a column 'month'"),
        ([["month", "arr"], ["2024-01", 1]], r"^history: expected a column 'account_id'"),
        ([["account_id", "month", "arr"], [None, "2024-01", 1]], r"^history row 2 account_id: expected text, got a blank cell$"),
        ([["account_id", "month", "arr"], ["a", "#N/A", 1]], r"^history row 2 month: expected a date"),
        ([["account_id", "month", "arr"], ["a", "2024-01", 1], ["a", "1900-01-01", 1]], r"^history month: expected at most 600 months"),
    ],
)
def test_bad_history_is_one_named_line(rows, message):
    for call in (lambda: call_udf("ARR_MOVEMENTS", rows), lambda: udfs.arr_movements(rows)):
        with pytest.raises(ValueError, match=message) as info:
            call()
        assert "\n" not in str(info.value)


def test_short_history_and_bad_months_are_named():
    rows = history_rows()[:1] + [["a", "2024-01", 1], ["a", "2024-06", 1]]
    with pytest.raises(ValueError, match=r"^history: expected at least 13 months for trailing-12-month retention, got 6"):
        call_udf("RETENTION_FROM_HISTORY", rows)
    with pytest.raises(ValueError, match=r"^months: expected a whole number of months, got 2.5"):
        call_udf("COHORT_NRR", history_rows(), [2.5])
    with pytest.raises(ValueError, match=r"^month: expected a month from 2024-01 to 2025-02"):
        udfs.trailing_retention(history_rows(), "2030-01")


def test_summary_and_blank_rows_are_left_out():
    rows = history_rows(shuffle=False) + [[None, None, None], ["Total", "2024-01", 999_999]]
    assert udfs.arr_movements(rows)["closing_arr"].iloc[0] == 480


def test_vectorized_equals_a_per_account_loop():
    rng = np.random.default_rng(3)
    a = np.where(rng.random((40, 30)) < 0.3, 0.0, rng.integers(1, 5, (40, 30)) * 100.0)
    months = [f"{2020 + j // 12}-{j % 12 + 1:02d}" for j in range(30)]
    frame = pd.DataFrame([(f"acc{i}", months[j], a[i, j]) for i in range(40) for j in range(30) if a[i, j] > 0],
                         columns=["account_id", "month", "arr"])
    ret = udfs.retention_from_history(frame)
    for m in range(12, 30):
        then, now = a[:, m - 12], a[:, m]
        c = then > 0
        assert ret["nrr"].iloc[m - 12] == pytest.approx(now[c].sum() / then[c].sum())
        assert ret["grr"].iloc[m - 12] == pytest.approx(np.minimum(now, then)[c].sum() / then[c].sum())
        assert ret["logo_churn"].iloc[m - 12] == pytest.approx((now[c] == 0).mean())
        # the rest of company ARR, account by account: new logos, their change, reactivations
        new = change = back = 0.0
        for i in range(40):
            billed = np.flatnonzero(a[i] > 0)
            if c[i] or not billed.size or billed[0] > m:
                continue
            if billed[0] > m - 12:
                new += a[i, billed[0]]
                change += now[i] - a[i, billed[0]]
            else:
                back += now[i]
        row = ret.iloc[m - 12]
        assert (row["new_logo_arr"], row["new_logo_change"], row["reactivation"]) == pytest.approx((new, change, back))
        assert row["ending_arr"] + new + change + back == pytest.approx(now.sum(), abs=0.005)  # to the cent
        assert row["arr"] == pytest.approx(now.sum())


def test_trailing_retention_one_cell():
    assert call_udf("TRAILING_MEASURE", history_rows(), "nrr", "2025-01")[0][0] == pytest.approx(540 / 480)
    assert call_udf("TRAILING_MEASURE", history_rows(), "logo_churn", "2025-01")[0][0] == pytest.approx(0.2)
    assert call_udf("TRAILING_MEASURE", history_rows(), "customers")[0][0] == 5
    with pytest.raises(ValueError, match=r"^measure: expected one of nrr, grr"):
        call_udf("TRAILING_MEASURE", history_rows(), "nps")


# --------------------------------------------------------------------------- fast reading paths


def _coded_texts_reference(values):
    """coded_texts as first written: every row through np.where, merges by np.unique."""
    labels = [("" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer()
               else str(v).strip()) for v in values]
    merged = sorted(set(labels))
    return [merged.index(label) for label in labels], merged


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.sampled_from(["a1", " a1", "a1 ", "B-2", "b-2", "c3", "1001", 1001.0, 7.0,
                                  "Total x", "zz"]), min_size=1, max_size=30),
    categorical=st.booleans(),
)
def test_coded_texts_equal_the_plain_reading(ids, categorical):
    """One gather per row (the work done per distinct id) gives the codes and labels of
    reading every row: spellings that strip alike share a label, labels sorted, only
    those used (a categorical column may carry unused categories)."""
    col = pd.Series(ids, dtype=object)
    if categorical:
        col = col.astype("category").cat.add_categories(["never used"])
    frame = pd.DataFrame({"account_id": col})
    codes, labels = _records.coded_texts("history", frame, "account_id")
    want_codes, want_labels = _coded_texts_reference(ids)
    assert labels.tolist() == want_labels
    assert codes.tolist() == want_codes


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(st.integers(-30_000, 60_000), min_size=1, max_size=25),
    unit=st.sampled_from(["s", "ms", "us", "ns"]),
    zone=st.sampled_from([None, "UTC", "America/New_York"]),
)
def test_month_index_of_dates_equals_the_calendar(days, unit, zone):
    """Dates already typed are read by a table of the days spanned: the calendar month of
    each (the local one for zoned stamps), as parsing each distinct value gave it."""
    stamps = pd.Series((np.datetime64("1970-01-01") + np.array(days, dtype="timedelta64[D]")
                        + np.timedelta64(13, "h")).astype(f"datetime64[{unit}]"))
    if zone:
        stamps = stamps.dt.tz_localize(zone)
    frame = pd.DataFrame({"month": stamps})
    local = stamps.dt.tz_localize(None) if zone else stamps
    want = (local.dt.year * 12 + local.dt.month - 1).tolist()
    assert _records.month_index("history", frame, "month").tolist() == want
    codes, parsed = _records._date_codes("history", frame, "month", False)
    assert _records.months_of(parsed[:-1])[codes].tolist() == want


def test_ids_in_runs_hash_one_row_per_run():
    """A text column whose rows come in runs (each account's months together, one object per
    repeat, as readers give them) is hashed one row per run: the codes and distinct values
    equal hashing every row, whatever the runs hold (equal texts as distinct objects, blanks,
    None, NaN, numbers), and a history in runs reads to the same matrix as shuffled."""
    rng = np.random.default_rng(3)
    pool = [f"ACC-{i:05d}" for i in range(3_000)] + [" ACC-00001", "", None, np.nan, 1001.0]
    runs = rng.integers(0, len(pool), 20_000)
    lengths = rng.integers(1, 16, runs.size)
    values = np.empty(int(lengths.sum()), dtype=object)
    values[:] = [pool[k] for k in np.repeat(runs, lengths)]
    values[5::23] = ["".join(v) if isinstance(v, str) else v for v in values[5::23]]  # equal, not identical
    assert len(values) > _records._RUNS_FROM
    col = pd.Series(values, dtype=object)
    assert _records._run_heads(col) is not None  # the run path is the one tested
    codes, uniques = _records._factorize(col)
    want_codes, want_uniques = pd.factorize(values, use_na_sentinel=True)
    assert uniques.tolist() == list(want_uniques)
    assert codes.tolist() == want_codes.tolist()
    assert _records._run_heads(col.sample(frac=1, random_state=1).reset_index(drop=True)) is None

    months = np.array(MONTHS[:12], dtype=object)
    n_acc = 6_000
    ids = np.repeat(np.array([f"A{i:04d}" for i in range(n_acc)], dtype=object), 12)
    table = pd.DataFrame({"account_id": pd.Series(ids, dtype=object), "month": np.tile(months, n_acc),
                          "arr": rng.integers(0, 5, n_acc * 12) * 100.0})
    assert _records._run_heads(table["account_id"]) is not None
    in_runs = udfs.arr_matrix(table)
    shuffled = udfs.arr_matrix(table.sample(frac=1, random_state=2).reset_index(drop=True))
    assert in_runs.accounts.tolist() == shuffled.accounts.tolist()
    assert np.array_equal(in_runs.arr, shuffled.arr)


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]"])
def test_arrow_text_ids_in_runs_hash_one_row_per_run(dtype):
    """Ids held as pandas text (Arrow) are compared by value to find their runs: the codes
    and distinct values equal hashing every row (blanks, missing cells, spellings with
    spaces included), and the history reads to the same matrix as with object ids."""
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(4)
    pool = [f"ACC-{i:05d}" for i in range(3_000)] + [" ACC-00001", "", None]
    runs = rng.integers(0, len(pool), 12_000)
    values = [pool[k] for k in np.repeat(runs, rng.integers(4, 16, runs.size))]
    col = pd.Series(values, dtype=dtype)
    assert len(col) > _records._RUNS_FROM and _records._run_heads(col) is not None
    codes, uniques = _records._factorize(col)
    want_codes, want_uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
    assert uniques.tolist() == list(want_uniques) and codes.tolist() == want_codes.tolist()
    assert _records._run_heads(col.sample(frac=1, random_state=1).reset_index(drop=True)) is None

    n_acc = 6_000
    ids = np.repeat(np.array([f"A{i:04d}" for i in range(n_acc)][::-1], dtype=object), 12)
    table = pd.DataFrame({"account_id": pd.Series(ids, dtype=dtype),
                          "month": np.tile(np.array(MONTHS[:12], dtype=object), n_acc),
                          "arr": rng.integers(0, 5, n_acc * 12) * 100.0})
    objects = table.assign(account_id=pd.Series(ids, dtype=object))
    got, want = udfs.arr_matrix(table), udfs.arr_matrix(objects)
    assert got.accounts.tolist() == want.accounts.tolist() == sorted(set(ids))
    assert np.array_equal(got.arr, want.arr)
    codes, labels = _records.coded_texts("history", table, "account_id")
    assert codes.dtype == np.intp and labels[codes].tolist() == ids.tolist()
    # summary rows in runs of their own (a total per month under the accounts) are left out
    totals = pd.DataFrame({"account_id": ["Total"] * 12 + ["GRAND TOTAL"] * 12,
                           "month": MONTHS[:12] * 2, "arr": [9e9] * 24})
    with_totals = pd.concat([table, totals.astype({"account_id": dtype})], ignore_index=True)
    assert _records._run_heads(with_totals["account_id"]) is not None
    read = udfs.arr_matrix(with_totals)
    assert read.accounts.tolist() == want.accounts.tolist() and np.array_equal(read.arr, want.arr)


@pytest.mark.parametrize("unit", ["s", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_typed_dates_equal_their_text(unit, zone):
    """A column that already holds dates is read as it is: the same dates as its ISO text
    (the local date for zoned stamps), a missing date names its row, or is NaT when blanks
    are allowed; months of many dates (a table of the days spanned) are the calendar's."""
    rng = np.random.default_rng(4)
    days = rng.integers(-20_000, 40_000, 5_000)
    stamps = pd.Series((np.datetime64("1970-01-01") + days.astype("timedelta64[D]")
                        + np.timedelta64(9, "h")).astype(f"datetime64[{unit}]"))
    if zone:
        stamps = stamps.dt.tz_localize(zone)
    local = stamps.dt.tz_localize(None) if zone else stamps
    text = pd.DataFrame({"d": local.dt.strftime("%Y-%m-%d").astype(object)})
    typed = _records.dates("t", pd.DataFrame({"d": stamps}), "d")
    assert typed.dtype == np.dtype("datetime64[ns]")
    assert np.array_equal(typed.astype("datetime64[D]"), _records.dates("t", text, "d").astype("datetime64[D]"))
    want = (local.dt.year * 12 + local.dt.month - 1).tolist()
    assert _records.months_of(typed).tolist() == want
    assert _records.months_of(typed.astype("datetime64[D]")).tolist() == want
    gap = stamps.copy()
    gap[[17, 40]] = pd.NaT
    with pytest.raises(ValueError, match=r"^t row 19 d: expected a date"):
        _records.dates("t", pd.DataFrame({"d": gap}), "d")
    read = _records.dates("t", pd.DataFrame({"d": gap}), "d", allow_blank=True)
    assert np.isnat(read).nonzero()[0].tolist() == [17, 40]
