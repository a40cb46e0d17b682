#include "output/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace salvo::output {
namespace {

constexpr double kWidth = 900, kHeight = 360;
constexpr double kLeft = 80, kRight = 270, kTop = 64, kBottom = 60;
// Okabe and Ito's palette, told apart with every common colour-vision deficiency; series also
// differ by marker and dash, so that they stay apart in grey print.
constexpr const char* kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                   "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr const char* kDashes[] = {"", "6 3", "2 3", "8 3 2 3"};
constexpr int kMarkers = 4;  // circle, square, triangle, diamond

// Marker `kind` centred on (x, y).
std::string Marker(int kind, double x, double y, const char* color) {
  switch (kind % kMarkers) {
    case 0:
      return absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\"/>", x, y,
                             color);
    case 1:
      return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"%s\"/>",
                             x - 3, y - 3, color);
    case 2:
      return absl::StrFormat("<path d=\"M%.1f %.1f L%.1f %.1f L%.1f %.1f Z\" fill=\"%s\"/>", x,
                             y - 4, x + 3.8, y + 3, x - 3.8, y + 3, color);
    default:
      return absl::StrFormat(
          "<path d=\"M%.1f %.1f L%.1f %.1f L%.1f %.1f L%.1f %.1f Z\" fill=\"%s\"/>", x, y - 4,
          x + 4, y, x, y + 4, x - 4, y, color);
  }
}

