"""Build the Excel model (``upcell_model.xlsx``) with XlsxWriter.

Every formula cell is written with the value the same ``udfs`` functions compute for it
(XlsxWriter's ``value=``), so the model shows numbers before any Python runtime is
connected; spilling functions (SCORE_ACCOUNTS, NRR_PROJECTION) are real dynamic-array
formulas (``write_dynamic_array_formula``: ``cm="1"`` + ``xl/metadata.xml``, so Excel
shows no implicit-intersection ``@``) with their cached values in every spill cell.

The workbook keeps its cached values on open (no ``fullCalcOnLoad``; a current calcId):
press Ctrl+Alt+F9 once a runtime is connected to recompute everything.

User data is written by type only: text always with ``write_string`` (a name such as
``=HYPERLINK(...)`` stays text, never a formula), numbers with ``write_number``.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

import udfs
from udfs import _args, playbook

from ._files import atomic_write, new_file_mode, refuse_overwrite
from .importer import AccountBook, ImportReport, load_accounts

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "upcell_model.xlsx")
SAMPLE_CSV = os.path.join(HERE, "sample_accounts.csv")

SCORES_FORMULA = "=SCORE_ACCOUNTS(Accounts[#All], Rules[#All], Plays[#All])"
SCORES_ANCHOR = (3, 0)  # A4: rows 1-3 hold the title and the note
EXCEL_CALC_ID = 191029  # Excel 365: a current calc engine, so Excel keeps cached values

NAVY = "#1F3864"
INPUT_FILL = "#FFF2CC"
INPUT_FONT = "#1F4E9C"

# Target share of the quarterly expansion target per motion (editable on Pipeline).
TARGET_SHARES = {
    "Seat expansion": 0.30,
    "Tier upgrade": 0.30,
    "Usage expansion": 0.15,
    "Cross-department": 0.15,
    "Cross-sell": 0.10,
}


class OutputExists(FileExistsError):
    pass


@dataclass
class BuildResult:
    path: str
    report: ImportReport
    queue: pd.DataFrame  # the scored queue as cached in the Scores sheet
    seconds: float


# --------------------------------------------------------------------------- entry point


def build(
    accounts: Any = None,
    out: str | os.PathLike = DEFAULT_OUT,
    *,
    force: bool = False,
    values_only: bool = False,
) -> BuildResult:
    """Build the model from ``accounts`` (path, DataFrame, AccountBook; None = sample book).

    Raises :class:`OutputExists` when ``out`` exists and ``force`` is false. The file is
    written to a temporary file in the same directory, then renamed into place.
    ``values_only`` writes the spilled results as plain values (a snapshot for viewers
    that cannot evaluate Python functions, e.g. the LibreOffice picture in docs/).
    """
    started = time.perf_counter()
    out = os.fspath(out)
    refuse_overwrite(out, force=force, error=OutputExists)  # before the (slower) import
    book = accounts if isinstance(accounts, AccountBook) else _load(accounts)
    # a model is a normal file (not mkstemp's 0600), whatever mode the old one had
    queue = atomic_write(out, lambda tmp: _write(book, tmp, values_only=values_only),
                         force=True, mode=new_file_mode())
    return BuildResult(out, book.report, queue, time.perf_counter() - started)


def _load(accounts: Any) -> AccountBook:
    if accounts is None:
        if os.path.exists(SAMPLE_CSV):
            return load_accounts(SAMPLE_CSV)
        return load_accounts(udfs.sample_accounts(), label="udfs.sample_accounts()")
    return load_accounts(accounts)


# --------------------------------------------------------------------------- Excel-shaped data


def excel_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as Excel hands a table range to a UDF: header row, then values."""
    body = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return [list(map(str, frame.columns))] + [[_cell(v) for v in row] for row in body]


def _cell(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Real):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def rules_rows() -> list[list[Any]]:
    return excel_rows(playbook.default_rules())


def plays_rows() -> list[list[Any]]:
    return excel_rows(playbook.default_plays().reset_index(drop=True))


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


def score_queue(accounts: Any) -> list[list[Any]]:
    """The SCORE_ACCOUNTS spill (header row first) for the Accounts, Rules and Plays tables.

    ``accounts`` is the Accounts table (a DataFrame of the imported cells, or its Excel
    range); the tests re-evaluate the cached spill from the written cells through xlwings.
    """
    result = _args.to_excel(udfs.score_accounts(accounts, rules_rows(), plays_rows()))
    if not isinstance(result, list):
        result = [[result]]
    return result


