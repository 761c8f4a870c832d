// Integer model of revision uc-legacy-int8, stage by stage as kernel-revisions.md states it.
#include "ref/uc_legacy_int8.hpp"

#include <algorithm>

#include "ref/fast.hpp"
#include "ref/tile_rows.hpp"

namespace attncheck::uc_legacy_int8 {

void qk_scores(const int8_t* q_row, const int8_t* k, int scale_shift, int8_t* scores) {
  for (int j = 0; j < kTile; ++j) {
    int32_t s = 0;
    for (int d = 0; d < kTile; ++d) s += int32_t{q_row[d]} * int32_t{k[j * kTile + d]};
    s >>= scale_shift;
    scores[j] = static_cast<int8_t>(std::clamp<int32_t>(s, -128, 127));
  }
}

void softmax_row(const int8_t* scores, SoftmaxRow* r) {
  int32_t m = scores[0];
  for (int j = 1; j < kTile; ++j) m = std::max<int32_t>(m, scores[j]);
  r->max = m;
  int32_t sum = 0;
  for (int j = 0; j < kTile; ++j) {
    int32_t x = std::clamp<int32_t>(int32_t{scores[j]} - m, -64, 0);
    int32_t e = 64 + x + (x * x) / 128;
    if (e < 0) e = 0;
    r->e[j] = e;
    sum += e;
  }
  r->sum = sum;  // never 0: the max element contributes 64
  for (int j = 0; j < kTile; ++j) r->w[j] = static_cast<int8_t>(std::min<int32_t>((r->e[j] * 127) / sum, 127));
}

void pv_requant(const int8_t* w, const int8_t* v, int8_t* out_row) {
  for (int c = 0; c < kTile; ++c) {
    int32_t acc = 0;
    for (int j = 0; j < kTile; ++j) acc += int32_t{w[j]} * int32_t{v[j * kTile + c]};
    out_row[c] = static_cast<int8_t>(std::clamp<int32_t>(acc >> 7, -128, 127));
  }
}

Int8Tensor model_scalar(const AttentionInputs& in, const Params& params) {
  return run_tile_rows<int8_t, SoftmaxRow, kTile>(in, static_cast<int>(params.at("scale_shift")), qk_scores,
                                                  softmax_row, pv_requant);
}

Int8Tensor model(const AttentionInputs& in, const Params& params) {
  const fast::Level level = fast::active_level();
  if (level == fast::Level::scalar || in.shape().seq != kTile || in.shape().dim != kTile) return model_scalar(in, params);
  const int shift = static_cast<int>(params.at("scale_shift"));
  return fast::tile_model(
      in, level,
      [shift](const int32_t* s, int8_t* w) {
        int8_t scores[kTile];
        for (int j = 0; j < kTile; ++j) scores[j] = static_cast<int8_t>(std::clamp<int32_t>(s[j] >> shift, -128, 127));
        SoftmaxRow row;
        softmax_row(scores, &row);
        std::copy(row.w, row.w + kTile, w);
      },
      [](int32_t acc) { return static_cast<int8_t>(std::clamp<int32_t>(acc >> 7, -128, 127)); });
}

Revision revision() {
  Revision r;
  r.name = "uc-legacy-int8";
  r.summary = "historical: scores clamped to int8 after >> scale_shift, Taylor exp 64+x+x^2/128 (64x64 tile)";
  r.params = {{"scale_shift", 4, 0, 31, "right shift of the Q.K dot product (the built designs pass 4)"}};
  r.tile_only = true;
  r.baked_params = {"scale_shift"};
  r.model = model;
  return r;
}

}  // namespace attncheck::uc_legacy_int8
