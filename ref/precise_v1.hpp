// Integer model of revision precise-v1: exact int32 scores, two-pass softmax over all keys with a
// base-2 fixed-point exp, deferred normalization, and a fixed-point output requantization.
#pragma once
#include <cstdint>

#include "ref/registry.hpp"

namespace attncheck::precise_v1 {

constexpr int kTile = 64;   // rows per Q tile and keys per K/V tile
constexpr int kDim = 64;    // head dimension the device layout is built for
constexpr int kExpFloor = 32;  // base-2 exponents below -32 contribute nothing at exp_bits <= 18
// 18 fraction bits keep the accumulator safe for any S <= 64 (S * 2^bits * 128 <= 2^31); more
// would buy nothing the int8 output can show.
constexpr int kMaxExpBits = 18;

// The runtime parameters the host derives from the fixture's float scales and S, passed to the
// kernel as int32 words in this order (the design's RTP buffer).
struct RuntimeParams {
  int32_t exp_mult;     // u = ((max(d, -score_floor) * exp_mult) >> exp_shift) is d*c*log2(e) in Q16
  int32_t exp_shift;
  int32_t score_floor;  // |d| beyond this gives 2^u < 2^-32: clamped so d*exp_mult cannot overflow
  int32_t exp_bits;     // e = 2^u in Q(exp_bits); chosen so that S * 2^exp_bits * 128 <= 2^31
  int32_t out_mult;     // out = round(|acc| / l * out_mult / 2^out_shift) with acc's sign, out_mult < 2^16
  int32_t out_shift;    // 1..30
};
constexpr int kRuntimeWords = 6;

RuntimeParams derive_runtime(const Scales& scales, int64_t seq, int64_t dim, int64_t exp_bits_override);
Params to_params(const RuntimeParams& rp);
RuntimeParams from_params(const Params& p);

// 2^(i/256) in Q30 for i = 0..256, rounded to nearest; the kernel carries the same table.
const uint32_t* exp2_table();
// exp2_table as pairs of neighbours, pairs[i] = table[i] | table[i + 1] << 32 (fast::ExpWords::pairs).
const uint64_t* exp2_pair_table();

// Stage 1: int32 dot products of one query row with n_keys key rows (D = 64), exact.
void qk_scores(const int8_t* q_row, const int8_t* k, int n_keys, int32_t* scores);
// Stage 2 (pass 1 over the keys): the row maximum over every key tile.
int32_t row_max(const int32_t* scores, int n_keys, int32_t running_max);
// Stage 3 (pass 2): e = 2^(d*c*log2 e) in Q(exp_bits) for d = score - max <= 0.
uint32_t exp_weight(int32_t d, const RuntimeParams& rp);
// Stage 4: l += e_j and acc[c] += e_j * V[j][c] over one key tile; no overflow by choice of exp_bits.
void pv_accumulate(const uint32_t* e, const int8_t* v, int n_keys, int32_t* acc, uint32_t* l);
// Stage 5: out[c] = clamp(round(acc[c] / l * out_mult / 2^out_shift), -128, 127).
void out_requant(const int32_t* acc, uint32_t l, const RuntimeParams& rp, int8_t* out_row);
// out_requant with its two divisions by the row's weight sum done as multiplications by one
// reciprocal and a remainder test: the same bits (test "... by_reciprocal ... equals out_requant"),
// for the fast paths.
void out_requant_by_reciprocal(const int32_t* acc, uint32_t l, const RuntimeParams& rp, int8_t* out_row);

// The stages above tile by tile, as the device runs them: the reference the fast path must equal.
Int8Tensor model_scalar(const AttentionInputs& in, const Params& params);
// The model at fast::active_level(): model_scalar itself, or the fast path (same bits).
Int8Tensor model(const AttentionInputs& in, const Params& params);
Revision revision();

}  // namespace attncheck::precise_v1
