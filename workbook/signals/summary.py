"""The usage summary: an event source's checked rows summed once per account, key columns
and the months its windows need (:func:`summarize`), kept by the engine; every window of
the definitions is then a sum over that summary, and the report's counts come from it.

Also the month number of a date, the engine's own functions it uses (bit_count, bit_or,
a date plus days) and the day numbers of each account's first record (:func:`first_day`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from .specs import PROBLEM_CODES, SourceSpec


def month_number(day: ibis.Value) -> ibis.Value:
    """year × 12 + month − 1 of a date (months counted on one line)."""
    return (day.year().cast("int32") * 12 + day.month().cast("int32") - 1).cast("int32")


@ibis.udf.scalar.builtin(name="add", signature=((dt.date, dt.int32), dt.date))
def _date_add(day, days):  # noqa: ARG001 - DuckDB's date + integer days (a date)
    """The day ``days`` days after ``day``."""


def plus_days(engine: Any, day: ibis.Value, days: int) -> ibis.Value:
    """``day`` + ``days`` days, a date. DuckDB adds an integer to a date directly (a date
    plus an interval is a timestamp there, slower to take the month of); elsewhere the
    interval (Spark's date + days is a date)."""
    if getattr(engine, "name", None) == "duckdb":
        return _date_add(day, ibis.literal(days, "int32"))
    return day + ibis.interval(days=days)


@ibis.udf.scalar.builtin(signature=((dt.int64,), dt.int64))
def bit_count(x):  # noqa: ARG001 - the engine's own function (DuckDB and Spark alike)
    """The number of 1 bits of an integer."""


@ibis.udf.agg.builtin(signature=((dt.int64,), dt.int64))
def bit_or(x):  # noqa: ARG001 - the engine's own aggregate (DuckDB and Spark alike)
    """The bitwise or of a column's integers."""


SHIFT_BITS = 4  # each shifted month is stored as its distance from the row's month, in 4 bits
NO_MONTH = (1 << SHIFT_BITS) - 1  # that distance when date + s is after as_of (no month)
MONTH_OFFSET = 1 << 20  # added to the month number: every bucket of a row without a problem is >= 0
DAYS_LOOKED_UP = 3660  # summarize: the days before as_of whose bucket is looked up, not computed


def summarize(engine: Any, typed: ibis.Table, spec: SourceSpec, cols: list[str], raw: list[str],
              shifts: tuple[int, ...], as_of: date, ids: ibis.Table | None = None,
              few: dict[str, list[str]] | None = None) -> tuple[ibis.Table, ibis.Table]:
    """The checked rows of an event source summed per account, key columns and the months
    ``_m{s}`` of date + s (each s of ``shifts``; blank when after ``as_of``) and the
    group's first day ``_firstday`` (its lowest day bit, as :func:`first_day` numbers it),
    kept by the engine; and the counts
    of the report read from that summary.

    The months are one grouping key, the bucket ``_b``: the month of the row (plus
    :data:`MONTH_OFFSET`) and, in 4 bits each, how many months later date + s falls
    (:data:`NO_MONTH` when after as_of). A row with a problem has the bucket −1 − its
    problem's number (:data:`PROBLEMS`' index): every row read is in exactly one group.

    A group (one bucket of an account and metric, within one month) holds an exact repeat
    only if two of its rows share a day: ``_days`` has the bit 2^(day of month − 1) of each
    row's day (a bitwise or), and the days are all different exactly when it has as many 1
    bits as the group has rows. Only the rows of the other groups, if any, go through the exact
    repeat check (one group per distinct row; its count less one is the repeats), then are
    summed again over their distinct rows. ``_rows``: rows read; ``_used``: distinct rows.

    The grouping is the costly step (every row, millions of groups): its keys are few and
    small. With ``ids`` (the accounts export: _known, _code) an account is its number
    ``_code``, and stays so in the summary's account_id (the definitions group and join by
    it; the caller reads the ids back). A key column of ``few`` (column -> all its values)
    is grouped by as the value's number in that list, and read back as the text; the
    number stays beside it as ``_k_{column}`` (definitions may group and join by it).
    """
    names = [f"_c_{k}" for k in cols]
    sums = [k for k in cols if spec.columns.get(k) == "number"]
    keys = [k for k in cols if k not in ("date", *sums)]
    coded = ids is not None and "account_id" in keys and "_code" in typed.columns
    later = sorted(set(shifts) - {0})
    if any((s // 28 + 2) >= NO_MONTH for s in later):
        raise ValueError(f"summarize: a shift of {max(later)} days does not fit {SHIFT_BITS} bits")
    width = SHIFT_BITS * len(later)

    def bucket(day: ibis.Value) -> ibis.Value:
        m0 = month_number(day).cast("int64")
        out = (m0 + MONTH_OFFSET) << width
        for i, s in enumerate(later):
            shifted = plus_days(engine, day, s)
            ahead = ibis.ifelse(shifted <= ibis.literal(as_of), month_number(shifted).cast("int64") - m0,
                                ibis.literal(NO_MONTH, "int64"))
            out = out + (ahead << (SHIFT_BITS * (len(later) - 1 - i)))
        return out

    def day_bit(day: ibis.Value) -> ibis.Value:
        return ibis.literal(1, "int64") << (day.day() - 1).cast("int64")

    # the buckets and day bits of the last DAYS_LOOKED_UP days, looked up by date (a join
    # with a small table costs a fraction of the date arithmetic); earlier days computed
    days = pd.DataFrame({"_day": pd.date_range(end=pd.Timestamp(as_of), periods=DAYS_LOOKED_UP).date})
    days = ibis.memtable(days).select(_day=ibis._["_day"].cast("date"))
    days = engine.materialize(days.select("_day", _db=bucket(days._day), _dbit=day_bit(days._day)))
    looked = typed.left_join(days, typed._c_date == days._day)
    few = few or {}

    def number(col: ibis.Value, values: list[str]) -> ibis.Value:
        return ibis.cases(*[(col == v, ibis.literal(i, "int16")) for i, v in enumerate(values)],
                          else_=ibis.null().cast("int16"))

    key_cols = {f"_k_{k}": number(looked[f"_c_{k}"], few[k]) if k in few else looked[f"_c_{k}"]
                for k in keys if not (coded and k == "account_id")}
    rows = looked.mutate(**key_cols,
                         _b=ibis.ifelse(looked._pcode.isnull(), ibis.coalesce(looked._db, bucket(looked._c_date)),
                                        -1 - looked._pcode.cast("int64")),
                         _bit=ibis.coalesce(looked._dbit, day_bit(looked._c_date))).drop("_day", "_db", "_dbit")
    group = (["_code"] if coded else []) + list(key_cols) + ["_b"]
    zoned = "_zoned" in typed.columns  # text dates only: a time zone can be written there

    def summed(t: ibis.Table, n: ibis.Value | None) -> ibis.Table:
        # few aggregates: the grouping keeps one state each per group (a large one spills)
        one = ibis.literal(1, "int64")
        agg = t.group_by(group).aggregate(
            _rows=(t.count() if n is None else n.sum()).cast("int64"),
            **({"_used": t.count().cast("int64")} if n is not None else {}),
            _days=bit_or(t._bit),
            **({"_zoned": (t._z.cast("int64") * (one if n is None else n)).sum().cast("int64")}
               if zoned else {}),
            **{k: t[f"_c_{k}"].sum() for k in sums})
        if n is None:  # no repeat: all used (not stored twice)
            agg = agg.mutate(_used=agg._rows)
        return agg.select(*group, "_rows", "_used",
                          *[c for c in agg.columns if c not in (*group, "_rows", "_used")])

    agg = summed(rows, None)
    kept = engine.materialize(agg.drop("_used"))
    summary = kept.mutate(_used=kept._rows).select(*agg.columns)
    shared = (summary._b >= 0) & (bit_count(summary._days) != summary._rows)
    if engine.con.execute(summary.filter(shared).count()):
        # the exact check, only for the groups where two rows share a day
        suspect = summary.filter(shared).select(*group)
        good = rows.filter(rows._b >= 0)
        good = good.semi_join(suspect, [good[c].identical_to(suspect[c]) for c in group])
        distinct = good.group_by([*group, *names, *raw, "_z", "_bit"]).aggregate(_n=good.count())
        fixed = summed(distinct, distinct._n).cast(summary.schema())  # (Spark keeps int8 as int)
        summary = engine.materialize(ibis.union(summary.filter(~shared), fixed, distinct=False))
    summary = summary.mutate(_pcode=ibis.ifelse(summary._b < 0, -1 - summary._b, ibis.null().cast("int64")))
    by = summary.group_by("_pcode").aggregate(
        n=summary._rows.sum(), used=summary._used.sum(),
        **({"zoned": summary._zoned.sum()} if zoned else {}))
    if not zoned:
        by = by.mutate(zoned=ibis.literal(0, "int64"))
    by = by.mutate(_problem=ibis.cases(*[(by._pcode == i, code) for code, i in PROBLEM_CODES.items()],
                                       else_=ibis.null().cast("string")))
    shown = [PROBLEM_CODES[p] for p in ("bad_date", "unknown_account")]
    if engine.con.execute(summary.filter(summary._pcode.isin(shown)).count()):
        # examples of these problems: a second look at those rows only
        bad = rows.filter(rows._pcode.isin(shown))
        ex = bad.group_by("_problem").aggregate(ex_min=bad._ex.min(), ex_max=bad._ex.max())
        j = by.left_join(ex, by._problem.identical_to(ex._problem))
        by = j.select(_problem=j._problem, n=j.n, used=j.used, zoned=j.zoned,
                      ex_min=j.ex_min, ex_max=j.ex_max)
    else:
        by = by.mutate(ex_min=ibis.null().cast("string"), ex_max=ibis.null().cast("string"))
    stats = by.select(source=ibis.literal(spec.name), kind=by._problem.fill_null("_ok"),
                      n=by.n.cast("int64"), ex_min=by.ex_min, ex_max=by.ex_max,
                      zoned=by.zoned.cast("int64"))
    ok = by.filter(by._problem.isnull())
    n = ibis.literal(None, "string")
    stats = ibis.union(stats, ok.select(
        source=ibis.literal(spec.name), kind=ibis.literal("_used"), n=ok.used.cast("int64"),
        ex_min=n, ex_max=n, zoned=ibis.literal(0, "int64")), distinct=False)
    good = summary.filter(summary._b >= 0)
    month = (good._b >> width) - MONTH_OFFSET
    months = {"_m0": month.cast("int32")}
    for i, s in enumerate(later):
        ahead = (good._b >> (SHIFT_BITS * (len(later) - 1 - i))) & NO_MONTH
        months[f"_m{s}"] = ibis.ifelse(ahead == NO_MONTH, ibis.null().cast("int32"),
                                       (month + ahead).cast("int32"))

    def text(k: str) -> ibis.Value:
        col = good[f"_k_{k}"]
        if k not in few:
            return col
        return ibis.cases(*[(col == i, ibis.literal(v, "string")) for i, v in enumerate(few[k])],
                          else_=ibis.null().cast("string"))

    return good.select(**{k: good._code if coded and k == "account_id" else text(k) for k in keys},
                       **{f"_k_{k}": good[f"_k_{k}"] for k in keys if k in few},
                       **months,
                       **{k: good[k] for k in sums}, _rows=good._rows, _used=good._used,
                       _firstday=(month * 32 + bit_count((good._days & -good._days) - 1)).cast("int64")), stats


def first_day(table: ibis.Table) -> ibis.Value:
    """Each row's day as a number, month number × 32 + day of the month − 1 (ordered as
    the days; :func:`day_of` reads it back): of ``date``, or a summary's ``_firstday``."""
    if "date" not in table.columns:
        return table._firstday
    return month_number(table.date).cast("int64") * 32 + (table.date.day() - 1).cast("int64")


def day_of(number: int) -> date:
    """The day of a :func:`first_day` number.

    >>> day_of(2025 * 12 * 32 + 4 * 32 + 6)
    datetime.date(2025, 5, 7)
    """
    month, day = divmod(int(number), 32)
    return date(month // 12, month % 12 + 1, day + 1)
