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


def _int_type(limit: int):
    """int32 when every value (and what the engine adds to it) stays below ``limit``."""
    return np.int32 if limit < 2**31 - 1 else np.int64


def _prepare(codes: np.ndarray, periods: np.ndarray, labels=None, where=None,
             name: str = "periods") -> _Panel:
    """The panel sorted by (account, period); int32 arrays whenever the values fit (half
    the memory a first call has to touch), int64 otherwise."""
    codes = np.asarray(codes)
    periods = np.asarray(periods)
    codes = codes if codes.dtype.kind in "iu" else codes.astype(np.int64)
    periods = periods if periods.dtype.kind in "iu" else periods.astype(np.int64)
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
    stride = 2 * w  # padded: a look-back or look-ahead of w periods never reaches another account
    n_acc = int(codes.max()) + 1
    margin = 2 * w + 2 * MAX_WINDOW + 16  # the engine adds windows to keys and periods
    kt = _int_type(n_acc * stride + margin)  # keys
    pt = _int_type(max(abs(pmin), abs(pmax)) + margin)  # periods
    ot = _int_type(n)  # row positions
    at = _int_type(n_acc)  # account codes
    rel = np.empty(n, dtype=kt)  # period − FIRST, computed without an int64 temporary
    np.subtract(periods, periods.dtype.type(pmin), out=rel, casting="unsafe")
    compact = np.multiply(codes, w, out=np.empty(n, dtype=kt), casting="unsafe")
    compact += rel  # account-major, period-minor: the sort key
    if n == 1 or bool((compact[1:] > compact[:-1]).all()):  # already sorted, no repeats
        acc = codes.astype(at, copy=False)
        key = np.multiply(acc, stride, dtype=kt)
        key += rel
        return _Panel(acc, periods, key, np.arange(n, dtype=ot), n_acc, w)
    span = n_acc * w
    order = None
    if span <= 4 * n:  # dense keys: each row's slot in the account × period grid, O(n)
        slot = np.full(span, -1, dtype=ot)
        slot[compact] = np.arange(n, dtype=ot)
        filled = slot >= 0
        order = slot[filled]  # the rows in (account, period) order
        del slot
        if order.size == n:  # no (account, period) twice
            acc = np.repeat(np.arange(n_acc, dtype=at), np.bincount(codes, minlength=n_acc))
            # each row's period is its column in the grid: no gather
            rel = np.broadcast_to(np.arange(w, dtype=kt), (n_acc, w))[filled.reshape(n_acc, w)]
            return _sorted_panel(acc, rel, order, stride, pmin, pt, n_acc, w)
    order = np.argsort(compact, kind=None if order is None else "stable").astype(ot, copy=False)
    acc = codes[order].astype(at, copy=False)
    rel = rel[order]
    compact = compact[order]
    dup = np.flatnonzero(compact[1:] == compact[:-1])
    if dup.size:
        i, j = sorted((int(order[dup[0]]), int(order[dup[0] + 1])))
        who = labels[acc[dup[0]]] if labels is not None else acc[dup[0]]
        rows = f"{where(i)} and {where(j)}" if where else f"items {i + 1} and {j + 1}"
        raise _args.InputError(
            f"{name}: expected one row per account and period, got account {who!r} "
            f"period {int(rel[dup[0]]) + pmin} twice ({rows})"
        )
    return _sorted_panel(acc, rel, order, stride, pmin, pt, n_acc, w)


def _sorted_panel(acc, rel, order, stride, pmin, pt, n_acc, w) -> _Panel:
    """The panel from its sorted account codes and periods − FIRST."""
    key = np.multiply(acc, stride, dtype=rel.dtype)
    key += rel
    per = rel.astype(pt, copy=False)  # reuses rel when the types agree
    per += pt(pmin)
    return _Panel(acc, per, key, order, n_acc, w)


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
    np.copyto(m, -_INF, where=~ok)  # in place: no second array of n floats
    p = np.empty(n)
    p[1:] = m[:-1]
    np.copyto(p, -_INF, where=~consecutive)  # row 0 is never consecutive
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
    if w <= _SHORT:  # (t, t + w] lies among the w rows before each expansion
        out = np.zeros(n, dtype=bool)
        e = np.flatnonzero(y)
        for j in range(1, min(w, n - 1) + 1):
            e = e[e >= j]
            t = e - j
            out[t[P.key[e] <= P.key[t] + w]] = True
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
    g = groups.astype(np.int64) * (t + 1)
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


