"""Thresholds written back into the model's Rules table lose nothing (issue 5, part 5).

The model workbook is built by the real builder (``python -m workbook build``) when it
exists, and by a small XlsxWriter stand-in (a Rules table, a dynamic-array formula with a
cached value, a chart, an extra sheet) otherwise; both are checked the same way: every zip
part except the Rules sheet is the same stored bytes, and the Rules sheet differs only in
the threshold cells.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import udfs
from udfs.core.playbook import RULE_COLUMNS, default_rules
from workbook.writeback import (
    RECALC_NOTE,
    export_thresholds_csv,
    read_rules_table,
    write_thresholds,
)

ROOT = Path(__file__).resolve().parents[1]
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

NEW = {
    "seats_full": 0.85,  # lowered: accounts at 85-90 % utilization now fire seats_full
    ("usage_at_cap", "usage_vs_cap", ">="): 0.85,
    ("gated_requests", "gated_feature_requests_90d"): 2,
}


# --------------------------------------------------------------------------- models


def _has_builder() -> bool:
    return (ROOT / "workbook" / "__main__.py").exists()


def _build_real(tmp: Path) -> Path:
    out = tmp / "upcell_model.xlsx"
    proc = subprocess.run(
        # --live: spilling functions as dynamic-array formulas, as Excel saves a connected model
        [sys.executable, "-m", "workbook", "build", "--out", str(out), "--force", "--live"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    if out.is_dir():  # --out may name a folder
        out = next(out.glob("*.xlsx"))
    assert out.is_file(), proc.stdout[-2000:]
    return out


def _rules_table(wb, rules: pd.DataFrame):
    """The Excel table ``Rules`` of a stand-in model, cells by type (op '=' is text, not a formula)."""
    sheet = wb.add_worksheet("Rules")
    sheet.add_table(0, 0, len(rules), len(rules.columns) - 1,
                    {"name": "Rules", "columns": [{"header": c} for c in rules.columns]})
    for r, row in enumerate(rules.itertuples(index=False), start=1):
        for c, v in enumerate(row):
            if isinstance(v, str):
                sheet.write_string(r, c, v)
            elif not pd.isna(v):
                sheet.write_number(r, c, v)
    return sheet


def _build_standin(path: Path) -> Path:
    import xlsxwriter

    rules = default_rules()
    wb = xlsxwriter.Workbook(str(path))
    notes = wb.add_worksheet("Notes")  # a user's own sheet
    notes.write("A1", "my notes on thresholds, keep me")
    accounts = wb.add_worksheet("Accounts")
    head = ["account_id", "seat_utilization", "usage_vs_cap"]
    body = [[f"a{i}", 0.78 + 0.03 * i, 0.80 + 0.02 * i] for i in range(6)]
    accounts.add_table(0, 0, len(body), 2, {"name": "Accounts", "data": body,
                                             "columns": [{"header": h} for h in head]})
    _rules_table(wb, rules)
    queue = wb.add_worksheet("Queue")
    queue.write_dynamic_array_formula("A1:A3", "=_xlfn.SORT(Rules[threshold])", None, 0.7)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Accounts!$B$2:$B$7"})
    queue.insert_chart("C2", chart)
    wb.close()
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Pristine models, built once: 'standin' always, 'real' when the builder exists."""
    tmp = tmp_path_factory.mktemp("models")
    out = {"standin": _build_standin(tmp / "standin.xlsx")}
    if _has_builder():
        out["real"] = _build_real(tmp / "real")
    return out


@pytest.fixture(params=["real", "standin"])
def model(request, built, tmp_path) -> Path:
    if request.param not in built:
        pytest.skip("workbook builder (python -m workbook build) not in the tree yet")
    path = tmp_path / "upcell_model.xlsx"
    path.write_bytes(built[request.param].read_bytes())
    return path


# --------------------------------------------------------------------------- helpers


