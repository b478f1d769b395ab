"""The queue snapshot store: a DuckDB database file, one row per account per ``as_of``.

Each ``python -m workbook queue`` or ``build`` run given ``--snapshots [FILE]`` appends its
scored queue (``udfs.snapshot_frame``: the queue with the account's segment and ARR and the
Rules + Plays version). What changed, the flags and the Playbook results read it back.

How it keeps what it holds:

- **Transactions.** A snapshot is written in one transaction (the rows of its ``as_of``
  deleted and the new ones inserted together), so a run killed in the middle leaves the
  store as it was: DuckDB rolls an unfinished transaction back when the file is next
  opened. A new store is made under a temporary name and linked into place.
- **Same as_of twice** replaces the earlier snapshot of that day and says so.
- **Two writers** are serialised by a lock file beside the store (``.NAME.lock``, as the
  write-back into a model does); readers take it too, briefly, since DuckDB lets one
  process at a time open a file it writes.
- **Ready runs** (the rows flags are made of: the first snapshot of each run in which an
  account is the same ready play, and the run's last day) are kept in a table of their
  own, extended on each append of a newer day and rebuilt when an older day is written or
  replaced, so reading the flags never scans every snapshot.
- **A damaged store** (or a file that is not an upcell store) is reported in one line and
  never written to, truncated or rebuilt: it is left exactly as it was.

>>> store = SnapshotStore("nowhere/at/all.duckdb")
>>> store.exists()
False
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from udfs.outcomes.snapshots import SNAPSHOT_COLUMNS, snapshot_frame

__all__ = ["DEFAULT_STORE", "SnapshotStore", "StoreError", "Appended"]

HERE = Path(__file__).resolve().parent
DEFAULT_STORE = HERE / "upcell_snapshots.duckdb"
TABLE, RUNS, META = "queue_snapshots", "snapshot_runs", "upcell_store"
READY = "ready_runs"  # the first row of each run of ready snapshots, kept up to date on append
FORMAT = 1  # the store's layout version
LOCK_TIMEOUT = 120.0
_SQL_TYPES = {"date": "DATE", "number": "DOUBLE", "flag": "BOOLEAN", "id": "VARCHAR", "text": "VARCHAR"}


class StoreError(ValueError):
    """A store that cannot be used, in one line; nothing was written."""


@dataclass
class Appended:
    """What :meth:`SnapshotStore.append` did: the days written, rows, days replaced."""

    path: Path
    days: list[dt.date]
    rows: int
    replaced: dict[dt.date, int]  # as_of -> rows of the snapshot it replaced

    def lines(self) -> list[str]:
        days = ", ".join(f"{d:%Y-%m-%d}" for d in self.days)
        out = [f"Snapshot of {days}: {self.rows:,} rows appended to {self.path.name}."]
        for day, n in self.replaced.items():
            out.append(f"note: {self.path.name} already had a snapshot of {day:%Y-%m-%d} "
                       f"({n:,} rows); it was replaced by this one.")
        return out


def _first_line(err: BaseException) -> str:
    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return text.removeprefix("IO Error: ").removeprefix("Catalog Error: ")


class SnapshotStore:
    """A snapshot store at ``path`` (created by the first :meth:`append`)."""

    def __init__(self, path: str | os.PathLike = DEFAULT_STORE):
        self.path = Path(path)

    # ------------------------------------------------------------------ opening

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def _lock(self) -> Iterator[None]:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path.with_name(f".{self.path.name}.lock")), timeout=LOCK_TIMEOUT)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(f"{self.path.name}: another run has been writing it for {LOCK_TIMEOUT:.0f} s; "
                             "try again when it has finished") from None
        except OSError as err:
            raise StoreError(f"{self.path.parent}: cannot create the lock file beside the store "
                             f"({err.strerror or err})") from None
        try:
            yield
        finally:
            lock.release()

    def _connect(self, *, read_only: bool):
        """A connection to a readable upcell store; anything else is a one-line StoreError
        and the file is left untouched (a damaged store is opened read-only to find out)."""
        import duckdb

        if not self.path.exists():
            raise StoreError(f"{self.path}: no snapshot store there yet (a queue or build run with "
                             "--snapshots starts one)")
        if not self.path.is_file():
            raise StoreError(f"{self.path}: not a file")
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as err:
            if "lock" in str(err).lower():
                raise StoreError(f"{self.path.name}: another program has the store open "
                                 f"({_first_line(err)}); close it and retry") from None
            raise StoreError(f"{self.path.name}: not a snapshot store DuckDB can read "
                             f"({_first_line(err)}); it was left as it is") from None
        try:
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
            if not {TABLE, RUNS, META} <= tables:
                raise StoreError(f"{self.path.name}: a DuckDB database but not an upcell snapshot store "
                                 f"(no table {TABLE!r}); it was left as it is")
            version = con.execute(f"SELECT max(format) FROM {META}").fetchall()[0][0]
            if version is None or int(version) > FORMAT:
                raise StoreError(f"{self.path.name}: a snapshot store of a newer upcell (format "
                                 f"{version}); upgrade upcell to read it")
        except duckdb.Error as err:
            con.close()
            raise StoreError(f"{self.path.name}: the store is damaged ({_first_line(err)}); "
                             "it was left as it is") from None
        except StoreError:
            con.close()
            raise
        if read_only:
            return con
        con.close()
        try:
            return duckdb.connect(str(self.path))
        except duckdb.Error as err:
            raise StoreError(f"{self.path.name}: cannot write the store ({_first_line(err)}); "
                             "nothing was written") from None

    def _create(self) -> None:
        """A new, empty store: made under a temporary name, then linked into place."""
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.new")
        try:
            con = duckdb.connect(str(tmp))
            columns = ", ".join(f"{c} {_SQL_TYPES[k]}" for c, k in SNAPSHOT_COLUMNS.items())
            con.execute(f"CREATE TABLE {TABLE} ({columns})")
            con.execute(f"CREATE TABLE {RUNS} (as_of DATE, rules_version VARCHAR, rows BIGINT, "
                        "taken_at TIMESTAMP, source VARCHAR)")
            con.execute(f"CREATE TABLE {META} (format INTEGER, created_at TIMESTAMP)")
            con.execute(f"INSERT INTO {META} VALUES (?, ?)", [FORMAT, dt.datetime.now()])
            con.close()
            try:
                os.link(tmp, self.path)  # never over a file that appeared meanwhile
            except FileExistsError:
                pass
        except OSError as err:
            raise StoreError(f"{self.path.parent}: cannot create the store there ({err.strerror or err})") from None
        finally:
            for leftover in (tmp, Path(f"{tmp}.wal")):
                if leftover.exists():
                    leftover.unlink()

    # ------------------------------------------------------------------ reading

    @contextmanager
    def _reading(self):
        """A read-only connection under the lock; a read that fails is a one-line StoreError."""
        import duckdb

        with self._lock():
            con = self._connect(read_only=True)
            try:
                yield con
            except duckdb.Error as err:
                raise StoreError(f"{self.path.name}: the store is damaged ({_first_line(err)}); "
                                 "it was left as it is") from None
            finally:
                con.close()

    def runs(self) -> pd.DataFrame:
        """One row per snapshot: as_of, rules_version, rows, taken_at, source (by as_of)."""
        with self._reading() as con:
            return con.execute(f"SELECT * FROM {RUNS} ORDER BY as_of").df()

    def as_ofs(self) -> list[dt.date]:
        return [pd.Timestamp(d).date() for d in self.runs()["as_of"]]

    def _query(self, sql: str, params: list | None = None, con=None) -> pd.DataFrame:
        """A query's result as a DataFrame: text as pandas' text dtype (held by Arrow, no
        Python string per cell), a missing text as '', dates as datetime64[ns]. ``con``: a
        connection already open (else one is opened for the query)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if con is None:
            with self._reading() as con:
                return self._query(sql, params, con)
        table = con.sql(sql, params=params or None).to_arrow_table()
        columns = []
        for field, column in zip(table.schema, table.columns, strict=True):
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                column = pc.fill_null(column, "")
            elif pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
                column = column.cast(pa.timestamp("ns"))
            columns.append(column)
        return pa.table(columns, names=table.column_names).to_pandas(self_destruct=True)

    def snapshot(self, as_of: Any) -> pd.DataFrame:
        """The snapshot of ``as_of`` in queue order (empty when there is none)."""
        day = pd.Timestamp(as_of).date()
        frame = self._query(f"SELECT * FROM {TABLE} WHERE as_of = ?", [day])
        rank = frame["rank"].to_numpy(float)
        if not (rank[1:] >= rank[:-1]).all():  # kept in queue order as appended: sorted only when not
            frame = frame.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)  # a blank rank last
        return frame

    def previous(self, as_of: Any) -> dt.date | None:
        """The latest snapshot day before ``as_of``, or None."""
        day = pd.Timestamp(as_of).date()
        earlier = [d for d in self.as_ofs() if d < day]
        return earlier[-1] if earlier else None

    def flag_rows(self, columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """The rows ``udfs.play_flags`` makes flags of, read without the rest of the store:
        the first row of each run of consecutive snapshots in which an account is a ready
        play (ready, blank pipeline_status) of the same play, with ``ready_until``, the
        last day of the run. ``udfs.play_flags(rows, store.as_ofs())`` gives the flags."""
        cols = ", ".join(dict.fromkeys(("as_of", "account_id", "play", "ready", *columns)))
        with self._reading() as con:
            kept = bool(con.execute("SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_schema = 'main' AND table_name = ?", [READY]).fetchall()[0][0])
            source = READY if kept else f"({_READY_RUNS})"  # a store written before the table existed
            return self._query(f"SELECT {cols}, ready_until FROM {source}", con=con)

    def rebuild_ready_runs(self) -> None:
        """Rebuild the ready runs from every row (after rows were written into the store's
        tables by other means than :meth:`append`, as the benchmark does)."""
        with self._lock():
            con = self._connect(read_only=False)
            try:
                con.execute(f"CREATE OR REPLACE TABLE {READY} AS {_READY_RUNS}")
            finally:
                con.close()

    def read(self) -> pd.DataFrame:
        """Every snapshot (by as_of, then queue order)."""
        return self._query(f"SELECT * FROM {TABLE} ORDER BY as_of, rank")

    # ------------------------------------------------------------------ writing

    def append(self, queue: Any, as_of: Any = None, accounts: Any = None, rules_version: str = "",
               source: str = "") -> Appended:
        """Append a queue as the snapshot of ``as_of`` (or of each ``as_of`` of a table that
        has the column); a day already stored is replaced, and :class:`Appended` says so."""
        frame = snapshot_frame(queue, as_of=as_of, accounts=accounts, rules_version=rules_version)
        if frame.empty:
            raise StoreError("snapshot: the queue has no rows; nothing was written")
        days = [pd.Timestamp(d).date() for d in np.unique(frame["as_of"].to_numpy("datetime64[D]"))]
        with self._lock():
            if not self.path.exists():
                self._create()
            con = self._connect(read_only=False)
            try:
                replaced = self._write(con, frame, days, source)
            finally:
                con.close()
        return Appended(self.path, days, len(frame), replaced)

    def _write(self, con, frame: pd.DataFrame, days: list[dt.date], source: str) -> dict[dt.date, int]:
        import duckdb

        frame = frame.assign(as_of=frame["as_of"].dt.normalize())
        counts = frame.groupby("as_of").agg(rows=("account_id", "size"), version=("rules_version", "first"))
        now = dt.datetime.now().replace(microsecond=0)
        try:
            con.execute("BEGIN TRANSACTION")
            old = dict(con.execute(f"SELECT as_of, rows FROM {RUNS} WHERE as_of IN "
                                   f"({', '.join('?' * len(days))})", days).fetchall())
            con.execute(f"DELETE FROM {TABLE} WHERE as_of IN ({', '.join('?' * len(days))})", days)
            con.execute(f"DELETE FROM {RUNS} WHERE as_of IN ({', '.join('?' * len(days))})", days)
            latest = con.execute(f"SELECT max(as_of) FROM {RUNS}").fetchall()[0][0]
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {TABLE} SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM incoming")
            con.executemany(f"INSERT INTO {RUNS} VALUES (?, ?, ?, ?, ?)",
                            [[d.date(), str(r.version), int(r.rows), now, source] for d, r in counts.iterrows()])
            _update_ready_runs(con, days, latest, rebuild=bool(old))
            con.unregister("incoming")
            con.execute("COMMIT")
        except duckdb.Error as err:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise StoreError(f"{self.path.name}: the snapshot could not be written ({_first_line(err)}); "
                             "the store is as it was") from None
        return {pd.Timestamp(d).date(): int(n) for d, n in old.items()}


# The runs of ready snapshots from every row: the days numbered, the live rows (ready, no
# opportunity on them), a run = consecutive day numbers of one account and play.
_READY_RUNS = f"""
    WITH days AS (SELECT as_of, row_number() OVER (ORDER BY as_of) AS t FROM {RUNS}),
    live AS (SELECT s.account_id, s.play, d.t FROM {TABLE} s JOIN days d ON d.as_of = s.as_of
             WHERE s.ready AND coalesce(s.pipeline_status, '') = ''),
    runs AS (SELECT account_id, play, min(t) AS t0, max(t) AS t1 FROM (
                 SELECT *, t - row_number() OVER (PARTITION BY account_id, play ORDER BY t) AS run
                 FROM live) GROUP BY account_id, play, run)
    SELECT s.*, d1.as_of AS ready_until FROM runs r
    JOIN days d0 ON d0.t = r.t0 JOIN days d1 ON d1.t = r.t1
    JOIN {TABLE} s ON s.as_of = d0.as_of AND s.account_id = r.account_id AND s.play = r.play"""


def _update_ready_runs(con, days: list[dt.date], latest: dt.date | None, rebuild: bool) -> None:
    """Keep the ready runs in step with a write of ``days`` (inside its transaction, after
    the rows and the day are in). One new day after every stored one (``latest``, the
    newest before it; None in a new store): the runs live on ``latest`` that are live
    again are extended, the other live rows start runs. Anything else (several days, an
    older day, a day replaced) rebuilds the table from every row."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                         "AND table_name = ?", [READY]).fetchall()[0][0]
    day = days[0] if len(days) == 1 else None
    if rebuild or not exists or day is None or (latest is not None and day <= latest):
        con.execute(f"CREATE OR REPLACE TABLE {READY} AS {_READY_RUNS}")
        return
    live = "SELECT * FROM incoming WHERE ready AND coalesce(pipeline_status, '') = ''"
    if latest is not None:
        con.execute(f"""UPDATE {READY} r SET ready_until = ? FROM ({live}) i
                        WHERE r.ready_until = ? AND r.account_id = i.account_id AND r.play = i.play""",
                    [day, latest])
    con.execute(f"""INSERT INTO {READY} SELECT {', '.join(f'i.{c}' for c in SNAPSHOT_COLUMNS)}, ?::DATE
                    FROM ({live}) i ANTI JOIN (SELECT account_id, play FROM {READY} WHERE ready_until = ?) r
                    ON r.account_id = i.account_id AND r.play = i.play""", [day, day])


def import_snapshots(store: SnapshotStore, table: Any, source: str = "") -> Appended:
    """Append every snapshot of a table that has an ``as_of`` column (e.g. the bundled
    sample snapshots) to ``store``."""
    return store.append(table, source=source)
