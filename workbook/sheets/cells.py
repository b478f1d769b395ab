"""Cells of the Excel model: formats, typed writes, formulas with cached values, spills.

Every sheet module writes through these helpers, so user text is always written as a
string (never a formula) and every formula cell carries the value the same ``udfs``
function computes for it (XlsxWriter's ``value=``).

Spilling functions (SCORE_ACCOUNTS, NRR_PROJECTION) are written values first: the cells
hold the values the function computes, and the formula waits on the hidden ``upcell
formulas`` sheet until the "Connect model" script (``udfs/connect.py``) enters it. A
viewer without Python (LibreOffice recomputes array formulas on load; Excel before the
add-in registered the functions) so never shows ``#NAME?``, and Excel binds every formula
that script enters to the registered functions. Every upcell formula, single-cell ones
included, is listed there: ``formula_cell`` and ``spill`` record it, ``write_formulas``
writes the sheet.

>>> excel_rows(pd.DataFrame({"a": [1.0, None]}))
[['a'], [1.0], [None]]
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

import udfs
from udfs.connect import FORMULAS_HEADER, FORMULAS_SHEET
from udfs.core import _args

from ..importer import AccountBook

NAVY = "#1F3864"
INPUT_FILL = "#FFF2CC"
INPUT_FONT = "#1F4E9C"


def excel_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as Excel hands a table range to a UDF: header row, then values."""
    body = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return [list(map(str, frame.columns))] + [[excel_cell(v) for v in row] for row in body]


def excel_cell(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Real):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def cached(name: str, *args: Any) -> Any:
    """What the UDF ``NAME`` shows for these (Excel-shaped) arguments: plain function + to_excel.

    A ``ValueError`` is what xlwings turns into ``#VALUE!``.
    """
    try:
        return _args.to_excel(getattr(udfs, name.lower())(*args))
    except ValueError:
        return "#VALUE!"


def typed_frame(book: AccountBook) -> pd.DataFrame:
    """The imported table with float columns where every cell is a number or blank.

    Same cells as ``book.frame`` (NaN for blank); numeric columns holding a bad cell stay
    object, so scoring can name the row. Scoring a float column is much faster.
    """
    frame = book.frame
    out = {}
    for name in frame.columns:
        col = frame[name]
        if book.kinds.get(name) not in ("id", "text", "flag", "extra") and all(
            v is None or type(v) is float for v in col.tolist()
        ):
            out[name] = pd.Series(col.tolist(), dtype=float, index=frame.index)
        else:
            out[name] = col
    return pd.DataFrame(out, index=frame.index)


class Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        add = wb.add_format
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        self.base = add(base)
        self.title = add({**base, "bold": True, "font_size": 16, "font_color": NAVY})
        self.subtitle = add({**base, "italic": True, "font_color": "#595959"})
        self.h2 = add({**base, "bold": True, "font_size": 12, "font_color": NAVY})
        self.text = add(base)
        self.wrap = add({**base, "text_wrap": True})
        self.code = add({**base, "font_name": "Consolas", "font_color": "#333333"})
        self.header = add(
            {**base, "bold": True, "font_color": "#FFFFFF", "bg_color": NAVY,
             "bottom": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self.spill_header = add(
            {**base, "bold": True, "font_color": "#FFFFFF", "bg_color": NAVY,
             "bottom": 1, "valign": "vcenter"}
        )
        self.label = add({**base, "bold": True})
        self.money = add({**base, "num_format": "$#,##0"})
        self.money2 = add({**base, "num_format": "$#,##0.00"})
        self.pct = add({**base, "num_format": "0%"})
        self.pct1 = add({**base, "num_format": "0.0%"})
        self.ratio = add({**base, "num_format": '0.00"x"'})
        self.int = add({**base, "num_format": "#,##0"})
        self.num = add({**base, "num_format": "0.##"})
        self.general = add({**base, "num_format": "General"})
        self.center = add({**base, "align": "center"})
        self.days = add({**base, "align": "center", "num_format": "0"})
        self.reason = add({**base, "indent": 1})
        # Excel shows booleans as TRUE/FALSE anyway; LibreOffice needs the format to.
        self.flag = add({**base, "align": "center", "num_format": '"TRUE";"TRUE";"FALSE"'})
        self.date = add({**base, "num_format": "yyyy-mm-dd"})
        inp = {**base, "bg_color": INPUT_FILL, "font_color": INPUT_FONT, "border": 1,
               "border_color": "#BFBFBF"}
        self.in_money = add({**inp, "num_format": "$#,##0"})
        self.in_pct = add({**inp, "num_format": "0%"})
        self.in_num = add({**inp, "num_format": "0.0"})
        self.in_num2 = add({**inp, "num_format": "0.00"})
        self.in_flag = add({**inp, "align": "center", "num_format": '"TRUE";"TRUE";"FALSE"'})
        self.in_int = add({**inp, "num_format": "0"})
        self.in_date = add({**inp, "num_format": "yyyy-mm-dd"})
        self.in_text = add(inp)
        self.total_label = add({**base, "bold": True, "top": 1})
        self.total_money = add({**base, "bold": True, "top": 1, "num_format": "$#,##0"})
        self.total_pct = add({**base, "bold": True, "top": 1, "num_format": "0%"})
        self.total_ratio = add({**base, "bold": True, "top": 1, "num_format": '0.00"x"'})
        self.total_text = add({**base, "bold": True, "top": 1})
        self.good = add({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.warn = add({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.bad = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


KIND_FORMAT = {
    "money": ("money", 12),
    "count": ("int", 10),
    "fraction": ("pct", 10),
    "growth": ("pct", 10),
    "days": ("int", 10),
    "months": ("int", 9),
    "score": ("int", 8),
    "flag": ("flag", 10),
    "id": ("text", 14),
    "text": ("text", 16),
    "extra": ("general", 14),
    "date": ("date", 12),  # customer_since, renewal_date
}


def put(ws, row: int, col: int, value: Any, fmt, fm: Formats) -> None:
    """Write one value by its type; text is always a string, never a formula."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.write_blank(row, col, None, fmt or fm.base)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value), fmt)
    elif isinstance(value, numbers.Real):
        ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, (datetime, date)):
        ws.write_datetime(row, col, value, fm.date)
    else:
        ws.write_string(row, col, str(value), fmt)


# the Excel functions: upper-case callables of udfs (EXPANSION_SCORE beside expansion_score)
UPCELL_FUNCTIONS = frozenset(n for n, f in vars(udfs).items()
                             if n.isupper() and callable(f) and not isinstance(f, type))
_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w]*)\s*\(")


def upcell_functions(formula: str) -> list[str]:
    """The upcell functions ``formula`` calls, in order (``SUM`` and friends left out).

    >>> upcell_functions('=IF(NRR(B4, B5, B6, B7) > 1, "up", SUM(B4:B7))')
    ['NRR']
    """
    text = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    found = [m.group(1).upper() for m in _CALL.finditer(text)]
    return list(dict.fromkeys(f for f in found if f in UPCELL_FUNCTIONS))


def _record(ws, row: int, col: int, formula: str, built: str = "") -> None:
    """Remember an upcell formula of ``ws`` for the ``upcell formulas`` sheet."""
    functions = upcell_functions(formula)
    if functions:
        if not hasattr(ws, "upcell_formulas"):
            ws.upcell_formulas = []
        ws.upcell_formulas.append((xl_rowcol_to_cell(row, col), formula.lstrip("="),
                                   ",".join(functions), built))


def write_formulas(wb, worksheets, fm: Formats) -> None:
    """The hidden ``upcell formulas`` sheet: every upcell formula recorded on ``worksheets``
    (sheet, cell, formula without its ``=``, functions it calls, range of built values),
    read by the "Connect model" script. Formulas are stored as text, never live."""
    rows = [(ws.get_name(), *entry) for ws in worksheets
            for entry in getattr(ws, "upcell_formulas", [])]
    ws = wb.add_worksheet(FORMULAS_SHEET)
    for j, h in enumerate(FORMULAS_HEADER):
        ws.write_string(0, j, h, fm.label)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            if v:
                ws.write_string(i, j, v, fm.text)
    for j, width in enumerate((12, 8, 70, 30, 14)):
        ws.set_column(j, j, width)
    ws.hide()


def formula_cell(ws, row: int, col: int, formula: str, value: Any, fmt) -> None:
    """A single-cell formula with its cached value (blank stays blank)."""
    _record(ws, row, col, formula)
    if value is None:
        value = ""
    if isinstance(value, (np.bool_,)):
        value = bool(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
    ws.write_formula(row, col, formula, fmt, value)


def spill(ws, row: int, col: int, formula: str, values: list[list[Any]], fmts: list, header_fmt,
           fm: Formats, values_only: bool) -> tuple[int, int]:
    """The ``values`` a spilling ``formula`` at (row, col) computes, written as values; the
    formula is recorded for "Connect model" (not with ``values_only``: a snapshot). In a
    live build (``ws.upcell_live``) the anchor holds the dynamic-array formula itself
    (``cm="1"`` + ``xl/metadata.xml``: no implicit-intersection ``@``), cached values in
    its spill range."""
    height, width = len(values), max(len(r) for r in values)
    if values_only:
        for j, v in enumerate(values[0]):
            put(ws, row, col + j, v, header_fmt, fm)
    elif getattr(ws, "upcell_live", False):  # build(live=True): the dynamic-array formula
        _record(ws, row, col, formula)
        anchor = "" if values[0][0] is None else values[0][0]
        ws.write_dynamic_array_formula(
            row, col, row + height - 1, col + width - 1, formula, header_fmt, anchor)
        for j, v in enumerate(values[0][1:], start=1):
            put(ws, row, col + j, v, header_fmt, fm)
    else:
        _record(ws, row, col, formula,
                f"{xl_rowcol_to_cell(row, col)}:{xl_rowcol_to_cell(row + height - 1, col + width - 1)}")
        for j, v in enumerate(values[0]):
            put(ws, row, col + j, v, header_fmt, fm)
    write_number, write_string, write_blank = ws.write_number, ws.write_string, ws.write_blank
    for i in range(1, height):
        r = values[i]
        if len(r) < width:
            r = list(r) + [None] * (width - len(r))
        for j in range(width):
            v, t = r[j], type(r[j])
            if t is float and v == v:
                write_number(row + i, col + j, v, fmts[j])
            elif t is str:
                write_string(row + i, col + j, v, fmts[j])
            elif v is None:
                write_blank(row + i, col + j, None, fmts[j] or fm.base)
            else:
                put(ws, row + i, col + j, v, fmts[j], fm)
    return height, width


def is_num(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isfinite(v)


def nice(x: float) -> float:
    if x <= 0:
        return 0.0
    step = 10 ** max(0, math.floor(math.log10(x)) - 1)
    return float(round(x / step) * step)


def book_arr(book: AccountBook) -> float:
    if "arr" not in book.frame:
        return 0.0
    arr = pd.to_numeric(book.frame["arr"].map(lambda v: v if is_num(v) else None), errors="coerce")
    return float(arr.fillna(0).clip(lower=0).sum())
