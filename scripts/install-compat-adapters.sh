#!/usr/bin/env bash
# Installs the third-party multilang adapters the compatibility tests and benchmarks run
# against, from the package registries, into .cache/compat (never committed):
#   - pystorm and msgpack from PyPI, in a virtualenv (.cache/compat/venv)
#   - Apache Storm's storm.py from the org.apache.storm:multilang-python artifact (Maven Central)
# Idempotent: does nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/compat
storm_version=2.8.1
mkdir -p "$dir"

if [ ! -x "$dir/venv/bin/python" ] || ! "$dir/venv/bin/python" -c 'import pystorm, msgpack' 2>/dev/null; then
  echo "installing pystorm and msgpack into $dir/venv"
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check 'pystorm==3.1.4' 'msgpack>=1.0'
fi

if [ ! -f "$dir/storm/storm.py" ]; then
  echo "fetching storm.py from org.apache.storm:multilang-python:$storm_version"
  if ! command -v mvn >/dev/null; then
    echo "mvn is needed to fetch Apache Storm's storm.py (apt-get install maven)" >&2
    exit 1
  fi
  mvn -q -B dependency:get -Dartifact="org.apache.storm:multilang-python:$storm_version" -Dtransitive=false
  jar="$HOME/.m2/repository/org/apache/storm/multilang-python/$storm_version/multilang-python-$storm_version.jar"
  mkdir -p "$dir/storm"
  python3 - "$jar" "$dir/storm/storm.py" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    open(sys.argv[2], "wb").write(z.read("resources/storm.py"))
PY
fi
echo "compat adapters ready in $dir"
