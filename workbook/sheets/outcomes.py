"""The What changed and Playbook results sheets, from a queue snapshot store.

A build given ``--snapshots [FILE]`` appends its queue to the store, then writes:

- ``What changed``: ``WHAT_CHANGED(Previous_queue[#All], Scores!A4#)`` against the latest
  earlier snapshot (the ``Previous queue`` sheet holds it as the table ``Previous_queue``);
- ``Playbook results``: the flags of every snapshot up to the build's as-of date (the
  ``Flags`` sheet, table ``Flags``) matched to the Opportunities table:
  ``PLAYBOOK_RESULTS`` per play and per play × owner × quarter, ``MISSED_EXPANSIONS`` and
  ``FLAG_OUTCOMES``. ``python -m workbook plays --from-outcomes MODEL`` writes the measured
  close rates into the Plays table from the same tables.

Like every spilling function of the model, these are written as their values, the
formulas listed for "Connect model".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell

import udfs
from udfs.core import playbook

from ..snapshots import Appended, SnapshotStore
from .cells import Formats, spill
from .playbook import plays_rows
from .records import RevenueRecords, excel_table, write_table
from .scores import SCORES_ANCHOR

PREVIOUS_TABLE, FLAGS_TABLE = "Previous_queue", "Flags"
FLAG_SOURCE = ("account_name", "owner", "assignee", "segment", "arr", "expected_arr_increase",
               "close_rate", "ready_signal", "ready_since", "pipeline_status")


@dataclass
class SnapshotOutcomes:
    """What the build read from and wrote to the store."""

    store: Path
    as_of: dt.date
    appended: Appended
    days: list[dt.date]  # the snapshots up to as_of
    previous_day: dt.date | None
    previous: pd.DataFrame | None
    flags: pd.DataFrame

    def lines(self) -> list[str]:
        out = self.appended.lines()
        if self.previous_day is None:
            out.append("What changed: no earlier snapshot in the store to compare with.")
        out.append(f"Playbook results: {len(self.flags):,} flags from {len(self.days)} snapshot(s).")
        return out


def previous_snapshot(store_path: str | Path, as_of: dt.date) -> pd.DataFrame | None:
    """The store's latest snapshot before ``as_of`` (None when there is none), read before
    the queue is scored: its ready runs carry on into ``ready_since``."""
    store = SnapshotStore(store_path)
    if not store.exists():
        return None
    day = store.previous(as_of)
    return store.snapshot(day) if day else None


def snapshot_outcomes(store_path: str | Path, queue: pd.DataFrame, accounts: pd.DataFrame,
                      as_of: dt.date, version: str) -> SnapshotOutcomes:
    """Append the build's queue as the snapshot of ``as_of``; read back the previous
    snapshot and the flags of every snapshot up to ``as_of``."""
    store = SnapshotStore(store_path)
    appended = store.append(queue, as_of=as_of, accounts=accounts, rules_version=version, source="build")
    days = [d for d in store.as_ofs() if d <= as_of]
    previous_day = max((d for d in days if d < as_of), default=None)
    previous = store.snapshot(previous_day) if previous_day else None
    ready = store.flag_rows(FLAG_SOURCE)
    ready = ready[ready["as_of"].dt.date <= as_of]
    return SnapshotOutcomes(store.path, as_of, appended, days, previous_day, previous,
                            udfs.play_flags(ready, days))


def cached(name: str, *args: Any) -> Any:
    """What the Excel function ``NAME`` writes for these arguments (dates as ISO text, as
    its wrapper gives them); ``#VALUE!`` for an error, as xlwings shows it."""
    try:
        return getattr(udfs, name)(*args)
    except ValueError:
        return "#VALUE!"


def _scores_ref() -> str:
    """The Scores spill: its anchor with Excel's spill operator."""
    r, c = SCORES_ANCHOR
    return f"Scores!{xl_rowcol_to_cell(r, c)}#"


_OUTCOME_FORMATS = {"flagged_on": "date", "ready_until": "date", "created_date": "date", "close_date": "date",
                    "arr": "money", "expected_arr_increase": "money", "amount": "money", "close_rate": "pct",
                    "days_to_close": "int", "opportunities": "int", "cycle_days": "int"}


def write_what_changed(ws, fm: Formats, out: SnapshotOutcomes, queue_values: list[list[Any]],
                       values_only: bool) -> None:
    ws.set_column(0, 0, 15)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 24)
    ws.set_column(3, 6, 18)
    ws.set_column(7, 7, 44)
    ws.set_column(8, 11, 12)
    ws.set_column(12, 12, 90)
    ws.write_string(0, 0, "What changed", fm.title)
    if out.previous is None:
        ws.write_string(1, 0, f"The snapshot store {out.store.name} has no snapshot before "
                              f"{out.as_of:%Y-%m-%d}: the next build with --snapshots compares with this one.",
                        fm.subtitle)
        return
    ws.write_string(1, 0, f"The queue of {out.as_of:%Y-%m-%d} (Scores) against the snapshot of "
                          f"{out.previous_day:%Y-%m-%d} (the Previous queue sheet), from {out.store.name}: "
                          "new ready plays, dropped ones and why, play and owner changes, score moves of "
                          f"{playbook.SCORE_MOVE_MIN:g} points or more.", fm.subtitle)
    previous = excel_table(out.previous)
    values = cached("WHAT_CHANGED", previous, queue_values)
    counts = {k: sum(1 for r in values[1:] if r[0] == k) for k in playbook.CHANGES} if isinstance(values, list) else {}
    for j, k in enumerate(playbook.CHANGES):
        ws.write_string(3, 2 * j, k, fm.label)
        ws.write_number(3, 2 * j + 1, counts.get(k, 0), fm.int)
    formula = f"=WHAT_CHANGED({PREVIOUS_TABLE}[#All], {_scores_ref()})"
    if not isinstance(values, list) or len(values) < 2:
        ws.write_string(5, 0, "Nothing changed since the previous snapshot.", fm.text)
        return
    fmts = [fm.text, fm.text, fm.text, fm.text, fm.text, fm.text, fm.text, fm.text, fm.int, fm.int, fm.int,
            fm.money, fm.reason]
    spill(ws, 5, 0, formula, values, fmts, fm.spill_header, fm, values_only)
    ws.freeze_panes(6, 2)


