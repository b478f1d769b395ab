"""Reasons: what fired, in words, one short sentence per account (SPEC §3).

Text is built without a per-row Python loop: each rule's phrase is formatted once per
distinct displayed value (values are first rounded to what the text shows), gathered for
the rows where the rule fired, and every row's phrases are joined in one pass
(``np.add.reduceat`` over the phrases sorted by row).

Order inside a sentence: status (gate, Nurture, routing), the primary motion's rules,
the other motions' rules, risk rules, rules waiting for persistence, then any notes.

>>> signal_text("seat_utilization", 0.92), signal_text("pricing_page_visits_30d", 2)
('seat utilization 92%', '2 pricing page visits')
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..core._args import empty_texts, num_text
from ..core.playbook import ACCOUNT_COLUMNS
from .evidence import RISK, Evaluation, Rule

__all__: list[str] = []

SEP = "; "
NO_SIGNAL = "no expansion signal"
_OP_SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


# =========================================================================== numbers as text

def _pct(v: float) -> str:
    return f"{v * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _growth(v: float) -> str:
    return ("+" if v >= 0 else "") + _pct(v)


def _money(v: float) -> str:
    return "$" + num_text(round(v))


def months_text(v: float) -> str:
    return f"{num_text(v)} month" + ("" if v == 1 else "s")


# formatter -> (function of a shown value, scale: values are shown rounded to 1/scale)
_FORMATS: dict[str, tuple[Any, float]] = {
    "pct": (_pct, 1000.0), "growth": (_growth, 1000.0), "num": (num_text, 100.0),
    "money": (_money, 1.0), "months": (months_text, 100.0),
}

# signal -> (subject template with {v}, formatter, count nouns or None)
_SIGNAL_TEXT: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "seat_utilization": ("seat utilization {v}", "pct", None),
    "usage_vs_cap": ("usage at {v} of cap", "pct", None),
    "usage_trend_90d": ("usage {v} over 90 days", "growth", None),
    "next_tier_feature_adoption": ("{v} of next-tier features tried", "pct", None),
    "gated_feature_requests_90d": ("", "num", ("gated-feature request", "gated-feature requests")),
    "pricing_page_visits_30d": ("", "num", ("pricing page visit", "pricing page visits")),
    "active_user_growth_60d": ("active users {v} in 60 days", "growth", None),
    "headcount_growth_90d": ("headcount {v} in 90 days", "growth", None),
    "funding_event_days_ago": ("funding round {v} days ago", "num", None),
    "new_department_users_30d": ("", "num", ("user from a new department", "users from new departments")),
    "cross_sell_intent_7d": ("", "num", ("cross-sell intent event", "cross-sell intent events")),
    "champion_promoted_90d": ("champion promoted", "num", None),
    "champion_left_90d": ("champion left", "num", None),
    "health_score": ("health score {v}", "num", None),
    "tenure_months": ("tenure {v}", "months", None),
    "arr": ("ARR {v}", "money", None),
    "seats_licensed": ("", "num", ("licensed seat", "licensed seats")),
    "seats_active": ("", "num", ("active seat", "active seats")),
}


def _spec(signal: str) -> tuple[str, str, tuple[str, str] | None]:
    return _SIGNAL_TEXT.get(signal, (signal.replace("_", " ") + " {v}", "num", None))


def shown(signal: str, values: np.ndarray) -> np.ndarray:
    """Values rounded to what the text shows (so equal texts share one key)."""
    scale = _FORMATS[_spec(signal)[1]][1]
    values = np.asarray(values, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):  # 1.8e307 × 100 overflows: shown as it is
        scaled = np.round(values * scale) / scale + 0.0  # + 0.0: -0.0 is shown as 0
    return np.where(np.isfinite(scaled) | ~np.isfinite(values), scaled, values)


def signal_text(signal: str, v: float) -> str:
    """The signal's (shown) value as words: '92% seat utilization', '2 pricing page visits'."""
    template, fmt, nouns = _spec(signal)
    text = _FORMATS[fmt][0]
    if nouns is not None:
        return f"{text(v)} {nouns[0] if v == 1 else nouns[1]}"
    if ACCOUNT_COLUMNS.get(signal) == "flag":
        return template if v else template.replace(" ", " not ", 1)
    head, _, tail = template.partition("{v}")
    return head + text(v) + tail


def threshold_text(signal: str, threshold: float) -> str:
    fmt = _spec(signal)[1]
    return _FORMATS[fmt][0](threshold).lstrip("+")


def points_text(points: float) -> str:
    return f"+{num_text(points)}" if points >= 0 else f"-{num_text(-points)}"


@lru_cache(maxsize=256)
def _condition_texts(rule: Rule) -> tuple[tuple[str, str], ...]:
    """Per signal of the rule: (signal, the condition as text after the value, or '')."""
    out = []
    for signal in rule.signals:
        conds = [(op, t) for s, op, t in rule.conditions if s == signal]
        shows_itself = ACCOUNT_COLUMNS.get(signal) == "flag" or (
            _spec(signal)[2] is not None and [c[0] for c in conds] == [">="]
        )
        out.append((signal, "" if shows_itself else " " + " and ".join(
            f"{_OP_SYMBOL[op]} {threshold_text(signal, t)}" for op, t in conds)))
    return tuple(out)


