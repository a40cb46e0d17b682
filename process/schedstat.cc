#include "process/schedstat.h"

#include <time.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace salvo::process {

absl::StatusOr<SchedStat> ReadThreadSchedStat(int tid) {
  const std::string path = absl::StrCat("/proc/self/task/", tid, "/schedstat");
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return absl::ErrnoToStatus(errno, path);
  unsigned long long cpu = 0, wait = 0;
  const int n = std::fscanf(f, "%llu %llu", &cpu, &wait);
  std::fclose(f);
  if (n != 2) return absl::DataLossError(absl::StrCat(path, ": unexpected format"));
  return SchedStat{cpu, wait};
}

absl::StatusOr<SchedStat> ReadOwnSchedStat() {
  absl::StatusOr<SchedStat> s = ReadThreadSchedStat(CurrentThreadId());
  if (!s.ok()) return s;
  timespec cpu{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0) {
    s->cpu_ns =
        static_cast<uint64_t>(cpu.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(cpu.tv_nsec);
  }
  return s;
}

int CurrentThreadId() { return static_cast<int>(::gettid()); }

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace salvo::process
