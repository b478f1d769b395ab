"""Shared test harness: xlwings' own runtime, and the e2e switch.

``call_udf("EXPANSION_SCORE", [[...]])`` sends a payload shaped as Excel sends it
(2-D lists, header rows, None for blanks, error values as Office.js data-type dicts)
through ``xlwings.server.custom_functions_call``, exactly as xlwings Lite and xlwings
Server do, and returns what would be written to the cells.

The marimo apps' tests share the plumbing below: ``marimo_app`` (``marimo run`` on a free
local port), ``chromium_page`` (headless Chromium through Playwright), ``export_html`` +
``assert_no_marimo_errors`` and ``screenshot_path`` (README pictures only on request).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# xlwings picks its UDF runtime at import time: set these before anything imports it.
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402

import udfs  # noqa: E402
from workbook import serve  # noqa: E402

REQUIRE_E2E = os.environ.get("UPCELL_REQUIRE_E2E") == "1"
ROOT = Path(__file__).resolve().parent.parent

_ERROR_TYPES = {
    "#N/A": "NotAvailable", "#VALUE!": "Value", "#REF!": "Ref", "#DIV/0!": "Div0",
    "#NUM!": "Num", "#NAME?": "Name", "#NULL!": "Null",
}


def excel_error(code: str) -> dict:
    """An Excel error value as Office.js hands it to xlwings, e.g. ``excel_error('#N/A')``."""
    return {"type": "Error", "errorType": _ERROR_TYPES[code], "basicValue": code}


def _as_range(arg):
    # Office.js always sends a 2-D matrix: a scalar is [[x]].
    if isinstance(arg, list) and arg and isinstance(arg[0], list):
        return arg
    if isinstance(arg, list):
        return [[v] for v in arg]
    return [[arg]]


def call_udf(name: str, *args):
    """Call the UDF ``name`` through xlwings' runtime with Excel-shaped arguments.

    A 2-D list is a range; a flat list is a column; anything else one cell. ``None`` as
    a trailing argument is an omitted optional one. Exceptions propagate (xlwings turns
    them into the cell's #VALUE! message).
    """
    data = {
        "func_name": name,
        "args": [None if a is None else _as_range(a) for a in args],
        "version": xw.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": "en-US",
        "date_format": "yyyy-mm-dd",
        "caller_address": "Sheet1!A1",
    }
    return asyncio.run(custom_functions_call(data, udfs))


def udf_meta() -> dict:
    """What Excel registers: ``{'EXPANSION_SCORE': {...function meta...}, ...}``."""
    return {f["name"]: f for f in custom_functions_meta(udfs)["functions"]}


def _missing(message: str):
    """Skip the test, or fail it under UPCELL_REQUIRE_E2E=1 (an e2e run must not skip)."""
    if REQUIRE_E2E:
        pytest.fail(message + "; UPCELL_REQUIRE_E2E=1 makes this a failure")
    pytest.skip(message)


@contextlib.contextmanager
def started(server, what: str = "xlwings Server"):
    """Enter a server context (``workbook.serve.running`` or ``serving``) and yield what it
    yields; one that cannot start skips the test, or fails it under UPCELL_REQUIRE_E2E=1."""
    try:
        value = server.__enter__()
    except RuntimeError as err:
        _missing(f"{what} could not start: {err}")
    try:
        yield value
    finally:
        server.__exit__(None, None, None)


def need_tool(*names: str) -> str:
    """Path of the first tool found; skips the test, or fails it under UPCELL_REQUIRE_E2E=1."""
    for name in names:
        path = shutil.which(name) or (name if os.path.exists(name) else None)
        if path:
            return path
    _missing(f"needs {' or '.join(names)} (apt-get install libreoffice-calc-nogui chromium)")


def need_module(name: str):
    """The imported module ``name``; skips the test, or fails it under UPCELL_REQUIRE_E2E=1."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        _missing(f"needs the Python module {name} ({err})")


@pytest.fixture
def soffice() -> str:
    return need_tool("soffice", "libreoffice")


@pytest.fixture
def chromium() -> str:
    return need_tool("/usr/bin/chromium", "chromium")


# --------------------------------------------------------------------------- marimo apps

MARIMO = Path(sys.executable).with_name("marimo")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MARIMO_ERROR_MARKERS = ("marimo+error", "Traceback (most recent call last)", "MarimoExceptionRaisedError")


def marimo_env(home: str | os.PathLike | None = None) -> dict:
    """The environment for a marimo subprocess: no update check; with ``home``, that folder
    as HOME (marimo's config and caches stay out of the real one) and no bytecode written."""
    env = {**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1"}
    if home is not None:
        env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    return env


def screenshot_path(name: str) -> Path:
    """Where a test saves the picture ``name``: docs/img/ (the README's) when
    UPCELL_SCREENSHOTS=docs (``make screenshots``), else the gitignored tests/_artifacts/,
    so a plain test run leaves the tree clean."""
    folder = ROOT / "docs" / "img" if os.environ.get("UPCELL_SCREENSHOTS") == "docs" else ROOT / "tests" / "_artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@contextlib.contextmanager
def marimo_app(notebook: str | os.PathLike, *cli_args: str, log: Path, cwd: str | os.PathLike = ROOT,
               env: dict | None = None, timeout: float = 60) -> Iterator[str]:
    """``marimo run notebook --headless`` on a free 127.0.0.1 port, no token; yields its URL
    once it answers HTTP.

    ``cli_args`` follow the standard flags verbatim (marimo flags, then ``--`` and the
    notebook's own arguments). The server's output goes to ``log``; its whole process
    group is stopped on exit (SIGTERM, then SIGKILL after 15 s).
    """
    port = serve.free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [str(MARIMO), "run", str(notebook), "--headless", "--host", "127.0.0.1",
           "--port", str(port), "--no-token", *cli_args]
    with serve.serving(cmd, url, what="marimo run", cwd=cwd, log=log, timeout=timeout,
                       env=marimo_env() if env is None else env):
        yield url


@contextlib.contextmanager
def chromium_page(executable: str, viewport: dict | None = None, *, timeout: float = 60_000):
    """A Playwright page in headless Chromium (``executable``: the installed browser, never
    a downloaded one). ``viewport`` defaults to 1280 x 900; ``timeout`` (ms) is the page's
    default. Without Playwright the test skips, or fails under UPCELL_REQUIRE_E2E=1."""
    sync_api = need_module("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900},
                                    device_scale_factor=1)
            page.set_default_timeout(timeout)
            yield page
        finally:
            browser.close()


def export_html(notebook: str | os.PathLike, out: str | os.PathLike, *args: str,
                env: dict | None = None, timeout: float = 300) -> str:
    """``marimo export html notebook -o out --force *args`` (run from the repo root);
    asserts it succeeded and returns the page's text. ``args`` may end with ``--`` and the
    notebook's own arguments."""
    done = subprocess.run(
        [str(MARIMO), "export", "html", str(notebook), "-o", str(out), "--force", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return Path(out).read_text(encoding="utf-8")


def assert_no_marimo_errors(html: str) -> None:
    """No cell of an exported page (or a page's text) shows an error or a traceback."""
    for marker in MARIMO_ERROR_MARKERS:
        assert marker not in html, marker
