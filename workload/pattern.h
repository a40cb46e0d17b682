// The deterministic byte stream every salvo sender writes and every verifier checks.
//
// Byte i of a connection's stream is ByteAt(i), a sequence with a prime period (251) so that it
// never lines up with power-of-two message or buffer sizes: a dropped, duplicated or reordered
// chunk shows up as mismatches. Senders point into one immutable buffer, which also means a
// buffer handed to a zero-copy send is never written again.
//
//   Pattern pattern(message_size);
//   engine.Send(id, pattern.At(offset), message_size);     // bytes [offset, offset + size)
//   errors += Pattern::CountMismatches(recv_offset, data, len);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace salvo::workload {

class Pattern {
 public:
  static constexpr size_t kPeriod = 251;

  // Long enough to serve `span` bytes from any stream offset.
  explicit Pattern(size_t span);

  static uint8_t ByteAt(uint64_t stream_offset);
  const uint8_t* At(uint64_t stream_offset) const { return data_.data() + stream_offset % kPeriod; }
  size_t span() const { return data_.size() - kPeriod; }

  // How many of the `len` bytes at `data` differ from the stream at `stream_offset`.
  static uint64_t CountMismatches(uint64_t stream_offset, const uint8_t* data, size_t len);

 private:
  std::vector<uint8_t> data_;
};

}  // namespace salvo::workload
