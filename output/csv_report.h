// --csv: the interval series as a spreadsheet or pandas reads it.
#pragma once

#include <string>

#include "salvo/v1/report.pb.h"

namespace salvo::output {

// Per interval, a row for each agent that reported it and a row "total" for their merge;
// columns unix_ms, elapsed_s, interval, agent, seconds (the interval's length), every counter,
// every rate, and p50/p90/p99/max of every timing in microseconds (empty where the timing has no
// samples).
std::string ReportCsv(const v1::RunReport& report);

}  // namespace salvo::output
