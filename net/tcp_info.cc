#include "net/tcp_info.h"

#ifdef _WIN32

#include "absl/strings/str_cat.h"
#include "net/platform.h"
#include "net/socket.h"

namespace salvo::net {
namespace {

// Windows 10 1703's TCP_INFO_v0 (mstcpip.h), which mingw-w64's headers do not have yet.
struct TcpInfoV0 {
  int32_t state;
  ULONG mss;
  ULONG64 connection_time_ms;
  BOOLEAN timestamps_enabled;
  ULONG rtt_us;
  ULONG min_rtt_us;
  ULONG bytes_in_flight;
  ULONG cwnd;
  ULONG snd_wnd;
  ULONG rcv_wnd;
  ULONG rcv_buf;
  ULONG64 bytes_out;
  ULONG64 bytes_in;
  ULONG bytes_reordered;
  ULONG bytes_retrans;
  ULONG fast_retrans;
  ULONG dup_acks_in;
  ULONG timeout_episodes;
  UCHAR syn_retrans;
};
constexpr DWORD kSioTcpInfo = _WSAIORW(IOC_VENDOR, 39);

}  // namespace

absl::StatusOr<TcpInfo> ReadTcpInfo(int fd) {
  DWORD version = 0;
  TcpInfoV0 raw{};
  DWORD bytes = 0;
  if (::WSAIoctl(Native(fd), kSioTcpInfo, &version, sizeof(version), &raw, sizeof(raw), &bytes,
                 nullptr, nullptr) != 0) {
    const int err = LastSocketError();
    if (err == WSAEOPNOTSUPP || err == WSAEINVAL) {
      return absl::UnimplementedError(
          "this Windows gives no TCP_INFO (SIO_TCP_INFO needs Windows 10 1703; wine has none)");
    }
    return SocketErrorStatus(err, "WSAIoctl(SIO_TCP_INFO)");
  }
  TcpInfo out;
  out.length = bytes;
  out.state = static_cast<uint8_t>(raw.state);
  out.rtt_us = raw.rtt_us;
  out.snd_cwnd = raw.cwnd;
  // Bytes out count retransmissions again; what was sent once and is no longer in flight has
  // been acknowledged.
  const uint64_t once = raw.bytes_out - std::min<uint64_t>(raw.bytes_out, raw.bytes_retrans);
  out.has_bytes_acked = true;
  out.bytes_acked = once - std::min<uint64_t>(once, raw.bytes_in_flight) + 1;  // +1: Linux's SYN
  out.bytes_received = raw.bytes_in;
  out.unacked = raw.bytes_in_flight;
  out.has_snd_wnd = true;
  out.snd_wnd = raw.snd_wnd;
  return out;
}

absl::Status TcpInfoAvailable() {
  static const absl::Status* status = [] {
    auto* s = new absl::Status();
    absl::StatusOr<SocketAddress> loopback = ResolveHostPort("127.0.0.1:0", true);
    absl::StatusOr<Fd> listener = loopback.ok() ? ListenTcp(*loopback, {}) : loopback.status();
    absl::StatusOr<SocketAddress> at =
        listener.ok() ? LocalAddress(listener->get()) : listener.status();
    absl::StatusOr<Fd> client = at.ok() ? NewTcpSocket(AF_INET) : at.status();
    if (!client.ok()) {
      *s = client.status();
    } else if (::connect(Native(client->get()), at->get(), at->length) != 0) {
      *s = SocketErrorStatus(LastSocketError(), "connect");
    } else {
      *s = ReadTcpInfo(client->get()).status();
    }
    return s;
  }();
  return *status;
}

}  // namespace salvo::net

#else

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace salvo::net {

absl::StatusOr<TcpInfo> ReadTcpInfo(int fd) {
  // Room for more than these headers describe: a newer kernel fills up to its own size.
  union {
    struct tcp_info info;
    unsigned char bytes[512];
  } raw;
  std::memset(&raw, 0, sizeof(raw));
  socklen_t len = sizeof(raw);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &raw, &len) != 0) {
    return absl::ErrnoToStatus(errno, "getsockopt(TCP_INFO)");
  }
  const auto has = [len](size_t offset, size_t size) { return offset + size <= len; };
#define SALVO_HAS(field) has(offsetof(struct tcp_info, field), sizeof(raw.info.field))
  TcpInfo out;
  out.length = len;
  const struct tcp_info& t = raw.info;
  if (!SALVO_HAS(tcpi_total_retrans)) {
    return absl::InternalError("TCP_INFO returned less than the basic fields");
  }
  out.state = t.tcpi_state;
  out.rtt_us = t.tcpi_rtt;
  out.rttvar_us = t.tcpi_rttvar;
  out.snd_cwnd = t.tcpi_snd_cwnd;
  out.total_retrans = t.tcpi_total_retrans;
  out.unacked = t.tcpi_unacked;
  out.last_ack_recv_ms = t.tcpi_last_ack_recv;
  if (SALVO_HAS(tcpi_notsent_bytes)) out.notsent_bytes = t.tcpi_notsent_bytes;
  if (SALVO_HAS(tcpi_bytes_received)) {
    out.has_bytes_acked = true;
    out.bytes_acked = t.tcpi_bytes_acked;
    out.bytes_received = t.tcpi_bytes_received;
  }
  if (SALVO_HAS(tcpi_sndbuf_limited)) {
    out.has_busy_time = true;
    out.busy_time_us = t.tcpi_busy_time;
    out.rwnd_limited_us = t.tcpi_rwnd_limited;
    out.sndbuf_limited_us = t.tcpi_sndbuf_limited;
  }
  if (SALVO_HAS(tcpi_snd_wnd)) {
    out.has_snd_wnd = true;
    out.snd_wnd = t.tcpi_snd_wnd;
  }
#undef SALVO_HAS
  return out;
}

absl::Status TcpInfoAvailable() { return absl::OkStatus(); }

}  // namespace salvo::net

#endif  // _WIN32
