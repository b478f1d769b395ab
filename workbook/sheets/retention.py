"""The Retention sheet: NRR/GRR bridge, benchmarks, readiness and projection (SPEC §6).

With an ARR history (the ``ARR_history`` table), the last 12 months are measured: the
bridge cells are ``TRAILING_MEASURE`` of the table and close to company ARR to the cent
(what the accounts billed 12 months ago became, then new logos at their first bill, their
change since, reactivations), and the monthly movements, the trailing NRR/GRR by month,
the cohorts and each quarter's bridge follow as tables. Without one, the bridge is
derived from the book's ARR, every such number says "assumed", and what it leaves of the
Accounts table's ARR is shown. Each benchmark verdict names the reference it comes from.
The projection is single-cell ``ARR_AFTER`` formulas, so its chart reads plain cells.
"""

from __future__ import annotations

import pandas as pd

import udfs
from udfs.core import playbook

from ..importer import AccountBook
from .cells import NAVY, Formats, book_arr, cached, formula_cell, nice, spill
from .records import RevenueRecords, excel_table, no_base_text

HIST = "ARR_history[#All]"
MEASURED = "measured"
YEARS = 5
# Excel rows of the bridge and what follows it (column B holds the figures)
START, EXPANSION, CONTRACTION, CHURN, ENDING, NEW_LOGO, NEW_CHANGE, REACTIVATION, ARR, LEFT = range(4, 14)
NRR_ROW, GRR_ROW, SHARE, SHARE_VS, NRR_VS, ANNUAL_CHURN, READINESS, CUSTOMERS, TENURE, LOGO_CHURN = range(14, 24)
NOTES = 24
TABLES = 32  # the first table's title row (Excel)


def _verdict_formats(ws, fm: Formats) -> None:
    for label, fmt in ((playbook.IN_RANGE, fm.good), (playbook.ABOVE_RANGE, fm.good), (playbook.BELOW_RANGE, fm.bad),
                       (playbook.SHARE_TOP_QUARTILE, fm.good), (playbook.SHARE_MEDIAN, fm.good),
                       (playbook.SHARE_BELOW_MEDIAN, fm.bad), (playbook.FIX_CHURN_FIRST, fm.bad),
                       (playbook.BUILD_THE_MOTION, fm.good)):
        ws.conditional_format(SHARE_VS - 1, 1, READINESS - 1, 1, {"type": "cell", "criteria": "==",
                                                                  "value": f'"{label}"', "format": fmt})


def _avg_tenure(book: AccountBook) -> float | None:
    if "tenure_months" not in book.frame:
        return None
    t = pd.to_numeric(book.frame["tenure_months"], errors="coerce")
    return float(t.mean()) if t.notna().any() else None


def write_retention(wb, ws, fm: Formats, book: AccountBook, values_only: bool,
                    rec: RevenueRecords | None = None) -> None:
    ws.set_column(0, 0, 44)
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
    """Label | value (input, formula or measured formula) | note, from Excel row ``first``."""
    for i, (label, formula, value, fmt, note) in enumerate(rows):
        r = first - 1 + i
        ws.write_string(r, 0, label, fm.label)
        if formula is None:
            ws.write_number(r, 1, value, fmt)
        else:
            formula_cell(ws, r, 1, formula, value, fmt)
        if note:
            ws.write_string(r, 2, note, fm.subtitle)


def _closing(ws, fm: Formats, v: dict, left_note: str) -> None:
    """Ending ARR of the accounts of 12 months ago, and what the bridge leaves of company ARR."""
    ending = v["start"] + v["expansion"] - v["contraction"] - v["churn"]
    _bridge_rows(ws, fm, [
        ("= Ending ARR of those accounts", f"=B{START}+B{EXPANSION}-B{CONTRACTION}-B{CHURN}", ending, fm.money,
         "starting + expansion − contraction − churn"),
    ], ENDING)
    left = v["arr"] - (ending + v["new_logo"] + v["new_change"] + v["reactivation"])
    _bridge_rows(ws, fm, [
        ("Company ARR not explained by the bridge", f"=B{ARR}-(B{ENDING}+B{NEW_LOGO}+B{NEW_CHANGE}+B{REACTIVATION})",
         left, fm.money2, left_note),
    ], LEFT)


