"""The deterministic sample: an account book and the records that agree with it.

``accounts`` builds the 300-account book (``sample_accounts``) that the demo, the model,
the apps and the tests share; ``records`` its ARR history and opportunities
(``sample_arr_history``, ``sample_opportunities``), drawn so that the history's
expansions are the export's won opportunities; ``history`` a monthly signal panel with
planted triggers (``sample_history``), so a backtest has answers known in advance;
``snapshots`` twelve weekly queue snapshots that agree with the records (``sample_snapshots``);
``team`` the people who run the plays (``sample_owners``). The bundled copies are the
``workbook/sample_*.csv`` files. Pure numpy and pandas: nothing is read or written.
"""

from . import accounts, history, records, snapshots, team
from .accounts import *  # noqa: F403
from .history import *  # noqa: F403
from .records import *  # noqa: F403
from .snapshots import *  # noqa: F403
from .team import *  # noqa: F403

__all__ = [*accounts.__all__, *history.__all__, *records.__all__, *snapshots.__all__, *team.__all__]
