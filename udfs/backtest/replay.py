"""Queue replay (SPEC §7): judge the whole decision, not one rule, period by period.

At every period of a history panel every account is scored on the signals known then
(all rules, gates, ``alone``, risk rules, persistence over the periods before), with the
scoring engine of ``SCORE_ACCOUNTS`` (``evidence``), the whole panel in one pass. A
**flag** is the first period of a ready episode (ready at t, not at t − 1); with an
Owners table, a period's new plays take their owners' slots in queue order (expected
value, score, account_id), ``weekly_capacity × period_days / 7`` per period (whole, at
least one for an owner with any capacity), and a play
that finds its owner full is *queued*, not flagged. A flag is judged like a fire with its
play's window (``rule_window`` of the play's motion): **true** when the account expands
in that motion (any motion when the panel does not say) within (t, t + w], **pending**
when t + w > LAST and the account is seen at LAST, else **false**.

Reported per period and in total: flags, true / pending / false, precision, coverage of
the period's observable expansions (covered when a flag of the same account and motion
lies in e − w ≤ t < e), base rate (of random flags with the same mix of plays), lift,
Σ expected value of the flags and Σ expansion_amount of the true ones.

Nothing after t changes what is flagged at t: scores read rows ≤ t of their account,
episodes compare t with t − 1, slots are shared within the period. Periods are indexes,
not dates: give ``tenure_months`` (and other date-derived signals) as panel columns, so
each period is scored with its own values.

>>> import udfs
>>> h = udfs.sample_history(n_accounts=60, n_periods=12)
>>> r = queue_replay(h)
>>> list(r.columns[:6]), r["period"].iloc[-1]
(['period', 'flags', 'true_flags', 'pending', 'false_flags', 'queued'], 'total')
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ..core.owners import owners_table
from ..scoring import _accounts, evidence
from ..scoring.plays import owner_codes, play_set, play_values
from ..scoring.queue import _slots, readiness
from .engine import _lag_rows, _observed_at, _ratio, _truth, _window_min
from .families import ordered, plan
from .panel import DEFAULT_PERIOD_DAYS, _Data, _data, _expansions, rule_window

__all__ = ["REPLAY_COLUMNS", "queue_flags", "queue_replay", "compare_queues", "tuned_rules",
           "calibrated_rules"]

REPLAY_COLUMNS = (
    "period", "flags", "true_flags", "pending", "false_flags", "queued", "precision",
    "expansions", "covered", "coverage", "base_rate", "lift", "expected_value",
    "realised_value",
)
_MOTION_LABELS = np.array([*playbook.MOTIONS, ""], dtype=object)  # index −1: no play


# =========================================================================== scoring


def _scored(data: _Data, rules: Any, plays: Any) -> dict[str, np.ndarray]:
    """The scoring of every panel row (sorted), on its account's rows up to it."""
    P = data.P
    book = data.frame.iloc[P.order].reset_index(drop=True)
    rule_set = evidence.rules(rules)
    persistent = [r for r in rule_set if r.persistence > 1]
    if persistent:  # held k periods: a 0/1 signal per persistent rule, then k = 1
        acc = _accounts.read_accounts("panel", book, wanted=frozenset(evidence.needed_columns(rule_set)))
        values = _accounts.signal_values(
            acc, evidence.needed_columns(persistent), None,
            _accounts.value_checks([r.conditions for r in persistent]))
        extra, swapped = {}, {}
        for i, r in enumerate(persistent):
            now = evidence.holds(r, values, P.acc.size)
            now = np.zeros(P.acc.size, dtype=bool) if now is None else now
            m, _ = _window_min(P, now.astype(float), r.persistence)
            name = f"upcell_held_{i}"
            extra[name] = (m >= 1).astype(float)
            swapped[r.name] = dataclasses.replace(r, conditions=((name, ">=", 1.0),), persistence=1)
        book = book.assign(**extra)
        rule_set = tuple(swapped.get(r.name, r) for r in rule_set)
    acc = _accounts.read_accounts("panel", book, wanted=frozenset(evidence.needed_columns(rule_set)))
    ev = evidence.evaluate(acc, rule_set, extra=("arr", "health_score", "tenure_months"))
    ready, _low, _early, primary = readiness(ev)
    play = np.where(ready, primary, -1)  # the play is the primary motion (evidence routing)
    p = play_set(plays)
    arr = ev.values.get("arr", np.full(ev.n, np.nan))
    increase, _rate, value = play_values(play, arr, p.share, p.close)
    owner, labels = owner_codes(play, increase, arr, p)
    return {"ready": ready, "play": play, "score": ev.score, "value": value,
            "owner": owner, "owner_labels": labels}


