"""Benchmark the NRR compounding engine (issue 4).

1. Monte Carlo: 10,000 paths × 60 monthly steps × 5 motions (target ≤ 0.5 s) against a
   plain Python loop of the same model (per path, step and motion), timed on a subsample
   of paths in the same run and extrapolated; the loop's paths are checked to equal the
   engine's.
2. The account bootstrap fan: 10,000 paths × 60 monthly steps resampling the accounts
   of an ARR history (the bundled sample when there is one, else 1,000 generated
   accounts), against a plain Python loop (random.choices per path) on a subsample.
3. A "slider change" in the app (the churn input): every output's compute (goal-seek,
   projection, NRR/GRR per year, expansion share and benchmarks, scenarios, Monte Carlo
   and bootstrap fans) (target ≤ 150 ms), against the same outputs from plain Python
   loops. Also times the whole notebook (every cell, altair specs included) for reference.

Run: .venv/bin/python bench/bench_simulate.py
"""

from __future__ import annotations

import importlib.util
import math
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import udfs  # noqa: E402
from udfs import (  # noqa: E402
    MOTIONS,
    bootstrap_nrr,
    expansion_share,
    expansion_share_benchmark,
    goal_seek_expansion,
    grr,
    measured_plan,
    monte_carlo_nrr,
    nrr,
    nrr_benchmark,
    nrr_stage,
    plan_nrr,
    resample_rates,
    simulate_nrr,
)

START, YEARS, CHURN, CONTRACTION = 10_000_000.0, 5, 0.08, 0.04
RATES = [0.08, 0.06, 0.05, 0.03, 0.02]
NEW_LOGO, PATHS, SPREAD, SEED, TARGET = 2_000_000.0, 10_000, 0.25, 42, 25_000_000.0
PER_YEAR = 12
SAMPLE_HISTORY = ROOT / "workbook" / "sample_arr_history.csv"


def history() -> tuple[pd.DataFrame, str]:
    """The bundled sample ARR history, else 1,000 accounts × 25 months generated here."""
    if SAMPLE_HISTORY.exists():
        return pd.read_csv(SAMPLE_HISTORY), SAMPLE_HISTORY.name
    rng = np.random.default_rng(0)
    n, months = 1_000, 25
    events = rng.random((n, months - 1))
    step = np.where(events < 0.008, 0.0, np.where(events < 0.03, 0.8, np.where(events < 0.08, 1.25, 1.0)))
    arr = rng.lognormal(10, 1, n)[:, None] * np.c_[np.ones(n), np.cumprod(step, axis=1)]
    frame = pd.DataFrame({
        "account_id": np.repeat(np.arange(n), months),
        "month": np.tile(pd.period_range("2024-01", periods=months, freq="M").astype(str), n),
        "arr": arr.ravel(),
    })
    return frame[frame["arr"] > 0], f"{n:,} generated accounts"


def python_bootstrap(pairs, paths: int, seed: int):
    """Each path: resample the accounts with random.choices, sum its churn, contraction
    and expansion, then run the model one step at a time (the plain-Python baseline)."""
    rnd = random.Random(seed)
    then, now = pairs["arr_then"].tolist(), pairs["arr_now"].tolist()
    n = len(then)
    out = []
    for _ in range(paths):
        pick = rnd.choices(range(n), k=n)
        base = sum(then[i] for i in pick)
        churned = sum(then[i] for i in pick if now[i] <= 0)
        down = sum(then[i] - now[i] for i in pick if 0 < now[i] < then[i])
        up = sum(max(0.0, now[i] - then[i]) for i in pick)
        out.append((churned / base, down / base, up / base))
    return out


