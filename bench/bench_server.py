"""Benchmark: SCORE_ACCOUNTS on 10,000 accounts over HTTP through the real xlwings Server.

The server (production mode, as users run it) is started on a free 127.0.0.1 port; the
request is the JSON Office.js posts to /xlwings/custom-functions-call (a 10,001 x 20
range), the answer the 10,001-row queue. Target: <= 0.5 s per call. Baseline, measured
in the same run: the same payload through xlwings' in-process ``custom_functions_call``
(what xlwings Lite runs), so the ratio is the cost of HTTP + JSON + the server.

Run: .venv/bin/python bench/bench_server.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import httpx  # noqa: E402
import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

import udfs  # noqa: E402
from workbook import serve  # noqa: E402
from workbook.sheets.cells import excel_rows  # noqa: E402

ROWS = 10_000
REPEAT = 5
TARGET = 0.5


def best_of(repeat, fn):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    accounts = excel_rows(udfs.sample_accounts(ROWS))
    data = {
        "func_name": "SCORE_ACCOUNTS", "args": [accounts], "version": xw.__version__,
        "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-US",
        "date_format": "yyyy-mm-dd", "caller_address": "Scores!A4",
    }
    local, expected = best_of(REPEAT, lambda: asyncio.run(custom_functions_call(data, udfs)))
    with serve.running(environment="prod") as url, httpx.Client(base_url=url, timeout=120) as c:
        def call():
            r = c.post("/xlwings/custom-functions-call", json=data)
            r.raise_for_status()
            return r.json()["result"]

        call()  # warm-up: first import paths, connection
        http, result = best_of(REPEAT, call)
    assert len(result) == len(expected) == ROWS + 1
    print(f"SCORE_ACCOUNTS, {ROWS:,} rows over HTTP (xlwings Server, prod): {http:.3f} s "
          f"(target <= {TARGET} s: {'ok' if http <= TARGET else 'MISSED'})")
    print(f"  baseline in-process custom_functions_call: {local:.3f} s; "
          f"HTTP / in-process = {http / local:.2f}x (best of {REPEAT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
