"""Arrow text read from its buffers with numpy, for a million cells without a string each.

:func:`holding` finds the cells holding a few bytes (summary ids' candidates);
:func:`surely_distinct` tells that every cell differs from each cell's length and its
first and last 8 bytes (all of a cell up to 16 bytes), sorted as one number a cell, so
the ids of an export are checked without a hash table of strings.

>>> a = pa.chunked_array([["A1", "Total", None], ["B2"]])
>>> holding(a, (b"otal", b"OTAL")).tolist(), surely_distinct(a)
([1], True)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _buffers(chunk: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """A text chunk's offsets (n + 1) and data bytes as numpy views, None for another layout."""
    if pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type):
        width = 8
    elif pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type):
        width = 4
    else:
        return None
    _, offsets, data = chunk.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64 if width == 8 else np.int32, count=len(chunk) + 1,
                            offset=chunk.offset * width).astype(np.int64, copy=False)
    size = int(offsets[-1]) if len(chunk) else 0
    return offsets, (np.frombuffer(data, dtype=np.uint8, count=size) if size else np.zeros(0, np.uint8))


def _chunks(a: Any) -> Iterator[tuple[int, Any]]:
    """(position of its first cell, chunk) of an Arrow array or chunked array."""
    start = 0
    for chunk in a.chunks if isinstance(a, pa.ChunkedArray) else [a]:
        yield start, chunk
        start += len(chunk)


def holding(a: Any, needles: tuple[bytes, ...], *, any_case: bool = False) -> np.ndarray:
    """Positions of the cells of Arrow text ``a`` whose bytes hold one of ``needles``
    (bytes of one length), as ``pc.match_substring`` finds them: the first byte's matches
    in the data buffer, then the next bytes of those only. ``any_case``: needles of lower
    case ASCII letters match their letters in either case (a byte | 0x20 is such a letter
    only when it is that letter, upper or lower case)."""
    k = len(needles[0])
    if any_case:
        assert all(n.isalpha() and n.islower() and n.isascii() for n in needles), needles
    found = []
    for start, chunk in _chunks(a):
        views = _buffers(chunk) if len(chunk) else None
        if views is None:
            if len(chunk):  # another layout of text: Arrow's own search
                match = pc.match_substring(chunk, needles[0].decode(), ignore_case=any_case)
                for x in needles[1:]:
                    match = pc.or_(match, pc.match_substring(chunk, x.decode(), ignore_case=any_case))
                found.append(np.flatnonzero(pc.fill_null(match, False).to_numpy(zero_copy_only=False)) + start)
            continue
        offsets, data = views
        lo = int(offsets[0])
        d = data[lo:] | np.uint8(0x20) if any_case else data[lo:]
        hits = []
        for needle in needles:
            at = np.flatnonzero(d[: max(len(d) - k + 1, 0)] == needle[0])
            for j in range(1, k):
                at = at[d[at + j] == needle[j]]
            hits.append(at + lo)
        at = np.concatenate(hits)
        row = np.searchsorted(offsets, at, side="right") - 1
        found.append(np.unique(row[at + k <= offsets[row + 1]]) + start)  # within one cell
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


_K1, _K2, _K3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def surely_distinct(a: Any) -> bool:
    """True when the non-null cells of Arrow text ``a`` all differ (told from each cell's
    length and first and last 8 bytes, mixed into one number a cell and sorted: different
    numbers are different cells). False when two numbers meet: equal cells, or (rarely)
    different ones alike there; the caller then counts exactly."""
    keys = []
    for _, chunk in _chunks(a):
        views = _buffers(chunk) if len(chunk) else None
        if views is None:
            if len(chunk):
                return False
            continue
        offsets, data = views
        begin, end = offsets[:-1], offsets[1:]
        if chunk.null_count:
            valid = chunk.is_valid().to_numpy(zero_copy_only=False)
            begin, end = begin[valid], end[valid]
        if not len(begin):
            continue
        lo = int(offsets[0])
        padded = np.zeros(int(offsets[-1]) - lo + 16, dtype=np.uint8)  # 8 bytes either side
        padded[8: 8 + int(offsets[-1]) - lo] = data[lo:]
        words = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
        length = (end - begin).astype(np.uint64)
        first = words[begin - lo + 8]  # the cell's first 8 bytes (and what follows a shorter one)
        last = words[end - lo]  # its last 8 bytes (and what precedes a shorter one)
        short = length < 8
        if short.any():  # a short cell: its own bytes only
            keep = np.left_shift(np.uint64(1), np.minimum(length, 7) * np.uint64(8)) - np.uint64(1)
            first = np.where(short, first & keep, first)
            last = np.where(short, np.uint64(0), last)
        key = first * _K1
        key ^= key >> np.uint64(29)
        key += last * _K2
        key ^= key >> np.uint64(32)
        key += length * _K3
        key *= _K1
        key ^= key >> np.uint64(29)
        keys.append(key)
    if not keys:
        return True
    key = np.sort(np.concatenate(keys))
    return not bool((key[1:] == key[:-1]).any())
