// A fixed-size, zero-filled byte buffer whose pages are touched only where it is used (a tile's memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

namespace attncheck::aie2 {

// calloc's large blocks are fresh pages the kernel hands over zeroed, so a 512 KiB memory tile
// that a design uses a few KiB of costs a few pages, not a memset of all of them (the array builds
// 20 such memories per run). The size is fixed at construction: there is no resize that could
// leave old bytes behind.
class ZeroedBytes {
 public:
  ZeroedBytes() = default;
  explicit ZeroedBytes(size_t n) : bytes_(static_cast<uint8_t*>(std::calloc(n ? n : 1, 1))), size_(n) {
    if (!bytes_) throw std::bad_alloc();
  }
  // A copy holds its own bytes; assigning one of the same size copies into the bytes this one
  // already has, which stay where they are (a neighbour core keeps a pointer to them).
  ZeroedBytes(const ZeroedBytes& o) : ZeroedBytes(o.size_) { std::memcpy(bytes_.get(), o.bytes_.get(), size_); }
  ZeroedBytes& operator=(const ZeroedBytes& o) {
    if (this == &o) return *this;
    if (size_ != o.size_) *this = ZeroedBytes(o);
    else std::memcpy(bytes_.get(), o.bytes_.get(), size_);
    return *this;
  }
  ZeroedBytes(ZeroedBytes&&) = default;
  ZeroedBytes& operator=(ZeroedBytes&&) = default;
  uint8_t* data() { return bytes_.get(); }
  const uint8_t* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  uint8_t* begin() { return data(); }
  uint8_t* end() { return data() + size_; }
  const uint8_t* begin() const { return data(); }
  const uint8_t* end() const { return data() + size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t[], Free> bytes_;
  size_t size_ = 0;
};

}  // namespace attncheck::aie2