def _raw_entries(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """(info, compressed bytes as stored) for each entry, in file order."""
    data = path.read_bytes()
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            off = info.header_offset
            n, m = int.from_bytes(data[off + 26 : off + 28], "little"), int.from_bytes(data[off + 28 : off + 30], "little")
            start = off + 30 + n + m
            out.append((info, data[start : start + info.compress_size]))
    return out


def _local_records(path: Path) -> dict[str, bytes]:
    """name -> the bytes from its local header to the next entry (or the central directory)."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        infos = sorted(z.infolist(), key=lambda i: i.header_offset)
    eocd = data.rfind(b"PK\x05\x06")
    cd_start = int.from_bytes(data[eocd + 16 : eocd + 20], "little")
    ends = [i.header_offset for i in infos[1:]] + [cd_start]
    return {i.filename: data[i.header_offset : end] for i, end in zip(infos, ends, strict=True)}


def _rules_part(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/tables/") and b'displayName="Rules"' in z.read(name):
                table = name
        for name in z.namelist():
            if name.startswith("xl/worksheets/_rels/") and table.split("/")[-1].encode() in z.read(name):
                return "xl/worksheets/" + name.split("/")[-1][: -len(".rels")]
    raise AssertionError("no Rules table")


def _cells(xml: bytes) -> dict[str, bytes]:
    return {m.group(1).decode(): m.group(0) for m in re.finditer(rb'<c\b[^>]*?\sr="([A-Z]+[0-9]+)"[^>]*?(?:/>|>.*?</c>)', xml, re.S)}


def _openpyxl_rules(path: Path) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path, data_only=False)
    ws = wb["Rules"] if "Rules" in wb.sheetnames else next(s for s in wb if "Rules" in s.tables)
    ref = ws.tables["Rules"].ref
    rows = [[c.value for c in row] for row in ws[ref]]
    return pd.DataFrame(rows[1:], columns=rows[0])


# --------------------------------------------------------------------------- the contract


def test_only_the_threshold_cells_change(model):
    before = model.read_bytes()
    rules_part = _rules_part(model)
    report = write_thresholds(model, NEW)

    # the three thresholds, and the upper edges of the bands below two of them
    # (seats_near_full, usage_near_cap) that follow them
    assert report.changes["changed"].all() and len(report.changes) == 5
    assert (report.changes["note"] != "").sum() == 2
    changed_cells = set(report.changes["cell"])
    old_entries, new_entries = _raw_entries_from(before, model.parent / "before.xlsx"), _raw_entries(model)
    assert [i.filename for i, _ in old_entries] == [i.filename for i, _ in new_entries]
    for (a, raw_a), (b, raw_b) in zip(old_entries, new_entries, strict=True):
        assert (a.date_time, a.external_attr, a.create_system, a.create_version, a.extract_version,
                a.compress_type, a.extra, a.comment, a.flag_bits & ~0x08) == (
                b.date_time, b.external_attr, b.create_system, b.create_version, b.extract_version,
                b.compress_type, b.extra, b.comment, b.flag_bits)
        if a.filename == rules_part:
            continue
        assert raw_a == raw_b, f"{a.filename} changed"
        assert (a.CRC, a.compress_type, a.file_size) == (b.CRC, b.compress_type, b.file_size)

    # every other entry's local record (header, data, descriptor) is the same bytes
    records_a, records_b = _local_records(model.parent / "before.xlsx"), _local_records(model)
    assert records_a.keys() == records_b.keys()
    assert [n for n in records_a if records_a[n] != records_b[n]] == [rules_part]

    with zipfile.ZipFile(model.parent / "before.xlsx") as za, zipfile.ZipFile(model) as zb:
        xa, xb = za.read(rules_part), zb.read(rules_part)
    cells_a, cells_b = _cells(xa), _cells(xb)
    assert cells_a.keys() == cells_b.keys()
    differ = {ref for ref in cells_a if cells_a[ref] != cells_b[ref]}
    assert differ == changed_cells
    # outside those cells the sheet XML is the same bytes
    strip = lambda x: re.sub(rb'<c\b[^>]*?\sr="(' + b"|".join(r.encode() for r in differ) + rb')"[^>]*?(?:/>|>.*?</c>)', b"<c/>", x, flags=re.S)  # noqa: E731
    assert strip(xa) == strip(xb)
    # and the new cells are numbers with the new values, style kept
    for row in report.changes.itertuples():
        new_cell = ET.fromstring(cells_b[row.cell].replace(b"<c ", b'<c xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1))
        old_cell = ET.fromstring(cells_a[row.cell].replace(b"<c ", b'<c xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1))
        assert float(new_cell.find(NS + "v").text) == row.new
        assert new_cell.get("s") == old_cell.get("s")
        assert new_cell.get("t") is None


def _raw_entries_from(data: bytes, path: Path):
    path.write_bytes(data)
    return _raw_entries(path)


def test_backup_keeps_the_original_bytes(model):
    before = model.read_bytes()
    report = write_thresholds(model, NEW)
    assert report.backup is not None and report.backup.parent == model.parent
    assert re.fullmatch(r"upcell_model\.backup-\d{8}-\d{6}(-\d+)?\.xlsx", report.backup.name)
    assert report.backup.read_bytes() == before
    # a second write in the same second makes a second backup, never overwrites the first
    second = write_thresholds(model, {"seats_full": 0.82})
    assert second.backup != report.backup and report.backup.read_bytes() == before
    assert not list(model.parent.glob(".*tmp"))  # no temp file left behind
    # nothing to change: file left alone, no backup
    third = write_thresholds(model, {"seats_full": 0.82})
    assert third.backup is None and not third.changes["changed"].any()


def test_openpyxl_and_the_model_read_the_new_thresholds(model):
    write_thresholds(model, NEW)
    frame = _openpyxl_rules(model)
    rules = udfs.rules_table(frame)
    first = rules.groupby("rule").head(1).set_index("rule")["threshold"]
    assert first["seats_full"] == 0.85
    assert first["usage_at_cap"] == 0.85
    assert first["gated_requests"] == 2
    # the bands below follow: their upper edges are the new lower edges
    upper = rules[rules["op"] == "<"].set_index("rule")["threshold"]
    assert upper["seats_near_full"] == 0.85 and upper["usage_near_cap"] == 0.85
    # every other threshold is still the default
    defaults = default_rules()
    others = ~rules["rule"].isin(["seats_full", "usage_at_cap", "gated_requests"]) & (
        ~rules["rule"].isin(["seats_near_full", "usage_near_cap"]) | (rules["op"] != "<"))
    assert np.array_equal(rules.loc[others, "threshold"].to_numpy(), defaults.loc[others, "threshold"].to_numpy())
    # the XML reader used for matching agrees with openpyxl
    assert udfs.rules_table(read_rules_table(model)).equals(rules)


def test_openpyxl_round_trip_would_lose_what_writeback_keeps(model, tmp_path):
    with zipfile.ZipFile(model) as z:
        has_metadata = "xl/metadata.xml" in z.namelist()
        cm_sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet") and b' cm="' in z.read(n)]
    assert has_metadata and cm_sheets, "the model should hold dynamic-array formulas"
    lossy = tmp_path / "openpyxl.xlsx"
    openpyxl.load_workbook(model).save(lossy)
    write_thresholds(model, NEW)
    with zipfile.ZipFile(lossy) as z:
        assert "xl/metadata.xml" not in z.namelist()
        assert not any(b' cm="' in z.read(n) for n in cm_sheets if n in z.namelist())
    with zipfile.ZipFile(model) as z:
        assert "xl/metadata.xml" in z.namelist()
        for name in cm_sheets:
            xml = z.read(name)
            assert b' cm="' in xml
            # the spilling formula keeps its cached value
            anchor = re.search(rb'<c\b[^>]*\scm="[^"]*"[^>]*>.*?</c>', xml, re.S).group(0)
            assert re.search(rb"<v>[^<]+</v>", anchor)


def test_recalculation_flag_is_reported_not_changed(model):
    with zipfile.ZipFile(model) as z:
        before = z.read("xl/workbook.xml")
    report = write_thresholds(model, NEW)
    with zipfile.ZipFile(model) as z:
        assert z.read("xl/workbook.xml") == before
    # XlsxWriter's default asks Excel to recompute on open; the real model keeps its cached
    # values instead (no fullCalcOnLoad), and then the report says a recalculation is due.
    assert report.full_calc_on_load == (b'fullCalcOnLoad="1"' in before)
    assert (RECALC_NOTE in str(report)) == (not report.full_calc_on_load)


def test_the_model_rescores_with_the_new_thresholds(model):
    if not hasattr(udfs, "score_accounts"):
        pytest.skip("udfs.score_accounts not in the tree yet")
    write_thresholds(model, {"seats_full": 0.85})
    read_back = udfs.rules_table(_openpyxl_rules(model))
    util = [0.70, 0.82, 0.85, 0.88, 0.93, 0.99]
    accounts = pd.DataFrame({
        "account_id": [f"a{i}" for i in range(len(util))],
        "arr": 40_000.0, "seat_utilization": util, "health_score": 80.0, "tenure_months": 12.0,
    })
    old = udfs.score_accounts(accounts).set_index("account_id")["expansion_score"]
    new = udfs.score_accounts(accounts, rules=read_back).set_index("account_id")["expansion_score"]
    old, new = old.loc[accounts["account_id"]], new.loc[accounts["account_id"]]
    in_band = (np.array(util) >= 0.85) & (np.array(util) < 0.90)  # now seats_full, not near
    assert (new.to_numpy()[in_band] > old.to_numpy()[in_band]).all()
    assert (new.to_numpy()[~in_band] == old.to_numpy()[~in_band]).all()


def test_dataframe_and_csv_inputs(model, tmp_path):
    table = default_rules()
    table.loc[table["rule"] == "funding", "threshold"] = 60.0
    table.loc[(table["rule"] == "usage_near_cap") & (table["op"] == "<"), "threshold"] = 0.88
    report = write_thresholds(model, table)
    assert sorted(report.changed["rule"]) == ["funding", "usage_near_cap"]
    # one row per threshold; the table's points column is written too (unchanged here)
    assert (report.changes["column"] == "threshold").sum() == len(table)
    assert not report.changes.loc[report.changes["column"] == "points", "changed"].any()

    csv = export_thresholds_csv({"seats_full": 0.83, ("funding", "funding_event_days_ago", "<="): 45}, tmp_path / "t.csv")
    with pytest.raises(FileExistsError, match="already exists"):
        export_thresholds_csv({"seats_full": 0.5}, csv)
    assert pd.read_csv(csv)["threshold"].tolist() == [0.83, 45]
    export_thresholds_csv({"seats_full": 0.84, "funding": 30}, csv, force=True)
    report = write_thresholds(model, csv)
    rules = udfs.rules_table(_openpyxl_rules(model)).groupby("rule").head(1).set_index("rule")
    assert rules.loc["seats_full", "threshold"] == 0.84 and rules.loc["funding", "threshold"] == 30


@pytest.mark.parametrize(
    "thresholds, message",
    [
        ({"no_such_rule": 0.5}, "unknown rule 'no_such_rule'"),
        ({"seats_full": "lots"}, "threshold: expected a number, got 'lots'"),
        ({"seats_full": None}, "expected a number, got a blank cell"),
        ({("seats_full", "usage_vs_cap"): 0.5}, "has no condition 'usage_vs_cap'"),
    ],
)
def test_bad_thresholds_are_one_line_errors(model, thresholds, message):
    before = model.read_bytes()
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        write_thresholds(model, thresholds)
    assert "\n" not in str(err.value)
    assert model.read_bytes() == before and not list(model.parent.glob("*backup*"))


def test_bad_files_are_one_line_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="model workbook not found"):
        write_thresholds(tmp_path / "missing.xlsx", {"seats_full": 0.8})
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(ValueError, match="not an .xlsx file"):
        write_thresholds(text, {"seats_full": 0.8})
    plain_zip = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="not an .xlsx file"):
        write_thresholds(plain_zip, {"seats_full": 0.8})
    import xlsxwriter

    no_table = tmp_path / "no_table.xlsx"
    wb = xlsxwriter.Workbook(str(no_table))
    wb.add_worksheet("Rules").write("A1", "rule")
    wb.close()
    with pytest.raises(ValueError, match="no Excel table named 'Rules'"):
        write_thresholds(no_table, {"seats_full": 0.8})


@pytest.mark.e2e
def test_libreoffice_opens_the_written_model(model, soffice, tmp_path):
    write_thresholds(model, NEW)
    profile = (tmp_path / "lo-profile").as_uri()
    out = tmp_path / "csv"
    fmt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
         "--outdir", str(out), str(model)],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    sheets = {p.name.split("-", 1)[-1][:-4]: p for p in out.glob("*.csv")}
    rules_csv = sheets.get("Rules")
    assert rules_csv is not None, sorted(sheets)
    grid = pd.read_csv(rules_csv, header=None, dtype=object, keep_default_na=False)
    r, c = next((r, c) for r in range(grid.shape[0]) for c in range(grid.shape[1])
                if grid.iat[r, c] == "rule" and grid.iat[r, c + 3] == "threshold")
    frame = grid.iloc[r + 1 :, c : c + 6].set_axis(list(grid.iloc[r, c : c + 6]), axis=1)
    frame = frame[frame["rule"].isin(default_rules()["rule"])]
    first = udfs.rules_table(frame).groupby("rule").head(1).set_index("rule")["threshold"]
    assert first["seats_full"] == 0.85 and first["usage_at_cap"] == 0.85


def _standin_variant(path: Path, *, blank: str | None = None, formula: str | None = None,
                     styled_blank: str | None = None) -> Path:
    """The stand-in with one rule's threshold cell absent, blank but formatted, or a formula."""
    import xlsxwriter

    rules = default_rules()
    wb = xlsxwriter.Workbook(str(path))
    pct = wb.add_format({"num_format": "0%", "bg_color": "#FFF2CC"})
    sheet = wb.add_worksheet("Rules")
    sheet.add_table(0, 0, len(rules), len(rules.columns) - 1,
                    {"name": "Rules", "columns": [{"header": c} for c in rules.columns]})
    for r, row in enumerate(rules.itertuples(index=False), start=1):
        for c, v in enumerate(row):
            if c == 3 and row.rule == blank:
                continue  # no cell at all
            if c == 3 and row.rule == styled_blank:
                sheet.write_blank(r, c, None, pct)  # <c r=".." s=".."/>
            elif c == 3 and row.rule == formula:
                sheet.write_formula(r, c, "=0.5+0.4", None, 0.9)
            elif isinstance(v, str):
                sheet.write_string(r, c, v)
            elif not pd.isna(v):
                sheet.write_number(r, c, v)
    wb.close()
    return path


def test_a_missing_threshold_cell_is_added_in_column_order(tmp_path):
    path = _standin_variant(tmp_path / "m.xlsx", blank="seats_full")
    report = write_thresholds(path, {"seats_full": 0.85})
    assert report.changes.loc[0, "changed"] and np.isnan(report.changes.loc[0, "old"])
    rules = udfs.rules_table(_openpyxl_rules(path)).groupby("rule").head(1).set_index("rule")
    assert rules.loc["seats_full", "threshold"] == 0.85
    with zipfile.ZipFile(path) as z:
        row = re.search(rb'<row r="5".*?</row>', z.read("xl/worksheets/sheet1.xml"), re.S).group(0)
    # rule, signal, op, threshold, points, motion, alone, persistence (window blank)
    assert re.findall(rb'r="([A-Z])5"', row) == [b"A", b"B", b"C", b"D", b"E", b"F", b"G", b"H"]


def test_a_threshold_formula_is_not_overwritten(tmp_path):
    path = _standin_variant(tmp_path / "m.xlsx", formula="seats_full")
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"Rules!D5 \(threshold of seats_full\) holds a formula"):
        write_thresholds(path, {"seats_full": 0.85})
    assert path.read_bytes() == before


