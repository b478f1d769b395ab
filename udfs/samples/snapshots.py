"""Twelve weekly queue snapshots of the sample book, in agreement with its records.

:func:`sample_snapshots` scores the sample book as it stood each week from
``SNAPSHOTS_FROM`` (2026-09-15) to ``SAMPLE_AS_OF`` (2026-12-01) with the default Rules
and Plays, so every row is a real queue row. The last week is the book itself. Earlier
weeks are the book with:

- each account's ARR of that month (the ARR history), its tenure then, and only the
  accounts that were customers then;
- the play of each account ready on 2026-12-01 held back (its signals below their rules)
  until shortly before its open opportunity was created;
- each deal opened during the snapshots and closed before 2026-12-01 preceded by its
  play: the account ready for that motion from a week before the deal was opened until
  it closed, except a few won deals the queue missed;
- a few accounts ready for a few weeks and worked by nobody, a few gated for two weeks
  (health below the gate), and pricing-page visits that come and go;
- each week scored with the opportunities as they stood that day (opened by then; a deal
  closed later was still open), so a play whose deal is open says ``In pipeline``, and
  with the week before as its previous snapshot (``ready_since`` runs on from week to week)
  and the sample team (``sample_owners``: a continued play keeps its person).

The bundled copy is ``workbook/sample_snapshots.csv``. Pure numpy/pandas: no I/O.

>>> s = sample_snapshots()
>>> sorted(s["as_of"].dt.strftime("%m-%d").unique())[::5], s.groupby("as_of").size().iloc[-1]
(['09-15', '10-20', '11-24'], np.int64(300))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import playbook
from ..outcomes.snapshots import rules_version, snapshot_frame
from ..scoring.queue import score_accounts
from .accounts import sample_accounts
from .records import SAMPLE_AS_OF, SNAPSHOTS_FROM, sample_arr_history, sample_opportunities
from .team import sample_owners

__all__ = ["sample_snapshots", "SNAPSHOT_WEEKS"]

SNAPSHOT_WEEKS = 12
MISSED_SHARE = 0.15  # won deals of the snapshots that no flag preceded
_BASE, _COOL, _HEAT = 0, 1, 2
_M = {m: i for i, m in enumerate(playbook.MOTIONS)}


def _weeks() -> np.ndarray:
    start = np.datetime64(SNAPSHOTS_FROM, "D")
    weeks = start + np.arange(SNAPSHOT_WEEKS) * 7
    assert weeks[-1] == np.datetime64(SAMPLE_AS_OF, "D")
    return weeks


def _heat(frame: pd.DataFrame, rows: np.ndarray, motion: int, rng) -> None:
    """Make ``motion`` the ready play of ``rows`` (its own signals up, the others' alone
    signals down, no risk rule, no gate)."""
    if not len(rows):
        return
    n = len(rows)
    at = frame.index[rows]
    frame.loc[at, "champion_left_90d"] = False
    frame.loc[at, "health_score"] = np.maximum(frame.loc[at, "health_score"].to_numpy(float), 62.0)
    if motion != _M["Usage expansion"]:
        frame.loc[at, "usage_trend_90d"] = np.clip(frame.loc[at, "usage_trend_90d"].to_numpy(float), -0.1, 0.1)
    for m, cols in _ALONE.items():
        if m != motion:
            for col, cap in cols:
                frame.loc[at, col] = np.minimum(frame.loc[at, col].to_numpy(float), cap)
    if motion == _M["Seat expansion"]:
        frame.loc[at, "seat_utilization"] = rng.uniform(0.91, 0.98, n)
    elif motion == _M["Tier upgrade"]:
        frame.loc[at, "usage_vs_cap"] = rng.uniform(0.91, 0.99, n)
    else:
        frame.loc[at, ["pricing_page_visits_30d", "cross_sell_intent_7d"]] = 0
        frame.loc[at, "next_tier_feature_adoption"] = np.minimum(
            frame.loc[at, "next_tier_feature_adoption"].to_numpy(float), 0.6)
        frame.loc[at, "active_user_growth_60d"] = np.minimum(frame.loc[at, "active_user_growth_60d"].to_numpy(float), 0.1)
        if motion == _M["Usage expansion"]:
            frame.loc[at, "usage_trend_90d"] = rng.uniform(0.2, 0.4, n)
            frame.loc[at, "headcount_growth_90d"] = rng.uniform(0.11, 0.2, n)
            frame.loc[at, "new_department_users_30d"] = 0
        elif motion == _M["Cross-department"]:
            frame.loc[at, "new_department_users_30d"] = rng.integers(4, 10, n)
            frame.loc[at, "headcount_growth_90d"] = rng.uniform(0.11, 0.2, n)
            frame.loc[at, "funding_event_days_ago"] = rng.integers(20, 80, n)
            frame.loc[at, "champion_promoted_90d"] = False
        else:  # Cross-sell
            frame.loc[at, "cross_sell_intent_7d"] = rng.integers(2, 5, n)
            frame.loc[at, "champion_promoted_90d"] = True
            frame.loc[at, "new_department_users_30d"] = 0


# the signals that make a motion ready alone or most of the way, and the level they fall to
_ALONE = {
    _M["Seat expansion"]: (("seat_utilization", 0.78),),
    _M["Tier upgrade"]: (("usage_vs_cap", 0.78), ("gated_feature_requests_90d", 1)),
}
_COOLED = {
    _M["Seat expansion"]: (("seat_utilization", 0.75), ("active_user_growth_60d", 0.05),
                           ("headcount_growth_90d", 0.03)),
    _M["Tier upgrade"]: (("usage_vs_cap", 0.7), ("pricing_page_visits_30d", 0),
                         ("gated_feature_requests_90d", 0), ("next_tier_feature_adoption", 0.5)),
    _M["Usage expansion"]: (("usage_trend_90d", 0.05),),
    _M["Cross-department"]: (("new_department_users_30d", 0),),
    _M["Cross-sell"]: (("cross_sell_intent_7d", 0),),
}


def _cool(frame: pd.DataFrame, rows: np.ndarray, motion: int) -> None:
    """Hold ``motion`` back on ``rows``: its signals below their rules."""
    if not len(rows):
        return
    at = frame.index[rows]
    for col, cap in _COOLED[motion]:
        frame.loc[at, col] = np.minimum(frame.loc[at, col].to_numpy(float), cap)
    if motion == _M["Seat expansion"]:
        frame.loc[at, "funding_event_days_ago"] = np.nan
    if motion == _M["Cross-sell"]:
        frame.loc[at, "champion_promoted_90d"] = False


def _plan(book: pd.DataFrame, opps: pd.DataFrame, weeks: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """(state, motion) per account × week: the book as it is, a play held back, or a play planted."""
    n, w = len(book), len(weeks)
    state = np.zeros((n, w), dtype=np.int64)
    motion = np.full((n, w), -1, dtype=np.int64)
    row = {a: i for i, a in enumerate(book["account_id"])}
    created = pd.to_datetime(opps["created_date"]).to_numpy("datetime64[D]")
    close = pd.to_datetime(opps["close_date"]).to_numpy("datetime64[D]")
    kind = opps["type"].map(_motion_of).to_numpy(np.int64)
    in_book = opps["account_id"].isin(row).to_numpy(bool)
    final = score_accounts(book, as_of=SAMPLE_AS_OF)
    ready = final[final["ready"].to_numpy(bool)]
    ready_play = dict(zip(ready["account_id"], ready["play"], strict=True))
    # the plays ready on the as-of date: held back until shortly before their deal was opened
    open_ = (opps["status"] == "open").to_numpy(bool) & (kind >= 0) & in_book
    for k in np.flatnonzero(open_):
        a = opps["account_id"].iat[k]
        if a not in ready_play:
            continue
        onset = int(np.searchsorted(weeks, created[k], side="right")) - 1 - int(rng.integers(0, 2))
        if onset > 0:
            state[row[a], :onset] = _COOL
            motion[row[a], :onset] = _M[ready_play[a]]
    # the deals opened during the snapshots and closed before the as-of date: their play first
    closed = (opps["status"] != "open").to_numpy(bool) & (created > weeks[0]) & (close < weeks[-1]) & in_book
    for k in np.flatnonzero(closed & (kind >= 0)):
        if opps["status"].iat[k] == "won" and rng.random() < MISSED_SHARE:
            continue
        i = row[opps["account_id"].iat[k]]
        first = max(0, int(np.searchsorted(weeks, created[k], side="left")) - 1 - int(rng.integers(0, 2)))
        end = int(np.searchsorted(weeks, close[k], side="left"))
        state[i, first:end] = _HEAT
        motion[i, first:end] = kind[k]
    # a few plays ready for a while that nobody worked (the accounts had no deal in the span)
    busy = set(opps.loc[created >= weeks[0] - 30, "account_id"])
    free = np.array([i for i, a in enumerate(book["account_id"]) if a not in busy and a not in ready_play])
    for i in rng.choice(free, size=min(len(free), 14), replace=False):
        start = int(rng.integers(1, w - 4))
        state[i, start:start + int(rng.integers(2, 5))] = _HEAT
        motion[i, start:start + 4] = int(rng.choice(len(playbook.MOTIONS), p=[0.35, 0.3, 0.15, 0.1, 0.1]))
    return state, motion


def _motion_of(kind: str) -> int:
    from ..core.record_columns import opportunity_motion

    return opportunity_motion(kind)


def _week_book(book: pd.DataFrame, day: np.datetime64, arr: pd.DataFrame, rng) -> pd.DataFrame:
    """The book as it stood on ``day``: that month's ARR, tenure, funding, customers then."""
    back = int((np.datetime64(SAMPLE_AS_OF, "D") - day) / np.timedelta64(1, "D"))
    frame = book.copy()
    if back:
        month = str(day.astype("datetime64[M]")) + "-01"
        then = arr[arr["month"] == month].set_index("account_id")["arr"]
        frame["arr"] = frame["account_id"].map(then).to_numpy(float)
        frame["tenure_months"] = np.maximum(0, frame["tenure_months"] - round(back / 30.44))
        frame["funding_event_days_ago"] = frame["funding_event_days_ago"] + back
        since = pd.to_datetime(frame["customer_since"]).to_numpy("datetime64[D]")
        frame = frame[(since <= day) & (frame["arr"] > 0)]
    return frame.reset_index(drop=True)


