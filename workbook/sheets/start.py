"""The Start here and xlwings.conf sheets: what the model is, how to connect a runtime."""

from __future__ import annotations

from ..importer import AccountBook
from .cells import Formats


def write_start_here(ws, fm: Formats, book: AccountBook) -> None:
    ws.set_column(0, 0, 3)
    ws.set_column(1, 1, 110)
    lines = [
        ("title", "upcell: expansion revenue, computed in cells"),
        ("subtitle", f"Built from {book.report.source}: {book.report.rows} accounts."),
        ("", ""),
        ("h2", "What this model is"),
        ("wrap", "Every number on Scores, Pipeline and Retention is an upcell Python function in "
                 "a cell: =SCORE_ACCOUNTS ranks the book into an explained, routed expansion queue; "
                 "PIPELINE_COVERAGE, COVERAGE_STATUS, WEIGHTED_PIPELINE and PIPELINE_GAP measure "
                 "expansion pipeline against the quarterly target; NRR, GRR, EXPANSION_SHARE, "
                 "NRR_BENCHMARK and NRR_PROJECTION read retention."),
        ("wrap", "Paste your CRM export into the Accounts table (or rebuild: python -m workbook build "
                 "--accounts export.csv). Tune thresholds, points and motions in Rules, and close "
                 "rates, shares and owners in Plays: the formulas take those tables, so the queue "
                 "re-scores. Yellow cells are inputs."),
        ("wrap", "Until the model is connected, every cell shows the value computed when this file "
                 "was built (the queue on Scores and the projection on Retention are plain values), "
                 "so it reads correctly in any viewer. Connecting enters the formulas."),
        ("", ""),
        ("h2", "Connect the model (xlwings Lite: Windows, Mac, Excel on the web)"),
        ("wrap", "1. Home > Add-ins: search xlwings and add xlwings Lite; open it from the Home tab."),
        ("wrap", "2. In a terminal, python -m workbook lite writes lite/main.py and "
                 "lite/requirements.txt. Paste main.py into the editor's main.py tab and "
                 "requirements.txt into its requirements.txt tab, then Menu > Restart."),
        ("wrap", "3. Pick the script Connect model and click Run (leave namespace blank). It enters "
                 "every upcell formula (=SCORE_ACCOUNTS on Scores, NRR and the projection on "
                 "Retention, coverage on Pipeline), so Excel binds them to the functions xlwings "
                 "Lite registered. Run it once per workbook; save."),
        ("wrap", "Your own xlwings Server (make serve-excel): its functions carry a namespace, "
                 "=XLWINGS.SCORE_ACCOUNTS(...); run its Connect model script from the task pane. "
                 "Windows xlwings add-in: build with python -m workbook build --live (live "
                 "formulas), then xlwings.conf's UDF Modules = udfs and Import Functions."),
        ("", ""),
        ("h2", "Sheets"),
        ("text", "Accounts: your book (table Accounts). Rules and Plays: the playbook (tables Rules "
                 "and Plays)."),
        ("text", "Scores: the ranked queue. Pipeline: coverage by motion. Retention: NRR bridge and "
                 "projection."),
    ]
    for i, (style, text) in enumerate(lines):
        if text:
            ws.write_string(i, 1, text, getattr(fm, style))
    for i, (style, text) in enumerate(lines):
        if style == "wrap":
            ws.set_row(i, 14 * (1 + len(text) // 120))


def write_conf(ws, fm: Formats) -> None:
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 12)
    ws.write_string(0, 0, "UDF Modules", fm.text)
    ws.write_string(0, 1, "udfs", fm.text)
