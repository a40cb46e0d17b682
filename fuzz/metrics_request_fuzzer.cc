// The /metrics endpoint fed raw requests over a real loopback connection: whatever bytes a client
// sends (request lines, headers, bodies, pipelined requests, junk), the server answers in HTTP or
// closes, within its 2 s timeouts and never by crashing; and a well-formed scrape afterwards still
// gets the exposition, so no input leaves the endpoint broken for the run's real scraper.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "output/metrics_exporter.h"
#include "salvo/v1/report.pb.h"

namespace {

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

// Sends `request`, ends our side, and reads until the server closes. False if it did not close
// within `limit` (a hang: its read and write timeouts are 2 s).
bool Exchange(uint16_t port, const std::string& request, std::string* response,
              absl::Duration limit = absl::Seconds(8)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  SALVO_FUZZ_CHECK(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  SALVO_FUZZ_CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0);
  // The server may answer and close before it has read everything: a failed send is fine.
  for (size_t at = 0; at < request.size();) {
    const ssize_t n = ::send(fd, request.data() + at, request.size() - at, MSG_NOSIGNAL);
    if (n <= 0) break;
    at += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  const absl::Time deadline = absl::Now() + limit;
  bool closed = false;
  char buf[16384];
  while (!closed && absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed = true;  // end of stream, or a reset
    } else {
      response->append(buf, static_cast<size_t>(n));
    }
  }
  // A reset rather than a FIN: a million connections must not fill the port range with
  // TIME_WAIT.
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::close(fd);
  return closed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t runs = 0;
  const uint16_t port = Exporter().port();
  std::string response;
  SALVO_FUZZ_CHECK(
      Exchange(port, std::string(reinterpret_cast<const char*>(data), size), &response));
  SALVO_FUZZ_CHECK(response.empty() || response.rfind("HTTP/1.", 0) == 0);
  // Now and then, and always after an input that got no answer: a real scrape still works.
  if (++runs % 256 == 0 || response.empty()) {
    std::string scrape;
    SALVO_FUZZ_CHECK(Exchange(port, "GET /metrics HTTP/1.1\r\nHost: fuzz\r\n\r\n", &scrape));
    SALVO_FUZZ_CHECK(scrape.rfind("HTTP/1.1 200", 0) == 0);
    SALVO_FUZZ_CHECK(scrape.find("salvo_") != std::string::npos);
  }
  return 0;
}
