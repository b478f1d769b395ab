"""The Pipeline sheet: expansion coverage per motion for a quarter (SPEC §5).

With an Opportunities table: booked to date, pipeline, past due, weighted pipeline (and
what weighed it) and win rates come from it (single-cell functions on
``Opportunities[#All]``); the status reads the weighted pipeline against the target still
to book; the past-due deals are listed, then the table of every quarter × motion × owner.
Without one, the pipeline is the expected ARR increase of the ready plays on Scores,
marked assumed.
Targets are the user's (the Targets table or one total); a blank target cell says
"enter the quarter's expansion target" — never an invented one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

import udfs
from udfs.core import _args, _records, playbook
from udfs.revenue.coverage import judge, parse_targets
from udfs.revenue.opportunities import ASSUMED

from ..importer import AccountBook
from .cells import NAVY, Formats, cached, formula_cell, put, spill
from .playbook import plays_rows
from .records import RevenueRecords, excel_table

ENTER_TARGET = "enter the quarter's expansion target"
HEADERS = ["Motion", "Target", "Booked to date", "Remaining target", "Pipeline", "Past due", "Weighted pipeline",
           "Weighted by", "Win rate", "Win rate basis", "Required coverage", "Coverage", "Weighted coverage",
           "Status", "Pipeline to create"]
WEIGHTED = 6  # column of the weighted pipeline (its header names the weighting)
FIRST = 12  # 0-based row of the first motion (Excel row 13); header on row 12
OPPS = "Opportunities[#All]"
# the input cells (Excel rows 4-10)
QUARTER, AS_OF, HEALTHY_AT, THIN_AT, NO_SPLIT, COUNT_PAST_DUE, WEIGHTING = (f"$B${r}" for r in range(4, 11))


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
    """The yellow input cells (rows 4-10) every formula of the sheet reads."""
    ws.write_string(3, 0, "Quarter", fm.label)
    ws.write_string(3, 1, quarter_label, fm.in_text)
    ws.write_string(4, 0, "As of (win rates: the 4 closed quarters before)", fm.label)
    if rec is not None:
        ws.write_datetime(4, 1, pd.Timestamp(rec.as_of).to_pydatetime(), fm.in_date)
    ws.write_string(5, 0, "Healthy from weighted coverage (x)", fm.label)
    ws.write_number(5, 1, playbook.WEIGHTED_HEALTHY, fm.in_num2)
    ws.write_string(6, 0, "Thin from weighted coverage (x)", fm.label)
    ws.write_number(6, 1, playbook.WEIGHTED_THIN, fm.in_num2)
    ws.write_string(7, 0, "Required coverage with no motion split (x)", fm.label)
    ws.write_number(7, 1, playbook.COVERAGE_HEALTHY, fm.in_num)
    ws.write_string(8, 0, "Count past-due pipeline in coverage", fm.label)
    ws.write_boolean(8, 1, False, fm.in_flag)
    ws.write_string(9, 0, "Weighting (probability or win rate)", fm.label)
    ws.write_string(9, 1, playbook.WEIGHTINGS[0], fm.in_text)
    notes = [
        "Remaining target = target − booked to date (won deals closed this quarter up to the as-of date).",
        "Weighted coverage = weighted pipeline ÷ remaining target: the status reads it, so a motion whose "
        "weighted pipeline covers what is left to book is never Undercovered.",
        "Required coverage = 1 ÷ win rate: the plain coverage that is Healthy at the win rate; pipeline to "
        "create = (remaining target − weighted pipeline) × required coverage.",
        "Past due = open, with a close date before the as-of date: shown apart and left out of coverage "
        "unless B9 is TRUE (then counted in this quarter).",
        "probability = each deal's CRM probability where given, else its motion's win rate; win rate = the "
        "win rate for every deal. 'Weighted by' says which each row used.",
    ]
    for k, note in enumerate(notes):
        ws.write_string(4 + k, 3, note, fm.subtitle)


def _coverage_cells(ws, fm: Formats, r: int, row: dict, total: bool) -> None:
    """Remaining target, required coverage, coverage, weighted coverage, status and pipeline
    to create of one row, from its target (B), booked (C), pipeline (E), weighted (G)."""
    n = r + 1
    money, ratio, text = ((fm.total_money, fm.total_ratio, fm.total_text) if total
                          else (fm.money, fm.ratio, fm.text))
    target, booked = row["target"], row["booked"] if isinstance(row["booked"], float) else 0.0
    judged = judge(np.array([target if target else np.nan]), np.array([booked]), np.array([row["pipeline"]]),
                   np.array([row["weighted"][1]]), np.array([row["required"] or np.nan]))
    value = {k: _args.to_python(v[0]) for k, v in judged.items()}
    formula_cell(ws, r, 3, f'=IF(N(B{n})>0, MAX(0, B{n}-N(C{n})), "")', value["remaining_target"], money)
    formula_cell(ws, r, 11, f'=IF(N(D{n})>0, PIPELINE_COVERAGE(E{n}, D{n}), "")', value["coverage"], ratio)
    formula_cell(ws, r, 12, f'=IF(N(D{n})>0, PIPELINE_COVERAGE(G{n}, D{n}), "")', value["weighted_coverage"], ratio)
    status = value["status"] or (ENTER_TARGET if total else "")
    no_target = f'"{ENTER_TARGET}"' if total else '""'
    formula_cell(ws, r, 13, f'=IF(N(B{n})>0, IF(N(D{n})>0, COVERAGE_STATUS(M{n}, {HEALTHY_AT}, {THIN_AT}), '
                            f'"{playbook.TARGET_MET}"), {no_target})', status, text)
    formula_cell(ws, r, 14, f'=IF(AND(N(B{n})>0, N(K{n})>0), MAX(0, N(D{n})-G{n})*K{n}, "")', value["gap"], money)


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
    for col, color in ((3, "#A6A6A6"), (WEIGHTED, NAVY)):
        chart.add_series({
            "name": ["Pipeline", FIRST - 1, col],
            "categories": ["Pipeline", FIRST, 0, t - 1, 0],
            "values": ["Pipeline", FIRST, col, t - 1, col],
            "fill": {"color": color},
        })
    chart.set_title({"name": "Weighted pipeline vs remaining target by motion", "name_font": {"size": 11}})
    chart.set_x_axis({"num_format": "$#,##0", "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 280})
    ws.insert_chart(anchor_row, 0, chart)


def write_pipeline(wb, ws, fm: Formats, queue: pd.DataFrame, book: AccountBook,
                   rec: RevenueRecords | None = None, values_only: bool = False) -> None:
    ws.set_column(0, 0, 44)
    ws.set_column(1, 14, 13)
    ws.set_column(WEIGHTED, WEIGHTED, 17)
    ws.set_column(7, 7, 30)
    ws.set_column(13, 13, 30)
    if rec is not None and rec.opportunities is not None:
        _from_opportunities(wb, ws, fm, rec, values_only)
    else:
        _from_ready_plays(wb, ws, fm, queue, rec)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _weighted_header(ws, fm: Formats) -> None:
    """The weighted pipeline's header names its weighting (it follows the input cell)."""
    label = {playbook.WEIGHTINGS[0]: f"{playbook.BY_PROBABILITY}, else {playbook.BY_WIN_RATE}",
             playbook.WEIGHTINGS[1]: playbook.BY_WIN_RATE}
    formula_cell(ws, FIRST - 1, WEIGHTED, f'="Weighted pipeline ("&IF({WEIGHTING}="{playbook.WEIGHTINGS[1]}", '
                                          f'"{label[playbook.WEIGHTINGS[1]]}", "{label[playbook.WEIGHTINGS[0]]}")&")"',
                 f"Weighted pipeline ({label[playbook.WEIGHTINGS[0]]})", fm.header)


