"""Plays: expected increase, close rate, owner and due date of a motion's play (SPEC §4).

The compiled :class:`Plays` holds the Plays table as arrays indexed by motion; every
function here is vectorized over a column of motions.

>>> expected_expansion("Tier upgrade", 50_000), close_rate("Seat expansion")
(20000.0, 0.5)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ..core.playbook import MOTIONS, SEGMENTS
from . import _accounts

__all__ = ["seat_utilization", "expansion_owner", "expected_expansion", "close_rate", "play_due_date"]

MOTION_LIST = ", ".join(MOTIONS)
_SEGMENT_ALIASES = {
    "smb": "SMB", "small_business": "SMB", "small": "SMB",
    "mid_market": "Mid-market", "midmarket": "Mid-market", "mid": "Mid-market", "mm": "Mid-market",
    "enterprise": "Enterprise", "ent": "Enterprise",
}


@dataclass(frozen=True)
class Plays:
    share: np.ndarray  # (5,) expected ARR increase as a share of account ARR
    close: np.ndarray  # (5,)
    owner: tuple[str, ...]
    owner_above: tuple[str, ...]
    threshold: np.ndarray  # (5,) NaN = one owner
    basis: tuple[str, ...]  # 'arr' / 'increase' / ''
    cycle: np.ndarray  # (5, 4): SMB, Mid-market, Enterprise, other
    cooldown: np.ndarray  # (5,) days a lost opportunity of the motion holds the play back
    close_basis: tuple[str, ...]  # where close_rate comes from: 'assumed', 'measured', ...
    share_basis: tuple[str, ...]  # where arr_increase_share comes from


def compile_plays(plays: Any) -> Plays:
    t = playbook.plays_table(plays)
    cycle = np.empty((len(MOTIONS), len(SEGMENTS) + 1))
    for j, col in enumerate(("cycle_days_smb", "cycle_days_mid_market", "cycle_days_enterprise")):
        cycle[:, j] = t[col].to_numpy(dtype=float)
    cycle[:, 3] = t["cycle_days"].to_numpy(dtype=float)
    cycle[:, :3] = np.where(np.isnan(cycle[:, :3]), cycle[:, 3:4], cycle[:, :3])
    above = [a if a else o for a, o in zip(t["owner_above"], t["owner"], strict=True)]
    return Plays(
        share=t["arr_increase_share"].to_numpy(dtype=float),
        close=t["close_rate"].to_numpy(dtype=float),
        owner=tuple(t["owner"]),
        owner_above=tuple(above),
        threshold=t["owner_threshold"].to_numpy(dtype=float),
        basis=tuple(b or "" for b in t["owner_basis"]),
        cycle=cycle,
        cooldown=t["cooldown_days"].to_numpy(dtype=float),
        close_basis=tuple(t["close_rate_basis"]),
        share_basis=tuple(t["arr_increase_share_basis"]),
    )


@lru_cache(maxsize=1)
def _default_plays() -> Plays:
    return compile_plays(None)


def play_set(table: Any = None) -> Plays:
    if isinstance(table, Plays):
        return table
    return _default_plays() if table is None else compile_plays(table)


# =========================================================================== labels


def factorize(name: str, items: Any, expected: str) -> tuple[np.ndarray, list]:
    """Labels as codes into their distinct values (one hash pass); NA gives -1."""
    if isinstance(items, np.ndarray):
        array = items.astype(object, copy=False).ravel()
    else:
        array = np.fromiter(items, dtype=object, count=len(items))  # nested lists stay cells
    try:
        codes, cats = pd.factorize(array, use_na_sentinel=True)
    except TypeError:  # an unhashable cell (a dict, a list): not a label
        i = next(k for k, v in enumerate(array) if not isinstance(v, (str, int, float, type(None))))
        raise _args.fail(name, expected, array[i], i if len(array) > 1 else None) from None
    return codes, list(cats)


def motion_codes(name: str, value: Any) -> np.ndarray:
    """Motion labels as indices into MOTIONS (-1 for a blank); unknown text raises."""
    if isinstance(value, pd.Series) and isinstance(value.dtype, pd.CategoricalDtype):
        cats, codes = list(value.cat.categories), value.cat.codes.to_numpy()
    else:
        codes, cats = factorize(name, _args._column(name, value), "one of " + MOTION_LIST)
    lookup = {_args.normalize_key(m): k for k, m in enumerate(MOTIONS)}
    table = np.empty(len(cats) + 1, dtype=np.int64)
    table[-1] = -1  # pandas' NA sentinel (None, NaN)
    for k, cat in enumerate(cats):
        if _args.is_blank(cat):
            table[k] = -1
            continue
        code = lookup.get(_args.normalize_key(cat)) if isinstance(cat, str) and not _args.is_excel_error(cat) else None
        if code is None:
            position = int(np.argmax(codes == k)) if len(codes) > 1 else None
            raise _args.fail(name, "one of " + MOTION_LIST, cat, position)
        table[k] = code
    return table[codes]


def segment_codes(raw: Any, notes: dict | None = None, first_row: int = 2,
                  strict_name: str | None = None) -> np.ndarray:
    """Segments as 0/1/2 (SMB, Mid-market, Enterprise) and 3 for blank or unknown."""
    if _accounts.is_text(raw):
        codes, cats = pd.factorize(raw, use_na_sentinel=True)
        cats = list(cats)
    else:
        items = np.asarray(raw.to_numpy() if hasattr(raw, "to_numpy") else raw, dtype=object).ravel()
        codes, cats = factorize(strict_name or "segment", items, "one of " + ", ".join(SEGMENTS))
    table = np.full(len(cats) + 1, 3, dtype=np.int64)
    for k, cat in enumerate(cats):
        if _args.is_blank(cat):
            continue
        seg = _SEGMENT_ALIASES.get(_args.normalize_key(cat)) if isinstance(cat, str) and not _args.is_excel_error(cat) else None
        if seg is None:
            if strict_name is not None:
                position = int(np.argmax(codes == k)) if len(codes) > 1 else None
                raise _args.fail(strict_name, "one of " + ", ".join(SEGMENTS), cat, position)
            if notes is not None:
                for i in np.flatnonzero(codes == k):
                    notes.setdefault(int(i), []).append(
                        f"row {int(i) + first_row}: segment {_args.describe(cat)} is not one of "
                        f"{', '.join(SEGMENTS)} (default cycle used)"
                    )
            continue
        table[k] = SEGMENTS.index(seg)
    return table[codes]


# =========================================================================== amounts, owners


def amounts(name: str, value: Any, *, what: str = "a non-negative number") -> np.ndarray:
    """Money/number argument as floats; blanks NaN (checked against motions by the caller)."""
    column = value.to_numpy() if isinstance(value, pd.Series) else value
    if isinstance(column, np.ndarray) and column.ndim == 1 and column.dtype.kind == "f" and column.size:
        # a float column is used as it is when two reductions prove it clean (no copy)
        low, high = np.fmin.reduce(column), np.fmax.reduce(column)
        if not (np.isinf(low) or np.isinf(high) or low < 0):
            return column
    return _args.numbers(name, value, minimum=0, allow_blank=True, what=what)


def broadcast(*named: tuple[str, np.ndarray]) -> tuple[int, list[np.ndarray]]:
    n = max(len(a) for _, a in named)
    out = []
    for arg, a in named:
        if len(a) == n:
            out.append(a)
        elif len(a) == 1:
            out.append(np.repeat(a, n))
        else:
            raise _args.InputError(f"{arg}: expected {n} values (one per row of {named[0][0]}), got {len(a)}")
    return n, out


def require(name: str, values: np.ndarray, needed: np.ndarray, raw: Any, what: str) -> None:
    """A blank where a motion needs a number: the one-line ValueError of SPEC §8."""
    if values.dtype.kind != "f" or not np.isnan(np.minimum.reduce(values, initial=np.inf)):
        return  # no blank at all (NaN propagates through the minimum)
    missing = np.isnan(values) & needed
    if missing.any():
        i = int(np.argmax(missing))
        items = list(_args.flat(raw))
        item = items[i] if i < len(items) else items[0]
        raise _args.fail(name, what, item, i if len(values) > 1 else None)


def like(*inputs: Any) -> Any:
    for x in inputs:
        if not _args.is_scalar(x):
            return x
    return inputs[0]


def play_values(codes: np.ndarray, arr: np.ndarray, share: np.ndarray, close: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected ARR increase, close rate, expected value) per row: ARR × the motion's share,
    its close rate and their product, 0 where the ARR is unknown; NaN, NaN and 0 on rows
    without a play (code -1). Only the play rows are computed.

    >>> play_values(np.array([0, -1]), np.array([1000.0, 5.0]), np.array([0.5]), np.array([0.2]))
    (array([500.,  nan]), array([0.2, nan]), array([100.,   0.]))
    """
    rows = np.flatnonzero(codes >= 0)
    code = codes[rows]
    increase, rate, expected = np.full(len(codes), np.nan), np.full(len(codes), np.nan), np.zeros(len(codes))
    increase[rows] = gained = arr[rows] * share[code]
    rate[rows] = close[code]
    expected[rows] = np.where(np.isnan(gained), 0.0, gained * close[code])
    return increase, rate, expected


