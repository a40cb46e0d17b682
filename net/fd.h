// An owned file descriptor, closed when dropped. On Windows it holds only sockets.
#pragma once

#include <utility>

#include "net/platform.h"

namespace salvo::net {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) Close(fd_);
    fd_ = fd;
  }

 private:
  static void Close(int fd) {
#ifdef _WIN32
    CloseSocket(fd);
#else
    ::close(fd);
#endif
  }
  int fd_ = -1;
};

}  // namespace salvo::net
