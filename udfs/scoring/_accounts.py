"""Reading account tables for scoring: columns, signal values and dates (SPEC §2).

An account table arrives as a DataFrame, a dict, records, or an Excel range (raw cells,
header row first). :func:`read_accounts` maps its headers to SPEC columns (any other
column is kept as an open signal); :func:`signal_values` turns the columns a rule needs
into float arrays (NaN = no signal) and notes every bad cell by spreadsheet row, so a
bad cell never stops the table. Which rows are scored, by their ids, is :mod:`._ids`.

>>> acc = read_accounts("values", {"Seat Utilization": 0.92, "nps": 9})
>>> sorted(acc.columns), acc.one_row
(['nps', 'seat_utilization'], True)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ..core.playbook import ACCOUNT_COLUMNS

__all__: list[str] = []

_NUMERIC_KINDS = frozenset(k for k in set(ACCOUNT_COLUMNS.values()) if k not in playbook.TEXT_KINDS)
EXTRA = "extra"  # kind of a column outside SPEC §2 (an open signal when a rule names it)


@dataclass
class Accounts:
    n: int
    columns: dict[str, Any]  # SPEC column or normalized extra name -> raw column
    first_row: int  # spreadsheet row of data row 0
    one_row: bool  # the input was a single record (scalar results)
    index: pd.Index | None  # DataFrame index to keep on Series results
    known: int  # how many columns are SPEC columns

    def kind(self, column: str) -> str:
        return ACCOUNT_COLUMNS.get(column, EXTRA)


def read_accounts(name: str, value: Any, headers: Any = None, *, require_id: bool = False,
                  wanted: frozenset[str] = frozenset()) -> Accounts:
    """Resolve an account table without copying its columns.

    A header row must name ``account_id``, a SPEC column or one of ``wanted`` (columns
    rules name): otherwise the range has no recognisable header and the error says so.
    """
    one_row = False
    first_row = 2 if headers is None else 1
    if isinstance(value, pd.Series) and headers is None:
        frame, one_row = value.to_frame().T.reset_index(drop=True), True
    elif isinstance(value, dict):
        if all(_args.is_scalar(v) for v in value.values()):
            frame, one_row = pd.DataFrame([value]), True
        else:
            frame = pd.DataFrame(value)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        frame = pd.DataFrame(list(value))  # records, as pandas' to_dict("records") gives them
    elif isinstance(value, pd.DataFrame):
        frame = value
        if headers is not None:
            frame = value.set_axis(_args._header_row(name, headers, value.shape[1]), axis=1)
    else:
        if headers is None and _args.is_scalar(value):
            raise _args.fail(name, "a table with a header row (or headers)", value)
        if headers is not None and isinstance(value, (list, tuple)) and value and not any(
            isinstance(v, (list, tuple)) for v in value
        ):
            one_row = True  # one row of values beside its headers
        elif headers is not None and _args.is_scalar(value):
            one_row = True
        frame = frame_from_rows(name, value, headers)
    columns: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    known = 0
    for label in frame.columns:
        canonical = playbook.account_column(label)
        if canonical is None:
            key = _args.normalize_key(label)
            if key and key not in columns:
                columns[key] = frame[label]  # an open signal (or a column no rule uses)
                labels[key] = label
            continue
        if canonical in columns:
            raise _args.InputError(
                f"{name}: columns {str(labels[canonical])!r} and {str(label)!r} both mean {canonical}"
            )
        columns[canonical] = frame[label]
        labels[canonical] = label
        known += 1
    if require_id and "account_id" not in columns:
        raise _args.InputError(f"{name}: expected a column 'account_id' in the header row")
    if not known and not (wanted & set(columns)):  # e.g. a range passed without its header row
        playbook.require_account_header(name, frame.columns)
    index = value.index if isinstance(value, pd.DataFrame) else None
    return Accounts(len(frame), columns, first_row, one_row, index, known)


# Excel errors as the Windows COM add-in reads them raw (xlwings' ``cell_errors``)
_COM_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}


def clean_cell(v: Any) -> Any:
    """One raw cell as the helpers expect: an error (Office.js dict, COM code) as '#N/A',
    Pyodide's JsNull or '' as None."""
    if type(v) is int and v in _COM_ERRORS:
        return _COM_ERRORS[v]
    if isinstance(v, dict):
        if v.get("type") == "Error":
            return str(v.get("basicValue", "#VALUE!"))
        return v.get("basicValue")
    if v is None or v == "" or type(v).__name__ == "JsNull":
        return None
    return v


