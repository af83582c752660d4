"""The workbench service: the governed core behind every surface.

`core.WorkbenchService` holds the logic; `routes` exposes it over REST, mounted
either in the Jupyter server (`jupyter`) or standalone with a token (`standalone`).
"""
