// The timers an engine services from its Poll: a min-heap of monotonic deadlines with
// generation-checked slots, so scheduling and cancelling allocate nothing once the engine has
// warmed up, and a cancelled or fired id is never confused with a new timer.
//
//   TimerQueue timers;
//   TimerId id = timers.Schedule(MonoNanos() + 1'000'000, &handler);
//   absl::Duration wait = timers.Bound(requested_timeout, MonoNanos());
//   ... wait for I/O at most `wait` ...
//   timers.RunDue(MonoNanos());
#pragma once

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "net/engine.h"

namespace salvo::net {

class TimerQueue {
 public:
  TimerId Schedule(uint64_t mono_ns, TimerHandler* handler);
  void Cancel(TimerId id);

  // `timeout` shortened so that a wait ends by the earliest pending deadline, or `spin` before
  // it (see set_spin).
  absl::Duration Bound(absl::Duration timeout, uint64_t now_ns) const;

  // Wake this long before a deadline and poll without sleeping until it: a sleeping thread
  // wakes tens of microseconds late (timer programming, a virtual machine's timer exit, the
  // scheduler), which an open loop's schedule lag would show. 0, the default: sleep to it.
  void set_spin(uint64_t spin_ns) { spin_ns_ = spin_ns; }
  // Whether a wait starting at `now_ns` only spins: the earliest deadline is not due yet but
  // within the spin.
  bool Spinning(uint64_t now_ns) const;

  // Fires every timer due at `now_ns`. Timers scheduled by the handlers fire on a later call,
  // so a handler that reschedules itself at once cannot hold the loop.
  void RunDue(uint64_t now_ns);

  size_t pending() const { return pending_; }

 private:
  struct Slot {
    uint32_t generation = 0;
    bool armed = false;
    TimerHandler* handler = nullptr;
  };
  struct Entry {
    uint64_t at;
    uint32_t slot;
    uint32_t generation;
    uint64_t sequence;  // ties fire in scheduling order
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
  }
  static TimerId MakeId(uint32_t slot, uint32_t generation) {
    return (static_cast<uint64_t>(generation) << 32) | slot;
  }
  void PopStale();

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint64_t sequence_ = 0;
  size_t pending_ = 0;
  uint64_t spin_ns_ = 0;
};

}  // namespace salvo::net
