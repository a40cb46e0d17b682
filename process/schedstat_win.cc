// process/schedstat.h on Windows: a thread's CPU time from GetThreadTimes. Windows keeps no
// per-thread time spent waiting for a CPU, so the run-queue figure is refused rather than
// reported as zero (which would claim the generator never waited).
#include <windows.h>

#include "absl/strings/str_cat.h"
#include "process/schedstat.h"

namespace salvo::process {
namespace {

uint64_t Nanos(const FILETIME& t) {  // FILETIME counts 100 ns
  return ((uint64_t{t.dwHighDateTime} << 32) | t.dwLowDateTime) * 100;
}

}  // namespace

absl::StatusOr<SchedStat> ReadThreadSchedStat(int tid) {
  return absl::UnimplementedError("Windows does not record how long a thread waited for a CPU");
}

absl::StatusOr<SchedStat> ReadOwnSchedStat() { return ReadThreadSchedStat(CurrentThreadId()); }

int CurrentThreadId() { return static_cast<int>(::GetCurrentThreadId()); }

double ProcessCpuSeconds() {
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
  return static_cast<double>(Nanos(kernel) + Nanos(user)) / 1e9;
}

}  // namespace salvo::process
