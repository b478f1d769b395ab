"""Import a user's account export (CSV or XLSX) into the SPEC §2 account table.

Headers are matched as SPEC §2 says (case, spaces, dashes, underscores, common aliases)
through :func:`udfs.playbook.account_column`. Nothing is dropped silently: unmapped
columns are kept (to the right of the known ones) and listed, blank rows are skipped and
listed, and a cell that is not what its column needs is kept as typed and named with its
row number, so the scoring functions report it on the account's row as well.

>>> book = load_accounts([["Account ID", "ARR", "Seat Utilization", "Owner email"],
...                       ["a1", "$12,000", "92%", "x@y.z"], [None, None, None, None],
...                       ["a2", "n/a", 0.5, None]])
>>> book.frame.columns.tolist()
['account_id', 'arr', 'seat_utilization', 'Owner email']
>>> book.frame["arr"].tolist()
[12000.0, 'n/a']
>>> print(book.report.lines()[-1])
  row 4, arr: 'n/a' is not a number (kept as text; scoring names this row)
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from udfs import _args
from udfs.playbook import (
    ACCOUNT_COLUMNS,
    NON_NEGATIVE_KINDS,
    SEGMENTS,
    TEXT_KINDS,
    account_column,
)

NUMERIC_KINDS = frozenset(k for k in set(ACCOUNT_COLUMNS.values()) if k not in TEXT_KINDS | {"flag"})


class ImportError_(ValueError):
    """The export cannot be imported at all (no header, no account_id column...)."""


@dataclass
class BadCell:
    row: int  # row number in the source file (the header is row 1 of a CSV)
    column: str
    value: Any
    problem: str

    def line(self) -> str:
        return f"row {self.row}, {self.column}: {self.problem}"


@dataclass
class ImportReport:
    """What the import did with every header and every row."""

    source: str
    rows: int = 0
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (header, column)
    unmapped: list[str] = field(default_factory=list)  # kept as extra columns
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (header, column)
    missing: list[str] = field(default_factory=list)  # SPEC §2 columns not in the export
    blank_rows: list[int] = field(default_factory=list)
    bad_cells: list[BadCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({b.row for b in self.bad_cells})

    def lines(self, limit: int | None = None) -> list[str]:
        out = [f"Imported {self.rows} account row{'s' * (self.rows != 1)} from {self.source}."]
        renamed = [f"{h!r} -> {c}" for h, c in self.mapped if h != c]
        out.append(
            f"Matched {len(self.mapped)} columns"
            + (f" ({', '.join(renamed)})" if renamed else "")
            + "."
        )
        if self.unmapped:
            out.append(
                "Unmapped columns (kept in the Accounts table, not used by scoring): "
                + ", ".join(repr(h) for h in self.unmapped)
            )
        for header, column in self.duplicates:
            out.append(
                f"Duplicate column {header!r} also means {column}; the first one is used, "
                f"this one is kept as {header + ' (duplicate)'!r}"
            )
        if self.missing:
            out.append(
                "Missing columns (their rules see no signal): " + ", ".join(self.missing)
            )
        if self.blank_rows:
            out.append(f"Blank rows skipped: {_rows_text(self.blank_rows)}")
        out.extend(self.notes)
        if self.bad_cells:
            out.append(
                f"Bad cells: {len(self.bad_cells)} in {len(self.bad_rows)} rows "
                f"({_rows_text(self.bad_rows)}):"
            )
            shown = self.bad_cells if limit is None else self.bad_cells[:limit]
            out.extend("  " + b.line() for b in shown)
            if len(shown) < len(self.bad_cells):
                out.append(f"  ... and {len(self.bad_cells) - len(shown)} more")
        else:
            out.append("No bad cells.")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines(limit=50))


@dataclass
class AccountBook:
    """The imported table: SPEC columns first (canonical names), then the extra ones."""

    frame: pd.DataFrame  # object columns: floats, bools, str, None
    kinds: dict[str, str]  # column -> ACCOUNT_COLUMNS kind, or 'extra'
    report: ImportReport


def _rows_text(rows: list[int], limit: int = 20) -> str:
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (f" (+{len(rows) - limit} more)" if len(rows) > limit else "")


# --------------------------------------------------------------------------- reading


def read_rows(path: str | os.PathLike) -> tuple[list[list[Any]], list[int], str]:
    """The cells of a CSV or XLSX export: (rows, their row numbers, a source label)."""
    path = os.fspath(path)
    name = os.path.basename(path)
    ext = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        raise ImportError_(f"accounts: no such file {path!r}")
    if ext in (".xlsx", ".xlsm"):
        return (*_read_xlsx(path), name)
    if ext in (".csv", ".txt", ".tsv"):
        return (*_read_csv(path), name)
    raise ImportError_(f"accounts: expected a .csv or .xlsx file, got {name!r}")


def _read_csv(path: str) -> tuple[list[list[Any]], list[int]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        text = fh.read()
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    # A CSV opened in Excel shows record i on row i.
    return rows, list(range(1, len(rows) + 1))


def _read_xlsx(path: str) -> tuple[list[list[Any]], list[int]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = {n.lower(): n for n in wb.sheetnames}
        ws = wb[names["accounts"]] if "accounts" in names else wb.worksheets[0]
        rows, numbers_ = [], []
        for row in ws.iter_rows():
            cells = [c for c in row if getattr(c, "row", None) is not None]
            if not cells:
                continue
            n = cells[0].row
            while numbers_ and numbers_[-1] + 1 < n:  # rows absent from the file are blank
                numbers_.append(numbers_[-1] + 1)
                rows.append([])
            rows.append([c.value for c in row])
            numbers_.append(n)
        return rows, numbers_
    finally:
        wb.close()


# --------------------------------------------------------------------------- importing


def load_accounts(source: Any, *, label: str | None = None) -> AccountBook:
    """Import an export: a path (CSV/XLSX), a DataFrame, or rows (header first).

    Raises :class:`ImportError_` (a ``ValueError``) when there is no header row or no
    ``account_id`` column; every other problem is reported, never fatal.
    """
    if isinstance(source, pd.DataFrame):
        frame = source.astype(object).where(source.notna(), None)
        rows = [list(map(str, frame.columns))] + frame.to_numpy().tolist()
        numbers_ = list(range(1, len(rows) + 1))
        label = label or "a DataFrame"
    elif isinstance(source, (str, os.PathLike)):
        rows, numbers_, name = read_rows(source)
        label = label or name
    else:
        rows = [list(r) for r in source]
        numbers_ = list(range(1, len(rows) + 1))
        label = label or "rows"
    return _import(rows, numbers_, label)


def _blank(value: Any) -> bool:
    return _args.is_blank(value)


def _import(rows: list[list[Any]], numbers_: list[int], label: str) -> AccountBook:
    report = ImportReport(source=label)
    start = next((i for i, r in enumerate(rows) if not all(_blank(v) for v in r)), None)
    if start is None:
        raise ImportError_(f"accounts: {label} is empty (expected a header row with account_id)")
    # Report exports often put a title or filters above the header: the header is the
    # first row (of the first 20 non-blank ones) naming an account_id column.
    for i in range(start, min(len(rows), start + 20)):
        if any(not _blank(v) and account_column(_header_text(v)) == "account_id" for v in rows[i]):
            if i > start:
                above = [numbers_[k] for k in range(start, i) if not all(_blank(v) for v in rows[k])]
                report.notes.append(
                    f"Header found on row {numbers_[i]}; rows above it skipped: {_rows_text(above)}"
                )
            start = i
            break
    header = list(rows[start])
    body = rows[start + 1 :]
    body_numbers = numbers_[start + 1 :]

    # Columns beyond the header that hold data get a header of their own.
    width = max([len(header)] + [len(r) for r in body]) if body else len(header)
    header += [None] * (width - len(header))
    used = [any(i < len(r) and not _blank(r[i]) for r in body) for i in range(width)]

    columns: list[tuple[int, str, str]] = []  # (source index, name, kind)
    seen: dict[str, str] = {}
    taken_extra: set[str] = set()
    for i, raw in enumerate(header):
        if _blank(raw):
            if not used[i]:
                continue  # an empty column (trailing delimiters): nothing to keep
            text = f"Column {_col_letter(i)}"
            report.notes.append(f"Column {_col_letter(i)} has data but no header; kept as {text!r}")
        else:
            text = _header_text(raw)
        column = account_column(text)
        if column is not None and column not in seen:
            seen[column] = text
            columns.append((i, column, ACCOUNT_COLUMNS[column]))
            report.mapped.append((text, column))
            continue
        if column is not None:
            report.duplicates.append((text, column))
            text = text + " (duplicate)"
        else:
            report.unmapped.append(text)
        name = text
        n = 2
        while _args.normalize_key(name) in taken_extra or account_column(name) is not None:
            name, n = f"{text} ({n})", n + 1
        taken_extra.add(_args.normalize_key(name))
        columns.append((i, name, "extra"))

    if "account_id" not in seen:
        found = ", ".join(repr(_header_text(h)) for h in header if not _blank(h)) or "none"
        raise ImportError_(
            f"accounts: expected an account_id column (or 'Account ID', 'id', 'Customer ID'), "
            f"found {found}"
        )
    derived = {"seat_utilization"} if {"seats_active", "seats_licensed"} <= set(seen) else set()
    report.missing = [c for c in ACCOUNT_COLUMNS if c not in seen and c not in derived]
    if derived and "seat_utilization" not in seen:
        report.notes.append("seat_utilization is derived from seats_active / seats_licensed.")

    keep, keep_numbers = [], []
    for r, n in zip(body, body_numbers, strict=True):
        if all(_blank(v) for v in r):
            report.blank_rows.append(n)
            continue
        keep.append(list(r) + [None] * (width - len(r)))
        keep_numbers.append(n)
    report.rows = len(keep)

    order = sorted(
        columns,
        key=lambda c: (0, list(ACCOUNT_COLUMNS).index(c[1])) if c[2] != "extra" else (1, c[0]),
    )
    data: dict[str, list[Any]] = {}
    kinds: dict[str, str] = {}
    grid = np.empty((len(keep), width), dtype=object)
    if keep:
        grid[:, :] = keep
    row_numbers = np.asarray(keep_numbers, dtype=int)
    for i, name, kind in order:
        raw = grid[:, i] if keep else np.empty(0, dtype=object)
        data[name] = _convert(name, kind, raw, row_numbers, report)
        kinds[name] = kind
    report.bad_cells.sort(key=lambda b: (b.row, list(data).index(b.column)))
    _check_ids(data["account_id"], row_numbers, report)
    frame = pd.DataFrame(data, dtype=object) if keep else pd.DataFrame(
        {k: pd.Series([], dtype=object) for k in data}
    )
    return AccountBook(frame=frame, kinds=kinds, report=report)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _header_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return " ".join(str(raw).split())


def _cell_text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _convert(name: str, kind: str, raw: np.ndarray, rows: np.ndarray, report: ImportReport) -> list:
    if kind == "extra":
        out = []
        for v in raw:
            if _blank(v):
                out.append(None)
            elif isinstance(v, str):
                out.append(v.strip())
            elif isinstance(v, float) and not math.isfinite(v):
                out.append(None)
            else:
                out.append(v)
        return _numeric_if_all(out)

    if kind in TEXT_KINDS:
        out = [_cell_text(v) for v in raw]
        if name == "segment":
            lookup = {_args.normalize_key(s): s for s in SEGMENTS}
            unknown = []
            for j, v in enumerate(out):
                if v is None:
                    continue
                canon = lookup.get(_args.normalize_key(v))
                if canon is None:
                    unknown.append(int(rows[j]))
                else:
                    out[j] = canon
            if unknown:
                report.notes.append(
                    f"segment not one of {', '.join(SEGMENTS)} on rows {_rows_text(unknown)} "
                    "(kept as typed)"
                )
        if name == "account_id":
            for j, v in enumerate(out):
                if v is None:
                    report.bad_cells.append(BadCell(int(rows[j]), name, None, "blank account_id"))
        return out
    if kind == "flag":
        out = []
        for j, v in enumerate(raw):
            parsed = _args.parse_flag(v)
            if parsed is None:
                out.append(_cell_text(v))
                report.bad_cells.append(
                    BadCell(int(rows[j]), name, v, f"{_args.describe(v)} is not TRUE/FALSE (kept as text)")
                )
            else:
                out.append(None if _blank(v) else parsed)
        return out
    # numeric kinds
    values, bad = _coerce_numbers(raw)
    out = [None if math.isnan(x) else float(x) for x in values]
    for j in np.flatnonzero(bad):
        v = raw[j]
        out[j] = _cell_text(v)
        what = "a date" if isinstance(v, (datetime, date)) else _args.describe(v)
        report.bad_cells.append(
            BadCell(int(rows[j]), name, v, f"{what} is not a number (kept as text; scoring names this row)")
        )
    if kind in NON_NEGATIVE_KINDS:
        for j in np.flatnonzero(~bad & (np.nan_to_num(values, nan=0.0) < 0)):
            report.bad_cells.append(
                BadCell(int(rows[j]), name, values[j], f"{values[j]:g} is negative (kept)")
            )
    if kind == "score":
        for j in np.flatnonzero(~bad & (np.nan_to_num(values, nan=0.0) > 100)):
            report.bad_cells.append(
                BadCell(int(rows[j]), name, values[j], f"{values[j]:g} is above 100 (kept)")
            )
    return out


def _numeric_if_all(values: list) -> list:
    """An extra column typed as text in a CSV whose every cell is a plain number: numbers."""
    texts = [v for v in values if isinstance(v, str)]
    if not texts:
        return values
    try:
        parsed = {t: float(t) for t in texts}
    except ValueError:
        return values  # a text column (stays text, whatever a cell starts with)
    if not all(math.isfinite(x) for x in parsed.values()):
        return values
    return [parsed[v] if isinstance(v, str) else v for v in values]


def _coerce_numbers(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells as floats (NaN = blank) and a mask of the cells that are not numbers.

    Numbers typed as text are read as Excel users write them ('1,200', '$5K', '92%');
    booleans, dates, Excel errors and non-finite values are bad cells.
    """
    n = len(raw)
    out = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    for j, v in enumerate(raw.tolist()):
        t = type(v)
        if t is float or t is int:
            x = float(v)
        elif t is str:
            text = v.strip()
            if not text:
                continue
            try:
                x = float(text)
            except ValueError:
                x = _args.parse_number(text)
                if x is None:
                    bad[j] = True
                    continue
        elif v is None:
            continue
        elif isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)):
            x = float(v)
        else:
            bad[j] = True  # TRUE/FALSE, a date, anything else
            continue
        if math.isfinite(x):
            out[j] = x
        elif not math.isnan(x) or t is str:
            bad[j] = True  # 'inf', 'nan' typed as text
    return out, bad


def _check_ids(ids: list, rows: np.ndarray, report: ImportReport) -> None:
    where: dict[str, list[int]] = {}
    for v, n in zip(ids, rows, strict=True):
        if v is not None:
            where.setdefault(v, []).append(int(n))
    dupes = {k: v for k, v in where.items() if len(v) > 1}
    for k, v in list(dupes.items())[:20]:
        report.notes.append(f"account_id {k!r} appears on rows {_rows_text(v)} (all kept)")
    if len(dupes) > 20:
        report.notes.append(f"... and {len(dupes) - 20} more duplicate account_ids")


def is_number(value: Any) -> bool:
    """A real number cell (not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
