#!/usr/bin/env bash
# The pathological uploads of issue 6, each against a fresh server, printed as RESULT lines
# with the upload's wall time, its status and the growth of the server's peak RSS
# (VmHWM after minus VmHWM before):
#   - a METADATA of 200,000 continuation lines (600 KB): accepted (200) in < 2 s, and
#     GET /pypi/cont/json in < 0.5 s; RSS growth < 64 MB;
#   - a 7 KB wheel name whose tag set expands to 91 million tags: 400 in < 1 s, growth < 16 MB;
#   - a 10 MB wheel whose RECORD is 1 GiB: 413 in < 2 s, growth < 64 MB;
#   - a wheel whose local header names ../../../etc/pwn: 400 in < 1 s.
# Environment: PYDEPOT_BIN (a pydepot binary to measure instead of building this tree),
# LINES (default 200000), RECORD_MB (default 1024), CASES (default "cont tags record evil").
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-200000}
RECORD_MB=${RECORD_MB:-1024}
CASES=${CASES:-cont tags record evil}
work=$(mktemp -d /tmp/pydepot-bench-hostile.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

bin=${PYDEPOT_BIN:-}
if [ -z "$bin" ]; then
  CGO_ENABLED=0 go build -o "$work/pydepot" ./cmd/pydepot
  bin=$work/pydepot
fi
go run ./bench/hostile -out "$work/files" -lines "$LINES" -record-mb "$RECORD_MB"
token=pyd_bench-token-0123456789
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
serve() { # serve DATA PORT -> pid
  PYDEPOT_DATA=$1 PYDEPOT_LISTEN=127.0.0.1:$2 PYDEPOT_ADMIN_TOKEN=$token \
    PYDEPOT_MAX_UPLOAD=$((512 << 20)) "$bin" serve >"$work/serve-$2.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$2/simple/" >/dev/null 2>&1 && break; sleep 0.05; done
  echo "$pid"
}
ok() { python3 -c "import sys; print('ok' if all(eval(c) for c in sys.argv[1:]) else 'MISSED')" "$@"; }

# upload CASE FILE FILENAME NAME STATUS TIME_GOAL RSS_GOAL_MB: one upload to a fresh server.
upload() {
  local case=$1 file=$2 filename=$3 name=$4 want=$5 tgoal=$6 rgoal=$7
  p=$(port); pid=$(serve "$work/data-$case" "$p")
  sleep 0.5
  local before; before=$(hwm_kb "$pid")
  local out; out=$(curl -s -o "$work/$case.out" -w '%{http_code} %{time_total}' -u "__token__:$token" \
    -F ":action=file_upload" -F "protocol_version=1" -F "name=$name" -F "version=1.0" \
    -F "filetype=bdist_wheel" -F "content=@$file;filename=$filename" "http://127.0.0.1:$p/legacy/")
  local code=${out% *} secs=${out#* }
  local growth=$(( ($(hwm_kb "$pid") - before) / 1024 ))
  echo "  $case: $code $(head -c 300 "$work/$case.out" | tr '\n' ' ')"
  echo "RESULT hostile_${case}_upload_s=$secs status=$code rss_growth_mb=$growth goal: status=$want s<$tgoal mb<$rgoal $(ok "'$code'=='$want'" "$secs<$tgoal" "$growth<$rgoal")"
}

for c in $CASES; do
  case $c in
  cont)
    upload cont "$work/files/cont-1.0-py3-none-any.whl" cont-1.0-py3-none-any.whl cont 200 2 64
    before=$(hwm_kb "$pid")
    secs=$(curl -s -o "$work/cont.json" -w '%{time_total}' "http://127.0.0.1:$p/pypi/cont/json")
    growth=$(( ($(hwm_kb "$pid") - before) / 1024 ))
    keywords=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['info']['keywords']))" "$work/cont.json")
    echo "RESULT hostile_cont_json_get_s=$secs keywords_chars=$keywords rss_growth_mb=$growth goal: s<0.5 $(ok "$secs<0.5")"
    ;;
  tags) upload tags "$work/files/tags.whl" "$(cat "$work/files/tags.name")" tags 400 1 16 ;;
  record) upload record "$work/files/bigrecord-1.0-py3-none-any.whl" bigrecord-1.0-py3-none-any.whl bigrecord 413 2 64 ;;
  evil) upload evil "$work/files/evil-1.0-py3-none-any.whl" evil-1.0-py3-none-any.whl evil 400 1 16 ;;
  esac
  kill "$pid" 2>/dev/null || true
done
