"""Loading the MLflow model a check explains, from the workspace's tracking store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aios_workbench.core.errors import NotFound, UsageError
from aios_workbench.tracking import tracking_uri

if TYPE_CHECKING:
    from aios_workbench.workspace import Workspace


def load_model(ws: Workspace, uri: str) -> Any:
    """The model at MLflow URI `uri` (models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN/PATH) from the
    workspace's tracking store: its scikit-learn flavour when it has one, else its pyfunc."""
    if not uri.startswith(("models:/", "runs:/")):
        raise UsageError(f"{uri!r} is not an MLflow model URI", input=uri,
                         fix="name a registered version (models:/shipment-delay/1, models:/shipment-delay@champion) "
                             "or a run's model (runs:/RUN_ID/model); `aios models ls` lists them")
    import mlflow  # heavy (seconds): only when a model is explained
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri(ws))
    try:
        try:
            return mlflow.sklearn.load_model(uri)
        except MlflowException as exc:
            if "flavor" not in str(exc).lower():
                raise
            return mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        raise NotFound(f"no model at {uri}: {str(exc).splitlines()[0]}", input=uri,
                       fix="check the name, version or alias with `aios models ls`, or the run id") from None