def sample_snapshots(seed: int = 5) -> pd.DataFrame:
    """The sample's 12 weekly snapshots (``udfs.SNAPSHOT_COLUMNS``), by as_of then queue order."""
    rng = np.random.default_rng(seed)
    book = sample_accounts()
    opps = sample_opportunities()
    arr = sample_arr_history()
    weeks = _weeks()
    state, motion = _plan(book, opps, weeks, rng)
    row = {a: i for i, a in enumerate(book["account_id"])}
    final = score_accounts(book, as_of=SAMPLE_AS_OF)["ready"].to_numpy(bool)  # in book order
    gated = rng.choice(np.flatnonzero((state == _BASE).all(axis=1) & final), size=3, replace=False)
    version = rules_version()
    team = sample_owners()
    frames: list[pd.DataFrame] = []
    for t, day in enumerate(weeks):
        week = _week_book(book, day, arr, rng)
        idx = week["account_id"].map(row).to_numpy(np.int64)
        if t < len(weeks) - 1:
            flicker = (state[idx, t] == _BASE) & (rng.random(len(week)) < 0.06)
            visits = week["pricing_page_visits_30d"].to_numpy(float)
            week.loc[flicker, "pricing_page_visits_30d"] = np.where(visits[flicker] > 0, 0, 1)
            for m in range(len(playbook.MOTIONS)):
                _cool(week, np.flatnonzero((state[idx, t] == _COOL) & (motion[idx, t] == m)), m)
                _heat(week, np.flatnonzero((state[idx, t] == _HEAT) & (motion[idx, t] == m)), m, rng)
            if 3 <= t <= 4:
                week.loc[np.isin(idx, gated), "health_score"] = 35.0
        # the CRM as it stood that day; the week before carries the ready runs on (ready_since)
        queue = score_accounts(week, as_of=str(day), opportunities=opps, previous=frames[-1] if frames else None,
                               owners=team)
        frames.append(snapshot_frame(queue, as_of=str(day), accounts=week, rules_version=version))
    return pd.concat(frames, ignore_index=True)
