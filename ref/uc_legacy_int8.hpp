// Integer model of revision uc-legacy-int8: INT8-clamped scores and a Taylor-series exp.
#pragma once
#include <cstdint>

#include "ref/registry.hpp"

namespace attncheck::uc_legacy_int8 {

constexpr int kTile = 64;

// Stage 1: s[j] = clamp((Q[i] . K[j]) >> scale_shift, -128, 127).
void qk_scores(const int8_t* q_row, const int8_t* k, int scale_shift, int8_t* scores);

// Stage 2: e[j] = 64 + x + x*x/128 with x = clamp(s[j] - max, -64, 0); w[j] = min(e[j]*127/sum, 127).
struct SoftmaxRow {
  int32_t max = 0;
  int32_t e[kTile] = {};
  int32_t sum = 0;
  int8_t w[kTile] = {};
};
void softmax_row(const int8_t* scores, SoftmaxRow* out);

// Stage 3: out[c] = clamp((sum_j w[j] * V[j][c]) >> 7, -128, 127).
void pv_requant(const int8_t* w, const int8_t* v, int8_t* out_row);

// Every head through the three stages.
// The stages above row by row: the reference the fast path must equal.
Int8Tensor model_scalar(const AttentionInputs& in, const Params& params);
// The model at fast::active_level(): model_scalar itself, or the fast path (same bits).
Int8Tensor model(const AttentionInputs& in, const Params& params);
Revision revision();

}  // namespace attncheck::uc_legacy_int8
