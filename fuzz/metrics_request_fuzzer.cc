// The /metrics endpoint fed raw requests over a real loopback connection: whatever bytes a client
// sends (request lines, headers, bodies, pipelined requests, junk), the server answers in HTTP or
// closes, within its 2 s timeouts and never by crashing; and a well-formed scrape afterwards still
// gets the exposition, so no input leaves the endpoint broken for the run's real scraper.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "output/metrics_exporter.h"
#include "salvo/v1/report.pb.h"

namespace {

constexpr char kScrape[] = "GET /metrics HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n";

salvo::output::MetricsExporter& Exporter() {
  static salvo::output::MetricsExporter* exporter = [] {
    auto m = salvo::output::MetricsExporter::Listen("127.0.0.1:0");
    SALVO_FUZZ_CHECK(m.ok());
    salvo::v1::IntervalPoint p;
    p.set_index(0);
    p.set_elapsed_s(1);
    p.mutable_counters()->set_messages(42);
    (*m)->AddInterval(p, {});
    return m->release();
  }();
  return *exporter;
}

// Whether `response` holds one whole HTTP response: its header and the body its Content-Length
// announces (none without one).
bool Complete(const std::string& response) {
  const size_t head = response.find("\r\n\r\n");
  if (head == std::string::npos) return false;
  size_t body = 0;
  const size_t at = response.find("Content-Length: ");
  if (at != std::string::npos && at < head) {
    body = std::strtoull(response.c_str() + at + 16, nullptr, 10);
  }
  return response.size() >= head + 4 + body;
}

// A connection to the endpoint. A connect can fail now and then without the server being at
// fault: after hundreds of thousands of connections on loopback, a new one may meet the TIME_WAIT
// of an old one on the server's side. A server that refuses 50 in a row over 5 s has stopped
// accepting, which is a failure.
int Connect(uint16_t port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0;; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SALVO_FUZZ_CHECK(fd >= 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0) return fd;
    const int err = errno;
    ::close(fd);
    if (attempt == 50) {
      std::fprintf(stderr, "connect to the endpoint failed 50 times: %s\n", std::strerror(err));
      SALVO_FUZZ_CHECK(attempt < 50);
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

// Sends `request` and reads the server's answer: until it closes, a whole response has arrived,
// or it has been quiet for `quiet` (it waits for a body the input announced: its read timeout,
// 2 s, ends that). Our side stays open meanwhile: cpp-httplib answers nothing to a client that
// has half-closed. False if bytes kept coming past `limit`.
bool Exchange(uint16_t port, const std::string& request, std::string* response,
              absl::Duration quiet = absl::Milliseconds(20),
              absl::Duration limit = absl::Seconds(8)) {
  const int fd = Connect(port);
  // The server may answer and close before it has read everything: a failed send is fine.
  for (size_t at = 0; at < request.size();) {
    const ssize_t n = ::send(fd, request.data() + at, request.size() - at, MSG_NOSIGNAL);
    if (n <= 0) break;
    at += static_cast<size_t>(n);
  }
  const absl::Time deadline = absl::Now() + limit;
  absl::Time heard = absl::Now();
  bool done = false;
  char buf[16384];
  while (!done && absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) {
      done = absl::Now() - heard > quiet;
      continue;
    }
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      done = true;  // end of stream, or a reset
    } else {
      response->append(buf, static_cast<size_t>(n));
      heard = absl::Now();
      done = Complete(*response);
    }
  }
  // A reset rather than a FIN: a million connections must not fill the port range with
  // TIME_WAIT.
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::close(fd);
  return done;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t runs = 0;
  const uint16_t port = Exporter().port();
  // Whatever the input leaves open, a request that closes the connection follows it: the server
  // ends by answering that, by refusing what came before, or by its read timeout.
  std::string request(reinterpret_cast<const char*>(data), size);
  request += "\r\n\r\n";
  request += kScrape;
  std::string response;
  SALVO_FUZZ_CHECK(Exchange(port, request, &response));
  SALVO_FUZZ_CHECK(response.empty() || response.rfind("HTTP/1.", 0) == 0);
  // Now and then, and always after an input that got no answer: a real scrape still works.
  if (++runs % 256 == 0 || response.empty()) {
    std::string scrape;
    SALVO_FUZZ_CHECK(Exchange(port, kScrape, &scrape, absl::Seconds(5)));
    if (scrape.rfind("HTTP/1.1 200", 0) != 0) {
      std::fprintf(stderr, "the scrape got: %s\n", scrape.substr(0, 200).c_str());
    }
    SALVO_FUZZ_CHECK(scrape.rfind("HTTP/1.1 200", 0) == 0);
    SALVO_FUZZ_CHECK(scrape.find("salvo_") != std::string::npos);
  }
  return 0;
}
