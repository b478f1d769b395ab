"""Revenue records: pipeline coverage, opportunities, ARR history, retention, benchmarks (SPEC §5-§6).

The modules: ``pipeline`` (coverage, status, weighted pipeline and gap from figures),
``opportunities`` (reading the CRM's opportunities, past due, win rates, other types),
``coverage`` (booked, pipeline, past due, weighted coverage and status per quarter ×
motion × owner from them), ``arr_history`` (movements, trailing-12-month NRR/GRR and
their bridge, cohorts, from the billing system's ARR history) and ``retention`` (NRR, GRR,
compounding, benchmarks by stage and segment, readiness to run an expansion motion).

Pipeline from opportunities:

- **win rate** per motion = won $ / (won $ + lost $) of the opportunities closed in the
  last 4 closed quarters before ``as_of``; a motion with none uses the Plays close rate,
  marked ``assumed``; **required coverage** = 1 / win rate;
- **past due** = open with a close date before ``as_of`` (a deal closing on ``as_of`` is
  not): one definition, :func:`opportunities.is_past_due`, used by the Pipeline sheet and
  the queue; past-due deals are listed apart and left out of coverage unless
  ``past_due`` is TRUE (then they count in the ``as_of`` quarter);
- **booked to date** = won $ closed in the quarter on or before ``as_of`` (a win dated
  later does not count yet); **remaining target** = max(0, target − booked to date), the
  quarter's total against its own total (one motion's surplus covers another's shortfall);
- **pipeline** per quarter × motion × owner = Σ amount of the open opportunities closing
  in the quarter and not past due; **weighted pipeline** uses each opportunity's CRM
  probability when given (above 1 is read as a percent), else its motion's win rate
  (``weighting`` ``win rate``: the win rate for all); each row names what weighed it
  (``CRM probability``, ``win rate`` or ``mixed: k of n by CRM probability…``);
- **status** reads the weighted coverage = weighted pipeline / remaining target:
  ``Healthy`` from 1.0, ``Thin`` from 2/3 (the 2 : 3 of the coverage cut-offs),
  ``Undercovered`` below, ``Target met`` once booked to date reaches the target — so a
  row whose weighted pipeline covers its remaining target is never ``Undercovered``;
  coverage = pipeline / remaining target is shown beside it; with every deal weighed by
  the win rate, weighted coverage 1.0 is coverage = required coverage;
- **gap** (pipeline to create) = max(0, remaining target − weighted pipeline) × required
  coverage; the quarter's total requires Σ target × required / Σ target (3× when the
  target has no motion split).

Targets are the user's: a Targets table (quarter, motion or blank, owner or blank, target)
or one total for the ``as_of`` quarter; without one, target, remaining target, coverage,
status and gap stay blank. Opportunity types that map to no motion (new business,
renewal) are left out and listed by :func:`other_opportunities`.

ARR history:

- The history's first month is the opening book: its accounts are not counted as
  ``new`` (they may be years old) and belong to no acquisition cohort.
- One bridge, point to point (``arr_history._bridge``), for the trailing 12 months and
  for each quarter: over the accounts billed at the start, expansion, contraction and
  churn from their ARR then to their ARR now; then the rest of company ARR, named so the
  bridge closes to the cent: new-logo ARR (accounts first billed within the period, at
  their first bill), the new logos' change since their first bill, and reactivations
  (billed before, at 0 at the start, billed at the end). Expansion share of new ARR =
  expansion / (expansion + new-logo ARR) of that bridge, for the 12 months as for each
  quarter; the monthly movements are a month-over-month view and add up to more.
- A quarter the history covers in part (the one under way, to the history's last month;
  a first quarter that starts before the history) is labelled ``partial: to …`` /
  ``partial: from …`` in the quarterly bridge and in the cohort table.
- Cohort NRR(q, k) is shown once every account of the cohort has reached month k (a
  triangle: a partly observed cell would mix accounts of different ages); blank before.

Retention and benchmarks:

- ``arr_after`` / ``nrr_projection``: the starting ARR compounds at ``nrr`` every year;
  each year's new-logo ARR joins at the end of that year and compounds at ``nrr`` in the
  following years (year 1's new logos count fully at year 1, grow from year 2 on).
- ``nrr_benchmark``: a company below $1M ARR is judged against the first stage band
  ($1–5M: 95–110 %), the earliest stage the benchmark publishes; with a segment, the
  segment's typical range is used instead of the stage's.
- ``expansion_share_benchmark``: from the ARR-stage table alone (no benchmark below $1M).
- ``expansion_readiness``: annual churn of 8 % or more wins; 50+ customers with 6+ months
  of average tenure builds the motion; anything else stays acquisition-first.
"""

from . import arr_history, coverage, opportunities, pipeline, retention
from .arr_history import *  # noqa: F403
from .coverage import *  # noqa: F403
from .opportunities import *  # noqa: F403
from .pipeline import *  # noqa: F403
from .retention import *  # noqa: F403

__all__ = [*pipeline.__all__, *opportunities.__all__, *coverage.__all__, *arr_history.__all__, *retention.__all__]
