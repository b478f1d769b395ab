"""Account ids for scoring: which rows are scored, and the ids as text (SPEC §2, §8).

A blank id, an Excel error (``#N/A``) or a summary row's id (Total, Subtotal, Grand
total, in any case) is not scored: the row stays in the queue as Not scored, with a
note. A duplicate id is noted on its later rows. Ids read from a file stay pandas' Arrow
text when they need no change, so a million ids make no million Python strings.

>>> from udfs.scoring._accounts import read_accounts
>>> ids, scored = account_ids(read_accounts("accounts", {"account_id": ["a", "Total", ""]}), {})
>>> list(ids), scored.tolist()
(['a', 'Total', ''], [True, False, False])
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ._accounts import WHITESPACE, Accounts, is_text

__all__ = ["account_ids", "ascending"]



@lru_cache(maxsize=1)
def _summary_variants() -> frozenset[str]:
    """Every spelling of the summary ids in upper and lower case letters (Total, TOTAL...)."""
    out = set()
    for word in playbook.SUMMARY_IDS:
        letters = [(c.lower(), c.upper()) if c.isalpha() else (c,) for c in word]
        out.update("".join(p) for p in itertools.product(*letters))
    return frozenset(out)


_ERROR_TEXTS = frozenset(_args.EXCEL_ERRORS | {e.lower() for e in _args.EXCEL_ERRORS})


@lru_cache(maxsize=1)
def _special_edges() -> tuple[np.ndarray, np.ndarray]:
    """(first bytes, lengths in bytes) that error and summary ids have, in UTF-8."""
    special = [t.encode() for t in _ERROR_TEXTS | _summary_variants()]
    return np.unique([t[0] for t in special]).astype(np.uint8), np.unique([len(t) for t in special])


def account_ids(acc: Accounts, notes: dict) -> tuple[Any, np.ndarray]:
    """(ids as text, scored) per row: blank, error and summary ids are not scored.

    The ids are an object array, or pandas' Arrow text as read when they need no change
    (no Python object per id is made). Duplicate ids are noted on the later rows (which
    are still scored).
    """
    raw = acc.columns["account_id"]
    if is_text(raw) and not raw.hasnans and raw.dtype.storage == "pyarrow":
        edges = _edges(raw.array)
        if _trimmed(raw, edges) and ascending(raw.array):
            return _sorted_scored(raw.array, notes, acc.first_row, edges)  # the usual file: ids as read
    items = raw.to_numpy(dtype=object) if hasattr(raw, "to_numpy") else np.asarray(raw, dtype=object)
    n = len(items)
    ids = np.empty(n, dtype=object)
    if is_text(raw) and not raw.hasnans:  # pandas text, no blanks: stripped by pandas
        stripped = raw.str.strip(WHITESPACE)
        if not bool((stripped == raw).all()):
            ids = stripped.to_numpy(dtype=object)
        else:  # Arrow's cells become new objects; other storage may hand out its own array
            ids = items if raw.dtype.storage == "pyarrow" else items.copy()
        text = True
    else:
        text = pd.api.types.infer_dtype(items, skipna=False) == "string"
        if text:
            ids[:] = [v.strip() for v in items]
    if text:  # the usual case: text ids
        if ascending(ids):  # so unique: no hashing
            return _sorted_scored(ids, notes, acc.first_row)
        ids = ids.copy() if ids is items else ids  # items keep the cells as given, for the notes
        codes, uniq = pd.factorize(ids)
        uniq = pd.Index(uniq)
        kind = np.zeros(len(uniq), dtype=np.int8)  # 0 id, 1 blank, 2 Excel error, 3 summary
        kind[np.asarray(uniq == "")] = 1
        kind[uniq.isin(_ERROR_TEXTS)] = 2
        kind[uniq.isin(_summary_variants())] = 3
        kinds = kind[codes]
    else:
        kinds = np.zeros(n, dtype=np.int8)
        for i, item in enumerate(items):
            if _args.is_blank(item):
                ids[i], kinds[i] = "", 1
            elif _args.is_excel_error(item):
                ids[i], kinds[i] = "", 2
            elif isinstance(item, (float, np.floating)) and float(item).is_integer():
                ids[i] = str(int(item))
            else:
                ids[i] = str(item).strip()
                kinds[i] = 3 if ids[i].lower() in playbook.SUMMARY_IDS else 0
        codes, uniq = pd.factorize(ids)
    ids[kinds == 2] = ""
    for i in np.flatnonzero((kinds == 1) | (kinds == 2)):
        item = items[i]
        what = f"is the Excel error {str(item).strip().upper()}" if _args.is_excel_error(item) else "is blank"
        notes.setdefault(int(i), []).append(f"row {int(i) + acc.first_row}: account_id {what}")
    scored = kinds == 0
    if len(uniq) < n:
        dup = pd.Index(codes).duplicated(keep="first") & scored
        first_row: dict[int, int] = {}
        for i in np.flatnonzero(dup):
            code = int(codes[i])
            if code not in first_row:
                first_row[code] = int(np.argmax(codes == code))
            notes.setdefault(int(i), []).append(
                f"row {int(i) + acc.first_row}: account_id {ids[i]!r} repeats row {first_row[code] + acc.first_row}"
            )
    return ids, scored


def _edges(text: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first byte, last byte, length in bytes) of each cell of pandas' Arrow text, read from
    its buffers (no string is made); an empty cell has bytes 0."""
    import pyarrow as pa

    parts = []
    for chunk in pa.chunked_array(pa.array(text)).chunks:
        wide = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=wide)[chunk.offset: chunk.offset + len(chunk) + 1]
        size = np.diff(offsets).astype(np.int64, copy=False)
        data = np.frombuffer(chunk.buffers()[2] or b"", dtype=np.uint8)
        if not data.size:  # empty cells only
            parts.append((np.zeros(len(chunk), dtype=np.uint8), np.zeros(len(chunk), dtype=np.uint8), size))
            continue
        # an empty cell reads a neighbour's byte (clipped at the buffer's ends): set to 0 below
        first, last = np.take(data, offsets[:-1], mode="clip"), np.take(data, offsets[1:] - 1, mode="clip")
        empty = size == 0
        if empty.any():
            first[empty], last[empty] = 0, 0
        parts.append((first, last, size))
    if len(parts) == 1:
        return parts[0]
    first, last, size = zip(*parts, strict=True) if parts else ([np.zeros(0, np.uint8)], [np.zeros(0, np.uint8)], [np.zeros(0, np.int64)])
    return np.concatenate(first), np.concatenate(last), np.concatenate(size)


