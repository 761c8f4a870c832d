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
  const uint64_t* pairs;  // pairs[i] = table[i] | table[i + 1] << 32, i < 256: one 64-bit gather reads both
};

struct Kernels {
  // K (n rows of 64 int8) packed in the level's own layout, read only by the same level's qk; it
  // takes at most padded_keys(n) * 64 int16. Portable and avx2: int16 pairs in blocks of 16 keys,
  // kp[((b * 32 + p) * 16 + jj) * 2 + t] = K[b*16 + jj][2p + t]; keys past n are zero. avx512vnni:
  // bytes K + 128 in groups of 4 dims, see fast_kernels.inc.
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

  // Row-blocked stages of a level with wide registers; nullptr where a level has none (the callers
  // then use the per-row functions above). A block is at most kPvRows rows.
  // V (n rows of 64 int8) as int16 key pairs: vp[((j / 2) * 64 + c) * 2 + j % 2] = V[j][c], keys past n zero.
  void (*pack_v16)(const int8_t* v, int n, int16_t* vp);
  // The exp stage as exp_row, written as int16 (the caller guarantees exp_bits <= kMaxExp16Bits, so
  // every weight <= 2^exp_bits fits), zero from n up to padded_keys(n); returns sum e[j] (exact).
  uint32_t (*exp_row16)(const int32_t* s, int n, int32_t m, const ExpWords& w, int16_t* e);
  // acc[i * 64 + c] = sum_j e[i * lde + j] * V[j][c] over npad = padded_keys(n) keys, exact int32, i < rows.
  void (*pv16)(const int16_t* e, size_t lde, int rows, int npad, const int16_t* vp, int32_t* acc);
  // acc[i * 64 + c] = sum_j p[i * ldp + j] * v[j * 64 + c] in FP32, j in order from 0 to n - 1 (the
  // order pv_f32 uses, so the same bits), i < rows.
  void (*pv_f32_rows)(const float* p, size_t ldp, int rows, int n, const float* v, float* acc);

  // The machine-peak probes of `attncheck bench` (nullptr where a level has none): `rounds` rounds
  // of kPeakChains independent exact int8 dot-product instructions (avx512vnni: vpdpbusd zmm, avx2:
  // vpmaddwd ymm) or FP32 FMAs (vfmadd231ps zmm / ymm); the result depends on every instruction,
  // so none can be left out. Each instruction does peak_int8_macs int8 multiply-adds and
  // peak_fp32_fmas FMAs.
  int64_t (*peak_int8)(int64_t rounds);
  int64_t (*peak_fp32)(int64_t rounds);
  int peak_int8_macs, peak_fp32_fmas;
  const char* peak_how;  // the two instructions, for the report
};

constexpr int kPeakChains = 16;  // independent accumulators: more than latency x ports of current cores

constexpr int kPvRows = 6;         // rows per block of pv16 / pv_f32_rows
constexpr int kMaxExp16Bits = 14;  // weights <= 2^14 fit int16 (signed, as the pair multiply-add reads them)

namespace portable { const Kernels& kernels(); }
namespace avx2 { const Kernels& kernels(); }
namespace avx512vnni { const Kernels& kernels(); }

}  // namespace attncheck::fast
