"""Plays already in flight: each ready play against the account's opportunities of its motion.

Given the CRM's opportunities (read by :mod:`udfs.revenue.opportunities`, the one reading
of motion words, stages and open/won/lost), a ready play is not a new play when the
account already has, for the play's motion:

- an open opportunity whose close date is before ``as_of``: ``Past due``;
- an open one: ``In pipeline`` (the earliest closing one is shown);
- a won one closed within the play's cycle before ``as_of``: ``Recently expanded``;
- a lost one closed within the play's ``cooldown_days`` before ``as_of``: ``Cooling down``.

The first that applies wins (that order). A loss within ``RECENT_LOSS_DAYS`` that no
longer holds the play back is still named in the reasons. On ``as_of`` an opportunity
created after it is not known yet, and one closed after it was still open.

>>> opps = [["opportunity_id", "account_id", "type", "amount", "stage", "close_date", "status"],
...         ["O1", "a1", "Add seats", 9000, "Proposal", "2026-12-20", "open"],
...         ["O2", "a2", "Add seats", 4000, "Closed Lost", "2026-11-01", "lost"]]
>>> f = plays_in_flight(read_opportunities(opps), np.array(["a1", "a2", "a3"], dtype=object),
...               np.array([0, 0, 0]), np.full(3, 21.0), np.full(5, 90.0), np.datetime64("2026-12-01"))
>>> STATUS_LABELS[f.status].tolist(), f.days.tolist()
(['In pipeline', 'Cooling down', ''], [19.0, 60.0, nan])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import _args, _records, playbook
from ..core._args import num_text
from ..core.playbook import MOTIONS
from ..revenue.opportunities import Opportunities, is_past_due, read_opportunities

__all__: list[str] = []

_PAST_DUE, _IN_PIPELINE, _RECENT, _COOLING = range(4)
STATUS_LABELS = np.array([*playbook.PIPELINE_STATUSES, ""], dtype=object)  # index -1: no status
assert tuple(STATUS_LABELS[[_PAST_DUE, _IN_PIPELINE, _RECENT, _COOLING]]) == (
    playbook.PAST_DUE, playbook.IN_PIPELINE, playbook.RECENTLY_EXPANDED, playbook.COOLING_DOWN)
_N = len(MOTIONS)
_NAT = np.datetime64("NaT", "D")


@dataclass
class InFlight:
    """Per book row: the status (code into STATUS_LABELS, -1 none), the opportunity behind
    it (index into the opportunities, -1 none), its due days, and the reasons' sentence."""

    status: np.ndarray  # int8
    opportunity: np.ndarray  # int64
    days: np.ndarray  # float: to the close date (open), to the end of the cycle or cool-down
    ids: np.ndarray  # opportunity ids (text)
    stages: np.ndarray
    close: np.ndarray  # datetime64[D]
    text: np.ndarray  # object: the reasons' sentence ('' none)

    def column(self, values: np.ndarray, blank, take=slice(None)) -> np.ndarray:
        """``values`` of each row's opportunity (``blank`` where it has none), in the order
        ``take`` gives: one gather (pandas' take, as ``_args.labels``)."""
        return pd.api.extensions.take(values, self.opportunity[take], allow_fill=True, fill_value=blank)


def opportunities_arg(opportunities) -> Opportunities:
    """The ``opportunities`` argument read (its account_id column is required here)."""
    o = read_opportunities(opportunities)
    if o.frame is not None and "account_id" not in o.frame:
        raise _args.InputError("opportunities: expected a column 'account_id' in the header row "
                               "(the queue matches each opportunity to its account)")
    return o


