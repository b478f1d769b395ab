"""``python -m workbook signals``, and the same source options on ``build`` and ``queue``.

``signals --usage usage.parquet --caps caps.csv --seats seats.parquet … --accounts crm.csv
--as-of 2026-12-01 --out accounts.csv --panel panel.parquet`` writes the Accounts table
and the monthly history panel; ``build``/``queue`` given the same options score the
Accounts table computed from the records (one command from raw exports to the model).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from .specs import SOURCES

OPTION = {name: "--" + name.replace("_", "-") for name in SOURCES}


def add_source_options(p: argparse.ArgumentParser, *, panel: bool = False) -> None:
    """The product-record options (``--usage`` … ``--feature-events``, ``--engine``)."""
    g = p.add_argument_group("product records (the signals are computed from them)")
    for name, spec in SOURCES.items():
        g.add_argument(OPTION[name], metavar="FILE", dest=f"src_{name}",
                       help=f"{spec.meaning} (.parquet, .csv, .xlsx or FILE.duckdb:TABLE)")
    g.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="where the signals run: duckdb (embedded, default) or spark (local; needs Java 17)")
    g.add_argument("--gated-tags", metavar="TAGS",
                   help="ticket tags that are gated-feature requests, comma-separated "
                        "(default: gated,upgrade request)")
    g.add_argument("--tier-order", metavar="TIERS",
                   help="plan tiers from the lowest up, comma-separated (default: Free,Starter,"
                        "Basic,Team,Growth,Pro,Professional,Business,Premium,Enterprise,Ultimate)")
    if panel:
        g.add_argument("--months", type=int, metavar="N",
                       help="the panel's last N month ends (default: all from the first month with data)")


def given_sources(args: argparse.Namespace) -> dict[str, str]:
    return {name: getattr(args, f"src_{name}") for name in SOURCES if getattr(args, f"src_{name}", None)}


class Progress:
    """One progress line on stderr: rewritten in place on a terminal, a line each otherwise."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = 0

    def __call__(self, text: str) -> None:
        line = f"signals [{time.perf_counter() - self.started:5.1f} s] {text}…"
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _split(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def run(args: argparse.Namespace, *, accounts: Any, as_of: Any, months: int | None = None,
        arr_history: Any = None):
    """compute_signals with the command's options (progress on stderr)."""
    from .compute import compute_signals
    from .definitions import DEFAULT_GATED_TAGS

    progress = Progress()
    try:
        return compute_signals(
            given_sources(args), as_of, engine=args.engine, accounts=accounts,
            arr_history=arr_history, gated_tags=_split(args.gated_tags) or DEFAULT_GATED_TAGS,
            tier_order=_split(args.tier_order), months=months, progress=progress)
    finally:
        progress.done()


def book(args: argparse.Namespace, as_of: Any):
    """The Accounts table computed from the records given to build/queue, as an imported
    book (None when no record option was given); prints the signal report."""
    if not given_sources(args):
        return None
    from ..records import load_accounts
    from .compute import _as_date

    as_of = _as_date(as_of) if as_of else _today()
    accounts, _, report = run(args, accounts=getattr(args, "accounts", None), as_of=as_of, months=0)
    print(report)
    label = "the signals from " + ", ".join(OPTION[n] for n in given_sources(args))
    return load_accounts(accounts, label=label, as_of=as_of)


def _today():
    from datetime import date

    return date.today()


def _write(frame, path: str, force: bool, what: str) -> None:
    from .._files import atomic_write

    ext = os.path.splitext(path)[1].lower()
    if ext == ".parquet":
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False), force=force)
    elif ext == ".csv":
        atomic_write(path, frame.to_csv(index=False, lineterminator="\n"), force=force)
    else:
        raise ValueError(f"{what}: expected a file name ending in .csv or .parquet, got {path!r}")


def cmd_signals(args: argparse.Namespace) -> int:
    from .._files import refuse_overwrite

    try:
        if not given_sources(args):
            raise ValueError("signals: give at least one record file (--usage, --seats, --users, "
                             "--web, --tickets, --feature-events)")
        for path, what in ((args.out, "--out"), (args.panel, "--panel")):
            if path and os.path.splitext(path)[1].lower() not in (".csv", ".parquet"):
                raise ValueError(f"{what}: expected a file name ending in .csv or .parquet, got {path!r}")
        refuse_overwrite([p for p in (args.out, args.panel) if p], force=args.force)
        months = 0 if not args.panel else args.months
        accounts, panel, report = run(args, accounts=args.accounts, as_of=args.as_of, months=months,
                                      arr_history=args.arr_history)
        _write(accounts, args.out, args.force, "--out")
        if args.panel:
            _write(panel, args.panel, args.force, "--panel")
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    print(report)
    wrote = f"Wrote {args.out} ({len(accounts):,} accounts, {accounts.shape[1]} columns)"
    if args.panel:
        wrote += f" and {args.panel} ({len(panel):,} account-months)"
    print(wrote + ".")
    return 0


def register(sub: Any) -> argparse.ArgumentParser:
    s = sub.add_parser("signals", help="compute the Accounts table and the history panel from product records")
    s.add_argument("--accounts", metavar="FILE",
                   help="your CRM's account export (.csv or .xlsx): the book, its plan tiers, the other columns")
    s.add_argument("--arr-history", metavar="FILE",
                   help="ARR by account and month: the panel's expansion column (a month whose ARR rose)")
    s.add_argument("--as-of", metavar="DATE", required=True, help="the date the signals are measured at")
    s.add_argument("--out", metavar="FILE", required=True, help="the Accounts table (.csv or .parquet)")
    s.add_argument("--panel", metavar="FILE", help="the monthly history panel (.parquet or .csv)")
    s.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_source_options(s, panel=True)
    s.set_defaults(func=cmd_signals)
    return s
