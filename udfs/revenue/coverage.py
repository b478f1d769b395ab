"""Pipeline coverage from the CRM's opportunities (SPEC §5): per quarter × motion × owner.

What counts, in one place (the package's docstring lists the decisions):

- **booked to date**: won opportunities closed in the quarter on or before ``as_of``; the
  **remaining target** is the target less them (never below 0);
- **pipeline**: open opportunities closing in the quarter, not past due; a **past-due**
  one (open, closing before ``as_of``) is shown apart, and counts in the ``as_of``
  quarter only when ``past_due`` is TRUE;
- **weighted pipeline**: each opportunity × its CRM probability where given, else its
  motion's win rate (``weighting`` ``win rate``: the win rate for all); ``weighting``
  says which per row;
- **status** reads the weighted coverage, weighted pipeline ÷ remaining target:
  ``Healthy`` from 1.0 (the expected closings cover what is left to book), ``Thin`` from
  2/3, else ``Undercovered``; ``Target met`` once booked to date reaches the target.

>>> opps = [["id", "type", "amount", "probability", "close_date", "owner", "status"],
...         [1, "Upsell", 90_000, None, "2025-02-10", "Ana", "open"],
...         [2, "Upsell", 20_000, None, "2025-01-05", "Ana", "won"],
...         [3, "Upgrade", 30_000, None, "2024-08-20", "Bo", "won"],
...         [4, "Upgrade", 30_000, None, "2024-09-20", "Bo", "lost"],
...         [5, "Upgrade", 40_000, 0.9, "2025-01-10", "Bo", "open"]]
>>> t = pipeline_from_opportunities(opps, targets=60_000, as_of="2025-01-15")
>>> t.loc[t["motion"] == "Total", ["booked", "remaining_target", "pipeline", "past_due", "weighted_pipeline",
...                                "weighted_coverage", "status"]].to_dict("records")
[{'booked': 20000.0, 'remaining_target': 40000.0, 'pipeline': 90000.0, 'past_due': 40000.0, 'weighted_pipeline': 45000.0, 'weighted_coverage': 1.125, 'status': 'Healthy'}]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, _records, playbook, record_columns
from ..core._args import omitted
from .opportunities import (
    AS_OF_DOC,
    OPPS_DOC,
    PLAYS_DOC,
    Opportunities,
    as_of_day,
    is_past_due,
    motion_arg,
    quarter_of,
    read_opportunities,
    win_rates_of,
)

__all__ = [
    "pipeline_from_opportunities", "PIPELINE_FROM_OPPORTUNITIES",
    "opportunity_pipeline", "OPPORTUNITY_PIPELINE",
    "opportunity_booked", "OPPORTUNITY_BOOKED",
    "opportunity_past_due", "OPPORTUNITY_PAST_DUE",
    "pipeline_weighting", "PIPELINE_WEIGHTING",
]

ALL_OWNERS = "All owners"
TOTAL = "Total"
_N = len(playbook.MOTIONS)
COLUMNS = ["quarter", "motion", "owner", "target", "booked", "remaining_target", "pipeline", "past_due",
           "weighted_pipeline", "weighting", "win_rate", "basis", "required_coverage", "coverage",
           "weighted_coverage", "status", "gap"]
# what is summed per quarter × motion × owner; rows counts an owner's part rows (a row of its own)
_SUMS = ["booked", "pipeline", "past_due", "weighted_pipeline", "open", "by_probability", "rows"]


# --------------------------------------------------------------------------- what counts


class _Counted:
    """Each opportunity's part in the coverage as of a day: the one reading of the rules."""

    def __init__(self, o: Opportunities, as_of: Any, plays: Any, past_due: Any, weighting: Any):
        self.o = o
        self.day = as_of_day(as_of)
        self.q0 = quarter_of(self.day)
        self.rates = win_rates_of(o, self.q0, plays)
        include = False if omitted(past_due) else bool(_args.flags("past_due", [past_due])[0])
        how = playbook.WEIGHTINGS[0] if omitted(weighting) else _args.choices(
            "weighting", [weighting], playbook.WEIGHTINGS)[0]
        expansion = o.motion >= 0
        self.late = is_past_due(o, self.day) & expansion
        self.live = (o.status == 0) & expansion & (~self.late | include)
        self.pipeline_quarter = np.where(self.late, self.q0, o.quarter)  # a counted late deal: now
        self.booked = (o.status == 1) & expansion & (o.close_date <= self.day)
        rate = self.rates["win_rate"].to_numpy(float)[np.maximum(o.motion, 0)]
        self.by_probability = ~np.isnan(o.probability) & (how == playbook.WEIGHTINGS[0])
        self.weight = np.where(self.by_probability, o.probability, rate)

    def sums(self, quarters: np.ndarray) -> np.ndarray:
        """Σ of each of ``_SUMS`` per quarter × motion × owner code, shape (quarters, motions,
        owners, sums): each opportunity counts in the quarter of the part it plays (pipeline,
        past due, booked); quarters not in ``quarters`` are left out."""
        o = self.o
        nq, k = quarters.size, len(o.owners)
        out = np.zeros((len(_SUMS), nq * _N * k))
        for mask, quarter, cols in (
            (self.live, self.pipeline_quarter, ("pipeline", "weighted_pipeline", "open", "by_probability", "rows")),
            (self.late, None, ("past_due", "rows")),
            (self.booked, o.quarter, ("booked", "rows")),
        ):
            i = np.flatnonzero(mask)
            q = np.full(i.size, self.q0) if quarter is None else quarter[i]
            qi = np.minimum(np.searchsorted(quarters, q), nq - 1)
            keep = quarters[qi] == q
            i, qi = i[keep], qi[keep]
            key = (qi * _N + o.motion[i]) * k + o.owner_code[i]
            amount = o.amount[i]
            values = {"pipeline": amount, "past_due": amount, "booked": amount,
                      "weighted_pipeline": amount * self.weight[i], "open": None, "rows": None,
                      "by_probability": self.by_probability[i].astype(float)}
            for c in cols:  # open and rows: counts
                out[_SUMS.index(c)] += np.bincount(key, weights=values[c], minlength=out.shape[1])
        return np.moveaxis(out.reshape(len(_SUMS), nq, _N, k), 0, -1)


