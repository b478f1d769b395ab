"""The account import (SPEC §2): the reading layer of :mod:`workbook.records` for accounts.

>>> book = load_accounts([["Account ID", "ARR", "Seat Utilization", "Owner email"],
...                       ["a1", "$12,000", "92%", "x@y.z"], [None, None, None, None],
...                       ["a2", "n/a", 0.5, None]])
>>> book.frame.columns.tolist()
['account_id', 'arr', 'seat_utilization', 'Owner email']
>>> book.frame["arr"].tolist()
[12000.0, 'n/a']
>>> print(book.report.lines()[-2])
  row 4, arr: 'n/a' is not a number (kept as text; scoring names this row)
"""

from __future__ import annotations

from .records import AccountBook, BadCell, ImportError_, ImportReport, load_accounts

__all__ = ["AccountBook", "BadCell", "ImportError_", "ImportReport", "load_accounts"]
