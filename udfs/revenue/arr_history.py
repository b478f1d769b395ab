"""ARR history (SPEC §6): movements, trailing-12-month NRR/GRR with their bridge, cohorts.

The input is the billing system's account-month ARR (``account_id, month, arr``; ``mrr``
is read as ARR / 12), or a subscription export (``account_id, start_date, end_date, arr``:
a subscription counts in every month whose last day falls within its start and end dates,
a blank end meaning still active). Everything is computed on one account × month matrix;
an account-month absent within the history's span is ARR 0 (billing exports often drop
churned accounts).

>>> h = [["account_id", "month", "arr"], ["a", "2024-01", 100], ["a", "2024-02", 120],
...      ["b", "2024-02", 50], ["a", "2024-03", 0], ["b", "2024-03", 40]]
>>> arr_movements(h)[["month", "new", "expansion", "contraction", "churn"]].iloc[1:].to_dict("records")
[{'month': '2024-02', 'new': 50.0, 'expansion': 20.0, 'contraction': 0.0, 'churn': 0.0}, {'month': '2024-03', 'new': 0.0, 'expansion': 0.0, 'contraction': 10.0, 'churn': 120.0}]

The definitions chosen here are listed once, in the package's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, _records, record_columns

__all__ = [
    "ArrHistory", "arr_matrix",
    "arr_movements", "ARR_MOVEMENTS",
    "retention_from_history", "RETENTION_FROM_HISTORY",
    "trailing_retention", "trailing_measure", "TRAILING_MEASURE", "account_changes",
    "cohort_nrr", "COHORT_NRR",
    "expansion_share_by_quarter", "EXPANSION_SHARE_BY_QUARTER",
]

T12M = 12  # trailing window, months


@dataclass
class ArrHistory:
    """An ARR history as a dense account × month matrix.

    ``arr[i, j]``: ARR of ``accounts[i]`` in month ``first_month + j`` (months are
    integers, year × 12 + month − 1). ``notes``: what the import did (summed duplicate
    rows, summary rows left out), in words for the sheet.
    """

    accounts: np.ndarray
    first_month: int
    arr: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def months(self) -> np.ndarray:
        return self.first_month + np.arange(self.arr.shape[1])

    @property
    def month_labels(self) -> np.ndarray:
        return _records.month_label(self.months)


DUPLICATES = ("sum", "last")


def arr_matrix(history: Any, duplicates: Any = None) -> ArrHistory:
    """Read an account-month or subscription table (range or DataFrame) into an :class:`ArrHistory`.

    Several rows for one account and month are line items, summed (and noted), when the
    table has a ``subscription_id``, ``product`` or ``plan`` column; without one they
    conflict and are refused, naming the account, the month and the rows, unless
    ``duplicates`` says ``sum`` (add them up) or ``last`` (the last row counts).

    >>> h = arr_matrix([["Customer", "Month", "MRR"], ["a", "2024-01-15", 10], ["a", "2024-03-01", 12]])
    >>> h.arr.tolist(), h.month_labels.tolist()
    ([[120.0, 0.0, 144.0]], ['2024-01', '2024-02', '2024-03'])
    """
    if isinstance(history, ArrHistory):
        return history
    name = "history"
    how = None if _args.omitted(duplicates) else _args.choices("duplicates", [duplicates], DUPLICATES)[0]
    frame = _records.record_table(name, history, record_columns.HISTORY_ALIASES, ("account_id",), "account_id")
    if frame.empty:
        raise _args.InputError(f"{name}: expected at least one row of account_id, month and arr, got none")
    if "arr" in frame:
        amount = _records.money(name, frame, "arr", blank_is=0.0)
    elif "mrr" in frame:
        amount = _records.money(name, frame, "mrr", blank_is=0.0) * 12.0
    else:
        raise _args.InputError(f"{name}: expected a column 'arr' (or 'mrr') in the header row")
    ids = _records.coded_texts(name, frame, "account_id")
    notes: list[str] = []
    if "month" in frame:
        month = _records.month_index(name, frame, "month")
    elif "start_date" in frame:
        return _from_subscriptions(name, frame, ids, amount)
    else:
        raise _args.InputError(f"{name}: expected a column 'month' (or 'start_date' and 'end_date') in the header row")
    items = record_columns.line_item_column(frame.columns)
    return _matrix(ids, month, amount, notes, how or ("items:" + items if items else None), frame)


def _matrix(ids: tuple[np.ndarray, np.ndarray], month: np.ndarray, amount: np.ndarray,
            notes: list[str], duplicates: str | None = "sum", frame: pd.DataFrame | None = None) -> ArrHistory:
    codes, accounts = ids
    first = int(month.min())
    span = int(month.max()) - first + 1
    if span > record_columns.HISTORY_MAX_MONTHS:
        raise _args.InputError(
            f"history month: expected at most {record_columns.HISTORY_MAX_MONTHS} months from first to last, "
            f"got {span} ({_records.month_label([first])[0]} to {_records.month_label([first + span - 1])[0]})"
        )
    flat = codes.astype(np.int64)  # the cell of each row in the matrix, one array in place
    flat *= span
    flat += month
    flat -= first
    size = len(accounts) * span
    arr = np.bincount(flat, weights=amount, minlength=size).reshape(len(accounts), span)
    seen = np.zeros(size, dtype=bool)
    seen[flat] = True
    dupes = int(len(flat) - np.count_nonzero(seen))
    if dupes and frame is not None:
        arr = _duplicates(arr, flat, amount, dupes, duplicates, frame, accounts, codes, month, notes)
    elif dupes:
        notes.append(f"{dupes} account-month rows appeared more than once; their ARR is summed")
    return ArrHistory(np.asarray(accounts, dtype=object), first, arr, notes)


def _duplicates(arr: np.ndarray, flat: np.ndarray, amount: np.ndarray, dupes: int, how: str | None,
                frame: pd.DataFrame, accounts: np.ndarray, codes: np.ndarray, month: np.ndarray,
                notes: list[str]) -> np.ndarray:
    """Rows sharing an account and month: line items (summed), or ``how`` says, or refused."""
    if how is not None and how.startswith("items:"):
        notes.append(f"{dupes} {'row is a further line item' if dupes == 1 else 'rows are further line items'} "
                     f"of an account and month ({how[6:]} column); their ARR is summed")
        return arr
    if how == "sum":
        notes.append(f"{dupes} {'row repeats' if dupes == 1 else 'rows repeat'} an account and month; their ARR "
                     "is summed (duplicates 'sum')")
        return arr
    if how == "last":
        last = np.full(arr.size, -1, dtype=np.int64)
        np.maximum.at(last, flat, np.arange(len(flat)))
        kept = np.flatnonzero(last >= 0)
        out = np.zeros(arr.size)
        out[kept] = amount[last[kept]]
        notes.append(f"{dupes} {'row repeats' if dupes == 1 else 'rows repeat'} an account and month; the last "
                     "of each counts (duplicates 'last')")
        return out.reshape(arr.shape)
    counts = np.bincount(flat, minlength=arr.size)
    cell = int(flat[np.argmax(counts[flat] > 1)])
    rows = np.flatnonzero(flat == cell)
    shown = " and ".join(f"{int(frame.index[r]) + 2} ({_args.num_text(float(amount[r]))})" for r in rows[:3])
    raise _args.InputError(
        f"history: account {str(accounts[codes[rows[0]]])!r} has {rows.size} rows for "
        f"{_records.month_label(month[rows[:1]])[0]} (rows {shown}) and no subscription_id, product or plan "
        "column telling them apart; keep one row per account and month, or choose duplicates 'sum' or 'last'")


def _from_subscriptions(name: str, frame: pd.DataFrame, ids: tuple[np.ndarray, np.ndarray], amount: np.ndarray) -> ArrHistory:
    """Subscriptions to account-months: active in a month when start ≤ its last day ≤ end."""
    start = _records.dates(name, frame, "start_date")
    end = (_records.dates(name, frame, "end_date", allow_blank=True) if "end_date" in frame
           else np.full(len(start), np.datetime64("NaT"), dtype="datetime64[ns]"))
    open_ended = np.isnat(end)
    backwards = ~open_ended & (end < start)
    if backwards.any():
        i = int(np.argmax(backwards))
        raise _records.row_error(name, frame, i, "end_date", "a date on or after start_date",
                                 frame["end_date"].iloc[i])
    s = _records.months_of(start)
    e = _records.months_of(np.where(open_ended, start, end))
    day = np.where(open_ended, start, end).astype("datetime64[D]")
    month_last_day = (day.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    last = np.where(day >= month_last_day, e, e - 1)
    horizon = int(max(s.max(), last[~open_ended].max() if (~open_ended).any() else s.max()))
    last = np.where(open_ended, horizon, last)
    n = np.maximum(0, last - s + 1)
    if n.sum() == 0:
        raise _args.InputError(f"{name}: expected a subscription active at the end of a month, got none")
    rows = np.repeat(np.arange(len(s)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return _matrix((ids[0][rows], ids[1]), s[rows] + offset, amount[rows], [])


# --------------------------------------------------------------------------- movements


def _movements(a: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly movements of the matrix, summed per month (month 0: opening book only).

    One pass of whole-matrix operations: with d = arr − previous arr, expansion is the
    positive part of d less the starts (previous 0), contraction its negative part less
    the churn (now 0); a start is a reactivation when the account was billed before.
    """
    prev, cur = a[:, :-1], a[:, 1:]
    zero = np.zeros(1)
    d = cur - prev  # the one full-size buffer: d's positive part, then (d again) its negative part
    up = np.maximum(d, 0.0, out=d).sum(axis=0)
    np.subtract(cur, prev, out=d)
    np.negative(d, out=d)
    down = np.maximum(d, 0.0, out=d).sum(axis=0)
    was0, is0 = prev <= 0, cur <= 0
    starts = cur.sum(axis=0, where=was0)
    churn = prev.sum(axis=0, where=is0)
    ever = np.logical_or.accumulate(a > 0, axis=1)[:, :-1]  # billed at or before the previous month
    again = was0 & ever
    react = cur.sum(axis=0, where=again)
    started = was0 & ~is0
    new_logos = started.sum(axis=0) - (again & ~is0).sum(axis=0)
    churned = (~was0 & is0).sum(axis=0)

    def first(x: np.ndarray) -> np.ndarray:
        return np.concatenate([zero, np.asarray(x, dtype=float)])

    return {
        "opening_arr": first(prev.sum(axis=0)),
        "new": first(starts - react),
        "expansion": first(np.maximum(up - starts, 0.0)),
        "contraction": first(np.maximum(down - churn, 0.0)),
        "churn": first(churn),
        "reactivation": first(react),
        "closing_arr": a.sum(axis=0),
        "customers": (a > 0).sum(axis=0).astype(float),
        "new_logos": first(new_logos),
        "churned_logos": first(churned),
    }


