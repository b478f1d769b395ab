"""The expansion queue: one row per account, ready plays first (SPEC §4, §8 SCORE_ACCOUNTS).

:func:`score_book` is the one vectorized entry point: it scores a whole book (a DataFrame
or an Excel range) with rules, plays, ``as_of``, a history and owners, and returns the
queue fields per input row plus ``queue_rank``; :func:`score_accounts` is the same queue
sorted. A queue replay (a backtest) calls ``score_book`` once per period, with
``reasons=False`` when it needs no text.

The queue's decisions are listed once, in the package's docstring.

>>> q = score_accounts([["account_id", "account_name", "arr", "seat_utilization", "pricing_page_visits_30d"],
...                     ["a1", "Acme", 40000, 0.99, 1], ["a2", "Globex", 90000, 0.5, 0]], as_of="2026-06-01")
>>> q[["account_id", "play", "owner", "expected_value"]].values.tolist()
[['a1', 'Seat expansion', 'CSM + Expansion AE', 3000.0], ['a2', 'Nurture', '', 0.0]]
>>> q["reasons"][0]
'seat utilization 99% ≥ 90% (+40); 1 pricing page visit (+30)'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import _args, playbook
from ..core._args import num_text
from ..core._threads import beside
from ..core.owners import owner_people, owners_table
from ..core.playbook import MOTIONS
from ..revenue.opportunities import quarter_of, win_rates_of
from . import _accounts, _ids, assignees, evidence, in_flight, why_now
from .plays import Plays, as_of_day, owner_codes, play_set, play_values, renewal_due, segment_codes
from .reasons import (
    Sentences,
    missing_text,
    months_text,
    per_value,
    rule_phrase_codes,
    rule_sentences,
)

__all__ = ["score_book", "score_accounts", "SCORE_COLUMNS", "NURTURE", "NOT_SCORED"]

NURTURE, NOT_SCORED = playbook.NURTURE, playbook.NOT_SCORED
SCORE_COLUMNS = (
    "account_id", "account_name", "expansion_score", "ready", "primary_motion", "motions", "play",
    "pipeline_status", "owner", "assignee", "slot", "expected_arr_increase", "close_rate",
    "expected_value", "value_basis", "due_in_days", "ready_since", "ready_signal",
    "opportunity_id", "opportunity_stage", "opportunity_close_date", "reasons",
)
MOTION_LABELS = np.array([*MOTIONS, ""], dtype=object)  # index -1 -> ""
PLAY_LABELS = np.array([*MOTIONS, NURTURE, playbook.GATE_TOO_EARLY, playbook.GATE_FIX_ADOPTION, NOT_SCORED],
                       dtype=object)
_NURTURE_CODE, _TOO_EARLY_CODE, _FIX_CODE, _NOT_SCORED_CODE = range(len(MOTIONS), len(MOTIONS) + 4)
SLOT_LABELS = np.array(["", playbook.THIS_WEEK, playbook.QUEUED], dtype=object)
_NAT = np.datetime64("NaT", "D")


def score_book(book: Any, rules: Any = None, plays: Any = None, *, history: Any = None,
               as_of: Any = None, owners: Any = None, routing: Any = "evidence",
               opportunities: Any = None, previous: Any = None, reasons: bool = True,
               _in_order: bool = False) -> pd.DataFrame:
    """Score a whole book: the queue fields per input row (same order) and ``queue_rank``.

    ``book`` is a DataFrame (or an Excel range with its header row); ``rules``/``plays``
    tables (or None for the defaults); ``history`` a table of account_id, period and
    signal columns ending the period before the snapshot; ``as_of`` the scoring date
    (default today); ``owners`` a table (owner, weekly_capacity); ``routing`` ``evidence``
    or ``value``; ``opportunities`` the CRM's opportunities (a play already in flight, just
    won or just lost gets its ``pipeline_status``, :mod:`.in_flight`); ``previous`` the
    previous queue snapshot (``ready_since`` continues its runs; else the ``history`` is
    scored for them). ``queue_rank`` is 1
    for the top of the queue. With ``reasons=False`` the reasons column is left blank
    (faster, for replays).

    >>> book = pd.DataFrame({"account_id": ["a", "b"], "usage_vs_cap": [0.95, 0.5]})
    >>> score_book(book, as_of="2026-01-01")[["ready", "play", "queue_rank"]].values.tolist()
    [[True, 'Tier upgrade', 1], [False, 'Nurture', 2]]
    """
    rule_set = evidence.rules(rules)
    p = play_set(plays)
    day = as_of_day(as_of)
    route = str(_args.choices("routing", [("evidence" if _args.is_blank(routing) else routing)],
                              playbook.ROUTINGS)[0])
    people = owner_people(owners) if owners is not None else None
    caps = owners_table(owners) if owners is not None and people is None else None
    reading = beside(len(opportunities) if hasattr(opportunities, "__len__") else 0,
                     _opportunities, p, opportunities, day)  # read beside the book
    try:
        acc = _accounts.read_accounts("accounts", book, require_id=True,
                                      wanted=frozenset(evidence.needed_columns(rule_set)))
        evaluating = beside(acc.n, evidence.evaluate, acc, rule_set, notes=True,
                            extra=("arr", "health_score", "tenure_months"), history=history, as_of=day)
        n = acc.n
        notes: dict[int, list[str]] = {}
        ids, scored = _ids.account_ids(acc, notes)  # the ids, segments and dates meanwhile
        seg_raw = acc.columns.get("segment")
        seg = (segment_codes(seg_raw, notes, acc.first_row) if seg_raw is not None
               else np.full(n, 3, dtype=np.int64))
        renewal = _accounts.dates_column(acc, "renewal_date", notes) if "renewal_date" in acc.columns else None
    except Exception:
        reading.result()  # a bad opportunities table is named first, as when it was read first
        raise
    opps, close, basis = reading.result()
    ev = evaluating.result()  # a bad history raises here, as it did in turn
    if not scored.all():
        _drop(ev, ~scored)

    ready, low_health, too_early, prim = readiness(ev, scored)
    if route == "value":
        key = np.where(ev.motion_fired, (p.share * p.close)[:, None], -1.0)
        play = np.argmax(key, axis=0).astype(np.int8)
        play[~ev.motion_fired.any(axis=0)] = -1
    else:
        play = prim
    play_code = np.where(ready, play, -1)

    arr = ev.values.get("arr", np.full(n, np.nan))
    has_play = play_code >= 0
    increase, rate, expected = play_values(play_code, arr, p.share, close)
    cycle = np.full(n, np.nan)
    cycle[has_play] = p.cycle[play_code[has_play], seg[has_play]]
    paired, to_renewal = np.zeros(n, dtype=bool), None
    if renewal is not None:
        to_renewal = (renewal - day).astype(float)
        to_renewal[np.isnat(renewal)] = np.nan
        paired, due = renewal_due(cycle, to_renewal)
        paired &= has_play
    else:
        due = cycle
    owner_code, owner_labels = owner_codes(play_code, increase, arr, p)
    flight = in_flight.plays_in_flight(opps, ids, play_code, cycle, p.cooldown, day) if opps is not None else None
    status = flight.status if flight is not None else np.full(n, -1, dtype=np.int8)
    if flight is not None:
        due = np.where(status >= 0, flight.days, due)
        paired &= status < 0

    # the play as a code into PLAY_LABELS: a motion, Nurture, a gate, Not scored
    play_code_all = np.where(ready, play, _NURTURE_CODE).astype(np.int8)
    play_code_all[too_early] = _TOO_EARLY_CODE
    play_code_all[low_health] = _FIX_CODE  # wins over Too early
    play_code_all[~scored] = _NOT_SCORED_CODE
    score = np.where(scored, ev.score, np.nan)

    order = _queue_order(ids, scored, ready, expected, score, status)
    signal = why_now.ready_rule(ev, ready, play_code, scored)
    keep = None  # the previous snapshot's assignee of each continued play
    if previous is not None:
        carried: list = []
        since = why_now.since_previous(previous, ids, MOTION_LABELS[play_code], day, carried)
        keep = carried[0]
    elif history is not None:
        since = _since_history(history, rules, plays, play_code, ids, day)
    else:
        since = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    slot = None  # no Owners table: no slots
    new = ready & (status < 0)
    assignee, unassigned = None, None
    if people is not None:
        who, who_labels, unassigned = assignees.assign(order, new, play_code, owner_code, owner_labels, people,
                                                       keep)
        slot = _slots(order, new, who, who_labels, people.caps())
        assignee = np.array(who_labels, dtype=object)[who]
    elif caps is not None:
        slot = _slots(order, new, owner_code, owner_labels, caps)

    take = order if _in_order else slice(None)  # the queue's order, or the book's
    if not reasons:
        text = _args.empty_texts(n)
    else:
        for i in np.flatnonzero(has_play & np.isnan(arr)):
            notes.setdefault(int(i), []).append("no usable arr: expected ARR increase and value unknown")
        extra = None  # who is missing from the Owners table: said after the rules
        if unassigned is not None and (unassigned != "").any():
            rows = np.flatnonzero(unassigned != "")
            extra = (rows, unassigned[rows])
        text = beside(n, _queue_reasons, ev, prim, play, scored, ready, low_health, too_early, route,
                      paired, to_renewal, notes, ids, order, take, flight, extra, signal)
    motions_code, motions_table = _motions_text(ev.motion_fired, prim)
    no_day = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    columns = {
        "account_id": _text(ids[take]),
        "account_name": _names(acc, take),
        "expansion_score": score[take],
        "ready": ready[take],
        "primary_motion": _args.labels(MOTION_LABELS, prim[take]),
        "motions": _args.labels(motions_table, motions_code[take]),
        "play": _args.labels(PLAY_LABELS, play_code_all[take]),
        "pipeline_status": _args.labels(in_flight.STATUS_LABELS, status[take]),
        "owner": _args.labels(owner_labels, owner_code[take]),
        "assignee": _args.empty_texts(n) if assignee is None else assignee[take],
        "slot": _args.empty_texts(n) if slot is None else slot[take],
        "expected_arr_increase": increase[take],
        "close_rate": rate[take],
        "expected_value": expected[take],
        "value_basis": _args.labels(basis, play_code[take]),
        "due_in_days": np.where(has_play, due, np.nan)[take],
        "ready_since": since[take],
        "ready_signal": _args.labels(why_now.signal_names(ev), signal[take]),
        "opportunity_id": _args.empty_texts(n) if flight is None else flight.column(flight.ids, "", take),
        "opportunity_stage": _args.empty_texts(n) if flight is None else flight.column(flight.stages, "", take),
        "opportunity_close_date": no_day if flight is None else flight.column(flight.close, _NAT, take),
        "reasons": text.result() if reasons else text,  # written beside the other columns
    }
    if _in_order:
        return _frame(columns, None)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    columns["queue_rank"] = rank
    return _frame(columns, acc.index if acc.index is not None and len(acc.index) == n else None)


def value_basis(p: Plays, close_basis: tuple[str, ...] | None = None) -> np.ndarray:
    """Per motion (index -1: no play, ''), where its close rate and increase share come from,
    e.g. 'close rate assumed; increase share assumed'."""
    close = p.close_basis if close_basis is None else close_basis
    texts = [f"close rate {c}; increase share {s}" for c, s in zip(close, p.share_basis, strict=True)]
    return np.array([*texts, ""], dtype=object)


def _opportunities(p: Plays, opportunities: Any, day: np.datetime64):
    """(the opportunities read or None, close rate per motion, value_basis per motion)."""
    opps = in_flight.opportunities_arg(opportunities) if opportunities is not None else None
    return (opps, *_close_rates(p, opps, day))


def _close_rates(p: Plays, opps, day: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """(close rate per motion, value_basis per motion): the Plays table's, except that a
    rate the table only assumes is replaced, when opportunities are given, by the motion's
    win rate measured from them (won $ ÷ closed $, the 4 closed quarters before as_of)."""
    if opps is None:
        return p.close, value_basis(p)
    rates = win_rates_of(opps, quarter_of(day), None)  # only its measured rates are used
    use = (np.array(p.close_basis) == playbook.ASSUMED) & (rates["basis"].to_numpy() == playbook.MEASURED)
    close = np.where(use, rates["win_rate"].to_numpy(float), p.close)
    words = f"{playbook.MEASURED} (won $ ÷ closed $ of the opportunities, {rates['window'].iloc[0]})"
    basis = tuple(words if u else b for u, b in zip(use.tolist(), p.close_basis, strict=True))
    return close, value_basis(p, basis)


def _since_history(history: Any, rules: Any, plays: Any, play_code: np.ndarray, ids: np.ndarray,
                   day: np.datetime64) -> np.ndarray:
    """``ready_since`` from the history panel: each period scored as a book (no history of
    its own, no reasons), then the run of periods ready with the same play (why_now)."""
    frame = history if isinstance(history, pd.DataFrame) else _accounts.frame_from_rows("history", history, None)
    then = score_book(frame, rules, plays, as_of=day, reasons=False)
    raw = _accounts.read_accounts("history", frame, require_id=True).columns.get("period")
    if raw is None:
        raise _args.InputError("history: expected a column 'period' in the header row")
    raw = raw if isinstance(raw, pd.Series) else pd.Series(np.asarray(raw, dtype=object))
    period = evidence._periods(raw)
    last = int(np.max(period)) if period.size else 0
    back = (last - period).astype(np.int64)
    depth = int(min(back.max() + 1, 600)) if back.size else 0
    where = pd.Index(pd.unique(ids)).get_indexer(then["account_id"].to_numpy(object))
    use = (where >= 0) & (back < depth)
    book_row = pd.Index(pd.unique(ids)).get_indexer(ids)
    motion = {m: k for k, m in enumerate(MOTIONS)}
    code = then["play"].map(motion).fillna(-1).to_numpy(np.int64)
    ready = np.zeros((depth, len(pd.unique(ids))), dtype=bool)
    plays_then = np.full(ready.shape, -1, dtype=np.int64)
    ready[back[use], where[use]] = then["ready"].to_numpy(bool)[use]
    plays_then[back[use], where[use]] = code[use]
    months = None
    if _dated(raw):
        months = (last - np.arange(depth)).astype("datetime64[M]")
    return why_now.since_history(ready[:, book_row], plays_then[:, book_row], months,
                                 play_code.astype(np.int64), day)


def _dated(column: Any) -> bool:
    """Whether a history's periods are dates (then ready_since can be dated from them)."""
    if column is None or not len(column):
        return False
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return True
    first = column.dropna().iloc[0] if column.notna().any() else None
    if isinstance(first, str):
        return _args.parse_number(first) is None
    return hasattr(first, "isoformat")


