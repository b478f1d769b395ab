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

import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from udfs.core import _args, playbook
from udfs.core.playbook import SEGMENTS

from . import schema as _schema
from .cells import _cell_text, _dates, _scaled_note
from .numbers import _text, detect_decimal, parse_numbers
from .reading import (
    EXCEL_MAX_CHARS,
    RawTable,
    ReadError,
    column_letter,
    read_body,
    read_source,
    read_xlsx_body,
)
from .report import BadCell, ImportReport, rows_text

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
    functions name that row too. Text columns hold str or None.
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
            raw = read_source(source, label)
        except ReadError as err:
            raise ImportError_(str(err)) from None
        if raw.kind == "xlsx" and schema.sheet and raw.sheet.lower() != schema.sheet.lower():
            from .reading import read_xlsx

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
    width = max([len(header)] + [len(r) for r in raw.rows[h + 1:]]) if raw.rows else len(header)
    header += [None] * (width - len(header))
    plan = _plan_columns(header, schema, mapping, report)
    text_idx = {i for i, _, k in plan if k in _schema.NON_NUMERIC_KINDS}

    # ---- decimal mark: from the cells of the numeric columns that are text
    numeric_idx = [i for i, _, k in plan if k not in _schema.NON_NUMERIC_KINDS]
    head_cells = pd.Series(  # the first rows tell (a mixed file is reported cell by cell)
        [r[i] for r in raw.rows[h + 1: h + 1 + DECIMAL_SAMPLE_ROWS] for i in numeric_idx
         if i < len(r) and isinstance(r[i], str) and r[i]],
        dtype=object,
    )
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
    id_i = next((i for i, c, _ in plan if c == schema.id_column), None)
    if id_i is None:  # no id column (allowed by the schema): a row is blank when all cells are
        id_i = plan[0][0]
        ids = _text_cells(body[id_i], csv_text) if id_i in body.columns else np.full(len(body), None)
        no_id = np.zeros(len(body), dtype=bool)
        blank_first = _blank_cells(ids, csv_text)
    else:
        ids = _text_cells(body[id_i], csv_text)
        no_id = _blank_cells(ids, csv_text)
        blank_first = no_id
    blank = blank_first.copy()
    candidates = np.flatnonzero(blank)
    for i in body.columns:  # a blank row has a blank id: only those rows are looked at
        if i == id_i or not len(candidates):
            continue
        cells = body[i].to_numpy()[candidates]
        still = _blank_cells(cells, csv_text)
        blank[candidates[~still]] = False
        candidates = candidates[still]
    numbers_all = body.index.to_numpy()
    report.blank_rows = numbers_all[blank].tolist()
    report.blank_id_rows = numbers_all[no_id & ~blank].tolist()
    no_id |= blank
    summary = np.zeros(len(body), dtype=bool)
    if schema.summary_rows and len(ids):
        summary = _summary_ids(ids)
        report.summary_rows = list(zip(numbers_all[summary].tolist(), ids[summary].tolist(), strict=True))
    keep = ~no_id & ~summary
    row_numbers = numbers_all[keep]
    report.rows = len(row_numbers)
    if csv_text:
        lines_before = raw.line_of_row.get(header_number + 1, header_number)
        report.long_possible = _long_lines_possible(raw, lines_before + report.rows_in)  # type: ignore[attr-defined]

    # ---- cells, column by column
    data: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    order = sorted(plan, key=lambda c: (0, list(schema.columns).index(c[1])) if c[2] != "extra" else (1, c[0]))
    formula_cells: dict[int, list[int]] = {}
    for r, c in raw.formula_cells:
        formula_cells.setdefault(c, []).append(r)
    kept_rows = set(row_numbers.tolist()) if formula_cells else set()
    for i, name, kind in order:
        if i in body.columns:
            col = body[i] if keep.all() else body[i][keep]
        else:
            col = pd.Series([None] * len(row_numbers), dtype=object)
        data[name] = _convert(name, kind, col, row_numbers, decimal, report, raw.kind, options.dayfirst)
        kinds[name] = kind
        for r in formula_cells.get(i, []):
            if r in kept_rows:
                report.bad_cells.append(BadCell(r, name, None, "a formula with no calculated value "
                                                "(open the file in Excel, let it calculate, save, and run again)"))
    del body
    for i, name, kind in order:
        if kind != "extra" or i >= len(header) or not _args.is_blank(header[i]):
            continue
        if pd.Series(data[name], dtype=object).map(_args.is_blank).all():
            del data[name], kinds[name]  # an empty column (trailing delimiters)
        else:
            report.notes.append(f"{name} has data but no header; kept as {name!r}")
    index = pd.RangeIndex(len(row_numbers))
    frame = pd.DataFrame(index=index)
    for k, v in data.items():  # column by column: no copy into one consolidated block
        frame[k] = pd.Series(v, index=index, dtype=float if v.dtype.kind == "f" else object, copy=False)
    _derive(frame, kinds, schema, report, as_of)
    order_cols = list(data)
    report.bad_cells.sort(key=lambda b: (b.row, order_cols.index(b.column) if b.column in order_cols else 0))
    report.ambiguous.sort(key=lambda b: b.row)
    if schema.id_column in frame and schema.unique_ids:
        _check_ids(frame[schema.id_column], row_numbers, report)
    report.text_columns = [c for c, k in kinds.items() if k in _schema.TEXT_KINDS]
    book = RecordBook(frame=frame, kinds=kinds, report=report)
    book.row_numbers = row_numbers  # type: ignore[attr-defined]
    from .checks import check_records

    check_records(book, schema.kind, options)
    return book


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


