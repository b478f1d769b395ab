"""The trigger-backtest marimo app (issue 5, part 4): it exports to HTML cleanly, and an
analyst in a real browser can run a sweep and write thresholds into a model workbook."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "simulations" / "trigger_backtest.py"
MARIMO = Path(sys.executable).with_name("marimo")
SCREENSHOT = ROOT / "docs" / "img" / "backtest_app.png"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ERROR_MARKERS = ("marimo+error", "Traceback (most recent call last)", "MarimoExceptionRaisedError")


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "HOME": str(tmp_path), "MARIMO_SKIP_UPDATE_CHECK": "1",
            "PYTHONDONTWRITEBYTECODE": "1"}


def test_app_runs_as_a_script(tmp_path):
    proc = subprocess.run([sys.executable, str(APP)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=_env(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_export_html_has_no_errors(tmp_path):
    out = tmp_path / "app.html"
    proc = subprocess.run(
        [str(MARIMO), "export", "html", str(APP), "-o", str(out), "--force"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=_env(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    html = out.read_text()
    for marker in ERROR_MARKERS:
        assert marker not in html, marker
    # the sweep actually ran: the recommendation and the gate are in the outputs
    assert "Recommended threshold" in html
    assert "passes the gate" in html or "fails the gate" in html


# --------------------------------------------------------------------------- browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"marimo run exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"marimo run did not answer at {url} within {timeout}s")


def _build_model(path: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "workbook", "build", "--out", str(path), "--force"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return path


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
    from playwright.sync_api import sync_playwright

    model = _build_model(tmp_path / "upcell_model.xlsx")
    before = _thresholds(model)
    port = _free_port()
    log = open(tmp_path / "marimo.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(MARIMO), "run", str(APP), "--headless", "--host", "127.0.0.1", "--port", str(port),
         "--no-token", "--", "--model", str(model)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=_env(tmp_path), start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/", server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(90_000)
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_text("Recommended threshold").first.wait_for()

                # a sweep: pick another rule, wait for its curve
                rule_select = page.locator("select").filter(has_text="seats_full").first
                rule_select.select_option("seats_full")
                page.get_by_text(re.compile(r"seats_full: coverage and false positive rate")).first.wait_for()
                page.get_by_text("Recommended threshold").first.wait_for()

                # export into the model copy passed on the command line
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
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
                body = page.inner_text("body")
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
        log.close()

    for marker in ("Traceback", "MarimoExceptionRaisedError"):
        assert marker not in body
    after = _thresholds(model)
    changed = {k for k in before if before[k] != after.get(k)}
    assert any(k[0] == "seats_full" for k in changed), (changed, after)
    csvs = list(tmp_path.glob("*.csv"))
    assert csvs, "the CSV of the exported thresholds was not written beside the model"
    assert "seats_full" in csvs[0].read_text()
    assert list(tmp_path.glob("upcell_model.backup-*.xlsx"))
    shutil.rmtree(tmp_path / "lo", ignore_errors=True)
