#!/usr/bin/env bash
# The sandbox benchmark of issue 10, printed as a RESULT line: pip installing the same
# wheel plainly against inside the checks' sandbox under strace -f --seccomp-bpf (the
# checks' install step), medians of RUNS interleaved runs (bench/sandboxbench). Goal: the
# sandbox plus tracing costs at most 2× the plain install.
# Environment: PYTHON (a version, default 3.11), WHEEL, RUNS (default 7).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load: $(uptime)"
go run ./bench/sandboxbench
