"""The NRR app end to end: `marimo run` on 127.0.0.1, driven by headless Chromium.

Moves the NRR slider and waits for the headline ARR to change; saves the screenshot the
README shows (docs/img/nrr_app.png under `make screenshots`, else tests/_artifacts/).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import chromium_page, marimo_app, screenshot_path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "simulations" / "nrr_compounding.py"
HEADLINE = re.compile(r"ARR in (\d+) years: (\$[\d.]+[KMB]?)")

pytestmark = pytest.mark.e2e


def headline(page) -> tuple[str, str]:
    text = page.locator("h2", has_text="ARR in").first.inner_text(timeout=60_000)
    m = HEADLINE.search(text)
    assert m, text
    return m.group(1), m.group(2)


def test_moving_the_nrr_slider_changes_the_headline(chromium, tmp_path):
    with (
        marimo_app(NOTEBOOK, "--no-sandbox", log=tmp_path / "marimo.log") as url,
        chromium_page(chromium, {"width": 1280, "height": 900}) as page,
    ):
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("ARR in 5 years:").first.wait_for()
        years, before = headline(page)
        assert years == "5" and before.startswith("$")
        slider = page.get_by_role("slider").first  # the NRR slider leads the inputs
        assert slider.get_attribute("aria-valuenow") == "118"
        slider.focus()
        for _ in range(7):
            slider.press("ArrowRight")
        page.wait_for_function(
            "(before) => [...document.querySelectorAll('h2')].some("
            "h => h.innerText.includes('ARR in') && !h.innerText.includes(before))",
            arg=before, timeout=60_000,
        )
        assert slider.get_attribute("aria-valuenow") == "125"
        page.get_by_text("125% NRR").first.wait_for()
        _, after = headline(page)
        assert after != before
        assert float(after.strip("$KMB")) > float(before.strip("$KMB"))  # same unit here: $M
        page.get_by_text("P(ARR ≥").first.wait_for()
        # marimo scrolls inside the page: a tall viewport shows inputs, headline and charts
        page.set_viewport_size({"width": 1280, "height": 2300})
        page.wait_for_timeout(2000)  # let vega finish drawing before the picture
        page.screenshot(path=str(screenshot_path("nrr_app.png")))
        # the other drivers: the plan's own NRR (1 + 24 % − 12 %), then the playbook
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_text("Expansion inputs", exact=True).first.click()
        page.get_by_text("112% NRR").first.wait_for()
        _, plan = headline(page)
        page.get_by_text("From playbook", exact=True).first.click()
        page.get_by_text("Triggers per quarter").first.wait_for()
        page.wait_for_function(
            "(plan) => [...document.querySelectorAll('h2')].some("
            "h => h.innerText.includes('ARR in') && !h.innerText.includes(plan))",
            arg=plan, timeout=60_000,
        )
