"""Backtests: replay history to judge triggers and the whole queue, with no lookahead (SPEC §7).

``TRIGGER_FIRES`` and ``TRIGGER_BACKTEST`` and what analysts build on them. The modules:
``history`` (``load_history``: account-period panels from a file or a table), ``panel``
(parsing a panel and the rules it tests), ``engine`` (every threshold in one pass),
``trigger`` (the functions Excel calls, curves and per-motion backtests), ``tuning``
(recommendations, walk-forward, bootstrap, calibrated points), ``families`` (the Rules
cells an export changes: bands kept in order) and ``replay`` (the whole queue, period by
period, under owners' capacity).

Definitions a user relies on. For an account-period panel, one signal, a threshold τ, a
persistence k ≥ 1 and a window w ≥ 1 (periods); FIRST and LAST are the panel's first and
last periods:

- the **condition holds** at (a, t) when the rule's comparison holds in each of the k
  periods t−k+1 … t of account a, all present (a missing row or blank signal is "not
  present"); the trigger **fires** at (a, t) when it holds at t and did not hold at t−1;
- a fire is **true** when a has an expansion in t < e ≤ min(t + w, LAST); else
  **pending** when t + w > LAST and a has a row at LAST (its outcome is not visible yet);
  else **false** (an account gone before LAST: its last fire is false).
  false_positive_rate = false / (true + false); precision = true / (true + false);
- an expansion at (a, e) is **unobservable** when e − w < FIRST; an observable one is
  **covered** when a fire of a lies in e−w ≤ t < e (lead = e − t of the earliest) and
  **preceded** when the condition held at any of those periods;
- base_rate = share of account-periods with t + w ≤ LAST followed by an expansion in
  (t, t + w]; lift = precision / base_rate;
- passes_gate: preceded ≥ 0.40, false_positive_rate < 0.50, lift ≥ 1.5 (``min_lift``;
  0 switches the lift floor off); a blank metric fails. Zero denominators give blanks;
- a rule's window is its Rules ``window``, else ceil(the motion's longest cycle_days /
  period_days) + 1; risk rules are not backtested against expansions.
- nothing after t changes a decision at t: walk-forward chooses thresholds on earlier
  periods and scores them on later ones only; the queue replay scores period t on rows
  ≤ t of each account.
"""

from . import history, replay, trigger, tuning
from .history import *  # noqa: F403
from .replay import *  # noqa: F403
from .trigger import *  # noqa: F403
from .tuning import *  # noqa: F403

__all__ = [*history.__all__, *trigger.__all__, *tuning.__all__, *replay.__all__]
