// The report a person reads: the live line per interval and the final tables, and the sink that
// prints them on the terminal.
#pragma once

#include <ostream>
#include <string>

#include "salvo/v1/report.pb.h"

namespace salvo::output {

// "[  3.0s]  1.23M tps  612k msg/s  out 39.2 MB/s  in 39.2 MB/s  p50 45.2us  p99 120us"
// With `bits`, throughput in bits per second (Gbit/s, as iperf3 shows it) instead of MB/s.
std::string LiveLine(const v1::IntervalPoint& point, uint32_t agents_expected, bool bits = false);

// The final report: spec line, per-agent and total throughput and latency tables, status,
// reasons and diagnostics.
std::string RenderReport(const v1::RunReport& report, bool bits = false);

}  // namespace salvo::output
