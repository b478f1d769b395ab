"""The trigger-backtest marimo app (issue 5, part 4): it exports to HTML cleanly, and an
analyst in a real browser can run a sweep and write thresholds into a model workbook."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    assert_no_marimo_errors,
    chromium_page,
    export_html,
    marimo_app,
    marimo_env,
    screenshot_path,
)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "simulations" / "trigger_backtest.py"


def test_app_runs_as_a_script(tmp_path):
    proc = subprocess.run([sys.executable, str(APP)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=marimo_env(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_export_html_has_no_errors(tmp_path):
    html = export_html(APP, tmp_path / "app.html", env=marimo_env(tmp_path))
    assert_no_marimo_errors(html)
    # the sweep actually ran: outputs (not just the code) hold a numeric recommendation
    assert re.search(r"Recommended threshold: 0\.\d+", html)
    assert "passes the gate" in html
    # and without the code, the outputs alone still carry the sweep
    bare_html = export_html(
        APP, tmp_path / "bare.html", "--no-include-code",
        "--", "--rule", "funding", "--persistence", "2", "--window", "4",
        env=marimo_env(tmp_path),
    )
    assert_no_marimo_errors(bare_html)
    assert "funding: preceded, coverage and false positive rate" in bare_html


# --------------------------------------------------------------------------- browser


def _rec_text(panel, rule: str) -> str:
    """The app's line for the recommendation the engine gives on ``panel``."""
    import udfs

    value = udfs.recommend_threshold(panel, rule)["threshold"]
    return f"Recommended threshold: {value:.3g}"


