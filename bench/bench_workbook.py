"""Benchmark: build the Excel model for 10,000 accounts (target <= 5 s, <= 500 MB peak).

Each measurement runs in a fresh subprocess, so peak memory (ru_maxrss) is the build's
own. The build is the whole CLI path: import the CSV export, score it with
SCORE_ACCOUNTS (cached values), write every sheet with XlsxWriter, rename into place.
Baseline, same run: openpyxl writing the same cells naively (the Accounts table and the
scored queue as plain values, no tables, formats, formulas or other sheets).

    .venv/bin/python bench/bench_workbook.py [N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
TARGET_S, TARGET_MB = 5.0, 500.0

BUILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from workbook import build
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF)
result = build(sys.argv[1], sys.argv[2], force=True)
t2 = time.perf_counter()
r2 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r2.ru_utime + r2.ru_stime) - (r1.ru_utime + r1.ru_stime)
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "cpu_s": cpu, "rows": len(result.queue),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BASELINE = r"""
import csv, json, resource, sys, time
t0 = time.perf_counter()
import openpyxl
import udfs
from workbook.sheets.cells import excel_rows
from workbook.sheets.playbook import plays_rows, rules_rows
from workbook.importer import load_accounts
t1 = time.perf_counter()
r1 = resource.getrusage(resource.RUSAGE_SELF)
book = load_accounts(sys.argv[1])
rows = excel_rows(book.frame)
queue = udfs.core._args.to_excel(udfs.score_accounts(rows, rules_rows(), plays_rows()))
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Accounts"
for r in rows:
    ws.append(r)
ws2 = wb.create_sheet("Scores")
for r in queue:
    ws2.append(r)
wb.save(sys.argv[2])
t2 = time.perf_counter()
r2 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r2.ru_utime + r2.ru_stime) - (r1.ru_utime + r1.ru_stime)
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "cpu_s": cpu, "rows": len(queue) - 1,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, ROOT)
    import udfs

    with tempfile.TemporaryDirectory() as d:
        csv_path = os.path.join(d, "accounts.csv")
        udfs.sample_accounts(N).to_csv(csv_path, index=False)
        ours = run(BUILD, csv_path, os.path.join(d, "model.xlsx"))
        size = os.path.getsize(os.path.join(d, "model.xlsx"))
        base = run(BASELINE, csv_path, os.path.join(d, "baseline.xlsx"))
    print(f"workbook build, {ours['rows']:,} accounts (CSV import + SCORE_ACCOUNTS + 8 sheets)")
    print(f"  upcell (XlsxWriter):   {ours['build_s']:6.2f} s ({ours['cpu_s']:.2f} s CPU)"
          f"   peak RSS {ours['rss_mb']:6.0f} MB"
          f"   file {size / 1e6:.1f} MB   (+{ours['import_s']:.2f} s Python imports)")
    print(f"  baseline (openpyxl, same cells, plain values only): {base['build_s']:6.2f} s"
          f" ({base['cpu_s']:.2f} s CPU)"
          f"   peak RSS {base['rss_mb']:6.0f} MB")
    load = os.getloadavg()[0]
    print(f"  ratio upcell / baseline: time {ours['build_s'] / base['build_s']:.2f}x, "
          f"memory {ours['rss_mb'] / base['rss_mb']:.2f}x")
    ok_t, ok_m = ours["build_s"] <= TARGET_S, ours["rss_mb"] <= TARGET_MB
    print(f"  targets: time <= {TARGET_S:g} s {'OK' if ok_t else 'MISSED'}; "
          f"memory <= {TARGET_MB:g} MB {'OK' if ok_m else 'MISSED'}"
          f"   (load average {load:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
