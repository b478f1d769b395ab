"""The product records the signals are computed from: their columns, reading and checks.

Each source (usage, caps, seats, users, web, tickets, features, feature_events) may be a
CSV, Parquet or XLSX file, a table of a DuckDB database file (``events.duckdb:usage``),
a pandas DataFrame or an Ibis table. Headers are matched like the account import's: case,
spaces, dashes and underscores alike, plus the usual export spellings (``Customer ID``,
``Event Time``, ``Qty``). Files are read by the engine itself (streamed; a large Parquet
file is never loaded into pandas); only an XLSX sheet passes through pandas.

Every row read is either used or counted under one problem in the report: no account
id, a date that cannot be read, a quantity that is not a number or negative, a date after
``as_of``, an account absent from the accounts export, an exact repeat of a row.

Columns and header spellings: :mod:`.specs`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from udfs.core import _args

from .specs import PROBLEM_CODES, PROBLEMS, SOURCES, TIER_ORDER, EmptySource, SourceSpec
from .summary import summarize

__all__ = ["PROBLEMS", "SOURCES", "TIER_ORDER", "EmptySource", "SourceReport", "SourceSpec",
           "clean", "fill_report", "key", "key_text", "read_source"]

# --------------------------------------------------------------------------- report

FEW_VALUES = 16  # a key column of an event source with at most this many values is grouped by number


@dataclass
class SourceReport:
    """What one source gave: rows in = rows used + the rows counted under each problem."""

    name: str
    label: str
    rows_in: int = 0
    rows_used: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # header -> column

    def lines(self) -> list[str]:
        out = [f"{self.name}: {self.rows_in:,} rows from {self.label}; {self.rows_used:,} used."]
        labels = dict(PROBLEMS)
        for key, n in self.problems.items():
            if n:
                ex = self.examples.get(key)
                shown = f" (e.g. {', '.join(repr(e) for e in ex)})" if ex else ""
                out.append(f"  {n:,} {'row' if n == 1 else 'rows'} left out: {labels[key]}{shown}")
        out.extend("  " + n for n in self.notes)
        return out


# --------------------------------------------------------------------------- reading


def _duckdb_table(path: str) -> tuple[str, str] | None:
    """('file.duckdb', 'table') for a ``file.duckdb:table`` source, else None."""
    m = re.match(r"^(.*\.(?:duckdb|ddb|db)):([A-Za-z_][\w.]*)$", path)
    return (m.group(1), m.group(2)) if m else None


def read_source(engine: Any, source: Any, spec: SourceSpec) -> tuple[ibis.Table, str, dict, list]:
    """``source`` as an Ibis table on ``engine`` with the spec's column names.

    Returns (table, label, header -> column, notes). A missing required column, an
    unreadable or absent file is a one-line ``ValueError`` naming the source.
    """
    name = spec.name
    notes: list[str] = []
    if isinstance(source, ibis.Table):
        table, label = source, "an Ibis table"
    elif isinstance(source, pd.DataFrame):
        table, label = ibis.memtable(_plain(source)), "a DataFrame"
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label = os.path.basename(path) or path
        table = _read_path(engine, path, name)
    else:
        raise _args.InputError(f"{name}: expected a file path, a DataFrame or an Ibis table, "
                               f"got {type(source).__name__}")
    mapping: dict[str, str] = {}
    for header in table.columns:
        column = spec.column_for(header)
        if column is None:
            continue
        if column in mapping.values():
            first = next(h for h, c in mapping.items() if c == column)
            notes.append(f"column {header!r} also means {column}; {first!r} is used")
            continue
        mapping[header] = column
    missing = [c for c in spec.required if c not in mapping.values()]
    if missing:
        spellings = sorted(a for a, c in spec.aliases.items() if c == missing[0])[:4]
        also = f" (or {', '.join(spellings)})" if spellings else ""
        raise _args.InputError(
            f"{name}: expected a column {missing[0]!r}{also} in {label}; its columns are "
            f"{', '.join(map(str, table.columns[:12]))}")
    unused = [h for h in table.columns if h not in mapping]
    if unused:
        notes.append("columns not used: " + ", ".join(map(str, unused[:12]))
                     + (" …" if len(unused) > 12 else ""))
    table = table.select(**{column: table[header] for header, column in mapping.items()})
    return table, label, mapping, notes


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame whose headers are text and whose object columns hold text or blanks."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype).startswith(("string", "str")):
            out[c] = out[c].astype(object).where(out[c].notna(), None).map(
                lambda v: v if v is None or isinstance(v, str) else str(v))
    return out


def _read_path(engine: Any, path: str, name: str) -> ibis.Table:
    db = _duckdb_table(path)
    if db is not None:
        return _read_duckdb_table(engine, db[0], db[1], name)
    if not os.path.exists(path) and not any(ch in path for ch in "*?["):
        raise _args.InputError(f"{name}: no such file {path!r}")
    ext = os.path.splitext(path.rstrip("/"))[1].lower()
    try:
        if ext in (".parquet", ".pq") or os.path.isdir(path):
            return engine.con.read_parquet(path)
        if ext in (".csv", ".txt", ".tsv", ".gz"):
            if os.path.getsize(path) == 0:
                raise EmptySource(os.path.basename(path))
            if engine.name == "duckdb":
                return engine.con.read_csv(path, all_varchar=True, header=True)
            return engine.con.read_csv(path, header=True, inferSchema=False)
        if ext in (".xlsx", ".xlsm"):
            from ..records import read_table

            return ibis.memtable(_plain(read_table(path)))
    except (_args.InputError, EmptySource):
        raise
    except Exception as err:  # noqa: BLE001 - any reader failure is the file's problem
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise _args.InputError(f"{name}: could not read {os.path.basename(path)!r}: {first}") from None
    raise _args.InputError(f"{name}: expected a .parquet, .csv or .xlsx file or FILE.duckdb:TABLE, "
                           f"got {os.path.basename(path)!r}")


def _read_duckdb_table(engine: Any, path: str, table: str, name: str) -> ibis.Table:
    if not os.path.exists(path):
        raise _args.InputError(f"{name}: no such DuckDB database {path!r}")
    if engine.name == "duckdb":
        alias = engine.attached.get(path)
        if alias is None:
            alias = f"src{len(engine.attached)}"
            safe = path.replace("'", "''")
            engine.raw.execute(f"ATTACH '{safe}' AS {alias} (READ_ONLY)")
            engine.attached[path] = alias
        tables = {r[0] for r in engine.raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [alias]).fetchall()}
        if table not in tables:
            raise _args.InputError(f"{name}: {os.path.basename(path)!r} has no table {table!r} "
                                   f"(it has {', '.join(sorted(tables)) or 'none'})")
        return engine.con.table(table, database=(alias, "main"))
    import duckdb

    with duckdb.connect(path, read_only=True) as raw:  # Spark: a small table through pandas
        try:
            frame = raw.execute(f'SELECT * FROM "{table}"').df()
        except duckdb.Error as err:
            raise _args.InputError(f"{name}: {os.path.basename(path)!r}: {str(err).splitlines()[0]}") from None
    return ibis.memtable(_plain(frame))


# --------------------------------------------------------------------------- cleaning


def key_text(value: ibis.Value) -> ibis.Value:
    """Names matched loosely (metrics, plans, tags, features): trimmed, lower case, spaces
    and dashes as underscores ('API calls' is api_calls), as :func:`key` does in Python."""
    return value.cast("string").strip().lower().re_replace(r"[\s\-]+", "_")


def key(text: Any) -> str | None:
    """
    >>> key(" Upgrade request "), key("API-calls")
    ('upgrade_request', 'api_calls')
    """
    if not isinstance(text, str) or not text.strip():
        return None
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _date_value(col: ibis.Value) -> tuple[ibis.Value, bool]:
    """(a UTC date, whether the column holds zone-aware timestamps by its type)."""
    t = col.type()
    if t.is_date():
        return col, False
    if t.is_timestamp():
        return col.date(), t.timezone is not None
    if t.is_string():
        text = col.strip()
        return text.try_cast(dt.Timestamp(timezone="UTC")).date(), False
    return ibis.null().cast("date"), False


def _number(col: ibis.Value) -> ibis.Value:
    t = col.type()
    if t.is_numeric():
        return col.cast("float64")
    if t.is_string():
        return col.strip().try_cast("float64")
    if t.is_boolean():
        return col.cast("int64").cast("float64")
    return ibis.null().cast("float64")


def clean(engine: Any, table: ibis.Table, spec: SourceSpec, as_of: date,
          known: ibis.Table | None, report: SourceReport,
          shifts: tuple[int, ...] | None = None) -> tuple[ibis.Table, ibis.Table, dict[str, list[str]]]:
    """The rows of ``table`` fit to use (typed columns), and an expression counting the
    rows under their first problem (:data:`PROBLEMS`; ``_ok`` for the good ones, ``_used``
    for those left once exact repeats of event rows are removed): source, kind, n, two
    examples, timestamps with a zone. :func:`fill_report` reads its result.

    With ``shifts`` (days, for an event source), the rows are summed instead, once, into
    a table the engine keeps (:func:`.summary.summarize`): one grouping adds them up per
    account, the other key columns and ``_m{s}``, the month of date + s for each shift s
    (blank after ``as_of``), and finds where an exact repeat may be; the counts come from
    it too. A key column with few values (at most :data:`FEW_VALUES`, a metric) is summed
    by its number ``_k_{column}`` (kept beside its text): the third result gives, per such
    column, its values in the order of their numbers ({} otherwise).

    With ``known`` holding ``_code`` (a number per account of the export), an event
    source's account_id is that number, not the text: every grouping and join of the
    definitions then keys on a small integer, and the caller maps it back to the id.
    """
    present = set(table.columns)
    cols: dict[str, ibis.Value] = {}
    extra: dict[str, ibis.Value] = {}
    if "account_id" in present:
        cols["account_id"] = table.account_id.cast("string").strip()
    zone_typed = False
    if "date" in present:
        cols["date"], zone_typed = _date_value(table.date)
        if not table.date.type().is_date():
            # part of an exact repeat: two hourly rows on one day are not repeats (a DATE
            # column has nothing more than the day: not needed)
            extra["_raw_date"] = table.date
        if table.date.type().is_string():
            extra["_zoned"] = table.date.strip().re_search(r"(Z|[+-]\d\d:?\d\d)$")
    bad_number = ibis.literal(False)
    negative = ibis.literal(False)
    for c, kind in spec.columns.items():
        if c not in present or c in cols:
            continue
        if kind == "number":
            value = _number(table[c])
            cols[c] = value
            given = table[c].notnull()
            if table[c].type().is_string():
                given = given & (table[c].strip() != "")
            bad_number = bad_number | (value.isnull() if c in spec.required else given & value.isnull())
            if c in spec.non_negative:
                negative = negative | (value < 0).fill_null(False)
        elif kind == "key":
            cols[c] = key_text(table[c])
        elif kind == "id":
            cols[c] = table[c].cast("string").strip()
        else:
            cols[c] = table[c].cast("string")
    joined = known is not None and "account_id" in cols and spec.events
    typed = table.mutate(**{f"_c_{k}": v for k, v in cols.items() if not (joined and k == "account_id")},
                         **extra, _bad_number=bad_number, _negative=negative,
                         **({"_raw_id": table.account_id.cast("string")} if joined else {}))
    checks: list[tuple[str, ibis.Value]] = []
    ids = None
    if joined:
        # ``known``: account_id, and _code (a number per id, ids each once) when given
        coded = "_code" in known.columns
        ids = known.select(_known=known.account_id, **({"_code": known._code} if coded else {})).distinct()
        typed = _known_ids(typed, ids, coded)
    if "account_id" in cols:
        checks.append(("no_account", typed._c_account_id.isnull() | (typed._c_account_id == "")))
    if "date" in cols:
        checks.append(("bad_date", typed._c_date.isnull()))
    checks.append(("bad_number", typed._bad_number))
    checks.append(("negative", typed._negative))
    if "date" in cols:
        checks.append(("after_as_of", typed._c_date > ibis.literal(as_of)))
    if "_known" in typed.columns:
        checks.append(("unknown_account", typed._known.isnull()))
    branches = [(cond.fill_null(False), code) for code, cond in checks]
    typed = typed.mutate(_problem=ibis.cases(*branches, else_=ibis.null().cast("string")),
                         # the same as a small number (PROBLEMS' index): cheaper to group by
                         _pcode=ibis.cases(*[(cond, ibis.literal(PROBLEM_CODES[code], "int8"))
                                             for cond, code in branches],
                                           else_=ibis.null().cast("int8")))
    example = typed._c_account_id if "_c_account_id" in typed.columns else ibis.null().cast("string")
    raw_date = (typed._raw_date.cast("string") if "_raw_date" in typed.columns
                else typed._c_date.cast("string") if "_c_date" in typed.columns else None)
    if raw_date is not None:
        example = ibis.ifelse(typed._problem == "bad_date", raw_date, example)
    zoned = typed._zoned.fill_null(False) if "_zoned" in typed.columns else ibis.literal(False)
    if zone_typed:
        report.notes.append("timestamps with a time zone: read as UTC dates")
    names = [f"_c_{k}" for k in cols]
    raw = ["_raw_date"] if "_raw_date" in typed.columns else []
    if spec.events and shifts is not None and "date" in cols:
        # the examples are only read for these two problems
        shown = typed._problem.isin(["bad_date", "unknown_account"]).fill_null(False)
        typed = typed.mutate(_ex=ibis.ifelse(shown, example.cast("string"), ibis.null().cast("string")),
                             _z=zoned.cast("int8"))
        # a key with few values (a metric) is grouped by as a small number, not its text
        few = {}
        for k, v in cols.items():
            if spec.columns.get(k) == "key":
                got = engine.con.execute(table.select(_v=v).distinct().limit(FEW_VALUES + 1))["_v"]
                if len(got) <= FEW_VALUES and got.notna().any():
                    few[k] = sorted(got[got.notna()].astype(str))
        return (*summarize(engine, typed, spec, list(cols), raw, shifts, as_of,
                           ids if ids is not None and "_code" in ids.columns else None, few), few)
    typed = typed.mutate(_ex=example.cast("string"), _z=zoned.cast("int64"))
    stats = typed.group_by("_problem").aggregate(
        n=typed.count(), ex_min=typed._ex.min(), ex_max=typed._ex.max(), zoned=typed._z.sum())
    stats = stats.select(source=ibis.literal(spec.name), kind=stats._problem.fill_null("_ok"),
                         n=stats.n.cast("int64"), ex_min=stats.ex_min, ex_max=stats.ex_max,
                         zoned=stats.zoned.cast("int64"))
    good = typed.filter(typed._problem.isnull())
    if spec.events:
        # an exact repeat: the same row twice as read (two hourly rows on one day are not)
        good = good.select(*names, *raw, *(["_code"] if "_code" in good.columns else [])).distinct()
        used = good.count()
        n = ibis.literal(None, "string")
        stats = ibis.union(stats, ibis.memtable({"x": [0]}).select(
            source=ibis.literal(spec.name), kind=ibis.literal("_used"), n=used.as_scalar().cast("int64"),
            ex_min=n, ex_max=n, zoned=ibis.literal(0, "int64")), distinct=False)
    coded = "_code" in good.columns  # each account as its number (the export's row)
    return good.select(**{k: good._code if coded and k == "account_id" else good[f"_c_{k}"]
                          for k in cols}), stats, {}


def _known_ids(typed: ibis.Table, ids: ibis.Table, coded: bool) -> ibis.Table:
    """``typed`` with ``_c_account_id`` (its ``_raw_id`` trimmed) and, from ``ids``, the
    export's id ``_known`` (and its number ``_code``) it matches, or blanks.

    The same as joining the trimmed id, without trimming each row: a row whose id as read
    is an id of the export that needs no trimming is that account (its trim changes
    nothing); only the other rows are trimmed and looked up again. (Trimming every one of
    100M ids cost more than grouping them.)
    """
    exact = ids.filter(ids._known == ids._known.strip())
    exact = exact.select(_rknown=exact._known, **({"_rcode": exact._code} if coded else {}))
    t = typed.left_join(exact, typed._raw_id == exact._rknown)
    t = t.mutate(_c_account_id=ibis.ifelse(t._rknown.notnull(), t._raw_id, t._raw_id.strip()))
    t = t.mutate(_look=ibis.ifelse(t._rknown.isnull(), t._c_account_id, ibis.null().cast("string")))
    t = t.left_join(ids, t._look == ids._known)
    t = t.mutate(_known=ibis.coalesce(t._rknown, t._known),
                 **({"_code": ibis.coalesce(t._rcode, t._code)} if coded else {}))
    return t.drop("_raw_id", "_rknown", "_look", *(["_rcode"] if coded else []))


def fill_report(report: SourceReport, stats: pd.DataFrame, events: bool) -> None:
    """Fill ``report`` from the rows of :func:`clean`'s statistics for its source."""
    rows = stats[stats["source"] == report.name]
    by = {k: int(n) for k, n in zip(rows["kind"], rows["n"], strict=True)}
    report.rows_in = sum(n for k, n in by.items() if k != "_used")
    report.problems = {code: by.get(code, 0) for code, _ in PROBLEMS if code != "duplicate"}
    ok = by.get("_ok", 0)
    used = by.get("_used", ok) if events else ok
    if events:
        report.problems["duplicate"] = ok - used
    report.rows_used = used
    for _, r in rows.iterrows():
        if r["kind"] in ("unknown_account", "bad_date") and isinstance(r["ex_min"], str):
            report.examples[r["kind"]] = sorted({r["ex_min"], r["ex_max"]} - {None})
    zoned = int(pd.to_numeric(rows["zoned"], errors="coerce").fillna(0).sum())
    if zoned:
        report.notes.append(f"{zoned:,} timestamp{'s' * (zoned != 1)} with a time zone: read as UTC dates")