def _frame(columns: dict[str, np.ndarray], index: pd.Index | None) -> pd.DataFrame:
    """Columns as a DataFrame without copies; object text stays object (no string inference)."""
    n = len(next(iter(columns.values())))
    index = pd.RangeIndex(n) if index is None else index
    for k, v in columns.items():  # days as pandas' seconds by numpy (pandas converts per cell)
        if isinstance(v, np.ndarray) and v.dtype == "datetime64[D]":
            columns[k] = v.astype("datetime64[s]")
    return pd.DataFrame({k: pd.Series(v, index=index, dtype=object if v.dtype == object else None,
                                       copy=False if isinstance(v, np.ndarray) else None)
                         for k, v in columns.items()}, copy=False)


def readiness(ev: evidence.Evaluation, scored: np.ndarray | None = None):
    """(ready, low health, too early, primary motion) per account (SPEC §1, §3): ready is
    not gated and score ≥ the trigger threshold or a fired ``alone`` rule with no fired
    risk rule. The queue and the queue replay (``replay``) both read it from here."""
    low_health, too_early = evidence.gates(ev)
    if scored is not None:
        low_health &= scored
        too_early &= scored
    sufficient = ev.alone & ~ev.risk
    ready = ~(low_health | too_early) & ((ev.score >= playbook.TRIGGER_THRESHOLD) | sufficient)
    if scored is not None:
        ready &= scored
    return ready, low_health, too_early, evidence.primary(ev)