def owner_codes(codes: np.ndarray, increase: np.ndarray, arr: np.ndarray,
                p: Plays) -> tuple[np.ndarray, list[str]]:
    """Owner per row as codes into a label list (last label '' = no owner, as on rows
    without a play: code -1); only the play rows are looked at."""
    labels = list(dict.fromkeys([*p.owner, *p.owner_above]))
    blank = len(labels)
    labels.append("")
    below = np.array([labels.index(o) for o in p.owner], dtype=np.int8)
    above = np.array([labels.index(o) for o in p.owner_above], dtype=np.int8)
    by_arr = np.array([b == "arr" for b in p.basis])
    out = np.full(len(codes), blank, dtype=np.int8)
    rows = np.flatnonzero(codes >= 0)
    code = codes[rows]
    amount = np.where(by_arr[code], arr[rows], increase[rows])
    with np.errstate(invalid="ignore"):
        owner = np.where(amount >= p.threshold[code], above[code], below[code])
    owner[np.isnan(amount) & ~np.isnan(p.threshold[code])] = blank  # the amount that decides is blank
    out[rows] = owner
    return out, labels


# =========================================================================== plain functions


def seat_utilization(seats_active: Any, seats_licensed: Any):
    """Active seats / licensed seats (a fraction; above 1 when over-deployed).

    >>> seat_utilization(46, 50)
    0.92
    """
    active = _args.numbers("seats_active", seats_active, minimum=0, allow_blank=True)
    licensed = _args.numbers("seats_licensed", seats_licensed, minimum=0, allow_blank=True)
    n, (active, licensed) = broadcast(("seats_active", active), ("seats_licensed", licensed))
    both_blank = np.isnan(active) & np.isnan(licensed)
    require("seats_active", active, ~both_blank, seats_active, "a non-negative number")
    require("seats_licensed", licensed, ~both_blank, seats_licensed, "a non-negative number")
    zero = (licensed == 0) & ~both_blank
    if zero.any():
        i = int(np.argmax(zero))
        raise _args.fail("seats_licensed", "a number > 0", 0, i if n > 1 else None)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = np.where(both_blank, np.nan, active / np.where(licensed > 0, licensed, 1.0))
    _args.finite("seats_licensed", result, "a number of seats that keeps active ÷ licensed finite")
    return _args.shaped(result, like(seats_active, seats_licensed))


