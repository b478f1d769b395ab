"""Playbook results: what each play earned, per play × owner × quarter of the flag.

Counts are of flags (flag_outcomes): ``flagged``; ``worked`` (as flagged) and
``other_motion``; ``won``, ``lost``, ``open`` of the worked ones; ``won_amount``. The
**measured close rate** is won / (won + lost) of the plays worked as flagged, with its
sample size (``closed``) and a 95 % Wilson interval; under ``playbook.MIN_CLOSED`` closed
plays its ``basis`` says ``too few``. Deal size and speed are set against the Plays'
assumptions: the median won amount against the median expected increase of those flags,
the median of won amount ÷ the account's ARR against the play's ``arr_increase_share``,
and the median days from flag to a won close against the play's cycle.

>>> [round(x, 3) for x in wilson_interval(14, 41)]
[0.216, 0.495]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, _records, playbook
from ..core._args import omitted
from ..revenue.opportunities import LOST, NO_OWNER, OPEN, WON
from .matching import _FLAGS_DOC, _OPPS_DOC, _STATUS, _worked
from .snapshots import excel_cells

__all__ = ["RESULT_COLUMNS", "wilson_interval", "playbook_results", "PLAYBOOK_RESULTS", "close_rate_basis"]

RESULT_COLUMNS = (
    "play", "owner", "quarter", "flagged", "worked", "other_motion", "won", "lost", "open", "closed",
    "won_amount", "close_rate", "close_rate_low", "close_rate_high", "basis", "assumed_close_rate",
    "median_deal", "assumed_deal", "increase_share", "assumed_increase_share", "median_days_to_close",
    "cycle_days",
)
ALL_OWNERS, ALL_QUARTERS = "All owners", "All quarters"
_STATUS_CODE = {label: code for code, label in enumerate(_STATUS)}  # the opportunities' status codes
_BY = ("owner", "quarter")


def wilson_interval(won: float, closed: float, z: float = playbook.WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval of won / closed (NaN, NaN when nothing closed)."""
    if not closed:
        return math.nan, math.nan
    p = won / closed
    center = (p + z * z / (2 * closed)) / (1 + z * z / closed)
    half = z * math.sqrt(p * (1 - p) / closed + z * z / (4 * closed * closed)) / (1 + z * z / closed)
    low, high = max(0.0, center - half), min(1.0, center + half)
    return (0.0 if won == 0 else low), (1.0 if won == closed else high)


def close_rate_basis(won: int, closed: int, min_closed: int = playbook.MIN_CLOSED) -> str:
    """``measured: 14 won of 41 closed``, or ``too few: 7 closed`` under ``min_closed``.

    >>> close_rate_basis(14, 41), close_rate_basis(3, 7), close_rate_basis(0, 0)
    ('measured: 14 won of 41 closed', 'too few: 3 won of 7 closed', 'too few: none closed')
    """
    if closed >= min_closed and closed > 0:
        return f"{playbook.MEASURED}: {won} won of {closed} closed"
    return f"{playbook.TOO_FEW}: " + (f"{won} won of {closed} closed" if closed else "none closed")


def _by(value: Any) -> tuple[str, ...]:
    if omitted(value):
        return _BY
    text = str(value).replace(";", ",").replace("×", ",").replace(" x ", ",")
    parts = tuple(p for p in (_args.normalize_key(x) for x in text.split(",")) if p)
    if parts == ("play",):
        return ()
    if not parts or any(p not in _BY for p in parts):
        raise _args.fail("by", "owner, quarter, both (owner, quarter), or play for one row per play", value)
    return tuple(p for p in _BY if p in parts)


