"""Panels for trigger backtests: parsing account-period tables and the rules they test.

A panel has one row per account and period: ``account_id``, ``period`` (whole numbers),
an ``expansion`` flag (or ``expansion_motion``: non-blank = an expansion), optionally
``expansion_amount``, and signal columns (SPEC §2 names, matched like account tables).
Every bad cell is a one-line ``ValueError`` naming the column and the spreadsheet row.

A rule's window (SPEC §7): its ``window`` column when given, else
ceil(the longest cycle_days of its motion's play / period_days) + 1.

>>> [rule_window(m) for m in playbook.MOTIONS]
[2, 4, 2, 4, 5]
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ..core._args import omitted
from .engine import _INF, MAX_THRESHOLDS, MAX_WINDOW, _candidates, _Panel, _prepare

DEFAULT_PERSISTENCE = 1
DEFAULT_WINDOW = 3  # periods (a quarter of monthly periods): TRIGGER_BACKTEST's default
DEFAULT_PERIOD_DAYS = 30.0
_CYCLE_COLUMNS = ("cycle_days", "cycle_days_smb", "cycle_days_mid_market", "cycle_days_enterprise")


# =========================================================================== coercion


def _bad(name: str, expected: str, value: Any, i: int, rows: bool, n: int) -> _args.InputError:
    if rows:
        return _args.InputError(f"{name}: expected {expected}, got {_args.describe(value)} (row {i + 2})")
    return _args.fail(name, expected, value, i if n > 1 else None)


def _reject(name: str, expected: str, s: pd.Series, bad: np.ndarray, rows: bool) -> None:
    """The one-line error for the first item (panel row) of ``s`` where ``bad`` holds, if any."""
    if bad.any():
        i = int(np.argmax(bad))
        raise _bad(name, expected, s.iloc[i], i, rows, len(s))


def _series(name: str, values: Any) -> pd.Series:
    """A column argument (Series, list, range) as a Series indexed 0 … n−1."""
    s = values if isinstance(values, pd.Series) else pd.Series(_args._column(name, values))
    if _args._nullable(s.dtype):  # Int64, boolean, string: pd.NA is a blank cell, read as one
        s = (pd.Series(s.to_numpy(dtype=object, na_value=None), index=s.index, dtype=object) if s.isna().any()
             else s.astype(getattr(s.dtype, "numpy_dtype", object)))
    return s.reset_index(drop=True)


def _codes(name: str, values: Any, rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Account ids → (int codes, labels); a blank or an Excel error names its item.

    Factorizes the raw values once, then checks and normalizes only the distinct ids
    (1,000,000 rows of 50,000 accounts cost one hash pass, not a million Python calls).
    """
    s = _series(name, values)
    n = len(s)
    raw = s.to_numpy()
    if raw.dtype.kind in "iub":
        codes, labels = pd.factorize(raw)
        return codes, np.asarray(labels, dtype=object)
    if raw.dtype.kind != "f":
        raw = s.to_numpy(dtype=object)
    codes, uniques = pd.factorize(raw)  # intp codes, kept as they come (no copy)
    _reject(name, "an account id", s, codes < 0, rows)  # NaN / None
    uniq = np.asarray(uniques, dtype=object)
    text = np.fromiter((type(v) is str for v in uniq.tolist()), dtype=bool, count=len(uniq))
    labels = np.empty(len(uniq), dtype=object)
    if text.all():  # the usual case: text ids, checked and stripped column-wise
        stripped = pd.Series(uniq, dtype=object).str.strip()
        bad = ((stripped == "") | stripped.str.upper().isin(_args.EXCEL_ERRORS)).to_numpy()
        stripped = stripped.to_numpy(dtype=object)
        if bad.any():
            i = int(np.argmax(codes == int(np.argmax(bad))))
            raise _bad(name, "an account id", s.iloc[i], i, rows, n)
        labels[:] = stripped
    else:
        for u, v in enumerate(uniq.tolist()):
            if (
                _args.is_blank(v) or _args.is_excel_error(v) or isinstance(v, (bool, np.bool_))
                or (isinstance(v, float) and not math.isfinite(v))
            ):
                i = int(np.argmax(codes == u))
                raise _bad(name, "an account id", s.iloc[i], i, rows, n)
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            labels[u] = str(v).strip()
    merged, final = pd.factorize(labels)  # ' A1' and 'A1' are one account
    if len(final) != len(labels):
        codes = merged[codes]
        labels = np.asarray(final, dtype=object)
    return codes, labels


