"""Properties of the revised queue (hypothesis), on random books and on the sample book.

- the score stays within 0-100 whatever the points, negative ones included;
- adding a rule that fires with positive points never lowers a score;
- a fired ``alone`` rule makes every ungated account with no fired risk rule ready;
- a risk rule never raises a score, and lowers it unless the score is clamped;
- every queue row's play is its primary motion unless gated, Nurture or Not scored;
- seat-led accounts are seat plays owned by CS as §4 says (CSM, + Expansion AE from $25K).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import udfs
from tests.conftest import call_udf
from udfs.core import _args, playbook
from udfs.core.playbook import MOTIONS
from udfs.samples.accounts import SAMPLE_AS_OF
from udfs.scoring import _ids

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GATES = {playbook.GATE_FIX_ADOPTION, playbook.GATE_TOO_EARLY}


def maybe(strategy, p_blank=True):
    return st.one_of(st.none(), strategy) if p_blank else strategy


fraction = st.floats(0, 1.4, allow_nan=False).map(lambda v: round(v, 3))
growth = st.floats(-0.5, 0.8, allow_nan=False).map(lambda v: round(v, 3))
count = st.integers(0, 8)
ROW = {
    "arr": maybe(st.integers(500, 600_000)),
    "segment": maybe(st.sampled_from(["SMB", "Mid-market", "Enterprise"])),
    "seat_utilization": maybe(fraction),
    "usage_vs_cap": maybe(fraction),
    "usage_trend_90d": maybe(growth),
    "next_tier_feature_adoption": maybe(st.floats(0, 1, allow_nan=False)),
    "gated_feature_requests_90d": maybe(count),
    "pricing_page_visits_30d": maybe(count),
    "active_user_growth_60d": maybe(growth),
    "headcount_growth_90d": maybe(growth),
    "funding_event_days_ago": maybe(st.integers(0, 400)),
    "new_department_users_30d": maybe(count),
    "cross_sell_intent_7d": maybe(count),
    "champion_promoted_90d": maybe(st.booleans()),
    "champion_left_90d": maybe(st.booleans()),
    "health_score": maybe(st.integers(0, 100)),
    "tenure_months": maybe(st.integers(0, 60)),
}
books = st.lists(st.fixed_dictionaries(ROW), min_size=1, max_size=12)


def frame(records) -> pd.DataFrame:
    book = pd.DataFrame(records, columns=list(ROW))
    book.insert(0, "account_id", [f"a{i}" for i in range(len(book))])
    return book


def excel(book: pd.DataFrame) -> list[list]:
    body = book.astype(object).where(book.notna(), None).values.tolist()
    return [list(book.columns)] + body


# random rule tables: any signal of the row, any sign; risk rules have no motion
rule_rows = st.lists(
    st.tuples(st.sampled_from([c for c in ROW if c not in ("arr", "segment")]),
              st.sampled_from([">=", "<=", ">", "<"]), st.floats(-0.5, 10, allow_nan=False),
              st.integers(-80, 80), st.sampled_from(MOTIONS), st.booleans()),
    min_size=1, max_size=8,
)


def rules_range(rows) -> list[list]:
    out = [list(playbook.RULE_TABLE_COLUMNS)]
    for i, (signal, op, threshold, points, motion, alone) in enumerate(rows):
        risk = points < 0
        out.append([f"r{i}", signal, op, threshold, points, None if risk else motion,
                    alone and not risk, None, None])
    return out


@SETTINGS
@given(records=books, rows=rule_rows)
def test_score_stays_within_0_100_with_negative_points(records, rows):
    scores = call_udf("EXPANSION_SCORE", excel(frame(records)), None, rules_range(rows))
    assert all(0 <= s[0] <= 100 for s in scores)


@SETTINGS
@given(records=books, rows=rule_rows, points=st.integers(1, 60), motion=st.sampled_from(MOTIONS))
def test_adding_a_fired_positive_rule_never_lowers_a_score(records, rows, points, motion):
    book = frame(records).assign(always=1.0)
    rules = rules_range(rows)
    before = udfs.expansion_score(book, rules=rules)
    more = rules + [["extra", "always", ">=", 0, points, motion, False, None, None]]
    after = udfs.expansion_score(book, rules=more)
    assert (after >= before).all()


@SETTINGS
@given(records=books, rows=rule_rows)
def test_an_alone_rule_makes_every_ungated_account_with_no_fired_risk_rule_ready(records, rows):
    book = frame(records).assign(trigger=1.0)
    rules = rules_range(rows) + [["sufficient", "trigger", ">=", 1, 5, "Cross-sell", True, None, None]]
    q = udfs.score_book(book, rules=rules, as_of="2026-06-01")
    compiled = udfs.scoring.evidence.rules(rules)
    risk = np.zeros(len(book), dtype=bool)
    values = {c: pd.to_numeric(book[c], errors="coerce").to_numpy(dtype=float) for c in ROW if c != "segment"}
    values["seat_utilization"] = values["seat_utilization"]
    for rule in compiled:
        if rule.motion == udfs.scoring.evidence.RISK:
            risk |= udfs.scoring.evidence.holds(rule, values, len(book))
    gated = q["play"].isin(GATES).to_numpy()
    assert q["ready"].to_numpy()[~gated & ~risk].all()
    assert (q["ready"].to_numpy() <= ~gated).all()


@SETTINGS
@given(records=books)
def test_a_risk_rule_never_raises_a_score_and_lowers_it_unless_clamped(records):
    book = frame(records).assign(champion_left_90d=False)
    before = udfs.expansion_score(book).to_numpy()
    after = udfs.expansion_score(book.assign(champion_left_90d=True)).to_numpy()
    assert (after <= before).all()
    # lower, unless the clamp hides it: already 0, or a sum so far above 100 that it stays 100
    assert ((after < before) | (before == 0) | (before == 100)).all()
    below = (before < 100)
    assert np.array_equal(after[below], np.maximum(0, before[below] - 40))


def _check_queue(q: pd.DataFrame) -> None:
    scored = q["play"] != playbook.NOT_SCORED
    ready = q["ready"]
    assert (q.loc[ready, "play"] == q.loc[ready, "primary_motion"]).all()
    other = scored & ~ready
    assert q.loc[other, "play"].isin(GATES | {playbook.NURTURE}).all()
    assert (q.loc[other & ~q["play"].isin(GATES), "play"] == playbook.NURTURE).all()
    seats = ready & (q["primary_motion"] == "Seat expansion")
    assert (q.loc[seats, "play"] == "Seat expansion").all()
    assert q.loc[seats, "owner"].isin({"CSM", "CSM + Expansion AE", ""}).all()
    # the queue is ready first, by expected value
    rank = np.arange(len(q))
    if ready.any() and (~ready).any():
        assert rank[ready.to_numpy()].max() < rank[(~ready).to_numpy()].min()
    ev = q.loc[ready, "expected_value"].to_numpy()
    assert (np.diff(ev) <= 1e-9).all()


@SETTINGS
@given(records=books)
def test_on_random_books_the_play_is_the_primary_motion_unless_gated_or_nurture(records):
    book = frame(records)
    out = call_udf("SCORE_ACCOUNTS", excel(book), None, None, None, "2026-06-01")
    q = pd.DataFrame(out[1:], columns=out[0])
    _check_queue(q)
    arr = book.set_index("account_id")["arr"].reindex(q["account_id"]).to_numpy(dtype=float)
    seat = (q["play"] == "Seat expansion").to_numpy()
    want = np.where(arr >= 25_000, "CSM + Expansion AE", "CSM")
    known = seat & ~np.isnan(arr)
    assert (q["owner"].to_numpy()[known] == want[known]).all()


def test_on_the_sample_book_the_story_is_consistent():
    q = udfs.score_accounts(udfs.sample_accounts(), as_of=SAMPLE_AS_OF)
    _check_queue(q)
    motions_first = q.loc[q["ready"], "motions"].str.split("; ").str[0]
    assert (motions_first == q.loc[q["ready"], "play"]).all()  # motions lead with the play
    for _, row in q[q["ready"] & (q["expansion_score"] < 50)].iterrows():
        assert row["reasons"].startswith("ready on its own: ")


@SETTINGS
@given(
    n=st.integers(1, 60),
    pieces=st.lists(st.tuples(st.integers(1, 200_000), st.integers(0, 2**32 - 1)), max_size=12),
)
def test_sentences_equal_joining_each_row(n, pieces):
    """The reasons text keys each row by its phrases and builds each distinct sentence once:
    every row's sentence equals joining that row's own phrases in the order they were added,
    however many pieces and however large their tables (keys renumbered along the way)."""
    from udfs.scoring.reasons import SEP, Sentences

    rng = np.random.default_rng(len(pieces) * 1000 + n)
    s, want = Sentences(n), [[] for _ in range(n)]
    for size, seed in pieces:
        r = np.random.default_rng(seed)
        rows = np.flatnonzero(r.random(n) < 0.6)
        codes = r.integers(0, min(size, 3), rows.size) + (size - min(size, 3))  # high codes too
        table = np.empty(size, dtype=object)
        used = np.unique(codes)
        table[used] = [f"p{seed % 97}-{c}" for c in used]
        s.add(rows, codes, table)
        for i, c in zip(rows.tolist(), codes.tolist(), strict=True):
            want[i].append(table[c])
    take = rng.permutation(n)
    assert s.join().tolist() == [SEP.join(w) for w in want]
    assert s.join(take).tolist() == [SEP.join(want[i]) for i in take]


def test_ready_signal_is_the_strongest_rule_of_the_play():
    """Why now, on the sample book: a ready play's signal is its strongest fired rule of the
    play's motion (the strongest fired ``alone`` rule when the score is below the trigger
    threshold), the first of equal points in the Rules table's order; '' when not ready."""
    from udfs.scoring import _accounts, evidence, why_now
    from udfs.scoring.queue import readiness

    book = udfs.sample_accounts(300, seed=3)
    acc = _accounts.read_accounts("accounts", book)
    ev = evidence.evaluate(acc, evidence.rules())
    ready, _, _, prim = readiness(ev)
    play = np.where(ready, prim, -1)
    got = why_now.signal_names(ev)[why_now.ready_rule(ev, ready, play)]
    assert ready.sum() >= 20 and (ev.score[ready] < playbook.TRIGGER_THRESHOLD).any()
    for i in range(ev.n):
        want = ""
        if ready[i]:
            alone = ev.score[i] < playbook.TRIGGER_THRESHOLD
            mine = [r for k, r in enumerate(ev.rules) if ev.fired[k, i]
                    and (r.alone if alone else r.motion == play[i])]
            want = max(mine, key=lambda r: r.points).name if mine else ""
        assert got[i] == want, i


