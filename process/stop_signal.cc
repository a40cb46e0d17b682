#include "process/stop_signal.h"

#include <signal.h>

#include <cerrno>
#include <cstring>

#include "process/signals.h"

namespace salvo::process {
namespace {

sigset_t g_stop_signals;

}  // namespace

void BlockStop() { g_stop_signals = BlockStopSignals(); }

std::string WaitForStop(absl::Duration timeout) {
  const timespec ts = absl::ToTimespec(timeout);
  const int sig = sigtimedwait(&g_stop_signals, nullptr, &ts);
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "";
}

}  // namespace salvo::process
