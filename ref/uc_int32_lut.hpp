// Integer model of revision uc-int32-lut: INT32 scores, a 128-entry exp LUT and 32-bit normalization.
#pragma once
#include <cstdint>

#include "ref/registry.hpp"

namespace attncheck::uc_int32_lut {

constexpr int kTile = 64;

// LUT[n] = max(1, floor(2^20 * exp(-n))), n = 0..127, written out in the spec.
extern const int32_t kExpLut[128];

// Stage 1: s[j] = (Q[i] . K[j]) >> scale_shift, kept in int32.
void qk_scores(const int8_t* q_row, const int8_t* k, int scale_shift, int32_t* scores);

// Stage 2: x = clamp((s[j] - max) >> 8, -127, 0); e[j] = LUT[-x];
// w[j] = min(((e[j] >> 10) * 127) / max(1, sum >> 10), 127) in uint32.
struct SoftmaxRow {
  int32_t max = 0;
  uint32_t e[kTile] = {};
  uint32_t sum = 0;
  int8_t w[kTile] = {};
};
void softmax_row(const int32_t* scores, SoftmaxRow* out);

// Stage 3: out[c] = clamp((acc + (acc >= 0 ? 64 : -64)) >> 7, -128, 127), acc = sum_j w[j] * V[j][c].
void pv_requant(const int8_t* w, const int8_t* v, int8_t* out_row);

// The stages above row by row: the reference the fast path must equal.
Int8Tensor model_scalar(const AttentionInputs& in, const Params& params);
// The model at fast::active_level(): model_scalar itself, or the fast path (same bits).
Int8Tensor model(const AttentionInputs& in, const Params& params);
Revision revision();

}  // namespace attncheck::uc_int32_lut
