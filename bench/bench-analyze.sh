#!/usr/bin/env bash
# The analyze benchmark of issue 3, printed as RESULT lines: `pydepot analyze` over N
# real .py files (default 1000, a fixed sample of pyenv 3.11.7's standard library and
# site-packages) against a Python ast walk of the same files (ast.parse + ast.walk for
# Import / ImportFrom / Call, as cctools' python_package_analyze does), each as one
# process, best of RUNS (default 3) wall times. Goal: ratio >= 5.
# Environment: PY (default /root/.pyenv/versions/3.11.7/bin/python3), N, RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/root/.pyenv/versions/3.11.7/bin/python3}
N=${N:-1000}
RUNS=${RUNS:-3}
work=$(mktemp -d /tmp/pydepot-bench-analyze.XXXXXX)
trap 'rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -o "$work/pydepot" ./cmd/pydepot
lib=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
find "$lib" -name '*.py' -type f | LC_ALL=C sort >"$work/all.txt"
total=$(wc -l <"$work/all.txt")
awk -v n="$N" -v t="$total" 'BEGIN{s=int(t/n); if(s<1)s=1} (NR-1)%s==0 && c<n {print; c++}' "$work/all.txt" >"$work/files.txt"
count=$(wc -l <"$work/files.txt")
bytes=$(xargs -d '\n' cat <"$work/files.txt" | wc -c)

cat >"$work/walk.py" <<'PY'
import ast, sys, warnings
warnings.simplefilter("ignore")
found = set()
for path in sys.stdin.read().splitlines():
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (SyntaxError, ValueError):
        continue
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            found.update(a.name.split(".")[0] for a in n.names)
        elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
            found.add(n.module.split(".")[0])
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "__import__" \
                and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
            found.add(n.args[0].value.split(".")[0])
print(len(found))
PY

now() { date +%s.%N; }
best() { # best wall time of RUNS runs of "$@"
  local b=""
  for _ in $(seq 1 "$RUNS"); do
    local t0 t1 d
    t0=$(now); "$@" >/dev/null; t1=$(now)
    d=$(python3 -c "import sys; print(float(sys.argv[2])-float(sys.argv[1]))" "$t0" "$t1")
    if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$d" "$b"; then b=$d; fi
  done
  echo "$b"
}
mapfile -t files <"$work/files.txt"
go_run() { "$work/pydepot" analyze --python 3.11 "${files[@]}" - 2>/dev/null; }
py_run() { "$PY" "$work/walk.py" <"$work/files.txt"; }

go_run >/dev/null # warm the page cache
t_go=$(best go_run)
t_py=$(best py_run)
python3 - "$t_go" "$t_py" "$count" "$bytes" <<'PY'
import sys
g, p, n, b = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"analyze: {n} files, {b/1e6:.1f} MB: pydepot analyze {g:.3f} s, python ast walk {p:.3f} s")
print(f"RESULT analyze_vs_ast_speedup={p/g:.1f} goal>=5 {'ok' if p/g >= 5 else 'MISSED'}")
PY
