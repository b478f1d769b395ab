"""Records in, nothing lost: a file (or rows, or a DataFrame) into a typed table + report.

``load_records(source, kind)`` reads any registered record type (see :mod:`.schema`):
headers are matched as SPEC §2 says, identifiers and unmapped columns keep exactly what was
typed, numbers are read with the file's decimal mark, and every row and cell that is not
imported as given is named in the report. Conversion is vectorized (pandas/numpy).

>>> book = load_records([["Account ID", "ARR"], ["02134", "12.500,00"], ["Total", "12.500,00"]])
>>> book.frame.to_dict("records"), book.report.summary_rows
([{'account_id': '02134', 'arr': 12500.0}], [(3, 'Total')])
"""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from udfs.core import _args
from udfs.core._threads import beside

from . import schema as _schema
from .checks import check_records
from .columns import (
    _IS_STR,
    DistinctIds,
    _obj,
    blank_cells,
    check_ids,
    convert,
    floats_in_place,
    summary_ids,
    text_series,
)
from .numbers import _text, detect_decimal, parse_numbers
from .raw import TEXT, RawTable, ReadError, release_memory
from .reading import column_letter, read_body, read_source
from .report import BadCell, ImportReport, rows_text
from .xlsx import read_xlsx_body

HEADER_SEARCH_ROWS = 20
DECIMAL_SAMPLE_ROWS = 2000
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}


DUPLICATE_CHOICES = ("sum", "last")


@dataclass(frozen=True)
class ReadOptions:
    """How to read what a file cannot say itself: the order of dates such as 03/04/2025,
    what ARR history rows of one account and month mean, the as-of date (None: not given)."""

    dayfirst: bool = False
    duplicates: str | None = None
    as_of: date | None = None
    today: date | None = None


class ImportError_(ValueError):
    """The export cannot be imported at all (no header, no id column, unreadable file)."""


