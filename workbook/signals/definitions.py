"""The signals, each defined once as an Ibis expression (run on DuckDB or Spark alike).

Every signal is evaluated on a grid of dates: the month ends before ``as_of`` and
``as_of`` itself (the Accounts table is the grid's last point, the history panel all of
it). "In (A−n, A]" means the n days ending on A, A included. A ratio whose denominator is
0 or unknown is blank, never 0; a count is 0 when its source is given and nothing fell
in the window.

A signal is blank, never a number, at a date whose longest window starts before the first
record of the sources it reads ("not enough history"): at the first month ends of an
export, a look-back of 210 days would otherwise see no departments and call every one new.
The first record is the earliest date of the source over all accounts (when the export
starts), not each account's: an account with no rows in a window the export covers has
none because nothing happened. A signal with no look-back of its own (the latest seats row
on or before A) is never blank for this reason.

The first paragraph of each definition's docstring is its user-facing definition: the
docs table of ``docs/signals.md`` is generated from :data:`SIGNALS`.

>>> [s.name for s in SIGNALS.values()][:3]
['usage_vs_cap', 'usage_trend_90d', 'seat_utilization']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis

from .sources import key
from .summary import month_number

DEFAULT_GATED_TAGS: tuple[str, ...] = ("gated", "upgrade request")
PRICING_PAGE = "pricing"  # a web page whose URL or name contains this (any case)
# windows, as (a, b): the days (A−a, A−b]
CAP_WINDOW = (30, 0)  # usage_vs_cap: usage of each metric in (A−30, A]
TREND_WINDOWS = {"now": (90, 0), "before": (180, 90)}  # usage_trend_90d
FEATURE_WINDOW = (90, 0)  # next_tier_feature_adoption: features used in (A−90, A]
# Usage is summed once per account, metric and the months of date + each of these days
# (the ends of its windows): every window of usage is a sum over that summary.
SUMMARY_SHIFTS = {"usage": tuple(sorted({d for w in (CAP_WINDOW, *TREND_WINDOWS.values(), FEATURE_WINDOW)
                                         for d in w}))}


@dataclass
class Context:
    """What the definitions see: the cleaned sources, the grid and the account-periods.

    ``grid``: period (1 = the first month with data), d (the date evaluated).
    ``base``: one row per account and period evaluated: account_id, period, plan (the
    account's plan tier, lower case, or null).
    """

    as_of: date
    first_month: int  # year * 12 + month − 1 of period 1
    grid: ibis.Table
    base: ibis.Table
    tables: dict[str, ibis.Table]
    gated_tags: tuple[str, ...] = DEFAULT_GATED_TAGS
    tier_next: ibis.Table | None = None  # plan -> next_tier (lower case)
    feature_names: ibis.Table | None = None  # feature (lower case) of the catalog
    notes: list[str] = field(default_factory=list)
    firsts: dict[str, date] = field(default_factory=dict)  # source -> its first record's date
    cache: dict[str, Any] = field(default_factory=dict)
    # source -> column -> its values in the order of their numbers, for a summary's key
    # column summed by number (``_k_{column}`` beside the text; :mod:`.summary`)
    numbers: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    view: Callable[[str, ibis.Table], ibis.Table] | None = None  # a temporary view of the engine

    def has(self, *names: str) -> bool:
        return all(n in self.tables for n in names)


@dataclass(frozen=True)
class Signal:
    name: str
    needs: tuple[str, ...]  # sources all needed
    outputs: tuple[str, ...]  # columns it gives (its name first)
    compute: Callable[[Context], ibis.Table | None]  # -> account_id, period, outputs
    count: bool = False  # a count: 0 (not blank) for an account-period with no rows
    alternatives: tuple[tuple[str, ...], ...] = ()  # other source sets that also suffice
    lookback: int = 0  # days of its longest window, (A−lookback, A]; 0: no look-back
    history: tuple[str, ...] = ()  # the sources that window must be covered by

    @property
    def definition(self) -> str:
        doc = (self.compute.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.split())

    def available(self, sources: set[str]) -> bool:
        return any(set(s) <= sources for s in (self.needs, *self.alternatives))


SIGNALS: dict[str, Signal] = {}


def signal(name: str, needs: tuple[str, ...], *, outputs: tuple[str, ...] = (), count: bool = False,
           alternatives: tuple[tuple[str, ...], ...] = (), lookback: int = 0,
           history: tuple[str, ...] = ()):
    def register(fn):
        SIGNALS[name] = Signal(name, needs, (name, *outputs), fn, count, alternatives, lookback,
                               history)
        return fn
    return register


# --------------------------------------------------------------------------- building blocks


def period_of(day: ibis.Value, ctx: Context) -> ibis.Value:
    """The grid period a day falls in: its month's (the first period for earlier days)."""
    return period_of_month(month_number(day), ctx)


def period_of_month(month: ibis.Value, ctx: Context) -> ibis.Value:
    """The grid period of a month number (year × 12 + month − 1; the first for earlier)."""
    return ibis.greatest(month.cast("int64") - ctx.first_month + 1, 1)


def _month_after(ctx: Context, events: ibis.Table, s: int) -> ibis.Value:
    """The month number of day + s for each row (blank when after as_of): from the date,
    or ``_m{s}`` of a summary (:func:`.summary.summarize`)."""
    if "date" not in events.columns:
        return events[f"_m{s}"]
    shifted = events.date + ibis.interval(days=s) if s else events.date
    return ibis.ifelse(shifted <= ibis.literal(ctx.as_of), month_number(shifted),
                       ibis.null().cast("int32"))


SHORT_SPAN = 3  # window_sums: windows reaching this many months or fewer are not pre-summed


def _span(a: int, b: int) -> int:
    """The months a window of a − b days can reach."""
    return (a - b) // 28 + 2


def window_sums(ctx: Context, events: ibis.Table, keys: list[str], value: ibis.Value,
                windows: dict[str, tuple[int, int]]) -> ibis.Table:
    """Σ value in (d−a, d−b] at each grid point d, per account (and ``keys``), on the
    account-periods with a row in some window (the others are 0).

    ``windows``: name -> (a, b). A row on day x lies in (d−a, d−b] exactly when
    x + b ≤ d < x + a; with m_s the month of x + s (none after as_of) and d a month's end
    (or as_of), that is from month m_b up to before month m_a, a few months at most. So
    the rows are summed once per account, keys and m_b into C_j, the value of the rows
    still in the window j months later (m_a − m_b > j, or x + a after as_of), and the sum
    at month M is Σ_j C_j(M − j): one grouping per window, one for all of them.
    """
    # the columns the sums read, only (a table read twice is kept once by the engine)
    days = {"date"} if "date" in events.columns else {f"_m{s}" for w in windows.values() for s in w}
    ev = events.select("account_id", *keys, *sorted(days), _v=value)
    if "date" not in events.columns and (len(windows) > 1 or any(_span(a, b) > SHORT_SPAN
                                                                 for a, b in windows.values())):
        # a summary read by several groupings (a window each, or one pre-summed): its rows
        # differ in columns these windows do not read (other keys, other months); summed
        # once on those they read, each grouping reads fewer rows (one short window reads
        # the rows once: summing them first would only add a grouping)
        ev = ev.group_by(["account_id", *keys, *sorted(days)]).aggregate(_v=ev._v.sum())
    first = ctx.first_month
    last = ctx.as_of.year * 12 + ctx.as_of.month - 1
    parts = []
    for name, (a, b) in windows.items():
        t = ev.mutate(_mb=_month_after(ctx, ev, b), _ma=_month_after(ctx, ev, a))
        t = t.filter(t._mb.notnull())
        span = _span(a, b)
        # each j < span by a cross join with the numbers 0 … span − 1 (one read of the rows)
        js = ibis.memtable({"_j": list(range(span))}).select(_j=ibis._["_j"].cast("int32"))
        if span <= SHORT_SPAN:
            # a short window: each row lies in one or two of its periods, summed there
            # directly (summing per m_b first would group as many rows again)
            x = t.cross_join(js)
            x = x.filter(x._ma.isnull() | (x._ma - x._mb > x._j))
            v = x._v
        else:
            agg = t.group_by(["account_id", *keys, "_mb"]).aggregate(
                **{f"_c{j}": t._v.sum(where=t._ma.isnull() | (t._ma - t._mb > j)) for j in range(span)})
            x = agg.cross_join(js)
            v = ibis.cases(*[(x._j == j, x[f"_c{j}"]) for j in range(span)])
        month = x._mb.cast("int64") + x._j
        x = x.filter(v.notnull() & (month >= first) & (month <= last))
        parts.append(x.select("account_id", *keys, period=month - (first - 1), _w=ibis.literal(name), _v=v))
    union = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    out = union.group_by(["account_id", *keys, "period"]).aggregate(
        **{n: union._v.sum(where=union._w == n) for n in windows})
    return out.mutate(**{n: out[n].fill_null(0) for n in windows})


def in_window(ctx: Context, events: ibis.Table, a: int, b: int) -> ibis.Table:
    """The rows of ``events`` with each grid period whose (d−a, d−b] holds their day.

    On a summary (months ``_m{s}`` instead of dates): a row on day x is in (d−a, d−b]
    when x + b ≤ d < x + a, i.e. from the period of x + b up to before that of x + a.
    """
    if "date" not in events.columns:
        g = ctx.grid.select("period")
        start = period_of_month(events[f"_m{b}"], ctx)
        end = period_of_month(events[f"_m{a}"], ctx)
        joined = events.join(g, [events[f"_m{b}"].notnull(), g.period >= start,
                                 events[f"_m{a}"].isnull() | (g.period < end)])
        return joined
    g = ctx.grid
    joined = events.join(g, [events.date > g.d - ibis.interval(days=a),
                             events.date <= (g.d - ibis.interval(days=b) if b else g.d)])
    return joined.drop("d")


def _on_base(ctx: Context, table: ibis.Table, columns: dict[str, Any]) -> ibis.Table:
    """``table`` (account_id, period, …) on every account-period of the base."""
    base = ctx.base
    j = base.left_join(table, [base.account_id == table.account_id, base.period == table.period])
    return j.select(account_id=j.account_id, period=j.period,
                    **{k: (v(j) if callable(v) else j[v]) for k, v in columns.items()})


def _caps(ctx: Context) -> ibis.Table:
    caps = ctx.tables["caps"]
    return caps.group_by(["plan_tier", "metric"]).aggregate(cap=caps.cap.max())


def _metric_numbers(ctx: Context) -> ibis.Table | None:
    """metric, _n: each usage metric's number in its summary (``_k_metric``), or None when
    usage is not summed by metric number (then the metric's text is the key)."""
    values = ctx.numbers.get("usage", {}).get("metric")
    if not values or "_k_metric" not in ctx.tables["usage"].columns:
        return None
    t = ibis.memtable({"metric": list(values), "_n": list(range(len(values)))})
    return t.select("metric", _n=t._n.cast("int16"))


def _distinct_users(ctx: Context, a: int, b: int) -> ibis.Table:
    rows = in_window(ctx, ctx.tables["users"], a, b)
    return rows.group_by(["account_id", "period"]).aggregate(n=rows.user_id.nunique())


def history_start(ctx: Context, sig: Signal) -> date | None:
    """The first day the signal's sources have records: the latest first record of those
    it reads (each must cover its window), or None when it has no look-back."""
    days = [ctx.firsts[s] for s in sig.history if s in ctx.firsts and s in ctx.tables]
    return max(days) if sig.lookback and days else None


def short_history(ctx: Context, sig: Signal) -> ibis.Table | None:
    """The grid periods whose window (d−lookback, d] starts before :func:`history_start`
    (its first day, d−lookback+1, has no records yet): there the signal is blank.

    Columns: period. None when the signal has no look-back.
    """
    first = history_start(ctx, sig)
    if first is None:
        return None
    g = ctx.grid
    return g.filter(g.d - ibis.interval(days=sig.lookback - 1) < ibis.literal(first)).select("period")


# --------------------------------------------------------------------------- the signals


@signal("usage_vs_cap", ("usage", "caps"), lookback=30, history=("usage",))
def usage_vs_cap(ctx: Context) -> ibis.Table:
    """The largest, over the metrics with a cap on the account's plan tier, of the quantity
    used in (A−30, A] divided by that cap. Blank when the plan has no cap (or a cap of 0).

    A metric the caps table does not know is left out and named in the report.
    """
    usage = ctx.tables["usage"]
    caps = _caps(ctx)
    key, nums = "metric", _metric_numbers(ctx)
    if nums is not None:
        # the metric by its number: the windows group and join by a small integer (a cap's
        # metric absent from usage numbered −1: nothing used, as with the text)
        j = caps.left_join(nums, caps.metric == nums.metric)
        caps = j.select(plan_tier=j.plan_tier, cap=j.cap, metric=j._n.fill_null(-1).cast("int16"))
        key = "_k_metric"
    u = window_sums(ctx, usage, [key], usage.quantity, {"u30": CAP_WINDOW})
    base = ctx.base
    x = base.join(caps, base.plan == caps.plan_tier)
    x = x.left_join(u, [x.account_id == u.account_id, x.metric == u[key], x.period == u.period])
    ratio = ibis.ifelse(x.cap > 0, x.u30.fill_null(0) / x.cap, ibis.null().cast("float64"))
    x = x.select(account_id=x.account_id, period=x.period, r=ratio)
    return x.group_by(["account_id", "period"]).aggregate(usage_vs_cap=x.r.max())


@signal("usage_trend_90d", ("usage",), lookback=180, history=("usage",))
def usage_trend_90d(ctx: Context) -> ibis.Table | None:
    """The quantity used in (A−90, A] divided by the quantity used in (A−180, A−90], minus 1,
    over the metrics that have a cap (or the one metric when usage has a single metric).
    Blank when the earlier quantity is 0.
    """
    u = ctx.tables["usage"]
    if "caps" in ctx.tables:
        capped = ctx.tables["caps"].select("metric").distinct()
        nums = _metric_numbers(ctx)
        if nums is not None:  # by the metric's number (its text is not read then)
            capped = nums.semi_join(capped, nums.metric == capped.metric)
            u = u.semi_join(capped, u._k_metric == capped._n)
        else:
            u = u.semi_join(capped, u.metric == capped.metric)
    elif ctx.cache.get("usage_metrics", 1) > 1:
        ctx.notes.append("usage_trend_90d: usage has several metrics and no caps table says which "
                         "to add up; the signal is left blank (give --caps)")
        return None
    agg = window_sums(ctx, u, [], u.quantity, TREND_WINDOWS)
    trend = ibis.ifelse(agg.before > 0, agg.now / agg.before - 1, ibis.null().cast("float64"))
    return agg.select("account_id", "period", usage_trend_90d=trend)


@signal("seat_utilization", ("seats",), outputs=("seats_licensed", "seats_active"))
def seat_utilization(ctx: Context) -> ibis.Table:
    """seats_active divided by seats_licensed of the latest seats row on or before A; when
    that row has no seats_active, the distinct users active in (A−30, A] divided by
    seats_licensed. Blank when seats_licensed is 0 or unknown.
    """
    seats = ctx.tables["seats"]
    has_active = "seats_active" in seats.columns
    aggs = {"seats_licensed": seats.seats_licensed.max()}
    if has_active:
        aggs["seats_active"] = seats.seats_active.max()
    day = seats.group_by(["account_id", "date"]).aggregate(**aggs)
    w = ibis.window(group_by="account_id", order_by="date")
    day = day.mutate(_next=day.date.lead().over(w))
    g = ctx.grid
    snap = day.join(g, [day.date <= g.d, day._next.isnull() | (day._next > g.d)])
    active = snap.seats_active if has_active else ibis.null().cast("float64")
    snap = snap.select("account_id", "period", "seats_licensed", seats_active=active)
    if "users" in ctx.tables:
        users = _distinct_users(ctx, 30, 0)
        snap = snap.left_join(users, [snap.account_id == users.account_id, snap.period == users.period])
        used = ibis.coalesce(snap.seats_active, snap.n.fill_null(0).cast("float64"))
        snap = snap.select(account_id=snap.account_id, period=snap.period,
                           seats_licensed=snap.seats_licensed, seats_active=snap.seats_active, _used=used)
    else:
        snap = snap.mutate(_used=snap.seats_active)
    util = ibis.ifelse(snap.seats_licensed > 0, snap._used / snap.seats_licensed, ibis.null().cast("float64"))
    return snap.select("account_id", "period", seat_utilization=util,
                       seats_licensed=snap.seats_licensed, seats_active=snap.seats_active)


@signal("active_user_growth_60d", ("users",), lookback=90, history=("users",))
def active_user_growth_60d(ctx: Context) -> ibis.Table:
    """The distinct users active in (A−30, A] divided by the distinct users active in
    (A−90, A−60], minus 1. Blank when the earlier count is 0.
    """
    now = _distinct_users(ctx, 30, 0)
    before = _distinct_users(ctx, 90, 60)
    j = before.left_join(now, [before.account_id == now.account_id, before.period == now.period])
    growth = ibis.ifelse(j.n > 0, j.n_right.fill_null(0) / j.n - 1, ibis.null().cast("float64"))
    return j.select(account_id=j.account_id, period=j.period, active_user_growth_60d=growth)


@signal("new_department_users_30d", ("users",), count=True, lookback=210, history=("users",))
def new_department_users_30d(ctx: Context) -> ibis.Table | None:
    """The distinct users active in (A−30, A] whose department had no active user of the
    account in (A−210, A−30]. Users without a department are not counted.
    """
    users = ctx.tables["users"]
    if "department" not in users.columns:
        return None
    users = users.filter(users.department.notnull() & (users.department != ""))
    recent = in_window(ctx, users, 30, 0)
    older = in_window(ctx, users, 210, 30).select("account_id", "period", "department").distinct()
    new = recent.anti_join(older, [recent.account_id == older.account_id,
                                   recent.period == older.period,
                                   recent.department == older.department])
    return new.group_by(["account_id", "period"]).aggregate(new_department_users_30d=new.user_id.nunique())


@signal("pricing_page_visits_30d", ("web",), count=True, lookback=30, history=("web",))
def pricing_page_visits_30d(ctx: Context) -> ibis.Table:
    """The web rows in (A−30, A] whose page contains "pricing" (any case)."""
    web = ctx.tables["web"]
    web = web.filter(web.page.lower().contains(PRICING_PAGE))
    s = window_sums(ctx, web, [], ibis.literal(1, "int64"), {"v": (30, 0)})
    return s.select("account_id", "period", pricing_page_visits_30d=s.v.cast("float64"))


@signal("gated_feature_requests_90d", ("tickets",), count=True, lookback=90,
        history=("tickets",))
def gated_feature_requests_90d(ctx: Context) -> ibis.Table:
    """The tickets in (A−90, A] whose tag is one of the gated tags (by default "gated" and
    "upgrade request", any case; editable).
    """
    tickets = ctx.tables["tickets"]
    tickets = tickets.filter(tickets.tag.isin([key(t) for t in ctx.gated_tags if key(t)]))
    s = window_sums(ctx, tickets, [], ibis.literal(1, "int64"), {"v": (90, 0)})
    return s.select("account_id", "period", gated_feature_requests_90d=s.v.cast("float64"))


@signal("next_tier_feature_adoption", ("features", "usage"), alternatives=(("features", "feature_events"),),
        lookback=90, history=("usage", "feature_events"))
def next_tier_feature_adoption(ctx: Context) -> ibis.Table | None:
    """The distinct features of the tier above the account's plan tier used in (A−90, A],
    divided by the number of that tier's features in the catalog. Blank on the top tier
    or an unknown one.

    A feature is used when a usage row's metric, or a feature_events row, names it.
    """
    catalog = ctx.tables["features"]
    parts = []
    a, b = FEATURE_WINDOW
    for name, column in (("usage", "metric"), ("feature_events", "feature")):
        t = ctx.tables.get(name)
        if t is None or column not in t.columns:
            continue
        t = t.mutate(feature=t[column])
        t = t.semi_join(catalog, t.feature == catalog.feature)
        parts.append(in_window(ctx, t, a, b).select("account_id", "period", "feature"))
    if not parts or ctx.tier_next is None:
        return None
    used = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    used = used.distinct()
    sizes = catalog.group_by("tier").aggregate(size=catalog.feature.nunique())
    base = ctx.base
    nxt = ctx.tier_next
    acc = base.join(nxt, base.plan == nxt.plan).join(sizes, nxt.next_tier == sizes.tier)
    acc = acc.select("account_id", "period", "next_tier", "size")
    hits = used.join(catalog, used.feature == catalog.feature)
    hits = hits.select("account_id", "period", "feature", tier=hits.tier)
    m = acc.left_join(hits, [acc.account_id == hits.account_id, acc.period == hits.period,
                             acc.next_tier == hits.tier])
    agg = m.group_by([m.account_id, m.period]).aggregate(
        n=m.feature.nunique(), size=m.size.max())
    share = ibis.ifelse(agg.size > 0, agg.n.cast("float64") / agg.size, ibis.null().cast("float64"))
    return agg.select("account_id", "period", next_tier_feature_adoption=share)
