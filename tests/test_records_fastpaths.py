"""Property: the import's fast paths over Arrow text give what the general ones give.

``holding`` (the summary-id candidates, read from the Arrow buffers) finds the cells
``pyarrow.compute.match_substring`` finds, for chunked, sliced, null-holding text of both
offset widths; ``factorize`` (label by label for a column of few labels) gives
``pandas.factorize``'s codes and labels.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook.records import buffers, columns
from workbook.records.raw import TEXT

CELL = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("otalOTAL xé€-")), max_size=12))
CELLS = st.lists(CELL, max_size=60)


def _chunked(cells: list, cuts: list[int], large: bool, offset: int) -> pa.ChunkedArray:
    kind = pa.large_string() if large else pa.string()
    whole = pa.array(["pad"] * offset + cells, type=kind).slice(offset)  # a sliced array
    bounds = sorted({0, len(cells), *(c % (len(cells) + 1) for c in cuts)})
    return pa.chunked_array([whole.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)] or [whole],
                            type=kind)


@settings(max_examples=300, deadline=None)
@given(CELLS, st.lists(st.integers(0, 60), max_size=4), st.booleans(), st.integers(0, 3))
def test_holding_finds_what_match_substring_finds(cells, cuts, large, offset):
    a = _chunked(cells, cuts, large, offset)
    needles = (b"otal", b"OTAL")
    expected = pc.or_(pc.match_substring(a, "otal"), pc.match_substring(a, "OTAL"))
    expected = np.flatnonzero(pc.fill_null(expected, False).to_numpy(zero_copy_only=False))
    assert buffers.holding(a, needles).tolist() == expected.tolist()
    any_case = pc.fill_null(pc.match_substring(a, "total", ignore_case=True), False)
    assert buffers.holding(a, (b"total",), any_case=True).tolist() == np.flatnonzero(
        any_case.to_numpy(zero_copy_only=False)).tolist()


IDS = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab0-é")), max_size=20))


@settings(max_examples=400, deadline=None)
@given(st.lists(IDS, max_size=60), st.lists(st.integers(0, 60), max_size=4), st.booleans(), st.integers(0, 3))
def test_surely_distinct_only_when_the_ids_differ(cells, cuts, large, offset):
    """True means every non-blank id differs; ids of up to 16 bytes that differ are told so."""
    a = _chunked(cells, cuts, large, offset)
    ids = [c for c in cells if c is not None]
    distinct = len(set(ids)) == len(ids)
    if buffers.surely_distinct(a):
        assert distinct
    elif all(len(c.encode()) <= 16 for c in ids):
        assert not distinct


LABEL_CELLS = st.lists(st.one_of(st.none(), st.sampled_from(["TRUE", "FALSE", "", "yes", "Total", "no"])),
                       max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LABEL_CELLS, st.integers(0, 12))
def test_factorize_gives_pandas_codes_and_labels(monkeypatch, cells, head):
    monkeypatch.setattr(columns, "_HEAD_CELLS", head)
    s = pd.Series(cells, dtype=TEXT)
    codes, labels = columns.factorize(s)
    expected_codes, expected_labels = pd.factorize(s, use_na_sentinel=True)
    assert codes.tolist() == expected_codes.tolist()
    assert list(labels) == list(expected_labels)


@pytest.mark.parametrize("kind", ["count", "score", "growth", "fraction"])
def test_numbers_of_the_parser_named_as_before(kind):
    from workbook.records.report import ImportReport

    values = pd.Series([1.0, -2.0, np.inf, np.nan, 150.0, -np.inf])
    report = ImportReport(source="t")
    out = columns._numbers("x", kind, values, np.arange(2, 8), ".", report)
    assert [b.row for b in report.bad_cells if "not a number" in b.problem] == [4, 7]
    negative = [b.row for b in report.bad_cells if "negative" in b.problem]
    above = [b.row for b in report.bad_cells if "above 100" in b.problem]
    assert negative == ([3] if kind != "growth" else [])
    assert above == ([6] if kind == "score" else [])
    assert out[2] is None and out[5] is None
    ints = pd.Series(np.array([3, 1, 7], dtype=np.int64))
    assert columns._numbers("x", kind, ints, np.arange(2, 5), ".", ImportReport(source="t")).dtype == float


LINES = st.lists(st.text(alphabet=st.sampled_from(list("ab1,;\t .é")), max_size=10), max_size=30)
ENDS = st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=30, max_size=30)


@settings(max_examples=300, deadline=None)
@given(LINES, ENDS, st.booleans(), st.sampled_from([",", ";", "\t"]), st.integers(0, 12), st.booleans())
def test_a_head_without_quotes_splits_as_the_csv_module_reads_it(lines, ends, whole, delimiter, head_rows,
                                                                 ended):
    from workbook.records import reading

    text = "".join(line + end for line, end in zip(lines, ends, strict=False))
    if not ended and text:
        text = text.rstrip("\r\n")
    if not whole:  # a cut sample ends at a line break, as read_text_table cuts it
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut > 0 else text
    rows, numbers, lines_of, _ = reading._parse_head(text, delimiter, whole, "t.csv")
    got_rows, got_numbers, got_lines, _, rest_width = reading._split_head(text, delimiter, whole, head_rows)
    n = len(got_rows)
    assert got_rows == rows[:n] and got_numbers == numbers[:n]
    assert got_lines == {k: v for k, v in lines_of.items() if k <= n}
    assert sum(any(c.strip() for c in r) for r in got_rows) == min(head_rows, sum(any(c.strip() for c in r)
                                                                                 for r in rows))
    assert rest_width == max([len(r) for r in rows[n:] if r] + [0])


@pytest.mark.parametrize("first", ["1000", "1000.5"])
def test_the_parsers_numbers_can_be_set_by_a_check(tmp_path, first):
    """--duplicates sum writes the sum into the imported ARR column (whole numbers or not)."""
    from workbook.records import load_records

    src = tmp_path / "h.csv"
    src.write_text("account_id,month,arr\n" + "\n".join(
        [f"a1,2025-01-01,{first}", "a1,2025-01-01,9000", *(f"a1,2025-{m:02d}-01,2000" for m in range(2, 13))]) + "\n")
    book = load_records(str(src), "arr_history", duplicates="sum")
    assert len(book.frame) == 12 and book.frame["arr"].iloc[0] == float(first) + 9000


NUMBER_TEXT = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(),
                        st.text(alphabet=st.sampled_from(list("0123456789.,-+ $€%eK()")), max_size=12))


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBER_TEXT, max_size=40))
def test_decimal_evidence_is_counted_cell_by_cell(cells):
    """detect_decimal reads each distinct text once: its counts are the sums over the cells."""
    from workbook.records.numbers import detect_decimal

    _, point, comma = detect_decimal(pd.Series(cells, dtype=object))
    each = [detect_decimal(pd.Series([c], dtype=object)) for c in cells]
    assert (point, comma) == (sum(p for _, p, _ in each), sum(c for _, _, c in each))


def test_the_numbers_read_beside_the_rest_give_the_same_book(tmp_path, monkeypatch):
    """A big file's number columns are read on a second core: the same frame and report,
    notes and bad cells in the same order, as read inline."""
    from udfs.core import _threads
    from workbook.records import load_accounts

    src = tmp_path / "a.csv"
    src.write_text(
        "Account ID,Segment,ARR,Seat Utilization,Health Score,Champion Promoted 90d,Customer Since,Notes,Seats Licensed\n"
        "A1,smb,\"1,200\",85,120,TRUE,2021-03-04,x,10\n"
        "A2,Whale,n/a,92,50,maybe,2021-13-40,,-3\n"
        "A1,Enterprise,$5.5K,70,40,FALSE,03/04/2022,y,7\n"
        "Total,,1000,,,,,,\n"
        ",,,,,,,,\n"
        "A4,Mid-market,12.5,abc,101,TRUE,,z,2\n")
    inline = load_accounts(str(src))
    monkeypatch.setattr(_threads, "MIN_ROWS", 0)
    threaded = load_accounts(str(src))
    pd.testing.assert_frame_equal(threaded.frame, inline.frame)
    a, b = dataclasses.asdict(threaded.report), dataclasses.asdict(inline.report)
    dates_a, dates_b = a.pop("dates"), b.pop("dates")
    assert a == b and threaded.kinds == inline.kinds
    assert dates_a.keys() == dates_b.keys() and all(
        np.array_equal(dates_a[k], dates_b[k], equal_nan=True) for k in dates_a)
    assert inline.report.bad_cells and inline.report.notes
