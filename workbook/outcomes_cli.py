"""The outcome commands: ``changes``, ``plays --from-outcomes``, ``snapshots``, and the
``--snapshots [FILE]`` option of ``queue`` and ``build``.

    python -m workbook queue --snapshots                  # append today's queue to the store
    python -m workbook changes                            # what changed since the snapshot before
    python -m workbook snapshots --import snapshots.csv   # load snapshots kept elsewhere
    python -m workbook plays --from-outcomes MODEL.xlsx   # measured close rates into Plays
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Any

import pandas as pd

from .snapshots import DEFAULT_STORE, SnapshotStore, StoreError

STORE_HELP = (f"the queue snapshot store (a DuckDB file; default {os.path.relpath(DEFAULT_STORE)}); "
              "created by the first run that appends to it")


def _store_path(value: str | None) -> str:
    return str(DEFAULT_STORE) if value is None else value


def add_snapshots_option(parser: argparse.ArgumentParser) -> None:
    """``--snapshots [FILE]``: append the run's scored queue to a snapshot store."""
    parser.add_argument("--snapshots", nargs="?", const=str(DEFAULT_STORE), metavar="FILE",
                        help="append the scored queue to a snapshot store, as of the run's date "
                             f"(FILE, default {os.path.relpath(DEFAULT_STORE)})")


def append_queue(path: str, queue: pd.DataFrame, accounts: pd.DataFrame, as_of: Any, rules: Any = None,
                 plays: Any = None, source: str = "") -> list[str]:
    """Append ``queue`` to the store at ``path``; the lines to print."""
    import udfs

    store = SnapshotStore(path)
    done = store.append(queue, as_of=as_of, accounts=accounts, rules_version=udfs.rules_version(rules, plays),
                        source=source)
    return done.lines()


# --------------------------------------------------------------------------- text tables


def text_table(frame: pd.DataFrame, columns: list[tuple[str, str, int]], width: int) -> str:
    """Rows of ``frame`` as aligned text: (header, column, max width); the last column wraps
    to the terminal."""
    rows = [[h for h, _, _ in columns]]
    for rec in frame.to_dict("records"):
        rows.append([_cell(rec.get(c)) for _, c, _ in columns])
    widths = [min(w, max(len(r[j]) for r in rows)) for j, (_, _, w) in enumerate(columns)]
    lines = []
    for k, row in enumerate(rows):
        cells = [(v if len(v) <= widths[j] else v[: widths[j] - 1] + "…").ljust(widths[j])
                 for j, v in enumerate(row)]
        line = "  ".join(cells).rstrip()
        lines.append(line if len(line) <= width else line[: width - 1] + "…")
        if k == 0:
            lines.append("-" * min(width, len(line)))
    return "\n".join(lines)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:.3g}"
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else f"{v:%Y-%m-%d}"
    return str(v)


# --------------------------------------------------------------------------- commands


def cmd_changes(args: argparse.Namespace) -> int:
    import udfs
    from udfs.core import playbook

    store = SnapshotStore(_store_path(args.snapshots))
    try:
        days = store.as_ofs()
        if not days:
            raise StoreError(f"{store.path.name}: the store holds no snapshot yet")
        day = pd.Timestamp(args.as_of).date() if args.as_of else days[-1]
        if day not in days:
            raise StoreError(f"--as-of: {store.path.name} has no snapshot of {day:%Y-%m-%d} "
                             f"(it has {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d})")
        before = [d for d in days if d < day]
        if not before:
            print(f"{store.path.name}: the snapshot of {day:%Y-%m-%d} is the first; nothing to compare it with.")
            return 0
        changes = udfs.what_changed(store.snapshot(before[-1]), store.snapshot(day), args.min_move)
    except (ValueError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    counts = changes["change"].value_counts()
    summary = ", ".join(f"{int(counts.get(k, 0))} {k.lower()}" for k in playbook.CHANGES)
    print(f"What changed: {day:%Y-%m-%d} against {before[-1]:%Y-%m-%d} ({store.path.name}): {summary}")
    if "note" in changes.attrs:
        print(f"note: {changes.attrs['note']}")
    if changes.empty:
        print("Nothing changed.")
        return 0
    width = max(100, shutil.get_terminal_size((140, 20)).columns)
    shown = changes.head(args.top)
    print(text_table(shown, [("change", "change", 13), ("account", "account_id", 12), ("name", "account_name", 22),
                             ("play", "play", 17), ("owner", "owner", 18), ("was", "was", 18), ("now", "now", 18),
                             ("score", "score_now", 5), ("why", "why", 60)], width))
    if len(changes) > len(shown):
        print(f"... and {len(changes) - len(shown)} more (--top N shows more)")
    return 0


def cmd_snapshots(args: argparse.Namespace) -> int:
    store = SnapshotStore(_store_path(args.snapshots))
    try:
        if args.import_file:
            from .records import read_table

            table = read_table(args.import_file)
            for line in store.append(table, source=os.path.basename(args.import_file)).lines():
                print(line)
        runs = store.runs()
    except (ValueError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    print(f"{store.path}: {len(runs)} snapshot(s)")
    if len(runs):
        print(text_table(runs, [("as of", "as_of", 10), ("rows", "rows", 9), ("rules version", "rules_version", 13),
                                ("taken", "taken_at", 19), ("from", "source", 30)], 120))
    return 0


def cmd_plays(args: argparse.Namespace) -> int:
    from .plays_writeback import write_measured_plays

    try:
        print(write_measured_plays(args.from_outcomes, min_closed=args.min_closed))
    except (ValueError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    """Add the ``changes``, ``snapshots`` and ``plays`` commands to the command line."""
    ch = sub.add_parser("changes", help="what changed in the queue since the snapshot before")
    ch.add_argument("--snapshots", metavar="FILE", help=STORE_HELP)
    ch.add_argument("--as-of", metavar="DATE", help="the snapshot to look at (default the latest)")
    ch.add_argument("--min-move", type=float, default=None, metavar="POINTS",
                    help="smallest score move listed on its own (default 10)")
    ch.add_argument("--top", type=int, default=40, metavar="N", help="rows to show (default 40)")
    ch.set_defaults(func=cmd_changes)
    sn = sub.add_parser("snapshots", help="list the snapshots of a store, or import some into it")
    sn.add_argument("--snapshots", metavar="FILE", help=STORE_HELP)
    sn.add_argument("--import", dest="import_file", metavar="CSV",
                    help="append the snapshots of a CSV/XLSX with an as_of column (same as_of: replaced)")
    sn.set_defaults(func=cmd_snapshots)
    pl = sub.add_parser("plays", help="write measured close rates into a model's Plays table")
    pl.add_argument("--from-outcomes", required=True, metavar="MODEL",
                    help="the model (.xlsx) built with --snapshots and --opportunities: its Flags and "
                         "Opportunities give the measured values; the original is kept as a backup")
    pl.add_argument("--min-closed", type=int, default=None, metavar="N",
                    help="closed plays a measured close rate needs (default 20)")
    pl.set_defaults(func=cmd_plays)
