"""Fill a tracking database through the MLflow Python client (run with 2.12.2).

usage: fill.py TRACKING_URI ARTIFACT_ROOT
Writes experiments (one deleted), runs with params, metric histories and
tags (one deleted, one failed), registered models with versions in every
stage, version tags and aliases: every kind of object an upgrade must keep.
"""

import sys
import time

from mlflow.tracking import MlflowClient

uri, root = sys.argv[1], sys.argv[2]
client = MlflowClient(tracking_uri=uri, registry_uri=uri)
base = int(time.time() * 1000) - 3_600_000

run_ids = []
for e in range(3):
    exp = client.create_experiment(
        "upgrade-exp-%d" % e,
        artifact_location="%s/exp-%d" % (root, e),
        tags={"team": "ml-%d" % e, "purpose": "upgrade test ü"},
    )
    for r in range(3):
        run = client.create_run(exp, start_time=base + r, tags={"owner": "alice", "idx": str(r)}, run_name="run-%d-%d" % (e, r))
        rid = run.info.run_id
        for k in range(4):
            client.log_param(rid, "param_%d" % k, "value-%d-%d-%d" % (e, r, k))
        for step in range(5):
            client.log_metric(rid, "loss", 1.0 / (step + 1 + r), timestamp=base + step, step=step)
            client.log_metric(rid, "accuracy", 0.5 + step * 0.1, timestamp=base + step, step=step)
        client.set_tag(rid, "note", "long text " * 20)
        client.set_terminated(rid, status="FAILED" if r == 2 else "FINISHED", end_time=base + 1000 + r)
        run_ids.append(rid)
    if e == 2:
        client.delete_experiment(exp)
client.delete_run(run_ids[1])

for m in range(2):
    name = "model-%d" % m
    client.create_registered_model(name, tags={"task": "classification"}, description="model %d for the upgrade test" % m)
    for v in range(3):
        rid = run_ids[m * 3 + v]
        mv = client.create_model_version(
            name, "%s/exp-0/%s/artifacts/model" % (root, rid), run_id=rid,
            tags={"validated": str(v % 2 == 0).lower()}, description="version %d" % (v + 1),
        )
        client.transition_model_version_stage(name, mv.version, ["Archived", "Staging", "Production"][v])
    client.set_registered_model_alias(name, "champion", "3")
    client.set_registered_model_alias(name, "challenger", "2")
    client.set_model_version_tag(name, "1", "reviewed_by", "bob")
print("filled", len(run_ids), "runs")