# --------------------------------------------------------------------------- writing


class _Formats:
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
        self.in_int = add({**inp, "num_format": "0"})
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
}

QUEUE_FORMAT = {  # column -> (format, width); widths fit the header names unbroken
    "account_id": ("text", 13),
    "account_name": ("text", 24),
    "expansion_score": ("int", 16),
    "ready": ("flag", 8),
    "primary_motion": ("text", 17),
    "motions": ("text", 44),
    "play": ("text", 18),
    "owner": ("text", 19),
    "expected_arr_increase": ("money", 21),
    "close_rate": ("pct1", 10),
    "expected_value": ("money", 15),
    "due_in_days": ("days", 12),
    "reasons": ("reason", 110),
}


def put(ws, row: int, col: int, value: Any, fmt, fm: _Formats) -> None:
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


def _formula(ws, row: int, col: int, formula: str, value: Any, fmt) -> None:
    """A single-cell formula with its cached value (blank stays blank)."""
    if value is None:
        value = ""
    if isinstance(value, (np.bool_,)):
        value = bool(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
    ws.write_formula(row, col, formula, fmt, value)


def _spill(ws, row: int, col: int, formula: str, values: list[list[Any]], fmts: list, header_fmt,
           fm: _Formats, values_only: bool) -> tuple[int, int]:
    """A dynamic-array formula at (row, col) with ``values`` cached in its spill range."""
    height, width = len(values), max(len(r) for r in values)
    if values_only:
        for j, v in enumerate(values[0]):
            put(ws, row, col + j, v, header_fmt, fm)
    else:
        anchor = values[0][0]
        if anchor is None:
            anchor = ""
        ws.write_dynamic_array_formula(
            row, col, row + height - 1, col + width - 1, formula, header_fmt, anchor
        )
        for j, v in enumerate(values[0][1:], start=1):
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


def _write(book: AccountBook, path: str, *, values_only: bool = False) -> pd.DataFrame:
    wb = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False,
                                    "strings_to_urls": False, "nan_inf_to_errors": False})
    wb.calc_on_load = False
    wb.calc_id = EXCEL_CALC_ID
    wb.set_properties({"title": "upcell expansion model", "subject": "Expansion revenue",
                       "comments": "Built by python -m workbook build"})
    fm = _Formats(wb)
    queue_values = score_queue(typed_frame(book))
    queue = pd.DataFrame(queue_values[1:], columns=queue_values[0])

    sheets = {n: wb.add_worksheet(n) for n in (
        "Start here", "Accounts", "Rules", "Plays", "Scores", "Pipeline", "Retention", "xlwings.conf"
    )}
    for name, ws in sheets.items():
        if name not in ("Accounts", "Rules", "Plays"):
            ws.hide_gridlines(2)
        ws.set_row(0, 24)  # room for the title
        ws.set_landscape()
        ws.set_paper(1)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    _start_here(sheets["Start here"], fm, book)
    _accounts(sheets["Accounts"], fm, book)
    _rules(wb, sheets["Rules"], fm)
    _plays(sheets["Plays"], fm)
    _scores(sheets["Scores"], fm, queue_values, values_only)
    _pipeline(wb, sheets["Pipeline"], fm, queue, book)
    _retention(wb, sheets["Retention"], fm, book, values_only)
    _conf(sheets["xlwings.conf"], fm)
    sheets["Scores"].activate()
    wb.close()
    return queue


# --------------------------------------------------------------------------- sheets


