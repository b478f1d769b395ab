"""Opportunities, ARR history and Targets in the model: read through the records reader
(``load_records``: the ``opportunities`` and ``arr_history`` schemas, and ``targets`` here),
written as the Excel tables ``Opportunities``, ``ARR_history`` and ``Targets`` that the
Pipeline and Retention formulas read.

``revenue_records`` gathers what the command line or :func:`workbook.build` was given; with
the bundled sample book and nothing else, the bundled sample records (which agree with it)
and the sample company's targets are used, so ``make demo`` builds the whole model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

import udfs
from udfs.core import _args, _records, playbook, record_columns
from udfs.revenue import arr_history as arr_history_mod

from ..records import Schema, load_records, register_schema
from .cells import Formats, put

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_OPPORTUNITIES = os.path.join(HERE, "sample_opportunities.csv")
SAMPLE_ARR_HISTORY = os.path.join(HERE, "sample_arr_history.csv")
SAMPLE_TARGETS = os.path.join(HERE, "sample_targets.csv")

TARGET_COLUMNS = {"quarter": "id", "motion": "text", "owner": "text", "target": "money"}


def _resolve_target(header: str) -> str | None:
    key = _args.normalize_key(header)
    return key if key in TARGET_COLUMNS else record_columns.TARGET_ALIASES.get(key)


# Opportunities and ARR history are the reading layer's schemas; the Targets table is this
# sheet's input (quarter, motion or blank, owner or blank, target).
TARGETS = register_schema(Schema(
    kind="targets", columns=TARGET_COLUMNS, id_column="quarter", resolve=_resolve_target,
    noun="target row", required=("target",), sheet="Targets", summary_rows=False, unique_ids=False,
))


@dataclass
class RevenueRecords:
    """What the Pipeline and Retention sheets are built from (None: not given)."""

    opportunities: pd.DataFrame | None = None
    history: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None  # quarter, motion, owner, target
    total_target: float | None = None  # one total for the as_of quarter (--target)
    as_of: date = field(default_factory=date.today)
    sources: dict[str, str] = field(default_factory=dict)  # what -> where it came from
    reports: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the build's report must say

    def summary(self) -> list[str]:
        """One line per record given, for the command line: rows, source, as-of date."""
        lines = []
        for kind, label, frame, noun in (("opportunities", "Opportunities", self.opportunities, "opportunities"),
                                         ("arr_history", "ARR history", self.history, "account-month rows"),
                                         ("targets", "Targets", self.targets, "targets")):
            if frame is not None:
                lines.append(f"{label}: {len(frame):,} {noun} from {self.sources.get(kind, 'the given table')}.")
        if self.total_target is not None:
            lines.append(f"Target: ${self.total_target:,.0f} for the quarter of {self.as_of:%Y-%m-%d}.")
        if lines:
            lines.append(f"Quarters and win rates count from {self.as_of:%Y-%m-%d}.")
        return lines + self.notes


def checked_records(source: Any, kind: str, **options: Any):
    """The records of ``kind`` (``load_records`` with ``options``), refused in one line while
    their report names a bad cell or a problem: nothing is built from a number read wrong."""
    book = load_records(source, kind, **options)
    first = book.report.first_problem()
    if first is not None:
        where = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "FILE"
        raise _args.InputError(f"{kind}: {first}; `python -m workbook check --kind {kind} {where}` lists "
                               "every one (nothing was written)")
    return book


def _load(source: Any, kind: str, rec: RevenueRecords, options: dict) -> pd.DataFrame:
    """The records of ``kind`` as :func:`checked_records` reads them; their report kept."""
    book = checked_records(source, kind, **options)
    rec.sources[kind] = book.report.source
    text = str(book.report)
    if text.strip():
        rec.reports.append(text)
    rec.notes.extend(n for n in book.report.notes if n.startswith(("as of ", "--duplicates", "Line items")))
    return book.frame


def revenue_records(opportunities: Any = None, arr_history: Any = None, targets: Any = None,
                    target: Any = None, as_of: Any = None, *, sample: bool = False, dayfirst: bool = False,
                    duplicates: str | None = None) -> RevenueRecords:
    """Read the records given (paths, DataFrames or rows); ``sample`` fills in the bundled
    sample records and targets where nothing was given (the sample book's companions).
    ``dayfirst`` and ``duplicates``: as ``load_records`` reads them."""
    rec = RevenueRecords()
    given = as_of
    if sample and opportunities is None and arr_history is None and targets is None and target is None:
        opportunities, arr_history, targets = SAMPLE_OPPORTUNITIES, SAMPLE_ARR_HISTORY, SAMPLE_TARGETS
        as_of = udfs.SAMPLE_AS_OF if as_of is None else as_of
    if as_of is not None:
        day = _records.as_of_date("--as-of", as_of)
        rec.as_of = pd.Timestamp(day).date()
    options = {"dayfirst": dayfirst, "duplicates": duplicates,
               "as_of": rec.as_of if given is not None else None}
    if opportunities is not None:
        rec.opportunities = _load(opportunities, "opportunities", rec, options)
        udfs.read_opportunities(rec.opportunities)  # a bad cell is one named line, before writing
    if arr_history is not None:
        rec.history = _load(arr_history, "arr_history", rec, options)
        history = udfs.arr_matrix(rec.history)
        if history.arr.shape[1] > arr_history_mod.T12M and history.arr[:, -1 - arr_history_mod.T12M].sum() <= 0:
            rec.notes.append(no_base_text(history.month_labels[-1]) + " (the Retention sheet says so in place "
                             "of NRR, GRR and ARR by year)")
    if targets is not None:
        frame = _load(targets, "targets", rec, options)
        for col in ("motion", "owner"):
            if col not in frame:
                frame[col] = None
        rec.targets = frame[["quarter", "motion", "owner", "target"]]
        udfs.pipeline_from_opportunities(_EMPTY_OPPS, rec.targets, rec.as_of)  # checks the targets
    if target is not None:
        value = _args.number("--target", target, minimum=0)
        if value < playbook.TARGET_MIN:
            raise _args.fail("--target", "a number above 0 (the quarter's expansion target)", value)
        rec.total_target = value
        rec.sources["target"] = "--target"
    return rec


def no_base_text(month: str) -> str:
    """What NRR, GRR and ARR by year say when nothing was billed 12 months before ``month``."""
    return f"no ARR 12 months before {month}: NRR needs a starting base"


_EMPTY_OPPS = pd.DataFrame({"motion": ["Seat expansion"], "amount": [0.0], "close_date": ["2000-01-01"],
                            "status": ["lost"]})


# --------------------------------------------------------------------------- tables

DATE_COLUMNS = frozenset({"close_date", "created_date", "month", "start_date", "end_date",
                          "as_of", "ready_since", "flagged_on", "ready_until"})  # snapshots, flags


def _as_date(v: Any) -> Any:
    """A date cell as a datetime (the table holds real dates); text that is not one stays text."""
    if isinstance(v, (datetime, date)) or v is None:
        return v
    if isinstance(v, str):
        try:
            return pd.Timestamp(v).to_pydatetime()
        except (ValueError, TypeError):
            return v
    return v


def table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The records as the Excel table holds them: date columns as dates, NaN as blank."""
    out = frame.copy()
    for col in out.columns:
        if col in DATE_COLUMNS:
            out[col] = [_as_date(v) for v in out[col].astype(object).where(out[col].notna(), None)]
    return out


def write_table(ws, fm: Formats, name: str, frame: pd.DataFrame, title: str | None = None) -> tuple[int, int]:
    """``frame`` as the Excel table ``name`` at A1 (typed cells; text never a formula)."""
    frame = table_frame(frame)
    columns = list(frame.columns)
    n = len(frame)
    fmts = []
    for j, col in enumerate(columns):
        if col in DATE_COLUMNS:
            fmt, width = fm.date, 12
        elif col in ("amount", "arr", "mrr", "target"):
            fmt, width = fm.money, 12
        elif col == "probability":
            fmt, width = fm.num, 11
        else:
            fmt, width = fm.text, max(12, min(28, len(col) + 4))
        fmts.append(fmt)
        ws.set_column(j, j, width, fmt)
    ws.add_table(0, 0, max(n, 1), len(columns) - 1, {
        "name": name, "style": "Table Style Medium 2",
        "columns": [{"header": c, "header_format": fm.spill_header, "format": f}
                    for c, f in zip(columns, fmts, strict=True)],
    })
    for j, col in enumerate(columns):
        for i, v in enumerate(frame[col].tolist(), start=1):
            if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, (datetime, date)):
                ws.write_datetime(i, j, v, fmts[j])
            elif isinstance(v, str):
                ws.write_string(i, j, v, fmts[j])
            else:
                put(ws, i, j, v, fmts[j], fm)
    ws.freeze_panes(1, 0)
    return n + 1, len(columns)


def excel_table(frame: pd.DataFrame) -> list[list[Any]]:
    """The table as Excel hands ``T[#All]`` to a function: header, then rows (dates as dates)."""
    frame = table_frame(frame)
    body = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    out = [list(map(str, frame.columns))]
    for row in body:
        out.append([float(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                     else v for v in row])
    return out
