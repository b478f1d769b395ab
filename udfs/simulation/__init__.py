"""NRR simulation: compounding, uncertainty and a start from the measured history (SPEC §6).

The modules: ``compounding`` (the deterministic projection, cohorts and goal-seek),
``monte_carlo`` (the percentile fan over simulated rate paths) and ``from_history`` (the
plan measured from an ARR history, and the account bootstrap). The model's exact
arithmetic is in ``compounding``'s docstring.

Decisions a leader relies on:

- NRR = 1 + Σ expansion − churn − contraction and GRR = 1 − churn − contraction, each a
  fraction of the ARR at the start of the year; monthly steps compound exactly to the
  annual figures (a year of monthly steps ends where one annual step does).
- New-logo ARR lands in equal parts through the year (a twelfth a month) and then
  behaves like every other customer.
- The Monte Carlo multiplies each rate by a mean-one lognormal factor, drawn once per
  path by default (a rate that is off stays off) or every year; a spread of 0 gives the
  deterministic path; churn and expansion draws may be correlated.
- From a history, the rates are the trailing-12-month bridge of its last month, point to
  point per account; expansion is split by motion from the won opportunities when given,
  else by the playbook and marked assumed. The bootstrap resamples the measured accounts,
  so a small book gives a wide fan.
"""

from . import compounding, from_history, monte_carlo
from .compounding import *  # noqa: F403
from .from_history import *  # noqa: F403
from .monte_carlo import *  # noqa: F403

__all__ = [*compounding.__all__, *monte_carlo.__all__, *from_history.__all__]
