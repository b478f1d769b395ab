"""Expansion scoring, plays and owners: SCORE_ACCOUNTS, EXPANSION_SCORE and friends (SPEC §3, §4, §8).

One engine (:func:`_evaluate`) turns an account table into a fired-rule matrix; the score,
the primary motion, the reasons and the whole ``SCORE_ACCOUNTS`` queue are read off it.
Every rule is one numpy comparison over a column, so a million accounts score in a blink.

>>> import pandas as pd
>>> accounts = pd.DataFrame({"account_id": ["a1", "a2"], "usage_vs_cap": [0.95, 0.95],
...                          "pricing_page_visits_30d": [0, 2]})
>>> expansion_score(accounts).tolist()
[50.0, 80.0]
>>> expansion_reasons(accounts).tolist()[1]
'usage at 95% of cap ≥ 90% (+50); 2 pricing page visits (+30)'

Decisions a RevOps user can rely on (documented once, here):

- A blank cell or a missing optional column is *no signal*: its rules do not fire.
- ``seat_utilization`` falls back to ``seats_active / seats_licensed`` when its cell is
  blank or unusable (or the column is absent) and both seat counts are there.
- Gates: ``health_score < 40`` gives the play ``Fix adoption first``; ``tenure_months < 4``
  gives ``Too early``. When both hold, ``Fix adoption first`` wins (the adoption problem is
  the work to do now; the reasons mention both gates).
- Only a ready account (score ≥ 50, not gated) gets a play with an owner, expected ARR
  increase, close rate, expected value and due days. A gated account shows its gate as the
  play; an ungated account below the trigger shows ``Nurture``. Both keep their score,
  motions and reasons, have a blank owner and an expected value of 0, so the queue sorted
  by expected value puts every ready account first and drops nobody.
- The play of a ready account is its fired motion with the highest expected value
  (arr × arr_increase_share × close_rate; ties in MOTIONS order); ``motions`` lists every
  fired motion so the others travel with it. A ready account with a blank ``arr`` keeps
  its play but has no expected increase (expected value 0) and its reasons say so.
- A bad cell (text, Excel error, negative count, a duplicate or blank ``account_id``, an
  unknown segment) never stops the table: the row is scored on its good cells and its
  reasons name the row (spreadsheet row, header = row 1; with ``headers`` given apart,
  the first row of values is row 1), the column and the value.
- Text results use '' for "none" (never NaN). From a DataFrame, ``expansion_motion`` and
  ``expansion_owner`` return categorical Series (cheap for a million rows).
- The Excel wrappers read account tables "raw" and clean the cells column by column:
  xlwings' per-cell conversion costs seconds on 10,000 rows outside Pyodide.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from . import _args, playbook
from .playbook import ACCOUNT_COLUMNS, MOTIONS, SEGMENTS

__all__ = [
    "NURTURE", "score_accounts", "expansion_score", "expansion_motion", "expansion_reasons",
    "seat_utilization", "expansion_owner", "expected_expansion", "close_rate",
    "play_due_date", "SCORE_COLUMNS",
    "SCORE_ACCOUNTS", "EXPANSION_SCORE", "EXPANSION_MOTION", "EXPANSION_REASONS",
    "SEAT_UTILIZATION", "EXPANSION_OWNER", "EXPECTED_EXPANSION", "CLOSE_RATE", "PLAY_DUE_DATE",
]

NURTURE = "Nurture"  # play of an ungated account below the trigger threshold
SCORE_COLUMNS = (
    "account_id", "expansion_score", "ready", "primary_motion", "motions", "play", "owner",
    "expected_arr_increase", "close_rate", "expected_value", "due_in_days", "reasons",
)
_MOTION_LIST = ", ".join(MOTIONS)
_SEGMENT_ALIASES = {
    "smb": "SMB", "small_business": "SMB", "small": "SMB",
    "mid_market": "Mid-market", "midmarket": "Mid-market", "mid": "Mid-market", "mm": "Mid-market",
    "enterprise": "Enterprise", "ent": "Enterprise",
}
_OP_SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}
_NUMERIC_KINDS = frozenset(k for k in set(ACCOUNT_COLUMNS.values()) if k not in playbook.TEXT_KINDS)


# =========================================================================== rules & plays


@dataclass(frozen=True)
class _Rule:
    name: str
    points: float
    motion: int  # index into MOTIONS
    conditions: tuple[tuple[str, str, float], ...]  # (signal, op, threshold), AND-ed


def _compile_rules(rules: Any) -> tuple[_Rule, ...]:
    table = playbook.rules_table(rules)
    order: dict[str, list] = {}
    for row in table.itertuples(index=False):
        entry = order.setdefault(row.rule, [row.points, MOTIONS.index(row.motion), []])
        entry[2].append((row.signal, row.op, float(row.threshold)))
    return tuple(_Rule(k, float(p), m, tuple(c)) for k, (p, m, c) in order.items())


@lru_cache(maxsize=1)
def _default_rules() -> tuple[_Rule, ...]:
    return _compile_rules(None)


def _rules(rules: Any) -> tuple[_Rule, ...]:
    return _default_rules() if rules is None else _compile_rules(rules)


@dataclass(frozen=True)
class _Plays:
    share: np.ndarray  # (5,) expected ARR increase as a share of account ARR
    close: np.ndarray  # (5,)
    owner: tuple[str, ...]
    owner_above: tuple[str, ...]
    threshold: np.ndarray  # (5,) NaN = one owner
    basis: tuple[str, ...]  # 'arr' / 'increase' / ''
    cycle: np.ndarray  # (5, 4): SMB, Mid-market, Enterprise, other


def _compile_plays(plays: Any) -> _Plays:
    t = playbook.plays_table(plays)
    cycle = np.empty((len(MOTIONS), len(SEGMENTS) + 1))
    for j, col in enumerate(("cycle_days_smb", "cycle_days_mid_market", "cycle_days_enterprise")):
        cycle[:, j] = t[col].to_numpy(dtype=float)
    cycle[:, 3] = t["cycle_days"].to_numpy(dtype=float)
    cycle[:, :3] = np.where(np.isnan(cycle[:, :3]), cycle[:, 3:4], cycle[:, :3])
    above = [a if a else o for a, o in zip(t["owner_above"], t["owner"], strict=True)]
    return _Plays(
        share=t["arr_increase_share"].to_numpy(dtype=float),
        close=t["close_rate"].to_numpy(dtype=float),
        owner=tuple(t["owner"]),
        owner_above=tuple(above),
        threshold=t["owner_threshold"].to_numpy(dtype=float),
        basis=tuple(b or "" for b in t["owner_basis"]),
        cycle=cycle,
    )


@lru_cache(maxsize=1)
def _default_plays() -> _Plays:
    return _compile_plays(None)


def _plays(plays: Any) -> _Plays:
    return _default_plays() if plays is None else _compile_plays(plays)


# =========================================================================== account tables


@dataclass
class _Accounts:
    n: int
    columns: dict[str, Any]  # canonical column -> raw column (Series)
    first_row: int  # spreadsheet row of data row 0
    one_row: bool  # the input was a single record (scalar results)
    index: pd.Index | None  # DataFrame index to keep on Series results


def _accounts(name: str, value: Any, headers: Any = None, *, require_id: bool = False) -> _Accounts:
    """Resolve an account table (DataFrame, dict, Series, 2-D range) without copying columns."""
    one_row = False
    first_row = 2 if headers is None else 1
    if isinstance(value, pd.Series) and headers is None:
        frame, one_row = value.to_frame().T.reset_index(drop=True), True
    elif isinstance(value, dict):
        if all(_args.is_scalar(v) for v in value.values()):
            frame, one_row = pd.DataFrame([value]), True
        else:
            frame = pd.DataFrame(value)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        frame = pd.DataFrame(list(value))  # records, as pandas' to_dict("records") gives them
    elif isinstance(value, pd.DataFrame):
        frame = value
        if headers is not None:
            frame = value.set_axis(_args._header_row(name, headers, value.shape[1]), axis=1)
    else:
        if headers is None and _args.is_scalar(value):
            raise _args.fail(name, "a table with a header row (or headers)", value)
        if headers is not None and isinstance(value, (list, tuple)) and value and not any(
            isinstance(v, (list, tuple)) for v in value
        ):
            one_row = True  # one row of values beside its headers
        elif headers is not None and _args.is_scalar(value):
            one_row = True
        frame = _frame_from_rows(name, value, headers)
    columns: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    for label in frame.columns:
        canonical = playbook.account_column(label)
        if canonical is None:
            continue
        if canonical in columns:
            raise _args.InputError(
                f"{name}: columns {str(labels[canonical])!r} and {str(label)!r} both mean {canonical}"
            )
        columns[canonical] = frame[label]
        labels[canonical] = label
    if not columns:
        playbook.require_account_header(name, frame.columns)
    if require_id and "account_id" not in columns:
        raise _args.InputError(f"{name}: expected a column 'account_id' in the header row")
    index = value.index if isinstance(value, pd.DataFrame) else None
    return _Accounts(len(frame), columns, first_row, one_row, index)


# Excel errors as the Windows COM add-in reads them raw (xlwings' ``cell_errors``)
_COM_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}


def _clean_cell(v: Any) -> Any:
    """One raw cell as the helpers expect: an error (Office.js dict, COM code) as '#N/A',
    Pyodide's JsNull or '' as None."""
    if type(v) is int and v in _COM_ERRORS:
        return _COM_ERRORS[v]
    if isinstance(v, dict):
        if v.get("type") == "Error":
            return str(v.get("basicValue", "#VALUE!"))
        return v.get("basicValue")
    if v is None or v == "" or type(v).__name__ == "JsNull":
        return None
    return v


