"""Property: any account table written the way spreadsheets and CRMs write CSV reads back
cell for cell, or the import report names the cell that differs.

Hypothesis draws the table (ids with leading zeros, names with quotes, delimiters and line
breaks, negative and fractional numbers, blanks) and the dialect (delimiter, encoding,
decimal mark); Python's csv module writes it as RFC 4180; ``load_accounts`` reads it.
"""

from __future__ import annotations

import codecs
import csv
import io
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbook.records import load_accounts

TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 -_.,;|'\"\t\néüß€Æ&/()")),
    min_size=0, max_size=16,
)
IDS = st.text(alphabet="0123456789ABCDEFabcdef-", min_size=1, max_size=12)
NUMBER = st.one_of(
    st.none(),
    st.integers(-10_000_000, 10_000_000).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 4)),
)
ROW = st.tuples(TEXT, NUMBER, NUMBER, NUMBER, TEXT)
COLUMNS = ["account_name", "arr", "seat_utilization", "usage_trend_90d", "Notes"]
HEADER = ["Account ID", "Account Name", "ARR", "Seat Utilization", "Usage Trend", "Notes"]


@st.composite
def tables(draw):
    ids = draw(st.lists(IDS, min_size=1, max_size=25, unique_by=str.lower))
    rows = [draw(ROW) for _ in ids]
    return list(zip(ids, rows, strict=True))


def _number_text(x: float | None, decimal: str) -> str:
    if x is None:
        return ""
    text = format(x, ".15g")
    return text.replace(".", ",") if decimal == "," else text


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if encoding == "utf-16":
        return text.encode("utf-16")  # with its byte-order mark, as Excel writes it
    return text.encode(encoding)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    decimal=st.sampled_from([".", ","]),
)
@example(table=[("A1", ("Æ€", None, None, None, "ß€"))], delimiter=",", encoding="cp1252", decimal=".")
def test_written_tables_read_back_or_the_difference_is_reported(tmp_path_factory, table, delimiter,
                                                                  encoding, decimal):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quotechar='"', doublequote=True,
                        quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for account_id, (name, arr, util, trend, notes) in table:
        writer.writerow([account_id, name, *(_number_text(x, decimal) for x in (arr, util, trend)), notes])
    path = tmp_path_factory.mktemp("prop") / "accounts.csv"
    data = _encode(out.getvalue(), encoding)
    path.write_bytes(data)
    if encoding == "cp1252" and _is_utf8(data):
        # Windows-1252 bytes that are also valid UTF-8 ("Æ€" is the bytes of "ƀ") are read
        # as UTF-8, as the module documents and charset-normalizer agrees; so is each cell.
        table = [(i, tuple(_as_utf8(v) for v in row)) for i, row in table]

    book = load_accounts(path)
    report = book.report
    named = {(b.row, b.column) for b in [*report.bad_cells, *report.ambiguous]}
    mixed = any("mixes decimal" in n for n in report.notes)
    assert report.rows_in == report.rows + report.left_out
    assert report.left_out == 0  # no id is blank or a summary word
    frame = book.frame
    assert frame["account_id"].tolist() == [account_id for account_id, _ in table]
    for i, (_, values) in enumerate(table):
        row = i + 2  # the header is row 1
        for column, want in zip(COLUMNS, values, strict=True):
            if column not in frame:  # only a column left wholly blank is dropped
                assert all(_blank(v) or (isinstance(v, str) and not v.strip())
                           for v in [w[1][COLUMNS.index(column)] for w in table]), column
                continue
            got = frame[column].iloc[i]
            if (row, column) in named or mixed:
                continue  # the report names this cell (or the file's mixed decimal marks)
            if any(n.startswith(f"{column} holds percents") for n in report.notes):
                want = want / 100 if isinstance(want, float) else want  # said: read as fractions
            assert _same(got, want, column), (column, row, got, want)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_utf8(v):
    return v.encode("cp1252").decode("utf-8") if isinstance(v, str) else v


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _same(got, want, column: str) -> bool:
    if want is None:
        return _blank(got)
    if isinstance(want, str) and not want.strip():  # spaces only: blank, or kept as typed
        return _blank(got) or got == want
    if isinstance(want, str):
        if column == "Notes" and isinstance(got, float):  # an all-number column: numbers
            return float(want) == got
        return got == want  # exactly as typed
    return isinstance(got, float) and got == pytest.approx(want, rel=1e-12, abs=1e-12)
