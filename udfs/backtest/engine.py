"""The one-pass engine of the trigger backtest (SPEC §7): every threshold at once.

For an account-period panel sorted by (account, period), a signal x, persistence k and
window w: per row, m_t = min of x over the k-window (−inf unless all k periods are
present) and p_t = m_{t−1} (−inf when t−1 is absent). The trigger fires at (a, t)
exactly for τ in the interval (p_t, m_t], and the condition holds for τ ≤ m_t. So at
every threshold:

- fires, true, pending fires are interval-stabbing counts (difference arrays over the
  sorted thresholds); whether a fire is true or pending does not depend on τ;
- an observable expansion is covered for τ in the union of the fire intervals of its w
  preceding periods; its lead is ≥ j for τ in the union over lags j … w, so w small
  unions per expansion give coverage and the exact lead distribution (hence the median);
- it is preceded for τ ≤ the largest m of its w preceding periods (one interval);
- the base rate does not depend on τ.

Cost: O((rows + thresholds) · log + expansions · w²), independent of rows × thresholds.

>>> P = _prepare(np.zeros(4, dtype=np.int64), np.arange(4), 2)
>>> m, p = _window_min(P, np.array([0.5, 0.95, 0.6, 0.97]), 1)
>>> y = np.array([False, False, True, False])
>>> c = _counts(P, m, p, _truth(P, y, 2), y, np.array([0.9]), 2, first=0, last=3)
>>> int(c.fires[0, 0]), int(c.true_fires[0, 0]), int(c.pending[0, 0]), int(c.expansions[0])
(2, 1, 1, 1)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..core import _args, playbook

_INF = math.inf
MAX_PERIOD_SPAN = 10_000_000  # periods between the first and the last (keys stay in int64)
MAX_WINDOW = 366  # periods (a year of daily periods)
MAX_THRESHOLDS = 100_000
MAX_LAG_CELLS = 30_000_000  # expansions × window: the look-back tables (about 0.5 GB at most)

CURVE_COLUMNS = (
    "threshold", "fires", "true_fires", "pending", "false_fires", "false_positive_rate",
    "precision", "expansions", "unobservable", "covered", "coverage", "preceded",
    "median_lead", "base_rate", "lift", "passes_gate",
)


class _Panel(NamedTuple):
    """A panel sorted by (account, period): the engine's only input."""

    acc: np.ndarray  # int64 account codes
    per: np.ndarray  # int64 periods
    key: np.ndarray  # int64 acc * stride + (per - pmin): sorted, unique
    order: np.ndarray  # position of each sorted row in the caller's rows
    n_acc: int
    w: int  # the longest window that matters: LAST − FIRST + 1 (keys are padded for it)


def _cap(P: _Panel, w: int) -> int:
    """A window as the engine uses it: any w ≥ LAST − FIRST + 1 gives the same results
    (every later expansion is in reach, every fire's outcome is open, every expansion's
    look-back starts before the history), so longer ones cost nothing."""
    return max(1, min(int(w), P.w))


def _prepare(codes: np.ndarray, periods: np.ndarray, labels=None, where=None,
             name: str = "periods") -> _Panel:
    codes = np.asarray(codes, dtype=np.int64)
    periods = np.asarray(periods, dtype=np.int64)
    n = codes.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Panel(empty, empty, empty, empty, 0, 1)
    pmin, pmax = int(periods.min()), int(periods.max())
    if pmax - pmin > MAX_PERIOD_SPAN:
        raise _args.InputError(
            f"{name}: expected period indexes at most {MAX_PERIOD_SPAN:,} apart "
            f"(whole months, weeks or days), got {pmin} to {pmax}"
        )
    w = pmax - pmin + 1
    stride = pmax - pmin + w + 1  # padded: a look-back of w periods never reaches another account
    raw_key = codes * stride + (periods - pmin)
    if n == 1 or bool((raw_key[1:] > raw_key[:-1]).all()):  # already sorted, no repeats
        return _Panel(codes, periods, raw_key, np.arange(n), int(codes.max()) + 1, w)
    compact = codes * w + (periods - pmin)  # the same order, a key space half the size
    span = int(codes.max()) * w + w
    if span <= 4 * n:  # dense keys: counting sort, O(n)
        counts = np.bincount(compact, minlength=span)
        if counts.max() > 1:
            order = np.argsort(compact, kind="stable")  # repeated rows: reported below
        else:
            small = np.int32 if span < 2**31 else np.int64  # half the memory traffic
            start = np.cumsum(counts, dtype=small)
            start -= counts.astype(small, copy=False)
            order = np.empty(n, dtype=small)
            order[start[compact]] = np.arange(n, dtype=small)
            # the sorted rows without gathers: accounts in runs, periods from the keys
            acc = np.repeat(np.arange(int(codes.max()) + 1), np.bincount(codes))
            offset = np.flatnonzero(counts) - acc * w
            return _Panel(acc, offset + pmin, acc * stride + offset, order, int(acc[-1]) + 1, w)
    else:
        order = np.argsort(compact)
    acc, per, key = codes[order], periods[order], raw_key[order]
    dup = np.flatnonzero(key[1:] == key[:-1])
    if dup.size:
        i, j = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
        who = labels[acc[dup[0]]] if labels is not None else acc[dup[0]]
        rows = f"{where(i)} and {where(j)}" if where else f"items {i + 1} and {j + 1}"
        raise _args.InputError(
            f"{name}: expected one row per account and period, got account {who!r} "
            f"period {int(per[dup[0]])} twice ({rows})"
        )
    return _Panel(acc, per, key, order, int(acc.max()) + 1, w)