def weighting_text(opened: float, by_probability: float) -> str:
    """What weighed a row's open opportunities: ``CRM probability``, ``win rate`` or
    ``mixed: k of n by CRM probability``; blank with none."""
    n, k = int(round(opened)), int(round(by_probability))
    if n == 0:
        return ""
    if k == n:
        return playbook.BY_PROBABILITY
    if k == 0:
        return playbook.BY_WIN_RATE
    return f"{playbook.BY_BOTH}: {k} of {n} by {playbook.BY_PROBABILITY}"


def judge(target: np.ndarray, booked: np.ndarray, pipeline: np.ndarray, weighted: np.ndarray,
          required: np.ndarray) -> dict[str, np.ndarray]:
    """Remaining target, coverage, weighted coverage, status and gap of rows (NaN target: blank).

    The gap is the pipeline still to create: what the weighted pipeline leaves of the
    remaining target, at the row's required coverage (1 / win rate).

    >>> judge(np.array([100.0, 100, 100, np.nan]), np.array([20.0, 0, 120, 0]), np.array([300.0, 150, 0, 5]),
    ...       np.array([90.0, 50, 0, 2]), np.array([3.0, 3, 3, 3]))["status"].tolist()
    ['Healthy', 'Undercovered', 'Target met', None]
    """
    has = np.isfinite(target) & (target > 0)
    remaining = np.where(has, np.maximum(0.0, target - booked), np.nan)
    open_ = has & (remaining > 0)
    safe = np.where(open_, remaining, 1.0)
    coverage = np.where(open_, pipeline / safe, np.nan)
    weighted_coverage = np.where(open_, weighted / safe, np.nan)
    eps = 1e-12
    labels = np.array([playbook.UNDERCOVERED, playbook.THIN, playbook.HEALTHY], dtype=object)
    level = ((weighted_coverage >= playbook.WEIGHTED_THIN - eps).astype(int)
             + (weighted_coverage >= playbook.WEIGHTED_HEALTHY - eps).astype(int))
    status = np.where(open_, labels[level], np.where(has, playbook.TARGET_MET, None)).astype(object)
    finite = np.isfinite(required)
    gap = np.where(has & finite, np.maximum(0.0, np.nan_to_num(remaining) - weighted) * np.where(finite, required, 0),
                   np.nan)
    return {"remaining_target": remaining, "coverage": coverage, "weighted_coverage": weighted_coverage,
            "status": status, "gap": gap}


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


# --------------------------------------------------------------------------- the table


