#ifdef _WIN32

#include "net/iocp_engine.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "metrics/clock.h"
#include "status/status_macros.h"

namespace salvo::net {
namespace {

using metrics::Counter;
using metrics::Timing;

constexpr uint32_t kAcceptSlots = 64;
constexpr size_t kBatch = 256;
constexpr DWORD kAddressLength = sizeof(sockaddr_storage) + 16;
// The error value of a completion that replays bytes held over a pause.
constexpr DWORD kReplay = MAXDWORD - 1;

LPFN_CONNECTEX LoadConnectEx(SOCKET s) {
  static LPFN_CONNECTEX connect_ex = [s] {
    LPFN_CONNECTEX f = nullptr;
    GUID guid = WSAID_CONNECTEX;
    DWORD bytes = 0;
    ::WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof(guid), &f, sizeof(f), &bytes,
               nullptr, nullptr);
    return f;
  }();
  return connect_ex;
}

// Whether a completion reports the cancellation of an operation whose socket was closed. Windows
// says ERROR_OPERATION_ABORTED; wine has been seen to say other things, so this is only used to
// choose the words of an error, never to decide what happens to the slot.
bool IsAbort(DWORD error) {
  return error == ERROR_OPERATION_ABORTED || error == WSA_OPERATION_ABORTED || error == WSAEINTR;
}

// The error a dequeued operation finished with: 0 for success.
DWORD ErrorOf(int fd, OVERLAPPED* ov) {
  if (ov->Internal == 0) return 0;  // STATUS_SUCCESS
  DWORD bytes = 0, flags = 0;
  if (fd >= 0 && ::WSAGetOverlappedResult(AsSocket(fd), ov, &bytes, FALSE, &flags)) return 0;
  const DWORD error = fd >= 0 ? static_cast<DWORD>(::WSAGetLastError()) : ERROR_OPERATION_ABORTED;
  return error != 0 ? error : ERROR_OPERATION_ABORTED;
}

}  // namespace

absl::StatusOr<std::unique_ptr<IocpEngine>> IocpEngine::Create(const EngineOptions& options) {
  if (options.send_mode != SendMode::kCopy && options.send_mode != SendMode::kDirect) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the iocp engine sends with copy or direct, not ", kSendModes.Name(options.send_mode)));
  }
  SALVO_RETURN_IF_ERROR(StartSockets());
  HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) return SocketErrorStatus(::GetLastError(), "CreateIoCompletionPort");
  return std::unique_ptr<IocpEngine>(new IocpEngine(port, options));
}

IocpEngine::IocpEngine(HANDLE port, const EngineOptions& options)
    : EngineBase(options),
      port_(port),
      options_(options),
      socket_options_{options.sndbuf, options.rcvbuf, false},
      entries_(kBatch) {
  inline_.reserve(1024);
  inline_running_.reserve(1024);
}

IocpEngine::~IocpEngine() {
  // Closing the sockets cancels what is posted; the port is drained of those completions before
  // the slots they point into go away.
  size_t posted = 0;
  for (Conn& c : conns_.slots()) {
    if (c.fd >= 0) CloseSocket(c.fd);
    posted += c.Posted();
  }
  for (Listener& l : listeners_) {
    for (uint32_t i = 0; i < kAcceptSlots; ++i) {
      AcceptSlot& slot = l.slots[i];
      if (slot.op.posted) ++posted;
      if (slot.socket >= 0) CloseSocket(slot.socket);
    }
    l.fd.Reset();
  }
  posted -= std::min(posted, inline_.size());
  const uint64_t deadline = metrics::MonoNanos() + 2'000'000'000ull;
  while (posted > 0 && metrics::MonoNanos() < deadline) {
    ULONG n = 0;
    if (!::GetQueuedCompletionStatusEx(port_, entries_.data(), static_cast<ULONG>(entries_.size()),
                                       &n, 100, FALSE)) {
      continue;
    }
    for (ULONG i = 0; i < n; ++i) {
      if (entries_[i].lpOverlapped != nullptr && posted > 0) --posted;  // not a wake packet
    }
  }
  ::CloseHandle(port_);
}