@dataclass
class RecordBook:
    """The imported table: schema columns first (canonical names), then the extra ones.

    Numeric columns are float64 when every cell is a number or blank; a column holding a
    bad cell is object (numbers, and the bad cell kept as typed text), so the scoring
    functions name that row too. Text columns (ids, names, and an extra column of text)
    are pandas text (``str``: Arrow strings, NaN for a blank cell); flag columns hold
    True/False/None (or the bad cell as typed).
    """

    frame: pd.DataFrame
    kinds: dict[str, str]  # column -> kind, or 'extra'
    report: ImportReport


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``--map "Old header=column"`` items as {normalized header: column}.

    >>> parse_map(["Net Revenue=arr", " Logins = logins_per_seat "])
    {'net_revenue': 'arr', 'logins': 'logins_per_seat'}
    """
    out = {}
    for item in items or []:
        header, sep, column = str(item).rpartition("=")
        if not sep or not header.strip() or not column.strip():
            raise ImportError_(f"--map: expected \"Old header=column\", got {item!r}")
        out[_args.normalize_key(header)] = _args.normalize_key(column)
    return out


def load_records(
    source: Any,
    kind: str = "accounts",
    *,
    mapping: dict[str, str] | list[str] | None = None,
    decimal: str | None = None,
    label: str | None = None,
    as_of: date | None = None,
    dayfirst: bool = False,
    duplicates: str | None = None,
) -> RecordBook:
    """Import ``source`` (a CSV/XLSX path, the bytes of one, a DataFrame, or rows with the
    header first) as records of ``kind``. ``mapping``: extra header -> column matches (the
    ``--map`` items or a dict); ``decimal``: ``','`` or ``'.'`` to override detection;
    ``as_of``: the date that derived ages (tenure from customer_since) are measured at;
    ``dayfirst``: dates such as 03/04/2025 are day first (default: the column decides);
    ``duplicates``: ``sum`` or ``last`` for ARR history rows of one account and month
    (default: reported as a problem, see :mod:`.checks`).

    Raises :class:`ImportError_` (a ``ValueError``, one line) when the file cannot be read
    or has no header naming the id column; every other problem is reported, never fatal.
    """
    schema = _schema.get_schema(kind)
    if decimal not in (None, "", ".", ","):
        raise ImportError_(f"--decimal: expected ',' or '.', got {decimal!r}")
    mapping = parse_map(mapping) if isinstance(mapping, (list, tuple)) else {
        _args.normalize_key(k): _args.normalize_key(v) for k, v in (mapping or {}).items()
    }
    for column in mapping.values():
        if column not in schema.columns:
            raise ImportError_(
                f"--map: {column!r} is not a column of {schema.kind} (expected one of "
                f"{', '.join(schema.columns)})"
            )
    if duplicates not in (None, "", *DUPLICATE_CHOICES):
        raise ImportError_(f"--duplicates: expected {' or '.join(DUPLICATE_CHOICES)}, got {duplicates!r}")
    raw = _raw(source, label, schema)
    options = ReadOptions(dayfirst=bool(dayfirst), duplicates=duplicates or None,
                          as_of=as_of, today=date.today())
    return _import(raw, schema, mapping, decimal or None, as_of or date.today(), options)


def _raw(source: Any, label: str | None, schema: _schema.Schema) -> RawTable:
    if isinstance(source, pd.DataFrame):
        frame = source.astype(object).where(source.notna(), None)
        rows = [list(map(str, frame.columns))] + frame.to_numpy().tolist()
        return RawTable(label or "a DataFrame", "rows", rows, list(range(1, len(rows) + 1)), True)
    if isinstance(source, (str, os.PathLike, bytes, bytearray)):
        try:
            raw = read_source(source, label, head_rows=HEADER_SEARCH_ROWS + DECIMAL_SAMPLE_ROWS + 1)
        except ReadError as err:
            raise ImportError_(str(err)) from None
        if raw.kind == "xlsx" and schema.sheet and raw.sheet.lower() != schema.sheet.lower():
            from .xlsx import read_xlsx

            try:
                import pandas as _pd

                with _pd.ExcelFile(raw.source, engine="calamine") as book:
                    names = {n.lower() for n in book.sheet_names}
                if schema.sheet.lower() in names:
                    raw = read_xlsx(raw.source, raw.label, schema.sheet)
            except ReadError as err:
                raise ImportError_(str(err)) from None
        return raw
    try:
        rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in source]
    except TypeError:
        raise ImportError_(
            f"{schema.kind}: expected a file path, a DataFrame or rows, got {type(source).__name__}"
        ) from None
    return RawTable(label or "rows", "rows", rows, list(range(1, len(rows) + 1)), True)


def _blank_row(row: list) -> bool:
    return all(_args.is_blank(v) for v in row)


def _header_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return " ".join(str(raw).split())


def _find_header(raw: RawTable, schema: _schema.Schema, mapping: dict) -> int:
    """Index into raw.rows of the header: the first row naming the id column."""
    first = next((i for i, r in enumerate(raw.rows) if not _blank_row(r)), None)
    if first is None:
        raise ImportError_(
            f"{schema.kind}: {raw.label} is empty (expected a header row with {schema.id_column})"
        )
    seen = 0
    for i in range(first, len(raw.rows)):
        row = raw.rows[i]
        if _blank_row(row):
            continue
        found = {_resolve(_header_text(v), schema, mapping) for v in row if not _args.is_blank(v)}
        if schema.id_column in found or (not schema.id_required and len(found - {None}) >= 2):
            return i
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    head = raw.rows[first]
    found = ", ".join(repr(_header_text(h)) for h in head[:12] if not _args.is_blank(h)) or "none"
    if not schema.id_required:
        raise ImportError_(
            f"{schema.kind}: expected a header row naming its columns ({', '.join(schema.columns)}) "
            f"in {raw.label}, found {found}; map yours with --map \"Your header=column\""
        )
    raise ImportError_(
        f"{schema.kind}: expected a column {schema.id_column} (a header such as "
        f"{_id_examples(schema)}) in {raw.label}, found {found}; if yours is called otherwise, "
        f"add --map \"Your header={schema.id_column}\""
    )


def _id_examples(schema: _schema.Schema) -> str:
    if schema.kind == "accounts":
        return "'Account ID', 'id', 'Customer ID'"
    return repr(schema.id_column)


def _resolve(text: str, schema: _schema.Schema, mapping: dict) -> str | None:
    key = _args.normalize_key(text)
    if key in mapping:
        return mapping[key]
    return schema.column_for(text)


def _import(raw: RawTable, schema: _schema.Schema, mapping: dict, decimal: str | None,
            as_of: date, options: ReadOptions | None = None) -> RecordBook:
    options = options or ReadOptions()
    report = ImportReport(source=raw.label, noun=schema.noun, id_column=schema.id_column)
    report.notes.extend(raw.notes)
    if raw.kind == "csv":
        report.encoding = _ENCODING_NAMES.get(raw.encoding, raw.encoding)
        report.delimiter = raw.delimiter
    h = _find_header(raw, schema, mapping)
    header_number = raw.numbers[h]
    report.header_row = header_number
    above = [raw.numbers[k] for k in range(h) if not _blank_row(raw.rows[k])]
    if above:
        report.notes.append(f"Header found on row {header_number}; rows above it skipped: {rows_text(above)}")
    header = list(raw.rows[h])

    # ---- columns
    width = max([len(header), raw.rest_width] + [len(r) for r in raw.rows[h + 1:]])
    header += [None] * (width - len(header))
    plan = _plan_columns(header, schema, mapping, report)
    text_idx = {i for i, _, k in plan if k in _schema.NON_NUMERIC_KINDS}

    # ---- decimal mark: from the cells of the numeric columns that are text
    numeric_idx = [i for i, _, k in plan if k not in _schema.NON_NUMERIC_KINDS]
    # the first rows tell (a mixed file is reported cell by cell)
    head_cells = pd.Series(_marked_cells(raw.rows[h + 1: h + 1 + DECIMAL_SAMPLE_ROWS], numeric_idx),
                           dtype=object)
    if decimal:
        report.decimal, report.decimal_given = decimal, True
    else:
        mark, point, comma = detect_decimal(head_cells)
        decimal = mark
        report.decimal = mark or ""
        if point and comma:
            report.notes.append(
                f"The file mixes decimal points ({point} cells) and decimal commas ({comma} cells); "
                f"read with a decimal {'comma' if mark == ',' else 'point'}. Pass --decimal to choose."
            )

    # ---- body cells
    if raw.kind == "csv":
        try:
            body = read_body(raw, header_number, width, text_idx, decimal or ".")
        except ReadError as err:
            raise ImportError_(str(err)) from None
        width = max(width, body.shape[1])
        report.encoding = _ENCODING_NAMES.get(raw.encoding, raw.encoding)  # may have fallen back
        report.notes.extend(n for n in raw.notes if n not in report.notes)
    elif raw.kind == "xlsx":
        try:
            body = read_xlsx_body(raw, header_number, width, set(numeric_idx))
        except ReadError as err:
            raise ImportError_(str(err)) from None
        release_memory()
    else:
        rows = raw.rows[h + 1:]
        body = pd.DataFrame(
            [list(r) + [None] * (width - len(r)) for r in rows], columns=range(width), dtype=object
        ) if rows else pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
        body.index = pd.Index(raw.numbers[h + 1:], dtype=int)
    if body.shape[1] > len(header):  # rows longer than the header (CSV)
        header += [None] * (body.shape[1] - len(header))
        plan = _plan_columns(header, schema, mapping, ImportReport(source=""), known=plan)
    report.rows_in = len(body)

    missing_required = [c for c in schema.required if c not in {n for _, n, _ in plan}]
    if missing_required:
        raise ImportError_(
            f"{schema.kind}: expected a column {missing_required[0]} in {raw.label}; if yours is "
            f"called otherwise, add --map \"Your header={missing_required[0]}\""
        )

    # ---- rows: blank rows, then blank and summary ids, leave out (reported)
    csv_text = raw.kind == "csv"
    distinct = None
    id_i = next((i for i, c, _ in plan if c == schema.id_column), None)
    if id_i is None:  # no id column (allowed by the schema): a row is blank when all cells are
        id_i = plan[0][0]
        ids = text_series(body[id_i], csv_text) if id_i in body.columns else \
            pd.Series(index=body.index, dtype=TEXT)
        no_id = np.zeros(len(body), dtype=bool)
        blank_first = blank_cells(ids, csv_text)
    else:
        ids = text_series(body[id_i], csv_text)
        if schema.unique_ids:
            distinct = DistinctIds(ids)  # counted while the rows and the other columns are read
        no_id = blank_cells(ids, csv_text)
        blank_first = no_id
    blank = blank_first.copy()
    candidates = np.flatnonzero(blank)
    for i in body.columns:  # a blank row has a blank id: only those rows are looked at
        if i == id_i or not len(candidates):
            continue
        still = blank_cells(body[i].iloc[candidates], csv_text)
        blank[candidates[~still]] = False
        candidates = candidates[still]
    numbers_all = body.index.to_numpy()
    report.blank_rows = numbers_all[blank].tolist()
    report.blank_id_rows = numbers_all[no_id & ~blank].tolist()
    no_id |= blank
    summary = np.zeros(len(body), dtype=bool)
    if schema.summary_rows and len(ids):
        summary = summary_ids(ids)
        if summary.any():
            report.summary_rows = list(zip(numbers_all[summary].tolist(), ids[summary].tolist(), strict=True))
    del ids
    keep = ~no_id & ~summary
    every = bool(keep.all())
    row_numbers = numbers_all if every else numbers_all[keep]
    report.rows = len(row_numbers)

    # ---- cells, column by column
    data: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    order = sorted(plan, key=lambda c: (0, list(schema.columns).index(c[1])) if c[2] != "extra" else (1, c[0]))
    formula_cells: dict[int, list[int]] = {}
    for r, c in raw.formula_cells:
        formula_cells.setdefault(c, []).append(r)
    kept_rows = set(row_numbers.tolist()) if formula_cells else set()
    # the numbers beside the rest, on a second core for a big file: each stretch takes its
    # own columns and reports into each column's own report, merged below in column order
    numeric = [c for c in order if c[2] not in _schema.NON_NUMERIC_KINDS]
    args = (keep, row_numbers, decimal, raw.kind, options.dayfirst)
    rest = [c for c in order if c not in numeric]
    numbers = beside(len(row_numbers), _read_columns, numeric, _columns_of(body, numeric), *args)
    read = _read_columns(rest, _columns_of(body, rest), *args)
    del body
    read.update(numbers.result())
    for i, name, kind in order:
        data[name], part = read.pop(name)
        report.bad_cells += part.bad_cells
        report.ambiguous += part.ambiguous
        report.notes += part.notes
        report.dates.update(part.dates)
        kinds[name] = kind
        for r in formula_cells.get(i, []):
            if r in kept_rows:
                report.bad_cells.append(BadCell(r, name, None, "a formula with no calculated value "
                                                "(open the file in Excel, let it calculate, save, and run again)"))
    for i, name, kind in order:
        if kind != "extra" or i >= len(header) or not _args.is_blank(header[i]):
            continue
        if blank_cells(data[name]).all():
            del data[name], kinds[name]  # an empty column (trailing delimiters)
        else:
            report.notes.append(f"{name} has data but no header; kept as {name!r}")
    index = pd.RangeIndex(len(row_numbers))
    frame = pd.DataFrame(index=index)
    for k, v in data.items():  # column by column: no copy into one consolidated block
        if isinstance(v, pd.Series):  # pandas text
            frame[k] = pd.Series(v.array, index=index, copy=False)
        else:
            frame[k] = pd.Series(v, index=index, dtype=float if v.dtype.kind == "f" else object, copy=False)
        data[k] = None
    _derive(frame, kinds, schema, report, as_of)
    order_cols = list(data)
    report.bad_cells.sort(key=lambda b: (b.row, order_cols.index(b.column) if b.column in order_cols else 0))
    report.ambiguous.sort(key=lambda b: b.row)
    if schema.id_column in frame and schema.unique_ids:
        check_ids(frame[schema.id_column], row_numbers, report, distinct)
    report.text_columns = [c for c, k in kinds.items() if k in _schema.TEXT_KINDS]
    book = RecordBook(frame=frame, kinds=kinds, report=report)
    book.row_numbers = row_numbers  # type: ignore[attr-defined]
    check_records(book, schema.kind, options)
    return book


def _columns_of(body: pd.DataFrame, part: list[tuple[int, str, str]]) -> dict[int, pd.Series]:
    """The body's columns of ``part`` (the others are another stretch's)."""
    wanted = {i for i, _, _ in part}
    return {i: body[i] for i in body.columns if i in wanted}


def _read_columns(part: list[tuple[int, str, str]], cells: dict[int, pd.Series], keep: np.ndarray,
                  rows: np.ndarray, decimal: str | None, source_kind: str, dayfirst: bool
                  ) -> dict[str, tuple[Any, ImportReport]]:
    """Each column of ``part`` read as its kind, with its own report: {name: (cells, report)}.
    ``cells`` are the body's columns, each let go once read."""
    every, out = bool(keep.all()), {}
    for i, name, kind in part:
        if i in cells:
            col = cells.pop(i)
            col = col if every else col[keep]
            if source_kind == "csv" and kind not in _schema.NON_NUMERIC_KINDS:
                col = floats_in_place(col)  # the parser's column, read by nothing else
        else:
            col = pd.Series([None] * len(rows), dtype=object)
        part_report = ImportReport(source="")
        out[name] = (convert(name, kind, col, rows, decimal, part_report, source_kind, dayfirst), part_report)
        del col
    return out


