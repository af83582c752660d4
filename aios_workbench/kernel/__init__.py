"""The kernel-side client API (`import aios_workbench as wb`): it reaches the workbench service over
REST (`client.py`), tracks MLflow runs (`run.py`), promotes the notebook (`promote.py`) and renders
widgets (`ui/`). Nothing here touches the metadata store or the data sources directly. Outside JupyterLab,
with no service named, `local.py` starts the workspace's service in this process and the client talks to
it over REST all the same (local mode, as the CLI works)."""
