"""Sample records that agree with the sample book: an ARR history and a CRM opportunities export.

Both are generated from :func:`udfs.sample_accounts` (same accounts, same ARR, tenure and
segments) and from the same random draws, so the expansions of the history are the won
opportunities of the export. The bundled copies are ``workbook/sample_arr_history.csv``
and ``workbook/sample_opportunities.csv``. Pure numpy/pandas: no I/O.

- ARR history: 36 months to ``SAMPLE_LAST_MONTH``; each book account starts
  ``tenure_months`` before the end (older accounts are in the opening book) and ends at
  its book ARR; past customers that churned are accounts not in the book (ids after the
  book's); a few accounts pause and come back (reactivation). Only months with ARR are
  exported, as billing systems do.
- Opportunities: the history's expansions as won opportunities (closed the month before
  they are billed: the last 4 closed quarters, and this quarter's bookings to date), lost
  ones around each motion's close rate, the book's ready plays as open pipeline for the
  next two quarters (some with close dates already past), new-business and renewal
  opportunities (left out of expansion coverage), the deals lost this quarter to date,
  some ready plays not opened yet or lately lost, and the day each opportunity was opened (``created_date``: its play's cycle before the
  close date; the deals of this quarter were opened during the sample's snapshots).

>>> h = sample_arr_history(); last = h[h["month"] == h["month"].max()]
>>> book = sample_accounts()
>>> bool(set(last["account_id"]) == set(book["account_id"]))
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import playbook
from .accounts import sample_accounts

__all__ = ["sample_arr_history", "sample_opportunities", "SAMPLE_AS_OF"]

SAMPLE_AS_OF = "2026-12-01"  # the sample's "today": history to 2026-11, pipeline from 2026-Q4
HISTORY_MONTHS = 36
_LAST = 2026 * 12 + 10  # 2026-11 as year × 12 + month − 1
_TYPES = {  # how the sample CRM spells each motion (exercises the type mapping)
    "Seat expansion": ("Seat expansion", "Add seats"),
    "Tier upgrade": ("Upsell", "Tier upgrade"),
    "Usage expansion": ("Usage expansion", "Overage"),
    "Cross-department": ("New department", "Cross-department"),
    "Cross-sell": ("Cross-sell", "Add-on product"),
}
_STAGES_OPEN = ("Discovery", "Proposal", "Negotiation")


def _month_text(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.int64)
    return np.array([f"{y:04d}-{k + 1:02d}-01" for y, k in zip(m // 12, m % 12, strict=True)], dtype=object)


def _day_text(m: np.ndarray, day: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.int64)
    return np.array([f"{y:04d}-{k + 1:02d}-{d:02d}" for y, k, d in zip(m // 12, m % 12, day, strict=True)],
                    dtype=object)


def _paths(seed: int = 11):
    """The shared draws: the ARR matrix (book accounts first, then past customers) and the
    expansion steps (account row, month, amount, motion)."""
    book = sample_accounts()
    rng = np.random.default_rng(seed)
    n, t = len(book), HISTORY_MONTHS
    first = _LAST - t + 1
    tenure = book["tenure_months"].to_numpy(int)
    start = np.maximum(0, t - tenure)  # month position of the first bill (0 = opening book)
    arr_now = book["arr"].to_numpy(float)

    # month-on-month factors: expansions (+10–40 %) and a few contractions (−10–25 %)
    up = rng.random((n, t)) < 0.06
    down = ~up & (rng.random((n, t)) < 0.006)
    factor = np.where(up, 1 + rng.uniform(0.10, 0.40, (n, t)), 1.0)
    factor = np.where(down, 1 - rng.uniform(0.10, 0.25, (n, t)), factor)
    pos = np.arange(t)
    factor[pos[None, :] <= start[:, None]] = 1.0  # no change before or in the first month
    growth = np.cumprod(factor, axis=1)
    arr = np.round(arr_now[:, None] * growth / growth[:, -1:], -2)
    arr[pos[None, :] < start[:, None]] = 0.0
    # a few long-standing accounts paused for two months and came back
    paused = rng.choice(np.flatnonzero(start == 0), size=4, replace=False)
    for k, i in enumerate(paused):
        arr[i, 10 + 3 * k: 12 + 3 * k] = 0.0

    # past customers: billed from the opening book or later, churned before the end
    m = max(15, n // 10)
    seg = rng.choice(3, size=m, p=[0.55, 0.33, 0.12])
    median = np.array([9_000.0, 55_000.0, 260_000.0])[seg]
    base = np.round(median * np.exp(rng.normal(-0.2, 0.5, m)), -2)
    c_start = np.where(rng.random(m) < 0.6, 0, rng.integers(1, t - 6, m))
    c_end = np.minimum(t - 1, c_start + rng.integers(4, t, m))  # first month at 0
    churned = np.where((pos[None, :] >= c_start[:, None]) & (pos[None, :] < c_end[:, None]), base[:, None], 0.0)
    contract = rng.random(m) < 0.3
    churned[contract, :] = np.round(churned[contract, :] * np.where(pos[None, :] >= (c_end[contract, None] - 3),
                                                                     0.7, 1.0), -2)
    ids = np.concatenate([book["account_id"].to_numpy(object),
                          np.array([f"ACC-{n + 1 + j:04d}" for j in range(m)], dtype=object)])
    matrix = np.vstack([arr, churned])

    # expansion steps of the book accounts, for the won opportunities
    step = np.diff(arr, axis=1)
    rows, cols = np.nonzero((step > 0) & (arr[:, :-1] > 0))
    amount = step[rows, cols]
    motion_pick = rng.choice(len(playbook.MOTIONS), size=rows.size, p=[0.38, 0.27, 0.18, 0.09, 0.08])
    return book, ids, first, matrix, (rows, cols + 1, amount, motion_pick), rng


def sample_arr_history(seed: int = 11) -> pd.DataFrame:
    """The sample ARR history: account_id, month (first day, ISO text), arr — months with ARR only."""
    _, ids, first, matrix, _, _ = _paths(seed)
    i, j = np.nonzero(matrix > 0)
    return pd.DataFrame({
        "account_id": ids[i],
        "month": _month_text(first + j),
        "arr": matrix[i, j],
    })


def sample_opportunities(seed: int = 11) -> pd.DataFrame:
    """The sample CRM export: opportunity_id, account_id, type, amount, stage, probability,
    created_date, close_date, owner, status (see the module's description)."""
    from ..scoring.cells import (  # scoring imports this package's playbook
        expansion_owner,
        score_accounts,
    )

    book, ids, first, matrix, (rows, month_pos, amount, motion_pick), rng = _paths(seed)
    arr_of = dict(zip(book["account_id"], book["arr"], strict=True))
    q_now = (_LAST + 1) // 3  # 2026-Q4
    parts = []

    # won: the expansions billed in the last 4 closed quarters (closed the month before billing)
    close_m = first + month_pos - 1
    window = (close_m // 3 >= q_now - 4) & (close_m // 3 < q_now)
    w_rows, w_m, w_amt, w_mo = rows[window], close_m[window], amount[window], motion_pick[window]
    motions = np.array(playbook.MOTIONS, dtype=object)[w_mo]
    parts.append(pd.DataFrame({
        "account_id": ids[w_rows], "motion": motions, "amount": w_amt, "close_m": w_m,
        "status": "won", "stage": "Closed Won",
    }))

    # lost: around each motion's close rate (Plays defaults), same sizes and months
    rate = playbook.default_plays()["close_rate"].to_numpy(float)
    for k, motion in enumerate(playbook.MOTIONS):
        won_k = int((w_mo == k).sum())
        lost_k = int(round(won_k * (1 - rate[k]) / rate[k] * rng.uniform(0.8, 1.25)))
        if lost_k == 0:
            continue
        pick = rng.integers(0, len(book), lost_k)
        sizes = w_amt[w_mo == k] if won_k else np.round(book["arr"].to_numpy(float) * 0.2, -2)
        size = rng.choice(sizes, lost_k)  # lost deals the size of the won ones
        parts.append(pd.DataFrame({
            "account_id": book["account_id"].to_numpy(object)[pick], "motion": motion,
            "amount": np.maximum(size, 500.0), "close_m": rng.integers((q_now - 4) * 3, q_now * 3, lost_k),
            "status": "lost", "stage": "Closed Lost",
        }))

    # open: the book's ready plays, closing over this quarter and the next
    queue = score_accounts(book)
    ready = queue[queue["ready"].map(lambda v: v is True)]
    n_open = len(ready)
    open_m = q_now * 3 + rng.integers(0, 6, n_open)
    parts.append(pd.DataFrame({
        "account_id": ready["account_id"].to_numpy(object), "motion": ready["play"].to_numpy(object),
        "amount": np.round(ready["expected_arr_increase"].to_numpy(float), -2), "close_m": open_m,
        "status": "open", "stage": np.array(_STAGES_OPEN, dtype=object)[rng.integers(0, 3, n_open)],
    }))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["amount"] > 0].reset_index(drop=True)
    spell = rng.integers(0, 2, len(frame))
    frame["type"] = [_TYPES[mo][s] for mo, s in zip(frame["motion"], spell, strict=True)]
    frame["owner"] = np.asarray(expansion_owner(frame["motion"].to_numpy(object), frame["amount"].to_numpy(float),
                                                frame["account_id"].map(arr_of).fillna(0).to_numpy(float)),
                                dtype=object)
    prob = np.where((frame["status"] == "open") & (rng.random(len(frame)) < 0.3),
                    rng.choice([20.0, 40.0, 60.0, 80.0], len(frame)), np.nan)
    frame["probability"] = prob

    # other types: new business (prospects) and renewals of book accounts, left out of coverage
    k = 12
    renew = rng.choice(len(book), size=k, replace=False)
    other = pd.DataFrame({
        "account_id": np.concatenate([np.array([f"PROSPECT-{j + 1:03d}" for j in range(k)], dtype=object),
                                      book["account_id"].to_numpy(object)[renew]]),
        "type": ["New business"] * k + ["Renewal"] * k,
        "amount": np.concatenate([np.round(rng.uniform(8_000, 120_000, k), -2),
                                  book["arr"].to_numpy(float)[renew]]),
        "close_m": q_now * 3 + rng.integers(0, 6, 2 * k),
        "status": "open", "stage": np.array(_STAGES_OPEN, dtype=object)[rng.integers(0, 3, 2 * k)],
        "owner": ["New business AE"] * k + ["CSM"] * k, "probability": np.nan,
    })
    frame = pd.concat([frame, other], ignore_index=True)
    day = rng.integers(1, 29, len(frame))
    frame["close_date"] = _day_text(frame["close_m"].to_numpy(np.int64), day)
    frame = frame.sort_values(["close_date", "account_id"], kind="stable").reset_index(drop=True)
    frame["opportunity_id"] = [f"OPP-{i + 1:05d}" for i in range(len(frame))]

    # booked this quarter: the expansions billed in the history's last month were won the
    # month before, in the as-of quarter (own draws and ids: the rows above stay as they were)
    extra = np.random.default_rng(seed + 1)
    now = close_m // 3 == q_now
    booked = pd.DataFrame({
        "account_id": ids[rows[now]], "motion": np.array(playbook.MOTIONS, dtype=object)[motion_pick[now]],
        "amount": amount[now], "stage": "Closed Won", "status": "won", "probability": np.nan,
        "close_date": _day_text(close_m[now], extra.integers(1, 29, int(now.sum()))),
    })
    booked["type"] = [_TYPES[mo][s] for mo, s in zip(booked["motion"], extra.integers(0, 2, len(booked)),
                                                      strict=True)]
    booked["owner"] = np.asarray(expansion_owner(booked["motion"].to_numpy(object), booked["amount"].to_numpy(float),
                                                 booked["account_id"].map(arr_of).fillna(0).to_numpy(float)),
                                 dtype=object)
    booked = booked.sort_values(["close_date", "account_id"], kind="stable")
    booked["opportunity_id"] = [f"OPP-{len(frame) + i + 1:05d}" for i in range(len(booked))]
    frame = pd.concat([frame, booked], ignore_index=True)
    frame = frame.sort_values(["close_date", "account_id"], kind="stable").reset_index(drop=True)
    # the deals lost this quarter to date and the day each deal was opened (their own draws:
    # every row above stays as it was)
    later = np.random.default_rng(seed + 1_000)
    frame = pd.concat([frame, _lost_to_date(frame, book, later)], ignore_index=True)
    frame["created_date"] = _created_dates(frame, book, later)
    frame = _not_all_in_flight(frame, set(ready["account_id"]), np.random.default_rng(seed + 2_000))
    return frame[["opportunity_id", "account_id", "type", "amount", "stage", "probability", "created_date",
                  "close_date", "owner", "status"]]


NOT_OPENED, LOST_LATELY = 9, 4  # of the ready plays' deals closing next quarter (see below)


def _not_all_in_flight(frame: pd.DataFrame, ready: set, rng) -> pd.DataFrame:
    """Not every ready play is already in the CRM: of the ready plays' open deals closing
    next quarter, ``NOT_OPENED`` were never opened (the queue's new plays) and
    ``LOST_LATELY`` were lost 15–55 days before the as-of date (this quarter) (their plays cool down).
    Their own draws; the ids of every other row stay as they were (a CRM's ids have gaps)."""
    motion = frame["type"].map(_motion_index).to_numpy(np.int64)
    pick = np.flatnonzero((frame["status"] == "open").to_numpy(bool) & (motion >= 0)
                          & frame["account_id"].isin(ready).to_numpy(bool)
                          & (frame["close_date"] >= "2027-01-01").to_numpy(bool))
    chosen = rng.choice(pick, NOT_OPENED + LOST_LATELY, replace=False)
    lost = frame.index[chosen[NOT_OPENED:]]
    as_of = np.datetime64(SAMPLE_AS_OF, "D")
    close = as_of - rng.integers(15, 56, lost.size).astype("timedelta64[D]")  # this quarter
    start = np.datetime64(SNAPSHOTS_FROM, "D") + np.timedelta64(1, "D")
    created = np.maximum(close - rng.integers(20, 46, lost.size).astype("timedelta64[D]"), start)
    frame = frame.copy()
    frame.loc[lost, ["status", "stage"]] = ["lost", "Closed Lost"]
    frame.loc[lost, "probability"] = np.nan
    frame.loc[lost, "close_date"] = np.datetime_as_string(close, unit="D").astype(object)
    frame.loc[lost, "created_date"] = np.datetime_as_string(created, unit="D").astype(object)
    return frame.drop(index=frame.index[chosen[:NOT_OPENED]]).reset_index(drop=True)


def _motion_index(kind: str) -> int:
    from ..core.record_columns import opportunity_motion

    return opportunity_motion(kind)


LOST_TO_DATE = (16, 18, 4, 3, 6)  # deals lost in 2026-Q4 before the as-of date, per motion
SNAPSHOTS_FROM = "2026-09-15"  # the first of the sample's 12 weekly queue snapshots


def _lost_to_date(frame: pd.DataFrame, book: pd.DataFrame, rng) -> pd.DataFrame:
    """Deals lost in October and November 2026 (``LOST_TO_DATE``), the size of the motion's
    won deals, at accounts that booked nothing this quarter; ids after the others'."""
    from ..scoring.cells import expansion_owner

    won = frame[frame["status"] == "won"]
    booked = set(won.loc[won["close_date"] >= "2026-10-01", "account_id"])
    free = book.loc[~book["account_id"].isin(booked), "account_id"].to_numpy(object)
    parts = []
    for motion, n in zip(playbook.MOTIONS, LOST_TO_DATE, strict=True):
        sizes = won.loc[won["motion"] == motion, "amount"].to_numpy(float)
        parts.append(pd.DataFrame({"account_id": rng.choice(free, n, replace=False), "motion": motion,
                                   "amount": rng.choice(sizes, n), "close_m": rng.integers(_LAST - 1, _LAST + 1, n)}))
    lost = pd.concat(parts, ignore_index=True).assign(status="lost", stage="Closed Lost", probability=np.nan)
    arr_of = dict(zip(book["account_id"], book["arr"], strict=True))
    lost["type"] = [_TYPES[m][s] for m, s in zip(lost["motion"], rng.integers(0, 2, len(lost)), strict=True)]
    lost["owner"] = np.asarray(expansion_owner(lost["motion"].to_numpy(object), lost["amount"].to_numpy(float),
                                               lost["account_id"].map(arr_of).fillna(0).to_numpy(float)),
                               dtype=object)
    lost["close_date"] = _day_text(lost["close_m"].to_numpy(np.int64), rng.integers(1, 29, len(lost)))
    lost = lost.sort_values(["close_date", "account_id"], kind="stable").reset_index(drop=True)
    lost["opportunity_id"] = [f"OPP-{len(frame) + i + 1:05d}" for i in range(len(lost))]
    return lost


def _cycles(frame: pd.DataFrame, book: pd.DataFrame) -> np.ndarray:
    """Each opportunity's play cycle in days (its motion and account segment; NaN: no motion)."""
    from ..scoring.plays import play_set, segment_codes

    seg = segment_codes(frame["account_id"].map(dict(zip(book["account_id"], book["segment"], strict=True))))
    motion = np.array([playbook.MOTIONS.index(m) if m in playbook.MOTIONS else -1
                       for m in frame["motion"].fillna("")], dtype=np.int64)
    cycle = play_set(None).cycle[np.maximum(motion, 0), seg]
    return np.where(motion >= 0, cycle, np.nan)


def _created_dates(frame: pd.DataFrame, book: pd.DataFrame, rng) -> np.ndarray:
    """When each opportunity was opened: its play's cycle (× 0.6–1.4) before the close date,
    30–120 days for other types; never after the as-of date. A deal closed in 2026-Q4 was
    opened after the first sample snapshot and at least 5 days before it closed."""
    close = pd.to_datetime(frame["close_date"]).to_numpy("datetime64[D]")
    cycle = _cycles(frame, book)
    days = np.where(np.isnan(cycle), rng.uniform(30, 120, len(frame)), cycle * rng.uniform(0.6, 1.4, len(frame)))
    created = close - np.round(days).astype("timedelta64[D]")
    as_of = np.datetime64(SAMPLE_AS_OF, "D")
    created = np.minimum(created, as_of - rng.integers(1, 15, len(frame)).astype("timedelta64[D]"))
    late = (frame["status"].to_numpy(object) != "open") & (close >= np.datetime64("2026-10-01", "D"))
    start = np.datetime64(SNAPSHOTS_FROM, "D") + np.timedelta64(1, "D")
    room = (close - np.timedelta64(5, "D") - start).astype(np.int64)
    inside = start + (rng.random(len(frame)) * np.maximum(room, 0)).astype("timedelta64[D]")
    created = np.where(late, np.maximum(created, inside), created)
    return np.datetime_as_string(created, unit="D").astype(object)
