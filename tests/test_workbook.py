"""The Excel model: built from the sample book and from messy exports, then checked
through openpyxl, its XML, xlwings' own UDF runtime (every cached value is recomputed
from the cells it references) and LibreOffice headless."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import zipfile
from datetime import datetime

import openpyxl
import pytest
from xlsxwriter.utility import xl_col_to_name

import udfs
from tests.conftest import call_udf, need_tool
from udfs.connect import FORMULAS_SHEET
from udfs.core import playbook
from workbook import build, load_accounts
from workbook.sheets.scores import scores_formula

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-cmd", "=1+1"]
SHEETS = ["Start here", "Accounts", "Rules", "Plays", "Scores", "Pipeline", "Retention",
          "xlwings.conf", FORMULAS_SHEET]
# the sample model also holds the sample records (opportunities, ARR history, targets)
RECORD_SHEETS = {"Opportunities": "Opportunities", "ARR history": "ARR_history", "Targets": "Targets"}

MESSY_HEADER = ["Account ID", "Company", "Segment", "ARR", "Seats", "Active Seats",
                "Seat Utilization", "Usage", "Usage Trend", "Pricing Page Visits", "Health",
                "Tenure", "Champion Promoted", "Owner email", "Notes", "ARR USD", ""]
# Source row numbers (header = row 1): rows 3 and 6 are blank.
MESSY_ROWS = {
    2: ["A-1", HOSTILE[0], "mid market", "$12,000", "50", "48", "96%", "0.95", "-0.05", "2",
        "80", "14", "TRUE", "a@x.io", "ok", "1", ""],
    4: ["A-2", HOSTILE[1], "Enterprise", "n/a", "100", "20", "0.2", "0.5", "0.3", "lots",
        "90", "24", "no", "", HOSTILE[3], "2", ""],
    5: ["A-3", HOSTILE[2], "SMB", "5000", "-3", "1", "", "", "", "0", "30", "2", "maybe", "",
        HOSTILE[2], "3", ""],
    7: [HOSTILE[4], HOSTILE[3], "Startup", "80000", "200", "190", "", "0.99", "0.25", "3",
        "85", "30", "FALSE", "b@y.io", "", "4", ""],
    8: ["A-5", "Plain Co", "Enterprise", "250000", "400", "390", "0.975", "0.7", "0.1", "1",
        "77", "40", "", "", "", "5", ""],
}


def _messy_csv(path) -> str:
    lines = [",".join(_csv(v) for v in MESSY_HEADER)]
    for n in range(2, max(MESSY_ROWS) + 1):
        row = MESSY_ROWS.get(n, [""] * len(MESSY_HEADER))
        lines.append(",".join(_csv(v) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _csv(v: str) -> str:
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"') else v


TEXT_COLUMNS = {1, 2, 3, 14, 15}  # 1-based: Account ID, Company, Segment, Owner email, Notes


def _messy_xlsx(path) -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    for j, h in enumerate(MESSY_HEADER[:-1], start=1):
        ws.cell(1, j, h)
    for n, row in MESSY_ROWS.items():
        for j, v in enumerate(row[:-1], start=1):
            if v == "":
                continue
            cell = ws.cell(n, j)
            try:
                if j in TEXT_COLUMNS:
                    raise ValueError
                cell.value = float(v)
            except ValueError:
                cell.value = {"TRUE": True, "FALSE": False}.get(v, v)
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a text cell, as an export holds it
    import datetime

    ws.cell(8, 12).value = datetime.datetime(2024, 1, 31)  # a date where tenure is expected
    wb.save(path)
    return str(path)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    csv_path = _messy_csv(d / "messy.csv")
    xlsx_path = _messy_xlsx(d / "messy.xlsx")
    return {
        "sample": build(None, d / "sample.xlsx"),
        "csv": build(csv_path, d / "from_csv.xlsx"),
        "xlsx": build(xlsx_path, d / "from_xlsx.xlsx"),
        "csv_path": csv_path,
        "xlsx_path": xlsx_path,
    }


def _tables(wb) -> dict:
    out = {}
    for ws in wb.worksheets:
        for name in ws.tables:
            out[name] = (ws.title, ws.tables[name].ref)
    return out


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("which", ["sample", "csv", "xlsx"])
def test_sheets_tables_and_formulas(models, which):
    wb = openpyxl.load_workbook(models[which].path)
    records = RECORD_SHEETS if which == "sample" else {}
    assert wb.sheetnames == SHEETS[:7] + list(records) + SHEETS[7:]
    tables = _tables(wb)
    assert {k: v[0] for k, v in tables.items()} == {
        "Accounts": "Accounts", "Rules": "Rules", "Plays": "Plays", **{t: s for s, t in records.items()}}
    rules = wb["Rules"]
    rows = list(rules[tables["Rules"][1]])
    assert [c.value for c in rows[0]] == list(playbook.RULE_TABLE_COLUMNS)
    expected = playbook.default_rules()
    assert len(rows) - 1 == len(expected)
    for cells, (_, rule) in zip(rows[1:], expected.iterrows(), strict=True):
        got = dict(zip(playbook.RULE_TABLE_COLUMNS, (c.value for c in cells), strict=True))
        assert got["rule"] == rule["rule"] and got["signal"] == rule["signal"]
        assert cells[3].data_type == "n" and got["threshold"] == rule["threshold"]
        if isinstance(rule["motion"], str):
            assert got["points"] == rule["points"] and got["motion"] == rule["motion"]
            assert got["alone"] is rule["alone"] and got["persistence"] == 1 and got["window"] is None
        elif rule["points"] < 0:  # a risk rule: negative points, blank motion
            assert got["points"] == rule["points"] and got["motion"] is None and got["alone"] is False
        else:  # continuation row of an AND-ed rule
            assert got["points"] is None and got["motion"] is None and got["alone"] is None
    read_back = playbook.rules_table([[c.value for c in r] for r in rows])  # the sheet validates
    assert read_back.equals(playbook.rules_table())
    plays = list(wb["Plays"][tables["Plays"][1]])
    assert [c.value for c in plays[0]] == list(playbook.PLAY_COLUMNS)
    assert [r[0].value for r in plays[1:]] == list(playbook.MOTIONS)
    scores = wb["Scores"]
    # values first (no #NAME? without Python); "Connect model" enters the formula
    assert scores["A4"].value == "account_id" and scores["A4"].data_type == "s"
    entries = _formula_entries(wb)
    # the sample model's queue knows its opportunities, as of the Pipeline sheet's date
    assert entries[("Scores", "A4")][0] == scores_formula(bool(records))
    assert ("Opportunities[#All]" in entries[("Scores", "A4")][0]) is bool(records)
    assert wb[FORMULAS_SHEET].sheet_state == "hidden"
    assert scores.freeze_panes == "B5"
    assert wb["xlwings.conf"]["A1"].value == "UDF Modules"
    assert wb["xlwings.conf"]["B1"].value == "udfs"
    pipeline = "\n".join(str(c.value) for row in wb["Pipeline"].iter_rows() for c in row)
    measured = (("OPPORTUNITY_PIPELINE", "OPPORTUNITY_BOOKED", "OPPORTUNITY_PAST_DUE", "PIPELINE_WEIGHTING",
                 "WIN_RATE", "WIN_RATE_BASIS") if records else ("WEIGHTED_PIPELINE", "CLOSE_RATE"))
    for name in ("PIPELINE_COVERAGE", "COVERAGE_STATUS", *measured):
        assert f"{name}(" in pipeline
    retention = wb["Retention"]
    text = "\n".join(str(getattr(c.value, "text", c.value)) for r in retention.iter_rows() for c in r)
    text += "\n".join(f for (sheet, _), (f, _) in entries.items() if sheet == "Retention")
    for name in ("NRR(", "GRR(", "EXPANSION_SHARE(", "NRR_BENCHMARK(", "ARR_AFTER(", "EXPANSION_SHARE_BENCHMARK("):
        assert name in text
    if records:
        for name in ("TRAILING_MEASURE(", "RETENTION_FROM_HISTORY(", "COHORT_NRR(", "ARR_MOVEMENTS("):
            assert name in text
    assert len(retention._charts) == (2 if records else 1)


def _formula_entries(wb) -> dict:
    """``{(sheet, cell): (formula, built_values)}`` of the hidden upcell formulas sheet."""
    rows = list(wb[FORMULAS_SHEET].iter_rows(values_only=True))
    assert rows[0] == ("sheet", "cell", "formula", "functions", "built_values")
    return {(r[0], r[1]): ("=" + r[2], r[4]) for r in rows[1:]}


def test_dynamic_array_metadata(tmp_path):
    """A live build (--live, for the Windows add-in) writes the spilling functions as
    dynamic-array formulas."""
    live = build(None, tmp_path / "live.xlsx", live=True)
    with zipfile.ZipFile(live.path) as z:
        names = z.namelist()
        assert "xl/metadata.xml" in names
        meta = z.read("xl/metadata.xml").decode()
        assert "XLDAPR" in meta and 'fDynamic="1"' in meta
        book = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="rId(\d+)"', book)
        index = {name: int(rid) for name, rid in sheets}
        scores = z.read(f"xl/worksheets/sheet{index['Scores']}.xml").decode()
        retention = z.read(f"xl/worksheets/sheet{index['Retention']}.xml").decode()
        assert 'fullCalcOnLoad' not in book  # Excel keeps the cached values on open
    n = len(live.queue)
    cell = re.search(r'<c r="A4"[^>]*>.*?</c>', scores).group(0)
    assert 'cm="1"' in cell
    last = xl_col_to_name(len(udfs.SCORE_COLUMNS) - 1)
    formula = scores_formula(True)[1:]  # the sample model's queue reads its Opportunities
    assert f'<f t="array" ref="A4:{last}{n + 4}">{formula}</f>' in cell
    assert "_xlfn" not in scores
    assert len(re.findall(r"<f[ >]", scores)) == 1 and "@SCORE" not in scores
    trend = re.search(r'<c r="A33"[^>]*>.*?</c>', retention).group(0)
    assert 'cm="1"' in trend and re.search(r'<f t="array" ref="A33:P\d+">RETENTION_FROM_HISTORY\(', trend)


# --------------------------------------------------------------------------- cached values

CALL = re.compile(r"^([A-Z_][A-Z0-9_]*)\((.*)\)$")
REF = re.compile(r"^(?:(?P<sheet>[A-Za-z][\w.]*)!)?\$?(?P<c1>[A-Z]+)\$?(?P<r1>\d+)"
                 r"(?::\$?(?P<c2>[A-Z]+)\$?(?P<r2>\d+))?$")


def _split(args: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in args:
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        depth += ch in "(["
        depth -= ch in ")]"
        cur += ch
    return out + ([cur.strip()] if cur.strip() else [])


def _resolve(arg: str, sheet: str, values, tables):
    m = re.fullmatch(r"(\w+)\[#All\]", arg)
    if m:
        tsheet, ref = tables[m.group(1)]
        return [[c.value for c in row] for row in values[tsheet][ref]]
    if arg == "":
        return None  # an omitted argument
    if re.fullmatch(r'"(?:[^"]|"")*"', arg):
        return arg[1:-1].replace('""', '"')
    if arg in ("TRUE", "FALSE"):
        return arg == "TRUE"
    m = REF.match(arg)
    assert m, f"unexpected argument {arg!r}"
    ws = values[m.group("sheet") or sheet]
    if m.group("c2"):
        ref = f"{m.group('c1')}{m.group('r1')}:{m.group('c2')}{m.group('r2')}"
        return [[c.value for c in row] for row in ws[ref]]
    return ws[f"{m.group('c1')}{m.group('r1')}"].value


def _same(a, b) -> bool:
    if isinstance(b, dict) and b.get("type") == "FormattedNumber":  # a date, as xlwings sends it to Excel
        b = b["basicValue"]
        a = (a - datetime(1899, 12, 30)).days if isinstance(a, datetime) else a
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


def _udf_cells(formulas):
    for (sheet, cell), (formula, built) in _formula_entries(formulas).items():
        if built:  # a spilling function written as its values
            yield sheet, formulas[sheet][cell], formula, built
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                f = c.value
                text = getattr(f, "text", f)
                if isinstance(text, str) and text.startswith("=") or hasattr(f, "ref"):
                    yield ws.title, c, (text if text.startswith("=") else "=" + text), getattr(f, "ref", None)


@pytest.mark.parametrize("which", ["sample", "csv", "xlsx"])
def test_every_cached_value_is_what_the_functions_compute(models, which):
    """Each UDF cell is re-evaluated through xlwings' runtime from the cells it references."""
    path = models[which].path
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    tables = _tables(formulas)
    checked = set()
    for sheet, cell, formula, ref in _udf_cells(formulas):
        m = CALL.match(formula[1:])
        name = m.group(1) if m else None
        if name is None or not hasattr(udfs, name):
            continue  # native Excel (SUM, SUMIFS, arithmetic): checked below
        args = [_resolve(a, sheet, values, tables) for a in _split(m.group(2))]
        expected = call_udf(name, *args)
        ws = values[sheet]
        if ref:  # a spill: compare the whole block
            block = [[c.value for c in row] for row in ws[ref]]
            assert len(block) == len(expected) and all(
                _same(a, b) for ra, rb in zip(block, expected, strict=True)
                for a, b in zip(ra, rb, strict=True)
            ), f"{sheet}!{cell.coordinate} {formula}"
        else:
            got = ws[cell.coordinate].value
            if isinstance(expected, list):
                assert len(expected) == 1 and len(expected[0]) == 1
                expected = expected[0][0]
            assert _same(got, expected), f"{sheet}!{cell.coordinate} {formula}: {got!r} != {expected!r}"
        checked.add(name)
    common = {"SCORE_ACCOUNTS", "NRR", "GRR", "NRR_BENCHMARK", "ARR_AFTER", "EXPANSION_READINESS"}
    if which == "sample":  # built from the sample opportunities and ARR history
        assert checked == common | {
            "OPPORTUNITY_PIPELINE", "WIN_RATE", "WIN_RATE_BASIS", "PIPELINE_FROM_OPPORTUNITIES", "WIN_RATES",
            "OTHER_OPPORTUNITIES", "OPPORTUNITY_BOOKED", "OPPORTUNITY_PAST_DUE", "PIPELINE_WEIGHTING",
            "PAST_DUE_OPPORTUNITIES", "TRAILING_MEASURE", "RETENTION_FROM_HISTORY", "COHORT_NRR",
            "EXPANSION_SHARE_BY_QUARTER", "ARR_MOVEMENTS"}
    else:
        assert checked == common | {"WEIGHTED_PIPELINE", "CLOSE_RATE"}

    # Native and guarded formulas (IF(N(target)>0, ...)): remaining target, coverage, weighted
    # coverage, status and pipeline to create per row (B target, C booked, E pipeline, G weighted).
    pipe = values["Pipeline"]
    healthy, thin = pipe["B6"].value, pipe["B7"].value
    for r in range(13, 19):
        target, booked, pipeline = pipe[f"B{r}"].value, pipe[f"C{r}"].value or 0, pipe[f"E{r}"].value
        weighted, required = pipe[f"G{r}"].value, pipe[f"K{r}"].value
        if r < 18 and required not in (None, ""):
            assert math.isclose(required, 1 / pipe[f"I{r}"].value)
        if not target:
            assert all(pipe[f"{c}{r}"].value in (None, "") for c in "DLMO")
            assert pipe[f"N{r}"].value in ((None, "") if r < 18 else ("enter the quarter's expansion target",))
            continue
        remaining = max(0.0, target - booked)
        assert math.isclose(pipe[f"D{r}"].value, remaining)
        if remaining == 0:
            assert pipe[f"N{r}"].value == "Target met" and pipe[f"L{r}"].value in (None, "")
            continue
        assert math.isclose(pipe[f"L{r}"].value, pipeline / remaining)
        covered = weighted / remaining
        assert math.isclose(pipe[f"M{r}"].value, covered)
        assert pipe[f"N{r}"].value == ("Healthy" if covered >= healthy else "Thin" if covered >= thin
                                        else "Undercovered")
        assert math.isclose(pipe[f"O{r}"].value, max(0.0, remaining - weighted) * required, abs_tol=1e-6)
    for c in "CEFG":
        assert math.isclose(pipe[f"{c}18"].value or 0, sum(pipe[f"{c}{r}"].value or 0 for r in range(13, 18)))
    if which != "sample":  # no opportunities: the ready plays of the cached queue per motion, no target
        queue = models[which].queue
        ready = queue[queue["ready"].map(lambda v: v is True)]
        for r in range(13, 18):
            motion = pipe[f"A{r}"].value
            total = ready.loc[ready["play"] == motion, "expected_arr_increase"].sum()
            assert math.isclose(pipe[f"E{r}"].value, total, abs_tol=1e-6)
            assert pipe[f"B{r}"].value is None
    ret = values["Retention"]
    assert math.isclose(ret["B8"].value, ret["B4"].value + ret["B5"].value - ret["B6"].value - ret["B7"].value)
    assert math.isclose(ret["B13"].value, ret["B12"].value - sum(ret[f"B{r}"].value for r in range(8, 12)),
                        abs_tol=1e-6)