def pipeline_from_opportunities(
    opportunities: Any, targets: Any = None, as_of: Any = None, plays: Any = None, by: Any = None,
    past_due: Any = None, weighting: Any = None,
) -> pd.DataFrame:
    """Target, booked to date, pipeline, past due, weighted pipeline, coverage, status and gap
    per quarter × motion (× owner), as the module's description defines them.

    Quarters: the ``as_of`` quarter (default today), every later one with open pipeline,
    and any quarter with a target. Per quarter: one row per motion (owner ``All owners``),
    each followed by its owners' rows when ``by`` is ``owner``, then a ``Total`` row.
    Columns: quarter, motion, owner, target, booked, remaining_target, pipeline, past_due,
    weighted_pipeline, weighting, win_rate, basis, required_coverage, coverage,
    weighted_coverage, status, gap.
    """
    o = read_opportunities(opportunities)
    counted = _Counted(o, as_of, plays, past_due, weighting)
    q0 = counted.q0
    by_owner = False if omitted(by) else _args.choices("by", [by], ("motion", "owner"))[0] == "owner"
    rate = counted.rates["win_rate"].to_numpy(float)
    basis = counted.rates["basis"].to_numpy(object)
    required = counted.rates["required_coverage"].to_numpy(float)
    goal = parse_targets(targets, q0)

    live_quarters = np.unique(counted.pipeline_quarter[counted.live]).tolist()
    quarters = np.array(sorted({q0, *live_quarters, *(k[0] for k in goal)}), dtype=np.int64)
    sums = counted.sums(quarters)  # quarter × motion × owner × _SUMS
    per_motion = sums.sum(axis=2)
    owner_names = o.owners
    by_name = np.argsort(owner_names.astype(str), kind="stable")

    rows = []
    for qi, q in enumerate(quarters.tolist()):
        label = _records.quarter_label([q])[0]
        motion_targets = []
        for m, motion in enumerate(playbook.MOTIONS):
            owners_goal = {ow: v for (qq, mm, ow), v in goal.items() if qq == q and mm == motion and ow}
            target = goal.get((q, motion, ""), sum(owners_goal.values()) if owners_goal else None)
            if target:
                motion_targets.append((target, required[m]))
            rows.append((label, motion, ALL_OWNERS, target, per_motion[qi, m], rate[m], basis[m], required[m]))
            if not by_owner:
                continue
            active = {str(owner_names[c]): sums[qi, m, c] for c in by_name if sums[qi, m, c, -1] > 0}
            for ow in sorted(set(active) | set(owners_goal)):
                rows.append((label, motion, ow, goal.get((q, motion, ow)), active.get(ow, np.zeros(len(_SUMS))),
                             rate[m], basis[m], required[m]))
        total_target = goal.get((q, "", ""), sum(t for t, _ in motion_targets) if motion_targets else None)
        finite = [(t, r) for t, r in motion_targets if np.isfinite(r)]
        total_required = (sum(t * r for t, r in finite) / sum(t for t, _ in finite) if finite
                          else playbook.COVERAGE_HEALTHY)
        rows.append((label, TOTAL, ALL_OWNERS, total_target, per_motion[qi].sum(axis=0), None, None, total_required))
    return _table(rows)


