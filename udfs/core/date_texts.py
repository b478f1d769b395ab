"""Dates typed as text in users' records: ISO dates, compact ``20250301``, day-first or
month-first ``03/04/2025`` (one order per column, decided by the dates that can only be
read one way), month names; a year outside ``DATE_YEARS`` is a typo, not a date.

>>> read_date_texts(np.array(["2025-03-01", "31/01/2025"], dtype=object)).values.astype("datetime64[D]").tolist()
[datetime.date(2025, 3, 1), datetime.date(2025, 1, 31)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY_FIRST, MONTH_FIRST = "day first", "month first"
DATE_YEARS = (1900, 2200)  # a year outside is a typo, not a date
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|[AP]M)?)?"
_ISO_TEXT = rf"^(\d{{4}})([-/.])(\d{{1,2}})(?:\2(\d{{1,2}}))?{_TIME}$|^(\d{{4}})(\d{{2}})(\d{{2}})$"
_DMY_TEXT = rf"^(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}$"


@dataclass
class DateTexts:
    """Dates read from text: ``values`` (NaT where bad or blank), ``bad`` (not a date in the
    column's order), ``order`` (``DAY_FIRST`` or ``MONTH_FIRST`` for dates such as
    03/04/2025; '' when the column has none) and ``decided``: False when no cell told the
    order (every day ≤ 12) and it was assumed."""

    values: np.ndarray
    bad: np.ndarray
    order: str
    decided: bool


def read_date_texts(texts: np.ndarray, order: str | None = None) -> DateTexts:
    """Text cells as dates, strictly and in one order for the whole column.

    Year first (``2025-03-01``, ``2025/3/1``, ``2025-03`` = its first day, ``20250301``) is
    read as year-month-day, never swapped: ``2025-13-01`` is bad. Dates such as
    ``03/04/2025`` are read day first or month first as ``order`` says
    (``DAY_FIRST``/``MONTH_FIRST``); without it the column decides: a first number above
    12 says day first, a second one above 12 month first (a column saying both takes the
    majority and the other cells are bad); when none does, dates written with dots are
    read day first and the others month first (``decided`` is then False). Month names
    (``3 Mar 2025``, ``March 3, 2025``) are read as written. A time of day is ignored.

    >>> r = read_date_texts(np.array(["2025-02-28", "2025-13-01", "31/01/2025", "02/03/2025", "", "soon"], dtype=object))
    >>> r.values.astype("datetime64[D]").astype(str).tolist(), r.bad.tolist(), r.order, r.decided
    (['2025-02-28', 'NaT', '2025-01-31', '2025-03-02', 'NaT', 'NaT'], [False, True, False, False, False, True], 'day first', True)
    """
    s = pd.Series(np.asarray(texts, dtype=object), dtype=object).astype(str).str.strip().str.upper()
    n = len(s)
    values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    blank = s.eq("").to_numpy(dtype=bool) | pd.isna(np.asarray(texts, dtype=object))
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    done = blank.copy()
    if n:
        iso = s.str.extract(_ISO_TEXT)
        hit = iso[0].notna().to_numpy(dtype=bool) & ~done
        year[hit] = iso[0][hit].astype(np.int64)
        month[hit] = iso[2][hit].astype(np.int64)
        day[hit] = iso[3][hit].fillna("1").astype(np.int64)
        compact = iso[4].notna().to_numpy(dtype=bool) & ~done & ~hit
        year[compact] = iso[4][compact].astype(np.int64)
        month[compact] = iso[5][compact].astype(np.int64)
        day[compact] = iso[6][compact].astype(np.int64)
        done |= hit | compact
    order_used, decided = "", True
    if n and not done.all():
        dmy = s.str.extract(_DMY_TEXT)
        hit = dmy[0].notna().to_numpy(dtype=bool) & ~done
        if hit.any():
            a = dmy[0][hit].astype(np.int64).to_numpy()
            b = dmy[2][hit].astype(np.int64).to_numpy()
            y = dmy[3][hit].astype(np.int64).to_numpy()
            y = np.where(y < 100, y + np.where(y <= 68, 2000, 1900), y)
            if order in (DAY_FIRST, MONTH_FIRST):
                order_used = order
            else:
                says_day, says_month = int(((a > 12) & (b <= 12)).sum()), int(((b > 12) & (a <= 12)).sum())
                if says_day or says_month:
                    order_used = DAY_FIRST if says_day > says_month else MONTH_FIRST
                else:
                    decided = False
                    dots = int((dmy[1][hit] == ".").sum())
                    order_used = DAY_FIRST if 2 * dots > int(hit.sum()) else MONTH_FIRST
            first_is_day = order_used == DAY_FIRST
            year[hit] = y
            day[hit] = a if first_is_day else b
            month[hit] = b if first_is_day else a
            done |= hit
        named = ~done & s.str.contains(r"[A-Z]{3}", regex=True).to_numpy(dtype=bool)
        for k in np.flatnonzero(named):  # month names: few distinct values, read as written
            try:
                stamp = pd.Timestamp(s.iloc[k])
            except (ValueError, TypeError, OverflowError):
                continue
            year[k], month[k], day[k] = stamp.year, stamp.month, stamp.day
            done[k] = True
    months = (year - 1970) * 12 + month - 1
    ok = done & ~blank & (month >= 1) & (month <= 12) & (year >= DATE_YEARS[0]) & (year <= DATE_YEARS[1])
    first_day = np.where(ok, months, 0).astype("datetime64[M]").astype("datetime64[D]")
    length = (np.where(ok, months + 1, 1).astype("datetime64[M]").astype("datetime64[D]") - first_day).astype(np.int64)
    ok &= (day >= 1) & (day <= length)
    values[ok] = (first_day + (day - 1).astype("timedelta64[D]"))[ok].astype("datetime64[ns]")
    return DateTexts(values, ~ok & ~blank, order_used, decided)
