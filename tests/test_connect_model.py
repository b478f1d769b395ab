""""Connect model" through xlwings' own script runtime, on the built model's book payload.

The payload is what the Office.js client of xlwings Lite and xlwings Server sends a
script (``getBookData``: every sheet's name and values from A1 to the end of its used
range, tables, names), built here from the model file by openpyxl. The script runs
through ``xlwings.server.custom_scripts_call`` (in-process, as xlwings Lite runs it) and
through the real xlwings Server over HTTP; the actions it returns must clear the built
values of every spilling function and enter every upcell formula of the model, with and
without a namespace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import httpx
import openpyxl
import pytest
import xlwings as xw
from openpyxl.utils import get_column_letter, range_boundaries
from xlwings.server import custom_scripts_call, custom_scripts_meta

import udfs
from tests.conftest import started, udf_meta
from udfs.connect import FORMULAS_SHEET, namespaced
from workbook import build, serve
from workbook.sheets.scores import SCORES_ANCHOR, scores_formula


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return build(None, tmp_path_factory.mktemp("connect") / "model.xlsx").path


def book_payload(path, include: list[str] | None = None) -> dict:
    """The JSON Office.js sends a script for the workbook at ``path`` (``include``: only
    those sheets' values, as ``@script(include=...)`` asks; the others come empty)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets, names = [], []
    for ws in wb.worksheets:
        loaded = include is None or ws.title in include
        values = [[""]]
        if loaded and ws.max_row and ws.max_column:
            values = [["" if v is None else v.isoformat() if isinstance(v, dt.datetime) else v
                       for v in row]
                      for row in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row,
                                              max_col=ws.max_column, values_only=True)]
        tables = [{"name": t.name, "range_address": t.ref, "columns": [],
                   "data_body_range_address": t.ref} for t in ws.tables.values()] if loaded else []
        sheets.append({
            "name": ws.title, "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
            "values": values, "used_range_address": f"A1:{get_column_letter(ws.max_column)}{ws.max_row}",
            "used_range_row_count": ws.max_row, "used_range_column_count": ws.max_column,
            "tables": tables, "pictures": [], "shapes": [], "charts": [], "pivot_tables": [],
            "notes": [], "notes_supported": True, "show_gridlines": True, "print_area": None,
        })
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": "model.xlsx", "active_sheet_index": 0, "selection": "A1"},
            "sheets": sheets, "names": names}


def run_script(module, payload: dict, args: list) -> list[dict]:
    book = xw.Book(json=payload)
    done = asyncio.run(custom_scripts_call(module, "connect_model",
                                           typehint_to_value={xw.Book: book}, args=args))
    return done.json()["actions"]


def live_upcell_formulas(path) -> dict:
    """``{(sheet, cell): formula}`` of the cells that hold an upcell formula in the file."""
    names = set(udf_meta())
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)
                if isinstance(text, str) and c.data_type == "f" and any(
                        re.search(rf"(?<![\w.]){n}\(", text) for n in names):
                    out[(ws.title, c.coordinate)] = text if text.startswith("=") else "=" + text
    return out


def apply(path, actions: list[dict]) -> dict:
    """What the actions do to the workbook's cells: ``{(sheet, cell): formula or None}``."""
    wb = openpyxl.load_workbook(path)
    sheets = wb.sheetnames
    out = {}
    for a in actions:
        sheet = sheets[a["sheet_position"]]
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        if a["func"] == "rangeClearContents":
            for r in range(r0, r0 + a["row_count"]):
                for c in range(c0, c0 + a["column_count"]):
                    out[(sheet, f"{get_column_letter(c)}{r}")] = None
        else:
            assert a["func"] == "setFormula", a
            assert a["row_count"] == a["column_count"] == 1 and len(a["values"]) == 1
            out[(sheet, f"{get_column_letter(c0)}{r0}")] = a["values"][0][0]
    return out