def rule_phrase(rule: Rule, values: tuple[float, ...], suffix: str | None = None,
                conds: tuple[tuple[str, str], ...] | None = None, tail: str | None = None) -> str:
    """One fired rule in words, e.g. 'seat utilization 92% ≥ 90% (+40)'."""
    conds = _condition_texts(rule) if conds is None else conds
    if tail is None:
        tail = f" ({points_text(rule.points)})" if suffix is None else f" ({suffix})"
    if len(conds) == 1:
        return signal_text(conds[0][0], values[0]) + conds[0][1] + tail
    return " and ".join(signal_text(s, v) + cond for (s, cond), v in zip(conds, values, strict=True)) + tail


def _factorize_shown(signal: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct shown values) of ``values`` as the text shows them: whole steps of
    the shown precision numbered by a table when they span a short range, else hashed."""
    scale = _FORMATS[_spec(signal)[1]][1]
    with np.errstate(over="ignore", invalid="ignore"):
        steps = np.rint(np.asarray(values, dtype=float) * scale)
    if steps.size:
        low, high = np.fmin.reduce(steps), np.fmax.reduce(steps)
        if np.isfinite(low) and np.isfinite(high) and high - low < 2**62 and not np.isnan(steps).any():
            codes, count = _renumber((steps - low).astype(np.int64), int(high - low) + 1)
            distinct = np.empty(count)
            distinct[codes] = steps
            return codes, shown(signal, distinct / scale)
    codes, uniq = pd.factorize(shown(signal, values))
    return codes, np.asarray(uniq)


def rule_phrase_codes(rule: Rule, values: dict[str, np.ndarray], rows: np.ndarray,
                      suffix: str | None = None, tail: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes, phrases): the rule's phrase for each of ``rows`` as a code into the table of
    its distinct phrases, each formatted once (``tail``: instead of the points, e.g. '')."""
    codes = None
    combos: list[tuple] = []
    for s in rule.signals:
        c, uniq = _factorize_shown(s, values[s][rows])
        if codes is None:
            codes, combos = c, [(u,) for u in uniq.tolist()]
        else:  # two signals (an AND-ed rule): the pair of codes, factorized again
            pair, first = pd.factorize(codes.astype(np.int64) * len(uniq) + c)
            u = uniq.tolist()
            combos = [combos[k // len(u)] + (u[k % len(u)],) for k in first.tolist()]
            codes = pair
    conds = _condition_texts(rule)
    if tail is None:
        tail = f" ({points_text(rule.points)})" if suffix is None else f" ({suffix})"
    table = np.array([rule_phrase(rule, c, suffix, conds, tail) for c in combos], dtype=object)
    return codes, table


def rule_phrases(rule: Rule, values: dict[str, np.ndarray], rows: np.ndarray,
                 suffix: str | None = None) -> np.ndarray:
    """The rule's phrase for each of ``rows``: formatted once per distinct shown value."""
    codes, table = rule_phrase_codes(rule, values, rows, suffix)
    return table[codes]


def per_value(rows: np.ndarray, values: np.ndarray, fmt) -> tuple[np.ndarray, np.ndarray]:
    """(codes, texts): ``fmt(value)`` for each of ``rows``, formatted once per distinct value."""
    codes, uniq = pd.factorize(values[rows])
    return codes, np.array([fmt(v) for v in uniq.tolist()], dtype=object)


# =========================================================================== sentences


def _renumber(key: np.ndarray, bound: int) -> tuple[np.ndarray, int]:
    """(codes 0 … count − 1 keeping the keys' order, count) of keys below ``bound``: by a table
    of the keys when ``bound`` is small, else by hashing."""
    if bound <= 2 * key.size + 1024:
        present = np.zeros(bound, dtype=bool)
        present[key] = True
        number = np.cumsum(present) - 1
        return number[key], int(number[-1]) + 1 if bound else 0
    codes, uniq = pd.factorize(key)
    return codes.astype(np.int64, copy=False), len(uniq)


class Sentences:
    """Phrases collected per row, in the order they are added; ``join`` makes the text.

    A phrase is a code into a table of texts. Rows whose phrases are all the same share
    one sentence: ``join`` keys every row by its codes, builds each distinct sentence
    once (on one row standing for all) and hands it to every row that has it.
    """

    def __init__(self, n: int):
        self.n = n
        self.pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # rows, codes, texts

    def add(self, rows: np.ndarray, texts: Any, table: np.ndarray | None = None) -> None:
        """Add ``texts`` (one text for all ``rows``, one per row, or codes into ``table``)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        if table is None and isinstance(texts, str):
            codes, table = np.zeros(rows.size, dtype=np.int64), np.array([texts], dtype=object)
        elif table is None:
            codes, uniq = pd.factorize(np.asarray(texts, dtype=object))
            table = np.asarray(uniq, dtype=object)
        else:
            codes = np.asarray(texts, dtype=np.int64)
        self.pieces.append((rows, codes, table))

    def add_notes(self, notes: dict[int, list[str]]) -> None:
        if notes:
            rows = np.array([i for i, ns in notes.items() for _ in ns], dtype=np.int64)
            texts = np.array([t for ns in notes.values() for t in ns], dtype=object)
            order = np.argsort(rows, kind="stable")
            rows, texts = rows[order], texts[order]
            for _k in range(max(len(ns) for ns in notes.values())):  # the k-th note of each row
                first = np.r_[True, rows[1:] != rows[:-1]]
                self.add(rows[first], texts[first])
                rows, texts = rows[~first], texts[~first]
                if rows.size == 0:
                    break

    def _keys(self) -> np.ndarray:
        """Per row, a code of its combination of phrases (equal codes, equal sentences);
        the codes are 0 … count − 1.

        Keys stay below ``count``; a piece renumbers only its own rows, by their pair (key so
        far, code) hashed once, into ``count`` … ``count + pairs − 1``; the other rows keep
        theirs, so two rows share a key exactly when they share every phrase.
        """
        key = np.zeros(self.n, dtype=np.int64)
        count = 1
        for rows, codes, table in self.pieces:
            m = len(table)
            if count * m >= 2**62:
                key, count = _renumber(key, count)
            pair = key[rows] if m == 1 else key[rows] * m + codes
            local, pairs = _renumber(pair, count * m)
            key[rows] = local + count
            count += pairs
        return _renumber(key, count)[0]

    def join(self, take: Any = slice(None)) -> np.ndarray:
        """The sentence of every row (in the order ``take`` gives, when given)."""
        if not self.pieces:
            return empty_texts(self.n)[take]
        key = self._keys()
        count = int(key.max()) + 1
        rep = np.empty(count, dtype=np.int64)  # one row standing for each sentence
        rep[key[::-1]] = np.arange(self.n - 1, -1, -1)
        slot = np.full(self.n, -1, dtype=np.int64)
        slot[rep] = np.arange(count)
        rows_l, texts_l = [], []
        for rows, codes, table in self.pieces:
            at = slot[rows]
            keep = at >= 0
            rows_l.append(at[keep])
            texts_l.append(table[codes[keep]])
        rows = np.concatenate(rows_l)
        texts = np.concatenate(texts_l)
        order = np.argsort(rows, kind="stable")
        rows, texts = rows[order], texts[order]
        sentences = empty_texts(count)
        if rows.size:
            first = np.empty(rows.size, dtype=bool)
            first[0] = True
            np.not_equal(rows[1:], rows[:-1], out=first[1:])
            starts = np.flatnonzero(first)
            ends = np.append(starts[1:], rows.size).tolist()
            phrases, join = texts.tolist(), SEP.join  # one join per distinct sentence
            sentences[rows[starts]] = [join(phrases[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)]
        return sentences[key[take]]


def rule_sentences(ev: Evaluation, prim: np.ndarray, s: Sentences, scored: np.ndarray | None = None) -> None:
    """Add every fired rule: the primary motion's first, other motions', then risk rules;
    then rules waiting for persistence, and 'no expansion signal' where no motion fired."""
    later: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    risk: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for r, rule in enumerate(ev.rules):
        rows = np.flatnonzero(ev.fired[r])
        if rows.size == 0:
            continue
        codes, table = rule_phrase_codes(rule, ev.values, rows)
        if rule.motion == RISK:
            risk.append((rows, codes, table))
            continue
        lead = prim[rows] == rule.motion
        s.add(rows[lead], codes[lead], table)
        later.append((rows[~lead], codes[~lead], table))
    for rows, codes, table in later:
        s.add(rows, codes, table)
    quiet = ~ev.motion_fired.any(axis=0)
    s.add(np.flatnonzero(quiet if scored is None else quiet & scored), NO_SIGNAL)
    for rows, codes, table in risk:
        s.add(rows, codes, table)
    for r, (rows, held) in ev.waiting.items():
        if rows.size == 0:
            continue
        rule = ev.rules[r]
        need = f"needs {rule.persistence} periods"
        if held is None:
            s.add(rows, *rule_phrase_codes(rule, ev.values, rows, f"{need}: no history"))
        elif rule.name in ev.history_gaps:
            s.add(rows, *rule_phrase_codes(rule, ev.values, rows, f"{need}: {ev.history_gaps[rule.name]}"))
        else:
            for h in np.unique(held):
                sub = rows[held == h]
                s.add(sub, *rule_phrase_codes(rule, ev.values, sub, f"{need}: held {int(h) + 1}"))


def missing_text(ev: Evaluation, *, open_only: bool = False) -> str:
    """The columns rules name that the table lacks, said once ('' when none).

    With ``open_only``, only columns outside SPEC §2 (a missing SPEC column is plain
    "no signal", which a cell function does not repeat).
    """
    parts = []
    for col, names in ev.missing.items():
        if open_only and col in ACCOUNT_COLUMNS:
            continue
        verb = "never fires" if len(names) == 1 else "never fire"
        parts.append(f"no {col} column: rule {', '.join(names)} {verb}")
    return SEP.join(parts)
