"""Work beside the caller on a second core, where there is one.

A big book's queue has two long, independent stretches (evaluating the rules beside
reading the ids and dates; writing the reasons beside building the other columns).
:func:`beside` starts one on a worker thread and hands back a ``Future``; numpy and
pandas release the interpreter lock in their loops, so both stretches run at once.
Small inputs, Pyodide (xlwings Lite: no threads) and work already on a worker run it
inline, so the results never depend on where it ran.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["beside", "MIN_ROWS"]

MIN_ROWS = 50_000  # below this, the hop to a thread costs more than it saves
_PREFIX = "upcell-beside"
_pool: dict[str, ThreadPoolExecutor] = {}  # made on first use
_lock = threading.Lock()


def beside(rows: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` started on a worker thread for ``rows`` rows of work, as a
    ``Future`` (``.result()`` waits, and raises what ``fn`` raised); run now, inline, when
    ``rows`` < :data:`MIN_ROWS`, in Pyodide, or from a worker itself.

    >>> beside(10, sum, [1, 2]).result()
    3
    """
    if rows < MIN_ROWS or sys.platform == "emscripten" or threading.current_thread().name.startswith(_PREFIX):
        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - handed to the caller by result()
            done.set_exception(error)
        return done
    return _workers().submit(fn, *args, **kwargs)


def _workers() -> ThreadPoolExecutor:
    with _lock:
        if not _pool:  # two: concurrent calls (a server's requests) need not queue
            _pool["workers"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix=_PREFIX)
        return _pool["workers"]
