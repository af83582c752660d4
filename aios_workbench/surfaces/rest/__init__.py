"""The REST API: route classes written once (`routes.py` and the `*_routes.py` modules), mounted in the
Jupyter server (`jupyter.py`) or standalone behind a token (`standalone.py`)."""