def _whole(name: str, values: Any, rows: bool = False) -> np.ndarray:
    """Periods → int64; blanks, text and fractions name their item."""
    s = _series(name, values)
    n = len(s)
    if s.dtype.kind in "iu":
        return s.to_numpy(dtype=np.int64)
    if s.dtype.kind == "f":
        arr, badmask = s.to_numpy(dtype=float), np.zeros(n, dtype=bool)
    else:
        arr, badmask = _args.coerce_numeric(s.astype(object))
    with np.errstate(invalid="ignore"):
        bad = badmask | ~np.isfinite(arr) | (arr != np.round(arr))
    _reject(name, "a whole number (period index)", s, bad, rows)
    return arr.astype(np.int64)


def _signal(name: str, values: Any, rows: bool = False) -> np.ndarray:
    """Signal → float, blank → NaN (not present); text and errors name their item."""
    s = _series(name, values)
    if s.dtype.kind == "b":
        return s.to_numpy(dtype=float)
    if s.dtype.kind in "iuf":
        arr = s.to_numpy(dtype=float)
        bad = np.isinf(arr)
    else:
        obj = s.astype(object)
        is_bool = obj.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        arr, bad = _args.coerce_numeric(obj.where(~is_bool, None))
        arr[is_bool] = obj[is_bool].astype(float).to_numpy() if is_bool.any() else arr[is_bool]
        bad = bad & ~is_bool
    _reject(name, "a number (or a blank cell)", s, bad, rows)
    return arr


def _flags(name: str, values: Any, rows: bool = False) -> np.ndarray:
    """Expansion flags → bool: TRUE/FALSE, 1/0, yes/no; blank is no expansion."""
    s = _series(name, values)
    if s.dtype.kind == "b":
        return s.to_numpy(dtype=bool)
    if s.dtype.kind in "iu":
        arr = s.to_numpy()
        _reject(name, "TRUE or FALSE (1 or 0)", s, (arr != 0) & (arr != 1), rows)
        return arr == 1
    if s.dtype.kind == "f":
        arr = s.to_numpy(dtype=float)
        arr = np.where(np.isnan(arr), 0.0, arr)
        _reject(name, "TRUE or FALSE (1 or 0)", s, (arr != 0) & (arr != 1), rows)
        return arr == 1
    codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=False)
    parsed = []
    for u, v in enumerate(uniques.tolist()):  # each distinct spelling once
        flag = _args.parse_flag(v)
        if flag is None:
            i = int(np.argmax(codes == u))
            raise _bad(name, "TRUE or FALSE (1 or 0)", v, i, rows, len(s))
        parsed.append(flag)
    return np.asarray(parsed, dtype=bool)[codes] if len(s) else np.zeros(0, dtype=bool)


def _count_arg(name: str, value: Any, default: int) -> int:
    """persistence / window: a whole number ≥ 1, at most ``MAX_WINDOW`` (omitted: default)."""
    if omitted(value):
        return default  # NaN is not "omitted": it is an error
    n = _args.integer(name, value, minimum=1)
    if n > MAX_WINDOW:
        raise _args.fail(name, f"a whole number of periods from 1 to {MAX_WINDOW:,}", n)
    return n


def _thresholds(name: str, value: Any) -> np.ndarray:
    thr = _args.numbers(name, value)
    if thr.size > MAX_THRESHOLDS:
        raise _args.InputError(f"{name}: expected at most {MAX_THRESHOLDS:,} thresholds, got {thr.size:,}")
    return thr


def _same_length(n: int, **columns: int) -> None:
    for name, size in columns.items():
        if size != n:
            raise _args.InputError(
                f"{name}: expected {n} values (one per account_ids item), got {size}"
            )


# =========================================================================== panels


