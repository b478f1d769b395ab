"""What changed between two queue snapshots: new ready plays, dropped ones and why,
play and owner changes, score moves.

A *ready play* is a ready row with no opportunity already on it (blank
``pipeline_status``). Against the previous snapshot, each account gives at most one row:

- ``New ready``: a ready play now, none before;
- ``Dropped``: a ready play before, none now, with why: the pipeline status that took it
  (``In pipeline`` and its opportunity, ``Recently expanded``, ...), ``gated`` (the gate),
  ``signal gone`` (the score fell below the trigger and no sufficient rule holds), or
  ``not in this snapshot``;
- ``Play changed`` / ``Owner changed``: a ready play in both, another play, or the same
  play with another owner (the named assignee when there is one);
- ``Score moved``: any other account whose score moved by at least ``min_move`` points.

>>> before = [["account_id", "ready", "play", "owner", "expansion_score"],
...           ["A1", True, "Seat expansion", "CSM", 60], ["A2", True, "Tier upgrade", "CSM", 55],
...           ["A3", False, "Nurture", "", 20]]
>>> now = [["account_id", "ready", "play", "owner", "expansion_score"],
...        ["A1", True, "Seat expansion", "CSM + Expansion AE", 60], ["A2", False, "Nurture", "", 30],
...        ["A3", True, "Cross-sell", "Expansion AE", 50]]
>>> what_changed(before, now)[["change", "account_id", "was", "now", "why"]].values.tolist()
[['New ready', 'A3', 'Nurture', 'Cross-sell', ''], ['Dropped', 'A2', 'Tier upgrade', 'Nurture', 'signal gone (score 55 -> 30)'], ['Owner changed', 'A1', 'CSM', 'CSM + Expansion AE', '']]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, playbook
from ..core._args import num_text, omitted
from .snapshots import excel_cells, ready_plays, snapshot_frame

__all__ = ["CHANGE_COLUMNS", "what_changed", "WHAT_CHANGED"]

CHANGE_COLUMNS = ("change", "account_id", "account_name", "play", "owner", "was", "now", "why",
                  "score_before", "score_now", "score_move", "expected_value", "reasons")
_GATES = (playbook.GATE_FIX_ADOPTION, playbook.GATE_TOO_EARLY)


def _side(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per account (its first), with the fields compared."""
    frame = frame.drop_duplicates("account_id").reset_index(drop=True)
    assignee = frame["assignee"]
    return pd.DataFrame({
        "account_id": frame["account_id"], "account_name": frame["account_name"],
        "live": ready_plays(frame), "play": frame["play"],
        "who": assignee.where(assignee != "", frame["owner"]),
        "score": frame["expansion_score"].astype(float), "value": frame["expected_value"].astype(float),
        "arr": frame["arr"].astype(float), "status": frame["pipeline_status"],
        "opportunity": frame["opportunity_id"], "signal": frame["ready_signal"],
        "reasons": frame["reasons"], "version": frame["rules_version"],
    })


def _score_text(a: float, b: float) -> str:
    return f"score {num_text(a) if a == a else 'blank'} -> {num_text(b) if b == b else 'blank'}"


