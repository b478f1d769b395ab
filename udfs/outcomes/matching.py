"""Flags and what came of them: each flagged play matched to the opportunities opened after it.

- A **flag** is the first snapshot of an *episode*: the consecutive snapshots (in the
  store's order, whatever their spacing) in which an account is a ready play (ready, no
  opportunity on it) of the same play. A snapshot where it is not, or where it is
  missing, ends the episode; readiness later starts a new flag. A play change starts a
  flag of the new play. An episode already under way in the first snapshot is flagged
  there (``from_first_snapshot``), on its ``ready_since`` day when the queue gave one.
- A flag's **window** is its play's backtest window in days: the play's longest cycle in
  30-day periods, + 1 period (Seat expansion 60 days, Cross-sell 150).
- An expansion opportunity of the account **created** on or after the flag day and
  within its window is matched to the latest such flag of its own motion (*worked as
  flagged*), else to the latest flag of the account within its window (*worked, other
  motion*). A flag's outcome is that of its first matched opportunity, those of its own
  motion first: ``won``, ``lost``, ``open``, or ``not worked``.
- **Missed**: won expansion opportunities created within the snapshots' span and matched
  to no flag.

>>> flags = [["account_id", "play", "flagged_on"], ["A1", "Seat expansion", "2026-01-05"],
...          ["A2", "Tier upgrade", "2026-01-05"]]
>>> opps = [["opportunity_id", "account_id", "type", "amount", "created_date", "close_date", "status"],
...         ["O1", "A1", "Add seats", 5000, "2026-01-09", "2026-01-30", "won"],
...         ["O2", "A2", "Add seats", 3000, "2026-01-20", "2026-02-15", "lost"],
...         ["O3", "A3", "Upsell", 9000, "2026-01-10", "2026-02-01", "won"]]
>>> flag_outcomes(flags, opps)[["account_id", "worked", "outcome", "opportunity_id", "days_to_close"]].values.tolist()
[['A1', 'as flagged', 'won', 'O1', 25.0], ['A2', 'other motion', 'lost', 'O2', 41.0]]
>>> missed_expansions(flags, opps, "2026-01-01", "2026-01-31")["opportunity_id"].tolist()
['O3']
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xlwings as xw

from ..backtest.panel import rule_window
from ..core import _args, _records, playbook, record_columns
from ..core._args import omitted
from ..revenue.opportunities import LOST, OPEN, WON, _motions, _status_codes
from ..scoring.plays import play_set, segment_codes
from .snapshots import _flags, _pick, _texts, excel_cells, ready_plays, snapshot_frame

__all__ = ["FLAG_COLUMNS", "OUTCOME_COLUMNS", "play_flags", "flag_outcomes", "FLAG_OUTCOMES",
           "missed_expansions", "MISSED_EXPANSIONS", "flag_windows"]

FLAG_COLUMNS = ("account_id", "account_name", "play", "flagged_on", "ready_until", "owner", "segment",
                "arr", "expected_arr_increase", "close_rate", "ready_signal", "from_first_snapshot")
OUTCOME_COLUMNS = (*FLAG_COLUMNS, "worked", "outcome", "opportunity_id", "opportunity_motion", "amount",
                   "created_date", "close_date", "days_to_close", "opportunities", "cycle_days")
_SOURCE = ("account_name", "play", "ready", "pipeline_status", "owner", "assignee", "segment", "arr",
           "expected_arr_increase", "close_rate", "ready_signal", "ready_since")
PERIOD_DAYS = 30  # the window counts the play's cycle in these periods, as a backtest does
_STATUS = np.array([OPEN, WON, LOST], dtype=object)  # the opportunities' status codes 0, 1, 2
_DAY = np.timedelta64(1, "D")


def play_flags(snapshots: Any, as_ofs: Any = None) -> pd.DataFrame:
    """The flags of a set of snapshots (a table with as_of, account_id, ready, play, ...):
    :data:`FLAG_COLUMNS`, one row per flag, by flag day.

    ``as_ofs``: every snapshot date of the store, when ``snapshots`` holds only some rows
    (e.g. the ready ones): a date with no row of an account ends its episode. A
    ``ready_until`` column (a store that read the first row of each run only) gives the
    last day of each episode.
    """
    s = snapshot_frame(snapshots, name="snapshots", columns=_SOURCE)
    until = _pick("snapshots", snapshots, ("ready_until",))
    if "ready_until" in until:
        s["ready_until"] = _records.dates("snapshots", until, "ready_until", allow_blank=True)
    as_of = s["as_of"].to_numpy("datetime64[D]")
    days = np.unique(as_of)
    if not omitted(as_ofs):
        given = _records.dates("as_ofs", pd.DataFrame({"d": list(np.ravel(as_ofs))}), "d")
        days = np.union1d(days, given.astype("datetime64[D]"))
    play = _motion_codes(s["play"])
    rows = np.flatnonzero(ready_plays(s) & (play >= 0))
    acc_codes, acc_ids = pd.factorize(s["account_id"])
    acc, play, t = acc_codes[rows], play[rows], _day_index(days, as_of[rows])
    order = _order((acc * len(playbook.MOTIONS) + play) * max(len(days), 1) + t)  # each account's play, in time
    acc, play, t, rows = acc[order], play[order], t[order], rows[order]
    start = np.ones(len(rows), dtype=bool)
    start[1:] = (acc[1:] != acc[:-1]) | (play[1:] != play[:-1]) | (t[1:] != t[:-1] + 1)
    ends = np.append(np.flatnonzero(start)[1:] - 1, len(t) - 1) if len(t) else np.zeros(0, np.int64)
    first_t, src = t[start], rows[start]  # each flag: its first snapshot and source row
    last_day = days[t[ends]] if len(days) else np.array([], dtype="datetime64[D]")
    if "ready_until" in s:
        given = s["ready_until"].to_numpy("datetime64[D]")[src]
        last_day = np.where(~np.isnat(given) & (given > last_day), given, last_day)
    flagged = days[first_t] if len(days) else np.array([], dtype="datetime64[D]")
    since = s["ready_since"].to_numpy("datetime64[D]")[src]
    flagged_on = np.where((first_t == 0) & ~np.isnat(since) & (since < flagged), since, flagged)
    # by flag day, account id, play (as text), without sorting the texts of every row
    id_rank = np.empty(len(acc_ids), dtype=np.int64)
    id_rank[np.argsort(np.asarray(acc_ids, dtype=object), kind="stable")] = np.arange(len(acc_ids))
    day = (flagged_on - flagged_on.min()) // _DAY if len(flagged_on) else np.zeros(0, np.int64)
    by = _order((day * len(acc_ids) + id_rank[acc[start]]) * len(playbook.MOTIONS) + _PLAY_RANK[play[start]])
    src, flagged_on, last_day, first_t = src[by], flagged_on[by], last_day[by], first_t[by]

    def col(name: str) -> pd.Series:
        return pd.Series(s[name].array.take(src))

    named = (s["assignee"] != "").to_numpy(bool)[src]  # the named assignee, else the owner role
    owner = col("owner")
    if named.any():
        assignee = col("assignee")
        owner = assignee.where(assignee != "", owner)
    return pd.DataFrame({
        "account_id": col("account_id"), "account_name": col("account_name"), "play": col("play"),
        "flagged_on": pd.to_datetime(flagged_on), "ready_until": pd.to_datetime(last_day),
        "owner": owner, "segment": col("segment"),
        "arr": col("arr").astype(float), "expected_arr_increase": col("expected_arr_increase").astype(float),
        "close_rate": col("close_rate").astype(float), "ready_signal": col("ready_signal"),
        "from_first_snapshot": first_t == 0,
    })


_PLAY_RANK = np.argsort(np.argsort(np.array(playbook.MOTIONS, dtype=object)))  # a motion's place by name


def _day_index(days: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``np.searchsorted(days, day)`` of days that are all in ``days`` (sorted, distinct),
    read from a table of the days spanned when they span few.

    >>> _day_index(np.array(["2026-01-05", "2026-01-12"], "datetime64[D]"),
    ...            np.array(["2026-01-12", "2026-01-05"], "datetime64[D]")).tolist()
    [1, 0]
    """
    if not len(days) or not len(day):
        return np.searchsorted(days, day)
    span = int((days[-1] - days[0]) // _DAY) + 1
    if span > 4 * len(day) + 1024:
        return np.searchsorted(days, day)
    table = np.zeros(span, dtype=np.int64)
    table[(days - days[0]) // _DAY] = np.arange(len(days))
    return table[(day - days[0]) // _DAY]


def _order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` of integer keys (ties in row order), by one sort of
    the keys with each row's position in their low bits: far quicker than an argsort.

    >>> _order(np.array([3, 1, 3, 0])).tolist()
    [3, 1, 0, 2]
    """
    n = len(key)
    bits = max(int(n - 1).bit_length(), 1)
    if not n or key.min() < 0 or int(key.max()) >= 1 << (62 - bits):  # no room: the argsort
        return np.argsort(key, kind="stable")
    packed = key.astype(np.int64) << bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    return packed & ((1 << bits) - 1)


def _motion_codes(labels: np.ndarray | pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(labels)
    table = np.array([playbook.MOTIONS.index(u) if u in playbook.MOTIONS else -1 for u in uniques] + [-1],
                     dtype=np.int64)
    return table[np.where(codes < 0, len(uniques), codes)]


def flag_windows(plays: Any = None) -> np.ndarray:
    """Each motion's flag window in days (its backtest window in 30-day periods).

    >>> flag_windows().tolist()
    [60, 120, 60, 120, 150]
    """
    if plays is None:
        return np.array(_default_windows(), dtype=np.int64)
    return np.array([rule_window(m, plays=plays, period_days=PERIOD_DAYS) * PERIOD_DAYS
                     for m in playbook.MOTIONS], dtype=np.int64)


@lru_cache(maxsize=1)
def _default_windows() -> tuple[int, ...]:
    """The default Plays' windows, validated once."""
    return tuple(rule_window(m, period_days=PERIOD_DAYS) * PERIOD_DAYS for m in playbook.MOTIONS)


# --------------------------------------------------------------------------- tables in


def _flag_table(flags: Any) -> pd.DataFrame:
    """Flags as given (play_flags' table, or an Excel table of it), typed."""
    name = "flags"
    frame = _pick(name, flags, FLAG_COLUMNS)
    for col in ("account_id", "play", "flagged_on"):
        if col not in frame:
            raise _args.InputError(f"{name}: expected a column {col!r} in the header row")
    out = {}
    for col in FLAG_COLUMNS:
        if col == "flagged_on" or col == "ready_until":
            out[col] = (_records.dates(name, frame, col, allow_blank=col != "flagged_on")
                        if col in frame else np.full(len(frame), np.datetime64("NaT"), "datetime64[ns]"))
        elif col in ("arr", "expected_arr_increase", "close_rate"):
            out[col] = _args.coerce_numeric(frame[col])[0] if col in frame else np.full(len(frame), np.nan)
        elif col == "from_first_snapshot":
            out[col] = _flags(name, frame[col]) if col in frame else np.zeros(len(frame), bool)
        else:
            out[col] = _texts(frame[col], strip=False) if col in frame else np.full(len(frame), "", dtype=object)
    out = pd.DataFrame(out)
    motion = _motion_codes(out["play"])
    if (motion < 0).any():
        i = int(np.argmax(motion < 0))
        raise _records.row_error(name, frame, i, "play", "one of " + ", ".join(playbook.MOTIONS),
                                 frame["play"].iloc[i])
    out["motion"] = motion
    return out


def _opportunity_table(opportunities: Any) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The expansion opportunities (id, account and owner as codes, motion, amount, dates,
    status), with the distinct accounts and owners the codes point to."""
    name = "opportunities"
    frame = _records.record_table(name, opportunities, record_columns.OPPORTUNITY_ALIASES,
                                  ("account_id", "amount", "close_date", "created_date"), "opportunity_id")
    motion, _ = _motions(name, frame) if len(frame) else (np.zeros(0, np.int8), None)
    account, accounts = _records.coded_texts(name, frame, "account_id")
    owner, owners = (_records.coded_texts(name, frame, "owner", allow_blank=True) if "owner" in frame
                     else (np.zeros(len(frame), np.int64), np.array([""], dtype=object)))
    out = pd.DataFrame({
        "opportunity_id": (_shown(frame["opportunity_id"]) if "opportunity_id" in frame  # as given: only shown
                           else _labels(("",), np.zeros(len(frame), np.int64))),
        "account": account,
        "motion": np.asarray(motion, dtype=np.int64),
        "amount": _records.money(name, frame, "amount"),
        "created": _records.dates(name, frame, "created_date", allow_blank=True).astype("datetime64[D]"),
        "close": _records.dates(name, frame, "close_date").astype("datetime64[D]"),
        "status": _status_codes(name, frame) if len(frame) else np.zeros(0, np.int8),
        "owner": owner,
    })
    expansion = (out["motion"] >= 0).to_numpy()
    return (out if expansion.all() else out[expansion].reset_index(drop=True)), accounts, owners


# --------------------------------------------------------------------------- matching


def _match(f: pd.DataFrame, o: pd.DataFrame, accounts: np.ndarray, windows: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """For each opportunity, the index of its flag (−1: none) and whether it is of the
    flag's own motion. ``accounts``: the opportunities' distinct accounts (their codes)."""
    codes, ids = pd.factorize(f["account_id"])  # each distinct id looked up once
    fk = np.append(pd.Index(accounts).get_indexer(np.asarray(ids, dtype=object)), -1)[codes]  # −1: no opportunity
    ok = o["account"].to_numpy()
    day = f["flagged_on"].to_numpy("datetime64[D]")
    end = day + windows[f["motion"].to_numpy()] * _DAY
    created = o["created"].to_numpy("datetime64[D]")
    has = ~np.isnat(created)
    flag_of = np.full(len(o), -1, dtype=np.int64)
    own = np.zeros(len(o), dtype=bool)
    if not len(f) or not has.any():
        return flag_of, own
    motion, o_motion = f["motion"].to_numpy(np.int64), o["motion"].to_numpy(np.int64)
    base = min(day.min(), created[has].min())
    f_day, o_day = (day - base) // _DAY, np.zeros(len(o), dtype=np.int64)
    o_day[has] = (created[has] - base) // _DAY
    span = int(max(f_day.max(), o_day.max())) + 1
    for same in (True, False):
        todo = np.flatnonzero(has & (flag_of < 0))
        if not len(todo):
            break
        # the latest flag of the same account (and motion) on or before each created day:
        # flags and created days sorted together by one key (a flag before a created day
        # of its day, ties by flag order), each created day reading the last flag before it
        # (accounts counted from 1: a flag of no opportunity's account, −1, keys from 0)
        group = (fk + 1) * len(playbook.MOTIONS) + motion if same else fk + 1
        o_group = ((ok[todo] + 1) * len(playbook.MOTIONS) + o_motion[todo]) if same else ok[todo] + 1
        both = _order(np.concatenate(((group * span + f_day) * 2, (o_group * span + o_day[todo]) * 2 + 1)))
        is_flag = both < len(f)
        last = np.maximum.accumulate(np.where(is_flag, np.arange(len(both)), -1))[~is_flag]
        at = both[~is_flag] - len(f)  # the created days in sorted order (positions in todo)
        fi = np.where(last >= 0, both[np.maximum(last, 0)], 0)  # (0: none, rejected below)
        found = (last >= 0) & (group[fi] == o_group[at]) & (fk[fi] >= 0)
        rows, fi = todo[at[found]], fi[found]
        inside = created[rows] <= end[fi]
        if not same:
            inside &= motion[fi] != o_motion[rows]
        flag_of[rows[inside]] = fi[inside]
        own[rows[inside]] = same
    return flag_of, own


class _Worked(NamedTuple):
    """The flags matched to the opportunities."""

    f: pd.DataFrame  # the flags, typed, with their motion codes
    o: pd.DataFrame  # the expansion opportunities (account and owner as codes)
    accounts: np.ndarray  # the labels of o's account codes
    owners: np.ndarray  # the labels of o's owner codes
    flag_of: np.ndarray  # each opportunity's flag (−1: none)
    first: np.ndarray  # each flag's first opportunity (−1: none)
    own: np.ndarray  # whether the flag's first opportunity is of its own motion
    count: np.ndarray  # the opportunities matched to each flag

    def pick(self, column: str, blank: Any, rows: np.ndarray | None = None) -> np.ndarray:
        """Each flag's first opportunity's ``column`` (``blank`` for a flag not worked);
        ``rows``: of those flags only."""
        first = self.first if rows is None else self.first[rows]
        values = self.o[column].to_numpy(np.asarray(blank).dtype)
        has = first >= 0
        got = values[np.where(has, first, 0)] if len(values) else np.full(len(has), blank, values.dtype)
        return np.where(has, got, blank)

    def close_days(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Days from each flag (of ``rows``) to the close of its first opportunity when won
        or lost (else NaN)."""
        close = self.pick("close", np.datetime64("NaT", "D"), rows)
        closed = ((self.first if rows is None else self.first[rows]) >= 0) & (self.pick("status", 0, rows) > 0)
        flagged = self.f["flagged_on"].to_numpy("datetime64[D]")
        return np.where(closed, (close - (flagged if rows is None else flagged[rows])) / _DAY, np.nan)

    def cycle(self, plays: Any) -> np.ndarray:
        """Each flag's play cycle for its account's segment."""
        return play_set(plays).cycle[self.f["motion"].to_numpy(), segment_codes(self.f["segment"])]


def _worked(flags: Any, opportunities: Any, plays: Any) -> _Worked:
    f = _flag_table(flags)
    o, accounts, owners = _opportunity_table(opportunities)
    flag_of, own = _match(f, o, accounts, flag_windows(plays))
    matched = np.flatnonzero(flag_of >= 0)
    count = np.bincount(flag_of[matched], minlength=len(f))
    first = np.full(len(f), -1, dtype=np.int64)
    if len(matched):  # each flag's first opportunity: its own motion first, then by created day, then row
        created = o["created"].to_numpy("datetime64[D]")[matched]
        day = (created - created.min()) // _DAY
        order = _order((flag_of[matched] * 2 + ~own[matched]) * (int(day.max()) + 1) + day)
        ranked = flag_of[matched][order]
        head = np.ones(len(ranked), dtype=bool)
        head[1:] = ranked[1:] != ranked[:-1]
        first[ranked[head]] = matched[order][head]
    own_first = np.zeros(len(f), dtype=bool)
    own_first[first >= 0] = own[first[first >= 0]]
    return _Worked(f, o, accounts, owners, flag_of, first, own_first, count)


def _outcomes(flags: Any, opportunities: Any, plays: Any) -> tuple[pd.DataFrame, _Worked]:
    """(flags with their outcome columns, the flags matched to the opportunities)."""
    w = _worked(flags, opportunities, plays)
    f, o, first = w.f, w.o, w.first
    has = first >= 0
    worked = _labels((playbook.NOT_WORKED, playbook.AS_FLAGGED, playbook.OTHER_MOTION),
                     np.where(has, np.where(w.own, 1, 2), 0))
    status = w.pick("status", 0)
    outcome = _labels((*_STATUS, playbook.NOT_WORKED), np.where(has, status, len(_STATUS)))
    nat = np.datetime64("NaT", "D")
    motion = w.pick("motion", 0)
    opportunity_id = pd.Series(o["opportunity_id"].array.take(np.where(has, first, -1), allow_fill=True))
    out = f.drop(columns="motion").assign(
        worked=worked, outcome=outcome, opportunity_id=opportunity_id.fillna(""),
        opportunity_motion=_labels(("", *playbook.MOTIONS), np.where(has, motion + 1, 0)),
        amount=w.pick("amount", np.nan),
        created_date=pd.to_datetime(w.pick("created", nat)),
        close_date=pd.to_datetime(w.pick("close", nat)), days_to_close=w.close_days(),
        opportunities=w.count.astype(float), cycle_days=w.cycle(plays),
    )
    return out, w


def _labels(labels: tuple[str, ...] | np.ndarray, codes: np.ndarray) -> pd.Series:
    """``labels[codes]`` as a text column, built from the few labels (no string per row)."""
    return pd.Series(pd.array(list(labels), dtype="str").take(codes))


def _shown(col: pd.Series) -> pd.Series:
    """A column only shown, as given (text kept as text; a blank stays blank)."""
    col = col.reset_index(drop=True)
    return col.fillna("") if isinstance(col.dtype, pd.StringDtype) else col.astype(object)


def flag_outcomes(flags: Any, opportunities: Any, plays: Any = None) -> pd.DataFrame:
    """Each flag (play_flags' table) with what came of it: :data:`OUTCOME_COLUMNS`.

    ``worked``: ``as flagged``, ``other motion`` or ``not worked``; ``outcome``: ``won``,
    ``lost``, ``open`` or ``not worked``; ``days_to_close``: from the flag to the close of a
    won or lost opportunity; ``cycle_days``: the play's cycle for the account's segment.
    ``opportunities`` need ``created_date`` (and account_id, motion or type, amount,
    close_date, status). ``plays``: the Plays table (windows and cycles).
    """
    return _outcomes(flags, opportunities, plays)[0]


def missed_expansions(flags: Any, opportunities: Any, first: Any = None, last: Any = None,
                      plays: Any = None) -> pd.DataFrame:
    """Won expansion opportunities created from ``first`` to ``last`` (the snapshots' span;
    default the flags' first and last flag days) that no flag was matched to."""
    w = _worked(flags, opportunities, plays)
    o, flag_of, f = w.o, w.flag_of, w.f["flagged_on"].to_numpy("datetime64[D]")
    lo = _records.as_of_date("first", first) if not omitted(first) else (f.min() if len(f) else None)
    hi = _records.as_of_date("last", last) if not omitted(last) else (f.max() if len(f) else None)
    created = o["created"].to_numpy("datetime64[D]")
    keep = (flag_of < 0) & (o["status"].to_numpy() == 1) & ~np.isnat(created)
    if lo is not None:
        keep &= (created >= np.datetime64(lo, "D")) & (created <= np.datetime64(hi, "D"))
    else:
        keep &= False
    m = o[keep]
    return pd.DataFrame({
        "opportunity_id": m["opportunity_id"].to_numpy(object), "account_id": w.accounts[m["account"].to_numpy()],
        "motion": np.array(playbook.MOTIONS, dtype=object)[m["motion"].to_numpy(np.int64)],
        "amount": m["amount"].to_numpy(float), "created_date": pd.to_datetime(m["created"].to_numpy()),
        "close_date": pd.to_datetime(m["close"].to_numpy()), "owner": w.owners[m["owner"].to_numpy()],
    }).sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- Excel

_FLAGS_DOC = "The flags: a table with account_id, play, flagged_on (+ owner, segment, arr, ...), e.g. Flags[#All]."
_OPPS_DOC = "Your opportunities with created_date, e.g. Opportunities[#All]."


@xw.func
@xw.arg("flags", ndim=2, doc=_FLAGS_DOC, err_to_str=True)
@xw.arg("opportunities", ndim=2, doc=_OPPS_DOC, err_to_str=True)
@xw.arg("plays", ndim=2, doc="The Plays table (windows and cycles); default the playbook's.", err_to_str=True)
def FLAG_OUTCOMES(flags, opportunities, plays=None):
    """Each flagged play with the opportunity worked after it: as flagged or other motion, won, lost or open.

    Example: =FLAG_OUTCOMES(Flags[#All], Opportunities[#All], Plays[#All])
    """
    return excel_cells(flag_outcomes(flags, opportunities, plays))


@xw.func
@xw.arg("flags", ndim=2, doc=_FLAGS_DOC, err_to_str=True)
@xw.arg("opportunities", ndim=2, doc=_OPPS_DOC, err_to_str=True)
@xw.arg("first", doc="First day of the snapshots (default the first flag day).", err_to_str=True)
@xw.arg("last", doc="Last day of the snapshots (default the last flag day).", err_to_str=True)
@xw.arg("plays", ndim=2, doc="The Plays table (windows); default the playbook's.", err_to_str=True)
def MISSED_EXPANSIONS(flags, opportunities, first=None, last=None, plays=None):
    """Won expansions created while the snapshots ran that no flagged play led to.

    Example: =MISSED_EXPANSIONS(Flags[#All], Opportunities[#All], "2026-09-15", "2026-12-01")
    """
    return excel_cells(missed_expansions(flags, opportunities, first, last, plays))
