// Integer model of revision uc-int32-lut, stage by stage as kernel-revisions.md states it.
#include "ref/uc_int32_lut.hpp"

#include <algorithm>

#include "ref/fast.hpp"
#include "ref/tile_rows.hpp"

namespace attncheck::uc_int32_lut {

const int32_t kExpLut[128] = {
    1048576, 385749, 141909, 52205, 19205, 7065, 2599, 956, 351, 129, 47, 17, 6, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1};

void qk_scores(const int8_t* q_row, const int8_t* k, int scale_shift, int32_t* scores) {
  for (int j = 0; j < kTile; ++j) {
    int32_t s = 0;
    for (int d = 0; d < kTile; ++d) s += int32_t{q_row[d]} * int32_t{k[j * kTile + d]};
    scores[j] = s >> scale_shift;
  }
}

void softmax_row(const int32_t* scores, SoftmaxRow* r) {
  int32_t m = scores[0];
  for (int j = 1; j < kTile; ++j) m = std::max(m, scores[j]);
  r->max = m;
  uint32_t sum = 0;
  for (int j = 0; j < kTile; ++j) {
    int32_t x = std::clamp((scores[j] - m) >> 8, -127, 0);
    r->e[j] = static_cast<uint32_t>(kExpLut[-x]);
    sum += r->e[j];
  }
  r->sum = sum;
  const uint32_t denom = std::max<uint32_t>(1, sum >> 10);
  for (int j = 0; j < kTile; ++j) {
    uint32_t w = ((r->e[j] >> 10) * 127u) / denom;
    r->w[j] = static_cast<int8_t>(std::min<uint32_t>(w, 127));
  }
}

void pv_requant(const int8_t* w, const int8_t* v, int8_t* out_row) {
  for (int c = 0; c < kTile; ++c) {
    int32_t acc = 0;
    for (int j = 0; j < kTile; ++j) acc += int32_t{w[j]} * int32_t{v[j * kTile + c]};
    int32_t o = (acc + (acc >= 0 ? 64 : -64)) >> 7;
    out_row[c] = static_cast<int8_t>(std::clamp<int32_t>(o, -128, 127));
  }
}

Int8Tensor model_scalar(const AttentionInputs& in, const Params& params) {
  return run_tile_rows<int32_t, SoftmaxRow, kTile>(in, static_cast<int>(params.at("scale_shift")), qk_scores,
                                                  softmax_row, pv_requant);
}

Int8Tensor model(const AttentionInputs& in, const Params& params) {
  const fast::Level level = fast::active_level();
  if (level == fast::Level::scalar || in.shape().seq != kTile || in.shape().dim != kTile) return model_scalar(in, params);
  const int shift = static_cast<int>(params.at("scale_shift"));
  return fast::tile_model(
      in, level,
      [shift](const int32_t* s, int8_t* w) {
        int32_t scores[kTile];
        for (int j = 0; j < kTile; ++j) scores[j] = s[j] >> shift;
        SoftmaxRow row;
        softmax_row(scores, &row);
        std::copy(row.w, row.w + kTile, w);
      },
      [](int32_t acc) {
        const int32_t o = (acc + (acc >= 0 ? 64 : -64)) >> 7;
        return static_cast<int8_t>(std::clamp<int32_t>(o, -128, 127));
      });
}

Revision revision() {
  Revision r;
  r.name = "uc-int32-lut";
  r.summary = "historical 'INT32 fix': int32 scores >> scale_shift, exp LUT on (s-max)>>8, 32-bit normalize (64x64 tile)";
  r.params = {{"scale_shift", 4, 0, 31, "right shift of the Q.K dot product (the built designs pass 4)"}};
  r.tile_only = true;
  r.baked_params = {"scale_shift"};
  r.model = model;
  return r;
}

}  // namespace attncheck::uc_int32_lut
