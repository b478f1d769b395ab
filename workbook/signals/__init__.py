"""Signals from product records: the Accounts table and the history panel from raw exports.

``compute_signals(sources, as_of)`` turns usage, caps, seats, users, web, tickets and a
feature catalog (files, DuckDB tables, DataFrames) into the account columns at ``as_of``
and the same signals at each month end, on DuckDB (default) or Spark. The names below
load on first use, so the command line starts without the engines.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "compute_signals": ".compute", "SignalReport": ".compute",
    "SIGNALS": ".definitions", "DEFAULT_GATED_TAGS": ".definitions",
    "ENGINES": ".engine", "EngineError": ".engine", "connect": ".engine", "java_available": ".engine",
    "SOURCES": ".specs", "TIER_ORDER": ".specs",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_NAMES[name], __name__), name)
