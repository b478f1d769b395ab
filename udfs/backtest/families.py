"""Which cells of the ``Rules`` table an export changes: thresholds, their rule families,
persistence, window and points (SPEC §7). Pure table logic: ``workbook.writeback`` does
the zip, and the queue replay tunes a Rules table with the same :func:`plan`.

**Rule families.** Rules on the same signal, motion and operator direction can form bands:
``usage_near_cap`` (usage_vs_cap ≥ 0.80 and < 0.90) sits below ``usage_at_cap``
(usage_vs_cap ≥ 0.90). A band's edge that equals its neighbour's threshold follows it:
exporting usage_at_cap 0.873 sets usage_near_cap's upper edge to 0.873 too, so an account
at 0.88 scores one band, never both. The same holds downwards (a ``≤`` rule and a band
``≤ b and > a`` whose lower edge a is the ``≤`` rule's threshold). An export that would
leave a band empty is refused, naming both rules.

>>> rows = [dict(rule="near", signal="u", op=">=", threshold=0.8, motion="Tier upgrade"),
...         dict(rule="near", signal="u", op="<", threshold=0.9, motion=None),
...         dict(rule="at", signal="u", op=">=", threshold=0.9, motion="Tier upgrade")]
>>> [(rows[i]["rule"], rows[i]["op"], col, v, note)
...  for i, col, v, note in plan(rows, [(2, 0.873, {})])]
[('at', '>=', 'threshold', 0.873, ''), ('near', '<', 'threshold', 0.873, 'follows at')]
"""

from __future__ import annotations

import math
from typing import Any

from ..core import _args

__all__ = ["EXTRA_COLUMNS", "plan", "ordered"]

EXTRA_COLUMNS = ("points", "persistence", "window")  # written on a rule's first row
_UP, _DOWN = (">=", ">"), ("<=", "<")


def _key(rule: Any) -> str:
    return "" if _args.is_blank(rule) else str(rule).strip().lower()


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        parsed = _args.parse_number(value)
        return math.nan if parsed is None else float(parsed)
    return math.nan


def _blank(value: Any) -> bool:
    return value is None or _args.is_blank(value) or (isinstance(value, float) and math.isnan(value))


def _extra_value(rule: str, col: str, value: Any) -> float:
    where = f"thresholds {col} of {rule}"
    if col == "points":
        x = _args.number(where, value)
    else:
        x = float(_args.integer(where, value, minimum=1))
    if not math.isfinite(x):
        raise _args.fail(where, "a finite number", value)
    return x


def plan(table_rows: list[dict], matches: list[tuple[int, float, dict]],
         columns: Any = ("threshold", *EXTRA_COLUMNS)) -> list[tuple[int, str, float, str]]:
    """The cell edits of an export: (table row index, column, new value, note).

    ``table_rows``: the Rules table rows (rule, signal, op, threshold, and motion, points,
    persistence, window when the table has them); ``matches``: (row index, new threshold
    or NaN, the export row with its optional points / persistence / window). Thresholds
    come first (in the order given), then the band edges that follow them, then the
    first-row columns; a column the table lacks is reported with a note, not written.
    """
    first: dict[str, int] = {}
    motion: dict[str, str] = {}
    for i, t in enumerate(table_rows):
        k = _key(t["rule"])
        first.setdefault(k, i)
        if k not in motion and not _blank(t.get("motion")):
            motion[k] = str(t["motion"]).strip()
    new = {i: float(v) for i, v, _ in matches if not math.isnan(float(v))}
    edits: list[tuple[int, str, float, str]] = [(i, "threshold", v, "") for i, v in new.items()]
    edits += _families(table_rows, first, motion, new)
    for i, _v, want in matches:
        head = first[_key(table_rows[i]["rule"])]
        for col in EXTRA_COLUMNS:
            value = want.get(col)
            if _blank(value):
                continue
            x = _extra_value(table_rows[i]["rule"], col, value)
            note = "" if col in columns else f"the Rules table has no {col} column: not written"
            edits.append((head, col, x, note))
    return edits


def ordered(table_rows: list[dict], matches: list[tuple[int, float, dict]],
            columns: Any = ("threshold", *EXTRA_COLUMNS)) -> tuple[list, list]:
    """(kept, left out): the proposals in order, leaving out each one that would empty a
    band given the ones kept before it (so the first proposals win).

    >>> rows = [dict(rule="near", signal="u", op=">=", threshold=0.8, motion="Tier upgrade"),
    ...         dict(rule="near", signal="u", op="<", threshold=0.9, motion=None),
    ...         dict(rule="at", signal="u", op=">=", threshold=0.9, motion="Tier upgrade")]
    >>> kept, out = ordered(rows, [(2, 0.87, {}), (0, 0.87, {})])
    >>> [i for i, _, _ in kept], [i for i, _, _ in out]
    ([2], [0])
    """
    kept, left = [], []
    for m in matches:
        try:
            plan(table_rows, [*kept, m], columns)
        except ValueError:
            left.append(m)
            continue
        kept.append(m)
    return kept, left


def _families(rows, first, motion, new) -> list[tuple[int, str, float, str]]:
    """Band edges that follow their neighbour's new threshold; refuses an emptied band."""
    out = []
    value = {i: _number(t["threshold"]) for i, t in enumerate(rows)}
    by_rule: dict[str, list[int]] = {}
    for i, t in enumerate(rows):
        by_rule.setdefault(_key(t["rule"]), []).append(i)
    for k, idx in by_rule.items():
        for signal in dict.fromkeys(rows[i]["signal"] for i in idx):
            lo = [i for i in idx if rows[i]["signal"] == signal and rows[i]["op"] in _UP]
            hi = [i for i in idx if rows[i]["signal"] == signal and rows[i]["op"] in _DOWN]
            if len(lo) != 1 or len(hi) != 1:
                continue  # not a band on this signal
            lo_i, hi_i = lo[0], hi[0]
            neighbours = []
            for other, u in first.items():
                if other == k or motion.get(other) != motion.get(k) or rows[u]["signal"] != signal:
                    continue
                if rows[u]["op"] in _UP and value[u] == value[hi_i]:
                    neighbours.append((u, hi_i))  # the band below: its upper edge follows
                elif rows[u]["op"] in _DOWN and value[u] == value[lo_i]:
                    neighbours.append((u, lo_i))  # the band above (≤ rules): lower edge follows
            names = []
            for u, edge in neighbours:
                names.append(rows[u]["rule"])
                if u in new and new[u] != value[u]:  # the neighbour moves: its edge too
                    new[edge] = new[u]
                    out.append((edge, "threshold", new[u], f"follows {rows[u]['rule']}"))
            a, b = new.get(lo_i, value[lo_i]), new.get(hi_i, value[hi_i])
            closed = rows[lo_i]["op"] == ">=" and rows[hi_i]["op"] == "<="
            if (a > b or (a == b and not closed)) and (lo_i in new or hi_i in new):
                band = (f"{signal} {rows[lo_i]['op']} {a:g} and {rows[hi_i]['op']} {b:g}")
                with_ = f" (its edge follows {', '.join(names)})" if names else ""
                raise _args.InputError(
                    f"thresholds: rule {rows[idx[0]]['rule']!r} would hold for no value "
                    f"({band}){with_}: export thresholds that keep "
                    f"{' and '.join([repr(rows[idx[0]]['rule'])] + [repr(n) for n in names])} apart"
                )
    return out
