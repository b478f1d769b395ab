"""Each kind's cells into a typed column, vectorized: text, flags, numbers, extra columns.

Text is pandas' own text dtype (``str``: Arrow strings, NaN for a blank cell) from the
reader to the imported table, never a Python object per cell: ids and names are read,
checked (blank, summary, too long, repeated) and kept as Arrow strings. A CSV's text
cells are kept exactly as the parser gives them; other sources' cells become stripped
text, and a number typed into a text column its shortest text (``12.0`` is ``'12'``).

>>> text_series(pd.Series([" a1 ", None, 7.0, True], dtype=object), exact=False).tolist()
['a1', nan, '7', 'TRUE']
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from udfs.core import _args, playbook
from udfs.core.playbook import SEGMENTS

from . import schema as _schema
from .buffers import holding, surely_distinct
from .cells import _cell_text, _dates, _scaled_note
from .numbers import parse_numbers
from .raw import TEXT
from .reading import EXCEL_MAX_CHARS
from .report import BadCell, ImportReport, rows_text


def is_text(col: Any) -> bool:
    """True for a column of pandas text (``str``/``string``, or Arrow strings)."""
    dtype = getattr(col, "dtype", None)
    return isinstance(dtype, pd.StringDtype) or str(dtype) in ("large_string[pyarrow]", "string[pyarrow]")


def _arrow(s: pd.Series) -> Any:
    """The Arrow strings behind a column of pandas text (no copy)."""
    return s.array.__arrow_array__()


def text_series(col: pd.Series, exact: bool) -> pd.Series:
    """A column as pandas text (NaN for blank). ``exact``: cells from the CSV parser, kept
    as they are; otherwise stripped text, blank for spaces only, numbers as their text."""
    if is_text(col):
        s = col if col.dtype == TEXT else col.astype(TEXT)
        if exact or not pc.any(pc.match_substring_regex(_arrow(s), _EDGE_SPACE)).as_py():
            return s  # nothing to strip (the usual case): the same Arrow strings, no copy
        s = s.str.strip()
        return s.where(s.ne(""))
    values = col.to_numpy(dtype=object)
    out = _CELL_TEXT(values) if len(values) else values
    return pd.Series(out, index=col.index, dtype=TEXT)


# A cell that strip() changes: Python's whitespace (str.isspace, which Arrow's trim uses
# too) at either end, or an empty cell.
_SPACE = r"[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}\pZ]"
_EDGE_SPACE = f"^{_SPACE}|{_SPACE}$|^$"
_CELL_TEXT = np.frompyfunc(lambda v: (v.strip() or None) if v.__class__ is str else _cell_text(v), 1, 1)


def blank_cells(cells: Any, parsed_csv: bool = False) -> np.ndarray:
    """Blank cells: None, NaN, NA, or text of spaces only (a Series or an array).

    ``parsed_csv``: cells from the CSV parser, which already gives a field of spaces as
    blank (leading spaces are skipped), so only missing values need looking at.
    """
    if is_text(cells):
        blank = cells.isna().to_numpy(dtype=bool, copy=True)
        if not parsed_csv and not blank.all():
            blank |= _spaces_only(cells)
        return blank
    a = cells.to_numpy(dtype=object) if isinstance(cells, pd.Series) else np.asarray(cells, dtype=object)
    blank = pd.isna(a)
    if a.dtype == object and len(a) and not parsed_csv:
        rest = np.flatnonzero(~blank)
        if len(rest):
            values = a[rest]
            is_str = _IS_STR(values).astype(bool)
            if is_str.any():
                empty = _IS_SPACE(values[is_str]).astype(bool)
                blank[rest[np.flatnonzero(is_str)[empty]]] = True
    return np.asarray(blank, dtype=bool)


def _spaces_only(s: pd.Series) -> np.ndarray:
    """Text cells that are empty or whitespace only (False where blank), without a copy."""
    match = pc.match_substring_regex(_arrow(s), f"^{_SPACE}*$")
    return np.asarray(pc.fill_null(match, False).to_numpy(zero_copy_only=False), dtype=bool)


_IS_STR = np.frompyfunc(lambda v: v.__class__ is str, 1, 1)
_IS_SPACE = np.frompyfunc(lambda v: not v.strip(), 1, 1)


def summary_ids(ids: pd.Series) -> np.ndarray:
    """Ids that are exactly Total, Grand total or Subtotal (any case, any spacing)."""
    where = holding(_arrow(ids), (b"total",), any_case=True)  # the candidates; the rule decides
    out = np.zeros(len(ids), dtype=bool)
    for j, v in zip(where, ids.iloc[where].tolist(), strict=True):
        out[j] = _args.normalize_key(v) in _schema.SUMMARY_IDS
    return out


def convert(name: str, kind: str, col: pd.Series, rows: np.ndarray, decimal: str | None,
            report: ImportReport, source_kind: str, dayfirst: bool = False) -> Any:
    """The cells of one column read as ``kind``: an array, or a text Series."""
    if kind in _schema.TEXT_KINDS:
        out = _long_text(name, text_series(col, source_kind == "csv"), rows, report)
        if kind == "id" and source_kind == "xlsx" and not is_text(col):
            _xlsx_numeric_ids(name, col, rows, report)
        if name == "segment":
            out = _segments(out, rows, report)
        return out
    if kind == "flag":
        return _flags(name, col, rows, report)
    if kind == "date":
        return _dates(name, col, rows, report, dayfirst)
    if kind == "extra":
        return _extra(name, col, rows, report)
    return _numbers(name, kind, col, rows, decimal, report)


def _long_text(name: str, s: pd.Series, rows: np.ndarray, report: ImportReport) -> pd.Series:
    """Text over Excel's cell limit: cut to the limit and reported (row, column, length)."""
    if not len(s) or (is_text(s) and (pc.max(pc.binary_length(_arrow(s))).as_py() or 0) <= EXCEL_MAX_CHARS):
        return s  # no cell has more bytes (so characters) than a cell holds
    lengths = s.str.len().fillna(0).to_numpy(dtype=np.int64)
    long = lengths > EXCEL_MAX_CHARS
    if not long.any():
        return s
    for j in np.flatnonzero(long):
        report.bad_cells.append(BadCell(int(rows[j]), name, None,
                                        f"{int(lengths[j]):,} characters, more than an Excel cell holds "
                                        f"({EXCEL_MAX_CHARS:,}); cut to {EXCEL_MAX_CHARS:,}"))
    return s.where(~long, s.str.slice(0, EXCEL_MAX_CHARS))