def arr_movements(history: Any) -> pd.DataFrame:
    """ARR movements per month: new, expansion, contraction, churn, reactivation ($).

    Columns: month, opening_arr, new, expansion, contraction, churn, reactivation,
    closing_arr, customers, new_logos, churned_logos; closing = opening + new + expansion −
    contraction − churn + reactivation. The first month is the opening book (no movements).
    """
    h = arr_matrix(history)
    moves = _movements(h.arr)
    out = pd.DataFrame({"month": h.month_labels, **moves})
    out.loc[0, "opening_arr"] = np.nan
    for col in ("new", "expansion", "contraction", "churn", "reactivation", "new_logos", "churned_logos"):
        out.loc[0, col] = np.nan
    return out


# --------------------------------------------------------------------------- the bridge


def first_billed(a: np.ndarray) -> np.ndarray:
    """Each account's first month with ARR (a position in the matrix; the width when never)."""
    pos = a > 0
    return np.where(pos.any(axis=1), pos.argmax(axis=1), a.shape[1])


def _bridge(a: np.ndarray, s: np.ndarray, e: np.ndarray) -> dict[str, np.ndarray]:
    """The point-to-point bridge from month ``s`` to month ``e`` (positions; one pair per
    result column), closing to company ARR at ``e``.

    Over C = the accounts billed at ``s``: expansion Σ max(0, now − then), churn Σ then
    where now = 0, contraction the rest of the decrease (start + expansion − contraction −
    churn = ending). The accounts outside C make up the rest of ARR at ``e``: new logos
    (first billed after ``s``, by ``e``) at their first bill, their change since it
    (growth, contraction, churn after the first month), and reactivations (billed before
    ``s``, at 0 in it). ending + new_logo_arr + new_logo_change + reactivation = arr.
    Accounts outside C have ARR 0 at ``s``, so Σ then and Σ min(now, then) need no mask.
    """
    then, now = a[:, s], a[:, e]
    c = then > 0
    start = then.sum(axis=0)
    arr = now.sum(axis=0)
    ending = now.sum(axis=0, where=c)
    scratch = np.minimum(now, then)  # one full-size buffer (then's layout) for two sums
    kept = scratch.sum(axis=0)
    gone = now <= 0
    churn = then.sum(axis=0, where=gone)
    first = first_billed(a)[:, None]
    first_bill = np.take_along_axis(a, np.minimum(first, a.shape[1] - 1), axis=1)
    new = (first > s) & (first <= e)
    new_logo_arr = np.where(new, first_bill, 0.0).sum(axis=0)
    accounts = c.sum(axis=0).astype(float)
    lost = (c & gone).sum(axis=0).astype(float)
    np.subtract(now, then, out=scratch)
    grown = np.maximum(scratch, 0.0, out=scratch).sum(axis=0)
    some = start > 0
    safe = np.where(some, start, 1.0)
    return {
        "starting_arr": start,
        "expansion": np.maximum(grown - (arr - ending), 0.0),
        "contraction": np.maximum(start - kept - churn, 0.0),
        "churn": churn,
        "ending_arr": ending,
        "nrr": np.where(some, ending / safe, np.nan),
        "grr": np.where(some, kept / safe, np.nan),
        "accounts": accounts,
        "churned_logos": lost,
        "logo_churn": np.where(accounts > 0, lost / np.where(accounts > 0, accounts, 1.0), np.nan),
        "new_logo_arr": new_logo_arr,
        "new_logo_change": now.sum(axis=0, where=new) - new_logo_arr,
        "reactivation": now.sum(axis=0, where=~c & (first < s)),
        "arr": arr,
    }


