// The JSON a program reads: the RunReport in protobuf's JSON mapping with the proto field names
// (proto/json.h), written agent by agent and interval by interval.
#pragma once

#include <ostream>
#include <string>

#include "salvo/v1/report.pb.h"

namespace salvo::output {

// Writes the report as ToJson prints it, but element by element for the agents and their
// interval series (each interval on one line), so that writing takes memory in proportion to one
// agent, not to the whole run.
void WriteReportJson(const v1::RunReport& report, std::ostream& out);
std::string ReportToJson(const v1::RunReport& report);

}  // namespace salvo::output