def _trimmed(raw: pd.Series, edges: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bool:
    """Whether no cell of pandas' Arrow text changes under ``str.strip(WHITESPACE)``.

    Every character of WHITESPACE begins and ends, in UTF-8, with a byte below 0x21 or
    above 0x7F: cells whose first and last bytes are printable ASCII (``edges``) are
    trimmed; only when some cell is not is the column stripped to tell.
    """
    first, last, size = edges
    printable = (first - np.uint8(0x21) < 0x5F) & (last - np.uint8(0x21) < 0x5F)  # 0x21 ... 0x7F
    if bool((printable | (size == 0)).all()):
        return True
    return bool((raw.str.strip(WHITESPACE) == raw).all())


def ascending(ids: Any) -> bool:
    """Whether text ids (an object array or pandas text) are strictly ascending, so unique."""
    if len(ids) < 2:
        return len(ids) == 1
    if isinstance(ids, np.ndarray):
        return bool(np.greater(ids[1:], ids[:-1]).all())
    return bool((ids[1:] > ids[:-1]).all())


def _sorted_scored(ids: Any, notes: dict, first_row: int,
                   edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[Any, np.ndarray]:
    """(ids, scored) for unique ids in ascending order: blank, error and summary ids are
    found by binary search in an object array (a blank sorts first, '#' errors before digits
    and letters), in pandas text by one lookup of the cells whose first byte and length
    (``edges``) some such id has (the text is copied before an error id is blanked: it is
    the caller's column)."""
    scored = np.ones(len(ids), dtype=bool)
    if ids[0] == "":
        scored[0] = False
        notes.setdefault(0, []).append(f"row {first_row}: account_id is blank")
    special = sorted(_ERROR_TEXTS | _summary_variants())
    if isinstance(ids, np.ndarray):
        at = np.searchsorted(ids, special)
        found = [(int(i), t) for i, t in zip(at.tolist(), special, strict=True) if i < len(ids) and ids[i] == t]
    else:  # pandas' Arrow text (account_ids hands no other kind here): Arrow's own lookup
        import pyarrow as pa
        import pyarrow.compute as pc

        # only cells whose first byte and length some special id has are looked up
        first, _, size = edges
        heads, sizes = _special_edges()
        rows = np.flatnonzero(np.isin(first, heads) & np.isin(size, sizes))
        hit = pc.is_in(pa.array(ids).take(rows), value_set=pa.array(special)).to_numpy(zero_copy_only=False)
        found = [(int(i), ids[i]) for i in rows[hit]]
    if not isinstance(ids, np.ndarray) and any(t in _ERROR_TEXTS for _, t in found):
        ids = ids.copy()
    for i, text in found:
        scored[i] = False
        if text in _ERROR_TEXTS:
            ids[i] = ""
            notes.setdefault(i, []).append(f"row {i + first_row}: account_id is the Excel error {text.upper()}")
    return ids, scored
