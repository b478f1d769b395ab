"""Why now: the rule that made each ready play ready (``ready_signal``) and since when
(``ready_since``).

The signal of a play that is ready on its own (score below the trigger threshold, a fired
``alone`` rule) is its strongest fired ``alone`` rule; otherwise the strongest fired rule
of the play's motion (ties: the Rules table's order).

>>> import pandas as pd
>>> from udfs.scoring import _accounts, evidence
>>> from udfs.scoring.queue import readiness
>>> acc = _accounts.read_accounts("accounts", pd.DataFrame({"seat_utilization": [0.95, 0.5],
...                                                         "pricing_page_visits_30d": [1, 1]}))
>>> ev = evidence.evaluate(acc, evidence.rules())
>>> ready, _, _, prim = readiness(ev)
>>> ready_signal(ev, ready, np.where(ready, prim, -1)).tolist()
['seats_full', '']
"""

from __future__ import annotations

import numpy as np

from ..core import playbook
from .evidence import Evaluation

__all__: list[str] = []


def ready_signal(ev: Evaluation, ready: np.ndarray, play: np.ndarray,
                 scored: np.ndarray | None = None) -> np.ndarray:
    """The name of the rule that makes each ready row ready ('' elsewhere)."""
    out = np.full(ev.n, "", dtype=object)
    rows = np.flatnonzero(ready if scored is None else ready & scored)
    if rows.size == 0 or not ev.rules:
        return out
    names = np.array([r.name for r in ev.rules], dtype=object)
    points = np.array([r.points for r in ev.rules], dtype=float)
    motion = np.array([r.motion for r in ev.rules])
    alone = np.array([r.alone for r in ev.rules])
    on_its_own = ev.score[rows] < playbook.TRIGGER_THRESHOLD  # ready by an alone rule only
    their_play = play[rows]
    top = np.full(rows.size, -np.inf)
    best = np.full(rows.size, -1, dtype=np.int64)
    for r in range(len(ev.rules)):  # a rule at a time over the ready rows: no rules × rows table
        mine = np.where(on_its_own, alone[r], their_play == motion[r]) & ev.fired[r, rows]
        better = mine & (points[r] > top)  # strictly: the first of equal points, the Rules table's order
        top[better] = points[r]
        best[better] = r
    found = best >= 0
    out[rows[found]] = names[best[found]]
    return out
