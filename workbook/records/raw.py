"""What every reader of a user's file hands on: the head of the table read so far
(:class:`RawTable`), the one-line :class:`ReadError`, pandas' text dtype the tables keep
their text in, and giving freed memory back after a large read.

>>> TEXT.storage, issubclass(ReadError, ValueError)
('pyarrow', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


def _text_dtype() -> pd.StringDtype:
    """pandas' own text dtype: Arrow strings with NaN for a missing value (``str``)."""
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pragma: no cover - pandas before 2.3
        return pd.StringDtype("pyarrow_numpy")


TEXT = _text_dtype()


class ReadError(ValueError):
    """The file cannot be read at all; the message is one line naming the file and the fix."""


@dataclass
class RawTable:
    """The head of a file as rows of cells, plus how to read the rest of it.

    ``rows`` holds the first records (all of them for an XLSX or a short CSV) with their
    row numbers; :func:`.reading.read_body` reads every record from a given row on.
    """

    label: str  # the file name, as messages show it
    kind: str  # 'csv' or 'xlsx'
    rows: list[list[Any]]
    numbers: list[int]
    complete: bool  # rows holds the whole file
    encoding: str = ""
    delimiter: str = ","
    source: Any = None  # path or bytes, for read_body
    line_of_row: dict[int, int] = field(default_factory=dict)  # CSV row -> physical line (0-based)
    rest_width: int = 0  # fields of the widest CSV record of the head after ``rows``
    notes: list[str] = field(default_factory=list)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, col index) without a value
    sheet: str = ""


def release_memory() -> None:
    """Give back to the system the memory a reading step freed but its allocators keep for
    reuse: Arrow's pool, and (glibc) the C heap, where the slices of a sheet and the parser's
    buffers leave free pages between the columns kept. Nothing in use moves."""
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # glibc; elsewhere the system keeps its own way
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


_MALLOC_TRIM = _malloc_trim()
