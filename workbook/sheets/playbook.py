"""The Rules and Plays sheets: the playbook as editable Excel tables (SPEC §3, §4)."""

from __future__ import annotations

from typing import Any

from xlsxwriter.utility import xl_col_to_name

from udfs.core import playbook

from .cells import Formats, excel_rows, put


def rules_rows() -> list[list[Any]]:
    return excel_rows(playbook.default_rules())


def plays_rows() -> list[list[Any]]:
    return excel_rows(playbook.default_plays().reset_index(drop=True))


def playbook_table(ws, fm: Formats, name: str, rows: list[list[Any]], fmts: dict,
                    width) -> None:
    """An editable playbook table (Rules, Plays) at A1: widths, formats, cells by type."""
    for j, c in enumerate(rows[0]):
        ws.set_column(j, j, width(c), fmts.get(c, fm.text))
    ws.add_table(
        0, 0, len(rows) - 1, len(rows[0]) - 1,
        {"name": name, "style": "Table Style Medium 2",
         "columns": [{"header": c, "header_format": fm.spill_header,
                      "format": fmts.get(c, fm.text)}
                     for c in rows[0]]},
    )
    for i, row in enumerate(rows[1:], start=1):
        for j, v in enumerate(row):
            if v is not None:
                put(ws, i, j, v, fmts.get(rows[0][j], fm.text), fm)


def write_rules(wb, ws, fm: Formats) -> None:
    rows = rules_rows()
    widths = {"rule": 20, "signal": 28, "op": 6, "threshold": 11, "points": 8, "motion": 17,
              "alone": 8, "persistence": 12, "window": 9}
    # continuation rows of an AND-ed rule keep points and motion blank (None: not written)
    playbook_table(ws, fm, "Rules", rows, {"threshold": fm.num, "points": fm.int,
                                            "persistence": fm.int, "window": fm.int},
                    lambda c: widths.get(c, 12))
    last = len(rows) - 1 + 200
    idx = {c: j for j, c in enumerate(rows[0])}
    ws.data_validation(1, idx["op"], last, idx["op"],
                       {"validate": "list", "source": list(playbook.OPERATORS)})
    ws.data_validation(1, idx["motion"], last, idx["motion"],
                       {"validate": "list", "source": list(playbook.MOTIONS), "ignore_blank": True})
    # any numeric column of the Accounts table is a signal: the list suggests, never refuses
    ws.data_validation(1, idx["signal"], last, idx["signal"],
                       {"validate": "list", "source": "=Rules_signals", "error_type": "information",
                        "error_title": "Signal", "error_message": playbook.RULE_HELP["signal"]})
    ws.data_validation(1, idx["alone"], last, idx["alone"],
                       {"validate": "list", "source": ["TRUE", "FALSE"], "ignore_blank": True})
    for col in ("persistence", "window"):
        ws.data_validation(1, idx[col], last, idx[col],
                           {"validate": "integer", "criteria": ">=", "value": 1, "ignore_blank": True,
                            "input_title": col, "input_message": playbook.RULE_HELP[col][:250]})
    for col, text in playbook.RULE_HELP.items():  # each header says what its column means
        ws.write_comment(0, idx[col], f"{col}: {text}", {"x_scale": 2, "y_scale": 0.8})
    signals = [c for c, k in playbook.ACCOUNT_COLUMNS.items() if k not in playbook.TEXT_KINDS]
    note_col = len(rows[0]) + 1
    ws.set_column(note_col, note_col, 90)
    notes = [
        ("h2", "How rules work"),
        ("text", "A rule fires for an account when: signal op threshold."),
        ("text", "Score = sum of the points of the rules that fire, kept between 0 and 100."),
        ("text", "Rows sharing a rule name are AND-ed; the continuation row leaves points "
                 "and motion blank."),
        ("text", "Risk rule: negative points and a blank motion (champion left, usage falling); "
                 "it lowers the score and never counts as evidence."),
        ("text", "Evidence of a motion = the points of its strongest fired rule; the play is "
                 "the motion with the most evidence."),
        ("text", f"Ready = not gated and (score >= {playbook.TRIGGER_THRESHOLD:g}, or an alone = TRUE "
                 "rule fired with no risk rule). Gates: health_score < "
                 f"{playbook.GATE_HEALTH_BELOW:g} is 'Fix adoption first', tenure_months < "
                 f"{playbook.GATE_TENURE_BELOW:g} is 'Too early'."),
        ("text", "persistence k > 1: the condition must hold k periods in a row (SCORE_ACCOUNTS "
                 "needs a history for that); window: the backtest's outcome window."),
        ("text", "signal: any numeric column of the Accounts table (an nps column too); a rule "
                 "on a column the table lacks never fires."),
        ("text", "Edit thresholds and points here: SCORE_ACCOUNTS takes this table, so Scores "
                 "re-scores."),
        ("text", "Backtested thresholds can be written back into the threshold column "
                 "(python -m workbook thresholds)."),
        ("", ""),
        ("h2", "Signals (account columns)"),
    ]
    for i, (style, text) in enumerate(notes):
        if text:
            ws.write_string(i, note_col, text, getattr(fm, style))
    for i, s in enumerate(signals, start=len(notes)):
        ws.write_string(i, note_col, s, fm.code)
    start = len(notes)
    wb.define_name(
        "Rules_signals",
        f"='Rules'!${xl_col_to_name(note_col)}${start + 1}:${xl_col_to_name(note_col)}${start + len(signals)}",
    )
    ws.freeze_panes(1, 0)
    ws.set_row(0, 22)


def write_plays(ws, fm: Formats) -> None:
    rows = plays_rows()
    fmts = {
        "arr_increase_share": fm.pct, "close_rate": fm.pct1, "owner_threshold": fm.money,
        "cycle_days": fm.int, "cycle_days_smb": fm.int, "cycle_days_mid_market": fm.int,
        "cycle_days_enterprise": fm.int,
    }
    widths = {"motion": 17, "owner": 14, "owner_above": 19, "owner_basis": 12}
    playbook_table(ws, fm, "Plays", rows, fmts, lambda c: widths.get(c, max(13, len(c) + 2)))
    for j, col in enumerate(rows[0]):  # each header says what its column means
        ws.write_comment(0, j, f"{col}: {playbook.PLAY_HELP[col]}", {"x_scale": 2, "y_scale": 0.8})
    r = len(rows) + 1
    notes = [
        "arr_increase_share: expected ARR increase as a share of the account's ARR; close_rate: "
        "expected close rate.",
        "owner below owner_threshold, owner_above at or above it; owner_basis says what is "
        "compared: the account's arr or the expected increase.",
        "cycle_days: target cycle; cycle_days_<segment> overrides it for that segment. "
        "Expected value = expected increase x close rate. One play runs per account: its "
        "primary motion (the strongest evidence); SCORE_ACCOUNTS' routing = value picks the "
        "best expected value instead.",
    ]
    for i, text in enumerate(notes):
        ws.write_string(r + i, 0, text, fm.subtitle)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 22)
