"""The Retention sheet: NRR/GRR bridge, benchmarks, readiness and projection (SPEC §6).

With an ARR history (the ``ARR_history`` table), the last 12 months are measured: the
bridge cells are ``TRAILING_MEASURE`` of the table, and the monthly movements, the
trailing NRR/GRR by month, the cohorts and the expansion share by quarter follow as
tables. Without one, the bridge is derived from the book's ARR and every such number says
"assumed". Each benchmark verdict names the reference it comes from. The projection is
single-cell ``ARR_AFTER`` formulas, so its chart reads plain cells.
"""

from __future__ import annotations

import pandas as pd

import udfs
from udfs.core import playbook

from ..importer import AccountBook
from .cells import NAVY, Formats, book_arr, cached, formula_cell, nice, spill
from .records import RevenueRecords, excel_table

HIST = "ARR_history[#All]"
MEASURED = "measured"
YEARS = 5


def _verdict_formats(ws, fm: Formats, row: int) -> None:
    for label, fmt in ((playbook.IN_RANGE, fm.good), (playbook.ABOVE_RANGE, fm.good), (playbook.BELOW_RANGE, fm.bad),
                       (playbook.SHARE_TOP_QUARTILE, fm.good), (playbook.SHARE_MEDIAN, fm.good),
                       (playbook.SHARE_BELOW_MEDIAN, fm.bad), (playbook.FIX_CHURN_FIRST, fm.bad),
                       (playbook.BUILD_THE_MOTION, fm.good)):
        ws.conditional_format(row, 1, row + 6, 1, {"type": "cell", "criteria": "==", "value": f'"{label}"',
                                                   "format": fmt})


def _avg_tenure(book: AccountBook) -> float | None:
    if "tenure_months" not in book.frame:
        return None
    t = pd.to_numeric(book.frame["tenure_months"], errors="coerce")
    return float(t.mean()) if t.notna().any() else None


def write_retention(wb, ws, fm: Formats, book: AccountBook, values_only: bool,
                    rec: RevenueRecords | None = None) -> None:
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 20, 13)
    history = rec.history if rec is not None else None
    if history is not None:
        end = _measured(wb, ws, fm, book, history, values_only)
    else:
        end = _assumed(wb, ws, fm, book)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, end, 17)


def _bridge_rows(ws, fm: Formats, rows: list[tuple], first: int) -> None:
    """Label | value (input, formula or measured formula) | note, from row ``first``."""
    for i, (label, formula, value, fmt, note) in enumerate(rows):
        r = first + i
        ws.write_string(r, 0, label, fm.label)
        if formula is None:
            ws.write_number(r, 1, value, fmt)
        else:
            formula_cell(ws, r, 1, formula, value, fmt)
        if note:
            ws.write_string(r, 2, note, fm.subtitle)


def _outputs(ws, fm: Formats, book: AccountBook, v: dict, churn_note: str) -> int:
    """Rows 11-19: ending ARR, NRR, GRR, share, verdicts, readiness (B4..B9 hold the bridge)."""
    nrr = cached("NRR", v["start"], v["expansion"], v["contraction"], v["churn"])
    grr = cached("GRR", v["start"], v["contraction"], v["churn"])
    share = cached("EXPANSION_SHARE", v["expansion"], v["new_logo"]) if v["expansion"] + v["new_logo"] > 0 else None
    arr = v["arr"]
    nrr_detail = udfs.nrr_benchmark_detail(arr, nrr) if isinstance(nrr, float) else None
    share_detail = udfs.expansion_share_verdict(share, arr) if isinstance(share, float) else None
    annual_churn = v["churn"] / v["start"] if v["start"] > 0 else None
    tenure = _avg_tenure(book)
    rows = [
        ("Ending ARR of those accounts", "=B4+B5-B6-B7", v["start"] + v["expansion"] - v["contraction"] - v["churn"],
         fm.money, "starting + expansion − contraction − churn"),
        ("NRR", "=NRR(B4, B5, B6, B7)", nrr, fm.pct1, v["note"]),
        ("GRR", "=GRR(B4, B6, B7)", grr, fm.pct1, v["note"]),
        ("Expansion share of new ARR", '=IF(B5+B8>0, EXPANSION_SHARE(B5, B8), "")', share if share is not None else "",
         fm.pct1, "expansion ÷ (expansion + new-logo ARR)"),
        ("Expansion share vs ARR stage", '=IF(ISNUMBER(B14), EXPANSION_SHARE_BENCHMARK(B14, B9), "")',
         share_detail["verdict"] if share_detail else "", fm.text,
         (f"{share_detail['against']} — {share_detail['source']}" if share_detail else "")),
        ("NRR vs typical range", "=NRR_BENCHMARK(B9, B12)", nrr_detail["verdict"] if nrr_detail else "#VALUE!",
         fm.text, f"{nrr_detail['against']} — {nrr_detail['source']}" if nrr_detail else ""),
        ("Annual churn (churned ARR ÷ starting ARR)", '=IF(B4>0, B7/B4, "")',
         annual_churn if annual_churn is not None else "", fm.pct1, churn_note),
    ]
    _bridge_rows(ws, fm, rows, 10)
    # readiness (row 18) from paying customers (B19) and the book's average tenure (B20)
    ws.write_string(18, 0, "Paying customers", fm.label)
    formula_or = v.get("customers_formula")
    if formula_or:
        formula_cell(ws, 18, 1, formula_or, v["customers"], fm.int)
    else:
        ws.write_number(18, 1, v["customers"], fm.int)
    ws.write_string(18, 2, v["customers_note"], fm.subtitle)
    ws.write_string(19, 0, "Average tenure (months)", fm.label)
    if tenure is not None:
        formula_cell(ws, 19, 1, "=AVERAGE(Accounts[tenure_months])", tenure, fm.num)
        ws.write_string(19, 2, "measured: the Accounts table's tenure_months", fm.subtitle)
        readiness = (cached("EXPANSION_READINESS", v["customers"], tenure, min(1.0, annual_churn))
                     if annual_churn is not None else "")
        ws.write_string(17, 0, "Readiness for a systematic expansion motion", fm.label)
        formula_cell(ws, 17, 1, "=EXPANSION_READINESS(B19, B20, B17)", readiness, fm.text)
        ws.write_string(17, 2, f"≥ {playbook.READINESS_MIN_CUSTOMERS} customers with ≥ "
                               f"{playbook.READINESS_MIN_TENURE_MONTHS:g} months: build; annual churn ≥ "
                               f"{playbook.FIX_CHURN_AT:.0%}: fix churn first — {playbook.SOURCE_READINESS}",
                        fm.subtitle)
    else:
        ws.write_string(19, 2, "needs tenure_months in the Accounts table (no readiness verdict)", fm.subtitle)
    for k, note in enumerate(udfs.expansion_share_notes(share if isinstance(share, float) else None)):
        ws.write_string(21 + k, 0, "Note: " + note, fm.subtitle)
    _verdict_formats(ws, fm, 14)
    return 23


