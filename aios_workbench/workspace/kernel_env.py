"""What a kernel started by the workbench may inherit from the process that starts it.

A kernel runs a person's code, so it gets no credential of the service: not the service's token, not
Jupyter's, not a database password, not a cloud key. The rule, the same for a JupyterLab kernel of
`aios lab` (`surfaces/rest/lab_kernels.py`) and for a job's kernel (`jobs/runtime.py`):

- only variables on an allow-list are inherited (system, locale, Python and Jupyter paths, CA bundles,
  proxies, thread limits), plus the names an administrator adds on purpose (`keep`);
- of those, none whose name looks like a credential (unless it is one the administrator named), none
  whose value holds a URL with a user or password, and never one the workspace names as a secret
  (connector `*_secret` options, metadata_store.url_env, service.token_env, SMTP and lineage secrets);
- the starter then adds what the kernel needs of the workbench: the service's URL and a credential of
  its own (a per-kernel or per-run token, revoked when the kernel or the run ends).

So AIOS_TOKEN, AIOS_LAB_TOKEN, JUPYTERHUB_API_TOKEN, AIOS_SECRETS_FILE, *_PASSWORD, *_SECRET and any
variable a deployment adds later never reach a notebook.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from aios_workbench.core.errors import WorkbenchError

INHERITED = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR", "TEMP", "TMP",
    "PYTHONPATH", "PYTHONHASHSEED", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
    "PYTHONPYCACHEPREFIX",  # where an install keeps compiled bytecode; without it a kernel compiles its imports
    "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR", "JUPYTER_PLATFORM_DIRS", "IPYTHONDIR", "MPLBACKEND", "MPLCONFIGDIR",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_MAX_THREADS", "POLARS_MAX_THREADS",
    "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK",
})
INHERITED_PREFIXES = ("LC_", "XDG_")
CREDENTIAL_NAME = re.compile(r"PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|AUTH|COOKIE", re.I)
URL_WITH_USER = re.compile(r"://[^/@\s]+@")
# The service's and Jupyter's own credentials: never inherited, whoever names them in `keep`
NEVER = frozenset({"AIOS_TOKEN", "AIOS_LAB_TOKEN", "AIOS_SECRETS_FILE", "AIOS_DASHBOARD_SERVICE_TOKEN",
                   "JUPYTER_TOKEN", "JUPYTERHUB_API_TOKEN"})


def workspace_secret_names(workspace) -> set[str]:
    """Environment variables the workspace's configuration names as holding a credential (None: a workspace
    that could not be loaded names none)."""
    names: set[str] = set()
    if workspace is None:
        return names
    try:
        for declaration in workspace.connectors:
            names.update(str(v) for k, v in declaration.options.items() if k.endswith("_secret") and v)
    except WorkbenchError:
        pass  # an invalid declaration is reported elsewhere; the allow-list still keeps secrets out
    config = workspace.config
    smtp = getattr(config.notifications, "smtp", None)
    names.update(n for n in (config.metadata_store.url_env, config.service.token_env, config.lineage.api_key_secret,
                             getattr(smtp, "password_secret", None)) if n)
    return names


def inherited_environment(workspace, environ: Mapping[str, str] | None = None, *,
                          keep: Iterable[str] = ()) -> dict[str, str]:
    """The variables of `environ` (default: this process's) a kernel of `workspace` (None: one that could not
    be loaded) may inherit, by the rule above; `keep` names more variables an administrator lets through
    (never the workspace's secrets, nor those in `NEVER`)."""
    environ = os.environ if environ is None else environ
    kept = frozenset(keep)
    refused = workspace_secret_names(workspace) | NEVER
    return {name: value for name, value in environ.items()
            if name not in refused and not URL_WITH_USER.search(value)
            and (name in kept or ((name in INHERITED or name.startswith(INHERITED_PREFIXES))
                                  and not CREDENTIAL_NAME.search(name)))}
