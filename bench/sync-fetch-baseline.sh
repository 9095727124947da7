#!/usr/bin/env bash
# The baseline of issue 9's sync benchmark: a plain parallel HTTP fetch (8 workers,
# keep-alive, each file written to disk and its sha256 checked) of every file of a static
# tree served by a local nginx: 2,000 projects and 20,000 small wheels by default. The
# sync benchmark divides its own time by this one (goal: at most 1.5x).
#
# bench/bench-sync.sh runs the Go fetch itself in `make bench`; this script is for running
# the baseline alone, with curl beside it for reference.
# Environment: PROJECTS (2000), FILES (20000), WORKERS (8), SYNCTREE_PAD (2048).
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECTS=${PROJECTS:-2000}
FILES=${FILES:-20000}
WORKERS=${WORKERS:-8}
work=$(mktemp -d /tmp/pydepot-bench-syncfetch.XXXXXX)
source bench/lib-synctree.sh
cleanup() { synctree_down; rm -rf "$work"; }
trap cleanup EXIT

gen_start=$(date +%s.%N)
synctree_up "$work" "$PROJECTS" "$FILES"
echo "  tree: $PROJECTS projects, $FILES files, $(du -sm "$SYNCTREE_DIR" | cut -f1) MB, generated in $(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$gen_start") s, served at $SYNCTREE_URL/simple/"

# Go, WORKERS keep-alive connections.
out=$("$SYNCTREE_BIN" fetch -base "$SYNCTREE_URL" -list "$SYNCTREE_DIR/files.txt" -out "$work/fetched-go" -c "$WORKERS")
echo "  go: $out"
go_s=$(awk '{print $(NF-1)}' <<<"$out")
echo "RESULT sync_baseline_fetch_seconds=$go_s files=$FILES workers=$WORKERS (plain parallel fetch from nginx; the sync's time is divided by it)"

# curl, for comparison: WORKERS processes of 500 URLs each (curl reuses its connection).
mkdir -p "$work/fetched-curl"
start=$(date +%s.%N)
awk -v u="$SYNCTREE_URL/" '{print u $1}' "$SYNCTREE_DIR/files.txt" |
  (cd "$work/fetched-curl" && xargs -P "$WORKERS" -n 500 curl -fsS --remote-name-all)
curl_s=$(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.3f}')" "$start")
n=$(ls "$work/fetched-curl" | wc -l)
echo "  curl: fetched $n files in $curl_s s"
echo "RESULT sync_baseline_curl_seconds=$curl_s files=$n workers=$WORKERS (for reference)"