# --------------------------------------------------------------------------- ids from Arrow buffers

ID_TEXT = st.text(alphabet=st.sampled_from(list("aZ09-#/ é€😀") + list(_ids.WHITESPACE)), max_size=6)


@SETTINGS
@given(cells=st.lists(ID_TEXT, max_size=30), cut=st.integers(0, 5), split=st.integers(0, 30))
@example(cells=["ACC-1", "ACC-2\u2000"], cut=0, split=1)  # a space whose last byte is 0x80
@example(cells=["ACC-1", "\xa0ACC-2", "ACC-3 "], cut=1, split=2)
@example(cells=["", "ACC-1", ""], cut=1, split=1)  # empty cells read no neighbour's byte
def test_ids_read_from_arrow_buffers_equal_the_strings_own_bytes(cells, cut, split):
    """The edges of each id (first, last byte, length) read from Arrow's buffers, on sliced
    and chunked columns, equal the UTF-8 bytes of the text; and the column needs no trim
    exactly when ``str.strip`` changes none of its cells."""
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    whole = pd.Series(cells, dtype=text)
    chunked = pd.concat([whole.iloc[:split], whole.iloc[split:]], ignore_index=True)  # two Arrow chunks
    for raw in (whole, whole.iloc[cut:], chunked):
        first, last, size = _ids._edges(raw)
        data = [c.encode() for c in raw.tolist()]
        assert size.tolist() == [len(b) for b in data]
        assert first.tolist() == [b[0] if b else 0 for b in data]
        assert last.tolist() == [b[-1] if b else 0 for b in data]
        assert _ids._trimmed(raw, (first, last, size)) == all(c == c.strip(_ids.WHITESPACE) for c in raw)


