// The socket layer's one seam between POSIX and Windows: the system headers, and the few calls
// whose names or error reporting differ. Everything above net/ sees neither.
//
// A socket is held as an int on both: Windows guarantees that only the low 32 bits of a SOCKET
// (a kernel handle) are significant, so the value survives the round trip, and -1 stays "none".
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
// After winsock2.h, which must come first.
#include <mswsock.h>
#include <windows.h>
#else
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace salvo::net {

#ifdef _WIN32
inline SOCKET AsSocket(int fd) { return static_cast<SOCKET>(static_cast<unsigned>(fd)); }
inline int FromSocket(SOCKET s) { return s == INVALID_SOCKET ? -1 : static_cast<int>(s); }
// What the system's socket calls take: a SOCKET on Windows, the descriptor elsewhere.
inline SOCKET Native(int fd) { return AsSocket(fd); }
#else
inline int Native(int fd) { return fd; }
#endif

inline void CloseSocket(int fd) {
#ifdef _WIN32
  ::closesocket(AsSocket(fd));
#else
  ::close(fd);
#endif
}

// Half-closes the sending side.
inline void ShutdownSend(int fd) {
#ifdef _WIN32
  ::shutdown(AsSocket(fd), SD_SEND);
#else
  ::shutdown(fd, SHUT_WR);
#endif
}

// The error of the last socket call: errno, or WSAGetLastError().
inline int LastSocketError() {
#ifdef _WIN32
  return ::WSAGetLastError();
#else
  return errno;
#endif
}

// The POSIX errno a socket error stands for (Winsock and Win32 codes mapped; EIO for one with no
// POSIX kind), for counting errors by kind alike everywhere.
int PosixErrno(int err);

// A status for a socket call that failed with `err` (an errno, or a Winsock/Win32 error code).
absl::Status SocketErrorStatus(int err, absl::string_view what);

// Winsock must be started once per process before any socket call; a no-op elsewhere.
absl::Status StartSockets();

}  // namespace salvo::net
