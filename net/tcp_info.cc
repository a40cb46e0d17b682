#include "net/tcp_info.h"

#ifdef _WIN32

namespace salvo::net {

absl::StatusOr<TcpInfo> ReadTcpInfo(int fd) {
  return absl::UnimplementedError("TCP_INFO is Linux's (Windows' SIO_TCP_INFO is not read yet)");
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

}  // namespace salvo::net

#endif  // _WIN32