def by_value(values: Any, f) -> tuple[np.ndarray, np.ndarray]:
    """``f`` applied once per distinct value (a column of few labels: segment, flags), as
    an object array (a blank cell takes ``f(None)``), and the positions where it is 'bad'."""
    codes, uniques = factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [f(u) for u in uniques]
    mapped[-1] = f(None)
    bad = [k for k, v in enumerate(mapped[:-1]) if isinstance(v, str) and v == "bad"]
    return mapped[codes], (np.flatnonzero(np.isin(codes, bad)) if bad else np.zeros(0, dtype=np.int64))


FEW_LABELS = 4  # a column of at most this many labels is compared label by label
_HEAD_CELLS = 4096


def factorize(values: Any) -> tuple[np.ndarray, Any]:
    """``pd.factorize(values)``: codes (-1 for a blank cell; any integer type) and the
    labels in the order they first appear. A text column whose first cells show a few labels that are then all
    it holds (a flag, a segment) is compared with each label, one pass each, instead of
    hashing every cell; the same codes and labels."""
    if is_text(values) and len(values) > _HEAD_CELLS:
        a = _arrow(values)
        labels = pc.unique(a.slice(0, _HEAD_CELLS).drop_null()).to_pylist()
        if len(labels) <= FEW_LABELS:
            codes = np.full(len(a), -1, dtype=np.int8)  # a byte a cell: a quarter of the writes
            for k, label in enumerate(labels):  # the labels differ: at most one matches a cell
                hit = pc.fill_null(pc.equal(a, label), False).to_numpy().view(np.int8)
                codes += hit if k == 0 else hit * np.int8(k + 1)
            if int(np.count_nonzero(codes >= 0)) == len(a) - a.null_count:
                return codes, np.array(labels, dtype=object)
    return pd.factorize(values, use_na_sentinel=True)


