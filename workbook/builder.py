"""Build the Excel model (``upcell_model.xlsx``) with XlsxWriter.

The sheets are written by ``workbook/sheets/`` (one module per sheet). Every formula cell is written with the value the same ``udfs`` functions compute for it
(XlsxWriter's ``value=``), so the model shows numbers before any Python runtime is
connected; spilling functions (SCORE_ACCOUNTS, NRR_PROJECTION) are written as their
values, their formulas listed on the hidden ``upcell formulas`` sheet, which the "Connect
model" script enters once xlwings Lite or xlwings Server has registered the functions.

The workbook keeps its cached values on open (no ``fullCalcOnLoad``; a current calcId):
press Ctrl+Alt+F9 once a runtime is connected to recompute everything.

User data is written by type only: text always with ``write_string`` (a name such as
``=HYPERLINK(...)`` stays text, never a formula), numbers with ``write_number``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import xlsxwriter

import udfs

from ._files import atomic_write, new_file_mode, refuse_overwrite
from .importer import AccountBook, ImportReport, load_accounts
from .sheets import outcomes as snapshot_sheets
from .sheets.accounts import write_accounts
from .sheets.cells import Formats, typed_frame, write_formulas
from .sheets.owners import read_owners, write_owners
from .sheets.pipeline import write_pipeline
from .sheets.playbook import plays_rows, rules_rows, write_plays, write_rules
from .sheets.records import RevenueRecords, revenue_records, write_table
from .sheets.retention import write_retention
from .sheets.scores import score_queue, scores_formula, write_scores
from .sheets.start import write_conf, write_start_here

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "upcell_model.xlsx")
SAMPLE_CSV = os.path.join(HERE, "sample_accounts.csv")
EXCEL_CALC_ID = 191029  # Excel 365: a current calc engine, so Excel keeps cached values


class OutputExists(FileExistsError):
    pass


@dataclass
class BuildResult:
    path: str
    report: ImportReport
    queue: pd.DataFrame  # the scored queue as cached in the Scores sheet
    seconds: float
    records: list[str] = field(default_factory=list)  # what the opportunities/history/targets were
    snapshots: list[str] = field(default_factory=list)  # what the snapshot store got and gave


# --------------------------------------------------------------------------- entry point


def build(
    accounts: Any = None,
    out: str | os.PathLike = DEFAULT_OUT,
    *,
    force: bool = False,
    values_only: bool = False,
    live: bool = False,
    opportunities: Any = None,
    arr_history: Any = None,
    targets: Any = None,
    target: Any = None,
    as_of: Any = None,
    snapshots: str | os.PathLike | None = None,
    dayfirst: bool = False,
    duplicates: str | None = None,
    owners: Any = None,
) -> BuildResult:
    """Build the model from ``accounts`` (path, DataFrame, AccountBook; None = sample book).

    Raises :class:`OutputExists` when ``out`` exists and ``force`` is false. The file is
    written to a temporary file in the same directory, then renamed into place.
    ``values_only`` leaves the spilling formulas off the ``upcell formulas`` sheet (a snapshot for viewers
    that cannot evaluate Python functions, e.g. the LibreOffice picture in docs/).
    ``live`` writes the spilling functions as dynamic-array formulas instead of values
    (for the Windows xlwings add-in, whose functions bind on Import Functions; LibreOffice
    shows them as ``#NAME?``).
    ``opportunities``, ``arr_history`` (paths, DataFrames or rows) and the user's
    ``targets`` (a Targets table) or ``target`` (one total for the ``as_of`` quarter) build
    the Pipeline and Retention sheets from measured records; with the sample book and none
    of them, the bundled sample records and the sample company's targets are used.
    ``snapshots``: a snapshot store (``workbook.snapshots``) the queue is appended to, as
    of ``as_of``; the What changed and Playbook results sheets are built from it.
    ``dayfirst``: the records' dates such as 03/04/2025 are day first (default: each column
    decides); ``duplicates``: ``sum`` or ``last`` for ARR history rows of one account and
    month (default: refused, each named).
    ``owners``: an Owners table of people (path, DataFrame or rows; ``workbook.sheets.owners``):
    the Owners sheet, and a named assignee and slot for each new play on Scores.
    """
    started = time.perf_counter()
    out = os.fspath(out)
    refuse_overwrite(out, force=force, error=OutputExists)  # before the (slower) import
    book = accounts if isinstance(accounts, AccountBook) else _load(accounts)
    rec = revenue_records(opportunities, arr_history, targets, target, as_of, sample=accounts is None,
                          dayfirst=dayfirst, duplicates=duplicates)
    people = read_owners(owners) if owners is not None else None
    # a model is a normal file (not mkstemp's 0600), whatever mode the old one had
    # without force the new file is created exclusively: of two builds racing for one new
    # path, exactly one wins and the other gets OutputExists
    taken: list = []
    queue = atomic_write(out, lambda tmp: _write(book, tmp, values_only=values_only, live=live, rec=rec,
                                                 snapshots=snapshots, taken=taken, owners=people),
                         force=force, mode=new_file_mode(), exists_error=OutputExists)
    return BuildResult(out, book.report, queue, time.perf_counter() - started, rec.summary(),
                       taken[0].lines() if taken else [])


def _load(accounts: Any) -> AccountBook:
    if accounts is None:
        if os.path.exists(SAMPLE_CSV):
            return load_accounts(SAMPLE_CSV)
        return load_accounts(udfs.sample_accounts(), label="udfs.sample_accounts()")
    return load_accounts(accounts)


def _write(book: AccountBook, path: str, *, values_only: bool = False,
           live: bool = False, rec: RevenueRecords | None = None, snapshots: Any = None,
           taken: list | None = None, owners: pd.DataFrame | None = None) -> pd.DataFrame:
    wb = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False,
                                    "strings_to_urls": False, "nan_inf_to_errors": False})
    wb.calc_on_load = False
    wb.calc_id = EXCEL_CALC_ID
    wb.set_properties({"title": "upcell expansion model", "subject": "Expansion revenue",
                       "comments": "Built by python -m workbook build"})
    fm = Formats(wb)
    opps = rec.opportunities if rec is not None else None
    as_of = rec.as_of if rec else date.today()
    previous = snapshot_sheets.previous_snapshot(snapshots, as_of) if snapshots is not None else None
    queue_values = score_queue(typed_frame(book), opps, rec.as_of if rec is not None else None, owners,
                               None if previous is None else snapshot_sheets.excel_table(previous))
    queue = pd.DataFrame(queue_values[1:], columns=queue_values[0])
    snap = None
    if snapshots is not None:
        snap = snapshot_sheets.snapshot_outcomes(snapshots, queue, book.frame, as_of,
                                 udfs.rules_version(rules_rows(), plays_rows()))
        if taken is not None:
            taken.append(snap)

    records = [name for name, frame in (("Opportunities", rec and rec.opportunities),
                                          ("ARR history", rec and rec.history),
                                          ("Targets", rec and rec.targets)) if frame is not None]
    changed = ("What changed",) if snap else ()
    results = ("Playbook results",) if snap else ()
    tables = (("Flags",) + (("Previous queue",) if snap.previous is not None else ())) if snap else ()
    sheets = {n: wb.add_worksheet(n) for n in (
        "Start here", "Accounts", "Rules", "Plays", *(("Owners",) if owners is not None else ()), "Scores", *changed, "Pipeline", "Retention", *results,
        *records, *tables, "xlwings.conf"
    )}
    for name, ws in sheets.items():
        ws.upcell_live = live  # read by cells.spill
        if name not in ("Accounts", "Rules", "Plays", "Owners", *records, *tables):
            ws.hide_gridlines(2)
        ws.set_row(0, 24)  # room for the title
        ws.set_landscape()
        ws.set_paper(1)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    write_start_here(sheets["Start here"], fm, book)
    write_accounts(sheets["Accounts"], fm, book)
    write_rules(wb, sheets["Rules"], fm)
    write_plays(sheets["Plays"], fm)
    write_scores(sheets["Scores"], fm, queue_values, values_only,
                 scores_formula(opps is not None, owners is not None, previous is not None))
    if owners is not None:
        write_owners(sheets["Owners"], fm, owners, queue)
    write_pipeline(wb, sheets["Pipeline"], fm, queue, book, rec, values_only)
    write_retention(wb, sheets["Retention"], fm, book, values_only, rec)
    for name, table, frame in (("Opportunities", "Opportunities", rec and rec.opportunities),
                               ("ARR history", "ARR_history", rec and rec.history),
                               ("Targets", "Targets", rec and rec.targets)):
        if frame is not None:
            write_table(sheets[name], fm, table, frame)
    if snap:
        snapshot_sheets.write_what_changed(sheets["What changed"], fm, snap, queue_values, values_only)
        snapshot_sheets.write_playbook_results(sheets["Playbook results"], fm, snap, rec, values_only)
        snapshot_sheets.write_snapshot_tables(sheets, fm, snap)
    write_conf(sheets["xlwings.conf"], fm)
    write_formulas(wb, sheets.values(), fm)
    sheets["Scores"].activate()
    wb.close()
    return queue
