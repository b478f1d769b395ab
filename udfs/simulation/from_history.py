"""The NRR simulation started from a measured ARR history, and its account bootstrap.

:func:`measured_plan` reads an ARR history (as :func:`udfs.arr_history.arr_matrix` does:
an account-month absent within the history's span is 0, SPEC §6) and takes what the
simulation needs from the trailing-12-month bridge of its last month, point to point per
account over C = the accounts with ARR 12 months before the last month:

- churn = Σ arr(m−12) of the accounts at 0 in month m, / Σ arr(m−12) over C;
- contraction = the rest of the decrease, expansion = Σ max(0, arr(m) − arr(m−12)),
  each / Σ arr(m−12); so 1 + expansion − contraction − churn is the trailing-12-month
  NRR Σ arr(m) / Σ arr(m−12) over C;
- starting ARR and customers from month m; new-logo ARR = the ``new`` movements of the
  last 12 months (first-month ARR of the accounts first billed in them).

Expansion is split by motion in proportion to the won expansion opportunities of the
four quarters up to the last month's when an opportunities table says which motion (or
type) each one was; otherwise by
the playbook (the expected value of one play of each motion, SPEC §4) and marked assumed.

:func:`bootstrap_nrr` resamples the accounts of C with replacement (as many as C holds)
to draw each path's rates (once per path, or every year), so the fan's width is the
uncertainty the history itself carries: a book of 40 accounts gives a wide fan, one of
4,000 a narrow one.

>>> history = [["account_id", "month", "arr"], ["a", "2025-01", 100], ["a", "2026-01", 130],
...            ["b", "2025-01", 100], ["b", "2026-01", 0]]
>>> m = measured_plan(history)
>>> m.month, m.churn, m.expansion_total, round(m.nrr, 4)
('2026-01', 0.5, 0.15, 0.65)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, _records, playbook
from ..core._args import omitted as _omitted
from ..revenue.arr_history import account_changes, arr_matrix, trailing_retention
from ..revenue.opportunities import read_opportunities
from .compounding import DEFAULT_PATHS, DEFAULT_SEED, DEFAULT_YEARS, MOTIONS, _plan
from .monte_carlo import MonteCarlo, _paths, _redraw, fan_from_rates

__all__ = ["MeasuredPlan", "measured_plan", "playbook_mix", "resample_rates", "bootstrap_nrr", "RESAMPLE_MAX"]

RESAMPLE_MAX = 300_000_000  # paths × draws × accounts resampled: a few seconds at most
_CHUNK = 2_000_000  # accounts resampled at once (rows × accounts): about 16 MB per array


# --------------------------------------------------------------------------- measuring


def playbook_mix(plays: Any = None) -> np.ndarray:
    """Share of expansion per motion by the playbook: the expected value of one play of
    each motion (expected ARR increase × close rate, SPEC §4), normalised to 1.

    >>> playbook_mix().round(3).tolist()
    [0.105, 0.182, 0.168, 0.263, 0.281]
    """
    table = playbook.plays_table(plays)
    value = table["arr_increase_share"].to_numpy(float) * table["close_rate"].to_numpy(float)
    total = value.sum()
    return value / total if total > 0 else np.full(len(MOTIONS), 1.0 / len(MOTIONS))


def _won_by_motion(opportunities: Any, last_month: int) -> np.ndarray:
    """Won expansion $ per motion closed in the four quarters up to ``last_month``'s
    (read by :func:`read_opportunities`: types map to motions, other types are left out)."""
    o = read_opportunities(opportunities)
    q = int(_records.quarter_of_month(np.array([last_month]))[0])
    inside = (o.status == 1) & (o.motion >= 0) & (o.quarter > q - 4) & (o.quarter <= q)
    out = np.zeros(len(MOTIONS))
    np.add.at(out, o.motion[inside].astype(int), o.amount[inside])
    return out


@dataclass
class MeasuredPlan:
    """Rates of the last 12 months of an ARR history; ``measured`` says which are."""

    month: str  # the last month, 'YYYY-MM'
    months: int  # months the history spans
    starting_arr: float  # Σ arr in the last month
    customers: int  # accounts with arr > 0 in the last month
    base_arr: float  # Σ arr 12 months earlier over C
    accounts: int  # |C|
    churn: float
    contraction: float
    expansion_total: float
    expansion: np.ndarray  # per motion, in MOTIONS order
    new_logo_arr: float  # Σ new-logo ARR of the last 12 months (first bills of accounts new in them)
    logo_churn: float  # share of C at 0 in the last month
    mix_source: str  # 'opportunities' or 'playbook'
    measured: dict[str, bool] = field(default_factory=dict)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # account_id, arr_then, arr_now over C
    notes: list[str] = field(default_factory=list)  # what reading the history did (summed duplicate rows, ...)
    # the rest of the bridge to ``starting_arr`` (company ARR now), as the Retention sheet shows it
    ending_arr: float = 0.0  # Σ arr in the last month over C
    new_logo_change: float = 0.0  # the new logos' change since their first bill
    reactivation: float = 0.0  # accounts billed before, at 0 twelve months ago, billed again

    @property
    def nrr(self) -> float:
        return 1.0 + self.expansion_total - self.contraction - self.churn

    @property
    def grr(self) -> float:
        return 1.0 - self.contraction - self.churn


def measured_plan(history: Any, opportunities: Any = None, plays: Any = None) -> MeasuredPlan:
    """Measure churn, contraction, expansion (per motion when ``opportunities`` say
    which), starting ARR, customers and new-logo ARR over the history's last 12 months.

    ``history``: whatever :func:`arr_matrix` reads (account-month or subscription table,
    or an :class:`ArrHistory`); the rates are the trailing-12-month bridge of
    :func:`trailing_retention` over its base. ``opportunities``: an opportunities table
    (as :func:`read_opportunities` reads it); the won expansion ones closed in the four
    quarters up to the last month's split expansion by motion.
    """
    h = arr_matrix(history)
    t = trailing_retention(h)
    pairs = account_changes(h)
    base = float(t["starting_arr"])

    def rate(x: float) -> float:
        return float(x) / base if base > 0 else 0.0

    last = int(h.months[-1])
    won = np.zeros(len(MOTIONS)) if _omitted(opportunities) else _won_by_motion(opportunities, last)
    if won.sum() > 0:
        mix, source = won / won.sum(), "opportunities"
    else:
        mix, source = playbook_mix(plays), "playbook"
    exp_total = rate(t["expansion"])
    measured = {
        "starting_arr": True, "customers": True, "churn": base > 0, "contraction": base > 0,
        "expansion": base > 0, "expansion_by_motion": source == "opportunities" and base > 0,
        "new_logo_arr": True,
    }
    return MeasuredPlan(
        month=str(t["month"]), months=int(h.arr.shape[1]), starting_arr=float(h.arr[:, -1].sum()),
        customers=int(t["customers"]), base_arr=base, accounts=len(pairs),
        churn=rate(t["churn"]), contraction=rate(t["contraction"]), expansion_total=exp_total,
        expansion=exp_total * mix, new_logo_arr=float(t["new_logo_arr"]),
        logo_churn=float("nan") if t["logo_churn"] is None else float(t["logo_churn"]),
        mix_source=source, measured=measured, pairs=pairs, notes=list(h.notes),
        ending_arr=float(t["ending_arr"]), new_logo_change=float(t["new_logo_change"]),
        reactivation=float(t["reactivation"]),
    )


# --------------------------------------------------------------------------- bootstrap


def resample_rates(
    measured: MeasuredPlan | Any,
    paths: Any = DEFAULT_PATHS,
    seed: Any = DEFAULT_SEED,
    draws: Any = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> np.ndarray:
    """Churn, contraction and expansion rates of ``draws`` × ``paths`` resamples of C:
    an array (draws, paths, 3). Each resample draws as many accounts of C as C holds,
    with replacement (seeded). What :func:`bootstrap_nrr` draws; an app computes it once
    and reuses it while only the plan's rates change.

    >>> m = measured_plan([["account_id", "month", "arr"], ["a", "2025-01", 100], ["a", "2026-01", 130],
    ...                    ["b", "2025-01", 100], ["b", "2026-01", 0]])
    >>> resample_rates(m, paths=4, seed=1).shape
    (1, 4, 3)
    """
    m = measured if isinstance(measured, MeasuredPlan) else measured_plan(measured)
    if m.accounts == 0:
        raise _args.InputError("history: expected accounts with ARR 12 months before the last month, got none")
    n_draws = _args.integer("draws", draws, minimum=1)
    n_paths = _args.integer("paths", paths, minimum=1)
    if n_paths * n_draws * m.accounts > RESAMPLE_MAX:
        raise _args.fail(
            "paths",
            f"at most {RESAMPLE_MAX // (n_draws * m.accounts):,} paths to resample {m.accounts:,} accounts "
            f"{n_draws} time(s) each (paths × draws × accounts ≤ {RESAMPLE_MAX:,})",
            n_paths,
        )
    rng = np.random.default_rng(_args.integer("seed", seed, minimum=0))
    then = m.pairs["arr_then"].to_numpy(float)
    now = m.pairs["arr_now"].to_numpy(float)
    parts = np.stack(
        [
            then,
            np.where(now <= 0, then, 0.0),
            np.where((now > 0) & (now < then), then - now, 0.0),
            np.maximum(0.0, now - then),
        ],
        axis=1,
    )  # accounts × 4
    n, rows = then.size, n_draws * n_paths
    out = np.empty((rows, 3))
    step = max(1, _CHUNK // n)
    chunks = range(0, rows, step)
    for lo in chunks if progress is None else progress(chunks):
        k = min(rows, lo + step) - lo
        # how often each account is drawn in each resample, then one matrix product
        idx = rng.integers(0, n, size=(k, n), dtype=np.int32)  # n × k ≤ _CHUNK fits int32
        idx += (np.arange(k, dtype=np.int32) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=k * n).reshape(k, n).astype(float)
        sums = counts @ parts  # (chunk, 4): a float product (BLAS), not numpy's integer loop
        out[lo:lo + k] = sums[:, 1:] / sums[:, :1]
    return out.reshape(n_draws, n_paths, 3)


def bootstrap_nrr(
    measured: MeasuredPlan | Any,
    starting_arr: Any = None,
    years: Any = DEFAULT_YEARS,
    churn: Any = None,
    contraction: Any = None,
    expansion: Any = None,
    new_logo_arr_per_year: Any = None,
    steps: Any = "monthly",
    *,
    paths: Any = DEFAULT_PATHS,
    seed: Any = DEFAULT_SEED,
    redraw: Any = "path",
    target_arr: Any = None,
    keep_paths: bool = False,
    resampled: np.ndarray | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> MonteCarlo:
    """Fan of ARR from resampling the accounts of a measured history (seeded).

    Each path (``redraw="path"``, the default) or each path-year (``"year"``) takes the
    rates of one resample of C (:func:`resample_rates`, or ``resampled`` when already
    drawn for these paths, seed and draws); each rate of the plan is scaled by
    resampled / measured (1 for a rate measured at 0), so the fan is centred on the
    plan: the measured one when the rates are omitted, yours when given. ``measured``:
    a :class:`MeasuredPlan` or an ARR history table. paths × draws × accounts above
    ``RESAMPLE_MAX`` is a named error.
    """
    m = measured if isinstance(measured, MeasuredPlan) else measured_plan(measured)

    def given(value: Any, default: Any) -> Any:
        return default if _omitted(value) else value

    plan = _plan(
        given(starting_arr, m.starting_arr), years, given(churn, m.churn),
        given(contraction, m.contraction), given(expansion, m.expansion),
        given(new_logo_arr_per_year, m.new_logo_arr), steps,
    )
    how = _redraw(redraw)
    n_paths = _paths(paths, plan, how)
    draws = plan.horizon if how == "year" else 1
    if resampled is None:
        resampled = resample_rates(m, n_paths, seed, draws, progress)
    elif np.shape(resampled) != (draws, n_paths, 3):
        raise _args.InputError(
            f"resampled: expected rates for {draws} draw(s) × {n_paths:,} paths, got shape {np.shape(resampled)}"
        )
    measured_rates = np.array([m.churn, m.contraction, m.expansion_total])
    factor = np.divide(resampled, measured_rates, out=np.ones_like(resampled), where=measured_rates > 0)
    ch = plan.churn * factor[..., 0]
    co = plan.contraction * factor[..., 1]
    ex = plan.expansion * factor[..., 2:3]
    over = ch + co
    squeeze = np.where(over > 1.0, 1.0 / np.where(over > 1.0, over, 1.0), 1.0)
    return fan_from_rates(plan, ch * squeeze, co * squeeze, ex, target_arr=target_arr, keep_paths=keep_paths)