def _blank_cells(cells: Any, parsed_csv: bool = False) -> np.ndarray:
    """Blank cells of an object/float array: None, NaN, NA, or text of spaces only.

    ``parsed_csv``: cells from the CSV parser, which already gives a field of spaces as
    blank (leading spaces are skipped), so only missing values need looking at.
    """
    a = np.asarray(cells, dtype=object) if not isinstance(cells, np.ndarray) else cells
    blank = pd.isna(a)
    if a.dtype == object and len(a) and not parsed_csv:
        rest = np.flatnonzero(~blank)
        if len(rest):
            values = a[rest]
            is_text = _IS_STR(values).astype(bool)
            if is_text.any():
                empty = _IS_SPACE(values[is_text]).astype(bool)
                blank[rest[np.flatnonzero(is_text)[empty]]] = True
    return np.asarray(blank, dtype=bool)


_IS_STR = np.frompyfunc(lambda v: v.__class__ is str, 1, 1)
_IS_SPACE = np.frompyfunc(lambda v: not v.strip(), 1, 1)


def _text_cells(col: pd.Series, csv_text: bool) -> np.ndarray:
    """A text column as an object array of str/None. A CSV's cells are kept exactly as
    the parser gives them (already text); other sources' cells become stripped text."""
    a = col.to_numpy(dtype=object)
    if csv_text and col.dtype == object:
        a = a.copy()
        a[pd.isna(a)] = None
        return a
    return _text_column(col).to_numpy(dtype=object)


def _summary_ids(ids: np.ndarray) -> np.ndarray:
    """Ids that are exactly Total, Grand total or Subtotal (any case, any spacing)."""
    maybe = np.flatnonzero(_HAS_TOTAL(ids).astype(bool))
    out = np.zeros(len(ids), dtype=bool)
    for j in maybe:
        out[j] = _args.normalize_key(ids[j]) in _schema.SUMMARY_IDS
    return out


_HAS_TOTAL = np.frompyfunc(lambda v: v.__class__ is str and ("otal" in v or "OTAL" in v), 1, 1)


def _long_lines_possible(raw: RawTable, lines_expected: int) -> bool:
    """False when no line of the file is long enough to hold a cell over Excel's limit
    and no record spans lines (one pass over the bytes, in numpy)."""
    if not isinstance(raw.source, str) or getattr(raw, "encoding_name", "") == "utf-16":
        return True
    longest, lines, carry = 0, 0, 0
    with open(raw.source, "rb") as fh:
        while chunk := fh.read(1 << 24):
            nl = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            if len(nl):
                longest = max(longest, carry + int(nl[0]), int(np.diff(nl).max()) if len(nl) > 1 else 0)
                carry = len(chunk) - int(nl[-1]) - 1
            else:
                carry += len(chunk)
            lines += len(nl)
    longest = max(longest, carry)
    return longest > EXCEL_MAX_CHARS or lines + (carry > 0) > lines_expected


def _text_column(col: pd.Series) -> pd.Series:
    """Cells as stripped text (None for blank); numbers as their shortest text."""
    values = col.astype(object)
    out = values.where(values.notna(), None)
    is_str = out.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).to_numpy(dtype=bool) \
        if out.dtype == object and len(out) else np.zeros(len(out), dtype=bool)
    if is_str.all():
        s = out.str.strip()
    else:
        s = out.map(_cell_text, na_action="ignore")
    return _obj(s.where(s.notna() & s.ne(""), None))


def _obj(s: pd.Series) -> pd.Series:
    """An object Series with None for every missing value (pandas 3's str dtype uses NaN)."""
    return pd.Series(s.to_numpy(dtype=object, na_value=None), index=s.index, dtype=object)


