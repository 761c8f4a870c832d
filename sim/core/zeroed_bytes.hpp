// A fixed-size, zero-filled byte buffer whose pages are touched only where it is used (a tile's memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
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
