// The slots an engine keeps its connections in. Ids are reused; every reuse bumps the slot's
// generation, so an event or completion that arrives for the slot's previous occupant (tagged
// with the old generation) is recognised as stale.
//
// `Conn` needs `int fd`, `uint32_t generation` and `ConnectionHandler* handler` members and must
// be default-constructible. `Slots` is std::vector, or std::deque where a Conn's address must
// survive the table growing.
#pragma once

#include <cstdint>
#include <vector>

#include "net/engine.h"

namespace salvo::net {

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

}  // namespace salvo::net
