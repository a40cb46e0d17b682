// A histogram in HdrHistogram's percentile-distribution text (".hgrm"), the format of
// HdrHistogram's outputPercentileDistribution that its plotting tools (HistogramLogAnalyzer,
// the plotFiles page) and wrk2 read: a row per percentile step, five steps per halving of the
// distance to 100%, then the mean, standard deviation, maximum and count.
//
//   std::ofstream f("latency.hgrm");
//   metrics::WritePercentileDistribution(round_trips, /*unit_ns=*/1e6, f);  // in milliseconds
#pragma once

#include <ostream>

#include "metrics/histogram.h"

namespace salvo::metrics {

// Values are written in units of `unit_ns` nanoseconds (1e6: milliseconds, HdrHistogram's
// usual scaling for latencies).
void WritePercentileDistribution(const Histogram& h, double unit_ns, std::ostream& out);

}  // namespace salvo::metrics
