// What a finished sweep looks like to a person (a table with its findings), to a spreadsheet
// (one CSV row per point) and on a page (SVG charts, one per metric and group).
#pragma once

#include <string>

#include "salvo/v1/sweep.pb.h"

namespace salvo::output {

std::string SweepTable(const v1::SweepReport& report);
std::string SweepCsv(const v1::SweepReport& report);
std::string SweepSvg(const v1::SweepReport& report);

}  // namespace salvo::output
