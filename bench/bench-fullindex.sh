#!/usr/bin/env bash
# Issue 9's full-index benchmark, in one run, printed as RESULT lines:
#   - a full-index sync (no includes, policy on_demand: sizes, hashes and PEP 658 metadata,
#     no file bytes) of 200,000 small projects (one wheel each) and one project of 5,000
#     wheels, served by bench/nameindex (a generated PEP 691 index; nothing on disk): the
#     peak RSS of the pydepot server during the sync (goal < 200 MB);
#   - then serving that repository's /simple/ right after a new version (an upload): time
#     to first byte, HTML and JSON (goal < 100 ms), the server's peak RSS while serving
#     (goal < 300 MB), and the 5,000-file project's page, first render, HTML and JSON
#     (goal < 50 ms; devpi takes 11.5 s for a 2,000-version project).
# Peak RSS is VmHWM of the pydepot serve process, reset through /proc/PID/clear_refs at
# the start of each phase.
#   - devpi-server (.tools/devpi-server, when there; BENCH_DEVPI=0 skips it): the same
#     5,000-file page through a devpi mirror index of the same upstream, first and second render.
# Environment: BENCH_NAMES (200000), BENCH_BIG_FILES (5000), BENCH_DEVPI (1).
set -euo pipefail
cd "$(dirname "$0")/.."
NAMES=${BENCH_NAMES:-200000}
BIG=${BENCH_BIG_FILES:-5000}
work=$(mktemp -d /tmp/pydepot-bench-fullindex.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

TOKEN=pyd_bench-token-0123456789
JSON=application/vnd.pypi.simple.v1+json
CGO_ENABLED=0 go build -o "$work/pydepot" ./cmd/pydepot
go build -o "$work/nameindex" ./bench/nameindex
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
hwm_mb() { awk '/^VmHWM/{print int($2/1024)}' "/proc/$1/status"; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a<b)}'; }
ms() { awk -v s="$1" 'BEGIN{printf "%.1f", s*1000}'; }
verdict() { lt "$1" "$2" && echo ok || echo MISSED; }

up=$(port)
"$work/nameindex" -listen "127.0.0.1:$up" -projects "$NAMES" -big bench-big -big-files "$BIG" >"$work/nameindex.log" 2>&1 &
pids+=($!)
p=$(port)
PYDEPOT_DATA=$work/data PYDEPOT_LISTEN=127.0.0.1:$p PYDEPOT_ADMIN_TOKEN=$TOKEN "$work/pydepot" serve >"$work/serve.log" 2>&1 &
pid=$!; pids+=("$pid")
for _ in $(seq 1 400); do curl -fsS -o /dev/null "http://127.0.0.1:$p/simple/" 2>/dev/null && curl -fsS -o /dev/null "http://127.0.0.1:$up/simple/bench-big/" 2>/dev/null && break; sleep 0.05; done
cli() { PYDEPOT_URL=http://127.0.0.1:$p PYDEPOT_TOKEN=$TOKEN "$work/pydepot" "$@"; }

cli remote create names --url "http://127.0.0.1:$up/simple/" --policy on_demand >/dev/null
reset_hwm "$pid"
start=$(now)
cli sync main --remote names </dev/null 2>&1 | grep -v 'running' | sed 's/^/    /'
sync_s=$(since "$start")
peak=$(hwm_mb "$pid")
listed=$(curl -fsS -H "Accept: $JSON" "http://127.0.0.1:$p/simple/" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["projects"]))')
echo "RESULT fullindex_sync_peak_rss_mb=$peak seconds=$sync_s projects=$listed/$((NAMES + 1)) (policy on_demand) goal<200 $([ "$listed" = $((NAMES + 1)) ] && verdict "$peak" 200 || echo MISSED)"

# A new version (one upload), then the first requests of the listing and the big page.
reset_hwm "$pid"
curl -fsS "http://127.0.0.1:$up/files/bench_fresh-1.0-py3-none-any.whl" -o "$work/bench_fresh-1.0-py3-none-any.whl"
curl -fsS -o /dev/null -u "__token__:$TOKEN" -F ":action=file_upload" -F "protocol_version=1" \
  -F name=bench-fresh -F version=1.0 -F "content=@$work/bench_fresh-1.0-py3-none-any.whl" "http://127.0.0.1:$p/legacy/"
