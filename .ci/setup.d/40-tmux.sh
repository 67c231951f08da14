#!/usr/bin/env bash
# tmux for the init wizard's smoke test (cmd/mlflowctl/init_tmux_test.go),
# which fails under CI=true when tmux is missing. Debian bookworm's 3.3a.
set -euo pipefail
want="3.3a"
if command -v tmux >/dev/null && [ "$(tmux -V)" = "tmux $want" ]; then
  exit 0
fi
if command -v tmux >/dev/null; then
  echo "tmux $(tmux -V) is installed (the smoke test was written against $want); using it"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "tmux=${want}-*" >/dev/null || apt-get install -y -qq tmux >/dev/null
tmux -V
