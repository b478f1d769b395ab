"""upcell served by the real xlwings Server over HTTP, as Excel's Office.js add-in calls it.

The server (``xlwings-server``, started by the test on a free 127.0.0.1 port with the
noncommercial key) loads ``excel_server/custom_functions`` (= ``udfs``). Every catalog
function is listed in its metadata, registered by its JavaScript, and answers calls
exactly as Python does; bad input answers 400 with upcell's one-line message, in dev and
in production mode (``XLWINGS_ENVIRONMENT=prod``), never a 500 "An error occurred.".
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import xlwings as xw

import udfs
from tests.conftest import ROOT, call_udf, started, udf_meta
from udfs.core import _args
from workbook import serve
from workbook.sheets.cells import excel_rows

pytestmark = pytest.mark.e2e

ACCOUNTS = excel_rows(udfs.sample_accounts(300))
HISTORY_IDS = [["a1"]] * 6 + [["a2"]] * 6
HISTORY_PERIODS = [[p] for p in range(1, 7)] * 2
HISTORY_SIGNAL = [[v] for v in (0.5, 0.7, 0.92, 0.95, 0.6, 0.5, 0.4, 0.85, 0.91, 0.5, 0.5, 0.5)]
HISTORY_FLAGS = [[v] for v in (0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0)]
MOTION_COLUMN = [[m] for m in udfs.MOTIONS]
EXPANSION_SHARES = [[0.04], [0.03], [0.05], [0.02], [0.01]]

# Good calls for the functions whose help example takes ranges (the others are called
# with the literal arguments of their `Example: =NAME(...)`).
# 14 months of ARR for three accounts (one churns, one expands), as an Excel table range
ARR_HISTORY = [["account_id", "month", "arr"]] + [
    [acct, f"2025-{m:02d}" if m <= 12 else f"2026-{m - 12:02d}", arr]
    for m in range(1, 15)
    for acct, arr in (("A1", 1000.0 + 50 * m), ("A2", 2000.0 if m < 10 else 0.0), ("A3", 500.0))
]
OPPORTUNITIES = [["opportunity_id", "type", "amount", "close_date", "owner", "status"],
                 ["o1", "Upsell", 90_000, "2025-02-10", "Ana", "open"],
                 ["o2", "Upsell", 30_000, "2024-11-05", "Ana", "won"],
                 ["o3", "Renewal", 50_000, "2025-03-01", "Bo", "open"]]

FLAGS = [["account_id", "play", "flagged_on", "owner"], ["A1", "Seat expansion", "2026-01-05", "CSM"]]
CREATED = [["opportunity_id", "account_id", "type", "amount", "created_date", "close_date", "status"],
           ["O1", "A1", "Add seats", 5000, "2026-01-10", "2026-01-30", "won"]]
QUEUE_BEFORE = [["account_id", "ready", "play"], ["A1", True, "Seat expansion"]]
QUEUE_AFTER = [["account_id", "ready", "play"], ["A1", False, "Nurture"]]
GOOD_CALLS = {
    "WHAT_CHANGED": [QUEUE_BEFORE, QUEUE_AFTER],
    "FLAG_OUTCOMES": [FLAGS, CREATED],
    "PLAYBOOK_RESULTS": [FLAGS, CREATED],
    "MISSED_EXPANSIONS": [FLAGS, CREATED],
    "PIPELINE_FROM_OPPORTUNITIES": [OPPORTUNITIES, 60_000, "2025-01-15"],
    "WIN_RATES": [OPPORTUNITIES, "2025-01-15"],
    "OTHER_OPPORTUNITIES": [OPPORTUNITIES],
    "OPPORTUNITY_PIPELINE": [OPPORTUNITIES, "2025-Q1", "Tier upgrade", None, True, "2025-01-15"],
    "WIN_RATE": [OPPORTUNITIES, "Tier upgrade", "2025-01-15"],
    "WIN_RATE_BASIS": [OPPORTUNITIES, "Cross-sell", "2025-01-15"],
    "OPPORTUNITY_BOOKED": [OPPORTUNITIES, "2025-Q1", None, None, "2025-03-31"],
    "OPPORTUNITY_PAST_DUE": [OPPORTUNITIES, None, None, "2025-03-01"],
    "PIPELINE_WEIGHTING": [OPPORTUNITIES, "2025-Q1", "Tier upgrade", None, "2025-01-15"],
    "PAST_DUE_OPPORTUNITIES": [OPPORTUNITIES, "2025-03-01"],
    "TRAILING_MEASURE": [ARR_HISTORY, "nrr"],
    "SCORE_ACCOUNTS": [ACCOUNTS],
    "EXPANSION_SCORE": [ACCOUNTS[:40]],
    "EXPANSION_MOTION": [ACCOUNTS[:40]],
    "EXPANSION_REASONS": [ACCOUNTS[:40]],
    "WEIGHTED_PIPELINE": [[[120_000], [80_000], [50_000]],
                          [["Seat expansion"], ["Tier upgrade"], ["Cross-sell"]]],
    "COVERAGE_BY_MOTION": [[[300_000], [150_000], [90_000], [60_000], [20_000]], MOTION_COLUMN,
                           [[100_000], [100_000], [50_000], [50_000], [20_000]]],
    "PLAY_DUE_DATE": ["Tier upgrade", 46_023, "Enterprise"],
    "TRIGGER_FIRES": [[[0.5, 0.91, 0.95, 0.7, 0.93, 0.94]], 0.9, 2],
    "TRIGGER_BACKTEST": [HISTORY_IDS, HISTORY_PERIODS, HISTORY_SIGNAL, HISTORY_FLAGS,
                         [[0.8], [0.9]]],
    "NRR_GOAL_SEEK": [1.2, 0.08, 0.04, EXPANSION_SHARES],
    "NRR_SIMULATE": [10_000_000, 5, 0.08, 0.04, EXPANSION_SHARES],
    "NRR_MONTE_CARLO": [10_000_000, 5, 0.08, 0.04, EXPANSION_SHARES, None, None, 200, 7],
    "ARR_MOVEMENTS": [ARR_HISTORY],
    "RETENTION_FROM_HISTORY": [ARR_HISTORY],
    "COHORT_NRR": [ARR_HISTORY],
    "EXPANSION_SHARE_BY_QUARTER": [ARR_HISTORY],
}

# One bad input per module of udfs: (function, arguments, the argument the message names)
BAD_CALLS = [
    ("PIPELINE_COVERAGE", ["n/a", 500_000], "pipeline"),
    ("NRR", [10_000_000, "lots", 300_000, 200_000], "expansion"),
    ("EXPANSION_OWNER", ["Upsell", 12_000], "motion"),
    ("SCORE_ACCOUNTS", [[["arr", "seats"], [100, 2]]], "accounts"),
    ("TRIGGER_FIRES", [[[0.5, 0.9]], "high"], "threshold"),
    ("NRR_PROJECTION", [10_000_000, 1.2, -3], "years"),
    ("NRR_SIMULATE", [10_000_000, 5, 1.5, 0.04, EXPANSION_SHARES], "churn"),
    ("PLAYBOOK_RESULTS", [FLAGS, [r[:4] + r[5:] for r in CREATED]], "opportunities"),
]


def _literal(text: str):
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    if text.startswith("{") and text.endswith("}"):
        rows = [[_literal(v) for v in row.split(",")] for row in text[1:-1].split(";")]
        return rows
    return float(text)  # a reference (B2:B6, TODAY()) raises: no literal example


def example_call(name: str, description: str) -> list | None:
    """The arguments of the ``Example: =NAME(...)`` of a function's help, if all literal."""
    m = re.search(r"=" + name + r"\((.*?)\)(?:\s|$)", description)
    if not m:
        return None
    parts = re.findall(r'"[^"]*"|\{[^}]*\}|[^,]+', m.group(1))
    try:
        return [_literal(p) for p in parts if p.strip()]
    except ValueError:
        return None


