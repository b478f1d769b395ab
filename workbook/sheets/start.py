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
        ("wrap", "Until a Python runtime is connected, the cells show the values computed when this "
                 "file was built. Once connected, press Ctrl+Alt+F9 to recalculate everything."),
        ("", ""),
        ("h2", "Connect a runtime"),
        ("wrap", "xlwings Lite (Windows, Mac, Excel on the web): Home > Add-ins, search xlwings, add "
                 "xlwings Lite. Run python -m workbook lite, paste lite/main.py into the editor's "
                 "main.py tab and lite/requirements.txt into its requirements.txt tab, then restart "
                 "xlwings Lite (Menu > Restart) and press Ctrl+Alt+F9."),
        ("wrap", "Windows xlwings add-in: pip install the upcell repository (pip install -e .) and "
                 "run xlwings addin install. The xlwings.conf sheet sets UDF Modules = udfs; click "
                 "Import Functions on the xlwings ribbon (save the workbook as .xlsm when Excel "
                 "asks: the add-in keeps its function stubs in a VBA module), then Ctrl+Alt+F9."),
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
    for i in (4, 5, 6, 9, 10):
        ws.set_row(i, 42)


def write_conf(ws, fm: Formats) -> None:
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 12)
    ws.write_string(0, 0, "UDF Modules", fm.text)
    ws.write_string(0, 1, "udfs", fm.text)
