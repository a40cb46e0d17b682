// What a result was measured on: the host, its kernel and CPU, the socket settings that bound
// TCP throughput, and the build and command that produced it. Every report carries one for the
// controller and one for each agent (salvo-target's JSON one for itself), so that a result can
// be compared with another, or reproduced, without asking anyone what the machine was.
//
//   *report.mutable_environment() = host::ReadEnvironment();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "salvo/v1/report.pb.h"

namespace salvo::host {

// Reads this machine's facts now, and this process's command line; a fact that cannot be read
// is left unset (absent in JSON).
v1::Environment ReadEnvironment();

// This machine's name; "unknown" when it cannot be read.
std::string Hostname();

// How long, in milliseconds since boot, this host's TCP has been under memory pressure
// (TcpExt TCPMemoryPressuresChrono in /proc/net/netstat): while it is, the kernel withholds send
// buffer from sockets, which starves connections that no peer closed. -1 where it cannot be read
// (Windows, an old kernel).
int64_t TcpMemoryPressureMs();

// Arguments as one line, each quoted for a POSIX shell where it needs it.
std::string ShellLine(const std::vector<std::string>& args);

}  // namespace salvo::host
