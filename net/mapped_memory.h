// Anonymous memory mapped for one owner and unmapped when it goes: for the large buffers an
// engine holds for a run. Its pages cost nothing until first written (a receive buffer the
// kernel never fills stays free), and they go back to the system at once when the owner is
// destroyed, instead of staying in a malloc arena for the process's lifetime.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/statusor.h"

namespace salvo::net {

class MappedMemory {
 public:
  MappedMemory() = default;
  static absl::StatusOr<MappedMemory> Map(size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (p == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap");
    // Pages, not huge pages: with transparent huge pages "always", one byte written into a
    // sparsely used buffer area would make 2 MiB resident. Advice only; an error changes nothing.
    (void)::madvise(p, bytes, MADV_NOHUGEPAGE);
    MappedMemory m;
    m.data_ = static_cast<uint8_t*>(p);
    m.size_ = bytes;
    return m;
  }
  MappedMemory(MappedMemory&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedMemory& operator=(MappedMemory&& other) noexcept {
    if (this != &other) {
      Unmap();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~MappedMemory() { Unmap(); }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Unmap() {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = nullptr;
  }
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace salvo::net
