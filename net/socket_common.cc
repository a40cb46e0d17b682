// What net/socket.h means alike on Linux and Windows.
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/socket.h"

namespace salvo::net {
namespace {

constexpr absl::string_view kErrnoPayload = "salvo.dev/errno";

}  // namespace

absl::Status WithConnectErrno(absl::Status status, int posix_errno) {
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(posix_errno)));
  return status;
}

int ConnectErrno(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  int err = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &err)) return 0;
  return err;
}

AppliedBuffers ProbeBufferSizes(const SocketOptions& options) {
  AppliedBuffers applied;
  absl::StatusOr<Fd> fd = NewTcpSocket(AF_INET, options);
  if (!fd.ok()) return applied;
  socklen_t len = sizeof(int);
  ::getsockopt(Native(fd->get()), SOL_SOCKET, SO_SNDBUF, reinterpret_cast<char*>(&applied.sndbuf),
               &len);
  len = sizeof(int);
  ::getsockopt(Native(fd->get()), SOL_SOCKET, SO_RCVBUF, reinterpret_cast<char*>(&applied.rcvbuf),
               &len);
  return applied;
}

}  // namespace salvo::net
