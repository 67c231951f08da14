"""Container health check: GET /health on the local server (exit 0 when it answers 200)."""

import os
import sys
import urllib.request


def main() -> int:
    url = "http://127.0.0.1:%s/health" % os.environ.get("PORT", "5000")
    try:
        with urllib.request.urlopen(url, timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
