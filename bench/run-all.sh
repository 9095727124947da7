#!/usr/bin/env bash
# Runs every side-by-side benchmark script in bench/ (each prints its own ratios) and
# collects their summary lines at the end. Called by `make bench` after the Go benchmarks.
set -uo pipefail
cd "$(dirname "$0")/.."
summary=$(mktemp)
status=0
for script in bench/bench-*.sh; do
  echo "== $script"
  if ! bash "$script" | tee -a /dev/stderr | grep '^RESULT' >>"$summary"; then
    echo "!! $script failed"; status=1
  fi
done 2>&1
echo
echo "== summary"
cat "$summary"
rm -f "$summary"
exit $status
