"""Rules and evidence: which rules fire, the score, each motion's evidence (SPEC §1, §3).

One engine (:func:`evaluate`) turns an account table into a fired-rule matrix; the score,
the evidence of every motion, the primary motion, risk and sufficient triggers are read
off it. Every rule condition is one numpy comparison over a column.

- score = min(100, max(0, Σ points of the fired rules)); risk rules have negative points.
- evidence of a motion = the points of its strongest fired rule; the primary motion has the
  most evidence (ties: the sum of its fired rules' points, then the order of MOTIONS).
- a rule with persistence k > 1 fires only when its condition also held in each of the
  k − 1 periods before the snapshot, read from a ``history`` table (account_id, period,
  signal columns) that ends the period before the snapshot.

>>> import pandas as pd
>>> from udfs.scoring import _accounts
>>> acc = _accounts.read_accounts("values", pd.DataFrame({"seat_utilization": [0.99, 0.5],
...                                                       "pricing_page_visits_30d": [1, 1]}))
>>> ev = evaluate(acc, rules())
>>> ev.score.tolist(), [MOTIONS[m] for m in primary(ev)]
([70.0, 30.0], ['Seat expansion', 'Tier upgrade'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ..core.playbook import MOTIONS
from . import _accounts, _ids
from ._accounts import Accounts

__all__: list[str] = []

RISK = -1  # motion index of a risk rule


@dataclass(frozen=True)
class Rule:
    name: str
    points: float
    motion: int  # index into MOTIONS; RISK for a risk rule
    conditions: tuple[tuple[str, str, float], ...]  # (signal, op, threshold), AND-ed
    alone: bool = False
    persistence: int = 1
    window: float = float("nan")

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for s, _, _ in self.conditions))


def compile_rules(table: Any) -> tuple[Rule, ...]:
    """A Rules table (validated by ``playbook.rules_table``) as Rule objects."""
    t = playbook.rules_table(table)
    order: dict[str, dict] = {}
    for row in t.itertuples(index=False):
        entry = order.setdefault(row.rule, {
            "points": float(row.points), "motion": MOTIONS.index(row.motion) if isinstance(row.motion, str) else RISK,
            "alone": bool(row.alone), "persistence": int(row.persistence), "window": float(row.window),
            "conditions": [],
        })
        entry["conditions"].append((row.signal, row.op, float(row.threshold)))
    return tuple(Rule(name, e["points"], e["motion"], tuple(e["conditions"]), e["alone"],
                      e["persistence"], e["window"]) for name, e in order.items())


@lru_cache(maxsize=1)
def _default_rules() -> tuple[Rule, ...]:
    return compile_rules(None)


def rules(table: Any = None) -> tuple[Rule, ...]:
    """Compiled rules: the defaults (cached) or a Rules table's."""
    if isinstance(table, tuple) and all(isinstance(r, Rule) for r in table):
        return table
    return _default_rules() if table is None else compile_rules(table)


# =========================================================================== evaluation


@dataclass
class Evaluation:
    n: int
    rules: tuple[Rule, ...]
    values: dict[str, np.ndarray]  # column -> float (NaN = no signal)
    fired: np.ndarray | None  # (R, n) bool; None for the score alone
    score: np.ndarray  # (n,) float, clamped to 0-100
    evidence: np.ndarray | None  # (5, n): strongest fired rule's points (0 when none)
    support: np.ndarray | None  # (5, n): Σ points of the motion's fired rules
    motion_fired: np.ndarray | None  # (5, n) bool
    risk: np.ndarray | None  # (n,) bool: a risk rule fired
    alone: np.ndarray | None  # (n,) bool: a sufficient (alone) rule fired
    missing: dict[str, list[str]]  # column the table lacks -> rules that name it
    waiting: dict[int, tuple[np.ndarray, np.ndarray | None]] = field(default_factory=dict)
    # rule index -> (rows whose condition holds now, periods held before; None = no history)
    notes: dict[int, list[str]] = field(default_factory=dict)  # row -> bad-cell notes
    history_gaps: dict[str, str] = field(default_factory=dict)  # rule -> why no history applies


