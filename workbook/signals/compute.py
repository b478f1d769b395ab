"""From product records to the Accounts table and the monthly history panel.

:func:`compute_signals` reads the sources given, checks every row (the report), runs each
signal definition of :mod:`.definitions` on the engine (DuckDB embedded by default, or
Spark) and returns the Accounts table at ``as_of`` and the history panel at each month end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import numpy as np
import pandas as pd

from udfs.core import _args, playbook

from . import definitions as _defs
from . import sources as _src
from . import summary as _summary
from .engine import Engine, connect

PANEL_DESCRIPTIVE = ("account_name", "segment", "plan_tier")
DECIMALS = 9  # signal values are rounded to this many decimals (float noise off ratios)


@dataclass
class SignalReport:
    """What the run read, left out and computed (``str(report)``: the lines to print)."""

    as_of: date
    engine: str
    sources: list[_src.SourceReport] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    not_computed: list[str] = field(default_factory=list)  # 'signal: why'
    notes: list[str] = field(default_factory=list)
    # signal -> (dates of the grid left blank for want of history, its sources' first day)
    short_history: dict[str, tuple[int, date]] = field(default_factory=dict)
    accounts: int = 0
    periods: int = 0
    first_month: str = ""
    seconds: float = 0.0

    def source(self, name: str) -> _src.SourceReport | None:
        return next((s for s in self.sources if s.name == name), None)

    def lines(self) -> list[str]:
        out = [f"Signals as of {self.as_of.isoformat()} on {self.engine}: {self.accounts:,} accounts"
               + (f", {self.periods} month ends from {self.first_month}" if self.periods else "")
               + (f" in {self.seconds:.1f} s" if self.seconds else "") + "."]
        for s in self.sources:
            out.extend(s.lines())
        if self.computed:
            out.append("Computed: " + ", ".join(self.computed) + ".")
        out.extend(f"Not computed: {n}" for n in self.not_computed)
        if self.short_history:
            out.append("Not enough history (blank, never computed from part of a window): " + "; ".join(
                f"{name} at {n} of {self.periods or 1} month ends (its records start {first.isoformat()}, "
                f"its window is {_defs.SIGNALS[name].lookback} days)"
                for name, (n, first) in self.short_history.items()) + ".")
        out.extend(self.notes)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value if type(value) is date else value.date() if hasattr(value, "date") else value
    try:
        ts = pd.Timestamp(str(value).strip())
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise _args.InputError(f"as_of: expected a date such as 2026-12-01, got {value!r}")
    return ts.date()


def _month(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_end(m: int) -> date:
    y, mo = divmod(m, 12)
    return (pd.Timestamp(year=y, month=mo + 1, day=1) + pd.offsets.MonthEnd(0)).date()


def _label(m: int) -> str:
    y, mo = divmod(int(m), 12)
    return f"{y:04d}-{mo + 1:02d}"


def compute_signals(
    sources: Mapping[str, Any],
    as_of: Any,
    *,
    engine: str | Engine = "duckdb",
    spark: Any = None,
    accounts: Any = None,
    arr_history: Any = None,
    gated_tags: Any = _defs.DEFAULT_GATED_TAGS,
    tier_order: Any = None,
    months: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, SignalReport]:
    """The Accounts table at ``as_of``, the monthly history panel and the report.

    ``sources``: {name: source} with names from ``usage, caps, seats, users, web, tickets,
    features, feature_events``; a source is a CSV/Parquet/XLSX path, ``FILE.duckdb:TABLE``,
    a DataFrame or an Ibis table of the engine. ``engine``: ``"duckdb"`` (embedded) or
    ``"spark"`` (``spark``: a SparkSession; a local one is started without it).
    ``accounts``: the CRM accounts export (path, DataFrame or the import's book): its ids
    are the book (events of other accounts are left out and counted), its plan_tier
    finds caps and the next tier, its other columns are carried over. ``arr_history``:
    ARR by account and month, for the panel's ``expansion``. ``gated_tags``: ticket tags
    that count as gated-feature requests. ``tier_order``: plan tiers from the lowest up.
    ``months``: the panel's last N month ends (None: all from the first month with data;
    0: no panel). ``progress``: called with a short text before each step.

    The Accounts table has the CRM columns (or account_id alone), each computed signal
    replacing a CRM column of the same name; the panel has account_id, period (1 = the
    first month), month ('YYYY-MM'), account_name/segment/plan_tier when known, the
    computed signals, expansion (1 in a month whose ARR rose), expansion_motion ('') and
    expansion_amount (the rise, $), the shape ``load_history`` and the backtests read.
    """
    started = time.perf_counter()
    say = progress or (lambda text: None)
    as_of = _as_date(as_of)
    if not isinstance(sources, Mapping):
        raise _args.InputError("sources: expected a mapping of source name to file or table")
    unknown = [k for k in sources if k not in _src.SOURCES]
    if unknown:
        raise _args.InputError(f"sources: unknown source {unknown[0]!r} (expected one of "
                               f"{', '.join(_src.SOURCES)})")
    given = {k: v for k, v in sources.items() if v is not None}
    if not any(_src.SOURCES[k].events for k in given):
        raise _args.InputError("sources: expected at least one of " + ", ".join(
            k for k, s in _src.SOURCES.items() if s.events))
    if months is not None:
        months = _args.integer("months", months, minimum=0)
    if isinstance(gated_tags, str):
        gated_tags = [t for t in gated_tags.split(",")]
    gated_tags = tuple(str(t).strip() for t in (gated_tags or ()) if str(t).strip())
    eng = engine if isinstance(engine, Engine) else connect(engine, spark=spark)
    report = SignalReport(as_of=as_of, engine=eng.name)

    # ---- the accounts export
    crm = None
    if accounts is not None:
        say("accounts")
        crm = _crm(accounts, as_of)
        for note in crm.attrs.get("notes", []):
            report.notes.append(note)
    known = None
    if crm is not None:
        # each id once (``_crm``), with a number: the usage summary groups by that number
        known = ibis.memtable(pd.DataFrame({"account_id": crm["account_id"].astype(str),
                                            "_code": np.arange(len(crm), dtype=np.int32)}))

    # ---- the sources
    tables: dict[str, ibis.Table] = {}
    stats: list[ibis.Table] = []
    numbers: dict[str, dict[str, list[str]]] = {}  # source -> column -> values by their number
    for name in _src.SOURCES:
        if name not in given:
            continue
        say(f"reading {name}")
        spec = _src.SOURCES[name]
        try:
            raw, label, mapping, notes = _src.read_source(eng, given[name], spec)
        except _src.EmptySource as err:
            rep = _src.SourceReport(name, str(err))
            rep.notes.append("no rows: its signals are not computed")
            report.sources.append(rep)
            continue
        rep = _src.SourceReport(name, label, columns=mapping)
        rep.notes.extend(notes)
        clean, stat, numbers[name] = _src.clean(eng, raw, spec, as_of, known, rep,
                                 shifts=_defs.SUMMARY_SHIFTS.get(name))
        if eng.name == "duckdb" and spec.events and "date" in clean.columns:
            # the checked rows kept once (the first records, each signal read them again;
            # a summary is kept already)
            clean = eng.materialize(clean)
        tables[name] = _view(eng, name, clean)
        stats.append(stat)
        report.sources.append(rep)
    if stats:
        say("checking the rows")
        counted = eng.con.execute(ibis.union(*stats, distinct=False) if len(stats) > 1 else stats[0])
        for rep in report.sources:
            if rep.name in tables:
                _src.fill_report(rep, counted, _src.SOURCES[rep.name].events)
                if rep.rows_used == 0:
                    rep.notes.append("no rows used: its signals are not computed")
                    del tables[rep.name]

    # ---- metrics, caps and tiers
    n_metrics = _metrics(eng, tables, report)
    starts, firsts = _first_days(eng, tables)
    if not len(starts):
        raise _args.InputError("sources: no row is usable (see the report): nothing to compute")
    a_month = _month(as_of)
    first = int(min(starts["month"].min(), a_month))
    if months is not None:
        first = max(first, a_month - max(months, 1) + 1)
    n_periods = a_month - first + 1
    grid_days = [_month_end(m) for m in range(first, a_month)] + [as_of]
    grid = ibis.memtable(pd.DataFrame({"period": np.arange(1, n_periods + 1, dtype=np.int64),
                                       "d": pd.to_datetime(grid_days).date}))
    ids, plan = _universe(crm, starts)
    # with the accounts export, the sources name each account by its number (its row there:
    # ``_code``), a small key for the engine's groupings and joins; the ids come back at the end
    coded = known is not None
    start_period = pd.Series(starts["month"].to_numpy() - first + 1, index=starts["account_id"])
    sp = start_period.reindex(np.arange(len(ids)) if coded else ids).fillna(n_periods).clip(1, n_periods).to_numpy(dtype=np.int64, copy=True)
    if months == 0:
        sp[:] = n_periods
    n_rows = int((n_periods - sp + 1).sum())
    # the account-periods, made by the engine: each account with its plan and first period
    # (one row per account sent), joined with the grid's periods from that one on
    accs = ibis.memtable(pd.DataFrame({"account_id": np.arange(len(ids), dtype=np.int32) if coded else ids,
                                       "plan": plan, "_sp": sp}))
    periods = grid.select("period")
    base = accs.join(periods, periods.period >= accs._sp).select("account_id", "period", "plan")
    tier_next, catalog = _tiers(eng, tables, plan, tier_order, report)
    _cap_notes(eng, tables, ids, plan, crm, report)
    ctx = _defs.Context(as_of=as_of, first_month=first, grid=grid, base=base, tables=tables,
                        gated_tags=gated_tags, tier_next=tier_next, feature_names=catalog,
                        view=lambda name, expr: _view(eng, name, expr))
    ctx.cache["usage_metrics"] = n_metrics
    ctx.firsts = firsts
    ctx.numbers = numbers

    # ---- the signals: one query joining each definition onto the account-periods
    parts = []
    for sig in _defs.SIGNALS.values():
        if not sig.available(set(tables)):
            if any(n in given for n in sig.needs):
                report.not_computed.append(f"{sig.name}: needs {' + '.join(sig.needs)}")
            continue
        if sig.name == "usage_vs_cap" and crm is None:
            report.not_computed.append("usage_vs_cap: needs each account's plan_tier (give the accounts export)")
            continue
        expr = sig.compute(ctx)
        if expr is None:
            report.not_computed.append(f"{sig.name}: see the notes")
            continue
        parts.append((sig, expr))
    short = _short_history(eng, ctx, [sig for sig, _ in parts])
    say(f"computing {len(parts)} signal{'s' * (len(parts) != 1)} for {n_rows:,} account-months")
    joined = base.select("account_id", "period")
    for sig, expr in parts:
        cols = [c for c in sig.outputs if c in expr.columns]
        r = expr.select(_a=expr.account_id, _p=expr.period, **{c: expr[c] for c in cols})
        j = joined.left_join(r, [joined.account_id == r._a, joined.period == r._p])
        joined = j.select(*[j[c] for c in joined.columns], *[j[c].cast("float64").name(c) for c in cols])
    if eng.name == "duckdb":  # Arrow to pandas at once (Ibis' conversion, column by column, costs more)
        values = eng.con.to_pyarrow(joined).to_pandas()
    else:
        values = eng.con.execute(joined)
    values["period"] = values["period"].astype(np.int64)
    row_code = None  # each row's account as its row of the export (coded runs)
    if coded:
        # sorted by id (text order) and period as integers: each code's rank among the ids
        code = values["account_id"].to_numpy().astype(np.int64)
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
        order = np.argsort(rank[code] * (n_periods + 1) + values["period"].to_numpy())
        values = values.take(order).reset_index(drop=True)
        row_code = code[order]
        values["account_id"] = crm["account_id"].array.take(row_code)  # no text made per row
    else:
        values["account_id"] = values["account_id"].astype(object)
        values = values.sort_values(["account_id", "period"], kind="stable").reset_index(drop=True)
    for sig, _ in parts:
        for c in sig.outputs:
            if c in values.columns:
                # 9 decimals: a ratio such as 1150 / 1000 − 1 is 0.15 (not 0.1499…), so a rule
                # at 0.15 fires as it does on the exported value
                values[c] = pd.to_numeric(values[c], errors="coerce").astype("float64").round(DECIMALS)
                if sig.count:
                    values[c] = values[c].fillna(0.0)
        if sig.name in short:  # not enough history: blank, counts included
            cols = [c for c in sig.outputs if c in values.columns]
            values.loc[values["period"].isin(short[sig.name]), cols] = np.nan
            report.short_history[sig.name] = (len(short[sig.name]), _defs.history_start(ctx, sig))
        report.computed.append(sig.name)
    report.notes.extend(ctx.notes)
    computed = [c for c in values.columns if c not in ("account_id", "period")]

    # ---- the outputs
    say("writing the tables")
    last = values[values["period"] == n_periods].set_index("account_id").reindex(ids)
    accounts_df = _accounts_table(crm, ids, last, computed)
    panel = _panel(values, row_code, crm, computed, first, n_periods, months)
    if arr_history is not None:
        panel = _expansions(panel, arr_history, first, report)
    else:
        panel["expansion"] = np.zeros(len(panel), dtype=np.int64)
        panel["expansion_motion"] = ""
        panel["expansion_amount"] = np.nan
    report.accounts = len(accounts_df)
    report.periods = n_periods if months != 0 else 0
    report.first_month = _label(first)
    report.seconds = time.perf_counter() - started
    return accounts_df, panel, report


# --------------------------------------------------------------------------- helpers


def _view(eng: Engine, name: str, expr: ibis.Table) -> ibis.Table:
    """``expr`` as a temporary view of the engine: the definitions then compile against a
    plain table (a small query plan), and the engine still streams from the files."""
    return eng.con.create_view(f"upcell_{name}_{uuid.uuid4().hex[:10]}", expr, overwrite=True)



def _short_history(eng: Engine, ctx: _defs.Context, sigs: list) -> dict[str, set[int]]:
    """signal -> the grid periods where it is blank for want of history (one query)."""
    parts = []
    for sig in sigs:
        short = _defs.short_history(ctx, sig)
        if short is not None:
            parts.append(short.mutate(signal=ibis.literal(sig.name)))
    if not parts:
        return {}
    got = eng.con.execute(ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0])
    return {name: set(g["period"].astype(np.int64)) for name, g in got.groupby("signal")}


def _crm(accounts: Any, as_of: date) -> pd.DataFrame:
    from ..records import RecordBook, load_accounts

    if isinstance(accounts, RecordBook):
        book = accounts
    else:
        try:
            book = load_accounts(accounts, as_of=as_of)
        except ValueError as err:
            raise _args.InputError(f"accounts: {err}") from None
    frame = book.frame.copy()
    frame["account_id"] = frame["account_id"].astype(str)
    frame = frame.drop_duplicates("account_id", keep="first").reset_index(drop=True)
    return frame


def _first_days(eng: Engine, tables: dict) -> tuple[pd.DataFrame, dict[str, date]]:
    """Each account's first month with data over the event sources (account_id, month),
    and each event source's first record (its earliest date over all accounts): one query."""
    parts = []
    for n, t in tables.items():
        if _src.SOURCES[n].events:
            f = t.group_by("account_id").aggregate(_day=_summary.first_day(t).min())
            parts.append(f.mutate(source=ibis.literal(n)))
    if not parts:
        return pd.DataFrame({"account_id": [], "month": []}), {}
    got = eng.con.execute(ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0])
    got = got[got["_day"].notna()]
    if got["account_id"].dtype.kind not in "iu":  # ids as text (numbers: the export's codes)
        got["account_id"] = got["account_id"].astype(object)
    day = got["_day"].to_numpy(dtype=np.int64)
    starts = pd.DataFrame({"account_id": got["account_id"].to_numpy(), "month": day // 32})
    starts = starts.groupby("account_id", as_index=False, sort=False)["month"].min()
    firsts = got.groupby("source")["_day"].min()
    return starts, {s: _summary.day_of(d) for s, d in firsts.items()}


def _universe(crm: pd.DataFrame | None, starts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if crm is not None:
        ids = crm["account_id"].to_numpy(dtype=object)
        tier = crm["plan_tier"] if "plan_tier" in crm else pd.Series([None] * len(crm))
    else:
        ids = np.array(sorted(starts["account_id"].tolist()), dtype=object)
        tier = pd.Series([None] * len(ids))
    # each distinct plan keyed once (a few values for 100,000 accounts)
    codes, uniques = pd.factorize(pd.Series(tier, dtype=object).to_numpy(dtype=object))
    plan = np.array([*(_src.key(t) for t in uniques), None], dtype=object)[codes]
    return ids, plan


def _metrics(eng: Engine, tables: dict, report: SignalReport) -> int:
    """One metric name on both sides of usage and caps; unknown metrics named. Returns
    the number of usage metrics."""
    usage, caps = tables.get("usage"), tables.get("caps")
    if usage is None:
        return 0
    had_metric = "metric" in usage.columns
    if not had_metric:
        tables["usage"] = usage = usage.mutate(metric=ibis.literal("", "string"))
    rows = usage._used.sum() if "_used" in usage.columns else usage.count()  # a summary's rows
    per = eng.con.execute(usage.group_by("metric").aggregate(n=rows))
    if caps is None:
        return len(per)
    if "metric" not in caps.columns:  # one cap per plan: it applies to every metric
        caps = caps.cross_join(usage.select("metric").distinct())
    elif not had_metric:  # one metered resource: the caps' metric names do not matter
        caps = caps.mutate(metric=ibis.literal("", "string"))
    tables["caps"] = caps
    known = set(eng.con.execute(caps.select("metric").distinct())["metric"].dropna())
    features = set()
    if "features" in tables:
        features = set(eng.con.execute(tables["features"].select("feature").distinct())["feature"].dropna())
    other = per[~per["metric"].isin(known | features)]
    if len(other):
        shown = ", ".join(f"{m!r} ({int(n):,} rows)" for m, n in zip(other["metric"], other["n"], strict=True))
        report.notes.append("usage metrics unknown to the caps table (left out of usage_vs_cap "
                            f"and usage_trend_90d): {shown}")
    return len(per)


def _cap_notes(eng: Engine, tables: dict, ids: np.ndarray, plan: np.ndarray,
               crm: pd.DataFrame | None, report: SignalReport) -> None:
    if "caps" not in tables or "usage" not in tables or crm is None:
        return
    caps = eng.con.execute(tables["caps"].group_by("plan_tier").aggregate(cap=tables["caps"].cap.max()))
    capped = set(caps.loc[caps["cap"] > 0, "plan_tier"])
    zero = set(caps.loc[~(caps["cap"] > 0), "plan_tier"])
    plans = pd.Series(plan)
    blank = int(plans.isna().sum())
    missing = plans[plans.notna() & ~plans.isin(capped)]
    if len(missing):
        by = missing.value_counts()
        shown = ", ".join(f"{p!r} ({n} account{'s' * (n != 1)}{'; cap 0' if p in zero else ''})"
                          for p, n in by.items())
        report.notes.append(f"plans with no cap (usage_vs_cap left blank, not 0): {shown}")
    if blank:
        report.notes.append(f"{blank} account{'s' * (blank != 1)} without a plan_tier: usage_vs_cap "
                            "left blank")


def _tiers(eng: Engine, tables: dict, plan: np.ndarray, tier_order: Any,
           report: SignalReport) -> tuple[ibis.Table | None, ibis.Table | None]:
    if "features" not in tables:
        return None, None
    catalog = eng.con.execute(tables["features"].select("feature", "tier").distinct())
    tiers = set(catalog["tier"].dropna()) | {p for p in plan if p}
    order = [_src.key(str(t)) for t in (tier_order or _src.TIER_ORDER)]
    order = [t for t in order if t in tiers]
    unranked = sorted(tiers - set(order))
    if unranked:
        report.notes.append("plan tiers not in the tier order (next_tier_feature_adoption left "
                            f"blank for them): {', '.join(unranked)}; give the order from the "
                            "lowest tier up (--tier-order)")
    pairs = pd.DataFrame({"plan": order[:-1], "next_tier": order[1:]})
    return ibis.memtable(pairs.astype(object)), ibis.memtable(catalog[["feature"]].drop_duplicates())


def _accounts_table(crm: pd.DataFrame | None, ids: np.ndarray, last: pd.DataFrame,
                    computed: list[str]) -> pd.DataFrame:
    if crm is None:
        out = pd.DataFrame({"account_id": ids})
    else:
        out = crm.copy()
    for c in computed:
        out[c] = last[c].to_numpy()
    order = list(dict.fromkeys(
        [c for c in out.columns if c in playbook.ACCOUNT_COLUMNS or c not in computed]))
    known = [c for c in playbook.ACCOUNT_COLUMNS if c in out.columns]
    rest = [c for c in order if c not in playbook.ACCOUNT_COLUMNS]
    return out[known + rest].reset_index(drop=True)


def _panel(values: pd.DataFrame, row_code: np.ndarray | None, crm: pd.DataFrame | None,
           computed: list[str], first: int, n_periods: int, months: int | None) -> pd.DataFrame:
    """``values`` (sorted by account_id and period) with the month and the export's
    descriptive columns; ``row_code``: each row's account as its row of ``crm``, or None."""
    if months == 0:
        return pd.DataFrame(columns=["account_id", "period", "month", *computed])
    panel = values.copy()
    labels = np.array([_label(first + p - 1) for p in range(1, n_periods + 1)], dtype=object)
    panel["month"] = labels[panel["period"].to_numpy() - 1]
    if crm is not None:
        desc = [c for c in (*PANEL_DESCRIPTIVE, "arr") if c in crm.columns]
        if desc and row_code is not None:  # each row's account by its row: in order already
            info = crm[desc].take(row_code).reset_index(drop=True)
            panel = pd.concat([panel, info], axis=1)
        elif desc:
            info = crm[["account_id", *desc]]
            panel = panel.merge(info, on="account_id", how="left")
    lead = ["account_id", "period", "month"]
    front = [c for c in (*PANEL_DESCRIPTIVE, "arr") if c in panel.columns]
    panel = panel[lead + front + [c for c in computed]]
    if row_code is not None:
        return panel
    return panel.sort_values(["account_id", "period"], kind="stable").reset_index(drop=True)


def _expansions(panel: pd.DataFrame, arr_history: Any, first: int, report: SignalReport) -> pd.DataFrame:
    """expansion = 1 in a month whose ARR rose over the month before (amount: the rise)."""
    from udfs.revenue.arr_history import arr_matrix

    from ..records import RecordBook, load_records

    if isinstance(arr_history, RecordBook):
        frame = arr_history.frame
    elif isinstance(arr_history, pd.DataFrame):
        frame = arr_history
    else:
        try:
            frame = load_records(arr_history, "arr_history").frame
        except ValueError as err:
            raise _args.InputError(f"arr_history: {err}") from None
    m = arr_matrix(frame)
    a = np.nan_to_num(np.asarray(m.arr, dtype=float))
    rise = np.zeros_like(a)
    rise[:, 1:] = np.where(a[:, :-1] > 0, a[:, 1:] - a[:, :-1], 0.0)
    rows, cols = np.nonzero(rise > 0)
    ev = pd.DataFrame({"account_id": np.asarray(m.accounts, dtype=object)[rows].astype(str),
                       "period": (m.first_month + cols - first + 1).astype(np.int64),
                       "expansion_amount": rise[rows, cols]})
    out = panel.merge(ev, on=["account_id", "period"], how="left")
    out["expansion"] = out["expansion_amount"].notna().astype(np.int64)
    out["expansion_motion"] = ""
    amount = out.pop("expansion_amount")
    out["expansion_amount"] = amount
    report.notes.extend(m.notes)
    return out
