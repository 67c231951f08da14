#!/usr/bin/env bash
# PostgreSQL for pkg/build's tests, which run the server entrypoint of each
# supported MLflow version against it (the venvs come from
# 40-mlflow.sh, built from the images' lock files).
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
fi
