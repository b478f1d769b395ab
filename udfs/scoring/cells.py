"""Expansion scoring: EXPANSION_SCORE, EXPANSION_MOTION, EXPANSION_REASONS, SCORE_ACCOUNTS (SPEC §3, §4, §8).

This module holds the per-row cell functions and every Excel wrapper; the engine is in
the sibling modules (the package's docstring lists them and the decisions).

>>> import pandas as pd
>>> accounts = pd.DataFrame({"account_id": ["a1", "a2"], "usage_vs_cap": [0.95, 0.95],
...                          "pricing_page_visits_30d": [0, 2]})
>>> expansion_score(accounts).tolist()
[50.0, 80.0]
>>> expansion_reasons(accounts).tolist()[1]
'usage at 95% of cap ≥ 90% (+50); 2 pricing page visits (+30)'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args
from ..core.playbook import MOTIONS
from . import _accounts, evidence
from .plays import close_rate, expansion_owner, expected_expansion, play_due_date, seat_utilization
from .queue import NOT_SCORED, NURTURE, SCORE_COLUMNS, score_accounts, score_book
from .reasons import Sentences, missing_text, rule_sentences

__all__ = [
    "NURTURE", "NOT_SCORED", "score_accounts", "score_book", "expansion_score", "expansion_motion",
    "expansion_reasons", "seat_utilization", "expansion_owner", "expected_expansion", "close_rate",
    "play_due_date", "SCORE_COLUMNS",
    "SCORE_ACCOUNTS", "EXPANSION_SCORE", "EXPANSION_MOTION", "EXPANSION_REASONS",
    "SEAT_UTILIZATION", "EXPANSION_OWNER", "EXPECTED_EXPANSION", "CLOSE_RATE", "PLAY_DUE_DATE",
]

_MOTION_LABELS = np.array([*MOTIONS, ""], dtype=object)  # index -1 -> ""


def _read(values: Any, headers: Any, rules: Any) -> tuple[_accounts.Accounts, tuple]:
    rule_set = evidence.rules(rules)
    acc = _accounts.read_accounts("values", values, headers,
                                  wanted=frozenset(evidence.needed_columns(rule_set)))
    return acc, rule_set


def _per_row(values: np.ndarray, acc: _accounts.Accounts, name: str | None = None):
    if acc.one_row and len(values) == 1:
        first = values[0]
        return first if isinstance(first, str) else _args.to_python(first)
    if acc.index is not None:
        return pd.Series(values, index=acc.index, name=name)
    return values


def expansion_score(values: Any, headers: Any = None, rules: Any = None):
    """Expansion score per account row: Σ points of fired rules, kept within 0-100 (SPEC §3).

    ``values`` is a table (DataFrame, or 2-D range with a header row) or, with ``headers``,
    rows of values; a single record (Series, dict, or one row with headers) gives one number.

    >>> expansion_score([0.95, 1], headers=["usage_vs_cap", "pricing_page_visits_30d"])
    80.0
    """
    acc, rule_set = _read(values, headers, rules)
    ev = evidence.evaluate(acc, rule_set, score_only=True)
    return _per_row(ev.score, acc, "expansion_score")


def expansion_motion(values: Any, headers: Any = None, rules: Any = None):
    """Primary motion per account row: the most evidence (strongest fired rule), ties by
    the sum of points, then MOTIONS order. Blank ('') when no motion rule fires.

    A DataFrame gives a categorical Series (categories: the five motions and '').

    >>> expansion_motion({"seat_utilization": 0.99, "usage_vs_cap": 0.85, "pricing_page_visits_30d": 1})
    'Seat expansion'
    """
    acc, rule_set = _read(values, headers, rules)
    codes = evidence.primary(evidence.evaluate(acc, rule_set))
    if acc.index is not None and not acc.one_row:  # a DataFrame: a categorical Series
        codes = np.where(codes < 0, len(MOTIONS), codes)
        labels = pd.Categorical.from_codes(codes, _MOTION_LABELS.tolist())
        return pd.Series(labels, index=acc.index, name="primary_motion")
    return _per_row(_MOTION_LABELS[codes], acc, "primary_motion")


def expansion_reasons(values: Any, headers: Any = None, rules: Any = None):
    """What fired, per account row, as a short sentence; bad cells are named by row.

    The primary motion's rules come first, then the others, then risk rules.

    >>> expansion_reasons({"seat_utilization": 0.92, "pricing_page_visits_30d": 2})
    'seat utilization 92% ≥ 90% (+40); 2 pricing page visits (+30)'
    """
    acc, rule_set = _read(values, headers, rules)
    ev = evidence.evaluate(acc, rule_set, notes=True)
    s = Sentences(ev.n)
    rule_sentences(ev, evidence.primary(ev), s)
    s.add_notes(ev.notes)
    missing = missing_text(ev, open_only=True)
    if missing and ev.n:
        s.add(np.array([0]), missing)
    return _per_row(s.join(), acc, "reasons")


# =========================================================================== Excel UDFs

_VALUES_DOC = "Account rows: a table with its header row (Accounts[#All]), or rows of values when headers is given."
_HEADERS_DOC = "Optional: the header row (column names) for values that have no header row."
_RULES_DOC = "Optional: a Rules table (rule, signal, op, threshold, points, motion, [alone], [persistence], [window]); default: the playbook rules."
_PLAYS_DOC = "Optional: a Plays table (motion, arr_increase_share, close_rate, owner, ...); default: the SPEC plays."
_MOTION_DOC = "Motion: Seat expansion, Tier upgrade, Usage expansion, Cross-department or Cross-sell (a cell or a column)."


def _spill(result: Any, *inputs: Any) -> Any:
    """Write a result in the orientation of the first multi-cell input (a row stays a row)."""
    out = _args.to_excel(result)
    for x in inputs:
        if isinstance(x, list) and len(x) == 1 and isinstance(x[0], list) and len(x[0]) > 1:
            return [[row[0] for row in out]] if isinstance(out, list) else out
        if isinstance(x, list) and len(x) > 1:
            break
    return out


def table_cells(frame: pd.DataFrame) -> list[list]:
    """A result table as cells (header row first; blanks as ''), written by xlwings as is.

    The account tables are read and written "raw" (we clean the cells ourselves, column by
    column): xlwings' per-cell conversion costs seconds on a 10,000-row table outside Pyodide.
    Dates are written as ISO text (``2026-12-02``): readable and sortable in every runtime.
    """
    columns = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "M":
            text = np.datetime_as_string(column.to_numpy().astype("datetime64[D]"))
            cells = np.where(column.isna().to_numpy(), "", text).tolist()
        elif column.dtype.kind == "f":
            values = column.to_numpy()
            cells = values.tolist()
            if np.isnan(values).any():
                cells = ["" if v != v else v for v in cells]
        else:  # text columns hold '' for none already; bools stay bools
            cells = ["" if v is None else v for v in column.tolist()]
        columns.append(cells)
    return [[str(c) for c in frame.columns], *map(list, zip(*columns, strict=True))]


def _raw(x: Any) -> Any:
    """A table argument read "raw": one cell arrives bare (an error as Office.js' dict)."""
    return x if isinstance(x, list) else _accounts.clean_cell(x)


def _cells(x: Any) -> Any:
    """An ndim=2 argument as the plain functions take it: one cell as a scalar."""
    if isinstance(x, list) and len(x) == 1 and isinstance(x[0], list) and len(x[0]) == 1:
        return x[0][0]
    return x


@xw.func
@xw.arg("accounts", "raw", err_to_str=True, doc="Account table with its header row, e.g. Accounts[#All]; only account_id is required.")
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
@xw.arg("history", "raw", err_to_str=True, doc="Optional: a history table (account_id, period, signal columns) ending the period before now; rules with persistence > 1 need it.")
@xw.arg("as_of", err_to_str=True, doc="Optional: the date the queue is for (renewals, tenure); default: today.")
@xw.arg("owners", ndim=2, err_to_str=True, doc="Optional: an Owners table of roles (owner, weekly_capacity) or of people (name, role, motions, weekly_capacity); gives each new play a slot (this week or queued) and, with people, a named assignee.")
@xw.arg("routing", err_to_str=True, doc="Optional: evidence (default: the play is the primary motion) or value (the best expected value).")
@xw.arg("opportunities", ndim=2, err_to_str=True, doc="Optional: the CRM's opportunities (opportunity_id, account_id, motion or type, amount, stage, close_date, status); a play already open, past due, just won or just lost says so in pipeline_status.")
@xw.arg("previous", ndim=2, err_to_str=True, doc="Optional: the previous queue snapshot (account_id, as_of, ready, play, ready_since); a play ready there with the same play keeps its ready_since.")
@xw.ret("raw")
def SCORE_ACCOUNTS(accounts, rules=None, plays=None, history=None, as_of=None, owners=None, routing=None,
                   opportunities=None, previous=None):
    """Ranked expansion queue: score, ready, motion, play, pipeline status, owner, assignee, slot, expected value, due days and reasons per account. Example: =SCORE_ACCOUNTS(Accounts[#All])"""
    hist = _raw(history) if history is not None else None
    if hist is not None and not isinstance(hist, list):
        hist = [[hist]] if hist is not None else None
    return table_cells(score_accounts(_raw(accounts), rules, plays, hist, as_of, owners,
                                       "evidence" if routing is None else routing, _cells(opportunities),
                                       _cells(previous)))


@xw.func
@xw.arg("values", "raw", err_to_str=True, doc=_VALUES_DOC)
@xw.arg("headers", ndim=2, err_to_str=True, doc=_HEADERS_DOC)
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
def EXPANSION_SCORE(values, headers=None, rules=None):
    """Expansion score (0-100) per account row: points of the rules that fire. Example: =EXPANSION_SCORE(Accounts[#All])"""
    return _args.to_excel(expansion_score(_raw(values), headers, rules))


@xw.func
@xw.arg("values", "raw", err_to_str=True, doc=_VALUES_DOC)
@xw.arg("headers", ndim=2, err_to_str=True, doc=_HEADERS_DOC)
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
def EXPANSION_MOTION(values, headers=None, rules=None):
    """Primary expansion motion per account row (most points among fired rules). Example: =EXPANSION_MOTION(B2:T2, B1:T1)"""
    return _args.to_excel(expansion_motion(_raw(values), headers, rules))


@xw.func
@xw.arg("values", "raw", err_to_str=True, doc=_VALUES_DOC)
@xw.arg("headers", ndim=2, err_to_str=True, doc=_HEADERS_DOC)
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
def EXPANSION_REASONS(values, headers=None, rules=None):
    """Why each account row scores: the rules that fired with their points, and any bad cells. Example: =EXPANSION_REASONS(Accounts[#All])"""
    return _args.to_excel(expansion_reasons(_raw(values), headers, rules))


@xw.func
@xw.arg("seats_active", ndim=2, err_to_str=True, doc="Active seats (users): a cell or a column.")
@xw.arg("seats_licensed", ndim=2, err_to_str=True, doc="Licensed (paid) seats, > 0: a cell or a column.")
def SEAT_UTILIZATION(seats_active, seats_licensed):
    """Seat utilization: active seats / licensed seats. Example: =SEAT_UTILIZATION(46, 50) gives 0.92"""
    return _spill(seat_utilization(_cells(seats_active), _cells(seats_licensed)), seats_active, seats_licensed)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("expected_arr_increase", ndim=2, err_to_str=True, doc="Expected ARR increase of the play, $ (a cell or a column).")
@xw.arg("account_arr", ndim=2, err_to_str=True, doc="Optional: the account's current ARR, $ (Seat expansion routes on it); default: increase / the play's share.")
def EXPANSION_OWNER(motion, expected_arr_increase, account_arr=None):
    """Owner of the expansion play: CSM, Expansion AE, CSM + Expansion AE or Self-serve. Example: =EXPANSION_OWNER("Tier upgrade", 12000)"""
    result = expansion_owner(_cells(motion), _cells(expected_arr_increase), _cells(account_arr))
    return _spill(result, motion, expected_arr_increase, account_arr)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("account_arr", ndim=2, err_to_str=True, doc="The account's current ARR, $ (a cell or a column).")
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
def EXPECTED_EXPANSION(motion, account_arr, plays=None):
    """Expected ARR increase of the motion's play: account ARR x the play's increase share. Example: =EXPECTED_EXPANSION("Tier upgrade", 50000) gives 20000"""
    return _spill(expected_expansion(_cells(motion), _cells(account_arr), plays), motion, account_arr)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
def CLOSE_RATE(motion, plays=None):
    """Close rate of the motion's play. Example: =CLOSE_RATE("Seat expansion") gives 0.5"""
    return _spill(close_rate(_cells(motion), plays), motion)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("trigger_date", ndim=2, err_to_str=True, doc="Date the trigger fired (a date cell or a column of dates).")
@xw.arg("segment", ndim=2, err_to_str=True, doc="Optional: SMB, Mid-market or Enterprise (cycles differ by segment); default: the play's cycle_days.")
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
@xw.arg("renewal_date", ndim=2, err_to_str=True, doc="Optional: the account's next renewal; within 120 days the play is due 30 days before it.")
def PLAY_DUE_DATE(motion, trigger_date, segment=None, plays=None, renewal_date=None):
    """Due date of the play: trigger date + the play's target cycle for the segment, paired with a near renewal. Example: =PLAY_DUE_DATE("Tier upgrade", TODAY(), "Enterprise")"""
    result = play_due_date(_cells(motion), _cells(trigger_date), _cells(segment), plays, _cells(renewal_date))
    return _spill(result, motion, trigger_date, segment, renewal_date)