def test_scores_sheet_is_the_queue_of_the_accounts_table(models):
    """The cached spill is SCORE_ACCOUNTS of what the Accounts table holds."""
    model = models["sample"]
    queue = udfs.score_accounts(udfs.sample_accounts(), as_of=udfs.SAMPLE_AS_OF,
                                opportunities=udfs.sample_opportunities())
    assert model.queue["account_id"].tolist() == queue["account_id"].tolist()
    assert model.queue["expansion_score"].tolist() == queue["expansion_score"].tolist()
    wb = openpyxl.load_workbook(model.path, data_only=True)
    header = [c.value for c in wb["Scores"][4]]
    assert header[: len(udfs.SCORE_COLUMNS)] == list(udfs.SCORE_COLUMNS)
    assert model.queue["pipeline_status"].tolist() == queue["pipeline_status"].tolist()


# --------------------------------------------------------------------------- import + safety


@pytest.mark.parametrize("which", ["csv", "xlsx"])
def test_hostile_text_stays_text(models, which):
    path = models[which].path
    wb = openpyxl.load_workbook(path)
    accounts = wb["Accounts"]
    cells = [c for row in accounts.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    texts = {c.value for c in cells if c.data_type == "s"}
    for s in HOSTILE:
        assert s in texts
    header = [c.value for c in accounts[1]]
    growth = accounts.cell(2, header.index("usage_trend_90d") + 1)
    assert growth.value == -0.05 and growth.data_type == "n"  # a genuine negative number
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
        assert "<f>" not in xml and "<f " not in xml
        shared = z.read("xl/sharedStrings.xml").decode()
        assert "<t>=HYPERLINK(\"http://x\",\"y\")</t>" in shared
    # the hostile account id travels through the Scores spill as text, too
    ids = [c.value for c in wb["Scores"]["A"][4:] if c.value is not None]
    assert "=1+1" in ids
    spill = [c for row in wb["Scores"].iter_rows(min_row=5) for c in row]
    assert all(c.data_type != "f" for c in spill)


def test_import_report_names_everything(models):
    book = load_accounts(models["csv_path"])
    report = book.report
    assert report.rows == 5 and len(book.frame) == 5  # 7 rows below the header, 2 blank
    assert report.blank_rows == [3, 6]
    assert ("Account ID", "account_id") in report.mapped and ("ARR", "arr") in report.mapped
    assert ("Seat Utilization", "seat_utilization") in report.mapped
    assert report.unmapped == ["Owner email", "Notes"]
    assert report.duplicates == [("ARR USD", "arr")]
    assert "next_tier_feature_adoption" in report.missing and "arr" not in report.missing
    bad = {(b.row, b.column) for b in report.bad_cells}
    assert bad == {(4, "arr"), (4, "pricing_page_visits_30d"), (5, "seats_licensed"),
                   (5, "champion_promoted_90d")}
    assert book.frame["arr"].tolist()[:2] == [12000.0, "n/a"]  # kept, named by scoring too
    assert book.frame["seat_utilization"].tolist()[0] == 0.96
    assert book.frame["segment"].tolist()[:1] == ["Mid-market"]
    # extra columns: all-number text becomes numbers; a text column stays text, even '+1'
    assert book.frame["ARR USD (duplicate)"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    blank = [None if isinstance(v, float) and math.isnan(v) else v for v in book.frame["Notes"]]
    assert blank == ["ok", "-cmd", "+1", None, None]  # NaN: a blank cell of pandas text
    text = str(report)
    for needle in ("row 4, arr", "row 5, seats_licensed", "Blank rows skipped: 3, 6",
                   "'Owner email'", "Missing columns", "segment not one of"):
        assert needle in text
    queue = models["csv"].queue.set_index("account_id")
    assert "arr" in queue.loc["A-2", "reasons"]  # scoring names the bad row as well

    xbook = load_accounts(models["xlsx_path"])
    assert xbook.report.rows == 5 and xbook.report.blank_rows == [3, 6]
    xbad = {(b.row, b.column) for b in xbook.report.bad_cells}
    assert (8, "tenure_months") in xbad and (4, "arr") in xbad


def test_header_below_title_rows_and_empty_book(tmp_path):
    titled = tmp_path / "report.csv"
    titled.write_text("Account report 2026\nFiltered: all\n\nAccount ID,ARR\nA1,100\n")
    book = load_accounts(titled)
    assert book.frame.to_dict("records") == [{"account_id": "A1", "arr": 100.0}]
    assert "Header found on row 4; rows above it skipped: 1, 2" in str(book.report)
    empty = tmp_path / "empty.csv"
    empty.write_text("Account ID,ARR\n")
    model = build(empty, tmp_path / "empty.xlsx")
    assert model.report.rows == 0 and len(model.queue) == 0
    wb = openpyxl.load_workbook(model.path)
    last = xl_col_to_name(len(udfs.SCORE_COLUMNS) - 1)
    assert _formula_entries(wb)[("Scores", "A4")][1] == f"A4:{last}4"  # the header row alone


def test_hostile_headers_and_values_only_snapshot(tmp_path):
    src = tmp_path / "h.csv"
    src.write_text('Account ID,ARR,=cmd(),@x,notes,Notes\nA1,100,=2+2,-1,+1,-cmd\n')
    live = build(src, tmp_path / "live.xlsx")
    snap = build(src, tmp_path / "snap.xlsx", values_only=True)
    assert live.report.unmapped == ["=cmd()", "@x", "notes", "Notes"]
    wb = openpyxl.load_workbook(live.path)
    header = [(c.value, c.data_type) for c in wb["Accounts"][1]]
    assert header == [("account_id", "s"), ("arr", "s"), ("=cmd()", "s"), ("@x", "s"),
                      ("notes", "s"), ("Notes (2)", "s")]
    row = [(c.value, c.data_type) for c in wb["Accounts"][2]]
    # an all-number extra column is numbers (+1 is 1, as Excel reads a CSV); text stays text
    assert row == [("A1", "s"), (100, "n"), ("=2+2", "s"), (-1, "n"), (1, "n"), ("-cmd", "s")]
    # the snapshot: the same values, no spilling formula
    a = openpyxl.load_workbook(live.path, data_only=True)["Scores"]
    b = openpyxl.load_workbook(snap.path)["Scores"]
    assert [[c.value for c in r] for r in a.iter_rows(min_row=4)] == [
        [c.value for c in r] for r in b.iter_rows(min_row=4)]
    assert all(c.data_type != "f" for r in b.iter_rows() for c in r)


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "workbook", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_build_report_and_no_overwrite(models, tmp_path):
    out = tmp_path / "model.xlsx"
    run = _cli("build", "--accounts", models["csv_path"], "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "Unmapped columns" in run.stdout and "row 4, arr" in run.stdout
    assert "Scored 5 accounts" in run.stdout
    before = out.read_bytes()
    again = _cli("build", "--out", str(out))
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0 and "--force" in again.stderr
    assert out.read_bytes() == before
    forced = _cli("build", "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes() != before
    assert [p.name for p in tmp_path.iterdir()] == ["model.xlsx"]  # no temp file left
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # a normal file, not mkstemp's 0600


def test_cli_missing_account_id_and_queue(tmp_path):
    bad = tmp_path / "no_id.csv"
    bad.write_text("Company,ARR\nAcme,100\n")
    run = _cli("build", "--accounts", str(bad), "--out", str(tmp_path / "x.xlsx"))
    assert run.returncode == 2 and "account_id" in run.stderr
    assert not (tmp_path / "x.xlsx").exists()
    q = _cli("queue", "--top", "5")
    assert q.returncode == 0, q.stderr
    lines = q.stdout.splitlines()
    top = udfs.score_accounts(load_accounts(os.path.join(ROOT, "workbook", "sample_accounts.csv")).frame)
    ids = top["account_id"].head(6).tolist()
    rows = [ln for ln in lines if re.match(r"^\d+\s\s", ln)]
    assert [ln.split()[1] for ln in rows] == ids[:5]
    assert ids[0] in lines[3] and top["reasons"].iloc[0][:20] in lines[4]


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.e2e
def test_libreoffice_opens_and_renders(models, soffice, tmp_path):
    src = models["csv"].path
    profile = f"file://{tmp_path}/lo-profile"
    run = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), src],
        capture_output=True, text=True, timeout=240,
    )
    pdf = tmp_path / (os.path.splitext(os.path.basename(src))[0] + ".pdf")
    assert run.returncode == 0 and pdf.exists() and pdf.stat().st_size > 10_000, run.stderr
    pdftotext = need_tool("pdftotext")
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=60).stdout
    for needle in ("upcell: expansion revenue", "Expansion queue",
                   "Expansion pipeline coverage", "Net revenue retention",
                   "UDF Modules", HOSTILE[1]):
        assert needle in text
    # single-cell UDF formulas show their cached values in LibreOffice; no target given: no status
    assert "enter the quarter's expansion target" in text and "assumed" in text
    assert re.search(r"\d+\.\d%", text)
