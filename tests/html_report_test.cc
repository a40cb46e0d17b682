// The HTML report of a real run, opened in headless Chromium (Debian's package): it loads
// without a console error, Chromium's DOM holds every chart with its series drawn, and it
// renders to a screenshot.
#include "output/html_report.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "output/render.h"
#include "process/child.h"
#include "target/target_server.h"
#include "tests/cluster.h"
#include "tests/test_util.h"

namespace salvo {
namespace {

// Each chart (<figure class="chart">) of `html` and the number of its series with a drawn path.
std::vector<int> DrawnSeries(const std::string& html) {
  std::vector<int> out;
  std::vector<std::string> figures = absl::StrSplit(html, "<figure class=\"chart\">");
  for (size_t i = 1; i < figures.size(); ++i) {
    const std::string chart = figures[i].substr(0, figures[i].find("</figure>"));
    int drawn = 0;
    for (size_t at = chart.find("class=\"series\""); at != std::string::npos;
         at = chart.find("class=\"series\"", at + 1)) {
      const size_t d = chart.find(" d=\"", at);
      if (d != std::string::npos && chart.compare(d + 4, 1, "M") == 0) ++drawn;
    }
    out.push_back(drawn);
  }
  return out;
}

class Html : public testing::Cluster {};

TEST_F(Html, ARealRunsReportOpensInChromiumWithEveryChartDrawn) {
  const char* chromium = "/usr/bin/chromium";
  if (std::system("test -x /usr/bin/chromium") != 0) {
    GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs Debian's)";
  }
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  driver::RunConfig c = Config(workload::Kind::kEcho, target.port(), 6);
  c.duration = absl::Seconds(3);
  const v1::RunReport r = Run(c);
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK);
  const std::string html = output::ReportHtml(r);
  // Throughput, completions, round trip, connections, distribution, bytes per connection.
  const std::vector<int> drawn = DrawnSeries(html);
  ASSERT_EQ(drawn.size(), 6u) << html;
  EXPECT_EQ(drawn[0], 4);  // sent and delivered in total, sent per agent
  EXPECT_EQ(drawn[1], 3);  // in total and per agent
  EXPECT_EQ(drawn[2], 2);  // p50, p99
  for (int n : drawn) EXPECT_GT(n, 0);
  EXPECT_TRUE(absl::StrContains(html, "status: ok"));
  // Nothing fetched: no external source, link or stylesheet (the SVG namespace is a name only).
  for (const char* fetch : {"src=", "href=", "url(", "@import"}) {
    EXPECT_FALSE(absl::StrContains(html, fetch)) << "the page must need no network: " << fetch;
  }
  EXPECT_FALSE(absl::StrContains(html, "<script"));

  const std::string dir = *process::MakeTempDir("salvo-html-");
  const std::string page = dir + "/report.html";
  std::ofstream(page) << html;
  const std::string common = absl::StrCat(
      chromium, " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run ",
      "--user-data-dir=", dir, "/profile --enable-logging=stderr --v=0 --window-size=1200,5000 ");
  // The DOM as Chromium built it: the same charts, the same drawn paths.
  ASSERT_EQ(std::system(absl::StrCat(common, "--dump-dom file://", page, " > ", dir,
                                     "/dom.html 2> ", dir, "/dom.log")
                            .c_str()),
            0)
      << testing::ReadFile(dir + "/dom.log");
  const std::string dom = testing::ReadFile(dir + "/dom.html");
  EXPECT_EQ(DrawnSeries(dom), drawn);
  ASSERT_EQ(std::system(absl::StrCat(common, "--screenshot=", dir, "/report.png file://", page,
                                     " > ", dir, "/shot.log 2>&1")
                            .c_str()),
            0)
      << testing::ReadFile(dir + "/shot.log");
  EXPECT_GT(testing::ReadFile(dir + "/report.png").size(), 20000u);
  // No console message of the page's own (Chromium logs them as CONSOLE).
  for (const std::string& log :
       {testing::ReadFile(dir + "/dom.log"), testing::ReadFile(dir + "/shot.log")}) {
    EXPECT_FALSE(absl::StrContains(log, "CONSOLE")) << log;
    EXPECT_FALSE(absl::StrContains(log, "Uncaught")) << log;
  }
  std::system(absl::StrCat("rm -rf ", dir).c_str());
}

}  // namespace
}  // namespace salvo