_SHORT = 8  # windows up to this many periods use neighbour scans instead of searches


def _consecutive(P: _Panel) -> np.ndarray:
    """Per sorted row: the previous row is the same account's previous period."""
    c = np.zeros(P.acc.size, dtype=bool)
    np.equal(P.key[1:], P.key[:-1] + 1, out=c[1:])  # same account and t − 1 (keys padded)
    return c


def _window_min(P: _Panel, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(m, p) per sorted row: k-window minimum (−inf unless all present) and m at t−1."""
    n = x.size
    k = min(int(k), P.w + 1)  # a run longer than the panel never holds either way
    if n == 0:
        return np.zeros(0), np.zeros(0)
    valid = ~np.isnan(x)
    consecutive = _consecutive(P)
    if k <= _SHORT:  # all k present: row t and the links t, t − 1, …, t − k + 2 back
        link = consecutive.copy()
        link[1:] &= valid[:-1]  # row t − 1 is the previous period, with a value
        ok = valid.copy()
        for d in range(min(k - 1, n)):
            if d == 0:
                ok &= link
            else:
                ok[d:] &= link[:-d]
        if k > 1:
            ok[: k - 1] = False  # fewer than k rows before
        m = x.copy()
        for j in range(1, min(k, n)):
            np.fmin(m[j:], x[:-j], out=m[j:])
    else:
        link = consecutive.copy()
        link[1:] &= valid[:-1]
        link &= valid
        idx = np.arange(n)
        start = np.maximum.accumulate(np.where(link, 0, idx))
        ok = valid & (idx - start + 1 >= k)
        m = x.copy()
        for j in range(1, min(k, n)):
            np.fmin(m[j:], x[:-j], out=m[j:])
    m = np.where(ok, m, -_INF)
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
    """Per sorted row: an expansion of the same account in (t, t + w]."""
    w = _cap(P, w)
    n = P.key.size
    if w <= _SHORT:  # (t, t + w] lies among the next w rows (one row per account-period)
        out = np.zeros(n, dtype=bool)
        for j in range(1, min(w, n - 1) + 1):
            out[:-j] |= y[j:] & (P.key[j:] <= P.key[:-j] + w)
        return out
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
    if j <= _SHORT:  # it is one of the j rows before
        pos = np.zeros(rows.size, dtype=np.int64)
        found = np.zeros(rows.size, dtype=bool)
        for d in range(1, j + 1):
            cand = np.maximum(rows - d, 0)
            hit = (P.key[cand] == q) & (rows >= d)
            pos = np.where(hit, cand, pos)
            found |= hit
        return pos, found
    pos = np.searchsorted(P.key, q, "left")
    pos = np.minimum(pos, P.key.size - 1)
    return pos, P.key[pos] == q


def _above(thr: np.ndarray, v: np.ndarray) -> np.ndarray:
    """np.searchsorted(thr, v, "right") for sorted thresholds, by a bucket table.

    Millions of values against a thousand thresholds: a uniform grid over the thresholds
    gives each value a starting position, a few vectorized steps finish it; a binary
    search per value costs several times more. Falls back to the search when a bucket
    would hold many thresholds (very uneven thresholds).
    """
    t = thr.size
    if t < 16 or v.size < 100_000 or not np.isfinite(thr[[0, -1]]).all() or thr[-1] <= thr[0]:
        return np.searchsorted(thr, v, "right")
    buckets = 4 * t
    lo, width = float(thr[0]), (float(thr[-1]) - float(thr[0])) / buckets
    edges = lo + width * np.arange(buckets + 1)
    start = np.searchsorted(thr, edges, "right")  # thresholds ≤ each bucket's left edge
    if int(np.diff(start).max()) > 8:
        return np.searchsorted(thr, v, "right")
    with np.errstate(invalid="ignore"):
        b = np.clip((v - lo) / width, -1, buckets).astype(np.int64)  # −inf → −1, +inf → buckets
    pos = np.where(b < 0, 0, start[np.clip(b, 0, buckets)])
    pos = np.where(v >= thr[-1], t, pos)
    padded = np.append(thr, np.inf)
    for _ in range(9):  # at most 8 thresholds in a bucket: step past those ≤ v
        step = padded[pos] <= v
        if not step.any():
            break
        pos += step
    return pos


def _slots(lo, hi, thr) -> tuple[np.ndarray, np.ndarray]:
    """Threshold positions of intervals (lo, hi]: they contain thr[a:b]."""
    return _above(thr, lo), _above(thr, hi)


def _stab_slots(a, b, t, groups=None, n_groups=1, weights=None) -> np.ndarray:
    """How many intervals contain each of t thresholds, from their slots; per group."""
    if groups is None:
        d = np.bincount(a, weights, minlength=t + 1) - np.bincount(b, weights, minlength=t + 1)
        return np.cumsum(d)[:t]
    g = groups * (t + 1)
    size = n_groups * (t + 1)
    d = np.bincount(g + a, weights, minlength=size) - np.bincount(g + b, weights, minlength=size)
    return np.cumsum(d.reshape(n_groups, t + 1), axis=1)[:, :t]


def _stab(lo, hi, thr, groups=None, n_groups=1, weights=None) -> np.ndarray:
    """How many intervals (lo, hi] contain each sorted threshold; per group when given."""
    keep = lo < hi
    a, b = _slots(lo[keep], hi[keep], thr)
    return _stab_slots(a, b, thr.size, None if groups is None else groups[keep], n_groups,
                       None if weights is None else weights[keep])


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
    """Counts at every threshold (axis −1), per group (axis −2: one group, or accounts)."""

    fires: np.ndarray  # (G, T)
    true_fires: np.ndarray
    pending: np.ndarray
    expansions: np.ndarray  # (G,) observable expansions
    unobservable: np.ndarray  # (G,)
    preceded: np.ndarray  # (G, T)
    at_least: np.ndarray  # (w, G, T): observable expansions whose lead is ≥ j+1
    base_hits: np.ndarray  # (G,) account-periods with t + w ≤ LAST and an expansion in (t, t+w]
    base_rows: np.ndarray  # (G,) account-periods with t + w ≤ LAST


def _observed_at(P: _Panel, period: int) -> np.ndarray:
    """Per account: it has a row at ``period``."""
    seen = np.zeros(max(P.n_acc, 1), dtype=bool)
    seen[P.acc[P.per == period]] = True
    return seen


def _counts(
    P: _Panel, m, p, truth, y, thr, w, *, first: int, last: int, fire_from=-_INF,
    by_account=False,
) -> _Counts:
    """SPEC §7 counts at every sorted threshold ``thr`` (optionally per account).

    FIRST = ``first``, LAST = ``last``. Fires at periods ≥ ``fire_from`` count; a fire that
    is not true is pending when t + w > LAST and its account has a row at LAST. Expansions
    at periods ≥ FIRST count: unobservable when e − w < FIRST, else observable. The base
    rate is over the rows at periods ≥ FIRST with t + w ≤ LAST.
    """
    groups = P.acc if by_account else None
    g = P.n_acc if by_account else 1
    w = _cap(P, w)

    def stab(rows, lo, hi):
        return _stab(lo, hi, thr, groups[rows] if by_account else None, g).reshape(g, thr.size)

    fire_ok = p < m
    if fire_from > -_INF:
        fire_ok &= P.per >= fire_from
    rows_f = np.flatnonzero(fire_ok)
    a, b = _slots(p[rows_f], m[rows_f], thr)
    some = a < b  # intervals holding no threshold count nowhere
    rows_f, a, b = rows_f[some], a[some], b[some]
    grp = groups[rows_f] if by_account else None

    def count(sel):
        return _stab_slots(a[sel], b[sel], thr.size, None if grp is None else grp[sel], g
                           ).reshape(g, thr.size)

    fires = count(slice(None))
    t = truth[rows_f]
    true_fires = count(t)
    pend = ~t & (P.per[rows_f] + w > last) & _observed_at(P, last)[P.acc[rows_f]]
    pending = count(pend)

    def per_group(rows):
        if by_account:
            return np.bincount(P.acc[rows], minlength=g)
        return np.array([rows.size])

    ys = np.flatnonzero(y)
    ys = ys[P.per[ys] >= first]  # expansions in scope
    obs = P.per[ys] - w >= first
    rows = ys[obs]  # observable expansions
    if rows.size * w * max(1, w // 8) > MAX_LAG_CELLS:
        raise _args.InputError(
            f"window: expected fewer periods for {rows.size:,} expansions (look-back tables of "
            f"{rows.size:,} × {w} periods are too large), got {w}; use coarser periods"
        )
    lag_lo = np.full((rows.size, w), _INF)
    lag_hi = np.full((rows.size, w), _INF)
    held = np.full(rows.size, -_INF)  # the largest m over the w preceding periods
    for j in range(1, w + 1 if rows.size else 1):  # the fire interval of (a, e − j)
        pos, found = _lag_rows(P, rows, j)
        lag_lo[:, j - 1] = np.where(found, p[pos], _INF)
        lag_hi[:, j - 1] = np.where(found, m[pos], _INF)
        held = np.where(found, np.maximum(held, m[pos]), held)
    preceded = stab(rows, np.full(rows.size, -_INF), held)
    at_least = np.zeros((w, g, thr.size), dtype=np.int64)
    for j in range(1, w + 1):  # lead ≥ j  ⇔  a fire at one of the lags j … w
        ulo, uhi = _union(lag_lo[:, j - 1:], lag_hi[:, j - 1:])
        reps = ulo.shape[1]
        grp = np.repeat(groups[rows], reps) if by_account else None
        at_least[j - 1] = _stab(ulo.ravel(), uhi.ravel(), thr, grp, g).reshape(g, thr.size)
    base = P.per <= last - w
    if P.per.size and first > int(P.per.min()):
        base &= P.per >= first
    return _Counts(
        fires, true_fires, pending, per_group(rows), per_group(ys[~obs]),
        preceded, at_least, per_group(np.flatnonzero(base & truth)), per_group(np.flatnonzero(base)),
    )


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
    """num / den, blank (NaN) where den is 0 — never a warning."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _gate(fpr, preceded, lift, min_lift: float = playbook.GATE_MIN_LIFT) -> np.ndarray:
    """passes_gate: preceded ≥ 0.40, FPR < 0.50 and lift ≥ min_lift (0 = no lift floor)."""
    with np.errstate(invalid="ignore"):
        ok = (
            ~np.isnan(fpr) & ~np.isnan(preceded)
            & (preceded >= playbook.GATE_MIN_PRECEDED)
            & (fpr < playbook.GATE_MAX_FALSE_POSITIVE_RATE)
        )
        if min_lift > 0:
            ok &= ~np.isnan(lift) & (lift >= min_lift)
    return ok


def _metrics(c: _Counts, min_lift: float) -> dict[str, np.ndarray]:
    """The ratios of §7 from counts (any leading axes; thresholds last)."""
    judged = c.true_fires + (c.fires - c.true_fires - c.pending)  # true + false
    false = c.fires - c.true_fires - c.pending
    exps = c.expansions[..., None]
    fpr = _ratio(false, judged)
    precision = _ratio(c.true_fires, judged)
    base = _ratio(c.base_hits, c.base_rows)[..., None]
    lift = _ratio(precision, np.where(np.isnan(base), 0.0, base)) * np.ones_like(precision)
    preceded = _ratio(c.preceded, exps)
    return {
        "false_fires": false, "false_positive_rate": fpr, "precision": precision,
        "coverage": _ratio(c.at_least[0], exps), "preceded": preceded,
        "base_rate": base * np.ones_like(precision), "lift": lift,
        "passes_gate": _gate(fpr, preceded, lift, min_lift),
    }


def _curve_frame(thr: np.ndarray, c: _Counts, min_lift: float = playbook.GATE_MIN_LIFT) -> pd.DataFrame:
    """One row per threshold, columns ``CURVE_COLUMNS`` (first group of the counts)."""
    r = {k: v[0] for k, v in _metrics(c, min_lift).items()}
    n = thr.size

    def whole(a):
        return np.asarray(a, dtype=np.int64)

    return pd.DataFrame({
        "threshold": thr.astype(float),
        "fires": whole(c.fires[0]),
        "true_fires": whole(c.true_fires[0]),
        "pending": whole(c.pending[0]),
        "false_fires": whole(r["false_fires"]),
        "false_positive_rate": r["false_positive_rate"],
        "precision": r["precision"],
        "expansions": np.full(n, int(c.expansions[0]), dtype=np.int64),
        "unobservable": np.full(n, int(c.unobservable[0]), dtype=np.int64),
        "covered": whole(c.at_least[0, 0]),
        "coverage": r["coverage"],
        "preceded": r["preceded"],
        "median_lead": _median_lead(c.at_least[:, 0, :]),
        "base_rate": r["base_rate"],
        "lift": r["lift"],
        "passes_gate": r["passes_gate"],
    })[list(CURVE_COLUMNS)]


def _candidates(m: np.ndarray, p: np.ndarray, mask=None) -> np.ndarray:
    """Every distinct threshold at which some fire happens: the upper ends m of the intervals.

    Fire counts are constant on each (v_i, v_{i+1}] between consecutive candidates, so
    these values give every distinct backtest result (τ above the largest: no fire).
    """
    ok = p < m
    if mask is not None:
        ok &= mask
    return np.unique(m[ok])
