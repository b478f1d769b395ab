"""What each record kind must hold beyond readable cells, checked at import and named.

The cells of a record are read by :mod:`.load`; this module checks what makes a row
wrong for its kind (a won opportunity with no close date, a target for an unknown motion
or an impossible quarter) or rows wrong together (two ARR rows for one account and month,
two targets for one quarter, motion and owner). Each is a bad cell or a
:class:`~.report.Problem` of the report, so ``check --kind`` lists it and a build refuses
the records until it is fixed. The rules are those of the functions that read the
records (``udfs.revenue``), stated once there: the same words, motions and quarters.

>>> from workbook.records import load_records
>>> rows = [["account_id", "month", "arr"], ["a1", "2025-01-01", 1000], ["a1", "2025-01-01", 9000]]
>>> print(load_records(rows, "arr_history").report.problems[0].line())
rows 2, 3: account 'a1', 2025-01: 2 rows (1,000 and 9,000) and no subscription_id, product or plan column telling them apart
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from udfs.core import _args, _records, playbook, record_columns

from .report import BadCell, Problem, rows_text

MAX_PROBLEMS_NAMED = 10_000  # beyond, one problem names the rest together


def check_records(book: Any, kind: str, options: Any) -> None:
    """Add the bad cells and problems of ``kind`` to ``book.report`` (and apply
    ``options.duplicates`` to an ARR history)."""
    check = _CHECKS.get(kind)
    if check is None or book.frame.empty:
        return
    check(book, options)
    book.report.bad_cells.sort(key=lambda b: b.row)
    _after_newest(book, kind, options)


_IS_DATE = np.frompyfunc(lambda v: isinstance(v, (datetime, date)), 1, 1)
_IS_BLANK = np.frompyfunc(lambda v: v is None or (v.__class__ is str and not v.strip())
                          or (v.__class__ is float and v != v), 1, 1)


def _dates_of(book: Any, column: str) -> np.ndarray:
    """A date column as days (NaT where blank or not a date): as the reader parsed it."""
    parsed = book.report.dates.get(column)
    if parsed is not None and len(parsed) == len(book.frame):
        return parsed.astype("datetime64[D]")
    return _days(book.frame, column)


def _blank_date(book: Any, column: str) -> np.ndarray:
    """Rows whose date cell is blank (not a date, and not already a bad cell of it)."""
    if column not in book.frame:
        return np.ones(len(book.frame), dtype=bool)
    bad = np.isin(book.row_numbers, np.array([b.row for b in book.report.bad_cells if b.column == column],
                                             dtype=np.int64))
    return np.isnat(_dates_of(book, column)) & ~bad


def _days(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A date column of the imported frame as days (NaT where blank or not a date)."""
    out = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]")
    if column not in frame or not len(frame):
        return out
    values = frame[column].to_numpy(dtype=object)
    is_date = _IS_DATE(values).astype(bool)
    if is_date.any():
        out[is_date] = pd.to_datetime(pd.Series(values[is_date], dtype=object)).to_numpy().astype("datetime64[D]")
    return out


