#!/usr/bin/env bash
# The Linux test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (gcc), in a build
# directory of its own: every test that runs salvo's code in-process or as a child process, with
# leak checking, and any ASan, UBSan or leak report failing its test.
# Usage: scripts/sanitize.sh [build-dir]   (default: build-asan; needs what scripts/setup.sh installs)
#
# Left out, each for a reason that is the sanitizer's, not the code's:
#   - the memory bound of AnAgentDoesNotGrowAcrossFiftyRuns: ASan's quarantine and shadow memory
#     are what it would measure;
#   - timing bounds at 10 ms intervals (TenMillisecondIntervalsOnAStallingHost): ASan makes the
#     agent two to three times slower, so its intervals come late;
#   - IdleConnectionsThatExhaustTheAgentsFds and ATargetOutOfDescriptors: they run a process out
#     of descriptors on purpose, and UBSan's vptr check then fails by itself (it probes memory
#     through a pipe, which needs a free descriptor: "object has invalid vptr ... memory cannot
#     be printed", at whichever virtual call is first checked there);
#   - UnitSystemCallFilterAllowsEveryCallTheAgentMakes: it traces the agent's system calls
#     against the unit's filter, and ASan's runtime makes calls of its own;
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
  -E 'FiftyRuns|UnitSystemCallFilter|TenMillisecondIntervalsOnAStallingHost|IdleConnectionsThatExhaust|OutOfDescriptors' \
  || status=$?
echo "sanitize: ctest exit $status in $(( $(date +%s) - start )) s"
exit $status
