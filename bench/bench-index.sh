#!/usr/bin/env bash
# The index benchmarks of issue 2, in one run, printed as RESULT lines:
#   - /simple/ for 10,000 projects and /simple/bigproject/ (500 files, HTML and JSON), wrk at
#     32 connections against pydepot and against nginx serving the same bytes as static files
#     (goal: pydepot/nginx >= 0.5);
#   - a 200 MB upload: growth of the server's peak RSS (goal < 64 MB);
#   - idle RSS on an empty index (goal < 50 MB) and with 100,000 files indexed (goal < 300 MB).
# Environment: DURATION (wrk seconds, default 10), FILES_100K (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
FILES_100K=${FILES_100K:-100000}
work=$(mktemp -d /tmp/pydepot-bench-index.XXXXXX)
chmod 755 "$work"  # nginx workers (www-data) read the static copies
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/pydepot" ./cmd/pydepot
go build -o "$work/seed" ./bench/seed
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
serve() { # serve DATA PORT -> pid
  PYDEPOT_DATA=$1 PYDEPOT_LISTEN=127.0.0.1:$2 PYDEPOT_ADMIN_TOKEN=pyd_bench-token-0123456789 \
    PYDEPOT_MAX_UPLOAD=$((512 << 20)) "$work/pydepot" serve >"$work/serve-$2.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$2/simple/" >/dev/null 2>&1 && break; sleep 0.05; done
  echo "$pid"
}
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
rps() { # rps URL [ACCEPT]
  wrk -t2 -c32 -d"${DURATION}s" -H "Accept: ${2:-text/html}" "$1" | awk '/Requests\/sec/{print $2}'
}

# Idle RSS, empty index.
p=$(port); pid=$(serve "$work/empty" "$p"); sleep 1
idle=$(( $(rss_kb "$pid") / 1024 ))
echo "RESULT idle_rss_empty_mb=$idle goal<50 $([ "$idle" -lt 50 ] && echo ok || echo MISSED)"

# 200 MB upload.
python3 - "$work/big" <<'PY'
import os, sys, zipfile, hashlib, base64
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
name = "bigwheel-1.0-py3-none-any.whl"
info = "bigwheel-1.0.dist-info"
files = {"bigwheel/__init__.py": b"", info + "/METADATA": b"Metadata-Version: 2.1\nName: bigwheel\nVersion: 1.0\n\n",
         info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
blob = os.urandom(200 << 20)
with zipfile.ZipFile(os.path.join(d, name), "w", zipfile.ZIP_STORED) as z:
    rec = []
    for n, b in list(files.items()) + [("bigwheel/data.bin", blob)]:
        z.writestr(n, b)
        rec.append(f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()},{len(b)}")
    rec.append(info + "/RECORD,,")
    z.writestr(info + "/RECORD", "\n".join(rec) + "\n")
PY
before=$(rss_kb "$pid")
sha=$(sha256sum "$work/big/bigwheel-1.0-py3-none-any.whl" | cut -d' ' -f1)
code=$(curl -s -o "$work/upload.out" -w '%{http_code}' -u "__token__:pyd_bench-token-0123456789" \
  -F ":action=file_upload" -F "protocol_version=1" -F "name=bigwheel" -F "version=1.0" \
  -F "filetype=bdist_wheel" -F "sha256_digest=$sha" -F "content=@$work/big/bigwheel-1.0-py3-none-any.whl" \
  "http://127.0.0.1:$p/legacy/")
growth=$(( ($(hwm_kb "$pid") - before) / 1024 ))
echo "RESULT upload_200mb_rss_growth_mb=$growth status=$code goal<64 $([ "$growth" -lt 64 ] && [ "$code" = 200 ] && echo ok || echo MISSED)"
kill "$pid"

# 10,000 projects and a 500-file project, against nginx on the same bytes.
"$work/seed" -data "$work/data" -projects 10000 -big 500
p=$(port); pid=$(serve "$work/data" "$p")
mkdir -p "$work/static/simple/bigproject"
curl -fsS -H 'Accept: text/html' "http://127.0.0.1:$p/simple/" -o "$work/static/simple/index.html"
curl -fsS -H 'Accept: text/html' "http://127.0.0.1:$p/simple/bigproject/" -o "$work/static/simple/bigproject/index.html"
curl -fsS -H 'Accept: application/vnd.pypi.simple.v1+json' "http://127.0.0.1:$p/simple/bigproject/" -o "$work/static/simple/bigproject/index.json"
np=$(port)
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  server {
    listen 127.0.0.1:$np;
    root $work/static;
    location = /simple/bigproject/json { default_type application/vnd.pypi.simple.v1+json; try_files /simple/bigproject/index.json =404; }
    location / { default_type text/html; index index.html; }
  }
}
NGINX
chmod -R a+rX "$work/static"
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=("$!")
sleep 0.5
for case in "index_html /simple/ /simple/ text/html" \
            "project500_html /simple/bigproject/ /simple/bigproject/ text/html" \
            "project500_json /simple/bigproject/ /simple/bigproject/json application/vnd.pypi.simple.v1+json"; do
  set -- $case
  for u in "http://127.0.0.1:$p$2" "http://127.0.0.1:$np$3"; do
    echo "  $u: $(curl -s -o /dev/null -H "Accept: $4" -w '%{http_code} %{size_download} bytes %{content_type}' "$u")"
  done
  ours=$(rps "http://127.0.0.1:$p$2" "$4")
  theirs=$(rps "http://127.0.0.1:$np$3" "$4")
  r=$(ratio "$ours" "$theirs")
  echo "RESULT simple_${1}_vs_nginx=$r pydepot=${ours}rps nginx=${theirs}rps goal>=0.5 $(python3 -c "print('ok' if $r >= 0.5 else 'MISSED')")"
