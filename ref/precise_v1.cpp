// Integer model of revision precise-v1 (docs/kernels.md states its arithmetic), stage by stage.
#include "ref/precise_v1.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ref/errors.hpp"
#include "ref/fast.hpp"
#include "ref/golden.hpp"
#include "ref/tiling.hpp"

namespace attncheck::precise_v1 {
namespace {

int ceil_log2(int64_t n) {
  int b = 0;
  while ((int64_t{1} << b) < n) ++b;
  return b;
}

// Magnitude and sign separately so that INT32_MIN is representable (as uint32 2^31).
uint32_t magnitude(int32_t a) { return a < 0 ? 0u - static_cast<uint32_t>(a) : static_cast<uint32_t>(a); }

}  // namespace

RuntimeParams derive_runtime(const Scales& scales, int64_t seq, int64_t dim, int64_t exp_bits_override) {
  RuntimeParams rp{};
  const double c2 = scales.q * scales.k / std::sqrt(static_cast<double>(dim)) * 1.4426950408889634;  // log2(e)
  if (!(c2 > 0) || c2 >= 16384.0)
    throw InputError("precise-v1: logit scale q*k/sqrt(D) = " + std::to_string(c2 / 1.4426950408889634) +
                     " is outside (0, 11356): cannot be represented as a fixed-point multiplier");
  // acc = sum_j e_j * v_j must fit int32 for any V: S * 2^exp_bits * 128 <= 2^31.
  const int max_bits = 24 - ceil_log2(seq);
  if (max_bits < 8) throw InputError("precise-v1: S = " + std::to_string(seq) + " is too long (at most 65536 keys)");
  rp.exp_bits = static_cast<int32_t>(std::min(kMaxExpBits, max_bits));
  if (exp_bits_override != 0) {
    if (exp_bits_override > max_bits)
      throw InputError("--param exp_bits=" + std::to_string(exp_bits_override) + ": at most " +
                       std::to_string(max_bits) + " for S = " + std::to_string(seq) + " (int32 accumulator)");
    rp.exp_bits = static_cast<int32_t>(exp_bits_override);
  }
  // Score differences are integers of magnitude <= 2^21 (|Q.K| <= 64 * 2^14); beyond the floor the
  // weight is 2^-32 or less and rounds to zero.
  const double floor_d = std::min(std::ceil(kExpFloor / c2), 2097152.0);
  rp.score_floor = static_cast<int32_t>(floor_d);
  rp.exp_shift = -1;
  for (int sh = 30; sh >= 0; --sh) {
    const double m = std::nearbyint(c2 * std::ldexp(1.0, 16 + sh));
    if (m >= 1 && m * floor_d < 2147483648.0) {
      rp.exp_mult = static_cast<int32_t>(m);
      rp.exp_shift = sh;
      break;
    }
  }
  if (rp.exp_shift < 0) throw InputError("precise-v1: logit scale cannot be represented as a fixed-point multiplier");
  const double f = scales.v / scales.out;
  rp.out_shift = -1;
  for (int sh = 30; sh >= 1; --sh) {
    const double m = std::nearbyint(f * std::ldexp(1.0, sh));
    if (m >= 1 && m < 65536.0) {
      rp.out_mult = static_cast<int32_t>(m);
      rp.out_shift = sh;
      break;
    }
  }
  if (rp.out_shift < 0)
    throw InputError("precise-v1: output factor scale_v/scale_out = " + std::to_string(f) +
                     " is outside [2^-30, 32767]: cannot be represented");
  return rp;
}

Params to_params(const RuntimeParams& rp) {
  return {{"exp_mult", rp.exp_mult},       {"exp_shift", rp.exp_shift}, {"score_floor", rp.score_floor},
          {"exp_bits", rp.exp_bits},       {"out_mult", rp.out_mult},   {"out_shift", rp.out_shift}};
}

RuntimeParams from_params(const Params& p) {
  RuntimeParams rp;
  rp.exp_mult = static_cast<int32_t>(p.at("exp_mult"));
  rp.exp_shift = static_cast<int32_t>(p.at("exp_shift"));
  rp.score_floor = static_cast<int32_t>(p.at("score_floor"));
  rp.exp_bits = static_cast<int32_t>(p.at("exp_bits"));
  rp.out_mult = static_cast<int32_t>(p.at("out_mult"));
  rp.out_shift = static_cast<int32_t>(p.at("out_shift"));
  return rp;
}

const uint32_t* exp2_table() {
  static const std::vector<uint32_t> table = [] {
    std::vector<uint32_t> t(257);
    for (int i = 0; i <= 256; ++i) t[i] = static_cast<uint32_t>(std::llround(std::ldexp(std::exp2(i / 256.0), 30)));
    return t;
  }();
  return table.data();
}

const uint64_t* exp2_pair_table() {
  static const std::vector<uint64_t> pairs = [] {
    const uint32_t* t = exp2_table();
    std::vector<uint64_t> p(256);
    for (int i = 0; i < 256; ++i) p[static_cast<size_t>(i)] = t[i] | uint64_t{t[i + 1]} << 32;
    return p;
  }();
  return pairs.data();
}

void qk_scores(const int8_t* q_row, const int8_t* k, int n_keys, int32_t* scores) {
  for (int j = 0; j < n_keys; ++j) {
    int32_t s = 0;
    for (int d = 0; d < kDim; ++d) s += int32_t{q_row[d]} * int32_t{k[j * kDim + d]};
    scores[j] = s;
  }
}

int32_t row_max(const int32_t* scores, int n_keys, int32_t running_max) {
  for (int j = 0; j < n_keys; ++j) running_max = std::max(running_max, scores[j]);
  return running_max;
}

uint32_t exp_weight(int32_t d, const RuntimeParams& rp) {
  d = std::max(d, -rp.score_floor);
  const int32_t u = (d * rp.exp_mult) >> rp.exp_shift;  // Q16, <= 0; the product cannot overflow
  const int32_t ip = u >> 16;                            // floor: integer part, <= 0
  const uint32_t fp = static_cast<uint32_t>(u) & 0xFFFFu;
  const uint32_t* lut = exp2_table();
  const uint32_t idx = fp >> 8, r = fp & 0xFFu;
  const uint32_t frac = lut[idx] + (((lut[idx + 1] - lut[idx]) * r) >> 8);  // 2^(fp/65536) in Q30
  const int32_t shift = 30 - rp.exp_bits - ip;
  if (shift >= 32) return 0;
  return (frac + (1u << (shift - 1))) >> shift;
}

void pv_accumulate(const uint32_t* e, const int8_t* v, int n_keys, int32_t* acc, uint32_t* l) {
  for (int j = 0; j < n_keys; ++j) {
    *l += e[j];
    const int32_t w = static_cast<int32_t>(e[j]);
    for (int c = 0; c < kDim; ++c) acc[c] += w * int32_t{v[j * kDim + c]};
  }
}

namespace {

// Dividing by the row's reduced weight sum ln (1 <= ln < 2^16) any x < 2^32: floor(x / ln) and the remainder.
struct DivideExactly {
  uint32_t ln;
  explicit DivideExactly(uint32_t d) : ln(d) {}
  uint32_t operator()(uint32_t x, uint32_t* rem) const {
    const uint32_t q = x / ln;
    *rem = x - q * ln;
    return q;
  }
};

// The same quotients by one reciprocal per row: q = floor(x * inv) is floor(x / ln) or one less
// (inv is within 2^-53 of 1 / ln, so the product is within 2^-20 of x / ln < 2^32, and a quotient
// that is not a whole number is at least 1 / ln >= 2^-16 below the next one); the remainder test
// adds the one.
struct DivideByReciprocal {
  uint32_t ln;
  double inv;
  explicit DivideByReciprocal(uint32_t d) : ln(d), inv(1.0 / static_cast<double>(d)) {}
  uint32_t operator()(uint32_t x, uint32_t* rem) const {
    uint32_t q = static_cast<uint32_t>(static_cast<double>(x) * inv);
    uint32_t r = x - q * ln;
    if (r >= ln) ++q, r -= ln;
    *rem = r;
    return q;
  }
};

// Stage 5, its divisions by the row's weight sum done by `Divide`.
template <class Divide>
void out_requant_with(const int32_t* acc, uint32_t l, const RuntimeParams& rp, int8_t* out_row) {
  // Bring l below 2^16 so that the Q15 fraction of |acc| / l fits 32 bits.
  int z = 0;
  while ((l >> z) >= 65536u) ++z;
  const Divide divide(l >> z);
  const uint32_t m = static_cast<uint32_t>(rp.out_mult);
  for (int c = 0; c < kDim; ++c) {
    uint32_t mag = magnitude(acc[c]);
    if (z > 0) mag = (mag + (1u << (z - 1))) >> z;
    uint32_t rem, unused;
    const uint32_t whole = divide(mag, &rem);
    const uint32_t frac = divide(rem << 15, &unused);  // floored: one rounding happens, below
    // |acc| / l * out_mult in units of 2^-out_shift; the Q15 fraction's bits below 2^-15 cannot
    // move a rounding boundary of the integer sum, so this rounds the real quotient once.
    const uint32_t scaled = whole * m + ((frac * m) >> 15);
    const uint32_t o = (scaled + (1u << (rp.out_shift - 1))) >> rp.out_shift;
    const int32_t signed_o = acc[c] < 0 ? -static_cast<int32_t>(std::min<uint32_t>(o, 128))
                                        : static_cast<int32_t>(std::min<uint32_t>(o, 127));
    out_row[c] = static_cast<int8_t>(signed_o);
  }
}

}  // namespace

void out_requant(const int32_t* acc, uint32_t l, const RuntimeParams& rp, int8_t* out_row) {
  out_requant_with<DivideExactly>(acc, l, rp, out_row);
}

void out_requant_by_reciprocal(const int32_t* acc, uint32_t l, const RuntimeParams& rp, int8_t* out_row) {
  out_requant_with<DivideByReciprocal>(acc, l, rp, out_row);
}

Int8Tensor model_scalar(const AttentionInputs& in, const Params& params) {
  const RuntimeParams rp = from_params(params);
  const TilePlan plan{in.shape(), kTile};
  Int8Tensor out(in.shape());
  int32_t scores[kTile];
  uint32_t e[kTile];
  int32_t m[kTile];
  uint32_t l[kTile];
  std::vector<int32_t> acc(static_cast<size_t>(kTile) * kDim);
  for (int64_t h = 0; h < plan.shape.heads; ++h) {
    for (int64_t qt = 0; qt < plan.q_tiles(); ++qt) {
      const int rows = plan.valid(qt);
      const int8_t* q = in.q.head(h) + qt * kTile * kDim;
      std::fill(m, m + kTile, std::numeric_limits<int32_t>::min());
      std::fill(l, l + kTile, 0u);
      std::fill(acc.begin(), acc.end(), 0);
      for (int64_t kt = 0; kt < plan.k_tiles(); ++kt) {  // pass 1: maxima over every key
        const int n = plan.valid(kt);
        for (int i = 0; i < rows; ++i) {
          qk_scores(q + i * kDim, in.k.head(h) + kt * kTile * kDim, n, scores);
          m[i] = row_max(scores, n, m[i]);
        }
      }
      for (int64_t kt = 0; kt < plan.k_tiles(); ++kt) {  // pass 2: weights against the final maxima
        const int n = plan.valid(kt);
        for (int i = 0; i < rows; ++i) {
          qk_scores(q + i * kDim, in.k.head(h) + kt * kTile * kDim, n, scores);
          for (int j = 0; j < n; ++j) e[j] = exp_weight(scores[j] - m[i], rp);
          pv_accumulate(e, in.v.head(h) + kt * kTile * kDim, n, acc.data() + i * kDim, &l[i]);
        }
      }
      for (int i = 0; i < rows; ++i)
        out_requant(acc.data() + i * kDim, l[i], rp, out.head(h) + (qt * kTile + i) * kDim);
    }
  }
  return out;
}

namespace {

// What the fast paths take of the runtime words: the exp stage's, and stage 5 per row.
fast::ExpWords exp_words(const RuntimeParams& rp) {
  return {rp.exp_mult, rp.exp_shift, rp.score_floor, rp.exp_bits, exp2_table(), exp2_pair_table()};
}
fast::RowRequant row_requant(const RuntimeParams& rp) {
  return [rp](const int32_t* acc, uint32_t l, int8_t* out_row) { out_requant_by_reciprocal(acc, l, rp, out_row); };
}

}  // namespace

Int8Tensor model(const AttentionInputs& in, const Params& params) {
  const fast::Level level = fast::active_level();
  if (level == fast::Level::scalar || in.shape().dim != kDim) return model_scalar(in, params);
  const RuntimeParams rp = from_params(params);
  return fast::two_pass_exp_model(in, level, exp_words(rp), row_requant(rp));
}

ModelAndGolden model_with_golden(const AttentionInputs& in, const Params& params, double logit_scale) {
  const fast::Level level = fast::active_level();
  if (level == fast::Level::scalar || in.shape().dim != kDim) {
    GoldenOptions opt;
    opt.logit_scale = logit_scale;
    return {model(in, params), golden_attention_fp32(in, opt)};
  }
  const RuntimeParams rp = from_params(params);
  return fast::two_pass_exp_model_with_golden(in, level, exp_words(rp), row_requant(rp), logit_scale);
}

Revision revision() {
  Revision r;
  r.name = "precise-v1";
  r.summary = "accurate: exact int32 scores, two-pass softmax over all keys (any S), fixed-point exp2, "
              "quantized scales as multipliers (D=64)";
  r.params = {{"exp_bits", 0, 0, kMaxExpBits, "fraction bits of the exp weights; 0 derives the largest safe for S"}};
  r.head_dim = kDim;
  r.model = model;
  r.model_with_golden = model_with_golden;
  r.derive = [](const AttentionInputs& in, const Params& user) {
    Params p = to_params(derive_runtime(in.scales, in.shape().seq, in.shape().dim, user.at("exp_bits")));
    return p;
  };
  return r;
}

}  // namespace attncheck::precise_v1
