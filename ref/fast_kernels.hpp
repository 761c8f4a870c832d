// The inner kernels of the fast paths, one table per instruction set (each compiled in its own TU).
#pragma once
// Only <cstddef>/<cstdint>: a TU compiled with -mavx2 must not instantiate inline library code
// that the linker could then hand to baseline callers (an AVX instruction on a CPU without it).
#include <cstddef>
#include <cstdint>

namespace attncheck::fast {

constexpr int kD = 64;         // head dimension of every fast kernel
constexpr int kKeyBlock = 16;  // keys per block of packed K
constexpr int kPairs = kD / 2;

// static: internal linkage, so no ISA TU's copy can stand in for another's.
static inline int padded_keys(int n) { return (n + kKeyBlock - 1) / kKeyBlock * kKeyBlock; }

// The exp stage words of the two-pass model, plain so that the ISA TUs need no project header.
struct ExpWords {
  int32_t exp_mult, exp_shift, score_floor, exp_bits;
  const uint32_t* table;  // the model's exp2 table, 257 entries
};

struct Kernels {
  // K (n rows of 64 int8) as int16 pairs in blocks of 16 keys:
  // kp[((b * 32 + p) * 16 + jj) * 2 + t] = K[b*16 + jj][2p + t]; keys past n are zero.
  void (*pack_k)(const int8_t* k, int n, int16_t* kp);
  // scores[i * ld + j] = sum_d Q[i][d] * K[j][d], exact int32, i < rows, j < padded_keys(n).
  void (*qk)(const int8_t* q, int rows, const int16_t* kp, int n, int32_t* scores, size_t ld);
  int32_t (*row_max)(const int32_t* s, int n, int32_t running);
  // the two-pass model's exp stage over one row: e[j] = exp_weight(s[j] - m).
  void (*exp_row)(const int32_t* s, int n, int32_t m, const ExpWords& w, uint32_t* e);
  // *l += sum e[j]; acc[c] += sum_j e[j] * v32[j * 64 + c] (int32, wrapping like the reference).
  void (*pv_int)(const uint32_t* e, int n, const int32_t* v32, int32_t* acc, uint32_t* l);
  // Golden: p[j] = exp(s[j] * logit - m * logit) for the row maximum m; returns sum p.
  float (*softmax_f32)(const int32_t* s, int n, int32_t m, float logit, float* p);
  // acc[c] = sum_j p[j] * v[j * 64 + c] in FP32, for two rows at once (p1 may equal p0).
  void (*pv_f32)(const float* p0, const float* p1, int n, const float* v, float* acc0, float* acc1);
};

namespace portable { const Kernels& kernels(); }
namespace avx2 { const Kernels& kernels(); }
namespace avx512vnni { const Kernels& kernels(); }

}  // namespace attncheck::fast
