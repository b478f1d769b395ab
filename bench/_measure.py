"""Shared measuring for the benchmarks: the machine's load, and first calls in fresh processes.

A first call in a fresh process pays what later calls do not: the memory it touches for
the first time (page faults, which a virtual machine makes dear), numpy's and pandas'
first-use set-up, lazy imports. ``fresh`` measures it in a new ``python -c`` process per
run (the data is read from a pickle the parent wrote, so the child's set-up leaves little
freed memory behind for the call to reuse) and returns every run; ``summary`` prints the
first run and the best one, each with the load at the time, since the machine is shared.

    from _measure import fresh, load, summary
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent

# the child: set-up (not timed), then the timed statement, once or more in the same process
_CHILD = r"""
import json, os, resource, sys, time
setup, stmt, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
ns = {}
exec(setup, ns)
runs = []
for _ in range(calls):
    load = os.getloadavg()[0]
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    exec(stmt, ns)
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    runs.append({"s": seconds, "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
                 "sys": r1.ru_stime - r0.ru_stime, "load": load,
                 "peak_mb": r1.ru_maxrss / 1024})
print(json.dumps(runs))
"""


def load() -> str:
    """The load averages (1, 5, 15 minutes) and the number of cores, as one line."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f} ({os.cpu_count()} cores, shared)"


def fresh(setup: str, stmt: str, runs: int = 4, calls: int = 1) -> list[list[dict]]:
    """Run ``setup`` then time ``stmt`` (``calls`` times) in ``runs`` fresh processes.

    Returns one list per process of {"s": wall seconds, "cpu", "sys", "load", "peak_mb"}.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)])}
    out = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", _CHILD, setup, stmt, str(calls)], cwd=ROOT,
                              env=env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "child failed")
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
        time.sleep(0.5)
    return out


def summary(label: str, runs: list[list[dict]], target: float | None = None,
            baseline: float | None = None, baseline_label: str = "baseline") -> dict:
    """Print the first process's first call and the best first call of all processes.

    Returns {"first": run, "best": run}; the target is judged on the best first call
    (wall clock, or CPU time when the machine was busy and CPU time is lower).
    """
    firsts = [r[0] for r in runs]
    first, best = firsts[0], min(firsts, key=lambda r: r["s"])

    def line(r):
        return (f"{r['s']:.3f} s wall, {r['cpu']:.3f} s CPU ({r['sys']:.3f} s system), "
                f"load {r['load']:.1f}")

    print(f"  {label}, fresh process, first call:")
    print(f"    first process: {line(first)}")
    print(f"    best of {len(firsts)}:     {line(best)}")
    if len(runs[0]) > 1:
        warm = min((c for r in runs for c in r[1:]), key=lambda r: r["s"])
        print(f"    later calls, best: {line(warm)}")
    if baseline is not None:
        print(f"    ratio: {baseline_label} / best first call = {baseline / best['s']:,.1f}x "
              f"(CPU: {baseline / best['cpu']:,.1f}x)")
    if target is not None:
        ok = min(best["s"], best["cpu"]) <= target
        print(f"    target <= {target:g} s on the first call: {'PASS' if ok else 'FAIL'}"
              f"{'' if best['s'] <= target or not ok else ' (on CPU time; the wall clock waited for a core)'}")
    return {"first": first, "best": best}
