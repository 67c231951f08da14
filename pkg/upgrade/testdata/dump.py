"""Print every tracking and registry object as canonical JSON (2.12.2 and 3.x).

usage: dump.py TRACKING_URI   (a database URI or the server's http URL)
Only fields both versions have, sorted, so two dumps compare byte for byte.
"""

import json
import sys

from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

uri = sys.argv[1]
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
out = {"experiments": [], "runs": [], "models": []}

exps = client.search_experiments(view_type=ViewType.ALL)
for e in exps:
    out["experiments"].append({
        "id": e.experiment_id, "name": e.name, "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage, "tags": dict(e.tags), "creation_time": e.creation_time,
    })
    for run in client.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=1000):
        i, d = run.info, run.data
        out["runs"].append({
            "run_id": i.run_id, "experiment_id": i.experiment_id, "run_name": i.run_name,
            "status": i.status, "start_time": i.start_time, "end_time": i.end_time,
            "lifecycle_stage": i.lifecycle_stage, "artifact_uri": i.artifact_uri,
            "params": dict(d.params), "tags": dict(d.tags), "metrics": dict(d.metrics),
            "history": {
                key: sorted([m.step, m.timestamp, m.value] for m in client.get_metric_history(i.run_id, key))
                for key in d.metrics
            },
        })

for m in client.search_registered_models(max_results=1000):
    versions = []
    for found in client.search_model_versions("name='%s'" % m.name):
        # 2.12.2's search leaves aliases out; get_model_version has them.
        v = client.get_model_version(m.name, found.version)
        versions.append({
            "version": str(v.version), "source": v.source, "run_id": v.run_id, "stage": v.current_stage,
            "description": v.description, "tags": dict(v.tags), "aliases": sorted(v.aliases or []),
            "status": v.status, "creation_timestamp": v.creation_timestamp,
        })
    out["models"].append({
        "name": m.name, "description": m.description, "tags": dict(m.tags),
        "aliases": {k: str(v) for k, v in (m.aliases or {}).items()}, "creation_timestamp": m.creation_timestamp,
        "versions": sorted(versions, key=lambda v: int(v["version"])),
    })

for key in out:
    out[key].sort(key=lambda o: json.dumps(o, sort_keys=True))
json.dump(out, sys.stdout, sort_keys=True, indent=1)
