"""Opportunities, ARR history and targets as trustworthy as the accounts import (issue 17).

Each hostile export is fed as a file to ``python -m workbook check|build`` (its ``main()``
in-process) or to the UDFs through xlwings' runtime; ``check`` must name each problem as a
bad cell or a named row, a build must refuse it (nothing written) or say what it did, and
the model read back with openpyxl must never hold a number read wrong.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import udfs
from tests.conftest import call_udf, need_tool
from udfs.core import _records
from workbook.__main__ import main
from workbook.records import load_records


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _history(rows: list[str]) -> str:
    return "account_id,month,arr\n" + "\n".join(rows) + "\n"


def _retention(path: Path) -> dict:
    """The Retention sheet's column A label -> cached column B value."""
    ws = openpyxl.load_workbook(path, data_only=True)["Retention"]
    return {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 40) if ws.cell(r, 1).value}


# --------------------------------------------------------------------------- dates


def test_text_dates_are_read_strictly_in_one_order_per_column():
    read = _records.read_date_texts(np.array(["2025-13-01", "2025-02-29", "2024-02-29", "2025-03", "20250301"],
                                             dtype=object))
    assert read.bad.tolist() == [True, True, False, False, False]  # month 13 and 29 Feb 2025 never swapped
    assert read.values[2:].astype("datetime64[D]").astype(str).tolist() == ["2024-02-29", "2025-03-01", "2025-03-01"]
    day = _records.read_date_texts(np.array(["03/04/2025", "25/12/2025"], dtype=object))
    assert (day.order, day.decided) == (_records.DAY_FIRST, True)
    assert day.values[0].astype("datetime64[D]") == np.datetime64("2025-04-03")
    month = _records.read_date_texts(np.array(["03/04/2025", "12/25/2025", "25/12/2025"], dtype=object))
    assert month.order == _records.MONTH_FIRST  # 12/25 says month first; 25/12 is then no date at all
    assert month.bad.tolist() == [False, False, True]
    assert month.values[0].astype("datetime64[D]") == np.datetime64("2025-03-04")
    undecided = _records.read_date_texts(np.array(["03/04/2025"], dtype=object))
    assert (undecided.order, undecided.decided) == (_records.MONTH_FIRST, False)
    given = _records.read_date_texts(np.array(["03/04/2025"], dtype=object), _records.DAY_FIRST)
    assert given.values[0].astype("datetime64[D]") == np.datetime64("2025-04-03")
    dots = _records.read_date_texts(np.array(["03.04.2025"], dtype=object))
    assert dots.values[0].astype("datetime64[D]") == np.datetime64("2025-04-03")


def test_impossible_month_is_a_bad_cell_and_never_new_logo_arr(tmp_path, capsys):
    src = _write(tmp_path, "h.csv", _history(
        [f"a1,2025-{m:02d}-01,1000" for m in range(1, 13)] + ["a1,2026-01-01,1000", "a2,2025-13-01,7000"]))
    code, out, _ = _run(capsys, "check", src, "--kind", "arr_history")
    assert code == 0
    assert "row 15, month: '2025-13-01' is not a date" in out
    assert "Rows: 14 = 13 used as read + 1 reported" in out
    code, out, err = _run(capsys, "build", "--arr-history", src, "--out", tmp_path / "m.xlsx")
    assert code == 2 and "row 15, month: '2025-13-01'" in err and not (tmp_path / "m.xlsx").exists()
    with pytest.raises(ValueError, match="row 15 month: expected a date"):
        udfs.arr_matrix([["account_id", "month", "arr"], *[["a1", f"2025-{m:02d}-01", 1] for m in range(1, 13)],
                         ["a1", "2026-01-01", 1], ["a2", "2025-13-01", 7000]])


def test_dayfirst_reads_ambiguous_dates_day_first_and_the_report_says_how(tmp_path, capsys):
    src = _write(tmp_path, "h.csv", _history(["a1,03/04/2025,100", "a1,04/04/2025,100"]))
    _, out, _ = _run(capsys, "check", src, "--kind", "arr_history")
    assert "month: dates such as 03/04/2025 read month first (no date in it has a day above 12: pass --dayfirst" in out
    book = load_records(src, "arr_history")
    assert [d.month for d in book.frame["month"]] == [3, 4]
    book = load_records(src, "arr_history", dayfirst=True)
    assert [(d.month, d.day) for d in book.frame["month"]] == [(4, 3), (4, 4)]
    _, out, _ = _run(capsys, "check", src, "--kind", "arr_history", "--dayfirst")
    assert "read day first (as --dayfirst says)" in out
    # in a day-first column, a month-first date is a bad cell, not swapped
    src = _write(tmp_path, "o.csv", "opportunity_id,account_id,type,amount,close_date,owner,status\n"
                                    "1,a1,Upsell,100,25/03/2025,Ana,won\n2,a1,Upsell,100,03/25/2025,Ana,won\n"
                                    "3,a1,Upsell,100,13/02/2025,Ana,won\n")
    _, out, _ = _run(capsys, "check", src, "--kind", "opportunities")
    assert "row 3, close_date: '03/25/2025' is not a date (read day first" in out


