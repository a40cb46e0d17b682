// The monotonic clock the hot path reads: CLOCK_MONOTONIC through the vDSO, no syscall.
#pragma once

#include <time.h>

#include <cstdint>

namespace salvo::metrics {

inline uint64_t MonoNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace salvo::metrics
