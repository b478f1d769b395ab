"""The CRM's opportunities (SPEC §5): reading them, past due, win rates, other types.

An opportunities table (opportunity_id, account_id, motion or type, amount, stage,
probability [optional], close_date, owner, status open/won/lost) is read once into
arrays; :mod:`.coverage` turns them into pipeline coverage. The definitions are listed
once, in the package's docstring.

>>> opps = [["id", "account", "type", "amount", "close_date", "owner", "status"],
...         [1, "a1", "Upsell", 90_000, "2025-02-10", "Ana", "open"],
...         [2, "a2", "Upsell", 30_000, "2024-11-05", "Ana", "won"],
...         [3, "a3", "Upgrade", 30_000, "2024-08-20", "Bo", "lost"],
...         [4, "a4", "Upgrade", 20_000, "2025-01-10", "Bo", "open"]]
>>> w = win_rates(opps, as_of="2025-01-15").set_index("motion").loc["Tier upgrade"]
>>> float(w["win_rate"]), float(w["required_coverage"]), w["basis"]
(0.5, 2.0, 'measured')
>>> past_due_opportunities(opps, as_of="2025-01-15")[["opportunity_id", "days_past_due"]].to_dict("records")
[{'opportunity_id': '4', 'days_past_due': 5}]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, _records, playbook, record_columns

__all__ = [
    "Opportunities", "read_opportunities", "is_past_due",
    "past_due_opportunities", "PAST_DUE_OPPORTUNITIES",
    "win_rates", "WIN_RATES",
    "other_opportunities", "OTHER_OPPORTUNITIES",
    "win_rate", "WIN_RATE", "win_rate_basis", "WIN_RATE_BASIS",
]

NO_OWNER = "(no owner)"
MEASURED, ASSUMED = playbook.MEASURED, playbook.ASSUMED
OPEN, WON, LOST = "open", "won", "lost"
_N = len(playbook.MOTIONS)


@dataclass
class Opportunities:
    """Opportunities as arrays: ``motion`` is the index in ``playbook.MOTIONS`` (−1: other type)."""

    motion: np.ndarray  # int8
    kind: np.ndarray  # the type (or motion) as written, for the report of other types
    amount: np.ndarray
    probability: np.ndarray  # fraction, NaN = none given
    quarter: np.ndarray  # year × 4 + quarter − 1 of the close date
    owner_code: np.ndarray
    owners: np.ndarray
    status: np.ndarray  # int8: 0 open, 1 won, 2 lost
    close_date: np.ndarray  # datetime64[D]
    frame: pd.DataFrame | None = None  # the table as read (canonical headers), for :meth:`text`

    def text(self, column: str) -> np.ndarray:
        """A text column of the table as read (stripped; '' where blank or absent)."""
        if self.frame is None or column not in self.frame:
            return np.full(len(self.amount), "", dtype=object)
        return _records.texts("opportunities", self.frame, column, allow_blank=True)


def _status_codes(name: str, frame: pd.DataFrame) -> np.ndarray:
    """open/won/lost from ``status`` (or from a ``Closed Won``/``Closed Lost`` stage)."""
    n = len(frame)
    words = {OPEN: 0, WON: 1, LOST: 2}
    stage_codes = np.zeros(n, dtype=np.int8)
    if "stage" in frame:
        codes, labels = _records.coded_texts(name, frame, "stage", allow_blank=True)
        per = np.array([words.get(record_columns.OPPORTUNITY_STATUSES.get(_args.normalize_key(s)), 0)
                        for s in labels], dtype=np.int8)
        stage_codes = per[codes]
    if "status" not in frame:
        return stage_codes
    codes, labels = _records.coded_texts(name, frame, "status", allow_blank=True)
    per = np.empty(labels.size, dtype=np.int8)
    for k, s in enumerate(labels):
        key = _args.normalize_key(s)
        if key == "":
            per[k] = -1
        elif key in record_columns.OPPORTUNITY_STATUSES:
            per[k] = words[record_columns.OPPORTUNITY_STATUSES[key]]
        else:
            i = int(np.argmax(codes == k))
            raise _records.row_error(name, frame, i, "status", "open, won or lost", frame["status"].iloc[i])
    out = per[codes]
    return np.where(out < 0, stage_codes, out).astype(np.int8)


def _motions(name: str, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's motion index (−1 when its type maps to none) and the type as written."""
    cols = [c for c in ("motion", "type") if c in frame]
    if not cols:
        raise _args.InputError(f"{name}: expected a column 'motion' (or 'type') in the header row")
    if len(cols) == 1:  # one column: one gather each, no row masks
        codes, labels = _records.coded_texts(name, frame, cols[0], allow_blank=True)
        per = np.array([record_columns.opportunity_motion(s) for s in labels], dtype=np.int8)
        return per[codes], labels[codes]
    motion = np.full(len(frame), -1, dtype=np.int8)
    kind = np.full(len(frame), "", dtype=object)
    for col in cols:  # motion first; the type fills rows whose motion is blank
        codes, labels = _records.coded_texts(name, frame, col, allow_blank=True)
        per = np.array([record_columns.opportunity_motion(s) for s in labels], dtype=np.int8)
        todo = kind == ""
        motion[todo] = per[codes][todo]
        kind[todo] = labels[codes][todo]
    return motion, kind