# --------------------------------------------------------------------------- ARR duplicates


def _two_rows(extra_header: str = "", extra: tuple[str, str] = ("", "")) -> str:
    head = "account_id,month,arr" + extra_header
    return "\n".join([head, f"a1,2025-01-01,1000{extra[0]}", f"a1,2025-01-01,9000{extra[1]}",
                      *(f"a1,2025-{m:02d}-01,2000{extra[0]}" for m in range(2, 13)),
                      f"a1,2026-01-01,3000{extra[0]}"]) + "\n"


def test_exact_duplicates_are_refused_by_account_and_month_unless_told(tmp_path, capsys):
    src = _write(tmp_path, "h.csv", _two_rows())
    _, out, _ = _run(capsys, "check", src, "--kind", "arr_history")
    assert ("rows 2, 3: account 'a1', 2025-01: 2 rows (1,000 and 9,000) and no subscription_id, product or plan "
            "column telling them apart") in out
    assert "--duplicates sum" in out and "Rows: 14 = 12 used as read + 2 reported" in out
    code, _, err = _run(capsys, "build", "--arr-history", src, "--out", tmp_path / "m.xlsx")
    assert code == 2 and "account 'a1', 2025-01" in err and not (tmp_path / "m.xlsx").exists()
    for how, start in (("sum", 10_000.0), ("last", 9_000.0)):
        out_path = tmp_path / f"m_{how}.xlsx"
        code, out, _ = _run(capsys, "build", "--arr-history", src, "--duplicates", how, "--out", out_path)
        assert code == 0 and f"--duplicates {how}:" in out
        assert _retention(out_path)["Starting ARR (12 months ago)"] == start
        table = openpyxl.load_workbook(out_path)["ARR history"]
        assert table.max_row == 14  # one row per account and month: the sheet's formulas read it as built
    rows = [["account_id", "month", "arr"], ["a1", "2025-01", 1000], ["a1", "2025-01", 9000], ["a1", "2026-01", 1]]
    with pytest.raises(ValueError, match=r"account 'a1' has 2 rows for 2025-01 \(rows 2 \(1,000\) and 3 \(9,000\)\)"):
        call_udf("TRAILING_MEASURE", rows, "starting_arr")
    assert udfs.arr_matrix(rows, "sum").arr[0, 0] == 10_000
    assert udfs.arr_matrix(rows, "last").arr[0, 0] == 9_000


def test_line_items_are_summed_and_the_report_says_so(tmp_path, capsys):
    src = _write(tmp_path, "h.csv", _two_rows(",Product", (",Core", ",Add-on")))
    _, out, _ = _run(capsys, "check", src, "--kind", "arr_history")
    assert "Line items: 1 rows share an account and month with an earlier row ('Product' column)" in out
    assert "No bad cells." in out and "Problems" not in out
    code, out, _ = _run(capsys, "build", "--arr-history", src, "--out", tmp_path / "m.xlsx")
    assert code == 0 and "Line items" in out
    assert _retention(tmp_path / "m.xlsx")["Starting ARR (12 months ago)"] == 10_000
    rows = [["account_id", "month", "arr", "plan"], ["a1", "2025-01", 1000, "Pro"], ["a1", "2025-01", 9000, "Seats"],
            ["a1", "2026-01", 1, "Pro"]]
    assert call_udf("TRAILING_MEASURE", rows, "starting_arr") == [[10_000]]


# --------------------------------------------------------------------------- zero starting ARR


def test_zero_starting_arr_says_why_on_the_sheet_and_in_the_report(tmp_path, capsys):
    rows = ["a1,2025-01-01,1000", *(f"a2,2025-{m:02d}-01,500" for m in range(4, 13)),
            *(f"a2,2026-{m:02d}-01,600" for m in range(1, 4))]
    src = _write(tmp_path, "h.csv", _history(rows))
    code, out, _ = _run(capsys, "build", "--arr-history", src, "--out", tmp_path / "m.xlsx")
    message = "no ARR 12 months before 2026-03: NRR needs a starting base"
    assert code == 0 and message in out
    values = _retention(tmp_path / "m.xlsx")
    assert values["NRR"] == values["GRR"] == values["NRR vs typical range"] == message
    ws = openpyxl.load_workbook(tmp_path / "m.xlsx", data_only=True)["Retention"]
    cells = [c.value for row in ws.iter_rows() for c in row]
    assert "#VALUE!" not in cells
    assert [ws.cell(r, 10).value for r in range(6, 12)] == [message] * 6  # ARR by year
    formulas = openpyxl.load_workbook(tmp_path / "m.xlsx")["Retention"]
    assert formulas["B14"].value.startswith("=IF($B$4>0, NRR(")


