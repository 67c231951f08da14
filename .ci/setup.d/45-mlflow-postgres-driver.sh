#!/usr/bin/env bash
# psycopg2 (the version the server images install) in the 3.18.0 venv made
# by 40-mlflow.sh, so pkg/upgrade's real-data test can run MLflow 3.18.0
# against PostgreSQL as the image does. (2.12.2 comes from the image-pinned
# venv of 50-mlflow-2.12.2.sh.) Idempotent.
set -euo pipefail
PSYCOPG2=2.9.10 # keep in step with pkg/build versionSpecs
root="${MLFLOWCTL_MLFLOW_VENVS:-$HOME/.cache/mlflowctl/mlflow-venvs}"
venv="$root/3.18.0"
if "$venv/bin/python" -c "import psycopg2, sys; sys.exit(psycopg2.__version__.split()[0] != '$PSYCOPG2')" 2>/dev/null; then
  exit 0
fi
"$root/.uv/bin/uv" pip install --quiet --python "$venv/bin/python" "psycopg2-binary==$PSYCOPG2"
