// Synchronous handling of the signals that ask a server process to stop.
#pragma once

#include <signal.h>

namespace salvo::process {

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards, and
// returns the set for sigwait/sigtimedwait: the signals are then taken by one thread, at a
// point where it can shut down cleanly, and never interrupt a worker.
sigset_t BlockStopSignals();

}  // namespace salvo::process