_NUMBER_TYPES = frozenset({float, int, type(None)})
_PLAIN_TYPES = frozenset({float, int, type(None), str, bool})


def frame_from_rows(name: str, value: Any, headers: Any) -> pd.DataFrame:
    """A 2-D range (header row first, or ``headers``) as a DataFrame, built column-wise.

    Cells may be as xlwings' raw reader passes them (error dicts, JsNull); columns holding
    only numbers and blanks become float columns in one numpy call.
    """
    rows = _args._rows(name, value)
    if not rows:
        raise _args.InputError(f"{name}: expected a table with a header row, got nothing")
    if headers is not None:
        head = _args._header_row(name, headers, len(rows[0]) if rows else 0)
        body = rows
    else:
        head, body = [clean_cell(h) for h in rows[0]], rows[1:]
    if not body:
        raise _args.InputError(f"{name}: expected at least one row of values below the header row")
    keys = _args.table(name, [head]).columns  # header checks: blanks, errors, duplicates
    data = {}
    for key, column in zip(keys, zip(*body, strict=True), strict=True):
        types = set(map(type, column))
        plain = types <= _PLAIN_TYPES  # hashable cells: no error dicts, no JsNull
        com_errors = plain and int in types and not _COM_ERRORS.keys().isdisjoint(column)
        if types <= _NUMBER_TYPES and not com_errors:
            data[key] = np.array(column, dtype=float)
        elif plain and not com_errors:  # only '' needs cleaning
            cells = np.empty(len(column), dtype=object)
            cells[:] = column
            if str in types:
                cells[cells == ""] = None
            data[key] = cells
        else:
            cells = np.empty(len(column), dtype=object)
            cells[:] = [clean_cell(v) for v in column]
            data[key] = cells
    return pd.DataFrame(data, copy=False)


# =========================================================================== signals


