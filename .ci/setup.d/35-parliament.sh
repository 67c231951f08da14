#!/usr/bin/env bash
# parliament (Duo Labs' IAM policy linter), pinned, in its own virtual
# environment so its boto3 never moves the shared one. pkg/stacks/rules's
# TestIAMPoliciesPassParliament runs it over every policy the templates and
# the authorizer carry. Idempotent.
#
# Location: $MLFLOWCTL_PARLIAMENT_VENV, default ~/.cache/mlflowctl/parliament-venv.
set -euo pipefail

PARLIAMENT_VERSION=1.6.4
venv="${MLFLOWCTL_PARLIAMENT_VENV:-$HOME/.cache/mlflowctl/parliament-venv}"

if "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('parliament') != '$PARLIAMENT_VERSION')" 2>/dev/null; then
  exit 0
fi
mkdir -p "$(dirname "$venv")"
python3 -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "parliament==$PARLIAMENT_VERSION"
"$venv/bin/parliament" --help >/dev/null
echo "parliament $PARLIAMENT_VERSION in $venv"
