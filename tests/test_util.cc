#include "tests/test_util.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "process/child.h"

namespace salvo::testing {

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return condition();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

namespace {

// Sockets in state `state` (the kernel's hex code) whose remote port is `port`.
int CountSocketsTo(uint16_t port, const std::string& state_code) {
  int count = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const size_t colon = remote.rfind(':');
      if (colon == std::string::npos) continue;
      const unsigned long remote_port = std::stoul(remote.substr(colon + 1), nullptr, 16);
      if (remote_port == port && state == state_code) ++count;
    }
  }
  return count;
}

}  // namespace

int CountEstablishedTo(uint16_t port) { return CountSocketsTo(port, "01"); }

int CountTimeWaitTo(uint16_t port) { return CountSocketsTo(port, "06"); }

bool CanConnect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string Binary(const std::string& name) { return absl::StrCat(SALVO_BINARY_DIR, "/", name); }

int Sh(const std::string& command) {
  return std::system(("{ " + command + "; } >/dev/null 2>&1").c_str());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ToolOutput RunTool(const std::string& binary, const std::vector<std::string>& args,
                   const std::string& dir, absl::Duration timeout) {
  static int runs = 0;
  const std::string tag = absl::StrCat(dir, "/tool", runs++);
  ToolOutput o;
  absl::StatusOr<process::Child> c =
      process::Child::Spawn(binary, args, tag + ".out", tag + ".err");
  if (!c.ok()) {
    o.err = std::string(c.status().message());
    return o;
  }
  o.code = c->Wait(timeout);
  if (o.code == -1) c->Kill();
  o.out = ReadFile(tag + ".out");
  o.err = ReadFile(tag + ".err");
  return o;
}

}  // namespace salvo::testing