def _flags(data: _Data, s: dict, owners: Any, period_days: float) -> tuple[np.ndarray, np.ndarray]:
    """(flagged, queued) per sorted row: first periods of ready episodes, under capacity."""
    P = data.P
    ready = s["ready"]
    before = np.zeros_like(ready)
    consecutive = np.zeros_like(ready)
    consecutive[1:] = P.key[1:] == P.key[:-1] + 1
    before[1:] = consecutive[1:] & ready[:-1]
    start = ready & ~before
    queued = np.zeros_like(start)
    if owners is None or not start.any():
        return start, queued
    # weekly slots over the period, whole; an owner with any capacity gets at least one
    caps = {k: (max(1, math.floor(v * period_days / 7.0 + 1e-9)) if v > 0 else 0)
            for k, v in owners_table(owners).items()}
    rows = np.flatnonzero(start)
    ids = data.labels[P.acc[rows]].astype(str)
    order = np.lexsort((ids, -s["score"][rows], -s["value"][rows], P.per[rows]))
    rows = rows[order]
    per = P.per[rows]
    cuts = np.flatnonzero(np.diff(per)) + 1
    for group in np.split(np.arange(rows.size), cuts):  # one period's new plays, in queue order
        sub = rows[group]
        slot = _slots(np.arange(sub.size), np.ones(sub.size, dtype=bool),
                             s["owner"][sub], s["owner_labels"], caps)
        queued[sub[slot == playbook.QUEUED]] = True
    return start & ~queued, queued


# =========================================================================== judging


def _judge(data: _Data, s: dict, flagged: np.ndarray, plays: Any, period_days: float,
           first: int, last: int) -> dict[str, np.ndarray]:
    """Per sorted row: verdict of its flag, realised amount, and the expansions' coverage."""
    P = data.P
    n = P.acc.size
    verdict = np.full(n, "", dtype=object)
    realised = np.zeros(n)
    covered = np.zeros(n, dtype=bool)
    observable = np.zeros(n, dtype=bool)
    base = np.full(len(playbook.MOTIONS), np.nan)
    seen_last = _observed_at(P, last)[P.acc]
    amount = data.amount if data.amount is not None else np.full(n, np.nan)
    by_motion = data.motion is not None
    windows = [rule_window(m, None, plays, period_days) for m in playbook.MOTIONS]
    for m, motion in enumerate(playbook.MOTIONS):
        w = windows[m]
        y = _expansions(data, motion) if by_motion else data.expansion
        truth = _truth(P, y, w)
        rows_base = P.per + w <= last
        base[m] = _ratio(truth[rows_base].sum(), rows_base.sum())[()]
        mine = flagged & (s["play"] == m)
        rows = np.flatnonzero(mine)
        true = truth[rows]
        pend = ~true & (P.per[rows] + w > last) & seen_last[rows]
        verdict[rows] = np.where(true, "true", np.where(pend, "pending", "false"))
        ekeys = P.key[y]
        nxt = np.minimum(np.searchsorted(ekeys, P.key[rows[true]], "right"), ekeys.size - 1)
        realised[rows[true]] = np.nan_to_num(amount[y][nxt])  # the first expansion it led to
        if by_motion or m == int(np.argmax(windows)):  # without motions: the longest window
            exp = np.flatnonzero(y & (P.per - w >= first))
            observable[exp] = True
            hit = np.zeros(exp.size, dtype=bool)
            match = mine if by_motion else flagged
            for j in range(1, w + 1):
                pos, found = _lag_rows(P, exp, j)
                hit |= found & match[pos]
            covered[exp] = hit
    return {"verdict": verdict, "realised": realised, "covered": covered,
            "observable": observable, "base": base}


# =========================================================================== public


