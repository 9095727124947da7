#!/usr/bin/env bash
# Runs every Go fuzz target for a short time: scripts/fuzz-all.sh [DURATION].
set -euo pipefail
dur=${1:-10s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    echo "== $pkg $f"
    go test -run "^$" -fuzz "^$f\$" -fuzztime "$dur" -fuzzminimizetime 1s "$pkg"
  done
done
