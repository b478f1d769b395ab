"""Revenue records: pipeline coverage, opportunities, ARR history, retention, benchmarks (SPEC §5-§6).

The modules: ``pipeline`` (coverage, status, weighted pipeline and gap from figures),
``opportunities`` (the same per quarter × motion × owner from the CRM's opportunities, and
win rates), ``arr_history`` (movements, trailing-12-month NRR/GRR and their bridge, cohorts,
from the billing system's ARR history) and ``retention`` (NRR, GRR, compounding,
benchmarks by stage and segment, readiness to run an expansion motion).

Pipeline from opportunities:

- **win rate** per motion = won $ / (won $ + lost $) of the opportunities closed in the
  last 4 closed quarters before ``as_of``; a motion with none uses the Plays close rate,
  marked ``assumed``; **required coverage** = 1 / win rate;
- **pipeline** per quarter × motion × owner = Σ amount of the open opportunities whose
  close date falls in the quarter; **weighted pipeline** uses each opportunity's
  probability when given (above 1 is read as a percent), else its motion's win rate;
- coverage = pipeline / target; a motion row is ``Healthy`` at its required coverage,
  ``Thin`` at 2/3 of it; the quarter's total requires Σ target × required / Σ target
  (3× when the target has no motion split); gap = max(0, target × required − pipeline).

Targets are the user's: a Targets table (quarter, motion or blank, owner or blank, target)
or one total for the ``as_of`` quarter; without one, target, coverage, status and gap stay
blank. Opportunity types that map to no motion (new business, renewal) are left out and
listed by :func:`other_opportunities`.

ARR history:

- The history's first month is the opening book: its accounts are not counted as
  ``new`` (they may be years old) and belong to no acquisition cohort.
- Cohort NRR(q, k) is shown once every account of the cohort has reached month k (a
  triangle: a partly observed cell would mix accounts of different ages); blank before.
- Expansion share of new ARR per quarter = expansion / (expansion + new-logo ARR) of the
  quarter's monthly movements; reactivations are neither.

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

from . import arr_history, opportunities, pipeline, retention
from .arr_history import *  # noqa: F403
from .opportunities import *  # noqa: F403
from .pipeline import *  # noqa: F403
from .retention import *  # noqa: F403

__all__ = [*pipeline.__all__, *opportunities.__all__, *arr_history.__all__, *retention.__all__]
