"""upcell: expansion-revenue functions for Excel cells (xlwings) and Python.

Every Excel function of the catalog is here twice: as an xlwings UDF under its Excel name
(``EXPANSION_SCORE``) and as a plain Python function under its lower-case name
(``expansion_score``) that takes scalars, arrays, Series and DataFrames.

>>> import udfs
>>> udfs.pipeline_coverage(1_500_000, 500_000), udfs.coverage_status(3.0)
(3.0, 'Healthy')

The packages, each opening with the decisions a user relies on:

- ``core``: argument coercion and named errors, the playbook (labels, thresholds,
  columns, default rules and plays), record tables; it imports nothing above it.
- ``scoring``: rules, evidence, reasons, plays and the queue (``SCORE_ACCOUNTS``).
- ``backtest``: history panels, trigger backtests, tuning and the queue replay.
- ``revenue``: pipeline coverage, opportunities, ARR history, retention, benchmarks.
- ``simulation``: NRR compounding, Monte Carlo, the start from a measured history.
- ``outcomes``: queue snapshots, what changed, flagged plays' outcomes, playbook results.
- ``samples``: the sample book and the records that agree with it.
- ``connect``: the "Connect model" script of xlwings Lite and Server.

Importing does no I/O and needs only numpy, pandas and xlwings, so xlwings Lite can run
the package in Excel (Windows, Mac, web). The Windows add-in loads it with
``UDF Modules = udfs``.
"""

from .backtest import *  # noqa: F403  (TRIGGER_FIRES, TRIGGER_BACKTEST, tuning, replay, history)
from .connect import *  # noqa: F403  (the "Connect model" script of xlwings Lite and Server)
from .core import *  # noqa: F403  (vocabulary and defaults)
from .outcomes import *  # noqa: F403  (snapshots, what changed, outcomes, playbook results)
from .revenue import *  # noqa: F403  (pipeline, opportunities, ARR history, retention)
from .samples import *  # noqa: F403  (the sample book and its records)
from .scoring import *  # noqa: F403  (SCORE_ACCOUNTS, EXPANSION_SCORE, plays, owners)
from .simulation import *  # noqa: F403  (NRR compounding, Monte Carlo, from a history)
