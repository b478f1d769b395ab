"""The What changed and Playbook results sheets of a model built with --snapshots, read back
with openpyxl (each spill is what its formula computes from the written tables, through
xlwings' runtime) and rendered by LibreOffice; and the measured close rates written into
the Plays table by ``python -m workbook plays --from-outcomes``."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf
from udfs.connect import FORMULAS_SHEET
from udfs.core import playbook
from workbook import build
from workbook.snapshots import SnapshotStore

ROOT = Path(__file__).resolve().parents[1]
EPOCH = dt.datetime(1899, 12, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The model `make demo` builds: the sample records and the 12 sample snapshots."""
    folder = tmp_path_factory.mktemp("demo")
    store = SnapshotStore(folder / "snapshots.duckdb")
    store.append(pd.read_csv(ROOT / "workbook" / "sample_snapshots.csv", keep_default_na=False, na_values=[""]))
    result = build(None, folder / "upcell_model.xlsx", snapshots=store.path)
    assert result.snapshots[1].startswith("note: snapshots.duckdb already had a snapshot of 2026-12-01")
    return result.path


def _excel(v):
    """A cell as Excel hands it to a function: dates as serial numbers."""
    return (v - EPOCH).days if isinstance(v, dt.datetime) else v


def _table(wb, name: str) -> list[list]:
    ws = next(s for s in wb if name in s.tables)
    return [[_excel(c.value) for c in row] for row in ws[ws.tables[name].ref]]


def _block(ws, row: int, col: int = 1) -> list[list]:
    """The spill whose header is at (row, col): rows down to the first blank first cell."""
    width = 0
    while ws.cell(row, col + width).value is not None:
        width += 1
    out = []
    while ws.cell(row, col).value is not None:
        out.append([ws.cell(row, col + j).value for j in range(width)])
        row += 1
    return out