def _table(rows: list[tuple]) -> pd.DataFrame:
    sums = pd.DataFrame([np.asarray(r[4], dtype=float) for r in rows], columns=_SUMS)
    out = pd.DataFrame({
        "quarter": [r[0] for r in rows], "motion": [r[1] for r in rows], "owner": [r[2] for r in rows],
        "target": np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float),
        "booked": sums["booked"], "pipeline": sums["pipeline"], "past_due": sums["past_due"],
        "weighted_pipeline": sums["weighted_pipeline"],
        "weighting": [weighting_text(n, k) for n, k in zip(sums["open"], sums["by_probability"], strict=True)],
        "win_rate": [r[5] for r in rows], "basis": [r[6] for r in rows],
        "required_coverage": np.array([r[7] for r in rows], dtype=float),
    })
    out = out.assign(**judge(out["target"].to_numpy(), out["booked"].to_numpy(), out["pipeline"].to_numpy(),
                             out["weighted_pipeline"].to_numpy(), out["required_coverage"].to_numpy()))
    for col in ("target", "remaining_target", "win_rate", "coverage", "weighted_coverage", "gap", "status", "basis"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out[COLUMNS]


# --------------------------------------------------------------------------- one cell each


def _select(o: Opportunities, mask: np.ndarray, quarter: np.ndarray | None, q: Any, motion: Any,
            owner: Any) -> np.ndarray:
    keep = mask.copy()
    if quarter is not None:
        keep &= quarter == _records.parse_quarter("quarter", q)
    if not omitted(motion):
        keep &= o.motion == motion_arg(motion)
    if not omitted(owner):
        keep &= o.owners[o.owner_code] == _args.texts("owner", [owner])[0]
    return keep


def opportunity_pipeline(opportunities: Any, quarter: Any, motion: Any = None, owner: Any = None,
                         weighted: Any = None, as_of: Any = None, plays: Any = None, past_due: Any = None,
                         weighting: Any = None) -> float:
    """Σ amount of the open opportunities closing in ``quarter`` and not past due (one motion
    and owner, or all); ``past_due`` TRUE adds the past-due ones to the ``as_of`` quarter.

    ``weighted`` TRUE multiplies each by its CRM probability, else its motion's win rate
    (the win rates of the 4 closed quarters before ``as_of``).

    >>> opportunity_pipeline([["motion", "amount", "close_date", "status"], ["Cross-sell", 50, "2025-02-01", "open"],
    ...                       ["Cross-sell", 70, "2025-05-01", "open"]], "2025-Q1", as_of="2025-01-15")
    50.0
    """
    o = read_opportunities(opportunities)
    c = _Counted(o, as_of, plays, past_due, weighting)
    keep = _select(o, c.live, c.pipeline_quarter, quarter, motion, owner)
    amount = o.amount[keep]
    if not omitted(weighted) and _args.flags("weighted", [weighted])[0]:
        amount = amount * c.weight[keep]
    return float(amount.sum())


def opportunity_booked(opportunities: Any, quarter: Any, motion: Any = None, owner: Any = None,
                       as_of: Any = None) -> float:
    """Booked to date: Σ amount of the won opportunities closed in ``quarter`` on or before ``as_of``.

    >>> opportunity_booked([["motion", "amount", "close_date", "status"], ["Cross-sell", 50, "2025-01-02", "won"],
    ...                     ["Cross-sell", 70, "2025-02-01", "won"]], "2025-Q1", as_of="2025-01-15")
    50.0
    """
    o = read_opportunities(opportunities)
    c = _Counted(o, as_of, None, None, None)
    return float(o.amount[_select(o, c.booked, o.quarter, quarter, motion, owner)].sum())


def opportunity_past_due(opportunities: Any, motion: Any = None, owner: Any = None, as_of: Any = None) -> float:
    """Σ amount of the open expansion opportunities whose close date is before ``as_of`` (past due).

    >>> opportunity_past_due([["motion", "amount", "close_date", "status"], ["Cross-sell", 50, "2025-01-02", "open"],
    ...                       ["Cross-sell", 70, "2025-02-01", "open"]], as_of="2025-01-15")
    50.0
    """
    o = read_opportunities(opportunities)
    c = _Counted(o, as_of, None, None, None)
    return float(o.amount[_select(o, c.late, None, None, motion, owner)].sum())


def pipeline_weighting(opportunities: Any, quarter: Any, motion: Any = None, owner: Any = None,
                       as_of: Any = None, past_due: Any = None, weighting: Any = None) -> str:
    """What weighs the pipeline of :func:`opportunity_pipeline`: ``CRM probability``,
    ``win rate``, or ``mixed: k of n by CRM probability`` (the rest by the win rate)."""
    o = read_opportunities(opportunities)
    c = _Counted(o, as_of, None, past_due, weighting)
    keep = _select(o, c.live, c.pipeline_quarter, quarter, motion, owner)
    return weighting_text(float(keep.sum()), float(c.by_probability[keep].sum()))


# --------------------------------------------------------------------------- Excel UDFs

_QUARTER_DOC = "Quarter of the close dates, e.g. 2025-Q1 (or a date in it)"
_MOTION_DOC = "Optional motion (e.g. Seat expansion); default every expansion motion"
_OWNER_DOC = "Optional owner; default every owner"
_PAST_DUE_DOC = ("Optional TRUE to count past-due opportunities (open, closing before as_of) in the as_of "
                 "quarter; default FALSE: shown apart, left out of coverage")
_WEIGHTING_DOC = ("Optional 'probability' (default: the CRM probability where given, else the motion's win "
                  "rate) or 'win rate' (the win rate for every opportunity)")


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("targets", doc="Optional Targets table (quarter, motion or blank, owner or blank, target) or one total, $, for the as_of quarter", ndim=2, err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=PLAYS_DOC, ndim=2, err_to_str=True)
@xw.arg("by", doc="Optional 'motion' (default) or 'owner' to add each owner's rows under its motion", err_to_str=True)
@xw.arg("past_due", doc=_PAST_DUE_DOC, err_to_str=True)
@xw.arg("weighting", doc=_WEIGHTING_DOC, err_to_str=True)
def PIPELINE_FROM_OPPORTUNITIES(opportunities, targets=None, as_of=None, plays=None, by=None, past_due=None,
                                weighting=None):
    """Table of target, booked to date, pipeline, past due, weighted pipeline, coverage, status and gap per quarter and motion. Example: =PIPELINE_FROM_OPPORTUNITIES(Opportunities[#All], Targets[#All])"""
    return _args.to_excel(pipeline_from_opportunities(opportunities, targets, as_of, plays, by, past_due, weighting))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("quarter", doc=_QUARTER_DOC, err_to_str=True)
@xw.arg("motion", doc=_MOTION_DOC, err_to_str=True)
@xw.arg("owner", doc=_OWNER_DOC, err_to_str=True)
@xw.arg("weighted", doc="Optional TRUE for the weighted pipeline (CRM probability, else the motion's win rate)", err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
@xw.arg("plays", doc=PLAYS_DOC, ndim=2, err_to_str=True)
@xw.arg("past_due", doc=_PAST_DUE_DOC, err_to_str=True)
@xw.arg("weighting", doc=_WEIGHTING_DOC, err_to_str=True)
def OPPORTUNITY_PIPELINE(opportunities, quarter, motion=None, owner=None, weighted=None, as_of=None, plays=None,
                         past_due=None, weighting=None):
    """Open pipeline of a quarter, past-due deals left out (one motion and owner, or all), $. Example: =OPPORTUNITY_PIPELINE(Opportunities[#All], "2025-Q1", "Seat expansion")"""
    return _args.to_excel(opportunity_pipeline(opportunities, quarter, motion, owner, weighted, as_of, plays,
                                               past_due, weighting))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("quarter", doc=_QUARTER_DOC, err_to_str=True)
@xw.arg("motion", doc=_MOTION_DOC, err_to_str=True)
@xw.arg("owner", doc=_OWNER_DOC, err_to_str=True)
@xw.arg("as_of", doc="Optional date (default today): won opportunities closed on or before it count", err_to_str=True)
def OPPORTUNITY_BOOKED(opportunities, quarter, motion=None, owner=None, as_of=None):
    """Booked to date: won opportunities closed in the quarter up to as_of, $. Example: =OPPORTUNITY_BOOKED(Opportunities[#All], "2026-Q4", "Seat expansion", , "2026-12-01")"""
    return _args.to_excel(opportunity_booked(opportunities, quarter, motion, owner, as_of))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("motion", doc=_MOTION_DOC, err_to_str=True)
@xw.arg("owner", doc=_OWNER_DOC, err_to_str=True)
@xw.arg("as_of", doc="Optional date (default today): an open opportunity closing before it is past due", err_to_str=True)
def OPPORTUNITY_PAST_DUE(opportunities, motion=None, owner=None, as_of=None):
    """Past-due pipeline: open expansion opportunities whose close date is before as_of, $. Example: =OPPORTUNITY_PAST_DUE(Opportunities[#All], "Tier upgrade", , "2026-12-01")"""
    return _args.to_excel(opportunity_past_due(opportunities, motion, owner, as_of))


@xw.func
@xw.arg("opportunities", doc=OPPS_DOC, ndim=2, err_to_str=True)
@xw.arg("quarter", doc=_QUARTER_DOC, err_to_str=True)
@xw.arg("motion", doc=_MOTION_DOC, err_to_str=True)
@xw.arg("owner", doc=_OWNER_DOC, err_to_str=True)
@xw.arg("as_of", doc=AS_OF_DOC, err_to_str=True)
@xw.arg("past_due", doc=_PAST_DUE_DOC, err_to_str=True)
@xw.arg("weighting", doc=_WEIGHTING_DOC, err_to_str=True)
def PIPELINE_WEIGHTING(opportunities, quarter, motion=None, owner=None, as_of=None, past_due=None, weighting=None):
    """What weighs a quarter's pipeline: CRM probability, win rate, or mixed (how many by each). Example: =PIPELINE_WEIGHTING(Opportunities[#All], "2026-Q4", "Tier upgrade", , "2026-12-01")"""
    return _args.to_excel(pipeline_weighting(opportunities, quarter, motion, owner, as_of, past_due, weighting))