def playbook_results(flags: Any, opportunities: Any, plays: Any = None, by: Any = None,
                     min_closed: Any = None) -> pd.DataFrame:
    """What the flagged plays earned: :data:`RESULT_COLUMNS`, one row per play × ``by``.

    ``flags``: play_flags' table; ``opportunities``: with ``created_date``; ``plays``: the
    Plays table (assumptions, windows, cycles); ``by``: ``owner, quarter`` (default),
    ``owner``, ``quarter`` or ``play`` (one row per play, every play listed); ``min_closed``:
    closed plays under which a close rate is ``too few`` (default 20).
    """
    keys = _by(by)
    floor = playbook.MIN_CLOSED if omitted(min_closed) else _args.integer("min_closed", min_closed, minimum=1)
    w = _worked(flags, opportunities, plays)
    f = w.f
    table = playbook.plays_table(plays)
    # grouped by integer codes (play, owner, quarter); the labels are read per group at the end
    q = _records.quarter_of_month(_records.months_of(f["flagged_on"].to_numpy("datetime64[ns]")))
    seen, quarter = np.unique(q, return_inverse=True)
    owner, owners = pd.factorize(f["owner"], use_na_sentinel=False)
    owner = pd.factorize(pd.Series(owners, dtype=object).replace("", NO_OWNER), use_na_sentinel=False)[0][owner]
    status = w.pick("status", 0)
    as_flagged = (w.first >= 0) & w.own
    won = as_flagged & (status == _STATUS_CODE[WON])
    amount, arr = w.pick("amount", np.nan), f["arr"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(won & (arr > 0), amount / np.where(arr > 0, arr, np.nan), np.nan)
    # each flag's group (play × keys) as one integer, the groups numbered as they first appear
    group = f["motion"].to_numpy(np.int64)
    if "owner" in keys:
        group = group * (int(owner.max()) + 1 if len(owner) else 1) + owner
    if "quarter" in keys:
        group = group * max(len(seen), 1) + quarter.ravel()
    group, _ = pd.factorize(group)
    new = np.ones(len(group), dtype=bool)  # a group's first flag: a code above every code before it
    new[1:] = group[1:] > np.maximum.accumulate(group)[:-1]
    rows = np.flatnonzero(new)  # each group's first flag: its labels
    n = len(rows)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group[mask], minlength=n)

    def by_group(values: dict[str, np.ndarray], how: str, rows: np.ndarray | None = None) -> pd.DataFrame:
        """pandas' own sum or median of each group (compensated sums, NaN skipped), by group
        code; ``rows``: the values are of those flags only."""
        grouped = pd.DataFrame(values).groupby(group if rows is None else group[rows], sort=True)
        return (grouped.sum() if how == "sum" else grouped.median()).reindex(range(n))

    labels = {"play": f["play"].array.take(rows)}
    if "owner" in keys:
        labels["owner"] = pd.Series(f["owner"].array.take(rows)).replace("", NO_OWNER)
    if "quarter" in keys:
        labels["quarter"] = _records.quarter_label(seen)[quarter.ravel()[rows]]
    # the medians of won plays only: the other flags' values are blank, and a median skips blanks
    won_rows = np.flatnonzero(won)
    medians = by_group({"median_deal": amount[won_rows],
                        "assumed_deal": f["expected_arr_increase"].to_numpy(float)[won_rows],
                        "increase_share": share[won_rows], "median_days_to_close": w.close_days(won_rows)},
                       "median", won_rows)
    res = pd.DataFrame({
        **labels, "flagged": np.bincount(group, minlength=n), "worked": count(as_flagged),
        "other_motion": count((w.first >= 0) & ~w.own), "won": count(won),
        "lost": count(as_flagged & (status == _STATUS_CODE[LOST])),
        "open": count(as_flagged & (status == _STATUS_CODE[OPEN])),
        "won_amount": by_group({"x": np.where(won, amount, 0.0)}, "sum")["x"].to_numpy(),
        **{k: medians[k].to_numpy() for k in medians},
        "cycle_days": by_group({"x": w.cycle(plays)}, "median")["x"].to_numpy(),
    })
    if not keys:  # one row per play: every play, flagged or not
        res = res.set_index("play").reindex(list(playbook.MOTIONS)).reset_index()
        for col in ("flagged", "worked", "other_motion", "won", "lost", "open", "won_amount"):
            res[col] = res[col].fillna(0)
    for col in _BY:
        if col not in res:
            res[col] = ALL_OWNERS if col == "owner" else ALL_QUARTERS
    counts = ["flagged", "worked", "other_motion", "won", "lost", "open"]
    res[counts] = res[counts].astype(float)
    res["closed"] = res["won"] + res["lost"]
    closed = res["closed"].to_numpy(float)
    res["close_rate"] = np.where(closed > 0, res["won"] / np.where(closed > 0, closed, 1.0), np.nan)
    bounds = [wilson_interval(w, c) for w, c in zip(res["won"], closed, strict=True)]
    res["close_rate_low"] = [b[0] for b in bounds]
    res["close_rate_high"] = [b[1] for b in bounds]
    res["basis"] = [close_rate_basis(int(w), int(c), floor) for w, c in zip(res["won"], closed, strict=True)]
    res["assumed_close_rate"] = res["play"].map(table["close_rate"]).astype(float)
    res["assumed_increase_share"] = res["play"].map(table["arr_increase_share"]).astype(float)
    res["_order"] = res["play"].map(playbook.MOTIONS.index)
    res = res.sort_values(["_order", *keys], kind="stable").reset_index(drop=True)
    return res[list(RESULT_COLUMNS)]


@xw.func
@xw.arg("flags", ndim=2, doc=_FLAGS_DOC, err_to_str=True)
@xw.arg("opportunities", ndim=2, doc=_OPPS_DOC, err_to_str=True)
@xw.arg("plays", ndim=2, doc="The Plays table (assumptions, windows, cycles); default the playbook's.", err_to_str=True)
@xw.arg("by", doc='"owner, quarter" (default), "owner", "quarter", or "play" for one row per play.', err_to_str=True)
@xw.arg("min_closed", doc="Closed plays under which a close rate is 'too few' (default 20).", err_to_str=True)
def PLAYBOOK_RESULTS(flags, opportunities, plays=None, by=None, min_closed=None):
    """What the flagged plays earned per play × owner × quarter: worked, won, close rate with its Wilson interval.

    Example: =PLAYBOOK_RESULTS(Flags[#All], Opportunities[#All], Plays[#All], "play")
    """
    return excel_cells(playbook_results(flags, opportunities, plays, by, min_closed))
