"""Cells of a record read one kind at a time: dates typed as text, K/M amounts, a cell as text.

The date rule is ``udfs.core._records.read_date_texts`` (one definition, shared with the
functions): year first is year-month-day, other numeric dates one order per column.

>>> _cell_text(12.0), _cell_text(True), _cell_text(None)
('12', 'TRUE', None)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from udfs.core import _args, _records

from .report import BadCell, ImportReport


def _cell_text(value: Any) -> str | None:
    if value is None or _args.is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _dates(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport, dayfirst: bool = False
           ) -> np.ndarray:
    """A date column: real dates as they are; text strictly in the one order of the column
    (``_records.read_date_texts``; ``dayfirst`` chooses it), an impossible date a bad cell."""
    values = col.astype(object).where(col.notna(), None)
    text = values.map(lambda v: v.strip() if isinstance(v, str) else v, na_action="ignore")
    is_text = text.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    native = values.map(lambda v: isinstance(v, (datetime, date, pd.Timestamp)), na_action="ignore")
    native = native.fillna(False).astype(bool)
    if native.any():
        parsed[native] = pd.to_datetime(values[native], errors="coerce")
    order = ""
    if is_text.any():
        codes, uniques = pd.factorize(text[is_text].astype(str))
        read = _records.read_date_texts(np.asarray(uniques, dtype=object),
                                        _records.DAY_FIRST if dayfirst else None)
        parsed[is_text] = read.values[codes]
        order = read.order
        if order:
            how = ("as --dayfirst says" if dayfirst else "as its dates say" if read.decided else
                   "no date in it has a day above 12" + (": pass --dayfirst if they are day first"
                                                         if order == _records.MONTH_FIRST else ""))
            report.notes.append(f"{name}: dates such as 03/04/2025 read {order} ({how}); "
                                "dates written year first are read year-month-day.")
    blank = values.isna() | (is_text & text.eq(""))
    bad = (~blank & parsed.isna()).to_numpy(dtype=bool)
    report.dates[name] = parsed.to_numpy(dtype="datetime64[ns]")  # the checks of the kind read these
    out = parsed.astype(object).where(parsed.notna(), None).to_numpy(dtype=object)
    out = np.array([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in out], dtype=object) \
        if len(out) < 200_000 else out
    raw = values.to_numpy(dtype=object)
    read_as = f"read {order}, " if order else ""
    for j in np.flatnonzero(bad):
        out[j] = _cell_text(raw[j])
        report.bad_cells.append(BadCell(int(rows[j]), name, raw[j],
                                        f"{_args.describe(raw[j])} is not a date ({read_as}year-month-day "
                                        "when the year comes first; kept as text)"))
    return out


def _scaled_note(name: str, texts: pd.Series, values: np.ndarray, bad: np.ndarray, rows: np.ndarray,
                 decimal: str | None, report: ImportReport) -> None:
    """Amounts written with K or M and a decimal mark (``1,2 M``) are read with the file's
    decimal mark; the report says how (a file without one leaves such a cell bad)."""
    scaled = texts.str.contains(r"\d[.,]\d+\s*[KkMm]\s*\)?\s*$", regex=True).fillna(False).to_numpy(dtype=bool)
    scaled = scaled & ~bad
    if not scaled.any():
        return
    mark = "decimal comma" if decimal == "," else "decimal point"
    shown = ", ".join(f"row {int(r)} {t.strip()!r} = {_args.num_text(v)}"
                      for r, t, v in zip(rows[scaled][:5], texts[scaled][:5], values[scaled][:5], strict=True))
    more = f" (+{int(scaled.sum()) - 5} more)" if scaled.sum() > 5 else ""
    report.notes.append(f"{name}: {int(scaled.sum())} amounts written with K or M read with the file's {mark}: "
                        f"{shown}{more}; pass --decimal if that is not how the file writes numbers.")