def _run(panel: Any, rules: Any, plays: Any, owners: Any, period_days: Any):
    days = _args.number("period_days", period_days, minimum=0)
    if days <= 0:
        raise _args.fail("period_days", "a number of days above 0", days)
    data = _data(panel)
    P = data.P
    if P.acc.size == 0:
        raise _args.InputError("panel: expected at least one row, got none")
    s = _scored(data, rules, plays)
    flagged, queued = _flags(data, s, owners, days)
    first, last = int(P.per.min()), int(P.per.max())
    j = _judge(data, s, flagged, plays, days, first, last)
    return data, s, flagged, queued, j


def queue_flags(panel: Any, rules: Any = None, plays: Any = None, owners: Any = None, *,
                period_days: Any = DEFAULT_PERIOD_DAYS) -> pd.DataFrame:
    """Every flag of the replay: account_id, period, play, owner, score, expected_value, verdict
    (``true`` / ``pending`` / ``false``) and realised (expansion_amount of a true flag's
    expansion), in period then account order; ``.attrs['queued']`` counts the plays that
    found their owners full."""
    data, s, flagged, queued, j = _run(panel, rules, plays, owners, period_days)
    rows = np.flatnonzero(flagged)
    rows = rows[np.lexsort((data.P.acc[rows], data.P.per[rows]))]
    out = pd.DataFrame({
        "account_id": data.labels[data.P.acc[rows]],
        "period": data.P.per[rows],
        "play": _MOTION_LABELS[s["play"][rows]],
        "owner": np.asarray(s["owner_labels"], dtype=object)[s["owner"][rows]],
        "score": s["score"][rows],
        "expected_value": s["value"][rows],
        "verdict": j["verdict"][rows],
        "realised": j["realised"][rows],
    })
    out.attrs["queued"] = int(queued.sum())
    return out


def queue_replay(panel: Any, rules: Any = None, plays: Any = None, owners: Any = None, *,
                 period_days: Any = DEFAULT_PERIOD_DAYS, since: Any = None) -> pd.DataFrame:
    """The replay of the whole queue: one row per period, then a ``total`` row.

    Columns ``REPLAY_COLUMNS``. ``since``: report only the periods from this one on (the
    replay itself always runs on the whole panel, so episodes and persistence before it
    count). Ratios with a zero denominator are blank (NaN).
    """
    data, s, flagged, queued, j = _run(panel, rules, plays, owners, period_days)
    return _report(data, s, flagged, queued, j, since)


def _report(data, s, flagged, queued, j, since) -> pd.DataFrame:
    P = data.P
    keep = np.ones(P.per.size, dtype=bool)
    if since is not None:
        keep = P.per >= _args.integer("since", since, minimum=-(2**62))
    per = P.per
    periods = np.unique(per[keep])
    idx = np.searchsorted(periods, per)

    def total(mask, weights=None):
        m = mask & keep
        return np.bincount(idx[m], None if weights is None else weights[m], minlength=periods.size)

    v = j["verdict"]
    true, pend, false = total(v == "true"), total(v == "pending"), total(v == "false")
    judged = (v == "true") | (v == "false")
    play = np.maximum(s["play"], 0)
    base_sum = total(judged, j["base"][play])
    frame = pd.DataFrame({
        "period": periods.astype(object),
        "flags": total(flagged), "true_flags": true, "pending": pend, "false_flags": false,
        "queued": total(queued),
        "expansions": total(j["observable"]), "covered": total(j["covered"]),
        "judged": true + false, "base_sum": base_sum,
        "expected_value": total(flagged, s["value"]), "realised_value": total(v == "true", j["realised"]),
    })
    sums = frame.drop(columns="period").sum()
    frame.loc[len(frame)] = ["total", *sums.tolist()]
    precision = _ratio(frame["true_flags"], frame["judged"])
    base = _ratio(frame["base_sum"], frame["judged"])
    frame["precision"] = precision
    frame["coverage"] = _ratio(frame["covered"], frame["expansions"])
    frame["base_rate"] = base
    frame["lift"] = _ratio(precision, np.nan_to_num(base))
    for col in ("flags", "true_flags", "pending", "false_flags", "queued", "expansions", "covered"):
        frame[col] = frame[col].astype(np.int64)
    return frame[list(REPLAY_COLUMNS)]


