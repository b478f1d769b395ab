"""Write backtested thresholds into the ``Rules`` table of an existing upcell workbook.

The model workbook carries things that a load-and-save round trip through openpyxl
loses: the dynamic-array metadata of the spilling formulas (``xl/metadata.xml`` and the
``cm=`` attributes), their cached values, charts, and whatever the user added. So the
write-back is zip surgery: it finds the Excel table named ``Rules``
(``xl/workbook.xml`` -> its rels -> the sheet -> the sheet's rels -> the table part),
reads the table's ``ref`` and column names, maps table rows by their rule / signal / op
cells, and rewrites only the ``<v>`` of the ``threshold`` cells in that sheet's XML.
Every other zip entry is copied verbatim (its local record: header, compressed bytes,
data descriptor; its central-directory record with only the offset updated), in the same
order; the sheet XML differs only inside the changed cells.

Recalculation: this module never touches ``xl/workbook.xml``; it reports whether that
part asks Excel to recompute everything on open (``<calcPr fullCalcOnLoad="1"/>``,
XlsxWriter's default). The upcell model is built *without* that flag on purpose (it keeps
its cached values so it shows numbers before a Python runtime is connected), so after a
write-back the cached results of formulas that read the Rules table (the Scores queue)
are those of the old thresholds until Excel recalculates with the runtime connected
(Ctrl+Alt+F9); :class:`WriteReport` says so.

    >>> import udfs
    >>> frame = _threshold_frame({"seats_full": 0.85, ("usage_at_cap", "usage_vs_cap"): 0.95})
    >>> frame[["rule", "signal", "threshold"]].values.tolist()
    [['seats_full', '', 0.85], ['usage_at_cap', 'usage_vs_cap', 0.95]]

Thresholds are given as a mapping ``rule -> value``, ``(rule, signal) -> value`` or
``(rule, signal, op) -> value`` (a key picks the rule's first row that matches it), or as
a table with columns ``rule, [signal], [op], threshold`` (a DataFrame, or the CSV
:func:`export_thresholds_csv` writes); in a table, the n-th row with a given key maps to
the n-th matching row of the workbook.

Rule families stay ordered (``udfs.rule_families``): a band's edge that equals the threshold of
the rule above it follows that rule's new threshold, and an export that would leave a band
empty is refused, naming both rules. A table may also carry ``points``, ``persistence``
and ``window`` columns: they go to the rule's first row (``write_points`` writes
calibrated points alone).

Command line: ``python -m workbook thresholds MODEL.xlsx THRESHOLDS.csv``.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import stat
import sys
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from udfs.backtest import families as rule_families
from udfs.core import _args

from ._files import atomic_write, refuse_overwrite
from .xlsx_package import (
    NS_MAIN,
    Package,
    col_letters,
    find_table,
    first_line,
    has_formula,
    insert_cell,
    rewrite_cell,
    shared_strings,
    sheet_cells,
    split_ref,
    write_zip,
)

__all__ = [
    "RECALC_NOTE", "WriteReport", "commit", "export_thresholds_csv", "model_lock", "read_model_table",
    "read_rules_table", "write_points", "write_thresholds",
]

TABLE_NAME = "Rules"
KEY_COLUMNS = ("rule", "signal", "op")

RECALC_NOTE = (
    "cached formula results (the Scores queue) still show the old thresholds until Excel "
    "recalculates: connect the upcell runtime and press Ctrl+Alt+F9"
)


# --------------------------------------------------------------------------- report


@dataclass
class WriteReport:
    """What :func:`write_thresholds` did: one row per threshold cell it was asked to set."""

    path: Path
    backup: Path | None
    sheet: str  # the sheet that holds the Rules table
    sheet_part: str  # e.g. xl/worksheets/sheet3.xml
    changes: pd.DataFrame  # rule, signal, op, cell, old, new, changed
    full_calc_on_load: bool  # workbook.xml asks Excel to recalculate on open
    parts_rewritten: list[str] = field(default_factory=list)

    @property
    def changed(self) -> pd.DataFrame:
        """Only the rows whose value actually changed."""
        return self.changes[self.changes["changed"]].reset_index(drop=True)

    def __str__(self) -> str:
        n = int(self.changes["changed"].sum())
        lines = [f"{self.path.name}: {n} threshold cell(s) changed in {self.sheet}!{TABLE_NAME}"]
        for row in self.changes.itertuples(index=False):
            mark = "->" if row.changed else "=="
            lines.append(f"  {row.cell:>6} {row.rule} {row.signal} {row.op} {row.old:g} {mark} {row.new:g}")
        if self.backup is not None:
            lines.append(f"  backup: {self.backup.name}")
        if not self.full_calc_on_load:
            lines.append(f"  note: {RECALC_NOTE}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- thresholds in


def _threshold_frame(thresholds: Any) -> pd.DataFrame:
    """Any accepted thresholds input as a DataFrame: rule, signal, op, threshold (+ extras)."""
    if isinstance(thresholds, (str, os.PathLike)):
        path = Path(thresholds)
        if not path.is_file():
            raise FileNotFoundError(f"thresholds: file not found: {path}")
        from .records import read_table

        frame = read_table(path, numbers=("threshold",))
        return _threshold_frame(frame)
    if isinstance(thresholds, pd.DataFrame):
        frame = _args.table("thresholds", thresholds)
        if "threshold" not in frame.columns and set(rule_families.EXTRA_COLUMNS) & set(frame.columns):
            frame["threshold"] = None  # points (or persistence, window) alone
        for col in ("rule", "threshold"):
            if col not in frame.columns:
                raise ValueError(f"thresholds: expected a column {col!r} in the header row")
        for col in ("signal", "op"):
            if col not in frame.columns:
                frame[col] = ""
        frame = frame[[c for c in frame.columns if not _is_blank_column(frame, c)]]
        extras = [c for c in frame.columns if c not in (*KEY_COLUMNS, "threshold")]
        rows = []
        for i, row in enumerate(frame.to_dict("records"), start=2):
            if all(_args.is_blank(row.get(c)) for c in ("rule", "threshold", *extras)):
                continue  # an empty line of a CSV
            rows.append(_key_row(f"thresholds row {i}", row, extras))
        if not rows:
            raise ValueError("thresholds: expected at least one threshold, got none")
        return pd.DataFrame(rows, columns=[*KEY_COLUMNS, "threshold", *extras])
    if isinstance(thresholds, Mapping):
        rows = []
        for key, value in thresholds.items():
            parts = tuple(key) if isinstance(key, (tuple, list)) else (key,)
            if not 1 <= len(parts) <= 3:
                raise ValueError(
                    f"thresholds: expected a key rule, (rule, signal) or (rule, signal, op), got {key!r}"
                )
            row = dict(zip(KEY_COLUMNS, parts, strict=False), threshold=value)
            rows.append(_key_row(f"thresholds[{key!r}]", row, []))
        if not rows:
            raise ValueError("thresholds: expected at least one threshold, got none")
        return pd.DataFrame(rows, columns=[*KEY_COLUMNS, "threshold"])
    raise ValueError(
        f"thresholds: expected a mapping, a DataFrame or a CSV path, got {type(thresholds).__name__}"
    )


def _is_blank_column(frame: pd.DataFrame, col: str) -> bool:
    return col not in (*KEY_COLUMNS, "threshold") and str(col).startswith("unnamed")


def _key_row(where: str, row: Mapping, extras: list[str]) -> list:
    rule = row.get("rule")
    if _args.is_blank(rule) or _args.is_excel_error(rule):
        raise _args.fail(f"{where} rule", "a rule name", rule)
    signal = "" if _args.is_blank(row.get("signal")) else _args.normalize_key(row["signal"])
    op = "" if _args.is_blank(row.get("op")) else _normalize_op(row["op"])
    others = [c for c in rule_families.EXTRA_COLUMNS if c in extras and not _args.is_blank(row.get(c))]
    if others and _args.is_blank(row.get("threshold")):
        threshold = math.nan  # only points / persistence / window for this rule
    else:
        threshold = _threshold_value(f"{where} threshold", row.get("threshold"))
    return [str(rule).strip(), signal, op, threshold, *(row.get(c) for c in extras)]


def _normalize_op(op: Any) -> str:
    return str(op).strip().replace("≥", ">=").replace("≤", "<=").replace("==", "=")


def _threshold_value(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise _args.fail(name, "a number", value)
    try:
        x = _args.number(name, value)
    except ValueError:
        raise _args.fail(name, "a number", value) from None
    if not math.isfinite(x):
        raise _args.fail(name, "a finite number", value)
    return x




# --------------------------------------------------------------------------- sheet reading


def read_rules_table(model_path: str | os.PathLike) -> pd.DataFrame:
    """The ``Rules`` table of a workbook as a DataFrame (header row as columns), read from XML.

    Reads the cached cell values, exactly what :func:`write_thresholds` matches against;
    ``udfs.rules_table(read_rules_table(path))`` validates it as the model would.
    """
    return read_model_table(model_path, TABLE_NAME)


def read_model_table(model_path: str | os.PathLike, name: str) -> pd.DataFrame:
    """The Excel table ``name`` of a workbook as a DataFrame of its cached cell values
    (header row as normalized column names), read from the XML without loading the book."""
    pkg = _open(Path(model_path))
    try:
        _sheet, sheet_part, table = find_table(pkg, name)
        layout = _layout(pkg, table, name)
        cells = sheet_cells(pkg.read(sheet_part), shared_strings(pkg), layout["rows"],
                            set(layout["cols"].values()))
    finally:
        pkg.zip.close()
    records = []
    for r in layout["rows"]:
        records.append({col_name: cells.get((col, r)) for col_name, col in layout["cols"].items()})
    return pd.DataFrame(records, columns=list(layout["cols"]))


def _layout(pkg: Package, table: ET.Element, name: str = TABLE_NAME) -> dict:
    ref = table.get("ref", "")
    if ":" not in ref:
        raise ValueError(f"{pkg.path.name}: table {name!r} has a bad ref {ref!r}")
    (c0, r0), (c1, r1) = (split_ref(x) for x in ref.split(":"))
    header_rows = int(table.get("headerRowCount", "1"))
    totals_rows = int(table.get("totalsRowCount", "0") or 0)
    if table.get("totalsRowShown") == "1" and "totalsRowCount" not in table.attrib:
        totals_rows = 0
    names = [
        tc.get("name", "")
        for tc in table.iter(f"{{{NS_MAIN}}}tableColumn")
    ]
    if len(names) != c1 - c0 + 1:
        raise ValueError(f"{pkg.path.name}: table {name!r} has {len(names)} columns for ref {ref}")
    cols = {}
    for i, header in enumerate(names):
        cols.setdefault(_args.normalize_key(header), c0 + i)
    return {"cols": cols, "rows": range(r0 + header_rows, r1 - totals_rows + 1), "ref": ref}


def _open(path: Path) -> Package:
    if not path.exists():
        raise FileNotFoundError(f"model workbook not found: {path}")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    return Package(path)


# --------------------------------------------------------------------------- matching


def _match(frame: pd.DataFrame, table_rows: list[dict]) -> list[tuple[int, float, dict]]:
    """(index into table_rows, new value, wanted row) for each threshold row of ``frame``."""
    used: dict[tuple, int] = {}
    out = []
    known_rules = {_rule_key(t["rule"]) for t in table_rows}
    for want in frame.to_dict("records"):
        key = (_rule_key(want["rule"]), want["signal"], want["op"])
        if key[0] not in known_rules:
            raise ValueError(f"thresholds: unknown rule {want['rule']!r} (not in the Rules table)")
        hits = [
            i
            for i, t in enumerate(table_rows)
            if _rule_key(t["rule"]) == key[0]
            and (not key[1] or t["signal"] == key[1])
            and (not key[2] or t["op"] == key[2])
        ]
        if not hits:
            what = " ".join(x for x in (want["signal"], want["op"]) if x)
            raise ValueError(f"thresholds: rule {want['rule']!r} has no condition {what!r} in the Rules table")
        n = used.get(key, 0)
        used[key] = n + 1
        if n >= len(hits):
            raise ValueError(f"thresholds: rule {want['rule']!r} is given more times than the Rules table has rows for it")
        out.append((hits[n], want["threshold"], want))
    targets = [i for i, _, _ in out]
    dupes = {i for i in targets if targets.count(i) > 1}
    if dupes:
        row = table_rows[min(dupes)]
        raise ValueError(f"thresholds: two thresholds for the same condition of rule {row['rule']!r}")
    return out


def _rule_key(rule: Any) -> str:
    return "" if _args.is_blank(rule) else str(rule).strip().lower()


# --------------------------------------------------------------------------- public API


def write_points(model_path: str | os.PathLike, points: Any, *, backup: bool = True) -> WriteReport:
    """Write calibrated points into the ``points`` cells of the ``Rules`` table (same
    lossless write-back and backup as :func:`write_thresholds`).

    ``points``: ``{rule: points}`` or a table with columns ``rule, points`` (what
    ``udfs.calibrate_points`` returns; other columns are ignored).
    """
    if isinstance(points, Mapping):
        frame = pd.DataFrame({"rule": list(points), "points": list(points.values())})
    else:
        frame = _args.table("points", points)
        for col in ("rule", "points"):
            if col not in frame.columns:
                raise ValueError(f"points: expected a column {col!r} in the header row")
        frame = frame[["rule", "points"]]
    return write_thresholds(model_path, frame, backup=backup)


def write_thresholds(model_path: str | os.PathLike, thresholds: Any, *, backup: bool = True) -> WriteReport:
    """Set the ``threshold`` cells of the workbook's ``Rules`` table; nothing else changes.

    ``thresholds``: ``{rule: x}``, ``{(rule, signal): x}``, ``{(rule, signal, op): x}``,
    or a table (DataFrame / CSV path) with columns ``rule, [signal], [op], threshold``.
    Keeps the original as ``<name>.backup-YYYYmmdd-HHMMSS.xlsx`` beside it (``backup=True``),
    writes a temp file in the same folder and moves it into place. Returns a
    :class:`WriteReport`; raises ``FileNotFoundError`` / ``ValueError`` / ``PermissionError``
    (the file is open in Excel, the folder is read-only) with one line.
    """
    path = Path(model_path)
    frame = _threshold_frame(thresholds)
    with model_lock(path):
        pkg = _open(path)
        try:
            return _write(path, pkg, frame, backup)
        finally:
            pkg.zip.close()


LOCK_TIMEOUT = 120.0  # seconds a write-back waits for another one on the same model


def model_lock(path: Path):
    """The lock that serialises write-backs into one model: ``.NAME.lock`` beside it.

    A second ``thresholds`` run on the same model waits for the first, then reads the
    model the first one wrote, so neither change is lost.
    """
    from filelock import FileLock, Timeout

    lock = FileLock(str(path.with_name(f".{path.name}.lock")), timeout=LOCK_TIMEOUT)

    class _Held:
        def __enter__(self):
            try:
                lock.acquire()
            except Timeout:
                raise ValueError(f"{path.name}: another write-back into it has been running for "
                                 f"{LOCK_TIMEOUT:.0f} s; try again when it has finished") from None
            except OSError as err:
                raise PermissionError(f"{path.parent}: cannot create the lock file beside the "
                                      f"model ({err.strerror or err})") from None
            return lock

        def __exit__(self, *exc):
            lock.release()
            return False

    return _Held()




def _write(path: Path, pkg: Package, frame: pd.DataFrame, backup: bool) -> WriteReport:
    sheet, sheet_part, table = find_table(pkg, TABLE_NAME)
    layout = _layout(pkg, table)
    missing = [c for c in (*KEY_COLUMNS, "threshold") if c not in layout["cols"]]
    if missing:
        raise ValueError(f"{path.name}: table {TABLE_NAME!r} has no column {missing[0]!r}")
    cols = layout["cols"]
    sheet_xml = pkg.read(sheet_part)
    read = [c for c in (*KEY_COLUMNS, "threshold", "motion", *rule_families.EXTRA_COLUMNS) if c in cols]
    cells = sheet_cells(sheet_xml, shared_strings(pkg), layout["rows"], {cols[c] for c in read})
    table_rows = []
    for r in layout["rows"]:
        rule = cells.get((cols["rule"], r))
        signal = cells.get((cols["signal"], r))
        op = cells.get((cols["op"], r))
        table_rows.append(
            {
                "row": r,
                "rule": "" if _args.is_blank(rule) else str(rule).strip(),
                "signal": "" if _args.is_blank(signal) else _args.normalize_key(signal),
                "op": "" if _args.is_blank(op) else _normalize_op(op),
                "threshold": cells.get((cols["threshold"], r)),
                **{c: cells.get((cols[c], r)) for c in read if c not in (*KEY_COLUMNS, "threshold")},
            }
        )
    matches = _match(frame, table_rows)
    edits = rule_families.plan(table_rows, matches, cols)  # thresholds, band edges, first-row columns

    # Formulas in threshold cells are the user's: refuse rather than silently replace them.
    root = ET.fromstring(sheet_xml)
    formula_cells = {
        c.get("r") for c in root.iter(f"{{{NS_MAIN}}}c") if c.get("r") and has_formula(c)
    }
    records = []
    new_xml = sheet_xml
    for i, column, value, note in edits:
        row = table_rows[i]
        if column not in cols:  # reported, not written (an older model without the column)
            records.append({"rule": row["rule"], "signal": row["signal"], "op": row["op"],
                            "column": column, "cell": "", "old": math.nan, "new": float(value),
                            "changed": False, "note": note})
            continue
        tcol = cols[column]
        ref = f"{col_letters(tcol)}{row['row']}"
        if ref in formula_cells:
            raise ValueError(f"{path.name}: {sheet}!{ref} ({column} of {row['rule']}) holds a formula; not overwriting it")
        old = row.get(column)
        old_num = old if isinstance(old, float) else (_args.parse_number(old) if isinstance(old, str) else None)
        changed = not (isinstance(old, float) and old == value)
        if changed:
            new_xml, found = rewrite_cell(new_xml, ref, value)
            if not found:
                new_xml = insert_cell(new_xml, tcol, row["row"], value)
            row[column] = float(value)  # a later edit of the same cell compares with this one
        records.append(
            {
                "rule": row["rule"], "signal": row["signal"], "op": row["op"], "column": column,
                "cell": ref, "old": math.nan if old_num is None else float(old_num),
                "new": float(value), "changed": changed, "note": note,
            }
        )
    changes = pd.DataFrame(records, columns=["rule", "signal", "op", "column", "cell", "old", "new",
                                             "changed", "note"])
    full_calc = b"fullCalcOnLoad=\"1\"" in pkg.read("xl/workbook.xml") or b"fullCalcOnLoad=\"true\"" in pkg.read("xl/workbook.xml")
    report = WriteReport(
        path=path, backup=None, sheet=sheet, sheet_part=sheet_part, changes=changes,
        full_calc_on_load=full_calc,
    )
    if new_xml == sheet_xml:
        return report  # nothing to change: the file is left alone (no backup needed)

    report.backup = commit(path, pkg, {sheet_part: new_xml}, backup, what="the thresholds")
    report.parts_rewritten = [sheet_part]
    return report


def commit(path: Path, pkg: Package, parts: dict[str, bytes], backup: bool, what: str) -> Path | None:
    """Write ``pkg`` with ``parts`` replaced over ``path``: a verified temporary file
    renamed into place, refused when the file changed since it was read; the original
    kept as a backup (returned) when ``backup``."""
    made: list[Path] = []

    def write_model(tmp: str) -> None:
        with open(tmp, "wb") as out:
            write_zip(pkg, parts, out)

    def check_and_back_up(tmp: str) -> None:
        try:
            with zipfile.ZipFile(tmp) as check:
                bad = check.testzip()
        except (zlib.error, zipfile.BadZipFile, EOFError) as err:
            raise ValueError(f"{path.name}: the file is damaged ({first_line(err)}); "
                             "restore it from a backup") from None
        if bad is not None:
            raise ValueError(f"{path.name}: the file is damaged (part {bad} fails its CRC check); "
                             "restore it from a backup")
        try:
            unchanged = path.read_bytes() == pkg.data
        except OSError:
            unchanged = False
        if not unchanged:  # saved in Excel (or written otherwise) since it was read
            raise ValueError(f"{path.name} changed while {what} were being written; "
                             "nothing was written: run the command again")
        if backup:
            made.append(_make_backup(path, pkg.data))

    atomic_write(
        path, write_model, force=True, fsync=True,  # mode None: keep the model's permissions
        before_replace=check_and_back_up,
        temp_error="{dir}: cannot write a file beside the model ({reason})",
        replace_error="{name}: cannot replace the file (is it open in Excel? close it and retry)",
    )
    return made[0] if made else None


def _make_backup(path: Path, data: bytes) -> Path:
    """The original bytes as ``NAME.backup-STAMP.xlsx``: written to a temporary name and
    linked into place, so a kill never leaves a truncated backup nor overwrites one."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    times = (path.stat().st_atime, path.stat().st_mtime)
    for n in range(1000):
        suffix = "" if n == 0 else f"-{n}"
        target = path.with_name(f"{path.stem}.backup-{stamp}{suffix}{path.suffix}")
        if target.exists():
            continue
        try:
            atomic_write(target, data, force=False, fsync=True,
                         mode=stat.S_IMODE(path.stat().st_mode),
                         before_replace=lambda tmp: os.utime(tmp, times))
            return target
        except FileExistsError:
            continue
    raise ValueError(f"{path.name}: could not find a free backup name")


def export_thresholds_csv(thresholds: Any, path: str | os.PathLike, *, force: bool = False) -> Path:
    """Write thresholds as a CSV (rule, signal, op, threshold, extra columns); atomic.

    Refuses to overwrite an existing file unless ``force``. The CSV reads back into
    :func:`write_thresholds`.
    """
    target = Path(path)
    frame = _threshold_frame(thresholds)
    refuse_overwrite(target, force=force, message="{path}: already exists (pass force=True to overwrite)")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"{target.parent}: folder not found")

    def write_csv(tmp: str) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as out:
            frame.to_csv(out, index=False, float_format=None)

    atomic_write(target, write_csv, force=True)  # mode None: as open() would give it
    return target


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m workbook thresholds MODEL.xlsx THRESHOLDS.csv", file=sys.stderr)
        return 2
    try:
        print(write_thresholds(argv[0], argv[1]))
    except (ValueError, OSError) as err:
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    return 0