def best_of(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


# --------------------------------------------------------------------------- plain Python


def draws(paths: int, seed: int, rates, spread: float):
    """The engine's rate draws (same generator, same order; each path keeps its rates
    for the whole horizon, the default), as nested Python lists indexed [year][path]."""
    rng = np.random.default_rng(seed)

    def factor(shape):
        return np.exp(spread * rng.standard_normal(shape) - 0.5 * spread * spread)

    ch = CHURN * factor((1, paths))
    co = CONTRACTION * factor((1, paths))
    ex = np.asarray(rates) * factor((1, paths, len(MOTIONS)))
    over = ch + co
    squeeze = np.where(over > 1, 1 / np.where(over > 1, over, 1), 1)
    ch, co = np.repeat(ch * squeeze, YEARS, axis=0), np.repeat(co * squeeze, YEARS, axis=0)
    return ch.tolist(), co.tolist(), np.repeat(ex, YEARS, axis=0).tolist()


def python_paths(start, churn, contraction, expansion, new_logo, per_year, which):
    """The engine's model, one path, one step, one motion at a time."""
    out = []
    for p in which:
        base, new, pools, arr = start, 0.0, [0.0] * len(MOTIONS), start
        traj = [arr]
        for y in range(len(churn)):
            e, c, d = expansion[y][p], churn[y][p], contraction[y][p]
            net = 1.0 + sum(e) - c - d
            g = net ** (1.0 / per_year)
            s = 1.0
            for _ in range(per_year - 1):
                s = s * g + 1.0
            keep = 1.0 - c / s - d / s
            for _ in range(per_year):
                gained = [arr * (em / s) for em in e]
                base *= keep
                new = new * keep + new_logo / per_year  # a year's logos land in equal parts
                pools = [x * keep + gm for x, gm in zip(pools, gained, strict=True)]
                arr = base + sum(pools) + new
                traj.append(arr)
        out.append(traj)
    return out


def python_percentiles(trajectories):
    """P10/P50/P90 per step by sorting each step's column (numpy's linear rule)."""
    fan = []
    n = len(trajectories)
    for t in range(len(trajectories[0])):
        col = sorted(tr[t] for tr in trajectories)
        row = []
        for q in (0.1, 0.5, 0.9):
            pos = q * (n - 1)
            lo = math.floor(pos)
            hi = min(lo + 1, n - 1)
            row.append(col[lo] + (col[hi] - col[lo]) * (pos - lo))
        fan.append(row)
    return fan


def python_projection(start, r, years, new_logo):
    arr, out = start, [start]
    for _ in range(years):
        arr = arr * r + new_logo
        out.append(arr)
    return out


def python_outputs(churn, paths_sample, pairs):
    """Every output of the app with plain loops (fans on ``paths_sample`` paths)."""
    total = sum(RATES)
    grr_value = 1 - churn - CONTRACTION
    targets = [1.0, 1.1, 1.2, 1.3]
    goal = [[max(0.0, t - grr_value) * r / total for r in RATES] for t in targets]
    used = RATES
    det = python_paths(START, [[churn]] * YEARS, [[CONTRACTION]] * YEARS, [[used]] * YEARS, NEW_LOGO, PER_YEAR, [0])[0]
    per_year = []
    for y in range(YEARS):
        begin = det[y * PER_YEAR]
        exp = begin * sum(used)
        per_year.append(((begin + exp - begin * (churn + CONTRACTION)) / begin, 1 - churn - CONTRACTION, exp / (exp + NEW_LOGO)))
    scenarios = [
        python_paths(START, [[churn]] * YEARS, [[CONTRACTION]] * YEARS, [[g]] * YEARS, NEW_LOGO, PER_YEAR, [0])[0]
        for g in [*goal, used]
    ]
    ch, co, ex = draws(paths_sample, SEED, used, SPREAD)
    fan = python_percentiles(python_paths(START, ch, co, ex, NEW_LOGO, PER_YEAR, range(paths_sample)))
    boot = python_bootstrap(pairs, paths_sample, SEED)
    b_ch = [[r[0] for r in boot]] * YEARS
    b_co = [[r[1] for r in boot]] * YEARS
    b_ex = [[[r[2] * x / total for x in RATES] for r in boot]] * YEARS
    boot_fan = python_percentiles(python_paths(START, b_ch, b_co, b_ex, NEW_LOGO, PER_YEAR, range(paths_sample)))
    return goal, per_year, scenarios, fan, boot_fan


# --------------------------------------------------------------------------- engine


def engine_outputs(churn, measured, resampled):
    """Every output's compute in the app (the calls the notebook cells make; the accounts'
    resample does not depend on the churn input, so the app reuses it as here)."""
    goal = goal_seek_expansion([1.0, 1.1, 1.2, 1.3], churn, CONTRACTION, RATES)
    used_nrr = plan_nrr(churn, CONTRACTION, RATES)
    sim = simulate_nrr(START, YEARS, churn, CONTRACTION, RATES, NEW_LOGO, "monthly")
    y = sim.years
    per_year = (
        nrr(y["starting_arr"], y["expansion"], y["contraction"], y["churn"]),
        grr(y["starting_arr"], y["contraction"], y["churn"]),
        expansion_share_benchmark(expansion_share(y["expansion"], NEW_LOGO), y["starting_arr"]),
    )
    band = (nrr_stage(START), nrr_benchmark(START, used_nrr))
    scenarios = [
        simulate_nrr(START, YEARS, churn, CONTRACTION, r, NEW_LOGO, "monthly")
        for r in [*goal[list(MOTIONS)].to_numpy(float), RATES]
    ]
    mc = monte_carlo_nrr(
        START, YEARS, churn, CONTRACTION, RATES, NEW_LOGO, "monthly",
        paths=PATHS, spread=SPREAD, correlation=-0.3, seed=SEED, target_arr=TARGET,
    )
    boot = bootstrap_nrr(
        measured, START, YEARS, churn, CONTRACTION, RATES, NEW_LOGO, "monthly",
        paths=PATHS, seed=SEED, target_arr=TARGET, resampled=resampled,
    )
    return goal, sim, per_year, band, scenarios, mc, boot


def main() -> None:
    print(f"upcell NRR engine bench · numpy {np.__version__} · Python {sys.version.split()[0]}")
    print()

    # 1. Monte Carlo ------------------------------------------------------------------
    def mc():
        return monte_carlo_nrr(
            START, YEARS, CHURN, CONTRACTION, RATES, NEW_LOGO, "monthly",
            paths=PATHS, spread=SPREAD, seed=SEED, target_arr=TARGET, keep_paths=True,
        )

    result = mc()
    best, median = best_of(mc, 7)
    sample = 300
    ch, co, ex = draws(PATHS, SEED, RATES, SPREAD)
    t = time.perf_counter()
    loop = python_paths(START, ch, co, ex, NEW_LOGO, PER_YEAR, range(sample))
    python_percentiles(loop)
    loop_time = (time.perf_counter() - t) * PATHS / sample
    diff = np.max(np.abs(np.array(loop).T / result.arr[:, :sample] - 1))
    print(f"Monte Carlo, {PATHS:,} paths × {YEARS * PER_YEAR} monthly steps × {len(MOTIONS)} motions")
    print(f"  engine (numpy, paths vectorized): best {best * 1e3:7.1f} ms · median {median * 1e3:7.1f} ms   (target ≤ 500 ms)")
    print(f"  plain Python loop ({sample} paths, ×{PATHS // sample} extrapolated): {loop_time * 1e3:9.1f} ms")
    print(f"  speed-up: {loop_time / best:,.0f}×   · loop paths equal the engine's: max rel diff {diff:.1e}")
    print(f"  P10/P50/P90 at year {YEARS}: {result.fan['p10'].iloc[-1] / 1e6:.1f}M / "
          f"{result.fan['p50'].iloc[-1] / 1e6:.1f}M / {result.fan['p90'].iloc[-1] / 1e6:.1f}M · "
          f"P(ARR ≥ {TARGET / 1e6:.0f}M) = {result.p_target:.1%}")
    print()

    # 2. The account bootstrap -------------------------------------------------------
    frame, where = history()
    measured = measured_plan(frame)

    def boot():
        return bootstrap_nrr(measured, years=YEARS, paths=PATHS, seed=SEED)

    b = boot()
    best_b, median_b = best_of(boot, 5)
    t = time.perf_counter()
    python_bootstrap(measured.pairs, sample, SEED)
    loop_b = (time.perf_counter() - t) * PATHS / sample
    f = b.fan.iloc[-1]
    print(f"Account bootstrap fan, {PATHS:,} paths × {YEARS * PER_YEAR} monthly steps, resampling "
          f"{measured.accounts:,} accounts ({where})")
    print(f"  engine (numpy): best {best_b * 1e3:7.1f} ms · median {median_b * 1e3:7.1f} ms   (target ≤ 500 ms)")
    print(f"  plain Python resampling only ({sample} paths, ×{PATHS // sample} extrapolated): {loop_b * 1e3:9.1f} ms")
    print(f"  speed-up: {loop_b / best_b:,.0f}× · measured NRR {measured.nrr:.1%} · P10/P50/P90 at year {YEARS}: "
          f"{f['p10'] / 1e6:.1f}M / {f['p50'] / 1e6:.1f}M / {f['p90'] / 1e6:.1f}M")
    print()

    # 3. A slider change --------------------------------------------------------------
    values = iter(np.linspace(0.04, 0.16, 41).tolist() * 10)
    resampled = resample_rates(measured, PATHS, SEED)
    engine_outputs(CHURN, measured, resampled)  # warm
    times = []
    for _ in range(25):
        v = next(values)
        t = time.perf_counter()
        engine_outputs(v, measured, resampled)
        times.append(time.perf_counter() - t)
    best_s, median_s = min(times), statistics.median(times)
    small = 100
    t = time.perf_counter()
    python_outputs(0.09, small, measured.pairs)
    loop_once = time.perf_counter() - t
    # extrapolate the loops' fan part to the full path count
    t = time.perf_counter()
    python_outputs(0.09, 1, measured.pairs)
    fixed = time.perf_counter() - t
    loop_full = fixed + (loop_once - fixed) * PATHS / small
    print("Slider change (churn): every output recomputed (goal-seek, projection, NRR/GRR per year,")
    print(f"expansion share + benchmark, NRR band, 5 scenarios, Monte Carlo and bootstrap fans, {PATHS:,} paths each)")
    print(f"  engine: best {best_s * 1e3:7.1f} ms · median {median_s * 1e3:7.1f} ms   (target ≤ 150 ms of compute)")
    print(f"  plain Python loops (fans extrapolated from {small} paths): {loop_full * 1e3:9.1f} ms")
    print(f"  speed-up: {loop_full / median_s:,.0f}×")

    spec = importlib.util.spec_from_file_location("nrr_compounding", ROOT / "simulations" / "nrr_compounding.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.app.run()  # warm: imports, altair
    best_app, median_app = best_of(module.app.run, 5)
    print(f"  whole notebook, every cell incl. altair chart specs (app.run): median {median_app * 1e3:.0f} ms, best {best_app * 1e3:.0f} ms")
    print()
    print(f"udfs {Path(udfs.__file__).parent.relative_to(ROOT)} · done")


if __name__ == "__main__":
    main()
