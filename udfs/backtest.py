"""Trigger backtests (SPEC §7): replay history to choose signal thresholds, without lookahead.

Definitions (SPEC §7), for an account-period panel, one signal, a threshold τ, a
persistence k ≥ 1 and a window w ≥ 1 (periods):

- the **condition holds** at (a, t) when the signal is ≥ τ in each of the k periods
  t−k+1 … t of account a, all present (a missing row or a blank signal is "not present");
- the trigger **fires** at (a, t) when the condition holds at t and did not hold at the
  period index t−1 (a missing t−1 did not hold; an account's first period neither);
- a fire is **true** when account a has an expansion in a period e with t < e ≤ t + w;
  false_positive_rate = false fires / fires;
- an expansion (a, e) is **covered** when a fire of account a lies in e−w ≤ t < e;
  coverage = covered / expansions; lead = e − t of the earliest such fire;
- the gate passes when coverage ≥ 0.40 and false_positive_rate < 0.50
  (``playbook.GATE_MIN_COVERAGE``, ``playbook.GATE_MAX_FALSE_POSITIVE_RATE``).

Empty cases, never an error or a warning: no fire → false_positive_rate blank (NaN);
no expansion → coverage blank; no covered expansion → median_lead blank; a blank
metric never passes the gate.

One pass for every threshold. Per row, m_t = min of the signal over the k-window
(−inf unless all k periods are present) and p_t = m_{t−1} (−inf when t−1 is absent).
The trigger fires at (a, t) exactly for τ in the interval (p_t, m_t], so fires and true
fires at every threshold are interval-stabbing counts (difference arrays over the sorted
thresholds). An expansion is covered for τ in the union of the intervals of its w
preceding periods; its lead is ≥ j for τ in the union over lags j…w, so w small unions
per expansion give coverage and the exact lead distribution (hence the median) at every
threshold. Cost: O((rows + thresholds) · log + expansions · w²), independent of the
number of thresholds times rows.

Public API (plain Python; ``panel`` = DataFrame or range with header; ``signal`` = a panel
column or a rule name; k = ``persistence``, w = ``window``):

- ``trigger_fires(signal_values, threshold, persistence=1)`` → bool per period (shape in
  = shape out); ``TRIGGER_FIRES`` in Excel.
- ``trigger_backtest(account_ids, periods, signal_values, expansion_flags, thresholds,
  persistence=1, window=3)`` → DataFrame ``BACKTEST_COLUMNS``; ``TRIGGER_BACKTEST``.
- ``backtest_curve(panel, signal, thresholds=None, persistence, window, *, motion, rules)``
  → DataFrame ``CURVE_COLUMNS`` over every distinct threshold.
- ``backtest_single(...)`` → dict for one threshold; ``lead_times(...)`` → one row per
  expansion with its lead.
- ``motion_backtests(panel, rules, persistence, window)``,
  ``recommend_thresholds(panel, rules, persistence, window, *, plays, false_play_cost)``
  → one row per rule; ``recommend_threshold(panel, signal, ...)`` → dict.
- ``walk_forward(panel, signal, splits, ...)`` → one row per split (no lookahead).
- ``bootstrap_curve(panel, signal, thresholds, ..., resamples=200, seed=0, level=0.9)``.
- ``rule_indicators``, ``calibrate_points``, ``compare_points`` (learned rule points).

>>> r = trigger_backtest(["a"] * 6, [1, 2, 3, 4, 5, 6], [0.5, 0.95, 0.5, 0.5, 0.95, 0.5],
...                      [0, 0, 1, 0, 0, 0], [0.9])
>>> r.iloc[0].to_dict()
{'threshold': 0.9, 'fires': 2, 'true_fires': 1, 'false_positive_rate': 0.5, 'coverage': 1.0, 'median_lead': 1.0, 'passes_gate': False}
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xlwings as xw

from . import _args, playbook
from .pipeline import omitted

__all__ = [
    "DEFAULT_PERSISTENCE", "DEFAULT_WINDOW", "DEFAULT_FALSE_PLAY_COST",
    "BACKTEST_COLUMNS", "CURVE_COLUMNS",
    "trigger_fires", "trigger_backtest",
    "backtest_curve", "backtest_single", "lead_times",
    "motion_backtests", "recommend_threshold", "recommend_thresholds",
    "walk_forward", "bootstrap_curve",
    "rule_indicators", "calibrate_points", "compare_points",
    "TRIGGER_FIRES", "TRIGGER_BACKTEST",
]

DEFAULT_PERSISTENCE = 1
DEFAULT_WINDOW = 3  # periods (a quarter of monthly periods)
DEFAULT_FALSE_PLAY_COST = 1000.0  # $ of CSM/AE time spent on a play that does not close

BACKTEST_COLUMNS = (
    "threshold", "fires", "true_fires", "false_positive_rate", "coverage", "median_lead",
    "passes_gate",
)
CURVE_COLUMNS = (
    "threshold", "fires", "true_fires", "false_fires", "false_positive_rate", "expansions",
    "covered", "coverage", "median_lead", "passes_gate",
)

_INF = math.inf


# =========================================================================== engine


class _Panel(NamedTuple):
    """A panel sorted by (account, period): the engine's only input."""

    acc: np.ndarray  # int64 account codes
    per: np.ndarray  # int64 periods
    key: np.ndarray  # int64 acc * stride + (per - pmin): sorted, unique
    order: np.ndarray  # position of each sorted row in the caller's rows
    n_acc: int
    w: int  # window the keys were padded for


def _prepare(codes: np.ndarray, periods: np.ndarray, w: int, labels=None, where=None) -> _Panel:
    codes = np.asarray(codes, dtype=np.int64)
    periods = np.asarray(periods, dtype=np.int64)
    n = codes.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Panel(empty, empty, empty, empty, 0, w)
    pmin = int(periods.min())
    stride = int(periods.max()) - pmin + w + 1
    raw_key = codes * stride + (periods - pmin)
    span = int(codes.max()) * stride + stride
    if n > 1 and bool((raw_key[1:] > raw_key[:-1]).all()):
        order = np.arange(n)  # already sorted by account and period
    elif span <= 4 * n:  # dense keys: counting sort, O(n)
        counts = np.bincount(raw_key, minlength=span)
        if counts.max() > 1:
            order = np.argsort(raw_key, kind="stable")  # repeated rows: reported below
        else:
            rank = (np.cumsum(counts) - counts)[raw_key]
            order = np.empty(n, dtype=np.int64)
            order[rank] = np.arange(n)
    else:
        order = np.argsort(raw_key)
    acc, per, key = codes[order], periods[order], raw_key[order]
    dup = np.flatnonzero(key[1:] == key[:-1])
    if dup.size:
        i, j = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
        who = labels[acc[dup[0]]] if labels is not None else acc[dup[0]]
        rows = f"{where(i)} and {where(j)}" if where else f"items {i + 1} and {j + 1}"
        raise _args.InputError(
            f"periods: expected one row per account and period, got account {who!r} "
            f"period {int(per[dup[0]])} twice ({rows})"
        )
    return _Panel(acc, per, key, order, int(acc.max()) + 1, w)