def _build_model(path: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "workbook", "build", "--out", str(path), "--force"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return path


def _first_points(path: Path) -> dict[str, float]:
    import openpyxl

    ws = next(s for s in openpyxl.load_workbook(path) if "Rules" in s.tables)
    rows = [[c.value for c in row] for row in ws[ws.tables["Rules"].ref]]
    i, j = rows[0].index("rule"), rows[0].index("points")
    out = {}
    for row in rows[1:]:
        out.setdefault(row[i], row[j])
    return out


def _thresholds(path: Path) -> dict[tuple[str, str, str], float]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = next(s for s in wb if "Rules" in s.tables)
    rows = [[c.value for c in row] for row in ws[ws.tables["Rules"].ref]]
    head = rows[0]
    i = {h: head.index(h) for h in ("rule", "signal", "op", "threshold")}
    out = {}
    for row in rows[1:]:
        key = (row[i["rule"]], row[i["signal"]], row[i["op"]])
        out.setdefault(key, row[i["threshold"]])
    return out


@pytest.mark.e2e
def test_browser_sweep_and_export(chromium, tmp_path):
    import udfs

    model = _build_model(tmp_path / "upcell_model.xlsx")
    before = _thresholds(model)
    sample = udfs.sample_history()
    history = tmp_path / "history.csv"
    udfs.sample_history(n_accounts=80).to_csv(history, index=False)
    uploaded = udfs.load_history(history)[0]
    recs = udfs.recommend_thresholds(sample).dropna(subset=["threshold"])
    # what the app exports: the chosen rule first, then the others by motion and rule, each
    # left out when it would empty a band given those before it
    recs = recs.assign(first=recs["rule"] != "seats_full",
                       order=recs["motion"].map(udfs.MOTIONS.index))
    recs = recs.sort_values(["first", "order", "rule"], kind="stable")
    table = udfs.rules_table()
    first_row = {r: i for i, r in reversed(list(enumerate(table["rule"])))}
    kept, _ = udfs.backtest.families.ordered(
        table.to_dict("records"),
        [(first_row[r], t, {}) for r, t in zip(recs["rule"], recs["threshold"], strict=True)])
    kept_rows = {i for i, _, _ in kept}
    expected = {r: t for r, t in zip(recs["rule"], recs["threshold"], strict=True)
                if first_row[r] in kept_rows}
    queues = udfs.compare_queues(sample)
    with (
        marimo_app(APP, "--", "--model", str(model), log=tmp_path / "marimo.log",
                   env=marimo_env(tmp_path)) as url,
        chromium_page(chromium, {"width": 1280, "height": 900}, timeout=90_000) as page,
    ):
        page.goto(url)
        page.get_by_text(_rec_text(sample, "usage_at_cap")).first.wait_for()

        # a sweep: pick another rule, wait for its recommendation
        rule_select = page.locator("select").filter(has_text="seats_full").first
        rule_select.select_option("seats_full")
        page.get_by_text(re.compile(r"seats_full: preceded, coverage and false positive rate")).first.wait_for()
        page.get_by_text(_rec_text(sample, "seats_full")).first.wait_for()

        # the analyst's own history: upload a CSV, the sweep reruns on it
        page.get_by_text("Upload CSV/XLSX").first.click()
        page.locator("input[type=file]").first.set_input_files(str(history))
        page.get_by_text(re.compile(r"Backtesting .*history\.csv.*80 accounts")).first.wait_for()
        page.get_by_text(_rec_text(uploaded, "seats_full")).first.wait_for()

        # back to the sample; export the chosen threshold and the other passing ones
        page.get_by_text("Sample panel").first.click()
        page.get_by_text(re.compile(r"Backtesting the sample panel")).first.wait_for()
        # the whole queue (on the sample): default, tuned and calibrated queues side by side
        page.get_by_role("tab", name="Whole queue").first.click()
        best = queues.loc[queues["precision"].idxmax(), "queue"]
        page.locator(f"text=Whole queue: the most precise queue is {best} >> visible=true").first.wait_for()
        for name, precision in zip(queues["queue"], queues["precision"], strict=True):
            row = page.locator("tr:visible").filter(has_text=name).first
            assert f"{precision * 100:.0f}%" in row.inner_text(), (name, row.inner_text())

        page.get_by_text(_rec_text(sample, "seats_full")).first.wait_for()
        page.get_by_text("Also the recommended thresholds").first.click()
        page.get_by_text(f"{len(expected)} threshold(s) ready").first.wait_for()
        page.locator("text=Also the calibrated points >> visible=true").first.click()
        page.get_by_text(f"{len(expected)} threshold(s) ready and calibrated points").first.wait_for()
        # a wrong path first: a one-line message, nothing written
        inputs = page.locator("input")
        path_box = next(inputs.nth(i) for i in range(inputs.count())
                        if inputs.nth(i).input_value() == str(model))
        path_box.fill(str(tmp_path / "missing.xlsx"))
        path_box.press("Enter")
        page.get_by_role("button", name=re.compile("Export thresholds")).click()
        page.get_by_text(re.compile(r"Export failed: model workbook not found")).first.wait_for()
        assert not list(tmp_path.glob("*.csv")) or all(
            p.name == "history.csv" for p in tmp_path.glob("*.csv"))
        path_box.fill(str(model))
        path_box.press("Enter")
        page.wait_for_timeout(500)
        page.get_by_role("button", name=re.compile("Export thresholds")).click()
        page.get_by_text(re.compile(r"Wrote \d+ threshold")).first.wait_for()
        page.get_by_text("Top of the queue").first.wait_for()
        page.wait_for_timeout(1500)  # let charts finish drawing
        # the app scrolls inside its own container: grow the viewport to show it all
        height = page.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 240, 4200)})
        page.evaluate("document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; });"
                      " window.scrollTo(0, 0)")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshot_path("backtest_app.png")))
        body = page.inner_text("body")

    for marker in ("Traceback", "MarimoExceptionRaisedError"):
        assert marker not in body
    after = _thresholds(model)
    # the calibrated points (the app's Calibrated points tab) are on each rule's first row
    usable = table[table["motion"].notna()]
    points = udfs.compare_points(sample, rules=usable, k=50)["points"].set_index("rule")["points"]
    written = _first_points(model)
    for rule, value in points.items():
        assert written[rule] == pytest.approx(value), rule
    first = {}
    for (rule, _signal, _op), value in after.items():
        first.setdefault(rule, value)
    assert expected["seats_full"] != 0.9
    for rule, value in expected.items():  # every exported rule now holds its recommendation
        assert first[rule] == pytest.approx(value), rule
    changed = {k for k in before if before[k] != after.get(k)}
    assert ("seats_full", "seat_utilization", ">=") in changed
    # every changed cell is an exported threshold, or the upper edge of the band below one
    # (usage_near_cap and seats_near_full end where the rule above them now starts)
    for rule, signal, op in changed:
        assert rule in expected or op == "<", (rule, signal, op)
        if op == "<":
            above = {"usage_near_cap": "usage_at_cap", "seats_near_full": "seats_full"}[rule]
            assert after[(rule, signal, op)] == pytest.approx(expected[above])
    csvs = list(tmp_path.glob("upcell_model.thresholds-*.csv"))
    assert csvs, "the CSV of the exported thresholds was not written beside the model"
    assert "seats_full" in csvs[0].read_text()
    assert list(tmp_path.glob("upcell_model.backup-*.xlsx"))


@pytest.mark.e2e
def test_browser_playbook_results_tab(chromium, tmp_path):
    """The Playbook results tab: the sample snapshots' flags matched to the sample
    opportunities, measured close rates with their intervals against the assumed ones."""
    import pandas as pd

    import udfs

    snaps = pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False, na_values=[""])
    results = udfs.playbook_results(udfs.play_flags(snaps), udfs.sample_opportunities(), by="play")
    measured = results[results["basis"].str.startswith("measured")]
    assert len(measured) >= 1
    with (
        marimo_app(APP, log=tmp_path / "marimo.log", env=marimo_env(tmp_path)) as url,
        chromium_page(chromium, {"width": 1280, "height": 900}, timeout=90_000) as page,
    ):
        page.goto(url)
        page.get_by_role("tab", name="Playbook results").first.click()
        page.locator(f"text=Measured: {', '.join(measured['play'])} >> visible=true").first.wait_for()
        for row in results.itertuples(index=False):
            cells = page.locator("tr:visible").filter(has_text=row.basis).first
            text = cells.inner_text()
            assert row.play in text, (row.play, text)
            if row.close_rate == row.close_rate:
                assert f"{row.close_rate * 100:.0f}% ({row.close_rate_low * 100:.0f}%–{row.close_rate_high * 100:.0f}%)" in text
            assert f"{row.assumed_close_rate * 100:.1f}%" in text
        page.screenshot(path=str(screenshot_path("playbook_results_tab.png")), full_page=False)