# --------------------------------------------------------------------------- slots under capacity


def _slots_one_by_one(order, ready, owner_code, owner_labels, caps):
    """The slots' definition, one play at a time down the queue: a play needing an owner
    who is full queues; a play that would take an owner past capacity fills that owner
    and queues; any other play takes a slot of each owner it needs this week."""
    used = dict.fromkeys(caps, 0)
    full = dict.fromkeys(caps, False)
    out = [""] * len(order)
    for i in order:
        if not ready[i]:
            continue
        label = owner_labels[owner_code[i]]
        need = [k for k in (_args.normalize_key(x) for x in label.split("+")) if k in caps]
        if label == "":
            continue
        if any(full[o] for o in need):
            out[i] = playbook.QUEUED
        elif any(used[o] + 1 > caps[o] for o in need):
            for o in need:
                full[o] = full[o] or used[o] >= caps[o]
            out[i] = playbook.QUEUED
        else:
            for o in need:
                used[o] += 1
            out[i] = playbook.THIS_WEEK
    return out


@SETTINGS
@given(n=st.integers(0, 6000), caps=st.lists(st.integers(0, 4000), min_size=2, max_size=2),
       seed=st.integers(0, 2**16))
def test_slots_equal_dealing_them_one_play_at_a_time(n, caps, seed):
    """Capacities large enough to fill past the first windows of plays, and small ones."""
    from udfs.scoring import queue as queue_module

    rng = np.random.default_rng(seed)
    labels = ["CSM", "Expansion AE", "CSM + Expansion AE", "", "Self-serve"]
    owner_code = rng.integers(0, len(labels), n)
    ready = rng.random(n) < 0.8
    order = rng.permutation(n)
    cap = {"csm": caps[0], "expansion_ae": caps[1]}
    got = queue_module._slots(order, ready, owner_code, labels, cap)
    assert list(got) == _slots_one_by_one(order, ready, owner_code, labels, cap)
