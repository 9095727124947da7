#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: the real Python clients
# (pip in a venv, twine, poetry, pipenv, build), the sandbox and tracing tools, nginx and wrk
# for the benchmarks, and Work Queue / makeflow for the cluster test. Idempotent and quick
# when everything is present.
set -euo pipefail
pkgs=(python3-venv python3-pip twine pipenv python3-poetry python3-build python3-wheel
      python3-setuptools bubblewrap strace nginx-light wrk coop-computing-tools zstd
      ca-certificates git make openmpi-bin patchelf)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
