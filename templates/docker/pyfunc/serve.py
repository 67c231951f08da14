"""Entrypoint of the pyfunc serving image.

SageMaker runs the container with the argument "serve". MLflow's container
module then creates the model's environment from /opt/ml/model, starts the
scoring server on 127.0.0.1:8000 and nginx on :8080 (GET /ping,
POST /invocations). MLFLOW_ENV_MANAGER picks virtualenv (default), conda
or local.
"""

import os
import sys

COMMANDS = ("serve", "train")


def main(argv):
    command = argv[1] if len(argv) > 1 else "serve"
    if command not in COMMANDS:
        print("usage: serve.py serve  (SageMaker passes 'serve'; got %r)" % command, file=sys.stderr)
        return 2
    from mlflow.models import container

    container._init(command, os.environ.get("MLFLOW_ENV_MANAGER", "virtualenv"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
