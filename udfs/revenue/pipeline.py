"""Expansion pipeline coverage (SPEC §5): coverage, status, weighted pipeline, gap.

Each function is here twice: a plain lower-case function (scalars, lists, arrays,
Series) and its ``@xw.func`` UDF under the Excel name. One cell in gives one value;
a column in gives a column (one result per row).

>>> pipeline_coverage(1_500_000, 500_000), coverage_status(3.0), coverage_status(1.2)
(3.0, 'Healthy', 'Undercovered')
>>> pipeline_gap(600_000, 500_000)
900000.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, playbook

__all__ = [
    "pipeline_coverage", "PIPELINE_COVERAGE",
    "coverage_status", "COVERAGE_STATUS",
    "weighted_pipeline", "WEIGHTED_PIPELINE",
    "pipeline_gap", "PIPELINE_GAP",
    "coverage_by_motion", "COVERAGE_BY_MOTION",
]


def _healthy(healthy: Any) -> float:
    return playbook.COVERAGE_HEALTHY if _args.omitted(healthy) else _args.number("healthy", healthy, minimum=0)


def _cutoffs(healthy: Any, thin: Any) -> tuple[float, float]:
    h = _healthy(healthy)
    t = playbook.COVERAGE_THIN if _args.omitted(thin) else _args.number("thin", thin, minimum=0)
    if t > h:
        raise _args.InputError(f"thin: expected a cut-off at most healthy ({h:g}), got {t:g}")
    return h, t


def _status(coverage: np.ndarray, healthy: float, thin: float) -> np.ndarray:
    """Healthy at or above ``healthy``, Thin at or above ``thin``, else Undercovered (NaN too)."""
    labels = np.array([playbook.UNDERCOVERED, playbook.THIN, playbook.HEALTHY], dtype=object)
    return labels[(coverage >= thin).astype(int) + (coverage >= healthy).astype(int)]


def _close_rates(motions: np.ndarray, plays: Any) -> np.ndarray:
    """The close rate of each row's motion (SPEC §4, or the ``plays`` table's)."""
    table = playbook.plays_table(plays)
    rate = {m: float(r) for m, r in zip(table["motion"], table["close_rate"], strict=True)}
    return pd.Series(motions).map(rate).to_numpy(dtype=float)


def _pipeline_rows(amounts: Any, motions: Any) -> tuple[np.ndarray, np.ndarray]:
    """Amounts and motions of a pipeline; fully blank rows (trailing range rows) are skipped."""
    a = _args.numbers("amounts", amounts, minimum=0, allow_blank=True)
    m = _args.choices("motions", motions, playbook.MOTIONS, allow_blank=True)
    (a, m), _ = _args.broadcast(("amounts", a, amounts), ("motions", m, motions))
    no_amount, no_motion = np.isnan(a), m == ""
    several = a.size > 1
    for i in np.flatnonzero(no_amount != no_motion)[:1]:
        if no_amount[i]:
            raise _args.fail("amounts", "a number", None, int(i) if several else None)
        raise _args.fail("motions", "one of " + ", ".join(playbook.MOTIONS), None, int(i) if several else None)
    keep = ~no_amount
    if not keep.any():
        raise _args.InputError("amounts: expected at least one amount, got only blank cells")
    return a[keep], m[keep]


# --------------------------------------------------------------------------- plain functions


def pipeline_coverage(pipeline: Any, target: Any):
    """Coverage = expansion pipeline / expansion target (3.0 = 3x).

    >>> pipeline_coverage([1_500_000, 600_000], 500_000)
    array([3. , 1.2])
    """
    p = _args.numbers("pipeline", pipeline, minimum=0)
    t = _args.positive("target", _args.numbers("target", target, minimum=0))
    _args.reject("target", t, t < playbook.TARGET_MIN, f"a target of at least {playbook.TARGET_MIN:g}")
    (p, t), like = _args.broadcast(("pipeline", p, pipeline), ("target", t, target))
    with np.errstate(over="ignore"):
        ratio = _args.finite("target", p / t, "a target that keeps pipeline / target finite")
    return _args.shaped(ratio, like, name="coverage")


def coverage_status(coverage: Any, healthy: Any = None, thin: Any = None):
    """``Healthy`` at or above ``healthy`` (3.0), ``Thin`` at or above ``thin`` (2.0), else ``Undercovered``.

    >>> coverage_status([3.0, 2.0, 1.99]).tolist()
    ['Healthy', 'Thin', 'Undercovered']
    """
    c = _args.numbers("coverage", coverage, minimum=0)
    h, t = _cutoffs(healthy, thin)
    return _args.shaped(_status(c, h, t), coverage, name="coverage_status")


def weighted_pipeline(amounts: Any, motions: Any, plays: Any = None) -> float:
    """Σ amount × close rate of its motion (SPEC §4 close rates, or a ``plays`` table).

    >>> weighted_pipeline([100_000, 40_000], ["Seat expansion", "Cross-sell"])
    58000.0
    """
    a, m = _pipeline_rows(amounts, motions)
    rates = _close_rates(m, plays)
    with np.errstate(over="ignore"):
        return float(_args.finite("amounts", np.sum(a * rates), "amounts small enough to add up"))


def pipeline_gap(pipeline: Any, target: Any, healthy: Any = None):
    """Pipeline still to create: max(0, target × healthy − pipeline), healthy = 3.0.

    >>> pipeline_gap([1_500_000, 2_000_000], 500_000).tolist()
    [0.0, 0.0]
    """
    p = _args.numbers("pipeline", pipeline, minimum=0)
    t = _args.numbers("target", target, minimum=0)
    h = _healthy(healthy)
    (p, t), like = _args.broadcast(("pipeline", p, pipeline), ("target", t, target))
    with np.errstate(over="ignore"):
        gap = _args.finite("target", np.maximum(0.0, t * h - p), "a target small enough for target × healthy")
    return _args.shaped(gap, like, name="pipeline_gap")


def coverage_by_motion(
    amounts: Any, motions: Any, targets: Any, plays: Any = None, healthy: Any = None, thin: Any = None
) -> pd.DataFrame:
    """Coverage per motion and in total (SPEC §5).

    ``targets``: one expansion target per motion, in the order of ``playbook.MOTIONS``
    (a dict ``{motion: target}`` in Python). A motion with a zero target shows a blank
    coverage. Columns: motion, pipeline, weighted_pipeline, target, coverage, status, gap.

    >>> t = coverage_by_motion([900_000, 300_000], ["Seat expansion", "Cross-sell"], [300_000, 0, 0, 0, 200_000])
    >>> t.loc[t["motion"].isin(["Seat expansion", "Total"]), ["motion", "coverage", "status"]].to_dict("records")
    [{'motion': 'Seat expansion', 'coverage': 3.0, 'status': 'Healthy'}, {'motion': 'Total', 'coverage': 2.4, 'status': 'Thin'}]
    """
    a, m = _pipeline_rows(amounts, motions)
    h, t = _cutoffs(healthy, thin)
    if isinstance(targets, dict):
        keys = {_args.normalize_key(k): v for k, v in targets.items()}
        targets = [keys.get(_args.normalize_key(mo), 0) for mo in playbook.MOTIONS]
    goal = _args.numbers("targets", targets, minimum=0)
    _args.reject("targets", goal, (goal > 0) & (goal < playbook.TARGET_MIN), f"0 or a target of at least {playbook.TARGET_MIN:g}")
    if goal.size != len(playbook.MOTIONS):
        raise _args.InputError(
            f"targets: expected {len(playbook.MOTIONS)} values (one per motion: "
            f"{', '.join(playbook.MOTIONS)}), got {goal.size}"
        )
    rates = _close_rates(m, plays)
    frame = pd.DataFrame({"motion": m, "pipeline": a, "weighted_pipeline": a * rates})
    per = frame.groupby("motion", sort=False)[["pipeline", "weighted_pipeline"]].sum()
    per = per.reindex(list(playbook.MOTIONS), fill_value=0.0)
    out = pd.DataFrame(
        {
            "motion": list(playbook.MOTIONS) + ["Total"],
            "pipeline": np.append(per["pipeline"].to_numpy(float), per["pipeline"].sum()),
            "weighted_pipeline": np.append(
                per["weighted_pipeline"].to_numpy(float), per["weighted_pipeline"].sum()
            ),
            "target": np.append(goal, goal.sum()),
        }
    )
    tg = out["target"].to_numpy(float)
    pl = out["pipeline"].to_numpy(float)
    cov = np.divide(pl, tg, out=np.full(tg.size, np.nan), where=tg > 0)
    out["coverage"] = cov
    out["status"] = np.where(tg > 0, _status(cov, h, t), None)
    out["gap"] = np.maximum(0.0, tg * h - pl)
    with np.errstate(over="ignore"):
        for col in ("pipeline", "weighted_pipeline", "target", "coverage", "gap"):
            _args.finite("amounts" if "pipeline" in col else "targets", out[col].to_numpy(float),
                   "amounts and targets small enough to add up")
    return out


# --------------------------------------------------------------------------- Excel UDFs

_PLAYS_DOC = "Optional Plays table (header row: motion, close_rate, ...); default SPEC §4 plays"


@xw.func
@xw.arg("pipeline", doc="Open expansion pipeline, $ (a cell or a column)", err_to_str=True)
@xw.arg("target", doc="Expansion target for the period, $ (above 0)", err_to_str=True)
def PIPELINE_COVERAGE(pipeline, target):
    """Pipeline coverage ratio = pipeline / target (3 = 3x). Example: =PIPELINE_COVERAGE(1500000, 500000)"""
    return _args.to_excel(pipeline_coverage(pipeline, target))


@xw.func
@xw.arg("coverage", doc="Coverage ratio, e.g. 3 for 3x (a cell or a column)", err_to_str=True)
@xw.arg("healthy", doc="Optional cut-off for Healthy; default 3", err_to_str=True)
@xw.arg("thin", doc="Optional cut-off for Thin; default 2", err_to_str=True)
def COVERAGE_STATUS(coverage, healthy=None, thin=None):
    """Healthy / Thin / Undercovered for a coverage ratio. Example: =COVERAGE_STATUS(2.4)"""
    return _args.to_excel(coverage_status(coverage, healthy, thin))


@xw.func
@xw.arg("amounts", doc="Column of open expansion opportunity amounts, $", err_to_str=True)
@xw.arg("motions", doc="Column of the motion of each opportunity (e.g. Seat expansion)", err_to_str=True)
@xw.arg("plays", doc=_PLAYS_DOC, ndim=2, err_to_str=True)
def WEIGHTED_PIPELINE(amounts, motions, plays=None):
    """Sum of amount x close rate of its motion, $. Example: =WEIGHTED_PIPELINE(Opps[Amount], Opps[Motion])"""
    return _args.to_excel(weighted_pipeline(amounts, motions, plays))


@xw.func
@xw.arg("pipeline", doc="Open expansion pipeline, $ (a cell or a column)", err_to_str=True)
@xw.arg("target", doc="Expansion target for the period, $", err_to_str=True)
@xw.arg("healthy", doc="Optional coverage to aim for; default 3", err_to_str=True)
def PIPELINE_GAP(pipeline, target, healthy=None):
    """Pipeline still to create: max(0, target x 3 - pipeline), $. Example: =PIPELINE_GAP(600000, 500000)"""
    return _args.to_excel(pipeline_gap(pipeline, target, healthy))


@xw.func
@xw.arg("amounts", doc="Column of open expansion opportunity amounts, $", err_to_str=True)
@xw.arg("motions", doc="Column of the motion of each opportunity", err_to_str=True)
@xw.arg("targets", doc="Five expansion targets, $, one per motion in SPEC order (Seat expansion ... Cross-sell)", err_to_str=True)
@xw.arg("plays", doc=_PLAYS_DOC, ndim=2, err_to_str=True)
@xw.arg("healthy", doc="Optional cut-off for Healthy; default 3", err_to_str=True)
@xw.arg("thin", doc="Optional cut-off for Thin; default 2", err_to_str=True)
def COVERAGE_BY_MOTION(amounts, motions, targets, plays=None, healthy=None, thin=None):
    """Table of pipeline, weighted pipeline, target, coverage, status and gap per motion and in total. Example: =COVERAGE_BY_MOTION(Opps[Amount], Opps[Motion], H2:H6)"""
    return _args.to_excel(coverage_by_motion(amounts, motions, targets, plays, healthy, thin))
