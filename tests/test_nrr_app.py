"""The NRR app end to end: `marimo run` on 127.0.0.1, driven by headless Chromium from a
measured ARR history (the bundled sample when the project ships one, else a generated one).

Checks that the app starts from the history's measured figures (one headline NRR: the
trailing-12-month NRR), then moves the churn slider and waits for the headline and both
fans to change; saves the screenshot the README shows (docs/img/nrr_app.png under
`make screenshots`, else tests/_artifacts/).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import chromium_page, marimo_app, screenshot_path
from tests.test_simulate_history import book
from udfs import MOTIONS, measured_plan, win_rates
from workbook.records import read_table

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "simulations" / "nrr_compounding.py"
SAMPLE = ROOT / "workbook" / "sample_arr_history.csv"
SAMPLE_OPPS = ROOT / "workbook" / "sample_opportunities.csv"
HEADLINE = re.compile(r"ARR in (\d+) years: (\$[\d.]+[KMB]?)\s+at NRR ([\d.]+)% \(([^)]*)\)")
FAN = r"{name}[^\n]*\nP10\n(\$[\d.]+[KMB]?)\n[^\n]*\nP50\n(\$[\d.]+[KMB]?)"

pytestmark = pytest.mark.e2e


def history_file(tmp_path: Path) -> Path:
    if SAMPLE.exists():
        return SAMPLE
    path = tmp_path / "arr_history.csv"
    book(300, seed=1).to_csv(path, index=False)
    return path


def opportunities_file(tmp_path: Path, month: str) -> Path:
    """Won and lost expansion deals 3 to 8 months before ``month`` (inside both the motion
    split's window and the win rates' 4 closed quarters): Seat expansion wins 75 %, Tier
    upgrade 50 %; a renewal is no expansion."""
    end = pd.Period(month, "M")
    rows = [
        ("o1", "Add seats", 3000, "won", end - 3), ("o2", "Seat expansion", 1000, "lost", end - 4),
        ("o3", "Upsell", 2000, "won", end - 8), ("o4", "Tier upgrade", 2000, "lost", end - 5),
        ("o5", "Renewal", 9999, "won", end - 3),
    ]
    frame = pd.DataFrame(rows, columns=["opportunity_id", "type", "amount", "status", "close"])
    frame["close_date"] = frame.pop("close").map(lambda m: f"{m}-15")
    path = tmp_path / "opps.csv"
    frame.to_csv(path, index=False)
    return path


def headline(page) -> tuple[str, str, float, str]:
    text = page.locator("body").inner_text()
    m = HEADLINE.search(text)
    assert m, text[:3000]
    return m.group(1), m.group(2), float(m.group(3)), m.group(4)


# marimo draws a stat inside its own shadow DOM: read the values from its attributes
STAT_JS = """(where) => [...document.querySelectorAll('marimo-stat')].map(s => [
    JSON.parse(s.getAttribute('data-label')), JSON.parse(s.getAttribute('data-value')),
    JSON.parse(s.getAttribute('data-caption') || '""')]).filter(s => s[2].endsWith(where))"""


def fan(page, which: str) -> dict[str, str]:
    """P10, P50, P90 at the horizon of the fan ``which`` ('spread' or 'bootstrap')."""
    return {label: value for label, value, _ in page.evaluate(STAT_JS, which) if label in ("P10", "P50", "P90")}


def wait_fan_change(page, which: str, label: str, before: str) -> None:
    page.wait_for_function(
        f"([where, label, before]) => ({STAT_JS})(where).some(s => s[0] === label && s[1] !== before)",
        arg=[which, label, before], timeout=60_000,
    )


def dollars(text: str) -> float:
    return float(text.strip("$KMB")) * {"K": 1e3, "M": 1e6, "B": 1e9}.get(text[-1], 1)


def test_the_app_starts_from_a_measured_history_and_follows_an_input(chromium, tmp_path):
    path = history_file(tmp_path)
    measured = measured_plan(read_table(path, numbers=("arr", "mrr")))
    opps = SAMPLE_OPPS if path == SAMPLE and SAMPLE_OPPS.exists() else opportunities_file(tmp_path, measured.month)
    rates = win_rates(read_table(opps, numbers=("amount", "probability")), as_of=f"{measured.month}-01")
    assumed = [m for m, basis in zip(MOTIONS, rates["basis"], strict=True) if basis != "measured"]
    with (
        marimo_app(NOTEBOOK, "--no-sandbox", "--", "--history", str(path), "--opportunities", str(opps),
                   log=tmp_path / "marimo.log") as url,
        chromium_page(chromium, {"width": 1280, "height": 900}) as page,
    ):
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text(f"from {path.name}: the 12 months to {measured.month}").first.wait_for()
        page.get_by_text(f"expansion split by motion from the won opportunities of {opps.name}").first.wait_for()
        page.get_by_text("the new logos' change since").first.wait_for()  # the bridge to company ARR
        page.get_by_text("Account bootstrap ·").first.wait_for()
        years, arr_before, nrr_before, source = headline(page)
        # one headline NRR: the measured trailing-12-month NRR, said to be measured
        assert (years, source) == ("5", f"measured: the 12 months to {measured.month}")
        assert nrr_before == pytest.approx(round(measured.nrr * 100, 1), abs=1e-9)
        assert page.get_by_text(f"Account bootstrap · {measured.accounts:,} accounts measured").count() >= 1
        spread_before, boot_before = fan(page, "spread"), fan(page, "bootstrap")
        assert set(boot_before) == {"P10", "P50", "P90"} and boot_before["P90"] != boot_before["P10"]

        page.set_viewport_size({"width": 1280, "height": 4300})  # marimo scrolls inside the page
        page.wait_for_timeout(2000)  # let vega finish drawing before the picture
        page.screenshot(path=str(screenshot_path("nrr_app.png")))
        page.set_viewport_size({"width": 1280, "height": 900})

        churn = page.get_by_role("slider").first  # the churn slider leads the sliders
        start = float(churn.get_attribute("aria-valuenow"))
        assert start == pytest.approx(round(measured.churn * 100, 1))
        churn.focus()
        churn.press("PageUp")  # one change: +1.0 point of churn (ten steps of 0.1)
        page.get_by_text("(your inputs)").first.wait_for()
        page.wait_for_function(
            "(before) => !document.body.innerText.includes(before)",
            arg=f"at NRR {nrr_before}%", timeout=60_000,
        )
        assert float(churn.get_attribute("aria-valuenow")) == pytest.approx(start + 1.0)
        _, arr_after, nrr_after, source = headline(page)
        assert source == "your inputs"
        assert nrr_after < nrr_before - 0.5 and dollars(arr_after) < dollars(arr_before)
        wait_fan_change(page, "bootstrap", "P50", boot_before["P50"])
        wait_fan_change(page, "spread", "P50", spread_before["P50"])
        assert dollars(fan(page, "bootstrap")["P50"]) < dollars(boot_before["P50"])
        assert dollars(fan(page, "spread")["P50"]) < dollars(spread_before["P50"])

        # per-year redraws instead of one draw per path: the rate-spread fan narrows
        p10 = fan(page, "spread")["P10"]
        page.get_by_text("every year", exact=True).first.click()
        wait_fan_change(page, "spread", "P10", p10)
        assert dollars(fan(page, "spread")["P10"]) > dollars(p10)

        # the playbook mode takes its close rates from the opportunities' win rates
        page.get_by_text("From playbook", exact=True).first.click()
        label = page.get_by_text("Close rate (%) · win rates measured").first
        label.wait_for()
        assert label.inner_text().endswith(f"assumed for {', '.join(assumed)}" if assumed else rates["window"].iloc[0])
        page.get_by_text("(your inputs)").first.wait_for()


def test_an_uploaded_xlsx_history_replaces_the_default(chromium, tmp_path):
    history = book(120, seed=5)
    upload = tmp_path / "billing export.xlsx"
    history.rename(columns={"account_id": "Customer", "month": "Month", "arr": "MRR"}).assign(
        MRR=history["arr"] / 12
    ).to_excel(upload, index=False)
    measured = measured_plan(history)
    with (
        marimo_app(NOTEBOOK, "--no-sandbox", log=tmp_path / "marimo.log") as url,
        chromium_page(chromium, {"width": 1280, "height": 900}) as page,
    ):
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("ARR in 5 years:").first.wait_for()
        page.locator("input[type=file]").first.set_input_files(str(upload))  # the ARR history upload
        page.get_by_text(f"from {upload.name}: the 12 months to {measured.month}").first.wait_for()
        page.wait_for_function(  # the headline's cell runs after the upload's: wait for it too
            "(text) => document.body.innerText.includes(text)",
            arg=f"measured: the 12 months to {measured.month}", timeout=60_000)
        _, _, nrr, source = headline(page)
        assert source == f"measured: the 12 months to {measured.month}"
        assert nrr == pytest.approx(round(measured.nrr * 100, 1), abs=1e-9)  # MRR × 12 is the ARR
