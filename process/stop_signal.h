// A server's stop requests, taken by one thread at a point where it can shut down cleanly:
// SIGINT and SIGTERM on Linux; Ctrl-C, Ctrl-Break and the console closing on Windows.
//
//   process::BlockStop();                                   // before starting any thread
//   while (WaitForStop(absl::Seconds(1)).empty()) { ... }   // a line per second until asked
#pragma once

#include <string>

#include "absl/time/time.h"

namespace salvo::process {

// Keeps the stop requests from interrupting this thread and every thread it starts afterwards;
// from now on only WaitForStop sees them.
void BlockStop();

// Waits up to `timeout` for a stop request; returns its name ("SIGTERM", "Ctrl-C"), or an empty
// string when the time passed without one.
std::string WaitForStop(absl::Duration timeout);

}  // namespace salvo::process
