"""The Scores sheet: SCORE_ACCOUNTS spilling the ranked, explained queue."""

from __future__ import annotations

from typing import Any

import udfs
from udfs.core import playbook
from udfs.scoring.cells import table_cells

from .cells import Formats, spill
from .playbook import plays_rows, rules_rows

SCORES_FORMULA = "=SCORE_ACCOUNTS(Accounts[#All], Rules[#All], Plays[#All])"


SCORES_ANCHOR = (3, 0)  # A4: rows 1-3 hold the title and the note


QUEUE_FORMAT = {  # column -> (format, width); widths fit the header names unbroken
    "account_id": ("text", 13),
    "account_name": ("text", 24),
    "expansion_score": ("int", 16),
    "ready": ("flag", 8),
    "primary_motion": ("text", 17),
    "motions": ("text", 44),
    "play": ("text", 18),
    "pipeline_status": ("text", 17),
    "owner": ("text", 19),
    "assignee": ("text", 22),
    "slot": ("text", 10),
    "expected_arr_increase": ("money", 21),
    "close_rate": ("pct1", 10),
    "expected_value": ("money", 15),
    "value_basis": ("text", 30),
    "due_in_days": ("days", 12),
    "ready_since": ("text", 12),
    "ready_signal": ("text", 18),
    "opportunity_id": ("text", 15),
    "opportunity_stage": ("text", 18),
    "opportunity_close_date": ("text", 23),
    "reasons": ("reason", 110),
}


# with opportunities, the queue is as of the Pipeline sheet's as-of date (its input cell)
AS_OF_CELL = "Pipeline!$B$5"


def scores_formula(opportunities: bool = False, owners: bool = False, previous: bool = False) -> str:
    """The Scores formula: SCORES_FORMULA, with the Owners table, the Opportunities table
    (and the as-of date it is read on) and the previous queue snapshot when the model has them."""
    args = ["", AS_OF_CELL if opportunities else "", "Owners[#All]" if owners else "", "",
            "Opportunities[#All]" if opportunities else "", "Previous_queue[#All]" if previous else ""]
    while args and not args[-1]:
        args.pop()
    return SCORES_FORMULA[:-1] + "".join(", " + a for a in args) + ")"


def score_queue(accounts: Any, opportunities: Any = None, as_of: Any = None, owners: Any = None,
                previous: Any = None) -> list[list[Any]]:
    """The SCORE_ACCOUNTS spill (header row first) for the Accounts, Rules and Plays tables
    (and the Opportunities table as of ``as_of``, and the Owners table, when given).

    ``accounts`` is the Accounts table (a DataFrame of the imported cells, or its Excel
    range); the tests re-evaluate the cached spill from the written cells through xlwings.
    """
    return table_cells(udfs.score_accounts(accounts, rules_rows(), plays_rows(),
                                           as_of=as_of if opportunities is not None else None,
                                           owners=owners, opportunities=opportunities, previous=previous))


def write_scores(ws, fm: Formats, values: list[list[Any]], values_only: bool,
                 formula: str = SCORES_FORMULA) -> None:
    header = values[0]
    fmts = []
    for j, name in enumerate(header):
        fmt_name, width = QUEUE_FORMAT.get(name, ("text", 14))
        fmts.append(getattr(fm, fmt_name))
        ws.set_column(j, j, width, getattr(fm, fmt_name))
    ws.write_string(0, 0, "Expansion queue", fm.title)
    ws.write_string(
        1, 0,
        "One row per account, new plays first, highest expected value first: " + formula
        + " in A4 (spilling) once the model is connected (Start here); it re-scores when "
        "Rules, Plays or Accounts change.",
        fm.subtitle,
    )
    r0, c0 = SCORES_ANCHOR
    height, width = spill(ws, r0, c0, formula, values, fmts, fm.spill_header, fm,
                           values_only)
    ws.set_row(r0, 22)
    ws.autofilter(r0, c0, r0 + height - 1, c0 + width - 1)  # a lead filters one assignee's list
    ws.freeze_panes(r0 + 1, 1)
    last = r0 + max(height, 2) + 2000
    idx = {c: j for j, c in enumerate(header)}
    if "expansion_score" in idx:
        j = idx["expansion_score"]
        ws.conditional_format(
            r0 + 1, j, last, j,
            {"type": "3_color_scale", "min_type": "num", "min_value": 0, "min_color": "#F8696B",
             "mid_type": "num", "mid_value": playbook.TRIGGER_THRESHOLD, "mid_color": "#FFEB84",
             "max_type": "num", "max_value": 100, "max_color": "#63BE7B"},
        )
    if "ready" in idx:
        j = idx["ready"]
        ws.conditional_format(r0 + 1, j, last, j,
                              {"type": "cell", "criteria": "==", "value": "TRUE", "format": fm.good})
    if "play" in idx:
        j = idx["play"]
        for gate in (playbook.GATE_FIX_ADOPTION, playbook.GATE_TOO_EARLY):
            ws.conditional_format(r0 + 1, j, last, j,
                                  {"type": "cell", "criteria": "==", "value": f'"{gate}"',
                                   "format": fm.bad})
    ws.set_landscape()
    ws.set_paper(1)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(r0)
    ws.print_area(0, 0, r0 + height - 1, width - 1)
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
    ws.set_footer("&L&8upcell expansion queue&R&8Page &P of &N")
