"""NRR Monte Carlo: a percentile fan of ARR over simulated rate paths (SPEC §6).

Each path draws its rates once for the whole horizon (``redraw="path"``,
  the default: a rate that is off stays off) or again every year (``redraw="year"``), as
  rate × a mean-one lognormal factor with relative spread σ: exp(σZ − σ²/2); the churn
  and expansion draws may be correlated. σ = 0 gives exactly the deterministic path.
  Paths are vectorized; only time steps loop. paths × steps is bounded (``CELLS_MAX``).

>>> mc = monte_carlo_nrr(10_000_000, 3, 0.05, 0.03, [0.1, 0.08, 0.05, 0.03, 0.02], paths=2_000, spread=0)
>>> round(float(mc.fan["p50"].iloc[-1]))
17280000
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args
from ..core._args import omitted as _omitted
from .compounding import (
    _EXP_DOC,
    _PER_YEAR,
    DEFAULT_CHURN,
    DEFAULT_CONTRACTION,
    DEFAULT_EXPANSION,
    DEFAULT_PATHS,
    DEFAULT_SEED,
    DEFAULT_SPREAD,
    DEFAULT_YEARS,
    MAX_SPREAD,
    MOTIONS,
    PATHS_MAX,
    _deterministic,
    _Plan,
    _plan,
    _run,
)

__all__ = ["MonteCarlo", "monte_carlo_nrr", "fan_from_rates", "correlated_normals", "NRR_MONTE_CARLO"]


@dataclass
class MonteCarlo:
    """Percentile fan per step and the chance of reaching ``target_arr`` by the horizon."""

    fan: pd.DataFrame  # step, year, p10, p50, p90, mean, deterministic
    final_arr: np.ndarray = field(repr=False)  # ARR at the horizon, one per path
    target_arr: float | None = None
    p_target: float | None = None
    expansion_by_motion: pd.DataFrame | None = None  # expansion ARR still held at the horizon
    arr: np.ndarray | None = field(default=None, repr=False)  # (steps + 1, paths)
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # rates, (draws, paths[, motions])


REDRAW = ("path", "year")
CELLS_MAX = 30_000_000  # paths × (steps + 1 + 7 × draws) floats: about 240 MB at most


def _paths(value: Any, plan: _Plan, redraw: str) -> int:
    """Paths, bounded so that the paths × steps arrays fit in memory (a named error)."""
    n = _args.integer("paths", value, minimum=1)
    if n > PATHS_MAX:
        raise _args.fail("paths", f"a whole number from 1 to {PATHS_MAX:,}", n)
    per_year = _PER_YEAR[plan.steps]
    draws = plan.horizon if redraw == "year" else 1
    per_path = plan.horizon * per_year + 1 + draws * (len(MOTIONS) + 2)
    if n * per_path > CELLS_MAX:
        raise _args.fail(
            "paths",
            f"at most {CELLS_MAX // per_path:,} paths for {plan.horizon} years of {plan.steps} steps "
            f"(paths × steps ≤ {CELLS_MAX:,}: fewer paths, fewer years or annual steps)",
            n,
        )
    return n


def _redraw(value: Any) -> str:
    if _omitted(value):
        return "path"
    return str(_args.choices("redraw", [value], REDRAW)[0])


def correlated_normals(
    rng: np.random.Generator, shape: tuple[int, ...], n_motions: int, correlation: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard normals for churn, contraction and each motion's expansion.

    Each motion's expansion normal has correlation ``correlation`` with the churn normal
    (contraction is independent); the draw order is fixed, so one seed gives one stream.
    """
    z_churn = rng.standard_normal(shape)
    z_contraction = rng.standard_normal(shape)
    eps = rng.standard_normal((*shape, n_motions))
    z_exp = correlation * z_churn[..., None] + np.sqrt(1.0 - correlation**2) * eps
    return z_churn, z_contraction, z_exp


