// Choosing and creating an engine: `--engine auto|io_uring|epoll`.
//
// auto takes io_uring when this kernel lets this process use it (and the send mode runs there),
// otherwise epoll, and says why. An explicit choice that cannot be honoured is an error that
// says why, never a silent substitute.
//
//   absl::StatusOr<EngineChoice> choice = ChooseEngine(EngineKind::kAuto, SendMode::kCopy);
//   if (!choice->note.empty()) log << choice->note;
//   absl::StatusOr<EnginePtr> engine = CreateEngine(choice->kind, options);
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/engine.h"

namespace salvo::net {

enum class EngineKind { kAuto, kIoUring, kEpoll, kIocp };

inline constexpr enums::EnumTable<EngineKind, 4> kEngineKinds{"engine",
                                                              {{{EngineKind::kAuto, "auto"},
                                                                {EngineKind::kIoUring, "io_uring"},
                                                                {EngineKind::kEpoll, "epoll"},
                                                                {EngineKind::kIocp, "iocp"}}}};

// The one compatibility rule between engines and send modes: copy runs everywhere, MSG_ZEROCOPY
// on epoll, SEND_ZC on io_uring, direct on IOCP; auto supports what this platform's engines
// support.
bool EngineSupports(EngineKind kind, SendMode mode);

// Why `kind` cannot send in `mode`, as a user would want to read it; OK when it can. The
// controller asks this before contacting any agent.
absl::Status CheckEngineSupports(EngineKind kind, SendMode mode);

struct EngineChoice {
  EngineKind kind = EngineKind::kEpoll;  // never kAuto
  // Why auto did not take io_uring; empty otherwise.
  std::string note;
};

// OK when io_uring works here: rings with the features the io_uring engine needs. Probed once.
absl::Status IoUringAvailable();

absl::StatusOr<EngineChoice> ChooseEngine(EngineKind requested, SendMode send_mode);

absl::StatusOr<EnginePtr> CreateEngine(EngineKind kind, const EngineOptions& options);

// The memory one worker's engine of `kind` allocates for `options` (rings, provided buffers,
// receive buffer), before any connection's own: what a run's memory check adds per worker.
uint64_t EngineMemoryBytes(EngineKind kind, const EngineOptions& options);

// The memory this machine can still give (MemAvailable); 0 if it cannot be read.
uint64_t AvailableMemoryBytes();

// Fails, before anything is allocated, when `needed` bytes exceed what the machine has
// available. `what` says what they are for ("a 1GiB message and 8 workers").
absl::Status CheckMemory(uint64_t needed, absl::string_view what);

// CheckMemory for what a run or a target allocates up front: one `shared_bytes` buffer that
// every worker sends from, and `workers` engines of `kind` owning `connections_per_worker`
// connections each (0: not known in advance, as for a listener).
absl::Status CheckWorkerMemory(EngineKind kind, uint32_t workers, uint32_t connections_per_worker,
                               uint64_t shared_bytes);

// The engines this machine can run, best first: io_uring and epoll, or epoll alone.
std::vector<EngineKind> AvailableEngines();

}  // namespace salvo::net
