#!/usr/bin/env bash
# Virtual environments with the real mlflow packages, one per supported
# version, for pkg/authz's route-coverage test (it lists every route the
# tracking server registers). Idempotent: a venv whose marker names its
# version is left alone. uv (pinned, in its own venv) installs in seconds
# where pip takes minutes.
#
# Location: $MLFLOWCTL_MLFLOW_VENVS, default ~/.cache/mlflowctl/mlflow-venvs;
# the Go test reads the same variable and default.
set -euo pipefail

UV_VERSION=0.13.9
# Keep in step with config.SupportedMLflowVersions.
VERSIONS=(3.18.0 2.12.2)
# Each venv resolves against the index as it was on a fixed day, so a
# fresh machine gets the same dependencies: 2.12.2 shortly after it shipped
# (numpy 1, pyarrow < 16, ... as it was built for), 3.18.0 as tested here.
declare -A EXCLUDE_NEWER=([2.12.2]=2024-05-15T00:00:00Z [3.18.0]=2026-11-26T00:00:00Z)
# What else each venv needs: 2.x runs the AI gateway as its own server
# (the gateway extra), and 2.12.2 imports pkg_resources, which uv's venvs
# do not carry by default.
declare -A EXTRA=([2.12.2]="mlflow[gateway]==2.12.2 setuptools==69.5.1")

root="${MLFLOWCTL_MLFLOW_VENVS:-$HOME/.cache/mlflowctl/mlflow-venvs}"
mkdir -p "$root"

uv="$root/.uv/bin/uv"
if ! "$uv" --version 2>/dev/null | grep -q " $UV_VERSION"; then
  python3 -m venv --clear "$root/.uv"
  "$root/.uv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# The full mlflow wheel carries every module of mlflow-skinny and
# mlflow-tracing, but pins both to its own version. When the index has the
# full wheel before those two (seen for 3.18.0), resolve the dependencies
# with the newest published pair, then replace all three with the full
# wheel alone so every mlflow module is the requested version.
newest() {
  python3 -m pip index versions "$1" 2>/dev/null | sed -n "s/^$1 (\(.*\))$/\1/p"
}

install_without_split_packages() {
  local venv=$1 v=$2; shift 2
  local skinny tracing
  skinny=$(newest mlflow-skinny)
  tracing=$(newest mlflow-tracing)
  printf 'mlflow-skinny==%s\nmlflow-tracing==%s\n' "$skinny" "$tracing" >"$venv/overrides.txt"
  echo "mlflow $v: index lacks mlflow-skinny/mlflow-tracing $v; dependencies from $skinny/$tracing" >&2
  "$uv" pip install "$@" --override "$venv/overrides.txt" "mlflow==$v"
  "$uv" pip uninstall --quiet --python "$venv/bin/python" mlflow mlflow-skinny mlflow-tracing
  "$uv" pip install "$@" --no-deps "mlflow==$v"
}

for v in "${VERSIONS[@]}"; do
  venv="$root/$v"
  want="mlflow==$v ${EXTRA[$v]:-} ${EXCLUDE_NEWER[$v]:-}"
  if [ "$(cat "$venv/.mlflowctl-ok" 2>/dev/null)" = "$want" ]; then
    echo "mlflow $v: ready in $venv"
    continue
  fi
  rm -rf "$venv"
  "$uv" venv --quiet --python python3 "$venv"
  args=(--quiet --python "$venv/bin/python")
  if [ -n "${EXCLUDE_NEWER[$v]:-}" ]; then
    args+=(--exclude-newer "${EXCLUDE_NEWER[$v]}")
  fi
  # shellcheck disable=SC2086 # EXTRA holds a space-separated package list
  if ! "$uv" pip install "${args[@]}" "mlflow==$v" ${EXTRA[$v]:-} 2>"$root/uv-$v.log"; then
    install_without_split_packages "$venv" "$v" "${args[@]}"
  fi
  got=$("$venv/bin/python" -c 'import mlflow.server; print(mlflow.__version__)')
  if [ "$got" != "$v" ]; then
    echo "mlflow venv $venv has mlflow $got, want $v" >&2
    exit 1
  fi
  echo "$want" >"$venv/.mlflowctl-ok"
  echo "mlflow $v: installed in $venv"
done
