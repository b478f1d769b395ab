"""Outcomes: what changed between queue snapshots, and what the flagged plays earned.

The modules: ``snapshots`` (the columns a queue snapshot keeps, the rules' version),
``changes`` (What changed against the previous snapshot), ``matching`` (flags and the
opportunities worked after them, missed expansions) and ``results`` (Playbook results
per play × owner × quarter). The store that keeps snapshots is a file the ``workbook``
package writes; everything here takes DataFrames or Excel tables.

Decisions a user relies on:

- A **snapshot** is one ``as_of`` date's scored queue, one row per account, with the
  account's segment and ARR that day and the version of the Rules and Plays tables
  (a hash of their validated cells) that scored it.
- A **ready play** is a ready row with no opportunity already on it (blank
  ``pipeline_status``): only those are new, dropped or flagged.
- **What changed**: one row per account against the previous snapshot, in this order:
  New ready, Dropped (why: the pipeline status that took it, gated, signal gone, not in
  this snapshot), Play changed, Owner changed (the named assignee when there is one),
  Score moved (10 points or more, for accounts with no other change).
- A **flag** is the first snapshot of an episode of consecutive snapshots in which the
  account is a ready play of the same play; an episode under way in the first snapshot is
  flagged there (on its ``ready_since`` day when the queue gave one).
- A flag's **window** is its play's backtest window in days (the longest cycle in 30-day
  periods, + 1 period). An expansion opportunity created on or after the flag day and
  within the window is the flag's: the latest flag of its own motion (worked as flagged),
  else the latest flag of the account (worked, other motion). A flag's outcome is its
  first opportunity's (own motion first): won, lost, open; else not worked.
- **Missed**: won expansion opportunities created during the snapshots matched to no flag.
- **Measured close rate** = won / (won + lost) of the plays worked as flagged, with its
  sample size and a 95 % Wilson interval; under 20 closed it is ``too few`` and the
  write-back into Plays leaves that play's assumption as it is.
"""

from . import changes, matching, results, snapshots
from .changes import *  # noqa: F403
from .matching import *  # noqa: F403
from .results import *  # noqa: F403
from .snapshots import *  # noqa: F403

__all__ = [*snapshots.__all__, *changes.__all__, *matching.__all__, *results.__all__]
