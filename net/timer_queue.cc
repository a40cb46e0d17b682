#include "net/timer_queue.h"

#include <algorithm>

namespace salvo::net {

TimerId TimerQueue::Schedule(uint64_t mono_ns, TimerHandler* handler) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.armed = true;
  s.handler = handler;
  heap_.push_back(Entry{mono_ns, slot, s.generation, sequence_++});
  std::push_heap(heap_.begin(), heap_.end(), Later);
  ++pending_;
  return MakeId(slot, s.generation);
}

void TimerQueue::Cancel(TimerId id) {
  const uint32_t slot = static_cast<uint32_t>(id & 0xffffffff);
  const uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.armed || s.generation != generation) return;
  // The heap entry stays until it reaches the top; its generation no longer matches.
  s.armed = false;
  ++s.generation;
  free_.push_back(slot);
  --pending_;
}

void TimerQueue::PopStale() {
  while (!heap_.empty()) {
    const Entry& top = heap_.front();
    const Slot& s = slots_[top.slot];
    if (s.armed && s.generation == top.generation) return;
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
  }
}

absl::Duration TimerQueue::Bound(absl::Duration timeout, uint64_t now_ns) const {
  const_cast<TimerQueue*>(this)->PopStale();
  if (heap_.empty()) return timeout;
  const uint64_t at = heap_.front().at;
  // Due, or within the spin: poll without waiting until it is due.
  if (at <= now_ns || at - now_ns <= spin_ns_) return absl::ZeroDuration();
  return std::min(timeout, absl::Nanoseconds(static_cast<int64_t>(at - now_ns - spin_ns_)));
}

bool TimerQueue::Spinning(uint64_t now_ns) const {
  if (spin_ns_ == 0) return false;
  const_cast<TimerQueue*>(this)->PopStale();
  return !heap_.empty() && heap_.front().at > now_ns && heap_.front().at - now_ns <= spin_ns_;
}

void TimerQueue::RunDue(uint64_t now_ns) {
  // Only entries already in the heap may fire in this call.
  const uint64_t last_sequence = sequence_;
  for (;;) {
    PopStale();
    if (heap_.empty()) return;
    const Entry top = heap_.front();
    if (top.at > now_ns || top.sequence >= last_sequence) return;
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    heap_.pop_back();
    Slot& s = slots_[top.slot];
    TimerHandler* handler = s.handler;
    s.armed = false;
    ++s.generation;
    free_.push_back(top.slot);
    --pending_;
    handler->OnTimer(MakeId(top.slot, top.generation));
  }
}

}  // namespace salvo::net
