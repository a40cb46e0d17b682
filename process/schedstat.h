// How much CPU a thread got, and how long it waited for one: /proc/self/task/TID/schedstat.
// A load generator must know when it is itself the bottleneck.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace salvo::process {

struct SchedStat {
  uint64_t cpu_ns = 0;       // time on a CPU
  uint64_t runqueue_ns = 0;  // time runnable, waiting for a CPU
};

// For a thread of this process (CurrentThreadId()).
absl::StatusOr<SchedStat> ReadThreadSchedStat(int tid);

// The calling thread's own figures, with its CPU time exact to now (CLOCK_THREAD_CPUTIME_ID;
// schedstat's lags a running thread by up to a scheduler tick, which over a span of a few
// milliseconds put CPU and wait together above 100%).
absl::StatusOr<SchedStat> ReadOwnSchedStat();

// The calling thread's id, as ReadThreadSchedStat takes it.
int CurrentThreadId();

// CPU seconds (user + system) this process has used so far.
double ProcessCpuSeconds();

}  // namespace salvo::process