class _Signal(NamedTuple):
    values: np.ndarray  # per sorted row, in the swept space (≥ τ holds)
    sign: float  # +1, or −1 when the rule's condition is '≤' / '<' (signal negated)
    motion: str | None  # the rule's motion (expansions counted), None for a raw column
    rule: str | None
    column: str
    op: str
    threshold: float | None  # the rule's current threshold, in the signal's own units
    current: float | None  # the same threshold in the swept space ('>' and '<' exact)
    persistence: int | None = None  # the rule's own (Rules table), None when blank
    window: int | None = None


class _Data(NamedTuple):
    frame: pd.DataFrame
    P: _Panel
    labels: np.ndarray
    expansion: np.ndarray  # bool per sorted row (any motion)
    motion: np.ndarray | None  # int8 per sorted row: index into MOTIONS, −1 none or other
    amount: np.ndarray | None  # float per sorted row (NaN when blank)


def _frame(panel: Any) -> pd.DataFrame:
    if isinstance(panel, pd.DataFrame):
        frame = panel
    else:
        frame = _args.table("panel", panel)
    names = []
    for c in frame.columns:
        key = _args.normalize_key(c)
        names.append(key if key in _PANEL_COLUMNS else (playbook.account_column(c) or key))
    if len(set(names)) != len(names):
        dupe = next(n for n in names if names.count(n) > 1)
        raise _args.InputError(f"panel: column '{dupe}' appears twice in the header")
    if list(frame.columns) != names:
        frame = frame.set_axis(names, axis=1)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        frame = frame.reset_index(drop=True)
    for col in ("account_id", "period"):
        if col not in frame.columns:
            raise _args.InputError(f"panel: expected a column {col!r} in the header row")
    if "expansion" not in frame.columns and "expansion_motion" not in frame.columns:
        raise _args.InputError("panel: expected a column 'expansion' (1 in the period an expansion closed)")
    return frame


_PANEL_COLUMNS = frozenset({"account_id", "period", "expansion", "expansion_motion", "expansion_amount"})


def _data(panel: Any) -> _Data:
    frame = _frame(panel)
    codes, labels = _codes("panel account_id", frame["account_id"], rows=True)
    per = _whole("panel period", frame["period"], rows=True)
    P = _prepare(codes, per, labels, where=lambda i: f"rows {i + 2}", name="panel period")
    motion = None
    if "expansion_motion" in frame.columns:  # each distinct text once: a motion index, −1 none
        codes_m, names = pd.factorize(frame["expansion_motion"].to_numpy(dtype=object))
        index = {m.lower(): i for i, m in enumerate(playbook.MOTIONS)}
        blank = np.array([_args.is_blank(v) for v in names.tolist()] + [True])
        known = np.array([index.get(str(v).strip().lower(), -1) for v in names.tolist()] + [-1])
        codes_m = codes_m[P.order]
        motion = known[codes_m].astype(np.int8)  # codes −1 (NaN) read the last entry
        given = ~blank[codes_m]
        if not given.any():  # a column that names no motion does not say which one expanded
            motion = None
    if "expansion" in frame.columns:
        y = _flags("panel expansion", frame["expansion"], rows=True)[P.order]
    else:
        y = given
    amount = None
    if "expansion_amount" in frame.columns:
        amount = _signal("panel expansion_amount", frame["expansion_amount"], rows=True)[P.order]
    return _Data(frame, P, labels, y, motion, amount)


def _resolve(data: _Data, signal: str, rules: Any) -> _Signal:
    """A panel column, or a rule of the rules table (rows of one rule AND-ed)."""
    frame, order = data.frame, data.P.order
    key = _args.normalize_key(signal)
    if key in frame.columns and key not in _PANEL_COLUMNS:
        x = _column_values(frame, key)[order]
        return _Signal(x, 1.0, None, None, key, ">=", None, None)
    specs = {_args.normalize_key(r.rule): r for r in _rule_specs(rules)}
    if key in specs:
        spec = specs[key]
        if spec.risk:
            raise _args.InputError(
                f"signal: {spec.rule!r} is a risk rule (negative points, no motion): "
                "risk rules are not backtested against expansions"
            )
        return _rule_signal(frame, order, spec)
    col = playbook.account_column(signal)
    if col is not None and col in frame.columns:
        return _Signal(_column_values(frame, col)[order], 1.0, None, None, col, ">=", None, None)
    raise _args.InputError(
        f"signal: expected a panel column or a rule name, got {signal!r}"
    )