def read_opportunities(opportunities: Any) -> Opportunities:
    """Read an opportunities table (range or DataFrame); a bad cell is one named line."""
    if isinstance(opportunities, Opportunities):
        return opportunities
    name = "opportunities"
    frame = _records.record_table(name, opportunities, record_columns.OPPORTUNITY_ALIASES,
                                  ("amount", "close_date"), "opportunity_id")
    if frame.empty:
        raise _args.InputError(f"{name}: expected at least one opportunity row, got none")
    motion, kind = _motions(name, frame)
    amount = _records.money(name, frame, "amount")
    if "probability" in frame:
        p, bad = _args.coerce_numeric(frame["probability"])
        p = np.where(p > 1, p / 100.0, p)  # 40 means 40 %
        bad = bad | (p < 0) | (p > 1)
        if bad.any():
            i = int(np.argmax(bad))
            raise _records.row_error(name, frame, i, "probability", "a probability from 0 to 1 (or 0 to 100 %)",
                                     frame["probability"].iloc[i])
    else:
        p = np.full(len(frame), np.nan)
    close = _records.dates(name, frame, "close_date").astype("datetime64[D]")
    quarter = _records.quarter_of_month(_records.months_of(close))
    if "owner" in frame:
        owner_code, owners = _records.coded_texts(name, frame, "owner", allow_blank=True)
        owners = np.where(owners == "", NO_OWNER, owners).astype(object)
    else:
        owner_code, owners = np.zeros(len(frame), dtype=np.int64), np.array([NO_OWNER], dtype=object)
    return Opportunities(motion, kind, amount, p, quarter, owner_code, owners, _status_codes(name, frame),
                         close, frame)


def as_of_day(as_of: Any) -> np.datetime64:
    """``as_of`` (default today) as a day."""
    return _records.as_of_date("as_of", as_of).astype("datetime64[D]")


def is_past_due(o: Opportunities, day: np.datetime64) -> np.ndarray:
    """Past due, the one definition: open, with a close date before ``day`` (the as_of date).

    A deal closing on the as_of date itself is not past due yet.
    """
    return (o.status == 0) & (o.close_date < day)


def past_due_opportunities(opportunities: Any, as_of: Any = None) -> pd.DataFrame:
    """The open opportunities whose close date is before ``as_of`` (default today), oldest first.

    Columns: opportunity_id, account_id, motion (blank for a type that maps to none: new
    business, renewal…), type, amount, stage, close_date, days_past_due, owner.
    """
    o = read_opportunities(opportunities)
    day = as_of_day(as_of)
    late = np.flatnonzero(is_past_due(o, day))
    late = late[np.argsort(o.close_date[late], kind="stable")]
    ids = o.text("opportunity_id")
    motions = np.array([*playbook.MOTIONS, ""], dtype=object)
    return pd.DataFrame({
        "opportunity_id": ids[late],
        "account_id": o.text("account_id")[late],
        "motion": motions[o.motion[late]],
        "type": o.kind[late],
        "amount": o.amount[late],
        "stage": o.text("stage")[late],
        "close_date": pd.DatetimeIndex(o.close_date[late].astype("datetime64[ns]")),
        "days_past_due": (day - o.close_date[late]).astype(np.int64),
        "owner": o.owners[o.owner_code[late]],
    })


def quarter_of(day: np.datetime64) -> int:
    """The quarter (year × 4 + quarter − 1) of a day."""
    return int(_records.quarter_of_month(_records.months_of(np.array([day])))[0])


def _quarter_now(as_of: Any) -> int:
    return quarter_of(as_of_day(as_of))


# --------------------------------------------------------------------------- win rates


@lru_cache(maxsize=1)
def _default_close_rates() -> tuple[float, ...]:
    return tuple(playbook.plays_table(None)["close_rate"].to_numpy(float).tolist())


def win_rates_of(o: Opportunities, q0: int, plays: Any) -> pd.DataFrame:
    """:func:`win_rates` of opportunities already read, for the quarter ``q0``."""
    window = (o.quarter >= q0 - 4) & (o.quarter < q0) & (o.motion >= 0)
    # one pass: motion × status (open, won, lost), rows outside the window in a last row, dropped
    key = np.where(window, o.motion, _N).astype(np.intp) * 3 + o.status
    sums = np.bincount(key, weights=o.amount, minlength=(_N + 1) * 3).reshape(_N + 1, 3)
    won, lost = sums[:_N, 1].copy(), sums[:_N, 2].copy()
    closed = won + lost
    assumed = np.array(_default_close_rates() if plays is None else
                       playbook.plays_table(plays)["close_rate"].to_numpy(float), dtype=float)
    measured = closed > 0
    rate = np.where(measured, won / np.where(measured, closed, 1.0), assumed)
    required = np.where(rate > 0, 1.0 / np.where(rate > 0, rate, 1.0), np.nan)
    first, last = _records.quarter_label([q0 - 4, q0 - 1])
    return pd.DataFrame({
        "motion": list(playbook.MOTIONS),
        "won": won,
        "lost": lost,
        "win_rate": rate,
        "basis": np.where(measured, MEASURED, ASSUMED).astype(object),
        "required_coverage": required,
        "window": f"{first} to {last}",
    })


