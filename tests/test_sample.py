"""The sample account book: deterministic, every SPEC §2 column, realistic, and bundled."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import udfs
from udfs.playbook import ACCOUNT_COLUMNS, MOTIONS, SEGMENTS
from udfs.sample import COLUMNS

CSV = Path(__file__).resolve().parents[1] / "workbook" / "sample_accounts.csv"


def test_bundled_csv_is_the_generator_output():
    bundled = pd.read_csv(CSV)
    pd.testing.assert_frame_equal(bundled, udfs.sample_accounts(), check_dtype=False)


def test_deterministic_and_seeded():
    pd.testing.assert_frame_equal(udfs.sample_accounts(), udfs.sample_accounts())
    assert not udfs.sample_accounts(50, seed=1).equals(udfs.sample_accounts(50, seed=2))
    assert len(udfs.sample_accounts(1000)) == 1000


def test_every_spec_column_with_realistic_spreads():
    book = udfs.sample_accounts()
    assert list(book.columns) == list(COLUMNS) == list(ACCOUNT_COLUMNS)
    assert 200 <= len(book) <= 500 and book["account_id"].is_unique
    assert set(book["segment"]) == set(SEGMENTS)
    median_arr = book.groupby("segment")["arr"].median()
    assert median_arr["SMB"] < median_arr["Mid-market"] < median_arr["Enterprise"]
    assert (book["arr"] > 0).all() and (book["seats_active"] >= 0).all()
    assert book["funding_event_days_ago"].isna().mean() > 0.5  # most have no recent round
    assert book["funding_event_days_ago"].notna().sum() >= 20
    assert book["seat_utilization"].isna().any()  # derived from the seat counts there
    assert book["usage_vs_cap"].between(0, 1.5).all() and (book["usage_vs_cap"] > 1).any()
    assert book["health_score"].between(0, 100).all()


def test_names_are_company_names_never_formulas():
    names = udfs.sample_accounts()["account_name"]
    assert names.is_unique
    assert not names.str.startswith(("=", "+", "-", "@")).any()
    assert {"Contoso", "Northwind", "Acme"} <= {n.split()[0] for n in names}


def test_queue_has_ready_accounts_for_every_motion_and_a_few_gated():
    queue = udfs.score_accounts(udfs.sample_accounts())
    ready = queue[queue["ready"]]
    assert 0.2 <= len(ready) / len(queue) <= 0.6
    assert set(ready["play"]) == set(MOTIONS)
    assert 2 <= (queue["play"] == "Fix adoption first").sum() <= 30
    assert 2 <= (queue["play"] == "Too early").sum() <= 30
    assert set(queue["owner"]) >= {"CSM", "Expansion AE", "CSM + Expansion AE", "Self-serve"}
