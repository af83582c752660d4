"""Synthetic procurement data for demos and tests: `generate_demo_data(out_dir, seed=7, scale=1.0)`."""

from aios_workbench.demo.generate import DEMO_DATA_DIR, DemoManifest, generate_demo_data, read_manifest
from aios_workbench.demo.tables import InjectedIssue

__all__ = ["DEMO_DATA_DIR", "DemoManifest", "InjectedIssue", "generate_demo_data", "read_manifest"]
