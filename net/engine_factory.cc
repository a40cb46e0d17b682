#include "net/engine_factory.h"

#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#ifdef _WIN32
#include "net/iocp_engine.h"
#else
#include "net/epoll_engine.h"
#include "net/io_uring_engine.h"
#endif
#include "status/status_macros.h"
#include "units/units.h"

namespace salvo::net {

bool EngineSupports(EngineKind kind, SendMode mode) {
  switch (kind) {
    case EngineKind::kEpoll:
      return mode == SendMode::kCopy || mode == SendMode::kZeroCopy;
    case EngineKind::kIoUring:
      return mode == SendMode::kCopy || mode == SendMode::kUringZc;
    case EngineKind::kIocp:
      return mode == SendMode::kCopy || mode == SendMode::kDirect;
    case EngineKind::kAuto:
#ifdef _WIN32
      return EngineSupports(EngineKind::kIocp, mode);
#else
      return mode != SendMode::kDirect;
#endif
  }
  return false;
}

absl::Status CheckEngineSupports(EngineKind kind, SendMode mode) {
  if (EngineSupports(kind, mode)) return absl::OkStatus();
  if (mode == SendMode::kUringZc) {
    return absl::InvalidArgumentError(
        "--send-mode uring-zc is io_uring's SEND_ZC and needs --engine io_uring (or auto)");
  }
  if (mode == SendMode::kDirect) {
    return absl::InvalidArgumentError(
        "--send-mode direct is the IOCP engine's SO_SNDBUF=0 send (Windows); on Linux the "
        "zero-copy sends are zerocopy (epoll) and uring-zc (io_uring)");
  }
  if (kind == EngineKind::kIocp) {
    return absl::InvalidArgumentError(
        absl::StrCat("--engine iocp sends with copy or direct, not ", kSendModes.Name(mode)));
  }
  return absl::InvalidArgumentError(
      "--send-mode zerocopy is MSG_ZEROCOPY on the epoll engine; io_uring's zero-copy is "
      "--send-mode uring-zc");
}

#ifdef _WIN32

absl::Status IoUringAvailable() {
  return absl::UnimplementedError("io_uring is Linux's; this is Windows");
}

absl::StatusOr<EngineChoice> ChooseEngine(EngineKind requested, SendMode send_mode) {
  SALVO_RETURN_IF_ERROR(CheckEngineSupports(requested, send_mode));
  if (requested == EngineKind::kAuto || requested == EngineKind::kIocp) {
    return EngineChoice{EngineKind::kIocp, ""};
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "--engine ", kEngineKinds.Name(requested), " runs on Linux; on Windows the engine is iocp"));
}

absl::StatusOr<EnginePtr> CreateEngine(EngineKind kind, const EngineOptions& options) {
  if (kind == EngineKind::kIocp) {
    SALVO_ASSIGN_OR_RETURN(std::unique_ptr<IocpEngine> e, IocpEngine::Create(options));
    return EnginePtr(std::move(e));
  }
  return absl::InvalidArgumentError("resolve the engine with ChooseEngine first");
}

std::vector<EngineKind> AvailableEngines() { return {EngineKind::kIocp}; }

uint64_t EngineMemoryBytes(EngineKind kind, const EngineOptions& options) {
  // The receive buffer each connection slot holds for its posted WSARecv.
  return uint64_t{std::max<uint32_t>(options.expected_connections, 1)} * options.recv_chunk_bytes;
}

uint64_t AvailableMemoryBytes() {
  MEMORYSTATUSEX status{};
  status.dwLength = sizeof(status);
  return ::GlobalMemoryStatusEx(&status) ? status.ullAvailPhys : 0;
}

#else

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
  SALVO_RETURN_IF_ERROR(CheckEngineSupports(requested, send_mode));
  const absl::Status uring = IoUringAvailable();
  switch (requested) {
    case EngineKind::kEpoll:
      return EngineChoice{EngineKind::kEpoll, ""};
    case EngineKind::kIoUring:
      if (!uring.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("--engine io_uring is not available here: ", uring.message()));
      }
      return EngineChoice{EngineKind::kIoUring, ""};
    case EngineKind::kIocp:
      return absl::FailedPreconditionError(
          "--engine iocp is Windows's I/O completion ports; on Linux the engines are io_uring "
          "and epoll");
    case EngineKind::kAuto:
      if (!EngineSupports(EngineKind::kIoUring, send_mode)) {
        return EngineChoice{EngineKind::kEpoll, "engine auto: epoll, where MSG_ZEROCOPY runs"};
      }
      if (!uring.ok()) {
        if (!EngineSupports(EngineKind::kEpoll, send_mode)) {
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
    SALVO_ASSIGN_OR_RETURN(std::unique_ptr<IoUringEngine> e, IoUringEngine::Create(options));
    return EnginePtr(std::move(e));
  }
  if (kind == EngineKind::kEpoll) {
    SALVO_ASSIGN_OR_RETURN(std::unique_ptr<EpollEngine> e, EpollEngine::Create(options));
    return EnginePtr(std::move(e));
  }
  return absl::InvalidArgumentError("resolve --engine auto with ChooseEngine first");
}

std::vector<EngineKind> AvailableEngines() {
  if (IoUringAvailable().ok()) return {EngineKind::kIoUring, EngineKind::kEpoll};
  return {EngineKind::kEpoll};
}

uint64_t EngineMemoryBytes(EngineKind kind, const EngineOptions& options) {
  if (kind == EngineKind::kIoUring || kind == EngineKind::kAuto) {
    const IoUringEngine::Sizes s = IoUringEngine::SizesFor(options.expected_connections);
    // SQ entries and the SQ index array, CQ entries (the engine copies at most 1024 at a time).
    return uint64_t{s.sq_entries} * (sizeof(io_uring_sqe) + sizeof(unsigned)) +
           uint64_t{s.cq_entries} * sizeof(io_uring_cqe) + 1024 * sizeof(io_uring_cqe) +
           uint64_t{s.buffers} * (options.recv_chunk_bytes + sizeof(io_uring_buf));
  }
  return options.recv_chunk_bytes;
}

uint64_t AvailableMemoryBytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

#endif  // _WIN32

absl::Status CheckMemory(uint64_t needed, absl::string_view what) {
  const uint64_t available = AvailableMemoryBytes();
  if (available == 0 || needed <= available) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(what, " need about ", units::FormatBytes(needed),
                                                   " of memory but only ",
                                                   units::FormatBytes(available), " is available"));
}

absl::Status CheckWorkerMemory(EngineKind kind, uint32_t workers, uint32_t connections_per_worker,
                               uint64_t shared_bytes) {
  EngineOptions sizing;
  sizing.expected_connections = connections_per_worker;
  return CheckMemory(shared_bytes + uint64_t{workers} * EngineMemoryBytes(kind, sizing),
                     absl::StrCat("a ", units::FormatBytes(shared_bytes), " message buffer and ",
                                  workers, " ", kEngineKinds.Name(kind), " workers"));
}

}  // namespace salvo::net