def _xlsx_numeric_ids(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport) -> None:
    """An id Excel stored as a number of more than 15 digits has lost its last digits."""
    values = col.to_numpy(dtype=object)
    for j, v in enumerate(values):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1e15:
            report.bad_cells.append(BadCell(int(rows[j]), name, v, (
                f"{_cell_text(v)} was stored by Excel as a number, which keeps only 15 digits; "
                "format the column as Text in Excel and type the id again")))


def _segments(out: pd.Series, rows: np.ndarray, report: ImportReport) -> pd.Series:
    """Segments in their canonical spelling; one that is none of them kept as typed."""
    lookup = {_args.normalize_key(seg): seg for seg in SEGMENTS}
    if is_text(out):  # the distinct labels first: usually every one is already canonical
        labels = pc.unique(_arrow(out)).to_pylist()
        if all(v is None or lookup.get(_args.normalize_key(v)) == v for v in labels):
            return out
    codes, uniques = pd.factorize(out, use_na_sentinel=True)
    canon = [lookup.get(_args.normalize_key(u)) for u in uniques]
    known = np.array([c is not None for c in canon] + [True], dtype=bool)
    unknown = ~known[codes]  # code -1 (blank) takes the last slot
    if unknown.any():
        report.notes.append(
            f"segment not one of {', '.join(SEGMENTS)} on rows {rows_text(rows[unknown].tolist())} "
            "(kept as typed)"
        )
    spelled = pd.array([c if c is not None else u for c, u in zip(canon, uniques, strict=True)], dtype=TEXT)
    return pd.Series(spelled.take(codes, allow_fill=True), index=out.index)


def _flag_of(v: Any) -> Any:
    """TRUE/FALSE of a cell; None for blank; the string 'bad' for anything else."""
    if v is None or _args.is_blank(v):
        return None
    parsed = _args.parse_flag(v)
    return "bad" if parsed is None else parsed


def _flags(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport) -> np.ndarray:
    if is_text(col):
        out, bad = by_value(col, _flag_of)
        raw = dict(zip(bad.tolist(), col.iloc[bad].tolist(), strict=True)) if len(bad) else {}
    else:
        raw = col.to_numpy(dtype=object)
        raw = np.where(pd.isna(raw), None, raw)
        out, bad = by_value(raw, _flag_of)
    for j in bad:
        out[j] = _cell_text(raw[j])
        report.bad_cells.append(BadCell(int(rows[j]), name, raw[j],
                                        f"{_args.describe(raw[j])} is not TRUE/FALSE (kept as text)"))
    return out


_LOSSLESS = r"[+-]?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?"


def _extra(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport) -> Any:
    """An unmapped column: kept as typed; plain numbers become numbers only when that
    loses nothing (no leading zero, at most 15 digits)."""
    if is_text(col):  # a CSV's column: text as typed, numbers if every cell is one
        out = col.where(~_spaces_only(col)) if len(col) else col
        out = _long_text(name, out.astype(TEXT), rows, report)
        texts = out.dropna()
        if (texts.str.fullmatch(_LOSSLESS).all()
                and (texts.str.replace(r"[^0-9]", "", regex=True).str.lstrip("0").str.len() <= 15).all()):
            return pd.to_numeric(out, errors="coerce").astype(float).to_numpy()
        return out
    values = col.astype(object).where(col.notna(), None)
    is_str = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    if not is_str.any():
        return _floats_if_all(values)
    texts = _obj(values[is_str])
    blank_text = texts.str.strip().eq("")
    out = values.copy()
    out[is_str] = _obj(texts.where(~blank_text, None))  # kept exactly as typed
    out = _obj(out)
    cells = out.to_numpy(dtype=object, copy=True)
    _long_cells(name, cells, rows, report)
    out = pd.Series(cells, index=out.index, dtype=object)
    texts = texts.where(~blank_text, "")
    lossless = texts.str.fullmatch(_LOSSLESS + "|") & (
        texts.str.replace(r"[^0-9]", "", regex=True).str.lstrip("0").str.len() <= 15)
    if not lossless.all():
        return out.to_numpy(dtype=object)  # a text column: every cell as typed
    nums = pd.to_numeric(texts.where(texts.ne(""), None), errors="coerce")
    out[is_str] = nums.astype(object).where(nums.notna(), None)
    return _floats_if_all(out)