def score_accounts(accounts: Any, rules: Any = None, plays: Any = None, history: Any = None,
                   as_of: Any = None, owners: Any = None, routing: Any = "evidence",
                   opportunities: Any = None, previous: Any = None) -> pd.DataFrame:
    """The expansion queue: :data:`SCORE_COLUMNS`, one row per account, in queue order.

    >>> q = score_accounts(pd.DataFrame({"account_id": ["a1"], "seat_utilization": [0.99]}), as_of="2026-01-01")
    >>> q.loc[0, ["play", "owner", "slot"]].tolist(), float(q.loc[0, "expansion_score"])
    (['Seat expansion', '', ''], 40.0)
    """
    return score_book(accounts, rules, plays, history=history, as_of=as_of, owners=owners,
                      routing=routing, opportunities=opportunities, previous=previous, _in_order=True)


# =========================================================================== pieces


def _drop(ev: evidence.Evaluation, rows: np.ndarray) -> None:
    """Rows that are not scored (summary rows, blank ids): nothing fired there."""
    ev.fired[:, rows] = False
    ev.motion_fired[:, rows] = False
    ev.evidence[:, rows] = 0
    ev.support[:, rows] = 0
    ev.risk[rows] = False
    ev.alone[rows] = False
    for r, (waiting, held) in list(ev.waiting.items()):
        keep = ~rows[waiting]
        ev.waiting[r] = (waiting[keep], None if held is None else held[keep])


