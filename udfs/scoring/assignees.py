"""Named assignees: the new plays of the queue dealt out to the people of an Owners table.

Going down the queue, the new plays of one owner role and one motion are dealt out in turn
to the people of that role who take that motion, in proportion to their weekly capacity
(capacities 3 and 2 deal A, B, A, B, A, then again). A ``CSM + Expansion AE`` play gets
one person of each role (``Ana Ruiz + Bo Chen``). Each person's slots then follow their
own capacity (``queue._slots``). A play whose role or motion no person takes keeps a blank
assignee and its reasons say who is missing.

>>> from udfs.core.owners import owner_people
>>> people = owner_people([["name", "role", "weekly_capacity"], ["A", "CSM", 2], ["B", "CSM", 1]])
>>> code, labels, missing = assign(np.arange(4), np.ones(4, dtype=bool), np.zeros(4, dtype=np.int8),
...                                np.zeros(4, dtype=np.int8), ["CSM", ""], people)
>>> [labels[c] for c in code]
['A', 'B', 'A', 'A']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import _args
from ..core.owners import People
from ..core.playbook import MOTIONS

__all__: list[str] = []


def dealing(capacity: np.ndarray) -> np.ndarray:
    """The order in which people (indices) take plays: round by round, each person while
    they have capacity left in the round (all in turn when no one has any).

    >>> dealing(np.array([3.0, 2.0])).tolist()
    [0, 1, 0, 1, 0]
    """
    cap = capacity.astype(np.int64)
    if cap.sum() == 0:
        return np.arange(cap.size)
    rounds = np.arange(int(cap.max()))
    takes = cap[None, :] > rounds[:, None]  # (rounds, people)
    return np.nonzero(takes)[1]


def assign(order: np.ndarray, new: np.ndarray, play: np.ndarray, owner_code: np.ndarray,
           owner_labels: list[str], people: People, keep: np.ndarray | None = None
           ) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(assignee code per row, assignee labels with '' last, per row who is missing or '').

    ``order`` is the queue order, ``new`` the rows that are new ready plays, ``play`` their
    motion index, ``owner_code`` codes into ``owner_labels`` (roles joined by '+').
    ``keep``: per row, the assignee the same play had in the previous snapshot; a person
    who still plays that role and motion keeps it, up to their weekly capacity in queue
    order (the other plays are dealt around them).
    """
    n = len(play)
    parts = [[_args.normalize_key(x) for x in str(label).split("+") if x.strip()] for label in owner_labels]
    width = max((len(p) for p in parts), default=1) or 1
    person = np.full((width, n), -1, dtype=np.int64)
    missing = _args.empty_texts(n)
    q = order[new[order]]  # new plays in queue order
    roles = np.array(people.roles, dtype=object)
    index = {_args.normalize_key(x): i for i, x in enumerate(people.names)}
    kept = np.full((width, n), -1, dtype=np.int64)  # the previous assignee, by role position
    if keep is not None and (keep[q] != "").any():
        codes, labels = pd.factorize(keep[q])
        for c, label in enumerate(labels.tolist()):
            names = [index.get(_args.normalize_key(x), -1) for x in str(label).split(" + ")]
            for k, i in enumerate(names[:width]):
                kept[k, q[codes == c]] = i
    for k in range(width):
        role_names, role_of_label = np.unique([p[k] if k < len(p) else "" for p in parts], return_inverse=True)
        group = role_of_label.ravel()[owner_code[q]] * len(MOTIONS) + play[q]  # (role, motion) of each play
        by_group = np.argsort(group, kind="stable")  # queue order within each group
        starts = np.flatnonzero(np.r_[True, np.diff(group[by_group]) != 0])
        for a, b in zip(starts.tolist(), [*starts[1:].tolist(), q.size], strict=True):
            r, m = divmod(int(group[by_group[a]]), len(MOTIONS))
            r = role_names[r]
            if r == "":
                continue
            rows = q[by_group[a:b]]
            who = np.flatnonzero((roles == r) & people.motions[:, m])
            if who.size == 0:
                label = owner_labels[int(owner_code[rows[0]])].split("+")[k].strip()
                missing[rows] = f"no one in the Owners table is a {label} taking {MOTIONS[m]}"
                continue
            mine = kept[k, rows]
            stays = np.isin(mine, who)  # the same person, still of this role and motion...
            nth = pd.Series(mine).groupby(mine).cumcount().to_numpy()  # ...within their capacity
            stays &= nth < people.capacity[np.maximum(mine, 0)]
            person[k, rows[stays]] = mine[stays]
            rest = rows[~stays]
            if rest.size == 0:
                continue
            spare = np.maximum(people.capacity[who] - np.bincount(
                np.searchsorted(who, mine[stays]), minlength=who.size), 0)
            # the spare capacity left by the kept plays first, then in turn by capacity
            first = who[dealing(spare)] if spare.sum() > 0 else who[:0]
            then = np.resize(who[dealing(people.capacity[who])], max(rest.size - first.size, 0))
            person[k, rest] = np.concatenate([first, then])[: rest.size]
    names = np.array([*people.names, ""], dtype=object)
    key = np.zeros(q.size, dtype=np.int64)  # the people of each new play, as one number
    for k in range(width):
        key = key * (len(people.names) + 1) + (person[k, q] + 1)
    codes_q, uniq = pd.factorize(key)
    labels = []
    for u in uniq.tolist():
        picked = []
        for _ in range(width):
            u, c = divmod(u, len(people.names) + 1)
            picked.append(names[c - 1] if c else "")
        labels.append(" + ".join(x for x in reversed(picked) if x))
    labels.append("")
    codes = np.full(n, len(labels) - 1, dtype=np.int64)  # no one: the last label, ''
    codes[q] = np.where(key == 0, len(labels) - 1, codes_q)
    return codes, labels, missing
