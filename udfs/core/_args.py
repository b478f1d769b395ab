"""Argument coercion shared by every upcell function.

Excel hands a UDF scalars, 1-D lists (a row or a column), 2-D lists (a range) and error
values; Python callers hand scalars, lists, numpy arrays, Series and DataFrames. Every
function turns its arguments into numpy/pandas through these helpers, so that bad input
always ends as one ``ValueError`` line that names the argument (SPEC §8)::

    >>> numbers("pipeline", [1500000, "n/a"])
    Traceback (most recent call last):
    ...
    udfs.core._args.InputError: pipeline: expected a number, got 'n/a' (item 2)

Nothing here does I/O; only numpy and pandas are used (xlwings Lite runs it in Pyodide).
"""

from __future__ import annotations

import math
import numbers as _numbers
import re
from typing import Any

import numpy as np
import pandas as pd
from xlwings import XlwingsError

EXCEL_ERRORS = frozenset(
    {
        "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!",
        "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
        "#UNKNOWN!", "#PYTHON!",
    }
)
assert all(e.startswith("#") for e in EXCEL_ERRORS)  # checks look for them among cells starting '#'

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


# --------------------------------------------------------------------------- describing


def is_blank(value: Any) -> bool:
    """True for an empty cell: None, '' (or only spaces), NaN, NaT or pd.NA."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_excel_error(value: Any) -> bool:
    """True for an Excel error value as xlwings passes it (``'#N/A'``)."""
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def describe(value: Any) -> str:
    """How a bad value is named in an error message: ``'n/a'``, ``a blank cell``..."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return "a blank cell"
    if is_excel_error(value):
        return f"the Excel error {value.strip().upper()}"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    return repr(value)


class InputError(ValueError, XlwingsError):
    """Bad input, named: a ``ValueError`` for Python callers and an ``xlwings.XlwingsError``
    for xlwings, so xlwings Server (also in production) and xlwings Lite show its one line
    on the cell instead of a generic "An error occurred." (SPEC §8). Every bad-input error
    of upcell is one of these.

    >>> isinstance(fail("arr", "a number", "n/a"), (ValueError, XlwingsError))
    True
    """


def fail(name: str, expected: str, value: Any, position: int | None = None) -> InputError:
    """The one-line error of SPEC §8: ``name: expected X, got Y (item N)``."""
    where = f" (item {position + 1})" if position is not None else ""
    return InputError(f"{name}: expected {expected}, got {describe(value)}{where}")


# --------------------------------------------------------------------------- shapes


def flat(value: Any) -> list | np.ndarray:
    """A scalar, row, column, 1-D or single-row/column 2-D input as one flat sequence."""
    if isinstance(value, pd.DataFrame):
        if value.shape[1] != 1 and value.shape[0] != 1:
            raise InputError("expected a single row or column")
        if any(_nullable(t) for t in value.dtypes):
            return value.astype(object).to_numpy(dtype=object, na_value=None).ravel()
        return value.to_numpy().ravel()
    if isinstance(value, pd.Series):
        if _nullable(value.dtype):  # Int64, Float64, boolean, string: pd.NA is a blank cell
            return value.to_numpy(dtype=object, na_value=None)
        return value.to_numpy()
    if isinstance(value, np.ndarray):
        if value.ndim > 2 or (value.ndim == 2 and 1 not in value.shape):
            raise InputError("expected a single row or column")
        return value.ravel()
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(row, (list, tuple)) for row in value):
            if len(value) == 1:
                return list(value[0])
            if all(len(row) == 1 for row in value):
                return [row[0] for row in value]
            raise InputError("expected a single row or column")
        return list(value)
    return [value]


def _nullable(dtype: Any) -> bool:
    """A pandas extension dtype whose missing value is ``pd.NA`` (Int64, Float64, boolean...)."""
    return isinstance(dtype, pd.api.extensions.ExtensionDtype) and getattr(dtype, "na_value", None) is pd.NA


def is_scalar(value: Any) -> bool:
    """True when ``value`` is one cell (so the result should be one value, not a list)."""
    if isinstance(value, (pd.Series, pd.DataFrame, np.ndarray)):
        return False
    if isinstance(value, (list, tuple)):
        return False
    return True


def _column(name: str, value: Any) -> list | np.ndarray:
    try:
        return flat(value)
    except ValueError as err:
        raise InputError(f"{name}: {err}") from None