_COMPARE = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}


def condition(values: np.ndarray, op: str, threshold: float, out: np.ndarray | None = None) -> np.ndarray:
    """One rule condition over a whole column: one numpy comparison (NaN never holds)."""
    with np.errstate(invalid="ignore"):
        if op in _COMPARE:
            return _COMPARE[op](values, threshold, out=out)
        near = np.abs(values - threshold) <= 1e-9 * max(1.0, abs(threshold))
    if out is None:
        return near
    out[:] = near
    return out


def holds(rule: Rule, values: dict[str, np.ndarray], n: int, out: np.ndarray | None = None) -> np.ndarray | None:
    """Where all of a rule's conditions hold (None when one of its columns is missing)."""
    if any(values.get(s) is None for s in rule.signals):
        return None
    row = np.empty(n, dtype=bool) if out is None else out
    also = None
    for k, (signal, op, threshold) in enumerate(rule.conditions):
        if k == 0:
            condition(values[signal], op, threshold, out=row)
        else:
            also = np.empty(n, dtype=bool) if also is None else also
            row &= condition(values[signal], op, threshold, out=also)
    return row


def needed_columns(rules: tuple[Rule, ...]) -> set[str]:
    return {s for r in rules for s in r.signals}


def evaluate(acc: Accounts, rules: tuple[Rule, ...], *, notes: bool = False,
             extra: tuple[str, ...] = (), score_only: bool = False,
             history: Any = None, as_of: np.datetime64 | None = None) -> Evaluation:
    """The one scoring engine: fired-rule matrix, score, evidence, risk and sufficient triggers.

    With ``score_only`` only the score is computed (no fired matrix, no evidence).
    """
    n = acc.n
    found: dict[int, list[str]] | None = {} if notes else None
    needed = needed_columns(rules) | set(extra)
    checks = _accounts.value_checks([r.conditions for r in rules])
    values = _accounts.signal_values(acc, needed, found, checks, as_of)
    missing: dict[str, list[str]] = {}
    for rule in rules:
        for s in rule.signals:
            if s not in values:
                missing.setdefault(s, []).append(rule.name)
    points = [r.points for r in rules]
    whole = all(float(p).is_integer() for p in points) and sum(abs(p) for p in points) < 32_000
    dtype = np.int16 if whole else np.float64
    total = np.zeros(n, dtype=np.int32 if whole else np.float64)
    past = _History.read(history, rules, acc) if any(r.persistence > 1 for r in rules) else None
    waiting: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    gaps: dict[str, str] = {}
    if score_only:
        fired = None
        scratch = np.empty(n, dtype=bool)
    else:
        fired = np.zeros((len(rules), n), dtype=bool)
        evidence = np.zeros((len(MOTIONS), n), dtype=dtype)
        support = np.zeros((len(MOTIONS), n), dtype=np.int32 if whole else np.float64)
        motion_fired = np.zeros((len(MOTIONS), n), dtype=bool)
        risk = np.zeros(n, dtype=bool)
        alone = np.zeros(n, dtype=bool)
    gained = np.empty(n, dtype=dtype)
    for r, rule in enumerate(rules):
        row = holds(rule, values, n, out=scratch if score_only else fired[r])
        if row is None:
            continue  # a missing column is no signal
        if rule.persistence > 1:
            now = np.flatnonzero(row)
            held = past.held(rule, now) if past is not None else None
            ok = held >= rule.persistence - 1 if held is not None else np.zeros(now.size, dtype=bool)
            row[now[~ok]] = False
            if not score_only:
                waiting[r] = (now[~ok], None if held is None else held[~ok])
                if past is not None and past.gap(rule):
                    gaps[rule.name] = past.gap(rule)
        if rule.points:
            np.multiply(row, dtype(rule.points), out=gained)  # one multiply, no masked add
            total += gained
        if score_only:
            continue
        if rule.motion == RISK:
            risk |= row
            continue
        m = rule.motion
        motion_fired[m] |= row
        if rule.points:
            support[m] += gained
            np.maximum(evidence[m], gained, out=evidence[m])
        if rule.alone:
            alone |= row
    score = np.clip(total, 0, playbook.MAX_SCORE).astype(np.float64)
    if score_only:
        return Evaluation(n, rules, values, None, score, None, None, None, None, None, missing,
                          notes=found or {})
    return Evaluation(n, rules, values, fired, score, evidence, support, motion_fired, risk, alone,
                      missing, waiting, found or {}, gaps)


