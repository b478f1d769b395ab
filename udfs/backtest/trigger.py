"""Trigger backtests (SPEC §7): replay history to judge a signal threshold, without lookahead.

The definitions are listed once, in the package's docstring.

>>> r = trigger_backtest(["a"] * 6, [1, 2, 3, 4, 5, 6], [0.5, 0.95, 0.5, 0.5, 0.95, 0.5],
...                      [0, 0, 1, 0, 0, 0], [0.9])
>>> [r[c].iloc[0].item() for c in ("fires", "true_fires", "pending", "false_positive_rate")]
[2, 1, 1, 0.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, playbook
from ..core._args import omitted
from .engine import (
    CURVE_COLUMNS,
    _block_candidates,
    _block_counts,
    _cap,
    _curve_frame,
    _gate,
    _lag_rows,
    _observed_at,
    _Panel,
    _prepare,
    _ratio,
    _truth,
    _window_min,
)
from .panel import (
    DEFAULT_PERIOD_DAYS,
    DEFAULT_PERSISTENCE,
    DEFAULT_WINDOW,
    _codes,
    _count_arg,
    _curve_thresholds,
    _data,
    _expansions,
    _flags,
    _report,
    _rule_signal,
    _rule_specs,
    _same_length,
    _signal,
    _signal_panel,
    _thresholds,
    _whole,
    rule_window,
)

__all__ = [
    "DEFAULT_PERSISTENCE", "DEFAULT_WINDOW", "DEFAULT_PERIOD_DAYS",
    "BACKTEST_COLUMNS", "CURVE_COLUMNS",
    "trigger_fires", "trigger_backtest", "rule_window",
    "backtest_curve", "backtest_single", "lead_times", "motion_backtests",
    "TRIGGER_FIRES", "TRIGGER_BACKTEST",
]

BACKTEST_COLUMNS = (
    "threshold", "fires", "true_fires", "pending", "false_positive_rate", "precision",
    "coverage", "preceded", "unobservable", "median_lead", "base_rate", "lift", "passes_gate",
)


def _min_lift(value: Any) -> float:
    if omitted(value):
        return playbook.GATE_MIN_LIFT
    return _args.number("min_lift", value, minimum=0)


def _scope(P: _Panel) -> dict:
    """FIRST and LAST of a panel (SPEC §7)."""
    if P.per.size == 0:
        return {"first": 0, "last": 0}
    return {"first": int(P.per.min()), "last": int(P.per.max())}


def _run(P: _Panel, xs, ys, thr_sorted, k, w, min_lift=playbook.GATE_MIN_LIFT) -> pd.DataFrame:
    return _curve_frame(thr_sorted, _block_counts(P, xs, ys, thr_sorted, k, w, **_scope(P)), min_lift)


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
    P = _prepare(np.zeros(n, dtype=np.int64), np.arange(n), name="signal_values")
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
    min_lift: Any = None,
) -> pd.DataFrame:
    """Backtest a signal at each threshold (SPEC §7): one row per threshold, in the given order.

    Columns ``BACKTEST_COLUMNS``: threshold, fires (true + pending + false), true_fires,
    pending, false_positive_rate, precision, coverage, preceded, unobservable (expansions
    left out), median_lead (periods), base_rate, lift, passes_gate; a ratio with a zero
    denominator is NaN. Rows may come in any order and with gaps; ``periods`` are whole
    numbers; a blank signal is "not present"; a blank flag is no expansion. Defaults:
    persistence 1, window 3 periods, min_lift 1.5.
    """
    codes, labels = _codes("account_ids", account_ids)
    per = _whole("periods", periods)
    x = _signal("signal_values", signal_values)
    y = _flags("expansion_flags", expansion_flags)
    _same_length(codes.size, periods=per.size, signal_values=x.size, expansion_flags=y.size)
    thr = _thresholds("thresholds", thresholds)
    k = _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = _count_arg("window", window, DEFAULT_WINDOW)
    lift = _min_lift(min_lift)
    P = _prepare(codes, per, labels)
    xs, ys = x[P.order], y[P.order]
    curve = _run(P, xs, ys, np.unique(thr), k, w, lift)
    out = curve.iloc[np.searchsorted(curve["threshold"].to_numpy(), thr)].reset_index(drop=True)
    return out[list(BACKTEST_COLUMNS)]


def backtest_curve(
    panel: Any,
    signal: str,
    thresholds: Any = None,
    persistence: Any = None,
    window: Any = None,
    *,
    motion: Any = None,
    rules: Any = None,
    plays: Any = None,
    period_days: Any = DEFAULT_PERIOD_DAYS,
    min_lift: Any = None,
) -> pd.DataFrame:
    """The SPEC §7 backtest of ``signal`` at every threshold: one row per threshold.

    ``panel``: DataFrame (or range with header) with account_id, period (whole numbers),
    an ``expansion`` flag (or ``expansion_motion``, non-blank = expansion), and signal
    columns (SPEC §2 names, matched like account tables). ``signal``: a panel column, or
    a rule name of ``rules`` (default rules): then the rule's first condition is swept by
    its own operator, its other conditions held as they are ('≤' rules are swept on the
    negated signal and reported in the signal's units), and only the expansions of the
    rule's motion count when the panel says which motion expanded. ``motion`` picks the
    motion instead. ``persistence``/``window`` omitted: the rule's (Rules columns; the
    window of its motion, ``rule_window``), else 1 and 3. ``thresholds`` None = every
    distinct candidate (each value where a fire happens: results are constant between).

    Returns ``CURVE_COLUMNS``, ascending by threshold.

    >>> panel = pd.DataFrame({"account_id": ["a"] * 4, "period": [1, 2, 3, 4],
    ...                       "usage_vs_cap": [0.5, 0.92, 0.6, 0.7], "expansion": [0, 0, 1, 0]})
    >>> backtest_curve(panel, "usage_vs_cap", window=1)[["threshold", "fires", "true_fires", "pending"]]
       threshold  fires  true_fires  pending
    0       0.50      1           0        0
    1       0.70      2           1        1
    2       0.92      1           1        0
    """
    s = _signal_panel(panel, signal, motion, rules, persistence, window, plays, period_days)
    P, x = s.data.P, s.sig.values
    thr = (_block_candidates(P, x, s.k) if thresholds is None
           else _curve_thresholds(s.sig, thresholds, None, None))
    counts = _block_counts(P, x, s.y, thr, s.k, s.w, **_scope(P))
    return _report(_curve_frame(thr, counts, _min_lift(min_lift)), s.sig)


# =========================================================================== one threshold


def _leads(P: _Panel, fire: np.ndarray, rows: np.ndarray, w: int) -> np.ndarray:
    """Per expansion row: e − t of the earliest fire in e−w ≤ t < e (0 when none)."""
    lead = np.zeros(rows.size, dtype=np.int64)
    for j in range(_cap(P, w), 0, -1):
        if rows.size == 0:
            break
        pos, found = _lag_rows(P, rows, j)
        lead[found & fire[pos] & (lead == 0)] = j
    return lead


def _single(P: _Panel, xs, ys, truth, tau: float, k: int, w: int,
            min_lift: float = playbook.GATE_MIN_LIFT) -> dict:
    """One threshold, computed directly from the signal (the per-threshold baseline)."""
    n = xs.size
    first, last = _scope(P).values()
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
    pending = int((fire & ~truth & (P.per + w > last) & _observed_at(P, last)[P.acc]).sum())
    false = fires - true - pending
    scope = ys & (P.per >= first)
    rows = np.flatnonzero(scope & (P.per - w >= first))
    lead = _leads(P, fire, rows, w)
    covered = lead > 0
    preceded = np.zeros(rows.size, dtype=bool)
    for j in range(1, _cap(P, w) + 1):
        pos, found = _lag_rows(P, rows, j) if rows.size else (rows, rows.astype(bool))
        preceded |= found & holds[pos]
    base = (P.per + w <= last)
    fpr, precision = _ratio(false, true + false)[()], _ratio(true, true + false)[()]
    base_rate = _ratio((base & truth).sum(), base.sum())[()]
    lift = _ratio(precision, 0.0 if math.isnan(base_rate) else base_rate)[()]
    pre = _ratio(preceded.sum(), rows.size)[()]
    return {
        "threshold": tau, "fires": fires, "true_fires": true, "pending": pending,
        "false_positive_rate": float(fpr), "precision": float(precision),
        "coverage": float(_ratio(covered.sum(), rows.size)), "preceded": float(pre),
        "unobservable": int(scope.sum() - rows.size),
        "median_lead": float(np.median(lead[covered])) if covered.any() else math.nan,
        "base_rate": float(base_rate), "lift": float(lift),
        "passes_gate": bool(_gate(np.array([fpr]), np.array([pre]), np.array([lift]), min_lift)[0]),
    }


def backtest_single(
    panel: Any, signal: str, threshold: float, persistence: Any = None,
    window: Any = None, *, motion: Any = None, rules: Any = None, plays: Any = None,
    period_days: Any = DEFAULT_PERIOD_DAYS, min_lift: Any = None,
) -> dict:
    """One threshold, evaluated directly (condition → fires → truth → coverage).

    The straightforward per-threshold backtest: a cross-check of the one-pass engine and
    the baseline of ``bench/bench_backtest.py``. Returns a dict with the keys
    ``BACKTEST_COLUMNS``. ``threshold`` is in the signal's units.
    """
    s = _signal_panel(panel, signal, motion, rules, persistence, window, plays, period_days)
    tau = _args.number("threshold", threshold) * s.sig.sign
    out = _single(s.data.P, s.sig.values, s.y, _truth(s.data.P, s.y, s.w), tau, s.k, s.w,
                  _min_lift(min_lift))
    out["threshold"] = tau * s.sig.sign
    return out


def lead_times(
    panel: Any, signal: str, threshold: float, persistence: Any = None,
    window: Any = None, *, motion: Any = None, rules: Any = None, plays: Any = None,
    period_days: Any = DEFAULT_PERIOD_DAYS,
) -> pd.DataFrame:
    """Every observable expansion with its lead at one threshold (the lead distribution).

    Columns: account_id, period (of the expansion), covered (bool), lead (e − t of the
    earliest fire in e−w ≤ t < e; NaN when not covered), fire_period.
    """
    s = _signal_panel(panel, signal, motion, rules, persistence, window, plays, period_days)
    tau = _args.number("threshold", threshold) * s.sig.sign
    P = s.data.P
    m, p = _window_min(P, s.sig.values, s.k)
    fire = (m >= tau) & (p < tau)
    first = _scope(P)["first"]
    rows = np.flatnonzero(s.y & (P.per - s.w >= first))
    lead = _leads(P, fire, rows, s.w)
    covered = lead > 0
    return pd.DataFrame({
        "account_id": s.data.labels[P.acc[rows]],
        "period": P.per[rows],
        "covered": covered,
        "lead": np.where(covered, lead, np.nan),
        "fire_period": np.where(covered, P.per[rows] - lead, np.nan),
    })


# =========================================================================== every rule


def _given_for(name: str, value: Any, spec) -> tuple[Any, str]:
    """A per-rule argument (one value for all rules, or a dict {rule: value}): the rule's
    value and the name its error gives."""
    if isinstance(value, dict):
        return value.get(spec.rule), f"{name}[{spec.rule}]"
    return value, name


def _persistence_for(persistence: Any, spec) -> int:
    """persistence: one k for all rules, a dict {rule: k}, or omitted (the rule's, else 1)."""
    value, name = _given_for("persistence", persistence, spec)
    if omitted(value):
        return spec.persistence or DEFAULT_PERSISTENCE
    return _count_arg(name, value, DEFAULT_PERSISTENCE)


def _window_for(window: Any, spec, plays: Any, period_days: Any) -> int:
    """window: one w for all rules, a dict {rule: w}, or omitted (the rule's, §7)."""
    value, name = _given_for("window", window, spec)
    if omitted(value):
        return rule_window(spec.motion, spec.window, plays, period_days)
    return _count_arg(name, value, DEFAULT_WINDOW)


def _judged_rules(data, rules: Any, persistence: Any, window: Any, plays: Any, period_days: Any):
    """Each rule but the risk rules: (spec, signal, persistence k, window w, its expansions)."""
    for spec in _rule_specs(rules):
        if spec.risk:
            continue
        sig = _rule_signal(data.frame, data.P.order, spec)
        yield (spec, sig, _persistence_for(persistence, spec),
               _window_for(window, spec, plays, period_days), _expansions(data, sig.motion))


def motion_backtests(
    panel: Any, rules: Any = None, persistence: Any = None, window: Any = None, *,
    plays: Any = None, period_days: Any = DEFAULT_PERIOD_DAYS, min_lift: Any = None,
) -> pd.DataFrame:
    """Each rule at its current threshold against the expansions of its motion.

    ``persistence``/``window``: one value for all rules, a dict {rule: value}, or omitted
    (each rule's own, SPEC §7). Risk rules are left out (not judged against expansions).
    Returns one row per rule: rule, motion, signal, op, threshold, persistence, window,
    then the ``CURVE_COLUMNS`` metrics.
    """
    data = _data(panel)
    lift = _min_lift(min_lift)
    out = []
    for spec, sig, k, w, y in _judged_rules(data, rules, persistence, window, plays, period_days):
        row = _run(data.P, sig.values, y, np.array([sig.current]), k, w, lift).iloc[0]
        metrics = {c: _args.to_python(row[c]) for c in CURVE_COLUMNS if c != "threshold"}
        out.append({
            "rule": spec.rule, "motion": sig.motion, "signal": sig.column, "op": sig.op,
            "threshold": sig.threshold, "persistence": k, "window": w, **metrics,
        })
    frame = pd.DataFrame(out)
    for col in ("false_positive_rate", "precision", "coverage", "preceded", "median_lead",
                "base_rate", "lift"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


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
@xw.arg("min_lift", err_to_str=True, doc="[Optional] Lift the gate requires (default 1.5; 0 switches the lift floor off).")
def TRIGGER_BACKTEST(account_ids, periods, signal_values, expansion_flags, thresholds,
                     persistence=None, window=None, min_lift=None):
    """Backtest a trigger per threshold: fires, pending, false positive rate, coverage, preceded, lead, lift, gate. Example: =TRIGGER_BACKTEST(H[account_id],H[period],H[usage_vs_cap],H[expansion],{0.8,0.9})"""
    result = trigger_backtest(
        account_ids, periods, signal_values, expansion_flags, thresholds, persistence, window,
        min_lift,
    )
    return _args.to_excel(result)