def numbers(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    allow_blank: bool = False,
    what: str = "a number",
) -> np.ndarray:
    """``value`` as a 1-D float array; the first bad item raises a named ``ValueError``.

    ``minimum`` rejects smaller values (``minimum=0`` for counts and money); with
    ``allow_blank`` a blank becomes NaN instead of an error.

    >>> numbers("arr", [[100], [250.5]])
    array([100. , 250.5])
    """
    items = _column(name, value)
    if isinstance(items, np.ndarray) and items.dtype.kind in "iuf":
        out = items.astype(float)
    else:
        items = list(items)
        out = np.empty(len(items), dtype=float)
        for i, item in enumerate(items):
            out[i] = _one_number(name, item, i if len(items) > 1 else None, allow_blank, what)
    bad = np.isinf(out) | (np.isnan(out) & (not allow_blank))
    if bad.any():
        i = int(np.argmax(bad))
        raise fail(name, what, out[i], i if out.size > 1 else None)
    if minimum is not None:
        low = out < minimum
        if low.any():
            i = int(np.argmax(low))
            expected = "a non-negative number" if minimum == 0 else f"a number ≥ {minimum:g}"
            raise fail(name, expected, float(out[i]), i if out.size > 1 else None)
    return out


def _one_number(name: str, item: Any, position: int | None, allow_blank: bool, what: str):
    if isinstance(item, (bool, np.bool_)):
        raise fail(name, what, item, position)
    if isinstance(item, _numbers.Real):
        return float(item)
    if allow_blank and is_blank(item):
        return math.nan
    if isinstance(item, str) and not is_excel_error(item):
        parsed = parse_number(item)
        if parsed is not None:
            return parsed
    raise fail(name, what, item, position)


def parse_number(text: str) -> float | None:
    """A number typed as text, as Excel users write it: ``'1,200'``, ``'$5K'``, ``'92%'``.

    >>> parse_number("92%"), parse_number("$1,500,000"), parse_number("n/a"), parse_number("0,92")
    (0.92, 1500000.0, None, None)
    """
    s = text.strip().replace("$", "").replace("€", "").replace("£", "").strip()
    if "," in s:
        # a comma groups thousands (1,200); '0,92' or '1,5' (a decimal comma) is no number here
        if not _GROUPED.match(s):
            return None
        s = s.replace(",", "")
    if not s:
        return None
    scale = 1.0
    if s.endswith("%"):
        s, scale = s[:-1], 0.01
    elif s[-1:].upper() in ("K", "M") and len(s) > 1:
        s, scale = s[:-1], 1e3 if s[-1].upper() == "K" else 1e6
    try:
        result = float(s) * scale
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def number(name: str, value: Any, *, minimum: float | None = None, what: str = "a number") -> float:
    """One number (a single cell); anything else raises a named ``ValueError``.

    >>> number("years", 5)
    5.0
    """
    if not is_scalar(value):
        items = _column(name, value)
        if len(items) != 1:
            raise InputError(f"{name}: expected a single cell, got {len(items)} values")
        value = items[0]
    return float(numbers(name, [value], minimum=minimum, what=what)[0])


def integer(name: str, value: Any, *, minimum: int = 0) -> int:
    """One whole number ≥ ``minimum`` (periods, years, persistence)."""
    x = number(name, value, minimum=minimum, what="a whole number")
    if x != int(x):
        raise fail(name, "a whole number", x)
    return int(x)


def texts(name: str, value: Any, *, allow_blank: bool = False) -> np.ndarray:
    """``value`` as a 1-D object array of stripped strings (numbers become their text)."""
    items = list(_column(name, value))
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        position = i if len(items) > 1 else None
        if is_excel_error(item):
            raise fail(name, "text", item, position)
        if is_blank(item):
            if not allow_blank:
                raise fail(name, "text", item, position)
            out[i] = ""
        elif isinstance(item, float) and item.is_integer():
            out[i] = str(int(item))
        else:
            out[i] = str(item).strip()
    return out


def choices(name: str, value: Any, allowed: tuple[str, ...], *, allow_blank: bool = False) -> np.ndarray:
    """``value`` as labels from ``allowed``, matched ignoring case and spacing.

    >>> choices("segment", ["smb", "Mid market"], ("SMB", "Mid-market", "Enterprise"))
    array(['SMB', 'Mid-market'], dtype=object)
    """
    lookup = {normalize_key(a): a for a in allowed}
    raw = texts(name, value, allow_blank=allow_blank)
    keys = [normalize_key(t) for t in raw]
    out = np.array([lookup.get(k, "" if k == "" else None) for k in keys], dtype=object)
    unknown = np.array([o is None for o in out], dtype=bool)
    if unknown.any():
        i = int(np.argmax(unknown))
        raise fail(name, "one of " + ", ".join(allowed), raw[i], i if len(raw) > 1 else None)
    return out


def flags(name: str, value: Any) -> np.ndarray:
    """``value`` as a 1-D bool array: TRUE/FALSE, 1/0, yes/no; blank is FALSE."""
    items = list(_column(name, value))
    out = np.zeros(len(items), dtype=bool)
    for i, item in enumerate(items):
        parsed = parse_flag(item)
        if parsed is None:
            raise fail(name, "TRUE or FALSE", item, i if len(items) > 1 else None)
        out[i] = parsed
    return out


