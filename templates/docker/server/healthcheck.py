"""Container health check (exit 0 when healthy).

Healthy: the local server answers GET /health with 200, and the database
has not refused the task's credentials since its last accepted login (the
do_connect hook in site/sitecustomize.py records a refusal). MLflow's
/health never touches the database, so without the second part a task
whose logins fail answers 200 forever and ECS never replaces it. The check
opens no database connection itself: an idle server must leave Aurora free
to pause.
"""

import os
import sys
import urllib.request

DB_AUTH_FILE = "/tmp/mlflowctl-db-auth-refused"


def main() -> int:
    refused = os.environ.get("MLFLOWCTL_DB_AUTH_FILE") or DB_AUTH_FILE
    if os.path.exists(refused):
        print("the database refuses this task's credentials", file=sys.stderr)
        return 1
    url = "http://127.0.0.1:%s/health" % os.environ.get("PORT", "5000")
    try:
        with urllib.request.urlopen(url, timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
