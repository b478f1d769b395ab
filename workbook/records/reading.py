"""Reading a user's file into cells: encodings, CSV dialects (XLSX sheets: :mod:`.xlsx`).

A CSV is read as RFC 4180: fields are quoted with ``"`` only and a ``""`` inside quotes is
one ``"``; only the delimiter is detected (``,`` ``;`` tab ``|``), never the quote
character. An opened quote that never closes is an error naming its row, never a silent
merge of the rows after it. Accepted encodings: UTF-8 (with or without a byte-order
mark), UTF-16 with a byte-order mark (Excel's "Unicode Text") and Windows-1252 (Excel's
"CSV (Comma delimited)" on Windows); anything else is one line naming the file and the fix.
Bytes that are valid UTF-8 are read as UTF-8, as Excel's "CSV UTF-8" and charset-normalizer
read them: a rare Windows-1252 pair such as ``Æ€`` (the bytes of ``ƀ``) cannot be told apart.

Rows are numbered as a spreadsheet shows them: the first record of a CSV is row 1.

>>> raw = read_text_table(b"Account ID;ARR\\r\\nA1;12.500,00\\r\\n", "a.csv")
>>> raw.delimiter, raw.encoding, raw.rows[1]
(';', 'utf-8', ['A1', '12.500,00'])
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .raw import TEXT, RawTable, ReadError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
EXCEL_MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included
EXCEL_MAX_CHARS = 32_767  # characters of one Excel cell
HEAD_BYTES = 1 << 20  # what the dialect, header and decimal detection look at
csv.field_size_limit(2**31 - 1)  # a long field is reported, not refused by the head parser
BLANK_FIELDS = ["", " ", "  ", "   ", "\t"]  # fields that are blank cells (read as missing)
SAVE_AS_UTF8 = "save it from Excel as 'CSV UTF-8 (Comma delimited) (*.csv)' and run again"


# What the CSV parser reads a text column as: Arrow strings straight from its buffers (as
# fast as its own inference), where ``str`` or ``object`` make a Python object per cell.
PARSER_TEXT = pd.ArrowDtype(pa.large_string())


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


def read_source(source: Any, label: str | None = None, *, head_rows: int | None = None) -> RawTable:
    """The head of a file (path or bytes): its first rows and how to read the rest.

    ``head_rows``: the rows of a CSV's head may stop after this many non-blank records
    (:attr:`RawTable.rest_width` counts the fields of the others)."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        label = label or "the upload"
        ext = os.path.splitext(label)[1].lower()
        if ext in (".xlsx", ".xlsm"):
            from .xlsx import read_xlsx

            return read_xlsx(io.BytesIO(data), label)
        return read_text_table(data, label, head_rows=head_rows)
    path = os.fspath(source)
    label = label or os.path.basename(path)
    if not os.path.exists(path):
        raise ReadError(f"{label}: no such file ({path})")
    if os.path.isdir(path):
        raise ReadError(f"{label}: is a folder, not a file; give the path of a .csv or .xlsx export")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in (".xlsx", ".xlsm"):
            from .xlsx import read_xlsx

            return read_xlsx(path, label)
        if ext in (".xls",):
            raise ReadError(f"{label}: old .xls workbooks are not read; save it from Excel as .xlsx")
        if ext not in (".csv", ".txt", ".tsv", ""):
            raise ReadError(f"{label}: expected a .csv or .xlsx file")
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
        return read_text_table(head, label, path=path, whole=size <= HEAD_BYTES, head_rows=head_rows)
    except PermissionError:
        raise ReadError(f"{label}: cannot be opened (permission denied)") from None


def read_text_table(data: bytes, label: str, *, path: str | None = None, whole: bool = True,
                    head_rows: int | None = None) -> RawTable:
    """The head of a CSV given its first bytes (all of them when ``whole``)."""
    if not data.strip():
        return RawTable(label, "csv", [], [], True, "utf-8", ",", data if path is None else path)
    encoding = _encoding(data, label, whole)
    text = data.decode(encoding, errors="strict" if whole else "ignore")
    if not whole:
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut > 0 else text
    delimiter = detect_delimiter(text)
    if head_rows is not None and '"' not in text and "\x00" not in text:
        rows, numbers, lines, complete, rest_width = _split_head(text, delimiter, whole, head_rows)
    else:
        rows, numbers, lines, complete = _parse_head(text, delimiter, whole, label)
        rest_width = 0
    raw = RawTable(label, "csv", rows, numbers, complete, encoding.replace("-sig", ""), delimiter,
                   data if path is None else path)
    raw.line_of_row = lines
    raw.rest_width = rest_width
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


def _split_head(text: str, delimiter: str, whole: bool, head_rows: int):
    """:func:`_parse_head` of a text without quotes (or NUL), where a record is a line and
    its fields are split at the delimiter: the records up to ``head_rows`` non-blank ones,
    and the field count of the widest record after them."""
    if "\r" in text:  # the csv module ends a record at \r\n, \r or \n
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    records = text.split("\n")
    if records[-1] == "":
        records.pop()  # the text ends its last record
    if not whole and records:
        records.pop()  # the last record of a cut sample may be cut itself
    rows, seen = [], 0
    for line in records:
        if seen >= head_rows:
            break
        rows.append(line.split(delimiter) if line else [])
        seen += bool(line.replace(delimiter, "").strip())  # a cell that is not blank
    n = len(rows)
    rest_width = max(map(operator.methodcaller("count", delimiter), filter(None, records[n:])), default=-1) + 1
    return rows, list(range(1, n + 1)), {k: k - 1 for k in range(1, n + 1)}, whole and n == len(records), rest_width


def read_body(raw: RawTable, start_row: int, width: int, text_columns: set[int],
              decimal: str = ".") -> pd.DataFrame:
    """Every CSV record after row ``start_row`` (the header) through pandas' C parser.

    Columns in ``text_columns`` are read as typed, as pandas text (:data:`TEXT`); the
    others let the parser read plain numbers (``decimal`` is the decimal mark) and keep
    anything else as text. Rows longer than ``width`` widen the table. Row numbers are the
    index.
    """
    skip = raw.line_of_row.get(start_row + 1, start_row) if raw.line_of_row else start_row
    source = raw.source if isinstance(raw.source, str) else io.BytesIO(raw.source)
    encoding = getattr(raw, "encoding_name", raw.encoding or "utf-8")
    while True:
        names = list(range(width))
        dtype = {i: PARSER_TEXT for i in names if i in text_columns}
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
            frame = pd.DataFrame({i: pd.Series([], dtype=TEXT if i in text_columns else object) for i in names})
        break
    for i in frame.columns:  # Arrow strings as pandas text: the same buffers, no copy
        if isinstance(frame[i].dtype, pd.ArrowDtype) and pa.types.is_large_string(frame[i].dtype.pyarrow_dtype):
            frame[i] = frame[i].astype(TEXT)
    frame.index = pd.RangeIndex(start_row + 1, start_row + 1 + len(frame))
    return frame


def _is_cp1252(raw: RawTable) -> bool:
    try:
        data = raw.source if isinstance(raw.source, bytes) else Path(raw.source).read_bytes()
        return _single_byte(data, raw.label) == "cp1252"
    except (ReadError, OSError):
        return False


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