def _cells(values: list[list]) -> list[list]:
    """Written values as a UDF returns them (blank cells as '')."""
    return [["" if v is None else (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
             for v in row] for row in values]


def _same(written: list[list], computed: list[list]) -> None:
    """The written spill is the computed one (numbers to 12 digits: a workbook keeps 15-16)."""
    assert len(written) == len(computed) and [len(r) for r in written] == [len(r) for r in computed]
    for a, b in zip(_cells(written), computed, strict=True):
        assert a == [pytest.approx(y, rel=1e-12) if isinstance(y, float) else y for y in b], (a, b)


def _find(ws, text: str) -> int:
    return next(c.row for row in ws.iter_rows() for c in row if c.value == text)


def test_the_sheets_are_what_their_formulas_compute_from_the_written_tables(demo):
    wb = openpyxl.load_workbook(demo)
    assert wb.sheetnames.index("What changed") == wb.sheetnames.index("Scores") + 1
    for name in ("Playbook results", "Flags", "Previous queue"):
        assert name in wb.sheetnames
    # What changed: the queue on Scores against the Previous queue table
    scores = _block(wb["Scores"], 4)
    written = _block(wb["What changed"], 6)
    computed = call_udf("WHAT_CHANGED", _table(wb, "Previous_queue"), scores)
    _same(written, computed)
    kinds = [r[0] for r in written[1:]]
    assert "Dropped" in kinds and "Score moved" in kinds
    assert kinds == sorted(kinds, key=playbook.CHANGES.index)  # in the order of the kinds of change
    assert any(str(r[7]).startswith("signal gone") for r in written[1:])
    counts = {wb["What changed"].cell(4, 2 * j + 1).value: wb["What changed"].cell(4, 2 * j + 2).value
              for j in range(5)}
    assert counts["Dropped"] == kinds.count("Dropped")
    # Playbook results: per play, from the Flags, Opportunities and Plays tables
    ws = wb["Playbook results"]
    flags, opps, plays = _table(wb, "Flags"), _table(wb, "Opportunities"), _table(wb, "Plays")
    per_play = _block(ws, _find(ws, "Per play") + 1)
    _same(per_play, call_udf("PLAYBOOK_RESULTS", flags, opps, plays, "play"))
    head = per_play[0]
    seat = dict(zip(head, per_play[1], strict=True))
    assert seat["basis"].startswith("measured: ") and seat["closed"] >= 20
    assert 0 < seat["close_rate_low"] < seat["close_rate"] < seat["close_rate_high"] < 1
    assert dict(zip(head, per_play[3], strict=True))["basis"].startswith("too few")
    detail = _block(ws, _find(ws, "Per play, owner and quarter of the flag") + 1)
    _same(detail, call_udf("PLAYBOOK_RESULTS", flags, opps, plays))
    assert {r[2] for r in detail[1:]} == {"2026-Q3", "2026-Q4"}
    missed = _block(ws, _find(ws, "Missed: won expansions created during the snapshots with no flag") + 1)
    first, last = _excel(ws["B4"].value), _excel(ws["B5"].value)
    _same(missed, call_udf("MISSED_EXPANSIONS", flags, opps, first, last, plays))
    # every formula is listed for "Connect model"
    listed = " ".join(str(c.value) for row in wb[FORMULAS_SHEET].iter_rows() for c in row if c.value)
    for name in ("WHAT_CHANGED(Previous_queue[#All], Scores!A4#)", "PLAYBOOK_RESULTS(Flags[#All]",
                 "MISSED_EXPANSIONS(", "FLAG_OUTCOMES("):
        assert name in listed


@pytest.mark.e2e
def test_libreoffice_renders_the_outcome_sheets(demo, soffice, tmp_path):
    from tests.test_model_render import BROKEN, render

    copy = tmp_path / "model.xlsx"
    shutil.copy(demo, copy)
    text = render(soffice, copy, tmp_path)
    assert not BROKEN.findall(text), sorted(set(BROKEN.findall(text)))
    for words in ("What changed", "Playbook results", "signal gone", "measured: ", "too few",
                  "Missed: won expansions"):
        assert words in text, words


def test_plays_from_outcomes_writes_only_the_measured_cells(demo, tmp_path):
    model = tmp_path / "model.xlsx"
    shutil.copy(demo, model)
    before = model.read_bytes()
    wb = openpyxl.load_workbook(model)
    expected = udfs.playbook_results(_table(wb, "Flags"), _table(wb, "Opportunities"), _table(wb, "Plays"),
                                     "play").set_index("play")
    run = subprocess.run([sys.executable, "-m", "workbook", "plays", "--from-outcomes", str(model)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "kept: Cross-sell: too few" in run.stdout and "backup: model.backup-" in run.stdout
    after = openpyxl.load_workbook(model)
    plays = {r[0]: dict(zip(_table(after, "Plays")[0], r, strict=True)) for r in _table(after, "Plays")[1:]}
    old = {r[0]: dict(zip(_table(wb, "Plays")[0], r, strict=True)) for r in _table(wb, "Plays")[1:]}
    for motion in ("Seat expansion", "Tier upgrade"):
        assert plays[motion]["close_rate"] == pytest.approx(expected.loc[motion, "close_rate"])
        assert plays[motion]["close_rate_basis"] == expected.loc[motion, "basis"]
        assert plays[motion]["close_rate_basis"].startswith("measured: ")
        assert plays[motion]["arr_increase_share"] == pytest.approx(expected.loc[motion, "increase_share"])
        assert plays[motion]["arr_increase_share_basis"] == f"measured: median of {int(expected.loc[motion, 'won'])} won"
        assert {k: v for k, v in plays[motion].items() if "close_rate" not in k and "share" not in k} == \
            {k: v for k, v in old[motion].items() if "close_rate" not in k and "share" not in k}
    for motion in ("Usage expansion", "Cross-department", "Cross-sell"):
        assert plays[motion] == old[motion]
    # every other part of the file byte for byte; the original kept as the backup
    backup = next(tmp_path.glob("model.backup-*.xlsx"))
    assert backup.read_bytes() == before
    with zipfile.ZipFile(backup) as a, zipfile.ZipFile(model) as b:
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert a.namelist() == b.namelist()
    plays_part = next(n for n in changed)
    assert changed == [plays_part] and plays_part.startswith("xl/worksheets/sheet")
    # the Plays table validates as the queue reads it, and says its close rates are measured
    table = udfs.plays_table(_table(after, "Plays"))
    assert table.loc["Seat expansion", "close_rate_basis"].startswith("measured")
    # a second run finds nothing to change and leaves the file alone
    again = subprocess.run([sys.executable, "-m", "workbook", "plays", "--from-outcomes", str(model)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "0 cell(s)" in again.stdout
    assert len(list(tmp_path.glob("model.backup-*.xlsx"))) == 1


@pytest.mark.e2e
def test_libreoffice_opens_the_written_model(demo, soffice, tmp_path):
    from tests.test_model_render import BROKEN, render

    model = tmp_path / "written.xlsx"
    shutil.copy(demo, model)
    run = subprocess.run([sys.executable, "-m", "workbook", "plays", "--from-outcomes", str(model)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    text = render(soffice, model, tmp_path)
    assert not BROKEN.findall(text)
    assert "measured: " in text and "median of" in text


def test_plays_from_outcomes_needs_a_model_with_flags(tmp_path):
    plain = build(None, tmp_path / "plain.xlsx").path
    run = subprocess.run([sys.executable, "-m", "workbook", "plays", "--from-outcomes", str(plain)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert run.stderr.strip() == ("error: plain.xlsx: no Flags table; build the model with --snapshots and "
                                  "--opportunities (with created dates) first")
    assert "What changed" not in openpyxl.load_workbook(plain).sheetnames  # no store, no outcome sheets


def test_scores_say_which_close_rates_are_measured_before_and_after_the_write_back(demo, tmp_path):
    """Issue 15, item 3: every expected value on Scores says whether its close rate is measured
    or assumed; the close rates plays --from-outcomes measured flow into the queue."""
    wb = openpyxl.load_workbook(demo, data_only=True)
    scores = wb["Scores"]
    header = [c.value for c in scores[4]]
    basis = header.index("value_basis")
    rows = [[c.value for c in r] for r in scores.iter_rows(min_row=5) if r[0].value is not None]
    with_value = [r for r in rows if r[header.index("expected_value")]]
    assert with_value and all(str(r[basis]).startswith("close rate ") and "increase share " in str(r[basis])
                              for r in with_value)
    # the demo's opportunities measure every motion's win rate: none is assumed any more
    assert all("close rate measured" in str(r[basis]) for r in with_value)
    model = tmp_path / "model.xlsx"
    shutil.copy(demo, model)
    run = subprocess.run([sys.executable, "-m", "workbook", "plays", "--from-outcomes", str(model)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    after = openpyxl.load_workbook(model, data_only=True)
    as_of = after["Pipeline"]["B5"].value
    out = call_udf("SCORE_ACCOUNTS", _table(after, "Accounts"), _table(after, "Rules"), _table(after, "Plays"),
                   None, _excel(as_of), None, None, _table(after, "Opportunities"))
    queue = pd.DataFrame(out[1:], columns=out[0])
    plays = udfs.plays_table(_table(after, "Plays"))
    seat = queue[(queue["play"] == "Seat expansion") & (queue["expected_value"] != 0)]
    assert len(seat)
    assert (seat["close_rate"] == plays.loc["Seat expansion", "close_rate"]).all()
    assert (seat["value_basis"] == f"close rate {plays.loc['Seat expansion', 'close_rate_basis']}; increase share "
                                   f"{plays.loc['Seat expansion', 'arr_increase_share_basis']}").all()
    assert seat["value_basis"].str.startswith("close rate measured: ").all()
