"""Reading record tables (opportunities, ARR history) handed to a function as a range or a DataFrame.

Headers are matched as SPEC §2 says (case, spaces, dashes and underscores alike) plus
the aliases of ``playbook``; cells are coerced column by column, vectorized, and the first
bad cell raises one ``ValueError`` line naming the table, its row (the header is row 1)
and the column.

>>> t = record_table("history", [["Customer ID", "Month", "ARR"], ["a1", "2025-01", "$1,200"]],
...                  {"customer_id": "account_id"}, ("account_id", "month", "arr"))
>>> t.columns.tolist(), money("history", t, "arr").tolist()
(['account_id', 'month', 'arr'], [1200.0])
>>> month_index("history", t, "month").tolist(), month_label(month_index("history", t, "month")).tolist()
([24300], ['2025-01'])
"""

from __future__ import annotations

import re
import types
from typing import Any

import numpy as np
import pandas as pd

from . import _args
from .date_texts import DATE_YEARS, DAY_FIRST, MONTH_FIRST, DateTexts, read_date_texts  # noqa: F401 (_records.X too)

SUMMARY_IDS = frozenset({"total", "grand_total", "subtotal"})
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (1.0, 2_958_465.0)  # Excel's date serials: 1900-01-01 .. 9999-12-31


def record_table(
    name: str, value: Any, aliases: dict[str, str], required: tuple[str, ...], id_column: str | None = None
) -> pd.DataFrame:
    """``value`` as a DataFrame with canonical column names; rows that are fully blank or a
    summary row (``Total``, ``Grand total``, ``Subtotal`` in ``id_column``) are dropped.

    The index keeps each row's position in the source (0 = the first data row), so errors
    name the spreadsheet row. A required column that is missing is a named error.
    """
    frame = _args.table(name, value)
    renamed = {}
    for col in frame.columns:
        canon = aliases.get(col, aliases.get(col.replace("_", ""), col))
        if canon in renamed.values() or canon in frame.columns and canon != col:
            continue  # the canonical column itself wins over an alias of it
        renamed[col] = canon
    frame = frame.rename(columns=renamed)
    for col in required:
        if col not in frame.columns:
            raise _args.InputError(f"{name}: expected a column {col!r} in the header row")
    if frame.empty:
        return frame
    ids = frame[id_column] if id_column is not None and id_column in frame else None
    if ids is not None and ids.dtype.kind in "iufbmM":
        ids = None
    heads = _run_heads(ids) if ids is not None and _arrow_text(ids) else None  # Arrow text in runs
    in_place = ids is not None and _arrow_text(ids) and heads is None
    if ids is not None and not in_place:
        codes, uniques = _factorize(ids, heads)  # hash the ids once (one row per run): later checks use codes
        frame[id_column] = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    keep = ~_blank_rows(frame)
    if in_place:  # text held by Arrow, not in runs: searched in place, row by row, without hashing
        import pyarrow as pa
        import pyarrow.compute as pc

        # every summary id holds 'total' in ASCII letters of some case (no other letter lowers to them)
        hit = pc.match_substring(pc.ascii_lower(pa.array(ids.array)), "total")
        rows = np.flatnonzero(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
        keep[rows[[_args.normalize_key(v) in SUMMARY_IDS for v in ids.iloc[rows]]]] = False
    elif ids is not None:
        codes, uniques = _factorize(frame[id_column])
        candidate = _may_be_summary(uniques)
        summary = np.zeros(uniques.size + 1, dtype=bool)
        summary[candidate] = [_args.normalize_key(uniques[k]) in SUMMARY_IDS for k in candidate]
        if summary.any():
            keep &= ~summary[codes]  # code −1 (blank) reads the last slot: not a summary
    return frame if keep.all() else frame[keep]


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """The fully blank rows. Typed columns first, and a column is looked at only in the rows
    still blank: a number or a date in a row settles it, so most exports need no text work."""
    blank = np.ones(len(frame), dtype=bool)
    for k, col in enumerate(sorted(frame.columns, key=lambda c: frame[c].dtype.kind not in "iufbmM")):
        if k == 0:  # every row is still blank: the whole column, no row numbers
            blank = _blank(frame[col])
            continue
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        column = frame[col] if len(rows) == len(frame) else frame[col].iloc[rows]
        blank[rows] = _blank(column)
    return blank


def _may_be_summary(uniques: np.ndarray) -> np.ndarray:
    """Positions of the distinct ids that contain 'total' in any case (every summary id
    does); vectorized on numpy's string type where there is one."""
    if not uniques.size:
        return np.zeros(0, dtype=np.int64)
    strings = getattr(np, "strings", None)
    if strings is not None:
        text = uniques.astype(np.dtypes.StringDType())
        return np.flatnonzero(strings.find(strings.lower(text), "total") >= 0)
    text = pd.Series(uniques, dtype=object).astype(str)
    return np.flatnonzero(text.str.lower().str.contains("total", regex=False).to_numpy(dtype=bool))


def _blank(col: pd.Series) -> np.ndarray:
    if col.dtype.kind in "iub":
        return np.zeros(len(col), dtype=bool)
    if col.dtype.kind in "fmM":
        return col.isna().to_numpy()
    codes, uniques = _factorize(col)
    blank_u = np.append(_blank_values(uniques), True)
    return blank_u[np.where(codes < 0, uniques.size, codes)]


def _blank_values(values: np.ndarray, stripped: pd.Series | None = None) -> np.ndarray:
    """is_blank of each value, vectorized: None/NaN, or text of only spaces (``stripped``:
    the values already stripped, when the caller has them)."""
    s = pd.Series(values, dtype=object)
    stripped = _stripped(s) if stripped is None else stripped
    return (s.isna() | stripped.eq("").fillna(False)).to_numpy(dtype=bool)


def _stripped(s: pd.Series) -> pd.Series:
    """Each text value stripped; NaN where the value is not text (vectorized)."""
    try:
        return s.str.strip()
    except AttributeError:  # no text at all
        return pd.Series(np.nan, index=s.index, dtype=object)


def _factorize(col: pd.Series, heads: np.ndarray | None = None, *, as_read: bool = False
               ) -> tuple[np.ndarray, Any]:
    """Codes and distinct values of a column (hashing once; the checks then run per distinct value).

    A text column whose rows come in runs of one value (an account's months one after the
    other, as exports list them) hashes the first row of each run only (``heads``: those
    rows, when the caller found them already).
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        return np.asarray(col.cat.codes), np.asarray(col.cat.categories, dtype=object)
    heads = _run_heads(col) if heads is None else heads
    if heads is not None:
        firsts = col.iloc[heads] if _arrow_text(col) else col.to_numpy(dtype=object)[heads]
        codes, uniques = pd.factorize(firsts, use_na_sentinel=True)
        codes = np.repeat(codes, np.diff(np.append(heads, len(col))))
    else:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return np.asarray(codes), (uniques if as_read else np.asarray(uniques, dtype=object))


_RUNS_FROM = 1 << 16  # rows: shorter columns are hashed whole


def _arrow_text(col: pd.Series) -> bool:
    return isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow"


def _differ(a: Any, b: Any) -> np.ndarray:
    """Cell by cell, whether two text arrays differ (a blank differs from everything)."""
    d = a != b
    return d.to_numpy(dtype=bool, na_value=True) if hasattr(d, "to_numpy") else np.asarray(d, dtype=bool)


def _run_heads(col: pd.Series) -> np.ndarray | None:
    """The first row of each run of one cell object, when runs average four rows or more.

    Text held by Arrow is compared by value. Other cells are compared by identity (the addresses an object column holds, read in place):
    readers hand one object to every repeat of a text, and a run split where equal texts
    are distinct objects only adds a head. None when the column holds no Python objects
    in a plain array, or the runs are short (then hashing every row is as cheap).
    """
    n = len(col)
    if n >= _RUNS_FROM and _arrow_text(col):  # text held by Arrow: compared by value, in C
        cells = col.array
        head = cells[: 1 << 12]
        if np.count_nonzero(_differ(head[1:], head[:-1])) * 4 > len(head):
            return None
        change = np.flatnonzero(_differ(cells[1:], cells[:-1]))
        return None if change.size * 4 > n else np.append(0, change + 1)
    if n < _RUNS_FROM or not (col.dtype == object or (
            isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "python")):
        return None
    values = col.to_numpy(dtype=object)
    if values.ndim != 1:
        return None
    where = types.SimpleNamespace(owner=values, __array_interface__={
        "shape": values.shape, "strides": values.strides, "typestr": np.dtype(np.intp).str,
        "data": (values.__array_interface__["data"][0], True), "version": 3})
    address = np.asarray(where)
    head = address[: 1 << 12]
    if np.count_nonzero(head[1:] != head[:-1]) * 4 > head.size:
        return None  # short runs in the first rows: not worth a pass
    change = np.flatnonzero(address[1:] != address[:-1])
    if change.size * 4 > n:
        return None
    heads = np.empty(change.size + 1, dtype=np.intp)
    heads[0] = 0
    np.add(change, 1, out=heads[1:])
    return heads


def row_error(name: str, frame: pd.DataFrame, i: int, column: str, expected: str, value: Any) -> ValueError:
    """The one-line error for the cell of row position ``i`` (header = row 1)."""
    row = int(frame.index[i]) + 2
    if _args.is_blank(value):
        value = None
    return _args.fail(f"{name} row {row} {column}", expected, value)


def money(name: str, frame: pd.DataFrame, column: str, *, blank_is: float | None = None) -> np.ndarray:
    """A money column as floats ≥ 0; a blank is ``blank_is`` (None: an error)."""
    raw = frame[column]
    values, bad = _args.coerce_numeric(raw)
    blank = np.isnan(values) & ~bad
    if blank_is is None:
        bad |= blank
    else:
        values[blank] = blank_is  # values is the coercion's own array
    bad |= values < 0
    if bad.any():
        i = int(np.argmax(bad))
        what = "a non-negative number" if not np.isnan(values[i]) else "a number"
        raise row_error(name, frame, i, column, what, raw.iloc[i])
    return values


def texts(name: str, frame: pd.DataFrame, column: str, *, allow_blank: bool = False) -> np.ndarray:
    """A text column as stripped strings (numbers as their text: 1001 -> '1001')."""
    codes, labels = coded_texts(name, frame, column, allow_blank=allow_blank)
    return labels[codes]


def coded_texts(name: str, frame: pd.DataFrame, column: str, *, allow_blank: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (codes, labels): ``labels[codes]`` are the cells as stripped text.

    Checked once per distinct value (a blank or an Excel error names its first row); two
    spellings that strip to the same text share one label.
    """
    raw = frame[column]
    if _arrow_text(raw):
        return _coded_arrow_texts(name, frame, column, allow_blank)
    codes, uniques = _factorize(raw)
    u = pd.Series(uniques, dtype=object)
    stripped = _stripped(u)
    is_text = stripped.notna().to_numpy(dtype=bool)
    errors = stripped.str.upper().isin(_args.EXCEL_ERRORS).to_numpy(dtype=bool) & is_text
    blank = _blank_values(uniques, stripped)
    labels = np.empty(uniques.size + 1, dtype=object)
    labels[:-1][is_text] = stripped[is_text].to_numpy(dtype=object)
    for k in np.flatnonzero(~is_text & ~blank):  # numbers and dates: few distinct values
        v = uniques[k]
        labels[k] = str(int(v)) if isinstance(v, (float, np.floating)) and float(v).is_integer() else str(v)
    labels[:-1][blank] = ""
    bad_u = np.append(errors | (blank & (not allow_blank)), not allow_blank)
    labels[-1] = ""  # NaN / None cells (code −1 reads this last slot)
    present = np.zeros(uniques.size + 1, dtype=bool)
    present[codes] = True  # code −1 marks the last slot, the blank label's
    if (bad_u & present).any():  # a bad value some row holds: the first such row is named
        bad = bad_u[codes]
        i = int(np.argmax(bad))
        raise row_error(name, frame, i, column, "text", raw.iloc[i])
    # the work per distinct value, then one gather per row: spellings that strip alike
    # merge, and only the labels some row uses are kept (a categorical may hold others)
    merged, inverse = np.unique(labels.astype(str), return_inverse=True)
    inverse = inverse.ravel()
    used = np.zeros(merged.size, dtype=bool)
    used[inverse[present]] = True
    renumber = (np.cumsum(used) - 1)[inverse]
    if not present[-1] and np.array_equal(renumber[:-1], np.arange(uniques.size)):
        return np.asarray(codes).astype(np.intp, copy=False), merged[used].astype(object)  # already its label's
    return renumber[codes], merged[used].astype(object)


def text_positions(name: str, frame: pd.DataFrame, column: str, values: Any, *,
                   allow_blank: bool = False) -> np.ndarray:
    """Per row, the position in ``values`` (distinct texts) of its cell as stripped text,
    −1 where it is not among them; the cells checked as :func:`coded_texts` checks them.

    Both held as Arrow text: Arrow's own hash join (one pass, no Python object per cell);
    otherwise each distinct text is looked up once.
    """
    raw = frame[column]
    if not _arrow_text(raw) or pd.api.types.infer_dtype(values, skipna=False) != "string":
        codes, labels = coded_texts(name, frame, column, allow_blank=allow_blank)
        return pd.Index(values).get_indexer(labels)[codes]
    import pyarrow as pa
    import pyarrow.compute as pc

    stripped = raw.str.strip()  # Arrow trims what str.strip() trims
    bad = _bad_texts(stripped, allow_blank)
    if bad.any():
        i = int(np.argmax(bad))
        raise row_error(name, frame, i, column, "text", raw.iloc[i])
    at = pc.index_in(pa.array(stripped.array), value_set=pa.array(pd.array(values, dtype=raw.dtype)))
    return pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.intp)