def _trailing(a: np.ndarray) -> dict[str, np.ndarray]:
    """The bridge of every month from the 13th, over the 12 months before it."""
    e = np.arange(T12M, a.shape[1])
    return _bridge(a, e - T12M, e)


def _need_12(h: ArrHistory) -> None:
    t = h.arr.shape[1]
    if t <= T12M:
        raise _args.InputError(
            f"history: expected at least {T12M + 1} months for trailing-12-month retention, got {t} "
            f"({h.month_labels[0]} to {h.month_labels[-1]})"
        )


def retention_from_history(history: Any) -> pd.DataFrame:
    """Trailing-12-month NRR, GRR, logo churn and their bridge, one row per month from the 13th.

    Over C = the accounts with ARR 12 months earlier: NRR = Σ arr now / Σ arr then; GRR the
    same with each account capped at its ARR then; logo churn = share of C at 0 now.
    Bridge: expansion Σ max(0, now − then), churn Σ then where now = 0, contraction the
    rest of the decrease (starting + expansion − contraction − churn = ending); then what
    makes up the rest of company ARR (``arr``): new-logo ARR (first bills of the 12
    months), the new logos' change since their first bill, and reactivations (ending +
    new_logo_arr + new_logo_change + reactivation = arr, to the cent). Blank where C is empty.
    """
    h = arr_matrix(history)
    _need_12(h)
    t = _trailing(h.arr)
    labels = h.month_labels
    return pd.DataFrame({"month": labels[T12M:], "from_month": labels[:-T12M], **t})


