"""Governance checks: data quality, drift, fairness, explainability. Each returns a `CheckResult`."""

from aios_workbench.checks.result import CheckItem, CheckResult, Status

__all__ = ["CheckItem", "CheckResult", "Status"]
