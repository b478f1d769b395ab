"""The Pipeline sheet: expansion pipeline by motion against the quarterly target (SPEC §5)."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from udfs import playbook

from ..importer import AccountBook
from .cells import NAVY, Formats, book_arr, cached, formula_cell, nice
from .playbook import plays_rows

TARGET_SHARES = {
    "Seat expansion": 0.30,
    "Tier upgrade": 0.30,
    "Usage expansion": 0.15,
    "Cross-department": 0.15,
    "Cross-sell": 0.10,
}


def _pipeline_amounts(queue: pd.DataFrame) -> tuple[dict[str, float], str, str, str]:
    """Pipeline per motion: expected ARR increase of ready plays, grouped by the play's motion."""
    motion_col = "play" if "play" in queue else "primary_motion"
    ready = queue["ready"].map(lambda v: v is True)
    amounts = pd.to_numeric(queue["expected_arr_increase"], errors="coerce").fillna(0.0)
    per = amounts[ready].groupby(queue.loc[ready, motion_col]).sum()
    return ({m: float(per.get(m, 0.0)) for m in playbook.MOTIONS}, motion_col,
            "ready", "expected_arr_increase")


def _coverage_cells(ws, r: int, pipeline: float, target: float, healthy: float, thin: float,
                    fmts: tuple) -> None:
    """Coverage, status and gap of one Pipeline row (pipeline in D, target in C, cut-offs B5:B6)."""
    n = r + 1  # Excel row number
    ratio, text, money = fmts
    cov = cached("PIPELINE_COVERAGE", pipeline, target)
    formula_cell(ws, r, 5, f"=PIPELINE_COVERAGE(D{n}, C{n})", cov, ratio)
    formula_cell(ws, r, 6, f"=COVERAGE_STATUS(F{n}, $B$5, $B$6)",
             cached("COVERAGE_STATUS", cov, healthy, thin) if cov != "#VALUE!" else "#VALUE!", text)
    formula_cell(ws, r, 7, f"=PIPELINE_GAP(D{n}, C{n}, $B$5)",
             cached("PIPELINE_GAP", pipeline, target, healthy), money)


def write_pipeline(wb, ws, fm: Formats, queue: pd.DataFrame, book: AccountBook) -> None:
    per, motion_col, ready_col, amount_col = _pipeline_amounts(queue)
    cols = list(queue.columns)

    def qcol(name: str) -> str:
        letter = xl_col_to_name(cols.index(name))
        return f"Scores!${letter}:${letter}"

    total_pipeline = sum(per.values())
    target = nice(total_pipeline / 2.5) or nice(0.05 * book_arr(book)) or 100_000.0
    healthy, thin = playbook.COVERAGE_HEALTHY, playbook.COVERAGE_THIN

    ws.set_column(0, 0, 30)
    ws.set_column(1, 7, 15)
    ws.write_string(0, 0, "Expansion pipeline vs quarterly target", fm.title)
    ws.write_string(
        1, 0,
        "Pipeline = expected ARR increase of ready plays on Scores, by the play's motion. "
        "Yellow cells are inputs.",
        fm.subtitle,
    )
    ws.write_string(3, 0, "Quarterly expansion target", fm.label)
    ws.write_number(3, 1, target, fm.in_money)
    ws.write_string(4, 0, "Healthy coverage (x)", fm.label)
    ws.write_number(4, 1, healthy, fm.in_num)
    ws.write_string(5, 0, "Thin coverage (x)", fm.label)
    ws.write_number(5, 1, thin, fm.in_num)
    wb.define_name("Quarterly_target", "=Pipeline!$B$4")

    hr = 7
    headers = ["Motion", "Target share", "Target", "Pipeline", "Weighted pipeline",
               "Coverage", "Status", "Gap to healthy"]
    for j, h in enumerate(headers):
        ws.write_string(hr, j, h, fm.header)
    ws.set_row(hr, 30)
    plays = plays_rows()
    first = hr + 1
    for i, motion in enumerate(playbook.MOTIONS):
        r = first + i
        n = r + 1  # Excel row number
        share = TARGET_SHARES[motion]
        tgt = target * share
        pipe = per[motion]
        ws.write_string(r, 0, motion, fm.text)
        ws.write_number(r, 1, share, fm.in_pct)
        formula_cell(ws, r, 2, f"=$B$4*B{n}", tgt, fm.money)
        formula_cell(ws, r, 3,
                 f'=SUMIFS({qcol(amount_col)},{qcol(motion_col)},$A{n},{qcol(ready_col)},TRUE)',
                 pipe, fm.money)
        formula_cell(ws, r, 4, f"=WEIGHTED_PIPELINE(D{n}, A{n}, Plays[#All])",
                 cached("WEIGHTED_PIPELINE", pipe, motion, plays), fm.money)
        _coverage_cells(ws, r, pipe, tgt, healthy, thin, (fm.ratio, fm.text, fm.money))
    last = first + len(playbook.MOTIONS) - 1
    t = last + 1
    a, b = first + 1, last + 1
    share_sum = sum(TARGET_SHARES.values())
    tgt_total = sum(target * s for s in TARGET_SHARES.values())
    ws.write_string(t, 0, "Total", fm.total_label)
    formula_cell(ws, t, 1, f"=SUM(B{a}:B{b})", share_sum, fm.total_pct)
    formula_cell(ws, t, 2, f"=SUM(C{a}:C{b})", tgt_total, fm.total_money)
    formula_cell(ws, t, 3, f"=SUM(D{a}:D{b})", total_pipeline, fm.total_money)
    amounts = [[per[m]] for m in playbook.MOTIONS]
    motions = [[m] for m in playbook.MOTIONS]
    formula_cell(ws, t, 4, f"=WEIGHTED_PIPELINE(D{a}:D{b}, A{a}:A{b}, Plays[#All])",
             cached("WEIGHTED_PIPELINE", amounts, motions, plays), fm.total_money)
    _coverage_cells(ws, t, total_pipeline, tgt_total, healthy, thin,
                    (fm.total_ratio, fm.total_text, fm.total_money))
    for label, fmt in ((playbook.HEALTHY, fm.good), (playbook.THIN, fm.warn),
                       (playbook.UNDERCOVERED, fm.bad)):
        ws.conditional_format(first, 6, t, 6, {"type": "cell", "criteria": "==",
                                               "value": f'"{label}"', "format": fmt})

    chart = wb.add_chart({"type": "bar"})
    for col, color in ((2, "#A6A6A6"), (3, NAVY)):
        chart.add_series({
            "name": ["Pipeline", hr, col],
            "categories": ["Pipeline", first, 0, last, 0],
            "values": ["Pipeline", first, col, last, col],
            "fill": {"color": color},
        })
    chart.set_title({"name": "Pipeline vs target by motion", "name_font": {"size": 11}})
    chart.set_x_axis({"num_format": "$#,##0", "major_gridlines": {"visible": True,
                      "line": {"color": "#E0E0E0"}}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 300})
    ws.insert_chart(t + 2, 0, chart)
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