def primary(ev: Evaluation) -> np.ndarray:
    """Index of the primary motion per account (-1 when no motion rule fired).

    Most evidence; ties: the larger sum of the motion's fired points, then MOTIONS order.
    """
    best = np.full(ev.n, -1, dtype=np.int8)
    if ev.evidence.dtype == np.int16 and ev.support.dtype == np.int32:
        # whole points, |Σ points| < 32,000 (evaluate): (evidence, support) as one uint32 key,
        # each offset by 2**15, so every fired key is above 0, the key where it did not fire
        top = np.zeros(ev.n, dtype=np.uint32)
        key = np.empty(ev.n, dtype=np.uint32)
        part = np.empty(ev.n, dtype=np.uint32)
        better = np.empty(ev.n, dtype=bool)
        for m in range(len(MOTIONS)):  # strictly greater: ties keep the motion listed first
            np.add(ev.evidence[m], 1 << 15, out=key, dtype=np.uint32, casting="unsafe")
            key <<= 16
            np.add(ev.support[m], 1 << 15, out=part, dtype=np.uint32, casting="unsafe")
            key += part
            key *= ev.motion_fired[m]
            np.greater(key, top, out=better)
            np.copyto(best, np.int8(m), where=better)
            np.maximum(top, key, out=top)
        return best
    top_e = np.zeros(ev.n, dtype=ev.evidence.dtype)
    top_s = np.zeros(ev.n, dtype=ev.support.dtype)
    for m in range(len(MOTIONS)):  # strict comparisons keep ties on the motion listed first
        e, s = ev.evidence[m], ev.support[m]
        better = ev.motion_fired[m] & ((best < 0) | (e > top_e) | ((e == top_e) & (s > top_s)))
        if not better.any():
            continue
        best[better] = m
        np.copyto(top_e, e, where=better)
        np.copyto(top_s, s, where=better)
    return best


def gates(ev: Evaluation) -> tuple[np.ndarray, np.ndarray]:
    """(low health, too early) per account; a blank health or tenure does not gate."""
    with np.errstate(invalid="ignore"):
        health = ev.values.get("health_score")
        tenure = ev.values.get("tenure_months")
        low_health = health < playbook.GATE_HEALTH_BELOW if health is not None else np.zeros(ev.n, bool)
        too_early = tenure < playbook.GATE_TENURE_BELOW if tenure is not None else np.zeros(ev.n, bool)
    return low_health, too_early


# =========================================================================== history


