// Helpers shared by the tests: waiting for a condition, and counting real TCP connections.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace salvo::testing {

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

// Established TCP connections on this machine whose remote port is `port` (from /proc/net/tcp
// and tcp6): the client side of every connection to a server on that port.
int CountEstablishedTo(uint16_t port);
// The same for sockets in TIME_WAIT: the client side of connections to `port` that the client
// closed first.
int CountTimeWaitTo(uint16_t port);

// Whether something accepts TCP connections on 127.0.0.1:`port` now.
bool CanConnect(uint16_t port);

// The path of one of salvo's built programs ("salvo-agent").
std::string Binary(const std::string& name);

// Runs a shell command quietly (its output discarded); returns system()'s status.
int Sh(const std::string& command);

// Reads a whole file; empty if missing.
std::string ReadFile(const std::string& path);

struct ToolOutput {
  int code = -1;  // the exit code; -1 when it had to be killed after the timeout
  std::string out;
  std::string err;
};
// Runs a program to completion, its standard output and error kept apart (in files under `dir`).
ToolOutput RunTool(const std::string& binary, const std::vector<std::string>& args,
                   const std::string& dir, absl::Duration timeout = absl::Seconds(120));

}  // namespace salvo::testing
