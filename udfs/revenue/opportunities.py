"""Pipeline coverage from the CRM's opportunities (SPEC §5): per quarter × motion × owner.

An opportunities table (opportunity_id, account_id, motion or type, amount, stage,
probability [optional], close_date, owner, status open/won/lost) gives win rates and
pipeline coverage; the definitions are listed once, in the package's docstring.

>>> opps = [["id", "type", "amount", "close_date", "owner", "status"],
...         [1, "Upsell", 90_000, "2025-02-10", "Ana", "open"],
...         [2, "Upsell", 30_000, "2024-11-05", "Ana", "won"],
...         [3, "Upgrade", 30_000, "2024-08-20", "Bo", "lost"],
...         [4, "Renewal", 50_000, "2025-03-01", "Bo", "open"]]
>>> w = win_rates(opps, as_of="2025-01-15").set_index("motion").loc["Tier upgrade"]
>>> float(w["win_rate"]), float(w["required_coverage"]), w["basis"]
(0.5, 2.0, 'measured')
>>> t = pipeline_from_opportunities(opps, targets=60_000, as_of="2025-01-15")
>>> t.loc[t["motion"].isin(["Tier upgrade", "Total"]), ["motion", "pipeline", "coverage", "status"]].to_dict("records")
[{'motion': 'Tier upgrade', 'pipeline': 90000.0, 'coverage': None, 'status': None}, {'motion': 'Total', 'pipeline': 90000.0, 'coverage': 1.5, 'status': 'Undercovered'}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, _records, playbook, record_columns
from ..core._args import omitted

__all__ = [
    "Opportunities", "read_opportunities",
    "win_rates", "WIN_RATES",
    "pipeline_from_opportunities", "PIPELINE_FROM_OPPORTUNITIES",
    "other_opportunities", "OTHER_OPPORTUNITIES",
    "opportunity_pipeline", "OPPORTUNITY_PIPELINE",
    "win_rate", "WIN_RATE", "win_rate_basis", "WIN_RATE_BASIS",
]

ALL_OWNERS = "All owners"
TOTAL = "Total"
NO_OWNER = "(no owner)"
MEASURED, ASSUMED = "measured", "assumed"
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
    quarter = _records.quarter_of_month(_records.month_index(name, frame, "close_date"))
    if "owner" in frame:
        owner_code, owners = _records.coded_texts(name, frame, "owner", allow_blank=True)
        owners = np.where(owners == "", NO_OWNER, owners).astype(object)
    else:
        owner_code, owners = np.zeros(len(frame), dtype=np.int64), np.array([NO_OWNER], dtype=object)
    return Opportunities(motion, kind, amount, p, quarter, owner_code, owners, _status_codes(name, frame))


def _quarter_now(as_of: Any) -> int:
    day = _records.as_of_date("as_of", as_of)
    return int(_records.quarter_of_month(_records.months_of(np.array([day])))[0])


# --------------------------------------------------------------------------- win rates


def _win_rates(o: Opportunities, q0: int, plays: Any) -> pd.DataFrame:
    window = (o.quarter >= q0 - 4) & (o.quarter < q0) & (o.motion >= 0)
    m = o.motion[window]
    won = np.bincount(m, weights=np.where(o.status[window] == 1, o.amount[window], 0.0), minlength=_N)
    lost = np.bincount(m, weights=np.where(o.status[window] == 2, o.amount[window], 0.0), minlength=_N)
    closed = won + lost
    table = playbook.plays_table(plays)
    assumed = table["close_rate"].to_numpy(float)
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
    return _win_rates(read_opportunities(opportunities), _quarter_now(as_of), plays)


# --------------------------------------------------------------------------- targets


def parse_targets(targets: Any, q0: int) -> dict[tuple[int, str, str], float]:
    """{(quarter, motion or '', owner or ''): target}. One number is the as_of quarter's total."""
    if omitted(targets):
        return {}
    cell = _one_cell(targets)
    if cell is not None:
        value = _args.number("target", cell, minimum=0)
        if value < playbook.TARGET_MIN:
            raise _args.fail("target", "a number above 0 (the quarter's expansion target)", value)
        return {(q0, "", ""): value}
    name = "targets"
    frame = _records.record_table(name, targets, record_columns.TARGET_ALIASES, ("quarter", "target"))
    out: dict[tuple[int, str, str], float] = {}
    if frame.empty:
        return out
    amount = _records.money(name, frame, "target")
    zero = amount < playbook.TARGET_MIN
    if zero.any():
        i = int(np.argmax(zero))
        raise _records.row_error(name, frame, i, "target", "a number above 0 (the quarter's expansion target)",
                                 frame["target"].iloc[i])
    motions = (_records.texts(name, frame, "motion", allow_blank=True) if "motion" in frame
               else np.full(len(frame), "", dtype=object))
    owners = (_records.texts(name, frame, "owner", allow_blank=True) if "owner" in frame
              else np.full(len(frame), "", dtype=object))
    for i in range(len(frame)):  # a Targets table has a few dozen rows
        try:
            q = _records.parse_quarter("quarter", frame["quarter"].iloc[i])
        except ValueError:
            raise _records.row_error(name, frame, i, "quarter", "a quarter such as 2025-Q1",
                                     frame["quarter"].iloc[i]) from None
        motion = ""
        if motions[i]:
            found = [mo for mo in playbook.MOTIONS if _args.normalize_key(mo) == _args.normalize_key(motions[i])]
            if not found:
                raise _records.row_error(name, frame, i, "motion", "one of " + ", ".join(playbook.MOTIONS)
                                         + " (or blank for all motions)", motions[i])
            motion = found[0]
        if owners[i] and not motion:
            raise _records.row_error(name, frame, i, "motion", "a motion for an owner's target", None)
        key = (q, motion, owners[i])
        if key in out:
            raise _records.row_error(name, frame, i, "target", "one target per quarter, motion and owner "
                                     "(this one is given twice)", amount[i])
        out[key] = float(amount[i])
    return out