def _column_values(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    if playbook.ACCOUNT_COLUMNS.get(col) == "flag" and frame[col].dtype.kind not in "iufb":
        return np.asarray(
            [np.nan if _args.is_blank(v) else (1.0 if _args.parse_flag(v) else 0.0)
             for v in frame[col].tolist()], dtype=float)
    return _signal(f"panel {col}", frame[col], rows=True)


def _rule_signal(frame, order, spec: _RuleSpec) -> _Signal:
    """The swept signal of a rule: its first condition, the others held fixed.

    '≥'/'>' sweep the signal itself; '≤'/'<' sweep the negated signal (reported back in
    the signal's units); '=' gives a 0/1 signal swept at 1. Swept thresholds mean '≥'
    (or '≤'); the rule's own strict '>'/'<' threshold is evaluated exactly. Where another condition of
    the rule fails, the swept signal is blank: the rule cannot hold there.
    """
    rows = spec.rows
    first = rows.iloc[0]
    col, op, tau = first["signal"], first["op"], float(first["threshold"])
    x = _column_values(frame, col)[order]
    with np.errstate(invalid="ignore"):
        if op in (">=", ">"):
            s, sign = x.copy(), 1.0
        elif op in ("<=", "<"):
            s, sign = -x, -1.0
        else:  # '=': 1 where equal, blank otherwise
            s, sign = np.where(x == tau, 1.0, np.nan), 1.0
        for _, other in rows.iloc[1:].iterrows():
            v = _column_values(frame, other["signal"])[order]
            s = np.where(_holds(v, other["op"], float(other["threshold"])), s, np.nan)
    if op == "=":
        current = 1.0
    elif op in (">", "<"):  # x > τ  ⇔  x ≥ the next float above τ (exact)
        current = float(np.nextafter(sign * tau, _INF))
    else:
        current = sign * tau
    return _Signal(s, sign, spec.motion, spec.rule, col, op, 1.0 if op == "=" else tau, current,
                   spec.persistence, spec.window)


def _holds(v: np.ndarray, op: str, tau: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return {
            ">=": v >= tau, ">": v > tau, "<=": v <= tau, "<": v < tau, "=": v == tau,
        }[op] & ~np.isnan(v)


class _Setup(NamedTuple):
    data: _Data
    sig: _Signal
    motion: str | None  # whose expansions count (None: all)
    y: np.ndarray  # those expansions, bool per sorted row
    k: int
    w: int


def _signal_panel(
    panel: Any, signal: str, motion: Any, rules: Any, persistence: Any, window: Any,
    plays: Any = None, period_days: Any = DEFAULT_PERIOD_DAYS,
) -> _Setup:
    """The panel, the signal to sweep, the motion whose expansions count (``motion``, else
    the rule's), those expansions, and persistence / window: the argument when given, else
    the rule's (its Rules columns; its motion's window), else 1 and ``DEFAULT_WINDOW``."""
    k = None if omitted(persistence) else _count_arg("persistence", persistence, DEFAULT_PERSISTENCE)
    w = None if omitted(window) else _count_arg("window", window, DEFAULT_WINDOW)
    data = _data(panel)
    sig = _resolve(data, signal, rules)
    motion = _motion_arg(motion) or sig.motion
    if k is None:
        k = sig.persistence or DEFAULT_PERSISTENCE
    if w is None:
        w = sig.window or (rule_window(motion, None, plays, period_days) if motion else DEFAULT_WINDOW)
    return _Setup(data, sig, motion, _expansions(data, motion), k, w)


def _expansions(data: _Data, motion: str | None) -> np.ndarray:
    """The expansions that count: of ``motion`` when the panel says which motion expanded."""
    if motion is None or data.motion is None:
        return data.expansion
    return data.expansion & (data.motion == playbook.MOTIONS.index(motion))


def _motion_arg(motion: Any) -> str | None:
    if motion is None:
        return None
    return _args.choices("motion", [motion], playbook.MOTIONS)[0]


def _curve_thresholds(sig: _Signal, thresholds: Any, m, p, mask=None) -> np.ndarray:
    """Sorted thresholds in the swept space."""
    if thresholds is None:
        return _candidates(m, p, mask)
    thr = _thresholds("thresholds", thresholds) * sig.sign
    return np.unique(thr)


def _report(curve: pd.DataFrame, sig: _Signal) -> pd.DataFrame:
    """Thresholds back in the signal's units, ascending."""
    if sig.sign < 0:
        curve = curve.iloc[::-1].reset_index(drop=True)
        curve["threshold"] = -curve["threshold"]
    return curve


# =========================================================================== rule options


def rule_window(motion: Any, window: Any = None, plays: Any = None,
                period_days: Any = DEFAULT_PERIOD_DAYS) -> int:
    """The backtest window of a rule (SPEC §7): ``window`` when given, else
    ceil(the longest cycle_days of the motion's play / period_days) + 1.

    >>> rule_window("Cross-sell"), rule_window("Cross-sell", period_days=7), rule_window("Seat expansion", 6)
    (5, 19, 6)
    """
    if not omitted(window) and not (isinstance(window, float) and math.isnan(window)):
        return _count_arg("window", window, DEFAULT_WINDOW)
    days = _args.number("period_days", period_days, minimum=0)
    if days <= 0:
        raise _args.fail("period_days", "a number of days above 0", days)
    table = playbook.plays_table(plays)
    m = _args.choices("motion", [motion], playbook.MOTIONS)[0]
    cycles = table.loc[m, list(_CYCLE_COLUMNS)].to_numpy(dtype=float)
    longest = float(np.nanmax(cycles)) if (~np.isnan(cycles)).any() else 0.0
    return min(MAX_WINDOW, int(math.ceil(longest / days - 1e-9)) + 1)


class _RuleSpec(NamedTuple):
    rule: str
    rows: pd.DataFrame  # the rule's condition rows
    motion: str | None
    points: float
    risk: bool  # negative points and no motion: not backtested against expansions
    persistence: int | None  # from the Rules table (None = blank)
    window: int | None


def _rule_specs(rules: Any) -> list[_RuleSpec]:
    """The rules of a Rules table in order, with their optional persistence and window."""
    table = playbook.rules_table(rules)
    extra = _rule_extras(rules, table)
    out = []
    for rule in dict.fromkeys(table["rule"]):
        rows = table[table["rule"] == rule]
        first = rows.iloc[0]
        motion = first["motion"]
        motion = None if _args.is_blank(motion) else str(motion)
        points = float(first["points"])
        k, w = extra.get(rule, (None, None))
        out.append(_RuleSpec(rule, rows, motion, points, motion is None or points < 0, k, w))
    return out


def _rule_extras(rules: Any, table: pd.DataFrame) -> dict[str, tuple[int | None, int | None]]:
    """{rule: (persistence, window)} from the table's optional columns (blank = None)."""
    source = table
    if not {"persistence", "window"} & set(table.columns) and rules is not None:
        source = _args.table("rules", rules)
        source = source.set_axis([_args.normalize_key(c) for c in source.columns], axis=1)
    out: dict[str, tuple[int | None, int | None]] = {}
    if not {"persistence", "window"} & set(source.columns) or "rule" not in source.columns:
        return out
    for i, row in enumerate(source.to_dict("records"), start=2):
        rule = row.get("rule")
        if _args.is_blank(rule):
            continue
        rule = str(rule).strip()
        vals = []
        for col in ("persistence", "window"):
            v = row.get(col)
            blank = v is None or _args.is_blank(v) or (isinstance(v, float) and math.isnan(v))
            vals.append(None if blank else _count_arg(f"rules row {i} {col}", v, 1))
        k0, w0 = out.get(rule, (None, None))
        out[rule] = (k0 if k0 is not None else vals[0], w0 if w0 is not None else vals[1])
    return out