def expected_expansion(motion: Any, account_arr: Any, plays: Any = None):
    """Expected ARR increase of a motion's play: account ARR × the play's increase share (§4).

    >>> expected_expansion("Tier upgrade", 50_000)
    20000.0
    """
    codes = motion_codes("motion", motion)
    arr = amounts("account_arr", account_arr)
    p = _plays_arg(plays)
    n, (codes, arr) = broadcast(("motion", codes), ("account_arr", arr))
    require("account_arr", arr, codes >= 0, account_arr, "a non-negative number")
    share = np.append(p.share, np.nan)[codes]  # code -1 (no motion) reads the NaN
    return _args.shaped(arr * share, like(motion, account_arr))


def close_rate(motion: Any, plays: Any = None):
    """Close rate of a motion's play (§4 default, or the ``plays`` table's).

    >>> close_rate("Seat expansion"), close_rate("Tier upgrade")
    (0.5, 0.325)
    """
    codes = motion_codes("motion", motion)
    p = _plays_arg(plays)
    return _args.shaped(np.append(p.close, np.nan)[codes], motion)  # -1 (no motion): NaN


def _plays_arg(table: Any) -> Plays:
    return play_set(table)


def expansion_owner(motion: Any, expected_arr_increase: Any, account_arr: Any = None, plays: Any = None):
    """Owner of a motion's play (§4): CSM, Expansion AE, Self-serve... by amount thresholds.

    Plays whose owner depends on the account's ARR (Seat expansion: ``arr ≥ 25,000``) use
    ``account_arr``; when it is omitted it is inferred as increase / the play's share.
    A blank motion (no rule fired) gives a blank owner.

    >>> expansion_owner("Tier upgrade", 12_000), expansion_owner("Seat expansion", 3_000, 30_000)
    ('Expansion AE', 'CSM + Expansion AE')
    """
    codes = motion_codes("motion", motion)
    p = _plays_arg(plays)
    increase = amounts("expected_arr_increase", expected_arr_increase)
    named = [("motion", codes), ("expected_arr_increase", increase)]
    if account_arr is not None:
        named.append(("account_arr", amounts("account_arr", account_arr)))
    n, arrays = broadcast(*named)
    codes, increase = arrays[0], arrays[1]
    known = codes >= 0
    require("expected_arr_increase", increase, known, expected_arr_increase, "a non-negative number")
    if account_arr is not None:
        arr = arrays[2]
        require("account_arr", arr, known, account_arr, "a non-negative number")
    else:
        share = np.append(p.share, np.nan)[codes]
        with np.errstate(divide="ignore", invalid="ignore"):
            arr = np.where(share > 0, increase / np.where(share > 0, share, 1.0), np.nan)
    owner, labels = owner_codes(codes, increase, arr, p)
    shape = like(motion, expected_arr_increase, account_arr)
    if isinstance(shape, (pd.Series, pd.DataFrame)):  # pandas in: a categorical Series out
        return pd.Series(pd.Categorical.from_codes(owner, labels), index=shape.index, name="owner")
    return _args.shaped(np.array(labels, dtype=object)[owner], shape)


