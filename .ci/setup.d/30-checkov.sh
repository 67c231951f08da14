#!/usr/bin/env bash
# checkov, pinned, in its own virtual environment: checkov 3.3.30 pins
# boto3==1.35.49, which in the shared Python would downgrade the
# preinstalled boto3/botocore 1.43 (and break awscli). Idempotent: a venv
# that already runs this version is left alone.
#
# Location: $MLFLOWCTL_CHECKOV_VENV, default ~/.cache/mlflowctl/checkov-venv;
# pkg/stacks's checkov test reads the same variable and default.
set -euo pipefail

CHECKOV_VERSION=3.3.30
venv="${MLFLOWCTL_CHECKOV_VENV:-$HOME/.cache/mlflowctl/checkov-venv}"

if "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  exit 0
fi
mkdir -p "$(dirname "$venv")"
python3 -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
"$venv/bin/checkov" --version
