// A TCP proxy that holds every chunk it forwards, each way, for a fixed delay: an agent "on
// another continent" for the control-plane tests. Loopback only.
//   delaying-proxy --to PORT --delay-ms D --port-file FILE [--max-seconds S]
// Listens on 127.0.0.1 (port 0), connects each client to 127.0.0.1:PORT, and exits after
// --max-seconds (default 120) whatever happens.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace {

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

// One direction: a reader stamps each chunk with its release time, a writer sends it then.
void Pipe(int from, int to, absl::Duration delay) {
  struct Chunk {
    absl::Time due;
    std::string bytes;  // empty: the reader saw the end
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Chunk> queue;
  std::thread writer([&] {
    for (;;) {
      Chunk c;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !queue.empty(); });
        c = std::move(queue.front());
        queue.pop_front();
      }
      absl::SleepFor(c.due - absl::Now());
      if (c.bytes.empty()) {
        ::shutdown(to, SHUT_WR);
        return;
      }
      for (size_t off = 0; off < c.bytes.size();) {
        const ssize_t n = ::send(to, c.bytes.data() + off, c.bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
      }
    }
  });
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const ssize_t n = ::recv(from, buf.data(), buf.size(), 0);
    Chunk c{absl::Now() + delay, n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : ""};
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(c));
    }
    cv.notify_one();
    if (n <= 0) break;
  }
  writer.join();
}

}  // namespace

int main(int argc, char** argv) {
  long to_port = 0;
  double delay_ms = 0, max_seconds = 120;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--to") {
      to_port = std::strtol(argv[i + 1], nullptr, 10);
    } else if (a == "--delay-ms") {
      delay_ms = std::strtod(argv[i + 1], nullptr);
    } else if (a == "--port-file") {
      port_file = argv[i + 1];
    } else if (a == "--max-seconds") {
      max_seconds = std::strtod(argv[i + 1], nullptr);
    } else {
      std::fprintf(stderr, "delaying-proxy: bad argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (to_port <= 0 || to_port > 65535 || port_file.empty()) {
    std::fprintf(stderr, "delaying-proxy: --to PORT and --port-file FILE are required\n");
    return 2;
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 64) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("delaying-proxy: listen");
    return 1;
  }
  std::ofstream(port_file) << ntohs(addr.sin_port) << "\n";
  // Bounded whatever the test does: the process ends, and its threads with it.
  std::thread([max_seconds] {
    absl::SleepFor(absl::Seconds(max_seconds));
    std::_Exit(0);
  }).detach();
  const absl::Duration delay = absl::Milliseconds(delay_ms);
  for (;;) {
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::thread([client, to_port, delay] {
      const int upstream = Connect(static_cast<uint16_t>(to_port));
      if (upstream < 0) {
        ::close(client);
        return;
      }
      const int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::thread back(Pipe, upstream, client, delay);
      Pipe(client, upstream, delay);
      back.join();
      ::close(client);
      ::close(upstream);
    }).detach();
  }
}