def _text(values: Any) -> Any:
    """Free text (ids, names) as pandas text, however the input held it."""
    return values.astype("str", copy=False) if isinstance(values, pd.api.extensions.ExtensionArray) \
        else pd.array(values, dtype="str")


def _names(acc: _accounts.Accounts, take: Any = slice(None)) -> pd.api.extensions.ExtensionArray:
    """The account names as pandas text ('' where blank), in the order ``take`` gives.

    Names are the users' free text: they stay pandas text (read from a file they already
    are, and are then only reordered), whatever the input held them as."""
    raw = acc.columns.get("account_name")
    if raw is None:
        return _text(_args.empty_texts(acc.n))
    if _accounts.is_text(raw) and not raw.hasnans:  # text only, no blanks: as it is
        return _text(raw.array if isinstance(take, slice) else raw.array.take(take))
    return _text(_names_of(raw)[take])


def _names_of(raw: Any) -> np.ndarray:
    names = np.asarray(raw.to_numpy(dtype=object) if hasattr(raw, "to_numpy") else raw, dtype=object)
    if pd.api.types.infer_dtype(names, skipna=False) == "string":
        return names  # text only, no blanks: as it is
    names = names.copy()
    names[pd.isna(names)] = ""
    if pd.api.types.infer_dtype(names, skipna=False) != "string":
        names = np.array([v if isinstance(v, str) else str(_args.to_python(v)) for v in names], dtype=object)
    return names


