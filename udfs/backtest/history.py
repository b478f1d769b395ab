"""Account-period history for trigger backtests: a sample with planted triggers, and a loader.

A history panel has one row per account and period: ``account_id``, ``period`` (whole
numbers; monthly when built from dates), the SPEC §2 signal columns, ``expansion`` (1 in
the period an expansion closed), ``expansion_motion`` and ``expansion_amount``.

:func:`sample_history` plants the right answers (``PLANTED_TRIGGERS``): an account whose
``usage_vs_cap`` crosses 0.87 upgrades its tier within the next 3 periods with high
probability, others rarely; likewise one signal per motion. It shares the sample book
(same account ids, names, segments, plan tiers and ARR as ``udfs.sample_accounts``).

>>> h = sample_history(n_accounts=20, n_periods=12)
>>> h["account_id"].iloc[0], int(h["period"].max()), sorted(set(h["expansion"]))
('ACC-0001', 12, [0, 1])

Nothing here does I/O at import; :func:`load_history` reads a CSV/XLSX when called.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from .panel import rule_window

__all__ = ["PLANTED_TRIGGERS", "PLANTED_FOLLOW", "HISTORY_SIGNALS", "sample_history", "load_history"]

# signal -> (planted threshold, motion whose expansions follow a crossing)
PLANTED_TRIGGERS: dict[str, tuple[float, str]] = {
    "usage_vs_cap": (0.87, "Tier upgrade"),
    "seat_utilization": (0.93, "Seat expansion"),
    "usage_trend_90d": (0.25, "Usage expansion"),
    "new_department_users_30d": (4.0, "Cross-department"),
    "cross_sell_intent_7d": (2.0, "Cross-sell"),
}
PLANTED_WINDOW = 3  # a crossing is followed by its expansion within this many periods
PLANTED_FOLLOW = 0.85  # share of crossings followed by their motion's expansion
# (and within its motion's backtest window, backtest_panel.rule_window, when shorter)

HISTORY_SIGNALS: tuple[str, ...] = (
    "seat_utilization", "usage_vs_cap", "usage_trend_90d", "next_tier_feature_adoption",
    "gated_feature_requests_90d", "pricing_page_visits_30d", "active_user_growth_60d",
    "headcount_growth_90d", "funding_event_days_ago", "new_department_users_30d",
    "cross_sell_intent_7d", "champion_promoted_90d", "health_score", "tenure_months",
)
_DESCRIPTIVE = ("account_name", "segment", "plan_tier", "arr")
_EVENT_COLUMNS = ("expansion", "expansion_motion", "expansion_amount")


# =========================================================================== sample


def _book(n: int, seed: int) -> pd.DataFrame:
    try:
        from ..samples.accounts import sample_accounts
    except ImportError:  # pragma: no cover - the sample book is part of the package
        sample_accounts = None
    if sample_accounts is not None:
        try:
            book = sample_accounts(n=n, seed=seed)
        except TypeError:  # pragma: no cover
            book = None
        if book is not None and len(book) >= n and "account_id" in book:
            return book.iloc[:n].reset_index(drop=True)
    rng = np.random.default_rng(seed)  # pragma: no cover - fallback without a book
    seg = np.array(playbook.SEGMENTS, dtype=object)[rng.choice(3, size=n, p=[0.5, 0.35, 0.15])]
    return pd.DataFrame({
        "account_id": [f"ACC-{i + 1:04d}" for i in range(n)],
        "account_name": [f"Account {i + 1}" for i in range(n)],
        "segment": seg,
        "plan_tier": "Growth",
        "arr": np.round(rng.lognormal(10.5, 0.8, n), -2),
        "tenure_months": rng.integers(1, 60, n),
        "health_score": rng.integers(30, 95, n),
    })


def _planted(rng, shape, threshold, low, high, step, window, p_cross, p_follow):
    """Baseline below the threshold, one crossing episode per crossing account.

    Returns (values, crossing period or −1, expansion period or −1). Before the crossing
    the signal stays below ``threshold - step``; the episode holds values in
    [threshold, threshold + 4·step] from the crossing until the expansion (or 2–4 periods),
    then the signal falls back to a lower baseline.
    """
    a, p = shape
    level = rng.uniform(low, threshold - 2 * step, size=(a, 1))
    noise = rng.normal(0.0, 2 * step, size=(a, p))
    for t in range(1, p):
        noise[:, t] = 0.6 * noise[:, t - 1] + 0.8 * noise[:, t]
    values = np.clip(level + noise, low, threshold - step)
    cross = np.where(rng.random(a) < p_cross, rng.integers(2, max(3, p - window), size=a), -1)
    follow = rng.random(a) < p_follow
    delay = rng.integers(1, window + 1, size=a)
    expand = np.where((cross >= 0) & follow & (cross + delay < p), cross + delay, -1)
    length = np.where(expand >= 0, expand - cross, rng.integers(2, 5, size=a))
    t = np.arange(p)[None, :]
    in_episode = (cross[:, None] >= 0) & (t >= cross[:, None]) & (t < (cross + length)[:, None])
    bump = threshold + rng.uniform(0, 4 * step, size=(a, p))
    values = np.where(in_episode, np.minimum(bump, high), values)
    after = (cross[:, None] >= 0) & (t >= (cross + length)[:, None])
    values = np.where(after, np.clip(values - 6 * step, low, threshold - step), values)
    return values, cross, expand


def sample_history(n_accounts: int = 300, n_periods: int = 24, seed: int = 7) -> pd.DataFrame:
    """A deterministic history panel with planted triggers (same seed, same panel).

    Accounts are ``udfs.sample_accounts(n_accounts, seed)`` (ids, names, segments, plan
    tiers, ARR). Periods 1 … ``n_periods`` (months; the last is "now"); an account appears
    from the month it became a customer (its tenure), so young accounts start later.
    For each planted signal of ``PLANTED_TRIGGERS``, about 40 % of accounts cross its
    threshold once; 85 % of crossings are followed within 1–3 periods by an expansion of
    the planted motion; other periods expand at random only rarely (0.2 % per motion).
    Columns: account_id, account_name, segment, plan_tier, arr, period, the
    ``HISTORY_SIGNALS``, expansion (0/1), expansion_motion ('' when none),
    expansion_amount (NaN when none), sorted by account and period.
    """
    a = _args.integer("n_accounts", n_accounts, minimum=1)
    p = _args.integer("n_periods", n_periods, minimum=2)
    seed = _args.integer("seed", seed, minimum=0)
    book = _book(a, seed)
    rng = np.random.default_rng([seed, 20261125])
    shape = (a, p)
    w = PLANTED_WINDOW

    planted = {}
    specs = {  # signal: (low, high, step)
        "usage_vs_cap": (0.2, 1.3, 0.01),
        "seat_utilization": (0.3, 1.3, 0.01),
        "usage_trend_90d": (-0.3, 1.0, 0.02),
    }
    for signal, (low, high, step) in specs.items():
        threshold, motion = PLANTED_TRIGGERS[signal]
        reach = min(w, rule_window(motion))  # within the motion's backtest window too
        planted[signal] = _planted(rng, shape, threshold, low, high, step, reach, 0.4, PLANTED_FOLLOW)
    for signal in ("new_department_users_30d", "cross_sell_intent_7d"):
        threshold, motion = PLANTED_TRIGGERS[signal]
        base = np.minimum(rng.poisson(0.4 * threshold, size=shape), threshold - 1)
        reach = min(w, rule_window(motion))
        _, cross, expand = _planted(rng, shape, 0.5, 0.0, 1.0, 0.01, reach, 0.4, PLANTED_FOLLOW)
        t = np.arange(p)[None, :]
        stop = np.where(expand >= 0, expand, cross + 2)
        episode = (cross[:, None] >= 0) & (t >= cross[:, None]) & (t < stop[:, None])
        values = np.where(episode, threshold + rng.integers(0, 3, size=shape), base)
        planted[signal] = (values.astype(float), cross, expand)

    # expansions: planted ones first (motion order breaks collisions), then rare random ones
    motion = np.full(shape, "", dtype=object)
    for signal, (_, m) in PLANTED_TRIGGERS.items():
        expand = planted[signal][2]
        rows = np.flatnonzero(expand >= 0)
        free = motion[rows, expand[rows]] == ""
        motion[rows[free], expand[rows[free]]] = m
    for m in playbook.MOTIONS:
        rare = (rng.random(shape) < 0.002) & (motion == "")
        motion[rare] = m

    expansion = (motion != "").astype(np.int64)
    share = playbook.default_plays()["arr_increase_share"].to_dict()
    arr = pd.to_numeric(book["arr"], errors="coerce").fillna(20000.0).to_numpy(dtype=float)
    shares = np.vectorize(lambda m: share.get(m, 0.0), otypes=[float])(motion)
    amount = np.where(
        expansion == 1,
        np.round(arr[:, None] * shares * rng.lognormal(0.0, 0.3, size=shape), -1),
        np.nan,
    )

    # the other signals: noise, with a little lift before the expansions they announce
    soon = np.zeros(shape, dtype=object)
    soon[:] = ""
    for lag in (1, 2):
        soon[:, :-lag] = np.where(soon[:, :-lag] == "", motion[:, lag:], soon[:, :-lag])
    tier_soon = soon == "Tier upgrade"
    seat_soon = soon == "Seat expansion"
    signals = {k: v[0] for k, v in planted.items()}
    signals["next_tier_feature_adoption"] = np.clip(
        rng.beta(2, 5, size=shape) + 0.15 * tier_soon, 0, 1).round(3)
    signals["gated_feature_requests_90d"] = rng.poisson(0.5 + 1.5 * tier_soon).astype(float)
    signals["pricing_page_visits_30d"] = rng.poisson(0.15 + 1.2 * tier_soon).astype(float)
    signals["active_user_growth_60d"] = (rng.normal(0.05, 0.08, size=shape) + 0.12 * seat_soon).round(3)
    signals["headcount_growth_90d"] = (rng.normal(0.03, 0.05, size=shape) + 0.05 * seat_soon).round(3)
    funding = np.full(shape, np.nan)
    funded = rng.random(a) < 0.2
    when = rng.integers(0, p, size=a)
    t = np.arange(p)[None, :]
    since = (t - when[:, None]) * 30.0
    funding = np.where(funded[:, None] & (since >= 0), since, funding)
    signals["funding_event_days_ago"] = funding
    signals["champion_promoted_90d"] = (rng.random(shape) < 0.03 + 0.1 * (soon == "Cross-sell")).astype(float)
    health0 = pd.to_numeric(book.get("health_score", 70), errors="coerce")
    health0 = np.broadcast_to(np.asarray(health0, dtype=float), (a,)).copy()
    health0 = np.where(np.isnan(health0), 70.0, health0)
    walk = np.cumsum(rng.normal(0, 2.0, size=shape), axis=1)
    signals["health_score"] = np.clip(health0[:, None] + walk - walk[:, -1:], 0, 100).round(0)
    tenure_now = pd.to_numeric(book.get("tenure_months", 24), errors="coerce")
    tenure_now = np.broadcast_to(np.asarray(tenure_now, dtype=float), (a,)).copy()
    tenure_now = np.where(np.isnan(tenure_now), 24.0, tenure_now)
    tenure = tenure_now[:, None] - (p - 1 - t)
    signals["tenure_months"] = tenure
    for name in ("usage_vs_cap", "seat_utilization", "usage_trend_90d"):
        signals[name] = signals[name].round(3)

    present = tenure >= 0  # a customer from its first month on
    acc_idx, per_idx = np.nonzero(present)
    frame = {
        "account_id": book["account_id"].to_numpy(dtype=object)[acc_idx],
        "account_name": book.get("account_name", book["account_id"]).to_numpy(dtype=object)[acc_idx],
        "segment": book.get("segment", pd.Series([""] * a)).to_numpy(dtype=object)[acc_idx],
        "plan_tier": book.get("plan_tier", pd.Series([""] * a)).to_numpy(dtype=object)[acc_idx],
        "arr": arr[acc_idx],
        "period": (per_idx + 1).astype(np.int64),
    }
    for name in HISTORY_SIGNALS:
        frame[name] = np.asarray(signals[name], dtype=float)[acc_idx, per_idx]
    frame["expansion"] = expansion[acc_idx, per_idx]
    frame["expansion_motion"] = motion[acc_idx, per_idx]
    frame["expansion_amount"] = amount[acc_idx, per_idx]
    return pd.DataFrame(frame)


# =========================================================================== loader


_PROBLEM_COLUMNS = ("table", "row", "column", "value", "problem")


# How a file path is read into cells. The workbook package sets its records reader here
# when it is imported (encodings, delimiters, decimal commas, ids kept as text); without
# it (xlwings Lite, where no file is read) pandas reads the CSV/XLSX as it is.
FILE_READER: Any = None


def _read(source: Any, name: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        ext = os.path.splitext(path)[1].lower()
        if not os.path.exists(path):
            raise _args.InputError(f"{name}: expected an existing CSV or XLSX file, got {path!r}")
        if FILE_READER is not None and ext in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
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
        except Exception as err:  # noqa: BLE001 - any reader failure is the file's problem
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise _args.InputError(f"{name}: could not read {os.path.basename(path)!r}: {first}") from None
        raise _args.InputError(f"{name}: expected a .csv or .xlsx file, got {os.path.basename(path)!r}")
    if isinstance(source, (list, tuple)):
        return _args.table(name, source)
    raise _args.InputError(f"{name}: expected a DataFrame or a CSV/XLSX path, got {type(source).__name__}")


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
    """Dates → months since year 0 (int, NaN-safe as float); bad marks unparseable cells."""
    raw = values.astype(object)
    blank = raw.map(_args.is_blank).to_numpy(dtype=bool)
    parsed = pd.to_datetime(raw.where(~blank, None), errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy() & ~blank
    months = np.where(parsed.isna(), np.nan, parsed.dt.year * 12.0 + parsed.dt.month - 1)
    return months, bad | blank


def _period_index(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whole period numbers as floats; bad marks blank, non-numeric and fractional cells."""
    num, bad = _args.coerce_numeric(values.astype(object))
    with np.errstate(invalid="ignore"):
        return num, bad | np.isnan(num) | (num != np.round(num))


def _id_text(value: Any) -> str:
    """An account id cell as text: '' for a blank or an Excel error, 1234.0 as '1234'."""
    if _args.is_blank(value) or _args.is_excel_error(value):
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def load_history(source: Any, events: Any = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load a user's history (DataFrame, or CSV/XLSX path read now) into a backtest panel.

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
            note(i, "period", frame["period"].iloc[i], "expected a whole number (period index): row left out")
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
