"""Account-period history for trigger backtests: loading a panel from a file or a table.

A history panel has one row per account and period: ``account_id``, ``period`` (whole
numbers; monthly when built from dates), the SPEC §2 signal columns, ``expansion`` (1 in
the period an expansion closed), ``expansion_motion`` and ``expansion_amount``.

A sample panel with planted answers is ``udfs.sample_history`` (``samples/history.py``).

>>> panel, problems = load_history([["account_id", "month", "usage_vs_cap", "expansion"],
...                                  ["a1", "2026-01", 0.5, 0], ["a1", "2026-02", 0.95, 1]])
>>> panel[["account_id", "period", "usage_vs_cap", "expansion"]].values.tolist(), len(problems)
([['a1', 1, 0.5, 0], ['a1', 2, 0.95, 1]], 0)

Nothing here does I/O at import; :func:`load_history` reads a CSV, XLSX or Parquet file
when called (Parquet where pandas can read it: pyarrow installed, as with the workbook package).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, _records, playbook

__all__ = ["load_history"]

_EVENT_COLUMNS = ("expansion", "expansion_motion", "expansion_amount")


# =========================================================================== loader


_PROBLEM_COLUMNS = ("table", "row", "column", "value", "problem")


# How a file path is read into cells. The workbook package sets its records reader here
# when it is imported (encodings, delimiters, decimal commas, ids kept as text); without
# it (xlwings Lite, where no file is read) pandas reads the CSV/XLSX/Parquet as it is.
FILE_READER: Any = None
_PARQUET = (".parquet", ".pq")


def _read(source: Any, name: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        ext = os.path.splitext(path)[1].lower()
        if not os.path.exists(path):
            raise _args.InputError(f"{name}: expected an existing CSV, XLSX or Parquet file, got {path!r}")
        if FILE_READER is not None and ext in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", *_PARQUET):
            try:
                return FILE_READER(path)
            except ValueError as err:
                base = os.path.basename(path)
                why = str(err).removeprefix(f"{base}: ")
                raise _args.InputError(f"{name}: could not read {base!r}: {why}") from None
        try:
            if ext in (".csv", ".txt"):
                return pd.read_csv(path, dtype=object, keep_default_na=False, na_values=[""])
            if ext in (".xlsx", ".xlsm"):
                return pd.read_excel(path, dtype=object, engine="openpyxl")
            if ext in _PARQUET:  # needs pyarrow: its absence is one line like any other failure
                return pd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - any reader failure is the file's problem
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise _args.InputError(f"{name}: could not read {os.path.basename(path)!r}: {first}") from None
        raise _args.InputError(f"{name}: expected a .csv, .xlsx or .parquet file, got {os.path.basename(path)!r}")
    if isinstance(source, (list, tuple)):
        return _args.table(name, source)
    raise _args.InputError(f"{name}: expected a DataFrame or a CSV/XLSX/Parquet path, got {type(source).__name__}")


def _columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    names = []
    for c in frame.columns:
        key = _args.normalize_key(c)
        if key in _LOADER_ALIASES:
            key = _LOADER_ALIASES[key]
        else:
            key = playbook.account_column(c) or key
        names.append(key)
    seen: dict[str, int] = {}
    for i, key in enumerate(names):
        if key in seen:
            raise _args.InputError(
                f"{name}: columns {seen[key] + 1} and {i + 1} both mean '{key}' "
                f"({frame.columns[seen[key]]!r}, {frame.columns[i]!r})"
            )
        seen[key] = i
    out = frame.copy()
    out.columns = names
    return out.reset_index(drop=True)


_LOADER_ALIASES = {
    "period": "period", "month": "date", "date": "date", "period_date": "date",
    "as_of": "date", "snapshot_date": "date",
    "expansion": "expansion", "expanded": "expansion", "expansion_flag": "expansion",
    "expansion_date": "expansion_date", "close_date": "expansion_date",
    "closed_date": "expansion_date", "event_date": "expansion_date",
    "expansion_motion": "expansion_motion", "motion": "expansion_motion",
    "expansion_type": "expansion_motion",
    "expansion_amount": "expansion_amount", "amount": "expansion_amount",
    "expansion_arr": "expansion_amount", "arr_increase": "expansion_amount",
}


def _month_index(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dates → months since year 0 (int, NaN-safe as float); bad marks blank cells and
    cells that are no date, read strictly as the records are (``2025-13-01`` is bad)."""
    raw = values.astype(object)
    if raw.dtype.kind == "M" or pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.to_datetime(values).dt.tz_localize(None) if getattr(values.dt, "tz", None) else values
        stamps, bad = stamps.to_numpy(dtype="datetime64[ns]"), np.zeros(len(values), dtype=bool)
    else:
        stamps, bad = _records.date_cells(raw)
    blank = np.isnat(stamps) & ~bad
    months = np.where(np.isnat(stamps), np.nan, _records.months_of(stamps).astype(float))
    return months, bad | blank


