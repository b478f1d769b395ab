"""Numbers typed as text, read vectorized: decimal marks, grouping, currencies, percents.

A file writes its numbers one way: ``12,500.00`` / ``0.92`` (decimal point) or
``12.500,00`` / ``0,92`` (decimal comma). :func:`detect_decimal` decides from the cells
that can only be read one way; a cell such as ``1,234`` in a file that shows neither is
*ambiguous* (1234 or 1.234) and :func:`parse_numbers` marks it so the report names it.

>>> values, bad, ambiguous = parse_numbers(pd.Series(["12.500,00", "0,92", "USD 1.000", "n/a"]), ",")
>>> values.tolist(), bad.tolist()
([12500.0, 0.92, 1000.0, nan], [False, False, False, True])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# A currency code or sign before or after the amount, and spacing inside it.
_CURRENCY = (r"(?:US\$|[$€£¥₹]|kr|(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|HUF|INR|"
             r"CNY|HKD|SGD|BRL|MXN|ZAR)(?![A-Za-z]))")
_SPACES = "[\u00a0\u202f\u2009 ']"  # NBSP, narrow NBSP, thin space, space, Swiss apostrophe
_STRIP = rf"^\s*{_CURRENCY}?\s*|\s*{_CURRENCY}?\s*$"

_POINT = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?$|^[+-]?\.\d+(?:[eE][+-]?\d+)?$"
_COMMA = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?(?:[eE][+-]?\d+)?$|^[+-]?,\d+$"
# Cells that can only be read one way.
_ONLY_POINT = r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$|^[+-]?\d+\.(?:\d{1,2}|\d{4,})$|^[+-]?0\.\d+$|^[+-]?\d{1,3}(?:,\d{3}){2,}$"
_ONLY_COMMA = r"^[+-]?\d{1,3}(?:\.\d{3})+,\d+$|^[+-]?\d+,(?:\d{1,2}|\d{4,})$|^[+-]?0,\d+$|^[+-]?\d{1,3}(?:\.\d{3}){2,}$"
# A grouped integer with one separator: 1,234 or 1.234.
_AMBIGUOUS_COMMA = r"^[+-]?[1-9]\d{0,2},\d{3}$"
_AMBIGUOUS_POINT = r"^[+-]?[1-9]\d{0,2}\.\d{3}$"


def _clean(text: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Text without currency and spacing; (text, scale, negative-in-parentheses)."""
    s = text.str.strip()
    neg = s.str.match(r"^\(.*\)$").to_numpy(dtype=bool)
    s = s.where(~neg, s.str.slice(1, -1))
    s = s.str.replace(_STRIP, "", regex=True)
    s = s.str.replace(_SPACES, "", regex=True)
    scale = np.ones(len(s))
    pct = s.str.endswith("%").to_numpy(dtype=bool)
    scale[pct] = 0.01
    s = s.where(~pct, s.str.slice(0, -1))
    suffix = s.str.slice(-1).str.upper()
    k = (suffix == "K").to_numpy(dtype=bool) & (s.str.len() > 1).to_numpy(dtype=bool)
    m = (suffix == "M").to_numpy(dtype=bool) & (s.str.len() > 1).to_numpy(dtype=bool)
    scale[k], scale[m] = 1e3, 1e6
    s = s.where(~(k | m), s.str.slice(0, -1))
    s = s.str.replace(_STRIP, "", regex=True)  # '$5K', '45.000 €'
    return s, scale, neg


def detect_decimal(texts: pd.Series) -> tuple[str | None, int, int]:
    """The decimal mark the text cells show: ``'.'``, ``','`` or None (no evidence, or both).

    Returns (mark, cells only readable with a point, cells only readable with a comma).

    >>> detect_decimal(pd.Series(["0,92", "12.500,00", "3"]))
    (',', 0, 2)
    """
    if texts.empty:
        return None, 0, 0
    counts = _text(texts).value_counts(sort=False)  # each text once, with how many cells show it
    s, n = pd.Series(counts.index, dtype=object), counts.to_numpy(dtype=np.int64)
    has_comma = s.str.contains(",", regex=False).to_numpy(dtype=bool)
    # cells without a comma: a plain number with a point is point evidence unless it
    # could be a grouped integer (1.234)
    rest, n_rest = s[~has_comma], n[~has_comma]
    dotted = (rest.str.contains(".", regex=False).to_numpy(dtype=bool)
              & pd.to_numeric(rest, errors="coerce").notna().to_numpy())
    point = int(n_rest[dotted].sum())
    if point:
        point -= int(n_rest[dotted][rest[dotted].str.match(_AMBIGUOUS_POINT).to_numpy(dtype=bool)].sum())
    comma = 0
    if has_comma.any():
        c, _, _ = _clean(s[has_comma])
        n_comma = n[has_comma]
        point += int(n_comma[c.str.match(_ONLY_POINT).to_numpy(dtype=bool)].sum())
        comma = int(n_comma[c.str.match(_ONLY_COMMA).to_numpy(dtype=bool)].sum())
    if point and not comma:
        return ".", point, comma
    if comma and not point:
        return ",", point, comma
    if point or comma:  # mixed: the majority, and the report says so
        return ("," if comma > point else "."), point, comma
    return None, 0, 0


def _text(texts: pd.Series) -> pd.Series:
    """Cells as an object Series of str ('' for blank), without pandas' str dtype."""
    a = texts.to_numpy(dtype=object, na_value="") if hasattr(texts, "to_numpy") else np.asarray(texts, dtype=object)
    a = np.where(pd.isna(a), "", a)
    if len(a) and pd.api.types.infer_dtype(a, skipna=False) != "string":
        a = _STR(a)
    return pd.Series(a, dtype=object)


_STR = np.frompyfunc(lambda v: v if v.__class__ is str else str(v), 1, 1)


def parse_numbers(texts: pd.Series, decimal: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text cells as floats: (values, bad, ambiguous); blank text is NaN and not bad.

    ``decimal``: ``'.'``, ``','`` or None (undetermined: read as a point, and a grouped
    integer such as ``1,234`` is marked ambiguous).
    """
    n = len(texts)
    values = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    if n == 0:
        return values, bad, ambiguous
    text = _text(texts)
    blank = text.str.strip().eq("").to_numpy(dtype=bool)
    s, scale, neg = _clean(text)
    if decimal == ",":
        ok = s.str.match(_COMMA).to_numpy(dtype=bool)
        plain = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        ok = s.str.match(_POINT).to_numpy(dtype=bool)
        plain = s.str.replace(",", "", regex=False)
        if decimal is None:  # '$1,200' and '£1,200' write the US/UK way
            dollar = text.str.match(r"^\s*\(?\s*(?:US\$|\$|£|USD|GBP)").to_numpy(dtype=bool)
            ambiguous = s.str.match(_AMBIGUOUS_COMMA).to_numpy(dtype=bool) & ~dollar
    parsed = pd.to_numeric(plain.where(ok, None), errors="coerce").to_numpy(dtype=float)
    parsed = parsed * scale
    parsed[neg] = -parsed[neg]
    good = ok & np.isfinite(parsed)
    values[good] = parsed[good]
    bad = ~good & ~blank
    return values, bad, ambiguous & good
