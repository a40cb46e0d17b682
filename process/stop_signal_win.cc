// WaitForStop on Windows: the console's control events, handed from the handler's thread to the
// waiting one through an event.
#include <windows.h>

#include <atomic>

#include "process/stop_signal.h"

namespace salvo::process {
namespace {

HANDLE g_stop = nullptr;
std::atomic<DWORD> g_what{0};

BOOL WINAPI OnControl(DWORD type) {
  g_what.store(type);
  ::SetEvent(g_stop);
  return TRUE;  // handled: the process stops when the waiting thread says so
}

}  // namespace

void BlockStop() {
  if (g_stop != nullptr) return;
  g_stop = ::CreateEventA(nullptr, TRUE, FALSE, nullptr);
  ::SetConsoleCtrlHandler(OnControl, TRUE);
}

std::string WaitForStop(absl::Duration timeout) {
  const DWORD ms = static_cast<DWORD>(absl::ToInt64Milliseconds(timeout));
  if (g_stop == nullptr || ::WaitForSingleObject(g_stop, ms) != WAIT_OBJECT_0) return "";
  switch (g_what.load()) {
    case CTRL_C_EVENT:
      return "Ctrl-C";
    case CTRL_BREAK_EVENT:
      return "Ctrl-Break";
    default:
      return "console closed";
  }
}

}  // namespace salvo::process