first() { # first ACCEPT PATH -> "ttfb_s total_s bytes"
  curl -fsS -o /dev/null -H "Accept: $1" -w '%{time_starttransfer} %{time_total} %{size_download}\n' "http://127.0.0.1:$p$2"
}
read -r h_ttfb h_total h_size < <(first text/html /simple/)
read -r j_ttfb j_total j_size < <(first "$JSON" /simple/)
echo "RESULT fullindex_simple_html_first_byte_ms=$(ms "$h_ttfb") total_ms=$(ms "$h_total") bytes=$h_size (after a new version) goal<100 $(verdict "$(ms "$h_ttfb")" 100)"
echo "RESULT fullindex_simple_json_first_byte_ms=$(ms "$j_ttfb") total_ms=$(ms "$j_total") bytes=$j_size (after a new version) goal<100 $(verdict "$(ms "$j_ttfb")" 100)"
read -r _ bh_total bh_size < <(first text/html /simple/bench-big/)
read -r _ bj_total bj_size < <(first "$JSON" /simple/bench-big/)
echo "RESULT fullindex_big_page_html_first_ms=$(ms "$bh_total") bytes=$bh_size files=$BIG goal<50 $(verdict "$(ms "$bh_total")" 50)"
echo "RESULT fullindex_big_page_json_first_ms=$(ms "$bj_total") bytes=$bj_size files=$BIG goal<50 $(verdict "$(ms "$bj_total")" 50)"
# A few more rounds of the listing, to see the serving RSS settle.
for _ in 1 2 3; do first text/html /simple/ >/dev/null; first "$JSON" /simple/ >/dev/null; done
serve_peak=$(hwm_mb "$pid")
echo "RESULT fullindex_serving_peak_rss_mb=$serve_peak (/simple/ HTML and JSON of $((NAMES + 2)) projects, 4 times each, and the big page) goal<300 $(verdict "$serve_peak" 300)"

# devpi-server (pinned from PyPI, .tools/devpi-server) on the same 5,000-file project: a
# mirror index of the same generated upstream; its first render fetches the upstream page
# (so does pydepot's sync, which came before the render above), the second is from its cache.
devpi=${PYDEPOT_TEST_TOOLS:-$PWD/.tools}/devpi-server/bin
if [ "${BENCH_DEVPI:-1}" = 0 ] || [ ! -x "$devpi/devpi-server" ]; then
  echo "  devpi: skipped (BENCH_DEVPI=0 or no $devpi/devpi-server)"
  exit 0
fi
"$devpi/devpi-init" --serverdir "$work/devpi" --no-root-pypi >"$work/devpi-init.log" 2>&1
dp=$(port)
"$devpi/devpi-server" --serverdir "$work/devpi" --host 127.0.0.1 --port "$dp" >"$work/devpi.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do curl -fsS -o /dev/null "http://127.0.0.1:$dp/" 2>/dev/null && break; sleep 0.1; done
export DEVPI_CLIENTDIR=$work/devpi-client
"$devpi/devpi" use "http://127.0.0.1:$dp" >/dev/null
"$devpi/devpi" login root --password '' >/dev/null
"$devpi/devpi" index -c root/up type=mirror "mirror_url=http://127.0.0.1:$up/simple/" >/dev/null
dfirst() { curl -fsS -o /dev/null -H 'Accept: text/html' -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$dp/root/up/+simple/bench-big/"; }
read -r d1 d1_size < <(dfirst)
read -r d2 _ < <(dfirst)
echo "RESULT fullindex_big_page_devpi_first_ms=$(ms "$d1") second_ms=$(ms "$d2") bytes=$d1_size files=$BIG pydepot_first_ms=$(ms "$bh_total") ratio_devpi_over_pydepot=$(awk -v a="$d1" -v b="$bh_total" 'BEGIN{printf "%.0f", a/b}') (devpi mirror index of the same upstream)"
