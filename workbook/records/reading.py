"""Reading a user's file into cells: encodings, CSV dialects, XLSX sheets.

A CSV is read as RFC 4180: fields are quoted with ``"`` only and a ``""`` inside quotes is
one ``"``; only the delimiter is detected (``,`` ``;`` tab ``|``), never the quote
character. An opened quote that never closes is an error naming its row, never a silent
merge of the rows after it. Accepted encodings: UTF-8 (with or without a byte-order
mark), UTF-16 with a byte-order mark (Excel's "Unicode Text") and Windows-1252 (Excel's
"CSV (Comma delimited)" on Windows); anything else is one line naming the file and the fix.

Rows are numbered as a spreadsheet shows them: the first record of a CSV is row 1.

>>> raw = read_text_table(b"Account ID;ARR\\r\\nA1;12.500,00\\r\\n", "a.csv")
>>> raw.delimiter, raw.encoding, raw.rows[1]
(';', 'utf-8', ['A1', '12.500,00'])
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
EXCEL_MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included
EXCEL_MAX_CHARS = 32_767  # characters of one Excel cell
HEAD_BYTES = 1 << 20  # what the dialect, header and decimal detection look at
csv.field_size_limit(2**31 - 1)  # a long field is reported, not refused by the head parser
BLANK_FIELDS = ["", " ", "  ", "   ", "\t"]  # fields that are blank cells (read as missing)
SAVE_AS_UTF8 = "save it from Excel as 'CSV UTF-8 (Comma delimited) (*.csv)' and run again"


class ReadError(ValueError):
    """The file cannot be read at all; the message is one line naming the file and the fix."""


@dataclass
class RawTable:
    """The head of a file as rows of cells, plus how to read the rest of it.

    ``rows`` holds the first records (all of them for an XLSX or a short CSV) with their
    row numbers; :func:`read_body` reads every record from a given row on.
    """

    label: str  # the file name, as messages show it
    kind: str  # 'csv' or 'xlsx'
    rows: list[list[Any]]
    numbers: list[int]
    complete: bool  # rows holds the whole file
    encoding: str = ""
    delimiter: str = ","
    source: Any = None  # path or bytes, for read_body
    line_of_row: dict[int, int] = field(default_factory=dict)  # CSV row -> physical line (0-based)
    notes: list[str] = field(default_factory=list)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, col index) without a value
    sheet: str = ""


# --------------------------------------------------------------------------- encodings


def _encoding(head: bytes, label: str, whole: bool) -> str:
    """The encoding of a text file from its first bytes (see the module docstring)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if head.startswith(codecs.BOM_UTF32_LE):
            raise ReadError(f"{label}: the file is UTF-32 text; {SAVE_AS_UTF8}")
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise ReadError(f"{label}: this is an Excel workbook (a zip file), not a CSV; "
                        "give it a .xlsx name and run again")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError(f"{label}: this is an old Excel .xls workbook; save it from Excel as "
                        ".xlsx or as 'CSV UTF-8 (Comma delimited) (*.csv)' and run again")
    sample = head[:65536]
    if b"\x00" in sample:
        if sample.count(b"\x00") > len(sample) // 4 and len(sample) > 1:
            raise ReadError(f"{label}: looks like UTF-16 text without a byte-order mark; {SAVE_AS_UTF8}")
        raise ReadError(f"{label}: not a text file (it holds binary data); expected a CSV "
                        "export or an .xlsx workbook")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return _single_byte(head, label)


