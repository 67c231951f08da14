#!/usr/bin/env bash
# Virtual environments with the real mlflow packages, one per supported
# version, built from the same hash-locked file the server and gateway
# images install (templates/docker/requirements/mlflow-<version>.txt), for
# pkg/build's real-server tests and pkg/authz's route-coverage test.
# Before building, every lock is checked to resolve for each platform and
# Python an image is built for, so a lock no index can serve fails here,
# not in CodeBuild.
#
# Idempotent: a venv whose marker holds its lock file's hash is left alone.
# uv (pinned, in its own venv) installs in seconds where pip takes minutes.
#
# Location: $MLFLOWCTL_MLFLOW_VENVS, default ~/.cache/mlflowctl/mlflow-venvs;
# the Go tests read the same variable and default.
set -euo pipefail
cd "$(dirname "$0")/../.."

UV_VERSION=0.13.9
# Keep in step with config.SupportedMLflowVersions; the Python of each
# version's images is pkg/build's versionSpecs.
declare -A IMAGE_PYTHON=([3.18.0]=3.12 [2.12.2]=3.11)
PLATFORMS=(x86_64-manylinux_2_28 aarch64-manylinux_2_28)

root="${MLFLOWCTL_MLFLOW_VENVS:-$HOME/.cache/mlflowctl/mlflow-venvs}"
mkdir -p "$root"

uv="$root/.uv/bin/uv"
if ! "$uv" --version 2>/dev/null | grep -q " $UV_VERSION"; then
  python3 -m venv --clear "$root/.uv"
  "$root/.uv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

for v in "${!IMAGE_PYTHON[@]}"; do
  lock="templates/docker/requirements/mlflow-$v.txt"
  for platform in "${PLATFORMS[@]}"; do
    if ! "$uv" pip install --quiet --dry-run --no-deps --require-hashes --target "$root/.dry-run" \
      --python-version "${IMAGE_PYTHON[$v]}" --python-platform "$platform" -r "$lock"; then
      echo "$lock does not resolve for Python ${IMAGE_PYTHON[$v]} on $platform" >&2
      exit 1
    fi
  done
  echo "$lock resolves for Python ${IMAGE_PYTHON[$v]} on ${PLATFORMS[*]}"

  venv="$root/$v"
  want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ "$(cat "$venv/.mlflowctl-lock" 2>/dev/null)" = "$want" ]; then
    echo "$want" >"$venv/.mlflowctl-ok"
    echo "mlflow $v: ready in $venv"
    continue
  fi
  rm -rf "$venv"
  "$uv" venv --quiet --python python3 "$venv"
  "$uv" pip install --quiet --python "$venv/bin/python" --no-deps --require-hashes -r "$lock"
  got=$("$venv/bin/python" -c 'import mlflow.server, psycopg2, boto3; print(mlflow.__version__)')
  if [ "$got" != "$v" ]; then
    echo "mlflow venv $venv has mlflow $got, want $v" >&2
    exit 1
  fi
  # .mlflowctl-lock: pkg/build checks it names the lock's hash;
  # .mlflowctl-ok: pkg/authz checks the venv is complete.
  echo "$want" >"$venv/.mlflowctl-lock"
  echo "$want" >"$venv/.mlflowctl-ok"
  echo "mlflow $v: installed in $venv from $lock"
done