def parse_flag(item: Any) -> bool | None:
    """TRUE/FALSE as Excel and CSV exports write it; None when it is not a flag."""
    if isinstance(item, (bool, np.bool_)):
        return bool(item)
    if is_blank(item):
        return False
    if isinstance(item, _numbers.Real):
        return bool(item) if item in (0, 1) else None
    if isinstance(item, str):
        word = item.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


# --------------------------------------------------------------------------- tables


_KEY_SEPARATORS = re.compile(r"[\W_]+")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:%|[kKmM])?$")


def normalize_key(text: Any) -> str:
    """Header/label key (SPEC §2): case-insensitive; spaces, line breaks, non-breaking
    spaces, tabs, dashes, underscores and other punctuation all alike.

    The one header matching of upcell: table arguments and the file importer both use it.

    >>> normalize_key(" Seat-Utilization "), normalize_key("Pricing Page\\nVisits (30d)")
    ('seat_utilization', 'pricing_page_visits_30d')
    """
    return _KEY_SEPARATORS.sub("_", str(text).lower()).strip("_")


def _copy_on_write() -> bool:
    """pandas copies a shared column before anything writes to it (always from pandas 3)."""
    return int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def table(name: str, value: Any, headers: Any = None) -> pd.DataFrame:
    """A table argument as a DataFrame with normalized column names.

    ``value`` is a DataFrame, or a 2-D range whose first row is the header; with
    ``headers`` (one row of names) every row of ``value`` is data. Columns keep their
    raw cell values (coercion is the caller's, so a bad cell can be reported per row).

    >>> table("accounts", [["Account ID", "ARR"], ["a1", 1000]]).columns.tolist()
    ['account_id', 'arr']
    """
    if isinstance(value, pd.DataFrame):
        # the caller's columns are never written to: with copy-on-write (pandas 3) a shallow
        # copy is enough, and a table of millions of rows is not copied before it is read
        frame = value.copy(deep=not _copy_on_write())
        if headers is not None:
            frame.columns = _header_row(name, headers, frame.shape[1])
    else:
        rows = _rows(name, value)
        if headers is not None:
            body = rows
            head = _header_row(name, headers, len(rows[0]) if rows else 0)
        else:
            if not rows:
                raise InputError(f"{name}: expected a table with a header row, got nothing")
            head, body = rows[0], rows[1:]
            for i, h in enumerate(head):
                if is_blank(h) or is_excel_error(h):
                    raise fail(name, "a header name in every column of row 1", h, i)
        frame = pd.DataFrame(body, columns=[str(h) for h in head], dtype=object)
    keys = [normalize_key(c) for c in frame.columns]
    seen: dict[str, int] = {}
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            raise InputError(f"{name}: column '{key}' appears twice in the header")
    frame.columns = keys
    frame.index = pd.RangeIndex(len(frame))
    return frame


def _rows(name: str, value: Any) -> list[list]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]  # xlwings passes a single row as a flat list
    rows = [list(r) for r in value]
    width = {len(r) for r in rows}
    if len(width) > 1:
        raise InputError(f"{name}: expected a rectangular range, got rows of different lengths")
    return rows


def _header_row(name: str, headers: Any, width: int) -> list[str]:
    head = [str(h) for h in texts("headers", headers)]
    if width and len(head) != width:
        raise InputError(
            f"headers: expected {width} names (one per column of {name}), got {len(head)}"
        )
    return head


# --------------------------------------------------------------------------- results


def shaped(result: np.ndarray, like: Any, *, name: str | None = None):
    """Return ``result`` in the shape of the input ``like``.

    One cell in, one value out; a Series in, a Series (same index) out; otherwise a
    1-D numpy array. Excel wrappers turn arrays into columns with :func:`to_excel`.
    """
    if is_scalar(like) and len(result) == 1:
        return to_python(result[0])
    if isinstance(like, pd.Series):
        return pd.Series(result, index=like.index, name=name or like.name)
    if isinstance(like, pd.DataFrame):
        return pd.Series(result, index=like.index, name=name)
    return result


