// The report a person reads: the live line per interval and the final tables. And the JSON a
// program reads: the RunReport through protobuf's JSON printer, proto field names kept.
#pragma once

#include <ostream>
#include <string>

#include "salvo/v1/report.pb.h"

namespace salvo::controller {

// "[  3.0s]  1.23M tps  612k msg/s  out 39.2 MB/s  in 39.2 MB/s  p50 45.2us  p99 120us"
// With `bits`, throughput in bits per second (Gbit/s, as iperf3 shows it) instead of MB/s.
std::string LiveLine(const v1::IntervalPoint& point, uint32_t agents_expected, bool bits = false);

// The final report: spec line, per-agent and total throughput and latency tables, status,
// reasons and diagnostics.
std::string RenderReport(const v1::RunReport& report, bool bits = false);

// Writes the report as ToJson prints it, but element by element for the agents and their
// interval series (each interval on one line), so that writing takes memory in proportion to one
// agent, not to the whole run. Takes the report to move its lists out.
void WriteReportJson(v1::RunReport report, std::ostream& out);
std::string ReportToJson(v1::RunReport report);

// The interval series as CSV: per interval, a row for each agent that reported it and a row
// "total" for their merge; columns unix_ms, elapsed_s, interval, agent, seconds (the interval's
// length), every counter, every rate, and p50/p90/p99/max of every timing in microseconds (empty
// where the timing has no samples).
std::string ReportCsv(const v1::RunReport& report);

}  // namespace salvo::controller
