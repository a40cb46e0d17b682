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
