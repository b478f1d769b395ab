"""Scoring and the queue: rules -> evidence -> score -> play -> owner -> queue (SPEC §1-§4).

``SCORE_ACCOUNTS`` and the cell functions (``EXPANSION_SCORE``, ``EXPANSION_MOTION``,
``EXPANSION_REASONS``, ``SEAT_UTILIZATION``, ``EXPANSION_OWNER``, ``EXPECTED_EXPANSION``,
``CLOSE_RATE``, ``PLAY_DUE_DATE``). The modules, in the order a row travels:
``_accounts`` (reading account tables: columns, signal values, dates), ``_ids`` (which
rows are scored, the ids as text), ``evidence``
(rules, conditions, persistence, the score and each motion's evidence), ``reasons`` (the
sentence), ``plays`` (expected increase, close rate, owner, due date), ``in_flight``
(a play against the account's opportunities), ``why_now``
(the rule that made a play ready, and since when), ``queue`` (``score_book``,
``score_accounts``: readiness, routing, slots, order), ``assignees`` (named people
for the new plays) and ``cells`` (the per-row functions
and every Excel wrapper).

Decisions a RevOps user can rely on, for every row:

- A blank cell or a missing optional column is *no signal*: its rules do not fire. A rule
  on a column outside SPEC §2 (an open signal such as ``nps``) that the table lacks never
  fires, and the reasons say which column is missing once, on the first row (of the queue,
  or of the table); a missing SPEC column is plain "no signal", which the import reports.
- ``seat_utilization`` falls back to ``seats_active / seats_licensed`` when its cell is
  blank or unusable (or the column is absent) and both seat counts are there;
  ``tenure_months`` to the whole months since ``customer_since``.
- Score = Σ points of the fired rules, kept within 0-100 (risk rules subtract).
- Primary motion = the fired motion with the most evidence (its strongest rule's points;
  ties: the sum of its fired rules' points, then MOTIONS order); blank when none fired.
- A bad cell (text, Excel error, negative count) never stops the table: the row is scored
  on its good cells and its reasons name the row (spreadsheet row, header = row 1; with
  ``headers`` given apart, the first row of values is row 1), the column and the value.
- Text results use '' for "none" (never NaN). From a DataFrame, ``expansion_motion`` and
  ``expansion_owner`` return categorical Series (cheap for a million rows).
- The Excel wrappers read account tables "raw" and clean the cells column by column:
  xlwings' per-cell conversion costs seconds on 10,000 rows outside Pyodide.

Decisions of the queue:

- Ready = not gated and (score ≥ 50, or a fired ``alone`` rule with no fired risk rule);
  the reasons of a play ready on its own say so in words ("ready on its own: 3
  gated-feature requests is enough by itself …"), those of a Nurture account that no
  signal was strong enough on its own.
- The play of a ready account is its primary motion (``routing="evidence"``, default), or
  its fired motion with the best expected value per $ of ARR (``routing="value"``; ties in
  MOTIONS order). A gated account shows its gate as the play, an ungated account that is
  not ready ``Nurture``; both have a blank owner and expected value 0. The reasons say why
  whenever the play is not the primary motion.
- Summary rows (account_id ``Total``, ``Grand total``, ``Subtotal``) and blank or error ids
  stay in the queue as ``Not scored`` (blank score), sorted last: one row in, one row out.
- Queue order: scored first, ready first, expected value descending, score descending,
  account_id ascending.
- Owners (owner, weekly_capacity): in queue order each new play takes a slot of its
  owner(s) (``CSM + Expansion AE`` takes one of each); ``slot`` is ``this week`` or
  ``queued``; an owner the table does not list has no limit; no Owners table, blank slots.
  Owners of people (name, role, motions, weekly_capacity): the new plays of a role and a
  motion are dealt in turn to the people of that role taking that motion, by capacity
  (``assignees``); ``assignee`` names them (``Ana + Bo`` for a joint play) and each
  person's slots follow their own capacity; a role nobody plays is said in the reasons.
- A renewal 0-120 days after ``as_of`` pairs the play with it: due_in_days =
  max(0, min(cycle, days to renewal − 30)) and the reasons say so.
- A ready account with a blank ``arr`` keeps its play; its expected value is 0 and the
  reasons say the value is unknown.
- ``value_basis`` says where each play's close rate and increase share come from (the
  Plays table's ``close_rate_basis`` and ``arr_increase_share_basis``; blank = assumed).
- ``ready_signal`` is the rule that makes a play ready: its strongest fired ``alone`` rule
  when the score is below the trigger threshold, else the strongest fired rule of the
  play's motion (ties: the Rules table's order).
- With ``opportunities``, a ready play whose account has an open opportunity of the play's
  motion is ``Past due`` (its close date before ``as_of``) or ``In pipeline``; else a won
  one within the play's cycle makes it ``Recently expanded``, a lost one within the Plays
  table's ``cooldown_days`` ``Cooling down`` (``pipeline_status``, with the opportunity's
  id, stage and close date). Such plays follow the new plays in the queue, take no slot
  and their due days count to the close date (or the end of the cycle or cool-down). A
  Plays close rate that is only assumed is replaced by the motion's measured win rate.
- Dates in the Excel cells of the queue (``ready_since``, ``opportunity_close_date``) are
  ISO text (``2026-12-02``); in Python they are datetime columns.
"""

from . import cells
from .cells import *  # noqa: F403

__all__ = list(cells.__all__)
