"""Shared test harness: xlwings' own runtime, and the e2e switch.

``call_udf("EXPANSION_SCORE", [[...]])`` sends a payload shaped as Excel sends it
(2-D lists, header rows, None for blanks, error values as Office.js data-type dicts)
through ``xlwings.server.custom_functions_call``, exactly as xlwings Lite and xlwings
Server do, and returns what would be written to the cells.
"""

from __future__ import annotations

import asyncio
import os
import shutil

# xlwings picks its UDF runtime at import time: set these before anything imports it.
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402

import udfs  # noqa: E402

REQUIRE_E2E = os.environ.get("UPCELL_REQUIRE_E2E") == "1"

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


def need_tool(*names: str) -> str:
    """Path of the first tool found; skips the test, or fails it under UPCELL_REQUIRE_E2E=1."""
    for name in names:
        path = shutil.which(name) or (name if os.path.exists(name) else None)
        if path:
            return path
    message = f"needs {' or '.join(names)} (apt-get install libreoffice-calc-nogui chromium)"
    if REQUIRE_E2E:
        pytest.fail(message + "; UPCELL_REQUIRE_E2E=1 makes this a failure")
    pytest.skip(message)


@pytest.fixture
def soffice() -> str:
    return need_tool("soffice", "libreoffice")


@pytest.fixture
def chromium() -> str:
    return need_tool("/usr/bin/chromium", "chromium")
