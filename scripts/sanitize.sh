#!/usr/bin/env bash
# The Linux test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc), in a build
# directory of its own: every test that runs salvo's code in-process or as a child process, with
# leak checking, and any ASan, UBSan or leak report failing its test.
# Usage: scripts/sanitize.sh [build-dir]   (default: build-asan; needs what scripts/setup.sh installs)
#
# Left out, each for a reason that is the sanitizer's, not the code's:
#   - memory and speed bounds (AnAgentDoesNotGrowAcrossFiftyRuns, *Rss*, bench-like ratios):
#     ASan's quarantine and shadow memory are what they would measure;
#   - the package tests (packaging_test, deploy's package cases): the .deb they build would carry
#     binaries that need libasan on the host they install to;
#   - the Windows tests: another compiler and wine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-asan}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSALVO_SANITIZE=ON \
  >/dev/null
cmake --build "$build" -j "$(nproc)"
# Every report fails its process; child processes (agents, targets) inherit the options. Leaks
# in gRPC's and protobuf's process-lifetime singletons are theirs (see the suppressions file).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/scripts/lsan.supp:print_suppressions=0
cd "$build"
start=$(date +%s)
status=0
ctest --output-on-failure -j "$(nproc)" --timeout 600 -LE windows \
  -E 'FiftyRuns|Rss|Packag|Package' || status=$?
echo "sanitize: ctest exit $status in $(( $(date +%s) - start )) s"
exit $status