_NUMBER_TYPES = frozenset({float, int, type(None)})
_PLAIN_TYPES = frozenset({float, int, type(None), str, bool})


def _frame_from_rows(name: str, value: Any, headers: Any) -> pd.DataFrame:
    """A 2-D range (header row first, or ``headers``) as a DataFrame, built column-wise.

    Cells may be as xlwings' raw reader passes them (error dicts, JsNull); columns holding
    only numbers and blanks become float columns in one numpy call.
    """
    rows = _args._rows(name, value)
    if not rows:
        raise _args.InputError(f"{name}: expected a table with a header row, got nothing")
    if headers is not None:
        head = _args._header_row(name, headers, len(rows[0]) if rows else 0)
        body = rows
    else:
        head, body = [_clean_cell(h) for h in rows[0]], rows[1:]
    if not body:
        raise _args.InputError(f"{name}: expected at least one row of values below the header row")
    keys = _args.table(name, [head]).columns  # header checks: blanks, errors, duplicates
    data = {}
    for key, column in zip(keys, zip(*body, strict=True), strict=True):
        types = set(map(type, column))
        plain = types <= _PLAIN_TYPES  # hashable cells: no error dicts, no JsNull
        com_errors = plain and int in types and not _COM_ERRORS.keys().isdisjoint(column)
        if types <= _NUMBER_TYPES and not com_errors:
            data[key] = np.array(column, dtype=float)
        elif plain and not com_errors:  # only '' needs cleaning
            cells = np.empty(len(column), dtype=object)
            cells[:] = column
            cells[cells == ""] = None
            data[key] = cells
        else:
            cells = np.empty(len(column), dtype=object)
            cells[:] = [_clean_cell(v) for v in column]
            data[key] = cells
    return pd.DataFrame(data, copy=False)


@dataclass
class _Evaluation:
    n: int
    rules: tuple[_Rule, ...]
    values: dict[str, np.ndarray]  # canonical -> float (NaN = no signal)
    fired: np.ndarray | None  # (R, n) bool; None for the score alone
    score: np.ndarray  # (n,)
    motion_points: np.ndarray  # (5, n); (1, n) for the score alone
    exact_fired: np.ndarray | None  # (5, n) bool when a 0-point rule exists; else points > 0
    notes: dict[int, list[str]]  # row -> bad-cell notes

    @property
    def motion_fired(self) -> np.ndarray:
        """(5, n): which motions have a fired rule, per account."""
        return self.exact_fired if self.exact_fired is not None else self.motion_points > 0