def _outputs(ws, fm: Formats, book: AccountBook, v: dict, churn_note: str) -> int:
    """NRR, GRR, share, verdicts, readiness, customers, tenure (rows NRR_ROW..TENURE)."""
    nrr = cached("NRR", v["start"], v["expansion"], v["contraction"], v["churn"])
    grr = cached("GRR", v["start"], v["contraction"], v["churn"])
    share = cached("EXPANSION_SHARE", v["expansion"], v["new_logo"]) if v["expansion"] + v["new_logo"] > 0 else None
    arr = v["arr"]
    nrr_detail = udfs.nrr_benchmark_detail(arr, nrr) if isinstance(nrr, float) else None
    share_detail = udfs.expansion_share_verdict(share, arr) if isinstance(share, float) else None
    annual_churn = v["churn"] / v["start"] if v["start"] > 0 else None
    tenure = _avg_tenure(book)
    B = "B{}".format  # noqa: N806 - a cell of column B
    no_base = v.get("no_base")
    if no_base:  # nothing billed 12 months ago: the cells say why, never a bare error
        nrr = grr = no_base
    rows = [
        ("NRR", _based(f"NRR({B(START)}, {B(EXPANSION)}, {B(CONTRACTION)}, {B(CHURN)})", no_base), nrr, fm.pct1,
         v["note"]),
        ("GRR", _based(f"GRR({B(START)}, {B(CONTRACTION)}, {B(CHURN)})", no_base), grr, fm.pct1, v["note"]),
        ("Expansion share of new ARR", f'=IF({B(EXPANSION)}+{B(NEW_LOGO)}>0, '
         f'EXPANSION_SHARE({B(EXPANSION)}, {B(NEW_LOGO)}), "")', share if share is not None else "", fm.pct1,
         "expansion ÷ (expansion + new-logo ARR), both point to point over the 12 months"),
        ("Expansion share vs ARR stage", f'=IF(ISNUMBER({B(SHARE)}), EXPANSION_SHARE_BENCHMARK({B(SHARE)}, '
         f'{B(ARR)}), "")', share_detail["verdict"] if share_detail else "", fm.text,
         (f"{share_detail['against']} — {share_detail['source']}" if share_detail else "")),
        ("NRR vs typical range", _based(f"NRR_BENCHMARK({B(ARR)}, {B(NRR_ROW)})", no_base),
         nrr_detail["verdict"] if nrr_detail else no_base or "#VALUE!", fm.text,
         f"{nrr_detail['against']} — {nrr_detail['source']}" if nrr_detail else ""),
        ("Annual churn (churned ARR ÷ starting ARR)", f'=IF({B(START)}>0, {B(CHURN)}/{B(START)}, "")',
         annual_churn if annual_churn is not None else "", fm.pct1, churn_note),
    ]
    _bridge_rows(ws, fm, rows, NRR_ROW)
    # readiness from paying customers and the book's average tenure
    ws.write_string(CUSTOMERS - 1, 0, "Paying customers", fm.label)
    formula_or = v.get("customers_formula")
    if formula_or:
        formula_cell(ws, CUSTOMERS - 1, 1, formula_or, v["customers"], fm.int)
    else:
        ws.write_number(CUSTOMERS - 1, 1, v["customers"], fm.int)
    ws.write_string(CUSTOMERS - 1, 2, v["customers_note"], fm.subtitle)
    ws.write_string(TENURE - 1, 0, "Average tenure (months)", fm.label)
    if tenure is not None:
        formula_cell(ws, TENURE - 1, 1, "=AVERAGE(Accounts[tenure_months])", tenure, fm.num)
        ws.write_string(TENURE - 1, 2, "measured: the Accounts table's tenure_months", fm.subtitle)
        readiness = (cached("EXPANSION_READINESS", v["customers"], tenure, min(1.0, annual_churn))
                     if annual_churn is not None else "")
        ws.write_string(READINESS - 1, 0, "Readiness for a systematic expansion motion", fm.label)
        formula_cell(ws, READINESS - 1, 1, f"=EXPANSION_READINESS({B(CUSTOMERS)}, {B(TENURE)}, {B(ANNUAL_CHURN)})",
                     readiness, fm.text)
        ws.write_string(READINESS - 1, 2, f"≥ {playbook.READINESS_MIN_CUSTOMERS} customers with ≥ "
                                          f"{playbook.READINESS_MIN_TENURE_MONTHS:g} months: build; annual churn ≥ "
                                          f"{playbook.FIX_CHURN_AT:.0%}: fix churn first — {playbook.SOURCE_READINESS}",
                        fm.subtitle)
    else:
        ws.write_string(TENURE - 1, 2, "needs tenure_months in the Accounts table (no readiness verdict)", fm.subtitle)
    for k, note in enumerate(udfs.expansion_share_notes(share if isinstance(share, float) else None)):
        ws.write_string(NOTES - 1 + k, 0, "Note: " + note, fm.subtitle)
    _verdict_formats(ws, fm)
    return NOTES + 1


