#!/usr/bin/env bash
# Regenerates the pinned requirements (NAME.txt, every package with ==) of each client in
# tools.in for Debian's python3 (3.11) on Linux. Run it after changing tools.in; the test
# setup (scripts/install-test-deps.sh) only installs what these files pin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
uv="${UV:-$here/../../.tools/uv/bin/uv}"
[ -x "$uv" ] || { echo "compile.sh: no uv at $uv; run scripts/install-test-deps.sh first or set UV" >&2; exit 1; }
export UV_CACHE_DIR="${UV_CACHE_DIR:-$here/../../.tools/cache}"
grep -v '^\s*#' "$here/tools.in" | while read -r name specs; do
  [ -n "$name" ] || continue
  # "python=X.Y" first among the specs: the tool needs that Python (its venv is made with
  # it, found by version; the second line of NAME.txt says so).
  pyv=3.11 pyline=
  case "$specs" in python=*) pyv="${specs%% *}"; pyv="${pyv#python=}"; specs="${specs#* }"; pyline="# python $pyv";; esac
  printf "%s\n" $specs | "$uv" pip compile --quiet --python-version "$pyv" --python-platform x86_64-unknown-linux-gnu \
    --no-header --annotation-style line - -o "$here/$name.txt.new"
  { echo "# $specs, pinned by scripts/test-tools/compile.sh"; [ -z "$pyline" ] || echo "$pyline"; cat "$here/$name.txt.new"; } > "$here/$name.txt"
  rm "$here/$name.txt.new"
done
