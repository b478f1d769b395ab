"""Retention and benchmarks (SPEC §6) through xlwings' runtime, as Excel calls them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import call_udf, udf_meta
from tests.test_pipeline import bad_values, check_bad, one
from udfs.core._args import InputError


def test_spec_compounding_figures():
    assert one(call_udf("ARR_AFTER", 10_000_000, 1.2, 1)) == pytest.approx(12_000_000)
    assert one(call_udf("ARR_AFTER", 10_000_000, 1.3, 1)) == pytest.approx(13_000_000)
    assert one(call_udf("ARR_AFTER", 10_000_000, "120%", 1)) == pytest.approx(12_000_000)
    assert one(call_udf("ARR_AFTER", 10_000_000, 1.2, 0)) == pytest.approx(10_000_000)


def test_new_logos_join_at_year_end_then_compound():
    # year 1: 10M*1.2 + 1M; year 2: (12M + 1M)*1.2 + 1M
    assert one(call_udf("ARR_AFTER", 10_000_000, 1.2, 1, 1_000_000)) == pytest.approx(13_000_000)
    assert one(call_udf("ARR_AFTER", 10_000_000, 1.2, 2, 1_000_000)) == pytest.approx(16_600_000)
    assert one(call_udf("ARR_AFTER", 10_000_000, 1.0, 3, 1_000_000)) == pytest.approx(13_000_000)
    assert one(call_udf("ARR_AFTER", 0, 1.1, 2, 1_000_000)) == pytest.approx(2_100_000)


def test_arr_after_column_equals_row_by_row():
    nrrs = [0.9, 1.0, 1.1, 1.2, 1.3]
    column = call_udf("ARR_AFTER", 5_000_000, nrrs, 3, 500_000)
    rows = [one(call_udf("ARR_AFTER", 5_000_000, r, 3, 500_000)) for r in nrrs]
    assert [c[0] for c in column] == pytest.approx(rows)


def test_nrr_projection_table():
    out = call_udf("NRR_PROJECTION", 10_000_000, 1.2, 3, 1_000_000)
    assert out[0] == ["year", "arr"]
    assert [r[0] for r in out[1:]] == [0, 1, 2, 3]
    assert [r[1] for r in out[1:]] == pytest.approx([10e6, 13e6, 16.6e6, 20.92e6])
    frame = udfs.nrr_projection(10_000_000, 1.3, 2)
    assert isinstance(frame, pd.DataFrame)
    assert frame["arr"].tolist() == pytest.approx([10e6, 13e6, 16.9e6])
    with pytest.raises(ValueError, match=r"^years: expected a whole number"):
        call_udf("NRR_PROJECTION", 10_000_000, 1.2, 2.5)


def test_nrr_and_grr_formulas():
    assert one(call_udf("NRR", 10_000_000, 2_500_000, 300_000, 200_000)) == pytest.approx(1.2)
    assert one(call_udf("GRR", 10_000_000, 300_000, 200_000)) == pytest.approx(0.95)
    out = call_udf("NRR", [1_000_000, 2_000_000], [100_000, 0], [0, 100_000], [50_000, 100_000])
    assert [r[0] for r in out] == pytest.approx([1.05, 0.9])
    with pytest.raises(ValueError, match=r"^starting_arr: expected a number above 0, got 0"):
        call_udf("NRR", 0, 1, 0, 0)
    with pytest.raises(ValueError, match=r"^churn: expected contraction \+ churn at most starting_arr"):
        call_udf("GRR", 100, 60, 50)


@pytest.mark.parametrize(
    ("arr", "nrr", "band"),
    [
        (3_000_000, 0.94, "Below range"), (3_000_000, 0.95, "In range"), (3_000_000, 1.10, "In range"),
        (3_000_000, 1.11, "Above range"), (5_000_000, 0.99, "Below range"), (12_000_000, 1.18, "Above range"),
        (12_000_000, 1.15, "In range"), (20_000_000, 1.04, "Below range"), (75_000_000, 1.25, "In range"),
        (150_000_000, 1.14, "Below range"), (150_000_000, 1.35, "In range"), (150_000_000, 1.36, "Above range"),
        (400_000, 0.97, "In range"), (400_000, 1.12, "Above range"),  # below $1M: first band
    ],
)
def test_nrr_benchmark_bands(arr, nrr, band):
    assert one(call_udf("NRR_BENCHMARK", arr, nrr)) == band


def test_nrr_benchmark_typed_percent_on_the_edge():
    assert one(call_udf("NRR_BENCHMARK", 3_000_000, "110%")) == "In range"
    stage = udfs.nrr_stage(3_000_000)
    assert {k: stage[k] for k in ("stage", "low", "high")} == {"stage": "$1M–$5M", "low": 0.95, "high": 1.1}
    assert stage["source"].startswith("ARR-stage benchmark table")
    assert udfs.nrr_stage(500_000)["stage"] == "$1M–$5M"
    assert udfs.nrr_stage(250_000_000)["stage"] == "$100M+"


def test_expansion_share_and_benchmark():
    assert one(call_udf("EXPANSION_SHARE", 300_000, 700_000)) == pytest.approx(0.3)
    assert one(call_udf("EXPANSION_SHARE", 0, 700_000)) == 0
    with pytest.raises(ValueError, match=r"^new_logo_arr: expected expansion_arr \+ new_logo_arr above 0"):
        call_udf("EXPANSION_SHARE", 0, 0)


@pytest.mark.parametrize(
    ("share", "arr", "verdict"),
    [
        (0.12, 3_000_000, "Top quartile"),  # the reference puts 12 % in the $1–5M top quartile
        (0.049, 3_000_000, "Below median"), (0.05, 3_000_000, "Median"), (0.11, 3_000_000, "Median"),
        (0.10, 12_000_000, "Median"), (0.099, 12_000_000, "Below median"), (0.18, 12_000_000, "Top quartile"),
        (0.20, 20_000_000, "Median"), (0.25, 20_000_000, "Top quartile"), (0.29, 75_000_000, "Median"),
        (0.30, 75_000_000, "Top quartile"), (0.24, 150_000_000, "Below median"), (0.40, 150_000_000, "Top quartile"),
        (0.70, 500_000, "No benchmark"), (0.12, None, "No benchmark"),
    ],
)
def test_expansion_share_verdict_from_the_stage_table_alone(share, arr, verdict):
    assert one(call_udf("EXPANSION_SHARE_BENCHMARK", share, arr)) == verdict
    assert udfs.expansion_share_benchmark(share, arr) == verdict


def test_every_verdict_names_its_reference_and_notes_are_not_verdicts():
    v = udfs.expansion_share_verdict(0.12, 3_000_000)
    assert v["verdict"] == "Top quartile"
    assert v["against"] == "$1M–$5M ARR stage: median 5–10 %, top quartile 12–15 %"
    assert v["source"].startswith("ARR-stage benchmark table")
    assert v["notes"] == ["Best in class: 20–30 % of new ARR from expansion (Bessemer State of the Cloud)."]
    high = udfs.expansion_share_verdict(0.65, 20_000_000)
    assert high["verdict"] == "Top quartile" and "check new-logo acquisition" in high["notes"][-1]
    d = udfs.nrr_benchmark_detail(3_000_000, 1.12, "Mid-market")
    assert d == {"verdict": "In range", "source": "NRR-by-segment benchmark table",
                 "against": "Mid-market segment: typical NRR 100–120 % (best in class 120–130 %)"}
    assert udfs.nrr_benchmark_detail(3_000_000, 1.12)["verdict"] == "Above range"


@pytest.mark.parametrize(
    ("arr", "nrr", "segment", "band"),
    [
        (3_000_000, 1.12, "Mid-market", "In range"), (3_000_000, 0.95, "SMB", "In range"),
        (3_000_000, 1.01, "SMB", "Above range"), (50_000_000, 1.15, "Enterprise", "Below range"),
        (50_000_000, 1.50, "enterprise", "In range"), (50_000_000, 1.15, None, "In range"),
    ],
)
def test_nrr_benchmark_by_segment(arr, nrr, segment, band):
    assert one(call_udf("NRR_BENCHMARK", arr, nrr, segment)) == band


def test_nrr_benchmark_segment_column_and_bad_segment():
    out = call_udf("NRR_BENCHMARK", 3_000_000, [1.12, 1.12, 1.12], ["SMB", None, "Enterprise"])
    assert out == [["Above range"], ["Above range"], ["Below range"]]
    with pytest.raises(InputError, match=r"^segment: expected one of SMB, Mid-market, Enterprise, got 'Large'$"):
        call_udf("NRR_BENCHMARK", 3_000_000, 1.1, "Large")


@pytest.mark.parametrize(
    ("customers", "tenure", "churn", "verdict"),
    [
        (50, 6, 0.079, "Build the motion"), (50, 6, 0.08, "Fix churn first"), (500, 24, 0.05, "Build the motion"),
        (500, 24, 0.081, "Fix churn first"), (10, 2, 0.2, "Fix churn first"),
        (29, 12, 0.05, "Stay acquisition-first"), (200, 3.9, 0.05, "Stay acquisition-first"),
        (40, 12, 0.05, "Stay acquisition-first"), (80, 5, 0.05, "Stay acquisition-first"),
        (60, 8, "6%", "Build the motion"),
    ],
)
def test_expansion_readiness(customers, tenure, churn, verdict):
    assert one(call_udf("EXPANSION_READINESS", customers, tenure, churn)) == verdict


def test_readiness_column():
    out = call_udf("EXPANSION_READINESS", [60, 20], 8, [0.05, 0.05])
    assert out == [["Build the motion"], ["Stay acquisition-first"]]


def test_python_forms_and_meta():
    s = pd.Series([1.0, 1.2], index=[10, 20])
    out = udfs.arr_after(10_000_000, s, 1)
    assert isinstance(out, pd.Series) and list(out.index) == [10, 20]
    assert isinstance(udfs.nrr(np.array([10.0]), 1, 0, 0), np.ndarray)
    meta = udf_meta()
    for name in ("NRR", "GRR", "ARR_AFTER", "NRR_PROJECTION", "NRR_BENCHMARK", "EXPANSION_SHARE", "EXPANSION_READINESS",
                 "EXPANSION_SHARE_BENCHMARK"):
        assert "Example: =" + name in meta[name]["description"], name
        assert all(p["description"] for p in meta[name]["parameters"]), name
        assert callable(getattr(udfs, name.lower()))


def test_no_numpy_warnings_on_edges():
    with np.errstate(all="raise"):
        assert udfs.arr_after(0, 0, 3, 0) == 0
        assert udfs.arr_after(1, 1.0, 100, 1) == pytest.approx(101)
        assert udfs.arr_after(1, 5, 100, 0) > 0
        assert udfs.nrr_projection(0, 0, 2)["arr"].tolist() == [0, 0, 0]


def test_a_percentage_typed_as_a_whole_number_is_refused():
    with pytest.raises(ValueError, match=r"^nrr: expected a fraction such as 1.2 for 120%"):
        call_udf("ARR_AFTER", 10_000_000, 120, 1)


RETENTION_CASES = [
    ("NRR", [10_000_000, 2_500_000, 300_000, 200_000], ["starting_arr", "expansion", "contraction", "churn"]),
    ("GRR", [10_000_000, 300_000, 200_000], ["starting_arr", "contraction", "churn"]),
    ("ARR_AFTER", [10_000_000, 1.2, 3, 100_000], ["starting_arr", "nrr", "years", "new_logo_arr_per_year"]),
    ("NRR_BENCHMARK", [12_000_000, 1.1], ["arr", "nrr"]),
    ("EXPANSION_SHARE", [300_000, 700_000], ["expansion_arr", "new_logo_arr"]),
    ("EXPANSION_READINESS", [120, 14, 0.05], ["paying_customers", "avg_tenure_months", "annual_churn"]),
]


@settings(max_examples=250, deadline=None)
@given(
    case=st.sampled_from(RETENTION_CASES), which=st.integers(0, 3), bad=bad_values(),
    as_column=st.booleans(), position=st.integers(0, 2),
)
def test_every_bad_input_is_one_named_line(case, which, bad, as_column, position):
    name, good, arg_names = case
    i = which % len(good)
    check_bad(name, good, arg_names, i, bad, as_column, position)


@settings(max_examples=60, deadline=None)
@given(bad=bad_values(), which=st.integers(0, 3))
def test_projection_bad_input(bad, which):
    good = [10_000_000, 1.2, 3, 100_000]
    names = ["starting_arr", "nrr", "years", "new_logo_arr_per_year"]
    if names[which] == "new_logo_arr_per_year" and bad in (None, "   "):
        return  # blank optional = 0
    args = list(good)
    args[which] = [[bad]]
    with pytest.raises(Exception) as info:
        call_udf("NRR_PROJECTION", *args)
    assert type(info.value) is InputError
    assert str(info.value).startswith(names[which] + ": expected ")
    assert "\n" not in str(info.value)
