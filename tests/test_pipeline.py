"""Pipeline coverage (SPEC §5) through xlwings' runtime, as Excel calls it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import call_udf, excel_error, udf_meta
from udfs.core import _args
from udfs.core._args import InputError


def one(result):
    """A single-cell result as xlwings writes it ([[value]])."""
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


def test_spec_coverage_example():
    assert one(call_udf("PIPELINE_COVERAGE", 1_500_000, 500_000)) == 3
    assert one(call_udf("COVERAGE_STATUS", 3)) == "Healthy"
    cov = one(call_udf("PIPELINE_COVERAGE", 600_000, 500_000))
    assert cov == pytest.approx(1.2)
    assert one(call_udf("COVERAGE_STATUS", cov)) == "Undercovered"
    assert one(call_udf("COVERAGE_STATUS", 2.0)) == "Thin"
    assert one(call_udf("COVERAGE_STATUS", 2.9999)) == "Thin"
    assert one(call_udf("COVERAGE_STATUS", 1.9999)) == "Undercovered"


def test_coverage_column_spills_one_per_row():
    out = call_udf("PIPELINE_COVERAGE", [1_500_000, 600_000, 1_000_000], 500_000)
    assert out == [[3.0], [pytest.approx(1.2)], [2.0]]
    status = call_udf("COVERAGE_STATUS", [3.0, 1.2, 2.0])
    assert status == [["Healthy"], ["Undercovered"], ["Thin"]]


def test_status_cutoffs_are_editable():
    assert one(call_udf("COVERAGE_STATUS", 2.5, 2.5, 1.5)) == "Healthy"
    assert one(call_udf("COVERAGE_STATUS", 1.6, 2.5, 1.5)) == "Thin"
    assert one(call_udf("COVERAGE_STATUS", 1.6, None, 1.7)) == "Undercovered"
    with pytest.raises(ValueError, match=r"^thin: "):
        call_udf("COVERAGE_STATUS", 1.6, 2, 3)


def test_weighted_pipeline_uses_close_rate_of_each_motion():
    amounts = [100_000, 40_000, 50_000, 20_000, 10_000]
    motions = ["Seat expansion", "Tier upgrade", "Usage expansion", "Cross-department", "cross sell"]
    expected = 100_000 * 0.5 + 40_000 * 0.325 + 50_000 * 0.6 + 20_000 * 0.25 + 10_000 * 0.2
    assert one(call_udf("WEIGHTED_PIPELINE", amounts, motions)) == pytest.approx(expected)
    # trailing blank rows of a range are empty rows, not data
    assert one(call_udf("WEIGHTED_PIPELINE", amounts + [None], motions + [None])) == pytest.approx(expected)


def test_weighted_pipeline_with_a_plays_table():
    plays = udfs.default_plays().reset_index(drop=True)
    plays.loc[plays["motion"] == "Seat expansion", "close_rate"] = 0.4
    rows = [list(plays.columns)] + plays.astype(object).where(plays.notna(), None).values.tolist()
    out = one(call_udf("WEIGHTED_PIPELINE", [100_000], ["Seat expansion"], rows))
    assert out == pytest.approx(40_000)


def test_weighted_pipeline_unknown_motion_is_named():
    with pytest.raises(ValueError, match=r"^motions: expected one of Seat expansion.*got 'Upsell' \(item 2\)$"):
        call_udf("WEIGHTED_PIPELINE", [1, 2], ["Seat expansion", "Upsell"])
    with pytest.raises(ValueError, match=r"^amounts: expected a number, got a blank cell \(item 2\)$"):
        call_udf("WEIGHTED_PIPELINE", [1, None], ["Seat expansion", "Cross-sell"])
    with pytest.raises(ValueError, match=r"^motions: "):
        call_udf("WEIGHTED_PIPELINE", [1, 2], ["Seat expansion", None])


def test_pipeline_gap():
    assert one(call_udf("PIPELINE_GAP", 600_000, 500_000)) == pytest.approx(900_000)
    assert one(call_udf("PIPELINE_GAP", 1_500_000, 500_000)) == 0
    assert one(call_udf("PIPELINE_GAP", 2_000_000, 500_000)) == 0
    assert one(call_udf("PIPELINE_GAP", 600_000, 500_000, 2)) == pytest.approx(400_000)
    assert call_udf("PIPELINE_GAP", [0, 600_000], [100_000, 500_000]) == [[300_000.0], [900_000.0]]


def test_coverage_by_motion_and_total():
    out = call_udf(
        "COVERAGE_BY_MOTION", [900_000, 300_000, 100_000],
        ["Seat expansion", "Cross-sell", "Seat expansion"], [300_000, 0, 0, 0, 150_000],
    )
    head, rows = out[0], {r[0]: dict(zip(out[0], r, strict=True)) for r in out[1:]}
    assert head == ["motion", "pipeline", "weighted_pipeline", "target", "coverage", "status", "gap"]
    assert list(rows) == list(udfs.MOTIONS) + ["Total"]
    assert rows["Seat expansion"]["coverage"] == pytest.approx(1_000_000 / 300_000)
    assert rows["Seat expansion"]["status"] == "Healthy"
    assert rows["Cross-sell"]["status"] == "Thin"
    assert rows["Tier upgrade"]["coverage"] in (None, "")  # no target: a blank cell, not #NUM!
    assert rows["Total"]["pipeline"] == pytest.approx(1_300_000)
    assert rows["Total"]["coverage"] == pytest.approx(1_300_000 / 450_000)
    assert rows["Total"]["status"] == "Thin"
    assert rows["Total"]["gap"] == pytest.approx(50_000)


def test_python_forms_keep_shapes():
    s = pd.Series([1_500_000, 600_000], index=["a", "b"])
    cov = udfs.pipeline_coverage(s, 500_000)
    assert isinstance(cov, pd.Series) and list(cov.index) == ["a", "b"]
    assert isinstance(udfs.pipeline_coverage(np.array([1.0, 2.0]), 1), np.ndarray)
    assert udfs.coverage_status(cov).tolist() == ["Healthy", "Undercovered"]
    assert isinstance(udfs.pipeline_coverage(1, 2), float)


def test_every_argument_has_help_text():
    meta = udf_meta()
    for name in ("PIPELINE_COVERAGE", "COVERAGE_STATUS", "WEIGHTED_PIPELINE", "PIPELINE_GAP", "COVERAGE_BY_MOTION"):
        assert "Example: =" + name in meta[name]["description"]
        for p in meta[name]["parameters"]:
            assert p["description"], (name, p["name"])
    for name in ("pipeline_coverage", "coverage_status", "weighted_pipeline", "pipeline_gap"):
        assert callable(getattr(udfs, name)) and callable(getattr(udfs, name.upper()))


def test_zero_target_is_a_clear_message():
    with pytest.raises(ValueError, match=r"^target: expected a number above 0, got 0"):
        call_udf("PIPELINE_COVERAGE", 100, 0)
    with pytest.raises(ValueError, match=r"^pipeline: expected one value or 3 values"):
        call_udf("PIPELINE_COVERAGE", [1, 2], [1, 2, 3])


# --------------------------------------------------------------------------- bad input


ERRORS = ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!")


def bad_values(negative: bool = True):
    """Every bad-input class of SPEC §8 as Excel hands it over (one cell)."""
    words = st.text(min_size=1, max_size=12).filter(
        lambda s: not _args.is_blank(s) and _args.parse_number(s) is None
    )
    kinds = [
        st.just(None),  # blank cell
        st.just("   "),
        words,
        st.sampled_from(ERRORS).map(excel_error),
        st.just(math.nan),
        st.booleans(),
    ]
    if negative:
        kinds.append(st.floats(min_value=-1e12, max_value=-1e-6))
    return st.one_of(*kinds)


# (UDF, valid single-cell args, index of each argument to break, argument names)
PIPELINE_CASES = [
    ("PIPELINE_COVERAGE", [1_500_000, 500_000], ["pipeline", "target"]),
    ("COVERAGE_STATUS", [2.5, 3.5, 1.5], ["coverage", "healthy", "thin"]),
    ("PIPELINE_GAP", [600_000, 500_000, 2.5], ["pipeline", "target", "healthy"]),
    ("WEIGHTED_PIPELINE", [100_000, "Tier upgrade"], ["amounts", "motions"]),
]
OPTIONAL = {"healthy", "thin", "new_logo_arr_per_year"}  # single cells; blank = the default


def check_bad(name, good, arg_names, i, bad, as_column, position):
    if arg_names[i] in OPTIONAL and bad in (None, "   "):
        return  # an omitted optional argument takes its default
    if arg_names[i] in ("healthy", "thin"):
        as_column = False  # a single-cell cut-off (a column is refused: "expected a single cell")
    args = list(good)
    if as_column:
        column = [good[i]] * 3
        column[position] = bad
        args[i] = [[v] for v in column]
        if name == "WEIGHTED_PIPELINE":  # the partner column must be as long
            other = 1 - i
            args[other] = [[good[other]]] * 3
    else:
        args[i] = [[bad]]
    with pytest.raises(Exception) as info:
        call_udf(name, *args)
    err = info.value
    assert type(err) is InputError, repr(err)
    message = str(err)
    assert "\n" not in message
    assert message.startswith(arg_names[i] + ": expected "), message
    if as_column:
        assert message.endswith(f"(item {position + 1})"), message


@settings(max_examples=250, deadline=None)
@given(
    case=st.sampled_from(PIPELINE_CASES), which=st.integers(0, 2), bad=bad_values(),
    as_column=st.booleans(), position=st.integers(0, 2),
)
def test_every_bad_input_is_one_named_line(case, which, bad, as_column, position):
    name, good, arg_names = case
    check_bad(name, good, arg_names, which % len(good), bad, as_column, position)
