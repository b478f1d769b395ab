"""The Pipeline and Retention sheets built from opportunities and an ARR history (SPEC §5–§6):
the cached figures are the functions' results, no target is invented, every number that is
not measured says "assumed", and LibreOffice renders the measured figures."""

from __future__ import annotations

import re
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import udfs
from tests.conftest import ROOT, need_tool
from workbook import build
from workbook.sheets.pipeline import ENTER_TARGET, HEADERS
from workbook.sheets.records import SAMPLE_ARR_HISTORY, SAMPLE_OPPORTUNITIES, SAMPLE_TARGETS

AS_OF = udfs.SAMPLE_AS_OF
SAMPLE_BOOK = str(ROOT / "workbook" / "sample_accounts.csv")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("revenue")
    return {
        "demo": build(None, d / "demo.xlsx"),  # the bundled sample book, records and targets
        "no_target": build(SAMPLE_BOOK, d / "no_target.xlsx", opportunities=SAMPLE_OPPORTUNITIES,
                           arr_history=SAMPLE_ARR_HISTORY, as_of=AS_OF),
        "one_target": build(SAMPLE_BOOK, d / "one_target.xlsx", opportunities=SAMPLE_OPPORTUNITIES,
                            target=1_000_000, as_of=AS_OF),
        "dir": d,
    }


def _values(model, sheet):
    return openpyxl.load_workbook(model.path, data_only=True)[sheet]


COLS = dict(zip(HEADERS, "ABCDEFGHIJKLMNO", strict=True))  # header -> column letter


def _rows(ws) -> dict:
    """{motion: {header: value}} of the motion rows and the Total row (rows 13-18)."""
    assert [ws[f"{c}12"].value for c in COLS.values()][:6] == HEADERS[:6]
    return {ws[f"A{r}"].value: {h: ws[f"{c}{r}"].value for h, c in COLS.items()} for r in range(13, 19)}


def test_pipeline_sheet_is_the_functions_on_the_opportunities(models):
    ws = _values(models["demo"], "Pipeline")
    assert ws["B4"].value == "2026-Q4" and ws["B9"].value is False and ws["B10"].value == "probability"
    assert ws["G12"].value == "Weighted pipeline (CRM probability, else win rate)"  # the basis, in the header
    rows = _rows(ws)
    table = udfs.pipeline_from_opportunities(pd.read_csv(SAMPLE_OPPORTUNITIES), pd.read_csv(SAMPLE_TARGETS), AS_OF)
    table = table[table["quarter"] == "2026-Q4"].set_index("motion")
    for motion, got in rows.items():
        want = table.loc[motion]
        for header, column in (("Target", "target"), ("Booked to date", "booked"),
                               ("Remaining target", "remaining_target"), ("Pipeline", "pipeline"),
                               ("Past due", "past_due"), ("Weighted pipeline", "weighted_pipeline"),
                               ("Required coverage", "required_coverage"), ("Coverage", "coverage"),
                               ("Weighted coverage", "weighted_coverage"), ("Pipeline to create", "gap")):
            expected = want[column]
            if expected is None:
                assert got[header] in (None, ""), (motion, header)
            else:
                assert got[header] == pytest.approx(expected), (motion, header)
        assert got["Status"] == want["status"] and got["Weighted by"] == want["weighting"], motion
        if motion != "Total":
            assert got["Win rate basis"] == want["basis"] == "measured"
    statuses = {r["Status"] for r in rows.values()}
    assert {"Healthy", "Thin", "Undercovered", "Target met"} <= statuses  # the sample targets show all four
    # the past-due deals are listed on the sheet, apart from the coverage
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    top = next(i for i, r in enumerate(cells) if isinstance(r[0], str) and r[0].startswith("Past due:"))
    assert cells[top + 1][:3] == ["opportunity_id", "account_id", "motion"]
    late = udfs.past_due_opportunities(pd.read_csv(SAMPLE_OPPORTUNITIES), AS_OF)
    listed = [r[0] for r in cells[top + 2: top + 2 + len(late)]]
    assert listed == late["opportunity_id"].tolist() and len(listed) == 30


def test_no_target_is_invented(models):
    ws = _values(models["no_target"], "Pipeline")
    rows = _rows(ws)
    assert all(r["Target"] is None for r in rows.values())
    assert rows["Total"]["Status"] == ENTER_TARGET
    assert all(r["Coverage"] in (None, "") and r["Pipeline to create"] in (None, "") for r in rows.values())
    assert rows["Total"]["Booked to date"] > 0  # booked is measured with or without a target
    one = _rows(_values(models["one_target"], "Pipeline"))
    total = one["Total"]
    assert total["Target"] == 1_000_000 and total["Required coverage"] == 3  # no motion split: 3x
    assert total["Remaining target"] == pytest.approx(1_000_000 - total["Booked to date"])
    assert total["Coverage"] == pytest.approx(total["Pipeline"] / total["Remaining target"])
    assert all(r["Target"] is None for m, r in one.items() if m != "Total")


