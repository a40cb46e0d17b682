// The slots an engine keeps its connections in. Ids are reused; every reuse bumps the slot's
// generation, so an event or completion that arrives for the slot's previous occupant (tagged
// with the old generation) is recognised as stale.
//
// `Conn` derives from ConnBase and must be default-constructible. `Slots` is std::vector, or
// std::deque where a Conn's address must survive the table growing.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "net/engine.h"
#include "net/platform.h"

namespace salvo::net {

// What a completion (io_uring's user_data) or an event (epoll's data.u64) carries to find its
// connection again, in 64 bits: an operation (engine-defined, 4 bits), a small slot (4 bits: an
// io_uring send's start-time slot), the low 24 bits of the connection's generation, and the
// connection id (or a listener's index). Encode and Decode are the only code that knows the
// layout; ConnTable::Current is the one comparison of a tag's generation with a slot's.
struct ConnTag {
  static constexpr uint32_t kGenerationMask = (1u << 24) - 1;

  uint32_t op = 0;
  uint32_t slot = 0;
  uint32_t generation = 0;  // as tagged: the low 24 bits
  ConnId id = 0;

  // A slot's full generation as a tag carries it.
  static uint32_t Tagged(uint32_t generation) { return generation & kGenerationMask; }
  uint64_t Encode() const {
    return (static_cast<uint64_t>(op & 0xf) << 60) | (static_cast<uint64_t>(slot & 0xf) << 56) |
           (static_cast<uint64_t>(Tagged(generation)) << 32) | id;
  }
  static ConnTag Decode(uint64_t v) {
    return ConnTag{static_cast<uint32_t>(v >> 60), static_cast<uint32_t>((v >> 56) & 0xf),
                   static_cast<uint32_t>((v >> 32) & kGenerationMask),
                   static_cast<ConnId>(v & 0xffffffff)};
  }
};

// What every engine keeps for a connection, and the send bookkeeping they share: one Send() at
// a time, handed over from `send_data`, `send_off` bytes of `send_len` taken so far.
struct ConnBase {
  int fd = -1;
  uint32_t generation = 0;
  ConnectionHandler* handler = nullptr;
  const uint8_t* send_data = nullptr;
  size_t send_len = 0;
  size_t send_off = 0;
  bool connecting = false;
  bool sending = false;
  bool receiving = true;
  bool shutdown_after_send = false;
  bool queued = false;  // in the engine's WriteQueue

  void BeginSend(const uint8_t* data, size_t len) {
    send_data = data;
    send_len = len;
    send_off = 0;
    sending = true;
  }
  // Half-closes now, or once the send in progress is done.
  void ShutdownWrite() {
    if (sending) {
      shutdown_after_send = true;
    } else {
      ShutdownSend(fd);
    }
  }
  // The send is over: a deferred half-close happens, and the handler gets the buffer back (it may
  // Send() again from the call).
  void FinishSend(ConnId id) {
    sending = false;
    if (shutdown_after_send) ShutdownSend(fd);
    handler->OnSendDone(id);
  }
};

template <typename Conn, typename Slots = std::vector<Conn>>
class ConnTable {
 public:
  // A fresh Conn for `fd` in a free slot (or a new one).
  ConnId Allocate(int fd, ConnectionHandler* handler) {
    ConnId id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<ConnId>(slots_.size());
      slots_.emplace_back();
    }
    Conn& c = slots_[id];
    const uint32_t generation = c.generation + 1;
    c = Conn{};
    c.fd = fd;
    c.generation = generation;
    c.handler = handler;
    ++open_;
    return id;
  }

  // Whether `id` still holds the connection a tag of `tagged_generation` was made for (and it is
  // open): false for a completion or event that arrives after its connection was released.
  bool Current(ConnId id, uint32_t tagged_generation) const {
    return id < slots_.size() && slots_[id].fd >= 0 &&
           ConnTag::Tagged(slots_[id].generation) == tagged_generation;
  }

  // Marks the slot free; the caller has closed the descriptor.
  void Free(ConnId id) {
    Conn& c = slots_[id];
    c.fd = -1;
    c.handler = nullptr;
    ++c.generation;
    free_.push_back(id);
    --open_;
  }

  // The descriptor of an open connection.
  absl::StatusOr<int> FdOf(ConnId id) const {
    if (id >= slots_.size() || slots_[id].fd < 0) return absl::NotFoundError("no such connection");
    return slots_[id].fd;
  }

  Conn& operator[](ConnId id) { return slots_[id]; }
  const Conn& operator[](ConnId id) const { return slots_[id]; }
  size_t size() const { return slots_.size(); }
  size_t open() const { return open_; }
  Slots& slots() { return slots_; }

 private:
  Slots slots_;
  std::vector<ConnId> free_;
  size_t open_ = 0;
};

// Connections with sends to make in this loop turn, each listed once. A turn flushes the list it
// found; connections queued while it flushes wait for the next turn, so one turn is bounded.
class WriteQueue {
 public:
  template <typename Conn>
  void Add(ConnId id, Conn& c) {
    if (!c.queued) {
      c.queued = true;
      ids_.push_back(id);
    }
  }
  bool empty() const { return ids_.empty(); }
  // Calls flush_one(id) for each connection queued before the call that is still open.
  template <typename Table, typename FlushOne>
  void Flush(Table& conns, FlushOne flush_one) {
    flushing_.swap(ids_);
    for (ConnId id : flushing_) {
      if (id >= conns.size() || conns[id].fd < 0) continue;
      conns[id].queued = false;
      flush_one(id);
    }
    flushing_.clear();
  }

 private:
  std::vector<ConnId> ids_;
  std::vector<ConnId> flushing_;
};

}  // namespace salvo::net