def _one_cell(value: Any) -> Any:
    """The value of a one-cell argument (one total target), or None for a table."""
    if isinstance(value, pd.DataFrame):
        return None
    if _args.is_scalar(value):
        return value
    try:
        items = _args.flat(value)
    except ValueError:
        return None
    return items[0] if len(items) == 1 else None


# --------------------------------------------------------------------------- pipeline


def _coverage(pipeline: float, target: float, required: float, thin_share: float) -> tuple:
    """coverage, status, gap of one row (blank without a target)."""
    if not target or not np.isfinite(target):
        return None, None, None
    coverage = pipeline / target
    if not np.isfinite(required):
        return coverage, playbook.UNDERCOVERED, None
    if coverage >= required - 1e-12:
        status = playbook.HEALTHY
    elif coverage >= required * thin_share - 1e-12:
        status = playbook.THIN
    else:
        status = playbook.UNDERCOVERED
    return coverage, status, max(0.0, target * required - pipeline)


def pipeline_from_opportunities(
    opportunities: Any, targets: Any = None, as_of: Any = None, plays: Any = None, by: Any = None
) -> pd.DataFrame:
    """Pipeline, weighted pipeline, coverage, status and gap per quarter × motion (× owner).

    Quarters: the ``as_of`` quarter (default today) and every later one with open pipeline or
    a target, plus any quarter with a target. Per quarter: one row per motion (owner
    ``All owners``), each followed by its owners' rows when ``by`` is ``owner``, then a
    ``Total`` row. Columns: quarter, motion, owner, pipeline, weighted_pipeline, win_rate,
    basis, required_coverage, target, coverage, status, gap.
    """
    o = read_opportunities(opportunities)
    q0 = _quarter_now(as_of)
    by_owner = False if omitted(by) else _args.choices("by", [by], ("motion", "owner"))[0] == "owner"
    rates = _win_rates(o, q0, plays)
    rate = rates["win_rate"].to_numpy(float)
    required = rates["required_coverage"].to_numpy(float)
    goal = parse_targets(targets, q0)
    thin_share = playbook.COVERAGE_THIN / playbook.COVERAGE_HEALTHY

    live = (o.status == 0) & (o.motion >= 0) & (o.quarter >= q0)
    quarters = sorted({q0, *np.unique(o.quarter[live]).tolist(), *(k[0] for k in goal)})
    qpos = {q: i for i, q in enumerate(quarters)}
    nq = len(quarters)
    mo = o.motion[live].astype(np.int64)
    qi = np.searchsorted(np.array(quarters), o.quarter[live])
    amt = o.amount[live]
    p = o.probability[live]
    weight = amt * np.where(np.isnan(p), rate[mo], p)
    key = qi * _N + mo
    pipe = np.bincount(key, weights=amt, minlength=nq * _N).reshape(nq, _N)
    wpipe = np.bincount(key, weights=weight, minlength=nq * _N).reshape(nq, _N)
    owner_rows: dict[tuple[int, int], pd.DataFrame] = {}
    if by_owner and live.any():
        per = pd.DataFrame({"q": qi, "m": mo, "owner": o.owners[o.owner_code[live]], "pipeline": amt,
                            "weighted_pipeline": weight})
        grouped = per.groupby(["q", "m", "owner"], sort=True)[["pipeline", "weighted_pipeline"]].sum()
        for (q, m), part in grouped.groupby(level=[0, 1]):
            owner_rows[(int(q), int(m))] = part.reset_index()
    for (q, motion, owner) in goal:
        if owner and by_owner:
            m = playbook.MOTIONS.index(motion)
            part = owner_rows.get((qpos[q], m))
            if part is None or owner not in set(part["owner"]):
                extra = pd.DataFrame({"q": [qpos[q]], "m": [m], "owner": [owner], "pipeline": [0.0],
                                      "weighted_pipeline": [0.0]})
                owner_rows[(qpos[q], m)] = extra if part is None else pd.concat([part, extra], ignore_index=True)

    rows = []
    for q in quarters:
        i = qpos[q]
        label = _records.quarter_label([q])[0]
        motion_targets = []
        for m, motion in enumerate(playbook.MOTIONS):
            owners_goal = [v for (qq, mm, ow), v in goal.items() if qq == q and mm == motion and ow]
            target = goal.get((q, motion, ""), sum(owners_goal) if owners_goal else None)
            if target:
                motion_targets.append((target, required[m]))
            cov, status, gap = _coverage(pipe[i, m], target, required[m], thin_share)
            rows.append((label, motion, ALL_OWNERS, pipe[i, m], wpipe[i, m], rate[m], rates["basis"][m],
                         required[m], target, cov, status, gap))
            part = owner_rows.get((i, m))
            if part is not None:
                for r in part.itertuples(index=False):
                    t = goal.get((q, motion, r.owner))
                    cov, status, gap = _coverage(r.pipeline, t, required[m], thin_share)
                    rows.append((label, motion, r.owner, r.pipeline, r.weighted_pipeline, rate[m],
                                 rates["basis"][m], required[m], t, cov, status, gap))
        total_target = goal.get((q, "", ""), sum(t for t, _ in motion_targets) if motion_targets else None)
        finite = [(t, r) for t, r in motion_targets if np.isfinite(r)]
        if finite:
            total_required = sum(t * r for t, r in finite) / sum(t for t, _ in finite)
        else:
            total_required = playbook.COVERAGE_HEALTHY
        cov, status, gap = _coverage(pipe[i].sum(), total_target, total_required, thin_share)
        rows.append((label, TOTAL, ALL_OWNERS, pipe[i].sum(), wpipe[i].sum(), None, None, total_required,
                     total_target, cov, status, gap))
    out = pd.DataFrame(rows, columns=["quarter", "motion", "owner", "pipeline", "weighted_pipeline", "win_rate",
                                      "basis", "required_coverage", "target", "coverage", "status", "gap"])
    for col in ("pipeline", "weighted_pipeline", "required_coverage"):
        out[col] = out[col].astype(float)
    for col in ("win_rate", "target", "coverage", "gap", "status", "basis"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _motion_arg(motion: Any) -> int:
    found = _args.choices("motion", [motion], playbook.MOTIONS)[0]
    return playbook.MOTIONS.index(found)


def win_rate(opportunities: Any, motion: Any, as_of: Any = None, plays: Any = None) -> float:
    """One motion's win rate (as :func:`win_rates`): one cell for a sheet.

    >>> win_rate([["motion", "amount", "close_date", "status"], ["Seat expansion", 30, "2024-05-01", "won"],
    ...           ["Seat expansion", 10, "2024-06-01", "lost"]], "Seat expansion", "2025-01-15")
    0.75
    """
    m = _motion_arg(motion)
    return float(win_rates(opportunities, as_of, plays)["win_rate"].iloc[m])


def win_rate_basis(opportunities: Any, motion: Any, as_of: Any = None) -> str:
    """``measured`` when the motion closed opportunities in the window, else ``assumed``."""
    m = _motion_arg(motion)
    return str(win_rates(opportunities, as_of)["basis"].iloc[m])


def opportunity_pipeline(opportunities: Any, quarter: Any, motion: Any = None, owner: Any = None,
                         weighted: Any = None, as_of: Any = None, plays: Any = None) -> float:
    """Σ amount of the open opportunities closing in ``quarter`` (one motion and owner, or all).

    ``weighted`` TRUE multiplies each by its probability, else its motion's win rate
    (the win rates of the 4 closed quarters before ``as_of``).

    >>> opportunity_pipeline([["motion", "amount", "close_date", "status"], ["Cross-sell", 50, "2025-02-01", "open"],
    ...                       ["Cross-sell", 70, "2025-05-01", "open"]], "2025-Q1")
    50.0
    """
    o = read_opportunities(opportunities)
    q = _records.parse_quarter("quarter", quarter)
    keep = (o.status == 0) & (o.motion >= 0) & (o.quarter == q)
    if not omitted(motion):
        keep &= o.motion == _motion_arg(motion)
    if not omitted(owner):
        name = _args.texts("owner", [owner])[0]
        keep &= o.owners[o.owner_code] == name
    amount = o.amount[keep]
    if not omitted(weighted) and _args.flags("weighted", [weighted])[0]:
        rate = _win_rates(o, _quarter_now(as_of), plays)["win_rate"].to_numpy(float)
        p = o.probability[keep]
        amount = amount * np.where(np.isnan(p), rate[o.motion[keep].astype(np.int64)], p)
    return float(amount.sum())


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

_OPPS_DOC = ("Opportunities table with header row: opportunity_id, account_id, motion or type, amount, "
             "stage, probability (optional), close_date, owner, status (open/won/lost)")
_AS_OF_DOC = "Optional date the quarters count from (default today): win rates use the 4 closed quarters before it"
_PLAYS_DOC = "Optional Plays table (close_rate per motion, used where a motion has no closed opportunities)"


@xw.func
@xw.arg("opportunities", doc=_OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("targets", doc="Optional Targets table (quarter, motion or blank, owner or blank, target) or one total, $, for the as_of quarter", ndim=2, err_to_str=True)
@xw.arg("as_of", doc=_AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=_PLAYS_DOC, ndim=2, err_to_str=True)
@xw.arg("by", doc="Optional 'motion' (default) or 'owner' to add each owner's rows under its motion", err_to_str=True)
def PIPELINE_FROM_OPPORTUNITIES(opportunities, targets=None, as_of=None, plays=None, by=None):
    """Table of pipeline, weighted pipeline, coverage, status and gap per quarter and motion. Example: =PIPELINE_FROM_OPPORTUNITIES(Opportunities[#All], Targets[#All])"""
    return _args.to_excel(pipeline_from_opportunities(opportunities, targets, as_of, plays, by))


@xw.func
@xw.arg("opportunities", doc=_OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("as_of", doc=_AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=_PLAYS_DOC, ndim=2, err_to_str=True)
def WIN_RATES(opportunities, as_of=None, plays=None):
    """Table of won $, lost $, win rate and required coverage per motion (last 4 closed quarters). Example: =WIN_RATES(Opportunities[#All])"""
    return _args.to_excel(win_rates(opportunities, as_of, plays))


@xw.func
@xw.arg("opportunities", doc=_OPPS_DOC, ndim=2, err_to_str=True)
def OTHER_OPPORTUNITIES(opportunities):
    """Table of the opportunity types left out of expansion coverage (new business, renewal...). Example: =OTHER_OPPORTUNITIES(Opportunities[#All])"""
    return _args.to_excel(other_opportunities(opportunities))


@xw.func
@xw.arg("opportunities", doc=_OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("quarter", doc="Quarter of the close dates, e.g. 2025-Q1 (or a date in it)", err_to_str=True)
@xw.arg("motion", doc="Optional motion (e.g. Seat expansion); default every expansion motion", err_to_str=True)
@xw.arg("owner", doc="Optional owner; default every owner", err_to_str=True)
@xw.arg("weighted", doc="Optional TRUE for the weighted pipeline (probability, else the motion's win rate)", err_to_str=True)
@xw.arg("as_of", doc=_AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=_PLAYS_DOC, ndim=2, err_to_str=True)
def OPPORTUNITY_PIPELINE(opportunities, quarter, motion=None, owner=None, weighted=None, as_of=None, plays=None):
    """Open pipeline of a quarter (one motion and owner, or all), $. Example: =OPPORTUNITY_PIPELINE(Opportunities[#All], "2025-Q1", "Seat expansion")"""
    return _args.to_excel(opportunity_pipeline(opportunities, quarter, motion, owner, weighted, as_of, plays))


@xw.func
@xw.arg("opportunities", doc=_OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("motion", doc="The motion, e.g. Seat expansion", err_to_str=True)
@xw.arg("as_of", doc=_AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=_PLAYS_DOC, ndim=2, err_to_str=True)
def WIN_RATE(opportunities, motion, as_of=None, plays=None):
    """A motion's win rate: won $ / (won $ + lost $), last 4 closed quarters (else the Plays close rate). Example: =WIN_RATE(Opportunities[#All], "Seat expansion")"""
    return _args.to_excel(win_rate(opportunities, motion, as_of, plays))


@xw.func
@xw.arg("opportunities", doc=_OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("motion", doc="The motion, e.g. Seat expansion", err_to_str=True)
@xw.arg("as_of", doc=_AS_OF_DOC, err_to_str=True)
def WIN_RATE_BASIS(opportunities, motion, as_of=None):
    """measured, or assumed (the Plays close rate) when the motion closed nothing in the last 4 quarters. Example: =WIN_RATE_BASIS(Opportunities[#All], "Cross-sell")"""
    return _args.to_excel(win_rate_basis(opportunities, motion, as_of))