// A "nice" step (1, 2 or 5 times a power of ten) giving about `ticks` ticks up to `max`.
double NiceStep(double max, int ticks) {
  if (max <= 0) return 1;
  const double raw = max / ticks;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string FormatTick(double v) {
  if (v >= 1e6) return absl::StrFormat("%gM", v / 1e6);
  if (v >= 1e3) return absl::StrFormat("%gk", v / 1e3);
  return absl::StrFormat("%g", v);
}

std::string RenderChart(const Chart& chart, double y0) {
  std::string out;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  std::set<double> xs;
  double y_max = 0, y_min_positive = 0;
  for (const Series& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      if (chart.log_x && x <= 0) continue;
      xs.insert(x);
      y_max = std::max(y_max, y);
      if (y > 0 && (y_min_positive == 0 || y < y_min_positive)) y_min_positive = y;
    }
    for (const auto& [x, lo_hi] : s.range) y_max = std::max(y_max, lo_hi.second);
  }
  if (xs.empty()) xs.insert(1);
  const auto fx = [&](double x) { return chart.log_x ? std::log2(x) : x; };
  double x_lo = fx(*xs.begin()), x_hi = fx(*xs.rbegin());
  if (x_hi == x_lo) {
    x_lo -= 1;
    x_hi += 1;
  }
  const double step = NiceStep(y_max, 5);
  const double y_top = chart.log_y ? std::pow(10, std::ceil(std::log10(std::max(y_max, 1e-9))))
                                   : std::max(step, std::ceil(y_max / step) * step);
  const double y_bottom =
      chart.log_y ? std::pow(10, std::floor(std::log10(y_min_positive > 0 ? y_min_positive : 1)))
                  : 0;
  const auto px = [&](double x) { return kLeft + (fx(x) - x_lo) / (x_hi - x_lo) * plot_w; };
  const auto py = [&](double y) {
    if (chart.log_y) {
      const double lo = std::log10(y_bottom), hi = std::log10(std::max(y_top, y_bottom * 10));
      return y0 + kTop + plot_h - (std::log10(std::max(y, y_bottom)) - lo) / (hi - lo) * plot_h;
    }
    return y0 + kTop + plot_h - y / y_top * plot_h;
  };

  absl::StrAppend(
      &out, absl::StrFormat("<g class=\"chart\">\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"16\" "
                            "text-anchor=\"middle\">%s</text>\n",
                            kLeft + plot_w / 2, y0 + 24, XmlEscape(chart.title)));
  if (!chart.caption.empty()) {
    // One line per clause ("; "), from the left edge: a caption is longer than the plot is wide.
    double line_y = y0 + 38;
    for (absl::string_view line : absl::StrSplit(chart.caption, "; ")) {
      absl::StrAppend(&out, absl::StrFormat("<text class=\"caption\" x=\"8\" y=\"%.1f\" "
                                            "font-size=\"10\">%s</text>\n",
                                            line_y, XmlEscape(std::string(line))));
      line_y += 11;
    }
  }
  // Axes.
  absl::StrAppend(&out, absl::StrFormat("<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                        "y2=\"%.1f\" stroke=\"#000\"/>\n",
                                        kLeft, py(y_bottom), kLeft + plot_w, py(y_bottom)));
  absl::StrAppend(&out, absl::StrFormat("<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                                        "y2=\"%.1f\" stroke=\"#000\"/>\n",
                                        kLeft, py(y_bottom), kLeft, py(y_top)));
  // A tick per x value when there are few (message sizes); evenly spaced ones otherwise (a
  // time series of a hundred intervals).
  std::vector<double> ticks(xs.begin(), xs.end());
  if (!chart.log_x && ticks.size() > 12) {
    ticks.clear();
    const double x_step = NiceStep(*xs.rbegin() - *xs.begin(), 8);
    for (double x = std::ceil(*xs.begin() / x_step) * x_step; x <= *xs.rbegin() + 1e-9;
         x += x_step) {
      ticks.push_back(x);
    }
  }
  for (double x : ticks) {
    const std::string label = chart.x_format ? chart.x_format(x) : FormatTick(x);
    absl::StrAppend(
        &out, absl::StrFormat(
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
                  px(x), py(y_bottom), px(x), py(y_bottom) + 5, px(x), py(y_bottom) + 18,
                  XmlEscape(label)));
  }
  std::vector<double> y_ticks;
  if (chart.log_y) {
    for (double y = y_bottom; y <= y_top * 1.0001; y *= 10) y_ticks.push_back(y);
  } else {
    for (double y = 0; y <= y_top + step / 2; y += step) y_ticks.push_back(y);
  }
  for (double y : y_ticks) {
    absl::StrAppend(
        &out, absl::StrFormat(
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
                  kLeft, py(y), kLeft + plot_w, py(y), kLeft - 6, py(y) + 4, FormatTick(y)));
  }
  absl::StrAppend(
      &out, absl::StrFormat(
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\">%s%s</text>\n",
                kLeft + plot_w / 2, y0 + kHeight - 18, XmlEscape(chart.x_label),
                chart.log_x ? " (log scale)" : ""));
  absl::StrAppend(
      &out,
      absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" text-anchor=\"middle\" "
                      "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                      22.0, y0 + kTop + plot_h / 2, 22.0, y0 + kTop + plot_h / 2,
                      XmlEscape(chart.log_y ? chart.y_label + " (log scale)" : chart.y_label)));
  // One path per series, and its legend entry.
  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& s = chart.series[i];
    const size_t color_index = s.color >= 0 ? static_cast<size_t>(s.color) : i;
    const char* color = kColors[color_index % (sizeof(kColors) / sizeof(kColors[0]))];
    std::vector<std::pair<double, double>> pts = s.points;
    std::sort(pts.begin(), pts.end());
    std::string d;
    for (const auto& [x, y] : pts) {
      if ((chart.log_x && x <= 0) || (chart.log_y && y <= 0)) continue;
      absl::StrAppend(&d, d.empty() ? "M" : " L", absl::StrFormat("%.1f %.1f", px(x), py(y)));
    }
    for (const auto& [x, lo_hi] : s.range) {
      if (chart.log_x && x <= 0) continue;
      const double bx = px(x), lo = py(lo_hi.first), hi = py(lo_hi.second);
      absl::StrAppend(
          &out,
          absl::StrFormat("<path class=\"error-bar\" d=\"M%.1f %.1f L%.1f %.1f M%.1f %.1f "
                          "L%.1f %.1f M%.1f %.1f L%.1f %.1f\" stroke=\"%s\"/>\n",
                          bx, lo, bx, hi, bx - 3, lo, bx + 3, lo, bx - 3, hi, bx + 3, hi, color));
    }
    const size_t dash_index = s.dash >= 0 ? static_cast<size_t>(s.dash) : i / 2;
    const char* dash = kDashes[dash_index % (sizeof(kDashes) / sizeof(kDashes[0]))];
    const int marker = static_cast<int>(s.dash >= 0 ? dash_index : i);
    absl::StrAppend(
        &out, absl::StrFormat(
                  "<path class=\"series\" data-series=\"%s\" d=\"%s\" fill=\"none\" stroke=\"%s\" "
                  "stroke-width=\"2\" stroke-dasharray=\"%s\"/>\n",
                  XmlEscape(s.name), d, color, dash));
    // Markers on every point of a short series; on a long one, every few.
    const size_t every = std::max<size_t>(1, pts.size() / 24);
    for (size_t k = 0; k < pts.size(); k += every) {
      if ((chart.log_x && pts[k].first <= 0) || (chart.log_y && pts[k].second <= 0)) continue;
      absl::StrAppend(&out, Marker(marker, px(pts[k].first), py(pts[k].second), color), "\n");
    }
    const double ly = y0 + kTop + 10 + 20 * static_cast<double>(i);
    absl::StrAppend(
        &out,
        absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"%s\" stroke-width=\"2\" stroke-dasharray=\"%s\"/>",
                        kWidth - kRight + 15, ly, kWidth - kRight + 40, ly, color, dash),
        Marker(marker, kWidth - kRight + 27.5, ly, color),
        absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n",
                        kWidth - kRight + 46, ly + 4, XmlEscape(s.name)));
  }
  absl::StrAppend(&out, "</g>\n");
  return out;
}

}  // namespace

std::string XmlEscape(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string RenderSvg(const std::vector<Chart>& charts) {
  std::string out = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
      kWidth, kHeight * static_cast<double>(std::max<size_t>(1, charts.size())));
  for (size_t i = 0; i < charts.size(); ++i) {
    absl::StrAppend(&out, RenderChart(charts[i], kHeight * static_cast<double>(i)));
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace salvo::output
