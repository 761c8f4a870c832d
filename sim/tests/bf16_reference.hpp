// Host references of the user's bf16 kernels, shared by the single-core and the whole-array tests: IEEE fp32 in the source's order, bf16 casts rounded where and as the binaries round.
#pragma once
#include <cstdint>
#include <cstring>

namespace attncheck::aie2::bf16ref {

inline float from_bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
// Host fp32 -> bf16 as the rules say, written from the mode descriptions (UG1583), not from the sim.
inline uint16_t floor_bf16(float f) {  // toward negative infinity
  const uint32_t u = bits(f);
  const float t = from_bf16(static_cast<uint16_t>(u >> 16));  // truncation: toward zero
  return static_cast<uint16_t>((u >> 16) + (t > f ? 1 : 0));  // truncated above f only when f < 0
}
inline uint16_t rne_bf16(float f) {
  const uint32_t u = bits(f), lo = u & 0xFFFF, hi = u >> 16;
  return static_cast<uint16_t>(hi + (lo > 0x8000 || (lo == 0x8000 && (hi & 1)) ? 1 : 0));
}

// softmax_bf16_xdna1.cc on 1024 elements: max, 2^(x*log2e) from the integer and fraction parts with
// the source's polynomial, each result cast to bf16 (`round`), the sum of the unrounded results plus
// 1e-7, then each cast result times 1/sum cast again. The binary casts toward -inf (crRnd 0);
// `round` = rne_bf16 is the mutation. Compile with -ffp-contract=off (sim/tests/CMakeLists.txt).
inline void softmax_1024(const uint16_t* in, uint16_t* out, uint16_t (*round)(float)) {
  float max_val = from_bf16(in[0]);
  for (int i = 1; i < 1024; ++i) max_val = max_val < from_bf16(in[i]) ? from_bf16(in[i]) : max_val;
  float sum = 0.0f;
  static thread_local uint16_t cast[1024];
  for (int i = 0; i < 1024; ++i) {
    const float x = from_bf16(in[i]) - max_val;
    int32_t ix = static_cast<int32_t>(x * 1.442695040888963f);
    const float fx = x * 1.442695040888963f - static_cast<float>(ix);
    ix = static_cast<int32_t>(static_cast<uint32_t>(ix + 127) << 23);
    float pow2_ix;
    std::memcpy(&pow2_ix, &ix, sizeof(float));
    const float pow2_fx = 1.0f + 0.6931471805599453f * fx + 0.2401598148889220f * fx * fx;
    const float r = pow2_ix * pow2_fx;
    cast[i] = round(r);
    sum += r;
  }
  sum = sum + 1e-7f;
  const float inv_sum = 1.0f / sum;
  for (int i = 0; i < 1024; ++i) out[i] = round(from_bf16(cast[i]) * inv_sum);
}

// gelu_simple_xdna1.cc's arithmetic, one IEEE fp32 operation at a time in the source's order (the
// ELF calls compiler-rt's __mulsf3/__addsf3/__divsf3, round-to-nearest: __fe_getround returns 0).
inline float gelu_f32(float x) {
  const float x2 = x * x;
  const float x3 = x * x2;
  const float inner = 0.79788456f * (x + 0.044715f * x3);
  const float i2 = inner * inner;
  const float tanh_out = inner * (27.0f + i2) / (27.0f + 9.0f * i2);
  return 0.5f * x * (1.0f + tanh_out);
}
inline void gelu_1024(const uint16_t* in, uint16_t* out, uint16_t (*round)(float)) {
  for (int i = 0; i < 1024; ++i) out[i] = round(gelu_f32(from_bf16(in[i])));
}

// layernorm_bf16_xdna1.cc's fast_rsqrt, as written (type punning through a union).
inline float fast_rsqrt(float x) {
  int32_t i;
  std::memcpy(&i, &x, 4);
  i = 0x5f3759df - (i >> 1);
  float y;
  std::memcpy(&y, &i, 4);
  return y * (1.5f - (x * 0.5f * y * y));
}
// layernorm_simple_bf16 on 1024 elements: mean, variance, fast_rsqrt(var + 1e-5), each output cast.
inline void layernorm_1024(const uint16_t* in, uint16_t* out, uint16_t (*round)(float)) {
  float sum = 0.0f;
  for (int i = 0; i < 1024; ++i) sum += from_bf16(in[i]);
  const float mean = sum / 1024.0f;
  float var_sum = 0.0f;
  for (int i = 0; i < 1024; ++i) {
    const float diff = from_bf16(in[i]) - mean;
    var_sum += diff * diff;
  }
  const float rsqrt_var = fast_rsqrt(var_sum / 1024.0f + 1e-5f);
  for (int i = 0; i < 1024; ++i) out[i] = round((from_bf16(in[i]) - mean) * rsqrt_var);
}

}  // namespace attncheck::aie2::bf16ref
