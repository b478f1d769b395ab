"""Command line: ``python -m workbook build | check | lite | queue | signals | changes | snapshots | plays |
picture | thresholds`` (``--help``)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import pandas as pd

from . import outcomes_cli
from ._files import exit_on_sigterm
from .signals import cli as signals_cli


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def _out_path(out: str | None, default: str) -> str:
    out = out or default
    if not out.lower().endswith(".xlsx"):
        raise ValueError(f"--out: expected a file name ending in .xlsx, got {out!r}")
    if os.path.isdir(out):
        raise ValueError(f"--out: {out!r} is a folder; give a file name ending in .xlsx")
    return out


def _book(args: argparse.Namespace, kind: str = "accounts"):
    """The records named on the command line (``--accounts``/FILE, ``--map``, ``--decimal``)."""
    from .records import load_records

    as_of = getattr(args, "as_of", None) if kind != "accounts" else None
    return load_records(getattr(args, "accounts", None) or args.file, kind,
                        mapping=args.map, decimal=args.decimal, dayfirst=args.dayfirst,
                        duplicates=getattr(args, "duplicates", None),
                        as_of=_date_arg(as_of) if as_of else None)


def _date_arg(value: str):
    from udfs.core import _records

    return pd.Timestamp(_records.as_of_date("--as-of", value)).date()


def cmd_build(args: argparse.Namespace) -> int:
    from ._files import refuse_overwrite
    from .builder import DEFAULT_OUT, OutputExists, build

    try:
        out = _out_path(args.out, DEFAULT_OUT)
        refuse_overwrite(out, force=args.force, error=OutputExists)  # before the slower import
        source = signals_cli.book(args, args.as_of)  # the Accounts table from product records
        if source is None and (args.accounts or args.map or args.decimal or args.dayfirst):
            source = _book(args)
        if source is not None:
            _refuse_too_many_rows(source)
        result = build(source, out, force=args.force, values_only=args.values_only,
                       live=args.live, opportunities=args.opportunities, arr_history=args.arr_history,
                       targets=args.targets, target=args.target, as_of=args.as_of, snapshots=args.snapshots,
                       dayfirst=args.dayfirst, duplicates=args.duplicates, owners=args.owners)
    except OutputExists as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    print(result.report)
    for line in result.records + result.snapshots:
        print(line)
    ready = int(result.queue["ready"].map(lambda v: v is True).sum()) if "ready" in result.queue else 0
    print(
        f"Scored {len(result.queue)} account{'s' * (len(result.queue) != 1)} ({ready} ready) and wrote "
        f"{_relative(result.path)} in {result.seconds:.1f} s."
    )
    return 0


def _refuse_too_many_rows(book) -> None:
    from .records import EXCEL_MAX_ROWS

    if book.report.rows + 1 > EXCEL_MAX_ROWS:
        raise ValueError(
            f"{book.report.source}: {book.report.rows:,} rows do not fit an Excel sheet "
            f"({EXCEL_MAX_ROWS - 1:,} rows below the header); split the file or filter it, "
            "and run again (nothing was written)"
        )


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split()) if "\n" in text else text


def cmd_check(args: argparse.Namespace) -> int:
    from .records import EXCEL_MAX_ROWS

    try:
        book = _book(args, args.kind)
    except (ValueError, OSError) as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    report = book.report
    print("\n".join(report.lines(limit=args.limit)))
    todo = report.what_to_do()
    if report.rows + 1 > EXCEL_MAX_ROWS:
        todo.insert(0, f"The file has {report.rows:,} rows: more than an Excel sheet holds "
                       f"({EXCEL_MAX_ROWS - 1:,} below the header); build refuses it. Split it.")
    print()
    if todo:
        print("What to do:")
        print("\n".join(f"- {t}" for t in todo))
    else:
        print("Nothing to do: every row arrived, every value as given or as the notes above say.")
    return 0


def cmd_lite(args: argparse.Namespace) -> int:
    from .lite import DEFAULT_DIR, write_bundle

    try:
        paths = write_bundle(args.out or DEFAULT_DIR, force=args.force)
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"wrote {_relative(p)} ({os.path.getsize(p):,} bytes)")
    print("Paste main.py into the xlwings Lite editor's main.py tab and requirements.txt into "
          "its requirements.txt tab, restart xlwings Lite (Menu > Restart), then run the "
          "script 'Connect model' once.")
    return 0


def queue_table(queue: pd.DataFrame, top: int, width: int = 120, names: dict | None = None) -> str:
    """The top of the scored queue as a plain-text table (``names``: account_id -> name)."""
    rows = queue.head(top)
    names = names or {}
    cols = [
        ("#", lambda i, r: str(i)),
        ("account", lambda i, r: str(r.get("account_id", ""))),
        ("name", lambda i, r: str(names.get(r.get("account_id")) or "")),
        ("score", lambda i, r: _num(r.get("expansion_score"), "{:.0f}")),
        ("ready", lambda i, r: "yes" if r.get("ready") is True else "no"),
        ("play", lambda i, r: str(r.get("play") or "")),
        ("status", lambda i, r: str(r.get("pipeline_status") or "")),
        ("owner", lambda i, r: str(r.get("owner") or "")),
        ("assignee", lambda i, r: str(r.get("assignee") or "")),
        ("slot", lambda i, r: str(r.get("slot") or "")),
        ("exp. value", lambda i, r: _num(r.get("expected_value"), "${:,.0f}")),
        ("due", lambda i, r: _num(r.get("due_in_days"), "{:.0f}d")),
        ("why", lambda i, r: str(r.get("reasons") or "")),
    ]
    table = [[h for h, _ in cols]]
    for i, (_, r) in enumerate(rows.iterrows(), start=1):
        table.append([f(i, r) for _, f in cols])
    widths = [min(22, max(len(row[j]) for row in table)) for j in range(len(cols) - 1)]
    lines = []
    for k, row in enumerate(table):
        cells = []
        for j, v in enumerate(row[:-1]):
            v = v if len(v) <= widths[j] else v[: widths[j] - 1] + "…"
            right = cols[j][0] in ("#", "score", "exp. value", "due")
            cells.append(v.rjust(widths[j]) if right else v.ljust(widths[j]))
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("-" * len(lines[0]))
            continue
        reason = row[-1]
        indent = " " * (widths[0] + 2)
        room = max(20, width - len(indent))
        if reason:
            lines.append(indent + (reason if len(reason) <= room else reason[: room - 1] + "…"))
    return "\n".join(lines)


def _num(v, fmt: str) -> str:
    try:
        return fmt.format(float(v))
    except (TypeError, ValueError):
        return ""


def cmd_queue(args: argparse.Namespace) -> int:
    import udfs

    from .builder import SAMPLE_CSV
    from .importer import load_accounts
    from .sheets.playbook import plays_rows, rules_rows

    try:
        book = signals_cli.book(args, args.as_of)  # the Accounts table from product records
        if book is not None:
            pass
        elif args.accounts:
            book = _book(args)
        elif os.path.exists(SAMPLE_CSV):
            book = load_accounts(SAMPLE_CSV)
        else:
            book = load_accounts(udfs.sample_accounts(), label="udfs.sample_accounts()")
        opps = _opportunities(args.opportunities, args.dayfirst)
        owners = _owners(args)
        previous = None
        if args.snapshots:  # the store's snapshot before this one: ready_since carries on from it
            from .sheets.outcomes import previous_snapshot
            from .snapshots import StoreError

            try:
                previous = previous_snapshot(args.snapshots, pd.Timestamp(args.as_of or "today").date())
            except StoreError:
                previous = None  # the append below says what is wrong with the store
        queue = udfs.score_accounts(book.frame, rules_rows(), plays_rows(), as_of=args.as_of, opportunities=opps,
                                    owners=owners, previous=previous)
        if args.owner:
            return _export_owner(args, queue)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    ready = queue["ready"].map(lambda v: bool(v) is True).sum() if "ready" in queue else 0
    width = shutil.get_terminal_size((140, 20)).columns
    status = queue.loc[queue["ready"].map(lambda v: v is True), "pipeline_status"]
    flying = status[status != ""].value_counts()
    ready = f"{ready} ready" + (f" ({ready - int(flying.sum())} new plays; "
                                + ", ".join(f"{v} {k.lower()}" for k, v in flying.items()) + ")"
                                if args.opportunities else "")
    print(f"Expansion queue: {book.report.source}, {len(queue)} accounts, {ready}; "
          f"top {min(args.top, len(queue))}, new plays first, by expected value")
    names = {}
    if "account_name" in book.frame:
        names = dict(zip(book.frame["account_id"], book.frame["account_name"], strict=True))
    print(queue_table(queue, args.top, width=max(width, 100), names=names))
    if len(flying):  # the plays in flight, one of each status, when the top does not reach them
        shown = set(queue["account_id"].head(args.top))
        lines = []
        for status_label in flying.index:
            first = queue[(queue["pipeline_status"] == status_label) & ~queue["account_id"].isin(shown)].head(1)
            for r in first.itertuples():
                lines.append(f"  {status_label} ({flying[status_label]}), e.g. {r.account_id}: {r.reasons}")
        if lines:
            print("\nPlays already in flight further down (not new plays):")
            print("\n".join(line if len(line) <= width else line[: width - 1] + "…" for line in lines))
    if book.report.bad_cells or book.report.unmapped or book.report.left_out:
        print(f"\nImport notes ({len(book.report.bad_cells)} bad cells); run "
              f"`python -m workbook check {args.accounts or 'FILE'}` for the full report.")
    if args.snapshots:
        from .outcomes_cli import append_queue

        try:
            lines = append_queue(args.snapshots, queue, book.frame, args.as_of, rules_rows(), plays_rows(), "queue")
        except (ValueError, OSError) as err:
            print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
            return 2
        print("\n" + "\n".join(lines))
    return 0


def _opportunities(path: str | None, dayfirst: bool = False):
    """The opportunities of ``--opportunities`` (None when not given), read as the build reads
    them: refused while a bad cell or problem is reported."""
    if not path:
        return None
    from .sheets.records import checked_records

    return checked_records(path, "opportunities", dayfirst=dayfirst).frame


def _owners(args: argparse.Namespace):
    """The Owners table of ``--owners`` (None when not given); ``--owner`` needs ``--csv``."""
    if args.owner and not args.csv:
        raise ValueError("--owner: give --csv PATH too (the file the owner's list is written to)")
    if args.csv and not args.owner:
        raise ValueError("--csv: give --owner NAME too (whose list to write)")
    if not args.owners:
        return None
    from .sheets.owners import read_owners

    return read_owners(args.owners)


def _export_owner(args: argparse.Namespace, queue) -> int:
    """``queue --owner NAME --csv PATH``: the owner's new plays as a CSV for the CRM."""
    import datetime as dt

    from .sheets.owners import owner_list, write_owner_csv

    as_of = args.as_of or dt.date.today().isoformat()
    rows = owner_list(queue, args.owner, as_of)
    known = {n for names in queue["assignee"] for n in str(names).split(" + ") if n}
    if rows.empty and known and args.owner.strip() not in known:
        print(f"error: --owner: {args.owner!r} has no play in this queue; the assignees are "
              f"{', '.join(sorted(known))}", file=sys.stderr)
        return 2
    try:
        path = write_owner_csv(rows, args.csv, force=args.force)
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {_relative(path)}: {len(rows)} play{'s' * (len(rows) != 1)} for {args.owner.strip()} "
          f"({int((rows['slot'] == 'this week').sum())} this week)")
    return 0


