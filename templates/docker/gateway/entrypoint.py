"""Start the MLflow 2.x AI gateway inside its container.

Environment (set by the task definition): HOST (0.0.0.0), PORT (5001), WORKERS (2),
GATEWAY_CONFIG (the endpoint file; default: the one built into the image).
"""

import os
import sys

CONFIG_DEFAULT = "/opt/mlflowctl/gateway.yaml"


def gateway_args(env):
    return [
        "deployments", "start-server",
        "--config-path", env.get("GATEWAY_CONFIG") or CONFIG_DEFAULT,
        "--host", env.get("HOST") or "0.0.0.0",
        "--port", env.get("PORT") or "5001",
        "--workers", env.get("WORKERS") or "2",
    ]


def main():
    args = gateway_args(os.environ)
    print("mlflowctl: mlflow " + " ".join(args), file=sys.stderr)
    os.execvp("mlflow", ["mlflow"] + args)
    return 1


if __name__ == "__main__":
    sys.exit(main())
