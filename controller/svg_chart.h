// Line charts as standalone SVG, for `salvo sweep --svg`. No plotting library in Debian's C++
// packages writes SVG, and the charts needed are simple: lines over a (log-scale) x axis with
// labelled axes and a legend.
//
//   Chart c{"Throughput", "message size", "MB/s", /*log_x=*/true};
//   c.series.push_back({"copy", {{1024, 310.5}, {4096, 900.1}}});
//   std::string svg = RenderSvg({c});
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace salvo::controller {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), any order
};

struct Chart {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  std::vector<Series> series;
  // Labels for x ticks; defaults to the number.
  std::function<std::string(double)> x_format;
};

// The charts stacked vertically in one SVG document. Each series is one <path class="series">.
std::string RenderSvg(const std::vector<Chart>& charts);

}  // namespace salvo::controller