def _latest(key: np.ndarray, day: np.ndarray, pick: np.ndarray, wanted: np.ndarray, *,
            first: bool = False) -> np.ndarray:
    """Per wanted key (account × motion), the index of the picked opportunity with the latest
    (``first``: earliest) day; -1 where none. Ties: the later row of the table."""
    rows = np.flatnonzero(pick)
    out = np.full(wanted.size, -1, dtype=np.int64)
    if rows.size == 0:
        return out
    d = day[rows].astype(np.int64)
    d = d.max() - d if first else d - d.min()  # 0 ... span - 1
    k = key[rows]
    order = np.argsort(k * (int(d.max()) + 1) + d, kind="stable")  # by key, then day, then row: last wins
    rows, keys = rows[order], k[order]
    last = np.r_[keys[1:] != keys[:-1], True]
    rows, keys = rows[last], keys[last]
    at = np.searchsorted(keys, wanted)
    hit = at < keys.size
    hit[hit] = keys[at[hit]] == wanted[hit]
    out[hit] = rows[at[hit]]
    return out


def plays_in_flight(o: Opportunities, ids: np.ndarray, play: np.ndarray, cycle: np.ndarray,
              cooldown: np.ndarray, day: np.datetime64) -> InFlight:
    """Each row's play (``play``: motion index, -1 none) against the opportunities of its
    account (``ids``) and motion on ``day``; ``cycle`` per row, ``cooldown`` per motion (days)."""
    n = len(ids)
    day = np.datetime64(day, "D")
    close = o.close_date.astype("datetime64[D]")
    later = (o.status != 0) & (close > day)  # closed after as_of: open on that day, stage unknown
    status = np.full(n, -1, dtype=np.int8)
    chosen = np.full(n, -1, dtype=np.int64)
    days = np.full(n, np.nan)
    text = _args.empty_texts(n)
    rows = np.flatnonzero(play >= 0)
    if rows.size == 0 or len(o.amount) == 0:
        opp_ids = stages = np.full(len(o.amount), "", dtype=object)
        return InFlight(status, chosen, days, opp_ids, stages, close, text)
    # accounts as codes shared by the book and the opportunities: one hash pass each
    at, accounts = pd.factorize(ids[rows])
    acc = _records.text_positions("opportunities", o.frame, "account_id", accounts, allow_blank=True)
    key = acc.astype(np.int64) * _N + o.motion
    known = (acc >= 0) & (o.motion >= 0)
    if o.frame is not None and "created_date" in o.frame:
        created = _records.dates("opportunities", o.frame, "created_date", allow_blank=True)
        known &= ~(created.astype("datetime64[D]") > day)  # blank: known
    closed_by = known & (close <= day)
    wanted = at.astype(np.int64) * _N + play[rows]

    open_ = _latest(key, close, known & ((o.status == 0) | later), wanted, first=True)
    won = _latest(key, close, closed_by & (o.status == 1), wanted)
    lost = _latest(key, close, closed_by & (o.status == 2), wanted)
    shown = np.zeros(len(o.amount) + 1, dtype=bool)  # the opportunities some row shows (-1: the last slot)
    shown[np.concatenate([open_, won, lost])] = True
    shown = np.flatnonzero(shown[:-1])
    opp_ids, stages = _texts_at(o, "opportunity_id", shown), _texts_at(o, "stage", shown)
    stages[later] = ""
    since_won = _days(day, close, won)
    since_lost = _days(day, close, lost)
    cool = cooldown[play[rows]]
    cyc = cycle[rows]
    with np.errstate(invalid="ignore"):
        recent = (won >= 0) & (since_won <= cyc)
        cooling = (lost >= 0) & (since_lost <= cool)
    late = np.zeros(rows.size, dtype=bool)
    late[open_ >= 0] = is_past_due(o, day)[open_[open_ >= 0]]
    code = np.full(rows.size, -1, dtype=np.int8)
    pick = np.full(rows.size, -1, dtype=np.int64)
    for value, when, opp in ((_COOLING, cooling, lost), (_RECENT, recent, won),
                             (_IN_PIPELINE, open_ >= 0, open_), (_PAST_DUE, late, open_)):
        code[when], pick[when] = value, opp[when]  # later assignments win: the order above
    status[rows], chosen[rows] = code, pick
    due = np.full(rows.size, np.nan)
    in_crm = (code == _IN_PIPELINE) | (code == _PAST_DUE)
    due[in_crm] = -_days(day, close, pick[in_crm])  # to the close date: negative when past due
    due[code == _RECENT] = (cyc - since_won)[code == _RECENT]
    due[code == _COOLING] = (cool - since_lost)[code == _COOLING]
    days[rows] = due
    text[rows] = _sentences(o, code, pick, lost, since_lost, cool, play[rows], day, opp_ids, stages, close)
    return InFlight(status, chosen, days, opp_ids, stages, close, text)


