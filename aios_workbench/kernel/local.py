"""Local mode: `wb` in a plain Python process (or a notebook Papermill runs outside JupyterLab) works on the
workspace it finds, as the CLI does: the service runs in this process (`surfaces/rest/local_endpoint.py`),
as `$AIOS_USER` or the OS account, under the same governance. Chosen by `client._discover` only when no
service is named ($AIOS_SERVICE_URL, team mode) or running for this folder (JupyterLab); it says so once.
"""

from __future__ import annotations

import sys

from aios_workbench.core.errors import UnknownPolicyUser

USER_EXAMPLE = "AIOS_USER={user} python script.py"


def start_local_mode(workspace=None) -> tuple[str, str]:
    """Start the workspace's service in this process as the local user; its URL and token.

    `workspace` as `--workspace` takes it (default: $AIOS_WORKSPACE, else upward from the current folder).
    Raises WorkspaceNotFound when there is none, UnknownPolicyUser when the user is not in its policy."""
    # lazy: the workspace package loads pydantic and YAML; only when local mode starts
    from aios_workbench.workspace import Workspace
    from aios_workbench.workspace.local_user import choose_user_fix, local_user  # lazy: as above

    ws = Workspace.load(workspace)
    user = local_user()
    if user.name not in ws.policy.users:
        raise UnknownPolicyUser(
            f"local mode on workspace {ws.name!r} would act as {user.name!r} ({user.source}), who is not in "
            "the policy, so it may read nothing (deny by default)", input=user.name,
            fix=choose_user_fix(user, ws.policy.users, example=USER_EXAMPLE))
    # lazy: the service and its REST routes load only in local mode (pyproject declares this one exception)
    from aios_workbench.surfaces.rest.local_endpoint import start_local_endpoint

    endpoint = start_local_endpoint(ws, user.name)
    _announce(f"aios-workbench: local mode on workspace {ws.name!r} ({ws.root}) as user {user.name!r} "
              f"({user.source}), in this process: a convenience, not a security boundary (AIOS_SERVICE_URL selects "
              "a shared service)")
    return endpoint.url, endpoint.token


def _announce(line: str) -> None:
    """One line where the person will see it: a notebook's output (stdout, not the red stderr block), else
    the terminal's stderr."""
    stream = sys.stdout if "ipykernel" in sys.modules else sys.stderr
    print(line, file=stream, flush=True)
