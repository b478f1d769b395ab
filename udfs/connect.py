"""Connect model: (re)write every upcell formula of the model through Excel's object model.

Excel binds a formula to a custom function when the formula is entered after the add-in
registered the function; a formula that was already in the file when the workbook opened
can stay ``#NAME?`` even after a full recalculation. The model therefore opens showing
the values computed when it was built (no ``#NAME?`` anywhere, also in viewers without
Python), and lists every upcell formula on its hidden sheet ``upcell formulas``: the
sheet, the cell, the formula, the functions it calls and, for a spilling function, the
range its built values fill. The script ``Connect model`` clears those ranges and enters
each formula, so Excel binds it to the functions xlwings Lite (or xlwings Server) has
registered. xlwings Server registers its functions under a namespace (``XLWINGS``):
``connect(book, namespace="XLWINGS")`` writes ``=XLWINGS.SCORE_ACCOUNTS(...)``.

>>> namespaced("NRR(B4, B5, B6, B7)", ["NRR"], "XLWINGS")
'=XLWINGS.NRR(B4, B5, B6, B7)'
"""

from __future__ import annotations

import re

import xlwings as xw

from .core import _args

__all__ = ["connect_model"]

FORMULAS_SHEET = "upcell formulas"
FORMULAS_HEADER = ("sheet", "cell", "formula", "functions", "built_values")


def namespaced(formula: str, functions, namespace: str = "") -> str:
    """``formula`` (without its ``=``) as Excel should get it, each upcell function in
    ``functions`` prefixed with ``namespace.`` (none in xlwings Lite).

    Text in double quotes is left alone, as are names that only end like a function
    (``NRR`` is not touched inside ``MY_NRR(`` or ``NRR_BENCHMARK(``).
    """
    prefix = namespace.strip().rstrip(".") + "." if namespace and namespace.strip() else ""
    body = formula.strip()
    body = body[1:] if body.startswith("=") else body
    names = sorted({str(f).strip().upper() for f in functions if str(f).strip()},
                   key=len, reverse=True)
    if prefix and names:
        call = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?=\s*\()",
                          re.IGNORECASE)
        parts = re.split(r'("(?:[^"]|"")*")', body)  # keep quoted text as it is
        body = "".join(p if i % 2 else call.sub(prefix + r"\1", p) for i, p in enumerate(parts))
    return "=" + body


def formula_rows(book) -> list[dict]:
    """The entries of the ``upcell formulas`` sheet of ``book`` (an xlwings Book)."""
    names = [s.name for s in book.sheets]
    if FORMULAS_SHEET not in names:
        raise _args.InputError(
            f"book: expected a sheet '{FORMULAS_SHEET}' (an upcell model built by "
            "python -m workbook build), got none")
    rows = book.sheets[FORMULAS_SHEET].used_range.options(ndim=2).value or []
    header = [_args.normalize_key(h) for h in (rows[0] if rows else [])]
    missing = [h for h in FORMULAS_HEADER if h not in header]
    if missing:
        raise _args.InputError(f"{FORMULAS_SHEET}: expected a column '{missing[0]}' in row 1")
    idx = {h: header.index(h) for h in FORMULAS_HEADER}
    out = []
    for row in rows[1:]:
        entry = {h: row[idx[h]] for h in FORMULAS_HEADER}
        if _args.is_blank(entry["sheet"]) or _args.is_blank(entry["formula"]):
            continue
        if entry["sheet"] not in names:
            raise _args.InputError(
                f"{FORMULAS_SHEET}: expected an existing sheet, got {_args.describe(entry['sheet'])}")
        entry["functions"] = [f for f in str(entry["functions"] or "").split(",") if f.strip()]
        out.append(entry)
    return out


def connect(book, namespace: str = "") -> int:
    """Clear the built values of spilling functions and enter every upcell formula of
    ``book``; returns how many formulas were written."""
    rows = formula_rows(book)
    for entry in rows:
        if not _args.is_blank(entry["built_values"]):
            book.sheets[entry["sheet"]][str(entry["built_values"])].clear_contents()
    for entry in rows:
        sheet = book.sheets[entry["sheet"]]
        sheet[str(entry["cell"])].formula = namespaced(
            str(entry["formula"]), entry["functions"], namespace)
    return len(rows)


@xw.script(name="Connect model", include=FORMULAS_SHEET)
def connect_model(book: xw.Book, namespace: str = ""):
    """# Connect model
    Enters every upcell formula of this model, so Excel binds it to the functions this
    add-in registered (the cells show their built values until then). Run it once per
    workbook, after the functions are registered. Leave `namespace` blank in xlwings
    Lite; with xlwings Server, give its namespace (e.g. XLWINGS)."""
    connect(book, namespace)
