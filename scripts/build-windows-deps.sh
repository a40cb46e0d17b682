#!/usr/bin/env bash
# Builds the libraries salvo's Windows binaries need, for x86_64-w64-mingw32, from Debian's own
# source packages of the versions installed here (Abseil, Protobuf) and from the googletest package's
# sources, into DIR/prefix. Each is built once; later runs find it and return at once, so DIR is
# best outside the checkout (scripts/build-windows.sh keeps it in ~/.cache/salvo).
# Usage: scripts/build-windows-deps.sh DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps=$(mkdir -p "$1" && cd "$1" && pwd)
prefix=$deps/prefix
toolchain=$root/cmake/mingw-w64-x86_64.cmake
jobs=$(nproc)
mkdir -p "$prefix"
export SALVO_WINDOWS_DEPS=$prefix

# The source of the Debian package that holds the installed library $2, unpacked into $deps/$1.
# apt's lists for deb-src live in $deps, so the machine's own apt configuration is untouched.
fetch_source() {
  local name=$1 binary=$2
  local version
  version=$(dpkg-query -W -f='${source:Version}' "$binary")
  local stamp=$deps/$name.source-$version
  [ -f "$stamp" ] && return 0
  mkdir -p "$deps/apt/lists/partial" "$deps/src"
  if [ ! -f "$deps/apt/updated" ]; then
    sed -n 's/^Types: deb$/Types: deb-src/p; /^URIs:/p; /^Suites:/p; /^Components:/p; /^Signed-By:/p; /^$/p' \
      /etc/apt/sources.list.d/debian.sources > "$deps/apt/deb-src.sources" 2>/dev/null || true
    if ! grep -q '^Types: deb-src' "$deps/apt/deb-src.sources"; then
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        > "$deps/apt/deb-src.sources"
    fi
    apt-get -qq -o Dir::Etc::SourceList="$deps/apt/deb-src.sources" -o Dir::Etc::SourceParts=/nonexistent \
      -o Dir::State::Lists="$deps/apt/lists" update
    touch "$deps/apt/updated"
  fi
  (cd "$deps/src" && apt-get -qq -o Dir::Etc::SourceList="$deps/apt/deb-src.sources" \
     -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$deps/apt/lists" \
     source "$name=$version" 2>&1 | grep -v "unsandboxed" || true)
  local dir
  dir=$(find "$deps/src" -maxdepth 1 -mindepth 1 -type d -name "$name-*" | head -n 1)
  [ -n "$dir" ] || { echo "build-windows-deps: no source for $name $version" >&2; exit 1; }
  rm -rf "$deps/$name"
  mv "$dir" "$deps/$name"
  touch "$stamp"
}

# cmake-builds $deps/$1 (or a subfolder $3) for Windows with the extra flags $2, once.
build() {
  local name=$1 flags=$2 sub=${3:-}
  local stamp=$prefix/.built-$name
  [ -f "$stamp" ] && return 0
  echo "build-windows-deps: building $name for Windows"
  cmake -S "$deps/$name$sub" -B "$deps/build-$name" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_CXX_STANDARD=20 $flags > "$deps/build-$name.log"
  cmake --build "$deps/build-$name" -j "$jobs" >> "$deps/build-$name.log"
  cmake --install "$deps/build-$name" >> "$deps/build-$name.log"
  touch "$stamp"
}

fetch_source abseil libabsl-dev
build abseil "-DABSL_PROPAGATE_CXX_STD=ON -DBUILD_TESTING=OFF -DABSL_BUILD_TESTING=OFF"

# The library only: the host's protoc (the same version) generates the code.
fetch_source protobuf libprotobuf-dev
build protobuf "-Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
  -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF"

if [ ! -f "$prefix/.built-googletest" ]; then
  rm -rf "$deps/googletest" && cp -r /usr/src/googletest "$deps/googletest"
fi
build googletest "-Dgtest_disable_pthreads=OFF -DBUILD_GMOCK=ON"

# CLI11 is headers only: the host's copy serves.
if [ ! -d "$prefix/include/CLI" ]; then
  cp -r /usr/include/CLI "$prefix/include/CLI"
fi
echo "build-windows-deps: $prefix"