def win_rates(opportunities: Any, as_of: Any = None, plays: Any = None) -> pd.DataFrame:
    """Win rate per motion over the last 4 closed quarters before ``as_of`` (default today).

    Columns: motion, won, lost ($), win_rate, basis (``measured``, or ``assumed`` = the Plays
    close rate when the motion closed nothing in the window), required_coverage (1 / win
    rate; blank for a measured 0), window.
    """
    return win_rates_of(read_opportunities(opportunities), _quarter_now(as_of), plays)


def motion_arg(motion: Any) -> int:
    """A motion argument as its index in ``playbook.MOTIONS`` (a named error otherwise)."""
    found = _args.choices("motion", [motion], playbook.MOTIONS)[0]
    return playbook.MOTIONS.index(found)


def win_rate(opportunities: Any, motion: Any, as_of: Any = None, plays: Any = None) -> float:
    """One motion's win rate (as :func:`win_rates`): one cell for a sheet.

    >>> win_rate([["motion", "amount", "close_date", "status"], ["Seat expansion", 30, "2024-05-01", "won"],
    ...           ["Seat expansion", 10, "2024-06-01", "lost"]], "Seat expansion", "2025-01-15")
    0.75
    """
    m = motion_arg(motion)
    return float(win_rates(opportunities, as_of, plays)["win_rate"].iloc[m])


def win_rate_basis(opportunities: Any, motion: Any, as_of: Any = None) -> str:
    """``measured`` when the motion closed opportunities in the window, else ``assumed``."""
    m = motion_arg(motion)
    return str(win_rates(opportunities, as_of)["basis"].iloc[m])


def other_opportunities(opportunities: Any) -> pd.DataFrame:
    """Opportunities whose type maps to no motion (new business, renewal…), left out of coverage.

    Columns: type, status, opportunities, amount — one row per type and status.
    """
    o = read_opportunities(opportunities)
    other = o.motion < 0
    names = np.array([OPEN, WON, LOST], dtype=object)
    frame = pd.DataFrame({"type": o.kind[other], "status": names[o.status[other]], "amount": o.amount[other]})
    frame["type"] = frame["type"].where(frame["type"] != "", "(blank)")
    out = frame.groupby(["type", "status"], sort=True)["amount"].agg(["size", "sum"]).reset_index()
    return out.rename(columns={"size": "opportunities", "sum": "amount"}).astype({"opportunities": float})


# --------------------------------------------------------------------------- Excel UDFs

OPPS_DOC = ("Opportunities table with header row: opportunity_id, account_id, motion or type, amount, "
             "stage, probability (optional), close_date, owner, status (open/won/lost)")
AS_OF_DOC = ("Optional date the quarters count from (default today): win rates use the 4 closed quarters "
             "before it; an open opportunity closing before it is past due")
PLAYS_DOC = "Optional Plays table (close_rate per motion, used where a motion has no closed opportunities)"


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
def PAST_DUE_OPPORTUNITIES(opportunities, as_of=None):
    """Table of the open opportunities whose close date is before as_of (past due), oldest first. Example: =PAST_DUE_OPPORTUNITIES(Opportunities[#All], "2026-12-01")"""
    return _args.to_excel(past_due_opportunities(opportunities, as_of))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=PLAYS_DOC, ndim=2, err_to_str=True)
def WIN_RATES(opportunities, as_of=None, plays=None):
    """Table of won $, lost $, win rate and required coverage per motion (last 4 closed quarters). Example: =WIN_RATES(Opportunities[#All])"""
    return _args.to_excel(win_rates(opportunities, as_of, plays))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
def OTHER_OPPORTUNITIES(opportunities):
    """Table of the opportunity types left out of expansion coverage (new business, renewal...). Example: =OTHER_OPPORTUNITIES(Opportunities[#All])"""
    return _args.to_excel(other_opportunities(opportunities))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("motion", doc="The motion, e.g. Seat expansion", err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=PLAYS_DOC, ndim=2, err_to_str=True)
def WIN_RATE(opportunities, motion, as_of=None, plays=None):
    """A motion's win rate: won $ / (won $ + lost $), last 4 closed quarters (else the Plays close rate). Example: =WIN_RATE(Opportunities[#All], "Seat expansion")"""
    return _args.to_excel(win_rate(opportunities, motion, as_of, plays))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("motion", doc="The motion, e.g. Seat expansion", err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
def WIN_RATE_BASIS(opportunities, motion, as_of=None):
    """measured, or assumed (the Plays close rate) when the motion closed nothing in the last 4 quarters. Example: =WIN_RATE_BASIS(Opportunities[#All], "Cross-sell")"""
    return _args.to_excel(win_rate_basis(opportunities, motion, as_of))