def what_changed(previous: Any, current: Any, min_move: Any = None) -> pd.DataFrame:
    """The changes from ``previous`` to ``current`` (two queues or snapshots), one row per
    account: :data:`CHANGE_COLUMNS`, in the order of ``playbook.CHANGES``.

    ``min_move``: the smallest score move listed on its own (default
    ``playbook.SCORE_MOVE_MIN``). When the two were scored with different rules (their
    ``rules_version``), ``result.attrs['note']`` says so.
    """
    move = playbook.SCORE_MOVE_MIN if omitted(min_move) else _args.number("min_move", min_move, minimum=0)
    a = _side(snapshot_frame(previous, as_of=_as_of(previous), name="previous"))
    b = _side(snapshot_frame(current, as_of=_as_of(current), name="current"))
    m = b.merge(a, on="account_id", how="outer", suffixes=("", "_0"), indicator=True, sort=False)
    now_in, before_in = m["_merge"].ne("right_only").to_numpy(), m["_merge"].ne("left_only").to_numpy()
    live, live0 = m["live"].fillna(False).to_numpy(bool), m["live_0"].fillna(False).to_numpy(bool)
    play, play0 = m["play"].fillna("").to_numpy(object), m["play_0"].fillna("").to_numpy(object)
    who, who0 = m["who"].fillna("").to_numpy(object), m["who_0"].fillna("").to_numpy(object)
    score, score0 = m["score"].to_numpy(float), m["score_0"].to_numpy(float)
    kind = np.full(len(m), "", dtype=object)
    kind[live & ~live0] = playbook.NEW_READY
    kind[~live & live0] = playbook.DROPPED
    both = live & live0
    kind[both & (play != play0)] = playbook.PLAY_CHANGED
    kind[both & (play == play0) & (who != who0)] = playbook.OWNER_CHANGED
    moved = np.abs(score - score0) >= move
    kind[(kind == "") & now_in & before_in & np.nan_to_num(moved, nan=False).astype(bool)] = playbook.SCORE_MOVED
    keep = kind != ""
    m, kind = m[keep].reset_index(drop=True), kind[keep]
    shown = m[["play", "status", "opportunity", "signal", "score", "score_0", "arr", "arr_0"]].astype(object)
    why = np.array([_why(k, r) for k, r in zip(kind, shown.itertuples(index=False), strict=True)], dtype=object)
    dropped = kind == playbook.DROPPED
    owner_rows = kind == playbook.OWNER_CHANGED
    out = pd.DataFrame({
        "change": kind,
        "account_id": m["account_id"].to_numpy(object),
        "account_name": m["account_name"].fillna(m["account_name_0"]).fillna("").to_numpy(object),
        "play": np.where(dropped, m["play_0"].fillna(""), m["play"].fillna("")).astype(object),
        "owner": np.where(dropped, m["who_0"].fillna(""), m["who"].fillna("")).astype(object),
        "was": np.where(owner_rows, m["who_0"].fillna(""), m["play_0"].fillna("")).astype(object),
        "now": np.where(owner_rows, m["who"].fillna(""), m["play"].fillna("")).astype(object),
        "why": why,
        "score_before": m["score_0"].to_numpy(float),
        "score_now": m["score"].to_numpy(float),
        "score_move": (m["score"] - m["score_0"]).to_numpy(float),
        "expected_value": np.where(dropped, m["value_0"], m["value"]).astype(float),
        "reasons": m["reasons"].fillna("").to_numpy(object),
    })
    order = np.array([playbook.CHANGES.index(k) for k in kind], dtype=np.int64)
    rank = np.where(out["change"] == playbook.SCORE_MOVED, -np.abs(out["score_move"].fillna(0)),
                    -out["expected_value"].fillna(0))
    out = out.iloc[np.lexsort((out["account_id"].to_numpy(str), rank, order))].reset_index(drop=True)
    versions = (set(a["version"].unique()) | set(b["version"].unique())) - {""}
    if len(versions) > 1:
        out.attrs["note"] = ("the two snapshots were scored with different Rules or Plays (versions "
                             f"{', '.join(sorted(versions))}): some changes come from the playbook, "
                             "not from the accounts")
    return out


def _as_of(table: Any) -> Any:
    """None when the table carries its own ``as_of`` column; a placeholder day otherwise
    (a queue without dates compares as well)."""
    if isinstance(table, pd.DataFrame):
        cols = {_args.normalize_key(c) for c in table.columns}
    else:
        rows = table if isinstance(table, list) else []
        cols = {_args.normalize_key(c) for c in (rows[0] if rows and isinstance(rows[0], list) else [])}
    return None if "as_of" in cols else "2000-01-01"


def _why(kind: str, r: Any) -> str:
    """Why a play dropped, what moved an owner; '' where the row says it all."""
    if kind == playbook.DROPPED:
        if not isinstance(r.play, str):
            return playbook.LEFT_THE_BOOK
        if r.status:
            return f"{r.status}: {r.opportunity}" if r.opportunity else str(r.status)
        if r.play in _GATES:
            return f"{playbook.GATED}: {r.play}"
        return f"{playbook.SIGNAL_GONE} ({_score_text(r.score_0, r.score)})"
    if kind == playbook.NEW_READY:
        return str(r.signal or "")
    if kind == playbook.OWNER_CHANGED and r.arr == r.arr and r.arr_0 == r.arr_0 and r.arr != r.arr_0:
        return f"arr ${r.arr_0:,.0f} -> ${r.arr:,.0f}"
    if kind == playbook.SCORE_MOVED:
        return _score_text(r.score_0, r.score)
    return ""


@xw.func
@xw.arg("previous", ndim=2, doc="The earlier queue or snapshot (a table with account_id, ready, play, owner, expansion_score).", err_to_str=True)
@xw.arg("current", ndim=2, doc="The later queue, e.g. the Scores spill.", err_to_str=True)
@xw.arg("min_move", doc="Smallest score move listed on its own (points); default 10.", err_to_str=True)
def WHAT_CHANGED(previous, current, min_move=None):
    """What changed between two queues: new ready plays, dropped ones and why, play, owner and score moves.

    Example: =WHAT_CHANGED(Previous_queue[#All], Scores!A4#)
    """
    return excel_cells(what_changed(previous, current, min_move))
