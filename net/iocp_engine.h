// The Windows backend: one I/O completion port per engine (per worker thread), overlapped
// ConnectEx, WSARecv, WSASend and AcceptEx, as in the origin notes' harness.
//
// Set-up order is the notes': a client socket is bound, associated with the port, and connected
// with ConnectEx; its first WSARecv is posted only after the connect completed (posting it
// earlier fails with WSAENOTCONN, 10057 - the notes saw 10045 from the same mistake).
//
// Every operation's OVERLAPPED lives in the connection's slot (one receive, one send, one
// connect at a time), and the slots live in a deque, so a posted operation's state never moves
// and nothing is allocated per operation. A closed connection whose operations are still posted
// keeps its slot until their completions - aborted, whatever code the system reports for the
// cancellation - have been dequeued; only then can the slot be reused.
//
// Sockets use FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: an operation that completes at once is
// handled from a list the next Poll drains, with no completion packet. GetQueuedCompletionStatusEx
// dequeues a batch; each connection has at most one receive and one send completion in it, so a
// busy connection cannot starve the others.
//
// Send modes: copy (WSASend into the socket's buffer, the notes' "fast I/O") and direct
// (SO_SNDBUF = 0: the stack sends from the caller's buffer and completes the WSASend only when it
// is done with it, the notes' "direct I/O").
#pragma once

#ifdef _WIN32

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "net/conn_table.h"
#include "net/engine.h"
#include "net/engine_base.h"
#include "net/platform.h"
#include "net/socket.h"

namespace salvo::net {

class IocpEngine final : public EngineBase {
 public:
  static absl::StatusOr<std::unique_ptr<IocpEngine>> Create(const EngineOptions& options);
  ~IocpEngine() override;

  absl::string_view name() const override { return "iocp"; }
  bool Supports(SendMode mode) const override {
    return mode == SendMode::kCopy || mode == SendMode::kDirect;
  }
  absl::StatusOr<ConnId> ConnectFrom(const SocketAddress& to, const SocketAddress* from,
                                     ConnectionHandler* handler) override;
  absl::Status Listen(Fd listener, AcceptHandler* handler) override;
  void Send(ConnId id, const uint8_t* data, size_t len) override;
  void SetReceiving(ConnId id, bool on) override;
  void ShutdownWrite(ConnId id) override;
  void Close(ConnId id) override;
  absl::Status Poll(absl::Duration timeout) override;
  void Wake() override;
  size_t open_connections() const override { return conns_.open() - closing_; }

 protected:
  absl::StatusOr<int> FdOf(ConnId id) const override { return conns_.FdOf(id); }

 private:
  enum class Op : uint8_t { kConnect, kRecv, kSend, kAccept };

  // An operation's OVERLAPPED and what its completion is for. `ov` comes first, so the
  // OVERLAPPED* a completion carries is the Operation's address.
  struct Operation {
    OVERLAPPED ov;
    Op op;
    uint32_t index;  // the connection, or the listener's accept slot
    bool posted;
  };

  struct Conn : ConnBase {
    Operation recv_op{};
    Operation send_op{};
    Operation connect_op{};
    // The posted WSARecv's buffer (allocated with the connection, kept with the slot).
    std::unique_ptr<uint8_t[]> recv_buffer;
    // Bytes a receive brought while the connection was paused (SetReceiving(false)).
    uint32_t held = 0;
    uint64_t send_posted_ns = 0;
    // Closed by the owner while operations were still posted: the slot waits for them.
    bool closing = false;
    // Operations whose completion has not been handled yet (from the port or the inline list).
    int Posted() const { return recv_op.posted + send_op.posted + connect_op.posted; }
  };

  struct AcceptSlot {
    Operation op{};
    int socket = -1;
    // AcceptEx writes both addresses here, each with 16 bytes of its own.
    uint8_t addresses[2 * (sizeof(sockaddr_storage) + 16)];
  };
  struct Listener {
    Fd fd;
    int family = AF_INET;
    AcceptHandler* handler = nullptr;
    std::unique_ptr<AcceptSlot[]> slots;
  };

  // A completion known without a packet: the operation completed at once.
  struct Completion {
    Operation* op;
    DWORD bytes;
    DWORD error;
  };

  IocpEngine(HANDLE port, const EngineOptions& options);
  absl::Status Associate(int fd);
  absl::StatusOr<int> NewSocket(int family);
  void PostRecv(ConnId id);
  void PostSend(ConnId id);
  void PostAccept(Listener& listener, uint32_t slot);
  void Dispatch(Operation* op, DWORD bytes, DWORD error);
  void OnConnectDone(ConnId id, DWORD error);
  void OnRecvDone(ConnId id, DWORD bytes, DWORD error);
  void OnSendDone(ConnId id, DWORD bytes, DWORD error);
  void OnAcceptDone(Listener& listener, uint32_t slot, DWORD error);
  void Deliver(ConnId id, uint32_t bytes);
  void Fail(ConnId id, absl::Status why);
  // Closes the socket; frees the slot now, or once its posted operations have completed.
  void Release(ConnId id);
  void FlushWrites();
  bool Alive(ConnId id, uint32_t generation) const {
    return conns_[id].fd >= 0 && conns_[id].generation == generation;
  }

  HANDLE port_;
  EngineOptions options_;
  SocketOptions socket_options_;
  ConnTable<Conn, std::deque<Conn>> conns_;
  std::deque<Listener> listeners_;
  WriteQueue write_queue_;
  std::vector<Completion> inline_;
  std::vector<Completion> inline_running_;
  std::vector<OVERLAPPED_ENTRY> entries_;
  size_t closing_ = 0;
};

}  // namespace salvo::net

#endif  // _WIN32