def _based(formula: str, no_base: str | None) -> str:
    """``formula`` as a cell's formula; with no starting ARR, one that says so instead of an error."""
    if not no_base:
        return "=" + formula
    return f'=IF($B${START}>0, {formula}, "{no_base}")'


def _projection(wb, ws, fm: Formats, v: dict, nrr, note: str) -> None:
    """ARR by year at this NRR: one ARR_AFTER cell per year; the chart reads those cells."""
    ws.write_string(2, 8, "ARR by year at this NRR", fm.h2)
    no_base = v.get("no_base")
    ws.write_string(3, 8, no_base or note, fm.subtitle)
    ws.write_string(4, 8, "Year", fm.header)
    ws.write_string(4, 9, "ARR", fm.header)
    for y in range(YEARS + 1):
        r = 5 + y
        value = (no_base if no_base else cached("ARR_AFTER", v["arr"], nrr, y, v["new_logo"])
                 if isinstance(nrr, float) else "#VALUE!")
        ws.write_number(r, 8, y, fm.int)
        formula_cell(ws, r, 9, _based(f"ARR_AFTER($B${ARR}, $B${NRR_ROW}, I{r + 1}, $B${NEW_LOGO})", no_base),
                     value, fm.money)
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
         "new_logo": nice(0.30 * base), "new_change": 0.0, "reactivation": 0.0, "arr": arr,
         "note": "assumed: from the assumed bridge above",
         "customers": float(len(book.frame)), "customers_note": "measured: accounts in the Accounts table"}
    ws.write_string(0, 0, "Net revenue retention", fm.title)
    ws.write_string(1, 0, "No ARR history given: the bridge below is assumed (derived from the book's ARR). "
                          "Build with --arr-history for the measured last 12 months. Yellow cells are inputs.",
                    fm.subtitle)
    note = "assumed (no ARR history): edit it"
    _bridge_rows(ws, fm, [
        ("Starting ARR (12 months ago)", None, v["start"], fm.in_money, note),
        ("+ Expansion", None, v["expansion"], fm.in_money, note),
        ("− Contraction", None, v["contraction"], fm.in_money, note),
        ("− Churn", None, v["churn"], fm.in_money, note),
    ], START)
    _bridge_rows(ws, fm, [
        ("+ New-logo ARR (last 12 months)", None, v["new_logo"], fm.in_money, note),
        ("+ New logos' change since their first bill", None, 0.0, fm.in_money, note),
        ("+ Reactivated accounts", None, 0.0, fm.in_money, note),
        ("= Company ARR now", "=SUM(Accounts[arr])" if "arr" in book.frame else None, arr, fm.money,
         "measured: the Accounts table's arr" if "arr" in book.frame else "assumed"),
    ], NEW_LOGO)
    _closing(ws, fm, v, "what the assumed bridge leaves of the Accounts table's ARR")
    nrr = cached("NRR", v["start"], v["expansion"], v["contraction"], v["churn"])
    end = _outputs(ws, fm, book, v, "assumed: from the assumed churn")
    _projection(wb, ws, fm, v, nrr, "assumed: this NRR and new-logo ARR every year")
    return max(end, 30)


