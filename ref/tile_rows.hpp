// The row loop the historical revisions share: every row of every 64x64 head through their three stages.
#pragma once
#include <cstdint>

#include "ref/tensor.hpp"

namespace attncheck {

// Score is the stage-1 element type (int8 or int32); Row is the revision's SoftmaxRow.
template <class Score, class Row, int Tile, class Qk, class Softmax, class Pv>
Int8Tensor run_tile_rows(const AttentionInputs& in, int scale_shift, Qk qk_scores, Softmax softmax_row, Pv pv_requant) {
  Int8Tensor out(in.shape());
  Score scores[Tile];
  Row row;
  for (int64_t h = 0; h < in.shape().heads; ++h) {
    const int8_t* q = in.q.head(h);
    const int8_t* k = in.k.head(h);
    const int8_t* v = in.v.head(h);
    for (int i = 0; i < Tile; ++i) {
      qk_scores(q + i * Tile, k, scale_shift, scores);
      softmax_row(scores, &row);
      pv_requant(row.w, v, out.head(h) + i * Tile);
    }
  }
  return out;
}

}  // namespace attncheck
