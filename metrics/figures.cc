#include "metrics/figures.h"

namespace salvo::metrics {

RateValues ComputeRates(const CounterValues& counters, double seconds) {
  RateValues rates;
  // A span shorter than a microsecond measures nothing (and a denormal one, from a hostile
  // report, would make every rate infinite).
  if (!(seconds >= kMinRateSpanSeconds)) return rates;
  for (int r = 0; r < kNumRates; ++r) {
    const RateInfo& info = kRateInfo[r];
    double sum = 0;
    for (int c = 0; c < info.num_counters; ++c) {
      sum += static_cast<double>(counters[info.counters[c]]);
    }
    rates.at(r) = sum * info.scale / seconds;
  }
  return rates;
}

double ZcCopiedShare(const CounterValues& counters) {
  const uint64_t sends = counters[Counter::kZcSends];
  return sends == 0 ? 0 : static_cast<double>(counters[Counter::kZcCopied]) / sends;
}

double MessagesPerSend(const CounterValues& counters) {
  const uint64_t sends = counters[Counter::kSendCalls];
  return sends == 0 ? 0 : static_cast<double>(counters[Counter::kMessages]) / sends;
}

double CpuNsPerByteSent(double cpu_s, const CounterValues& counters) {
  const uint64_t bytes = counters[Counter::kBytesSent];
  return bytes == 0 ? 0 : cpu_s * 1e9 / static_cast<double>(bytes);
}

}  // namespace salvo::metrics