def test_command_line(model, tmp_path):
    csv = export_thresholds_csv({"seats_full": 0.86}, tmp_path / "t.csv")
    run = [sys.executable, "-m", "workbook", "thresholds"]
    ok = subprocess.run([*run, str(model), str(csv)], cwd=ROOT, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stderr
    # seats_full and the upper edge of seats_near_full, which follows it
    assert "2 threshold cell(s) changed" in ok.stdout and "backup:" in ok.stdout
    bad = subprocess.run([*run, str(tmp_path / "nope.xlsx"), str(csv)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("error: model workbook not found")
    assert bad.stderr.count("\n") == 1


@pytest.mark.e2e
def test_a_model_saved_by_libreoffice_takes_the_write_back_too(model, soffice, tmp_path):
    """Another producer's zip (its own timestamps, data descriptors, XML layout)."""
    out = tmp_path / "lo"
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(model)],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    saved = out / model.name
    before = _raw_entries(saved)
    lo_records = _local_records(saved)
    report = write_thresholds(saved, {"seats_full": 0.86})
    assert list(report.changed["rule"]) == ["seats_full", "seats_near_full"]
    after = _raw_entries(saved)
    part = report.sheet_part
    assert [(i.filename, raw) for i, raw in before if i.filename != part] == [
        (i.filename, raw) for i, raw in after if i.filename != part]
    records = _local_records(saved)
    assert all(records[n] == r for n, r in lo_records.items() if n != part)
    rules = udfs.rules_table(_openpyxl_rules(saved)).groupby("rule").head(1).set_index("rule")
    assert rules.loc["seats_full", "threshold"] == 0.86


def test_permissions_are_kept(model, tmp_path):
    os.chmod(model, 0o640)
    write_thresholds(model, {"seats_full": 0.81})
    assert (model.stat().st_mode & 0o777) == 0o640
    csv = export_thresholds_csv({"seats_full": 0.81}, tmp_path / "t.csv")
    umask = os.umask(0o022)
    os.umask(umask)
    assert (csv.stat().st_mode & 0o777) == 0o666 & ~umask  # as open() would make it


def test_another_writers_xml_prefixed_namespace_and_inline_strings(tmp_path):
    """Some writers use a namespace prefix (<x:c>) and inline strings instead of shared ones."""
    src = _standin_variant(tmp_path / "plain.xlsx")
    out = tmp_path / "other.xlsx"
    with zipfile.ZipFile(src) as zi:
        strings = [
            "".join(t.text or "" for t in si.iter(NS + "t"))
            for si in ET.fromstring(zi.read("xl/sharedStrings.xml")).iter(NS + "si")
        ]

        def inline(m):
            text = strings[int(m.group(2))].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return b'<c r="' + m.group(1) + b'" t="inlineStr"><is><t>' + text.encode() + b"</t></is></c>"

        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
            for info in zi.infolist():
                data = zi.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb'<c r="([A-Z]+[0-9]+)" t="s"><v>([0-9]+)</v></c>', inline, data)
                    data = re.sub(rb"<(/?)(?!\?)([A-Za-z]+)", rb"<\1x:\2", data)
                    data = data.replace(b'<x:worksheet xmlns="', b'<x:worksheet xmlns:x="')
                zo.writestr(info, data)
    with zipfile.ZipFile(out) as z:
        assert b"<x:is><x:t>seats_full</x:t></x:is>" in z.read("xl/worksheets/sheet1.xml")
    report = write_thresholds(out, {"seats_full": 0.83, "funding": 60})
    assert list(report.changed["cell"]) == ["D5", "D13", "D7"]  # D7: seats_near_full follows
    with zipfile.ZipFile(out) as z:
        assert b'<x:c r="D5"><x:v>0.83</x:v></x:c>' in z.read("xl/worksheets/sheet1.xml")
    rules = udfs.rules_table(_openpyxl_rules(out)).groupby("rule").head(1).set_index("rule")
    assert rules.loc["seats_full", "threshold"] == 0.83 and rules.loc["funding", "threshold"] == 60


def test_a_users_own_zip_part_survives(model):
    """Whatever else the user's tools put in the package is carried over untouched."""
    note = b'<?xml version="1.0"?><note xmlns="urn:example">thresholds reviewed by RevOps</note>'
    with zipfile.ZipFile(model, "a", zipfile.ZIP_STORED) as z:
        z.writestr("customXml/user-note.xml", note)
    names_before = [i.filename for i, _ in _raw_entries(model)]
    write_thresholds(model, NEW)
    entries = _raw_entries(model)
    assert [i.filename for i, _ in entries] == names_before
    info, raw = next((i, r) for i, r in entries if i.filename == "customXml/user-note.xml")
    assert info.compress_type == zipfile.ZIP_STORED and raw == note


def test_a_blank_formatted_threshold_cell_keeps_its_format(tmp_path):
    path = _standin_variant(tmp_path / "m.xlsx", styled_blank="seats_full")
    with zipfile.ZipFile(path) as z:
        before = re.search(rb'<c r="D5"[^>]*/>', z.read("xl/worksheets/sheet1.xml")).group(0)
    style = re.search(rb's="(\d+)"', before).group(1)
    write_thresholds(path, {"seats_full": 0.87})
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    assert b'<c r="D5" s="' + style + b'"><v>0.87</v></c>' in xml
    assert openpyxl.load_workbook(path)["Rules"]["D5"].number_format == "0%"


_RULE_NAMES = list(dict.fromkeys(default_rules()["rule"]))


def test_any_thresholds_round_trip_exactly(built, tmp_path_factory):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)

    @settings(max_examples=25, deadline=None)
    @given(st.dictionaries(st.sampled_from(_RULE_NAMES), values, min_size=1, max_size=6))
    def check(thresholds):
        path = tmp_path_factory.mktemp("rt") / "m.xlsx"
        path.write_bytes(built["standin"].read_bytes())
        before = _local_records(path)
        part = _rules_part(path)
        try:
            write_thresholds(path, thresholds, backup=False)
        except ValueError as err:  # a band left empty: refused, nothing written
            assert "would hold for no value" in str(err)
            assert _local_records(path) == before
            return
        after = _local_records(path)
        assert {n: r for n, r in before.items() if n != part} == {
            n: r for n, r in after.items() if n != part}
        first = _openpyxl_rules(path).groupby("rule").head(1).set_index("rule")["threshold"]
        for rule, value in thresholds.items():
            assert first[rule] == value  # exactly: the shortest repr reads back as the float
        assert not list(path.parent.glob("*backup*"))

    check()