def to_python(value: Any) -> Any:
    """A numpy scalar as a plain Python value; NaN/NaT/None as None (a blank cell)."""
    if is_blank(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def to_excel(result: Any) -> Any:
    """A plain function's result as xlwings should write it: values, a column or a table.

    Arrays and Series spill as one column; a DataFrame spills with its header row;
    NaN becomes a blank cell (never ``#NUM!``).
    """
    if isinstance(result, pd.DataFrame):
        body = result.astype(object).where(result.notna(), None).to_numpy().tolist()
        return [list(map(str, result.columns))] + [[to_python(v) for v in row] for row in body]
    if isinstance(result, (pd.Series, np.ndarray, list, tuple)):
        values = result.tolist() if hasattr(result, "tolist") else list(result)
        return [[to_python(v)] for v in values]
    return to_python(result)


def coerce_numeric(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column of raw cells as floats, vectorized; returns ``(values, bad)``.

    Blanks become NaN (no signal); text that is not a number, Excel errors, booleans
    and infinities become NaN with ``bad`` set, so the caller can name the row.

    >>> coerce_numeric(pd.Series([0.9, None, "n/a", "85%"]))
    (array([0.9 ,  nan,  nan, 0.85]), array([False, False,  True, False]))
    """
    if values.dtype.kind in "iuf":
        out = values.to_numpy(dtype=float, na_value=np.nan, copy=True)
        bad = np.isinf(out)
        out[bad] = np.nan
        return out, bad
    raw = values.astype(object)
    blank = raw.map(is_blank).to_numpy(dtype=bool)
    is_bool = raw.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    out = np.array(
        pd.to_numeric(raw.where(~is_bool, None), errors="coerce"), dtype=float, copy=True
    )
    retry = np.isnan(out) & ~blank & ~is_bool
    if retry.any():  # typed text such as '92%' or '$1,200': rare, so per item is fine
        out[retry] = [
            np.nan if (p := (parse_number(v) if isinstance(v, str) else None)) is None else p
            for v in raw.to_numpy()[retry]
        ]
    bad = (np.isnan(out) & ~blank) | np.isinf(out)
    out[np.isinf(out)] = np.nan
    return out, bad


def empty_texts(n: int) -> np.ndarray:
    """``n`` empty texts as an object array of its own (np.full fills objects 4x slower).

    >>> empty_texts(2).tolist()
    ['', '']
    """
    out = np.empty(n, dtype=object)
    out.fill("")
    return out


def labels(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` as an object array of its own, code -1 reading '' (pandas' take: about
    twice as fast as numpy's indexing of an object array by a million codes).

    >>> labels(np.array(["a", "b"], dtype=object), np.array([1, -1, 0], dtype=np.int8)).tolist()
    ['b', '', 'a']
    """
    return pd.api.extensions.take(np.asarray(table, dtype=object), np.asarray(codes, dtype=np.intp),
                                  allow_fill=True, fill_value="")


def num_text(v: float) -> str:
    """A count or amount as the reasons show it: '1,200', '2.5'."""
    v = float(v)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- helpers
# (revenue, simulation and backtest functions share these: one definition)


def broadcast(*named: tuple[str, np.ndarray, Any]) -> tuple[list[np.ndarray], Any]:
    """Align coerced 1-D arrays ``(name, array, raw input)`` of length 1 or n.

    Returns the arrays, each of length n, and the raw input the result should be shaped
    like (the first column given, else the first argument). A length that is neither 1
    nor n raises a ``ValueError`` naming the argument.
    """
    n = max(len(a) for _, a, _ in named)
    for name, a, _ in named:
        if len(a) == 0:
            raise InputError(f"{name}: expected at least one value, got an empty range")
    like = next(
        (raw for _, a, raw in named if not is_scalar(raw) and len(a) == n), named[0][2]
    )
    out = []
    for name, a, _ in named:
        if len(a) == n:
            out.append(a)
        elif len(a) == 1:
            out.append(np.full(n, a[0], dtype=a.dtype))
        else:
            raise InputError(
                f"{name}: expected one value or {n} values (one per row), got {len(a)}"
            )
    return out, like


def omitted(value: Any) -> bool:
    """An optional argument left out: None or an empty cell (NaN is bad input, not omitted)."""
    return value is None or (isinstance(value, str) and value.strip() == "")


def reject(name: str, values: np.ndarray, bad: np.ndarray, expected: str) -> np.ndarray:
    """``values``, unless ``bad`` holds somewhere: then the one-line error naming the first."""
    if bad.any():
        i = int(np.argmax(bad))
        raise fail(name, expected, float(values[i]), i if values.size > 1 else None)
    return values


def finite(name: str, result: np.ndarray, what: str) -> np.ndarray:
    """``result``, unless a value overflowed (inf): then the one-line error naming ``name``.

    ``what`` says what was expected of ``name``, e.g. "amounts small enough to add up".
    """
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(np.asarray(result, dtype=float)) & ~np.isnan(np.asarray(result, dtype=float))
    if bad.any():
        i = int(np.argmax(bad.ravel()))
        where = f" (item {i + 1})" if np.size(result) > 1 else ""
        raise InputError(f"{name}: expected {what}, got a result too large for a number{where}")
    return result


def positive(name: str, values: np.ndarray) -> np.ndarray:
    """Reject zeros in an already non-negative array (a divisor: target, starting ARR)."""
    return reject(name, values, values <= 0, "a number above 0")