done
kill "$pid"

# Idle RSS with 100,000 files indexed.
"$work/seed" -data "$work/data100k" -projects $((FILES_100K / 5)) -files 5 -big 0
p=$(port); pid=$(serve "$work/data100k" "$p")
curl -fsS "http://127.0.0.1:$p/simple/" >/dev/null
curl -fsS "http://127.0.0.1:$p/simple/project-00001/" >/dev/null
sleep 1
idle=$(( $(rss_kb "$pid") / 1024 ))
echo "RESULT idle_rss_${FILES_100K}_files_mb=$idle goal<300 $([ "$idle" -lt 300 ] && echo ok || echo MISSED)"
kill "$pid"

# Issue 9's serving goals, as Go benchmarks on the real stack (a bulk-filled repository of
# 200,000 projects, and a 5,000-file project; each request the first after a new version):
# /simple/ first byte (goal < 100 ms) and the 5,000-file page's first render (goal < 50 ms).
# bench-fullindex.sh measures the same through a real full-index sync.
go test -run '^$' -bench 'FullIndexFirstByte|ProjectPage5000' -benchtime "${BENCH_SERVE_N:-3}x" ./internal/server/ |
  awk '
    /^BenchmarkFullIndexFirstByte\// { split($1, n, "[/-]"); for (i = 1; i < NF; i++) { if ($(i+1) == "first-byte-ms") fb = $i; if ($(i+1) == "total-ms") tot = $i }
      printf "RESULT fullindex_simple_%s_first_byte_ms=%s total_ms=%s (200,000 projects, after a new version) goal<100 %s\n", n[2], fb, tot, (fb < 100 ? "ok" : "MISSED") }
    /^BenchmarkProjectPage5000\// { split($1, n, "[/-]"); for (i = 1; i < NF; i++) if ($(i+1) == "first-render-ms") ms = $i
      printf "RESULT project_page_5000_files_%s_first_ms=%s goal<50 %s\n", n[2], ms, (ms < 50 ? "ok" : "MISSED") }'