def _start_here(ws, fm: _Formats, book: AccountBook) -> None:
    ws.set_column(0, 0, 3)
    ws.set_column(1, 1, 110)
    lines = [
        ("title", "upcell: expansion revenue, computed in cells"),
        ("subtitle", f"Built from {book.report.source}: {book.report.rows} accounts."),
        ("", ""),
        ("h2", "What this model is"),
        ("wrap", "Every number on Scores, Pipeline and Retention is an upcell Python function in "
                 "a cell: =SCORE_ACCOUNTS ranks the book into an explained, routed expansion queue; "
                 "PIPELINE_COVERAGE, COVERAGE_STATUS, WEIGHTED_PIPELINE and PIPELINE_GAP measure "
                 "expansion pipeline against the quarterly target; NRR, GRR, EXPANSION_SHARE, "
                 "NRR_BENCHMARK and NRR_PROJECTION read retention."),
        ("wrap", "Paste your CRM export into the Accounts table (or rebuild: python -m workbook build "
                 "--accounts export.csv). Tune thresholds, points and motions in Rules, and close "
                 "rates, shares and owners in Plays: the formulas take those tables, so the queue "
                 "re-scores. Yellow cells are inputs."),
        ("wrap", "Until a Python runtime is connected, the cells show the values computed when this "
                 "file was built. Once connected, press Ctrl+Alt+F9 to recalculate everything."),
        ("", ""),
        ("h2", "Connect a runtime"),
        ("wrap", "xlwings Lite (Windows, Mac, Excel on the web): Home > Add-ins, search xlwings, add "
                 "xlwings Lite. Run python -m workbook lite, paste lite/main.py into the editor's "
                 "main.py tab and lite/requirements.txt into its requirements.txt tab, then restart "
                 "xlwings Lite (Menu > Restart) and press Ctrl+Alt+F9."),
        ("wrap", "Windows xlwings add-in: pip install the upcell repository (pip install -e .) and "
                 "run xlwings addin install. The xlwings.conf sheet sets UDF Modules = udfs; click "
                 "Import Functions on the xlwings ribbon (save the workbook as .xlsm when Excel "
                 "asks: the add-in keeps its function stubs in a VBA module), then Ctrl+Alt+F9."),
        ("", ""),
        ("h2", "Sheets"),
        ("text", "Accounts: your book (table Accounts). Rules and Plays: the playbook (tables Rules "
                 "and Plays)."),
        ("text", "Scores: the ranked queue. Pipeline: coverage by motion. Retention: NRR bridge and "
                 "projection."),
    ]
    for i, (style, text) in enumerate(lines):
        if text:
            ws.write_string(i, 1, text, getattr(fm, style))
    for i in (4, 5, 6, 9, 10):
        ws.set_row(i, 42)


def _accounts(ws, fm: _Formats, book: AccountBook) -> None:
    frame = book.frame
    n = len(frame)
    columns = list(frame.columns)
    fmts = []
    for j, name in enumerate(columns):
        fmt_name, width = KIND_FORMAT[book.kinds[name]]
        width = max(width, min(40, len(name) + 2))
        if name == "account_name":
            width = 26
        fmt = getattr(fm, fmt_name)
        fmts.append(fmt)
        ws.set_column(j, j, width, fmt)
    ws.add_table(
        0, 0, max(n, 1), len(columns) - 1,
        {
            "name": "Accounts",
            "style": "Table Style Medium 2",
            "columns": [{"header": c, "header_format": fm.spill_header, "format": f}
                        for c, f in zip(columns, fmts, strict=True)],
        },
    )
    write_number, write_string = ws.write_number, ws.write_string
    for j, name in enumerate(columns):
        fmt = fmts[j]
        for i, v in enumerate(frame[name].tolist() if n else [], start=1):
            t = type(v)
            if v is None or (t is float and v != v):
                continue  # a blank cell (the column format applies)
            if t is str:
                write_string(i, j, v, fmt)  # text stays text: never a formula
            elif t is float and v == v:
                write_number(i, j, v, fmt)
            else:
                put(ws, i, j, v, fmt, fm)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 22)


def _playbook_table(ws, fm: _Formats, name: str, rows: list[list[Any]], fmts: dict,
                    width) -> None:
    """An editable playbook table (Rules, Plays) at A1: widths, formats, cells by type."""
    for j, c in enumerate(rows[0]):
        ws.set_column(j, j, width(c), fmts.get(c, fm.text))
    ws.add_table(
        0, 0, len(rows) - 1, len(rows[0]) - 1,
        {"name": name, "style": "Table Style Medium 2",
         "columns": [{"header": c, "header_format": fm.spill_header,
                      "format": fmts.get(c, fm.text)}
                     for c in rows[0]]},
    )
    for i, row in enumerate(rows[1:], start=1):
        for j, v in enumerate(row):
            if v is not None:
                put(ws, i, j, v, fmts.get(rows[0][j], fm.text), fm)


