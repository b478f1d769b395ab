"""Write the measured close rates (and increase shares) into the ``Plays`` table of a model.

``python -m workbook plays --from-outcomes MODEL`` reads the model's own ``Flags``,
``Opportunities`` and ``Plays`` tables (their cached cells, as a build with
``--snapshots`` and ``--opportunities`` wrote them), computes each play's results
(``udfs.playbook_results(..., by="play")``) and, for every play with at least
``min_closed`` closed plays (20 by default), sets in its Plays row:

- ``close_rate``: won / closed of the plays worked as flagged, and ``close_rate_basis``
  ``measured: 14 won of 41 closed``;
- ``arr_increase_share``: the median won amount ÷ the account's ARR, when a won deal has
  one, and ``arr_increase_share_basis`` ``measured: median of 14 won``.

A play with fewer closed plays keeps its cells (the report says ``too few``). The same
discipline as ``python -m workbook thresholds``: a lock beside the model, only those
cells rewritten (zip surgery, every other part copied byte for byte), a formula in a
target cell refused, the original kept as a backup, a temporary file renamed into place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import udfs
from udfs.core import _args, playbook

from .writeback import RECALC_NOTE, _layout, _open, commit, model_lock, read_model_table
from .xlsx_package import (
    col_letters,
    find_table,
    has_formula,
    insert_cell,
    rewrite_cell,
    shared_strings,
    sheet_cells,
)

__all__ = ["PlaysReport", "measured_plays", "write_measured_plays"]

TABLE = "Plays"
SHARE_BASIS = "{measured}: median of {n} won"


@dataclass
class PlaysReport:
    """What :func:`write_measured_plays` did: one line per cell set, one per play kept."""

    path: Path
    backup: Path | None
    results: pd.DataFrame  # playbook_results by play
    changes: list[tuple[str, str, str, Any, Any]] = field(default_factory=list)  # cell, motion, column, old, new
    kept: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # columns this model's Plays table lacks

    def __str__(self) -> str:
        lines = [f"{self.path.name}: {len(self.changes)} cell(s) of the Plays table set from the measured outcomes"]
        for cell, motion, column, old, new in self.changes:
            lines.append(f"  {cell:>6} {motion}: {column} {_show(old)} -> {_show(new)}")
        for text in self.kept:
            lines.append(f"  kept: {text}")
        for column in self.missing:
            lines.append(f"  note: this model's Plays table has no {column} column (rebuild the model to "
                         "record where each number comes from)")
        if self.backup is not None:
            lines.append(f"  backup: {self.backup.name}")
        if self.changes:
            lines.append("  note: " + RECALC_NOTE.replace("thresholds", "close rates"))
        return "\n".join(lines)


def _show(v: Any) -> str:
    if isinstance(v, float):
        return "blank" if math.isnan(v) else f"{v:.4g}"
    return "blank" if _args.is_blank(v) else repr(str(v))


def measured_plays(model_path: str | Path, min_closed: Any = None) -> pd.DataFrame:
    """Each play's results from the model's Flags, Opportunities and Plays tables."""
    path = Path(model_path)
    try:
        flags = read_model_table(path, "Flags")
    except ValueError as err:
        if "no Excel table" not in str(err):
            raise
        raise ValueError(f"{path.name}: no Flags table; build the model with --snapshots and "
                         "--opportunities (with created dates) first") from None
    opps = read_model_table(path, "Opportunities")
    plays = read_model_table(path, TABLE)
    return udfs.playbook_results(flags, opps, plays, "play", min_closed)


def write_measured_plays(model_path: str | Path, *, min_closed: Any = None, backup: bool = True) -> PlaysReport:
    """Set the measured cells of the Plays table (see the module's description)."""
    path = Path(model_path)
    floor = playbook.MIN_CLOSED if _args.omitted(min_closed) else _args.integer("min_closed", min_closed, minimum=1)
    with model_lock(path):
        results = measured_plays(path, floor)
        pkg = _open(path)
        try:
            return _write(path, pkg, results, floor, backup)
        finally:
            pkg.zip.close()


def _write(path: Path, pkg, results: pd.DataFrame, floor: int, backup: bool) -> PlaysReport:
    sheet, sheet_part, table = find_table(pkg, TABLE)
    layout = _layout(pkg, table, TABLE)
    cols = layout["cols"]
    for needed in ("motion", "close_rate", "arr_increase_share"):
        if needed not in cols:
            raise ValueError(f"{path.name}: table {TABLE!r} has no column {needed!r}")
    sheet_xml = pkg.read(sheet_part)
    cells = sheet_cells(sheet_xml, shared_strings(pkg), layout["rows"], set(cols.values()))
    row_of = {}
    for r in layout["rows"]:
        motion = cells.get((cols["motion"], r))
        if isinstance(motion, str) and motion.strip() in playbook.MOTIONS:
            row_of.setdefault(motion.strip(), r)
    formulas = {c.get("r") for c in _cells(sheet_xml) if has_formula(c)}
    report = PlaysReport(path, None, results)
    report.missing = [c for c in ("close_rate_basis", "arr_increase_share_basis") if c not in cols]
    new_xml = sheet_xml
    for res in results.itertuples(index=False):
        closed = int(res.closed)
        if closed < floor:
            report.kept.append(f"{res.play}: {playbook.TOO_FEW} ({closed} closed < {floor}); its close rate "
                               "stays as the Plays table has it")
            continue
        if res.play not in row_of:
            report.kept.append(f"{res.play}: no row in the Plays table")
            continue
        values = {"close_rate": float(res.close_rate), "close_rate_basis": str(res.basis)}
        if not math.isnan(res.increase_share):
            values["arr_increase_share"] = float(res.increase_share)
            values["arr_increase_share_basis"] = SHARE_BASIS.format(measured=playbook.MEASURED, n=int(res.won))
        r = row_of[res.play]
        for column, value in values.items():
            if column not in cols:
                continue
            ref = f"{col_letters(cols[column])}{r}"
            if ref in formulas:
                raise ValueError(f"{path.name}: {sheet}!{ref} ({column} of {res.play}) holds a formula; "
                                 "not overwriting it")
            old = cells.get((cols[column], r))
            if old == value or (isinstance(old, float) and isinstance(value, float)
                                and math.isclose(old, value, rel_tol=0, abs_tol=1e-12)):
                continue
            new_xml, found = rewrite_cell(new_xml, ref, value)
            if not found:
                new_xml = insert_cell(new_xml, cols[column], r, value)
            report.changes.append((ref, res.play, column, old, value))
    if new_xml != sheet_xml:
        report.backup = commit(path, pkg, {sheet_part: new_xml}, backup, what="the measured close rates")
    return report


def _cells(sheet_xml: bytes):
    import xml.etree.ElementTree as ET

    from .xlsx_package import NS_MAIN

    return ET.fromstring(sheet_xml).iter(f"{{{NS_MAIN}}}c")