def _flag_column(raw: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(raw, pd.Series) and raw.dtype == bool:
        return raw.to_numpy(dtype=float), np.zeros(len(raw), dtype=bool)
    if isinstance(raw, pd.Series) and isinstance(raw.dtype, np.dtype) and raw.dtype.kind in "iuf":
        out = raw.to_numpy(dtype=np.float64)
        if len(out) == 0 or (np.fmin.reduce(out) >= 0 and np.fmax.reduce(out) <= 1
                             and not ((out > 0) & (out < 1)).any()):
            return out, np.zeros(1, dtype=bool)  # only 0, 1 and blanks: nothing to fix
        bad = ~np.isnan(out) & (out != 0) & (out != 1)
        return np.where(bad, np.nan, out), bad
    items = pd.Series(raw).astype(object).to_numpy()
    parsed = [None if _args.is_blank(v) else _args.parse_flag(v) for v in items]
    out = np.array([np.nan if p is None else float(p) for p in parsed])
    bad = np.array([p is None and not _args.is_blank(v) for p, v in zip(parsed, items, strict=True)], dtype=bool)
    return out, bad.reshape(len(items))


def _note_bad(notes: dict, acc: _Accounts, column: str, rows: np.ndarray, what: str) -> None:
    raw = acc.columns[column]
    raw = raw.to_numpy() if hasattr(raw, "to_numpy") else np.asarray(raw, dtype=object)
    for i in rows:
        value = raw[i]
        if _args.is_excel_error(value):
            text = f"{column} is the Excel error {str(value).strip().upper()}"
        else:
            value = _args.to_python(value)
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            shown = _num(value) if number else _args.describe(value)
            text = f"{column} {shown} {what}"
        notes.setdefault(int(i), []).append(f"row {int(i) + acc.first_row}: {text}")


def _numeric(acc: _Accounts, column: str, notes: dict | None,
             check: tuple[bool, bool] = (True, True)) -> np.ndarray | None:
    """A numeric account column as floats (NaN = no signal); bad cells noted, never raised.

    ``check`` = (low, high): whether values below 0 / -inf, and +inf / above a score's 100,
    could make a rule fire (see :func:`_checks`); without notes, impossible ones are skipped.
    """
    raw = acc.columns.get(column)
    if raw is None:
        return None
    kind = ACCOUNT_COLUMNS[column]
    if kind == "flag":
        values, bad = _flag_column(raw)
        what = "is not TRUE or FALSE"
        if notes is not None and bad.any():
            _note_bad(notes, acc, column, np.flatnonzero(bad), what)
        return values
    native = isinstance(raw, pd.Series) and isinstance(raw.dtype, np.dtype)
    if native and raw.dtype.kind in "iuf":
        # numpy columns are used as they are (no copy; ints stay ints): two NaN-skipping
        # reductions prove there is nothing to fix before any per-cell mask is built
        values = raw.to_numpy()
        low = np.fmin.reduce(values) if len(values) and (check[0] or notes is not None) else 0
        # whole numbers are never infinite: their maximum matters only for a 0-100 score
        wants_high = (check[1] or notes is not None) and (values.dtype.kind == "f" or kind == "score")
        high = np.fmax.reduce(values) if len(values) and wants_high else 0
        bad = np.zeros(1, dtype=bool)
        if values.dtype.kind == "f" and (np.isinf(low) or np.isinf(high)):
            bad = np.isinf(values)
            values = np.where(bad, np.nan, values)
    else:
        values, bad = _args.coerce_numeric(raw if isinstance(raw, pd.Series) else pd.Series(raw))
        low, high = -1, 101  # check below
    if notes is not None and bad.any():
        _note_bad(notes, acc, column, np.flatnonzero(bad), "is not a number")
    if kind in playbook.NON_NEGATIVE_KINDS and low < 0:
        negative = values < 0
        if negative.any():
            if notes is not None:
                _note_bad(notes, acc, column, np.flatnonzero(negative), "is negative")
            values = np.where(negative, np.nan, values)
    if kind == "score" and high > 100:
        high = values > 100
        if high.any():
            if notes is not None:
                _note_bad(notes, acc, column, np.flatnonzero(high), "is above 100")
            values = np.where(high, np.nan, values)
    return values


def _checks(rules: tuple[_Rule, ...]) -> dict[str, tuple[bool, bool]]:
    """Per signal: can a negative (or -inf) value, or +inf (or a score above 100), fire a rule?

    A rule cannot fire on a negative value when one of its conditions on that signal is
    ``>=``/``>``/``=`` a threshold ≥ 0; nor on +inf when one is ``<=``/``<``/``=`` a finite
    threshold (≤ 100 for a score). The seat counts behind a derived utilization are always
    checked (two negatives would divide into a positive).
    """
    out: dict[str, list[bool]] = {}
    for rule in rules:
        by_signal: dict[str, list[tuple[str, float]]] = {}
        for signal, op, threshold in rule.conditions:
            by_signal.setdefault(signal, []).append((op, threshold))
        for signal, conds in by_signal.items():
            score = ACCOUNT_COLUMNS.get(signal) == "score"
            floor = any(op in (">=", ">", "=") and t >= 0 for op, t in conds)
            ceiling = any(op in ("<=", "<", "=") and math.isfinite(t) and (not score or t <= 100)
                          for op, t in conds)
            need = out.setdefault(signal, [False, False])
            need[0] |= not floor
            need[1] |= not ceiling
    out.pop("seats_active", None)
    out.pop("seats_licensed", None)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _signal_values(acc: _Accounts, needed: set[str], notes: dict | None,
                   rules: tuple[_Rule, ...] | None = None) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    wanted = set(needed)
    if "seat_utilization" in wanted:
        wanted |= {"seats_active", "seats_licensed"}
    if notes is not None:  # report every bad numeric cell, used by a rule or not
        wanted |= {c for c in acc.columns if ACCOUNT_COLUMNS[c] in _NUMERIC_KINDS}
    checks = _checks(rules) if rules is not None else {}
    for column in sorted(wanted):
        got = _numeric(acc, column, notes, checks.get(column, (True, True)))
        if got is not None:
            values[column] = got
    active, licensed = values.get("seats_active"), values.get("seats_licensed")
    given = values.get("seat_utilization")
    if "seat_utilization" not in wanted or active is None or licensed is None:
        return values
    if given is None:
        rows = slice(None)  # derive every row
    elif given.dtype.kind != "f":
        return values  # whole numbers, no blanks: nothing to derive
    else:
        rows = np.flatnonzero(np.isnan(given))  # derive only where the cell is blank/bad
        if rows.size == 0:
            return values
    a, lic = active[rows], licensed[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.true_divide(a, lic, dtype=np.float64)
    if lic.size and not np.fmin.reduce(lic) > 0:  # NaN-skipping: a real 0 licensed seats
        derived[~(lic > 0)] = np.nan
    if given is None:
        values["seat_utilization"] = derived
    else:
        filled = given.copy()
        filled[rows] = derived
        values["seat_utilization"] = filled
    return values


_COMPARE = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}


def _condition(values: np.ndarray, op: str, threshold: float, out: np.ndarray | None = None) -> np.ndarray:
    """One rule condition over a whole column: one numpy comparison (NaN never holds)."""
    if op in _COMPARE:
        return _COMPARE[op](values, threshold, out=out)
    near = np.abs(values - threshold) <= 1e-9 * max(1.0, abs(threshold))
    if out is None:
        return near
    out[:] = near
    return out


def _evaluate(acc: _Accounts, rules: tuple[_Rule, ...], *, notes: bool = False,
              extra: tuple[str, ...] = (), motions: bool = True,
              keep_fired: bool = True) -> _Evaluation:
    """The one scoring engine: fired-rule matrix, score and per-motion points.

    With ``motions=False`` (the score alone) the points add up in one row; without
    ``keep_fired`` the (rules × accounts) fired matrix is not kept (reasons need it).
    Everything else is the same computation.
    """
    n = acc.n
    found: dict[int, list[str]] | None = {} if notes else None
    needed = {s for r in rules for s, _, _ in r.conditions} | set(extra)
    values = _signal_values(acc, needed, found, rules)
    keep_fired = keep_fired and motions
    fired = np.zeros((len(rules), n), dtype=bool) if keep_fired else None
    scratch = None if keep_fired else np.empty(n, dtype=bool)
    points = [r.points for r in rules]
    # whole points (the usual case) add up in int16: a quarter of the memory traffic
    small = all(float(p).is_integer() for p in points) and sum(points) < 32_000
    dtype = np.int16 if small else np.float64
    motion_points = np.zeros((len(MOTIONS) if motions else 1, n), dtype=dtype)
    zero_points = any(p == 0 for p in points)
    motion_fired = np.zeros((len(MOTIONS), n), dtype=bool) if zero_points and motions else None
    also = np.empty(n, dtype=bool)  # work buffers, reused by every rule (no allocations)
    gained = np.empty(n, dtype=dtype)
    with np.errstate(invalid="ignore"):
        for r, rule in enumerate(rules):
            if any(values.get(signal) is None for signal, _, _ in rule.conditions):
                continue  # a missing column is no signal
            row = fired[r] if keep_fired else scratch
            for k, (signal, op, threshold) in enumerate(rule.conditions):
                if k == 0:
                    _condition(values[signal], op, threshold, out=row)
                else:
                    row &= _condition(values[signal], op, threshold, out=also)
            if rule.points:
                np.multiply(row, dtype(rule.points), out=gained)  # one multiply, no masked add
                motion_points[rule.motion if motions else 0] += gained
            if motion_fired is not None:
                motion_fired[rule.motion] |= row
    score = motion_points.sum(axis=0, dtype=np.int32 if small else np.float64) if motions else motion_points[0]
    score = np.minimum(score, playbook.MAX_SCORE, dtype=np.float64)
    return _Evaluation(n, rules, values, fired, score, motion_points, motion_fired, found or {})


def _primary(ev: _Evaluation, *, consume: bool = False) -> np.ndarray:
    """Index of the primary motion per account (-1 when nothing fired); ties to MOTIONS order.

    With ``consume`` the evaluation's points matrix is reused as the work buffer.
    """
    if ev.motion_points.dtype == np.int16:
        # whole points: one key per (motion, account) = points*8 + tie rank, then one max;
        # a motion with no points has key = its rank < 8, so top < 8 means nothing fired
        wide = np.int16 if int(ev.motion_points.max(initial=0)) < 4000 else np.int32
        key = ev.motion_points.astype(wide, copy=not (consume and wide == np.int16))
        key *= 8
        key += (7 - np.arange(len(MOTIONS), dtype=wide))[:, None]
        if ev.exact_fired is not None:  # 0-point rules: a fired motion may have 0 points
            key += ev.exact_fired * wide(8)  # fired: >= 8 + rank; never fired: rank < 8
        top = key.max(axis=0)
        return np.where(top >= 8, 7 - top % 8, -1).astype(np.int8)
    best = np.full(ev.n, -1, dtype=np.int8)
    top = np.full(ev.n, -1, dtype=ev.motion_points.dtype)
    for m in range(len(MOTIONS)):  # strict '>' keeps ties on the motion listed first
        better = ev.motion_fired[m] & (ev.motion_points[m] > top)
        best = np.where(better, np.int8(m), best)
        top = np.where(better, ev.motion_points[m], top)
    return best


_MOTION_LABELS = np.array([*MOTIONS, ""], dtype=object)  # index -1 -> ""


# =========================================================================== reasons text


def _pct(v: float) -> str:
    return f"{v * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _growth(v: float) -> str:
    return ("+" if v >= 0 else "") + _pct(v)


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def _money(v: float) -> str:
    return "$" + _num(round(v))


# signal -> (subject template with {v}, formatter, count nouns or None)
_SIGNAL_TEXT: dict[str, tuple[str, Any, tuple[str, str] | None]] = {
    "seat_utilization": ("seat utilization {v}", _pct, None),
    "usage_vs_cap": ("usage at {v} of cap", _pct, None),
    "usage_trend_90d": ("usage {v} over 90 days", _growth, None),
    "next_tier_feature_adoption": ("{v} of next-tier features tried", _pct, None),
    "gated_feature_requests_90d": ("", _num, ("gated-feature request", "gated-feature requests")),
    "pricing_page_visits_30d": ("", _num, ("pricing page visit", "pricing page visits")),
    "active_user_growth_60d": ("active users {v} in 60 days", _growth, None),
    "headcount_growth_90d": ("headcount {v} in 90 days", _growth, None),
    "funding_event_days_ago": ("funding round {v} days ago", _num, None),
    "new_department_users_30d": ("", _num, ("user from a new department", "users from new departments")),
    "cross_sell_intent_7d": ("", _num, ("cross-sell intent event", "cross-sell intent events")),
    "champion_promoted_90d": ("champion promoted", _num, None),
    "health_score": ("health score {v}", _num, None),
    "tenure_months": ("tenure {v}", _num, None),  # 'tenure 14 months' (see _months)
    "arr": ("ARR {v}", _money, None),
    "seats_licensed": ("", _num, ("licensed seat", "licensed seats")),
    "seats_active": ("", _num, ("active seat", "active seats")),
}


def _subjects(signal: str, values: np.ndarray) -> list[str]:
    """The signal's value as words, for each of ``values``: '92% seat utilization'..."""
    template, fmt, nouns = _SIGNAL_TEXT.get(signal, (signal.replace("_", " ") + " {v}", _num, None))
    if nouns is not None:
        one, many = nouns
        return [f"{fmt(v)} {one if v == 1 else many}" for v in values.tolist()]
    if ACCOUNT_COLUMNS.get(signal) == "flag":
        negated = template.replace(" ", " not ", 1)
        return [template if v else negated for v in values.tolist()]
    head, _, tail = template.partition("{v}")
    if ACCOUNT_COLUMNS.get(signal) == "months":
        return [head + _months(v) + tail for v in values.tolist()]
    return [head + fmt(v) + tail for v in values.tolist()]


def _months(v: float) -> str:
    return f"{_num(v)} month" + ("" if v == 1 else "s")


def _threshold_text(signal: str, threshold: float) -> str:
    _, fmt, _ = _SIGNAL_TEXT.get(signal, ("", _num, None))
    return fmt(threshold).lstrip("+") if fmt is _growth else fmt(threshold)


def _rule_phrases(rule: _Rule, values: dict[str, np.ndarray], rows: np.ndarray) -> list[str]:
    """The fired rule in words for each of ``rows``, e.g. 'seat utilization 92% ≥ 90% (+40)'."""
    groups: dict[str, list[tuple[str, float]]] = {}
    for signal, op, threshold in rule.conditions:
        groups.setdefault(signal, []).append((op, threshold))
    columns = []
    for signal, conds in groups.items():
        shows_itself = ACCOUNT_COLUMNS.get(signal) == "flag" or (
            _SIGNAL_TEXT.get(signal, ("", None, None))[2] is not None and [c[0] for c in conds] == [">="]
        )
        condition = "" if shows_itself else " " + " and ".join(
            f"{_OP_SYMBOL[op]} {_threshold_text(signal, t)}" for op, t in conds
        )
        columns.append([text + condition for text in _subjects(signal, values[signal][rows])])
    points = f" (+{_num(rule.points)})"
    return [" and ".join(parts) + points for parts in zip(*columns, strict=True)]


def _gate_masks(ev: _Evaluation) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        health = ev.values.get("health_score")
        tenure = ev.values.get("tenure_months")
        low_health = health < playbook.GATE_HEALTH_BELOW if health is not None else np.zeros(ev.n, bool)
        too_early = tenure < playbook.GATE_TENURE_BELOW if tenure is not None else np.zeros(ev.n, bool)
    return low_health, too_early


def _reasons(ev: _Evaluation, low_health: np.ndarray | None = None,
             too_early: np.ndarray | None = None, extra: dict[int, list[str]] | None = None) -> np.ndarray:
    """One sentence per account: gates, fired rules (+points), then bad cells."""
    parts: list[list[str]] = [[] for _ in range(ev.n)]
    if low_health is not None:
        for i in np.flatnonzero(low_health):
            h = _num(ev.values["health_score"][i])
            parts[i].append(f"{playbook.GATE_FIX_ADOPTION}: health score {h} < {_num(playbook.GATE_HEALTH_BELOW)}")
    if too_early is not None:
        for i in np.flatnonzero(too_early):
            t = _months(ev.values["tenure_months"][i])
            parts[i].append(f"{playbook.GATE_TOO_EARLY}: tenure {t} < {_num(playbook.GATE_TENURE_BELOW)}")
    any_fired = ev.fired.any(axis=0)
    for r, rule in enumerate(ev.rules):
        rows = np.flatnonzero(ev.fired[r])
        if rows.size == 0:
            continue
        for i, text in zip(rows.tolist(), _rule_phrases(rule, ev.values, rows), strict=True):
            parts[i].append(text)
    for i in np.flatnonzero(~any_fired):
        parts[i].append("no expansion signal")
    for source in (ev.notes, extra or {}):
        for i, notes in source.items():
            parts[i].extend(notes)
    out = np.empty(ev.n, dtype=object)
    out[:] = ["; ".join(p) for p in parts]
    return out


# =========================================================================== motions, owners


def _factorize(name: str, items: Any, expected: str) -> tuple[np.ndarray, list]:
    """Labels as codes into their distinct values (one hash pass); NA gives -1."""
    if isinstance(items, np.ndarray):
        array = items.astype(object, copy=False).ravel()
    else:
        array = np.fromiter(items, dtype=object, count=len(items))  # nested lists stay cells
    try:
        codes, cats = pd.factorize(array, use_na_sentinel=True)
    except TypeError:  # an unhashable cell (a dict, a list): not a label
        i = next(k for k, v in enumerate(array) if not isinstance(v, (str, int, float, type(None))))
        raise _args.fail(name, expected, array[i], i if len(array) > 1 else None) from None
    return codes, list(cats)


def _motion_codes(name: str, value: Any) -> tuple[np.ndarray, Any]:
    """Motion labels as indices into MOTIONS (-1 for a blank); unknown text raises."""
    if isinstance(value, pd.Series) and isinstance(value.dtype, pd.CategoricalDtype):
        cats, codes = list(value.cat.categories), value.cat.codes.to_numpy()
    else:
        items = _args._column(name, value)
        codes, cats = _factorize(name, items, "one of " + _MOTION_LIST)
        cats = list(cats)
    lookup = {_args.normalize_key(m): k for k, m in enumerate(MOTIONS)}
    table = np.empty(len(cats) + 1, dtype=np.int64)
    table[-1] = -1  # pandas' NA sentinel (None, NaN)
    for k, cat in enumerate(cats):
        if _args.is_blank(cat):
            table[k] = -1
            continue
        code = lookup.get(_args.normalize_key(cat)) if isinstance(cat, str) and not _args.is_excel_error(cat) else None
        if code is None:
            position = int(np.argmax(codes == k)) if len(codes) > 1 else None
            raise _args.fail(name, "one of " + _MOTION_LIST, cat, position)
        table[k] = code
    return table[codes], value


def _amounts(name: str, value: Any, *, what: str = "a non-negative number") -> np.ndarray:
    """Money/number argument as floats; blanks NaN (checked against motions by the caller)."""
    column = value.to_numpy() if isinstance(value, pd.Series) else value
    if isinstance(column, np.ndarray) and column.ndim == 1 and column.dtype.kind == "f" and column.size:
        # a float column is used as it is when two reductions prove it clean (no copy)
        low, high = np.fmin.reduce(column), np.fmax.reduce(column)
        if not (np.isinf(low) or np.isinf(high) or low < 0):
            return column
    return _args.numbers(name, value, minimum=0, allow_blank=True, what=what)


def _broadcast(*named: tuple[str, np.ndarray]) -> tuple[int, list[np.ndarray]]:
    n = max(len(a) for _, a in named)
    out = []
    for arg, a in named:
        if len(a) == n:
            out.append(a)
        elif len(a) == 1:
            out.append(np.repeat(a, n))
        else:
            raise _args.InputError(f"{arg}: expected {n} values (one per row of {named[0][0]}), got {len(a)}")
    return n, out


def _require(name: str, values: np.ndarray, needed: np.ndarray, raw: Any, what: str) -> None:
    """A blank where a motion needs a number: the one-line ValueError of SPEC §8."""
    if values.dtype.kind != "f" or not np.isnan(np.minimum.reduce(values, initial=np.inf)):
        return  # no blank at all (NaN propagates through the minimum)
    missing = np.isnan(values) & needed
    if missing.any():
        i = int(np.argmax(missing))
        items = list(_args.flat(raw))
        item = items[i] if i < len(items) else items[0]
        raise _args.fail(name, what, item, i if len(values) > 1 else None)


def _like(*inputs: Any) -> Any:
    for x in inputs:
        if not _args.is_scalar(x):
            return x
    return inputs[0]


def _owner_codes(codes: np.ndarray, increase: np.ndarray, arr: np.ndarray,
                 plays: _Plays) -> tuple[np.ndarray, list[str]]:
    """Owner per row as codes into a label list (last label '' = no owner)."""
    labels = list(dict.fromkeys([*plays.owner, *plays.owner_above]))
    blank = len(labels)
    labels.append("")
    # per-motion lookup tables (index -1, a blank motion, reads the last entry: blank)
    below = np.array([labels.index(o) for o in plays.owner] + [blank], dtype=np.int8)
    above = np.array([labels.index(o) for o in plays.owner_above] + [blank], dtype=np.int8)
    threshold = np.append(plays.threshold, np.nan)
    by_arr = np.array([b == "arr" for b in plays.basis] + [False])
    thr = threshold[codes]
    amount = np.where(by_arr[codes], arr, increase)
    with np.errstate(invalid="ignore"):
        out = np.where(amount >= thr, above[codes], below[codes])
    unknown = np.isnan(amount) & ~np.isnan(thr)  # the amount that decides is blank
    return np.where(unknown, np.int8(blank), out), labels


def _owners(codes: np.ndarray, increase: np.ndarray, arr: np.ndarray, plays: _Plays) -> np.ndarray:
    out, labels = _owner_codes(codes, increase, arr, plays)
    return np.array(labels, dtype=object)[out]


def _segment_codes(raw: Any, notes: dict | None = None, first_row: int = 2,
                   strict_name: str | None = None) -> np.ndarray:
    """Segments as 0/1/2 (SMB, Mid-market, Enterprise) and 3 for blank or unknown."""
    items = np.asarray(raw.to_numpy() if hasattr(raw, "to_numpy") else raw, dtype=object).ravel()
    codes, cats = _factorize(strict_name or "segment", items, "one of " + ", ".join(SEGMENTS))
    table = np.full(len(cats) + 1, 3, dtype=np.int64)
    for k, cat in enumerate(cats):
        if _args.is_blank(cat):
            continue
        seg = _SEGMENT_ALIASES.get(_args.normalize_key(cat)) if isinstance(cat, str) and not _args.is_excel_error(cat) else None
        if seg is None:
            if strict_name is not None:
                position = int(np.argmax(codes == k)) if len(codes) > 1 else None
                raise _args.fail(strict_name, "one of " + ", ".join(SEGMENTS), cat, position)
            if notes is not None:
                for i in np.flatnonzero(codes == k):
                    notes.setdefault(int(i), []).append(
                        f"row {int(i) + first_row}: segment {_args.describe(cat)} is not one of "
                        f"{', '.join(SEGMENTS)} (default cycle used)"
                    )
            continue
        table[k] = SEGMENTS.index(seg)
    return table[codes]


# =========================================================================== plain functions


def _per_row(ev_values: np.ndarray, acc: _Accounts, name: str | None = None):
    if acc.one_row and len(ev_values) == 1:
        first = ev_values[0]
        return first if isinstance(first, str) else _args.to_python(first)
    if acc.index is not None:
        return pd.Series(ev_values, index=acc.index, name=name)
    return ev_values


def expansion_score(values: Any, headers: Any = None, rules: Any = None):
    """Expansion score per account row: Σ points of fired rules, capped at 100 (SPEC §3).

    ``values`` is a table (DataFrame, or 2-D range with a header row) or, with ``headers``,
    rows of values; a single record (Series, dict, or one row with headers) gives one number.

    >>> expansion_score([0.95, 1], headers=["usage_vs_cap", "pricing_page_visits_30d"])
    80.0
    """
    acc = _accounts("values", values, headers)
    ev = _evaluate(acc, _rules(rules), motions=False)
    return _per_row(ev.score, acc, "expansion_score")


def expansion_motion(values: Any, headers: Any = None, rules: Any = None):
    """Primary motion per account row: most points among fired rules, ties in MOTIONS order.

    Blank ('') when no rule fires. A DataFrame gives a categorical Series (categories: the
    five motions and ''), which the other functions read without re-parsing the labels.

    >>> expansion_motion({"seat_utilization": 0.95, "usage_vs_cap": 0.95})
    'Tier upgrade'
    """
    acc = _accounts("values", values, headers)
    ev = _evaluate(acc, _rules(rules), keep_fired=False)
    codes = _primary(ev, consume=True)
    if acc.index is not None and not acc.one_row:  # a DataFrame: a categorical Series
        codes[codes < 0] = len(MOTIONS)
        labels = pd.Categorical.from_codes(codes, _MOTION_LABELS.tolist())
        return pd.Series(labels, index=acc.index, name="primary_motion")
    return _per_row(_MOTION_LABELS[codes], acc, "primary_motion")


def expansion_reasons(values: Any, headers: Any = None, rules: Any = None):
    """What fired, per account row, as a short sentence; bad cells are named by row.

    >>> expansion_reasons({"seat_utilization": 0.92, "pricing_page_visits_30d": 2})
    'seat utilization 92% ≥ 90% (+40); 2 pricing page visits (+30)'
    """
    acc = _accounts("values", values, headers)
    ev = _evaluate(acc, _rules(rules), notes=True)
    return _per_row(_reasons(ev), acc, "reasons")


def seat_utilization(seats_active: Any, seats_licensed: Any):
    """Active seats / licensed seats (a fraction; above 1 when over-deployed).

    >>> seat_utilization(46, 50)
    0.92
    """
    active = _args.numbers("seats_active", seats_active, minimum=0, allow_blank=True)
    licensed = _args.numbers("seats_licensed", seats_licensed, minimum=0, allow_blank=True)
    n, (active, licensed) = _broadcast(("seats_active", active), ("seats_licensed", licensed))
    both_blank = np.isnan(active) & np.isnan(licensed)
    _require("seats_active", active, ~both_blank, seats_active, "a non-negative number")
    _require("seats_licensed", licensed, ~both_blank, seats_licensed, "a non-negative number")
    zero = (licensed == 0) & ~both_blank
    if zero.any():
        i = int(np.argmax(zero))
        raise _args.fail("seats_licensed", "a number > 0", 0, i if n > 1 else None)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(both_blank, np.nan, active / np.where(licensed > 0, licensed, 1.0))
    return _args.shaped(result, _like(seats_active, seats_licensed))


def expected_expansion(motion: Any, account_arr: Any, plays: Any = None):
    """Expected ARR increase of a motion's play: account ARR × the play's increase share (§4).

    >>> expected_expansion("Tier upgrade", 50_000)
    20000.0
    """
    codes, _ = _motion_codes("motion", motion)
    arr = _amounts("account_arr", account_arr)
    p = _plays(plays)
    n, (codes, arr) = _broadcast(("motion", codes), ("account_arr", arr))
    _require("account_arr", arr, codes >= 0, account_arr, "a non-negative number")
    share = np.append(p.share, np.nan)[codes]  # code -1 (no motion) reads the NaN
    return _args.shaped(arr * share, _like(motion, account_arr))


def close_rate(motion: Any, plays: Any = None):
    """Close rate of a motion's play (§4 default, or the ``plays`` table's).

    >>> close_rate("Seat expansion"), close_rate("Tier upgrade")
    (0.5, 0.325)
    """
    codes, _ = _motion_codes("motion", motion)
    p = _plays(plays)
    return _args.shaped(np.append(p.close, np.nan)[codes], motion)  # -1 (no motion): NaN


def expansion_owner(motion: Any, expected_arr_increase: Any, account_arr: Any = None, plays: Any = None):
    """Owner of a motion's play (§4): CSM, Expansion AE, Self-serve... by amount thresholds.

    Plays whose owner depends on the account's ARR (Seat expansion: ``arr ≥ 25,000``) use
    ``account_arr``; when it is omitted it is inferred as increase / the play's share.
    A blank motion (no rule fired) gives a blank owner.

    >>> expansion_owner("Tier upgrade", 12_000), expansion_owner("Seat expansion", 3_000, 30_000)
    ('Expansion AE', 'CSM + Expansion AE')
    """
    codes, _ = _motion_codes("motion", motion)
    p = _plays(plays)
    increase = _amounts("expected_arr_increase", expected_arr_increase)
    named = [("motion", codes), ("expected_arr_increase", increase)]
    if account_arr is not None:
        named.append(("account_arr", _amounts("account_arr", account_arr)))
    n, arrays = _broadcast(*named)
    codes, increase = arrays[0], arrays[1]
    known = codes >= 0
    _require("expected_arr_increase", increase, known, expected_arr_increase, "a non-negative number")
    if account_arr is not None:
        arr = arrays[2]
        _require("account_arr", arr, known, account_arr, "a non-negative number")
    else:
        share = np.append(p.share, np.nan)[codes]
        with np.errstate(divide="ignore", invalid="ignore"):
            arr = np.where(share > 0, increase / np.where(share > 0, share, 1.0), np.nan)
    owner, labels = _owner_codes(codes, increase, arr, p)
    like = _like(motion, expected_arr_increase, account_arr)
    if isinstance(like, (pd.Series, pd.DataFrame)):  # pandas in: a categorical Series out
        return pd.Series(pd.Categorical.from_codes(owner, labels), index=like.index, name="owner")
    return _args.shaped(np.array(labels, dtype=object)[owner], like)


_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def _dates(name: str, value: Any) -> np.ndarray:
    """Dates as datetime64[D] (NaT for blanks): Excel serials, date/datetime/Timestamp, ISO text."""
    if isinstance(value, pd.Series) and pd.api.types.is_datetime64_any_dtype(value.dtype):
        return value.to_numpy().astype("datetime64[D]")
    items = _args._column(name, value)
    if isinstance(items, np.ndarray) and items.dtype.kind == "M":
        return items.astype("datetime64[D]")
    items = list(items)
    out = np.empty(len(items), dtype="datetime64[D]")
    for i, item in enumerate(items):
        out[i] = _one_date(name, item, i if len(items) > 1 else None)
    return out


def _one_date(name: str, item: Any, position: int | None) -> np.datetime64:
    what = "a date"
    if _args.is_blank(item) and not isinstance(item, float):
        return np.datetime64("NaT", "D")
    if isinstance(item, (bool, np.bool_)) or _args.is_excel_error(item):
        raise _args.fail(name, what, item, position)
    if isinstance(item, (int, float, np.integer, np.floating)):
        serial = float(item)
        if not math.isfinite(serial) or serial < 1 or serial > 2_958_465:
            raise _args.fail(name, "a date (an Excel serial number from 1)", item, position)
        return _EXCEL_EPOCH + np.timedelta64(int(serial), "D")
    if isinstance(item, (dt.date, np.datetime64, pd.Timestamp)):
        return np.datetime64(pd.Timestamp(item).date(), "D")
    if isinstance(item, str):
        try:
            stamp = pd.Timestamp(item.strip())
        except (ValueError, TypeError, OverflowError):
            stamp = None
        if stamp is not None and not pd.isna(stamp):
            return np.datetime64(stamp.date(), "D")
    raise _args.fail(name, what, item, position)


def play_due_date(motion: Any, trigger_date: Any, segment: Any = None, plays: Any = None):
    """Due date of a motion's play: trigger date + the play's target cycle for the segment (§4).

    ``trigger_date`` is an Excel date serial, a date/datetime/Timestamp or ISO text; the
    result is a ``datetime.date`` (an array of datetime64[D] for a column).

    >>> play_due_date("Tier upgrade", "2026-01-05", "Enterprise")
    datetime.date(2026, 3, 16)
    """
    codes, _ = _motion_codes("motion", motion)
    dates = _dates("trigger_date", trigger_date)
    p = _plays(plays)
    named = [("motion", codes), ("trigger_date", dates)]
    if segment is not None:
        seg_raw = _args._column("segment", segment)
        _args.texts("segment", seg_raw, allow_blank=True)  # Excel errors, non-text -> ValueError
        named.append(("segment", _segment_codes(seg_raw, strict_name="segment")))
    n, arrays = _broadcast(*named)
    codes, dates = arrays[0], arrays[1]
    seg = arrays[2] if segment is not None else np.full(n, 3)
    missing = np.isnat(dates) & (codes >= 0)
    if missing.any():
        i = int(np.argmax(missing))
        raise _args.fail("trigger_date", "a date", None, i if n > 1 else None)
    days = np.where(codes >= 0, p.cycle[np.maximum(codes, 0), seg], 0).astype(np.int64)
    due = dates + days.astype("timedelta64[D]")
    due[codes < 0] = np.datetime64("NaT")
    like = _like(motion, trigger_date, segment)
    if _args.is_scalar(like):
        return None if np.isnat(due[0]) else due[0].item()
    return _args.shaped(due, like)


def score_accounts(accounts: Any, rules: Any = None, plays: Any = None) -> pd.DataFrame:
    """The expansion queue: one row per account with score, play, owner, value and reasons.

    Columns are :data:`SCORE_COLUMNS`; rows are sorted by expected value (descending), then
    score (descending), then account_id; the sort is stable. See the module notes for gates,
    ``Nurture`` and bad rows.

    >>> queue = score_accounts([["account_id", "arr", "usage_vs_cap", "pricing_page_visits_30d"],
    ...                         ["a1", 50000, 0.95, 2], ["a2", 80000, 0.5, 0]])
    >>> queue[["account_id", "expansion_score", "play", "owner", "expected_value"]].values.tolist()
    [['a1', 80.0, 'Tier upgrade', 'Expansion AE', 6500.0], ['a2', 0.0, 'Nurture', '', 0.0]]
    """
    acc = _accounts("accounts", accounts, require_id=True)
    p = _plays(plays)
    ev = _evaluate(acc, _rules(rules), notes=True, extra=("arr", "health_score", "tenure_months"))
    n = ev.n
    notes: dict[int, list[str]] = {}
    ids = _account_ids(acc, notes)
    segment_raw = acc.columns.get("segment")
    seg = (_segment_codes(segment_raw, notes, acc.first_row) if segment_raw is not None
           else np.full(n, 3, dtype=np.int64))

    low_health, too_early = _gate_masks(ev)
    gated = low_health | too_early
    ready = (ev.score >= playbook.TRIGGER_THRESHOLD) & ~gated
    primary = _primary(ev)

    # one play per account: the fired motion with the highest expected value (share × close
    # rate, since the account's ARR is common to all its motions); ties in MOTIONS order
    value_per_arr = p.share * p.close
    key = np.where(ev.motion_fired, value_per_arr[:, None], -1.0)
    play = np.argmax(key, axis=0)
    play[~ev.motion_fired.any(axis=0)] = -1
    play_code = np.where(ready, play, -1)

    arr = ev.values.get("arr", np.full(n, np.nan))
    safe = np.maximum(play_code, 0)
    has_play = play_code >= 0
    increase = np.where(has_play, arr * p.share[safe], np.nan)
    rate = np.where(has_play, p.close[safe], np.nan)
    expected = np.where(has_play, increase * rate, 0.0)
    no_arr = has_play & np.isnan(arr)
    expected[no_arr] = 0.0
    for i in np.flatnonzero(no_arr):
        notes.setdefault(int(i), []).append("no usable arr: expected ARR increase and value unknown")
    due = np.where(has_play, p.cycle[safe, seg], np.nan)
    owner = _owners(play_code, increase, arr, p)

    play_label = np.where(ready, _MOTION_LABELS[play], NURTURE).astype(object)
    play_label[too_early] = playbook.GATE_TOO_EARLY
    play_label[low_health] = playbook.GATE_FIX_ADOPTION  # wins over Too early

    motions = _motions_text(ev.motion_fired)
    reasons = _reasons(ev, low_health, too_early, notes)
    out = pd.DataFrame({
        "account_id": ids,
        "expansion_score": ev.score,
        "ready": ready,
        "primary_motion": _MOTION_LABELS[primary],
        "motions": motions,
        "play": play_label,
        "owner": owner,
        "expected_arr_increase": increase,
        "close_rate": rate,
        "expected_value": expected,
        "due_in_days": due,
        "reasons": reasons,
    })
    order = np.lexsort((_sort_keys(ids), -ev.score, -expected))
    return out.iloc[order].reset_index(drop=True)


def _sort_keys(ids: np.ndarray) -> np.ndarray:
    """account_id ranks for sorting (lexsort cannot compare object arrays)."""
    return pd.Series(ids, dtype=object).rank(method="first").to_numpy()


def _motions_text(motion_fired: np.ndarray) -> np.ndarray:
    """All fired motions, in MOTIONS order, '; ' joined (one string per distinct pattern)."""
    bits = (1 << np.arange(len(MOTIONS))) @ motion_fired.astype(np.int64)
    labels = np.array(
        ["; ".join(m for k, m in enumerate(MOTIONS) if b >> k & 1) for b in range(1 << len(MOTIONS))],
        dtype=object,
    )
    return labels[bits]


def _account_ids(acc: _Accounts, notes: dict) -> np.ndarray:
    raw = acc.columns["account_id"]
    items = raw.to_numpy(dtype=object) if hasattr(raw, "to_numpy") else np.asarray(raw, dtype=object)
    ids = np.empty(len(items), dtype=object)
    if set(map(type, items)) == {str}:  # the usual case: text ids, checked in bulk
        ids[:] = [v.strip() for v in items]
        suspects = [i for i, v in enumerate(ids) if not v or v[0] == "#"]
    else:
        suspects = range(len(items))
    for i in suspects:
        item = items[i]
        if _args.is_blank(item) or _args.is_excel_error(item):
            ids[i] = ""
            what = f"is the Excel error {str(item).strip().upper()}" if _args.is_excel_error(item) else "is blank"
            notes.setdefault(i, []).append(f"row {i + acc.first_row}: account_id {what}")
        elif isinstance(item, (float, np.floating)) and float(item).is_integer():
            ids[i] = str(int(item))
        else:
            ids[i] = str(item).strip()
    named = ids != ""
    dup = pd.Series(ids).duplicated(keep="first").to_numpy() & named
    if dup.any():
        first = {}
        for i, k in enumerate(ids):
            first.setdefault(k, i)
        for i in np.flatnonzero(dup):
            notes.setdefault(int(i), []).append(
                f"row {int(i) + acc.first_row}: account_id {ids[i]!r} repeats row {first[ids[i]] + acc.first_row}"
            )
    return ids


# =========================================================================== Excel UDFs

_VALUES_DOC = "Account rows: a table with its header row (Accounts[#All]), or rows of values when headers is given."
_HEADERS_DOC = "Optional: the header row (column names) for values that have no header row."
_RULES_DOC = "Optional: a Rules table (rule, signal, op, threshold, points, motion); default: the SPEC rules."
_PLAYS_DOC = "Optional: a Plays table (motion, arr_increase_share, close_rate, owner, ...); default: the SPEC plays."
_MOTION_DOC = "Motion: Seat expansion, Tier upgrade, Usage expansion, Cross-department or Cross-sell (a cell or a column)."


def _spill(result: Any, *inputs: Any) -> Any:
    """Write a result in the orientation of the first multi-cell input (a row stays a row)."""
    out = _args.to_excel(result)
    for x in inputs:
        if isinstance(x, list) and len(x) == 1 and isinstance(x[0], list) and len(x[0]) > 1:
            return [[row[0] for row in out]] if isinstance(out, list) else out
        if isinstance(x, list) and len(x) > 1:
            break
    return out


def _table_cells(frame: pd.DataFrame) -> list[list]:
    """A result table as cells (header row first; blanks as ''), written by xlwings as is.

    The account tables are read and written "raw" (we clean the cells ourselves, column by
    column): xlwings' per-cell conversion costs seconds on a 10,000-row table outside Pyodide.
    """
    columns = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "f":
            values = column.to_numpy()
            cells = values.tolist()
            if np.isnan(values).any():
                cells = ["" if v != v else v for v in cells]
        else:  # text columns hold '' for none already; bools stay bools
            cells = ["" if v is None else v for v in column.tolist()]
        columns.append(cells)
    return [[str(c) for c in frame.columns]] + [list(row) for row in zip(*columns, strict=True)]


def _raw(x: Any) -> Any:
    """A table argument read "raw": one cell arrives bare (an error as Office.js' dict)."""
    return x if isinstance(x, list) else _clean_cell(x)


def _cells(x: Any) -> Any:
    """An ndim=2 argument as the plain functions take it: one cell as a scalar."""
    if isinstance(x, list) and len(x) == 1 and isinstance(x[0], list) and len(x[0]) == 1:
        return x[0][0]
    return x


@xw.func
@xw.arg("accounts", "raw", err_to_str=True, doc="Account table with its header row, e.g. Accounts[#All]; only account_id is required.")
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
@xw.ret("raw")
def SCORE_ACCOUNTS(accounts, rules=None, plays=None):
    """Ranked expansion queue: score, ready, motion, play, owner, expected value, due days and reasons per account. Example: =SCORE_ACCOUNTS(Accounts[#All])"""
    return _table_cells(score_accounts(_raw(accounts), rules, plays))


@xw.func
@xw.arg("values", "raw", err_to_str=True, doc=_VALUES_DOC)
@xw.arg("headers", ndim=2, err_to_str=True, doc=_HEADERS_DOC)
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
def EXPANSION_SCORE(values, headers=None, rules=None):
    """Expansion score (0-100) per account row: points of the rules that fire. Example: =EXPANSION_SCORE(Accounts[#All])"""
    return _args.to_excel(expansion_score(_raw(values), headers, rules))


@xw.func
@xw.arg("values", "raw", err_to_str=True, doc=_VALUES_DOC)
@xw.arg("headers", ndim=2, err_to_str=True, doc=_HEADERS_DOC)
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
def EXPANSION_MOTION(values, headers=None, rules=None):
    """Primary expansion motion per account row (most points among fired rules). Example: =EXPANSION_MOTION(B2:T2, B1:T1)"""
    return _args.to_excel(expansion_motion(_raw(values), headers, rules))


@xw.func
@xw.arg("values", "raw", err_to_str=True, doc=_VALUES_DOC)
@xw.arg("headers", ndim=2, err_to_str=True, doc=_HEADERS_DOC)
@xw.arg("rules", ndim=2, err_to_str=True, doc=_RULES_DOC)
def EXPANSION_REASONS(values, headers=None, rules=None):
    """Why each account row scores: the rules that fired with their points, and any bad cells. Example: =EXPANSION_REASONS(Accounts[#All])"""
    return _args.to_excel(expansion_reasons(_raw(values), headers, rules))


@xw.func
@xw.arg("seats_active", ndim=2, err_to_str=True, doc="Active seats (users): a cell or a column.")
@xw.arg("seats_licensed", ndim=2, err_to_str=True, doc="Licensed (paid) seats, > 0: a cell or a column.")
def SEAT_UTILIZATION(seats_active, seats_licensed):
    """Seat utilization: active seats / licensed seats. Example: =SEAT_UTILIZATION(46, 50) gives 0.92"""
    return _spill(seat_utilization(_cells(seats_active), _cells(seats_licensed)), seats_active, seats_licensed)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("expected_arr_increase", ndim=2, err_to_str=True, doc="Expected ARR increase of the play, $ (a cell or a column).")
@xw.arg("account_arr", ndim=2, err_to_str=True, doc="Optional: the account's current ARR, $ (Seat expansion routes on it); default: increase / the play's share.")
def EXPANSION_OWNER(motion, expected_arr_increase, account_arr=None):
    """Owner of the expansion play: CSM, Expansion AE, CSM + Expansion AE or Self-serve. Example: =EXPANSION_OWNER("Tier upgrade", 12000)"""
    result = expansion_owner(_cells(motion), _cells(expected_arr_increase), _cells(account_arr))
    return _spill(result, motion, expected_arr_increase, account_arr)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("account_arr", ndim=2, err_to_str=True, doc="The account's current ARR, $ (a cell or a column).")
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
def EXPECTED_EXPANSION(motion, account_arr, plays=None):
    """Expected ARR increase of the motion's play: account ARR x the play's increase share. Example: =EXPECTED_EXPANSION("Tier upgrade", 50000) gives 20000"""
    return _spill(expected_expansion(_cells(motion), _cells(account_arr), plays), motion, account_arr)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
def CLOSE_RATE(motion, plays=None):
    """Close rate of the motion's play. Example: =CLOSE_RATE("Seat expansion") gives 0.5"""
    return _spill(close_rate(_cells(motion), plays), motion)


@xw.func
@xw.arg("motion", ndim=2, err_to_str=True, doc=_MOTION_DOC)
@xw.arg("trigger_date", ndim=2, err_to_str=True, doc="Date the trigger fired (a date cell or a column of dates).")
@xw.arg("segment", ndim=2, err_to_str=True, doc="Optional: SMB, Mid-market or Enterprise (cycles differ by segment); default: the play's cycle_days.")
@xw.arg("plays", ndim=2, err_to_str=True, doc=_PLAYS_DOC)
def PLAY_DUE_DATE(motion, trigger_date, segment=None, plays=None):
    """Due date of the play: trigger date + the play's target cycle for the segment. Example: =PLAY_DUE_DATE("Tier upgrade", TODAY(), "Enterprise")"""
    result = play_due_date(_cells(motion), _cells(trigger_date), _cells(segment), plays)
    return _spill(result, motion, trigger_date, segment)
