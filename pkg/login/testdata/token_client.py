"""The stock MLflow client on the token path (MLFLOW_TRACKING_URI=<...>/t,
MLFLOW_TRACKING_TOKEN from the environment). argv[1] is "admin" or
"reader"; prints one JSON object with what happened."""
import json
import os
import sys
import tempfile

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.tracking._tracking_service.utils import get_default_host_creds
from mlflow.utils.rest_utils import http_request

EXPERIMENT = "token-path-e2e"


def admin():
    mlflow.set_experiment(EXPERIMENT)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "notes.txt")
        with open(path, "w") as f:
            f.write("logged through the token path\n")
        with mlflow.start_run() as run:
            mlflow.log_metric("accuracy", 0.91)
            mlflow.log_artifact(path)
    client = MlflowClient()
    got = client.get_run(run.info.run_id)
    arts = [a.path for a in client.list_artifacts(run.info.run_id)]
    with tempfile.TemporaryDirectory() as d:
        local = client.download_artifacts(run.info.run_id, "notes.txt", d)
        with open(local) as f:
            text = f.read()
    return {
        "run_id": run.info.run_id,
        "metric": got.data.metrics.get("accuracy"),
        "artifacts": arts,
        "artifact_text": text,
        "artifact_uri": run.info.artifact_uri,
    }


def reader():
    client = MlflowClient()
    exp = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([exp.experiment_id])
    out = {"search_runs": len(runs)}
    try:
        client.create_run(exp.experiment_id)
        out["create_run"] = "allowed"
    except MlflowException as e:
        out["create_run"] = "refused"
        out["create_run_error"] = str(e)[:300]
    # The same call through MLflow's own request function, for its status.
    resp = http_request(
        get_default_host_creds(mlflow.get_tracking_uri()),
        "/api/2.0/mlflow/runs/create",
        "POST",
        json={"experiment_id": exp.experiment_id},
        max_retries=0,
    )
    out["create_run_status"] = resp.status_code
    return out


if __name__ == "__main__":
    print(json.dumps({"admin": admin, "reader": reader}[sys.argv[1]]()))
