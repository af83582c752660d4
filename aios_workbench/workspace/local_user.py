"""Who a local process acts as: `$AIOS_USER`, else the OS account.

One rule for every local surface (the `aios` commands, `aios lab`, `import aios_workbench as wb` in local
mode), and one way to say how to act as someone else when that user is not in the policy.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

USER_ENV = "AIOS_USER"


@dataclass(frozen=True)
class LocalUser:
    name: str
    source: str   # how it was chosen, as a person reads it: "$AIOS_USER", "the OS account", "--user"


def local_user(environ: Mapping[str, str] | None = None) -> LocalUser:
    """`$AIOS_USER`, else the OS account."""
    env = os.environ if environ is None else environ
    if env.get(USER_ENV):
        return LocalUser(env[USER_ENV], f"${USER_ENV}")
    try:
        return LocalUser(getpass.getuser(), "the OS account")
    except Exception:  # noqa: BLE001 - no name for this uid (a container's anonymous user)
        return LocalUser(str(os.getuid()) if hasattr(os, "getuid") else "unknown", "the OS account")


def choose_user_fix(user: LocalUser, policy_users: Iterable[str], *, example: str) -> str:
    """How to act as a policy user instead of `user`, who is not one. `example` is the command to show,
    with `{user}` where a user's name goes (e.g. "AIOS_USER={user} aios sql ...")."""
    known = sorted(policy_users)
    shown = ", ".join(known[:6]) + (" ..." if len(known) > 6 else "")
    sample = example.format(user=known[0] if known else "NAME")
    if user.source == f"${USER_ENV}":
        start = f"${USER_ENV} names {user.name!r}, who is not a policy user: set it to one"
    elif user.source == "--user":
        start = "name a policy user"
    else:
        start = (f"with ${USER_ENV} unset you act as the OS account {user.name!r}: set ${USER_ENV} to a "
                 "policy user")
    users = f" ({shown})" if known else " (governance/policy.yaml lists none yet)"
    return (f"{start}{users}, e.g. `{sample}`, or add `{user.name}:` with its roles under `users:` in "
            "governance/policy.yaml")
