#!/usr/bin/env bash
# issue 10's scan against GuardDog: pydepot's static scan (internal/scan, in process,
# best of RUNS) and `guarddog pypi scan DIR` (the pinned peer, one process each) on the
# same folders: the hostile and benign packages of internal/scan/scantest, and a few real
# installed packages from the test tools' venvs (unpacked wheels). Prints time and
# findings side by side and the ratio of total times as RESULT lines.
# Environment: PYDEPOT_TEST_TOOLS (default .tools), RUNS (default 3), REAL (folders, default
# a few site-packages of .tools/guarddog).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${PYDEPOT_TEST_TOOLS:-.tools}
gd="$tools/bin/guarddog"
[ -x "$gd" ] || { echo "bench-scan: no guarddog at $gd: run make test-deps" >&2; exit 1; }
work=$(mktemp -d /tmp/pydepot-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT
site=$(ls -d "$tools"/guarddog/lib/python3*/site-packages | head -1)
REAL=${REAL:-"$site/requests $site/urllib3 $site/yaml $site/dateutil $site/click"}
args=()
for d in $REAL; do [ -d "$d" ] && args+=(-dir "$d"); done
go run ./bench/scanbench -guarddog "$gd" -work "$work" -runs "${RUNS:-3}" "${args[@]}"
