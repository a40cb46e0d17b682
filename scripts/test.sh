#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build, run every test (loopback only).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" "$root/build"
cd "$root/build"
exec ctest --output-on-failure -j "$(nproc)" --timeout 300