def _rules(wb, ws, fm: _Formats) -> None:
    rows = rules_rows()
    widths = {"rule": 20, "signal": 28, "op": 6, "threshold": 11, "points": 8, "motion": 17}
    # continuation rows of an AND-ed rule keep points and motion blank (None: not written)
    _playbook_table(ws, fm, "Rules", rows, {"threshold": fm.num, "points": fm.int},
                    lambda c: widths.get(c, 12))
    last = len(rows) - 1 + 200
    idx = {c: j for j, c in enumerate(rows[0])}
    ws.data_validation(1, idx["op"], last, idx["op"],
                       {"validate": "list", "source": list(playbook.OPERATORS)})
    ws.data_validation(1, idx["motion"], last, idx["motion"],
                       {"validate": "list", "source": list(playbook.MOTIONS), "ignore_blank": True})
    ws.data_validation(1, idx["signal"], last, idx["signal"],
                       {"validate": "list", "source": "=Rules_signals"})
    signals = [c for c, k in playbook.ACCOUNT_COLUMNS.items() if k not in playbook.TEXT_KINDS]
    note_col = len(rows[0]) + 1
    ws.set_column(note_col, note_col, 90)
    notes = [
        ("h2", "How rules work"),
        ("text", "A rule fires for an account when: signal op threshold."),
        ("text", "Score = sum of the points of the rules that fire, capped at 100."),
        ("text", "Rows sharing a rule name are AND-ed; the continuation row leaves points "
                 "and motion blank."),
        ("text", f"Ready = score >= {playbook.TRIGGER_THRESHOLD:g} and not gated: health_score < "
                 f"{playbook.GATE_HEALTH_BELOW:g} is 'Fix adoption first', tenure_months < "
                 f"{playbook.GATE_TENURE_BELOW:g} is 'Too early'."),
        ("text", "Edit thresholds and points here: SCORE_ACCOUNTS takes this table, so Scores "
                 "re-scores."),
        ("text", "Backtested thresholds can be written back into the threshold column "
                 "(python -m workbook thresholds)."),
        ("", ""),
        ("h2", "Signals (account columns)"),
    ]
    for i, (style, text) in enumerate(notes):
        if text:
            ws.write_string(i, note_col, text, getattr(fm, style))
    for i, s in enumerate(signals, start=len(notes)):
        ws.write_string(i, note_col, s, fm.code)
    start = len(notes)
    wb.define_name(
        "Rules_signals",
        f"='Rules'!${xl_col_to_name(note_col)}${start + 1}:${xl_col_to_name(note_col)}${start + len(signals)}",
    )
    ws.freeze_panes(1, 0)
    ws.set_row(0, 22)


def _plays(ws, fm: _Formats) -> None:
    rows = plays_rows()
    fmts = {
        "arr_increase_share": fm.pct, "close_rate": fm.pct1, "owner_threshold": fm.money,
        "cycle_days": fm.int, "cycle_days_smb": fm.int, "cycle_days_mid_market": fm.int,
        "cycle_days_enterprise": fm.int,
    }
    widths = {"motion": 17, "owner": 14, "owner_above": 19, "owner_basis": 12}
    _playbook_table(ws, fm, "Plays", rows, fmts, lambda c: widths.get(c, max(13, len(c) + 2)))
    r = len(rows) + 1
    notes = [
        "arr_increase_share: expected ARR increase as a share of the account's ARR; close_rate: "
        "expected close rate (SPEC §4).",
        "owner below owner_threshold, owner_above at or above it; owner_basis says what is "
        "compared: the account's arr or the expected increase.",
        "cycle_days: target cycle; cycle_days_<segment> overrides it for that segment. "
        "Expected value = expected increase x close rate; one play runs per account.",
    ]
    for i, text in enumerate(notes):
        ws.write_string(r + i, 0, text, fm.subtitle)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 22)