# --------------------------------------------------------------------------- rule families


def _rows(path: Path, rule: str) -> list[tuple[str, str, float]]:
    frame = _openpyxl_rules(path)
    frame = frame[frame["rule"] == rule]
    return [(r["signal"], r["op"], float(r["threshold"])) for r in frame.to_dict("records")]


def test_the_lower_band_follows_the_upper_bands_new_edge(model):
    report = write_thresholds(model, {"usage_at_cap": 0.873})
    assert _rows(model, "usage_at_cap") == [("usage_vs_cap", ">=", 0.873)]
    # usage_near_cap keeps its lower edge; its upper edge is usage_at_cap's new one
    assert _rows(model, "usage_near_cap") == [("usage_vs_cap", ">=", 0.8), ("usage_vs_cap", "<", 0.873)]
    follow = report.changes[report.changes["note"] == "follows usage_at_cap"]
    assert follow[["rule", "op", "old", "new"]].values.tolist() == [["usage_near_cap", "<", 0.9, 0.873]]
    # an account at 0.88 is in one band only: the model scores it 50, not 75
    rules = udfs.rules_table(_openpyxl_rules(model))
    book = pd.DataFrame({"account_id": ["a"], "usage_vs_cap": [0.88]})
    assert udfs.expansion_score(book, rules=rules).tolist() == [50.0]
    # the other family (seats) is untouched
    assert _rows(model, "seats_near_full")[1] == ("seat_utilization", "<", 0.9)