def _window_min(P: _Panel, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(m, p) per sorted row: k-window minimum (−inf unless all present) and m at t−1."""
    n = x.size
    if n == 0:
        return np.zeros(0), np.zeros(0)
    valid = ~np.isnan(x)
    consecutive = np.zeros(n, dtype=bool)
    consecutive[1:] = (P.acc[1:] == P.acc[:-1]) & (P.per[1:] == P.per[:-1] + 1)
    link = consecutive.copy()
    link[1:] &= valid[:-1]
    link &= valid
    idx = np.arange(n)
    start = np.maximum.accumulate(np.where(link, 0, idx))
    run = np.where(valid, idx - start + 1, 0)
    m = x.copy()
    for j in range(1, min(k, n)):
        np.fmin(m[j:], x[:-j], out=m[j:])
    m = np.where(run >= k, m, -_INF)
    p = np.full(n, -_INF)
    p[1:] = np.where(consecutive[1:], m[:-1], -_INF)
    return m, p


def _dense(P: _Panel) -> int:
    """Size of the key space when it is small enough for direct tables (else 0)."""
    if P.key.size == 0:
        return 0
    span = int(P.key[-1]) + P.w + 2
    return span if span <= 4 * P.key.size + 64 else 0


def _truth(P: _Panel, y: np.ndarray, w: int) -> np.ndarray:
    """Per sorted row: an expansion of the same account in (t, t + w] (w ≤ P.w)."""
    span = _dense(P)
    if span:  # prefix counts of expansions over the key space
        cum = np.zeros(span + 1, dtype=np.int64)
        np.cumsum(np.bincount(P.key[y], minlength=span), out=cum[1:])
        return (cum[P.key + w + 1] - cum[P.key + 1]) > 0
    ekeys = P.key[y]
    return (np.searchsorted(ekeys, P.key + w, "right") - np.searchsorted(ekeys, P.key, "right")) > 0


def _lag_rows(P: _Panel, rows: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """For sorted rows (a, e): the sorted row of (a, e − j) and whether it exists."""
    q = P.key[rows] - j
    pos = np.searchsorted(P.key, q, "left")
    pos = np.minimum(pos, P.key.size - 1)
    return pos, P.key[pos] == q


def _stab(lo, hi, thr, groups=None, n_groups=1, weights=None) -> np.ndarray:
    """How many intervals (lo, hi] contain each sorted threshold; per group when given."""
    keep = lo < hi
    t = thr.size
    a = np.searchsorted(thr, lo[keep], "right")
    b = np.searchsorted(thr, hi[keep], "right")
    wts = None if weights is None else weights[keep]
    if groups is None:
        d = np.bincount(a, wts, minlength=t + 1) - np.bincount(b, wts, minlength=t + 1)
        return np.cumsum(d)[:t]
    g = groups[keep] * (t + 1)
    size = n_groups * (t + 1)
    d = np.bincount(g + a, wts, minlength=size) - np.bincount(g + b, wts, minlength=size)
    return np.cumsum(d.reshape(n_groups, t + 1), axis=1)[:, :t]


def _union(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise union of intervals (lo, hi] (shape E × c) as ≤ c disjoint pieces per row."""
    lo = np.where(lo < hi, lo, _INF)
    hi = np.where(lo < hi, hi, _INF)
    o = np.argsort(lo, axis=1, kind="stable")
    lo, hi = np.take_along_axis(lo, o, 1), np.take_along_axis(hi, o, 1)
    cur_lo, cur_hi = lo[:, 0].copy(), hi[:, 0].copy()
    out_lo, out_hi = [], []
    for c in range(1, lo.shape[1]):
        nlo, nhi = lo[:, c], hi[:, c]
        present = nlo < _INF
        merge = present & (nlo <= cur_hi)
        new = present & ~merge
        out_lo.append(np.where(new, cur_lo, _INF))
        out_hi.append(np.where(new, cur_hi, _INF))
        cur_hi = np.where(merge, np.maximum(cur_hi, nhi), np.where(new, nhi, cur_hi))
        cur_lo = np.where(new, nlo, cur_lo)
    out_lo.append(cur_lo)
    out_hi.append(cur_hi)
    return np.stack(out_lo, axis=1), np.stack(out_hi, axis=1)


class _Counts(NamedTuple):
    fires: np.ndarray  # (G, T)
    true_fires: np.ndarray
    expansions: np.ndarray  # (G,)
    at_least: np.ndarray  # (w, G, T): expansions whose lead is ≥ j+1 (j = 0 … w−1)


def _counts(
    P: _Panel, m, p, truth, y, thr, w, *, fire_from=-_INF, fire_until=_INF,
    exp_from=-_INF, cover_from=-_INF, by_account=False,
) -> _Counts:
    """Interval counts at every sorted threshold ``thr`` (optionally per account).

    Fires at periods in [fire_from, fire_until] are counted (fires, true fires); expansions
    at periods ≥ exp_from are counted, covered only by fires at periods ≥ cover_from.
    """
    groups = P.acc if by_account else None
    g = P.n_acc if by_account else 1
    ok = (p < m) & (P.per >= fire_from) & (P.per <= fire_until)
    rows_f = np.flatnonzero(ok)
    lo, hi = p[rows_f], m[rows_f]
    grp = groups[rows_f] if by_account else None
    fires = _stab(lo, hi, thr, grp, g).reshape(g, thr.size)
    t = truth[rows_f]
    true_fires = _stab(lo[t], hi[t], thr, grp[t] if by_account else None, g).reshape(g, thr.size)
    rows = np.flatnonzero(y & (P.per >= exp_from))
    exp_groups = P.acc[rows] if by_account else np.zeros(rows.size, dtype=np.int64)
    expansions = np.bincount(exp_groups, minlength=g)
    lag_lo = np.full((rows.size, w), _INF)
    lag_hi = np.full((rows.size, w), _INF)
    for j in range(1, w + 1 if rows.size else 1):  # the fire interval of (a, e − j)
        pos, found = _lag_rows(P, rows, j)
        found &= P.per[pos] >= cover_from
        lag_lo[:, j - 1] = np.where(found, p[pos], _INF)
        lag_hi[:, j - 1] = np.where(found, m[pos], _INF)
    at_least = np.zeros((w, g, thr.size), dtype=np.int64)
    for j in range(1, w + 1):  # lead ≥ j  ⇔  a fire at one of the lags j … w
        ulo, uhi = _union(lag_lo[:, j - 1:], lag_hi[:, j - 1:])
        reps = ulo.shape[1]
        grp = np.repeat(exp_groups, reps) if by_account else None
        at_least[j - 1] = _stab(ulo.ravel(), uhi.ravel(), thr, grp, g).reshape(g, thr.size)
    return _Counts(fires, true_fires, expansions, at_least)


def _median_lead(at_least: np.ndarray) -> np.ndarray:
    """Median lead per threshold from the counts of leads ≥ j (last axis = thresholds)."""
    covered = at_least[0]
    w = at_least.shape[0]
    # cumulative count of leads ≤ j is covered − (leads ≥ j+1)
    le = np.stack([covered - (at_least[j] if j < w else 0) for j in range(1, w + 1)])
    r1 = (covered + 1) // 2
    r2 = covered // 2 + 1
    v1 = 1 + (le < r1).sum(axis=0)
    v2 = 1 + (le < r2).sum(axis=0)
    return np.where(covered > 0, (v1 + v2) / 2.0, np.nan)


def _ratio(num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _gate(fpr, coverage) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (
            ~np.isnan(fpr) & ~np.isnan(coverage)
            & (coverage >= playbook.GATE_MIN_COVERAGE)
            & (fpr < playbook.GATE_MAX_FALSE_POSITIVE_RATE)
        )


def _curve_frame(thr: np.ndarray, c: _Counts) -> pd.DataFrame:
    fires, true = c.fires[0], c.true_fires[0]
    covered = c.at_least[0, 0]
    exps = np.full(thr.size, int(c.expansions[0]))
    fpr = _ratio(fires - true, fires)
    coverage = _ratio(covered, exps)
    return pd.DataFrame({
        "threshold": thr.astype(float),
        "fires": fires.astype(np.int64),
        "true_fires": true.astype(np.int64),
        "false_fires": (fires - true).astype(np.int64),
        "false_positive_rate": fpr,
        "expansions": exps.astype(np.int64),
        "covered": covered.astype(np.int64),
        "coverage": coverage,
        "median_lead": _median_lead(c.at_least[:, 0, :]),
        "passes_gate": _gate(fpr, coverage),
    })


def _candidates(m: np.ndarray, p: np.ndarray, mask=None) -> np.ndarray:
    """Every distinct threshold at which some fire happens: the upper ends m of the intervals.

    Fire counts are constant on each (v_i, v_{i+1}] between consecutive candidates, so
    these values give every distinct backtest result (τ above the largest: no fire).
    """
    ok = p < m
    if mask is not None:
        ok &= mask
    return np.unique(m[ok])


# =========================================================================== coercion


def _bad(name: str, expected: str, value: Any, i: int, rows: bool, n: int) -> ValueError:
    if rows:
        return _args.InputError(f"{name}: expected {expected}, got {_args.describe(value)} (row {i + 2})")
    return _args.fail(name, expected, value, i if n > 1 else None)


def _reject(name: str, expected: str, s: pd.Series, bad: np.ndarray, rows: bool) -> None:
    """The one-line error for the first item (panel row) of ``s`` where ``bad`` holds, if any."""
    if bad.any():
        i = int(np.argmax(bad))
        raise _bad(name, expected, s.iloc[i], i, rows, len(s))


def _series(name: str, values: Any) -> pd.Series:
    """A column argument (Series, list, range) as a Series indexed 0 … n−1."""
    s = values if isinstance(values, pd.Series) else pd.Series(_args._column(name, values))
    return s.reset_index(drop=True)


def _codes(name: str, values: Any, rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Account ids → (int codes, labels); a blank or an Excel error names its item.

    Factorizes the raw values once, then checks and normalizes only the distinct ids
    (1,000,000 rows of 50,000 accounts cost one hash pass, not a million Python calls).
    """
    s = _series(name, values)
    n = len(s)
    raw = s.to_numpy()
    if raw.dtype.kind in "iub":
        codes, labels = pd.factorize(raw)
        return codes.astype(np.int64), np.asarray(labels, dtype=object)
    if raw.dtype.kind != "f":
        raw = s.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw)
    codes = codes.astype(np.int64)
    _reject(name, "an account id", s, codes < 0, rows)  # NaN / None
    labels = np.empty(len(uniques), dtype=object)
    for u, v in enumerate(np.asarray(uniques, dtype=object).tolist()):
        if (
            _args.is_blank(v) or _args.is_excel_error(v) or isinstance(v, (bool, np.bool_))
            or (isinstance(v, float) and not math.isfinite(v))
        ):
            i = int(np.argmax(codes == u))
            raise _bad(name, "an account id", s.iloc[i], i, rows, n)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        labels[u] = str(v).strip()
    merged, final = pd.factorize(labels)  # ' A1' and 'A1' are one account
    if len(final) != len(labels):
        codes = merged.astype(np.int64)[codes]
        labels = np.asarray(final, dtype=object)
    return codes, labels


def _whole(name: str, values: Any, rows: bool = False) -> np.ndarray:
    """Periods → int64; blanks, text and fractions name their item."""
    s = _series(name, values)
    n = len(s)
    if s.dtype.kind in "iu":
        return s.to_numpy(dtype=np.int64)
    if s.dtype.kind == "f":
        arr, badmask = s.to_numpy(dtype=float), np.zeros(n, dtype=bool)
    else:
        arr, badmask = _args.coerce_numeric(s.astype(object))
    with np.errstate(invalid="ignore"):
        bad = badmask | ~np.isfinite(arr) | (arr != np.round(arr))
    _reject(name, "a whole number (period index)", s, bad, rows)
    return arr.astype(np.int64)


def _signal(name: str, values: Any, rows: bool = False) -> np.ndarray:
    """Signal → float, blank → NaN (not present); text and errors name their item."""
    s = _series(name, values)
    if s.dtype.kind == "b":
        return s.to_numpy(dtype=float)
    if s.dtype.kind in "iuf":
        arr = s.to_numpy(dtype=float)
        bad = np.isinf(arr)
    else:
        obj = s.astype(object)
        is_bool = obj.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        arr, bad = _args.coerce_numeric(obj.where(~is_bool, None))
        arr[is_bool] = obj[is_bool].astype(float).to_numpy() if is_bool.any() else arr[is_bool]
        bad = bad & ~is_bool
    _reject(name, "a number (or a blank cell)", s, bad, rows)
    return arr


def _flags(name: str, values: Any, rows: bool = False) -> np.ndarray:
    """Expansion flags → bool: TRUE/FALSE, 1/0, yes/no; blank is no expansion."""
    s = _series(name, values)
    if s.dtype.kind == "b":
        return s.to_numpy(dtype=bool)
    if s.dtype.kind in "iuf":
        arr = s.to_numpy(dtype=float)
        arr = np.where(np.isnan(arr), 0.0, arr)
        _reject(name, "TRUE or FALSE (1 or 0)", s, (arr != 0) & (arr != 1), rows)
        return arr == 1
    out = np.zeros(len(s), dtype=bool)
    for i, v in enumerate(s.tolist()):
        parsed = _args.parse_flag(v)
        if parsed is None:
            raise _bad(name, "TRUE or FALSE (1 or 0)", v, i, rows, len(s))
        out[i] = parsed
    return out


def _count_arg(name: str, value: Any, default: int) -> int:
    if omitted(value):
        return default  # NaN is not "omitted": it is an error
    return _args.integer(name, value, minimum=1)


def _thresholds(name: str, value: Any) -> np.ndarray:
    return _args.numbers(name, value)


def _same_length(n: int, **columns: int) -> None:
    for name, size in columns.items():
        if size != n:
            raise _args.InputError(
                f"{name}: expected {n} values (one per account_ids item), got {size}"
            )


# =========================================================================== §8 functions


def trigger_fires(signal_values: Any, threshold: Any, persistence: Any = DEFAULT_PERSISTENCE):
    """TRUE in each period where the trigger fires (SPEC §7) for one account's series.

    ``signal_values`` are consecutive periods of one account, oldest first; a blank is a
    period without the signal (the condition cannot hold there). One fire per episode;
    the first period counts as "did not hold before".

    >>> trigger_fires([0.5, 0.95, 0.96, 0.4, None, 0.97], 0.9).tolist()
    [False, True, False, False, False, True]
    >>> trigger_fires([0.95, 0.96, 0.5, 0.97, 0.98], 0.9, persistence=2).tolist()
    [False, True, False, False, True]
    """
    x = _args.numbers("signal_values", signal_values, allow_blank=True)
    tau = _args.number("threshold", threshold)
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    n = x.size
    P = _prepare(np.zeros(n, dtype=np.int64), np.arange(n), 1)
    m, p = _window_min(P, x, k)
    fires = (m >= tau) & (p < tau)
    return _args.shaped(fires, signal_values, name="fires")


def trigger_backtest(
    account_ids: Any,
    periods: Any,
    signal_values: Any,
    expansion_flags: Any,
    thresholds: Any,
    persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW,
) -> pd.DataFrame:
    """Backtest a signal at each threshold (SPEC §7): one row per threshold, in the given order.

    Columns ``BACKTEST_COLUMNS``: threshold, fires, true_fires, false_positive_rate
    (NaN when no fire), coverage (NaN when no expansion), median_lead (periods; NaN when
    nothing is covered), passes_gate (coverage ≥ 0.40 and false_positive_rate < 0.50).
    Rows may come in any order and with gaps; ``periods`` are whole numbers; a blank
    signal is "not present"; a blank flag is no expansion. Defaults: persistence 1,
    window 3 periods.
    """
    codes, labels = _codes("account_ids", account_ids)
    per = _whole("periods", periods)
    x = _signal("signal_values", signal_values)
    y = _flags("expansion_flags", expansion_flags)
    _same_length(codes.size, periods=per.size, signal_values=x.size, expansion_flags=y.size)
    thr = _thresholds("thresholds", thresholds)
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    P = _prepare(codes, per, w, labels)
    xs, ys = x[P.order], y[P.order]
    curve = _run(P, xs, ys, np.unique(thr), k, w)
    out = curve.iloc[np.searchsorted(curve["threshold"].to_numpy(), thr)].reset_index(drop=True)
    return out[list(BACKTEST_COLUMNS)]


def _run(P: _Panel, xs, ys, thr_sorted, k, w, **window_args) -> pd.DataFrame:
    m, p = _window_min(P, xs, k)
    truth = _truth(P, ys, w)
    return _curve_frame(thr_sorted, _counts(P, m, p, truth, ys, thr_sorted, w, **window_args))


# =========================================================================== panels


class _Signal(NamedTuple):
    values: np.ndarray  # per sorted row, in the swept space (≥ τ holds)
    sign: float  # +1, or −1 when the rule's condition is '≤' / '<' (signal negated)
    motion: str | None  # the rule's motion (expansions counted), None for a raw column
    rule: str | None
    column: str
    op: str
    threshold: float | None  # the rule's current threshold, in the signal's own units
    current: float | None  # the same threshold in the swept space ('>' and '<' exact)


class _Data(NamedTuple):
    frame: pd.DataFrame
    P: _Panel
    labels: np.ndarray
    expansion: np.ndarray  # bool per sorted row (any motion)
    motion: np.ndarray | None  # object per sorted row ('' when none)


def _frame(panel: Any) -> pd.DataFrame:
    if isinstance(panel, pd.DataFrame):
        frame = panel
    else:
        frame = _args.table("panel", panel)
    names = []
    for c in frame.columns:
        key = _args.normalize_key(c)
        names.append(key if key in _PANEL_COLUMNS else (playbook.account_column(c) or key))
    if len(set(names)) != len(names):
        dupe = next(n for n in names if names.count(n) > 1)
        raise _args.InputError(f"panel: column '{dupe}' appears twice in the header")
    if list(frame.columns) != names:
        frame = frame.set_axis(names, axis=1)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        frame = frame.reset_index(drop=True)
    for col in ("account_id", "period"):
        if col not in frame.columns:
            raise _args.InputError(f"panel: expected a column {col!r} in the header row")
    if "expansion" not in frame.columns and "expansion_motion" not in frame.columns:
        raise _args.InputError("panel: expected a column 'expansion' (1 in the period an expansion closed)")
    return frame


_PANEL_COLUMNS = frozenset({"account_id", "period", "expansion", "expansion_motion", "expansion_amount"})


def _data(panel: Any, w: int) -> _Data:
    frame = _frame(panel)
    codes, labels = _codes("panel account_id", frame["account_id"], rows=True)
    per = _whole("panel period", frame["period"], rows=True)
    P = _prepare(codes, per, w, labels, where=lambda i: f"rows {i + 2}")
    motion = None
    if "expansion_motion" in frame.columns:
        raw = frame["expansion_motion"].astype(object).where(frame["expansion_motion"].notna(), "")
        motion = np.asarray([str(v).strip() for v in raw.to_numpy()[P.order]], dtype=object)
    if "expansion" in frame.columns:
        y = _flags("panel expansion", frame["expansion"], rows=True)[P.order]
    else:
        y = motion != ""
    return _Data(frame, P, labels, y, motion)


def _resolve(data: _Data, signal: str, rules: Any) -> _Signal:
    """A panel column, or a rule of the rules table (rows of one rule AND-ed)."""
    frame, order = data.frame, data.P.order
    key = _args.normalize_key(signal)
    if key in frame.columns and key not in _PANEL_COLUMNS:
        x = _column_values(frame, key)[order]
        return _Signal(x, 1.0, None, None, key, ">=", None, None)
    table = playbook.rules_table(rules)
    names = {_args.normalize_key(r): r for r in table["rule"]}
    if key in names:
        return _rule_signal(frame, order, table[table["rule"] == names[key]])
    col = playbook.account_column(signal)
    if col is not None and col in frame.columns:
        return _Signal(_column_values(frame, col)[order], 1.0, None, None, col, ">=", None, None)
    raise _args.InputError(
        f"signal: expected a panel column or a rule name, got {signal!r}"
    )


def _column_values(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    if playbook.ACCOUNT_COLUMNS.get(col) == "flag" and frame[col].dtype.kind not in "iufb":
        return np.asarray(
            [np.nan if _args.is_blank(v) else (1.0 if _args.parse_flag(v) else 0.0)
             for v in frame[col].tolist()], dtype=float)
    return _signal(f"panel {col}", frame[col], rows=True)


def _rule_signal(frame, order, rows: pd.DataFrame) -> _Signal:
    """The swept signal of a rule: its first condition, the others held fixed.

    '≥'/'>' sweep the signal itself; '≤'/'<' sweep the negated signal (reported back in
    the signal's units); '=' gives a 0/1 signal swept at 1. Swept thresholds mean '≥'
    (or '≤'); the rule's own strict '>'/'<' threshold is evaluated exactly. Where another condition of
    the rule fails, the swept signal is blank: the rule cannot hold there.
    """
    first = rows.iloc[0]
    col, op, tau = first["signal"], first["op"], float(first["threshold"])
    x = _column_values(frame, col)[order]
    with np.errstate(invalid="ignore"):
        if op in (">=", ">"):
            s, sign = x.copy(), 1.0
        elif op in ("<=", "<"):
            s, sign = -x, -1.0
        else:  # '=': 1 where equal, blank otherwise
            s, sign = np.where(x == tau, 1.0, np.nan), 1.0
        for _, other in rows.iloc[1:].iterrows():
            v = _column_values(frame, other["signal"])[order]
            s = np.where(_holds(v, other["op"], float(other["threshold"])), s, np.nan)
    if op == "=":
        current = 1.0
    elif op in (">", "<"):  # x > τ  ⇔  x ≥ the next float above τ (exact)
        current = float(np.nextafter(sign * tau, _INF))
    else:
        current = sign * tau
    return _Signal(s, sign, first["motion"], first["rule"], col, op, 1.0 if op == "=" else tau, current)


def _holds(v: np.ndarray, op: str, tau: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return {
            ">=": v >= tau, ">": v > tau, "<=": v <= tau, "<": v < tau, "=": v == tau,
        }[op] & ~np.isnan(v)


def _signal_panel(
    panel: Any, signal: str, w: int, motion: Any, rules: Any
) -> tuple[_Data, _Signal, str | None, np.ndarray]:
    """The panel, the signal to sweep, the motion whose expansions count (``motion``, else
    the rule's) and those expansions (bool per sorted row)."""
    data = _data(panel, w)
    sig = _resolve(data, signal, rules)
    motion = _motion_arg(motion) or sig.motion
    return data, sig, motion, _expansions(data, motion)


def _expansions(data: _Data, motion: str | None) -> np.ndarray:
    if motion is None or data.motion is None:
        return data.expansion
    return data.expansion & (np.char.lower(data.motion.astype(str)) == motion.lower())


def _motion_arg(motion: Any) -> str | None:
    if motion is None:
        return None
    return _args.choices("motion", [motion], playbook.MOTIONS)[0]


def _curve_thresholds(sig: _Signal, thresholds: Any, m, p, mask=None) -> np.ndarray:
    """Sorted thresholds in the swept space."""
    if thresholds is None:
        return _candidates(m, p, mask)
    thr = _thresholds("thresholds", thresholds) * sig.sign
    return np.unique(thr)


def _report(curve: pd.DataFrame, sig: _Signal) -> pd.DataFrame:
    """Thresholds back in the signal's units, ascending."""
    if sig.sign < 0:
        curve = curve.iloc[::-1].reset_index(drop=True)
        curve["threshold"] = -curve["threshold"]
    return curve


def backtest_curve(
    panel: Any,
    signal: str,
    thresholds: Any = None,
    persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW,
    *,
    motion: Any = None,
    rules: Any = None,
) -> pd.DataFrame:
    """The SPEC §7 backtest of ``signal`` at every threshold: one row per threshold.

    ``panel``: DataFrame (or range with header) with account_id, period (whole numbers),
    an ``expansion`` flag (or ``expansion_motion``, non-blank = expansion), and signal
    columns (SPEC §2 names, matched like account tables). ``signal``: a panel column, or
    a rule name of ``rules`` (default rules): then the rule's first condition is swept,
    its other conditions held fixed, '≤' rules swept on the negated signal and reported in
    the signal's units, and expansions are those of the rule's motion. ``motion``
    restricts the expansions to one motion. ``thresholds`` None = every distinct
    candidate (each value where a fire happens: results are constant between them).

    Returns ``CURVE_COLUMNS``: threshold, fires, true_fires, false_fires,
    false_positive_rate, expansions, covered, coverage, median_lead, passes_gate —
    ascending by threshold.

    >>> panel = pd.DataFrame({"account_id": ["a"] * 4, "period": [1, 2, 3, 4],
    ...                       "usage_vs_cap": [0.5, 0.92, 0.6, 0.7], "expansion": [0, 0, 1, 0]})
    >>> backtest_curve(panel, "usage_vs_cap")[["threshold", "fires", "true_fires", "coverage"]]
       threshold  fires  true_fires  coverage
    0       0.50      1           1       1.0
    1       0.70      2           1       1.0
    2       0.92      1           1       1.0
    """
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data, sig, motion, y = _signal_panel(panel, signal, w, motion, rules)
    m, p = _window_min(data.P, sig.values, k)
    thr = _curve_thresholds(sig, thresholds, m, p)
    truth = _truth(data.P, y, w)
    curve = _curve_frame(thr, _counts(data.P, m, p, truth, y, thr, w))
    return _report(curve, sig)


def _leads(P: _Panel, fire: np.ndarray, y: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted rows of the expansions, and each one's lead: e − t of the earliest fire in
    e−w ≤ t < e (0 when none), from the fires at one threshold."""
    rows = np.flatnonzero(y)
    lead = np.zeros(rows.size, dtype=np.int64)
    for j in range(w, 0, -1):
        if rows.size == 0:
            break
        pos, found = _lag_rows(P, rows, j)
        lead[found & fire[pos] & (lead == 0)] = j
    return rows, lead


def _single(P: _Panel, xs, ys, truth, tau: float, k: int, w: int) -> dict:
    """One threshold, computed directly from the signal (the per-threshold baseline)."""
    n = xs.size
    with np.errstate(invalid="ignore"):
        ok = xs >= tau
    consecutive = np.zeros(n, dtype=bool)
    consecutive[1:] = (P.acc[1:] == P.acc[:-1]) & (P.per[1:] == P.per[:-1] + 1)
    idx = np.arange(n)
    start = np.maximum.accumulate(np.where(consecutive & np.r_[False, ok[:-1]] & ok, 0, idx))
    holds = ok & (idx - start + 1 >= k)
    before = np.zeros(n, dtype=bool)
    before[1:] = consecutive[1:] & holds[:-1]
    fire = holds & ~before
    fires = int(fire.sum())
    true = int((fire & truth).sum())
    rows, lead = _leads(P, fire, ys, w)
    covered = lead > 0
    fpr = (fires - true) / fires if fires else math.nan
    coverage = covered.sum() / rows.size if rows.size else math.nan
    return {
        "threshold": tau, "fires": fires, "true_fires": true,
        "false_positive_rate": fpr, "coverage": coverage,
        "median_lead": float(np.median(lead[covered])) if covered.any() else math.nan,
        "passes_gate": bool(_gate(np.array([fpr]), np.array([coverage]))[0]),
    }


def backtest_single(
    panel: Any, signal: str, threshold: float, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW, *, motion: Any = None, rules: Any = None,
) -> dict:
    """One threshold, evaluated directly (condition → fires → truth → coverage).

    The straightforward per-threshold backtest: a cross-check of the one-pass engine and
    the baseline of ``bench/bench_backtest.py``. Returns a dict with the keys
    ``BACKTEST_COLUMNS``. ``threshold`` is in the signal's units.
    """
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data, sig, _, y = _signal_panel(panel, signal, w, motion, rules)
    tau = _args.number("threshold", threshold) * sig.sign
    out = _single(data.P, sig.values, y, _truth(data.P, y, w), tau, k, w)
    out["threshold"] = tau * sig.sign
    return out


def lead_times(
    panel: Any, signal: str, threshold: float, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW, *, motion: Any = None, rules: Any = None,
) -> pd.DataFrame:
    """Every expansion with its lead at one threshold (the lead-time distribution).

    Columns: account_id, period (of the expansion), covered (bool), lead (e − t of the
    earliest fire in e−w ≤ t < e; NaN when not covered), fire_period.
    """
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data, sig, _, y = _signal_panel(panel, signal, w, motion, rules)
    tau = _args.number("threshold", threshold) * sig.sign
    P = data.P
    m, p = _window_min(P, sig.values, k)
    fire = (m >= tau) & (p < tau)
    rows, lead = _leads(P, fire, y, w)
    covered = lead > 0
    return pd.DataFrame({
        "account_id": data.labels[P.acc[rows]],
        "period": P.per[rows],
        "covered": covered,
        "lead": np.where(covered, lead, np.nan),
        "fire_period": np.where(covered, P.per[rows] - lead, np.nan),
    })


# =========================================================================== rules and value


def _persistence_for(persistence: Any, rule: str) -> int:
    if isinstance(persistence, dict):
        return _count_arg(f"persistence[{rule}]", persistence.get(rule), DEFAULT_PERSISTENCE)
    return _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)


def motion_backtests(
    panel: Any, rules: Any = None, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW,
) -> pd.DataFrame:
    """Each rule at its current threshold against the expansions of its motion.

    ``persistence``: one k for all rules, or a dict {rule: k}. Returns one row per rule:
    rule, motion, signal, op, threshold, persistence, window, fires, true_fires,
    false_positive_rate, expansions, coverage, median_lead, passes_gate.
    """
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data = _data(panel, w)
    table = playbook.rules_table(rules)
    out = []
    for rule in dict.fromkeys(table["rule"]):
        sig = _rule_signal(data.frame, data.P.order, table[table["rule"] == rule])
        k = _persistence_for(persistence, rule)
        y = _expansions(data, sig.motion)
        thr = np.array([sig.current])
        row = _run(data.P, sig.values, y, thr, k, w).iloc[0]
        out.append({
            "rule": rule, "motion": sig.motion, "signal": sig.column, "op": sig.op,
            "threshold": sig.threshold, "persistence": k, "window": w,
            "fires": int(row["fires"]), "true_fires": int(row["true_fires"]),
            "false_positive_rate": row["false_positive_rate"],
            "expansions": int(row["expansions"]), "coverage": row["coverage"],
            "median_lead": row["median_lead"], "passes_gate": bool(row["passes_gate"]),
        })
    return pd.DataFrame(out)


def _value_args(data: _Data, motion, close_rate, deal_size, plays, until=None):
    """Default close rate (the motion's play) and deal size (mean expansion amount)."""
    if close_rate is None:
        table = playbook.plays_table(plays)
        if motion is not None:
            close_rate = float(table.loc[motion, "close_rate"])
        else:
            close_rate = float(table["close_rate"].mean())
    else:
        close_rate = _args.number("close_rate", close_rate, minimum=0)
    if deal_size is None:
        deal_size = 1.0
        if "expansion_amount" in data.frame.columns:
            amount = _signal("panel expansion_amount", data.frame["expansion_amount"], rows=True)
            amount = amount[data.P.order]
            mask = _expansions(data, motion) & ~np.isnan(amount) & (amount > 0)
            if until is not None:
                mask &= data.P.per < until
            if mask.any():
                deal_size = float(amount[mask].mean())
    else:
        deal_size = _args.number("deal_size", deal_size, minimum=0)
    return close_rate, deal_size


def _with_value(curve: pd.DataFrame, close_rate, deal_size, cost) -> pd.DataFrame:
    curve = curve.copy()
    curve["expected_value"] = (
        curve["true_fires"] * close_rate * deal_size - curve["false_fires"] * cost
    ).astype(float)
    return curve


def _pick(curve: pd.DataFrame) -> int | None:
    """Row of the highest expected value among thresholds passing the gate.

    Ties: lower false_positive_rate, then higher coverage, then the first row.
    """
    ok = curve[curve["passes_gate"]]
    if ok.empty:
        return None
    ranked = ok.sort_values(
        ["expected_value", "false_positive_rate", "coverage"],
        ascending=[False, True, False], kind="stable",
    )
    return int(ranked.index[0])


def recommend_threshold(
    panel: Any, signal: str, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW, *, motion: Any = None, rules: Any = None,
    thresholds: Any = None, close_rate: Any = None, deal_size: Any = None,
    false_play_cost: Any = DEFAULT_FALSE_PLAY_COST, plays: Any = None,
) -> dict:
    """The threshold with the highest expected value among those passing the gate.

    expected_value = true_fires × close_rate × deal_size − false_fires × false_play_cost.
    Defaults: close_rate of the motion's play (mean of all plays without a motion);
    deal_size = mean expansion_amount of the counted expansions (1 without amounts);
    false_play_cost = ``DEFAULT_FALSE_PLAY_COST``. Returns a dict: threshold (None when no
    threshold passes the gate), the ``CURVE_COLUMNS`` metrics at it, expected_value,
    close_rate, deal_size, false_play_cost, signal, rule, op, motion.
    """
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data, sig, motion, y = _signal_panel(panel, signal, w, motion, rules)
    cost = _args.number("false_play_cost", false_play_cost, minimum=0)
    cr, deal = _value_args(data, motion, close_rate, deal_size, plays)
    m, p = _window_min(data.P, sig.values, k)
    thr = _curve_thresholds(sig, thresholds, m, p)
    curve = _curve_frame(thr, _counts(data.P, m, p, _truth(data.P, y, w), y, thr, w))
    curve = _with_value(_report(curve, sig), cr, deal, cost)
    return _recommendation(curve, sig, motion, cr, deal, cost)


def _recommendation(curve, sig, motion, cr, deal, cost) -> dict:
    i = _pick(curve)
    base = {
        "signal": sig.column, "rule": sig.rule,
        "op": "=" if sig.op == "=" else (">=" if sig.sign > 0 else "<="),
        "motion": motion, "close_rate": cr, "deal_size": deal, "false_play_cost": cost,
    }
    if i is None:
        metrics = {c: None for c in CURVE_COLUMNS}
        metrics["expected_value"] = None
        metrics["passes_gate"] = False
        return {**metrics, **base}
    row = curve.loc[i]
    metrics = {c: _args.to_python(row[c]) for c in (*CURVE_COLUMNS, "expected_value")}
    return {**metrics, **base}


def recommend_thresholds(
    panel: Any, rules: Any = None, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW, *, plays: Any = None,
    false_play_cost: Any = DEFAULT_FALSE_PLAY_COST,
) -> pd.DataFrame:
    """A recommended threshold for every rule (see ``recommend_threshold``).

    One row per rule: rule, motion, signal, op (how ``threshold`` applies: '>=', '<=' for
    '≤'/'<' rules, '=' for flags), current_threshold, threshold (recommended; NaN when
    nothing passes the gate), fires, true_fires, false_positive_rate,
    coverage, median_lead, passes_gate, expected_value, current_expected_value,
    close_rate, deal_size. '=' rules (flags) have the single threshold 1.
    """
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data = _data(panel, w)
    table = playbook.rules_table(rules)
    cost = _args.number("false_play_cost", false_play_cost, minimum=0)
    out = []
    for rule in dict.fromkeys(table["rule"]):
        sig = _rule_signal(data.frame, data.P.order, table[table["rule"] == rule])
        k = _persistence_for(persistence, rule)
        cr, deal = _value_args(data, sig.motion, None, None, plays)
        y = _expansions(data, sig.motion)
        m, p = _window_min(data.P, sig.values, k)
        truth = _truth(data.P, y, w)
        thr = _candidates(m, p)
        curve = _curve_frame(thr, _counts(data.P, m, p, truth, y, thr, w))
        curve = _with_value(_report(curve, sig), cr, deal, cost)
        rec = _recommendation(curve, sig, sig.motion, cr, deal, cost)
        now = np.array([sig.current])
        current = _with_value(_curve_frame(now, _counts(data.P, m, p, truth, y, now, w)),
                              cr, deal, cost).iloc[0]
        out.append({
            "rule": rule, "motion": sig.motion, "signal": sig.column, "op": rec["op"],
            "current_threshold": sig.threshold, "threshold": rec["threshold"],
            "fires": rec["fires"], "true_fires": rec["true_fires"],
            "false_positive_rate": rec["false_positive_rate"], "coverage": rec["coverage"],
            "median_lead": rec["median_lead"], "passes_gate": bool(rec["passes_gate"]),
            "expected_value": rec["expected_value"],
            "current_expected_value": float(current["expected_value"]),
            "close_rate": cr, "deal_size": deal,
        })
    frame = pd.DataFrame(out)
    for col in ("threshold", "fires", "true_fires", "false_positive_rate", "coverage",
                "median_lead", "expected_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


# =========================================================================== walk-forward


def walk_forward(
    panel: Any, signal: str, splits: Any = None, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW, *, motion: Any = None, rules: Any = None,
    thresholds: Any = None, close_rate: Any = None, deal_size: Any = None,
    false_play_cost: Any = DEFAULT_FALSE_PLAY_COST, plays: Any = None,
) -> pd.DataFrame:
    """Choose the threshold on periods before each split, score it on the periods after.

    Training (periods < split) sees nothing at or after the split: episodes are built from
    the training rows only; a fire counts (fires, true fires) only when its whole outcome
    window lies in training (t + w < split) — fires closer to the split are censored, not
    scored anywhere; training expansions (e < split) may be covered by any training fire;
    the default deal size uses training amounts only; candidate thresholds come from
    training fires. So changing any period ≥ split never changes the choice (the
    highest expected value passing the gate, as ``recommend_threshold``).

    Test (periods ≥ split): episodes use the full history (an episode already running at
    the split does not fire again); fires at t ≥ split are scored per SPEC §7 (a fire near
    the end of the panel with no expansion seen is false); expansions at e ≥ split count,
    covered only by fires at t ≥ split (the trigger is live from the split on).

    ``splits``: a period or a list of periods; default: one split leaving the last third
    of the periods for testing. Returns one row per split: split, threshold (chosen; NaN
    when nothing passes the gate in training), train_fires, train_true_fires,
    train_false_positive_rate, train_coverage, train_expected_value, test_fires,
    test_true_fires, test_false_positive_rate, test_expansions, test_coverage,
    test_median_lead, test_passes_gate, test_expected_value.
    """
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    data, sig, motion, y = _signal_panel(panel, signal, w, motion, rules)
    cost = _args.number("false_play_cost", false_play_cost, minimum=0)
    P = data.P
    if P.per.size == 0:
        raise _args.InputError("panel: expected at least one row, got none")
    if splits is None:
        lo, hi = int(P.per.min()), int(P.per.max())
        splits = [lo + int(math.ceil((hi - lo + 1) * 2 / 3))]
    splits = [int(s) for s in np.atleast_1d(_whole("splits", splits))]
    m_full, p_full = _window_min(P, sig.values, k)
    truth_full = _truth(P, y, w)
    out = []
    for split in splits:
        # ---- training: rows < split only
        keep = P.per < split
        Pt = _Panel(P.acc[keep], P.per[keep], P.key[keep], P.order[keep], P.n_acc, w)
        xt, yt = sig.values[keep], y[keep]
        mt, pt = _window_min(Pt, xt, k)
        truth_t = _truth(Pt, yt, w)
        fire_until = split - 1 - w
        thr = _curve_thresholds(sig, thresholds, mt, pt, Pt.per <= fire_until)
        cr, deal = _value_args(data, motion, close_rate, deal_size, plays, until=split)
        row: dict[str, Any] = {"split": split}
        chosen = None
        if thr.size:
            tc = _counts(Pt, mt, pt, truth_t, yt, thr, w, fire_until=fire_until)
            train = _with_value(_report(_curve_frame(thr, tc), sig), cr, deal, cost)
            i = _pick(train)
            if i is not None:
                chosen = float(train.loc[i, "threshold"])
                row.update({
                    "threshold": chosen,
                    "train_fires": int(train.loc[i, "fires"]),
                    "train_true_fires": int(train.loc[i, "true_fires"]),
                    "train_false_positive_rate": float(train.loc[i, "false_positive_rate"]),
                    "train_coverage": float(train.loc[i, "coverage"]),
                    "train_expected_value": float(train.loc[i, "expected_value"]),
                })
        if chosen is not None:
            tt = np.array([chosen * sig.sign])
            test = _curve_frame(tt, _counts(
                P, m_full, p_full, truth_full, y, tt, w,
                fire_from=split, exp_from=split, cover_from=split))
            test = _with_value(test, cr, deal, cost).iloc[0]
            row.update({
                "test_fires": int(test["fires"]),
                "test_true_fires": int(test["true_fires"]),
                "test_false_positive_rate": test["false_positive_rate"],
                "test_expansions": int(test["expansions"]),
                "test_coverage": test["coverage"],
                "test_median_lead": test["median_lead"],
                "test_passes_gate": bool(test["passes_gate"]),
                "test_expected_value": float(test["expected_value"]),
            })
        out.append(row)
    columns = [
        "split", "threshold", "train_fires", "train_true_fires", "train_false_positive_rate",
        "train_coverage", "train_expected_value", "test_fires", "test_true_fires",
        "test_false_positive_rate", "test_expansions", "test_coverage", "test_median_lead",
        "test_passes_gate", "test_expected_value",
    ]
    frame = pd.DataFrame(out, columns=columns)
    frame["test_passes_gate"] = np.array(
        [v is True or v is np.True_ for v in frame["test_passes_gate"].tolist()], dtype=bool)
    return frame


# =========================================================================== bootstrap


def _nan_quantile(a: np.ndarray, q: float) -> np.ndarray:
    """Quantile along axis 0 ignoring NaN; NaN where a column has no value (no warning)."""
    s = np.sort(a, axis=0)  # NaN last
    n = (~np.isnan(a)).sum(axis=0)
    pos = np.clip(q * (n - 1), 0, None)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = pos - lo
    cols = np.arange(a.shape[1])
    v_lo = s[np.minimum(lo, a.shape[0] - 1), cols]
    v_hi = s[np.minimum(hi, a.shape[0] - 1), cols]
    out = v_lo + (v_hi - v_lo) * frac
    return np.where(n > 0, out, np.nan)


def bootstrap_curve(
    panel: Any, signal: str, thresholds: Any = None, persistence: Any = DEFAULT_PERSISTENCE,
    window: Any = DEFAULT_WINDOW, *, motion: Any = None, rules: Any = None,
    resamples: int = 200, seed: int = 0, level: float = 0.90, max_thresholds: int = 101,
) -> pd.DataFrame:
    """Bootstrap confidence intervals over accounts (resampled with replacement, seeded).

    Counts are built once per account and threshold; a resample is a vector of account
    multiplicities, so every resample is a weighted sum (a matrix product), never a
    rebuild. ``thresholds`` None: the distinct candidates, or ``max_thresholds`` of their
    quantiles when there are more. Returns one row per threshold: threshold, fires,
    false_positive_rate, false_positive_rate_low, false_positive_rate_high, coverage,
    coverage_low, coverage_high, median_lead, median_lead_low, median_lead_high,
    gate_probability (share of resamples passing the gate); low/high are the
    (1 − level)/2 and (1 + level)/2 percentiles.
    """
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    b = _args.integer("resamples", resamples, minimum=1)
    seed = _args.integer("seed", seed, minimum=0)
    level = _args.number("level", level)
    if not 0 < level < 1:
        raise _args.fail("level", "a fraction between 0 and 1", level)
    data, sig, motion, y = _signal_panel(panel, signal, w, motion, rules)
    P = data.P
    m, p = _window_min(P, sig.values, k)
    thr = _curve_thresholds(sig, thresholds, m, p)
    if thresholds is None and thr.size > max_thresholds:
        thr = np.unique(np.quantile(thr, np.linspace(0, 1, max_thresholds), method="nearest"))
    truth = _truth(P, y, w)
    rng = np.random.default_rng(seed)
    a = max(P.n_acc, 1)
    weights = rng.multinomial(a, np.full(a, 1.0 / a), size=b).astype(float)
    qlo, qhi = (1 - level) / 2, (1 + level) / 2
    # per-account tables are accounts × thresholds: build them a block of thresholds at a time
    block = max(1, int(20_000_000 // (a * (w + 2))))
    parts = []
    for start in range(0, max(thr.size, 1), block):
        t = thr[start:start + block]
        c = _counts(P, m, p, truth, y, t, w, by_account=True)
        point = _curve_frame(t, _Counts(
            c.fires.sum(0, keepdims=True), c.true_fires.sum(0, keepdims=True),
            c.expansions.sum(keepdims=True), c.at_least.sum(1, keepdims=True)))
        fires = weights @ c.fires
        false = fires - weights @ c.true_fires
        exps = weights @ c.expansions.astype(float)
        at_least = np.stack([weights @ c.at_least[j] for j in range(w)])  # (w, B, T)
        fpr = _ratio(false, fires)
        coverage = _ratio(at_least[0], exps[:, None])
        lead = _median_lead(np.rint(at_least).astype(np.int64))
        parts.append(pd.DataFrame({
            "threshold": t,
            "fires": point["fires"],
            "false_positive_rate": point["false_positive_rate"],
            "false_positive_rate_low": _nan_quantile(fpr, qlo),
            "false_positive_rate_high": _nan_quantile(fpr, qhi),
            "coverage": point["coverage"],
            "coverage_low": _nan_quantile(coverage, qlo),
            "coverage_high": _nan_quantile(coverage, qhi),
            "median_lead": point["median_lead"],
            "median_lead_low": _nan_quantile(lead, qlo),
            "median_lead_high": _nan_quantile(lead, qhi),
            "gate_probability": _gate(fpr, coverage).mean(axis=0),
        }))
    out = pd.concat(parts, ignore_index=True)
    if sig.sign < 0:
        out = out.iloc[::-1].reset_index(drop=True)
        out["threshold"] = -out["threshold"]
    return out


# =========================================================================== calibration


def rule_indicators(panel: Any, rules: Any = None) -> pd.DataFrame:
    """Whether each rule's condition holds in each panel row (current thresholds, k = 1).

    One bool column per rule (rows of one rule AND-ed; a missing signal never holds),
    in the panel's row order.
    """
    frame = _frame(panel)
    table = playbook.rules_table(rules)
    order = np.arange(len(frame))
    out = {}
    for rule in dict.fromkeys(table["rule"]):
        rows = table[table["rule"] == rule]
        held = np.ones(len(frame), dtype=bool)
        for _, r in rows.iterrows():
            held &= _holds(_column_values(frame, r["signal"])[order], r["op"], float(r["threshold"]))
        out[rule] = held
    return pd.DataFrame(out, index=frame.index)


def _outcome(data: _Data, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Per sorted row: expansion (any motion) within (t, t+w], and outcome window complete."""
    P = data.P
    y = _truth(P, data.expansion, w)
    last = np.zeros(P.n_acc, dtype=np.int64)
    np.maximum.at(last, P.acc, P.per)
    complete = P.per + w <= last[P.acc]
    return y, complete


def _fit_logistic(X: np.ndarray, y: np.ndarray, l2: float, iters: int = 50) -> np.ndarray:
    """L2-penalized logistic regression by Newton/IRLS; returns [intercept, coefs...]."""
    n, d = X.shape
    Z = np.hstack([np.ones((n, 1)), X])
    beta = np.zeros(d + 1)
    pen = np.full(d + 1, l2)
    pen[0] = 0.0
    for _ in range(iters):
        eta = np.clip(Z @ beta, -30, 30)
        mu = 1.0 / (1.0 + np.exp(-eta))
        grad = Z.T @ (y - mu) - pen * beta
        hess = (Z * (mu * (1 - mu))[:, None]).T @ Z + np.diag(pen) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def calibrate_points(
    panel: Any, rules: Any = None, window: Any = DEFAULT_WINDOW, *, l2: float = 1.0,
    split: Any = None,
) -> pd.DataFrame:
    """Rule points learned from history: logistic regression of expansion within ``window``
    on the rule indicators (numpy Newton/IRLS with an L2 penalty ``l2``).

    Rows: account-periods whose outcome window is complete (and with period < ``split``
    when given). Points = 100 × positive coefficient / sum of positive coefficients (a
    rule with a zero or negative coefficient gets 0 points), rounded to 1 decimal, so an
    account firing every useful rule scores 100. Returns one row per rule: rule, motion,
    default_points, coefficient, points. The intercept is in ``.attrs['intercept']``.
    """
    w = _count_arg("window", window, DEFAULT_WINDOW)
    X, yv, _, table = _design(panel, rules, w, split=split, train=True)
    l2 = _args.number("l2", l2, minimum=0)
    beta = _fit_logistic(X.astype(float), yv.astype(float), l2)
    coef = beta[1:]
    pos = np.clip(coef, 0, None)
    total = pos.sum()
    points = np.round(100 * pos / total, 1) if total > 0 else np.zeros_like(pos)
    first = table.drop_duplicates("rule")
    out = pd.DataFrame({
        "rule": first["rule"].to_numpy(),
        "motion": first["motion"].to_numpy(),
        "default_points": first["points"].to_numpy(dtype=float),
        "coefficient": coef,
        "points": points,
    })
    out.attrs["intercept"] = float(beta[0])
    return out


def _design(panel, rules, w, *, split=None, train=True):
    data = _data(panel, w)
    table = playbook.rules_table(rules)
    ind = rule_indicators(data.frame, table).to_numpy()[data.P.order]
    yv, complete = _outcome(data, w)
    rows = complete.copy()
    if split is not None:
        s = _args.integer("split", split, minimum=-(2**62))
        # training rows need their whole outcome window before the split
        rows &= (data.P.per + w < s) if train else (data.P.per >= s)
    return ind[rows], yv[rows], rows, table


def _precision_at_k(score: np.ndarray, y: np.ndarray, k: int) -> float:
    """Precision of the top k by score; ties at the cut count at their average hit rate."""
    n = score.size
    if n == 0:
        return math.nan
    k = min(k, n)
    order = np.sort(score)[::-1]
    cut = order[k - 1]
    above = score > cut
    at = score == cut
    hits = y[above].sum() + (k - above.sum()) * (y[at].mean() if at.any() else 0.0)
    return float(hits / k)


def compare_points(
    panel: Any, rules: Any = None, k: Any = 50, window: Any = DEFAULT_WINDOW, *,
    l2: float = 1.0, split: Any = None,
) -> dict:
    """Precision at the top k of default points vs points calibrated on earlier periods.

    Points are fitted on rows before ``split`` (default: the middle period) and both
    scores (min(100, Σ points of holding rules)) are ranked on the account-periods at or
    after the split with a complete outcome window; a hit is an expansion within
    ``window``. Returns {'k', 'precision_default', 'precision_calibrated', 'base_rate',
    'rows', 'split', 'points'} ('points' is the ``calibrate_points`` table).
    """
    w = _count_arg("window", window, DEFAULT_WINDOW)
    k = _args.integer("k", k, minimum=1)
    if split is None:
        per = _whole("panel period", _frame(panel)["period"], rows=True)
        split = int(per.min() + (per.max() - per.min() + 1) // 2) if per.size else 0
    points = calibrate_points(panel, rules, w, l2=l2, split=split)
    X, yv, _, table = _design(panel, rules, w, split=split, train=False)
    default = np.minimum(100.0, X @ points["default_points"].to_numpy())
    calibrated = np.minimum(100.0, X @ points["points"].to_numpy())
    return {
        "k": k,
        "precision_default": _precision_at_k(default, yv, k),
        "precision_calibrated": _precision_at_k(calibrated, yv, k),
        "base_rate": float(yv.mean()) if yv.size else math.nan,
        "rows": int(yv.size),
        "split": int(split),
        "points": points,
    }


# =========================================================================== Excel UDFs


@xw.func
@xw.arg("signal_values", ndim=2, err_to_str=True,
        doc="One account's signal, one cell per period, oldest first (a row or a column). Blank = not present.")
@xw.arg("threshold", err_to_str=True, doc="The trigger fires when the signal is ≥ this value.")
@xw.arg("persistence", err_to_str=True,
        doc="[Optional] Periods in a row the condition must hold (default 1).")
def TRIGGER_FIRES(signal_values, threshold, persistence=None):
    """TRUE in each period where the trigger fires (one fire per episode). Example: =TRIGGER_FIRES(C2:N2, 0.9, 2)"""
    rows = signal_values if isinstance(signal_values, list) else [[signal_values]]
    if len(rows) > 1 and any(len(r) > 1 for r in rows):
        raise _args.InputError("signal_values: expected a single row or column")
    fires = trigger_fires([v for r in rows for v in r], threshold, persistence)
    values = [bool(v) for v in fires]
    if len(values) == 1:
        return values[0]
    if len(rows) == 1:
        return [values]  # a row in, a row out
    return [[v] for v in values]


@xw.func
@xw.arg("account_ids", err_to_str=True, doc="Account id of each panel row (a column).")
@xw.arg("periods", err_to_str=True, doc="Period index of each row (whole numbers, e.g. month number).")
@xw.arg("signal_values", err_to_str=True, doc="Signal of each row; blank = not present.")
@xw.arg("expansion_flags", err_to_str=True, doc="TRUE/1 in the period an expansion closed.")
@xw.arg("thresholds", err_to_str=True, doc="Thresholds to test (a row or a column).")
@xw.arg("persistence", err_to_str=True, doc="[Optional] Periods in a row the signal must be ≥ threshold (default 1).")
@xw.arg("window", err_to_str=True, doc="[Optional] Periods after a fire in which an expansion makes it true (default 3).")
def TRIGGER_BACKTEST(account_ids, periods, signal_values, expansion_flags, thresholds,
                     persistence=None, window=None):
    """Backtest a trigger per threshold: fires, false positive rate, coverage, lead, gate. Example: =TRIGGER_BACKTEST(H[account_id],H[period],H[usage_vs_cap],H[expansion],{0.8,0.9})"""
    result = trigger_backtest(
        account_ids, periods, signal_values, expansion_flags, thresholds, persistence, window
    )
    return _args.to_excel(result)