def _projection(wb, ws, fm: Formats, v: dict, nrr, note: str) -> None:
    """ARR by year at this NRR: one ARR_AFTER cell per year; the chart reads those cells."""
    ws.write_string(2, 8, "ARR by year at this NRR", fm.h2)
    ws.write_string(3, 8, note, fm.subtitle)
    ws.write_string(4, 8, "Year", fm.header)
    ws.write_string(4, 9, "ARR", fm.header)
    for y in range(YEARS + 1):
        r = 5 + y
        ws.write_number(r, 8, y, fm.int)
        value = cached("ARR_AFTER", v["arr"], nrr, y, v["new_logo"]) if isinstance(nrr, float) else "#VALUE!"
        formula_cell(ws, r, 9, f"=ARR_AFTER($B$9, $B$12, I{r + 1}, $B$8)", value, fm.money)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({
        "name": "ARR", "categories": ["Retention", 5, 8, 5 + YEARS, 8],
        "values": ["Retention", 5, 9, 5 + YEARS, 9],
        "line": {"color": NAVY, "width": 2.25},
        "marker": {"type": "circle", "size": 5, "fill": {"color": NAVY}, "border": {"color": NAVY}},
    })
    chart.set_title({"name": "ARR at this NRR", "name_font": {"size": 11}})
    chart.set_x_axis({"name": "Year"})
    chart.set_y_axis({"num_format": "$#,##0", "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 480, "height": 260})
    ws.insert_chart(2, 11, chart)


def _assumed(wb, ws, fm: Formats, book: AccountBook) -> int:
    base = nice(book_arr(book)) or 10_000_000.0
    arr = book_arr(book) or base
    v = {"start": base, "expansion": nice(0.20 * base), "contraction": nice(0.03 * base), "churn": nice(0.07 * base),
         "new_logo": nice(0.30 * base), "arr": arr, "note": "assumed: from the assumed bridge above",
         "customers": float(len(book.frame)), "customers_note": "measured: accounts in the Accounts table"}
    ws.write_string(0, 0, "Net revenue retention", fm.title)
    ws.write_string(1, 0, "No ARR history given: the bridge below is assumed (derived from the book's ARR). "
                          "Build with --arr-history for the measured last 12 months. Yellow cells are inputs.",
                    fm.subtitle)
    note = "assumed (no ARR history): edit it"
    rows = [
        ("Starting ARR (12 months ago)", None, v["start"], fm.in_money, note),
        ("Expansion", None, v["expansion"], fm.in_money, note),
        ("Contraction", None, v["contraction"], fm.in_money, note),
        ("Churn", None, v["churn"], fm.in_money, note),
        ("New-logo ARR (last 12 months)", None, v["new_logo"], fm.in_money, note),
        ("Company ARR now", "=SUM(Accounts[arr])" if "arr" in book.frame else None, arr, fm.money,
         "measured: the Accounts table's arr" if "arr" in book.frame else "assumed"),
    ]
    _bridge_rows(ws, fm, rows, 3)
    nrr = cached("NRR", v["start"], v["expansion"], v["contraction"], v["churn"])
    end = _outputs(ws, fm, book, v, "assumed: from the assumed churn")
    _projection(wb, ws, fm, v, nrr, "assumed: this NRR and new-logo ARR every year")
    return max(end, 30)


def _measured(wb, ws, fm: Formats, book: AccountBook, history: pd.DataFrame, values_only: bool) -> int:
    rows_h = excel_table(history)
    t = udfs.trailing_retention(history)
    v = {"start": t["starting_arr"], "expansion": t["expansion"], "contraction": t["contraction"],
         "churn": t["churn"], "new_logo": t["new_logo_arr"], "arr": t["arr"],
         "note": f"{MEASURED}: the 12 months to {t['month']}", "customers": float(t["customers"]),
         "customers_formula": f'=TRAILING_MEASURE({HIST}, "customers")',
         "customers_note": f"{MEASURED}: accounts billed in {t['month']}"}
    ws.write_string(0, 0, "Net revenue retention — measured from the ARR history", fm.title)
    ws.write_string(1, 0, f"Trailing 12 months from {t['from_month']} to {t['month']} over the accounts billed in "
                          f"{t['from_month']} (ARR_history table). Every number that is not measured says "
                          "'assumed'.", fm.subtitle)
    measured = f"{MEASURED} (TRAILING_MEASURE)"
    rows = []
    for label, key, value in (
        ("Starting ARR (12 months ago)", "starting_arr", v["start"]), ("Expansion", "expansion", v["expansion"]),
        ("Contraction", "contraction", v["contraction"]), ("Churn", "churn", v["churn"]),
        ("New-logo ARR (last 12 months)", "new_logo_arr", v["new_logo"]), ("Company ARR now", "arr", v["arr"]),
    ):
        rows.append((label, f'=TRAILING_MEASURE({HIST}, "{key}")', value, fm.money, measured))
    _bridge_rows(ws, fm, rows, 3)
    nrr = cached("NRR", v["start"], v["expansion"], v["contraction"], v["churn"])
    ws.write_string(20, 0, "Logo churn (share of those accounts at 0)", fm.label)
    formula_cell(ws, 20, 1, f'=TRAILING_MEASURE({HIST}, "logo_churn")',
                 cached("TRAILING_MEASURE", rows_h, "logo_churn"), fm.pct1)
    ws.write_string(20, 2, measured, fm.subtitle)
    _outputs(ws, fm, book, v, f"{MEASURED}: churned ARR of the last 12 months")
    _projection(wb, ws, fm, v, nrr, "assumed: the last 12 months' NRR and new-logo ARR repeat")

    # tables, values first (their formulas are listed for "Connect model")
    r = 31
    blocks = [
        ("Trailing-12-month NRR and GRR by month", f"=RETENTION_FROM_HISTORY({HIST})",
         cached("RETENTION_FROM_HISTORY", rows_h),
         [fm.text, fm.text] + [fm.money] * 5 + [fm.pct1, fm.pct1, fm.int, fm.int, fm.pct1]),
        ("NRR by acquisition cohort (months after the first bill)", f"=COHORT_NRR({HIST})",
         cached("COHORT_NRR", rows_h), [fm.text, fm.int, fm.money] + [fm.pct] * 40),
        ("Expansion share of new ARR by quarter", f"=EXPANSION_SHARE_BY_QUARTER({HIST})",
         cached("EXPANSION_SHARE_BY_QUARTER", rows_h), [fm.text, fm.money, fm.money, fm.pct1, fm.money]),
        ("ARR movements by month", f"=ARR_MOVEMENTS({HIST})", cached("ARR_MOVEMENTS", rows_h),
         [fm.text] + [fm.money] * 7 + [fm.int] * 3),
    ]
    trend = None
    for title, formula, values, fmts in blocks:
        ws.write_string(r, 0, title, fm.h2)
        if not isinstance(values, list) or not values or not isinstance(values[0], list):
            ws.write_string(r + 1, 0, "needs at least 13 months of history", fm.subtitle)
            r += 3
            continue
        height, _ = spill(ws, r + 1, 0, formula, values, fmts, fm.header, fm, values_only)
        if trend is None:
            trend = (r + 1, height)
        r += height + 2
    if trend is not None:
        top, height = trend
        chart = wb.add_chart({"type": "line"})
        for col, name, color in ((7, "NRR", NAVY), (8, "GRR", "#A6A6A6")):
            chart.add_series({"name": name, "categories": ["Retention", top + 1, 0, top + height - 1, 0],
                              "values": ["Retention", top + 1, col, top + height - 1, col],
                              "line": {"color": color, "width": 2}})
        chart.set_title({"name": "Trailing-12-month NRR and GRR", "name_font": {"size": 11}})
        chart.set_y_axis({"num_format": "0%", "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 480, "height": 240})
        ws.insert_chart(16, 11, chart)
    return r
