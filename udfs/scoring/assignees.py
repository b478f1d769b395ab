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
           owner_labels: list[str], people: People) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(assignee code per row, assignee labels with '' last, per row who is missing or '').

    ``order`` is the queue order, ``new`` the rows that are new ready plays, ``play`` their
    motion index, ``owner_code`` codes into ``owner_labels`` (roles joined by '+').
    """
    n = len(play)
    parts = [[_args.normalize_key(x) for x in str(label).split("+") if x.strip()] for label in owner_labels]
    width = max((len(p) for p in parts), default=1) or 1
    person = np.full((width, n), -1, dtype=np.int64)
    missing = np.full(n, "", dtype=object)
    q = order[new[order]]  # new plays in queue order
    roles = np.array(people.roles, dtype=object)
    for k in range(width):
        role_of_label = np.array([p[k] if k < len(p) else "" for p in parts], dtype=object)
        role = role_of_label[owner_code[q]]
        for r in pd.unique(role[role != ""]):
            for m in range(len(MOTIONS)):
                rows = q[(role == r) & (play[q] == m)]
                if rows.size == 0:
                    continue
                who = np.flatnonzero((roles == r) & people.motions[:, m])
                if who.size == 0:
                    label = owner_labels[int(owner_code[rows[0]])].split("+")[k].strip()
                    missing[rows] = f"no one in the Owners table is a {label} taking {MOTIONS[m]}"
                    continue
                deal = who[dealing(people.capacity[who])]
                person[k, rows] = deal[np.arange(rows.size) % deal.size]
    names = np.array([*people.names, ""], dtype=object)
    key = np.zeros(n, dtype=np.int64)
    for k in range(width):
        key = key * (len(people.names) + 1) + (person[k] + 1)
    codes, uniq = pd.factorize(key)
    labels = []
    for u in uniq.tolist():
        picked = []
        for _ in range(width):
            u, c = divmod(u, len(people.names) + 1)
            picked.append(names[c - 1] if c else "")
        labels.append(" + ".join(x for x in reversed(picked) if x))
    labels.append("")
    codes = np.where(np.isin(key, [0]), len(labels) - 1, codes)
    return codes.astype(np.int64), labels, missing