def _measured(wb, ws, fm: Formats, book: AccountBook, history: pd.DataFrame, values_only: bool) -> int:
    rows_h = excel_table(history)
    t = udfs.trailing_retention(history)
    v = {"start": t["starting_arr"], "expansion": t["expansion"], "contraction": t["contraction"],
         "churn": t["churn"], "new_logo": t["new_logo_arr"], "new_change": t["new_logo_change"],
         "reactivation": t["reactivation"], "arr": t["arr"],
         "note": f"{MEASURED}: the 12 months to {t['month']}", "customers": float(t["customers"]),
         "customers_formula": f'=TRAILING_MEASURE({HIST}, "customers")',
         "customers_note": f"{MEASURED}: accounts billed in {t['month']}",
         "no_base": no_base_text(t["month"]) if t["starting_arr"] <= 0 else None}
    ws.write_string(0, 0, "Net revenue retention — measured from the ARR history", fm.title)
    ws.write_string(1, 0, f"The 12 months from {t['from_month']} to {t['month']} (the history's last month), point "
                          f"to point: what the accounts billed in {t['from_month']} became, then what makes up the "
                          "rest of company ARR (ARR_history table). Every number that is not measured says "
                          "'assumed'.", fm.subtitle)
    measured = f"{MEASURED} (TRAILING_MEASURE)"
    what = {
        "starting_arr": ("Starting ARR (12 months ago)", f"{MEASURED}: the {int(t['accounts']):,} accounts billed "
                                                         f"in {t['from_month']}"),
        "expansion": ("+ Expansion", f"{MEASURED}: Σ growth of those accounts, {t['from_month']} to {t['month']}"),
        "contraction": ("− Contraction", f"{MEASURED}: Σ decrease of those still billed in {t['month']}"),
        "churn": ("− Churn", f"{MEASURED}: their ARR of {t['from_month']}, for the {int(t['churned_logos']):,} at 0 "
                             f"in {t['month']}"),
        "new_logo_arr": ("+ New-logo ARR (first bills, last 12 months)", f"{MEASURED}: accounts first billed after "
                                                                         f"{t['from_month']}, at their first bill"),
        "new_logo_change": ("+ New logos' change since their first bill",
                            f"{MEASURED}: their ARR in {t['month']} less their first bill (growth, contraction, "
                            "churn)"),
        "reactivation": ("+ Reactivated accounts", f"{MEASURED}: billed before {t['from_month']}, at 0 then, billed "
                                                   f"in {t['month']}"),
        "arr": ("= Company ARR now", f"{MEASURED}: Σ ARR billed in {t['month']}"),
    }
    rows = [(what[k][0], f'=TRAILING_MEASURE({HIST}, "{k}")', t[k], fm.money, what[k][1])
            for k in ("starting_arr", "expansion", "contraction", "churn")]
    _bridge_rows(ws, fm, rows, START)
    rows = [(what[k][0], f'=TRAILING_MEASURE({HIST}, "{k}")', t[k], fm.money, what[k][1])
            for k in ("new_logo_arr", "new_logo_change", "reactivation", "arr")]
    _bridge_rows(ws, fm, rows, NEW_LOGO)
    _closing(ws, fm, v, "the bridge closes to the cent: 0 is nothing unexplained")
    nrr = cached("NRR", v["start"], v["expansion"], v["contraction"], v["churn"])
    ws.write_string(LOGO_CHURN - 1, 0, "Logo churn (share of those accounts at 0)", fm.label)
    formula_cell(ws, LOGO_CHURN - 1, 1, f'=TRAILING_MEASURE({HIST}, "logo_churn")',
                 cached("TRAILING_MEASURE", rows_h, "logo_churn"), fm.pct1)
    ws.write_string(LOGO_CHURN - 1, 2, measured, fm.subtitle)
    _outputs(ws, fm, book, v, f"{MEASURED}: churned ARR of the last 12 months")
    _projection(wb, ws, fm, v, nrr, "assumed: the last 12 months' NRR and new-logo ARR repeat")

    # tables, values first (their formulas are listed for "Connect model")
    r = TABLES - 1
    blocks = [
        ("Trailing-12-month NRR and GRR by month", None, f"=RETENTION_FROM_HISTORY({HIST})",
         cached("RETENTION_FROM_HISTORY", rows_h),
         [fm.text, fm.text] + [fm.money] * 5 + [fm.pct1, fm.pct1, fm.int, fm.int, fm.pct1] + [fm.money] * 4),
        ("NRR by acquisition cohort (months after the first bill)", None, f"=COHORT_NRR({HIST})",
         cached("COHORT_NRR", rows_h), [fm.text, fm.text, fm.int, fm.money] + [fm.pct] * 40),
        ("Expansion share of new ARR by quarter (point to point, as the bridge above)",
         "Each quarter from the month before it to its last month, the same bridge as the 12 months above; a "
         "quarter the history covers in part says 'partial'. Four quarters add up to more expansion than the 12 "
         "months when an account grew in one quarter and shrank in another.",
         f"=EXPANSION_SHARE_BY_QUARTER({HIST})", cached("EXPANSION_SHARE_BY_QUARTER", rows_h),
         [fm.text, fm.text, fm.text, fm.text] + [fm.money] * 8 + [fm.pct1]),
        ("ARR movements by month (month over month)",
         "Month-over-month movements: over 12 months they add up to more expansion (and contraction) than the "
         "point-to-point bridge above, since an account that grows then shrinks counts both moves.",
         f"=ARR_MOVEMENTS({HIST})", cached("ARR_MOVEMENTS", rows_h), [fm.text] + [fm.money] * 7 + [fm.int] * 3),
    ]
    trend = None
    for title, note, formula, values, fmts in blocks:
        ws.write_string(r, 0, title, fm.h2)
        if note:
            r += 1
            ws.write_string(r, 0, note, fm.subtitle)
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
