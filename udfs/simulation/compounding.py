"""NRR compounding engine: deterministic projection, cohorts, goal-seek.

The model (annual rates are fractions of the ARR at the start of the year):

- Existing customers lose ``churn`` and ``contraction`` and gain ``expansion[m]`` for each
  of the five motions of ``playbook.MOTIONS``: NRR = 1 + Σ expansion − churn − contraction,
  GRR = 1 − churn − contraction (SPEC §6).
- With ``steps="monthly"`` the year is cut in 12 steps that compound exactly to the annual
  figure: with g = NRR^(1/12) and S = 1 + g + … + g^11, each month books rate/S of the
  current ARR for every flow, so a year's flows sum to exactly rate × start-of-year ARR,
  ARR grows by g a month and by g^12 = NRR a year. Annual steps give the same year ends.
- New-logo ARR of a year lands in equal parts at the end of each step: a twelfth a
  month with monthly steps (no stair-step at year end), all of it at year end with annual
  steps (as ``arr_after``). Once landed it behaves like every other customer (it churns,
  contracts and expands). A year's NRR and GRR are those of the ARR held at its start.
- ARR is split into pools: ``retained_base`` (starting ARR still retained), expansion by
  motion (expansion ARR still retained) and ``new_logos`` (landed new-logo ARR retained);
  the pools add up to ARR at every step. Churn and contraction hit every pool in
  proportion to its size (monthly, part of a year's losses falls on expansion booked
  earlier that year). Cohorts (layer cake) are ARR by acquisition year.


>>> sim = simulate_nrr(10_000_000, 1, churn=0.05, contraction=0.03, expansion=[0.1, 0.08, 0.05, 0.03, 0.02])
>>> round(sim.final_arr), round(sim.nrr, 4), round(sim.grr, 4)
(12000000, 1.2, 0.92)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, playbook
from ..core._args import omitted as _omitted
from ..core._args import reject
from ..revenue.retention import _FRACTION, _RATE, NRR_MAX, _fraction

__all__ = [
    "STEPS", "NrrSimulation", "plan_nrr", "playbook_expansion_rates", "simulate_nrr",
    "goal_seek_expansion", "NRR_SIMULATE", "NRR_GOAL_SEEK",
]

STEPS = ("monthly", "annual")
_PER_YEAR = {"monthly": 12, "annual": 1}
YEARS_MAX = 50
PATHS_MAX = 1_000_000
MOTIONS = playbook.MOTIONS
_MOTION_INDEX = {_args.normalize_key(m): i for i, m in enumerate(MOTIONS)}
# defaults of a plan (simulate_nrr and monte_carlo_nrr) and of the Monte Carlo
DEFAULT_YEARS, DEFAULT_CHURN, DEFAULT_CONTRACTION = 5, 0.08, 0.04
DEFAULT_EXPANSION = (0.08, 0.06, 0.04, 0.02, 0.02)  # per motion, in MOTIONS order
DEFAULT_PATHS, DEFAULT_SPREAD, DEFAULT_SEED = 10_000, 0.25, 0
MAX_SPREAD = 10.0  # a relative spread beyond (1,000 %) draws factors of 0 and infinity


# --------------------------------------------------------------------------- coercion


def _expansion(name: str, value: Any) -> np.ndarray:
    """Five annual expansion rates, one per motion (a dict by motion name, or 5 values)."""
    if isinstance(value, dict):
        rates: list[Any] = [0.0] * len(MOTIONS)
        for key, rate in value.items():
            rates[_motion_index(name, key)] = rate
        value = rates
    elif isinstance(value, pd.Series) and not isinstance(value.index, pd.RangeIndex):
        return _expansion(name, value.to_dict())
    x = _args.numbers(name, value, minimum=0, what="an annual expansion rate such as 0.08")
    if x.size != len(MOTIONS):
        raise _args.InputError(
            f"{name}: expected {len(MOTIONS)} rates (one per motion: {', '.join(MOTIONS)}), got {x.size}"
        )
    return reject(name, x, x > NRR_MAX, f"an annual expansion rate such as 0.08 (at most {NRR_MAX:g})")


def _losses(churn: Any, contraction: Any) -> tuple[float, float]:
    c = float(_fraction("churn", [_args.number("churn", churn, what=_FRACTION)])[0])
    d = float(
        _fraction("contraction", [_args.number("contraction", contraction, what=_FRACTION)])[0]
    )
    if c + d > 1 + 1e-12:
        raise _args.InputError(f"contraction: expected churn + contraction at most 1, got {c + d:g}")
    return c, d


def _steps(value: Any) -> str:
    if _omitted(value):
        return "monthly"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (1, 12):
        return "monthly" if value == 12 else "annual"
    return str(_args.choices("steps", [value], STEPS)[0])


def _money(name: str, value: Any) -> float:
    return 0.0 if _omitted(value) and name != "starting_arr" else _args.number(name, value, minimum=0)


def _horizon(value: Any) -> int:
    y = _args.integer("years", value, minimum=1)
    if y > YEARS_MAX:
        raise _args.fail("years", f"a whole number of years from 1 to {YEARS_MAX}", y)
    return y


# --------------------------------------------------------------------------- building blocks


def plan_nrr(churn: Any, contraction: Any, expansion: Any) -> float:
    """NRR implied by annual rates: 1 + Σ expansion − churn − contraction.

    >>> round(plan_nrr(0.06, 0.04, [0.1, 0.05, 0.05, 0.0, 0.0]), 4)
    1.1
    """
    c, d = _losses(churn, contraction)
    return float(1.0 + _expansion("expansion", expansion).sum() - c - d)


def playbook_expansion_rates(
    starting_arr: Any,
    customers: Any,
    triggers_per_quarter: Any,
    close_rates: Any = None,
    deal_sizes: Any = None,
    plays: Any = None,
) -> np.ndarray:
    """Annual expansion rate per motion built from the playbook (SPEC §4).

    Expansion $ a year = triggers per quarter × 4 × close rate × deal size, as a share of
    ``starting_arr`` (so it scales with the base as the base grows). Defaults: close rate
    of the plays table; deal size = expected ARR increase share × average customer ARR
    (starting_arr / customers). Per-motion arguments take 5 values (or a dict by motion);
    a single value applies to every motion.

    >>> playbook_expansion_rates(10_000_000, 200, [10, 5, 5, 2, 2]).round(4).tolist()
    [0.015, 0.013, 0.012, 0.0075, 0.008]
    """
    start = _args.number("starting_arr", starting_arr, minimum=0)
    if start <= 0:
        raise _args.fail("starting_arr", "a number above 0", start)
    n = _args.number("customers", customers, minimum=1, what="a number of customers")
    table = playbook.plays_table(plays)
    triggers = _per_motion("triggers_per_quarter", triggers_per_quarter)
    close = table["close_rate"].to_numpy(float) if _omitted(close_rates) else _per_motion("close_rates", close_rates)
    reject("close_rates", close, close > 1, _FRACTION)
    if _omitted(deal_sizes):
        deal = table["arr_increase_share"].to_numpy(float) * start / n
    else:
        deal = _per_motion("deal_sizes", deal_sizes)
    return triggers * 4.0 * close * deal / start


def _per_motion(name: str, value: Any) -> np.ndarray:
    if isinstance(value, dict) or (isinstance(value, pd.Series) and not isinstance(value.index, pd.RangeIndex)):
        return _by_motion_dict(name, dict(value))
    x = _args.numbers(name, value, minimum=0)
    if x.size == 1:
        return np.full(len(MOTIONS), x[0])
    if x.size != len(MOTIONS):
        raise _args.InputError(f"{name}: expected 1 or {len(MOTIONS)} values (one per motion), got {x.size}")
    return x


def _by_motion_dict(name: str, value: dict) -> np.ndarray:
    out = np.zeros(len(MOTIONS))
    for key, v in value.items():
        i = _motion_index(name, key)
        out[i] = _args.number(f"{name} {MOTIONS[i]}", v, minimum=0)
    return out


def _motion_index(name: str, key: Any) -> int:
    """Position in MOTIONS of a motion named as a dict key (case and spacing ignored)."""
    i = _MOTION_INDEX.get(_args.normalize_key(key))
    if i is None:
        raise _args.fail(name, "motions among " + ", ".join(MOTIONS), key)
    return i


# --------------------------------------------------------------------------- the core


def _run(
    start: float,
    churn: np.ndarray,
    contraction: np.ndarray,
    expansion: np.ndarray,
    new_logo: float,
    per_year: int,
    *,
    flows: bool = False,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> dict[str, np.ndarray]:
    """Step every path; rates are (years, paths) and (years, paths, motions).

    A year's new-logo ARR lands in equal parts at the end of each step (monthly: a
    twelfth a month; annual: all at year end). Returns ``arr`` (steps + 1, paths) and,
    with ``flows``, the pools, the flows of the ARR held at the start of each year (the
    cohort NRR is measured on) and ``fresh``: the year's landed logos still held at its
    end. Only time steps loop; paths and motions are vectorized.
    """
    n_years, n_paths, n_motions = expansion.shape
    n_steps = n_years * per_year
    landed = float(new_logo) / per_year
    arr = np.empty((n_steps + 1, n_paths))
    base, new = np.full(n_paths, float(start)), np.zeros(n_paths)
    exp_pool = np.zeros((n_motions, n_paths))  # motions × paths: rows are contiguous
    arr[0] = start
    if flows:
        pools_base, pools_new = np.empty((n_steps + 1, n_paths)), np.empty((n_steps + 1, n_paths))
        pools_exp = np.empty((n_steps + 1, n_paths, n_motions))
        flow_exp = np.empty((n_steps, n_paths, n_motions))
        flow_churn, flow_contraction = np.empty((n_steps, n_paths)), np.empty((n_steps, n_paths))
        fresh_end = np.empty((n_years, n_paths))
        pools_base[0], pools_new[0], pools_exp[0] = base, new, exp_pool.T
    years = range(n_years) if progress is None else progress(range(n_years))
    for y in years:
        rates = np.ascontiguousarray(expansion[y].T)  # motions × paths
        total_exp = rates.sum(axis=0)
        net = 1.0 + total_exp - churn[y] - contraction[y]  # ≥ 0: churn + contraction ≤ 1
        g = np.power(net, 1.0 / per_year)
        s = np.ones(n_paths)  # S = 1 + g + … + g^(k-1), Horner: no 0/0 when g = 1
        for _ in range(per_year - 1):
            s = s * g + 1.0
        step_exp = rates / s
        step_churn, step_contraction = churn[y] / s, contraction[y] / s
        keep = 1.0 - step_churn - step_contraction
        grow = keep + total_exp / s  # = g: ARR of every path grows by it each step
        fresh = np.zeros(n_paths)
        for k in range(per_year):
            t = y * per_year + k
            current = arr[t]
            gained = step_exp * current
            base = base * keep
            new = new * keep + landed
            exp_pool = exp_pool * keep + gained
            arr[t + 1] = current * grow + landed
            if flows:
                cohort = current - fresh  # the ARR held at the start of the year, today
                flow_exp[t] = (step_exp * cohort).T
                flow_churn[t] = cohort * step_churn
                flow_contraction[t] = cohort * step_contraction
                fresh = fresh * grow + landed
                pools_base[t + 1], pools_new[t + 1], pools_exp[t + 1] = base, new, exp_pool.T
        if flows:
            fresh_end[y] = fresh
    out = {"arr": arr, "exp_final": exp_pool}
    if flows:
        out.update(
            base=pools_base, new=pools_new, exp=pools_exp, flow_exp=flow_exp,
            flow_churn=flow_churn, flow_contraction=flow_contraction, fresh=fresh_end,
        )
    return out


# --------------------------------------------------------------------------- a plan


class _Plan(NamedTuple):
    """A plan's arguments, checked: what simulate_nrr and monte_carlo_nrr share."""

    start: float
    horizon: int  # years
    churn: float
    contraction: float
    expansion: np.ndarray  # the five annual rates
    new_logo: float  # a year
    steps: str  # one of STEPS