def _marked_cells(rows: list[list], idx: list[int]) -> list[str]:
    """The text cells of columns ``idx`` holding a comma or a point (a cell without one
    tells nothing of the decimal mark), row by row."""
    if not idx:
        return []
    get, need, out = operator.itemgetter(*idx), max(idx) + 1, []
    for r in rows:
        cells = get(r) if len(r) >= need else [r[i] for i in idx if i < len(r)]
        if len(idx) == 1 and len(r) >= need:
            cells = (cells,)
        out += [c for c in cells if isinstance(c, str) and ("," in c or "." in c)]
    return out


def _plan_columns(header: list, schema: _schema.Schema, mapping: dict, report: ImportReport,
                  known: list | None = None) -> list[tuple[int, str, str]]:
    columns: list[tuple[int, str, str]] = list(known or [])
    done = {i for i, _, _ in columns}
    seen: dict[str, str] = {c: c for _, c, k in columns if k != "extra"}
    taken = {_args.normalize_key(c) for _, c, k in columns if k == "extra"}
    for i, cell in enumerate(header):
        if i in done:
            continue
        if _args.is_blank(cell):
            text = f"Column {column_letter(i)}"
            blank_header = True
        else:
            text = _header_text(cell)
            blank_header = False
        column = None if blank_header else _resolve(text, schema, mapping)
        if column is not None and column not in seen:
            seen[column] = text
            columns.append((i, column, schema.columns[column]))
            report.mapped.append((text, column))
            continue
        if column is not None:
            report.duplicates.append((text, column))
            text = text + " (duplicate)"
        elif not blank_header:
            report.unmapped.append(text)
        name, n = text, 2
        while _args.normalize_key(name) in taken or _resolve(name, schema, mapping) is not None:
            name, n = f"{text} ({n})", n + 1
        taken.add(_args.normalize_key(name))
        columns.append((i, name, "extra_blank" if blank_header else "extra"))
    if known is None:
        present = set(seen)
        if "tenure_months" in schema.columns and "customer_since" in present:
            present.add("tenure_months")
        if {"seats_active", "seats_licensed"} <= present:
            present.add("seat_utilization")
        report.missing = [c for c in schema.columns if c not in present
                          and schema.columns[c] != "date"]
        if "seat_utilization" in present and "seat_utilization" not in seen:
            report.notes.append("seat_utilization is derived from seats_active / seats_licensed.")
    return [(i, n, "extra" if k == "extra_blank" else k) for i, n, k in columns]


