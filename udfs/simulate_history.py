"""The NRR simulation started from a measured ARR history, and its account bootstrap.

:func:`measured_plan` reads an ARR history (account_id, month, arr: one row per
account-month; an account-month absent within the history's span is 0, SPEC §6) and
measures what the simulation needs over the last 12 months, point to point per account
over C = the accounts with ARR 12 months before the last month:

- churn = Σ arr(m−12) of the accounts at 0 in month m, / Σ arr(m−12) over C;
- contraction = the rest of the decrease, expansion = Σ max(0, arr(m) − arr(m−12)),
  each / Σ arr(m−12); so 1 + expansion − contraction − churn is the trailing-12-month
  NRR Σ arr(m) / Σ arr(m−12) over C;
- starting ARR and customers from month m; new-logo ARR = the first month's ARR of the
  accounts first billed in the last 12 months.

Expansion is split by motion in proportion to the won expansion opportunities of the
same 12 months when an opportunities table says which motion each one was; otherwise by
the playbook (the expected value of one play of each motion, SPEC §4) and marked assumed.

:func:`bootstrap_nrr` resamples the accounts of C with replacement (as many as C holds)
to draw each path's rates (once per path, or every year), so the fan's width is the
uncertainty the history itself carries: a book of 40 accounts gives a wide fan, one of
4,000 a narrow one.

>>> history = {"account_id": ["a", "a", "b", "b"], "month": ["2025-01", "2026-01"] * 2, "arr": [100, 130, 100, 0]}
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

from . import _args, playbook
from .pipeline import omitted as _omitted
from .simulate import (
    DEFAULT_PATHS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    MOTIONS,
    MonteCarlo,
    _paths,
    _plan,
    _redraw,
    fan_from_rates,
)

__all__ = ["MeasuredPlan", "measured_plan", "playbook_mix", "resample_rates", "bootstrap_nrr", "RESAMPLE_MAX"]

RESAMPLE_MAX = 300_000_000  # paths × draws × accounts resampled: a few seconds at most
_CHUNK = 2_000_000  # accounts resampled at once (rows × accounts): about 16 MB per array
WINDOW = 12  # months: the trailing window the rates are measured on


# --------------------------------------------------------------------------- reading


def _frame(name: str, value: Any, required: tuple[str, ...]) -> pd.DataFrame:
    if isinstance(value, dict):
        value = pd.DataFrame(value)
    frame = _args.table(name, value)
    for col in required:
        if col not in frame.columns:
            raise ValueError(f"{name}: expected a column {col!r} in the header row")
    return frame


def _months(name: str, raw: pd.Series) -> np.ndarray:
    """Month of each row as a count of months since year 0 (dates, 'YYYY-MM', serials)."""
    values = raw.astype(object)
    numeric = values.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool))
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if numeric.any():  # Excel date serials
        parsed[numeric] = pd.to_datetime(values[numeric].astype(float), unit="D", origin="1899-12-30", errors="coerce")
    rest = ~numeric
    if rest.any():
        text = values[rest].map(lambda v: v if isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year") else str(v).strip())
        parsed[rest] = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise _args.fail(name, "a month (a date or YYYY-MM)", values.iloc[i], i)
    return (parsed.dt.year * 12 + parsed.dt.month - 1).to_numpy(dtype=np.int64)


def _label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


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


def _won_mix(opportunities: Any, first: int, last: int) -> tuple[np.ndarray, float]:
    """Won expansion $ per motion closed in months first..last, and its total."""
    frame = _frame("opportunities", opportunities, ("motion", "amount", "close_date", "status"))
    status = frame["status"].map(_args.normalize_key).to_numpy()
    motion = frame["motion"].map(_args.normalize_key)
    index = {_args.normalize_key(m): i for i, m in enumerate(MOTIONS)}
    position = motion.map(index).to_numpy()
    keep = (status == "won") & pd.notna(position)
    won = np.zeros(len(MOTIONS))
    if keep.any():
        sub = frame.loc[keep]
        month = _months("opportunities close_date", sub["close_date"].reset_index(drop=True))
        amount = _args.numbers("opportunities amount", sub["amount"].tolist(), minimum=0)
        inside = (month >= first) & (month <= last)
        np.add.at(won, position[keep][inside].astype(int), amount[inside])
    return won, float(won.sum())


# --------------------------------------------------------------------------- measuring


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
    new_logo_arr: float  # first-month ARR of the accounts first billed in the last 12 months
    new_logos: int
    logo_churn: float  # share of C at 0 in the last month
    mix_source: str  # 'opportunities' or 'playbook'
    measured: dict[str, bool] = field(default_factory=dict)
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # account_id, arr_then, arr_now over C

    @property
    def nrr(self) -> float:
        return 1.0 + self.expansion_total - self.contraction - self.churn

    @property
    def grr(self) -> float:
        return 1.0 - self.contraction - self.churn


def measured_plan(history: Any, opportunities: Any = None, plays: Any = None) -> MeasuredPlan:
    """Measure churn, contraction, expansion (per motion when ``opportunities`` say
    which), starting ARR, customers and new-logo ARR over the history's last 12 months.

    ``history``: a table (DataFrame, dict of columns or 2-D range with header) with
    account_id, month and arr; several rows of one account-month (subscription lines)
    add up. Needs at least 13 months; a bad month or ARR is a named error.
    """
    frame = _frame("history", history, ("account_id", "month", "arr"))
    if frame.empty:
        raise ValueError("history: expected rows of account_id, month and arr, got only the header")
    ids = frame["account_id"]
    blank = ids.map(_args.is_blank).to_numpy(dtype=bool)
    if blank.any():
        i = int(np.argmax(blank))
        raise _args.fail("history account_id", "an account id on every row", ids.iloc[i], i)
    month = _months("history month", frame["month"])
    arr, bad = _args.coerce_numeric(frame["arr"])
    bad |= np.isnan(arr) | (arr < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise _args.fail("history arr", "a non-negative ARR in $", frame["arr"].iloc[i], i)
    codes, names = pd.factorize(ids.map(str))
    first_month, last = int(month.min()), int(month.max())
    if last - first_month < WINDOW:
        raise ValueError(
            f"history: expected at least {WINDOW + 1} months to measure the last {WINDOW} months, "
            f"got {last - first_month + 1} ({_label(first_month)} to {_label(last)})"
        )
    n = len(names)
    now = np.bincount(codes[month == last], weights=arr[month == last], minlength=n)
    then = np.bincount(codes[month == last - WINDOW], weights=arr[month == last - WINDOW], minlength=n)
    in_c = then > 0
    base = float(then[in_c].sum())
    gone = in_c & (now <= 0)
    down = in_c & (now > 0) & (now < then)
    churned = float(then[gone].sum())
    contracted = float((then - now)[down].sum())
    expanded = float(np.maximum(0.0, now - then)[in_c].sum())
    rate = (lambda x: x / base) if base > 0 else (lambda x: 0.0)

    # new logos: first month with arr > 0 inside the window, at its first month's ARR
    paying = arr > 0
    account_month = pd.DataFrame({"a": codes[paying], "m": month[paying], "arr": arr[paying]})
    by_month = account_month.groupby(["a", "m"], sort=True)["arr"].sum().reset_index()
    firsts = by_month.drop_duplicates("a", keep="first")
    landed = firsts[(firsts["m"] > last - WINDOW) & (firsts["m"] > first_month)]

    exp_total = rate(expanded)
    won, won_total = (np.zeros(len(MOTIONS)), 0.0) if _omitted(opportunities) else _won_mix(
        opportunities, last - WINDOW + 1, last
    )
    if won_total > 0:
        mix, source = won / won_total, "opportunities"
    else:
        mix, source = playbook_mix(plays), "playbook"
    measured = {
        "starting_arr": True, "customers": True, "churn": base > 0, "contraction": base > 0,
        "expansion": base > 0, "expansion_by_motion": source == "opportunities" and base > 0,
        "new_logo_arr": True,
    }
    pairs = pd.DataFrame({"account_id": np.asarray(names)[in_c], "arr_then": then[in_c], "arr_now": now[in_c]})
    return MeasuredPlan(
        month=_label(last), months=last - first_month + 1, starting_arr=float(now.sum()),
        customers=int((now > 0).sum()), base_arr=base, accounts=int(in_c.sum()),
        churn=rate(churned), contraction=rate(contracted), expansion_total=exp_total,
        expansion=exp_total * mix, new_logo_arr=float(landed["arr"].sum()), new_logos=len(landed),
        logo_churn=float(gone.sum() / in_c.sum()) if in_c.any() else float("nan"),
        mix_source=source, measured=measured, pairs=pairs,
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

    >>> m = measured_plan({"account_id": ["a", "a", "b", "b"], "month": ["2025-01", "2026-01"] * 2, "arr": [100, 130, 100, 0]})
    >>> resample_rates(m, paths=4, seed=1).shape
    (1, 4, 3)
    """
    m = measured if isinstance(measured, MeasuredPlan) else measured_plan(measured)
    if m.accounts == 0:
        raise ValueError("history: expected accounts with ARR 12 months before the last month, got none")
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
        counts = np.bincount(idx.ravel(), minlength=k * n).reshape(k, n)
        sums = counts @ parts  # (chunk, 4)
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
        raise ValueError(
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
