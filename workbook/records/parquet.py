"""Reading a Parquet table, such as the history panel ``python -m workbook signals --panel``
writes, and choosing between it and the CSV/XLSX reader.

A Parquet file keeps its column types (numbers, text, dates), so it is handed on as it is;
a CSV or XLSX goes through :func:`read_table` (encodings, delimiters, decimal commas, ids
kept as text). A file that is not Parquet, or cannot be read, is one line naming it.

>>> import io, pandas as pd
>>> buf = io.BytesIO(); pd.DataFrame({"account_id": ["a1"], "period": [1]}).to_parquet(buf)
>>> read_any_table(buf.getvalue(), label="panel.parquet").to_dict("list")
{'account_id': ['a1'], 'period': [1]}
>>> read_any_table(b"account_id,period\\na1,1\\n", label="panel.csv").to_dict("list")
{'account_id': ['a1'], 'period': [1.0]}
>>> read_parquet(b"account_id,period\\n", label="panel.parquet")
Traceback (most recent call last):
...
workbook.records.raw.ReadError: panel.parquet: not a Parquet file (no Parquet footer: a damaged file, or another format under a .parquet name)
"""

from __future__ import annotations

import io
import os
from typing import Any

import pandas as pd

from .load import read_table
from .raw import ReadError

__all__ = ["PARQUET_EXTENSIONS", "is_parquet", "read_any_table", "read_parquet"]

PARQUET_EXTENSIONS = (".parquet", ".pq")
MAGIC = b"PAR1"  # a Parquet file starts and ends with these four bytes


def _ext(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def is_parquet(source: Any, label: str | None = None) -> bool:
    """Whether ``source`` (a path, or bytes named ``label``) is meant as Parquet: by its
    extension, or by the marker its first bytes carry (an upload renamed .csv).

    >>> is_parquet(b"PAR1...", "x.csv"), is_parquet(b"a,b", "x.pq"), is_parquet("x.csv")
    (True, True, False)
    """
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:4]) == MAGIC or _ext(label or "") in PARQUET_EXTENSIONS
    path = os.fspath(source)
    if _ext(path) in PARQUET_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == MAGIC
    except OSError:
        return False


def read_parquet(source: Any, label: str | None = None) -> pd.DataFrame:
    """A Parquet file (path, folder of parts or bytes) as a DataFrame with its own types.

    Raises a one-line :class:`ReadError` naming the file: no such file, not Parquet,
    unreadable (the reader's first line), or pyarrow missing.
    """
    if isinstance(source, (bytes, bytearray)):
        data, label = bytes(source), label or "the upload"
        if len(data) < 8 or data[:4] != MAGIC or data[-4:] != MAGIC:
            raise _not_parquet(label)
        target: Any = io.BytesIO(data)
    else:
        path = os.fspath(source)
        label = label or os.path.basename(path.rstrip("/\\")) or path
        if not os.path.exists(path):
            raise ReadError(f"{label}: no such file ({path})")
        if not os.path.isdir(path):  # a folder of parts (Spark's output) is read as one table
            try:
                with open(path, "rb") as fh:
                    head = fh.read(4)
                    fh.seek(max(0, os.path.getsize(path) - 4))
                    tail = fh.read(4)
            except PermissionError:
                raise ReadError(f"{label}: cannot be opened (permission denied)") from None
            if head != MAGIC or tail != MAGIC or os.path.getsize(path) < 8:
                raise _not_parquet(label)
        target = path
    try:
        return pd.read_parquet(target)
    except ImportError:
        raise ReadError(f"{label}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    except Exception as err:  # noqa: BLE001 - any reader failure is the file's problem, in one line
        first = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise ReadError(f"{label}: cannot be read as Parquet ({first.strip()})") from None


def _not_parquet(label: str) -> ReadError:
    return ReadError(f"{label}: not a Parquet file (no Parquet footer: a damaged file, or another "
                     "format under a .parquet name)")


def read_any_table(source: Any, *, label: str | None = None, numbers: tuple[str, ...] | str = "*",
                   ) -> pd.DataFrame:
    """A Parquet, CSV or XLSX file (path or bytes) as a DataFrame: Parquet with its own
    types (:func:`read_parquet`), the others through :func:`read_table` with ``numbers``."""
    if is_parquet(source, label):
        return read_parquet(source, label)
    return read_table(source, label=label, numbers=numbers)
