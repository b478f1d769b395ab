"""Choosing thresholds and points from history: recommendations, walk-forward, bootstrap,
calibrated points (SPEC §7, with its censored definitions throughout).

- ``recommend_threshold(panel, signal)`` / ``recommend_thresholds(panel, rules)``: the
  threshold with the highest expected value among those passing the gate;
- ``walk_forward(panel, signal, splits)``: chosen on periods before each split (FIRST …
  split − 1: fires near the split are pending there, not false), scored after it;
- ``bootstrap_curve``: intervals over accounts resampled with replacement;
- ``rule_indicators``, ``calibrate_points``, ``compare_points``: rule points learned by a
  logistic regression of "an expansion within the window" on which rules hold.

>>> import udfs
>>> h = udfs.sample_history(n_accounts=120, n_periods=18)
>>> round(recommend_threshold(h, "usage_at_cap")["threshold"], 2)
0.87
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from .engine import (
    CURVE_COLUMNS,
    _candidates,
    _Counts,
    _counts,
    _curve_frame,
    _median_lead,
    _metrics,
    _Panel,
    _truth,
    _window_min,
)
from .panel import (
    DEFAULT_PERIOD_DAYS,
    DEFAULT_WINDOW,
    _count_arg,
    _curve_thresholds,
    _Data,
    _data,
    _expansions,
    _frame,
    _holds,
    _report,
    _rule_specs,
    _signal_panel,
    _whole,
)
from .trigger import _judged_rules, _min_lift, _scope

__all__ = [
    "DEFAULT_FALSE_PLAY_COST", "recommend_threshold", "recommend_thresholds",
    "walk_forward", "bootstrap_curve", "rule_indicators", "calibrate_points", "compare_points",
]

DEFAULT_FALSE_PLAY_COST = 1000.0  # $ of CSM/AE time spent on a play that does not close


# =========================================================================== value


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
        if data.amount is not None:
            amount = data.amount
            mask = _expansions(data, motion) & ~np.isnan(amount) & (amount > 0)
            if until is not None:
                mask &= data.P.per < until
            if mask.any():
                deal_size = float(amount[mask].mean())
    else:
        deal_size = _args.number("deal_size", deal_size, minimum=0)
    return close_rate, deal_size


def _with_value(curve: pd.DataFrame, close_rate, deal_size, cost) -> pd.DataFrame:
    """expected_value = true × close rate × deal size − false × cost (pending left out)."""
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


def recommend_threshold(
    panel: Any, signal: str, persistence: Any = None, window: Any = None, *,
    motion: Any = None, rules: Any = None, thresholds: Any = None, close_rate: Any = None,
    deal_size: Any = None, false_play_cost: Any = DEFAULT_FALSE_PLAY_COST, plays: Any = None,
    period_days: Any = DEFAULT_PERIOD_DAYS, min_lift: Any = None,
) -> dict:
    """The threshold with the highest expected value among those passing the gate.

    expected_value = true_fires × close_rate × deal_size − false_fires × false_play_cost
    (pending fires are neither). Defaults: close_rate of the motion's play (mean of all
    plays without a motion); deal_size = mean expansion_amount of the counted expansions
    (1 without amounts); false_play_cost = ``DEFAULT_FALSE_PLAY_COST``; persistence and
    window the rule's (SPEC §7). Returns a dict: threshold (None when no threshold passes
    the gate), the ``CURVE_COLUMNS`` metrics at it, expected_value, close_rate,
    deal_size, false_play_cost, signal, rule, op, motion, persistence, window.
    """
    s = _signal_panel(panel, signal, motion, rules, persistence, window, plays, period_days)
    cost = _args.number("false_play_cost", false_play_cost, minimum=0)
    cr, deal = _value_args(s.data, s.motion, close_rate, deal_size, plays)
    m, p = _window_min(s.data.P, s.sig.values, s.k)
    thr = _curve_thresholds(s.sig, thresholds, m, p)
    counts = _counts(s.data.P, m, p, _truth(s.data.P, s.y, s.w), s.y, thr, s.w, **_scope(s.data.P))
    curve = _with_value(_report(_curve_frame(thr, counts, _min_lift(min_lift)), s.sig), cr, deal, cost)
    return {**_recommendation(curve, s.sig, s.motion, cr, deal, cost),
            "persistence": s.k, "window": s.w}


def recommend_thresholds(
    panel: Any, rules: Any = None, persistence: Any = None, window: Any = None, *,
    plays: Any = None, false_play_cost: Any = DEFAULT_FALSE_PLAY_COST,
    period_days: Any = DEFAULT_PERIOD_DAYS, min_lift: Any = None,
) -> pd.DataFrame:
    """A recommended threshold for every rule but the risk rules (see ``recommend_threshold``).

    One row per rule: rule, motion, signal, op (how ``threshold`` applies: '>=', '<=' for
    '≤'/'<' rules, '=' for flags), persistence, window (each rule's own unless given, a
    value or a dict {rule: value}), current_threshold, threshold (recommended; NaN when
    nothing passes the gate), fires, true_fires, pending, false_positive_rate, coverage,
    preceded, median_lead, base_rate, lift, passes_gate, expected_value,
    current_expected_value, close_rate, deal_size.
    """
    data = _data(panel)
    cost = _args.number("false_play_cost", false_play_cost, minimum=0)
    lift = _min_lift(min_lift)
    scope = _scope(data.P)
    out = []
    for spec, sig, k, w, y in _judged_rules(data, rules, persistence, window, plays, period_days):
        cr, deal = _value_args(data, sig.motion, None, None, plays)
        m, p = _window_min(data.P, sig.values, k)
        truth = _truth(data.P, y, w)
        thr = _candidates(m, p)
        curve = _curve_frame(thr, _counts(data.P, m, p, truth, y, thr, w, **scope), lift)
        curve = _with_value(_report(curve, sig), cr, deal, cost)
        rec = _recommendation(curve, sig, sig.motion, cr, deal, cost)
        now = np.array([sig.current])
        current = _with_value(_curve_frame(now, _counts(data.P, m, p, truth, y, now, w, **scope), lift),
                              cr, deal, cost).iloc[0]
        out.append({
            "rule": spec.rule, "motion": sig.motion, "signal": sig.column, "op": rec["op"],
            "persistence": k, "window": w,
            "current_threshold": sig.threshold, "threshold": rec["threshold"],
            **{c: rec[c] for c in ("fires", "true_fires", "pending", "false_positive_rate",
                                   "coverage", "preceded", "median_lead", "base_rate", "lift")},
            "passes_gate": bool(rec["passes_gate"]),
            "expected_value": rec["expected_value"],
            "current_expected_value": float(current["expected_value"]),
            "close_rate": cr, "deal_size": deal,
        })
    frame = pd.DataFrame(out)
    for col in ("threshold", "fires", "true_fires", "pending", "false_positive_rate", "coverage",
                "preceded", "median_lead", "base_rate", "lift", "expected_value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


# =========================================================================== walk-forward

_TRAIN = ("fires", "true_fires", "pending", "false_positive_rate", "coverage", "preceded", "lift",
          "expected_value")
_TEST = ("fires", "true_fires", "pending", "false_positive_rate", "expansions", "coverage",
         "preceded", "median_lead", "base_rate", "lift", "passes_gate", "expected_value")


def walk_forward(
    panel: Any, signal: str, splits: Any = None, persistence: Any = None, window: Any = None,
    *, motion: Any = None, rules: Any = None, thresholds: Any = None, close_rate: Any = None,
    deal_size: Any = None, false_play_cost: Any = DEFAULT_FALSE_PLAY_COST, plays: Any = None,
    period_days: Any = DEFAULT_PERIOD_DAYS, min_lift: Any = None,
) -> pd.DataFrame:
    """Choose the threshold on periods before each split, score it on the periods after.

    Training is SPEC §7 on the rows before the split (FIRST = the panel's, LAST = split − 1):
    a fire whose window reaches past the split is pending, not false; the default deal
    size uses training amounts only; candidate thresholds come from training fires. So
    changing any period ≥ split never changes the choice (the highest expected value
    passing the gate, as ``recommend_threshold``).

    Test (FIRST = split, LAST = the panel's): episodes use the full history (an episode
    already running at the split does not fire again); fires at t ≥ split are judged;
    expansions at e ≥ split count, unobservable when e − w < split.

    ``splits``: a period or a list of periods; default: one split leaving the last third
    of the periods for testing. Returns one row per split: split, threshold (chosen; NaN
    when nothing passes the gate in training), train_* and test_* metrics.
    """
    s = _signal_panel(panel, signal, motion, rules, persistence, window, plays, period_days)
    sig, y, k, w = s.sig, s.y, s.k, s.w
    cost = _args.number("false_play_cost", false_play_cost, minimum=0)
    lift = _min_lift(min_lift)
    P = s.data.P
    if P.per.size == 0:
        raise _args.InputError("panel: expected at least one row, got none")
    first, last = _scope(P).values()
    if splits is None:
        splits = [first + int(math.ceil((last - first + 1) * 2 / 3))]
    splits = [int(v) for v in np.atleast_1d(_whole("splits", splits))]
    m_full, p_full = _window_min(P, sig.values, k)
    truth_full = _truth(P, y, w)
    out = []
    for split in splits:
        keep = P.per < split  # training: rows before the split only
        Pt = _Panel(P.acc[keep], P.per[keep], P.key[keep], P.order[keep], P.n_acc, P.w)
        xt, yt = sig.values[keep], y[keep]
        mt, pt = _window_min(Pt, xt, k)
        thr = _curve_thresholds(sig, thresholds, mt, pt)
        cr, deal = _value_args(s.data, s.motion, close_rate, deal_size, plays, until=split)
        row: dict[str, Any] = {"split": split, "threshold": math.nan}
        chosen = None
        if thr.size:
            tc = _counts(Pt, mt, pt, _truth(Pt, yt, w), yt, thr, w, first=first, last=split - 1)
            train = _with_value(_report(_curve_frame(thr, tc, lift), sig), cr, deal, cost)
            i = _pick(train)
            if i is not None:
                chosen = float(train.loc[i, "threshold"])
                row["threshold"] = chosen
                row.update({f"train_{c}": _args.to_python(train.loc[i, c]) for c in _TRAIN})
        if chosen is not None:
            tt = np.array([chosen * sig.sign])
            test = _curve_frame(tt, _counts(P, m_full, p_full, truth_full, y, tt, w,
                                            first=split, last=last, fire_from=split), lift)
            test = _with_value(test, cr, deal, cost).iloc[0]
            row.update({f"test_{c}": _args.to_python(test[c]) for c in _TEST})
        out.append(row)
    columns = ["split", "threshold", *(f"train_{c}" for c in _TRAIN), *(f"test_{c}" for c in _TEST)]
    frame = pd.DataFrame(out, columns=columns)
    for col in columns:
        if col != "test_passes_gate":
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["test_passes_gate"] = frame["test_passes_gate"].map(lambda v: v is True).astype(bool)
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


def _weighted(c: _Counts, weights: np.ndarray) -> _Counts:
    """Counts of a resample given as account multiplicities (B × accounts): matrix products."""
    return _Counts(
        weights @ c.fires, weights @ c.true_fires, weights @ c.pending,
        weights @ c.expansions.astype(float), weights @ c.unobservable.astype(float),
        weights @ c.preceded, np.stack([weights @ c.at_least[j] for j in range(c.at_least.shape[0])]),
        weights @ c.base_hits.astype(float), weights @ c.base_rows.astype(float),
    )


def bootstrap_curve(
    panel: Any, signal: str, thresholds: Any = None, persistence: Any = None,
    window: Any = None, *, motion: Any = None, rules: Any = None, plays: Any = None,
    period_days: Any = DEFAULT_PERIOD_DAYS, min_lift: Any = None,
    resamples: int = 200, seed: int = 0, level: float = 0.90, max_thresholds: int = 101,
) -> pd.DataFrame:
    """Bootstrap confidence intervals over accounts (resampled with replacement, seeded).

    Counts are built once per account and threshold; a resample is a vector of account
    multiplicities, so every resample is a weighted sum (a matrix product), never a
    rebuild. ``thresholds`` None: the distinct candidates, or ``max_thresholds`` of their
    quantiles when there are more. Returns one row per threshold: threshold, fires, then
    for false_positive_rate, coverage, preceded, lift and median_lead the point value and
    its _low / _high percentiles ((1 − level)/2 and (1 + level)/2), and gate_probability
    (share of resamples passing the gate).
    """
    b = _args.integer("resamples", resamples, minimum=1)
    seed = _args.integer("seed", seed, minimum=0)
    level = _args.number("level", level)
    if not 0 < level < 1:
        raise _args.fail("level", "a fraction between 0 and 1", level)
    lift = _min_lift(min_lift)
    s = _signal_panel(panel, signal, motion, rules, persistence, window, plays, period_days)
    P, w = s.data.P, s.w
    m, p = _window_min(P, s.sig.values, s.k)
    thr = _curve_thresholds(s.sig, thresholds, m, p)
    if thresholds is None and thr.size > max_thresholds:
        thr = np.unique(np.quantile(thr, np.linspace(0, 1, max_thresholds), method="nearest"))
    truth = _truth(P, s.y, w)
    rng = np.random.default_rng(seed)
    a = max(P.n_acc, 1)
    weights = rng.multinomial(a, np.full(a, 1.0 / a), size=b).astype(float)
    qlo, qhi = (1 - level) / 2, (1 + level) / 2
    # per-account tables are accounts × thresholds: build them a block of thresholds at a time
    block = max(1, int(20_000_000 // (a * (min(w, P.w) + 5))))
    parts = []
    for start in range(0, max(thr.size, 1), block):
        t = thr[start:start + block]
        c = _counts(P, m, p, truth, s.y, t, w, by_account=True, **_scope(P))
        point = _curve_frame(t, _weighted(c, np.ones((1, c.fires.shape[0]))), lift)
        r = _weighted(c, weights)
        met = _metrics(r, lift)
        lead = _median_lead(np.rint(r.at_least).astype(np.int64))
        part = {"threshold": t, "fires": point["fires"].to_numpy()}
        for name, values in (("false_positive_rate", met["false_positive_rate"]),
                             ("coverage", met["coverage"]), ("preceded", met["preceded"]),
                             ("lift", met["lift"]), ("median_lead", lead)):
            part[name] = point[name].to_numpy()
            part[f"{name}_low"] = _nan_quantile(values, qlo)
            part[f"{name}_high"] = _nan_quantile(values, qhi)
        part["gate_probability"] = met["passes_gate"].mean(axis=0)
        parts.append(pd.DataFrame(part))
    out = pd.concat(parts, ignore_index=True)
    if s.sig.sign < 0:
        out = out.iloc[::-1].reset_index(drop=True)
        out["threshold"] = -out["threshold"]
    return out


# =========================================================================== calibration


def rule_indicators(panel: Any, rules: Any = None) -> pd.DataFrame:
    """Whether each rule's condition holds in each panel row (current thresholds, k = 1).

    One bool column per rule (rows of one rule AND-ed; a missing signal never holds),
    in the panel's row order.
    """
    from .panel import _column_values

    frame = _frame(panel)
    out = {}
    for spec in _rule_specs(rules):
        held = np.ones(len(frame), dtype=bool)
        for _, r in spec.rows.iterrows():
            held &= _holds(_column_values(frame, r["signal"]), r["op"], float(r["threshold"]))
        out[spec.rule] = held
    return pd.DataFrame(out, index=frame.index)


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


def _design(panel, rules, w, *, split=None, train=True):
    """Rule indicators and outcomes of the account-periods with t + w ≤ LAST (SPEC §7's
    base-rate rows): an expansion (any motion) in (t, t + w]."""
    data = _data(panel)
    specs = _rule_specs(rules)
    ind = rule_indicators(data.frame, rules).to_numpy()[data.P.order]
    P = data.P
    yv = _truth(P, data.expansion, w)
    rows = P.per + w <= (int(P.per.max()) if P.per.size else 0)
    if split is not None:
        s = _args.integer("split", split, minimum=-(2**62))
        # training rows need their whole outcome window before the split
        rows &= (P.per + w < s) if train else (P.per >= s)
    return ind[rows], yv[rows], rows, specs


def calibrate_points(
    panel: Any, rules: Any = None, window: Any = DEFAULT_WINDOW, *, l2: float = 1.0,
    split: Any = None,
) -> pd.DataFrame:
    """Rule points learned from history: logistic regression of an expansion within
    ``window`` on the rule indicators (numpy Newton/IRLS with an L2 penalty ``l2``).

    Rows: account-periods with t + window ≤ LAST (and with their window before ``split``
    when given). Points = 100 × coefficient / sum of the positive coefficients, rounded to
    1 decimal (a motion rule never below 0; a risk rule never above 0), so an account
    firing every useful rule scores 100. Returns one row per rule: rule, motion,
    default_points, coefficient, points. The intercept is in ``.attrs['intercept']``.
    """
    w = _count_arg("window", window, DEFAULT_WINDOW)
    X, yv, _, specs = _design(panel, rules, w, split=split, train=True)
    l2 = _args.number("l2", l2, minimum=0)
    beta = _fit_logistic(X.astype(float), yv.astype(float), l2)
    coef = beta[1:]
    risk = np.array([s.risk for s in specs], dtype=bool)
    total = np.clip(coef[~risk], 0, None).sum()
    scaled = 100 * coef / total if total > 0 else np.zeros_like(coef)
    points = np.round(np.where(risk, np.minimum(scaled, 0), np.maximum(scaled, 0)), 1)
    out = pd.DataFrame({
        "rule": [s.rule for s in specs],
        "motion": [s.motion for s in specs],
        "default_points": [s.points for s in specs],
        "coefficient": coef,
        "points": points + 0.0,
    })
    out.attrs["intercept"] = float(beta[0])
    return out


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
    scores (min(100, max(0, Σ points of holding rules))) are ranked on the account-periods
    at or after the split with t + window ≤ LAST; a hit is an expansion within
    ``window``. Returns {'k', 'precision_default', 'precision_calibrated', 'base_rate',
    'rows', 'split', 'points'} ('points' is the ``calibrate_points`` table).
    """
    w = _count_arg("window", window, DEFAULT_WINDOW)
    k = _args.integer("k", k, minimum=1)
    if split is None:
        per = _whole("panel period", _frame(panel)["period"], rows=True)
        split = int(per.min() + (per.max() - per.min() + 1) // 2) if per.size else 0
    points = calibrate_points(panel, rules, w, l2=l2, split=split)
    X, yv, _, _ = _design(panel, rules, w, split=split, train=False)
    default = np.clip(X @ points["default_points"].to_numpy(), 0, 100.0)
    calibrated = np.clip(X @ points["points"].to_numpy(), 0, 100.0)
    return {
        "k": k,
        "precision_default": _precision_at_k(default, yv, k),
        "precision_calibrated": _precision_at_k(calibrated, yv, k),
        "base_rate": float(yv.mean()) if yv.size else math.nan,
        "rows": int(yv.size),
        "split": int(split),
        "points": points,
    }
