"""The Accounts sheet: the user's book as the Excel table ``Accounts``, cells by type."""

from __future__ import annotations

from ..importer import AccountBook
from .cells import KIND_FORMAT, Formats, put


def write_accounts(ws, fm: Formats, book: AccountBook) -> None:
    frame = book.frame
    n = len(frame)
    columns = list(frame.columns)
    fmts = []
    for j, name in enumerate(columns):
        fmt_name, width = KIND_FORMAT[book.kinds[name]]
        width = max(width, min(40, len(name) + 2))
        if name == "account_name":
            width = 26
        fmt = getattr(fm, fmt_name)
        fmts.append(fmt)
        ws.set_column(j, j, width, fmt)
    ws.add_table(
        0, 0, max(n, 1), len(columns) - 1,
        {
            "name": "Accounts",
            "style": "Table Style Medium 2",
            "columns": [{"header": c, "header_format": fm.spill_header, "format": f}
                        for c, f in zip(columns, fmts, strict=True)],
        },
    )
    write_number, write_string = ws.write_number, ws.write_string
    for j, name in enumerate(columns):
        fmt = fmts[j]
        for i, v in enumerate(frame[name].tolist() if n else [], start=1):
            t = type(v)
            if v is None or (t is float and v != v):
                continue  # a blank cell (the column format applies)
            if t is str:
                write_string(i, j, v, fmt)  # text stays text: never a formula
            elif t is float and v == v:
                write_number(i, j, v, fmt)
            else:
                put(ws, i, j, v, fmt, fm)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 22)
