"""The kernel-side client API (`import aios_workbench as wb`): it reaches the workbench service over
REST (`client.py`), tracks MLflow runs (`run.py`), promotes the notebook (`promote.py`) and renders
widgets (`ui/`). Nothing here touches the metadata store or the data sources directly."""
