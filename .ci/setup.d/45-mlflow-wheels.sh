#!/usr/bin/env bash
# The released mlflow wheels whose built UI pkg/uihost's browser test
# (TestRealUIInChromium) patches by the prebuilt path. Downloaded once with
# pip, pinned by version and sha256 (the digests PyPI lists for these
# files); a file whose digest differs is deleted and the script fails.
#
# Location: $MLFLOWCTL_WHEELS, default ~/.cache/mlflowctl/wheels; the Go
# test reads the same variable and default.
set -euo pipefail
dir="${MLFLOWCTL_WHEELS:-$HOME/.cache/mlflowctl/wheels}"
mkdir -p "$dir"
# Keep in step with config.SupportedMLflowVersions.
declare -A SHA256=(
  [3.18.0]=be7d84ba0d0b12392f5b53260cdb3e6d7b7ef4b80c29da90a89b5a1f6db7102f
  [2.12.2]=38dd04710fe64ee8229b7233b4d91db32c3ff887934c40d926246a566c886c0b
)
for v in "${!SHA256[@]}"; do
  f="$dir/mlflow-$v-py3-none-any.whl"
  if [ ! -f "$f" ] || ! echo "${SHA256[$v]}  $f" | sha256sum --check --status; then
    # pip download keeps a file of the same name that is already there
    # ("File was already downloaded"), so a wrong one goes first.
    rm -f "$f"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      "mlflow==$v" -d "$dir"
  fi
  if ! echo "${SHA256[$v]}  $f" | sha256sum --check --status; then
    rm -f "$f"
    echo "mlflow $v wheel does not match its pinned sha256 ${SHA256[$v]}" >&2
    exit 1
  fi
done
