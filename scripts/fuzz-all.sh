#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a short time, one after the other:
#   scripts/fuzz-all.sh [DURATION]      (default 4s a target; `make fuzz`, `make test`)
# Each package's fuzzing test binary is built once and runs its targets in the package's
# folder, with the fuzz cache `go test -fuzz` uses. A target that fails (a crasher, saved
# under the package's testdata/fuzz/FuzzX/ as a new seed) does not stop the others; the
# script lists the failures at the end and exits 1.
set -euo pipefail
dur=${1:-4s}
cd "$(dirname "$0")/.."
start=$SECONDS
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
cache="$(go env GOCACHE)/fuzz"
n=0
failed=()
while read -r pkg dir; do
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u) || true
  [ -n "$targets" ] || continue
  bin="$bins/$(basename "$dir").test"
  # -fuzz at build time instruments the binary for coverage; it must name one target.
  if ! go test -c -o "$bin" -fuzz "^$(echo "$targets" | head -1)\$" "$pkg"; then
    failed+=("$pkg (build)")
    continue
  fi
  for f in $targets; do
    n=$((n + 1))
    echo "== $pkg $f"
    # Go's fuzzing coordinator sometimes ends a run at -fuzztime with "context deadline
    # exceeded" and no failing input (a worker slow to stop, golang/go#48820 and kin): that
    # run is tried once more. A run that writes a failing input always fails.
    for attempt in 1 2; do
      if (cd "$dir" && "$bin" -test.run '^$' -test.fuzz "^$f\$" -test.fuzztime "$dur" \
            -test.fuzzminimizetime 5s -test.fuzzcachedir "$cache/$pkg") > "$bins/out" 2>&1; then
        cat "$bins/out"
        break
      fi
      cat "$bins/out"
      if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' "$bins/out" && ! grep -q 'Failing input written' "$bins/out"; then
        echo "fuzz-all: $f ended with 'context deadline exceeded' and no failing input; running it again"
        continue
      fi
      failed+=("$pkg $f")
      break
    done
  done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)
echo "fuzz-all: $n targets, $dur each, in $((SECONDS - start))s"
if ((${#failed[@]})); then
  printf 'fuzz-all: FAILED %s\n' "${failed[@]}" >&2
  exit 1
fi
((n > 0)) || { echo "fuzz-all: no fuzz targets found" >&2; exit 1; }
