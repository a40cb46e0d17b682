// A run's report as one self-contained HTML page (`salvo run --html FILE`): the verdict and its
// reasons, the spec and the machines, charts over time (throughput sent and delivered,
// completions per second, round-trip percentiles, starved and zero-window connections), the
// per-agent table, the round-trip distribution and the bytes each connection delivered. The
// charts are inline SVG from output/svg_chart.h: the page needs no network and runs no
// script, so it opens the same from a mail attachment years later.
#pragma once

#include <string>

#include "salvo/v1/report.pb.h"

namespace salvo::output {

std::string ReportHtml(const v1::RunReport& report);

}  // namespace salvo::output