def cmd_picture(args: argparse.Namespace) -> int:
    from .picture import DEFAULT_PNG, render_scores

    try:
        path = render_scores(args.out or DEFAULT_PNG)
    except (RuntimeError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {_relative(path)}")
    return 0


def cmd_thresholds(args: argparse.Namespace) -> int:
    from . import writeback

    return writeback.main([args.model, args.thresholds])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbook", description="Build the upcell Excel model and its Lite bundle."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the Excel model (workbook/upcell_model.xlsx)")
    b.add_argument("--accounts", metavar="FILE",
                   help="your account export (.csv or .xlsx); default: the bundled sample book")
    b.add_argument("--out", metavar="PATH", help="output .xlsx (default workbook/upcell_model.xlsx)")
    b.add_argument("--force", action="store_true", help="overwrite an existing output file")
    b.add_argument("--values-only", action="store_true",
                   help="write spilled results as plain values (a snapshot for viewers without Python)")
    b.add_argument("--live", action="store_true",
                   help="write spilling functions as live dynamic-array formulas (Windows xlwings "
                        "add-in); by default they are values until 'Connect model' enters them")
    b.add_argument("--opportunities", metavar="FILE",
                   help="your CRM's opportunities (.csv or .xlsx): the Pipeline sheet's coverage, win rates, owners")
    b.add_argument("--arr-history", metavar="FILE",
                   help="your billing system's ARR by account and month (or subscriptions): the Retention sheet")
    b.add_argument("--targets", metavar="FILE",
                   help="your expansion targets: quarter, motion (or blank), owner (or blank), target")
    b.add_argument("--target", metavar="DOLLARS",
                   help="one expansion target for the as-of quarter (instead of --targets)")
    b.add_argument("--as-of", metavar="DATE",
                   help="the date quarters and win rates count from (default today; the sample's own date "
                        "for the bundled sample)")
    b.set_defaults(func=cmd_build)
    lt = sub.add_parser("lite", help="write main.py + requirements.txt for the xlwings Lite editor")
    lt.add_argument("--out", metavar="DIR", help="output directory (default workbook/lite)")
    lt.add_argument("--force", action="store_true", help="overwrite existing files")
    lt.set_defaults(func=cmd_lite)
    q = sub.add_parser("queue", help="print the top of the scored expansion queue")
    q.add_argument("--accounts", metavar="FILE", help="account export (.csv or .xlsx)")
    q.add_argument("--top", type=int, default=15, metavar="N", help="rows to show (default 15)")
    q.add_argument("--as-of", metavar="DATE", help="the date due dates count from (default today)")
    q.add_argument("--opportunities", metavar="FILE",
                   help="your CRM's opportunities (.csv or .xlsx): plays already open, past due, just won or lost")
    q.add_argument("--owner", metavar="NAME", help="write this person's (or role's) new plays to --csv for the CRM")
    q.add_argument("--csv", metavar="PATH", help="the CSV --owner writes (account_id, play, owner, due date, reason)")
    q.add_argument("--force", action="store_true", help="overwrite an existing --csv file")
    for p in (b, q):
        p.add_argument("--owners", metavar="FILE",
                       help="your Owners table of people (name, role, motions, weekly_capacity): named "
                            "assignees and weekly slots")
    for p in (b, q):
        outcomes_cli.add_snapshots_option(p)
        signals_cli.add_source_options(p)
    q.set_defaults(func=cmd_queue)
    pic = sub.add_parser("picture", help="render the Scores sheet with LibreOffice to a PNG")
    pic.add_argument("--out", metavar="PNG", help="default docs/img/scores_sheet.png")
    pic.set_defaults(func=cmd_picture)
    th = sub.add_parser("thresholds", help="write backtested thresholds into a model's Rules table")
    th.add_argument("model", help="the model workbook (.xlsx); the original is kept as a backup")
    th.add_argument("thresholds", help="CSV or XLSX of rule, signal, op, threshold (the app's export)")
    th.set_defaults(func=cmd_thresholds)
    c = sub.add_parser("check", help="print the import report of an export without building anything")
    c.add_argument("file", metavar="FILE", help="the export (.csv or .xlsx)")
    c.add_argument("--kind", default="accounts", metavar="KIND",
                   help=f"what the file holds: {' | '.join(_kinds())} (default accounts)")
    c.add_argument("--limit", type=int, default=50, metavar="N", help="cells listed per problem (default 50)")
    c.add_argument("--as-of", metavar="DATE",
                   help="the as-of date you will build with: the report says when it is after the newest record")
    for p in (b, c):
        p.add_argument("--duplicates", choices=("sum", "last"), metavar="HOW",
                       help="ARR history rows of one account and month with no subscription_id, product or plan "
                            "column: sum (add them up) or last (the last row counts); default: refused, each named")
    for p in (b, q, c):
        p.add_argument("--dayfirst", action="store_true",
                       help="dates such as 03/04/2025 are day first (default: each date column decides from its "
                            "dates; month first when none tells)")
        p.add_argument("--map", action="append", metavar='"HEADER=column"',
                       help="read the column HEADER as COLUMN (repeatable)")
        p.add_argument("--decimal", choices=(",", "."), metavar="MARK",
                       help="the decimal mark of the file's numbers: , or . (default: detected)")
    c.set_defaults(func=cmd_check)
    outcomes_cli.register(sub)
    signals_cli.register(sub)
    args = parser.parse_args(argv)
    exit_on_sigterm()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m workbook check FILE | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # noqa: BLE001 - a command never ends in a traceback
        print(f"error: {type(err).__name__}: {_one_line(err)}", file=sys.stderr)
        return 3


def _kinds() -> list[str]:
    from .records import SCHEMAS

    return sorted(SCHEMAS)


if __name__ == "__main__":
    sys.exit(main())