def _long_cells(name: str, cells: np.ndarray, rows: np.ndarray, report: ImportReport) -> None:
    """Text cells of an object array over Excel's cell limit: cut and reported, in place."""
    lengths = _TEXT_LEN(cells).astype(np.int64) if len(cells) else np.zeros(0, dtype=np.int64)
    for j in np.flatnonzero(lengths > EXCEL_MAX_CHARS):
        cells[j] = cells[j][:EXCEL_MAX_CHARS]
        report.bad_cells.append(BadCell(int(rows[j]), name, None,
                                        f"{int(lengths[j]):,} characters, more than an Excel cell holds "
                                        f"({EXCEL_MAX_CHARS:,}); cut to {EXCEL_MAX_CHARS:,}"))


_TEXT_LEN = np.frompyfunc(lambda v: len(v) if v.__class__ is str else 0, 1, 1)


def _obj(s: pd.Series) -> pd.Series:
    """An object Series with None for every missing value (pandas 3's str dtype uses NaN)."""
    return pd.Series(s.to_numpy(dtype=object, na_value=None), index=s.index, dtype=object)


def _floats_if_all(out: pd.Series) -> Any:
    kinds = out.map(type, na_action="ignore")
    numeric = kinds.isin([float, int, np.float64, np.int64]) | out.isna()
    if len(out) and numeric.all():
        return pd.to_numeric(out, errors="coerce").astype(float).to_numpy()
    return out.to_numpy(dtype=object)


def floats_in_place(col: pd.Series) -> pd.Series:
    """An integer column as float64 cast over its own memory (int64 and float64 are both 8
    bytes): for the reader's own columns, which nothing else holds, so a million numbers
    take no second array. Any other column is returned as it is."""
    if col.dtype.kind not in "iu" or col.dtype.itemsize != 8:
        return col
    cells = np.asarray(col.array)  # the column's own array (a copy would do as well)
    out = cells.view(np.float64)
    np.copyto(out, cells, casting="unsafe")  # one pass, each number where it was
    return pd.Series(out, index=col.index, copy=False)


def _numbers(name: str, kind: str, col: pd.Series, rows: np.ndarray, decimal: str | None,
             report: ImportReport) -> Any:
    if col.dtype.kind in "iuf":  # the parser's numbers: only an infinity can be bad
        values = np.asarray(col.array, dtype=float)  # the import's own (writable: a check may set a cell)
        span = _span(values)
        bad = np.isinf(values) if np.isinf(span).any() else None
        if bad is not None:
            values = np.where(bad, np.nan, values)
        kept = None
    else:
        obj = col.astype(object)
        if is_text(col):  # the parser's text cells: no booleans or dates among them
            is_str = col.notna().to_numpy(dtype=bool)
            is_bool = is_date = np.zeros(len(col), dtype=bool)
        else:
            is_str = obj.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).to_numpy(dtype=bool)
            is_bool = obj.map(lambda v: isinstance(v, (bool, np.bool_)), na_action="ignore").fillna(False).to_numpy(dtype=bool)
            is_date = obj.map(lambda v: isinstance(v, (datetime, date)), na_action="ignore").fillna(False).to_numpy(dtype=bool)
        other = ~is_str & ~is_bool & ~is_date
        values = np.full(len(obj), np.nan)
        if other.any():
            values[other] = pd.to_numeric(obj[other], errors="coerce").to_numpy(dtype=float)
        bad = (is_bool | is_date | (other & np.isnan(values) & obj.notna().to_numpy())).copy()
        if is_str.any():
            v, b, amb = parse_numbers(obj[is_str], decimal)
            values[is_str] = v
            bad[is_str] = b
            for j in np.flatnonzero(is_str)[amb]:
                text = obj.iloc[j].strip()
                report.ambiguous.append(BadCell(int(rows[j]), name, text, (
                    f"{text!r} read as {values[j]:,.0f} (the file shows no decimal mark; "
                    f"if it means {values[j] / 1000:g}, pass --decimal ,)")))
            _scaled_note(name, obj[is_str], values[is_str], bad[is_str], rows[is_str], decimal, report)
        bad |= np.isinf(values)
        values[np.isinf(values)] = np.nan
        kept = obj.to_numpy(dtype=object)
        span = None
    any_bad = bad is not None and bool(bad.any())
    if any_bad:
        out = values.astype(object)
        out[np.isnan(values)] = None
        for j in np.flatnonzero(bad):
            v = kept[j] if kept is not None else values[j]
            out[j] = _cell_text(v) if kept is not None else None
            what = "a date" if isinstance(v, (datetime, date)) else _args.describe(v)
            report.bad_cells.append(BadCell(int(rows[j]), name, v,
                                            f"{what} is not a number (kept as text; scoring names this row)"))
    else:
        out = values
    finite = np.where(bad, np.nan, values) if any_bad else values
    low, high = _span(finite) if span is None or bad is not None else span  # NaN: no number
    if kind in playbook.NON_NEGATIVE_KINDS and low < 0:
        for j in np.flatnonzero(finite < 0):  # NaN compares False
            report.bad_cells.append(BadCell(int(rows[j]), name, finite[j], f"{finite[j]:g} is negative (kept)"))
    if kind == "score" and high > 100:
        for j in np.flatnonzero(finite > 100):
            report.bad_cells.append(BadCell(int(rows[j]), name, finite[j], f"{finite[j]:g} is above 100 (kept)"))
    if kind == "fraction" and playbook.reads_as_percent(finite):
        median = float(np.nanmedian(finite))
        if isinstance(out, np.ndarray) and out.dtype.kind == "f":
            out = out / 100.0
        else:
            out = out.copy()
            ok = np.isfinite(finite)
            out[ok] = finite[ok] / 100.0
        report.notes.append(f"{name} holds percents (median {median:g}, above "
                            f"{playbook.PERCENT_MEDIAN_ABOVE:g}): read as fractions, {median:g} as "
                            f"{median / 100:g}.")
    return out