def _flag_column(raw: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(raw, pd.Series) and raw.dtype == bool:
        return raw.to_numpy(dtype=float), np.zeros(len(raw), dtype=bool)
    if isinstance(raw, pd.Series) and isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iuf":
        out = raw.to_numpy(dtype=np.float64)
        if len(out) == 0 or (np.fmin.reduce(out) >= 0 and np.fmax.reduce(out) <= 1
                             and not ((out > 0) & (out < 1)).any()):
            return out, np.zeros(1, dtype=bool)  # only 0, 1 and blanks: nothing to fix
        bad = ~np.isnan(out) & (out != 0) & (out != 1)
        return np.where(bad, np.nan, out), bad
    items = pd.Series(raw).astype(object).to_numpy()
    codes, cats = pd.factorize(items, use_na_sentinel=True)  # parse each distinct cell once
    parsed = [None if _args.is_blank(v) else _args.parse_flag(v) for v in cats]
    table = np.array([np.nan if p is None else float(p) for p in parsed] + [np.nan])
    wrong = np.array([p is None and not _args.is_blank(v) for p, v in zip(parsed, cats, strict=True)] + [False])
    return table[codes], wrong[codes]


def note_bad(notes: dict, acc: Accounts, column: str, rows: np.ndarray, what: str) -> None:
    from ..core._args import num_text  # the one number format of the reasons

    raw = acc.columns[column]
    raw = raw.to_numpy() if hasattr(raw, "to_numpy") else np.asarray(raw, dtype=object)
    for i in rows:
        value = raw[i]
        if _args.is_excel_error(value):
            text = f"{column} is the Excel error {str(value).strip().upper()}"
        else:
            value = _args.to_python(value)
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            shown = num_text(value) if number else _args.describe(value)
            text = f"{column} {shown} {what}"
        notes.setdefault(int(i), []).append(f"row {int(i) + acc.first_row}: {text}")


def numeric(acc: Accounts, column: str, notes: dict | None,
            check: tuple[bool, bool] = (True, True)) -> np.ndarray | None:
    """A numeric account column as floats (NaN = no signal); bad cells noted, never raised.

    ``check`` = (low, high): whether values below 0 / -inf, and +inf / above a score's 100,
    could make a rule fire (see :func:`value_checks`); without notes, impossible ones are skipped.
    """
    raw = acc.columns.get(column)
    if raw is None:
        return None
    kind = acc.kind(column)
    if kind == "flag":
        values, bad = _flag_column(raw)
        if notes is not None and bad.any():
            note_bad(notes, acc, column, np.flatnonzero(bad), "is not TRUE or FALSE")
        return values
    native = isinstance(raw, pd.Series) and isinstance(raw.dtype, np.dtype)
    if native and raw.dtype.kind in "iuf":
        # numpy columns are used as they are (no copy; ints stay ints): two NaN-skipping
        # reductions prove there is nothing to fix before any per-cell mask is built
        values = raw.to_numpy()
        low = np.fmin.reduce(values) if len(values) and (check[0] or notes is not None) else 0
        # whole numbers are never infinite: their maximum matters only for a 0-100 score
        wants_high = (check[1] or notes is not None) and (values.dtype.kind == "f" or kind == "score")
        high = np.fmax.reduce(values) if len(values) and wants_high else 0
        bad = np.zeros(1, dtype=bool)
        if values.dtype.kind == "f" and (np.isinf(low) or np.isinf(high)):
            bad = np.isinf(values)
            values = np.where(bad, np.nan, values)
    elif native and raw.dtype.kind == "b":
        values, bad, low, high = raw.to_numpy(dtype=float), np.zeros(1, dtype=bool), 0, 1
    else:
        values, bad = _args.coerce_numeric(raw if isinstance(raw, pd.Series) else pd.Series(raw))
        low, high = -1, 101  # check below
    if notes is not None and bad.any():
        note_bad(notes, acc, column, np.flatnonzero(bad), "is not a number")
    if kind in playbook.NON_NEGATIVE_KINDS and low < 0:
        negative = values < 0
        if negative.any():
            if notes is not None:
                note_bad(notes, acc, column, np.flatnonzero(negative), "is negative")
            values = np.where(negative, np.nan, values)
    if kind == "score" and high > 100:
        high = values > 100
        if high.any():
            if notes is not None:
                note_bad(notes, acc, column, np.flatnonzero(high), "is above 100")
            values = np.where(high, np.nan, values)
    if kind == "fraction" and playbook.reads_as_percent(values):
        values = values / 100.0  # a "Seat Utilization %" column holding 92 (SPEC §2)
    return values


def value_checks(conditions) -> dict[str, tuple[bool, bool]]:
    """Per signal: can a negative (or -inf) value, or +inf (or a score above 100), fire a rule?

    ``conditions`` is a list of (rule conditions) tuples. A rule cannot fire on a negative
    value when one of its conditions on that signal is ``>=``/``>``/``=`` a threshold ≥ 0;
    nor on +inf when one is ``<=``/``<``/``=`` a finite threshold (≤ 100 for a score).
    The seat counts behind a derived utilization are always checked.
    """
    out: dict[str, list[bool]] = {}
    for conds_of_rule in conditions:
        by_signal: dict[str, list[tuple[str, float]]] = {}
        for signal, op, threshold in conds_of_rule:
            by_signal.setdefault(signal, []).append((op, threshold))
        for signal, conds in by_signal.items():
            score = ACCOUNT_COLUMNS.get(signal) == "score"
            floor = any(op in (">=", ">", "=") and t >= 0 for op, t in conds)
            ceiling = any(op in ("<=", "<", "=") and math.isfinite(t) and (not score or t <= 100)
                          for op, t in conds)
            need = out.setdefault(signal, [False, False])
            need[0] |= not floor
            need[1] |= not ceiling
    out.pop("seats_active", None)
    out.pop("seats_licensed", None)
    return {k: (v[0], v[1]) for k, v in out.items()}


def signal_values(acc: Accounts, needed: set[str], notes: dict | None,
                  checks: dict[str, tuple[bool, bool]] | None = None,
                  as_of: np.datetime64 | None = None) -> dict[str, np.ndarray]:
    """Float arrays of the ``needed`` columns present in the table (NaN = no signal).

    ``seat_utilization`` falls back to seats_active / seats_licensed, and
    ``tenure_months`` to the whole months from ``customer_since`` to ``as_of``, where the
    cell is blank (or the column absent). With ``notes``, every bad cell of a SPEC numeric
    column (and of a needed open-signal column) is noted.
    """
    values: dict[str, np.ndarray] = {}
    wanted = set(needed)
    if "seat_utilization" in wanted:
        wanted |= {"seats_active", "seats_licensed"}
    if notes is not None:  # report every bad numeric cell, used by a rule or not
        wanted |= {c for c in acc.columns if ACCOUNT_COLUMNS.get(c) in _NUMERIC_KINDS}
    checks = checks or {}
    for column in sorted(wanted):
        if ACCOUNT_COLUMNS.get(column, EXTRA) not in _NUMERIC_KINDS and column in ACCOUNT_COLUMNS:
            continue
        got = numeric(acc, column, notes, checks.get(column, (True, True)))
        if got is not None:
            values[column] = got
    if "seat_utilization" in wanted:
        _derive(values, "seat_utilization", lambda rows: _utilization(values, rows))
    if "tenure_months" in wanted and "customer_since" in acc.columns:
        since = dates_column(acc, "customer_since", notes)
        day = np.datetime64(dt.date.today(), "D") if as_of is None else as_of
        _derive(values, "tenure_months", lambda rows: _months_between(since[rows], day))
    return values


def _derive(values: dict, column: str, compute) -> None:
    """Fill ``column`` from ``compute(rows)`` where it is blank or absent."""
    given = values.get(column)
    if given is None:
        derived = compute(slice(None))
        if derived is not None:
            values[column] = derived
        return
    if given.dtype.kind != "f":
        return  # whole numbers, no blanks: nothing to derive
    rows = np.flatnonzero(np.isnan(given))
    if rows.size == 0:
        return
    derived = compute(rows)
    if derived is not None:
        filled = given.copy()
        filled[rows] = derived
        values[column] = filled


def _utilization(values: dict, rows) -> np.ndarray | None:
    active, licensed = values.get("seats_active"), values.get("seats_licensed")
    if active is None or licensed is None:
        return None
    a, lic = active[rows], licensed[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.true_divide(a, lic, dtype=np.float64)
    if lic.size and not np.fmin.reduce(lic) > 0:  # NaN-skipping: a real 0 licensed seats
        derived[~(lic > 0)] = np.nan
    return derived


def _months_between(since: np.ndarray, day: np.datetime64) -> np.ndarray:
    """Whole months from each date to ``day`` (NaN for a blank date or one after ``day``)."""
    months = (day.astype("datetime64[M]") - since.astype("datetime64[M]")).astype(float)
    day_of = (day - day.astype("datetime64[M]")).astype(int)
    since_day = (since - since.astype("datetime64[M]")).astype(float)
    months = months - (since_day > day_of)
    months[np.isnat(since) | (months < 0)] = np.nan
    return months


# =========================================================================== text columns

# what str.strip() removes: every character for which str.isspace() holds
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000"


def is_text(raw: Any) -> bool:
    """Whether a column is held as pandas' text dtype (factorized and stripped by pandas
    itself, without a Python object per cell).

    >>> is_text(pd.Series(["a", "b"], dtype="string")), is_text(pd.Series(["a", 1], dtype=object))
    (True, False)
    """
    return isinstance(raw, pd.Series) and isinstance(raw.dtype, pd.StringDtype)


# =========================================================================== dates

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_FIRST, EXCEL_LAST = np.datetime64("1900-01-01", "D"), np.datetime64("9999-12-31", "D")
_EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31


def one_date(name: str, item: Any, position: int | None = None) -> np.datetime64:
    """One date: an Excel serial, a date/datetime/Timestamp or ISO text (NaT for a blank)."""
    what = "a date from 1900-01-01 to 9999-12-31"
    if _args.is_blank(item) and not isinstance(item, float):
        return np.datetime64("NaT", "D")
    if isinstance(item, (bool, np.bool_)) or _args.is_excel_error(item):
        raise _args.fail(name, what, item, position)
    if isinstance(item, (int, float, np.integer, np.floating)):
        serial = float(item)
        if not math.isfinite(serial) or serial < 1 or serial >= _EXCEL_LAST_SERIAL + 1:
            raise _args.fail(name, what + " (an Excel serial number from 1)", item, position)
        return _EXCEL_EPOCH + np.timedelta64(int(serial), "D")
    day = None
    if isinstance(item, (dt.date, np.datetime64, pd.Timestamp)):
        day = np.datetime64(item, "D") if not isinstance(item, pd.Timestamp) else np.datetime64(item.date(), "D")
    elif isinstance(item, str):
        day = _text_date(item)
    if day is None or np.isnat(day) or day < EXCEL_FIRST or day > EXCEL_LAST:
        raise _args.fail(name, what, item, position)
    return day


def _text_date(text: str) -> np.datetime64 | None:
    try:
        return np.datetime64(dt.date.fromisoformat(text.strip()[:10]), "D")
    except ValueError:
        pass
    try:
        stamp = pd.Timestamp(text.strip())
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else np.datetime64(stamp.date(), "D")


def dates_column(acc: Accounts, column: str, notes: dict | None) -> np.ndarray:
    """A date column of the table as datetime64[D] (NaT = blank or bad, bad cells noted)."""
    raw = acc.columns[column]
    series = raw if isinstance(raw, pd.Series) else pd.Series(raw)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.to_numpy().astype("datetime64[D]")
    out = np.full(len(series), np.datetime64("NaT"), dtype="datetime64[D]")
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        serial = series.to_numpy(dtype=float)
        ok = (serial >= 1) & (serial < _EXCEL_LAST_SERIAL + 1)
        out[ok] = _EXCEL_EPOCH + serial[ok].astype(np.int64).astype("timedelta64[D]")
        bad = ~ok & ~np.isnan(serial)
    else:
        codes, cats = pd.factorize(series if is_text(series) else series.astype(object).to_numpy(),
                                   use_na_sentinel=True)
        table = np.full(len(cats) + 1, np.datetime64("NaT"), dtype="datetime64[D]")
        wrong = np.zeros(len(cats) + 1, dtype=bool)
        cats = np.asarray(cats, dtype=object)
        todo = np.ones(len(cats), dtype=bool)
        if len(cats) and pd.api.types.infer_dtype(cats, skipna=False) == "string":
            iso = pd.to_datetime(pd.Series(cats), format="%Y-%m-%d", errors="coerce").to_numpy()
            iso = iso.astype("datetime64[D]")
            ok = ~np.isnat(iso) & (iso >= EXCEL_FIRST) & (iso <= EXCEL_LAST)
            table[:-1][ok] = iso[ok]
            todo = ~ok  # the usual ISO dates at once; the others one by one
        for k in np.flatnonzero(todo):  # each distinct cell once
            try:
                table[k] = one_date(column, clean_cell(cats[k]))
            except ValueError:
                wrong[k] = True
        out, bad = table[codes], wrong[codes]
    if notes is not None and bad.any():
        note_bad(notes, acc, column, np.flatnonzero(bad), "is not a date")
    return out
