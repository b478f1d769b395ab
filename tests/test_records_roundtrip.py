"""Round trip of opportunities, ARR history and targets through the records reader (issue 17).

Random valid exports with random hostile cells inserted, written as CSV files and read by
``load_records`` (what ``check --kind`` and a build read): every row is counted (rows in =
rows used + rows reported), every hostile row is among the reported ones, every row used
holds exactly the number written, and the build's reading refuses the records while one
is reported, so no wrong number reaches a sheet.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from udfs.core import playbook
from workbook.records import load_records
from workbook.sheets.records import revenue_records

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _history(draw) -> tuple[list[str], list[list]]:
    accounts = draw(st.integers(1, 4))
    rows = []
    for a in range(accounts):
        start = draw(st.integers(0, 6))
        for m in range(start, start + draw(st.integers(1, 15))):
            rows.append([f"ACC-{a:03d}", f"{2024 + m // 12}-{m % 12 + 1:02d}-01", draw(st.integers(0, 90_000))])
    return ["account_id", "month", "arr"], rows


def _opportunities(draw) -> tuple[list[str], list[list]]:
    n = draw(st.integers(1, 12))
    rows = []
    for i in range(n):
        day = draw(st.dates(min_value=np.datetime64("2024-01-01").item(), max_value=np.datetime64("2027-12-31").item()))
        rows.append([f"OPP-{i:04d}", f"ACC-{i % 5:03d}", draw(st.sampled_from(["Upsell", "Add seats", "Renewal",
                                                                             "Cross-sell"])),
                     draw(st.integers(0, 500_000)), day.isoformat(), draw(st.sampled_from(["Ana", "Bo", ""])),
                     draw(st.sampled_from(["open", "won", "lost", "Closed Won"]))])
    return ["opportunity_id", "account_id", "type", "amount", "close_date", "owner", "status"], rows


def _targets(draw) -> tuple[list[str], list[list]]:
    keys = draw(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(("",) + playbook.MOTIONS),
                                   st.sampled_from(["", "Ana", "Bo"])), min_size=1, max_size=10, unique=True))
    rows = [[f"{2025 + q // 4}-Q{q % 4 + 1}", m, o if m else "", 1_000 * (k + 1)] for k, (q, m, o) in enumerate(keys)]
    return ["quarter", "motion", "owner", "target"], rows


# Hostile cells, per kind: (column, value); None as the value repeats another row's key.
HOSTILE = {
    "arr_history": [("month", "2025-13-01"), ("month", "2025-02-30"), ("month", "soon"), ("arr", "n/a"),
                    ("arr", "-5"), ("month", None), ("arr", "#REF!")],
    "opportunities": [("amount", "abc"), ("amount", ""), ("close_date", "2025-13-01"), ("close_date", "31/02/2025"),
                      ("status", "maybe"), ("amount", "-100")],
    "targets": [("quarter", "2026-Q5"), ("motion", "Teleportation"), ("target", "0"), ("target", "n/a"),
                ("quarter", None)],
}
VALUE = {"arr_history": "arr", "opportunities": "amount", "targets": "target"}
MAKE = {"arr_history": _history, "opportunities": _opportunities, "targets": _targets}


@st.composite
def exports(draw, kind: str):
    header, rows = MAKE[kind](draw)
    hostile: set[int] = set()
    twins: list[tuple[int, int]] = []
    for _ in range(draw(st.integers(0, 3))):
        column, value = draw(st.sampled_from(HOSTILE[kind]))
        j = draw(st.integers(0, len(rows) - 1))
        if value is None:  # the same key again, another amount: both rows are reported
            twin = list(rows[j])
            twin[header.index(VALUE[kind])] = 7_777
            rows.append(twin)
            twins.append((j, len(rows) - 1))
            continue
        rows[j][header.index(column)] = value
        if kind == "opportunities" and column == "amount" and value == "":
            rows[j][header.index("status")] = "won"
        hostile.add(j)
    for j, k in twins:  # still one key twice (a bad cell on either makes the other the only one)
        if j not in hostile and k not in hostile:
            hostile.update({j, k})
    return header, rows, hostile


def _write(folder: str, header: list[str], rows: list[list]) -> Path:
    path = Path(folder) / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def _round_trip(kind: str, header: list[str], rows: list[list], hostile: set[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _check(kind, _write(folder, header, rows), header, rows, hostile)


def _check(kind: str, path: Path, header: list[str], rows: list[list], hostile: set[int]) -> None:
    book = load_records(path, kind)
    report = book.report
    assert report.rows_in == len(rows)
    assert report.rows_in == report.rows_used + report.rows_reported
    reported = set(report.reported_rows)
    assert {j + 2 for j in hostile} <= reported  # the header is row 1
    # a row used holds exactly the number its cell says
    value = VALUE[kind]
    used = [k for k, r in enumerate(book.row_numbers) if r not in reported]
    assert len(used) == report.rows_used
    for k in used:
        written = rows[int(book.row_numbers[k]) - 2][header.index(value)]
        assert book.frame[value].iloc[k] == float(written)
    # the build reads these records only when nothing is reported
    given_ = {"opportunities": "opportunities", "arr_history": "arr_history", "targets": "targets"}[kind]
    if reported:
        with pytest.raises(ValueError, match=f"{kind}: "):
            revenue_records(**{given_: str(path)}, as_of="2026-12-01")
    else:
        revenue_records(**{given_: str(path)}, as_of="2026-12-01")


@SETTINGS
@given(exports("arr_history"))
def test_arr_history_round_trip(export):
    _round_trip("arr_history", *export)


@SETTINGS
@given(exports("opportunities"))
def test_opportunities_round_trip(export):
    _round_trip("opportunities", *export)


@SETTINGS
@given(exports("targets"))
def test_targets_round_trip(export):
    _round_trip("targets", *export)