def _from_opportunities(wb, ws, fm: Formats, rec: RevenueRecords, values_only: bool) -> None:
    opps = excel_table(rec.opportunities)
    plays = plays_rows()
    as_of = pd.Timestamp(rec.as_of).to_pydatetime()
    q0 = int(_records.quarter_of_month(_records.months_of(pd.DatetimeIndex([as_of]).to_numpy()))[0])
    quarter = _records.quarter_label([q0])[0]
    per_target, total_target, explicit = _quarter_targets(rec, q0)
    no, how = False, playbook.WEIGHTINGS[0]  # the input cells' values: past due left out, CRM probability

    ws.write_string(0, 0, "Expansion pipeline coverage", fm.title)
    ws.write_string(1, 0, "From the Opportunities table: what is left to book this quarter against the open "
                          "opportunities closing in it, weighted; win rates from the deals won and lost in the 4 "
                          "closed quarters before the as-of date ('assumed' = the Plays close rate, where a motion "
                          "closed none). Yellow cells are your inputs; targets are yours.", fm.subtitle)
    _inputs(ws, fm, quarter, rec)
    rows = []
    for motion in playbook.MOTIONS:
        n = FIRST + len(rows) + 1
        pipe = cached("OPPORTUNITY_PIPELINE", opps, quarter, motion, None, None, as_of, plays, no, how)
        weighted = cached("OPPORTUNITY_PIPELINE", opps, quarter, motion, None, True, as_of, plays, no, how)
        booked = cached("OPPORTUNITY_BOOKED", opps, quarter, motion, None, as_of)
        rate = cached("WIN_RATE", opps, motion, as_of, plays)
        rows.append({
            "motion": motion, "target": per_target.get(motion), "booked": booked,
            "booked_f": (f"=OPPORTUNITY_BOOKED({OPPS}, {QUARTER}, A{n}, , {AS_OF})", booked),
            "pipeline": pipe,
            "pipeline_f": (f"=OPPORTUNITY_PIPELINE({OPPS}, {QUARTER}, A{n}, , , {AS_OF}, Plays[#All], "
                           f"{COUNT_PAST_DUE}, {WEIGHTING})", pipe),
            "past_due": (f"=OPPORTUNITY_PAST_DUE({OPPS}, A{n}, , {AS_OF})",
                         cached("OPPORTUNITY_PAST_DUE", opps, motion, None, as_of)),
            "weighted": (f"=OPPORTUNITY_PIPELINE({OPPS}, {QUARTER}, A{n}, , TRUE, {AS_OF}, Plays[#All], "
                         f"{COUNT_PAST_DUE}, {WEIGHTING})", weighted),
            "weighted_by": (f"=PIPELINE_WEIGHTING({OPPS}, {QUARTER}, A{n}, , {AS_OF}, {COUNT_PAST_DUE}, {WEIGHTING})",
                            cached("PIPELINE_WEIGHTING", opps, quarter, motion, None, as_of, no, how)),
            "win_rate": (f"=WIN_RATE({OPPS}, A{n}, {AS_OF}, Plays[#All])", rate),
            "basis": (f"=WIN_RATE_BASIS({OPPS}, A{n}, {AS_OF})", cached("WIN_RATE_BASIS", opps, motion, as_of)),
            "required": 1.0 / rate if isinstance(rate, float) and rate > 0 else None,
        })
    weighted_by = (f"=PIPELINE_WEIGHTING({OPPS}, {QUARTER}, , , {AS_OF}, {COUNT_PAST_DUE}, {WEIGHTING})",
                   cached("PIPELINE_WEIGHTING", opps, quarter, None, None, as_of, no, how))
    t = _write_rows(ws, fm, rows, total_target, explicit, weighted_by)
    _weighted_header(ws, fm)
    _chart(wb, ws, t, t + 2)

    # the past-due deals, then every quarter x motion x owner (values first; the formulas are
    # listed for "Connect model")
    r0 = t + 18
    ws.write_string(r0, 0, f"{playbook.PAST_DUE}: open opportunities whose close date is before the as-of date "
                           "(left out of coverage unless B9 is TRUE)", fm.h2)
    late = cached("PAST_DUE_OPPORTUNITIES", opps, as_of)
    if isinstance(late, list) and len(late) > 1:
        height, _ = spill(ws, r0 + 1, 0, f"=PAST_DUE_OPPORTUNITIES({OPPS}, {AS_OF})", late,
                          [fm.text, fm.text, fm.text, fm.text, fm.money, fm.text, fm.date, fm.int, fm.text],
                          fm.header, fm, values_only)
    else:
        ws.write_string(r0 + 1, 0, "none: every open opportunity closes on or after the as-of date", fm.text)
        height = 1
    r1 = r0 + height + 2
    ws.write_string(r1, 0, "Every quarter, motion and owner", fm.h2)
    targets_arg = "Targets[#All]" if rec.targets is not None else ("$B$" + str(t + 1) if explicit else "")
    targets_value = (excel_table(rec.targets) if rec.targets is not None
                     else (rec.total_target if explicit else None))
    table = cached("PIPELINE_FROM_OPPORTUNITIES", opps, targets_value, as_of, plays, "owner", no, how)
    formula = (f'=PIPELINE_FROM_OPPORTUNITIES({OPPS}, {targets_arg}, {AS_OF}, Plays[#All], "owner", '
               f'{COUNT_PAST_DUE}, {WEIGHTING})')
    fmts = [fm.text, fm.text, fm.text, fm.money, fm.money, fm.money, fm.money, fm.money, fm.money, fm.text,
            fm.pct1, fm.text, fm.ratio, fm.ratio, fm.ratio, fm.text, fm.money]
    height, _ = spill(ws, r1 + 1, 0, formula, table, fmts, fm.header, fm, values_only)
    r2 = r1 + height + 2
    ws.write_string(r2, 0, "Win rates by motion", fm.h2)
    rates = cached("WIN_RATES", opps, as_of, plays)
    h2, _ = spill(ws, r2 + 1, 0, f"=WIN_RATES({OPPS}, {AS_OF}, Plays[#All])", rates,
                  [fm.text, fm.money, fm.money, fm.pct1, fm.text, fm.ratio, fm.text], fm.header, fm, values_only)
    r3 = r2 + h2 + 2
    ws.write_string(r3, 0, "Left out of expansion coverage (other opportunity types)", fm.h2)
    other = cached("OTHER_OPPORTUNITIES", opps)
    if isinstance(other, list) and len(other) > 1:
        spill(ws, r3 + 1, 0, f"=OTHER_OPPORTUNITIES({OPPS})", other, [fm.text, fm.text, fm.int, fm.money],
              fm.header, fm, values_only)
    else:
        ws.write_string(r3 + 1, 0, "none: every opportunity maps to a motion", fm.text)