def _single_byte(data: bytes, label: str) -> str:
    """cp1252 when the bytes are Windows-1252 text, else a one-line ReadError."""
    controls = sum(data.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    if controls > max(2, len(data) // 200):
        raise ReadError(f"{label}: not a text file (it holds binary data); expected a CSV "
                        "export or an .xlsx workbook")
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        raise ReadError(f"{label}: the text is neither UTF-8 nor Windows-1252; {SAVE_AS_UTF8}") from None
    # Western European text has a few accented letters among plain ones; text of another
    # script read as Windows-1252 is mostly bytes above 127 (Cyrillic, Greek, ...).
    letters = sum(data.count(bytes([b])) for b in range(65, 91)) + sum(
        data.count(bytes([b])) for b in range(97, 123))
    high = sum(1 for b in data if b >= 0xC0)
    if high > max(8, letters):
        guess = _guess_encoding(data) or "another script's encoding"
        raise ReadError(f"{label}: the text looks like {guess} (not UTF-8 or Windows-1252); {SAVE_AS_UTF8}")
    return "cp1252"


def _guess_encoding(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data[:200_000]).best()
    return None if best is None else best.encoding


# --------------------------------------------------------------------------- CSV dialect


def _fields_per_record(text: str, delimiter: str) -> list[int]:
    """Delimiters outside double quotes in each record of ``text`` (RFC 4180: a quote
    opens and closes a quoted field, ``""`` inside is two toggles; line breaks inside
    quotes belong to the field)."""
    if '"' not in text:
        return [line.count(delimiter) for line in text.splitlines() if line.strip()]
    out, n, inside, has_text = [], 0, False, False
    for ch in text:
        if ch == '"':
            inside = not inside
        elif inside:
            pass
        elif ch == delimiter:
            n += 1
        elif ch == "\n":
            if has_text or n:
                out.append(n)
            n, has_text = 0, False
            continue
        if ch not in " \r":
            has_text = True
    if has_text or n:
        out.append(n)
    return out


def detect_delimiter(text: str) -> str:
    """The delimiter of a CSV among , ; tab | : the one that splits most lines the same way.

    >>> detect_delimiter("id;arr\\nA1;0,92\\nA2;1,5\\n")
    ';'
    """
    sample = text[:65536]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        counts = [c for c in _fields_per_record(sample, d)[:200] if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = d, score
    return best


# --------------------------------------------------------------------------- reading


def read_source(source: Any, label: str | None = None) -> RawTable:
    """The head of a file (path or bytes): its first rows and how to read the rest."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        label = label or "the upload"
        ext = os.path.splitext(label)[1].lower()
        if ext in (".xlsx", ".xlsm"):
            return read_xlsx(io.BytesIO(data), label)
        return read_text_table(data, label)
    path = os.fspath(source)
    label = label or os.path.basename(path)
    if not os.path.exists(path):
        raise ReadError(f"{label}: no such file ({path})")
    if os.path.isdir(path):
        raise ReadError(f"{label}: is a folder, not a file; give the path of a .csv or .xlsx export")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in (".xlsx", ".xlsm"):
            return read_xlsx(path, label)
        if ext in (".xls",):
            raise ReadError(f"{label}: old .xls workbooks are not read; save it from Excel as .xlsx")
        if ext not in (".csv", ".txt", ".tsv", ""):
            raise ReadError(f"{label}: expected a .csv or .xlsx file")
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
        return read_text_table(head, label, path=path, whole=size <= HEAD_BYTES)
    except PermissionError:
        raise ReadError(f"{label}: cannot be opened (permission denied)") from None


def read_text_table(data: bytes, label: str, *, path: str | None = None, whole: bool = True) -> RawTable:
    """The head of a CSV given its first bytes (all of them when ``whole``)."""
    if not data.strip():
        return RawTable(label, "csv", [], [], True, "utf-8", ",", data if path is None else path)
    encoding = _encoding(data, label, whole)
    text = data.decode(encoding, errors="strict" if whole else "ignore")
    if not whole:
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut > 0 else text
    delimiter = detect_delimiter(text)
    rows, numbers, lines, complete = _parse_head(text, delimiter, whole, label)
    raw = RawTable(label, "csv", rows, numbers, complete, encoding.replace("-sig", ""), delimiter,
                   data if path is None else path)
    raw.line_of_row = lines
    raw.encoding_name = encoding  # type: ignore[attr-defined]
    if encoding == "cp1252":
        raw.notes.append(f"{label} is not UTF-8: read as Windows-1252 (Excel's 'CSV (Comma delimited)').")
    elif encoding == "utf-16":
        raw.notes.append(f"{label} is UTF-16 text (Excel's 'Unicode Text').")
    return raw


def _parse_head(text: str, delimiter: str, whole: bool, label: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    rows, numbers, lines = [], [], {}
    line = 0
    try:
        for n, row in enumerate(reader, start=1):
            rows.append(row)
            numbers.append(n)
            lines[n] = line
            line = reader.line_num
    except csv.Error as err:  # a NUL byte and the like
        raise ReadError(f"{label}: row {len(rows) + 1} cannot be read as CSV ({err})") from None
    if not whole and rows:
        rows.pop()
        numbers.pop()  # the last record of a cut sample may be cut itself
    return rows, numbers, lines, whole


def read_body(raw: RawTable, start_row: int, width: int, text_columns: set[int],
              decimal: str = ".") -> pd.DataFrame:
    """Every CSV record after row ``start_row`` (the header) through pandas' C parser.

    Columns in ``text_columns`` are read as typed (text); the others let the parser read
    plain numbers (``decimal`` is the decimal mark) and keep anything else as text.
    Rows longer than ``width`` widen the table. Row numbers are the index.
    """
    skip = raw.line_of_row.get(start_row + 1, start_row) if raw.line_of_row else start_row
    source = raw.source if isinstance(raw.source, str) else io.BytesIO(raw.source)
    encoding = getattr(raw, "encoding_name", raw.encoding or "utf-8")
    while True:
        names = list(range(width))
        dtype = {i: object for i in names if i in text_columns}
        if isinstance(source, io.BytesIO):
            source.seek(0)
        try:
            with warnings.catch_warnings():  # a column typed differently in two chunks
                warnings.simplefilter("ignore", pd.errors.DtypeWarning)
                frame = pd.read_csv(
                    source, sep=raw.delimiter, header=None, names=names, skiprows=skip,
                    dtype=dtype, keep_default_na=False, na_values=BLANK_FIELDS,
                    skip_blank_lines=False, quotechar='"', doublequote=True,
                    quoting=csv.QUOTE_MINIMAL, engine="c", decimal=decimal, encoding=encoding,
                    encoding_errors="strict", index_col=False,
                )
        except pd.errors.ParserError as err:
            message = str(err)
            wider = re.search(r"Expected \d+ fields in line (\d+), saw (\d+)", message)
            if wider and int(wider.group(2)) > width:
                width = int(wider.group(2))
                continue
            eof = re.search(r"EOF inside string starting at row (\d+)", message)
            if eof:
                row = int(eof.group(1)) + 1 + (start_row - skip)
                raise ReadError(
                    f"{raw.label}: row {row} opens a quoted field (\") that is never closed, so "
                    "every row after it would merge into one cell; fix the quote on that row "
                    "(a quote inside a field is written twice: \"\") and run again"
                ) from None
            raise ReadError(f"{raw.label}: cannot be read as CSV ({message.splitlines()[-1]})") from None
        except UnicodeDecodeError as err:
            if encoding == "utf-8" and _is_cp1252(raw):  # UTF-8 only in the first megabyte
                encoding = raw.encoding_name = raw.encoding = "cp1252"  # type: ignore[attr-defined]
                raw.notes.append(f"{raw.label} is not UTF-8: read as Windows-1252 (Excel's "
                                 "'CSV (Comma delimited)').")
                continue
            raise ReadError(
                f"{raw.label}: byte {err.start} is not {encoding} text (the file mixes encodings); "
                f"{SAVE_AS_UTF8}"
            ) from None
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame({i: pd.Series([], dtype=object) for i in names})
        break
    frame.index = pd.RangeIndex(start_row + 1, start_row + 1 + len(frame))
    return frame


def _is_cp1252(raw: RawTable) -> bool:
    try:
        data = raw.source if isinstance(raw.source, bytes) else Path(raw.source).read_bytes()
        return _single_byte(data, raw.label) == "cp1252"
    except (ReadError, OSError):
        return False


# --------------------------------------------------------------------------- XLSX


XLSX_HEAD_ROWS = 2000  # rows read for the header and decimal detection; the rest in chunks
XLSX_CHUNK_ROWS = 20000


XLSX_SLICE_FROM = 32 << 20  # bytes of sheet XML: a larger sheet is read a slice of rows at a time
XLSX_SLICE_BYTES = 8 << 20  # bytes of sheet XML per slice


def _open_book(path: Any, label: str, sheet: str | None):
    """(workbook, the chosen sheet's name) through python-calamine: ``sheet``, else the first."""
    import python_calamine

    try:
        if hasattr(path, "read"):
            path.seek(0)
            book = python_calamine.CalamineWorkbook.from_filelike(path)
        else:
            book = python_calamine.CalamineWorkbook.from_path(os.fspath(path))
    except Exception as err:  # noqa: BLE001 - any failure to open is the file's problem
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise ReadError(f"{label}: not a readable .xlsx workbook ({first})") from None
    names = {n.lower(): n for n in book.sheet_names}
    if not names:
        raise ReadError(f"{label}: the workbook has no sheets")
    return book, names.get((sheet or "").lower()) or book.sheet_names[0]


def _load_sheet(book, label: str, chosen: str):
    try:
        return book.get_sheet_by_name(chosen)
    except Exception as err:  # noqa: BLE001
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise ReadError(f"{label}: sheet {chosen!r} cannot be read ({first})") from None


def _sheet_rows(path: Any, label: str, sheet: str | None) -> tuple[str, Any]:
    """(the sheet's name, its rows from row 1, each padded to start at column A; '' is None).

    python-calamine holds a whole sheet in memory (several times the table it makes), so
    a sheet of more than ``XLSX_SLICE_FROM`` bytes of XML is handed to it a slice of rows
    at a time (see :func:`_slices`); a smaller one, or one whose XML is not laid out as
    expected, is read whole.
    """
    book, chosen = _open_book(path, label, sheet)
    slices = _slices(path, chosen)
    if slices is not None:
        book.close()
        return chosen, _sliced_rows(slices, label, chosen)
    ws = _load_sheet(book, label, chosen)
    return chosen, _whole_rows(book, ws)


def _whole_rows(book, sheet) -> Any:
    try:
        start = sheet.start
        pad = [None] * (start[1] if start else 0)
        for row in sheet.iter_rows():
            yield pad + [None if v == "" else v for v in row]
    finally:
        book.close()


_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
_LEFT_OUT = ("xl/media/", "xl/drawings/", "xl/charts/", "xl/embeddings/", "xl/printerSettings/",
             "xl/worksheets/_rels/", "xl/pivotCache/", "xl/pivotTables/", "xl/externalLinks/")


def _slices(path: Any, sheet: str):
    """The sheet as small workbooks of consecutive rows, or None (a small sheet, or XML laid
    out otherwise than ``<sheetData><row r=…>…</row>…</sheetData>``).

    Each slice is the workbook's own parts (styles, shared strings, the date system) with
    the sheet's XML cut between two rows: python-calamine reads the cells of each exactly as
    it reads the whole sheet, and rows keep their numbers.
    """
    try:
        if hasattr(path, "seek"):
            path.seek(0)
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return None
    try:
        part = _sheet_part(z, sheet)
        if part is None or part not in z.namelist() or z.getinfo(part).file_size < XLSX_SLICE_FROM:
            z.close()
            return None
        with z.open(part) as fh:
            head = fh.read(1 << 16)
        m = _SHEET_DATA.search(head)
        if m is None or m.group(2) or b"<" + m.group(1) + b"row " not in head[m.end():]:
            z.close()
            return None
    except (zipfile.BadZipFile, KeyError, OSError):
        z.close()
        return None
    return _slice_books(z, part, m.group(1))


def _slice_books(z: zipfile.ZipFile, part: str, ns: bytes):
    parts = {}
    for name in z.namelist():
        if name == part or name.startswith(_LEFT_OUT):
            continue
        is_sheet = name.startswith(("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/"))
        parts[name] = _EMPTY_SHEET if is_sheet and name.endswith(".xml") else z.read(name)
    row_end, data_end = b"</" + ns + b"row>", b"</" + ns + b"sheetData>"
    try:
        with z.open(part) as fh:
            pending = fh.read(1 << 16)
            while (m := _SHEET_DATA.search(pending)) is None:
                pending += fh.read(1 << 16)
            prefix = _DIMENSION.sub(b"", pending[: m.end()])
            suffix = data_end + b"</" + ns + b"worksheet>"
            data, done = pending[m.end():], False
            while True:
                while len(data) < 2 * XLSX_SLICE_BYTES and not done:  # read ahead: a slice and more
                    chunk = fh.read(1 << 22)
                    done = not chunk
                    data += chunk
                close = data.find(data_end)
                if close >= 0 and close <= XLSX_SLICE_BYTES:  # the last slice
                    yield _slice_book(parts, part, prefix + data[:close] + suffix)
                    return
                cut = data.rfind(row_end, 0, XLSX_SLICE_BYTES)
                if cut < 0:  # a row longer than a slice: up to its end
                    cut = data.find(row_end)
                if cut < 0:  # no row end at all: what is left is the last slice
                    yield _slice_book(parts, part, prefix + data[: close if close >= 0 else len(data)] + suffix)
                    return
                cut += len(row_end)
                yield _slice_book(parts, part, prefix + data[:cut] + suffix)
                data = data[cut:]
    finally:
        z.close()


def _slice_book(parts: dict[str, bytes], part: str, sheet_xml: bytes) -> io.BytesIO:
    """A workbook of ``parts`` with ``sheet_xml`` as the sheet ``part`` (stored, not compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for name, content in parts.items():
            out.writestr(name, content)
        out.writestr(part, sheet_xml)
    buf.seek(0)
    return buf


def _sliced_rows(slices, label: str, chosen: str) -> Any:
    """The rows of every slice in order, from row 1, empty rows between slices included."""
    import python_calamine

    next_row = 0  # 0-based: the row the next one yielded stands for
    for buf in slices:
        try:
            book = python_calamine.CalamineWorkbook.from_filelike(buf)
        except Exception as err:  # noqa: BLE001
            first = (str(err).splitlines() or [type(err).__name__])[0]
            raise ReadError(f"{label}: sheet {chosen!r} cannot be read ({first})") from None
        try:
            ws = _load_sheet(book, label, chosen)
            start = ws.start
            if start is None:
                continue
            rows = ws.to_python(skip_empty_area=True)  # from the slice's first row and column
        finally:
            book.close()
        pad = [None] * start[1]
        blank = pad + [None] * (len(rows[0]) if rows else 0)
        for _ in range(start[0] - next_row):
            yield list(blank)
        for row in rows:
            yield pad + [None if v == "" else v for v in row]
        next_row = start[0] + len(rows)


def read_xlsx(path: Any, label: str, sheet: str | None = None) -> RawTable:
    """The head of a sheet (``sheet``, else the first); :func:`read_xlsx_body` reads the rest."""
    chosen, sheet_rows = _sheet_rows(path, label, sheet)
    rows = []
    try:
        for row in sheet_rows:
            rows.append(row)
            if len(rows) >= XLSX_HEAD_ROWS:
                break
    except ReadError:
        raise
    except Exception as err:  # noqa: BLE001
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise ReadError(f"{label}: sheet {chosen!r} cannot be read ({first})") from None
    finally:
        sheet_rows.close()
    complete = len(rows) < XLSX_HEAD_ROWS
    raw = RawTable(label, "xlsx", rows, list(range(1, len(rows) + 1)), complete, source=path, sheet=chosen)
    raw.formula_cells = _formulas_without_values(path, chosen)
    return raw


def read_xlsx_body(raw: RawTable, start_row: int, width: int, numeric: set[int]) -> pd.DataFrame:
    """Every row of the sheet below row ``start_row`` (the header), in chunks: columns in
    ``numeric`` become float64 where every cell is a number (a column with any other cell
    is kept as its cells); the others keep their cells. Row numbers are the index."""
    _, sheet_rows = _sheet_rows(raw.source, raw.label, raw.sheet)
    parts: dict[int, list] = {j: [] for j in range(width)}
    leftover: dict[int, list] = {j: [] for j in numeric}
    count = 0
    is_bool = np.frompyfunc(lambda v: v.__class__ is bool, 1, 1)

    def flush(chunk: list) -> None:
        nonlocal count, width
        wide = max(len(r) for r in chunk)
        if wide > width:
            for j in range(width, wide):
                parts[j] = [np.full(count, None, dtype=object)]
            width = wide
        block = np.full((len(chunk), width), None, dtype=object)
        for k, row in enumerate(chunk):
            block[k, : len(row)] = row
        for j in range(width):
            cells = block[:, j]
            if j in numeric:
                values = pd.to_numeric(cells, errors="coerce").astype(float)
                other = pd.notna(cells) & (np.isnan(values) | is_bool(cells).astype(bool))
                if other.any():
                    where = np.flatnonzero(other)
                    leftover[j].append((where + count, cells[where]))
                    values[where] = np.nan
                parts[j].append(values)
            else:
                parts[j].append(cells.copy())  # a view would keep the whole block (every cell) alive
        count += len(chunk)

    try:
        chunk = []
        for i, row in enumerate(sheet_rows, start=1):
            if i <= start_row:
                continue
            chunk.append(row)
            if len(chunk) >= XLSX_CHUNK_ROWS:
                flush(chunk)
                chunk = []
        if chunk:
            flush(chunk)
    finally:
        sheet_rows.close()
    index = pd.RangeIndex(start_row + 1, start_row + 1 + count)
    columns = {}
    for j in range(width):
        if not parts[j]:
            columns[j] = pd.Series(np.empty(0, dtype=float if j in numeric else object), index=index)
            continue
        col = np.concatenate(parts[j])
        parts[j] = []
        if leftover.get(j):
            obj = col.astype(object)
            obj[np.isnan(col)] = None
            for where, cells in leftover[j]:
                obj[where] = cells
            col = obj
        columns[j] = pd.Series(col, index=index, dtype=col.dtype, copy=False)
    return pd.DataFrame(columns, index=index, copy=False)  # the columns as they are, not copied


def _sheet_part(z: zipfile.ZipFile, sheet: str) -> str | None:
    wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    m = None
    for s in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", wb):
        attrs = s.group(1)
        name = re.search(r'\bname="([^"]*)"', attrs)
        if name and _unescape(name.group(1)) == sheet:
            m = re.search(r'\br:id="([^"]*)"|\b\w+:id="([^"]*)"', attrs)
            break
    if not m:
        return None
    rid = m.group(1) or m.group(2)
    for r in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)/?>", rels):
        if re.search(r'\bId="' + re.escape(rid) + '"', r.group(1)):
            target = re.search(r'\bTarget="([^"]*)"', r.group(1)).group(1)
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


_FORMULA_NO_VALUE = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)([0-9]+)"[^>]*>\s*'
    rb"<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>[^<]*</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*"
    rb"</(?:\w+:)?c>"
)


def _formulas_without_values(path: Any, sheet: str) -> list[tuple[int, int]]:
    """(row, column index) of formula cells that hold no cached value (never calculated)."""
    try:
        if hasattr(path, "seek"):
            path.seek(0)
        with zipfile.ZipFile(path) as z:
            part = _sheet_part(z, sheet)
            if part is None or part not in z.namelist():
                return []
            with z.open(part) as fh:
                out, tail = [], b""
                while chunk := fh.read(1 << 22):
                    data = tail + chunk
                    if b"<f" not in data and b":f" not in data:
                        tail = data[-512:]
                        continue
                    end = data.rfind(b"</c>")
                    end = len(data) if end < 0 else end + 4
                    for m in _FORMULA_NO_VALUE.finditer(data, 0, end):
                        out.append((int(m.group(2)), _col_index(m.group(1).decode())))
                    tail = data[end:]
                return sorted(set(out))
    except (zipfile.BadZipFile, KeyError, OSError):
        return []


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letter(i: int) -> str:
    """Spreadsheet column letters of a 0-based index: 0 -> A, 26 -> AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def as_cells(frame: pd.DataFrame) -> np.ndarray:
    """A DataFrame's values as an object array with None for blanks."""
    return frame.astype(object).where(frame.notna(), None).to_numpy()