def _scores(ws, fm: _Formats, values: list[list[Any]], values_only: bool) -> None:
    header = values[0]
    fmts = []
    for j, name in enumerate(header):
        fmt_name, width = QUEUE_FORMAT.get(name, ("text", 14))
        fmts.append(getattr(fm, fmt_name))
        ws.set_column(j, j, width, getattr(fm, fmt_name))
    ws.write_string(0, 0, "Expansion queue", fm.title)
    ws.write_string(
        1, 0,
        "One row per account, highest expected value first. A4 holds "
        + SCORES_FORMULA + " (spilling); tune Rules and Plays to re-score.",
        fm.subtitle,
    )
    r0, c0 = SCORES_ANCHOR
    height, width = _spill(ws, r0, c0, SCORES_FORMULA, values, fmts, fm.spill_header, fm,
                           values_only)
    ws.set_row(r0, 22)
    ws.freeze_panes(r0 + 1, 1)
    last = r0 + max(height, 2) + 2000
    idx = {c: j for j, c in enumerate(header)}
    if "expansion_score" in idx:
        j = idx["expansion_score"]
        ws.conditional_format(
            r0 + 1, j, last, j,
            {"type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#F8696B",
             "mid_type": "num", "mid_value": playbook.TRIGGER_THRESHOLD, "mid_color": "#FFEB84",
             "max_type": "num", "max_value": 100, "max_color": "#63BE7B"},
        )
    if "ready" in idx:
        j = idx["ready"]
        ws.conditional_format(r0 + 1, j, last, j,
                              {"type": "cell", "criteria": "==", "value": "TRUE", "format": fm.good})
    if "play" in idx:
        j = idx["play"]
        for gate in (playbook.GATE_FIX_ADOPTION, playbook.GATE_TOO_EARLY):
            ws.conditional_format(r0 + 1, j, last, j,
                                  {"type": "cell", "criteria": "==", "value": f'"{gate}"',
                                   "format": fm.bad})
    ws.set_landscape()
    ws.set_paper(1)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(r0)
    ws.print_area(0, 0, r0 + height - 1, width - 1)
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.set_footer("&L&8upcell expansion queue&R&8Page &P of &N")


def _pipeline_amounts(queue: pd.DataFrame) -> tuple[dict[str, float], str, str, str]:
    """Pipeline per motion: expected ARR increase of ready plays, grouped by the play's motion."""
    motion_col = "play" if "play" in queue else "primary_motion"
    ready = queue["ready"].map(lambda v: v is True)
    amounts = pd.to_numeric(queue["expected_arr_increase"], errors="coerce").fillna(0.0)
    per = amounts[ready].groupby(queue.loc[ready, motion_col]).sum()
    return ({m: float(per.get(m, 0.0)) for m in playbook.MOTIONS}, motion_col,
            "ready", "expected_arr_increase")


def _nice(x: float) -> float:
    if x <= 0:
        return 0.0
    step = 10 ** max(0, math.floor(math.log10(x)) - 1)
    return float(round(x / step) * step)


def _book_arr(book: AccountBook) -> float:
    if "arr" not in book.frame:
        return 0.0
    arr = pd.to_numeric(book.frame["arr"].map(lambda v: v if _is_num(v) else None), errors="coerce")
    return float(arr.fillna(0).clip(lower=0).sum())


