#!/usr/bin/env bash
# Headless Chromium for the real-UI login test (pkg/uihost: TestRealUIInChromium).
# Debian's `chromium` package, installed once; later runs only check it is
# there. Not pinned to a version: Debian's security archive keeps only the
# latest build, so a pinned version would stop installing after an update.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version 2>/dev/null
