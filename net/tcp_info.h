// The kernel's TCP_INFO for one socket, read safely across kernel versions.
//
// The kernel fills as much of `struct tcp_info` as it knows and says how much. The running
// kernel may know more than the installed headers (newer fields are ignored) or less (the
// fields it did not fill are marked absent, never read as zero).
//
//   absl::StatusOr<TcpInfo> info = ReadTcpInfo(fd);
//   if (info->has_snd_wnd && info->snd_wnd == 0) ...   // the peer's window is closed
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace salvo::net {

struct TcpInfo {
  // Bytes of struct tcp_info the kernel returned.
  uint32_t length = 0;
  uint8_t state = 0;
  uint32_t rtt_us = 0;
  uint32_t rttvar_us = 0;
  uint32_t snd_cwnd = 0;
  uint32_t total_retrans = 0;
  uint32_t unacked = 0;
  uint32_t notsent_bytes = 0;
  uint32_t last_ack_recv_ms = 0;  // since the last ACK arrived
  bool has_bytes_acked = false;   // Linux 4.1
  uint64_t bytes_acked = 0;
  uint64_t bytes_received = 0;
  bool has_busy_time = false;  // Linux 4.10: busy, receive-window- and send-buffer-limited time
  uint64_t busy_time_us = 0;
  uint64_t rwnd_limited_us = 0;
  uint64_t sndbuf_limited_us = 0;
  bool has_snd_wnd = false;  // Linux 5.19: the peer's advertised window
  uint32_t snd_wnd = 0;
};

absl::StatusOr<TcpInfo> ReadTcpInfo(int fd);

// OK where ReadTcpInfo works: always on Linux; on Windows where SIO_TCP_INFO answers (probed
// once, on a loopback connection of its own).
absl::Status TcpInfoAvailable();

}  // namespace salvo::net
