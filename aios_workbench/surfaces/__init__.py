"""The surfaces people and programs use: the `aios` CLI, the Panel dashboard and the REST API (mounted in
JupyterLab's server or standalone). Each is a thin translation to calls of the workbench service."""
