// The tile schedule of streaming revisions: heads, 64-row Q tiles, 64-key K/V tiles, as the device runs them.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ref/tensor.hpp"

namespace attncheck {

// For each head, for each Q tile: begin; every K tile through pass 1 (row maxima); every K/V
// tile through pass 2 (weights, accumulation); finish. The model, the host backend and the NPU
// runner walk this same plan, so a device mismatch maps to a (head, Q tile, K tile) step.
struct TilePlan {
  Shape shape;
  int64_t tile = 64;

  int64_t q_tiles() const { return (shape.seq + tile - 1) / tile; }
  int64_t k_tiles() const { return q_tiles(); }
  // Valid rows (or keys) of tile t: the last one is partial when S is not a multiple of 64.
  int valid(int64_t t) const { return static_cast<int>(std::min(tile, shape.seq - t * tile)); }
};

}  // namespace attncheck
