"""The Pipeline sheet: expansion coverage per motion for a quarter (SPEC §5).

With an Opportunities table: pipeline, weighted pipeline and win rates come from it
(single-cell functions on ``Opportunities[#All]``), each motion's required coverage is
1 / its win rate, and the table of every quarter × motion × owner follows. Without one,
the pipeline is the expected ARR increase of the ready plays on Scores, marked assumed.
Targets are the user's (the Targets table or one total); a blank target cell says
"enter the quarter's expansion target" — never an invented one.
"""

from __future__ import annotations

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

import udfs
from udfs.core import _records, playbook
from udfs.revenue.opportunities import parse_targets

from ..importer import AccountBook
from .cells import NAVY, Formats, cached, formula_cell, spill
from .playbook import plays_rows
from .records import RevenueRecords, excel_table

ENTER_TARGET = "enter the quarter's expansion target"
HEADERS = ["Motion", "Target", "Pipeline", "Weighted pipeline", "Win rate", "Win rate basis",
           "Required coverage", "Coverage", "Status", "Gap to required"]
FIRST = 9  # 0-based row of the first motion (Excel row 10); header on row 9
OPPS = "Opportunities[#All]"


def _quarter_targets(rec: RevenueRecords, quarter: int) -> tuple[dict[str, float], float | None, bool]:
    """Targets of ``quarter``: per motion (explicit, else Σ its owners'), the total, and
    whether the total was given explicitly."""
    per: dict[str, float] = {}
    total = None
    explicit = False
    if rec.targets is not None and len(rec.targets):
        goal = parse_targets(rec.targets, quarter)
        for (q, motion, owner), v in goal.items():
            if q != quarter:
                continue
            if not motion:
                total, explicit = v, True
            elif not owner:
                per[motion] = v
            elif (q, motion, "") not in goal:  # a motion's target: its owners' targets
                per[motion] = per.get(motion, 0.0) + v
    if rec.total_target is not None:
        total, explicit = rec.total_target, True
    if total is None and per:
        total = sum(per.values())
    return per, total, explicit


def _inputs(ws, fm: Formats, quarter_label: str, rec: RevenueRecords | None) -> None:
    ws.write_string(3, 0, "Quarter", fm.label)
    ws.write_string(3, 1, quarter_label, fm.in_text)
    ws.write_string(4, 0, "As of (win rates: the 4 closed quarters before)", fm.label)
    if rec is not None:
        ws.write_datetime(4, 1, pd.Timestamp(rec.as_of).to_pydatetime(), fm.in_date)
    ws.write_string(5, 0, "Required coverage with no motion split (x)", fm.label)
    ws.write_number(5, 1, playbook.COVERAGE_HEALTHY, fm.in_num)
    ws.write_string(6, 0, "Thin coverage with no motion split (x)", fm.label)
    ws.write_number(6, 1, playbook.COVERAGE_THIN, fm.in_num)
    ws.write_string(5, 3, "A motion is Healthy at its required coverage (1 / win rate) and Thin at "
                          "B7/B6 of it.", fm.subtitle)


def _coverage_cells(ws, fm: Formats, r: int, row: dict, total: bool) -> None:
    """Target (input), required coverage, coverage, status and gap of one row."""
    n = r + 1
    money, ratio, text = ((fm.total_money, fm.total_ratio, fm.total_text) if total
                          else (fm.money, fm.ratio, fm.text))
    target, required, pipeline = row["target"], row["required"], row["pipeline"]
    has_target = target is not None and target > 0
    has_required = required is not None and required > 0
    cov = cached("PIPELINE_COVERAGE", pipeline, target) if has_target else ""
    formula_cell(ws, r, 7, f'=IF(N(B{n})>0, PIPELINE_COVERAGE(C{n}, B{n}), "")', cov, ratio)
    if has_target and has_required:
        status = cached("COVERAGE_STATUS", cov, required, required * playbook.COVERAGE_THIN / playbook.COVERAGE_HEALTHY)
    elif has_target:
        status = playbook.UNDERCOVERED  # a measured win rate of 0: no coverage is enough
    else:
        status = ENTER_TARGET if total else ""
    no_target = f'"{ENTER_TARGET}"' if total else '""'
    formula_cell(ws, r, 8, f'=IF(N(B{n})>0, IF(N(G{n})>0, COVERAGE_STATUS(H{n}, G{n}, G{n}*$B$7/$B$6), '
                          f'"{playbook.UNDERCOVERED}"), {no_target})', status, text)
    gap = cached("PIPELINE_GAP", pipeline, target, required) if has_target and has_required else ""
    formula_cell(ws, r, 9, f'=IF(AND(N(B{n})>0, N(G{n})>0), PIPELINE_GAP(C{n}, B{n}, G{n}), "")', gap, money)