def _is_num(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isfinite(v)


def _coverage_cells(ws, r: int, pipeline: float, target: float, healthy: float, thin: float,
                    fmts: tuple) -> None:
    """Coverage, status and gap of one Pipeline row (pipeline in D, target in C, cut-offs B5:B6)."""
    n = r + 1  # Excel row number
    ratio, text, money = fmts
    cov = cached("PIPELINE_COVERAGE", pipeline, target)
    _formula(ws, r, 5, f"=PIPELINE_COVERAGE(D{n}, C{n})", cov, ratio)
    _formula(ws, r, 6, f"=COVERAGE_STATUS(F{n}, $B$5, $B$6)",
             cached("COVERAGE_STATUS", cov, healthy, thin) if cov != "#VALUE!" else "#VALUE!", text)
    _formula(ws, r, 7, f"=PIPELINE_GAP(D{n}, C{n}, $B$5)",
             cached("PIPELINE_GAP", pipeline, target, healthy), money)


def _pipeline(wb, ws, fm: _Formats, queue: pd.DataFrame, book: AccountBook) -> None:
    per, motion_col, ready_col, amount_col = _pipeline_amounts(queue)
    cols = list(queue.columns)

    def qcol(name: str) -> str:
        letter = xl_col_to_name(cols.index(name))
        return f"Scores!${letter}:${letter}"

    total_pipeline = sum(per.values())
    target = _nice(total_pipeline / 2.5) or _nice(0.05 * _book_arr(book)) or 100_000.0
    healthy, thin = playbook.COVERAGE_HEALTHY, playbook.COVERAGE_THIN

    ws.set_column(0, 0, 30)
    ws.set_column(1, 7, 15)
    ws.write_string(0, 0, "Expansion pipeline vs quarterly target", fm.title)
    ws.write_string(
        1, 0,
        "Pipeline = expected ARR increase of ready plays on Scores, by the play's motion. "
        "Yellow cells are inputs.",
        fm.subtitle,
    )
    ws.write_string(3, 0, "Quarterly expansion target", fm.label)
    ws.write_number(3, 1, target, fm.in_money)
    ws.write_string(4, 0, "Healthy coverage (x)", fm.label)
    ws.write_number(4, 1, healthy, fm.in_num)
    ws.write_string(5, 0, "Thin coverage (x)", fm.label)
    ws.write_number(5, 1, thin, fm.in_num)
    wb.define_name("Quarterly_target", "=Pipeline!$B$4")

    hr = 7
    headers = ["Motion", "Target share", "Target", "Pipeline", "Weighted pipeline",
               "Coverage", "Status", "Gap to healthy"]
    for j, h in enumerate(headers):
        ws.write_string(hr, j, h, fm.header)
    ws.set_row(hr, 30)
    plays = plays_rows()
    first = hr + 1
    for i, motion in enumerate(playbook.MOTIONS):
        r = first + i
        n = r + 1  # Excel row number
        share = TARGET_SHARES[motion]
        tgt = target * share
        pipe = per[motion]
        ws.write_string(r, 0, motion, fm.text)
        ws.write_number(r, 1, share, fm.in_pct)
        _formula(ws, r, 2, f"=$B$4*B{n}", tgt, fm.money)
        _formula(ws, r, 3,
                 f'=SUMIFS({qcol(amount_col)},{qcol(motion_col)},$A{n},{qcol(ready_col)},TRUE)',
                 pipe, fm.money)
        _formula(ws, r, 4, f"=WEIGHTED_PIPELINE(D{n}, A{n}, Plays[#All])",
                 cached("WEIGHTED_PIPELINE", pipe, motion, plays), fm.money)
        _coverage_cells(ws, r, pipe, tgt, healthy, thin, (fm.ratio, fm.text, fm.money))
    last = first + len(playbook.MOTIONS) - 1
    t = last + 1
    a, b = first + 1, last + 1
    share_sum = sum(TARGET_SHARES.values())
    tgt_total = sum(target * s for s in TARGET_SHARES.values())
    ws.write_string(t, 0, "Total", fm.total_label)
    _formula(ws, t, 1, f"=SUM(B{a}:B{b})", share_sum, fm.total_pct)
    _formula(ws, t, 2, f"=SUM(C{a}:C{b})", tgt_total, fm.total_money)
    _formula(ws, t, 3, f"=SUM(D{a}:D{b})", total_pipeline, fm.total_money)
    amounts = [[per[m]] for m in playbook.MOTIONS]
    motions = [[m] for m in playbook.MOTIONS]
    _formula(ws, t, 4, f"=WEIGHTED_PIPELINE(D{a}:D{b}, A{a}:A{b}, Plays[#All])",
             cached("WEIGHTED_PIPELINE", amounts, motions, plays), fm.total_money)
    _coverage_cells(ws, t, total_pipeline, tgt_total, healthy, thin,
                    (fm.total_ratio, fm.total_text, fm.total_money))
    for label, fmt in ((playbook.HEALTHY, fm.good), (playbook.THIN, fm.warn),
                       (playbook.UNDERCOVERED, fm.bad)):
        ws.conditional_format(first, 6, t, 6, {"type": "cell", "criteria": "==",
                                               "value": f'"{label}"', "format": fmt})

    chart = wb.add_chart({"type": "bar"})
    for col, color in ((2, "#A6A6A6"), (3, NAVY)):
        chart.add_series({
            "name": ["Pipeline", hr, col],
            "categories": ["Pipeline", first, 0, last, 0],
            "values": ["Pipeline", first, col, last, col],
            "fill": {"color": color},
        })
    chart.set_title({"name": "Pipeline vs target by motion", "name_font": {"size": 11}})
    chart.set_x_axis({"num_format": "$#,##0", "major_gridlines": {"visible": True,
                      "line": {"color": "#E0E0E0"}}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 300})
    ws.insert_chart(t + 2, 0, chart)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)