def _plan(starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year, steps) -> _Plan:
    start = _money("starting_arr", starting_arr)
    horizon = _horizon(years)
    c, d = _losses(churn, contraction)
    rates = _expansion("expansion", expansion)
    logos = _money("new_logo_arr_per_year", new_logo_arr_per_year)
    return _Plan(start, horizon, c, d, rates, logos, _steps(steps))


def _deterministic(plan: _Plan, *, flows: bool = False) -> dict[str, np.ndarray]:
    """The plan's one path (its rates every year), as :func:`_run` returns it."""
    shape = (plan.horizon, 1)
    return _run(
        plan.start, np.full(shape, plan.churn), np.full(shape, plan.contraction),
        np.broadcast_to(plan.expansion, (*shape, len(MOTIONS))), plan.new_logo,
        _PER_YEAR[plan.steps], flows=flows,
    )


# --------------------------------------------------------------------------- deterministic


@dataclass
class NrrSimulation:
    """A deterministic projection; every table is a DataFrame ready for altair or Excel."""

    path: pd.DataFrame  # per step: step, year, arr, retained_base, <5 motions>, new_logos
    years: pd.DataFrame  # per year: flows, nrr, grr, expansion share
    cohorts: pd.DataFrame  # per year end: year, cohort, arr (long format)
    nrr: float  # annual NRR of the plan
    grr: float  # annual GRR of the plan
    expansion: np.ndarray = field(repr=False)  # the five annual rates used
    steps: str = "monthly"

    @property
    def final_arr(self) -> float:
        return float(self.path["arr"].iloc[-1])