def trailing_retention(history: Any, month: Any = None) -> dict:
    """The trailing-12-month figures of one month (default: the last) as a dict.

    Keys: month, from_month, starting_arr, expansion, contraction, churn, ending_arr, nrr,
    grr, accounts, churned_logos, logo_churn, new_logo_arr (first bills of the 12 months),
    new_logo_change (their change since), reactivation, arr (Σ ARR in the month: ending +
    the three before), customers (billed in the month). Rates are None where C is empty.
    """
    h = arr_matrix(history)
    _need_12(h)
    j = h.arr.shape[1] - 1 if month is None else _month_position(h, month)
    if j < T12M:
        raise _args.InputError(f"month: expected a month at least 12 months into the history "
                         f"(from {h.month_labels[T12M]}), got {h.month_labels[j]}")
    row = {k: _args.to_python(v[0]) for k, v in _bridge(h.arr, np.array([j - T12M]), np.array([j])).items()}
    row.update(month=h.month_labels[j], from_month=h.month_labels[j - T12M], customers=int((h.arr[:, j] > 0).sum()))
    return row


TRAILING_MEASURES = ("nrr", "grr", "logo_churn", "starting_arr", "expansion", "contraction", "churn",
                     "ending_arr", "new_logo_arr", "new_logo_change", "reactivation", "accounts", "churned_logos",
                     "customers", "arr")