// A packet with no OVERLAPPED: Poll skips it. The port is safe to post to from any thread.
void IocpEngine::Wake() { ::PostQueuedCompletionStatus(port_, 0, 0, nullptr); }

absl::Status IocpEngine::Associate(int fd) {
  const HANDLE handle = reinterpret_cast<HANDLE>(AsSocket(fd));
  if (::CreateIoCompletionPort(handle, port_, 0, 0) == nullptr) {
    return SocketErrorStatus(::GetLastError(), "CreateIoCompletionPort(socket)");
  }
  // An operation that completes at once is then handled inline, without a packet.
  if (!::SetFileCompletionNotificationModes(
          handle, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS | FILE_SKIP_SET_EVENT_ON_HANDLE)) {
    return SocketErrorStatus(::GetLastError(), "SetFileCompletionNotificationModes");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> IocpEngine::NewSocket(int family) {
  SALVO_ASSIGN_OR_RETURN(Fd fd, NewTcpSocket(family, socket_options_));
  if (options_.send_mode == SendMode::kDirect) {
    // No socket buffer: WSASend sends from the caller's pages and completes when done with them.
    int zero = 0;
    if (::setsockopt(Native(fd.get()), SOL_SOCKET, SO_SNDBUF, reinterpret_cast<const char*>(&zero),
                     sizeof(zero)) != 0) {
      return SocketErrorStatus(LastSocketError(), "setsockopt(SO_SNDBUF, 0)");
    }
  }
  return fd.Release();
}

absl::StatusOr<ConnId> IocpEngine::ConnectFrom(const SocketAddress& to, const SocketAddress* from,
                                               ConnectionHandler* handler) {
  SALVO_ASSIGN_OR_RETURN(const int s, NewSocket(to.family()));
  Fd fd(s);
  // ConnectEx wants a bound socket.
  SocketAddress any;
  if (from == nullptr) {
    any.storage.ss_family = static_cast<ADDRESS_FAMILY>(to.family());
    any.length = to.family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    from = &any;
  }
  if (::bind(Native(s), from->get(), from->length) != 0) {
    return ConnectError(LastSocketError(), &to);
  }
  SALVO_RETURN_IF_ERROR(Associate(s));
  const LPFN_CONNECTEX connect_ex = LoadConnectEx(Native(s));
  if (connect_ex == nullptr) return absl::UnimplementedError("ConnectEx is not available");

  const ConnId id = conns_.Allocate(fd.Release(), handler);
  Conn& c = conns_[id];
  c.connecting = true;
  c.connect_op = Operation{};
  c.connect_op.op = Op::kConnect;
  c.connect_op.index = id;
  if (connect_ex(Native(s), to.get(), to.length, nullptr, 0, nullptr, &c.connect_op.ov)) {
    inline_.push_back({&c.connect_op, 0, 0});
  } else if (const int err = LastSocketError(); err != ERROR_IO_PENDING) {
    CloseSocket(s);
    conns_.Free(id);
    return ConnectError(err, &to);
  }
  c.connect_op.posted = true;
  return id;
}

absl::Status IocpEngine::Listen(Fd listener, AcceptHandler* handler) {
  SALVO_ASSIGN_OR_RETURN(const SocketAddress local, LocalAddress(listener.get()));
  SALVO_RETURN_IF_ERROR(Associate(listener.get()));
  const uint32_t index = static_cast<uint32_t>(listeners_.size());
  Listener& l = listeners_.emplace_back();
  l.fd = std::move(listener);
  l.family = local.family();
  l.handler = handler;
  l.slots = std::make_unique<AcceptSlot[]>(kAcceptSlots);
  for (uint32_t i = 0; i < kAcceptSlots; ++i) {
    l.slots[i].op.op = Op::kAccept;
    l.slots[i].op.index = (index << 16) | i;
    PostAccept(l, i);
  }
  return absl::OkStatus();
}

void IocpEngine::PostAccept(Listener& l, uint32_t i) {
  AcceptSlot& slot = l.slots[i];
  absl::StatusOr<int> s = NewSocket(l.family);
  if (!s.ok()) {
    // Out of sockets: the slot stays empty; the others keep accepting.
    Count(Counter::kConnectErrors);
    return;
  }
  slot.socket = *s;
  std::memset(&slot.op.ov, 0, sizeof(slot.op.ov));
  DWORD bytes = 0;
  if (::AcceptEx(AsSocket(l.fd.get()), AsSocket(slot.socket), slot.addresses, 0, kAddressLength,
                 kAddressLength, &bytes, &slot.op.ov)) {
    inline_.push_back({&slot.op, 0, 0});
  } else if (const int err = LastSocketError(); err != ERROR_IO_PENDING) {
    inline_.push_back({&slot.op, 0, static_cast<DWORD>(err)});
  }
  slot.op.posted = true;
}

void IocpEngine::PostRecv(ConnId id) {
  Conn& c = conns_[id];
  if (!c.receiving || c.connecting || c.recv_op.posted || c.held > 0) return;
  if (!c.recv_buffer) c.recv_buffer = std::make_unique<uint8_t[]>(options_.recv_chunk_bytes);
  c.recv_op = Operation{};
  c.recv_op.op = Op::kRecv;
  c.recv_op.index = id;
  WSABUF buf{static_cast<ULONG>(options_.recv_chunk_bytes),
             reinterpret_cast<char*>(c.recv_buffer.get())};
  DWORD got = 0, flags = 0;
  if (::WSARecv(AsSocket(c.fd), &buf, 1, &got, &flags, &c.recv_op.ov, nullptr) == 0) {
    inline_.push_back({&c.recv_op, got, 0});
  } else if (const int err = LastSocketError(); err != WSA_IO_PENDING) {
    inline_.push_back({&c.recv_op, 0, static_cast<DWORD>(err)});
  }
  c.recv_op.posted = true;
}

void IocpEngine::PostSend(ConnId id) {
  Conn& c = conns_[id];
  if (c.send_op.posted || !c.sending || c.send_off == c.send_len) return;
  c.send_op = Operation{};
  c.send_op.op = Op::kSend;
  c.send_op.index = id;
  const size_t left = c.send_len - c.send_off;
  WSABUF buf{static_cast<ULONG>(std::min<size_t>(left, 1u << 30)),
             reinterpret_cast<char*>(const_cast<uint8_t*>(c.send_data + c.send_off))};
  DWORD sent = 0;
  c.send_posted_ns = metrics::MonoNanos();
  if (::WSASend(AsSocket(c.fd), &buf, 1, &sent, 0, &c.send_op.ov, nullptr) == 0) {
    inline_.push_back({&c.send_op, sent, 0});
  } else if (const int err = LastSocketError(); err != WSA_IO_PENDING) {
    inline_.push_back({&c.send_op, 0, static_cast<DWORD>(err)});
  }
  c.send_op.posted = true;
}

void IocpEngine::Send(ConnId id, const uint8_t* data, size_t len) {
  conns_[id].BeginSend(data, len);
  write_queue_.Add(id, conns_[id]);
}

void IocpEngine::SetReceiving(ConnId id, bool on) {
  Conn& c = conns_[id];
  c.receiving = on;
  if (!on || c.connecting) return;
  if (c.held > 0) {
    // Bytes a receive brought while paused: delivered from the next Poll, as a completion.
    if (!c.recv_op.posted) {
      c.recv_op.posted = true;
      inline_.push_back({&c.recv_op, c.held, kReplay});
    }
    return;
  }
  PostRecv(id);
}

void IocpEngine::ShutdownWrite(ConnId id) { conns_[id].ShutdownWrite(); }

void IocpEngine::Close(ConnId id) { Release(id); }

void IocpEngine::Release(ConnId id) {
  Conn& c = conns_[id];
  if (c.fd < 0) return;
  CloseSocket(c.fd);  // cancels what is posted
  if (c.Posted() == 0) {
    conns_.Free(id);
    return;
  }
  c.fd = -1;
  c.handler = nullptr;
  ++c.generation;
  c.closing = true;
  ++closing_;
}

void IocpEngine::Fail(ConnId id, absl::Status why) {
  ConnectionHandler* handler = conns_[id].handler;
  Release(id);
  handler->OnClosed(id, std::move(why));
}

absl::Status IocpEngine::Poll(absl::Duration timeout) {
  if (!write_queue_.empty() || !inline_.empty()) timeout = absl::ZeroDuration();
  timeout = timers_.Bound(timeout, metrics::MonoNanos());
  DWORD ms = INFINITE;
  if (timeout != absl::InfiniteDuration()) {
    ms = static_cast<DWORD>(absl::ToInt64Milliseconds(
        absl::Ceil(std::max(timeout, absl::ZeroDuration()), absl::Milliseconds(1))));
  }
  ULONG n = 0;
  if (!::GetQueuedCompletionStatusEx(port_, entries_.data(), static_cast<ULONG>(entries_.size()),
                                     &n, ms, FALSE)) {
    const DWORD err = ::GetLastError();
    if (err != WAIT_TIMEOUT) return SocketErrorStatus(err, "GetQueuedCompletionStatusEx");
    n = 0;
  }
  // What completed at once in the last turn, then what the port delivered: each connection has
  // at most one receive and one send among them.
  inline_running_.swap(inline_);
  for (const Completion& done : inline_running_) Dispatch(done.op, done.bytes, done.error);
  inline_running_.clear();
  for (ULONG i = 0; i < n; ++i) {
    if (entries_[i].lpOverlapped == nullptr) continue;  // Wake()'s packet
    auto* op = reinterpret_cast<Operation*>(entries_[i].lpOverlapped);
    Dispatch(op, entries_[i].dwNumberOfBytesTransferred, MAXDWORD);
  }
  timers_.RunDue(metrics::MonoNanos());
  FlushWrites();
  return absl::OkStatus();
}

// `error` is MAXDWORD for a completion from the port, whose error is read from the operation.
void IocpEngine::Dispatch(Operation* op, DWORD bytes, DWORD error) {
  op->posted = false;
  if (op->op == Op::kAccept) {
    Listener& l = listeners_[op->index >> 16];
    const uint32_t slot = op->index & 0xffff;
    if (error == MAXDWORD) error = ErrorOf(l.fd.get(), &op->ov);
    OnAcceptDone(l, slot, error);
    return;
  }
  const ConnId id = op->index;
  Conn& c = conns_[id];
  if (c.closing) {
    // The owner closed the connection; whatever this completion says, the slot is free once
    // nothing of it is posted any more.
    if (c.Posted() == 0) {
      c.closing = false;
      --closing_;
      c.fd = -1;
      conns_.Free(id);
    }
    return;
  }
  if (error == MAXDWORD) error = ErrorOf(c.fd, &op->ov);
  switch (op->op) {
    case Op::kConnect:
      OnConnectDone(id, error);
      break;
    case Op::kRecv:
      if (error == kReplay) {
        Deliver(id, bytes);
      } else {
        OnRecvDone(id, bytes, error);
      }
      break;
    case Op::kSend:
      OnSendDone(id, bytes, error);
      break;
    case Op::kAccept:
      break;
  }
}

void IocpEngine::OnConnectDone(ConnId id, DWORD error) {
  Conn& c = conns_[id];
  c.connecting = false;
  if (error != 0) {
    ConnectionHandler* handler = c.handler;
    Release(id);
    handler->OnConnected(id, ConnectError(static_cast<int>(error), nullptr));
    return;
  }
  // Without it the socket does not know it is connected: shutdown() and getpeername() fail.
  ::setsockopt(AsSocket(c.fd), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0);
  // Connected: now, and only now, arm the receive.
  PostRecv(id);
  c.handler->OnConnected(id, absl::OkStatus());
}

void IocpEngine::OnRecvDone(ConnId id, DWORD bytes, DWORD error) {
  if (error != 0) {
    if (IsAbort(error)) {
      Count(Counter::kRecvErrors);
    } else {
      CountLoss(Counter::kRecvErrors, static_cast<int>(error));
    }
    Fail(id, SocketErrorStatus(static_cast<int>(error),
                               IsAbort(error) ? "WSARecv (cancelled)" : "WSARecv"));
    return;
  }
  if (bytes == 0) {
    Count(Counter::kClosedByPeer);
    Fail(id, absl::OkStatus());
    return;
  }
  Count(Counter::kRecvCalls);
  Count(Counter::kBytesReceived, bytes);
  Deliver(id, bytes);
}

void IocpEngine::Deliver(ConnId id, uint32_t bytes) {
  Conn& c = conns_[id];
  if (!c.receiving) {
    c.held = bytes;  // delivered when the owner resumes
    return;
  }
  c.held = 0;
  const uint32_t generation = c.generation;
  c.handler->OnRecv(id, c.recv_buffer.get(), bytes);
  if (Alive(id, generation)) PostRecv(id);
}

void IocpEngine::OnSendDone(ConnId id, DWORD bytes, DWORD error) {
  Conn& c = conns_[id];
  Time(Timing::kSendCall, metrics::MonoNanos() - c.send_posted_ns);
  if (error != 0) {
    CountLoss(Counter::kSendErrors, static_cast<int>(error));
    Fail(id, SocketErrorStatus(static_cast<int>(error), "WSASend"));
    return;
  }
  // In direct mode too this completion is the only news: there is no separate buffer-free
  // notification to count as a zero-copy completion (and no way to learn whether Windows copied).
  Count(Counter::kSendCalls);
  Count(Counter::kBytesSent, bytes);
  c.send_off += bytes;
  if (c.send_off < c.send_len) {
    write_queue_.Add(id, c);  // the rest goes out on the next flush
    return;
  }
  c.FinishSend(id);
}

void IocpEngine::OnAcceptDone(Listener& l, uint32_t i, DWORD error) {
  AcceptSlot& slot = l.slots[i];
  const int s = slot.socket;
  slot.socket = -1;
  if (!l.fd.valid()) {
    if (s >= 0) CloseSocket(s);
    return;
  }
  if (error != 0) {
    if (s >= 0) CloseSocket(s);
    if (!IsAbort(error)) Count(Counter::kConnectErrors);
    PostAccept(l, i);
    return;
  }
  SOCKET listen_socket = AsSocket(l.fd.get());
  ::setsockopt(AsSocket(s), SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
               reinterpret_cast<const char*>(&listen_socket), sizeof(listen_socket));
  PostAccept(l, i);
  if (!Associate(s).ok()) {
    CloseSocket(s);
    Count(Counter::kConnectErrors);
    return;
  }
  Count(Counter::kConnectionsEstablished);
  const ConnId id = conns_.Allocate(s, nullptr);
  ConnectionHandler* handler = l.handler->OnAccept(id);
  if (handler == nullptr) {
    Release(id);
    return;
  }
  conns_[id].handler = handler;
  PostRecv(id);
}

void IocpEngine::FlushWrites() {
  write_queue_.Flush(conns_, [this](ConnId id) { PostSend(id); });
}

}  // namespace salvo::net

#endif  // _WIN32