_BLOCK = 1 << 19  # rows per block of the fire counts: their temporaries stay small


def _fire_counts(P: _Panel, m, p, truth, thr, w, last, fire_from, groups, g):
    """(fires, true fires, pending fires), each (G, T), a block of rows at a time.

    A fire at row r (p_r < m_r) counts at the thresholds in (p_r, m_r]; it is true where
    ``truth``, else pending when t + w > LAST and its account has a row at LAST.
    """
    t = thr.size
    size = g * (t + 1)
    diff = np.zeros((3, size), dtype=np.int64)  # difference arrays over the thresholds
    seen_last = _observed_at(P, last)
    step = max(_BLOCK, size)  # a block's counting never costs more than its rows
    for lo in range(0, m.size, step):
        mb, pb = m[lo:lo + step], p[lo:lo + step]
        ok = pb < mb
        if fire_from > -_INF:
            ok &= P.per[lo:lo + step] >= fire_from
        r = np.flatnonzero(ok)
        a, b = _slots(pb[r], mb[r], thr)
        some = a < b  # intervals holding no threshold count nowhere
        r, a, b = r[some] + lo, a[some], b[some]
        if groups is not None:
            base = groups[r].astype(np.int64) * (t + 1)
            a += base
            b += base
        true = truth[r]
        pend = ~true & (P.per[r] + w > last) & seen_last[P.acc[r]]
        for i, sel in enumerate((slice(None), true, pend)):
            diff[i] += np.bincount(a[sel], minlength=size)
            diff[i] -= np.bincount(b[sel], minlength=size)
    out = np.cumsum(diff.reshape(3, g, t + 1), axis=2)[:, :, :t]
    return out[0], out[1], out[2]


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

    fires, true_fires, pending = _fire_counts(P, m, p, truth, thr, w, last, fire_from, groups, g)

    def per_group(rows):  # row positions, or a mask over the rows
        if by_account:
            return np.bincount(P.acc[rows], minlength=g)
        return np.array([np.count_nonzero(rows) if rows.dtype == bool else rows.size])

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
        preceded, at_least, per_group(base & truth), per_group(base),
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


# =========================================================================== blocks of accounts

_ROWS_PER_BLOCK = 1 << 20  # a block's window minima and counts stay small (~50 MB)


def _account_blocks(P: _Panel) -> list[slice]:
    """Slices of about ``_ROWS_PER_BLOCK`` sorted rows, cut between accounts: the backtest of
    a panel is the sum of its accounts' backtests, so a block at a time needs no array of
    every row."""
    n, rows = P.acc.size, _ROWS_PER_BLOCK
    if n <= rows:
        return [slice(0, n)]
    cuts = np.searchsorted(P.acc, P.acc[rows::rows], "left")
    edges = np.unique(np.concatenate(([0], cuts, [n])))
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _block(P: _Panel, s: slice) -> _Panel:
    return _Panel(P.acc[s], P.per[s], P.key[s], P.order[s], P.n_acc, P.w)


def _block_candidates(P: _Panel, x: np.ndarray, k: int) -> np.ndarray:
    """``_candidates`` of the whole panel, a block of accounts at a time."""
    parts = [_candidates(*_window_min(_block(P, s), x[s], k)) for s in _account_blocks(P)]
    return np.unique(np.concatenate(parts))


def _block_counts(P: _Panel, x, y, thr, k: int, w: int, *, first: int, last: int) -> _Counts:
    """``_counts`` of the whole panel (signal ``x``, expansions ``y`` per sorted row), summed
    over blocks of accounts: a first call touches a block's memory, not the panel's."""
    total = None
    for s in _account_blocks(P):
        B = _block(P, s)
        m, p = _window_min(B, x[s], k)
        c = _counts(B, m, p, _truth(B, y[s], w), y[s], thr, w, first=first, last=last)
        total = c if total is None else _Counts(*(a + b for a, b in zip(total, c, strict=True)))
    return total
