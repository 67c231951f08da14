#!/bin/sh
# Writes shell completion scripts into completions/ for the release archives.
set -e
rm -rf completions
mkdir completions
for sh in bash zsh fish; do
  go run ./cmd/mlflowctl completion "$sh" > "completions/mlflowctl.$sh"
done