def trailing_measure(history: Any, measure: Any, month: Any = None):
    """One figure of :func:`trailing_retention` (``measure``: nrr, grr, churn, arr…), for a cell.

    >>> trailing_measure([["account_id", "month", "arr"], ["a", "2024-01", 100], ["a", "2025-01", 120]], "nrr")
    1.2
    """
    key = _args.choices("measure", [measure], TRAILING_MEASURES)[0]
    return trailing_retention(history, None if _args.is_blank(month) else month)[key]


def _month_position(h: ArrHistory, month: Any) -> int:
    m = int(_records.month_index("month", pd.DataFrame({"month": [month]}), "month")[0])
    j = m - h.first_month
    if not 0 <= j < h.arr.shape[1]:
        raise _args.fail("month", f"a month from {h.month_labels[0]} to {h.month_labels[-1]}", month)
    return j


def account_changes(history: Any, month: Any = None) -> pd.DataFrame:
    """Per account of C: ARR 12 months before ``month`` (default: the last) and in it.

    The per-account pairs behind :func:`trailing_retention` (for a bootstrap of NRR).
    """
    h = arr_matrix(history)
    _need_12(h)
    j = h.arr.shape[1] - 1 if month is None else _month_position(h, month)
    then, now = h.arr[:, j - T12M], h.arr[:, j]
    c = then > 0
    return pd.DataFrame({"account_id": h.accounts[c], "arr_then": then[c], "arr_now": now[c]})


# --------------------------------------------------------------------------- cohorts


def _cohort_months(months: Any, span: int) -> np.ndarray:
    if _args.is_blank(months) if _args.is_scalar(months) else False:
        months = None
    if months is None:
        return np.arange(3, span, 3, dtype=np.int64)
    k = _args.numbers("months", months, minimum=1, what="a whole number of months")
    bad = k != np.floor(k)
    if bad.any():
        i = int(np.argmax(bad))
        raise _args.fail("months", "a whole number of months", float(k[i]), i if k.size > 1 else None)
    return np.unique(k.astype(np.int64))