def _target_cell(ws, fm: Formats, r: int, target: float | None, formula: str | None = None,
                 value: float | None = None) -> None:
    if formula:
        formula_cell(ws, r, 1, formula, value if value is not None else "", fm.total_money)
    elif target:
        ws.write_number(r, 1, target, fm.in_money)
    else:
        ws.write_blank(r, 1, None, fm.in_money)


def _total_required(rows: list[dict]) -> float:
    with_target = [(r["target"], r["required"]) for r in rows if r["target"] and r["required"]]
    if not with_target:
        return playbook.COVERAGE_HEALTHY
    return sum(t * q for t, q in with_target) / sum(t for t, _ in with_target)


def _chart(wb, ws, t: int, anchor_row: int) -> None:
    chart = wb.add_chart({"type": "bar"})
    for col, color in ((1, "#A6A6A6"), (2, NAVY)):
        chart.add_series({
            "name": ["Pipeline", FIRST - 1, col],
            "categories": ["Pipeline", FIRST, 0, t - 1, 0],
            "values": ["Pipeline", FIRST, col, t - 1, col],
            "fill": {"color": color},
        })
    chart.set_title({"name": "Pipeline vs target by motion", "name_font": {"size": 11}})
    chart.set_x_axis({"num_format": "$#,##0", "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 280})
    ws.insert_chart(anchor_row, 0, chart)


def write_pipeline(wb, ws, fm: Formats, queue: pd.DataFrame, book: AccountBook,
                   rec: RevenueRecords | None = None, values_only: bool = False) -> None:
    ws.set_column(0, 0, 44)
    ws.set_column(1, 9, 14)
    ws.set_column(5, 5, 12)
    ws.set_column(8, 8, 33)
    if rec is not None and rec.opportunities is not None:
        _from_opportunities(wb, ws, fm, rec, values_only)
    else:
        _from_ready_plays(wb, ws, fm, queue, rec)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _from_opportunities(wb, ws, fm: Formats, rec: RevenueRecords, values_only: bool) -> None:
    opps = excel_table(rec.opportunities)
    plays = plays_rows()
    as_of = pd.Timestamp(rec.as_of).to_pydatetime()
    q0 = int(_records.quarter_of_month(_records.months_of(pd.DatetimeIndex([as_of]).to_numpy()))[0])
    quarter = _records.quarter_label([q0])[0]
    per_target, total_target, explicit = _quarter_targets(rec, q0)

    ws.write_string(0, 0, "Expansion pipeline coverage", fm.title)
    ws.write_string(1, 0, "From the Opportunities table: open opportunities closing in the quarter, win rates "
                          "from the deals won and lost in the 4 closed quarters before the as-of date "
                          "('assumed' = the Plays close rate, where a motion closed none). "
                          "Yellow cells are your inputs; targets are yours.", fm.subtitle)
    _inputs(ws, fm, quarter, rec)
    rows = []
    for motion in playbook.MOTIONS:
        n = FIRST + len(rows) + 1
        pipe = cached("OPPORTUNITY_PIPELINE", opps, quarter, motion)
        weighted = cached("OPPORTUNITY_PIPELINE", opps, quarter, motion, None, True, as_of, plays)
        rate = cached("WIN_RATE", opps, motion, as_of, plays)
        basis = cached("WIN_RATE_BASIS", opps, motion, as_of)
        rows.append({
            "motion": motion, "target": per_target.get(motion),
            "pipeline": pipe, "pipeline_f": (f"=OPPORTUNITY_PIPELINE({OPPS}, $B$4, A{n})", pipe),
            "weighted": (f"=OPPORTUNITY_PIPELINE({OPPS}, $B$4, A{n}, , TRUE, $B$5, Plays[#All])", weighted),
            "win_rate": (f"=WIN_RATE({OPPS}, A{n}, $B$5, Plays[#All])", rate),
            "basis": (f"=WIN_RATE_BASIS({OPPS}, A{n}, $B$5)", basis),
            "required": 1.0 / rate if isinstance(rate, float) and rate > 0 else None,
        })
    t = _write_rows(ws, fm, rows, total_target, explicit)
    _chart(wb, ws, t, t + 2)

    # every quarter x motion x owner (values first; the formula is listed for "Connect model")
    r0 = t + 18
    ws.write_string(r0, 0, "Every quarter, motion and owner", fm.h2)
    targets_arg = "Targets[#All]" if rec.targets is not None else ("$B$" + str(t + 1) if explicit else "")
    targets_value = (excel_table(rec.targets) if rec.targets is not None
                     else (rec.total_target if explicit else None))
    table = cached("PIPELINE_FROM_OPPORTUNITIES", opps, targets_value, as_of, plays, "owner")
    formula = f'=PIPELINE_FROM_OPPORTUNITIES({OPPS}, {targets_arg}, $B$5, Plays[#All], "owner")'
    fmts = [fm.text, fm.text, fm.text, fm.money, fm.money, fm.pct1, fm.text, fm.ratio, fm.money, fm.ratio,
            fm.text, fm.money]
    height, _ = spill(ws, r0 + 1, 0, formula, table, fmts, fm.header, fm, values_only)
    r1 = r0 + height + 2
    ws.write_string(r1, 0, "Win rates by motion", fm.h2)
    rates = cached("WIN_RATES", opps, as_of, plays)
    h2, _ = spill(ws, r1 + 1, 0, f"=WIN_RATES({OPPS}, $B$5, Plays[#All])", rates,
                  [fm.text, fm.money, fm.money, fm.pct1, fm.text, fm.ratio, fm.text], fm.header, fm, values_only)
    r2 = r1 + h2 + 2
    ws.write_string(r2, 0, "Left out of expansion coverage (other opportunity types)", fm.h2)
    other = cached("OTHER_OPPORTUNITIES", opps)
    if isinstance(other, list) and len(other) > 1:
        spill(ws, r2 + 1, 0, f"=OTHER_OPPORTUNITIES({OPPS})", other, [fm.text, fm.text, fm.int, fm.money],
              fm.header, fm, values_only)
    else:
        ws.write_string(r2 + 1, 0, "none: every opportunity maps to a motion", fm.text)


def _write_rows(ws, fm: Formats, rows: list[dict], total_target: float | None, explicit: bool) -> int:
    """The motion rows from FIRST and the Total row (returned)."""
    total = {
        "target": total_target,
        "pipeline": sum(r["pipeline"] for r in rows),
        "weighted": (None, sum(r["weighted"][1] for r in rows if isinstance(r["weighted"][1], float))),
        "required": _total_required(rows) if any(r["target"] for r in rows) else playbook.COVERAGE_HEALTHY,
    }
    hr = FIRST - 1
    for j, h in enumerate(HEADERS):
        ws.write_string(hr, j, h, fm.header)
    ws.set_row(hr, 30)
    for i, row in enumerate(rows):
        r = FIRST + i
        n = r + 1
        ws.write_string(r, 0, row["motion"], fm.text)
        _target_cell(ws, fm, r, row["target"])
        formula_cell(ws, r, 2, row["pipeline_f"][0], row["pipeline"], fm.money)
        formula_cell(ws, r, 3, row["weighted"][0], row["weighted"][1], fm.money)
        formula_cell(ws, r, 4, row["win_rate"][0], row["win_rate"][1], fm.pct1)
        if row["basis"][0]:
            formula_cell(ws, r, 5, row["basis"][0], row["basis"][1], fm.text)
        else:
            ws.write_string(r, 5, row["basis"][1], fm.text)
        formula_cell(ws, r, 6, f'=IF(N(E{n})>0, 1/E{n}, "")', row["required"] if row["required"] else "", fm.ratio)
        _coverage_cells(ws, fm, r, row, total=False)
    return _total_row(ws, fm, rows, total, explicit)


def _total_row(ws, fm: Formats, rows: list[dict], total: dict, explicit: bool) -> int:
    t = FIRST + len(rows)
    a, b = FIRST + 1, t
    ws.write_string(t, 0, "Total", fm.total_label)
    if explicit or not any(row["target"] for row in rows):
        _target_cell(ws, fm, t, total["target"])
    else:
        _target_cell(ws, fm, t, None, f"=SUM(B{a}:B{b})", total["target"])
    formula_cell(ws, t, 2, f"=SUM(C{a}:C{b})", total["pipeline"], fm.total_money)
    formula_cell(ws, t, 3, f"=SUM(D{a}:D{b})", total["weighted"][1], fm.total_money)
    formula_cell(ws, t, 6, f'=IF(SUMIFS(B{a}:B{b}, G{a}:G{b}, ">0")>0, '
                          f'SUMPRODUCT(B{a}:B{b}, G{a}:G{b})/SUMIFS(B{a}:B{b}, G{a}:G{b}, ">0"), $B$6)',
                 total["required"], fm.total_ratio)
    _coverage_cells(ws, fm, t, total, total=True)
    for label, fmt in ((playbook.HEALTHY, fm.good), (playbook.THIN, fm.warn), (playbook.UNDERCOVERED, fm.bad),
                       (ENTER_TARGET, fm.warn)):
        ws.conditional_format(FIRST, 8, t, 8, {"type": "cell", "criteria": "==", "value": f'"{label}"',
                                               "format": fmt})
    return t


def _from_ready_plays(wb, ws, fm: Formats, queue: pd.DataFrame, rec: RevenueRecords | None) -> None:
    """No opportunities: the ready plays' expected increase, marked assumed; targets still the user's."""
    motion_col = "play" if "play" in queue else "primary_motion"
    ready = queue["ready"].map(lambda v: v is True)
    amounts = pd.to_numeric(queue["expected_arr_increase"], errors="coerce").fillna(0.0)
    per = amounts[ready].groupby(queue.loc[ready, motion_col]).sum()
    cols = list(queue.columns)

    def qcol(name: str) -> str:
        letter = xl_col_to_name(cols.index(name))
        return f"Scores!${letter}:${letter}"

    as_of = rec.as_of if rec is not None else None
    q0 = int(_records.quarter_of_month(_records.months_of(
        pd.DatetimeIndex([pd.Timestamp(as_of) if as_of else pd.Timestamp.today()]).to_numpy()))[0])
    quarter = _records.quarter_label([q0])[0]
    per_target, total_target, explicit = (_quarter_targets(rec, q0) if rec is not None else ({}, None, False))
    plays = plays_rows()
    rates = dict(zip(playbook.MOTIONS, udfs.default_plays()["close_rate"], strict=True))

    ws.write_string(0, 0, "Expansion pipeline coverage", fm.title)
    ws.write_string(1, 0, "No opportunities given: pipeline = expected ARR increase of the ready plays on "
                          "Scores (assumed), win rates = the Plays close rates (assumed). Build with "
                          "--opportunities for measured figures. Yellow cells are your inputs.", fm.subtitle)
    _inputs(ws, fm, quarter, rec)
    rows = []
    for i, motion in enumerate(playbook.MOTIONS):
        n = FIRST + i + 1
        pipe = float(per.get(motion, 0.0))
        rate = float(rates[motion])
        rows.append({
            "motion": motion, "target": per_target.get(motion), "pipeline": pipe,
            "pipeline_f": (f'=SUMIFS({qcol("expected_arr_increase")},{qcol(motion_col)},$A{n},'
                                 f'{qcol("ready")},TRUE)', pipe),
            "weighted": (f"=WEIGHTED_PIPELINE(C{n}, A{n}, Plays[#All])", cached("WEIGHTED_PIPELINE", pipe, motion, plays)),
            "win_rate": (f"=CLOSE_RATE(A{n}, Plays[#All])", cached("CLOSE_RATE", motion, plays)),
            "basis": (None, "assumed"),
            "required": 1.0 / rate if rate > 0 else None,
        })
    t = _write_rows(ws, fm, rows, total_target, explicit)
    _chart(wb, ws, t, t + 2)