def _blank(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.ones(len(frame), dtype=bool)
    if not len(frame):
        return np.zeros(0, dtype=bool)
    return _IS_BLANK(frame[column].to_numpy(dtype=object)).astype(bool)


def _bad_rows(book: Any) -> np.ndarray:
    """Positions of the frame's rows that already hold a bad cell."""
    return np.isin(book.row_numbers, np.array([b.row for b in book.report.bad_cells], dtype=np.int64))


def _cell(book: Any, j: int, column: str, problem: str) -> None:
    v = book.frame[column].iloc[j] if column in book.frame else None
    book.report.bad_cells.append(BadCell(int(book.row_numbers[j]), column, v, problem))


# --------------------------------------------------------------------------- opportunities

_STATUS_WORDS = {"open": 0, "won": 1, "lost": 2}


def _statuses(book: Any) -> np.ndarray:
    """0 open, 1 won, 2 lost, -1 not said (as ``udfs.read_opportunities`` reads them)."""
    frame = book.frame
    out = np.full(len(frame), -1, dtype=np.int8)
    for column in ("stage", "status"):  # the status wins over a stage that says one
        if column not in frame:
            continue
        text = frame[column].to_numpy(dtype=object)
        codes, uniques = pd.factorize(pd.Series(text, dtype=object), use_na_sentinel=True)
        said = np.array([_STATUS_WORDS.get(record_columns.OPPORTUNITY_STATUSES.get(_args.normalize_key(u)), -1)
                         for u in uniques] + [-1], dtype=np.int8)
        per = said[np.where(codes < 0, len(uniques), codes)]
        if column == "status":
            unknown = (per < 0) & (codes >= 0)
            for j in np.flatnonzero(unknown):
                if not _args.is_blank(text[j]):
                    _cell(book, j, "status", f"{_args.describe(text[j])} is not open, won or lost "
                                             "(nor a CRM word for one)")
        out = np.where(per >= 0, per, out)
    return out


def _opportunities(book: Any, options: Any) -> None:
    frame = book.frame
    status = _statuses(book)
    no_close = _blank_date(book, "close_date")
    for j in np.flatnonzero(no_close):
        closed = status[j] in (1, 2)
        _cell(book, j, "close_date", "a blank cell: a " + ("won or lost opportunity needs the day it closed "
                                                           "(win rates count it in that quarter)" if closed else
                                                           "opportunity needs its expected close date "
                                                           "(coverage counts it in that quarter)"))
    for j in np.flatnonzero(_blank(frame, "amount")):
        _cell(book, j, "amount", "a blank cell: every opportunity needs an amount")
    if "motion" not in frame and "type" not in frame:
        book.report.problems.append(Problem([], "no motion (or type) column: coverage needs each "
                                                "opportunity's motion"))
    if "probability" in frame:
        p = pd.to_numeric(pd.Series(frame["probability"], dtype=object), errors="coerce").to_numpy(dtype=float)
        p = np.where(p > 1, p / 100.0, p)
        for j in np.flatnonzero((p < 0) | (p > 1)):
            _cell(book, j, "probability", f"{_args.num_text(frame['probability'].iloc[j])} is not a probability "
                                          "from 0 to 1 (or 0 to 100 %)")


# --------------------------------------------------------------------------- ARR history


def _arr_history(book: Any, options: Any) -> None:
    frame, report = book.frame, book.report
    if "month" not in frame:
        if "start_date" in frame:
            start, end = _dates_of(book, "start_date"), _dates_of(book, "end_date")
            for j in np.flatnonzero(_blank_date(book, "start_date")):
                _cell(book, j, "start_date", "a blank cell: each subscription needs its start date")
            for j in np.flatnonzero(end < start):
                _cell(book, j, "end_date", "before start_date")
        else:
            report.problems.append(Problem([], "no month column (or start_date and end_date): ARR history is "
                                               "one row per account and month, or per subscription"))
        return
    if "arr" not in frame and "mrr" not in frame:
        report.problems.append(Problem([], "no arr (or mrr) column: ARR history needs each row's ARR"))
        return
    for j in np.flatnonzero(_blank_date(book, "month")):
        _cell(book, j, "month", "a blank cell: each row needs its month")
    _repeated_months(book, options)


def _amounts(frame: pd.DataFrame) -> np.ndarray:
    column = "arr" if "arr" in frame else "mrr"
    values = pd.to_numeric(pd.Series(frame[column], dtype=object), errors="coerce").to_numpy(dtype=float)
    return values * (12.0 if column == "mrr" else 1.0)


def _repeated_months(book: Any, options: Any) -> None:
    """Rows of one account and month: line items, or --duplicates, or one problem each."""
    frame, report = book.frame, book.report
    month = _dates_of(book, "month").astype("datetime64[M]")
    ok = ~np.isnat(month) & ~_bad_rows(book)
    if ok.sum() < 2:
        return
    ids = frame["account_id"].to_numpy(dtype=object)[ok]
    m = month[ok].astype(np.int64)
    code = pd.factorize(ids)[0].astype(np.int64)  # one integer key per account and month: one hash pass
    key = code * (int(m.max()) - int(m.min()) + 1) + (m - int(m.min()))
    repeated = pd.Series(key).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    keys = pd.DataFrame({"a": ids[repeated], "m": m[repeated]})
    positions = np.flatnonzero(ok)[repeated]
    extra = int(repeated.sum() - (~keys.duplicated()).sum())
    items = record_columns.line_item_column(frame.columns)
    if items is not None:
        report.notes.append(f"Line items: {extra:,} rows share an account and month with an earlier row "
                            f"({items!r} column); their ARR is summed.")
        return
    groups = keys.groupby(["a", "m"], sort=False).indices
    if options.duplicates == "sum":
        _collapse(book, groups, positions, "sum")
        report.notes.append(f"--duplicates sum: {extra:,} rows repeat an account and month; their ARR is "
                            "added to the first row of each.")
        return
    if options.duplicates == "last":
        dropped = _collapse(book, groups, positions, "last")
        report.replaced_rows.extend(dropped)
        report.notes.append(f"--duplicates last: {len(dropped):,} rows repeat an account and month and a later "
                            f"row replaces them (left out): {rows_text(dropped)}.")
        return
    amounts = _amounts(frame)
    for n, ((account, m), idx) in enumerate(groups.items()):
        rows = book.row_numbers[positions[idx]].tolist()
        if n == MAX_PROBLEMS_NAMED:
            rest = sorted({int(r) for i in list(groups.values())[n:] for r in book.row_numbers[positions[i]]})
            report.problems.append(Problem(rest, f"{len(groups) - n:,} more accounts and months with several rows"))
            break
        shown = " and ".join(_args.num_text(v) for v in amounts[positions[idx]][:4] if np.isfinite(v))
        report.problems.append(Problem(rows, (
            f"account {str(account)!r}, {_records.month_label([m + 1970 * 12])[0]}: {len(rows)} rows ({shown}) and "
            "no subscription_id, product or plan column telling them apart")))
    report.advice.append("Several rows for one account and month: pass --duplicates sum to add them up or "
                         "--duplicates last to keep the last one (or export one row per account and month).")


def _collapse(book: Any, groups: dict, positions: np.ndarray, how: str) -> list[int]:
    """Merge each group of rows into one (``sum``: the first, with the ARR added up;
    ``last``: the last); returns the source rows dropped by ``last``."""
    frame = book.frame
    drop: list[int] = []
    for idx in groups.values():
        pos = positions[idx]
        if how == "sum":
            for column in ("arr", "mrr"):
                if column in frame:
                    values = pd.to_numeric(pd.Series(frame[column].to_numpy(dtype=object)[pos]), errors="coerce")
                    frame.iloc[pos[0], frame.columns.get_loc(column)] = float(values.sum())
            drop.extend(pos[1:].tolist())
        else:
            drop.extend(pos[:-1].tolist())
    keep = np.ones(len(frame), dtype=bool)
    keep[drop] = False
    dropped_rows = sorted(int(r) for r in book.row_numbers[~keep])
    book.frame = frame[keep].reset_index(drop=True)
    book.row_numbers = book.row_numbers[keep]
    book.report.dates = {k: v[keep] for k, v in book.report.dates.items()}
    if how == "sum":
        book.report.merged_rows += len(drop)
        return []
    book.report.rows -= len(drop)
    return dropped_rows


# --------------------------------------------------------------------------- targets


def _targets(book: Any, options: Any) -> None:
    frame = book.frame
    n = len(frame)
    quarter = np.full(n, -1, dtype=np.int64)
    quarters = frame["quarter"].to_numpy(dtype=object)
    for j in range(n):  # a Targets table has a few dozen rows
        if _args.is_blank(quarters[j]):
            continue  # left out by the reader (a blank quarter)
        try:
            quarter[j] = _records.parse_quarter("quarter", quarters[j])
        except ValueError:
            _cell(book, j, "quarter", f"{_args.describe(quarters[j])} is not a quarter (expected one such "
                                      "as 2026-Q1, Q1 2026 or a date in it: Q1 to Q4)")
    motions = np.full(n, "", dtype=object)
    if "motion" in frame:
        lookup = {_args.normalize_key(m): m for m in playbook.MOTIONS}
        for j, v in enumerate(frame["motion"].to_numpy(dtype=object)):
            if _args.is_blank(v):
                continue
            motions[j] = lookup.get(_args.normalize_key(v), "?")
            if motions[j] == "?":
                _cell(book, j, "motion", f"{_args.describe(v)} is not a motion (one of "
                                         f"{', '.join(playbook.MOTIONS)}; blank for all motions)")
    owners = np.array(["" if _args.is_blank(v) else str(v).strip() for v in frame["owner"].to_numpy(dtype=object)],
                      dtype=object) if "owner" in frame else np.full(n, "", dtype=object)
    for j in np.flatnonzero((owners != "") & (motions == "")):
        _cell(book, j, "motion", "a blank cell: an owner's target needs its motion")
    target = pd.to_numeric(pd.Series(frame["target"], dtype=object), errors="coerce").to_numpy(dtype=float)
    for j in np.flatnonzero(~(target >= playbook.TARGET_MIN) & ~_bad_rows(book)):
        _cell(book, j, "target", f"{_args.describe(frame['target'].iloc[j])}: expected a target above 0")
    ok = (quarter >= 0) & (motions != "?")
    keys = pd.DataFrame({"q": quarter, "m": motions, "o": owners})[ok]
    repeated = keys.duplicated(keep=False).to_numpy()
    if repeated.any():
        positions = np.flatnonzero(ok)[repeated]
        for (q, m, o), idx in keys[repeated].groupby(["q", "m", "o"], sort=False).indices.items():
            rows = book.row_numbers[positions[idx]].tolist()
            shown = " and ".join(_args.num_text(v) for v in target[positions[idx]] if np.isfinite(v))
            who = f"{m or 'all motions'}, " + (f"owner {o!r}" if o else "all owners")
            book.report.problems.append(Problem(rows, (
                f"{_records.quarter_label([q])[0]}, {who}: {len(rows)} targets ({shown}); one target per quarter, "
                "motion and owner")))


# --------------------------------------------------------------------------- the as-of date


def _after_newest(book: Any, kind: str, options: Any) -> None:
    """An as-of date after the newest record is said: a typo there shifts every window."""
    as_of = getattr(options, "as_of", None)
    if as_of is None or kind not in ("arr_history", "opportunities"):
        return
    day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    if kind == "arr_history":
        column = "month" if "month" in book.frame else "start_date"
        days = _dates_of(book, column)
        if np.isnat(days).all():
            return
        newest = days[~np.isnat(days)].max().astype("datetime64[M]").astype("datetime64[D]")
        late = day.astype("datetime64[M]") > newest.astype("datetime64[M]")
    else:
        days = np.concatenate([_dates_of(book, "close_date"), _dates_of(book, "created_date")])
        if np.isnat(days).all():
            return
        newest = days[~np.isnat(days)].max()
        late = day > newest
    if late:
        book.report.notes.append(f"as of {day} is after the newest record, {newest}: every window counts back "
                                 "from the as-of date; check it")


_CHECKS = {"opportunities": _opportunities, "arr_history": _arr_history, "targets": _targets}
