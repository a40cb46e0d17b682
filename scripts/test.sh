#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build, run every test (loopback only).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" "$root/build"
cd "$root/build"
status=0
ctest --output-on-failure -j "$(nproc)" --timeout 300 -LE windows || status=$?
# The fuzz harnesses, each fuzzed for 14 s from its seeds (clang, ASan, UBSan).
"$root/scripts/build-fuzzers.sh" "$root/build-fuzz"
ctest --test-dir "$root/build-fuzz" --output-on-failure -j "$(nproc)" --timeout 300 || status=$?
# The Windows part (IOCP engine and core), cross-built with mingw-w64 and run under wine.
"$root/scripts/test-windows.sh" "$root/build-windows" || status=$?
exit $status