def _texts_at(o: Opportunities, column: str, rows: np.ndarray) -> np.ndarray:
    """A text column of the opportunities, read only at ``rows`` (−1 ignored; '' elsewhere)."""
    out = np.full(len(o.amount), "", dtype=object)
    rows = rows[rows >= 0]
    if rows.size and o.frame is not None and column in o.frame:
        out[rows] = _records.texts("opportunities", o.frame[[column]].iloc[rows], column, allow_blank=True)
    return out


def _days(day: np.datetime64, close: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Days from the close date of each ``index`` (−1: none, NaN) to ``day``."""
    out = np.full(index.size, np.nan)
    has = index >= 0
    out[has] = (day - close[index[has]]).astype(np.int64)
    return out


def _text(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64).astype(str).astype(object)


def _money(amount: np.ndarray) -> np.ndarray:
    """'$13,200' per amount: each distinct amount formatted once."""
    codes, uniques = pd.factorize(np.round(amount))
    return np.array(["$" + num_text(round(a)) for a in uniques.tolist()], dtype=object)[codes]


def _sentences(o, code, pick, lost, since_lost, cool, play, day, opp_ids, stages, close) -> np.ndarray:
    """The reasons' sentence of each row (built as object-array columns, no row loop)."""
    out = _args.empty_texts(code.size)
    motion = np.array(MOTIONS, dtype=object)

    def on(i: np.ndarray) -> np.ndarray:  # the close dates of opportunities i as text
        return np.datetime_as_string(close[i], unit="D").astype(object)

    def deal(i: np.ndarray, stage: bool = False) -> np.ndarray:  # 'OPP-1 (Tier upgrade, $13,200, Proposal)'
        tail = np.where(stages[i] != "", ", " + stages[i], "").astype(object) if stage else ""
        return opp_ids[i] + " (" + motion[o.motion[i]] + ", " + _money(o.amount[i]) + tail + ")"

    for value in (_PAST_DUE, _IN_PIPELINE, _RECENT, _COOLING):
        at = np.flatnonzero(code == value)
        if at.size == 0:
            continue
        i = pick[at]
        ago = _text(np.abs((day - close[i]).astype(np.int64)))
        head = STATUS_LABELS[value] + ": "
        if value == _PAST_DUE:
            s = head + deal(i, True) + " was to close on " + on(i) + ", " + ago + " days ago: update it in the CRM"
        elif value == _IN_PIPELINE:
            s = head + deal(i, True) + " closes on " + on(i) + ": work the open deal, not a new play"
        elif value == _RECENT:
            s = head + "won " + deal(i) + " on " + on(i) + ", " + ago + " days ago, within the play's cycle"
        else:
            s = (head + "lost " + deal(i) + " on " + on(i) + ", " + ago + " days ago; the play waits "
                 + _text(cool[at]) + " days after a loss")
        out[at] = s
    # a loss of the play's motion within a year that no longer holds the play back
    at = np.flatnonzero((code != _COOLING) & (lost >= 0) & (since_lost <= playbook.RECENT_LOSS_DAYS))
    if at.size:
        i = lost[at]
        note = ("lost a " + motion[play[at]] + " opportunity " + _text(since_lost[at]) + " days ago: "
                + opp_ids[i] + " (" + _money(o.amount[i]) + ", closed " + on(i) + ")")
        out[at] = np.where(out[at] != "", out[at] + "; " + note, note)
    return out