def good_call(name: str, meta: dict) -> list:
    args = GOOD_CALLS.get(name) or example_call(name, meta["description"])
    assert args is not None, (
        f"{name}: no sample call (give it a literal Example in its docstring or an entry in "
        "GOOD_CALLS of this test)")
    return args


def _range(arg):
    if isinstance(arg, list) and arg and isinstance(arg[0], list):
        return arg
    if isinstance(arg, list):
        return [[v] for v in arg]
    return [[arg]]


def payload(name: str, args: list) -> dict:
    """The JSON body Office.js posts to /xlwings/custom-functions-call."""
    return {
        "func_name": name, "args": [None if a is None else _range(a) for a in args],
        "version": xw.__version__, "client": "Office.js", "runtime": "1.4",
        "culture_info_name": "en-US", "date_format": "yyyy-mm-dd",
        "caller_address": "Sheet1!A1",
    }


def in_process(name: str, args: list):
    """What Python answers through xlwings' runtime: ``('ok', cells)`` or ``('error', line)``."""
    try:
        return "ok", json.loads(json.dumps(call_udf(name, *args), default=str))
    except xw.XlwingsError as err:
        return "error", str(err)


def over_http(client: httpx.Client, name: str, args: list):
    r = client.post("/xlwings/custom-functions-call", json=payload(name, args))
    if r.status_code == 200:
        return "ok", r.json()["result"]
    assert r.status_code == 400, (name, r.status_code, r.text)
    return "error", r.text


@pytest.fixture(scope="module", params=["dev", "prod"])
def server(request, tmp_path_factory):
    log = tmp_path_factory.mktemp("xlwings-server") / f"{request.param}.log"
    with started(serve.running(environment=request.param, log=log)) as url, \
            httpx.Client(base_url=url, timeout=120) as client:
        yield request.param, client


def test_metadata_lists_every_catalog_function_as_python_registers_it(server):
    _, client = server
    r = client.get("/xlwings/custom-functions-meta")
    assert r.status_code == 200
    served = {f["name"]: f for f in r.json()["functions"]}
    local = udf_meta()
    assert sorted(served) == sorted(local)
    for name, f in local.items():
        assert served[name]["description"] == f["description"], name
        assert [(p["name"], p.get("description")) for p in served[name]["parameters"]] == [
            (p["name"], p.get("description")) for p in f["parameters"]], name