def test_libreoffice_renders_the_no_base_message_not_an_error(tmp_path, soffice, capsys):
    rows = ["a1,2025-01-01,1000", *(f"a2,2025-{m:02d}-01,500" for m in range(4, 13)),
            *(f"a2,2026-{m:02d}-01,600" for m in range(1, 4))]
    src = _write(tmp_path, "h.csv", _history(rows))
    assert _run(capsys, "build", "--arr-history", src, "--out", tmp_path / "zero.xlsx")[0] == 0
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                          "pdf", "--outdir", str(tmp_path), str(tmp_path / "zero.xlsx")], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and (tmp_path / "zero.pdf").exists(), run.stderr
    text = subprocess.run([need_tool("pdftotext"), "-layout", str(tmp_path / "zero.pdf"), "-"], capture_output=True,
                          text=True, timeout=120, check=True).stdout
    retention = text[text.index("Net revenue retention"):]
    assert "NRR needs a starting base" in retention and not re.findall(r"#VALUE!|Err:\d+", retention)


# --------------------------------------------------------------------------- opportunities


_OPPS = "opportunity_id,account_id,type,amount,close_date,owner,status\n"


def test_opportunity_amount_with_m_follows_the_files_decimal_mark(tmp_path, capsys):
    comma = _write(tmp_path, "c.csv", _OPPS + '1,a1,Upsell,"1,2 M",2025-02-10,Ana,open\n'
                                              '2,a1,Upsell,"12.000,50",2025-02-10,Ana,open\n')
    _, out, _ = _run(capsys, "check", comma, "--kind", "opportunities")
    assert "amount: 1 amounts written with K or M read with the file's decimal comma: row 2 '1,2 M' = 1,200,000" in out
    assert load_records(comma, "opportunities").frame["amount"].tolist() == [1_200_000.0, 12_000.5]
    point = _write(tmp_path, "p.csv", _OPPS + '1,a1,Upsell,"1,2 M",2025-02-10,Ana,open\n'
                                              '2,a1,Upsell,"12,000.50",2025-02-10,Ana,open\n')
    _, out, _ = _run(capsys, "check", point, "--kind", "opportunities")
    assert "row 2, amount: '1,2 M' is not a number" in out


def test_won_or_lost_without_close_date_is_a_bad_cell(tmp_path, capsys):
    src = _write(tmp_path, "o.csv", _OPPS + "1,a1,Upsell,100,2025-02-10,Ana,open\n2,a2,Upsell,300,,Ana,won\n"
                                            "3,a3,Upgrade,300,,Bo,Closed Lost\n")
    _, out, _ = _run(capsys, "check", src, "--kind", "opportunities")
    assert "row 3, close_date: a blank cell: a won or lost opportunity needs the day it closed" in out
    assert "row 4, close_date: a blank cell: a won or lost" in out
    assert "Rows: 3 = 1 used as read + 2 reported" in out
    code, _, err = _run(capsys, "build", "--opportunities", src, "--out", tmp_path / "m.xlsx")
    assert code == 2 and "row 3, close_date" in err and not (tmp_path / "m.xlsx").exists()


# --------------------------------------------------------------------------- targets


def test_targets_unknown_motion_impossible_quarter_and_repeats_are_named(tmp_path, capsys):
    src = _write(tmp_path, "t.csv", "quarter,motion,owner,target\n2026-Q4,Teleportation,,1000\n"
                                    "2026-Q5,Seat expansion,,1000\n2026-Q4,Seat expansion,Ana,500\n"
                                    "2026-Q4,seat expansion,Ana,700\n2026-Q4,Tier upgrade,,900\n")
    _, out, _ = _run(capsys, "check", src, "--kind", "targets")
    assert "row 2, motion: 'Teleportation' is not a motion" in out
    assert "row 3, quarter: '2026-Q5' is not a quarter" in out
    assert "rows 4, 5: 2026-Q4, Seat expansion, owner 'Ana': 2 targets (500 and 700)" in out
    assert "Rows: 5 = 1 used as read + 4 reported" in out
    code, _, err = _run(capsys, "build", "--targets", src, "--out", tmp_path / "m.xlsx")
    assert code == 2 and "targets: row 2, motion" in err and not (tmp_path / "m.xlsx").exists()


