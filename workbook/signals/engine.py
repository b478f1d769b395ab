"""Where the signal definitions run: DuckDB embedded (default) or a Spark session.

The definitions (:mod:`.definitions`) are Ibis expressions; this module only opens the
backend they are compiled for. ``connect("duckdb")`` opens an in-memory DuckDB database
(nothing to install, no server); ``connect("spark", spark=session)`` uses the Spark
session given (a cluster's, or a local one), and ``connect("spark")`` without a session
starts a local one. Both engines count days in UTC.

>>> engine = connect("duckdb")
>>> engine.name, engine.con.execute(ibis.literal(1) + 1)
('duckdb', 2)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any

import ibis

ENGINES = ("duckdb", "spark")
JAVA_ADVICE = ("--engine spark needs Java 17 (on Debian/Ubuntu: apt-get install "
               "openjdk-17-jre-headless), or use --engine duckdb")


class EngineError(ValueError):
    """The engine asked for cannot run here (one line saying what to install)."""


@dataclass
class Engine:
    name: str  # 'duckdb' or 'spark'
    con: Any  # the Ibis backend
    raw: Any = None  # the DuckDB connection, or the Spark session
    attached: dict | None = None  # DuckDB database files attached: path -> alias
    scratch: Any = None  # DuckDB's spill folder (removed with the engine)
    kept: str | None = None  # DuckDB: the scratch database of materialized tables

    def materialize(self, expr: Any) -> Any:
        """``expr`` computed once and kept by the engine (a temporary table on DuckDB,
        spilled to its scratch folder beyond the memory limit; a cached DataFrame on
        Spark): later queries read it instead of recomputing it."""
        if self.name == "duckdb":
            import uuid

            if not self.kept:
                # a database file in the scratch folder: stored compressed, read back
                # through DuckDB's buffer (memory stays for the groupings)
                path = os.path.join(self.scratch.name, "kept.duckdb").replace("'", "''")
                self.raw.execute(f"ATTACH '{path}' AS upcell_kept")
                self.kept = "upcell_kept"
            return self.con.create_table(f"t_{uuid.uuid4().hex[:12]}", expr,
                                         database=(self.kept, "main"))
        self.con._run_pre_execute_hooks(expr)  # Spark: the in-memory tables it reads, registered
        return self.con._cached_table(expr)


class _DuckDBCompat:
    """A DuckDB connection as the Ibis DuckDB backend expects it.

    DuckDB 2 renamed ``fetch_arrow_table`` to ``to_arrow_table``; Ibis 12 still calls the
    old name. Everything else passes through unchanged.
    """

    def __init__(self, obj: Any) -> None:
        object.__setattr__(self, "_obj", obj)

    def __getattr__(self, name: str) -> Any:
        obj = self._obj
        if name == "fetch_arrow_table" and not hasattr(obj, name):
            def fetch():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return obj.to_arrow_table()
            return fetch
        attr = getattr(obj, name)
        if name in ("execute", "cursor", "sql") and callable(attr):
            import duckdb

            def call(*args, **kwargs):
                out = attr(*args, **kwargs)
                return _DuckDBCompat(out) if isinstance(out, duckdb.DuckDBPyConnection) else out
            return call
        return attr

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._obj.close()


def java_available() -> bool:
    """Whether a Java runtime that Spark can start is on this machine."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return False
    try:
        subprocess.run([java, "-version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def local_spark(threads: int = 2) -> Any:
    """A local Spark session for the signals (UTC days, few shuffle partitions, no UI)."""
    if not java_available():
        raise EngineError(JAVA_ADVICE)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("--engine spark needs pyspark: pip install 'upcell[spark]'") from None
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON") or _python())
    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("upcell-signals")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, threads)))
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def _python() -> str:
    import sys

    return sys.executable


DUCKDB_MEMORY = "3000MB"  # DuckDB's memory limit: beyond it, large groupings spill to disk


def connect(engine: str = "duckdb", *, spark: Any = None, threads: int | None = None,
            memory_limit: str | None = None) -> Engine:
    """Open the backend the signals run on (see the module docstring).

    DuckDB keeps to ``memory_limit`` (default :data:`DUCKDB_MEMORY`, or the environment's
    ``UPCELL_DUCKDB_MEMORY``): a larger grouping spills to a temporary folder instead.
    """
    name = str(engine or "duckdb").strip().lower()
    if name not in ENGINES:
        raise EngineError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if name == "duckdb":
        import duckdb

        raw = duckdb.connect()
        raw.execute("SET TimeZone = 'UTC'")
        if threads:
            raw.execute(f"SET threads = {int(threads)}")
        limit = memory_limit or os.environ.get("UPCELL_DUCKDB_MEMORY") or DUCKDB_MEMORY
        scratch = tempfile.TemporaryDirectory(prefix="upcell-duckdb-")
        try:
            raw.execute("SET memory_limit = ?", [str(limit)])
        except duckdb.Error:
            raise EngineError(f"memory_limit: expected a size such as 3GB, got {limit!r}") from None
        raw.execute("SET temp_directory = ?", [scratch.name])
        raw.execute("SET preserve_insertion_order = false")  # results are sorted where it matters
        eng = Engine("duckdb", ibis.duckdb.from_connection(_DuckDBCompat(raw)), raw, {})
        eng.scratch = scratch
        return eng
    session = spark if spark is not None else local_spark(threads or 2)
    if spark is not None:
        # days are counted in UTC on both engines (a zone-aware timestamp is a UTC date)
        session.conf.set("spark.sql.session.timeZone", "UTC")
    try:
        con = ibis.pyspark.connect(session)
    except Exception as err:  # noqa: BLE001 - any start failure is one line
        raise EngineError(f"engine: the Spark session could not be used: {err}") from None
    return Engine("spark", con, session, None)