def write_playbook_results(ws, fm: Formats, out: SnapshotOutcomes, rec: RevenueRecords | None,
                           values_only: bool) -> None:
    ws.set_column(0, 0, 18)
    ws.set_column(1, 2, 16)
    ws.set_column(3, 13, 11)
    ws.set_column(14, 14, 30)
    ws.set_column(15, 21, 13)
    ws.write_string(0, 0, "Playbook results", fm.title)
    first, last = (out.days[0], out.days[-1]) if out.days else (out.as_of, out.as_of)
    ws.write_string(1, 0, f"{len(out.flags):,} flags from {len(out.days)} snapshot(s) of {out.store.name} "
                          f"(the Flags sheet): each matched to the opportunity created after it within its "
                          f"play's window. A close rate is measured from {playbook.MIN_CLOSED} closed plays on "
                          f"({playbook.TOO_FEW} below); python -m workbook plays --from-outcomes writes the "
                          "measured ones into Plays.", fm.subtitle)
    ws.write_string(3, 0, "First snapshot", fm.label)
    ws.write_datetime(3, 1, dt.datetime.combine(first, dt.time()), fm.in_date)
    ws.write_string(4, 0, "Last snapshot", fm.label)
    ws.write_datetime(4, 1, dt.datetime.combine(last, dt.time()), fm.in_date)
    opps = rec.opportunities if rec is not None else None
    if opps is None or "created_date" not in opps.columns:
        ws.write_string(6, 0, "Build with --opportunities (with a created_date column) to see what the flagged "
                              "plays earned.", fm.text)
        return
    flags = excel_table(out.flags)
    table = excel_table(opps)
    plays = plays_rows()
    pct, money = fm.pct, fm.money
    result_fmts = [fm.text, fm.text, fm.text, fm.int, fm.int, fm.int, fm.int, fm.int, fm.int, fm.int, money,
                   pct, pct, pct, fm.text, pct, money, money, pct, pct, fm.int, fm.int]
    args = f"{FLAGS_TABLE}[#All], Opportunities[#All]"
    r = 6
    for title, by in (("Per play", "play"), ("Per play, owner and quarter of the flag", None)):
        ws.write_string(r, 0, title, fm.h2)
        values = cached("PLAYBOOK_RESULTS", flags, table, plays, by)
        extra = f', Plays[#All], "{by}"' if by else ", Plays[#All]"
        height, _ = spill(ws, r + 1, 0, f"=PLAYBOOK_RESULTS({args}{extra})", values, result_fmts,
                          fm.spill_header, fm, values_only)
        r += height + 3
    ws.write_string(r, 0, "Missed: won expansions created during the snapshots with no flag", fm.h2)
    missed = cached("MISSED_EXPANSIONS", flags, table, dt.datetime.combine(first, dt.time()),
                    dt.datetime.combine(last, dt.time()), plays)
    if isinstance(missed, list) and len(missed) > 1:
        h, _ = spill(ws, r + 1, 0, f"=MISSED_EXPANSIONS({args}, $B$4, $B$5, Plays[#All])", missed,
                     [fm.text, fm.text, fm.text, money, fm.text, fm.text, fm.text], fm.spill_header, fm, values_only)
        r += h + 3
    else:
        ws.write_string(r + 1, 0, "none: every won expansion of the period followed a flag", fm.text)
        r += 4
    ws.write_string(r, 0, "Each flag and what came of it", fm.h2)
    outcomes = cached("FLAG_OUTCOMES", flags, table, plays)
    if isinstance(outcomes, list) and len(outcomes) > 1:
        fmts = [getattr(fm, _OUTCOME_FORMATS.get(c, "text")) for c in outcomes[0]]
        spill(ws, r + 1, 0, f"=FLAG_OUTCOMES({args}, Plays[#All])", outcomes, fmts, fm.spill_header, fm,
              values_only)


def write_snapshot_tables(sheets: dict, fm: Formats, out: SnapshotOutcomes) -> None:
    """The Flags and Previous queue sheets: the tables the formulas above read."""
    write_table(sheets["Flags"], fm, FLAGS_TABLE, out.flags)
    if out.previous is not None:
        write_table(sheets["Previous queue"], fm, PREVIOUS_TABLE, out.previous)
