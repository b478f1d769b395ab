"""Reading an XLSX sheet into cells, a slice of rows at a time, and its body into columns.

python-calamine reads the cells (numbers, text, booleans, dates, errors as text); a large
sheet is handed to it a slice of rows at a time, so memory is a slice's, not the sheet's.
The body's columns are built a chunk of rows at a time: numbers as float64, text as
pandas text (Arrow strings, see :data:`.raw.TEXT`), any other column as its cells.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .raw import TEXT, RawTable, ReadError, release_memory

XLSX_HEAD_ROWS = 2000  # rows read for the header and decimal detection; the rest in chunks
XLSX_CHUNK_ROWS = 4096


XLSX_SLICE_FROM = 32 << 20  # bytes of sheet XML: a larger sheet is read a slice of rows at a time
XLSX_SLICE_BYTES = 4 << 20  # bytes of sheet XML per slice
XLSX_READ_BYTES = 1 << 18  # bytes of XML read at a time


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


def _sheet_rows(path: Any, label: str, sheet: str | None, formulas: list | None = None) -> tuple[str, Any]:
    """(the sheet's name, its rows from row 1, each padded to start at column A; '' is None).

    python-calamine holds a whole sheet in memory (several times the table it makes), so
    a sheet of more than ``XLSX_SLICE_FROM`` bytes of XML is handed to it a slice of rows
    at a time (see :func:`_slices`); a smaller one, or one whose XML is not laid out as
    expected, is read whole.
    """
    book, chosen = _open_book(path, label, sheet)
    slices = _slices(path, chosen, formulas)
    if slices is not None:
        book.close()
        return chosen, _sliced_rows(slices, label, chosen)
    if formulas is not None:
        formulas.extend(_formulas_without_values(path, chosen))
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


def _slices(path: Any, sheet: str, formulas: list | None = None):
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
    return _slice_books(z, part, m.group(1), formulas)


def _slice_books(z: zipfile.ZipFile, part: str, ns: bytes, formulas: list | None = None):
    """The slices of the sheet ``part`` (see :func:`_slices`); ``formulas`` collects the
    formula cells without a value of every slice (its rows are whole, so are its cells)."""
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
            data, done = bytearray(pending[m.end():]), False
            del pending
            while True:
                while len(data) < XLSX_SLICE_BYTES + XLSX_READ_BYTES and not done:  # a slice and a piece more
                    piece = fh.read(XLSX_READ_BYTES)  # small pieces: no large buffer is ever allocated
                    done = not piece
                    data += piece
                close = data.find(data_end)
                last = close >= 0 and close <= XLSX_SLICE_BYTES
                if last:
                    cut = close
                else:
                    cut = data.rfind(row_end, 0, XLSX_SLICE_BYTES)
                    if cut < 0:  # a row longer than a slice: up to its end
                        cut = data.find(row_end)
                    if cut < 0:  # no row end at all: what is left is the last slice
                        cut, last = (close if close >= 0 else len(data)), True
                    else:
                        cut += len(row_end)
                if formulas is not None:
                    formulas.extend(_formula_cells(data, cut))
                rows = memoryview(data)[:cut]
                book = _slice_book(parts, part, (prefix, rows, suffix))
                rows.release()
                yield book
                if last:
                    return
                del data[:cut]
    finally:
        z.close()


def _slice_book(parts: dict[str, bytes], part: str, sheet_xml: tuple) -> io.BytesIO:
    """A workbook of ``parts`` with the pieces ``sheet_xml`` as the sheet ``part`` (stored,
    not compressed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for name, content in parts.items():
            out.writestr(name, content)
        with out.open(zipfile.ZipInfo(part, (1980, 1, 1, 0, 0, 0)), "w") as fh:
            for piece in sheet_xml:
                fh.write(piece)
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
        release_memory()  # the slice's cells beyond the head
    complete = len(rows) < XLSX_HEAD_ROWS
    # formula cells without a value: found as the body is read (read_xlsx_body)
    return RawTable(label, "xlsx", rows, list(range(1, len(rows) + 1)), complete, source=path, sheet=chosen)


def read_xlsx_body(raw: RawTable, start_row: int, width: int, numeric: set[int]) -> pd.DataFrame:
    """Every row of the sheet below row ``start_row`` (the header), in chunks: columns in
    ``numeric`` become float64 where every cell is a number (a column with any other cell
    is kept as its cells); a column whose every cell is text (or blank) becomes pandas text;
    the others keep their cells. Row numbers are the index."""
    formulas: list[tuple[int, int]] = []
    _, sheet_rows = _sheet_rows(raw.source, raw.label, raw.sheet, formulas)
    parts: dict[int, list] = {j: [] for j in range(width)}
    leftover: dict[int, list] = {j: [] for j in numeric}
    count = 0
    is_bool = np.frompyfunc(lambda v: v.__class__ is bool, 1, 1)

    def flush(chunk: list) -> None:
        nonlocal count, width
        wide = max(len(r) for r in chunk)
        if wide > width:
            for j in range(width, wide):
                parts[j] = [pa.nulls(count, pa.large_string())]
            width = wide
        block = np.full((len(chunk), width), None, dtype=object)
        for k, row in enumerate(chunk):
            block[k, : len(row)] = row
        chunk.clear()  # the rows' cells now live in the block only
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
                parts[j].append(_text_or_cells(cells))
        count += len(block)

    try:
        chunk = []
        for i, row in enumerate(sheet_rows, start=1):
            if i <= start_row:
                continue
            chunk.append(row)
            if len(chunk) >= XLSX_CHUNK_ROWS:
                flush(chunk)
        if chunk:
            flush(chunk)
    finally:
        sheet_rows.close()
    raw.formula_cells = sorted(set(formulas))
    index = pd.RangeIndex(start_row + 1, start_row + 1 + count)
    columns = {}
    for j in range(width):
        chunks, parts[j] = parts[j], []
        if j not in numeric:
            columns[j] = _text_column(chunks, index)
            continue
        if not chunks:
            columns[j] = pd.Series(np.empty(0, dtype=float), index=index)
            continue
        col = np.concatenate(chunks)
        del chunks
        if leftover.get(j):
            obj = col.astype(object)
            obj[np.isnan(col)] = None
            for where, cells in leftover[j]:
                obj[where] = cells
            col = obj
        columns[j] = pd.Series(col, index=index, dtype=col.dtype, copy=False)
    return pd.DataFrame(columns, index=index, copy=False)  # the columns as they are, not copied


def _text_or_cells(cells: np.ndarray) -> Any:
    """A chunk of a column: Arrow strings when every cell is text or blank, else a copy of
    its cells (a view would keep the whole block, every cell of the chunk, alive)."""
    try:
        return pa.array(cells, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return cells.copy()


def _text_column(chunks: list, index: pd.Index) -> pd.Series:
    """A column from its chunks: pandas text when every chunk is text, else its cells."""
    if all(isinstance(c, pa.Array) for c in chunks):
        return pd.Series(pd.array(pa.chunked_array(chunks, type=pa.large_string()), dtype=TEXT), index=index)
    cells = [c.to_numpy(zero_copy_only=False) if isinstance(c, pa.Array) else c for c in chunks]
    return pd.Series(np.concatenate(cells), index=index, dtype=object, copy=False)


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
                out, data = [], bytearray()
                while piece := fh.read(1 << 20):
                    data += piece
                    end = data.rfind(b"</c>")
                    end = len(data) if end < 0 else end + 4
                    out.extend(_formula_cells(data, end))
                    del data[:end]  # a cell cut by the piece is read whole with the next
                return sorted(set(out))
    except (zipfile.BadZipFile, KeyError, OSError):
        return []


def _formula_cells(data: bytes | bytearray, end: int) -> list[tuple[int, int]]:
    """(row, column index) of the formula cells without a value in ``data[:end]``."""
    if data.find(b"<f", 0, end) < 0 and data.find(b":f", 0, end) < 0:
        return []
    return [(int(m.group(2)), _col_index(m.group(1).decode())) for m in _FORMULA_NO_VALUE.finditer(data, 0, end)]


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
