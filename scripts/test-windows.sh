#!/usr/bin/env bash
# The Windows tests: cross-builds with mingw-w64 (scripts/build-windows.sh) and runs the tests
# under wine. Without the toolchain or wine, says SKIPPED and why, and exits 0: the Linux suite
# decides the status then, and the skip stays visible in the log.
# Usage: scripts/test-windows.sh [BUILD-DIR]      (default: build-windows)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-windows}
cache=${SALVO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/salvo}
for tool in x86_64-w64-mingw32-g++-posix wine wineboot wineserver; do
  if ! command -v "$tool" >/dev/null; then
    echo "windows tests: SKIPPED: $tool is not installed (scripts/setup.sh installs mingw-w64 and wine)"
    exit 0
  fi
done
"$root/scripts/build-windows.sh" "$build"
# A wine prefix of our own, made once (wineboot takes a few seconds) and kept in the cache.
export WINEPREFIX=$cache/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  wineboot --init >/dev/null 2>&1
fi
status=0
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 300 || status=$?
# The Windows binaries against the Linux ones (from the Linux build beside this one).
linux_build=${SALVO_LINUX_BUILD:-$root/build}
if [ -f "$linux_build/CTestTestfile.cmake" ]; then
  SALVO_WINDOWS_BUILD=$build ctest --test-dir "$linux_build" --output-on-failure -L windows \
    --timeout 300 || status=$?
else
  echo "windows interop tests: SKIPPED: no Linux build in $linux_build"
fi
# Nothing of wine outlives the tests.
wineserver --kill >/dev/null 2>&1 || true
exit $status