def fan_from_rates(
    plan: _Plan,
    churn: np.ndarray,
    contraction: np.ndarray,
    expansion: np.ndarray,
    *,
    target_arr: Any = None,
    keep_paths: bool = False,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> MonteCarlo:
    """Run the plan with drawn rates, (draws, paths) and (draws, paths, motions), where
    draws is 1 (each path keeps its rates) or the horizon (one draw a year)."""
    horizon, per_year = plan.horizon, _PER_YEAR[plan.steps]
    n_paths = churn.shape[1]
    draws = {"churn": churn, "contraction": contraction, "expansion": expansion}
    if churn.shape[0] != horizon:
        churn = np.broadcast_to(churn, (horizon, n_paths))
        contraction = np.broadcast_to(contraction, (horizon, n_paths))
        expansion = np.broadcast_to(expansion, (horizon, n_paths, len(MOTIONS)))
    run = _run(plan.start, churn, contraction, expansion, plan.new_logo, per_year, progress=progress)
    arr = run["arr"]
    by_motion = pd.DataFrame(
        np.percentile(run["exp_final"], [10, 50, 90], axis=1).T, columns=["p10", "p50", "p90"]
    )
    by_motion.insert(0, "motion", list(MOTIONS))
    deterministic = _deterministic(plan)["arr"][:, 0]
    p10, p50, p90 = np.percentile(arr, [10, 50, 90], axis=1)
    n_steps = horizon * per_year
    fan = pd.DataFrame(
        {
            "step": np.arange(n_steps + 1), "year": np.arange(n_steps + 1) / per_year,
            "p10": p10, "p50": p50, "p90": p90, "mean": arr.mean(axis=1),
            "deterministic": deterministic,
        }
    )
    goal = None if _omitted(target_arr) else _args.number("target_arr", target_arr, minimum=0)
    final = arr[-1].copy()
    chance = None if goal is None else float(np.mean(final >= goal))
    return MonteCarlo(
        fan=fan, final_arr=final, target_arr=goal, p_target=chance, expansion_by_motion=by_motion,
        arr=arr if keep_paths else None, draws=draws,
    )


def _spread(name: str, value: Any) -> float:
    """A relative spread from 0 to MAX_SPREAD (beyond, the draws are 0 or infinite)."""
    s = _args.number(name, value, minimum=0)
    if s > MAX_SPREAD:
        raise _args.fail(name, f"a relative spread from 0 to {MAX_SPREAD:g}", s)
    return s


def monte_carlo_nrr(
    starting_arr: Any,
    years: Any = DEFAULT_YEARS,
    churn: Any = DEFAULT_CHURN,
    contraction: Any = DEFAULT_CONTRACTION,
    expansion: Any = DEFAULT_EXPANSION,
    new_logo_arr_per_year: Any = 0.0,
    steps: Any = "monthly",
    *,
    paths: Any = DEFAULT_PATHS,
    spread: Any = DEFAULT_SPREAD,
    churn_spread: Any = None,
    contraction_spread: Any = None,
    expansion_spread: Any = None,
    correlation: Any = 0.0,
    seed: Any = DEFAULT_SEED,
    target_arr: Any = None,
    redraw: Any = "path",
    keep_paths: bool = False,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> MonteCarlo:
    """Monte Carlo over churn, contraction and expansion rates (seeded, reproducible).

    Each rate is multiplied by a mean-one lognormal factor exp(σZ − σ²/2) drawn once per
    path (``redraw="path"``, the default) or per path and year (``"year"``), σ = ``spread``
    unless a per-rate spread is given; ``correlation`` (−1 to 1) is the correlation of
    the churn and expansion normals (negative: a bad year brings more churn and less
    expansion); churn + contraction are capped at 1. Returns P10/P50/P90 per step and
    P(ARR at the horizon ≥ ``target_arr``). ``progress`` wraps the loop over years (e.g.
    ``mo.status.progress_bar``). paths × steps above ``CELLS_MAX`` is a named error.

    >>> mc = monte_carlo_nrr(10_000_000, 1, 0.05, 0.03, [0.1, 0.08, 0.05, 0.03, 0.02], spread=0, paths=100)
    >>> round(mc.fan["p50"].iloc[-1])
    12000000
    """
    plan = _plan(starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year, steps)
    how = _redraw(redraw)
    n_paths = _paths(paths, plan, how)
    sigma = _spread("spread", spread)
    sig = {
        name: sigma if _omitted(v) else _spread(name, v)
        for name, v in (
            ("churn_spread", churn_spread), ("contraction_spread", contraction_spread),
            ("expansion_spread", expansion_spread),
        )
    }
    rho = _args.number("correlation", correlation, what="a correlation from -1 to 1")
    if not -1.0 <= rho <= 1.0:
        raise _args.fail("correlation", "a correlation from -1 to 1", rho)
    rng = np.random.default_rng(_args.integer("seed", seed, minimum=0))
    draws = plan.horizon if how == "year" else 1
    z_ch, z_co, z_ex = correlated_normals(rng, (draws, n_paths), len(MOTIONS), rho)

    def factor(s: float, z: np.ndarray) -> np.ndarray:
        return np.exp(s * z - 0.5 * s * s)

    ch = plan.churn * factor(sig["churn_spread"], z_ch)
    co = plan.contraction * factor(sig["contraction_spread"], z_co)
    ex = plan.expansion * factor(sig["expansion_spread"], z_ex)
    over = ch + co
    squeeze = np.where(over > 1.0, 1.0 / np.where(over > 1.0, over, 1.0), 1.0)
    return fan_from_rates(
        plan, ch * squeeze, co * squeeze, ex, target_arr=target_arr, keep_paths=keep_paths, progress=progress
    )


# --------------------------------------------------------------------------- Excel UDF


@xw.func
@xw.arg("starting_arr", doc="ARR today, $", err_to_str=True)
@xw.arg("years", doc="Horizon in whole years (1 to 50)", err_to_str=True)
@xw.arg("churn", doc="Annual gross churn as a fraction of ARR", err_to_str=True)
@xw.arg("contraction", doc="Annual contraction as a fraction of ARR", err_to_str=True)
@xw.arg("expansion", doc=_EXP_DOC, err_to_str=True)
@xw.arg("new_logo_arr_per_year", doc="Optional new-logo ARR a year, $; default 0", err_to_str=True)
@xw.arg("spread", doc="Optional relative spread of every rate (0.25 = ±25% typical); default 0.25", err_to_str=True)
@xw.arg("paths", doc="Optional number of simulated paths; default 10000", err_to_str=True)
@xw.arg("seed", doc="Optional random seed (same seed, same result); default 0", err_to_str=True)
@xw.arg("steps", doc="Optional 'monthly' (default) or 'annual'", err_to_str=True)
@xw.arg("correlation", doc="Optional correlation of churn and expansion draws, -1 to 1; default 0", err_to_str=True)
@xw.arg("redraw", doc="Optional 'path' (default: each path keeps its rates) or 'year' (new rates every year)", err_to_str=True)
def NRR_MONTE_CARLO(
    starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year=None,
    spread=None, paths=None, seed=None, steps=None, correlation=None, redraw=None,
):
    """Table of year with P10, P50 and P90 ARR over simulated rate paths. Example: =NRR_MONTE_CARLO(10000000, 5, 0.08, 0.04, B2:B6)"""
    mc = monte_carlo_nrr(
        starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year, steps,
        paths=DEFAULT_PATHS if _omitted(paths) else paths,
        spread=DEFAULT_SPREAD if _omitted(spread) else spread,
        seed=DEFAULT_SEED if _omitted(seed) else seed,
        correlation=0.0 if _omitted(correlation) else correlation,
        redraw=redraw,
    )
    return _args.to_excel(mc.fan[["year", "p10", "p50", "p90"]])
