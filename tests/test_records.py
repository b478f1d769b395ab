"""Records in, nothing lost: every reproduced import/write-back bug, through the real parts.

Each test feeds a file as an export would hold it to ``python -m workbook ...`` (its
``main()`` in-process, or a subprocess where the process matters) or to
``load_records`` / the UDFs, and checks that every row and value arrives intact or is named.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import udfs
from tests.conftest import call_udf
from udfs.core import _args
from workbook.__main__ import main
from workbook.records import EXCEL_MAX_CHARS, load_accounts, load_records, read_table

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, cwd=ROOT, timeout=180):
    return subprocess.run([sys.executable, "-m", "workbook", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _check(capsys, *args) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _rows_balance(book) -> None:
    r = book.report
    assert r.rows_in == r.rows + r.left_out, str(r)
    assert len(book.frame) == r.rows


# --------------------------------------------------------------------------- CSV dialects


def test_single_quoted_names_are_text_not_quotes(tmp_path, capsys):
    src = tmp_path / "q.csv"
    src.write_text("Account ID,Name,ARR\nA5,Acme,5\nA6,'Til Dawn Ltd,6\nA7,'Quoted',7\nA8,Last,8\n")
    book = load_accounts(src)
    assert book.frame["account_id"].tolist() == ["A5", "A6", "A7", "A8"]
    assert book.frame["account_name"].tolist() == ["Acme", "'Til Dawn Ltd", "'Quoted'", "Last"]
    assert book.frame["arr"].tolist() == [5.0, 6.0, 7.0, 8.0]
    _rows_balance(book)
    code, out, _ = _check(capsys, src)
    assert code == 0 and "Imported 4 account rows" in out and "4 below the header = 4 imported" in out


def test_an_unbalanced_quote_is_an_error_naming_its_row(tmp_path, capsys):
    src = tmp_path / "open.csv"
    src.write_text('Account ID,Name,ARR\nA1,Acme,1\nA2,"Broken Co,2\nA3,Fine,3\nA4,Fine,4\n')
    code, out, err = _check(capsys, src)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "row 3" in err and "never closed" in err
    out_path = tmp_path / "m.xlsx"
    assert main(["build", "--accounts", str(src), "--out", str(out_path)]) == 2
    assert not out_path.exists() and [p.name for p in tmp_path.iterdir()] == ["open.csv"]


def test_a_late_doubled_quote_stays_in_its_field(tmp_path):
    rows = [f"A{i},Name {i},{i}" for i in range(700)]  # > 8 KB before the escape
    rows.append('A700,"The ""Best"" Co, Inc.",700')
    rows.append("A701,After,701")
    src = tmp_path / "late.csv"
    src.write_text("Account ID,Name,ARR\n" + "\n".join(rows) + "\n")
    assert src.stat().st_size > 8192
    book = load_accounts(src)
    last = book.frame.tail(2).to_dict("records")
    assert last == [{"account_id": "A700", "account_name": 'The "Best" Co, Inc.', "arr": 700.0},
                    {"account_id": "A701", "account_name": "After", "arr": 701.0}]
    assert book.report.bad_cells == [] and book.report.rows == 702
    _rows_balance(book)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(tmp_path, delimiter):
    src = tmp_path / "d.csv"
    lines = [["Account ID", "Name", "Seats"], ["A1", "Smith; Jones | Co", "3"], ["A2", "B", "4"]]
    text = "\n".join(delimiter.join(f'"{c}"' if delimiter in c or "," in c else c for c in row)
                     for row in lines)
    src.write_text(text + "\n")
    book = load_accounts(src)
    assert book.report.delimiter == delimiter
    assert book.frame["account_name"].tolist() == ["Smith; Jones | Co", "B"]
    assert book.frame["seats_licensed"].tolist() == [3.0, 4.0]


def test_rows_longer_than_the_header_keep_their_cells(tmp_path):
    src = tmp_path / "wide.csv"
    src.write_text("Account ID,ARR\nA1,1\nA2,2,extra cell\nA3,3\n")
    book = load_accounts(src)
    assert [None if pd.isna(v) else v for v in book.frame["Column C"]] == [None, "extra cell", None]
    assert "Column C has data but no header" in str(book.report)
    _rows_balance(book)


# --------------------------------------------------------------------------- decimal commas


def test_decimal_comma_file_is_read_right(tmp_path, capsys):
    src = tmp_path / "de.csv"
    src.write_text("Account ID;ARR;Seat Utilization;Seats Licensed\nA1;12.500,00;0,92;1.234,5\n"
                   "A2;1.000;0,5;3\n", encoding="utf-8")
    book = load_accounts(src)
    assert book.report.decimal == ","
    assert book.frame["arr"].tolist() == [12500.0, 1000.0]
    assert book.frame["seat_utilization"].tolist() == [0.92, 0.5]
    assert book.frame["seats_licensed"].tolist() == [1234.5, 3.0]
    code, out, _ = _check(capsys, src)
    assert code == 0 and "decimal comma" in out


def test_decimal_option_and_ambiguous_cells(tmp_path, capsys):
    src = tmp_path / "amb.csv"
    src.write_text('Account ID,ARR\nA1,"1,234"\nA2,500\n')
    book = load_accounts(src)
    assert book.frame["arr"].tolist() == [1234.0, 500.0]
    assert [(a.row, a.column) for a in book.report.ambiguous] == [(2, "arr")]
    code, out, _ = _check(capsys, src)
    assert "row 2, arr: '1,234' read as 1,234" in out and "--decimal ," in out
    given = load_accounts(src, decimal=",")
    assert given.frame["arr"].tolist() == [1.234, 500.0] and not given.report.ambiguous
    code, out, _ = _check(capsys, src, "--decimal", ",")
    assert code == 0 and "decimal comma (as given)" in out and "Ambiguous" not in out


def test_a_decimal_comma_cell_in_a_point_file_is_reported_not_misread(tmp_path):
    src = tmp_path / "mixed.csv"
    src.write_text('Account ID,Seat Utilization\nA1,0.95\nA2,0.5\nA3,0.7\nA4,"0,92"\n')
    book = load_accounts(src)
    assert book.frame["seat_utilization"].tolist()[:3] == [0.95, 0.5, 0.7]
    assert book.frame["seat_utilization"].tolist()[3] != 92.0
    assert "mixes decimal points" in str(book.report) or any(
        b.row == 5 for b in book.report.bad_cells)


def test_thresholds_csv_with_a_decimal_comma(tmp_path):
    model = tmp_path / "m.xlsx"
    assert main(["build", "--out", str(model)]) == 0
    th = tmp_path / "t.csv"
    th.write_text('rule,signal,op,threshold\nseats_full,seat_utilization,>=,"0,85"\n')
    assert main(["thresholds", str(model), str(th)]) == 0
    rules = openpyxl.load_workbook(model)["Rules"]
    header = [c.value for c in rules[1]]
    rows = [[c.value for c in r] for r in rules.iter_rows(min_row=2)]
    seats = next(r for r in rows if r[header.index("rule")] == "seats_full")
    assert seats[header.index("threshold")] == 0.85
    assert read_table(th, numbers=("threshold",))["threshold"].tolist() == [0.85]


def test_parse_number_refuses_a_decimal_comma_instead_of_misreading_it():
    assert _args.parse_number("1,200") == 1200.0 and _args.parse_number("0,92") is None
    with pytest.raises(ValueError, match="got '0,85'"):
        _args.number("threshold", "0,85")


# --------------------------------------------------------------------------- encodings


def test_encodings_excel_writes(tmp_path):
    text = "Account ID,Name,ARR\r\nA1,Müller Café,5\r\n"
    for name, data in {
        "cp1252.csv": text.encode("cp1252"),
        "bom.csv": codecs.BOM_UTF8 + text.encode("utf-8"),
        "plain.csv": text.encode("utf-8"),
        "unicode.txt": text.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode Text"
    }.items():
        (tmp_path / name).write_bytes(data)
        book = load_accounts(tmp_path / name)
        assert book.frame.to_dict("records") == [
            {"account_id": "A1", "account_name": "Müller Café", "arr": 5.0}], name


def test_a_cp1252_accent_after_the_first_megabyte(tmp_path):
    src = tmp_path / "late.csv"
    body = "".join(f"A{i},Plain {i}\r\n" for i in range(80_000))  # > 1 MB of ASCII first
    src.write_bytes(("Account ID,Name\r\n" + body + "Z1,Société Générale\r\n").encode("cp1252"))
    book = load_accounts(src)
    assert book.frame["account_name"].tolist()[-1] == "Société Générale"
    assert book.report.rows == 80_001 and "Windows-1252" in str(book.report)


def test_an_unreadable_encoding_is_one_line(tmp_path, capsys):
    src = tmp_path / "ru.csv"
    src.write_bytes(("Account ID,Name\n" + "\n".join(
        f"A{i},Компания номер {i} Москва" for i in range(30))).encode("cp1251"))
    code, out, err = _check(capsys, src)
    assert code == 2 and err.count("\n") == 1 and "ru.csv" in err and "CSV UTF-8" in err


@pytest.mark.parametrize("content,needle", [
    (b"", "is empty"),
    (bytes(range(256)) * 40, "not a text file"),
    (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
    (b"Company,ARR\nAcme,1\n", "--map"),
])
def test_hostile_files_never_end_in_a_traceback(tmp_path, content, needle):
    src = tmp_path / "x.csv"
    src.write_bytes(content)
    run = _cli("check", str(src))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and needle in run.stderr


def test_missing_file_directory_and_huge_field(tmp_path, capsys):
    code, _, err = _check(capsys, tmp_path / "nope.csv")
    assert code == 2 and "no such file" in err and err.count("\n") == 1
    (tmp_path / "folder.csv").mkdir()
    code, _, err = _check(capsys, tmp_path / "folder.csv")
    assert code == 2 and "folder" in err and err.count("\n") == 1
    huge = tmp_path / "huge.csv"
    huge.write_text('Account ID,Notes,Name\nA1,"' + "x" * 200_000 + '",Acme\n')
    code, out, err = _check(capsys, huge)
    assert code == 0 and f"200,000 characters, more than an Excel cell holds ({EXCEL_MAX_CHARS:,})" in out
    assert len(load_accounts(huge).frame["Notes"][0]) == EXCEL_MAX_CHARS


# --------------------------------------------------------------------------- identifiers


def test_identifiers_and_unmapped_columns_keep_what_was_typed(tmp_path):
    src = tmp_path / "ids.csv"
    src.write_text("Account ID,Zip,CRM Number,NPS\n02134,02134,12345678901234567890,7\n"
                   "004567890,90210,00000000000000000001,8\n")
    book = load_accounts(src)
    assert book.frame["account_id"].tolist() == ["02134", "004567890"]
    assert book.frame["Zip"].tolist() == ["02134", "90210"]
    assert book.frame["CRM Number"].tolist() == ["12345678901234567890", "00000000000000000001"]
    assert book.frame["NPS"].tolist() == [7.0, 8.0]  # a plain number column is still a signal
    model = tmp_path / "ids.xlsx"
    assert main(["build", "--accounts", str(src), "--out", str(model)]) == 0
    ws = openpyxl.load_workbook(model)["Accounts"]
    cells = {c.value: c.data_type for row in ws.iter_rows(min_row=2) for c in row}
    assert cells["02134"] == "s" and cells["12345678901234567890"] == "s"


def test_an_xlsx_id_stored_as_a_long_number_is_reported(tmp_path):
    path = tmp_path / "ids.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Account ID", "ARR"])
    ws.append([12345678901234567890, 5])
    ws.append(["A2", 6])
    wb.save(path)
    book = load_accounts(path)
    assert any(b.column == "account_id" and "15 digits" in b.problem for b in book.report.bad_cells)


# --------------------------------------------------------------------------- XLSX


def _xlsx_with_formula(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Accounts")
    ws.write_row(0, 0, ["Account ID", "ARR", "Notes"])
    ws.write_row(1, 0, ["A1", 100, "ok"])
    ws.write_string(2, 0, "A2")
    ws.write_formula(2, 1, "=B2*2", None, "")  # no calculated value stored
    ws.write_string(2, 2, "y" * 40_000)  # xlsxwriter cuts nothing when told not to check
    wb.close()


def test_xlsx_formula_without_value_and_long_text_are_reported(tmp_path):
    path = tmp_path / "f.xlsx"
    _xlsx_with_formula(path)
    with zipfile.ZipFile(path) as z:
        assert b"<f>B2*2</f>" in z.read("xl/worksheets/sheet1.xml")
    book = load_accounts(path)
    text = str(book.report)
    assert "row 3, arr: a formula with no calculated value" in text
    assert [(b.row, b.column) for b in book.report.bad_cells if "formula" in b.problem] == [(3, "arr")]


def test_more_rows_than_a_sheet_holds_is_refused_before_writing(tmp_path, capsys):
    src = tmp_path / "big.csv"
    with open(src, "w") as f:
        f.write("Account ID\n")
        f.write("".join(f"A{i}\n" for i in range(1_048_576)))  # + header = one row too many
    out = tmp_path / "big.xlsx"
    assert main(["build", "--accounts", str(src), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1,048,576 rows do not fit an Excel sheet" in err and "nothing was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


# --------------------------------------------------------------------------- summary rows


def test_summary_and_blank_id_rows_are_reported_and_left_out(tmp_path, capsys):
    src = tmp_path / "s.csv"
    src.write_text("Account ID,ARR\nA1,10\n,5\nTotal,15\nA2,20\ngrand  TOTAL,35\n\nSUBTOTAL,1\n")
    book = load_accounts(src)
    assert book.frame["account_id"].tolist() == ["A1", "A2"]
    assert book.report.blank_id_rows == [3] and book.report.blank_rows == [7]
    assert [r for r, _ in book.report.summary_rows] == [4, 6, 8]
    _rows_balance(book)
    code, out, _ = _check(capsys, src)
    assert "Summary rows left out (not account rows): 4 ('Total'), 6 ('grand  TOTAL'), 8" in out
    assert "Rows with a blank account_id left out: 3" in out
    assert "7 below the header = 2 imported + 5 left out" in out


def test_summary_rows_in_mixed_case_are_left_out_and_an_id_holding_total_is_kept(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text("Account ID,ARR\nA1,10\nTOtal,15\nGrAnD tOtAl,35\nsubTOTAL,1\nTotalCorp,20\n")
    book = load_accounts(src)
    assert book.frame["account_id"].tolist() == ["A1", "TotalCorp"]
    assert [r for r, _ in book.report.summary_rows] == [3, 4, 5]


# --------------------------------------------------------------------------- headers


def test_headers_match_alike_in_importer_and_udfs(tmp_path):
    headers = ["Account\nID", "Seat\u00a0Utilization", "Pricing\tPage Visits (30d)", "ARR"]
    src = tmp_path / "h.csv"
    src.write_text(",".join(f'"{h}"' for h in headers) + "\nA1,0.95,2,1000\n")
    book = load_accounts(src)
    assert list(book.frame.columns) == ["account_id", "arr", "seat_utilization", "pricing_page_visits_30d"]
    table = [headers, ["A1", 0.95, 2, 1000]]
    assert call_udf("EXPANSION_SCORE", table) == [[70.0]]  # 40 (seats) + 30 (pricing page)
    assert udfs.expansion_score(pd.DataFrame(table[1:], columns=headers)).tolist() == [70.0]


def test_a_header_with_a_line_break_gives_one_line_messages():
    table = [["Account\nID", "Seat\nUtilization"], ["A1", "n/a"], ["A1", 0.5]]
    with pytest.raises(ValueError) as err:
        _args.table("accounts", [["Account\nID", "account id"], ["A1", "A2"]])
    assert "\n" not in str(err.value)
    reasons = udfs.expansion_reasons(table)
    assert all("\n" not in r for r in reasons)


def test_common_export_headers_map(tmp_path):
    src = tmp_path / "crm.csv"
    src.write_text(
        "Account ID,Users,Pricing Page Visits (30d),Customer Since,Renewal Date,ARR,Health\n"
        'A1,40,3,2024-01-15,2026-03-01,"USD 45,000.00",80\n'
        "A2,10,0,15.06.2025,01.02.2027,USD 45000,70\n")
    book = load_accounts(src, as_of=pd.Timestamp("2026-01-20").date())
    f = book.frame
    assert f["seats_active"].tolist() == [40.0, 10.0]
    assert f["pricing_page_visits_30d"].tolist() == [3.0, 0.0]
    assert f["arr"].tolist() == [45000.0, 45000.0]
    assert f["tenure_months"].tolist() == [24.0, 7.0]
    assert [d.date().isoformat() for d in f["renewal_date"]] == ["2026-03-01", "2027-02-01"]
    assert "tenure_months is derived from customer_since at 2026-01-20" in str(book.report)
    model = tmp_path / "crm.xlsx"
    assert main(["build", "--accounts", str(src), "--out", str(model)]) == 0
    euro = tmp_path / "eu.csv"
    euro.write_text("Account ID;ARR\nA1;45.000 €\nA2;1.250,50 €\nA3;EUR 3.000.000\n")
    assert load_accounts(euro).frame["arr"].tolist() == [45000.0, 1250.5, 3_000_000.0]


def test_map_option_and_the_missing_columns_line(tmp_path, capsys):
    src = tmp_path / "m.csv"
    src.write_text("Kundennummer,Jahresumsatz,Logins\nK1,100,5\n")
    code, _, err = _check(capsys, src)
    assert code == 2 and '--map "Your header=account_id"' in err
    code, out, _ = _check(capsys, src, "--map", "Kundennummer=account_id", "--map", "Jahresumsatz=arr")
    assert code == 0 and "'Kundennummer' -> account_id" in out and "'Jahresumsatz' -> arr" in out
    assert '--map "Your header=' in out  # the missing-columns line says how
    code, _, err = _check(capsys, src, "--map", "Kundennummer=acount_id")
    assert code == 2 and "'acount_id' is not a column of accounts" in err


def test_a_range_without_a_header_row_is_a_named_error():
    with pytest.raises(ValueError, match="accounts: .*header"):
        udfs.score_accounts([["A1", 0.95, 2], ["A2", 0.5, 0]])
    with pytest.raises(ValueError, match="header"):
        call_udf("EXPANSION_SCORE", [["A1", 0.95, 2], ["A2", 0.5, 0]])


# --------------------------------------------------------------------------- output paths


def test_out_must_be_an_xlsx(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "m.csv")]) == 2
    assert "ending in .xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_two_builds_to_one_new_path_exactly_one_wins(tmp_path):
    out = tmp_path / "race.xlsx"
    runs = [subprocess.Popen([sys.executable, "-m", "workbook", "build", "--out", str(out)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    assert "already exists" in next(err for code, err in results if code == 1)
    assert [p.name for p in tmp_path.iterdir()] == ["race.xlsx"]
    openpyxl.load_workbook(out)  # the winner's file is whole


def test_atomic_write_cleans_up_on_failure(tmp_path):
    from workbook._files import atomic_write

    def fail(tmp):
        Path(tmp).write_bytes(b"half")
        raise ValueError("disk full")

    with pytest.raises(ValueError):
        atomic_write(tmp_path / "x.xlsx", fail, force=False)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "x.xlsx").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        atomic_write(tmp_path / "x.xlsx", b"new", force=False)
    assert [p.name for p in tmp_path.iterdir()] == ["x.xlsx"] and (tmp_path / "x.xlsx").read_bytes() == b"old"


# --------------------------------------------------------------------------- write-back


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("wb")
    path = d / "model.xlsx"
    assert main(["build", "--out", str(path)]) == 0
    return path


def _copy(model: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model.xlsx"
    target.write_bytes(model.read_bytes())
    return target


def _threshold(path: Path, rule: str) -> float:
    from workbook.writeback import read_rules_table

    rules = read_rules_table(path)
    return float(rules.loc[rules["rule"] == rule, "threshold"].iloc[0])


def test_two_thresholds_runs_at_once_keep_both_changes(model, tmp_path):
    path = _copy(model, tmp_path)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("rule,threshold\nseats_full,0.85\n")
    b.write_text("rule,threshold\npricing_page,2\n")
    runs = [subprocess.Popen([sys.executable, "-m", "workbook", "thresholds", str(path), str(f)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}) for f in (a, b)]
    assert [p.wait(timeout=300) for p in runs] == [0, 0], [p.stderr.read() for p in runs]
    assert _threshold(path, "seats_full") == 0.85 and _threshold(path, "pricing_page") == 2.0
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_model_changed_while_writing_is_not_replaced(model, tmp_path, monkeypatch):
    from workbook import writeback

    path = _copy(model, tmp_path)
    real = writeback.write_zip

    def and_excel_saves(pkg, replaced, out):
        real(pkg, replaced, out)
        path.write_bytes(model.read_bytes() + b"")  # another program saves the model
        os.utime(path, None)
        with open(path, "ab") as f:
            f.write(b"\0")

    monkeypatch.setattr(writeback, "write_zip", and_excel_saves)
    before_names = {p.name for p in tmp_path.iterdir()}
    with pytest.raises(ValueError, match="changed while the thresholds were being written"):
        writeback.write_thresholds(path, {"seats_full": 0.85})
    assert path.read_bytes() == model.read_bytes() + b"\0"  # the other program's save stays
    assert {p.name for p in tmp_path.iterdir()} - before_names <= {".model.xlsx.lock"}


def test_the_backup_is_written_under_a_temporary_name(model, tmp_path, monkeypatch):
    from workbook import _files, writeback

    path = _copy(model, tmp_path)
    seen = []
    real = _files._create_exclusive

    def spy(tmp, target, message, error):
        seen.append((Path(tmp).name, Path(target).name))
        return real(tmp, target, message, error)

    monkeypatch.setattr(_files, "_create_exclusive", spy)
    report = writeback.write_thresholds(path, {"seats_full": 0.85})
    assert report.backup is not None and report.backup.read_bytes() == model.read_bytes()
    assert seen and seen[0][1] == report.backup.name and seen[0][0].endswith(".tmp")


def test_a_damaged_model_is_one_line(model, tmp_path):
    path = _copy(model, tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start: start + 40] = b"\xff" * 40  # bad deflate data
    path.write_bytes(bytes(data))
    th = tmp_path / "t.csv"
    th.write_text("rule,threshold\nseats_full,0.8\n")
    run = _cli("thresholds", str(path), str(th))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "damaged" in run.stderr


# --------------------------------------------------------------------------- functions


def test_nullable_dtypes_with_na_are_blank_or_a_named_error():
    ints = pd.Series([1, pd.NA], dtype="Int64")
    with pytest.raises(ValueError, match=r"x: expected a number, got a blank cell \(item 2\)"):
        _args.numbers("x", ints)
    assert _args.numbers("x", ints, allow_blank=True)[1] != _args.numbers("x", ints, allow_blank=True)[1]
    values, bad = _args.coerce_numeric(pd.Series([0.5, pd.NA], dtype="Float64"))
    assert values[0] == 0.5 and values[1] != values[1] and not bad.any()
    frame = pd.DataFrame({"account_id": pd.Series(["a", "b"], dtype="string"),
                          "seat_utilization": pd.Series([0.95, pd.NA], dtype="Float64"),
                          "pricing_page_visits_30d": pd.Series([pd.NA, 2], dtype="Int64")})
    assert udfs.expansion_score(frame).tolist() == [40.0, 30.0]


# --------------------------------------------------------------------------- other kinds


def test_load_records_reads_a_registered_kind(tmp_path):
    from workbook.records import Schema, register_schema
    from workbook.records.schema import SCHEMAS

    schema = Schema(kind="_test_opps", columns={"opportunity_id": "id", "amount": "money"},
                    id_column="opportunity_id", resolve=_args.normalize_key, noun="opportunity")
    register_schema(schema)
    try:
        src = tmp_path / "o.csv"
        src.write_text("Opportunity ID;Amount\nO-01;12.500,00\nTotal;12.500,00\n")
        book = load_records(src, "_test_opps")
        assert book.frame.to_dict("records") == [{"opportunity_id": "O-01", "amount": 12500.0}]
        assert "Imported 1 opportunity from o.csv" in str(book.report)
        run = main(["check", str(src), "--kind", "_test_opps"])
        assert run == 0
    finally:
        SCHEMAS.pop("_test_opps")
    with pytest.raises(ValueError, match="kind: expected one of"):
        load_records(src, "nope")


def test_threads_reading_at_once(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("Account ID,ARR\n" + "".join(f"A{i},{i}\n" for i in range(500)))
    out = []
    threads = [threading.Thread(target=lambda: out.append(load_accounts(src).report.rows)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [500] * 4


# --------------------------------------------------------------------------- other readers


def test_load_history_reads_files_through_the_records_reader(tmp_path):
    src = tmp_path / "panel.csv"
    src.write_text("Account ID;Period;Seat Utilization;Expansion\n007;1;0,92;0\n007;2;0,95;1\n",
                   encoding="cp1252")
    panel, problems = udfs.load_history(src)
    assert panel["account_id"].tolist() == ["007", "007"]
    assert panel["seat_utilization"].tolist() == [0.92, 0.95] and problems.empty


def test_check_reads_opportunities_and_arr_history(tmp_path, capsys):
    opps = tmp_path / "opps.csv"
    opps.write_text("Opportunity ID;Account;Type;Amount;Probability;Close Date;Owner;Status\n"
                    "O-1;A1;Add seats;12.500,00;40;15.03.2026;Ana;open\n"
                    "Total;;;12.500,00;;;;\n")
    code, out, _ = _check(capsys, opps, "--kind", "opportunities")
    assert code == 0 and "Imported 1 opportunity row" in out and "decimal comma" in out
    assert "Summary rows left out (not opportunity rows): 3 ('Total')" in out
    book = load_records(opps, "opportunities")
    assert book.frame["amount"].tolist() == [12500.0]
    assert book.frame["close_date"].iloc[0].date().isoformat() == "2026-03-15"
    rates = udfs.win_rates(book.frame)  # the engine reads what the import gives it
    assert len(rates) == 5
    hist = tmp_path / "hist.csv"
    hist.write_text('Customer ID,Month,ARR\n0042,2025-01,1200\n0042,2025-02,"1,300"\n,2025-02,5\n')
    code, out, _ = _check(capsys, hist, "--kind", "arr_history")
    assert code == 0 and "Rows with a blank account_id left out: 4" in out
    frame = load_records(hist, "arr_history").frame
    assert frame["account_id"].tolist() == ["0042", "0042"] and frame["arr"].tolist() == [1200.0, 1300.0]
    code, _, err = _check(capsys, hist, "--kind", "invoices")
    assert code == 2 and "kind: expected one of accounts, arr_history, opportunities" in err


def test_a_killed_build_leaves_no_temporary_file(tmp_path):
    import signal
    import time

    out = tmp_path / "m.xlsx"
    proc = subprocess.Popen([sys.executable, "-m", "workbook", "build", "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.skip("the build finished before it could be interrupted")
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr.read()
    left = list(tmp_path.iterdir())
    assert not [p for p in left if p.name.endswith(".tmp")]  # no temporary file is left
    if left:  # the signal came after the finished model took its name: it is whole
        assert left == [out]
        assert openpyxl.load_workbook(out, read_only=True).sheetnames[0] == "Start here"


def test_a_percent_column_is_read_as_fractions_and_said(tmp_path, capsys):
    """SPEC §2: a fraction column whose median is above 1.5 holds percents (92 = 92 %)."""
    f = tmp_path / "percent.csv"
    f.write_text("account_id,Seat Utilization %,usage_vs_cap\nA1,92,0.5\nA2,85,0.95\nA3,40,\n")
    book = load_accounts(f)
    assert book.frame["seat_utilization"].tolist() == pytest.approx([0.92, 0.85, 0.40])
    assert book.frame["usage_vs_cap"].tolist()[:2] == pytest.approx([0.5, 0.95])  # fractions stay
    rc, out, _ = _check(capsys, str(f))
    assert rc == 0
    assert "seat_utilization holds percents (median 85" in out
    assert "usage_vs_cap holds percents" not in out


def test_score_accounts_reads_a_percent_column_like_the_import():
    """The same table through xlwings' runtime: 92 in a fraction column is 92 %, not 9,200 %."""
    as_percent = [["account_id", "seat_utilization"], ["A1", 92], ["A2", 85], ["A3", 40]]
    as_fraction = [["account_id", "seat_utilization"], ["A1", 0.92], ["A2", 0.85], ["A3", 0.40]]
    assert call_udf("EXPANSION_SCORE", as_percent) == call_udf("EXPANSION_SCORE", as_fraction)
    assert [row[0] for row in call_udf("EXPANSION_SCORE", as_percent)] == [40, 25, 0]