def _retention(wb, ws, fm: _Formats, book: AccountBook, values_only: bool) -> None:
    start = _nice(_book_arr(book)) or 10_000_000.0
    expansion, contraction, churn = _nice(0.20 * start), _nice(0.03 * start), _nice(0.07 * start)
    new_logo = _nice(0.30 * start)
    years = 5
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 15)
    ws.set_column(2, 2, 4)
    ws.set_column(3, 4, 14)
    ws.write_string(0, 0, "Net revenue retention", fm.title)
    ws.write_string(1, 0, "Last 12 months' NRR bridge (yellow cells are inputs; defaults derived "
                          "from the book's ARR).", fm.subtitle)
    inputs = [
        ("Starting ARR (12 months ago)", start),
        ("Expansion", expansion),
        ("Contraction", contraction),
        ("Churn", churn),
        ("New-logo ARR (per year)", new_logo),
    ]
    for i, (label, v) in enumerate(inputs):
        ws.write_string(3 + i, 0, label, fm.label)
        ws.write_number(3 + i, 1, v, fm.in_money)
    # rows (1-based): B4 start, B5 expansion, B6 contraction, B7 churn, B8 new logo
    ending = start + expansion - contraction - churn
    nrr = cached("NRR", start, expansion, contraction, churn)
    grr = cached("GRR", start, contraction, churn)
    share = cached("EXPANSION_SHARE", expansion, new_logo)
    bench = cached("NRR_BENCHMARK", start, nrr) if nrr != "#VALUE!" else "#VALUE!"
    outputs = [
        ("Ending ARR", "=B4+B5-B6-B7", ending, fm.money),
        ("NRR", "=NRR(B4, B5, B6, B7)", nrr, fm.pct1),
        ("GRR", "=GRR(B4, B6, B7)", grr, fm.pct1),
        ("Expansion share of new ARR", "=EXPANSION_SHARE(B5, B8)", share, fm.pct1),
        ("NRR vs typical range for the ARR stage", "=NRR_BENCHMARK(B4, B11)", bench, fm.text),
    ]
    r = 9
    for i, (label, formula, value, fmt) in enumerate(outputs):
        ws.write_string(r + i, 0, label, fm.label)
        _formula(ws, r + i, 1, formula, value, fmt)
    # B10 ending, B11 NRR, B12 GRR, B13 share, B14 benchmark
    ws.write_string(15, 0, "Years to project", fm.label)
    ws.write_number(15, 1, years, fm.in_int)
    ws.write_string(3, 3, "ARR by year at this NRR (new-logo ARR from B8 joins each year)", fm.h2)
    projection = (
        cached("NRR_PROJECTION", start, nrr, years, new_logo) if nrr != "#VALUE!" else [["#VALUE!"]]
    )
    if not isinstance(projection, list):
        projection = [[projection]]
    pr, pc = 4, 3
    height, _ = _spill(ws, pr, pc, "=NRR_PROJECTION(B4, B11, B16, B8)", projection,
                       [fm.int, fm.money], fm.header, fm, values_only)
    for label, fmt in ((playbook.IN_RANGE, fm.good), (playbook.ABOVE_RANGE, fm.good),
                       (playbook.BELOW_RANGE, fm.bad)):
        ws.conditional_format(13, 1, 13, 1, {"type": "cell", "criteria": "==",
                                             "value": f'"{label}"', "format": fmt})
    if height > 1:
        chart = wb.add_chart({"type": "line"})
        chart.add_series({
            "name": "ARR",
            "categories": ["Retention", pr + 1, pc, pr + height - 1, pc],
            "values": ["Retention", pr + 1, pc + 1, pr + height - 1, pc + 1],
            "line": {"color": NAVY, "width": 2.25},
            "marker": {"type": "circle", "size": 5, "fill": {"color": NAVY},
                       "border": {"color": NAVY}},
        })
        chart.set_title({"name": "ARR at this NRR", "name_font": {"size": 11}})
        chart.set_x_axis({"name": "Year"})
        chart.set_y_axis({"num_format": "$#,##0", "major_gridlines": {
            "visible": True, "line": {"color": "#E0E0E0"}}})
        chart.set_legend({"none": True})
        chart.set_size({"width": 520, "height": 300})
        ws.insert_chart(17, 0, chart)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)


def _conf(ws, fm: _Formats) -> None:
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 12)
    ws.write_string(0, 0, "UDF Modules", fm.text)
    ws.write_string(0, 1, "udfs", fm.text)

