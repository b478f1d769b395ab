"""Every Excel function of SPEC §8 is registered with xlwings, described, and helped.

The list is SPEC §8's catalog, hard-coded (CI does not need ../shared). Functions owned by
other modules fail here until they land: the check is over the whole catalog on purpose.
"""

from __future__ import annotations

import pytest

import udfs
from tests.conftest import udf_meta

SPEC_8 = (
    "SCORE_ACCOUNTS", "EXPANSION_SCORE", "EXPANSION_MOTION", "EXPANSION_REASONS",
    "SEAT_UTILIZATION", "EXPANSION_OWNER", "EXPECTED_EXPANSION", "CLOSE_RATE",
    "PLAY_DUE_DATE", "TRIGGER_FIRES", "PIPELINE_COVERAGE", "COVERAGE_STATUS",
    "WEIGHTED_PIPELINE", "PIPELINE_GAP", "NRR", "GRR", "ARR_AFTER", "NRR_PROJECTION",
    "NRR_BENCHMARK", "EXPANSION_SHARE", "EXPANSION_READINESS", "TRIGGER_BACKTEST",
)
# argument names of SPEC §8, in order ([optional] ones included)
SPEC_8_ARGS = {
    "SCORE_ACCOUNTS": ("accounts", "rules", "plays", "history", "as_of", "owners", "routing", "opportunities",
                       "previous"),
    "EXPANSION_SCORE": ("values", "headers", "rules"),
    "EXPANSION_MOTION": ("values", "headers", "rules"),
    "EXPANSION_REASONS": ("values", "headers", "rules"),
    "SEAT_UTILIZATION": ("seats_active", "seats_licensed"),
    "EXPANSION_OWNER": ("motion", "expected_arr_increase", "account_arr"),
    "EXPECTED_EXPANSION": ("motion", "account_arr", "plays"),
    "CLOSE_RATE": ("motion", "plays"),
    "PLAY_DUE_DATE": ("motion", "trigger_date", "segment", "plays", "renewal_date"),
    "TRIGGER_FIRES": ("signal_values", "threshold", "persistence"),
    "PIPELINE_COVERAGE": ("pipeline", "target"),
    "COVERAGE_STATUS": ("coverage", "healthy", "thin"),
    "WEIGHTED_PIPELINE": ("amounts", "motions", "plays"),
    "PIPELINE_GAP": ("pipeline", "target", "healthy"),
    "NRR": ("starting_arr", "expansion", "contraction", "churn"),
    "GRR": ("starting_arr", "contraction", "churn"),
    "ARR_AFTER": ("starting_arr", "nrr", "years", "new_logo_arr_per_year"),
    "NRR_PROJECTION": ("starting_arr", "nrr", "years", "new_logo_arr_per_year"),
    "NRR_BENCHMARK": ("arr", "nrr", "segment"),
    "EXPANSION_SHARE": ("expansion_arr", "new_logo_arr"),
    "EXPANSION_READINESS": ("paying_customers", "avg_tenure_months", "annual_churn"),
    "TRIGGER_BACKTEST": (
        "account_ids", "periods", "signal_values", "expansion_flags", "thresholds",
        "persistence", "window", "min_lift",  # min_lift: the gate's editable lift floor
    ),
}


def test_catalog_lists_every_spec_function():
    registered = set(udf_meta())
    missing = [name for name in SPEC_8 if name not in registered]
    assert not missing, f"not registered with xlwings: {missing}"


@pytest.mark.parametrize("name", SPEC_8)
def test_function_is_described_with_an_example_and_helped_on_every_argument(name):
    meta = udf_meta().get(name)
    assert meta is not None, f"{name} is not registered"
    description = meta["description"]
    assert description and not description.startswith("Python function"), description
    assert f"={name}(" in description, f"{name}: the description should show an Excel example"
    params = meta["parameters"]
    assert [p["name"] for p in params] == list(SPEC_8_ARGS[name])
    required = len([a for a in SPEC_8_ARGS[name]]) - sum(1 for p in params if p.get("optional"))
    assert required >= 1
    for p in params:
        doc = p["description"]
        assert doc and not doc.startswith("Positional argument"), f"{name}({p['name']}) has no help text"


@pytest.mark.parametrize("name", SPEC_8)
def test_function_is_importable_in_python_under_its_lower_case_name(name):
    assert callable(getattr(udfs, name.lower(), None)), f"udfs.{name.lower()} is missing"
    assert callable(getattr(udfs, name, None))


def test_optional_arguments_of_spec_are_optional_in_excel():
    optional = {
        "SCORE_ACCOUNTS": {"rules", "plays", "history", "as_of", "owners", "routing", "opportunities",
                           "previous"}, "EXPANSION_SCORE": {"headers", "rules"},
        "EXPANSION_OWNER": {"account_arr"}, "EXPECTED_EXPANSION": {"plays"},
        "CLOSE_RATE": {"plays"}, "PLAY_DUE_DATE": {"segment", "plays", "renewal_date"},
    }
    meta = udf_meta()
    for name, names in optional.items():
        flagged = {p["name"] for p in meta[name]["parameters"] if p.get("optional")}
        assert flagged == names, name


# The records functions of §5-§6 (names are ours, in the catalog's style), with their arguments in order.
RECORDS_ARGS = {
    "PIPELINE_FROM_OPPORTUNITIES": ("opportunities", "targets", "as_of", "plays", "by", "past_due", "weighting"),
    "OPPORTUNITY_PIPELINE": ("opportunities", "quarter", "motion", "owner", "weighted", "as_of", "plays",
                             "past_due", "weighting"),
    "OPPORTUNITY_BOOKED": ("opportunities", "quarter", "motion", "owner", "as_of"),
    "OPPORTUNITY_PAST_DUE": ("opportunities", "motion", "owner", "as_of"),
    "PIPELINE_WEIGHTING": ("opportunities", "quarter", "motion", "owner", "as_of", "past_due", "weighting"),
    "PAST_DUE_OPPORTUNITIES": ("opportunities", "as_of"),
    "TRAILING_MEASURE": ("history", "measure", "month"),
    "EXPANSION_SHARE_BY_QUARTER": ("history",),
    "COHORT_NRR": ("history", "months"),
}


@pytest.mark.parametrize("name", sorted(RECORDS_ARGS))
def test_records_functions_are_described_and_helped(name):
    meta = udf_meta().get(name)
    assert meta is not None, f"{name} is not registered"
    assert f"={name}(" in meta["description"]
    params = meta["parameters"]
    assert [p["name"] for p in params] == list(RECORDS_ARGS[name])
    required = {"OPPORTUNITY_PAST_DUE": 1, "PAST_DUE_OPPORTUNITIES": 1, "PIPELINE_FROM_OPPORTUNITIES": 1,
                "EXPANSION_SHARE_BY_QUARTER": 1, "COHORT_NRR": 1}.get(name, 2)
    assert [p["name"] for p in params if not p.get("optional")] == list(RECORDS_ARGS[name][:required])
    assert all(p["description"] and not p["description"].startswith("Positional") for p in params)
    assert callable(getattr(udfs, name.lower(), None))
