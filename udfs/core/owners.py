"""Owners: who runs the plays, and how many new plays each can start in a week (SPEC §4).

An Owners table comes in one of two forms:

- **roles**: ``owner, weekly_capacity`` — the capacity of an owner label of the Plays
  table (``CSM``, ``Expansion AE``…);
- **people**: ``name, role, motions, weekly_capacity`` — named people, each with the role
  they play (an owner label of the Plays table, one per person), the motions they take
  (blank: every motion; several separated by ``;`` or ``,``) and their own capacity. A
  role's capacity is then the sum of its people's.

>>> owners_table([["owner", "weekly_capacity"], ["CSM", 10], ["Expansion AE", 4]])
{'csm': 10.0, 'expansion_ae': 4.0}
>>> p = owner_people([["name", "role", "motions", "weekly_capacity"], ["Ana Ruiz", "CSM", "", 3],
...                   ["Bo Chen", "Expansion AE", "Tier upgrade; Cross-sell", 2]])
>>> p.names, p.roles, p.motions[1].tolist(), owners_table(p)
(('Ana Ruiz', 'Bo Chen'), ('csm', 'expansion_ae'), [False, True, False, False, True], {'csm': 3.0, 'expansion_ae': 2.0})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _args
from .playbook import MOTIONS, _blank_rows, _require_columns

__all__ = ["owners_table", "owner_people", "OWNER_COLUMNS", "PEOPLE_COLUMNS"]

OWNER_COLUMNS = ("owner", "weekly_capacity")
PEOPLE_COLUMNS = ("name", "role", "motions", "weekly_capacity")
PEOPLE_HELP = {
    "name": "The person, as your team writes the name (each once).",
    "role": "The owner label of the Plays table this person plays: CSM, Expansion AE, Self-serve...",
    "motions": "The motions this person takes, separated by ; (blank: every motion of the role).",
    "weekly_capacity": "How many new plays this person can start in a week (a whole number).",
}


@dataclass(frozen=True)
class People:
    """An Owners table of people, in the table's order."""

    names: tuple[str, ...]
    roles: tuple[str, ...]  # normalized owner labels ('csm', 'expansion_ae')
    motions: np.ndarray  # (people, motions) bool: who takes which motion
    capacity: np.ndarray  # plays a week

    def caps(self) -> dict[str, float]:
        """{normalized name: plays a week}, as the slots read owners."""
        return {_args.normalize_key(n): float(c) for n, c in zip(self.names, self.capacity, strict=True)}


def _frame(owners: Any) -> pd.DataFrame:
    return _args.table("owners", owners)


def _capacities(name: str, values: list) -> np.ndarray:
    caps = _args.numbers(name, values, minimum=0)
    for i, cap in enumerate(caps):
        if not float(cap).is_integer():
            raise _args.fail(name, "a whole number of plays", float(cap), i)
    return caps


def owner_people(owners: Any) -> People | None:
    """The people of an Owners table (None for a table of roles: ``owner, weekly_capacity``)."""
    if isinstance(owners, People):
        return owners
    frame = _frame(owners)
    if "name" not in frame.columns or "role" not in frame.columns:
        return None
    for col in PEOPLE_COLUMNS:
        if col not in frame:
            frame[col] = None
    frame = frame[list(PEOPLE_COLUMNS)]
    frame = frame[~_blank_rows(frame)]
    if frame.empty:
        raise _args.InputError("owners: expected at least one person below the header row, got none")
    names = _args.texts("owners name", frame["name"].tolist())
    roles = _args.texts("owners role", frame["role"].tolist())
    caps = _capacities("owners weekly_capacity", frame["weekly_capacity"].tolist())
    cells = _args.texts("owners motions", frame["motions"].tolist(), allow_blank=True)
    seen: set[str] = set()
    takes = np.zeros((len(names), len(MOTIONS)), dtype=bool)
    for i, (name, role, cell) in enumerate(zip(names, roles, cells, strict=True)):
        key = _args.normalize_key(name)
        if "+" in str(name):
            raise _args.fail("owners name", "one person per row", name, i)
        if key in seen:
            raise _args.fail("owners name", "each person once", name, i)
        seen.add(key)
        if "+" in str(role):
            raise _args.fail("owners role", "one role per person (a CSM + Expansion AE play takes one of each)",
                             role, i)
        words = [w for w in re.split(r"[;,]", str(cell)) if w.strip()]
        if not words:
            takes[i] = True
        else:
            for m in _args.choices("owners motions", [w.strip() for w in words], MOTIONS):
                takes[i, MOTIONS.index(m)] = True
    return People(tuple(str(n) for n in names), tuple(_args.normalize_key(r) for r in roles), takes,
                  np.asarray(caps, dtype=float))


def owners_table(owners: Any) -> dict[str, float]:
    """An Owners table as {owner key: plays a week}; for a table of people, each role's
    capacity is the sum of its people's.

    Keys are normalized (``normalize_key``); an owner the table does not list has no limit.
    """
    people = owner_people(owners)
    if people is not None:
        out: dict[str, float] = {}
        for role, cap in zip(people.roles, people.capacity, strict=True):
            out[role] = out.get(role, 0.0) + float(cap)
        return out
    frame = _frame(owners)
    _require_columns("owners", frame, OWNER_COLUMNS)
    frame = frame[list(OWNER_COLUMNS)]
    frame = frame[~_blank_rows(frame)]
    if frame.empty:
        raise _args.InputError("owners: expected at least one owner row below the header row, got none")
    names = _args.texts("owners owner", frame["owner"].tolist())
    caps = _capacities("owners weekly_capacity", frame["weekly_capacity"].tolist())
    out = {}
    for i, (name, cap) in enumerate(zip(names, caps, strict=True)):
        key = _args.normalize_key(name)
        if " + " in str(name) or "+" in key:
            raise _args.fail("owners owner", "one owner per row (a CSM + Expansion AE play takes a slot of each)", name, i)
        if key in out:
            raise _args.fail("owners owner", "each owner once", name, i)
        out[key] = float(cap)
    return out