def _queue_order(ids, scored, ready, expected, score, status=None) -> np.ndarray:
    """Scored first, ready first (new plays, then plays in flight by their status),
    expected value desc, score desc, account_id asc.

    Stable sorts on rows already in account_id order: the ready plays by (expected value,
    score), the others by score alone (their expected value is 0), Not scored rows last.
    """
    n = len(ids)
    base = None if n < 2 or _ids.ascending(ids) else ids.argsort(kind="stable")
    parts = []
    groups = [scored & ready, scored & ~ready, ~scored]
    if status is not None and (status >= 0).any():
        flying = [scored & ready & (status == k) for k in range(len(playbook.PIPELINE_STATUSES))]
        groups = [scored & ready & (status < 0), *flying, *groups[1:]]
    with np.errstate(invalid="ignore"):  # NaN (Not scored) is not whole: those rows sort as floats
        whole_rows = (score == np.round(score)) & (np.abs(score) < 2**15)
    valued = expected != 0  # only ready plays carry a value: the other groups skip its sort
    for group in groups:
        rows = np.flatnonzero(group) if base is None else base[group[base]]
        s = score[rows]
        whole = s.size == 0 or bool(whole_rows[rows].all())
        key = -(s.astype(np.int16) if whole else s)  # whole scores: a radix sort
        rows = rows[np.argsort(key, kind="stable")]
        if rows.size and (valued & group).any():
            rows = rows[np.argsort(-expected[rows], kind="stable")]
        parts.append(rows)
    return np.concatenate(parts)