PERIOD_MAX = 1_000_000  # a period index beyond is a typo (1e19 would overflow a whole number)


def _period_index(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole period numbers as floats; bad marks blank, non-numeric, fractional and
    out-of-range cells (beyond ±PERIOD_MAX)."""
    num, bad = _args.coerce_numeric(values.astype(object))
    with np.errstate(invalid="ignore"):
        return num, bad | np.isnan(num) | (num != np.round(num)) | (np.abs(num) > PERIOD_MAX)


def _id_text(value: Any) -> str:
    """An account id cell as text: '' for a blank or an Excel error, 1234.0 as '1234'."""
    if _args.is_blank(value) or _args.is_excel_error(value):
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def load_history(source: Any, events: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load a user's history (DataFrame, or CSV/XLSX/Parquet path read now) into a backtest panel.

    ``source``: one row per account and period: ``account_id``; ``period`` (whole numbers)
    or a ``date``/``month`` column (any day of a month → that month; periods then count
    months from the first month, 1-based); SPEC §2 signal columns (headers matched like
    account tables: case, spaces, dashes, aliases); optional expansion columns on the
    same rows: ``expansion`` (flag), ``expansion_motion``, ``expansion_amount``.
    ``events``: optional second table of expansion events: account_id, ``date`` (or
    ``expansion_date``/``period``), ``motion``, ``amount``.

    Returns ``(panel, problems)``. ``panel`` has account_id, period, the signal and
    descriptive columns found, expansion (0/1), expansion_motion ('' when none),
    expansion_amount (NaN when none), plus ``month`` ('YYYY-MM') when built from dates,
    and any other columns unchanged. ``problems`` lists every cell that was not used as
    given — row (spreadsheet row: the header is row 1), column, value, problem (one
    line). A bad signal cell becomes blank; a row without account or period cannot be
    placed and is left out; a repeated account-period keeps the first row; an event for
    a period without a signal row adds a row with blank signals. Nothing is dropped
    without a line in ``problems``. A missing ``account_id`` or period/date column, or an
    unreadable file, raises a one-line ``ValueError``.
    """
    frame = _columns(_read(source, "source"), "source")
    problems: list[tuple] = []

    def note(i, column, value, problem):
        value = value if isinstance(value, str) else _args.to_python(value)
        problems.append(("source", int(i) + 2, column, value, problem))

    if "account_id" not in frame.columns:
        raise _args.InputError("source: expected a column 'account_id' in the header row")
    if "period" not in frame.columns and "date" not in frame.columns:
        raise _args.InputError("source: expected a column 'period' (whole numbers) or 'date' in the header row")

    ev = None
    if events is not None:
        ev = _columns(_read(events, "events"), "events")
        if "account_id" not in ev.columns:
            raise _args.InputError("events: expected a column 'account_id' in the header row")
        if "expansion_date" in ev.columns and "date" not in ev.columns:
            ev = ev.rename(columns={"expansion_date": "date"})
        if "date" not in ev.columns and "period" not in ev.columns:
            raise _args.InputError("events: expected a column 'date' (or 'period') in the header row")

    # ---- account ids
    ids = frame["account_id"].astype(object)
    id_text = ids.map(_id_text)
    keep = np.array(id_text != "", dtype=bool)
    for i in np.flatnonzero(~keep):
        note(i, "account_id", ids.iloc[i], "no account id: row left out")

    # ---- periods
    by_date = "period" not in frame.columns
    base_month = None
    if by_date:
        months, bad = _month_index(frame["date"])
        ev_months = None
        if ev is not None and "date" in ev.columns:
            ev_months, _ = _month_index(ev["date"])
        pool = [months[~np.isnan(months)]]
        if ev_months is not None:
            pool.append(ev_months[~np.isnan(ev_months)])
        allm = np.concatenate(pool) if pool else np.zeros(0)
        base_month = float(allm.min()) if allm.size else 0.0
        period = months - base_month + 1
        for i in np.flatnonzero(bad & keep):
            note(i, "date", frame["date"].iloc[i], "expected a date: row left out")
        keep &= ~bad
    else:
        num, bad = _period_index(frame["period"])
        for i in np.flatnonzero(bad & keep):
            note(i, "period", frame["period"].iloc[i], f"expected a whole number (period index) from -{PERIOD_MAX:,} to {PERIOD_MAX:,}: row left out")
        keep &= ~bad
        period = num

    # ---- duplicates
    key = pd.DataFrame({"a": id_text, "p": period})
    dup = key.duplicated(keep="first").to_numpy() & keep
    dup_of: dict[int, int] = {}
    if dup.any():
        first_row: dict = {}
        for i in np.flatnonzero(keep):
            k = (id_text.iloc[i], period[i])
            if k in first_row and dup[i]:
                dup_of[int(i)] = first_row[k]
                pcol = "date" if by_date else "period"
                note(i, pcol, frame[pcol].iloc[i],
                     f"account {k[0]!r} period {int(k[1])} repeats row {first_row[k] + 2}: "
                     "row left out (an expansion on it moves to that row)")
            else:
                first_row.setdefault(k, int(i))
        keep &= ~dup

    rows = np.flatnonzero(keep)
    out = pd.DataFrame({"account_id": id_text.to_numpy(dtype=object)[rows],
                        "period": period[rows].astype(np.int64)})
    if by_date:
        out["month"] = [_month_label(m) for m in (period[rows] + base_month - 1)]

    # ---- signals and descriptive columns
    for col in frame.columns:
        if col in ("account_id", "period", "date") or col in _EVENT_COLUMNS or col == "expansion_date":
            continue
        kind = playbook.ACCOUNT_COLUMNS.get(col)
        raw = frame[col].astype(object)
        if kind is None or kind in playbook.TEXT_KINDS:
            out[col] = raw.to_numpy()[rows]
            continue
        if kind == "flag":
            vals = np.full(len(raw), np.nan)
            for i, v in enumerate(raw.tolist()):
                if _args.is_blank(v):
                    continue
                f = _flag(v)
                if f is None:
                    if keep[i]:
                        note(i, col, v, "expected TRUE or FALSE: left blank")
                else:
                    vals[i] = float(f)
        else:
            vals, bad = _args.coerce_numeric(raw)
            neg = (kind in playbook.NON_NEGATIVE_KINDS) & (np.nan_to_num(vals, nan=0.0) < 0)
            for i in np.flatnonzero(bad & keep):
                note(i, col, raw.iloc[i], "expected a number: left blank")
            for i in np.flatnonzero(neg & keep):
                note(i, col, raw.iloc[i], "expected a non-negative number: left blank")
            vals = np.where(neg | bad, np.nan, vals)
        out[col] = vals[rows]

    # ---- expansions on the rows
    flag = np.zeros(len(frame), dtype=bool)
    motion = np.full(len(frame), "", dtype=object)
    amount = np.full(len(frame), np.nan)
    if "expansion_motion" in frame.columns:
        for i, v in enumerate(frame["expansion_motion"].astype(object).tolist()):
            if _args.is_blank(v):
                continue
            m = _motion(v)
            if m is None:
                if keep[i]:
                    note(i, "expansion_motion", v, "expected one of " + ", ".join(playbook.MOTIONS)
                         + ": expansion kept without a motion")
            else:
                motion[i] = m
            flag[i] = True
    if "expansion_amount" in frame.columns:
        vals, bad = _args.coerce_numeric(frame["expansion_amount"].astype(object))
        for i in np.flatnonzero(bad & keep):
            note(i, "expansion_amount", frame["expansion_amount"].iloc[i], "expected a number: left blank")
        amount = np.where(bad, np.nan, vals)
    if "expansion" in frame.columns:
        for i, v in enumerate(frame["expansion"].astype(object).tolist()):
            f = _flag(v)
            if f is None:
                if keep[i]:
                    note(i, "expansion", v, "expected TRUE/FALSE or 1/0: read as no expansion")
                continue
            if not f and flag[i] and keep[i]:
                note(i, "expansion", v, "expansion is 0 but a motion is given: counted as an expansion")
            flag[i] = flag[i] or f
    elif "expansion_motion" not in frame.columns and "expansion_amount" in frame.columns:
        flag = ~np.isnan(amount) & (amount > 0)
    for i, j in dup_of.items():  # an expansion on a left-out repeated row is kept
        if flag[i]:
            flag[j] = True
            motion[j] = motion[j] or motion[i]
            if not np.isnan(amount[i]):
                amount[j] = amount[i] if np.isnan(amount[j]) else amount[j] + amount[i]
    out["expansion"] = flag[rows].astype(np.int64)
    out["expansion_motion"] = motion[rows]
    out["expansion_amount"] = np.where(flag[rows], amount[rows], np.nan)

    # ---- separate events
    if ev is not None:
        out = _merge_events(out, ev, base_month, note_events := [])
        problems.extend(note_events)

    out = out.sort_values(["account_id", "period"], kind="stable").reset_index(drop=True)
    report = pd.DataFrame(problems, columns=list(_PROBLEM_COLUMNS))
    report["problem"] = [
        f"{'events ' if t == 'events' else ''}row {r}, {c}: {p} (got {_args.describe(v)})"
        for t, r, c, v, p in zip(report["table"], report["row"], report["column"],
                                 report["value"], report["problem"], strict=True)
    ]
    return out, report


def _flag(value: Any) -> bool | None:
    """TRUE/FALSE, yes/no, 1/0 — also '1.0'/'0.0' as CSV exports of floats write them."""
    f = _args.parse_flag(value)
    if f is None and isinstance(value, str):
        num = _args.parse_number(value)
        f = bool(num) if num in (0.0, 1.0) else None
    return f


def _month_label(m: float) -> str:
    m = int(m)
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def _motion(value: Any) -> str | None:
    key = _args.normalize_key(value)
    for m in playbook.MOTIONS:
        if _args.normalize_key(m) == key:
            return m
    return None


def _merge_events(out: pd.DataFrame, ev: pd.DataFrame, base_month, notes: list) -> pd.DataFrame:
    """Mark each event's account-period as an expansion (adding a blank row when needed)."""
    def note(i, column, value, problem):
        value = value if isinstance(value, str) else _args.to_python(value)
        notes.append(("events", int(i) + 2, column, value, problem))

    n = len(ev)
    ids = ev["account_id"].astype(object).map(_id_text)
    if "date" in ev.columns and base_month is not None:
        months, bad = _month_index(ev["date"])
        per = months - base_month + 1
        pcol = "date"
    elif "period" in ev.columns:
        per, bad = _period_index(ev["period"])
        pcol = "period"
    else:
        raise _args.InputError("events: expected a 'period' column when the history has periods, not dates")
    motions = ev["expansion_motion"] if "expansion_motion" in ev.columns else pd.Series([None] * n)
    amounts = ev["expansion_amount"] if "expansion_amount" in ev.columns else pd.Series([None] * n)
    amt, amt_bad = _args.coerce_numeric(amounts.astype(object))
    index = {(a, int(p)): i for i, (a, p) in enumerate(zip(out["account_id"], out["period"], strict=True))}
    known = set(out["account_id"])
    added: dict = {}
    out = out.copy()
    for i in range(n):
        if ids.iloc[i] == "":
            note(i, "account_id", ev["account_id"].iloc[i], "no account id: event left out")
            continue
        if bad[i]:
            note(i, pcol, ev[pcol].iloc[i], "expected a date or period: event left out")
            continue
        m = "" if _args.is_blank(motions.iloc[i]) else _motion(motions.iloc[i])
        if m is None:
            note(i, "motion", motions.iloc[i], "unknown motion: event kept without a motion")
            m = ""
        if amt_bad[i]:
            note(i, "amount", amounts.iloc[i], "expected a number: amount left blank")
        k = (ids.iloc[i], int(per[i]))
        if k in added:
            note(i, pcol, ev[pcol].iloc[i], f"account {k[0]!r} already has an expansion in period {k[1]}: merged (amounts added)")
            prev = added[k]["expansion_amount"]
            if not np.isnan(amt[i]):
                added[k]["expansion_amount"] = amt[i] if np.isnan(prev) else prev + amt[i]
            added[k]["expansion_motion"] = added[k]["expansion_motion"] or m
            continue
        if k in index:
            j = index[k]
            if out.at[j, "expansion"] == 1:
                note(i, pcol, ev[pcol].iloc[i], f"account {k[0]!r} already has an expansion in period {k[1]}: merged (amounts added)")
                prev = out.at[j, "expansion_amount"]
                if not np.isnan(amt[i]):
                    out.at[j, "expansion_amount"] = amt[i] if pd.isna(prev) else prev + amt[i]
                if not out.at[j, "expansion_motion"]:
                    out.at[j, "expansion_motion"] = m
                continue
            out.at[j, "expansion"] = 1
            out.at[j, "expansion_motion"] = m
            out.at[j, "expansion_amount"] = amt[i]
        else:
            if k[0] not in known:
                note(i, "account_id", ids.iloc[i], "account has no signal rows: event added with blank signals")
            else:
                note(i, pcol, ev[pcol].iloc[i], f"no signal row for period {k[1]}: added with blank signals")
            row = {"account_id": k[0], "period": k[1], "expansion": 1,
                   "expansion_motion": m, "expansion_amount": amt[i]}
            if "month" in out.columns and base_month is not None:
                row["month"] = _month_label(k[1] + base_month - 1)
            added[k] = row
    if added:
        out = pd.concat([out, pd.DataFrame(list(added.values()))], ignore_index=True)
        out["expansion"] = out["expansion"].astype(np.int64)
    return out
