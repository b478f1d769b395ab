"""Signals from product records: the Accounts table and the history panel from raw exports.

``compute_signals(sources, as_of)`` turns usage, caps, seats, users, web, tickets and a
feature catalog (files, DuckDB tables, DataFrames) into the account columns at
``as_of`` and the same signals at each month end, on DuckDB (default) or Spark.
"""

from .compute import SignalReport, compute_signals
from .definitions import DEFAULT_GATED_TAGS, SIGNALS
from .engine import ENGINES, EngineError, connect, java_available
from .sources import SOURCES, TIER_ORDER

__all__ = ["DEFAULT_GATED_TAGS", "ENGINES", "EngineError", "SIGNALS", "SOURCES", "SignalReport",
           "TIER_ORDER", "compute_signals", "connect", "java_available"]
