#include "net/platform.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace salvo::net {

#ifdef _WIN32

namespace {

absl::StatusCode CodeOf(int err) {
  switch (err) {
    case WSAECONNREFUSED:
    case WSAENETUNREACH:
    case WSAEHOSTUNREACH:
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case ERROR_CONNECTION_REFUSED:
    case ERROR_NETNAME_DELETED:
    case ERROR_CONNECTION_ABORTED:
      return absl::StatusCode::kUnavailable;
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case WSAEADDRINUSE:
      return absl::StatusCode::kAlreadyExists;
    case WSAEMFILE:
    case WSAENOBUFS:
    case WSAEADDRNOTAVAIL:
      return absl::StatusCode::kResourceExhausted;
    case WSAEINVAL:
    case WSAEAFNOSUPPORT:
    case WSAENOTCONN:
      return absl::StatusCode::kInvalidArgument;
    case ERROR_OPERATION_ABORTED:
      return absl::StatusCode::kCancelled;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status SocketErrorStatus(int err, absl::string_view what) {
  char text[256] = {};
  const DWORD n =
      ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                       static_cast<DWORD>(err), 0, text, sizeof(text), nullptr);
  std::string message = n > 0 ? std::string(absl::StripTrailingAsciiWhitespace(text))
                              : absl::StrCat("Windows error ", err);
  return absl::Status(CodeOf(err), absl::StrCat(what, ": ", message, " (", err, ")"));
}

int PosixErrno(int err) {
  switch (err) {
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED:
      return ECONNREFUSED;
    case WSAEADDRNOTAVAIL:
    case WSAENOBUFS:
      return EADDRNOTAVAIL;
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
      return ETIMEDOUT;
    case WSAENETUNREACH:
    case ERROR_NETWORK_UNREACHABLE:
      return ENETUNREACH;
    case WSAEHOSTUNREACH:
    case ERROR_HOST_UNREACHABLE:
      return EHOSTUNREACH;
    case WSAECONNRESET:
    case ERROR_NETNAME_DELETED:
      return ECONNRESET;
    case WSAECONNABORTED:
    case ERROR_CONNECTION_ABORTED:
      return ECONNABORTED;
    default:
      return EIO;
  }
}

absl::Status StartSockets() {
  static const int result = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data);
  }();
  if (result != 0) return SocketErrorStatus(result, "WSAStartup");
  return absl::OkStatus();
}

#else

absl::Status SocketErrorStatus(int err, absl::string_view what) {
  return absl::ErrnoToStatus(err, what);
}

absl::Status StartSockets() { return absl::OkStatus(); }

int PosixErrno(int err) { return err; }

#endif

}  // namespace salvo::net