def simulate_nrr(
    starting_arr: Any,
    years: Any = DEFAULT_YEARS,
    churn: Any = DEFAULT_CHURN,
    contraction: Any = DEFAULT_CONTRACTION,
    expansion: Any = DEFAULT_EXPANSION,
    new_logo_arr_per_year: Any = 0.0,
    steps: Any = "monthly",
) -> NrrSimulation:
    """Deterministic projection of ARR with annual rates (see the module docstring).

    ``expansion``: five annual expansion rates (a dict by motion, or 5 values in the order
    of ``playbook.MOTIONS``), e.g. from :func:`playbook_expansion_rates`.

    >>> sim = simulate_nrr(10_000_000, 2, 0.08, 0.04, [0.1, 0.08, 0.06, 0.04, 0.04], 1_000_000, "annual")
    >>> sim.path["arr"].round().tolist()
    [10000000.0, 13000000.0, 16600000.0]
    >>> sim.years[["year", "nrr", "grr"]].round(4).values.tolist()
    [[1.0, 1.2, 0.88], [2.0, 1.2, 0.88]]
    """
    plan = _plan(starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year, steps)
    start, horizon, c, d, rates, logos, mode = plan
    per_year = _PER_YEAR[mode]
    run = _deterministic(plan, flows=True)
    n_steps = horizon * per_year
    path = pd.DataFrame({"step": np.arange(n_steps + 1), "year": np.arange(n_steps + 1) / per_year})
    path["arr"] = run["arr"][:, 0]
    path["retained_base"] = run["base"][:, 0]
    for i, motion in enumerate(MOTIONS):
        path[motion] = run["exp"][:, 0, i]
    path["new_logos"] = run["new"][:, 0]

    year_of_step = np.arange(n_steps) // per_year
    flows_exp = pd.DataFrame(run["flow_exp"][:, 0, :], columns=list(MOTIONS)).groupby(year_of_step).sum()
    churned = pd.Series(run["flow_churn"][:, 0]).groupby(year_of_step).sum().to_numpy()
    contracted = pd.Series(run["flow_contraction"][:, 0]).groupby(year_of_step).sum().to_numpy()
    year_ends = run["arr"][::per_year, 0]
    table = pd.DataFrame({"year": np.arange(1, horizon + 1, dtype=float)})
    table["starting_arr"] = year_ends[:-1]
    table["expansion"] = flows_exp.sum(axis=1).to_numpy()
    for motion in MOTIONS:
        table[motion] = flows_exp[motion].to_numpy()
    table["contraction"] = contracted
    table["churn"] = churned
    table["new_logo_arr"] = logos
    fresh = run["fresh"][:, 0]
    table["new_logo_retained"] = fresh  # the year's new logos still held at its end
    table["ending_arr"] = year_ends[1:]
    begin = table["starting_arr"].to_numpy()
    kept = begin > 0
    # NRR and GRR of the year's cohort, by SPEC §6's formulas (blank when nobody is a customer)
    table["nrr"] = _ratio(begin + table["expansion"].to_numpy() - contracted - churned, begin, kept)
    table["grr"] = _ratio(begin - contracted - churned, begin, kept)
    new_arr = table["expansion"].to_numpy() + logos
    table["expansion_share"] = _ratio(table["expansion"].to_numpy(), new_arr, new_arr > 0)

    growth = _ratio(year_ends[1:] - fresh, year_ends[:-1], year_ends[:-1] > 0)  # cohort growth a year
    growth = np.nan_to_num(growth, nan=0.0)
    amounts = np.r_[start, fresh]
    rows = []
    for j, amount in enumerate(amounts):  # horizon ≤ 50: a small table
        value = amount * np.r_[np.ones(1), np.cumprod(growth[j:])]
        for k, v in enumerate(value):
            rows.append((j + k, "Starting base" if j == 0 else f"Year {j} logos", j, v))
    cohorts = pd.DataFrame(rows, columns=["year", "cohort", "acquired", "arr"])
    return NrrSimulation(
        path=path, years=table, cohorts=cohorts, nrr=1.0 + float(rates.sum()) - c - d,
        grr=1.0 - c - d, expansion=rates, steps=mode,
    )