def _mixed_workbook(path: Path) -> None:
    """A sheet of every kind of cell a CRM export holds, with gaps, in the 1904 date system,
    beside another sheet and after leading blank columns and rows."""
    import datetime as dt

    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Accounts"
    wb.create_sheet("Notes")["A1"] = "not read"
    ws.append([])
    ws.append([None, "Account ID", "ARR", "Renewal Date", "Champion Left 90d", "Segment", "Health Score"])
    for i in range(400):
        if i % 37 == 5:
            ws.append([])  # a blank row inside the table
            continue
        renewal = dt.datetime(2026, 1, 1) + dt.timedelta(days=3 * i)
        ws.append([None, f"ACC-{i:04d} & <co>", 1000.0 + i if i % 11 else None, renewal,
                   bool(i % 2), ["SMB", "Mid-market", "Enterprise"][i % 3], i % 100 if i % 13 else "#N/A"])
    ws["H9"] = "=C9*2"
    ws["H10"] = "a note beyond the header"
    wb.save(path)


def test_a_large_sheet_read_in_slices_equals_it_read_whole(tmp_path, monkeypatch):
    """A large sheet goes to python-calamine a slice of rows at a time (its memory is then a
    slice's, not the sheet's): every row equals the rows of the sheet read whole (texts with
    entities, numbers, dates of the 1904 system, booleans, errors, blanks, blank rows inside
    and between slices, columns before the table, a cell beyond the header), and so does
    the imported table with its report."""
    from workbook.records import xlsx as reading

    path = tmp_path / "crm.xlsx"
    _mixed_workbook(path)
    whole_name, whole_rows = reading._sheet_rows(path, "crm.xlsx", None)
    whole_rows = list(whole_rows)
    whole_book = load_accounts(path)
    monkeypatch.setattr(reading, "XLSX_SLICE_FROM", 0)
    monkeypatch.setattr(reading, "XLSX_SLICE_BYTES", 3000)  # dozens of slices
    slices = reading._slices(path, "Accounts")
    assert slices is not None and len(list(slices)) > 20
    name, rows = reading._sheet_rows(path, "crm.xlsx", None)
    rows = list(rows)
    assert name == whole_name == "Accounts"
    assert len(rows) == len(whole_rows) == 402
    width = max(len(r) for r in whole_rows)
    assert [r + [None] * (width - len(r)) for r in rows] == [r + [None] * (width - len(r)) for r in whole_rows]
    book = load_accounts(path)
    pd.testing.assert_frame_equal(book.frame, whole_book.frame)
    assert book.report.rows == whole_book.report.rows and book.report.lines() == whole_book.report.lines()
    assert book.frame["renewal_date"].iloc[0] == pd.Timestamp("2026-01-01")
    assert book.frame["account_id"].iloc[0] == "ACC-0000 & <co>"