def expected_cells(path, namespace: str) -> dict:
    wb = openpyxl.load_workbook(path)
    rows = list(wb[FORMULAS_SHEET].iter_rows(values_only=True))[1:]
    expected = {}
    for sheet, _cell, _formula, _functions, built in rows:
        if built:
            min_col, min_row, max_col, max_row = range_boundaries(built)
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    expected[(sheet, f"{get_column_letter(c)}{r}")] = None
    prefix = namespace + "." if namespace else ""
    for (sheet, cell), formula in live_upcell_formulas(path).items():
        expected[(sheet, cell)] = re.sub(
            r"(?<![\w.])(" + "|".join(udf_meta()) + r")\(", prefix + r"\1(", formula)
    for sheet, cell, formula, functions, _built in rows:
        expected[(sheet, cell)] = namespaced(formula, functions.split(","), namespace)
    return expected


@pytest.mark.parametrize("namespace", ["", "XLWINGS"])
def test_connect_model_enters_every_upcell_formula(model, namespace):
    actions = run_script(udfs, book_payload(model), [namespace] if namespace else [])
    got = apply(model, actions)
    assert got == expected_cells(model, namespace)
    # the queue and the records tables spill from their anchors, namespaced or not
    r, c = SCORES_ANCHOR
    anchor = ("Scores", f"{get_column_letter(c + 1)}{r + 1}")
    assert got[anchor] == scores_formula(True).replace("=", "=" + (namespace + "." if namespace else ""), 1)
    spilling = ("SCORE_ACCOUNTS(", "PIPELINE_FROM_OPPORTUNITIES(", "WIN_RATES(", "OTHER_OPPORTUNITIES(",
                "RETENTION_FROM_HISTORY(", "COHORT_NRR(", "EXPANSION_SHARE_BY_QUARTER(", "ARR_MOVEMENTS(")
    spills = {k: v for k, v in got.items() if isinstance(v, str) and any(f in v for f in spilling)}
    assert len(spills) == len(spilling)
    # every single-cell formula of the file is re-entered as it is (plus the namespace)
    live = live_upcell_formulas(model)
    assert live and all(got[k].replace(namespace + ".", "") == v if namespace else got[k] == v
                        for k, v in live.items())
    # clearing comes first, so no formula is wiped by a later clear
    kinds = [a["func"] for a in actions]
    assert kinds == sorted(kinds, key=lambda k: k != "rangeClearContents")


def test_connect_model_needs_only_its_own_sheet(model):
    """The script reads only the ``upcell formulas`` sheet: the same actions when Excel
    sends that sheet's values alone."""
    full = run_script(udfs, book_payload(model), ["XLWINGS"])
    lean = run_script(udfs, book_payload(model, include=[FORMULAS_SHEET]), ["XLWINGS"])
    assert full == lean


def test_connect_model_is_a_script_of_the_runtime_and_refuses_other_books(tmp_path):
    meta = {m["function_name"]: m for m in custom_scripts_meta(udfs)}
    assert meta["connect_model"]["name"] == "Connect model"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = 1
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(xw.XlwingsError, match="upcell formulas"):
        run_script(udfs, book_payload(tmp_path / "other.xlsx"), [])


def test_namespaced_leaves_text_and_longer_names_alone():
    assert namespaced('IF(NRR(B4,B5,B6,B7)>1,"NRR(up)",NRR_BENCHMARK(B4,B11))',
                      ["NRR", "NRR_BENCHMARK"], "XLWINGS") == (
        '=IF(XLWINGS.NRR(B4,B5,B6,B7)>1,"NRR(up)",XLWINGS.NRR_BENCHMARK(B4,B11))')
    assert namespaced("=NRR(B4, B5, B6, B7)", ["NRR"], "") == "=NRR(B4, B5, B6, B7)"


@pytest.mark.e2e
def test_connect_model_over_http_uses_the_servers_namespace(model, tmp_path):
    """On xlwings Server the script enters =XLWINGS_DEV.NAME(...) in dev, as its manifest
    registers the functions; called as the task pane calls a script."""
    with started(serve.running(environment="dev", log=tmp_path / "server.log")) as url, \
            httpx.Client(base_url=url, timeout=120) as client:
        meta = client.get("/xlwings/custom-scripts-meta").json()
        assert [m["name"] for m in meta] == ["Connect model"]
        r = client.post("/xlwings/custom-scripts-call/connect_model",
                        json=book_payload(model, include=[FORMULAS_SHEET]))
        assert r.status_code == 200, r.text
        got = apply(model, r.json()["actions"])
    assert got == expected_cells(model, serve.namespace("dev"))
