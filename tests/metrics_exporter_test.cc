// The Prometheus endpoint, checked by Prometheus's own tools: the exposition passes
// `promtool check metrics`, and a real prometheus server (Debian's package) scraping a run's
// endpoint on loopback then answers a query for a salvo counter with the run's own figure.
#include "output/metrics_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "output/render.h"
#include "process/child.h"
#include "target/target_server.h"
#include "tests/cluster.h"
#include "tests/test_util.h"
#include "wire/figures.h"

namespace salvo {
namespace {

using output::MetricsExporter;
using testing::WaitFor;

// Runs `promtool check metrics` on `text`; returns its exit code and output.
int PromtoolCheck(const std::string& text, std::string* output) {
  const std::string path = ::testing::TempDir() + "/exposition.txt";
  std::ofstream(path) << text;
  const std::string out_path = path + ".out";
  const int rc = std::system(
      absl::StrCat("promtool check metrics < ", path, " > ", out_path, " 2>&1").c_str());
  *output = testing::ReadFile(out_path);
  return WEXITSTATUS(rc);
}

// The value of the sample whose line starts with `series` ("salvo_messages_total{agent=\"a\"}").
double Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = 0;
      EXPECT_TRUE(absl::SimpleAtod(line.substr(series.size() + 1), &v)) << line;
      return v;
    }
  }
  ADD_FAILURE() << "no sample " << series;
  return -1;
}

class Metrics : public testing::Cluster {
 protected:
  void SetUp() override {
    if (std::system("command -v promtool > /dev/null 2>&1") != 0 ||
        std::system("command -v prometheus > /dev/null 2>&1") != 0) {
      GTEST_SKIP() << "promtool and prometheus are not installed (scripts/setup.sh installs "
                      "Debian's prometheus)";
    }
  }
};

TEST_F(Metrics, ARunsEndpointPassesPromtoolAndIsScrapedByARealPrometheus) {
  target::TargetServer& target = StartTarget(target::TargetMode::kEcho);
  StartAgents(2);
  absl::StatusOr<std::unique_ptr<MetricsExporter>> exporter =
      MetricsExporter::Listen("127.0.0.1:0");
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  MetricsExporter& m = **exporter;

  // Prometheus, scraping the endpoint every 500 ms, in a directory of its own.
  const std::string dir = *process::MakeTempDir("salvo-prometheus-");
  const uint16_t web = FreePort();
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n"
      << "scrape_configs:\n  - job_name: salvo\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << m.port() << "']\n";
  absl::StatusOr<process::Child> prometheus = process::Child::Spawn(
      "/usr/bin/prometheus",
      {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
       absl::StrCat("--web.listen-address=127.0.0.1:", web)},
      dir + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();

  // The run feeds the endpoint interval by interval.
  driver::RunConfig c = Config(workload::Kind::kEcho, target.port(), 4);
  c.duration = absl::Seconds(3);
  class Feed final : public driver::ReportSink {
   public:
    explicit Feed(output::MetricsExporter& m) : m_(m) {}
    void OnInterval(const v1::IntervalPoint& p, const driver::IntervalParts& parts) override {
      m_.AddInterval(p, parts);
      if (++intervals_seen == 2) during = m_.Text();
    }
    absl::Status OnReport(const v1::RunReport&) override { return absl::OkStatus(); }
    int intervals_seen = 0;
    std::string during;

   private:
    output::MetricsExporter& m_;
  } feed(m);
  driver::RunHooks hooks;
  hooks.sinks = {&feed};
  const v1::RunReport r = Run(c, hooks);
  const std::string& during = feed.during;
  ASSERT_EQ(r.status(), v1::RUN_STATUS_OK) << output::RenderReport(r);
  m.Finish(r);

  // While it ran: the running sums, and the run's status "running".
  ASSERT_FALSE(during.empty());
  EXPECT_EQ(Sample(during, "salvo_run_status{status=\"running\"}"), 1);
  EXPECT_GT(Sample(during, "salvo_messages_total{agent=\"total\"}"), 0);
  // After it: the report's own totals, per agent and in all.
  httplib::Client http("127.0.0.1", m.port());
  httplib::Result got = http.Get("/metrics");
  ASSERT_TRUE(got) << "no answer from /metrics";
  ASSERT_EQ(got->status, 200);
  const std::string& text = got->body;
  EXPECT_EQ(Sample(text, "salvo_messages_total{agent=\"total\"}"),
            static_cast<double>(r.totals().counters().messages()));
  for (const v1::AgentResult& a : r.agents()) {
    EXPECT_EQ(Sample(text, absl::StrCat("salvo_messages_total{agent=\"", a.agent(), "\"}")),
              static_cast<double>(a.counters().messages()));
  }
  EXPECT_EQ(Sample(text, "salvo_run_status{status=\"ok\"}"), 1);
  EXPECT_EQ(
      Sample(text, "salvo_round_trip_seconds_count"),
      static_cast<double>(wire::FindSummary(r.timings(), metrics::Timing::kRoundTrip).count()));
  std::string lint;
  EXPECT_EQ(PromtoolCheck(text, &lint), 0) << lint;
  EXPECT_TRUE(lint.empty()) << lint;

  // Prometheus scraped it: its HTTP API gives the counter.
  httplib::Client api("127.0.0.1", web);
  double scraped = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        httplib::Result q =
            api.Get("/api/v1/query?query=salvo_messages_total%7Bagent%3D%22total%22%7D");
        if (!q || q->status != 200) return false;
        // {"status":"success","data":{"result":[{"metric":{...},"value":[1700000000.1,"123"]}]}}
        const size_t at = q->body.find("\"value\":[");
        if (at == std::string::npos) return false;
        const size_t quote = q->body.find('"', q->body.find(',', at) + 1);
        const size_t end = q->body.find('"', quote + 1);
        return absl::SimpleAtod(q->body.substr(quote + 1, end - quote - 1), &scraped) &&
               scraped == static_cast<double>(r.totals().counters().messages());
      },
      absl::Seconds(40)))
      << "prometheus has " << scraped << "; log:\n"
      << testing::ReadFile(dir + "/prometheus.log");
  prometheus->Kill();
  std::system(absl::StrCat("rm -rf ", dir).c_str());
}

