"""The NRR app end to end: `marimo run` on 127.0.0.1, driven by headless Chromium.

Moves the NRR slider and waits for the headline ARR to change; saves the screenshot the
README shows (docs/img/nrr_app.png).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "simulations" / "nrr_compounding.py"
SCREENSHOT = ROOT / "docs" / "img" / "nrr_app.png"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HEADLINE = re.compile(r"ARR in (\d+) years: (\$[\d.]+[KMB]?)")

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"marimo run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"marimo run did not answer on {url} within {timeout:.0f} s")


def headline(page) -> tuple[str, str]:
    text = page.locator("h2", has_text="ARR in").first.inner_text(timeout=60_000)
    m = HEADLINE.search(text)
    assert m, text
    return m.group(1), m.group(2)


def test_moving_the_nrr_slider_changes_the_headline(chromium, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    marimo = Path(sys.executable).with_name("marimo")
    log = (tmp_path / "marimo.log").open("w")
    proc = subprocess.Popen(
        [str(marimo), "run", str(NOTEBOOK), "--headless", "--host", "127.0.0.1",
         "--port", str(port), "--no-token", "--no-sandbox"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1"},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, proc)
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
                page.set_default_timeout(60_000)
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
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
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
            finally:
                browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()