def cohort_nrr(history: Any, months: Any = None) -> pd.DataFrame:
    """NRR by acquisition quarter: Σ arr k months after each account's first month / Σ arr in it.

    One row per quarter of first billing (the opening book excluded): cohort, period
    (``full quarter``, or ``partial: …`` for a quarter the history covers in part: its
    cohort holds only the accounts of the months it has), accounts, starting_arr, then
    ``month_k`` columns (default k = 3, 6, 9, … within the history). A cell is blank until
    every account of the cohort has reached month k.
    """
    h = arr_matrix(history)
    a = h.arr
    n, t = a.shape
    ks = _cohort_months(months, t)
    pos = a > 0
    billed = pos.any(axis=1)
    first = np.argmax(pos, axis=1)
    member = billed & (first > 0)
    rows = np.flatnonzero(member)
    f = first[rows]
    quarter = _records.quarter_of_month(h.first_month + f)
    cohorts, code = np.unique(quarter, return_inverse=True)
    m = cohorts.size
    start = np.bincount(code, weights=a[rows, f], minlength=m)
    count = np.bincount(code, minlength=m).astype(float)
    youngest = np.full(m, -1, dtype=np.int64)
    np.maximum.at(youngest, code, f) if m else None
    quarters, _, _, period = _quarters(h)
    out = {"cohort": _records.quarter_label(cohorts),
           "period": period[np.searchsorted(quarters, cohorts)] if m else np.zeros(0, dtype=object),
           "accounts": count, "starting_arr": start}
    for k in ks:
        idx = f + k
        seen = idx < t
        total = np.bincount(code[seen], weights=a[rows[seen], idx[seen]], minlength=m)
        complete = (youngest + k < t) & (start > 0)
        out[f"month_{k}"] = np.where(complete, total / np.where(start > 0, start, 1.0), np.nan)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- quarters


