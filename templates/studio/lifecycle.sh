#!/bin/bash
# mlflowctl: point MLflow in this JupyterLab space at the deployment's
# tracking server (SigV4 with the space's execution role). SageMaker Studio
# runs this as the space's user at each JupyterLab start; it changes files
# under $HOME only and may run any number of times. See templates/studio.
set -eu

uri='https://${RestApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod'
region='${AWS::Region}'
dir="$HOME/.mlflowctl"
mkdir -p "$dir/python" "$HOME/.ipython/profile_default/startup"

# requests-auth-aws-sigv4 signs the MLflow client's requests; unpack the
# bundled copy when the image's Python lacks it (no internet needed).
py=$(command -v python3 || command -v python || true)
if [ -z "$py" ] || ! "$py" -c 'import requests_auth_aws_sigv4' 2>/dev/null; then
  mkdir -p "$dir/python/requests_auth_aws_sigv4"
  echo '__SIGV4_MODULE__' | base64 -d | gzip -dc > "$dir/python/requests_auth_aws_sigv4/__init__.py"
fi

# Notebooks: IPython runs this file in every new kernel.
cat > "$HOME/.ipython/profile_default/startup/00-mlflowctl.py" <<PY
# Written by mlflowctl's lifecycle configuration at each JupyterLab start.
import os as _os
import sys as _sys

_os.environ.setdefault("MLFLOW_TRACKING_URI", "$uri")
_os.environ.setdefault("MLFLOW_TRACKING_AWS_SIGV4", "true")
_os.environ.setdefault("AWS_DEFAULT_REGION", "$region")
_p = _os.path.expanduser("~/.mlflowctl/python")
if _os.path.isdir(_p) and _p not in _sys.path:
    _sys.path.append(_p)
    _os.environ["PYTHONPATH"] = _os.pathsep.join(x for x in (_os.environ.get("PYTHONPATH"), _p) if x)
del _os, _sys, _p
PY

# Terminals: ~/.bashrc sources env.sh.
cat > "$dir/env.sh" <<SH
# Written by mlflowctl's lifecycle configuration at each JupyterLab start.
export MLFLOW_TRACKING_URI='$uri'
export MLFLOW_TRACKING_AWS_SIGV4=true
export AWS_DEFAULT_REGION="\$(printenv AWS_DEFAULT_REGION || echo '$region')"
if [ -n "\$(printenv PYTHONPATH)" ]; then export PYTHONPATH="\$PYTHONPATH:$dir/python"; else export PYTHONPATH='$dir/python'; fi
SH
touch "$HOME/.bashrc"
grep -q '.mlflowctl/env.sh' "$HOME/.bashrc" || echo '[ -f ~/.mlflowctl/env.sh ] && . ~/.mlflowctl/env.sh  # mlflowctl' >> "$HOME/.bashrc"
echo "mlflowctl: MLflow tracking URI $uri (SigV4)"