def _span(values: np.ndarray) -> tuple[float, float]:
    """The least and the greatest of ``values`` leaving NaN out (NaN, NaN when nothing is
    left), in two passes that allocate nothing."""
    if not len(values):
        return np.nan, np.nan
    low, high = float(values.min()), float(values.max())  # vectorized; NaN if one is NaN
    if low != low or high != high:
        low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))
    return low, high


class DistinctIds(threading.Thread):
    """Whether every id of a text column is distinct, counted in another thread while the
    rows and the other columns are read (Arrow's hashing lets go of the GIL): ``result()``.

    Started on the id column as read, before blank and summary rows are left out: ids
    distinct there are distinct among the rows kept. An id over Excel's cell limit (cut
    later, so possibly equal to another then) leaves the answer to the exact check.
    """

    def __init__(self, ids: pd.Series):
        super().__init__(name="upcell-distinct-ids", daemon=True)
        self.ids, self._answer, self._error = ids, None, None
        self.start()

    def run(self) -> None:
        try:
            a = _arrow(self.ids)
            if (pc.max(pc.binary_length(a)).as_py() or 0) > EXCEL_MAX_CHARS:
                self._answer = False
                return
            if surely_distinct(a):  # the usual answer, without hashing every id
                self._answer = True
                return
            blank = a.null_count
            self._answer = len(pc.unique(a)) == len(a) - blank + (blank > 0)
            pa.default_memory_pool().release_unused()  # the hash table's pages, held by this thread
        except BaseException as err:  # noqa: BLE001 - raised again in the caller's thread
            self._error = err
        finally:
            self.ids = None

    def result(self) -> bool:
        """True when every id is distinct; False when some may repeat (check exactly)."""
        self.join()
        if self._error is not None:
            raise self._error
        return bool(self._answer)


def check_ids(ids: pd.Series, rows: np.ndarray, report: ImportReport, distinct: DistinctIds | None = None) -> None:
    """Ids that appear on several rows: named in the report's notes (all rows kept).
    ``distinct``: the count already started (see :class:`DistinctIds`)."""
    if distinct is None and is_text(ids):
        distinct = DistinctIds(ids)
    if distinct is not None and distinct.result():
        return  # every id once (one hash pass in Arrow; the rows are found only when not)
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    if len(uniques) == int((codes >= 0).sum()):
        return  # every id once
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    dup_codes = np.flatnonzero(counts > 1)
    for k in dup_codes[:20]:
        where = rows[codes == k].tolist()
        report.notes.append(f"{report.id_column} {uniques[k]!r} appears on rows {rows_text(where)} (all kept)")
    if len(dup_codes) > 20:
        report.notes.append(f"... and {len(dup_codes) - 20} more duplicate {report.id_column}s")