def _bad_texts(stripped: Any, allow_blank: bool) -> np.ndarray:
    """Per stripped Arrow text (a Series or an Index): an Excel error, or (unless allowed)
    blank; the checks of :func:`coded_texts`."""
    hashed = np.asarray(stripped.str.startswith("#"), dtype=bool)  # where an error can be
    bad = np.zeros(len(stripped), dtype=bool)
    if hashed.any():
        bad[hashed] = np.asarray(stripped[hashed].str.upper().isin(_args.EXCEL_ERRORS), dtype=bool)
    if not allow_blank:
        bad = bad | np.asarray(pd.isna(stripped)) | np.asarray(stripped == "", dtype=bool)
    return bad


_SAMPLE = 4096  # rows that tell a column of ids from one of few words


def _coded_arrow_texts(name: str, frame: pd.DataFrame, column: str, allow_blank: bool
                       ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`coded_texts` of a column held as Arrow text: stripped and checked by Arrow
    (no Python call per distinct value); the same labels, in the same (sorted) order."""
    raw = frame[column]
    if raw.iloc[:_SAMPLE].nunique() * 4 > _SAMPLE:  # mostly distinct (ids): strip every cell, then hash
        codes, uniques = _factorize(raw.str.strip(), as_read=True)
    else:  # few spellings (types, stages): hash as read, strip each spelling once, merge alike ones
        codes, spellings = _factorize(raw, as_read=True)
        merged, uniques = pd.factorize(spellings.str.strip())
        codes = np.append(merged, -1)[codes]  # a blank cell (−1) reads the last slot: −1
    blank = np.asarray(uniques == "", dtype=bool)
    bad_u = np.append(_bad_texts(uniques, allow_blank), not allow_blank)  # last: NaN cells
    if bad_u.any() and bad_u[codes].any():  # a bad value some row holds: its first row is named
        i = int(np.argmax(bad_u[codes]))
        raise row_error(name, frame, i, column, "text", raw.iloc[i])
    order = np.asarray(uniques.argsort())  # Arrow's sort: code points, as np.unique sorts str
    rank = np.empty(len(uniques) + 1, dtype=np.intp)
    rank[order] = np.arange(len(uniques))
    labels = uniques.take(order).to_numpy(dtype=object)
    if (codes < 0).any():  # blank cells read '', the label of blank text when there is one
        if blank.any():
            rank[-1] = rank[int(np.flatnonzero(blank)[0])]
        else:
            rank += 1
            rank[-1] = 0
            labels = np.append(np.array([""], dtype=object), labels)
    return rank[codes], labels


def dates(name: str, frame: pd.DataFrame, column: str, *, allow_blank: bool = False) -> np.ndarray:
    """A date column as ``datetime64[ns]`` (NaT where blank): dates, ISO text, Excel serial numbers.

    A column that already holds dates (from Parquet, an XLSX sheet or a typed frame) is
    taken as it is: no hashing, no text.
    """
    raw = frame[column]
    if raw.dtype.kind == "M":
        if getattr(raw.dt, "tz", None) is not None:
            raw = raw.dt.tz_localize(None)  # the local calendar date, as _date_codes reads it
        out = raw.to_numpy(dtype="datetime64[ns]")
        if not allow_blank:
            blank = np.isnat(out)
            if blank.any():
                i = int(np.argmax(blank))
                raise row_error(name, frame, i, column, "a date (e.g. 2025-03-01)", raw.iloc[i])
        return out
    codes, parsed = _date_codes(name, frame, column, allow_blank)
    return parsed[codes]


def _date_codes(name: str, frame: pd.DataFrame, column: str, allow_blank: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct dates + NaT last): each distinct cell is parsed once."""
    raw = frame[column]
    if raw.dtype.kind == "M" and getattr(raw.dt, "tz", None) is not None:
        raw = raw.dt.tz_localize(None)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)  # parse each distinct value once
    if raw.dtype.kind == "M":
        parsed = np.asarray(uniques, dtype="datetime64[ns]")
        bad_u = np.zeros(parsed.size, dtype=bool)
    else:
        parsed, bad_u = _parse_dates(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    codes = np.where(np.asarray(codes) < 0, parsed.size, codes)
    parsed = np.append(parsed, np.datetime64("NaT", "ns"))
    bad_u = np.append(bad_u, False)
    if not allow_blank:
        bad_u = bad_u | np.isnat(parsed)
    if bad_u.any():
        bad = bad_u[codes]
        if bad.any():
            i = int(np.argmax(bad))
            raise row_error(name, frame, i, column, "a date (e.g. 2025-03-01)", raw.iloc[i])
    return codes, parsed


def date_cells(values: Any, order: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cells as dates, every bad one marked (not raised): ``(datetime64[ns] with NaT, bad)``.

    Each distinct cell is read once, as :func:`dates` reads it: dates as they are, Excel
    serials, text by :func:`read_date_texts` in the one order of the column; blank is NaT
    and not bad.

    >>> stamps, bad = date_cells(["2025-03-01", "2025-13-01", None, 45717.0])
    >>> stamps.astype("datetime64[D]").astype(str).tolist(), bad.tolist()
    (['2025-03-01', 'NaT', 'NaT', '2025-03-01'], [False, True, False, False])
    """
    raw = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values, dtype=object)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    parsed, bad_u = _parse_dates(pd.Series(np.asarray(uniques, dtype=object), dtype=object), order)
    codes = np.where(np.asarray(codes) < 0, parsed.size, codes)
    return (np.append(parsed, np.datetime64("NaT", "ns"))[codes], np.append(bad_u, False)[codes])


def _parse_dates(raw: pd.Series, order: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    obj = raw.astype(object)
    blank = _blank(obj)
    numeric = obj.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                      and not isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool) & ~blank
    out = np.full(len(obj), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(len(obj), dtype=bool)
    if numeric.any():
        serial = obj[numeric].astype(float).to_numpy()
        ok = (serial >= _SERIAL_RANGE[0]) & (serial <= _SERIAL_RANGE[1])
        stamps = _EXCEL_EPOCH + pd.to_timedelta(np.where(ok, np.floor(serial), 0), unit="D")
        idx = np.flatnonzero(numeric)
        out[idx[ok]] = stamps[ok].to_numpy(dtype="datetime64[ns]")
        bad[idx[~ok]] = True
    rest = ~numeric & ~blank
    if rest.any():
        vals = obj[rest]
        is_text = vals.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        idx = np.flatnonzero(rest)
        if is_text.any():  # text: strictly, in the one order of the column
            read = read_date_texts(vals[is_text].to_numpy(dtype=object), order)
            out[idx[is_text]] = read.values
            bad[idx[is_text]] = read.bad
        if (~is_text).any():  # dates, datetimes, Timestamps
            parsed = pd.to_datetime(vals[~is_text], errors="coerce")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
            p = parsed.to_numpy(dtype="datetime64[ns]")
            out[idx[~is_text]] = p
            bad[idx[~is_text][np.isnat(p)]] = True
    return out, bad


def month_index(name: str, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Each row's calendar month as one integer, year × 12 + month − 1."""
    raw = frame[column]
    if raw.dtype.kind == "M":  # dates already: no text to parse, so no hashing either
        if getattr(raw.dt, "tz", None) is not None:
            raw = raw.dt.tz_localize(None)  # the local calendar month, as _date_codes reads it
        stamps = raw.to_numpy()
        blank = np.isnat(stamps)
        if blank.any():
            i = int(np.argmax(blank))
            raise row_error(name, frame, i, column, "a date (e.g. 2025-03-01)", raw.iloc[i])
        return months_of(stamps)
    codes, parsed = _date_codes(name, frame, column, False)
    return months_of(parsed[:-1])[codes] if parsed.size > 1 else np.zeros(0, dtype=np.int64)


def months_of(stamps: np.ndarray) -> np.ndarray:
    """``datetime64`` values as year × 12 + month − 1 (NaT gives a meaningless month).

    Many dates over a few years read the month of each day from a table of the days
    spanned (a calendar conversion per distinct day, not per row).

    >>> months_of(np.array(["2025-01-31", "2025-03-01"], dtype="datetime64[D]")).tolist()
    [24300, 24302]
    """
    stamps = np.asarray(stamps)
    if stamps.size >= 4096 and stamps.dtype.kind == "M":
        unit, step = np.datetime_data(stamps.dtype)
        if unit in ("D", "h", "m", "s", "ms", "us", "ns"):
            per_day = np.timedelta64(1, "D") // np.timedelta64(step, unit)
            days = stamps.view(np.int64) // per_day
            valid = ~np.isnat(stamps)
            if valid.all():
                lo, hi = int(days.min()), int(days.max())
                if hi - lo < 400_000:  # about a thousand years of days
                    days -= lo
                    return _day_months(lo, hi)[days]
    return stamps.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _day_months(lo: int, hi: int) -> np.ndarray:
    """The month (year × 12 + month − 1) of each day from day ``lo`` to ``hi`` (days since 1970)."""
    return np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12


def month_label(index: np.ndarray) -> np.ndarray:
    """Month integers as ``'2025-03'`` labels."""
    index = np.asarray(index, dtype=np.int64)
    return np.array([f"{y:04d}-{m + 1:02d}" for y, m in zip(index // 12, index % 12, strict=True)],
                    dtype=object)


def quarter_label(index: np.ndarray) -> np.ndarray:
    """Quarter integers (year × 4 + quarter − 1) as ``'2025-Q1'`` labels."""
    index = np.asarray(index, dtype=np.int64)
    return np.array([f"{y:04d}-Q{q + 1}" for y, q in zip(index // 4, index % 4, strict=True)], dtype=object)


def quarter_of_month(index: np.ndarray) -> np.ndarray:
    return np.asarray(index, dtype=np.int64) // 3


def parse_quarter(name: str, value: Any) -> int:
    """A quarter typed as ``2025-Q1``, ``Q1 2025``, ``2025Q1`` or a date in it -> year × 4 + q − 1."""
    if isinstance(value, str):
        s = value.strip().upper()
        hit = re.fullmatch(r"(\d{4})\s*[-/ ]?\s*Q([1-4])", s)
        if hit:
            return int(hit[1]) * 4 + int(hit[2]) - 1
        hit = re.fullmatch(r"Q([1-4])\s*[-/ ]?\s*(\d{4})", s)
        if hit:
            return int(hit[2]) * 4 + int(hit[1]) - 1
    try:
        stamp = dates(name, pd.DataFrame({"q": [value]}), "q")[0]
    except ValueError:
        raise _args.fail(name, "a quarter such as 2025-Q1", value) from None
    m = int(months_of(np.array([stamp]))[0])
    return m // 3


def as_of_date(name: str, value: Any) -> np.datetime64:
    """``as_of``: a date (omitted: today)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return np.datetime64(pd.Timestamp.today().normalize().to_datetime64(), "ns")
    try:
        return dates(name, pd.DataFrame({"d": [value]}), "d")[0]
    except ValueError:
        raise _args.fail(name, "a date (e.g. 2025-03-31)", value) from None
