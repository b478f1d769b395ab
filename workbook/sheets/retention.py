"""The Retention sheet: the NRR bridge, benchmarks and projection (SPEC §6)."""

from __future__ import annotations

from udfs import playbook

from ..importer import AccountBook
from .cells import NAVY, Formats, book_arr, cached, formula_cell, nice, spill


def write_retention(wb, ws, fm: Formats, book: AccountBook, values_only: bool) -> None:
    start = nice(book_arr(book)) or 10_000_000.0
    expansion, contraction, churn = nice(0.20 * start), nice(0.03 * start), nice(0.07 * start)
    new_logo = nice(0.30 * start)
    years = 5
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 15)
    ws.set_column(2, 2, 4)
    ws.set_column(3, 4, 14)
    ws.write_string(0, 0, "Net revenue retention", fm.title)
    ws.write_string(1, 0, "Last 12 months' NRR bridge (yellow cells are inputs; defaults derived "
                          "from the book's ARR).", fm.subtitle)
    inputs = [
        ("Starting ARR (12 months ago)", start),
        ("Expansion", expansion),
        ("Contraction", contraction),
        ("Churn", churn),
        ("New-logo ARR (per year)", new_logo),
    ]
    for i, (label, v) in enumerate(inputs):
        ws.write_string(3 + i, 0, label, fm.label)
        ws.write_number(3 + i, 1, v, fm.in_money)
    # rows (1-based): B4 start, B5 expansion, B6 contraction, B7 churn, B8 new logo
    ending = start + expansion - contraction - churn
    nrr = cached("NRR", start, expansion, contraction, churn)
    grr = cached("GRR", start, contraction, churn)
    share = cached("EXPANSION_SHARE", expansion, new_logo)
    bench = cached("NRR_BENCHMARK", start, nrr) if nrr != "#VALUE!" else "#VALUE!"
    outputs = [
        ("Ending ARR", "=B4+B5-B6-B7", ending, fm.money),
        ("NRR", "=NRR(B4, B5, B6, B7)", nrr, fm.pct1),
        ("GRR", "=GRR(B4, B6, B7)", grr, fm.pct1),
        ("Expansion share of new ARR", "=EXPANSION_SHARE(B5, B8)", share, fm.pct1),
        ("NRR vs typical range for the ARR stage", "=NRR_BENCHMARK(B4, B11)", bench, fm.text),
    ]
    r = 9
    for i, (label, formula, value, fmt) in enumerate(outputs):
        ws.write_string(r + i, 0, label, fm.label)
        formula_cell(ws, r + i, 1, formula, value, fmt)
    # B10 ending, B11 NRR, B12 GRR, B13 share, B14 benchmark
    ws.write_string(15, 0, "Years to project", fm.label)
    ws.write_number(15, 1, years, fm.in_int)
    ws.write_string(3, 3, "ARR by year at this NRR (new-logo ARR from B8 joins each year)", fm.h2)
    projection = (
        cached("NRR_PROJECTION", start, nrr, years, new_logo) if nrr != "#VALUE!" else [["#VALUE!"]]
    )
    if not isinstance(projection, list):
        projection = [[projection]]
    pr, pc = 4, 3
    height, _ = spill(ws, pr, pc, "=NRR_PROJECTION(B4, B11, B16, B8)", projection,
                       [fm.int, fm.money], fm.header, fm, values_only)
    for label, fmt in ((playbook.IN_RANGE, fm.good), (playbook.ABOVE_RANGE, fm.good),
                       (playbook.BELOW_RANGE, fm.bad)):
        ws.conditional_format(13, 1, 13, 1, {"type": "cell", "criteria": "==",
                                             "value": f'"{label}"', "format": fmt})
    if height > 1:
        chart = wb.add_chart({"type": "line"})
        chart.add_series({
            "name": "ARR",
            "categories": ["Retention", pr + 1, pc, pr + height - 1, pc],
            "values": ["Retention", pr + 1, pc + 1, pr + height - 1, pc + 1],
            "line": {"color": NAVY, "width": 2.25},
            "marker": {"type": "circle", "size": 5, "fill": {"color": NAVY},
                       "border": {"color": NAVY}},
        })
        chart.set_title({"name": "ARR at this NRR", "name_font": {"size": 11}})
        chart.set_x_axis({"name": "Year"})
        chart.set_y_axis({"num_format": "$#,##0", "major_gridlines": {
            "visible": True, "line": {"color": "#E0E0E0"}}})
        chart.set_legend({"none": True})
        chart.set_size({"width": 520, "height": 300})
        ws.insert_chart(17, 0, chart)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
