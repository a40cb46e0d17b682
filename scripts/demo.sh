#!/usr/bin/env bash
# The main job on a fresh machine: install, build, and run `salvo demo` (a local echo test on
# loopback through a salvo-target and two salvo-agents).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" "$root/build"
exec "$root/build/salvo" demo "$@"
