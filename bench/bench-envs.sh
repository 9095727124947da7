#!/usr/bin/env bash
# The environment benchmarks of issue 3, in one run, printed as RESULT lines:
#   - cold `pydepot create` against `python3.11 -m venv` + `pip install` + `tar czf` of the
#     venv, same requirements, same local index, empty caches (goal: ratio <= 0.5);
#   - a warm create with the same lock (goal < 0.5 s);
#   - `pydepot run` overhead over running the unpacked interpreter directly (goal < 30 ms).
# The index is a static PEP 503 tree of wheels rebuilt from pyenv 3.11.7's installed
# distributions (bench/envwheels), served by python3 -m http.server; pip and pydepot read
# the same pages and files. Environment: PY (default /root/.pyenv/versions/3.11.7/bin/python3.11),
# REQS (default "flask requests pyyaml python-dateutil"), RUNS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/root/.pyenv/versions/3.11.7/bin/python3.11}
REQS=${REQS:-flask requests pyyaml python-dateutil}
RUNS=${RUNS:-20}
work=$(mktemp -d /tmp/pydepot-bench-envs.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/pydepot" ./cmd/pydepot
go run ./bench/envwheels "$work/index" $REQS >/dev/null
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" -d "$work/index" >"$work/http.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/simple/" >/dev/null 2>&1 && break; sleep 0.05; done
url="http://127.0.0.1:$port/simple/"
printf '%s\n' $REQS >"$work/requirements.txt"

now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.3f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
le() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$1" "$2"; }

# pip: fresh venv, install, tar czf (no pip cache).
mkdir -p "$work/pip"
t0=$(now)
"$PY" -m venv "$work/pip/venv"
"$work/pip/venv/bin/pip" install -q --no-cache-dir --disable-pip-version-check -i "$url" -r "$work/requirements.txt"
tar czf "$work/pip/venv.tar.gz" -C "$work/pip" venv
t1=$(now)
pip_s=$(secs "$t0" "$t1")

# pydepot: cold cache.
mkdir -p "$work/out"
export XDG_CACHE_HOME="$work/cache"
t0=$(now)
(cd "$work/out" && "$work/pydepot" create "$work/requirements.txt" benchenv --interpreter "$PY" -i "$url" >/dev/null)
t1=$(now)
cold_s=$(secs "$t0" "$t1")
r=$(ratio "$cold_s" "$pip_s")
echo "create cold ${cold_s}s ($(du -h "$work/out/benchenv.tar.gz" | cut -f1)), pip+venv+tar ${pip_s}s ($(du -h "$work/pip/venv.tar.gz" | cut -f1))"
echo "RESULT create_vs_pip_ratio=$r goal<=0.5 $(le "$r" 0.5 && echo ok || echo MISSED)"

# pydepot: warm, same lock.
t0=$(now)
(cd "$work/out" && "$work/pydepot" create "$work/requirements.txt" benchenv --interpreter "$PY" -i "$url" >/dev/null)
t1=$(now)
warm_s=$(secs "$t0" "$t1")
echo "RESULT create_warm_s=$warm_s goal<0.5 $(le "$warm_s" 0.499 && echo ok || echo MISSED)"

# run overhead, once unpacked.
env_tar="$work/out/benchenv.tar.gz"
"$work/pydepot" run -e "$env_tar" -- python3 -c pass
envdir=$("$work/pydepot" run -e "$env_tar" -- sh -c 'echo "$VIRTUAL_ENV"')
pyexe=$(ls "$envdir"/bin/python3.* | head -1)
# wall and CPU (user+sys of the children) per start, measured by one Python harness
python3 - "$RUNS" "$pyexe" "$work/pydepot" "$env_tar" <<'PY'
import resource, subprocess, sys, time
n, py, pd, env = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def measure(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.perf_counter()
    for _ in range(n):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    t1 = time.perf_counter(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (t1 - t0) * 1000 / n, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000 / n
dw, dc = measure([py, "-c", "pass"])
rw, rc = measure([pd, "run", "-e", env, "--", "python3", "-c", "pass"])
vw, vc = measure([pd, "version"])
print(f"python3 -c pass: direct {dw:.1f} ms wall / {dc:.1f} ms cpu; through pydepot run {rw:.1f} ms wall / {rc:.1f} ms cpu")
print(f"pydepot version alone (process start of the binary): {vw:.1f} ms wall / {vc:.1f} ms cpu")
ow = rw - dw
print(f"RESULT run_overhead_ms={ow:.1f} goal<30 {'ok' if ow < 30 else 'MISSED'}")
print(f"RESULT run_overhead_cpu_ms={rc - dc:.1f} goal<30 {'ok' if rc - dc < 30 else 'MISSED'}")
PY