def test_javascript_registers_every_function_and_calls_this_server(server):
    _, client = server
    r = client.get("/xlwings/custom-functions-code")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    js = r.text
    assert "placeholder_xlwings_version" not in js and "placeholder_custom_functions_call_path" not in js
    assert "/xlwings/custom-functions-call" in js and xw.__version__ in js
    for name in udf_meta():
        assert f'CustomFunctions.associate("{name}", {name});' in js, name


def test_every_catalog_function_answers_over_http_as_in_python(server):
    _, client = server
    for name, meta in sorted(udf_meta().items()):
        args = good_call(name, meta)
        got = over_http(client, name, args)
        assert got == in_process(name, args), name
        assert got[0] == "ok", (name, got)


def test_score_accounts_300_rows_cell_for_cell_against_python(server):
    _, client = server
    kind, cells = over_http(client, "SCORE_ACCOUNTS", [ACCOUNTS])
    assert kind == "ok"
    python = _args.to_excel(udfs.score_accounts(ACCOUNTS))
    # xlwings writes a blank cell (None) as "" to Excel
    python = [["" if v is None else v for v in row] for row in json.loads(json.dumps(python))]
    assert len(cells) == 301 and cells[0] == python[0]
    assert cells == python


def test_bad_input_answers_400_with_the_one_line_message_in_dev_and_prod(server):
    environment, client = server
    for name, args, arg_name in BAD_CALLS:
        r = client.post("/xlwings/custom-functions-call", json=payload(name, args))
        assert r.status_code == 400, (environment, name, r.status_code, r.text)
        assert r.text != "An error occurred." and "\n" not in r.text and "Traceback" not in r.text
        assert r.text.startswith(arg_name + ": "), (name, r.text)
        assert ("error", r.text) == in_process(name, args)


def test_manifest_declares_the_namespace_the_formulas_use(server):
    environment, client = server
    r = client.get("/manifest")
    assert r.status_code == 200
    assert f'"Functions.Namespace" DefaultValue="{serve.namespace(environment)}"' in r.text


def test_udfs_raise_bad_input_only_through_the_named_error():
    """One mechanism: udfs raises InputError (ValueError + XlwingsError), never a bare
    ValueError that xlwings Server in production would hide behind a 500."""
    offenders = []
    for path in sorted(Path(ROOT, "udfs").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            exc = node.exc if isinstance(node, ast.Raise) else (
                node.value if isinstance(node, ast.Return) else None)
            target = exc.func if isinstance(exc, ast.Call) else exc
            if isinstance(target, ast.Name) and target.id == "ValueError":
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"raise _args.InputError(...) instead of ValueError at {offenders}"
    assert issubclass(_args.InputError, ValueError) and issubclass(_args.InputError, xw.XlwingsError)


def test_example_calls_are_parsed_from_the_help():
    assert example_call("NRR", "Net revenue retention. Example: =NRR(10000000, 2500000, 300000, "
                               "200000)") == [10_000_000.0, 2_500_000.0, 300_000.0, 200_000.0]
    assert example_call("CLOSE_RATE", 'Example: =CLOSE_RATE("Seat expansion") gives 0.5') == [
        "Seat expansion"]
    assert example_call("X", "Example: =X(B2:B6, 1)") is None


def test_serve_excel_command_serves_the_functions(tmp_path):
    """What `make serve-excel` runs: python -m workbook.serve, for users' own server."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("XLWINGS_LICENSE_KEY", "XLWINGS_ON_SERVER")}  # a user's shell
    env["PYTHONPATH"] = str(ROOT)
    refused = subprocess.run([sys.executable, "-m", "workbook.serve"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "XLWINGS_LICENSE_KEY" in refused.stderr
    port = serve.free_port()
    log = tmp_path / "serve.log"
    with started(serve.serving([sys.executable, "-m", "workbook.serve", "--port", str(port)],
                               f"http://127.0.0.1:{port}/xlwings/custom-functions-meta",
                               what="xlwings Server", cwd=ROOT, log=log,
                               env={**env, "XLWINGS_LICENSE_KEY": "noncommercial"})):
        meta = httpx.get(f"http://127.0.0.1:{port}/xlwings/custom-functions-meta").json()
        assert sorted(f["name"] for f in meta["functions"]) == sorted(udf_meta())
    assert "XLWINGS_DEV.SCORE_ACCOUNTS" in log.read_text()


def test_make_serve_excel_sets_up_the_venv_then_serves():
    """`make serve-excel` bootstraps .venv like the other targets, then runs workbook.serve."""
    make = Path(ROOT, "Makefile").read_text()
    rule = re.search(r"^serve-excel:(.*)\n((?:\t.*\n)+)", make, flags=re.M)
    assert rule and "$(STAMP)" in rule.group(1)
    assert "$(BIN)/python -m workbook.serve" in rule.group(2)
    assert re.search(r"^\.PHONY:.*\bserve-excel\b", make, flags=re.M)