def test_both_bands_exported_keep_their_order(model):
    write_thresholds(model, {"usage_near_cap": 0.85, "usage_at_cap": 0.95})
    assert _rows(model, "usage_near_cap") == [("usage_vs_cap", ">=", 0.85), ("usage_vs_cap", "<", 0.95)]


@pytest.mark.parametrize("thresholds", [
    {"usage_near_cap": 0.95, "usage_at_cap": 0.873},  # the lower band would start above its end
    {"usage_at_cap": 0.75},  # below usage_near_cap's lower edge 0.80
    {"usage_near_cap": 0.9},  # its own lower edge at its upper edge: no value left
])
def test_an_emptied_band_is_refused_naming_both_rules(model, thresholds):
    before = model.read_bytes()
    with pytest.raises(ValueError) as err:
        write_thresholds(model, thresholds)
    message = str(err.value)
    assert "usage_near_cap" in message and "\n" not in message
    if "usage_at_cap" in thresholds:
        assert "usage_at_cap" in message
    assert model.read_bytes() == before  # nothing written


def _standin_with_columns(path: Path, extra: dict[str, list]) -> Path:
    """The stand-in model with more Rules columns (persistence, window, points...)."""
    import xlsxwriter

    rules = default_rules()[list(RULE_COLUMNS)].assign(**extra)  # the required columns + extra
    wb = xlsxwriter.Workbook(str(path))
    _rules_table(wb, rules)
    wb.close()
    return path


