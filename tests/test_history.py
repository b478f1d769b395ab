"""History panels: the planted sample, and the loader of a user's CSV/XLSX/Parquet."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import udfs
from udfs.backtest import history
from udfs.core import playbook


@pytest.fixture(autouse=True)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="module")
def sample():
    return udfs.sample_history()


def test_sample_history_is_deterministic(sample):
    pd.testing.assert_frame_equal(sample, udfs.sample_history())
    other = udfs.sample_history(seed=8)
    assert not other[list(udfs.HISTORY_SIGNALS)].equals(sample[list(udfs.HISTORY_SIGNALS)])


def test_sample_history_shares_the_sample_book(sample):
    book = udfs.sample_accounts().set_index("account_id")
    assert set(sample["account_id"]) == set(book.index)
    first = sample.drop_duplicates("account_id").set_index("account_id")
    for col in ("account_name", "segment", "plan_tier"):
        assert (first[col] == book.loc[first.index, col]).all()
    assert np.allclose(first["arr"], book.loc[first.index, "arr"])
    # the last period's tenure is the book's tenure (an account joins at tenure 0)
    last = sample[sample["period"] == sample["period"].max()].set_index("account_id")
    assert (last["tenure_months"] == book.loc[last.index, "tenure_months"]).all()


def test_sample_history_columns_and_consistency(sample):
    for col in ("account_id", "period", *udfs.HISTORY_SIGNALS, "expansion", "expansion_motion",
                "expansion_amount"):
        assert col in sample.columns
    assert not sample.duplicated(["account_id", "period"]).any()
    exp = sample["expansion"] == 1
    assert set(sample.loc[exp, "expansion_motion"]) <= set(playbook.MOTIONS)
    assert (sample.loc[~exp, "expansion_motion"] == "").all()
    assert sample.loc[exp, "expansion_amount"].gt(0).all()
    assert sample.loc[~exp, "expansion_amount"].isna().all()
    assert sample["period"].between(1, 24).all()
    for motion in playbook.MOTIONS:
        assert (sample["expansion_motion"] == motion).sum() > 40


def test_planted_crossings_precede_expansions(sample):
    """Crossing 0.87 is followed by a Tier upgrade within 3 periods far more often than not."""
    curve = udfs.backtest_curve(sample, "usage_vs_cap", [0.80, 0.87], motion="Tier upgrade")
    at_planted = curve.iloc[1]
    assert at_planted["false_positive_rate"] < 0.2 and at_planted["coverage"] > 0.8
    assert curve.iloc[0]["false_positive_rate"] > at_planted["false_positive_rate"] + 0.2


def test_sample_history_sizes():
    small = udfs.sample_history(n_accounts=10, n_periods=6, seed=1)
    assert small["account_id"].nunique() <= 10 and small["period"].max() == 6
    with pytest.raises(ValueError, match="^n_accounts:"):
        udfs.sample_history(n_accounts=0)


# --------------------------------------------------------------------------- loader


def test_load_history_round_trips_csv_and_xlsx(sample, tmp_path):
    part = sample[sample["account_id"].isin(sample["account_id"].unique()[:25])]
    expected = part.sort_values(["account_id", "period"]).reset_index(drop=True)
    csv = tmp_path / "history.csv"
    part.to_csv(csv, index=False)
    xlsx = tmp_path / "history.xlsx"
    part.to_excel(xlsx, index=False)
    for path in (csv, xlsx, str(csv)):
        panel, problems = udfs.load_history(path)
        assert problems.empty, problems["problem"].tolist()
        got = panel[expected.columns]
        for col in expected.columns:
            if expected[col].dtype.kind in "if":
                assert np.allclose(got[col].astype(float), expected[col].astype(float),
                                   equal_nan=True), col
            else:
                assert got[col].tolist() == expected[col].tolist(), col
    same = udfs.backtest_curve(panel, "usage_at_cap", [0.87])
    assert same.equals(udfs.backtest_curve(part, "usage_at_cap", [0.87]))


@pytest.mark.parametrize("reader", ["workbook", "pandas"])
def test_load_history_reads_parquet(sample, tmp_path, monkeypatch, reader):
    """A Parquet panel (as the signals command writes) loads like its CSV: through the
    workbook package's reader, or pandas' own where that is not installed."""
    import workbook.records

    if reader == "pandas":
        monkeypatch.setattr(history, "FILE_READER", None)
    else:
        assert history.FILE_READER is workbook.records.read_any_table
    part = sample[sample["account_id"].isin(sample["account_id"].unique()[:25])]
    path = tmp_path / "panel.parquet"
    part.to_parquet(path, index=False)
    csv = tmp_path / "panel.csv"
    part.to_csv(csv, index=False)
    panel, problems = udfs.load_history(path)
    assert problems.empty and len(panel) == len(part)
    pd.testing.assert_frame_equal(udfs.recommend_thresholds(panel),
                                  udfs.recommend_thresholds(udfs.load_history(csv)[0]))
    bad = tmp_path / "bad.parquet"
    bad.write_text("account_id,period\na1,1\n")
    with pytest.raises(ValueError, match="^source: could not read 'bad.parquet': ") as err:
        udfs.load_history(bad)
    assert "\n" not in str(err.value)
    if reader == "workbook":
        assert "not a Parquet file" in str(err.value)


def test_load_history_dates_headers_and_problems():
    raw = pd.DataFrame({
        "Account ID": ["A1", "A1", "A1", "", "A2", "A2", "A2"],
        "Month": ["2024-01-15", "2024-02-03", "2024-02-20", "2024-03-01", "2024-01-01",
                  "bad", "2024-04-01"],
        "Usage vs cap": ["50%", "0.95", "n/a", "0.9", "0.2", "0.3", "-1"],
        "Seat-Utilization": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, "x"],
        "Expansion Motion": ["", "", "Tier Upgrade", "", "", "", "Upsell"],
        "Amount": ["", "", "5000", "", "", "", ""],
    })
    panel, problems = udfs.load_history(raw)
    assert panel[["account_id", "period", "month"]].values.tolist() == [
        ["A1", 1, "2024-01"], ["A1", 2, "2024-02"], ["A2", 1, "2024-01"], ["A2", 4, "2024-04"],
    ]
    assert panel["usage_vs_cap"].tolist()[:3] == [0.5, 0.95, 0.2]
    assert np.isnan(panel["usage_vs_cap"].iloc[3]) and np.isnan(panel["seat_utilization"].iloc[3])
    # the repeated month keeps the first row and the expansion of the second
    a1 = panel.iloc[1]
    assert a1["expansion"] == 1 and a1["expansion_motion"] == "Tier upgrade"
    assert a1["expansion_amount"] == 5000
    a2 = panel.iloc[3]
    assert a2["expansion"] == 1 and a2["expansion_motion"] == ""
    found = {(r, c) for r, c in zip(problems["row"], problems["column"], strict=True)}
    assert found == {(5, "account_id"), (7, "date"), (4, "date"), (8, "usage_vs_cap"),
                     (8, "seat_utilization"), (8, "expansion_motion")}
    for line in problems["problem"]:
        assert line.startswith("row ") and "\n" not in line
    # nothing silently dropped: every source row is in the panel or named in problems
    left_out = set(problems.loc[problems["problem"].str.contains("left out"), "row"])
    assert len(panel) + len(left_out) == len(raw)


def test_load_history_with_events_table():
    rows = pd.DataFrame({"account_id": ["A1", "A1", "A2"], "period": [1, 2, 1],
                         "usage_vs_cap": [0.5, 0.9, 0.4]})
    events = pd.DataFrame({"account_id": ["A1", "A3", "A1", ""],
                           "period": [2, 1, 5, 3],
                           "motion": ["Tier upgrade", "cross sell", "Upsell", "Cross-sell"],
                           "amount": [1000, 200, "x", 1]})
    panel, problems = udfs.load_history(rows, events)
    keyed = panel.set_index(["account_id", "period"])
    assert keyed.loc[("A1", 2), "expansion"] == 1
    assert keyed.loc[("A1", 2), "expansion_motion"] == "Tier upgrade"
    assert keyed.loc[("A3", 1), "expansion_motion"] == "Cross-sell"
    assert np.isnan(keyed.loc[("A3", 1), "usage_vs_cap"])
    assert keyed.loc[("A1", 5), "expansion_motion"] == ""
    assert (problems["table"] == "events").all()
    assert set(problems["row"]) == {3, 4, 5}
    assert all(line.startswith("events row ") for line in problems["problem"])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (pd.DataFrame({"x": [1]}), "source: expected a column 'account_id'"),
        (pd.DataFrame({"account_id": ["a"]}), "source: expected a column 'period'"),
        ("/no/such/file.csv", "source: expected an existing CSV, XLSX or Parquet file"),
        (42, "source: expected a DataFrame or a CSV/XLSX/Parquet path"),
    ],
)
def test_load_history_fatal_errors_are_one_line(source, message):
    with pytest.raises(ValueError) as err:
        udfs.load_history(source)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_load_history_bad_file_types(tmp_path):
    txt = tmp_path / "history.json"
    txt.write_text("{}")
    with pytest.raises(ValueError, match="^source: expected a .csv, .xlsx or .parquet file"):
        udfs.load_history(txt)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="^source: could not read 'broken.xlsx'"):
        udfs.load_history(broken)


def test_no_io_at_import():
    with open(history.__file__, encoding="utf-8") as f:
        src = f.read()
    head = src.split("def ", 1)[0]
    assert "open(" not in head and "read_csv" not in head