def _quarters(h: ArrHistory) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The calendar quarters with a movement (the opening month has none): each one's
    quarter number, opening and closing month positions (the month before it, its last
    month, within the history) and its period: ``full quarter``, or ``partial: to 2026-11``
    / ``partial: from 2024-03`` (the months it has) when the history covers it in part.

    >>> _quarters(arr_matrix([["account_id", "month", "arr"], ["a", "2024-02", 1], ["a", "2024-07", 1]]))[3].tolist()
    ['partial: from 2024-03', 'full quarter', 'partial: to 2024-07']
    """
    t = h.arr.shape[1]
    quarters = np.unique(_records.quarter_of_month(h.months))
    first = quarters * 3 - h.first_month  # position of each quarter's first month
    s, e = np.maximum(first - 1, 0), np.minimum(first + 2, t - 1)
    keep = e > s
    quarters, first, s, e = quarters[keep], first[keep], s[keep], e[keep]
    labels = h.month_labels
    since, until = labels[s + 1], labels[e]  # object arrays: + joins the texts
    cut_start, cut_end = first < 1, first + 2 > t - 1
    period = np.select([cut_start & cut_end, cut_start, cut_end],
                       ["partial: " + since + " to " + until, "partial: from " + since, "partial: to " + until],
                       "full quarter").astype(object)
    return quarters, s, e, period


# --------------------------------------------------------------------------- expansion share


def expansion_share_by_quarter(history: Any) -> pd.DataFrame:
    """The bridge of each calendar quarter, point to point as the 12-month one, and its
    expansion share of new ARR.

    From the month before the quarter to its last month (a quarter the history covers
    only in part runs from the history's first month, or to its last, and its ``period``
    says so). Columns: quarter, period (``full quarter``, ``partial: to 2026-11`` or
    ``partial: from 2024-03``), from_month, to_month, opening_arr, expansion, contraction,
    churn, new_logo_arr, new_logo_change, reactivation, closing_arr (opening + expansion −
    contraction − churn + the three after = closing), expansion_share = expansion /
    (expansion + new_logo_arr), blank when both are 0. Four quarters' expansion adds up
    to more than the 12 months' when an account grew in one quarter and shrank in another.
    """
    h = arr_matrix(history)
    quarters, s, e, period = _quarters(h)
    b = _bridge(h.arr, s, e)
    labels = h.month_labels
    new = b["new_logo_arr"]
    total = b["expansion"] + new
    return pd.DataFrame({
        "quarter": _records.quarter_label(quarters),
        "period": period,
        "from_month": labels[s],
        "to_month": labels[e],
        "opening_arr": b["starting_arr"],
        "expansion": b["expansion"],
        "contraction": b["contraction"],
        "churn": b["churn"],
        "new_logo_arr": new,
        "new_logo_change": b["new_logo_change"],
        "reactivation": b["reactivation"],
        "closing_arr": b["arr"],
        "expansion_share": np.where(total > 0, b["expansion"] / np.where(total > 0, total, 1.0), np.nan),
    })


# --------------------------------------------------------------------------- Excel UDFs

_HISTORY_DOC = ("ARR history table with header row: account_id, month, arr (one row per account-month; "
                "or mrr; or start_date, end_date, arr per subscription)")


@xw.func
@xw.arg("history", doc=_HISTORY_DOC, ndim=2, err_to_str=True)
def ARR_MOVEMENTS(history):
    """Table of monthly ARR movements: new, expansion, contraction, churn, reactivation. Example: =ARR_MOVEMENTS(ARR_history[#All])"""
    return _args.to_excel(arr_movements(history))


@xw.func
@xw.arg("history", doc=_HISTORY_DOC, ndim=2, err_to_str=True)
def RETENTION_FROM_HISTORY(history):
    """Table of trailing-12-month NRR, GRR, logo churn and bridge per month. Example: =RETENTION_FROM_HISTORY(ARR_history[#All])"""
    return _args.to_excel(retention_from_history(history))


@xw.func
@xw.arg("history", doc=_HISTORY_DOC, ndim=2, err_to_str=True)
@xw.arg("months", doc="Optional months after acquisition to show (e.g. 3, 6, 12); default every 3 months", err_to_str=True)
def COHORT_NRR(history, months=None):
    """Table of NRR by acquisition quarter, k months after each account's first month. Example: =COHORT_NRR(ARR_history[#All])"""
    return _args.to_excel(cohort_nrr(history, months))


@xw.func
@xw.arg("history", doc=_HISTORY_DOC, ndim=2, err_to_str=True)
def EXPANSION_SHARE_BY_QUARTER(history):
    """Table of each quarter's bridge, point to point (partial quarters labelled), and its expansion share of new ARR. Example: =EXPANSION_SHARE_BY_QUARTER(ARR_history[#All])"""
    return _args.to_excel(expansion_share_by_quarter(history))


@xw.func
@xw.arg("history", doc=_HISTORY_DOC, ndim=2, err_to_str=True)
@xw.arg("measure", doc="One of nrr, grr, logo_churn, starting_arr, expansion, contraction, churn, ending_arr, "
        "new_logo_arr, new_logo_change, reactivation, accounts, churned_logos, customers, arr", err_to_str=True)
@xw.arg("month", doc="Optional month the 12 months end in (e.g. 2025-06); default the history's last", err_to_str=True)
def TRAILING_MEASURE(history, measure, month=None):
    """One trailing-12-month figure of the ARR history (NRR, GRR, bridge, logo churn...). Example: =TRAILING_MEASURE(ARR_history[#All], "nrr")"""
    return _args.to_excel(trailing_measure(history, measure, month))
