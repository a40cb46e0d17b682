// A server that misbehaves on purpose, for the diagnosis tests and the user guide's example:
//   --read-first N      reads (and echoes, with --echo) only the first N connections it accepts;
//                       the others are accepted and never read: the origin notes' select() bug.
//   --pause-at S --pause-for P
//                       reads every connection, but stops reading all of them P seconds long,
//                       S seconds after its first accept.
//   --delay-ms D        answers each read D milliseconds late (a slow server: one read at a time).
//   --echo-twice        with --echo, sends every byte back twice.
// Otherwise it reads every connection fairly (one bounded read each per loop turn). Loopback
// only; it exits on SIGTERM or SIGINT, or after --max-seconds whatever happens.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Flags {
  long read_first = -1;
  double pause_at = -1, pause_for = 0, delay_ms = 0;
  bool echo = false;
  bool echo_twice = false;
  double max_seconds = 300;
  std::string port_file;
};

bool Parse(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--echo") {
      f->echo = true;
    } else if (a == "--echo-twice") {
      f->echo_twice = true;
    } else if (a == "--read-first" && (v = next())) {
      f->read_first = std::strtol(v, nullptr, 10);
    } else if (a == "--pause-at" && (v = next())) {
      f->pause_at = std::strtod(v, nullptr);
    } else if (a == "--pause-for" && (v = next())) {
      f->pause_for = std::strtod(v, nullptr);
    } else if (a == "--delay-ms" && (v = next())) {
      f->delay_ms = std::strtod(v, nullptr);
    } else if (a == "--max-seconds" && (v = next())) {
      f->max_seconds = std::strtod(v, nullptr);
    } else if (a == "--port-file" && (v = next())) {
      f->port_file = v;
    } else {
      std::fprintf(stderr, "misbehaving-server: bad argument '%s'\n", a.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!Parse(argc, argv, &flags)) return 2;
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 4096) != 0) {
    std::perror("misbehaving-server: bind/listen");
    return 1;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  if (!flags.port_file.empty()) std::ofstream(flags.port_file) << ntohs(addr.sin_port) << "\n";
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);

  std::vector<int> served;  // connections this server reads
  std::vector<int> ignored;
  std::vector<char> buf(16 * 1024);
  long accepted = 0;
  absl::Time first_accept = absl::InfiniteFuture();
  const absl::Time give_up = absl::Now() + absl::Seconds(flags.max_seconds);
  std::vector<epoll_event> events(1024);
  while (!g_stop && absl::Now() < give_up) {
    const double since = absl::ToDoubleSeconds(absl::Now() - first_accept);
    const bool paused =
        flags.pause_at >= 0 && since >= flags.pause_at && since < flags.pause_at + flags.pause_for;
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        for (;;) {
          const int c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          if (accepted == 0) first_accept = absl::Now();
          ++accepted;
          if (flags.read_first >= 0 && accepted > flags.read_first) {
            ignored.push_back(c);  // accepted, never read
            continue;
          }
          served.push_back(c);
          epoll_event ce{};
          ce.events = EPOLLIN;
          ce.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      if (paused) continue;
      if (flags.delay_ms > 0) absl::SleepFor(absl::Milliseconds(flags.delay_ms));
      const ssize_t got = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (got > 0 && flags.echo) {
        for (int copies = flags.echo_twice ? 2 : 1; copies > 0; --copies) {
          ::send(fd, buf.data(), static_cast<size_t>(got), MSG_NOSIGNAL);
        }
      }
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
      }
    }
    if (paused) absl::SleepFor(absl::Milliseconds(5));
  }
  for (int fd : ignored) ::close(fd);
  return 0;
}