def _convert(name: str, kind: str, col: pd.Series, rows: np.ndarray, decimal: str | None,
             report: ImportReport, source_kind: str, dayfirst: bool = False) -> Any:
    long_possible = getattr(report, "long_possible", True)
    if kind in _schema.TEXT_KINDS:
        out = _text_cells(col, source_kind == "csv")
        if long_possible:
            _long_text(name, out, rows, report)
        if kind == "id" and source_kind == "xlsx":
            _xlsx_numeric_ids(name, col, rows, report)
        if name == "segment":
            out = _segments(out, rows, report)
        return out
    if kind == "flag":
        return _flags(name, col, rows, report)
    if kind == "date":
        return _dates(name, col, rows, report, dayfirst)
    if kind == "extra":
        return _extra(name, col, rows, report)
    return _numbers(name, kind, col, rows, decimal, report)


def _long_text(name: str, out: np.ndarray, rows: np.ndarray, report: ImportReport) -> None:
    """Text over Excel's cell limit: cut to the limit and reported (row, column, length)."""
    lengths = _TEXT_LEN(out).astype(np.int64) if len(out) else np.zeros(0, dtype=np.int64)
    for j in np.flatnonzero(lengths > EXCEL_MAX_CHARS):
        out[j] = out[j][:EXCEL_MAX_CHARS]
        report.bad_cells.append(BadCell(int(rows[j]), name, None,
                                        f"{int(lengths[j]):,} characters, more than an Excel cell holds "
                                        f"({EXCEL_MAX_CHARS:,}); cut to {EXCEL_MAX_CHARS:,}"))


_TEXT_LEN = np.frompyfunc(lambda v: len(v) if v.__class__ is str else 0, 1, 1)


