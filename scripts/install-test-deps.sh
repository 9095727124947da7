#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, idempotent and quick when
# everything is present:
#  - from Debian: the sandbox and tracing tools, nginx and wrk for the benchmarks, Work Queue
#    and makeflow for the cluster test, python3-build and setuptools for building test
#    projects, and the old clients the "old clients" tests keep (twine 4, poetry 1.3, pip 23
#    in `python3 -m venv`, pipenv 2022), Debian's wheels of pip, setuptools and wheel
#    (/usr/share/python-wheels) and python3-packaging (the tests' reference for the
#    packaging standards). Tests never install anything themselves (they run in
#    parallel): they fail, naming `make test-deps`, when something here is missing;
#  - from PyPI: today's clients, pinned in scripts/test-tools/NAME.txt, one virtualenv each
#    under .tools/ (or $PYDEPOT_TEST_TOOLS), with their commands linked in .tools/bin. The
#    tests find them there through testdist.Tool and fail when one is missing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pkgs=(python3-venv python3-pip twine pipenv python3-poetry python3-build python3-wheel
      python3-setuptools python3-packaging python3-pip-whl python3-setuptools-whl
      python3-wheel-whl bubblewrap strace nginx-light wrk coop-computing-tools zstd
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

# Today's clients. Each venv records the digest of the pins it was made from (first line,
# which testdist.Tool checks) and the Python it was made with; a venv whose pins or Python
# changed, or that a killed run left half-made, is made again, the others are kept.
pins="$repo/scripts/test-tools"
tools="${PYDEPOT_TEST_TOOLS:-$repo/.tools}"
python=/usr/bin/python3 # Debian's, from python3-venv above
mkdir -p "$tools/bin"
export UV_CACHE_DIR="$tools/cache" UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never
pyversion="$("$python" -c 'import sys; print(sys.version.split()[0])')"
# A NAME.txt whose second line is "# python X.Y" (a tool that needs a newer Python than
# Debian's, e.g. bandersnatch 8) gets a venv of that version, found by version: pyenv's
# root first, then pythonX.Y on PATH.
toolpython() { # toolpython NAME: the interpreter NAME's venv is made with
  local want; want="$(sed -n '2s/^# python \([0-9.]*\)$/\1/p' "$pins/$1.txt")"
  if [ -z "$want" ]; then echo "$python"; return; fi
  local root c; root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
  for c in $(ls -d "$root"/versions/"$want".* 2>/dev/null | sort -V -r); do
    [ -x "$c/bin/python$want" ] && { echo "$c/bin/python$want"; return; }
  done
  command -v "python$want" || { echo "install-test-deps: $1 needs Python $want: none in $root/versions or on PATH" >&2; exit 1; }
}
stamp() { sha256sum < "$pins/$1.txt"; echo "python $("$(toolpython "$1")" -c 'import sys; print(sys.version.split()[0])')"; }
fresh() { # fresh NAME: true when .tools/NAME was made from the current NAME.txt and Python
  [ -f "$tools/$1/.pins" ] && [ "$(cat "$tools/$1/.pins")" = "$(stamp "$1")" ]
}
done_with() { stamp "$1" > "$tools/$1/.pins"; ln -sfn "../$1/bin/$1" "$tools/bin/$1"; }
# uv installs the others, so it comes first, with Debian's pip.
if ! fresh uv; then
  echo "installing test tool uv into $tools/uv"
  rm -rf "$tools/uv"
  "$python" -m venv "$tools/uv"
  "$tools/uv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check --no-deps -r "$pins/uv.txt"
  done_with uv
fi
uv="$tools/uv/bin/uv"
for f in "$pins"/*.txt; do
  name="$(basename "$f" .txt)"
  [ "$name" = uv ] && continue
  fresh "$name" && continue
  echo "installing test tool $name into $tools/$name"
  rm -rf "$tools/$name"
  "$uv" venv --quiet --python "$(toolpython "$name")" "$tools/$name"
  "$uv" pip sync --quiet --python "$tools/$name/bin/python" "$f"
  done_with "$name"
done

# The wheels the check tests serve (scripts/test-tools/wheels.lock: pytest, coverage,
# pyflakes and their dependencies), downloaded with their hashes checked into .tools/wheels,
# which records the digest of the lock it was made from (testdist.PinnedWheels checks it).
lock="$pins/wheels.lock"
if [ ! -f "$tools/wheels/.pins" ] || [ "$(cat "$tools/wheels/.pins")" != "$(sha256sum < "$lock")" ]; then
  echo "downloading the test wheels into $tools/wheels"
  rm -rf "$tools/wheels"
  "$tools/pip/bin/pip" download --quiet --no-cache-dir --disable-pip-version-check --no-deps \
    --only-binary :all: --require-hashes --python-version 3.11 --implementation py --abi none \
    --platform any -d "$tools/wheels" -r "$lock"
  sha256sum < "$lock" > "$tools/wheels/.pins"
fi
