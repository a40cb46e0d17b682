#include "net/engine_factory.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "net/epoll_engine.h"
#include "net/io_uring_engine.h"

namespace salvo::net {

absl::StatusOr<SendMode> ParseSendMode(absl::string_view name) {
  if (name == "copy" || name.empty()) return SendMode::kCopy;
  if (name == "zerocopy") return SendMode::kZeroCopy;
  if (name == "uring-zc") return SendMode::kUringZc;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown send mode '", name, "' (expected copy, zerocopy or uring-zc)"));
}

absl::string_view SendModeName(SendMode mode) {
  switch (mode) {
    case SendMode::kCopy:
      return "copy";
    case SendMode::kZeroCopy:
      return "zerocopy";
    case SendMode::kUringZc:
      return "uring-zc";
  }
  return "unknown";
}

absl::StatusOr<EngineKind> ParseEngineKind(absl::string_view name) {
  if (name == "auto" || name.empty()) return EngineKind::kAuto;
  if (name == "io_uring") return EngineKind::kIoUring;
  if (name == "epoll") return EngineKind::kEpoll;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown engine '", name, "' (expected auto, io_uring or epoll)"));
}

absl::string_view EngineKindName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kAuto:
      return "auto";
    case EngineKind::kIoUring:
      return "io_uring";
    case EngineKind::kEpoll:
      return "epoll";
  }
  return "unknown";
}

absl::Status IoUringAvailable() {
  static const absl::Status* status = [] {
    // Probed on a thread of its own: tearing a ring down can leave task work aimed at the thread
    // that made it, which would interrupt the caller's next blocking call with EINTR.
    auto* s = new absl::Status();
    std::thread([s] { *s = IoUringEngine::Probe(); }).join();
    return s;
  }();
  return *status;
}

absl::StatusOr<EngineChoice> ChooseEngine(EngineKind requested, SendMode send_mode) {
  const absl::Status uring = IoUringAvailable();
  switch (requested) {
    case EngineKind::kEpoll:
      if (send_mode == SendMode::kUringZc) {
        return absl::InvalidArgumentError(
            "--send-mode uring-zc is io_uring's SEND_ZC and needs --engine io_uring (or auto)");
      }
      return EngineChoice{EngineKind::kEpoll, ""};
    case EngineKind::kIoUring:
      if (!uring.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("--engine io_uring is not available here: ", uring.message()));
      }
      if (send_mode == SendMode::kZeroCopy) {
        return absl::InvalidArgumentError(
            "--send-mode zerocopy is MSG_ZEROCOPY on the epoll engine; io_uring's zero-copy is "
            "--send-mode uring-zc");
      }
      return EngineChoice{EngineKind::kIoUring, ""};
    case EngineKind::kAuto:
      if (send_mode == SendMode::kZeroCopy) {
        return EngineChoice{EngineKind::kEpoll, "engine auto: epoll, where MSG_ZEROCOPY runs"};
      }
      if (!uring.ok()) {
        if (send_mode == SendMode::kUringZc) {
          return absl::FailedPreconditionError(
              absl::StrCat("--send-mode uring-zc needs io_uring, which is not available here: ",
                           uring.message()));
        }
        return EngineChoice{EngineKind::kEpoll,
                            absl::StrCat("engine auto: epoll, because io_uring is not available (",
                                         uring.message(), ")")};
      }
      return EngineChoice{EngineKind::kIoUring, ""};
  }
  return absl::InvalidArgumentError("unknown engine");
}

absl::StatusOr<EnginePtr> CreateEngine(EngineKind kind, const EngineOptions& options) {
  if (kind == EngineKind::kIoUring) {
    absl::StatusOr<std::unique_ptr<IoUringEngine>> e = IoUringEngine::Create(options);
    if (!e.ok()) return e.status();
    return EnginePtr(std::move(*e));
  }
  if (kind == EngineKind::kEpoll) {
    if (options.send_mode == SendMode::kUringZc) {
      return absl::InvalidArgumentError("the epoll engine cannot send with uring-zc");
    }
    absl::StatusOr<std::unique_ptr<EpollEngine>> e = EpollEngine::Create(options);
    if (!e.ok()) return e.status();
    return EnginePtr(std::move(*e));
  }
  return absl::InvalidArgumentError("resolve --engine auto with ChooseEngine first");
}

std::vector<std::string> AvailableEngines() {
  if (IoUringAvailable().ok()) return {"io_uring", "epoll"};
  return {"epoll"};
}

}  // namespace salvo::net
