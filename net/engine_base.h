// What every engine implements alike on top of its own connection table: timers from a
// TimerQueue serviced by the engine's Poll, TCP_INFO, the local port and the reset-close of a
// connection by its descriptor, and the engine's counting. An engine derives from this and says
// only how to find a connection's descriptor.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "metrics/figures.h"
#include "net/conn_table.h"
#include "net/engine.h"
#include "net/fd.h"
#include "net/timer_queue.h"

namespace salvo::net {

class EngineBase : public Engine {
 public:
  explicit EngineBase(const EngineOptions& options);

  // SO_LINGER 0, then Close.
  void Reset(ConnId id) override;
  absl::StatusOr<TcpInfo> ReadTcpInfo(ConnId id) const final;
  absl::StatusOr<uint16_t> LocalPort(ConnId id) const final;
  TimerId ScheduleAt(uint64_t mono_ns, TimerHandler* handler) final {
    return timers_.Schedule(mono_ns, handler);
  }
  void CancelTimer(TimerId id) final { timers_.Cancel(id); }

 protected:
  // The descriptor of an open connection; NOT_FOUND otherwise.
  virtual absl::StatusOr<int> FdOf(ConnId id) const = 0;

  void Count(metrics::Counter c, uint64_t n = 1) { counters_[c] += n; }
  // A send or receive on an established connection failed with `err` (an errno, or a Winsock or
  // Win32 code), which ends the connection: counts the call (`call`: kSendErrors or
  // kRecvErrors) and who ended it, the peer (a reset) or our own kernel (it gave up waiting for
  // acknowledgements).
  void CountLoss(metrics::Counter call, int err);
  void Time(metrics::Timing t, uint64_t ns);

#ifndef _WIN32

  // After an accept on `listen_fd` failed with EMFILE or ENFILE: frees the reserve descriptor,
  // accepts the oldest waiting connection and closes it (counted as refused), and takes the
  // reserve back, so the queue moves instead of the loop spinning on the same error. Returns
  // whether a connection was waiting.
  bool RefuseOneAccept(int listen_fd);

  // One non-blocking send() of what `c` has left to send, timed (Timing::kSendCall) and, when it
  // wrote, counted and applied to c.send_off: the bytes written, or -errno (-EAGAIN when the
  // socket's buffer is full). `started_ns` receives the call's start time.
  ssize_t SendNow(ConnBase& c, int flags, uint64_t* started_ns = nullptr);
#endif

  TimerQueue timers_;

 private:
  metrics::TimingRecorders* const timings_;
  // Held so that a process out of descriptors can still accept (and refuse) a connection.
  Fd reserve_fd_;
};

}  // namespace salvo::net
