"""Benchmark of the pipeline-aware queue with named owners (issue 15), figures printed, no asserts.

- the full SCORE_ACCOUNTS queue of 1,000,000 accounts with 1,000,000 opportunities (Past
  due, In pipeline, Recently expanded, Cooling down) and an Owners table of 12 people,
  against the same queue without them: target <= 2x the plain queue's time;
- the statuses alone against a plain per-account Python reading of the same opportunities
  (measured on a subsample in this run and extrapolated; its statuses are checked equal).

Numbers are noisy on a shared machine: each figure is the best of a few rounds, printed
with the load. Run: .venv/bin/python bench/bench_queue_pipeline.py
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

import udfs
from udfs.core import playbook, record_columns
from udfs.scoring import in_flight, plays

N = 1_000_000
OPPS = 1_000_000
SUBSAMPLE = 20_000
AS_OF = "2026-12-15"


def best_of(repeat, fn):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def book_and_records():
    book = udfs.sample_accounts(100_000, seed=11)
    book = pd.concat([book] * (N // len(book)), ignore_index=True)
    book["account_id"] = [f"ACC-{i:07d}" for i in range(1, N + 1)]
    rng = np.random.default_rng(5)
    day = np.datetime64(AS_OF)
    close = day + rng.integers(-300, 180, OPPS).astype("timedelta64[D]")
    opps = pd.DataFrame({
        "opportunity_id": [f"O{i}" for i in range(OPPS)],
        "account_id": book["account_id"].to_numpy(object)[rng.integers(0, N, OPPS)],
        "type": rng.choice(["Add seats", "Upsell", "Overage", "New department", "Add-on product", "Renewal"], OPPS),
        "amount": np.round(rng.uniform(1_000, 90_000, OPPS), -2),
        "stage": rng.choice(["Discovery", "Proposal", "Negotiation"], OPPS),
        "close_date": pd.DatetimeIndex(close.astype("datetime64[ns]")),
        "status": np.where(close > day, "open", rng.choice(["won", "lost", "open"], OPPS, p=[0.4, 0.4, 0.2])),
    })
    roles = ["CSM"] * 6 + ["Expansion AE"] * 5 + ["Self-serve"] * 1  # the slots' phases grow with people²
    owners = pd.DataFrame({"name": [f"Person {i}" for i in range(len(roles))], "role": roles, "motions": "",
                           "weekly_capacity": rng.integers(2, 12, len(roles))})
    return book, opps, owners


def plain_statuses(ids, play, cycle, opps: pd.DataFrame, day) -> list[str]:
    """Per account, its opportunities of its play's motion, read one by one."""
    motion = [record_columns.opportunity_motion(t) for t in opps["type"]]
    by_account: dict = {}
    for rec, m in zip(opps.itertuples(index=False), motion, strict=True):
        by_account.setdefault(rec.account_id, []).append((m, rec.status, rec.close_date.to_datetime64()))
    out = []
    for acc, p, c in zip(ids, play, cycle, strict=True):
        status = ""
        if p >= 0:
            mine = [(s, d) for m, s, d in by_account.get(acc, []) if m == p]
            ago = [(s, (day - d) / np.timedelta64(1, "D")) for s, d in mine]
            if any(s == "open" or a < 0 for s, a in ago):
                late = any(s == "open" and a > 0 for s, a in ago)
                status = playbook.PAST_DUE if late else playbook.IN_PIPELINE
            elif any(s == "won" and 0 <= a <= c for s, a in ago):
                status = playbook.RECENTLY_EXPANDED
            elif any(s == "lost" and 0 <= a <= playbook.DEFAULT_COOLDOWN_DAYS for s, a in ago):
                status = playbook.COOLING_DOWN
        out.append(status)
    return out


def main():
    book, opps, owners = book_and_records()
    udfs.score_accounts(book.head(1000), as_of=AS_OF, opportunities=opps.head(1000), owners=owners)  # warm-up
    t_plain = t_full = c_plain = c_full = float("inf")
    for _ in range(3):  # alternate, so a burst of load hits both alike
        c0 = time.process_time()  # CPU of every thread: the work, whatever the load
        t, _q = best_of(1, lambda: udfs.score_accounts(book, as_of=AS_OF))
        t_plain, c_plain = min(t_plain, t), min(c_plain, time.process_time() - c0)
        c0 = time.process_time()
        t, queue = best_of(1, lambda: udfs.score_accounts(book, as_of=AS_OF, opportunities=opps, owners=owners))
        t_full, c_full = min(t_full, t), min(c_full, time.process_time() - c0)
    ready = queue["ready"].to_numpy(bool)
    counts = queue.loc[ready, "pipeline_status"].value_counts().to_dict()
    print(f"SCORE_ACCOUNTS, {N:,} accounts + {OPPS:,} opportunities + {len(owners)} people: {t_full:.3f} s wall, "
          f"{c_full:.3f} s CPU; without them {t_plain:.3f} s wall, {c_plain:.3f} s CPU: {t_full / t_plain:.2f}x wall, "
          f"{c_full / c_plain:.2f}x CPU (target <= 2.00x); load {os.getloadavg()[0]:.1f}")
    print(f"  ready {int(ready.sum()):,}: " + ", ".join(f"{k or 'new play'} {v:,}" for k, v in counts.items()))

    # the statuses alone against the plain per-account reading, on a subsample
    o = in_flight.opportunities_arg(opps)
    sub = queue.sample(SUBSAMPLE, random_state=1)
    ids = sub["account_id"].to_numpy(object)
    play = sub["play"].map({m: k for k, m in enumerate(playbook.MOTIONS)}).fillna(-1).to_numpy(np.int64)
    play[~sub["ready"].to_numpy(bool)] = -1
    cycle = plays.play_set(None).cycle[np.maximum(play, 0), 3]
    cool = plays.play_set(None).cooldown
    day = np.datetime64(AS_OF, "D")
    all_ids = queue["account_id"].to_numpy(object)
    all_play = queue["play"].map({m: k for k, m in enumerate(playbook.MOTIONS)}).fillna(-1).to_numpy(np.int64)
    all_play[~ready] = -1
    all_cycle = plays.play_set(None).cycle[np.maximum(all_play, 0), 3]
    t_vec, flight = best_of(3, lambda: in_flight.plays_in_flight(o, all_ids, all_play, all_cycle, cool, day))
    mine = opps[opps["account_id"].isin(set(ids))]
    t_loop, slow = best_of(1, lambda: plain_statuses(ids, play, cycle, mine, day))
    fast = dict(zip(all_ids, in_flight.STATUS_LABELS[flight.status], strict=True))
    same = all(fast[a] == s for a, s in zip(ids, slow, strict=True))
    loop_full = t_loop * N / SUBSAMPLE
    print(f"statuses of {N:,} accounts: {t_vec:.3f} s; plain per-account loop {t_loop:.2f} s for "
          f"{SUBSAMPLE:,} -> {loop_full:.1f} s extrapolated: {loop_full / t_vec:.0f}x (same statuses: {same}); "
          f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