class _History:
    """The periods before the snapshot, per book row: ``held(rule, rows)`` counts how many
    consecutive periods (back from the last one) the rule's condition held."""

    def __init__(self, values: dict[str, np.ndarray], depth: int, columns: set[str]):
        self.values = values  # column -> (depth, n) floats, row j = j + 1 periods before now
        self.depth = depth
        self.columns = columns

    def gap(self, rule: Rule) -> str:
        lacking = [s for s in rule.signals if s not in self.columns]
        return f"history has no {lacking[0]}" if lacking else ""

    def held(self, rule: Rule, rows: np.ndarray) -> np.ndarray:
        need = rule.persistence - 1
        count = np.zeros(rows.size, dtype=np.int64)
        if self.gap(rule):
            return count
        alive = np.ones(rows.size, dtype=bool)
        for j in range(min(need, self.depth)):
            sub = {s: self.values[s][j, rows] for s in rule.signals}
            alive &= holds(rule, sub, rows.size)
            count += alive
        return count

    @classmethod
    def read(cls, history: Any, rules: tuple[Rule, ...], acc: Accounts) -> _History | None:
        """Check a history table and line it up with the book's rows (None when not given)."""
        if history is None or (isinstance(history, (list, tuple)) and len(history) == 0):
            return None
        frame = history if isinstance(history, pd.DataFrame) else _accounts.frame_from_rows("history", history, None)
        hist = _accounts.read_accounts("history", frame, require_id=True)
        if "period" not in hist.columns:
            raise _args.InputError("history: expected a column 'period' in the header row")
        period = _periods(hist.columns["period"])
        depth = max(r.persistence for r in rules) - 1
        notes: dict[int, list[str]] = {}
        ids, scored = _ids.account_ids(hist, notes)
        bad = [i for i in sorted(notes) if not scored[i] or "repeats" not in notes[i][0]]
        if bad:
            raise _args.InputError(f"history: {notes[bad[0]][0]}")
        key = pd.MultiIndex.from_arrays([ids, period])
        if key.has_duplicates:
            i = int(np.argmax(key.duplicated()))
            raise _args.InputError(f"history row {i + 2}: account_id {ids[i]!r} appears twice in period {int(period[i])}")
        needed = needed_columns(tuple(r for r in rules if r.persistence > 1))
        cells: dict[int, list[str]] = {}
        values = _accounts.signal_values(hist, needed, cells)
        if cells:
            first = min(cells)
            raise _args.InputError(f"history: {cells[first][0]}")
        book_ids, _ = _ids.account_ids(acc, {}) if "account_id" in acc.columns else (None, None)
        if book_ids is None:
            raise _args.InputError("history: the accounts need an account_id column to be matched with a history")
        where = pd.Index(book_ids).get_indexer(ids) if pd.Index(book_ids).is_unique else \
            pd.Index(book_ids).drop_duplicates().get_indexer(ids)
        last = np.nanmax(period)
        back = (last - period).astype(np.int64)  # 0 = the period just before the snapshot
        use = (where >= 0) & (back < depth)
        out = {}
        for s in needed:
            if s not in values:
                continue
            grid = np.full((max(depth, 1), acc.n), np.nan)
            grid[back[use], where[use]] = values[s][use]
            out[s] = grid
        return cls(out, depth, set(values))


def _periods(raw: Any) -> np.ndarray:
    """History periods as whole numbers (dates become months); a bad one is a named error."""
    series = raw if isinstance(raw, pd.Series) else pd.Series(raw)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        months = series.to_numpy().astype("datetime64[M]").astype(np.int64).astype(float)
        months[series.isna().to_numpy()] = np.nan
        values = months
    else:
        items = series.astype(object).to_numpy()
        values = np.empty(len(items))
        for i, item in enumerate(items):
            if isinstance(item, str) and not _args.is_excel_error(item) and _args.parse_number(item) is None:
                try:
                    day = _accounts.one_date("history period", item, i)
                except ValueError:
                    raise _args.fail("history period", "a whole number or a date", item, i) from None
                values[i] = float(day.astype("datetime64[M]").astype(np.int64))
                continue
            if isinstance(item, (pd.Timestamp, np.datetime64)) or hasattr(item, "isoformat"):
                values[i] = float(np.datetime64(pd.Timestamp(item).date(), "M").astype(np.int64))
                continue
            values[i] = _args.numbers("history period", [item], what="a whole number or a date")[0] \
                if not _args.is_blank(item) else np.nan
    bad = np.isnan(values) | (values != np.round(values))
    if bad.any():
        i = int(np.argmax(bad))
        raise _args.fail("history period", "a whole number or a date", series.iloc[i], i)
    return values
