#!/usr/bin/env bash
# Cross-builds salvo's Windows part with mingw-w64: the core, the IOCP engine and their tests.
# Abseil and GoogleTest for Windows are built once into a cache outside the checkout
# ($SALVO_CACHE, default ~/.cache/salvo) and reused by every later build and checkout.
# Usage: scripts/build-windows.sh [BUILD-DIR]      (default: build-windows)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-windows}
cache=${SALVO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/salvo}
"$root/scripts/build-windows-deps.sh" "$cache/windows-deps"
export SALVO_WINDOWS_DEPS=$cache/windows-deps/prefix
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" >/dev/null
cmake --build "$build" -j "$(nproc)"
