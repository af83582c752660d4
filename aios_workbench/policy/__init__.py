"""Policy as code: the governance file's schema (enforcement lands with the governed query path)."""

from aios_workbench.policy.model import POLICY_FILE, PolicyFile, load_policy

__all__ = ["POLICY_FILE", "PolicyFile", "load_policy"]
