"""aios-workbench: governed data, experiments, checks and production jobs for Jupyter.

`import aios_workbench as wb` is the kernel-side client API. This module holds
only the version, the Jupyter discovery functions and lazy access to the client,
so importing it stays fast; heavy libraries load where they are used.
"""

from __future__ import annotations

from aios_workbench._version import __version__ as __version__

_CLIENT_API = {"status", "connect", "sql", "table", "quality", "monitor", "drift", "fairness", "explain",
               "register_model", "catalog", "runs", "write"}
_TRACKING_API = {"run", "active_run", "set_experiment"}
_JOBS_API = {"promote"}
_ACTIONS_API = {"propose", "actions"}
_SIMULATION_API = {"simulate"}


def __getattr__(name: str):
    if name in _CLIENT_API:
        # lazy: keeps `import aios_workbench` fast in kernels; the client loads on first wb.<name>
        from aios_workbench.kernel import client

        return getattr(client, name)
    if name in _TRACKING_API:
        # lazy: tracking API (MLflow store helpers) loads on first wb.run/active_run/set_experiment
        from aios_workbench.kernel import run

        return getattr(run, name)
    if name in _JOBS_API:
        from aios_workbench.kernel import promote as client_api  # lazy: promotion client loads on first wb.promote

        return getattr(client_api, name)
    if name in _ACTIONS_API:
        from aios_workbench.kernel import actions  # lazy: the approval queue's client loads on first wb.propose

        return getattr(actions, name)
    if name in _SIMULATION_API:
        from aios_workbench.kernel import simulate  # lazy: numpy and polars load on first wb.simulate

        return simulate.simulate
    raise AttributeError(f"module 'aios_workbench' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_CLIENT_API, *_TRACKING_API, *_JOBS_API, *_ACTIONS_API, *_SIMULATION_API])


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "aios-workbench"}]


def _jupyter_server_extension_points():
    return [{"module": "aios_workbench.surfaces.rest.jupyter"}]