def test_retention_sheet_is_measured_from_the_history(models):
    ws = _values(models["demo"], "Retention")
    t = udfs.trailing_retention(pd.read_csv(SAMPLE_ARR_HISTORY))
    bridge = ["starting_arr", "expansion", "contraction", "churn", "ending_arr", "new_logo_arr", "new_logo_change",
              "reactivation", "arr"]
    assert [ws[f"B{r}"].value for r in range(4, 13)] == pytest.approx([t[k] for k in bridge])
    assert ws["A10"].value == "+ New logos' change since their first bill" and ws["B10"].value == 323_200
    # the bridge closes to the cent: nothing of company ARR is left unexplained
    assert ws["A13"].value == "Company ARR not explained by the bridge" and abs(ws["B13"].value) < 0.005
    assert ws["B8"].value + ws["B9"].value + ws["B10"].value + ws["B11"].value == pytest.approx(ws["B12"].value)
    assert ws["B14"].value == pytest.approx(t["nrr"]) and ws["B15"].value == pytest.approx(t["grr"])
    assert ws["B16"].value == pytest.approx(t["expansion"] / (t["expansion"] + t["new_logo_arr"]))
    assert ws["B23"].value == pytest.approx(t["logo_churn"])
    assert ws["B18"].value == udfs.nrr_benchmark(t["arr"], t["nrr"])
    assert "ARR-stage benchmark table" in ws["C18"].value and "ARR-stage benchmark table" in ws["C17"].value
    assert ws["C14"].value.startswith("measured")
    notes = [ws[f"C{r}"].value or "" for r in range(4, 24)] + [ws[f"I{r}"].value or "" for r in range(3, 5)]
    assert any(n.startswith("assumed") for n in notes)  # the projection is an assumption, said so
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert "Trailing-12-month NRR and GRR by month" in cells and "NRR by acquisition cohort " \
        "(months after the first bill)" in cells
    # the quarterly table is the same bridge per quarter; its partial quarter says so
    assert "Expansion share of new ARR by quarter (point to point, as the bridge above)" in cells
    assert "ARR movements by month (month over month)" in cells
    assert cells.count("partial: to 2026-11") == 2  # the quarter's bridge and its cohort


def test_without_history_every_bridge_number_says_assumed(models):
    ws = _values(models["one_target"], "Retention")
    for r in (4, 5, 6, 7, 9, 10, 11):
        assert ws[f"C{r}"].value.startswith("assumed"), r
    assert ws["C14"].value.startswith("assumed")
    # what the assumed bridge leaves of the Accounts table's ARR is shown, not hidden
    assert ws["B13"].value == pytest.approx(ws["B12"].value - (ws["B8"].value + ws["B9"].value))


def test_records_are_excel_tables_of_the_model(models):
    wb = openpyxl.load_workbook(models["demo"].path)
    tables = {name: ws.title for ws in wb.worksheets for name in ws.tables}
    assert tables["Opportunities"] == "Opportunities" and tables["ARR_history"] == "ARR history"
    assert tables["Targets"] == "Targets"
    opps = wb["Opportunities"]
    assert opps["A1"].value == "opportunity_id" and opps.max_row == len(pd.read_csv(SAMPLE_OPPORTUNITIES)) + 1
    close = [c.value for c in opps[1]].index("close_date") + 1
    assert opps.cell(2, close).is_date


def test_libreoffice_renders_the_measured_figures(models, soffice, tmp_path):
    path = models["demo"].path
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                          "pdf", "--outdir", str(tmp_path), str(path)], capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "demo.pdf"
    assert run.returncode == 0 and pdf.exists(), run.stderr
    text = subprocess.run([need_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=120, check=True).stdout
    assert not re.findall(r"#NAME\?|#VALUE!|Err:\d+", text)
    t = udfs.trailing_retention(pd.read_csv(SAMPLE_ARR_HISTORY))
    pipeline = text[text.index("Expansion pipeline coverage"):text.index("Net revenue retention")]
    retention = text[text.index("Net revenue retention"):]
    for needle in ("Seat expansion", "measured", "Healthy", "Thin", "Undercovered", "Target met", "Booked to date",
                   "Past due", "CRM probability", "Every quarter, motion and owner", "OPP-00484"):
        assert needle in pipeline, needle
    ws = _values(models["demo"], "Pipeline")
    for cell in ("C18", "D18", "E18", "F18"):  # booked, remaining target, pipeline, past due: as measured
        assert f"${ws[cell].value:,.0f}" in pipeline, cell
    assert f"{t['nrr']:.1%}" in retention and f"{t['grr']:.1%}" in retention
    assert f"${t['starting_arr']:,.0f}" in retention and f"${t['arr']:,.0f}" in retention
    for needle in ("New logos' change since their first bill", "$323,200", "Reactivated accounts",
                   "not explained by the bridge", "partial: to 2026-11", "month over month"):
        assert needle in retention, needle
    assert "ARR-stage benchmark table" in retention and "assumed" in retention


def test_cli_builds_from_records_and_names_a_bad_file(tmp_path):
    out = tmp_path / "m.xlsx"
    run = subprocess.run([sys.executable, "-m", "workbook", "build", "--out", str(out), "--accounts", SAMPLE_BOOK,
                          "--opportunities", SAMPLE_OPPORTUNITIES, "--arr-history", SAMPLE_ARR_HISTORY,
                          "--target", "750000", "--as-of", AS_OF], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Opportunities: " in run.stdout and "ARR history: " in run.stdout and "Target: $750,000" in run.stdout
    assert _rows(_values(type("M", (), {"path": out}), "Pipeline"))["Total"]["Target"] == 750_000
    bad = tmp_path / "opps.csv"
    bad.write_text("opportunity_id,type,amount,close_date,status\no1,Upsell,lots,2026-11-01,open\n")
    run = subprocess.run([sys.executable, "-m", "workbook", "build", "--out", str(tmp_path / "n.xlsx"),
                          "--opportunities", str(bad), "--target", "0"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and run.stderr.startswith("error: ")
    assert not (tmp_path / "n.xlsx").exists()
