"""Governance checks as a business action: run a suite, drift, fairness or a monitor as a caller through
the governed path, record each result in the ledger, and read the ledger back through the caller's grants.

Every kind of check is a plugin of `registry.checks` (built-ins in `checks/runner.py`); `run` is the
one entry point REST, kernels and jobs use. The CLI's commands (`quality`, `drift`, `fairness`,
`explain_model`, `monitors`) are the same checks with the command line's reporting: each result
returned with the ledger id it was `recorded` as.

The ledger is governed like the data here, in `history` (history.py, entries.py), for every surface
(REST `checks/history`, `aios check history`, the dashboard's Quality page): an entry is shown only to a
reader who may read every dataset its queries read, and its values (counts, statistics, distribution labels, examples, params)
only when his view of those datasets covers the one its runner had when it ran; otherwise only its
verdicts (service/visibility.py). The links a caller sends with a check (`mlflow_run_id`, `notebook`)
are checked before anything runs (links.py): an MLflow run he started, a notebook inside the notebooks
folder. A job run's verdict is decided once, in jobs/verdicts.py.
"""

from __future__ import annotations

from aios_workbench.checks.drift import threshold_problem
from aios_workbench.jobs.verdicts import CHECKS_FAILED, job_run_verdict
from aios_workbench.service.checks.entries import governed_entry, with_words
from aios_workbench.service.checks.manager import ChecksManager

# threshold_problem: the CLI validates --stattest thresholds before any work
__all__ = ["CHECKS_FAILED", "ChecksManager", "governed_entry", "job_run_verdict", "threshold_problem", "with_words"]