def test_persistence_and_window_travel_with_the_threshold(tmp_path):
    n = len(default_rules())
    path = _standin_with_columns(tmp_path / "m.xlsx", {"persistence": [1] * n, "window": [None] * n})
    report = write_thresholds(path, pd.DataFrame({
        "rule": ["seats_full"], "signal": ["seat_utilization"], "op": [">="], "threshold": [0.86],
        "persistence": [2], "window": [3],
    }))
    assert report.changes["column"].tolist() == ["threshold", "threshold", "persistence", "window"]
    assert report.changes["note"].tolist()[1] == "follows seats_full"  # seats_near_full's edge
    first = _openpyxl_rules(path).groupby("rule").head(1).set_index("rule")
    assert first.loc["seats_full", ["threshold", "persistence", "window"]].tolist() == [0.86, 2, 3]
    assert first.loc["usage_at_cap", "persistence"] == 1 and pd.isna(first.loc["usage_at_cap", "window"])
    # a model without those columns: the threshold is written, the rest reported, not lost silently
    plain = _standin_with_columns(tmp_path / "plain.xlsx", {})
    report = write_thresholds(plain, pd.DataFrame({"rule": ["seats_full"], "threshold": [0.86],
                                                   "window": [3]}))
    note = report.changes.set_index("column").loc["window", "note"]
    assert "no window column" in note and not report.changes.set_index("column").loc["window", "changed"]


def test_calibrated_points_are_written_back_with_a_backup(tmp_path, built):
    from workbook.writeback import write_points

    path = tmp_path / "m.xlsx"
    path.write_bytes(built["standin"].read_bytes())
    before = path.read_bytes()
    points = udfs.calibrate_points(udfs.sample_history(n_accounts=120, n_periods=16))
    report = write_points(path, points)
    assert report.backup is not None and report.backup.read_bytes() == before
    first = _openpyxl_rules(path).groupby("rule", sort=False).head(1).set_index("rule")
    want = points.set_index("rule")["points"]
    assert np.allclose(first.loc[want.index, "points"].astype(float), want)
    # thresholds untouched, and the model still reads its Rules table
    assert first.loc["usage_at_cap", "threshold"] == 0.9
    udfs.rules_table(_openpyxl_rules(path))
