"""Owners: the people who run the plays (the ``Owners`` table and sheet) and one owner's list
for the CRM.

The Owners table is read through the records reader (``load_records(path, "owners")``,
also ``check --kind owners``): name, role (an owner label of the Plays table), motions
(blank: every motion of the role) and weekly_capacity. The model's Scores formula takes it
(``Owners[#All]``), so each new play gets a named ``assignee`` and a ``slot``; the sheet
counts each person's plays this week and queued from Scores, and the Scores header carries
a filter so a lead can hand out one person's list. :func:`owner_list` is that list as
rows for a CRM import (``python -m workbook queue --owner NAME --csv PATH``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

import udfs
from udfs.core import _args, playbook
from udfs.core.owners import PEOPLE_COLUMNS, PEOPLE_HELP, owner_people

from .._files import atomic_write
from ..records import Schema, load_records, register_schema
from .cells import Formats
from .records import write_table
from .scores import SCORES_ANCHOR

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_OWNERS = os.path.join(HERE, "sample_owners.csv")
OWNER_COLUMNS = {"name": "id", "role": "text", "motions": "text", "weekly_capacity": "count"}
_ALIASES = {"person": "name", "owner_name": "name", "full_name": "name", "owner": "role", "team_role": "role",
            "motion": "motions", "capacity": "weekly_capacity", "plays_per_week": "weekly_capacity",
            "weekly_plays": "weekly_capacity"}


def _resolve(header: str) -> str | None:
    key = _args.normalize_key(header)
    return key if key in OWNER_COLUMNS else _ALIASES.get(key)


OWNERS = register_schema(Schema(
    kind="owners", columns=OWNER_COLUMNS, id_column="name", resolve=_resolve, noun="person",
    required=("role", "weekly_capacity"), sheet="Owners", summary_rows=False,
))
CSV_COLUMNS = ("account_id", "account_name", "play", "owner", "slot", "due_date", "reason")


def read_owners(source: Any) -> pd.DataFrame:
    """The Owners table of ``source`` (a path, DataFrame or rows), checked: a bad cell is one
    named line."""
    frame = source if isinstance(source, pd.DataFrame) else load_records(source, "owners").frame
    for col in PEOPLE_COLUMNS:
        if col not in frame:
            frame[col] = None
    frame = frame[list(PEOPLE_COLUMNS)].reset_index(drop=True)
    owner_people(frame)
    return frame


def write_owners(ws, fm: Formats, owners: pd.DataFrame, queue: pd.DataFrame) -> None:
    """The Owners table (A1), and beside it each person's new plays this week and queued on
    Scores (formulas over the Scores columns, with the values they give now)."""
    write_table(ws, fm, "Owners", owners)
    col = len(PEOPLE_COLUMNS)
    ws.write_string(0, col, playbook.THIS_WEEK, fm.spill_header)
    ws.write_string(0, col + 1, playbook.QUEUED, fm.spill_header)
    ws.set_column(col, col + 1, 11)
    ws.write_string(0, col + 3, "Each new play on Scores goes to a person of its owner role who takes its motion "
                                "(in turn, by weekly capacity); filter Scores by assignee for one person's list.",
                    fm.subtitle)
    j_assignee = list(udfs.SCORE_COLUMNS).index("assignee")
    j_slot = list(udfs.SCORE_COLUMNS).index("slot")
    first = SCORES_ANCHOR[0] + 2  # the first queue row (Excel row)
    last = first + len(queue) + 2000
    who = f"Scores!${xl_col_to_name(j_assignee)}${first}:${xl_col_to_name(j_assignee)}${last}"
    slot = f"Scores!${xl_col_to_name(j_slot)}${first}:${xl_col_to_name(j_slot)}${last}"
    people = queue["assignee"].fillna("").astype(str).str.split(" + ", regex=False)
    for i, name in enumerate(owners["name"].astype(str).str.strip(), start=1):
        mine = people.map(lambda names, n=name: n in names).to_numpy(bool)
        for k, label in enumerate((playbook.THIS_WEEK, playbook.QUEUED)):
            count = int((mine & (queue["slot"] == label).to_numpy(bool)).sum())
            formula = f'=SUMPRODUCT(ISNUMBER(SEARCH($A{i + 1},{who}))*({slot}="{label}"))'
            ws.write_formula(i, col + k, formula, fm.int, count)


def owner_list(queue: pd.DataFrame, owner: str, as_of: Any) -> pd.DataFrame:
    """One owner's new plays in queue order, as rows for a CRM: account_id, account_name,
    play, owner, slot, due_date (ISO), reason. ``owner`` is a person (the ``assignee``) or,
    without an Owners table of people, an owner role."""
    key = _args.normalize_key(owner)
    names = queue["assignee"].fillna("").astype(str)
    by_person = names.str.split(" + ", regex=False).map(lambda ns: key in {_args.normalize_key(n) for n in ns})
    mine = by_person.to_numpy(bool)
    if not mine.any() and not (names != "").any():  # no people: the role
        roles = queue["owner"].fillna("").astype(str).str.split("+", regex=False)
        mine = roles.map(lambda rs: key in {_args.normalize_key(r) for r in rs}).to_numpy(bool)
    new = (queue["pipeline_status"].fillna("") == "").to_numpy(bool) & queue["ready"].map(lambda v: v is True).to_numpy(bool)
    mine = mine & new
    rows = queue[mine]
    day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    due = rows["due_in_days"].to_numpy(float)
    dates = np.where(np.isnan(due), "", np.datetime_as_string(day + np.nan_to_num(due).astype(np.int64)
                                                              .astype("timedelta64[D]"), unit="D"))
    return pd.DataFrame({
        "account_id": rows["account_id"].to_numpy(object), "account_name": rows["account_name"].to_numpy(object),
        "play": rows["play"].to_numpy(object), "owner": owner.strip() if not (names != "").any()
        else rows["assignee"].to_numpy(object), "slot": rows["slot"].to_numpy(object),
        "due_date": dates.astype(object), "reason": rows["reasons"].to_numpy(object),
    }, columns=list(CSV_COLUMNS))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: Any) -> Any:
    """A cell a spreadsheet opening the CSV shows as text, never a live formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_owner_csv(rows: pd.DataFrame, path: str | os.PathLike, *, force: bool = False) -> str:
    """Write an owner's list as CSV, atomically (an existing file only with ``force``)."""
    safe = rows.map(as_text) if hasattr(rows, "map") else rows.applymap(as_text)

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as out:
            safe.to_csv(out, index=False)

    atomic_write(path, write, force=force, exists_message="{path} already exists; pass --force to overwrite it")
    return os.fspath(path)


__all__ = ["OWNERS", "PEOPLE_HELP", "SAMPLE_OWNERS", "owner_list", "read_owners", "write_owner_csv", "write_owners"]