def _by_value(values: np.ndarray, f) -> np.ndarray:
    """``f`` applied once per distinct value (a column of few labels: segment, flags)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [f(u) for u in uniques]
    mapped[-1] = f(None)
    return mapped[codes]  # code -1 (blank) takes the last slot


def _xlsx_numeric_ids(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport) -> None:
    """An id Excel stored as a number of more than 15 digits has lost its last digits."""
    values = col.to_numpy(dtype=object)
    for j, v in enumerate(values):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1e15:
            report.bad_cells.append(BadCell(int(rows[j]), name, v, (
                f"{_cell_text(v)} was stored by Excel as a number, which keeps only 15 digits; "
                "format the column as Text in Excel and type the id again")))


def _segments(out: np.ndarray, rows: np.ndarray, report: ImportReport) -> np.ndarray:
    lookup = {_args.normalize_key(seg): seg for seg in SEGMENTS}
    canon = _by_value(out, lambda v: None if v is None else lookup.get(_args.normalize_key(v)))
    unknown = pd.isna(canon) & ~pd.isna(out)
    if unknown.any():
        report.notes.append(
            f"segment not one of {', '.join(SEGMENTS)} on rows {rows_text(rows[unknown].tolist())} "
            "(kept as typed)"
        )
    return np.where(unknown, out, canon)


def _flag_of(v: Any) -> Any:
    """TRUE/FALSE of a cell; None for blank; the string 'bad' for anything else."""
    if v is None or _args.is_blank(v):
        return None
    parsed = _args.parse_flag(v)
    return "bad" if parsed is None else parsed


def _flags(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport) -> np.ndarray:
    raw = col.to_numpy(dtype=object)
    raw = np.where(pd.isna(raw), None, raw)
    out = _by_value(raw, _flag_of)
    for j in np.flatnonzero(out == "bad"):
        out[j] = _cell_text(raw[j])
        report.bad_cells.append(BadCell(int(rows[j]), name, raw[j],
                                        f"{_args.describe(raw[j])} is not TRUE/FALSE (kept as text)"))
    return out


def _extra(name: str, col: pd.Series, rows: np.ndarray, report: ImportReport) -> Any:
    """An unmapped column: kept as typed; plain numbers become numbers only when that
    loses nothing (no leading zero, at most 15 digits)."""
    values = col.astype(object).where(col.notna(), None)
    is_str = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    if not is_str.any():
        return _floats_if_all(values)
    texts = _obj(values[is_str])
    blank_text = texts.str.strip().eq("")
    out = values.copy()
    out[is_str] = _obj(texts.where(~blank_text, None))  # kept exactly as typed
    out = _obj(out)
    if getattr(report, "long_possible", True):
        cells = out.to_numpy(dtype=object, copy=True)
        _long_text(name, cells, rows, report)
        out = pd.Series(cells, index=out.index, dtype=object)
    texts = texts.where(~blank_text, "")
    lossless = texts.str.fullmatch(r"[+-]?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?|") & (
        texts.str.replace(r"[^0-9]", "", regex=True).str.lstrip("0").str.len() <= 15)
    if not lossless.all():
        return out.to_numpy(dtype=object)  # a text column: every cell as typed
    nums = pd.to_numeric(texts.where(texts.ne(""), None), errors="coerce")
    out[is_str] = nums.astype(object).where(nums.notna(), None)
    return _floats_if_all(out)


def _floats_if_all(out: pd.Series) -> Any:
    kinds = out.map(type, na_action="ignore")
    numeric = kinds.isin([float, int, np.float64, np.int64]) | out.isna()
    if len(out) and numeric.all():
        return pd.to_numeric(out, errors="coerce").astype(float).to_numpy()
    return out.to_numpy(dtype=object)


def _numbers(name: str, kind: str, col: pd.Series, rows: np.ndarray, decimal: str | None,
             report: ImportReport) -> Any:
    if col.dtype.kind in "iuf":
        values = col.to_numpy(dtype=float)
        bad = np.isinf(values)
        values = np.where(bad, np.nan, values)
        kept = None
    else:
        obj = col.astype(object)
        is_str = obj.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).to_numpy(dtype=bool)
        is_bool = obj.map(lambda v: isinstance(v, (bool, np.bool_)), na_action="ignore").fillna(False).to_numpy(dtype=bool)
        is_date = obj.map(lambda v: isinstance(v, (datetime, date)), na_action="ignore").fillna(False).to_numpy(dtype=bool)
        other = ~is_str & ~is_bool & ~is_date
        values = np.full(len(obj), np.nan)
        if other.any():
            values[other] = pd.to_numeric(obj[other], errors="coerce").to_numpy(dtype=float)
        bad = (is_bool | is_date | (other & np.isnan(values) & obj.notna().to_numpy())).copy()
        if is_str.any():
            v, b, amb = parse_numbers(obj[is_str], decimal)
            values[is_str] = v
            bad[is_str] = b
            for j in np.flatnonzero(is_str)[amb]:
                text = obj.iloc[j].strip()
                report.ambiguous.append(BadCell(int(rows[j]), name, text, (
                    f"{text!r} read as {values[j]:,.0f} (the file shows no decimal mark; "
                    f"if it means {values[j] / 1000:g}, pass --decimal ,)")))
            _scaled_note(name, obj[is_str], values[is_str], bad[is_str], rows[is_str], decimal, report)
        bad |= np.isinf(values)
        values[np.isinf(values)] = np.nan
        kept = obj.to_numpy(dtype=object)
    if bad.any():
        out = values.astype(object)
        out[np.isnan(values)] = None
        for j in np.flatnonzero(bad):
            v = kept[j] if kept is not None else values[j]
            out[j] = _cell_text(v) if kept is not None else None
            what = "a date" if isinstance(v, (datetime, date)) else _args.describe(v)
            report.bad_cells.append(BadCell(int(rows[j]), name, v,
                                            f"{what} is not a number (kept as text; scoring names this row)"))
    else:
        out = values
    finite = np.where(bad, np.nan, values) if bad.any() else values
    if kind in _schema_non_negative():
        for j in np.flatnonzero(finite < 0):  # NaN compares False
            report.bad_cells.append(BadCell(int(rows[j]), name, finite[j], f"{finite[j]:g} is negative (kept)"))
    if kind == "score":
        for j in np.flatnonzero(finite > 100):
            report.bad_cells.append(BadCell(int(rows[j]), name, finite[j], f"{finite[j]:g} is above 100 (kept)"))
    if kind == "fraction" and playbook.reads_as_percent(finite):
        median = float(np.nanmedian(finite))
        if isinstance(out, np.ndarray) and out.dtype.kind == "f":
            out = out / 100.0
        else:
            out = out.copy()
            ok = np.isfinite(finite)
            out[ok] = finite[ok] / 100.0
        report.notes.append(f"{name} holds percents (median {median:g}, above "
                            f"{playbook.PERCENT_MEDIAN_ABOVE:g}): read as fractions, {median:g} as "
                            f"{median / 100:g}.")
    return out


def _schema_non_negative() -> frozenset:
    from udfs.core.playbook import NON_NEGATIVE_KINDS

    return NON_NEGATIVE_KINDS


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


def _check_ids(ids: Any, rows: np.ndarray, report: ImportReport) -> None:
    codes, uniques = pd.factorize(np.asarray(ids, dtype=object), use_na_sentinel=True)
    if len(uniques) == int((codes >= 0).sum()):
        return  # every id once
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    dup_codes = np.flatnonzero(counts > 1)
    for k in dup_codes[:20]:
        where = rows[codes == k].tolist()
        report.notes.append(f"{report.id_column} {uniques[k]!r} appears on rows {rows_text(where)} (all kept)")
    if len(dup_codes) > 20:
        report.notes.append(f"... and {len(dup_codes) - 20} more duplicate {report.id_column}s")


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
