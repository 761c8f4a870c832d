// The DMA channel's address generator and the stream route's buffers (docs/aie2-array.md gives each rule's source).
#include "sim/array/dma.hpp"

namespace attncheck::aie2::array {

AddressPattern::AddressPattern(const BufferDescriptor& bd, uint32_t iteration) : length_(bd.length) {
  // A dimension whose wrap is 0 never wraps (a linear transfer leaves every wrap 0 and d0's step 1),
  // so the dimensions above it never move; the outermost dimension has no wrap at all.
  dims_ = bd.dims;
  if (dims_.empty()) dims_.push_back({0, 1});
  index_.assign(dims_.size(), 0);
  if (bd.iteration_wrap != 0) iteration %= bd.iteration_wrap;
  base_ = static_cast<int64_t>(iteration) * bd.iteration_step;
  offset_ = base_;
}

std::string DmaChannel::name() const {
  const char* k = kind == TileKind::Shim ? "shim " : kind == TileKind::Mem ? "memory tile " : "tile ";
  return std::string(k) + "(" + std::to_string(col) + "," + std::to_string(row) + ") " + (s2mm ? "S2MM " : "MM2S ") +
         std::to_string(channel);
}

void WordFifo::grow() {
  std::vector<uint32_t> bigger(ring_.size() * 2);
  for (uint64_t i = head_; i < tail_; ++i) bigger[i - head_] = ring_[i & (ring_.size() - 1)];
  tail_ -= head_, head_ = 0;
  ring_ = std::move(bigger);
}

}  // namespace attncheck::aie2::array