def _motions_text(motion_fired: np.ndarray, prim: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, texts): all fired motions, the primary first, then in MOTIONS order, '; ' joined."""
    code = prim.astype(np.int16) + 1  # code = bits of the fired motions x 6 + primary + 1
    for m in range(len(MOTIONS)):
        code += motion_fired[m] * np.int16((1 << m) * (len(MOTIONS) + 1))
    present = np.flatnonzero(np.bincount(code, minlength=1))
    labels = {}
    for c in present.tolist():
        b, first = divmod(c, len(MOTIONS) + 1)
        rest = [m for k, m in enumerate(MOTIONS) if b >> k & 1 and k != first - 1]
        labels[c] = "; ".join(([MOTIONS[first - 1]] if first else []) + rest)
    table = np.full(32 * (len(MOTIONS) + 1), "", dtype=object)
    for c, text in labels.items():
        table[c] = text
    return code, table


def _slots(order, ready, owner_code, owner_labels, caps: dict[str, float]) -> np.ndarray:
    """``this week`` or ``queued`` per ready play, in queue order, under weekly capacities.

    Phases: while no limited owner is full, every play takes its slots; the play that
    finds an owner full starts the next phase, in which plays needing that owner queue.
    At most one phase per owner, each one vectorized over a window of the plays that
    doubles while no owner fills in it (capacities are small, queues long).
    """
    n = len(order)
    limited = list(caps)
    need_label = np.zeros((len(owner_labels), len(limited)), dtype=bool)
    for j, label in enumerate(owner_labels):
        for part in str(label).split("+"):
            key = _args.normalize_key(part)
            if key in caps:
                need_label[j, limited.index(key)] = True
    q = order[ready[order]]  # ready rows in queue order
    need = need_label[owner_code[q]].T  # (owners, plays)
    cap = np.array([caps[k] for k in limited])
    used = np.zeros(len(limited))
    full = np.zeros(len(limited), dtype=bool)
    this_week = np.zeros(q.size, dtype=bool)
    start, width = 0, 1024
    while start < q.size:
        end = q.size if full.all() else min(q.size, start + width)
        eligible = ~need[full][:, start:end].any(axis=0) if full.any() else np.ones(end - start, dtype=bool)
        stop = end
        for o in np.flatnonzero(~full):
            taking = need[o, start:end] & eligible
            over = np.flatnonzero(used[o] + np.cumsum(taking) > cap[o])
            if over.size:
                stop = min(stop, start + int(over[0]))
        window = slice(start, stop)
        this_week[window] = eligible[: stop - start]
        used += (need[:, window] & eligible[: stop - start]).sum(axis=1)
        if stop == end:  # no owner filled in this window: the phase goes on, over a wider one
            start, width = end, width * 2
            continue
        full |= need[:, stop] & (used >= cap)
        start = stop
    code = np.zeros(n, dtype=np.int8)  # codes into SLOT_LABELS
    code[q] = np.where(this_week, 1, 2)
    blank_owner = np.array([label == "" for label in owner_labels])[owner_code[q]]
    code[q[blank_owner]] = 0
    return _args.labels(SLOT_LABELS, code)


def on_its_own(ev: evidence.Evaluation, rows_mask: np.ndarray, rule_of: np.ndarray | None, s: Sentences) -> None:
    """'ready on its own: 3 gated-feature requests is enough by itself (score 35, below the
    50 a play otherwise needs)' for the rows ready by an ``alone`` rule under the threshold
    (``rule_of``: the rule that made each row ready, from ``why_now.ready_rule``)."""
    num, threshold = num_text, playbook.TRIGGER_THRESHOLD
    candidates = np.flatnonzero(rows_mask) if rule_of is not None else np.array([], int)
    named = rule_of[candidates] if rule_of is not None else None
    for r, rule in enumerate(ev.rules):
        if not rule.alone:
            continue
        rows = candidates[named == r] if named is not None else candidates
        if rows.size == 0:
            continue
        codes, phrases = rule_phrase_codes(rule, ev.values, rows, tail="")
        score_code, scores = pd.factorize(ev.score[rows])
        k, uniq = pd.factorize(codes.astype(np.int64) * len(scores) + score_code)
        texts = np.array([f"ready on its own: {phrases[u // len(scores)]} is enough by itself (score "
                          f"{num(scores[u % len(scores)])}, below the {num(threshold)} a play otherwise needs)"
                          for u in uniq.tolist()], dtype=object)
        s.add(rows, k, texts)


def _queue_reasons(ev, prim, play, scored, ready, low_health, too_early, route, paired,
                   to_renewal, notes, ids, order, take, flight=None, extra=None, signal=None) -> np.ndarray:
    num, threshold = num_text, playbook.TRIGGER_THRESHOLD
    s = Sentences(ev.n)
    if flight is not None:
        rows = np.flatnonzero(flight.text != "")
        s.add(rows, flight.text[rows])
    unscored = np.flatnonzero(~scored)
    no_id = ids[unscored] == ""
    s.add(unscored[~no_id], f"{NOT_SCORED}: a summary row")
    s.add(unscored[no_id], f"{NOT_SCORED}: no account_id")
    rows = np.flatnonzero(low_health)
    s.add(rows, *per_value(rows, ev.values.get("health_score", np.zeros(ev.n)), lambda h: (
        f"{playbook.GATE_FIX_ADOPTION}: health score {num(h)} < {num(playbook.GATE_HEALTH_BELOW)}")))
    rows = np.flatnonzero(too_early)
    s.add(rows, *per_value(rows, ev.values.get("tenure_months", np.zeros(ev.n)), lambda t: (
        f"{playbook.GATE_TOO_EARLY}: tenure {months_text(t)} < {num(playbook.GATE_TENURE_BELOW)}")))
    ungated = scored & ~low_health & ~too_early
    fired_any = ev.motion_fired.any(axis=0)
    nurture = ungated & ~ready & fired_any
    rows = np.flatnonzero(nurture & ~(ev.alone & ev.risk))
    s.add(rows, *per_value(rows, ev.score, lambda v: (
        f"{NURTURE}: score {num(v)} < {num(threshold)} and no signal strong enough on its own")))
    rows = np.flatnonzero(nurture & ev.alone & ev.risk)
    s.add(rows, *per_value(rows, ev.score, lambda v: (
        f"{NURTURE}: score {num(v)} < {num(threshold)}, sufficient trigger held back by a risk signal")))
    on_its_own(ev, ready & (ev.score < threshold), signal, s)
    if route == "value":
        rows = np.flatnonzero(ready & (play != prim))
        s.add(rows, *per_value(rows, play.astype(np.int64) * 8 + prim, lambda c: (
            f"play {MOTIONS[int(c) // 8]} by expected value; strongest evidence {MOTIONS[int(c) % 8]}")))
    rule_sentences(ev, prim, s, scored)
    rows = np.flatnonzero(paired)
    if rows.size:
        s.add(rows, *per_value(rows, to_renewal, lambda d: (
            f"renewal in {num(d)} days: pair the play with the renewal conversation")))
    if extra is not None:
        s.add(*extra)
    s.add_notes(ev.notes)
    s.add_notes(notes)
    missing = missing_text(ev, open_only=True)
    if missing and ev.n:
        s.add(np.array([order[0]]), missing)
    return s.join(take)
