"""Retention and benchmarks (SPEC §6): NRR, GRR, compounding, stage bands, readiness.

Rates are fractions: 1.2 is 120 % NRR, 0.08 is 8 % churn (Excel users may type '120%').
Each function is here twice: a plain lower-case function and its ``@xw.func`` UDF.

>>> nrr(10_000_000, 2_500_000, 300_000, 200_000), grr(10_000_000, 300_000, 200_000)
(1.2, 0.95)
>>> arr_after(10_000_000, 1.2, 1), arr_after(10_000_000, 1.3, 1)
(12000000.0, 13000000.0)

The definitions chosen here are listed once, in the package's docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from ..core import _args, playbook
from ..core._args import broadcast, finite, positive, reject
from ..core._args import omitted as _omitted

__all__ = [
    "nrr", "NRR",
    "grr", "GRR",
    "arr_after", "ARR_AFTER",
    "nrr_projection", "NRR_PROJECTION",
    "nrr_benchmark", "NRR_BENCHMARK",
    "nrr_stage", "nrr_benchmark_detail",
    "expansion_share", "EXPANSION_SHARE",
    "expansion_share_benchmark", "EXPANSION_SHARE_BENCHMARK",
    "expansion_share_verdict", "expansion_share_notes",
    "expansion_readiness", "EXPANSION_READINESS",
]

NRR_MAX = 5.0  # 500 %: anything above is almost surely a percentage typed as 120
YEARS_MAX = 100

_RATE = "a fraction such as 1.2 for 120%"
_FRACTION = "a fraction between 0 and 1"
_EPS = 1e-9  # benchmark ends are inclusive: 1.1 typed as 110% parses to 1.1000000000000001


# --------------------------------------------------------------------------- coercion


def _money(name: str, value: Any) -> np.ndarray:
    return _args.numbers(name, value, minimum=0)


def _nrr(name: str, value: Any) -> np.ndarray:
    x = _args.numbers(name, value, minimum=0, what=_RATE)
    return reject(name, x, x > NRR_MAX, f"{_RATE} (at most {NRR_MAX:g})")


def _fraction(name: str, value: Any) -> np.ndarray:
    x = _args.numbers(name, value, minimum=0, what=_FRACTION)
    return reject(name, x, x > 1, _FRACTION)


def _years(name: str, value: Any) -> np.ndarray:
    y = _args.numbers(name, value, minimum=0)
    return reject(name, y, y > YEARS_MAX, f"a number of years from 0 to {YEARS_MAX}")


def _losses_within(start: np.ndarray, contraction: np.ndarray, churn: np.ndarray) -> None:
    over = contraction + churn > start * (1 + 1e-12)
    if over.any():
        i = int(np.argmax(over))
        where = f" (item {i + 1})" if start.size > 1 else ""
        raise _args.InputError(
            f"churn: expected contraction + churn at most starting_arr ({start[i]:,.0f}), "
            f"got {contraction[i] + churn[i]:,.0f}{where}"
        )


# --------------------------------------------------------------------------- plain functions


def nrr(starting_arr: Any, expansion: Any, contraction: Any, churn: Any):
    """NRR = (start + expansion − contraction − churn) / start, for the cohort of ``starting_arr``.

    >>> nrr(1_000_000, [100_000, 0], 50_000, 50_000)
    array([1. , 0.9])
    """
    s = positive("starting_arr", _money("starting_arr", starting_arr))
    e, c, ch = _money("expansion", expansion), _money("contraction", contraction), _money("churn", churn)
    (s, e, c, ch), like = broadcast(
        ("starting_arr", s, starting_arr), ("expansion", e, expansion),
        ("contraction", c, contraction), ("churn", ch, churn),
    )
    _losses_within(s, c, ch)
    with np.errstate(over="ignore"):
        out = finite("starting_arr", (s + e - c - ch) / s, "a starting ARR that keeps the ratio finite")
    return _args.shaped(out, like, name="nrr")


def grr(starting_arr: Any, contraction: Any, churn: Any):
    """GRR = (start − contraction − churn) / start: retention without expansion (0–1).

    >>> grr(1_000_000, 50_000, 30_000)
    0.92
    """
    s = positive("starting_arr", _money("starting_arr", starting_arr))
    c, ch = _money("contraction", contraction), _money("churn", churn)
    (s, c, ch), like = broadcast(
        ("starting_arr", s, starting_arr), ("contraction", c, contraction), ("churn", ch, churn)
    )
    _losses_within(s, c, ch)
    return _args.shaped((s - c - ch) / s, like, name="grr")


def _compound(s: np.ndarray, r: np.ndarray, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """start × r^y plus new logos N at the end of each full year k ≤ y, compounding r^(y−k)."""
    k = np.floor(y)
    with np.errstate(all="ignore"):
        grow = np.power(r, y)
        tail = np.power(r, y - k)  # 0^0 = 1: logos of the last full year count fully
        near_one = np.abs(r - 1.0) < 1e-9
        denominator = np.where(near_one, 1.0, r - 1.0)
        series = np.where(near_one, k, (np.power(r, k) - 1.0) / denominator)
        return s * grow + n * tail * series  # an overflow is inf: callers name it


def arr_after(starting_arr: Any, nrr: Any, years: Any, new_logo_arr_per_year: Any = None):
    """ARR after ``years`` at ``nrr`` (a fraction: 1.2 = 120 %).

    The starting ARR compounds at ``nrr``: start × nrr^years. Each year's
    ``new_logo_arr_per_year`` joins at the end of that year and then compounds at ``nrr``
    in the later years, so after 2 years with N new logos a year: start × nrr² + N × nrr + N.
    Fractional years compound the base continuously and count the new logos of full years.

    >>> arr_after(10_000_000, 1.2, 2, 1_000_000)
    16600000.0
    """
    s, r, y = _money("starting_arr", starting_arr), _nrr("nrr", nrr), _years("years", years)
    blank = _omitted(new_logo_arr_per_year)
    n = np.zeros(1) if blank else _money("new_logo_arr_per_year", new_logo_arr_per_year)
    (s, r, y, n), like = broadcast(
        ("starting_arr", s, starting_arr), ("nrr", r, nrr), ("years", y, years),
        ("new_logo_arr_per_year", n, 0 if blank else new_logo_arr_per_year),
    )
    out = finite("years", _compound(s, r, y, n), "a horizon whose ARR stays a finite number")
    return _args.shaped(out, like, name="arr")


def nrr_projection(
    starting_arr: Any, nrr: Any, years: Any, new_logo_arr_per_year: Any = None
) -> pd.DataFrame:
    """Table ``year, arr`` for year 0 … ``years`` (same definition as :func:`arr_after`).

    >>> nrr_projection(10_000_000, 1.2, 2)["arr"].tolist()
    [10000000.0, 12000000.0, 14400000.0]
    """
    s = _args.number("starting_arr", starting_arr, minimum=0)
    r = float(_nrr("nrr", [_args.number("nrr", nrr, what=_RATE)])[0])
    y = _args.integer("years", years, minimum=0)
    if y > YEARS_MAX:
        raise _args.fail("years", f"a whole number of years from 0 to {YEARS_MAX}", y)
    n = 0.0 if _omitted(new_logo_arr_per_year) else _args.number(
        "new_logo_arr_per_year", new_logo_arr_per_year, minimum=0
    )
    t = np.arange(y + 1, dtype=float)
    arr = finite("years", _compound(np.full(t.size, s), np.full(t.size, r), t, np.full(t.size, n)),
                 "a horizon whose ARR stays a finite number")
    return pd.DataFrame({"year": np.arange(y + 1), "arr": arr})


def nrr_stage(arr: Any) -> dict:
    """The ARR-stage row an ARR falls in (below $1M: the first row, for NRR only).

    Keys: stage, low, high (typical NRR), share_median, share_top_quartile (ranges of the
    expansion share of new ARR; None below $1M), source.

    >>> {k: v for k, v in nrr_stage(12_000_000).items() if k != "source"}
    {'stage': '$5M–$15M', 'low': 1.0, 'high': 1.15, 'share_median': (0.1, 0.15), 'share_top_quartile': (0.18, 0.22)}
    """
    a = _args.number("arr", arr, minimum=0)
    i = _band_index(np.array([a]))[0]
    floor, median, top_q, (low, high) = playbook.BENCHMARK_STAGES[i]
    nxt = playbook.BENCHMARK_STAGES[i + 1][0] if i + 1 < len(playbook.BENCHMARK_STAGES) else None
    stage = f"{_short(floor)}–{_short(nxt)}" if nxt else f"{_short(floor)}+"
    small = a < playbook.BENCHMARK_STAGES[0][0]
    return {"stage": stage, "low": low, "high": high,
            "share_median": None if small else median, "share_top_quartile": None if small else top_q,
            "source": playbook.SOURCE_STAGE_TABLE}


def _short(dollars: float) -> str:
    return f"${dollars / 1e6:g}M"


def _band_index(arr: np.ndarray) -> np.ndarray:
    floors = np.array([b[0] for b in playbook.BENCHMARK_STAGES])
    return np.clip(np.searchsorted(floors, arr, side="right") - 1, 0, len(floors) - 1)


def _segments(segment: Any) -> tuple[np.ndarray, Any]:
    if _omitted(segment):
        return np.array([""], dtype=object), 0
    return _args.choices("segment", segment, playbook.SEGMENTS, allow_blank=True), segment


def _nrr_ranges(a: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    i = _band_index(a)
    low = np.array([b[1] for b in playbook.NRR_BANDS])[i]
    high = np.array([b[2] for b in playbook.NRR_BANDS])[i]
    for name, ((lo, hi), _) in playbook.NRR_BY_SEGMENT.items():
        mine = seg == name
        low, high = np.where(mine, lo, low), np.where(mine, hi, high)
    return low, high


def nrr_benchmark(arr: Any, nrr: Any, segment: Any = None):
    """``Below range`` / ``In range`` / ``Above range`` against the typical NRR of the ARR stage,
    or of the ``segment`` (SMB 90–100 %, Mid-market 100–120 %, Enterprise 120–150 %) when given.

    Stages ($ ARR, lower bound inclusive): 1–5M 95–110 %, 5–15M 100–115 %, 15–50M
    105–120 %, 50–100M 110–125 %, 100M+ 115–135 %; range ends count as in range.
    Below $1M the first band (95–110 %) applies. A blank segment uses the stage.

    >>> nrr_benchmark([3_000_000, 20_000_000, 200_000_000], 1.12).tolist()
    ['Above range', 'In range', 'Below range']
    >>> nrr_benchmark(3_000_000, 1.12, "Mid-market")
    'In range'
    """
    a, r = _money("arr", arr), _nrr("nrr", nrr)
    seg, seg_raw = _segments(segment)
    (a, r, seg), like = broadcast(("arr", a, arr), ("nrr", r, nrr), ("segment", seg, seg_raw))
    low, high = _nrr_ranges(a, seg)
    labels = np.array([playbook.BELOW_RANGE, playbook.IN_RANGE, playbook.ABOVE_RANGE], dtype=object)
    level = np.where(r < low - _EPS, 0, np.where(r > high + _EPS, 2, 1))
    return _args.shaped(labels[level], like, name="nrr_benchmark")


def nrr_benchmark_detail(arr: Any, nrr: Any, segment: Any = None) -> dict:
    """One NRR verdict with what it was judged against and where that comes from.

    >>> d = nrr_benchmark_detail(22_000_000, 1.08)
    >>> d["verdict"], d["against"], d["source"]
    ('In range', '$15M–$50M ARR stage: typical NRR 105–120 %', 'ARR-stage benchmark table')
    """
    verdict = nrr_benchmark(arr, nrr, segment)
    a = _args.number("arr", arr, minimum=0)
    seg = "" if _omitted(segment) else _args.choices("segment", [segment], playbook.SEGMENTS, allow_blank=True)[0]
    if seg:
        (lo, hi), (best_lo, best_hi) = playbook.NRR_BY_SEGMENT[seg]
        against = f"{seg} segment: typical NRR {_pct_range(lo, hi)} (best in class {_pct_range(best_lo, best_hi)})"
        source = playbook.SOURCE_SEGMENT_TABLE
    else:
        st = nrr_stage(a)
        against = f"{st['stage']} ARR stage: typical NRR {_pct_range(st['low'], st['high'])}"
        source = playbook.SOURCE_STAGE_TABLE
    return {"verdict": verdict, "against": against, "source": source}


def _pct_range(lo: float, hi: float) -> str:
    return f"{lo * 100:g}–{hi * 100:g} %"


def expansion_share(expansion_arr: Any, new_logo_arr: Any):
    """Expansion share of new ARR = expansion / (expansion + new-logo ARR).

    >>> expansion_share(300_000, 700_000)
    0.3
    """
    e, n = _money("expansion_arr", expansion_arr), _money("new_logo_arr", new_logo_arr)
    (e, n), like = broadcast(("expansion_arr", e, expansion_arr), ("new_logo_arr", n, new_logo_arr))
    total = e + n
    none = total <= 0
    if none.any():
        i = int(np.argmax(none))
        where = f" (item {i + 1})" if total.size > 1 else ""
        raise _args.InputError(
            f"new_logo_arr: expected expansion_arr + new_logo_arr above 0, got both 0{where}"
        )
    return _args.shaped(e / total, like, name="expansion_share")


def expansion_share_benchmark(share: Any, arr: Any = None):
    """Verdict on an expansion share of new ARR from the ARR-stage table alone (SPEC §6).

    ``Below median`` below the low end of the stage's median range, ``Top quartile`` from the
    low end of its top-quartile range, ``Median`` between; under $1M ARR (or no ARR given)
    ``No benchmark``. The general lines (best in class 20–30 %, above 60 % check new-logo
    acquisition) are notes, see :func:`expansion_share_notes`.

    >>> expansion_share_benchmark([0.04, 0.08, 0.11, 0.12], 3_000_000).tolist()
    ['Below median', 'Median', 'Median', 'Top quartile']
    >>> expansion_share_benchmark(0.12, 500_000)
    'No benchmark'
    """
    s = _fraction("share", share)
    blank = _omitted(arr)
    a = np.full(1, np.nan) if blank else _money("arr", arr)
    (s, a), like = broadcast(("share", s, share), ("arr", a, arr if not blank else 0))
    i = _band_index(np.nan_to_num(a))
    median_lo = np.array([b[1][0] for b in playbook.BENCHMARK_STAGES])[i]
    top_lo = np.array([b[2][0] for b in playbook.BENCHMARK_STAGES])[i]
    out = np.where(s < median_lo - _EPS, playbook.SHARE_BELOW_MEDIAN,
                   np.where(s >= top_lo - _EPS, playbook.SHARE_TOP_QUARTILE, playbook.SHARE_MEDIAN))
    none = np.isnan(a) | (a < playbook.BENCHMARK_STAGES[0][0])
    out = np.where(none, playbook.SHARE_NO_BENCHMARK, out)
    return _args.shaped(out.astype(object), like, name="expansion_share_benchmark")


def expansion_share_notes(share: Any = None) -> list[str]:
    """The general lines beside an expansion-share verdict (notes, not verdicts).

    >>> expansion_share_notes(0.7)[-1]
    'Above 60 % of new ARR from expansion: check new-logo acquisition.'
    """
    lo, hi = playbook.EXPANSION_SHARE_BEST_IN_CLASS
    notes = [f"Best in class: {_pct_range(lo, hi)} of new ARR from expansion ({playbook.SOURCE_BEST_IN_CLASS})."]
    if not _omitted(share):
        s = float(_fraction("share", [_args.number("share", share)])[0])
        if s > playbook.EXPANSION_SHARE_CHECK_ABOVE + _EPS:
            notes.append(f"Above {playbook.EXPANSION_SHARE_CHECK_ABOVE * 100:g} % of new ARR from expansion: "
                         "check new-logo acquisition.")
    return notes


def expansion_share_verdict(share: Any, arr: Any = None) -> dict:
    """One expansion-share verdict with its stage ranges, its source and the general notes.

    >>> v = expansion_share_verdict(0.12, 3_000_000)
    >>> v["verdict"], v["against"]
    ('Top quartile', '$1M–$5M ARR stage: median 5–10 %, top quartile 12–15 %')
    """
    verdict = expansion_share_benchmark(share, arr)
    against = ""
    if verdict != playbook.SHARE_NO_BENCHMARK:
        st = nrr_stage(arr)
        against = (f"{st['stage']} ARR stage: median {_pct_range(*st['share_median'])}, "
                   f"top quartile {_pct_range(*st['share_top_quartile'])}")
    else:
        against = "no ARR-stage benchmark below $1M ARR"
    return {"verdict": verdict, "against": against, "source": playbook.SOURCE_STAGE_TABLE,
            "notes": expansion_share_notes(share)}


def expansion_readiness(paying_customers: Any, avg_tenure_months: Any, annual_churn: Any):
    """``Build the motion`` / ``Stay acquisition-first`` / ``Fix churn first`` (SPEC §6).

    Annual churn of 8 % or more → ``Fix churn first`` (wins). Else 50+ customers with 6+
    months of average tenure → ``Build the motion``; otherwise ``Stay acquisition-first``.

    >>> expansion_readiness([60, 40, 20, 200], [8, 8, 8, 12], [0.05, 0.05, 0.05, 0.08]).tolist()
    ['Build the motion', 'Stay acquisition-first', 'Stay acquisition-first', 'Fix churn first']
    """
    c = _args.numbers("paying_customers", paying_customers, minimum=0, what="a whole number")
    reject("paying_customers", c, c != np.floor(c), "a whole number")
    t = _args.numbers("avg_tenure_months", avg_tenure_months, minimum=0)
    ch = _fraction("annual_churn", annual_churn)
    (c, t, ch), like = broadcast(
        ("paying_customers", c, paying_customers), ("avg_tenure_months", t, avg_tenure_months),
        ("annual_churn", ch, annual_churn),
    )
    build = (c >= playbook.READINESS_MIN_CUSTOMERS) & (t >= playbook.READINESS_MIN_TENURE_MONTHS)
    out = np.where(build, playbook.BUILD_THE_MOTION, playbook.STAY_ACQUISITION_FIRST)
    out = np.where(ch >= playbook.FIX_CHURN_AT - _EPS, playbook.FIX_CHURN_FIRST, out)
    return _args.shaped(out.astype(object), like, name="expansion_readiness")


# --------------------------------------------------------------------------- Excel UDFs

_NRR_DOC = "Net revenue retention as a fraction, e.g. 1.2 or 120% (a cell or a column)"
_NEW_LOGO_DOC = "Optional new-logo ARR added each year, $ (joins at year end, then compounds); default 0"


@xw.func
@xw.arg("starting_arr", doc="ARR of the cohort at the start of the period, $ (above 0)", err_to_str=True)
@xw.arg("expansion", doc="Expansion ARR from that cohort during the period, $", err_to_str=True)
@xw.arg("contraction", doc="Contraction (downgrades) during the period, $", err_to_str=True)
@xw.arg("churn", doc="Churned ARR during the period, $", err_to_str=True)
def NRR(starting_arr, expansion, contraction, churn):
    """Net revenue retention, fraction. Example: =NRR(10000000, 2500000, 300000, 200000)"""
    return _args.to_excel(nrr(starting_arr, expansion, contraction, churn))


@xw.func
@xw.arg("starting_arr", doc="ARR of the cohort at the start of the period, $ (above 0)", err_to_str=True)
@xw.arg("contraction", doc="Contraction (downgrades) during the period, $", err_to_str=True)
@xw.arg("churn", doc="Churned ARR during the period, $", err_to_str=True)
def GRR(starting_arr, contraction, churn):
    """Gross revenue retention, fraction. Example: =GRR(10000000, 300000, 200000)"""
    return _args.to_excel(grr(starting_arr, contraction, churn))


@xw.func
@xw.arg("starting_arr", doc="ARR today, $", err_to_str=True)
@xw.arg("nrr", doc=_NRR_DOC, err_to_str=True)
@xw.arg("years", doc="Years ahead (0 to 100)", err_to_str=True)
@xw.arg("new_logo_arr_per_year", doc=_NEW_LOGO_DOC, err_to_str=True)
def ARR_AFTER(starting_arr, nrr, years, new_logo_arr_per_year=None):
    """ARR after compounding at NRR for some years, $. Example: =ARR_AFTER(10000000, 1.2, 1)"""
    return _args.to_excel(arr_after(starting_arr, nrr, years, new_logo_arr_per_year))


@xw.func
@xw.arg("starting_arr", doc="ARR today, $ (one cell)", err_to_str=True)
@xw.arg("nrr", doc="Net revenue retention as a fraction, e.g. 1.2 (one cell)", err_to_str=True)
@xw.arg("years", doc="Whole number of years to project (0 to 100)", err_to_str=True)
@xw.arg("new_logo_arr_per_year", doc=_NEW_LOGO_DOC, err_to_str=True)
def NRR_PROJECTION(starting_arr, nrr, years, new_logo_arr_per_year=None):
    """Table of year and ARR from year 0, compounding at NRR. Example: =NRR_PROJECTION(10000000, 1.2, 5)"""
    return _args.to_excel(nrr_projection(starting_arr, nrr, years, new_logo_arr_per_year))


@xw.func
@xw.arg("arr", doc="Company ARR, $, which sets the stage band (a cell or a column)", err_to_str=True)
@xw.arg("nrr", doc=_NRR_DOC, err_to_str=True)
@xw.arg("segment", doc="Optional segment you sell to (SMB, Mid-market, Enterprise): judged against its NRR range instead of the stage's", err_to_str=True)
def NRR_BENCHMARK(arr, nrr, segment=None):
    """Below range / In range / Above range vs typical NRR for the ARR stage (or the segment). Example: =NRR_BENCHMARK(12000000, 1.18)"""
    return _args.to_excel(nrr_benchmark(arr, nrr, segment))


@xw.func
@xw.arg("share", doc="Expansion share of new ARR as a fraction, e.g. 0.12 or 12% (a cell or a column)", err_to_str=True)
@xw.arg("arr", doc="Company ARR, $, which sets the ARR stage", err_to_str=True)
def EXPANSION_SHARE_BENCHMARK(share, arr):
    """Below median / Median / Top quartile vs the ARR-stage benchmark table (No benchmark under $1M). Example: =EXPANSION_SHARE_BENCHMARK(0.12, 3000000)"""
    return _args.to_excel(expansion_share_benchmark(share, arr))


@xw.func
@xw.arg("expansion_arr", doc="New ARR from expansion of existing customers, $", err_to_str=True)
@xw.arg("new_logo_arr", doc="New ARR from new customers, $", err_to_str=True)
def EXPANSION_SHARE(expansion_arr, new_logo_arr):
    """Expansion share of new ARR, fraction. Example: =EXPANSION_SHARE(300000, 700000)"""
    return _args.to_excel(expansion_share(expansion_arr, new_logo_arr))


@xw.func
@xw.arg("paying_customers", doc="Number of paying customers (whole number)", err_to_str=True)
@xw.arg("avg_tenure_months", doc="Average customer tenure, months", err_to_str=True)
@xw.arg("annual_churn", doc="Annual gross churn as a fraction, e.g. 0.06 or 6%", err_to_str=True)
def EXPANSION_READINESS(paying_customers, avg_tenure_months, annual_churn):
    """Build the motion / Stay acquisition-first / Fix churn first. Example: =EXPANSION_READINESS(120, 14, 0.05)"""
    return _args.to_excel(expansion_readiness(paying_customers, avg_tenure_months, annual_churn))