def _cell(ws, fm: Formats, r: int, c: int, entry: tuple | None, fmt) -> None:
    """A formula with its value, a plain value (no formula), or a blank."""
    if entry is None:
        ws.write_blank(r, c, None, fmt)
    elif entry[0]:
        formula_cell(ws, r, c, entry[0], entry[1], fmt)
    else:
        put(ws, r, c, entry[1], fmt, fm)


def _write_rows(ws, fm: Formats, rows: list[dict], total_target: float | None, explicit: bool,
                weighted_by: tuple) -> int:
    """The motion rows from FIRST and the Total row (returned)."""
    def add(key: str) -> float:
        values = (r.get(key) for r in rows)
        return sum(v for e in values if isinstance(v := (e[1] if isinstance(e, tuple) else e), float))

    total = {
        "target": total_target, "booked": add("booked"), "pipeline": add("pipeline"), "past_due": add("past_due"),
        "weighted": (None, add("weighted")), "weighted_by": weighted_by,
        "required": _total_required(rows) if any(r["target"] for r in rows) else playbook.COVERAGE_HEALTHY,
    }
    hr = FIRST - 1
    for j, h in enumerate(HEADERS):
        ws.write_string(hr, j, h, fm.header)
    ws.set_row(hr, 48)
    for i, row in enumerate(rows):
        r = FIRST + i
        n = r + 1
        ws.write_string(r, 0, row["motion"], fm.text)
        _target_cell(ws, fm, r, row["target"])
        _cell(ws, fm, r, 2, row.get("booked_f"), fm.money)
        formula_cell(ws, r, 4, row["pipeline_f"][0], row["pipeline"], fm.money)
        _cell(ws, fm, r, 5, row.get("past_due"), fm.money)
        formula_cell(ws, r, WEIGHTED, row["weighted"][0], row["weighted"][1], fm.money)
        _cell(ws, fm, r, 7, row["weighted_by"], fm.text)
        formula_cell(ws, r, 8, row["win_rate"][0], row["win_rate"][1], fm.pct1)
        _cell(ws, fm, r, 9, row["basis"], fm.text)
        formula_cell(ws, r, 10, f'=IF(N(I{n})>0, 1/I{n}, "")', row["required"] if row["required"] else "", fm.ratio)
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
    for col, key in ((2, "booked"), (4, "pipeline"), (5, "past_due"), (WEIGHTED, "weighted")):
        letter = "ABCDEFG"[col]
        value = total[key]
        formula_cell(ws, t, col, f"=SUM({letter}{a}:{letter}{b})", value[1] if isinstance(value, tuple) else value,
                     fm.total_money)
    _cell(ws, fm, t, 7, total["weighted_by"], fm.total_text)
    formula_cell(ws, t, 10, f'=IF(SUMIFS(B{a}:B{b}, K{a}:K{b}, ">0")>0, '
                            f'SUMPRODUCT(B{a}:B{b}, K{a}:K{b})/SUMIFS(B{a}:B{b}, K{a}:K{b}, ">0"), {NO_SPLIT})',
                 total["required"], fm.total_ratio)
    _coverage_cells(ws, fm, t, total, total=True)
    for label, fmt in ((playbook.HEALTHY, fm.good), (playbook.TARGET_MET, fm.good), (playbook.THIN, fm.warn),
                       (playbook.UNDERCOVERED, fm.bad), (ENTER_TARGET, fm.warn)):
        ws.conditional_format(FIRST, 13, t, 13, {"type": "cell", "criteria": "==", "value": f'"{label}"',
                                                 "format": fmt})
    ws.conditional_format(FIRST, 5, t - 1, 5, {"type": "cell", "criteria": ">", "value": 0, "format": fm.warn})
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
                          "Scores (assumed), win rates = the Plays close rates (assumed), nothing booked or past "
                          "due is known. Build with --opportunities for measured figures. Yellow cells are your "
                          "inputs.", fm.subtitle)
    _inputs(ws, fm, quarter, rec)
    assumed = ("", f"{ASSUMED}: the Plays close rate")
    rows = []
    for i, motion in enumerate(playbook.MOTIONS):
        n = FIRST + i + 1
        pipe = float(per.get(motion, 0.0))
        rate = float(rates[motion])
        rows.append({
            "motion": motion, "target": per_target.get(motion), "booked": None, "pipeline": pipe,
            "pipeline_f": (f'=SUMIFS({qcol("expected_arr_increase")},{qcol(motion_col)},$A{n},'
                                 f'{qcol("ready")},TRUE)', pipe),
            "weighted": (f"=WEIGHTED_PIPELINE(E{n}, A{n}, Plays[#All])", cached("WEIGHTED_PIPELINE", pipe, motion, plays)),
            "weighted_by": assumed if pipe else None,
            "win_rate": (f"=CLOSE_RATE(A{n}, Plays[#All])", cached("CLOSE_RATE", motion, plays)),
            "basis": ("", ASSUMED),
            "required": 1.0 / rate if rate > 0 else None,
        })
    t = _write_rows(ws, fm, rows, total_target, explicit, assumed)
    ws.write_string(FIRST - 1, WEIGHTED, "Weighted pipeline (the Plays close rate)", fm.header)
    _chart(wb, ws, t, t + 2)
