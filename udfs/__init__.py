"""upcell: expansion-revenue functions for Excel cells (xlwings) and Python.

Every Excel function of SPEC §8 is here twice: as an xlwings UDF under its Excel name
(``EXPANSION_SCORE``) and as a plain Python function under its lower-case name
(``expansion_score``) that takes scalars, arrays, Series and DataFrames.

>>> import udfs
>>> udfs.pipeline_coverage(1_500_000, 500_000), udfs.coverage_status(3.0)
(3.0, 'Healthy')

Importing does no I/O and needs only numpy, pandas and xlwings, so xlwings Lite can run
the package in Excel (Windows, Mac, web). The Windows add-in loads it with
``UDF Modules = udfs``.
"""

from .arr_history import *  # noqa: F403  (ARR_MOVEMENTS, RETENTION_FROM_HISTORY, COHORT_NRR)
from .backtest import *  # noqa: F403  (TRIGGER_FIRES, TRIGGER_BACKTEST, curves)
from .backtest_tuning import *  # noqa: F403  (recommendations, walk-forward, bootstrap, points)
from .connect import *  # noqa: F403  (the "Connect model" script of xlwings Lite and Server)
from .history import *  # noqa: F403  (account-period history panels for backtests)
from .opportunities import *  # noqa: F403  (PIPELINE_FROM_OPPORTUNITIES, WIN_RATES, ...)
from .pipeline import *  # noqa: F403  (PIPELINE_COVERAGE, COVERAGE_STATUS, ...)
from .playbook import *  # noqa: F403  (vocabulary and defaults)
from .replay import *  # noqa: F403  (queue replay: the whole decision, period by period)
from .retention import *  # noqa: F403  (NRR, GRR, ARR_AFTER, NRR_PROJECTION, ...)
from .sample import *  # noqa: F403  (deterministic sample account book)
from .sample_records import *  # noqa: F403  (sample ARR history and opportunities that agree with it)
from .scoring import *  # noqa: F403  (SCORE_ACCOUNTS, EXPANSION_SCORE, plays, owners)
from .simulate import *  # noqa: F403  (NRR compounding engine, Monte Carlo)
from .simulate_history import *  # noqa: F403  (the simulation from a measured ARR history, bootstrap)
