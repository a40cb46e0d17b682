// Line charts as standalone SVG: the sweep's chart (`salvo sweep --svg`) and the charts of the
// HTML report (output/html_report.h), inline. No plotting library in Debian's C++
// packages writes SVG, and the charts needed are simple: lines over a (log-scale) x axis with
// labelled axes and a legend.
//
//   Chart c{"Throughput", "message size", "MB/s", /*log_x=*/true};
//   c.series.push_back({"copy", {{1024, 310.5}, {4096, 900.1}}});
//   std::string svg = RenderSvg({c});
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace salvo::output {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), any order
  // Error bars: the low and high y at an x (the spread of repeated runs).
  std::map<double, std::pair<double, double>> range = {};
  // Colour and dash by index, where a chart encodes two things at once (send mode by colour,
  // connection count by dash); -1: by the series' position.
  int color = -1;
  int dash = -1;
};

struct Chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  std::vector<Series> series;
  // Labels for x ticks; defaults to the number.
  std::function<std::string(double)> x_format;
  // A log y axis (powers of ten); points at or below 0 are left out.
  bool log_y = false;
  // A line under the title: what the chart was measured on, what to keep in mind.
  std::string caption = {};
};

// `s` with the characters XML and HTML give meaning to (& < > ") escaped.
std::string XmlEscape(absl::string_view s);

// The charts stacked vertically in one SVG document. Each series is one <path class="series">.
std::string RenderSvg(const std::vector<Chart>& charts);

}  // namespace salvo::output