def _ratio(top: np.ndarray, bottom: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return np.divide(top, bottom, out=np.full(np.shape(top), np.nan), where=ok)


# --------------------------------------------------------------------------- goal-seek


def goal_seek_expansion(target_nrr: Any, churn: Any, contraction: Any, expansion: Any) -> pd.DataFrame:
    """Expansion per motion, scaled uniformly, that reaches ``target_nrr`` (closed form).

    NRR = 1 + k × Σ expansion − churn − contraction, so k = (target − GRR) / Σ expansion.
    Vectorized over targets: one row per target with the scale ``k``, the total and each
    motion's required rate. With no expansion at all the motions share it equally; a
    target at or below GRR needs no expansion (scale 0; NRR cannot fall below GRR here).

    >>> goal_seek_expansion([1.1, 1.2], 0.08, 0.04, [0.1, 0.05, 0.05, 0.0, 0.0])[["target_nrr", "scale"]].round(4).values.tolist()
    [[1.1, 1.1], [1.2, 1.6]]
    """
    targets = _args.numbers("target_nrr", target_nrr, minimum=0, what=_RATE)
    if (targets > NRR_MAX).any():
        i = int(np.argmax(targets > NRR_MAX))
        raise _args.fail("target_nrr", f"{_RATE} (at most {NRR_MAX:g})", float(targets[i]))
    c, d = _losses(churn, contraction)
    rates = _expansion("expansion", expansion)
    total = rates.sum()
    mix = rates / total if total > 0 else np.full(len(MOTIONS), 1.0 / len(MOTIONS))
    needed = np.maximum(0.0, targets - (1.0 - c - d))
    out = pd.DataFrame({"target_nrr": targets})
    out["scale"] = needed / total if total > 0 else np.nan
    out["required_expansion"] = needed
    for i, motion in enumerate(MOTIONS):
        out[motion] = needed * mix[i]
    out["reachable_nrr"] = 1.0 - c - d + needed
    return out


# --------------------------------------------------------------------------- Excel UDFs

_EXP_DOC = "Five annual expansion rates, one per motion in SPEC order (Seat expansion, Tier upgrade, Usage expansion, Cross-department, Cross-sell)"


@xw.func
@xw.arg("starting_arr", doc="ARR today, $", err_to_str=True)
@xw.arg("years", doc="Horizon in whole years (1 to 50)", err_to_str=True)
@xw.arg("churn", doc="Annual gross churn as a fraction of ARR, e.g. 0.08", err_to_str=True)
@xw.arg("contraction", doc="Annual contraction as a fraction of ARR, e.g. 0.04", err_to_str=True)
@xw.arg("expansion", doc=_EXP_DOC, err_to_str=True)
@xw.arg("new_logo_arr_per_year", doc="Optional new-logo ARR a year, $ (monthly: a twelfth lands each month; annual: at year end); default 0", err_to_str=True)
@xw.arg("steps", doc="Optional 'monthly' (default) or 'annual'", err_to_str=True)
def NRR_SIMULATE(starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year=None, steps=None):
    """Table of year, ARR and its split (retained base, expansion by motion, new logos). Example: =NRR_SIMULATE(10000000, 5, 0.08, 0.04, B2:B6)"""
    sim = simulate_nrr(starting_arr, years, churn, contraction, expansion, new_logo_arr_per_year, steps)
    return _args.to_excel(sim.path.drop(columns="step"))


@xw.func
@xw.arg("target_nrr", doc="Target NRR as a fraction, e.g. 1.2 (a cell or a column)", err_to_str=True)
@xw.arg("churn", doc="Annual gross churn as a fraction of ARR", err_to_str=True)
@xw.arg("contraction", doc="Annual contraction as a fraction of ARR", err_to_str=True)
@xw.arg("expansion", doc="Current five annual expansion rates, one per motion (their mix is kept)", err_to_str=True)
def NRR_GOAL_SEEK(target_nrr, churn, contraction, expansion):
    """Expansion per motion (current mix scaled uniformly) needed to reach a target NRR. Example: =NRR_GOAL_SEEK(1.2, 0.08, 0.04, B2:B6)"""
    return _args.to_excel(goal_seek_expansion(target_nrr, churn, contraction, expansion))
