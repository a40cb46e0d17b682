#!/usr/bin/env bash
# Installs what salvo needs to build and test on Debian 12, if anything is missing, and builds it.
# Usage: scripts/setup.sh [build-dir]    (run as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev liburing-dev libcli11-dev libgtest-dev libgmock-dev libexpat1-dev
  util-linux iproute2 openssl openssh-server openssh-client
  clang-14 libclang-rt-14-dev
  redis-server socat libcpp-httplib-dev prometheus chromium
  help2man file man-db systemd strace ansible-core
  g++-mingw-w64-x86-64-posix wine wine64 googletest dpkg-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
