"""The trigger backtest app on the history panel the signals command writes (Parquet), by
``--panel PATH`` and by upload, and its one-line message for a Parquet file it cannot use;
the helpers the app imports from workbook/backtest_app.py."""

from __future__ import annotations

import doctest
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import udfs
import workbook.backtest_app as bt
import workbook.formats
import workbook.records.parquet
from tests.conftest import (
    ROOT,
    assert_no_marimo_errors,
    chromium_page,
    export_html,
    marimo_app,
    marimo_env,
)
from workbook.sample_events import SAMPLE_CSV, sample_sources

APP = ROOT / "simulations" / "trigger_backtest.py"


@pytest.fixture(scope="module")
def signals_panel(tmp_path_factory) -> Path:
    """The monthly panel ``python -m workbook signals ... --panel`` writes from the sample
    product records and the sample ARR history (as ``make demo`` feeds the model)."""
    folder = tmp_path_factory.mktemp("signals")
    sources = []
    for name, path in sample_sources().items():
        sources += ["--" + name.replace("_", "-"), path]
    done = subprocess.run(
        [sys.executable, "-m", "workbook", "signals", *sources, "--accounts", SAMPLE_CSV,
         "--arr-history", str(ROOT / "workbook" / "sample_arr_history.csv"),
         "--as-of", "2026-12-01", "--out", str(folder / "accounts.csv"),
         "--panel", str(folder / "panel.parquet")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return folder / "panel.parquet"


def _bad_parquet(folder: Path, kind: str) -> Path:
    path = folder / f"{kind}.parquet"
    if kind == "not_parquet":  # a CSV saved under a .parquet name
        path.write_text("account_id,period,usage_vs_cap\na1,1,0.5\n")
    elif kind == "no_account_column":
        pd.DataFrame({"customer": ["a1"], "period": [1], "usage_vs_cap": [0.5]}).to_parquet(path)
    elif kind == "no_rows":
        pd.DataFrame({"account_id": pd.Series([], dtype=object),
                      "period": pd.Series([], dtype="int64")}).to_parquet(path)
    return path


BAD = {  # what the app says of each bad file, after its name
    "not_parquet": "not a Parquet file (no Parquet footer",
    "no_account_column": "expected a column 'account_id'",
    "no_rows": "the file has no rows",
}


def test_helpers_doctests():
    for module in (bt, workbook.records.parquet, workbook.formats):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.parametrize("kind", sorted(BAD))
def test_read_history_bad_parquet_is_one_line_naming_the_file(tmp_path, kind):
    path = _bad_parquet(tmp_path, kind)
    for source, name in ((str(path), str(path)), (path.read_bytes(), path.name)):
        with pytest.raises(bt.HistoryFileError) as err:
            bt.read_history(source, name)
        assert err.value.file == path.name and err.value.why.startswith(BAD[kind])
        assert "\n" not in str(err.value)


def test_read_history_of_the_signals_panel(signals_panel):
    """Path or uploaded bytes (even under a .csv name), the panel is the one its file holds."""
    stored = pd.read_parquet(signals_panel)
    by_path, problems = bt.read_history_path(signals_panel)
    by_bytes, _ = bt.read_history(signals_panel.read_bytes(), "renamed.csv")
    # 24 month ends (2025-01 to 2026-12), each account from its first month with data
    assert len(problems) == 0 and len(by_path) == len(stored) == 5_729
    assert stored["month"].nunique() == 24
    pd.testing.assert_frame_equal(by_path, by_bytes)
    assert by_path["expansion"].sum() == stored["expansion"].sum() > 0
    # udfs.load_history reads the same file through the workbook package's reader
    pd.testing.assert_frame_equal(udfs.load_history(signals_panel)[0], by_path)


@pytest.mark.parametrize("kind", ["not_parquet", "no_rows"])
def test_export_html_bad_panel_is_a_callout(tmp_path, kind):
    path = _bad_parquet(tmp_path, kind)
    html = export_html(APP, tmp_path / "app.html", "--", "--panel", str(path),
                       env=marimo_env(tmp_path))
    assert_no_marimo_errors(html)
    # the callout: the file's name in bold, then the one-line reason (escaped in the page)
    assert re.search(re.escape(path.name) + r"\S{0,60}: " + re.escape(BAD[kind]), html), kind
    assert not re.search(r"\d account-periods", html)  # no backtest ran on it


# --------------------------------------------------------------------------- browser


def _cells(row) -> list[str]:
    return [c.strip() for c in row.locator("td").all_inner_texts()]


@pytest.mark.e2e
def test_browser_backtests_the_signals_panel(chromium, tmp_path, signals_panel):
    """``--panel`` the signals command's Parquet: the summary, the chosen rule's figures,
    every rule's recommendation and the queue replay are those computed from that file;
    a bad Parquet upload is a one-line callout naming it, a good one is backtested."""
    stored = pd.read_parquet(signals_panel)
    panel = udfs.load_history(stored)[0]
    rules = udfs.rules_table()
    chosen = udfs.recommend_threshold(panel, "usage_at_cap")["threshold"]
    assert chosen is not None  # 24 months: the sample's usage at the cap passes the gate
    at_chosen = udfs.backtest_single(panel, "usage_at_cap", chosen)  # the app's threshold to export
    assert at_chosen["passes_gate"] and at_chosen["true_fires"] > 50
    recommended = {}
    for name in dict.fromkeys(rules.loc[rules["motion"].notna(), "rule"]):
        if rules.loc[rules["rule"] == name, "signal"].isin(panel.columns).all():
            recommended[name] = udfs.recommend_threshold(panel, name)["threshold"]
    # the rules the sample records plant before its expansions pass; user growth does not
    passing = {k for k, v in recommended.items() if v is not None}
    assert {"usage_at_cap", "seats_full", "pricing_page", "gated_requests", "new_departments",
            "next_tier_adoption"} <= passing and "user_growth" not in passing
    assert "headcount_growth" not in recommended  # a signal the product records do not give
    queues = udfs.compare_queues(panel)
    uploaded = tmp_path / "uploaded_panel.parquet"
    shutil.copy(signals_panel, uploaded)
    bad = _bad_parquet(tmp_path, "not_parquet")
    summary = (f"{len(stored):,} account-periods, {stored['account_id'].nunique()} accounts, "
               f"periods {stored['period'].min()}–{stored['period'].max()}, "
               f"{int(stored['expansion'].sum())} expansions")
    with (
        marimo_app(APP, "--", "--panel", str(signals_panel), log=tmp_path / "marimo.log",
                   env=marimo_env(tmp_path)) as url,
        chromium_page(chromium, {"width": 1280, "height": 900}, timeout=90_000) as page,
    ):
        page.goto(url)
        page.get_by_text(f"Backtesting panel.parquet: {summary}.").first.wait_for()
        page.get_by_text(f"Recommended threshold: {bt.num(chosen)}").first.wait_for()
        # the chosen rule at the threshold to export (the recommended one)
        page.get_by_text(f"{bt.num(at_chosen['true_fires'])} true · {bt.num(at_chosen['pending'])} "
                         "pending").first.wait_for()

        # the whole queue replayed on this panel
        page.locator("text=Whole queue: the most precise queue is >> visible=true").first.wait_for()
        for name, flags in zip(queues["queue"], queues["flags"], strict=True):
            row = page.locator("tr:visible").filter(has_text=name).first
            assert _cells(row)[1] == f"{flags:,}", (name, _cells(row))

        # every rule the panel has signals for, at its recommended threshold
        page.get_by_role("tab", name="Every rule, by motion").first.click()
        page.locator("text=Rules with a threshold that passes the gate >> visible=true").first.wait_for()
        for name, value in recommended.items():
            row = page.locator("tr:visible").filter(
                has=page.locator("td", has_text=re.compile(rf"^\s*{name}\s*$"))).first
            cells = _cells(row)
            shown = "none passes" if value is None else f"{value:g}"
            assert name in cells and shown in cells, (name, shown, cells)
        assert page.locator("tr:visible").filter(has_text="headcount_growth").count() == 0

        # an upload: a file that is not Parquet says so in one line; the panel is backtested
        page.get_by_text("Upload CSV/XLSX/Parquet").first.click()
        page.locator("input[type=file]").first.set_input_files(str(bad))
        page.get_by_text(re.compile(r"not_parquet\.parquet: not a Parquet file \(no Parquet footer")
                         ).first.wait_for()
        page.locator("input[type=file]").first.set_input_files(str(uploaded))
        page.get_by_text(f"Backtesting uploaded_panel.parquet: {summary}.").first.wait_for()
        body = page.inner_text("body")
    for marker in ("Traceback", "MarimoExceptionRaisedError"):
        assert marker not in body