def _derive(frame: pd.DataFrame, kinds: dict, schema: _schema.Schema, report: ImportReport,
            as_of: date) -> None:
    """tenure_months from customer_since (at ``as_of``) when the file has no tenure."""
    if "customer_since" in frame and "tenure_months" in schema.columns and "tenure_months" not in frame:
        since = pd.to_datetime(pd.Series(frame["customer_since"]).map(
            lambda v: v if isinstance(v, (datetime, date)) else None), errors="coerce")
        stamp = pd.Timestamp(as_of)
        months = (stamp.year - since.dt.year) * 12 + (stamp.month - since.dt.month) - (
            since.dt.day > stamp.day).astype(float)
        frame["tenure_months"] = months.where(since.notna()).astype(float).to_numpy()
        kinds["tenure_months"] = "months"
        report.notes.append(f"tenure_months is derived from customer_since at {as_of.isoformat()} "
                            "(whole months).")
        if "tenure_months" in report.missing:
            report.missing.remove("tenure_months")


def read_table(source: Any, *, label: str | None = None, numbers: tuple[str, ...] | str = (),
               decimal: str | None = None) -> pd.DataFrame:
    """A file of any shape (CSV/XLSX path or bytes) as a DataFrame of its cells.

    The first non-blank row is the header; cells are text as typed (XLSX: as stored), None
    for blank. Columns whose header key is in ``numbers`` are read as numbers with the
    file's decimal mark (``"0,85"`` is 0.85; a cell that is no number stays text);
    ``numbers="*"``: every column whose cells are all plain numbers (an id such as
    ``02134`` stays text).

    >>> read_table(b"id;x;y\\n02134;0,5;a\\n7;1,25;b\\n", label="t.csv", numbers="*").to_dict("list")
    {'id': ['02134', '7'], 'x': [0.5, 1.25], 'y': ['a', 'b']}
    """
    try:
        raw = read_source(source, label)
    except ReadError as err:
        raise ImportError_(str(err)) from None
    first = next((i for i, r in enumerate(raw.rows) if not _blank_row(r)), None)
    if first is None:
        raise ImportError_(f"{raw.label} is empty (expected a header row)")
    header = [_header_text(h) if not _args.is_blank(h) else f"Column {column_letter(i)}"
              for i, h in enumerate(raw.rows[first])]
    width = max(len(r) for r in raw.rows[first:])
    header += [f"Column {column_letter(i)}" for i in range(len(header), width)]
    if raw.kind == "csv":
        try:
            body = read_body(raw, raw.numbers[first], width, set(range(width)))
        except ReadError as err:
            raise ImportError_(str(err)) from None
        header += [f"Column {column_letter(i)}" for i in range(len(header), body.shape[1])]
    elif raw.kind == "xlsx":
        try:
            body = read_xlsx_body(raw, raw.numbers[first], width, set())
        except ReadError as err:
            raise ImportError_(str(err)) from None
        header += [f"Column {column_letter(i)}" for i in range(len(header), body.shape[1])]
    else:
        body = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in raw.rows[first + 1:]],
                            columns=range(width), dtype=object)
    frame = pd.DataFrame({i: _obj(body[i].astype(object)) for i in body.columns})
    frame.columns = header[: frame.shape[1]]
    every = numbers == "*"
    wanted = set() if every else {_args.normalize_key(n) for n in numbers}
    texts = {}
    for j, name in enumerate(frame.columns):
        if every or _args.normalize_key(name) in wanted:
            col = frame.iloc[:, j]
            is_str = _IS_STR(col.to_numpy(dtype=object)).astype(bool) if len(col) else np.zeros(0, bool)
            if is_str.any():
                texts[j] = (col, is_str)
    if not decimal and texts:
        sample = pd.concat([c[m][:DECIMAL_SAMPLE_ROWS] for c, m in texts.values()], ignore_index=True)
        decimal = detect_decimal(sample)[0]
    for j, (col, is_str) in texts.items():
        cells = col[is_str]
        values, bad, _ = parse_numbers(cells, decimal)
        if every and (bad.any() or _text(cells).str.match(r"^\s*[+-]?0\d").any()):
            continue  # a text column, or ids with leading zeros: kept as typed
        out = col.to_numpy(dtype=object).copy()
        where = np.flatnonzero(is_str)
        number = ~bad & ~np.isnan(values)
        out[where[number]] = values[number]
        out[where[~bad & np.isnan(values)]] = None
        frame.iloc[:, j] = pd.Series(out, index=frame.index, dtype=object)
    return frame
