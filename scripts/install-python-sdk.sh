#!/usr/bin/env bash
# Installs Squall's Python SDK with its gRPC extra (pip install ./multilang/python[grpc]) into
# .cache/grpc/venv, the interpreter the gRPC tests, examples and benchmarks use. Reinstalls
# when the package sources or the .proto files are newer than the installation, so the
# generated stubs never go stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.cache/grpc/venv"
stamp="$venv/.squall-installed"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
newer="$(find "$root/multilang/python/squall" "$root/multilang/python/setup.py" "$root/multilang/python/pyproject.toml" "$root/proto" -newer "$stamp" -print -quit 2>/dev/null || echo missing)"
if [ ! -f "$stamp" ] || [ -n "$newer" ]; then
  echo "installing the Python SDK (multilang/python[grpc]) into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root/multilang/python[grpc]"
  rm -rf "$root/multilang/python/build" "$root/multilang/python/squall.egg-info"
  touch "$stamp"
fi