def dates(name: str, value: Any) -> np.ndarray:
    """Dates as datetime64[D] (NaT for blanks): Excel serials, date/datetime/Timestamp, ISO text."""
    if isinstance(value, pd.Series) and pd.api.types.is_datetime64_any_dtype(value.dtype):
        out = value.to_numpy().astype("datetime64[D]")
    else:
        items = _args._column(name, value)
        if isinstance(items, np.ndarray) and items.dtype.kind == "M":
            out = items.astype("datetime64[D]")
        else:
            items = list(items)
            out = np.empty(len(items), dtype="datetime64[D]")
            for i, item in enumerate(items):
                out[i] = _accounts.one_date(name, item, i if len(items) > 1 else None)
            return out
    outside = ~np.isnat(out) & ((out < _accounts.EXCEL_FIRST) | (out > _accounts.EXCEL_LAST))
    if outside.any():
        i = int(np.argmax(outside))
        raise _args.fail(name, "a date from 1900-01-01 to 9999-12-31", str(out[i]), i if len(out) > 1 else None)
    return out


def renewal_due(cycle: np.ndarray, to_renewal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(paired with the renewal, due days): a renewal 0-120 days away pulls the due date to
    30 days before it, never past the play's cycle and never below 0 (§4)."""
    with np.errstate(invalid="ignore"):
        paired = (to_renewal >= 0) & (to_renewal <= playbook.RENEWAL_WINDOW_DAYS)
        due = np.where(paired, np.maximum(0, np.minimum(cycle, to_renewal - playbook.RENEWAL_LEAD_DAYS)), cycle)
    return paired, due


def play_due_date(motion: Any, trigger_date: Any, segment: Any = None, plays: Any = None,
                  renewal_date: Any = None):
    """Due date of a motion's play: trigger date + the play's target cycle for the segment (§4).

    With a ``renewal_date`` within 120 days of the trigger, the play is paired with the
    renewal: due = trigger + max(0, min(cycle, days to renewal − 30)). Dates are Excel
    serials, date/datetime/Timestamp or ISO text, from 1900-01-01 to 9999-12-31; the
    result is a ``datetime.date`` (an array of datetime64[D] for a column).

    >>> play_due_date("Tier upgrade", "2026-01-05", "Enterprise")
    datetime.date(2026, 3, 16)
    >>> play_due_date("Tier upgrade", "2026-01-05", "Enterprise", renewal_date="2026-02-20")
    datetime.date(2026, 1, 21)
    """
    codes = motion_codes("motion", motion)
    day = dates("trigger_date", trigger_date)
    p = _plays_arg(plays)
    named = [("motion", codes), ("trigger_date", day)]
    if segment is not None:
        seg_raw = _args._column("segment", segment)
        _args.texts("segment", seg_raw, allow_blank=True)  # Excel errors, non-text -> ValueError
        named.append(("segment", segment_codes(seg_raw, strict_name="segment")))
    if renewal_date is not None:
        named.append(("renewal_date", dates("renewal_date", renewal_date)))
    n, arrays = broadcast(*named)
    codes, day = arrays[0], arrays[1]
    seg = arrays[2] if segment is not None else np.full(n, 3)
    missing = np.isnat(day) & (codes >= 0)
    if missing.any():
        i = int(np.argmax(missing))
        raise _args.fail("trigger_date", "a date", None, i if n > 1 else None)
    cycle = np.where(codes >= 0, p.cycle[np.maximum(codes, 0), seg], 0)
    if renewal_date is not None:
        to_renewal = (arrays[-1] - day).astype(float)
        to_renewal[np.isnat(arrays[-1]) | np.isnat(day)] = np.nan
        cycle = renewal_due(cycle, to_renewal)[1]
    due = day + cycle.astype(np.int64).astype("timedelta64[D]")
    due[codes < 0] = np.datetime64("NaT")
    late = ~np.isnat(due) & (due > _accounts.EXCEL_LAST)
    if late.any():
        i = int(np.argmax(late))
        raise _args.fail("trigger_date", "a date whose play is due by 9999-12-31",
                         str(day[i]), i if n > 1 else None)
    shape = like(motion, trigger_date, segment, renewal_date)
    if _args.is_scalar(shape):
        return None if np.isnat(due[0]) else due[0].item()
    return _args.shaped(due, shape)


def as_of_day(as_of: Any) -> np.datetime64:
    """The scoring date: ``as_of`` (a date, Excel serial or ISO text) or today."""
    if as_of is None or (not isinstance(as_of, float) and _args.is_blank(as_of)):
        return np.datetime64(dt.date.today(), "D")
    if not _args.is_scalar(as_of):
        items = _args._column("as_of", as_of)
        if len(items) != 1:
            raise _args.InputError(f"as_of: expected a single date, got {len(items)} values")
        as_of = items[0]
    day = _accounts.one_date("as_of", as_of)
    if np.isnat(day):
        raise _args.fail("as_of", "a date", as_of)
    return day