# =========================================================================== comparison


def _rules_frame(rules: Any) -> pd.DataFrame:
    return playbook.rules_table(rules).copy()


def tuned_rules(panel: Any, rules: Any = None, plays: Any = None, *,
                period_days: Any = DEFAULT_PERIOD_DAYS, until: Any = None) -> pd.DataFrame:
    """The Rules table with every recommended threshold (``recommend_thresholds``) that
    passes the gate, band edges following as on export (``rule_families``); fitted on the
    periods before ``until`` when given (no lookahead into a later replay). A
    recommendation that would empty a band is left out (``.attrs['skipped']``)."""
    from .tuning import recommend_thresholds

    table = _rules_frame(rules)
    fit = _before(panel, until)
    rec = recommend_thresholds(fit, table, plays=plays, period_days=period_days)
    rec = rec[rec["passes_gate"] & rec["threshold"].notna()]
    rows = table.to_dict("records")
    first = {}
    for i, r in enumerate(rows):
        first.setdefault(r["rule"], i)
    proposals = [(first[r], float(t), {}) for r, t in zip(rec["rule"], rec["threshold"], strict=True)]
    matches, skipped = ordered(rows, proposals, table.columns)
    for i, column, value, _note in plan(rows, matches, table.columns):
        table.loc[i, column] = value
    table.attrs["skipped"] = [rows[i]["rule"] for i, _, _ in skipped]  # would empty a band
    return table


def calibrated_rules(panel: Any, rules: Any = None, *, window: Any = 3, until: Any = None) -> pd.DataFrame:
    """The Rules table with calibrated points (``calibrate_points``), fitted on the periods
    before ``until`` when given. A risk rule keeps a negative value: when the history
    shows it no harm it keeps its own points (``.attrs['kept']``)."""
    from .tuning import calibrate_points

    table = _rules_frame(rules)
    fit = calibrate_points(_before(panel, until), table, window).set_index("rule")
    first = ~table["rule"].duplicated()
    new = table.loc[first, "rule"].map(fit["points"]).to_numpy(dtype=float)
    risk = table.loc[first, "motion"].map(_args.is_blank).to_numpy(dtype=bool)
    keep = risk & ~(new < 0)  # a risk rule the history shows no harm for keeps its points
    table.loc[first, "points"] = np.where(keep, table.loc[first, "points"].to_numpy(dtype=float), new)
    table.attrs["kept"] = table.loc[first, "rule"][keep].tolist()
    return table


def _before(panel: Any, until: Any) -> Any:
    if until is None:
        return panel
    data = _data(panel)
    cut = _args.integer("until", until, minimum=-(2**62))
    return data.frame[data.frame.index.isin(data.P.order[data.P.per < cut])]


def compare_queues(panel: Any, rules: Any = None, plays: Any = None, owners: Any = None, *,
                   split: Any = None, period_days: Any = DEFAULT_PERIOD_DAYS) -> pd.DataFrame:
    """Default Rules, tuned Rules and calibrated points, replayed side by side.

    Tuned thresholds and calibrated points are fitted on the periods before ``split``
    (default: the first two thirds) and every queue is judged on the periods from the
    split on. One row per queue: queue, then the ``total`` row of ``queue_replay``;
    ``.attrs`` holds each queue's per-period table and its Rules.
    """
    data = _data(panel)
    lo, hi = int(data.P.per.min()), int(data.P.per.max())
    split = lo + int(math.ceil((hi - lo + 1) * 2 / 3)) if split is None else _args.integer(
        "split", split, minimum=-(2**62))
    tables = {
        "default rules": _rules_frame(rules),
        "tuned rules": tuned_rules(panel, rules, plays, period_days=period_days, until=split),
        "calibrated points": calibrated_rules(panel, rules, until=split),
    }
    rows, per_period = [], {}
    for name, table in tables.items():
        r = queue_replay(panel, table, plays, owners, period_days=period_days, since=split)
        per_period[name] = r
        rows.append({"queue": name, **r.iloc[-1].drop("period").to_dict()})
    out = pd.DataFrame(rows)
    out.attrs.update({"split": split, "per_period": per_period, "rules": tables})
    return out
