#!/usr/bin/env bash
# The real MLflow 2.12.2 in a venv, with the pins the 2.12.2 images use, and
# PostgreSQL: pkg/build's tests run the server and gateway entrypoints with
# them (TestServerEntrypointWithRealMLflowAndPostgres, TestGatewayWithRealMLflow).
# Idempotent: an existing venv with the same pins is kept.
set -euo pipefail
dir="${MLFLOWCTL_MLFLOW_VENV:-$HOME/.cache/mlflowctl/venv-mlflow-2.12.2}"
pins='mlflow[genai]==2.12.2 psycopg2-binary==2.9.10 sqlalchemy==2.0.36 boto3==1.35.99'

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
fi

if [ -f "$dir/.pins" ] && [ "$(cat "$dir/.pins")" = "$pins" ]; then
  exit 0
fi
rm -rf "$dir"
python3 -m venv "$dir"
# shellcheck disable=SC2086 # the pins are separate arguments
"$dir/bin/pip" install --quiet --disable-pip-version-check $pins
echo "$pins" > "$dir/.pins"