# --------------------------------------------------------------------------- as-of date


def test_an_as_of_date_after_the_newest_record_is_said(tmp_path, capsys):
    src = _write(tmp_path, "h.csv", _history(["a1,2025-12-01,1000", *(f"a1,2026-{m:02d}-01,1000" for m in range(1, 13))]))
    code, out, _ = _run(capsys, "build", "--arr-history", src, "--as-of", "2027-03-01", "--out", tmp_path / "m.xlsx")
    assert code == 0 and "as of 2027-03-01 is after the newest record, 2026-12-01" in out
    _, out, _ = _run(capsys, "check", src, "--kind", "arr_history", "--as-of", "2026-12-15")
    assert "after the newest record" not in out


# --------------------------------------------------------------------------- leftovers of the accounts work


def test_load_history_names_a_period_too_large_instead_of_overflowing():
    import pandas as pd

    panel, problems = udfs.load_history(pd.DataFrame({"account_id": ["a", "a"], "period": [1, 1e19],
                                                      "expansion": [0, 1]}))
    assert panel["period"].tolist() == [1]
    assert problems[["row", "column"]].values.tolist() == [[3, "period"]]
    assert "from -1,000,000 to 1,000,000: row left out" in problems["problem"].iloc[0]


def test_extreme_arguments_are_named_errors_not_blanks_or_infinity():
    with pytest.raises(ValueError, match="seats_licensed: expected a number of seats that keeps"):
        call_udf("SEAT_UTILIZATION", 46, 5e-324)
    from udfs.core import playbook

    plays = playbook.default_plays().reset_index(drop=True)
    plays["cycle_days"] = 1e308
    table = [list(plays.columns), *plays.astype(object).where(plays.notna(), None).values.tolist()]
    with pytest.raises(ValueError, match="plays cycle_days: expected a number of days from 0 to 3,650, got 1e"):
        call_udf("PLAY_DUE_DATE", "Tier upgrade", "2026-01-05", "Enterprise", table)
    with pytest.raises(ValueError, match="spread: expected a relative spread from 0 to 10, got 1e"):
        call_udf("NRR_MONTE_CARLO", 1e7, 3, 0.05, 0.03, [0.1, 0.08, 0.05, 0.03, 0.02], None, 1e308)


def test_nullable_columns_with_a_missing_value_read_as_blank_cells():
    import pandas as pd

    panel = pd.DataFrame({"account_id": ["a", "a", "b", "b"], "period": pd.array([1, 2, 1, 2], dtype="Int64"),
                          "exec_sponsor": pd.array([True, None, False, True], dtype="boolean"),
                          "expansion": pd.array([False, None, True, False], dtype="boolean")})
    from udfs.backtest import panel as panel_mod

    assert np.isnan(panel_mod._signal("exec_sponsor", panel["exec_sponsor"])).tolist() == [False, True, False, False]
    assert panel_mod._flags("expansion", panel["expansion"]).tolist() == [False, False, True, False]
    with pytest.raises(ValueError, match="^account_id: expected"):
        panel_mod._codes("account_id", pd.Series(pd.array([1, None], dtype="Int64")))


def test_load_history_reads_its_dates_strictly_too():
    import pandas as pd

    panel, problems = udfs.load_history(pd.DataFrame({"account_id": ["a", "a", "a"],
                                                      "date": ["2025-01-15", "2025-13-01", "2025-02-03"],
                                                      "expansion": [0, 1, 0]}))
    assert panel["month"].tolist() == ["2025-01", "2025-02"]  # 2025-13-01 never becomes 2025-01-13
    assert problems[["row", "column", "value"]].values.tolist() == [[3, "date", "2025-13-01"]]


def test_queue_reads_opportunities_as_the_build_does(tmp_path, capsys):
    src = _write(tmp_path, "o.csv", _OPPS + "1,ACC-0001,Upsell,100,2026-02-10,Ana,open\n2,ACC-0002,Upsell,300,,Ana,won\n")
    code, _, err = _run(capsys, "queue", "--opportunities", src, "--as-of", "2026-12-01")
    assert code == 2 and "opportunities: row 3, close_date: a blank cell: a won or lost" in err
    assert "check --kind opportunities" in err
    src = _write(tmp_path, "o2.csv", _OPPS + "1,ACC-0001,Upsell,100,03/04/2026,Ana,open\n")
    code, out, _ = _run(capsys, "queue", "--opportunities", src, "--as-of", "2026-12-01", "--dayfirst", "--top", "3")
    assert code == 0 and "Expansion queue" in out
