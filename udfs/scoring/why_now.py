"""Why now: the rule that made each ready play ready (``ready_rule``, named by
``signal_names``) and since when
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
>>> rule = ready_rule(ev, ready, np.where(ready, prim, -1))
>>> rule.tolist(), signal_names(ev)[rule].tolist()
([2, -1], ['seats_full', ''])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, _records, playbook
from .evidence import Evaluation

__all__: list[str] = []


def signal_names(ev: Evaluation) -> np.ndarray:
    """The rules' names, then '' (so that rule -1, none, reads '')."""
    return np.array([*(r.name for r in ev.rules), ""], dtype=object)


def ready_rule(ev: Evaluation, ready: np.ndarray, play: np.ndarray,
               scored: np.ndarray | None = None) -> np.ndarray:
    """The index of the rule that makes each ready row ready (-1 elsewhere)."""
    out = np.full(ev.n, -1, dtype=np.int16)
    rows = np.flatnonzero(ready if scored is None else ready & scored)
    if rows.size == 0 or not ev.rules:
        return out
    points = np.array([r.points for r in ev.rules], dtype=float)
    motion = np.array([r.motion for r in ev.rules])
    alone = np.array([r.alone for r in ev.rules])
    on_its_own = ev.score[rows] < playbook.TRIGGER_THRESHOLD  # ready by an alone rule only
    their_play = play[rows]
    top = np.full(rows.size, -np.inf)
    best = np.full(rows.size, -1, dtype=np.int64)
    fired = ev.fired[:, rows]  # the ready rows' fired rules, gathered once
    of_motion = {m: their_play == m for m in set(motion.tolist())}
    for r in range(len(ev.rules)):  # a rule at a time over the ready rows
        mine = np.where(on_its_own, alone[r], of_motion[motion[r]]) & fired[r]
        better = mine & (points[r] > top)  # strictly: the first of equal points, the Rules table's order
        top[better] = points[r]
        best[better] = r
    found = best >= 0
    out[rows[found]] = best[found]
    return out


# =========================================================================== ready since


def _flag_column(name: str, frame: pd.DataFrame, column: str) -> np.ndarray:
    """A TRUE/FALSE column, parsed once per distinct cell."""
    raw = frame[column]
    if raw.dtype == bool:
        return raw.to_numpy(bool)
    codes, uniq = pd.factorize(raw.astype(object), use_na_sentinel=True)
    parsed = [_args.parse_flag(v) for v in uniq.tolist()]
    if any(p is None for p in parsed):
        k = next(i for i, p in enumerate(parsed) if p is None)
        raise _args.fail(f"{name} {column}", "TRUE or FALSE", uniq[k], int(np.argmax(codes == k)))
    return np.append(np.array(parsed, dtype=bool), False)[codes]


def since_previous(previous: Any, ids: np.ndarray, play: np.ndarray, day: np.datetime64,
                   assignees: list | None = None) -> np.ndarray:
    """``ready_since`` from the previous queue snapshot (account_id, as_of, ready, play and,
    when it has them, ready_since): a ready play that was ready with the same play there
    continues its run (its ready_since, else that snapshot's as_of); any other starts on
    ``day``. Rows without a play (``play`` label '') get NaT. A list given as ``assignees``
    receives, per row, the named assignee of that continued run ('' elsewhere).

    >>> prev = pd.DataFrame({"account_id": ["a", "b"], "as_of": ["2026-11-24"] * 2, "ready": [True, True],
    ...                      "play": ["Tier upgrade", "Cross-sell"], "ready_since": ["2026-11-03", None]})
    >>> since_previous(prev, np.array(["a", "b", "c"], dtype=object),
    ...                np.array(["Tier upgrade", "Tier upgrade", ""], dtype=object), np.datetime64("2026-12-01")).tolist()
    [datetime.date(2026, 11, 3), datetime.date(2026, 12, 1), None]
    """
    name = "previous"
    frame = _args.table(name, previous)
    for col in ("account_id", "as_of", "ready", "play"):
        if col not in frame:
            raise _args.InputError(f"{name}: expected a column {col!r} in the header row")
    prev_ids = _records.texts(name, frame, "account_id")
    prev_day = _records.dates(name, frame, "as_of").astype("datetime64[D]")
    since = (_records.dates(name, frame, "ready_since", allow_blank=True).astype("datetime64[D]")
             if "ready_since" in frame else np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]"))
    start = np.where(np.isnat(since), prev_day, since)
    was = _flag_column(name, frame, "ready")
    prev_play = _records.texts(name, frame, "play", allow_blank=True)
    out = np.full(len(ids), day, dtype="datetime64[D]")
    out[play == ""] = np.datetime64("NaT")
    kept = np.flatnonzero(was & (prev_day < day))  # ready rows of an earlier day
    pos = pd.Series(kept, index=pd.Index(prev_ids[kept]))
    pos = pos[~pos.index.duplicated(keep="last")]
    at = pos.index.get_indexer(ids)
    rows = np.flatnonzero((at >= 0) & (play != ""))
    src = pos.to_numpy()[at[rows]]
    same = prev_play[src] == play[rows]
    out[rows[same]] = start[src[same]]
    if assignees is not None:
        who = np.full(len(ids), "", dtype=object)
        if "assignee" in frame:
            named = _records.texts(name, frame, "assignee", allow_blank=True)
            who[rows[same]] = named[src[same]]
        assignees.append(who)
    return out


def since_history(ready_then: np.ndarray, play_then: np.ndarray, months: np.ndarray | None,
                  play: np.ndarray, day: np.datetime64) -> np.ndarray:
    """``ready_since`` from a history panel already scored: ``ready_then``/``play_then``
    (periods back from the one before the snapshot × book rows; play codes), ``months`` the
    month of each period back (None when the periods are not dates). A play ready with the
    same play in the last k periods became ready in the first month of that run."""
    out = np.full(play.size, day, dtype="datetime64[D]")
    out[play < 0] = np.datetime64("NaT")
    if ready_then.shape[0] == 0 or months is None:
        return out
    same = ready_then & (play_then == play[None, :]) & (play[None, :] >= 0)
    run = np.cumprod(same, axis=0).sum(axis=0)  # consecutive periods back, ending just before now
    back = np.flatnonzero(run > 0)
    first = months[run[back] - 1]
    out[back] = first.astype("datetime64[M]").astype("datetime64[D]")
    return out