TEST(MetricsExporter, ListeningOnABadAddressIsAOneLineError) {
  EXPECT_NE(MetricsExporter::Listen("256.0.0.1:9").status().message().find("--metrics-listen"),
            std::string::npos);
  EXPECT_FALSE(MetricsExporter::Listen("nonsense").ok());
}

// A client socket to 127.0.0.1:port that gives up on a read after `timeout`.
int ConnectLoopback(uint16_t port, absl::Duration timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const timeval tv = absl::ToTimeval(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Issue 22: a client that sent "GET /metrics HTTP/1.1" and then one header line per second held
// the report and the exit until it stopped (62 s when held for 60 s), and 40 scrapers arriving
// together were refused mid-run.
TEST(MetricsExporter, ASlowClientNeitherHoldsTheExitNorKeepsOtherScrapersOut) {
  absl::StatusOr<std::unique_ptr<MetricsExporter>> m = MetricsExporter::Listen("127.0.0.1:0");
  ASSERT_TRUE(m.ok()) << m.status();
  const uint16_t port = (*m)->port();
  // The slow client: a header line every 200 ms, for at most 10 s.
  std::atomic<bool> stop_slow{false};
  std::thread slow([&] {
    const int fd = ConnectLoopback(port, absl::Seconds(1));
    if (fd < 0) return;
    std::string line = "GET /metrics HTTP/1.1\r\n";
    const absl::Time end = absl::Now() + absl::Seconds(10);
    while (!stop_slow.load() && absl::Now() < end &&
           ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) > 0) {
      line = "X-Slow: 1\r\n";
      absl::SleepFor(absl::Milliseconds(200));
    }
    ::close(fd);
  });
  absl::SleepFor(absl::Milliseconds(100));
  std::atomic<int> served{0};
  std::vector<std::thread> scrapers;
  for (int i = 0; i < 40; ++i) {
    scrapers.emplace_back([&] {
      const int fd = ConnectLoopback(port, absl::Seconds(5));
      if (fd < 0) return;
      const std::string request =
          "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
      std::string response;
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) response.append(buf, n);
      ::close(fd);
      if (absl::StartsWith(response, "HTTP/1.1 200")) ++served;
    });
  }
  for (std::thread& t : scrapers) t.join();
  EXPECT_EQ(served.load(), 40);
  const absl::Time before = absl::Now();
  m->reset();  // the run's end: the slow client is still sending
  const absl::Duration shutdown = absl::Now() - before;
  stop_slow = true;
  slow.join();
  EXPECT_LT(shutdown, absl::Seconds(1)) << "the exit waited for a slow /metrics client";
}

}  // namespace
}  // namespace salvo
