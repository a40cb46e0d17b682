#include "host/environment.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "host/build_info.h"

namespace salvo::host {
namespace {

// A /proc file's text with runs of whitespace made one space ("4096\t131072\t6291456" becomes
// "4096 131072 6291456"); empty when it cannot be read.
std::string ReadSetting(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return absl::StrJoin(absl::StrSplit(text.str(), absl::ByAnyChar(" \t\n"), absl::SkipEmpty()),
                       " ");
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    // x86 says "model name", arm64 does not name its model at all, POWER says "cpu".
    if (absl::StartsWith(line, "model name") || absl::StartsWith(line, "cpu\t")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
  }
  return "";
}

}  // namespace

std::string Hostname() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

v1::Environment ReadEnvironment() {
  v1::Environment e;
  e.set_hostname(Hostname());
  utsname u{};
  if (uname(&u) == 0) {
    e.set_kernel(u.release);
    e.set_machine(u.machine);
  }
  if (std::string model = CpuModel(); !model.empty()) e.set_cpu_model(model);
  if (const unsigned cpus = std::thread::hardware_concurrency(); cpus > 0) e.set_cpus(cpus);
  const std::pair<const char*, void (v1::Environment::*)(const std::string&)> settings[] = {
      {"/proc/sys/net/ipv4/tcp_rmem", &v1::Environment::set_tcp_rmem},
      {"/proc/sys/net/ipv4/tcp_wmem", &v1::Environment::set_tcp_wmem},
      {"/proc/sys/net/core/rmem_max", &v1::Environment::set_rmem_max},
      {"/proc/sys/net/core/wmem_max", &v1::Environment::set_wmem_max},
      {"/proc/sys/net/ipv4/tcp_congestion_control", &v1::Environment::set_congestion_control}};
  for (const auto& [path, set] : settings) {
    if (std::string value = ReadSetting(path); !value.empty()) (e.*set)(value);
  }
  e.set_salvo_version(SALVO_VERSION);
  e.set_build_commit(kBuildCommit);
  // /proc/self/cmdline: the arguments, each ended by a NUL.
  std::ifstream in("/proc/self/cmdline");
  std::stringstream raw;
  raw << in.rdbuf();
  const std::vector<std::string> args = absl::StrSplit(raw.str(), '\0', absl::SkipEmpty());
  if (!args.empty()) e.set_command_line(ShellLine(args));
  return e;
}

int64_t TcpMemoryPressureMs() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (!absl::StartsWith(names, "TcpExt:")) continue;
    const std::vector<std::string> n = absl::StrSplit(names, ' ', absl::SkipEmpty());
    const std::vector<std::string> v = absl::StrSplit(values, ' ', absl::SkipEmpty());
    for (size_t k = 1; k < n.size() && k < v.size(); ++k) {
      int64_t ms = 0;
      if (n[k] == "TCPMemoryPressuresChrono" && absl::SimpleAtoi(v[k], &ms)) return ms;
    }
  }
  return -1;
}

}  // namespace salvo::host
