// The AIE2 vector unit's semantics: one small function per instruction family, each with the public fact it follows (docs/aie2-vector.md).
#include "sim/core/vector_unit.hpp"

#include <algorithm>
#include <cstdio>
#include <climits>
#include <array>
#include <cstring>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <tmmintrin.h>  // pshufb, used only where the CPU reports SSSE3 (shuffle_bytes)
#endif

#include "sim/core/core.hpp"

namespace attncheck::aie2 {
namespace {

constexpr uint8_t kFileX = 0, kFileBm = 1;
constexpr int kCrRnd = 6;
constexpr int kCrVaddSign = 0;
// The other control registers the new families read (getControlRegister, AIE2RegisterInfo.cpp;
// clang aiev2_defines.h): crSRSSign 8, crSat 9, crUPSSign 10, crUnpackSign 11.
constexpr int kCrSRSSign = 8, kCrSat = 9, kCrUPSSign = 10, kCrUnpackSign = 11;  // control register 0 (AIE2RegisterInfo.cpp getControlRegister: {0, AIE2::crVaddSign})
// Result cycles of the element-wise families (AIE2Schedule.td; docs/aie2-vector.md "Timing").
constexpr int kCmpLatency = 2, kMinMaxLatency = 2, kSelLatency = 2, kExtBcstLatency = 2, kEqzLatency = 2,
              kAddSubLatency = 2, kBitwiseLatency = 2;  // crRnd is control register 6 (sim/isa/decode.cpp's cr table; mlir-aie AIECoreToStandard sets "control register 6 (rounding mode)")

uint32_t unit_mask(int first_unit, int units) {
  return units >= 32 ? ~0u : ((1u << units) - 1) << first_unit;
}

// Undetermined 16-bit units (bit j: bytes 2j, 2j+1; a unit is undetermined when either byte is)
// move with their bytes through permutations (vshuffle, vshift, vpush). The undetermined units of
// bytes `first`..first+63 of a 128-byte pair whose units are `units`: an even start takes whole
// units; an odd one straddles two source units per result unit.
uint32_t units_of_window(uint64_t units, int first) {
  if (!units) return 0;
  const uint64_t lo = units >> (first / 2);
  return static_cast<uint32_t>(first & 1 ? lo | (lo >> 1) : lo);
}

// Every lane of a 512-bit register of e-byte elements (64 / e of them), sign- or zero-extended as
// lane() does, with the width chosen once rather than per lane.
template <typename T>
void widen_as(const uint8_t* v, int n, int64_t* out) {
  for (int i = 0; i < n; ++i) {
    T x;
    std::memcpy(&x, v + i * sizeof(T), sizeof(T));  // little-endian host
    out[i] = static_cast<int64_t>(x);
  }
}
void widen_lanes(const uint8_t* v, int e, bool sign, int64_t* out) {
  const int n = 64 / e;
  switch (e) {
    case 1: return sign ? widen_as<int8_t>(v, n, out) : widen_as<uint8_t>(v, n, out);
    case 2: return sign ? widen_as<int16_t>(v, n, out) : widen_as<uint16_t>(v, n, out);
    case 4: return sign ? widen_as<int32_t>(v, n, out) : widen_as<uint32_t>(v, n, out);
    default: return widen_as<int64_t>(v, n, out);  // 64-bit lanes: read signed, as lane() does
  }
}

// The low sizeof(T) bytes of each of n results, packed little-endian.
template <typename T, typename R>
void narrow_as(const R* r, int n, uint8_t* out) {
  for (int i = 0; i < n; ++i) {
    const T v = static_cast<T>(r[i]);
    std::memcpy(out + sizeof(T) * static_cast<size_t>(i), &v, sizeof(T));
  }
}
// The low out_bytes (1, 2 or 4) bytes of each of n results, lane i at bytes out_bytes * i.
template <typename R>
void narrow_lanes(const R* r, int n, int out_bytes, uint8_t* out) {
  switch (out_bytes) {
    case 1: return narrow_as<uint8_t>(r, n, out);
    case 2: return narrow_as<uint16_t>(r, n, out);
    default: return narrow_as<uint32_t>(r, n, out);
  }
}

// Lane i of e-byte elements, sign- or zero-extended.
int64_t lane(const uint8_t* v, int i, int e, bool sign) {
  const uint8_t* p = v + i * e;
  if (e == 1) return sign ? static_cast<int8_t>(p[0]) : p[0];
  if (e == 2) {
    const uint16_t h = static_cast<uint16_t>(p[0] | p[1] << 8);
    return sign ? static_cast<int16_t>(h) : h;
  }
  if (e == 8) {
    int64_t d;
    std::memcpy(&d, p, 8);
    return d;  // 64-bit accumulator lanes: always read signed
  }
  uint32_t w;
  std::memcpy(&w, p, 4);
  // Both arms int64_t: `sign ? int32_t : uint32_t` would convert the signed value to unsigned.
  return sign ? int64_t{static_cast<int32_t>(w)} : int64_t{w};
}


// vshuffle's modes (clang aiev2_enums.h numbers them; docs/aie2-vector.md "vshuffle"): each is the
// transpose of a row-major R x C matrix of E-bit elements read from x1 || x2 (x1 the low 512
// bits), the result the low (_lo) or high (_hi) 512 bits of the C x R transpose. R*C*E = 512
// modes read x1 only. 0 where no public fact fixes the mode (39-43, 46, 47: transposes smaller
// than 512 bits; 48 and above: unnamed).
struct ShuffleMode {
  int e, r, c, half;  // e = 0: no fact
};
ShuffleMode shuffle_mode(uint32_t m) {
  static const ShuffleMode pairs[] = {
      {8, 64, 2, 0},  {16, 32, 2, 0}, {32, 16, 2, 0}, {64, 8, 2, 0},  {128, 4, 2, 0}, {256, 2, 2, 0},
      {128, 2, 4, 0}, {64, 2, 8, 0},  {32, 2, 16, 0}, {16, 2, 32, 0}, {8, 2, 64, 0},  {512, 1, 2, 0},
      {16, 16, 4, 0}, {16, 4, 16, 0}};  // modes 0..27 in lo/hi pairs
  if (m < 28) {
    ShuffleMode s = pairs[m / 2];
    s.half = m & 1;
    return s;
  }
  switch (m) {
    case 28: return {16, 8, 4, 0};   // T16_8x4
    case 29: return {16, 4, 8, 0};   // T16_4x8
    case 30: return {32, 8, 4, 0};   // T32_8x4_lo
    case 31: return {32, 8, 4, 1};   // T32_8x4_hi
    case 32: return {32, 4, 8, 0};   // T32_4x8_lo
    case 33: return {32, 4, 8, 1};   // T32_4x8_hi
    case 34: return {32, 4, 4, 0};   // T32_4x4
    case 35: return {8, 8, 8, 0};    // T8_8x8
    case 36: return {8, 16, 4, 0};   // T8_16x4
    case 37: return {8, 4, 16, 0};   // T8_4x16
    case 44: return {16, 16, 2, 0};  // T16_16x2
    case 45: return {16, 2, 16, 0};  // T16_2x16
    default: return {0, 0, 0, 0};
  }
}

// The byte each of the 64 result bytes of vshuffle mode m takes from x1 || x2 (128 bytes): the
// rule of shuffle_mode (element t of the C x R transpose is element (t % R) * C + t / R) written
// out once per mode, with R and C exchanged when the test rule shuffle_transposed asks for it.
// Built at first use for every mode (thread-safe static initialisation), empty where no fact is.
struct ShufflePermutations {
  std::array<std::array<uint8_t, 64>, 48> straight{}, transposed{};
  std::array<bool, 48> known{};
  // The bytes each mode moves as one piece (its element, at most 8): the gather below copies
  // whole pieces, since every piece's bytes stay together and in order.
  std::array<uint8_t, 48> piece{};
  // readers[m][j]: the result's 16-bit units that read a byte of input unit j (bytes 2j, 2j+1 of
  // x1 || x2), so that a result unit is undetermined when any unit it reads is (the unit rule of
  // x_unknown) by one OR per undetermined input unit; [0] from `straight`, [1] from `transposed`.
  std::array<std::array<std::array<uint32_t, 64>, 48>, 2> readers{};
  uint32_t undetermined(uint32_t m, bool transposed_rule, uint64_t in_units) const {
    uint32_t out = 0;
    for (; in_units; in_units &= in_units - 1) out |= readers[transposed_rule][m][__builtin_ctzll(in_units)];
    return out;
  }
  // The same permutations as pshufb controls (SSSE3, shuffle_bytes below): for each 16-byte block
  // of the result, the input blocks it takes bytes from, and for each of those a control that
  // picks them (index within the block) and zeroes the rest (bit 7 set).
  struct BlockSources {
    int n = 0;
    std::array<uint8_t, 8> block{};
    alignas(16) std::array<std::array<uint8_t, 16>, 8> control{};
  };
  std::array<std::array<std::array<BlockSources, 4>, 48>, 2> controls{};
  ShufflePermutations() {
    fill_permutations();
    for (int t = 0; t < 2; ++t)
      for (uint32_t m = 0; m < 48; ++m) {
        const auto& perm = (t ? transposed : straight)[m];
        for (int k = 0; k < 64; ++k) readers[t][m][perm[k] / 2] |= 1u << (k / 2);
        for (int b = 0; b < 4; ++b) {
          BlockSources& bs = controls[t][m][b];
          for (int src = 0; src < 8; ++src) {
            std::array<uint8_t, 16> c;
            bool used = false;
            for (int j = 0; j < 16; ++j) {
              const int from = perm[16 * b + j];
              used |= from / 16 == src;
              c[j] = static_cast<uint8_t>(from / 16 == src ? from % 16 : 0x80);
            }
            if (used) bs.block[bs.n] = static_cast<uint8_t>(src), bs.control[bs.n++] = c;
          }
        }
      }
  }
  void fill_permutations() {
    for (uint32_t m = 0; m < 48; ++m) {
      ShuffleMode sm = shuffle_mode(m);
      piece[m] = static_cast<uint8_t>(std::min(sm.e / 8, 8));
      if (m == 38) {  // T16_1x2_flip: "swapping each neighbouring 16 bit values" (UG1583)
        piece[m] = 2;
        known[m] = true;
        for (int k = 0; k < 64; ++k) straight[m][k] = transposed[m][k] = static_cast<uint8_t>(k ^ 2);
        continue;
      }
      if (sm.e == 0) continue;
      known[m] = true;
      for (int swap = 0; swap < 2; ++swap) {
        const int r = swap ? sm.c : sm.r, c = swap ? sm.r : sm.c;
        const int eb = sm.e / 8, n = 512 / sm.e;  // element bytes, elements in the result
        auto& perm = swap ? transposed[m] : straight[m];
        for (int k = 0; k < n; ++k) {
          const int t = sm.half * n + k;
          const int src = (t % r) * c + t / r;
          for (int j = 0; j < eb; ++j) perm[k * eb + j] = static_cast<uint8_t>(src * eb + j);
        }
      }
    }
  }
};

// out = the bytes of `in` that perm names, moved `sizeof(T)` bytes at a time: perm[k * sizeof(T)]
// is where piece k starts (the next bytes of the piece follow it, as ShufflePermutations::piece says).
template <typename T>
void gather_pieces(const uint8_t* in, const uint8_t* perm, uint8_t* out) {
  for (size_t k = 0; k < 64 / sizeof(T); ++k) {
    T v;
    std::memcpy(&v, in + perm[k * sizeof(T)], sizeof(T));
    std::memcpy(out + k * sizeof(T), &v, sizeof(T));
  }
}

const ShufflePermutations& shuffle_permutations() {
  static const ShufflePermutations perms;
  return perms;
}

#if defined(__x86_64__) || defined(__i386__)
// Each 16-byte block of the result as the OR of one pshufb per input block it draws from.
__attribute__((target("ssse3"))) void shuffle_bytes_ssse3(const ShufflePermutations::BlockSources* blocks, const uint8_t* in, uint8_t* out) {
  for (int b = 0; b < 4; ++b) {
    const auto& bs = blocks[b];
    __m128i r = _mm_setzero_si128();
    for (int k = 0; k < bs.n; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16 * bs.block[k]));
      r = _mm_or_si128(r, _mm_shuffle_epi8(v, _mm_load_si128(reinterpret_cast<const __m128i*>(bs.control[k].data()))));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * b), r);
  }
}
bool has_ssse3() {
  static const bool yes = __builtin_cpu_supports("ssse3");
  return yes;
}
#endif

}  // namespace

void shuffle_bytes_reference(uint32_t mode, bool transposed, const uint8_t* in, uint8_t* out) {
  const auto& perms = shuffle_permutations();
  const auto& perm = transposed ? perms.transposed[mode] : perms.straight[mode];
  for (int k = 0; k < 64; ++k) out[k] = in[perm[k]];
}

void shuffle_bytes(uint32_t mode, bool transposed, const uint8_t* in, uint8_t* out) {
#if defined(__x86_64__) || defined(__i386__)
  if (has_ssse3()) return shuffle_bytes_ssse3(shuffle_permutations().controls[transposed][mode].data(), in, out);
#endif
  shuffle_bytes_portable(mode, transposed, in, out);
}

void shuffle_bytes_portable(uint32_t mode, bool transposed, const uint8_t* in, uint8_t* out) {
  const auto& perms = shuffle_permutations();
  const auto& perm = transposed ? perms.transposed[mode] : perms.straight[mode];
  switch (perms.piece[mode]) {
    case 2: gather_pieces<uint16_t>(in, perm.data(), out); break;
    case 4: gather_pieces<uint32_t>(in, perm.data(), out); break;
    case 8: gather_pieces<uint64_t>(in, perm.data(), out); break;
    default: gather_pieces<uint8_t>(in, perm.data(), out); break;
  }
}

// out lane i = mask bit i ? b lane i : a lane i, for e-byte lanes (64 / e of them).
namespace {
template <typename T>
void select_as(const uint8_t* a, const uint8_t* b, uint64_t mask, uint8_t* out) {
  constexpr int n = static_cast<int>(64 / sizeof(T));
  T x[n], y[n], m[n];
  std::memcpy(x, a, 64);
  std::memcpy(y, b, 64);
  for (int i = 0; i < n; ++i) m[i] = static_cast<T>(T{0} - static_cast<T>((mask >> i) & 1));  // all ones where the bit is set
  for (int i = 0; i < n; ++i) x[i] = static_cast<T>((x[i] & static_cast<T>(~m[i])) | (y[i] & m[i]));
  std::memcpy(out, x, 64);
}
}  // namespace
void select_lanes(const uint8_t* a, const uint8_t* b, uint64_t mask, int e, uint8_t* out) {
  switch (e) {
    case 1: return select_as<uint8_t>(a, b, mask, out);
    case 2: return select_as<uint16_t>(a, b, mask, out);
    case 4: return select_as<uint32_t>(a, b, mask, out);
    default: return select_as<uint64_t>(a, b, mask, out);
  }
}

// Bit i = (a lane i >= b lane i) when `ge`, else (a lane i < b lane i), for e-byte lanes read
// signed or unsigned as widen_lanes reads them; without a branch per lane (the comparisons of a
// median filter are data, and a mispredicted branch per lane was most of vmin_ge's cost).
namespace {
template <typename T>
uint64_t compare_as(const uint8_t* a, const uint8_t* b, bool ge) {
  constexpr int n = static_cast<int>(64 / sizeof(T));
  T x[n], y[n];
  std::memcpy(x, a, 64);
  std::memcpy(y, b, 64);
  uint64_t m = 0;
  if (ge)
    for (int i = 0; i < n; ++i) m |= static_cast<uint64_t>(x[i] >= y[i]) << i;
  else
    for (int i = 0; i < n; ++i) m |= static_cast<uint64_t>(x[i] < y[i]) << i;
  return m;
}
}  // namespace
uint64_t compare_lanes(const uint8_t* a, const uint8_t* b, int e, bool sign, bool ge) {
  switch (e) {
    case 1: return sign ? compare_as<int8_t>(a, b, ge) : compare_as<uint8_t>(a, b, ge);
    case 2: return sign ? compare_as<int16_t>(a, b, ge) : compare_as<uint16_t>(a, b, ge);
    case 4: return sign ? compare_as<int32_t>(a, b, ge) : compare_as<uint32_t>(a, b, ge);
    default: return compare_as<int64_t>(a, b, ge);  // 64-bit lanes: read signed, as lane() does
  }
}

// compare_lanes, and where `picked` is given, lane i of b where the mask bit is set and of a
// elsewhere (vmin_ge / vmax_lt), 16 bytes at a time with SSE2 (every x86-64 has it) for 8-, 16-
// and 32-bit lanes; compare_lanes and select_lanes above are the definition, and the test
// "vector: the SSE2 compare-and-pick equals compare_lanes and select_lanes" holds them equal.
uint64_t compare_pick(const uint8_t* a, const uint8_t* b, int e, bool sign, bool ge, uint8_t* picked) {
#if defined(__SSE2__)
  if (e == 1 || e == 2 || e == 4) {
    // Unsigned lanes compare as signed once their top bits are flipped.
    const __m128i bias = sign ? _mm_setzero_si128() : e == 1 ? _mm_set1_epi8(static_cast<char>(0x80)) : e == 2 ? _mm_set1_epi16(static_cast<short>(0x8000)) : _mm_set1_epi32(static_cast<int>(0x80000000u));
    __m128i pick[4];
    for (int c = 0; c < 4; ++c) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16 * c));
      const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * c));
      const __m128i xb = _mm_xor_si128(x, bias), yb = _mm_xor_si128(y, bias);
      const __m128i lt = e == 1 ? _mm_cmpgt_epi8(yb, xb) : e == 2 ? _mm_cmpgt_epi16(yb, xb) : _mm_cmpgt_epi32(yb, xb);  // x < y
      pick[c] = ge ? _mm_xor_si128(lt, _mm_set1_epi32(-1)) : lt;
      if (picked)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(picked + 16 * c), _mm_or_si128(_mm_and_si128(pick[c], y), _mm_andnot_si128(pick[c], x)));
    }
    uint64_t m = 0;
    if (e == 1) {
      for (int c = 0; c < 4; ++c) m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(pick[c]))) << (16 * c);
    } else if (e == 2) {
      // Each 16-bit lane is all ones or all zeros: packing to bytes keeps it.
      m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(pick[0], pick[1]))) |
          static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(pick[2], pick[3])))) << 16;
    } else {
      for (int c = 0; c < 4; ++c) m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(pick[c])))) << (4 * c);
    }
    return m;
  }
#endif
  const uint64_t m = compare_lanes(a, b, e, sign, ge);
  if (picked) select_lanes(a, b, m, e, picked);
  return m;
}

// The products of vmul / vmac's two integer modes, lane by lane as UG1583 writes them:
// mul_elem_32 16 x 16 bit, out[i] = X[i] Y[i] (mul_elem_C); mul_conv_32x8, out[x] = sum_u G(u)
// F(x + u) over u = 0..7, F = X (bytes 0..38 read), G = Y (bytes 0..7) (mul_conv_MxN). The fast
// forms below compute the same integers with SSE2, and the test "vector: the SSE2 products ..."
// holds them to these.
void elem16_products_reference(const uint8_t* xs, const uint8_t* ys, bool sign_x, bool sign_y, int64_t* p) {
  for (int i = 0; i < 32; ++i) p[i] = lane(xs, i, 2, sign_x) * lane(ys, i, 2, sign_y);
}
// mul_4x8_8x8 (clang aiev2_vmult.h: configuration (0,1,0), `a` as X): C = A B with A the 4 x 8
// bytes X[0..31] row-major, B the 8 x 8 bytes Y[0..63] row-major, lane 8m + n = C[m][n]. The
// layout is aie_api's (mmul_8_8.hpp, MIT): mmul<4,8,8> passes its row-major A grown to 64 (the
// low half) and its row-major B; mmul<8,8,8> gets rows 4..7 by moving X's high 256 bits down
// (T256_2x2_hi), mmul<4,16,8> splits A's rows into k 0..7 and 8..15 (interleave_unzip by 8) against
// B's first and second 64 bytes, mmul<2,8,8> uses the first 16 bytes and lanes; UG1079: the
// mmul operations "accept row-major format data". Every sum fits 32 bits (8 x 255 x 255).
static void matmul_4x8_8x8_products(const uint8_t* xs, const uint8_t* ys, bool sign_x, bool sign_y, int64_t* p) {
  for (int m = 0; m < 4; ++m)
    for (int n = 0; n < 8; ++n) {
      int64_t sum = 0;
      for (int k = 0; k < 8; ++k) sum += lane(xs, 8 * m + k, 1, sign_x) * lane(ys, 8 * k + n, 1, sign_y);
      p[8 * m + n] = sum;
    }
}
void conv_products_reference(const uint8_t* xs, const uint8_t* ys, bool sign_x, bool sign_y, int64_t* p) {
  for (int i = 0; i < 32; ++i) {
    int64_t sum = 0;
    for (int k = 0; k < 8; ++k) sum += lane(ys, k, 1, sign_y) * lane(xs, i + k, 1, sign_x);
    p[i] = sum;
  }
}

// The 32 products' bits, two's complement in 32 bits (products32); elem16_products and
// conv_products read them as integers, and mul_mac's 32-bit accumulate uses them as they are.
//
// 16 x 16 bit: the low and high halves of each 32-bit product from pmullw and pmulhuw, the high
// half corrected for a signed operand (a negative 16-bit x is x + 2^16 read unsigned, so x y loses
// 2^16 y: the high half loses y where x < 0, and likewise for y). Every product fits 32 bits:
// read as signed when either operand is signed (it lies in -2^31 .. 2^31 - 1), as unsigned when
// neither is.
//
// 8-tap convolution: the 39 bytes of F and 8 of G widened to 16 bits once, then for each output
// one pmaddwd of F(x..x+7) by G (four 32-bit sums of two products each), four outputs' sums
// added across at once. Every product and sum fits 32 bits (8 x 255 x 255 < 2^31), read signed.
namespace {
void products32(bool elem16, const uint8_t* xs, const uint8_t* ys, bool sign_x, bool sign_y, uint32_t* q) {
#if defined(__SSE2__)
  if (elem16) {
    for (int c = 0; c < 4; ++c) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xs + 16 * c));
      const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ys + 16 * c));
      __m128i hi = _mm_mulhi_epu16(x, y);
      if (sign_x) hi = _mm_sub_epi16(hi, _mm_and_si128(_mm_srai_epi16(x, 15), y));
      if (sign_y) hi = _mm_sub_epi16(hi, _mm_and_si128(_mm_srai_epi16(y, 15), x));
      const __m128i lo = _mm_mullo_epi16(x, y);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 8 * c), _mm_unpacklo_epi16(lo, hi));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 8 * c + 4), _mm_unpackhi_epi16(lo, hi));
    }
    return;
  }
  int16_t f[40], g[8];
  for (int j = 0; j < 39; ++j) f[j] = static_cast<int16_t>(sign_x ? int16_t{static_cast<int8_t>(xs[j])} : int16_t{xs[j]});
  f[39] = 0;  // read by no output's sum (x + u <= 38), loaded with the last one
  for (int k = 0; k < 8; ++k) g[k] = static_cast<int16_t>(sign_y ? int16_t{static_cast<int8_t>(ys[k])} : int16_t{ys[k]});
  const __m128i G = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g));
  for (int i = 0; i < 32; i += 4) {
    __m128i m[4];
    for (int j = 0; j < 4; ++j) m[j] = _mm_madd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(f + i + j)), G);
    // m[j] holds four partial sums of output i + j; add them across.
    const __m128i t0 = _mm_add_epi32(_mm_unpacklo_epi32(m[0], m[1]), _mm_unpackhi_epi32(m[0], m[1]));
    const __m128i t1 = _mm_add_epi32(_mm_unpacklo_epi32(m[2], m[3]), _mm_unpackhi_epi32(m[2], m[3]));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm_add_epi32(_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1)));
  }
#else
  int64_t p[32];
  if (elem16) elem16_products_reference(xs, ys, sign_x, sign_y, p);
  else conv_products_reference(xs, ys, sign_x, sign_y, p);
  for (int i = 0; i < 32; ++i) q[i] = static_cast<uint32_t>(p[i]);
#endif
}
}  // namespace

void elem16_products(const uint8_t* xs, const uint8_t* ys, bool sign_x, bool sign_y, int64_t* p) {
  uint32_t q[32];
  products32(true, xs, ys, sign_x, sign_y, q);
  if (sign_x || sign_y)
    for (int i = 0; i < 32; ++i) p[i] = static_cast<int32_t>(q[i]);
  else
    for (int i = 0; i < 32; ++i) p[i] = q[i];
}

void conv_products(const uint8_t* xs, const uint8_t* ys, bool sign_x, bool sign_y, int64_t* p) {
  uint32_t q[32];
  products32(false, xs, ys, sign_x, sign_y, q);
  for (int i = 0; i < 32; ++i) p[i] = static_cast<int32_t>(q[i]);
}

// The modes srs_lane can apply (its refusals), checked once per instruction rather than per lane.
bool srs_mode_known(uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, std::string* why) {
  if (shift > 59) return *why = "shift " + std::to_string(static_cast<int32_t>(shift)) + " outside 0..59 (vsrs takes 60..63 as -4..-1; a shift register above 63 has no meaning)", false;
  const bool known_rnd = rnd <= 3 || (rnd >= 8 && rnd <= 13);
  if (!known_rnd) return *why = "crRnd = " + std::to_string(rnd) + ": no rounding mode of that number is named (aiev2_defines.h)", false;
  if (sat == 2 || sat > 3) return *why = "crSat = " + std::to_string(sat) + ": only 0, 1 and 3 are described (UG1583)", false;
  if (sat == 3 && !signed_out) return *why = "symmetric saturation of an unsigned lane: not described", false;
  return true;
}

// srs_lane's arithmetic for a mode srs_mode_known accepted.
inline int64_t srs_known_lane(int64_t v, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int bits) {
  // q = floor(v / 2^shift), r = the dropped part (0 <= r < 2^shift), half = 2^(shift-1).
  const int64_t q = shift ? (v >> shift) : v;  // arithmetic shift: floor
  const uint64_t r = shift ? static_cast<uint64_t>(v) & ((uint64_t{1} << shift) - 1) : 0;
  const uint64_t half = shift ? uint64_t{1} << (shift - 1) : 0;
  const bool neg = v < 0;
  int64_t res = q;
  if (shift && r) {
    switch (rnd) {
      case 0: break;                           // rnd_floor: toward -inf
      case 1: res = q + 1; break;              // rnd_ceil: toward +inf
      case 2: res = neg ? q + 1 : q; break;    // rnd_sym_floor: toward 0
      case 3: res = neg ? q : q + 1; break;    // rnd_sym_ceil: away from 0
      default: {
        if (r != half) {
          res = r > half ? q + 1 : q;  // nearest
          break;
        }
        switch (rnd) {  // a tie
          case 8: res = q; break;                         // rnd_neg_inf
          case 9: res = q + 1; break;                     // rnd_pos_inf
          case 10: res = neg ? q + 1 : q; break;          // rnd_sym_zero: toward 0
          case 11: res = neg ? q : q + 1; break;          // rnd_sym_inf: away from 0
          case 12: res = q + (q & 1); break;              // rnd_conv_even
          default: res = q + ((q & 1) ^ 1); break;        // 13 rnd_conv_odd
        }
      }
    }
  }
  const int64_t lo = signed_out ? -(int64_t{1} << (bits - 1)) : 0;
  const int64_t hi = signed_out ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
  if (sat == 0) {
    // "No saturation; truncation of MSBs": the low `bits` bits
    const uint64_t m = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    uint64_t t = static_cast<uint64_t>(res) & m;
    if (signed_out && bits < 64 && (t >> (bits - 1)) & 1) t |= ~m;
    return static_cast<int64_t>(t);
  }
  return std::min(std::max(res, sat == 3 ? lo + 1 : lo), hi);
}

namespace {
// Every rounding mode as a bias: floor((v + bias) / 2^shift) for a bias that depends on the mode,
// the sign of v and, for the two to-nearest-even/odd modes, the parity of floor(v / 2^shift) (a
// tie rounds up by the bias exactly when the mode rounds it up). Every bias lies in 0 .. 2^shift - 1.
struct SrsBias {
  int64_t pos = 0, neg = 0;  // the bias of v >= 0 and of v < 0
  int parity = 0;            // +1 / -1: add / subtract floor(v / 2^shift)'s lowest bit
};
SrsBias srs_bias(uint32_t shift, uint32_t rnd) {
  SrsBias b;
  if (!shift) return b;
  const int64_t all = (int64_t{1} << shift) - 1, half = int64_t{1} << (shift - 1);
  switch (rnd) {
    case 0: break;                                        // floor
    case 1: b.pos = b.neg = all; break;                   // ceil
    case 2: b.neg = all; break;                           // toward 0
    case 3: b.pos = all; break;                           // away from 0
    case 8: b.pos = b.neg = half - 1; break;              // nearest, ties down
    case 9: b.pos = b.neg = half; break;                  // nearest, ties up
    case 10: b.pos = half - 1, b.neg = half; break;       // nearest, ties toward 0
    case 11: b.pos = half, b.neg = half - 1; break;       // nearest, ties away from 0
    case 12: b.pos = b.neg = half - 1, b.parity = 1; break;  // nearest, ties to even
    default: b.pos = b.neg = half, b.parity = -1; break;     // 13: nearest, ties to odd
  }
  return b;
}

}  // namespace

// srs_known_lane over lanes of at most 32 bits, without a branch per lane (srs_bias); saturation
// is a clamp or the low bits. A 32-bit lane plus a bias below 2^59 cannot overflow 64 bits. The
// test "vector: srs_lanes32 equals srs_lane ..." holds it to the lane-by-lane rules above on every
// accepted mode.
void srs_lanes32(const int64_t* in, int n, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int bits, int64_t* out) {
  const SrsBias b = srs_bias(shift, rnd);
  const int64_t bias_pos = b.pos, bias_neg = b.neg, parity = b.parity;
  const int64_t lo = signed_out ? -(int64_t{1} << (bits - 1)) + (sat == 3) : 0;
  const int64_t hi = signed_out ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const uint64_t sign_bit = signed_out ? uint64_t{1} << (bits - 1) : 0;
  // The loop once per (parity, saturation) pair, so that neither is tested per lane.
  auto lanes = [&](auto with_parity, auto saturate) {
    for (int i = 0; i < n; ++i) {
      const int64_t v = in[i];
      int64_t bias = v < 0 ? bias_neg : bias_pos;
      if constexpr (decltype(with_parity)::value) bias += parity * ((v >> shift) & 1);
      const int64_t r = (v + bias) >> shift;
      if constexpr (decltype(saturate)::value) {
        out[i] = std::min(std::max(r, lo), hi);
      } else {
        const uint64_t t = static_cast<uint64_t>(r) & mask;
        out[i] = static_cast<int64_t>((t ^ sign_bit) - sign_bit);  // the low bits, sign-extended when signed
      }
    }
  };
  using Yes = std::true_type;
  using No = std::false_type;
  if (parity) sat ? lanes(Yes{}, Yes{}) : lanes(Yes{}, No{});
  else sat ? lanes(No{}, Yes{}) : lanes(No{}, No{});
}

// vsrs of 32-bit accumulator lanes (acc: n of them, little-endian) to out_bytes-byte lanes, for a
// mode srs_lane accepts: the bytes srs_lanes32 and the narrowing give. For shifts 0..31 four lanes
// at a time in 32-bit host lanes (SSE2): with q = v >> shift (arithmetic) and r = v mod 2^shift,
// floor((v + bias) / 2^shift) = q + ((r + bias) >> shift), and r + bias < 2^(shift+1) <= 2^32, so
// no term leaves 32 bits. The test "vector: srs_acc32 ..." holds the bytes to srs_lane's.
void srs_acc32(const uint8_t* acc, int n, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int out_bytes, uint8_t* out) {
  const int bits = 8 * out_bytes;
#if defined(__SSE2__)
  if (shift <= 31 && n % 4 == 0 && n <= 64) {
    const SrsBias b = srs_bias(shift, rnd);
    const __m128i count = _mm_cvtsi32_si128(static_cast<int>(shift));
    const __m128i all = _mm_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>((uint64_t{1} << shift) - 1)));
    const __m128i bias_pos = _mm_set1_epi32(static_cast<int32_t>(b.pos)), bias_flip = _mm_set1_epi32(static_cast<int32_t>(b.pos ^ b.neg));
    const __m128i one = _mm_set1_epi32(1);
    // The clamp's bounds as 32-bit lanes: an unsigned 32-bit lane's 2^32 - 1 is above every result (q + 1 <= 2^31 - 1).
    const int64_t lo64 = signed_out ? -(int64_t{1} << (bits - 1)) + (sat == 3) : 0;
    const int64_t hi64 = std::min<int64_t>(signed_out ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1, INT32_MAX);
    const __m128i lo = _mm_set1_epi32(static_cast<int32_t>(lo64)), hi = _mm_set1_epi32(static_cast<int32_t>(hi64));
    int32_t res[64];
    for (int i = 0; i < n; i += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + 4 * i));
      const __m128i q = _mm_sra_epi32(v, count);
      // bias: pos where v >= 0, neg where v < 0 (pos ^ (pos ^ neg) under the sign mask)
      __m128i bias = _mm_xor_si128(bias_pos, _mm_and_si128(_mm_srai_epi32(v, 31), bias_flip));
      if (b.parity > 0) bias = _mm_add_epi32(bias, _mm_and_si128(q, one));
      else if (b.parity < 0) bias = _mm_sub_epi32(bias, _mm_and_si128(q, one));
      __m128i r = _mm_add_epi32(q, _mm_srl_epi32(_mm_add_epi32(_mm_and_si128(v, all), bias), count));
      if (sat) {
        const __m128i below = _mm_cmpgt_epi32(lo, r), above = _mm_cmpgt_epi32(r, hi);
        r = _mm_or_si128(_mm_and_si128(below, lo), _mm_andnot_si128(below, r));
        r = _mm_or_si128(_mm_and_si128(above, hi), _mm_andnot_si128(above, r));
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(res + i), r);
    }
    return narrow_lanes(res, n, out_bytes, out);  // without saturation, the low bits are the result (srs_known_lane)
  }
#endif
  int64_t in[64] = {}, res[64];  // zeroed: the compiler cannot see n <= 64
  for (int i = 0; i < n; ++i) {
    int32_t v;
    std::memcpy(&v, acc + 4 * i, 4);
    in[i] = v;
  }
  srs_lanes32(in, n, shift, rnd, sat, signed_out, bits, res);
  narrow_lanes(res, n, out_bytes, out);
}

// 32 lanes, four at a time: s = acc + p, or p - acc when negated, wrapping; a lane left 32 bits
// exactly when the wrapped sum's sign contradicts its operands' (an add of two same-signed terms
// whose sum has the other sign; a subtraction p - acc whose operands differ in sign and whose
// result's sign is not p's). -acc itself is never formed, so acc = -2^31 needs no case of its own.
bool accumulate32(const int32_t* acc, const int32_t* products, bool negate, int32_t* out) {
#if defined(__SSE2__)
  __m128i bad = _mm_setzero_si128();
  for (int i = 0; i < 32; i += 4) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + i));
    const __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(products + i));
    __m128i s;
    if (negate) {
      s = _mm_sub_epi32(p, a);
      bad = _mm_or_si128(bad, _mm_and_si128(_mm_xor_si128(p, a), _mm_xor_si128(p, s)));
    } else {
      s = _mm_add_epi32(a, p);
      bad = _mm_or_si128(bad, _mm_and_si128(_mm_xor_si128(a, s), _mm_xor_si128(p, s)));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), s);
  }
  return _mm_movemask_ps(_mm_castsi128_ps(bad)) == 0;
#else
  bool fits = true;
  for (int i = 0; i < 32; ++i) {
    const int64_t s = (negate ? -int64_t{acc[i]} : int64_t{acc[i]}) + products[i];
    fits &= s >= INT32_MIN && s <= INT32_MAX;
    out[i] = static_cast<int32_t>(s);
  }
  return fits;
#endif
}

bool srs_lane(int64_t v, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int bits, int64_t* out, std::string* why) {
  if (!srs_mode_known(shift, rnd, sat, signed_out, why)) return false;
  *out = srs_known_lane(v, shift, rnd, sat, signed_out, bits);
  return true;
}

bool lower_vector(const SlotInst& s, MicroOp* u, std::string* why) {
  const std::string name = s.enc->name;
  auto op = [&](size_t i) { return s.ops[i].value; };
  *u = MicroOp{kVecFirst, 0, 0, 0, 0, 0, false, 0, 0};
  if (name == "VMOV_mv_x") {
    // vmov dst, src over mBMX / mBMXs (sim/isa/decode.cpp): dst bm (v & 1) or x; src file 4 bm, 5 x.
    const int64_t d = op(0), sv = op(1);
    u->kind = kVMovX;
    if (d & 1) u->b = kFileBm, u->d = static_cast<uint8_t>(d >> 1);
    else u->b = kFileX, u->d = static_cast<uint8_t>(d >> 2);
    u->c = (sv >> 8) == 4 ? kFileBm : kFileX;
    u->a = static_cast<uint8_t>(sv & 0xFF);
    return true;
  }
  if (name == "VINSERT_8" || name == "VINSERT_16" || name == "VINSERT_32") {
    u->kind = kVInsert;  // syntax "vinsert.N $A, $C, r29, $B": ops A (dst), C (src), B (value)
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->width = name == "VINSERT_8" ? 1 : name == "VINSERT_16" ? 2 : 4;
    return true;
  }
  if (name == "VEXTRACT_S8" || name == "VEXTRACT_S16" || name == "VEXTRACT_S32") {
    u->kind = kVExtractS;  // syntax "vextract.sN $A, $C, $B": ops A (scalar dst), C (x), B (index reg)
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->width = name == "VEXTRACT_S8" ? 1 : name == "VEXTRACT_S16" ? 2 : 4;
    u->sign = true;
    return true;
  }
  if (name == "VCONV_BF16_FP32") {
    u->kind = kVConvBf16Fp32;  // vconv.bf16.fp32 w, bm: w = 2n + high, bm = 2n + high
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    return true;
  }
  if (name == "VBCST_8" || name == "VBCST_16" || name == "VBCST_32") {
    u->kind = kVBcst;  // "vbcst.N $A, $B": ops A (x), B (scalar)
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    u->width = name == "VBCST_8" ? 1 : name == "VBCST_16" ? 2 : 4;
    return true;
  }
  // 256-bit loads into a W register (syntax "vld? $C, [$A, $B]" / "[$A], $B": ops C, A, B).
  static const struct {
    const char* name;
    uint8_t mode;  // 0 [p, dj], 1 [p, #imm], 2 [p], m, 3 [p], #imm, 4 [sp, #imm], 5 2d, 6 3d
  } loads[] = {
      {"VLDB_dmw_ldb_ag_idx", 0}, {"VLDB_dmw_ldb_ag_idx_imm", 1}, {"VLDB_dmw_ldb_ag_pstm_nrm", 2},
      {"VLDB_dmw_ldb_ag_pstm_nrm_imm", 3}, {"VLDB_2D", 5}, {"VLDB_3D", 6},
      {"VLDA_dmw_lda_w_ag_idx", 0}, {"VLDA_dmw_lda_w_ag_idx_imm", 1}, {"VLDA_dmw_lda_w_ag_pstm_nrm", 2},
      {"VLDA_dmw_lda_w_ag_pstm_nrm_imm", 3}, {"VLDA_dmw_lda_w_ag_spill", 4}, {"VLDA_2D_dmw_lda_w", 5},
      {"VLDA_3D_dmw_lda_w", 6},
  };
  for (const auto& l : loads) {
    if (name != l.name) continue;
    u->kind = kVLoadW;
    u->width = l.mode;
    u->d = static_cast<uint8_t>(op(0));
    if (l.mode == 4) {
      u->imm = static_cast<int32_t>(op(1));
    } else {
      u->a = static_cast<uint8_t>(op(1));
      if (l.mode == 1 || l.mode == 3) u->imm = static_cast<int32_t>(op(2));
      else u->b = static_cast<uint8_t>(op(2));
    }
    return true;
  }
  // 256-bit stores from a W register (syntax "vst $C, [$A, $B]" / "[$A], $B" / "vst $B, [sp, $A]":
  // ops in print order, the register first); modes as the loads above.
  static const struct {
    const char* name;
    uint8_t mode;
  } stores[] = {
      {"VST_dmw_sts_w_ag_idx", 0}, {"VST_dmw_sts_w_ag_idx_imm", 1}, {"VST_dmw_sts_w_ag_pstm_nrm", 2},
      {"VST_dmw_sts_w_ag_pstm_nrm_imm", 3}, {"VST_dmw_sts_w_ag_spill", 4}, {"VST_2D_dmw_sts_w", 5}, {"VST_3D_dmw_sts_w", 6},
  };
  for (const auto& st : stores) {
    if (name != st.name) continue;
    u->kind = kVStoreW;
    u->width = st.mode;
    u->d = static_cast<uint8_t>(op(0));
    if (st.mode == 4) {
      u->imm = static_cast<int32_t>(op(1));
    } else {
      u->a = static_cast<uint8_t>(op(1));
      if (st.mode == 1 || st.mode == 3) u->imm = static_cast<int32_t>(op(2));
      else u->b = static_cast<uint8_t>(op(2));
    }
    return true;
  }
  // Element-wise families (docs/aie2-vector.md "Element-wise"). The lane width is the name's
  // suffix; a D variant takes its sign from crVaddSign, an S variant is signed.
  auto lane_bytes = [&](const std::string& suffix) -> int {
    const std::string n = suffix.substr(suffix[0] == 'D' || suffix[0] == 'S' ? 1 : 0);
    return n == "8" ? 1 : n == "16" ? 2 : n == "32" ? 4 : 0;
  };
  auto split = [&](const std::string& prefix, std::string* suffix) {
    if (name.rfind(prefix, 0) != 0) return false;
    *suffix = name.substr(prefix.size());
    return true;
  };
  std::string suf;
  if (split("VLT_", &suf) || split("VGE_", &suf)) {
    if (lane_bytes(suf) == 0) return *why = name + ": bf16 comparisons are not simulated", false;
    u->kind = kVCmp;  // "vlt.d8 $A, $B, $C": ops mask, s1, s2
    u->c = name[1] == 'G';
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->sign = suf[0] == 'S';
    u->imm = suf[0] == 'D';  // the sign comes from crVaddSign
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  if (split("VMIN_GE_", &suf) || split("VMAX_LT_", &suf)) {
    if (lane_bytes(suf) == 0) return *why = name + ": bf16 min/max are not simulated", false;
    u->kind = kVMinMax;  // "vmin_ge.d8 $A, $B, $C, $D": ops x dst, mask, s1, s2
    u->c = name[2] == 'A';
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->sign = suf[0] == 'S';
    u->imm = (suf[0] == 'D') | static_cast<int>(op(1)) << 1;  // bit 0: sign from crVaddSign; above: the mask pair
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(2)), u->b = static_cast<uint8_t>(op(3));
    return true;
  }
  if (split("VSEL_", &suf) && lane_bytes(suf)) {
    u->kind = kVSel;  // "vsel.8 $A, $C, $D, $B": ops dst, src1, src2, mask (an l pair for .8, an r for .16/.32)
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->c = static_cast<uint8_t>(op(3));
    return true;
  }
  if (name == "VEXTBCST_8_mExtractIdxImm" || name == "VEXTBCST_16_mExtractIdxImm" || name == "VEXTBCST_32_mExtractIdxImm" ||
      name == "VEXTBCST_8_mRm" || name == "VEXTBCST_16_mRm" || name == "VEXTBCST_32_mRm") {
    u->kind = kVExtBcst;  // "vextbcst.N $A, $C, $B": ops dst, src, index (#imm or r)
    u->width = static_cast<uint8_t>(name[9] == '8' ? 1 : name[9] == '1' ? 2 : 4);
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    u->sign = name.find("_mRm") != std::string::npos;  // index in a register
    if (u->sign) u->b = static_cast<uint8_t>(op(2));
    else u->imm = static_cast<int32_t>(op(2));
    return true;
  }
  if (split("VEQZ_", &suf) && lane_bytes(suf)) {
    u->kind = kVEqz;  // "veqz.N $A, $B": ops mask, src
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    return true;
  }
  if ((split("VADD_", &suf) || split("VSUB_", &suf)) && lane_bytes(suf) && suf[0] != 'D' && suf[0] != 'S') {
    u->kind = kVAddSub;  // "vadd.N $A, $B, $C": ops dst, s1, s2
    u->c = name[1] == 'S';
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  if (name == "VBAND" || name == "VBOR") {
    u->kind = kVBitwise;  // "vband $A, $B, $C": ops dst, s1, s2
    u->c = name == "VBOR";
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  if (name == "VEXTRACT_D8" || name == "VEXTRACT_D16" || name == "VEXTRACT_D32") {
    u->kind = kVExtractD;  // "vextract.dN $A, $C, $B": ops scalar dst, x, index reg; sign from crVaddSign
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->width = name == "VEXTRACT_D8" ? 1 : name == "VEXTRACT_D16" ? 2 : 4;
    return true;
  }
  if (name == "VLDB_128_ag_pstm_nrm" || name == "VLDB_128_ag_idx") {
    u->kind = kVLoad128;  // "vldb.128 $dst, [$ptr], $mod" / "[$ptr, $dj]": ops w, p, m or dj
    u->width = name == "VLDB_128_ag_idx" ? 0 : 2;
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  if (name == "VMOV_mv_w") {
    // "vmov $d, $s" over mAMWQd / mAMWQs: (file << 8) | index, file 1 am, 2 w (mW1 numbering), 3 q.
    const int64_t d = op(0), sv = op(1);
    if ((d >> 8) != 2 || (sv >> 8) != 2) return *why = "'" + format_slot(s) + "' (VMOV_mv_w): only moves between W registers are simulated (Q and AM moves are not)", false;
    auto w_index = [](int64_t v) { return static_cast<uint8_t>(2 * (2 * (v & 7) + ((v >> 3) & 1)) + ((v >> 4) & 1)); };
    u->kind = kVMovW;
    u->d = w_index(d & 0xFF), u->a = w_index(sv & 0xFF);
    return true;
  }
  if (name == "VUNPACK_D16_D8" || name == "VUNPACK_S16_S8") {
    u->kind = kVUnpack;  // "vunpack.d16.d8 $dst, $src": ops x, w
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    u->sign = name[8] == 'S';
    return true;
  }
  if (split("VLDB_UNPACK_", &suf)) {
    // "vldb.unpack.d16.d8 $dst, [$ptr], $mod" and the other addressing modes of the 256-bit loads
    static const struct {
      const char* suffix;
      uint8_t mode;
    } modes[] = {{"D16_D8_ag_idx", 0}, {"D16_D8_ag_idx_imm", 1}, {"D16_D8_ag_pstm_nrm", 2}, {"D16_D8_ag_pstm_nrm_imm", 3},
                 {"S16_S8_ag_idx", 0 | 8}, {"S16_S8_ag_idx_imm", 1 | 8}, {"S16_S8_ag_pstm_nrm", 2 | 8}, {"S16_S8_ag_pstm_nrm_imm", 3 | 8}};
    for (const auto& m : modes) {
      if (suf != m.suffix) continue;
      u->kind = kVLoadUnpack;
      u->width = m.mode & 7;
      u->sign = m.mode & 8;
      u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
      if (u->width == 1 || u->width == 3) u->imm = static_cast<int32_t>(op(2));
      else u->b = static_cast<uint8_t>(op(2));
      return true;
    }
  }
  if (name == "VPUSH_LO_8" || name == "VPUSH_LO_16" || name == "VPUSH_LO_32") {
    u->kind = kVPushLo;  // "vpush.lo.N $d, $s, $v": ops x dst, scalar, x src
    u->width = name == "VPUSH_LO_8" ? 1 : name == "VPUSH_LO_16" ? 2 : 4;
    u->d = static_cast<uint8_t>(op(0)), u->b = static_cast<uint8_t>(op(1)), u->a = static_cast<uint8_t>(op(2));
    return true;
  }
  if (name == "VSHUFFLE") {
    u->kind = kVShuffle;  // "vshuffle $d, $s1, $s2, $mode": ops mShfl dst ((file << 8) | index: 5 x, 6 bm), x, x, r
    const int64_t d = op(0);
    const int file = static_cast<int>(d >> 8), i = static_cast<int>(d & 0xFF);
    u->c = file == 5 ? kFileX : kFileBm;
    u->d = static_cast<uint8_t>(file == 5 ? i : 2 * (i & 7) + (i >> 3));  // mBMSm: 0-7 bml, 8-15 bmh
    u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->imm = static_cast<int32_t>(op(3));
    return true;
  }
  if (name == "VSHIFT") {
    u->kind = kVShift;  // "vshift $d, $s1, $s2, $shift": ops x, x, x, r
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->imm = static_cast<int32_t>(op(3));
    return true;
  }
  if (name == "VMUL_vmac_cm_core_dense" || name == "VMAC_vmac_cm_core_dense" || name == "VMSC_vmac_cm_core_dense") {
    u->kind = kVMulMac;  // "vmul $d, $s1, $s2, $conf" / "vmac $d, $acc, $s1, $s2, $conf"
    u->c = name[2] == 'U' ? 0 : name[2] == 'A' ? 1 : 2;
    const size_t k = u->c == 0 ? 1 : 2;
    u->d = static_cast<uint8_t>(op(0));
    if (u->c) u->width = static_cast<uint8_t>(op(1));
    u->a = static_cast<uint8_t>(op(k)), u->b = static_cast<uint8_t>(op(k + 1));
    u->imm = static_cast<int32_t>(op(k + 2));
    return true;
  }
  // SRS (accumulator -> vector) to a register or stored. c: low nibble the output lane bytes, high
  // nibble the accumulator lane bytes; width: bits 0-2 the addressing mode (7 = to a register),
  // bit 3 a D variant (sign from crSRSSign); sign: an S variant.
  {
    static const struct {
      const char* prefix;
      uint8_t out, in;
      bool x;
    } srs[] = {{"D8_S32", 1, 4, false}, {"S8_S32", 1, 4, false}, {"D16_S64", 2, 8, false}, {"S16_S64", 2, 8, false},
               {"D16_S32", 2, 4, true}, {"S16_S32", 2, 4, true},  {"D32_S64", 4, 8, true},  {"S32_S64", 4, 8, true}};
    for (const auto& f : srs) {
      const std::string reg_name = std::string("VSRS_") + f.prefix + (f.x ? "_mv_x_srs" : "_mv_w_srs");
      if (name == reg_name) {
        u->kind = kVSrs;  // "vsrs.d8.s32 $dst, $src, $shft": ops w or x, cm, s
        u->c = static_cast<uint8_t>(f.out | f.in << 4);
        u->width = static_cast<uint8_t>(7 | (f.prefix[0] == 'D' ? 8 : 0));
        u->sign = f.prefix[0] == 'S';
        u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
        if (f.x) u->width |= 16;  // the destination is an x register
        return true;
      }
      if (f.x) continue;  // vst.srs stores 256 bits
      static const struct {
        const char* suffix;
        uint8_t mode;
      } st[] = {{"_ag_idx", 0}, {"_ag_idx_imm", 1}, {"_ag_pstm_nrm", 2}, {"_ag_pstm_nrm_imm", 3}};
      for (const auto& m : st) {
        if (name != std::string("VST_SRS_") + f.prefix + m.suffix) continue;
        u->kind = kVSrs;  // "vst.srs.d8.s32 $src, $shft, [$ptr], $mod": ops cm, s, p, m or imm
        u->c = static_cast<uint8_t>(f.out | f.in << 4);
        u->width = static_cast<uint8_t>(m.mode | (f.prefix[0] == 'D' ? 8 : 0));
        u->sign = f.prefix[0] == 'S';
        u->a = static_cast<uint8_t>(op(0)), u->b = static_cast<uint8_t>(op(1)), u->d = static_cast<uint8_t>(op(2));
        if (m.mode == 1 || m.mode == 3) u->imm = static_cast<int32_t>(op(3));
        else u->imm = static_cast<int32_t>(op(3)) << 8;  // the modifier register, above the immediate's byte
        return true;
      }
    }
  }
  {
    // UPS (vector -> accumulator), "vups.s32.d8 $dst, $src, $shft": ops cm, w (mW1) or x, s.
    // c: low nibble the input lane bytes, high nibble the accumulator lane bytes.
    static const struct {
      const char* name;
      uint8_t in, out;
      bool x;
    } ups[] = {{"VUPS_S32_D8_mv_ups_w2c", 1, 4, false},   {"VUPS_S32_S8_mv_ups_w2c", 1, 4, false},
               {"VUPS_S32_D16_mv_ups_x2c", 2, 4, true},   {"VUPS_S32_S16_mv_ups_x2c", 2, 4, true},
               {"VUPS_S64_D16_mv_ups_w2c", 2, 8, false},  {"VUPS_S64_S16_mv_ups_w2c", 2, 8, false},
               {"VUPS_S64_D32_mv_ups_x2c", 4, 8, true},   {"VUPS_S64_S32_mv_ups_x2c", 4, 8, true}};
    for (const auto& f : ups) {
      if (name != f.name) continue;
      u->kind = kVUps;
      u->c = static_cast<uint8_t>(f.in | f.out << 4);
      u->sign = name[9] == 'S';  // VUPS_S32_[DS]..
      u->d = static_cast<uint8_t>(op(0)), u->b = static_cast<uint8_t>(op(2));
      const int64_t src = op(1);
      // mW1: w number 2 * (v & 7) + ((v >> 3) & 1), high half when v & 16 (sim/isa/decode.cpp vector_name)
      u->a = static_cast<uint8_t>(f.x ? src : 2 * (2 * (src & 7) + ((src >> 3) & 1)) + ((src >> 4) & 1));
      u->width = f.x;
      return true;
    }
  }
  if (name == "VMOV_LO" || name == "VMOV_HI" || name == "VMOV_mv_scd" || name == "VMOV_mv_mcd") {
    // The cascade (AM020: 512 bits between neighbouring cores, a two-deep FIFO each way): how
    // vmov.lo/.hi cm, SCD place 512 bits in a 1024-bit register (llvm-aie's scd_expand_lo/hi), what
    // crSCDEn/crMCDEn = 0 does and their reset values are not public, and the published latencies
    // contradict the plain reading of .lo/.hi in RyzenAI's GEMM (docs/aie2-vector.md).
    *why = std::string("'") + format_slot(s) + "' (" + name + ") is a cascade move, not simulated: how vmov.lo/.hi cm, SCD place the 512 "
           "cascade bits in a 1024-bit accumulator and what crSCDEn/crMCDEn do are not public, and llvm-aie's latencies contradict "
           "the low/high-half reading (docs/aie2-vector.md, \"Refused, never guessed\")";
    return false;
  }
  *why = std::string("'") + format_slot(s) + "' (" + name + ") is decoded but not simulated: " +
         (is_vector_instruction(s) ? "the vector unit runs vmov (x/bm), vinsert, vextract.s, vconv.bf16.fp32, vbcst, vextbcst, 256-bit vlda/vldb/vst, "
                                     "vlt/vge, vmin_ge/vmax_lt, vsel, veqz, vadd/vsub, vband/vbor, vunpack, vpush.lo, vshuffle, vshift, "
                                     "integer vmul/vmac/vmsc, vsrs/vst.srs, vups and vextract.d only (docs/aie2-vector.md)"
                                   : "stream and tile-memory instructions are outside the core model");
  return false;
}

// crRnd 0 (floor): "Truncate LSB, always round down (towards negative infinity)", the documented
// default (AMD UG1583 rnd_floor = 0; UG1603 "floor ... Default"); measured on npu1 for the float
// narrowing: every result <= the exact value (Xilinx/mlir-aie PR #3587). crRnd 12 (conv_even):
// "Round halfway towards nearest even" (UG1583 rnd_conv_even = 12); matched numpy's bf16 (RNE) on
// every element on npu1 (PR #3587).
bool fp32_to_bf16(uint32_t f, uint32_t mode, uint16_t* out) {
  const uint32_t exp = (f >> 23) & 0xFF, man = f & 0x7FFFFF;
  if (exp == 0xFF) {
    if (man) return false;  // NaN: no fact fixes the payload
    *out = static_cast<uint16_t>(f >> 16);  // infinity: the low half is zero, nothing to round
    return true;
  }
  if (exp == 0 && man) return false;  // subnormal: flush or keep, no fact says
  uint32_t hi = f >> 16;
  const uint32_t lo = f & 0xFFFF;
  const bool neg = f >> 31;
  if (mode == 0) {
    if (neg && lo) ++hi;  // toward -inf: a negative value with dropped bits grows in magnitude
  } else if (mode == 12) {
    if (lo > 0x8000 || (lo == 0x8000 && (hi & 1))) ++hi;
  } else {
    return false;
  }
  if (((hi >> 7) & 0xFF) == 0xFF) return false;  // rounded past the largest finite: overflow rule not fixed
  *out = static_cast<uint16_t>(hi);
  return true;
}

VectorUnit::Write& VectorUnit::later(Core& core, int latency) {
  Slot& s = ring_[(core.cycle_ + static_cast<uint64_t>(latency) - 1) & (kRing - 1)];
  if (s.n >= static_cast<int>(s.w.size())) core.fail("more vector register writes land in one cycle than the simulator holds");
  ++in_flight_;
  Write& w = s.w[s.n++];
  w.vec_bypass = false;
  return w;
}

VectorUnit::Late& VectorUnit::late(Core& core, int use_cycle) {
  LateSlot& s = late_[(core.cycle_ + static_cast<uint64_t>(use_cycle) - 1) & (kRing - 1)];
  if (s.n >= static_cast<int>(s.l.size())) core.fail("more late vector operand reads fall in one cycle than the simulator holds");
  ++late_in_flight_;
  return s.l[s.n++];
}

uint32_t VectorUnit::access_address(Core& core, uint8_t p, uint8_t m, int32_t imm, int mode, const char* what) {
  constexpr uint32_t kMask20 = 0xFFFFF;
  const uint32_t base = core.regs_[p];
  uint32_t addr = base & kMask20;
  switch (mode) {
    case 0: addr = (base + core.regs_[m]) & kMask20; break;
    case 1: addr = (base + static_cast<uint32_t>(imm)) & kMask20; break;
    case 2: core.write_later_from_vector(p, (base + core.regs_[m]) & kMask20, 1); break;
    default: core.write_later_from_vector(p, (base + static_cast<uint32_t>(imm)) & kMask20, 1); break;
  }
  if (addr & 31) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s at 0x%X: not 32-byte aligned (the load/store units take aligned addresses)", what, addr);
    core.fail(buf);
  }
  return addr;
}

// vunpack: 32 bytes to 32 16-bit lanes, byte i to lane i, zero-extended under crUnpackSign 0,
// sign-extended under 1 or for the S variant (clang's pack/unpack header: unpack(v32uint8) passes
// __SIGN_UNSIGNED, unpack(v32int8) __SIGN_SIGNED; the _D/_S convention, docs/aie2-vector.md).
void VectorUnit::unpack_into(Core& core, const Late& l, int latency) {
  bool sign = l.sign;
  if (!sign) {
    const uint32_t cr = core.regs_[reg::CR0 + kCrUnpackSign];
    if (cr > 1) core.fail("vunpack with crUnpackSign = " + std::to_string(cr) + ": only 0 and 1 are fixed");
    sign = cr == 1;
  }
  Write& w = later(core, latency);
  w.file = kFileX, w.idx = l.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
  if (l.unknown)
    for (int i = 0; i < 32; ++i)
      if ((l.unknown >> (i / 2)) & 1) w.unknown |= 1u << i;  // byte i of the source to 16-bit lane i
  uint16_t v[32];
  if (sign)
    for (int i = 0; i < 32; ++i) v[i] = static_cast<uint16_t>(static_cast<int16_t>(static_cast<int8_t>(l.bytes[i])));
  else
    for (int i = 0; i < 32; ++i) v[i] = l.bytes[i];
  std::memcpy(w.data, v, 64);  // little-endian host: lane i at bytes 2i, 2i+1
}

void VectorUnit::run_late(Core& core, LateSlot& s, uint64_t cycle) {
  const int n = s.n;
  for (int k = 0; k < n; ++k) {
    Late& l = s.l[k];
    if (l.kind == kVUnpack) {
      if (!l.width) {  // vunpack: the w source, read now (II_VUNPACK reads it at cycle 7, no bypass)
        std::memcpy(l.bytes, x(l.a >> 1) + 32 * (l.a & 1), 32);
        l.unknown = (xu_[l.a >> 1] >> (16 * (l.a & 1))) & 0xFFFF;
      }
      unpack_into(core, l, 1);  // lands at the end of this cycle (cycle 7)
      continue;
    }
    // vmac / vmsc: the accumulator input read at cycle 3 (II_VMAC [5, 3, 1, 1, 1]); a vmul / vmac
    // result landing at the end of this cycle reaches it through VEC_Bypass (both operands name it).
    uint8_t acc[128];
    std::memcpy(acc, acc_[l.a].data(), 128);
    const Slot& landing = ring_[cycle & (kRing - 1)];
    for (int j = 0; j < landing.n; ++j) {
      const Write& w = landing.w[j];
      if (w.file != kFileBm || !w.vec_bypass || (w.idx >> 1) != l.a) continue;
      if (w.bytes == 64) std::memcpy(acc + 64 * (w.idx & 1), w.data, 64);  // a whole half (offset 0), copied inline
      else std::memcpy(acc + 64 * (w.idx & 1) + w.offset, w.data, w.bytes);
    }
    refuse_unknown(core, bmu_[2 * l.a] | bmu_[2 * l.a + 1], "vmac");
    int32_t in[32], out[32];
    std::memcpy(in, acc, 128);  // 32 signed 32-bit lanes, little-endian host
    const int64_t neg = l.flags & 2 ? -1 : 0;  // negate as (a ^ -1) + 1
    int64_t sum[32];
    uint64_t wide = 0;  // one test for all lanes; the first lane that does not fit is named below
    const bool narrow = l.flags & 8;
    if (!narrow || !accumulate32(in, l.lanes32, neg != 0, out)) {  // else every lane fit: out holds the sums
      for (int i = 0; i < 32; ++i) {
        sum[i] = ((in[i] ^ neg) - neg) + (narrow ? int64_t{l.lanes32[i]} : l.lanes[i]);
        wide |= (static_cast<uint64_t>(sum[i]) + 0x80000000u) >> 32;  // nonzero outside -2^31 .. 2^31 - 1
      }
      for (int i = 0; i < 32; ++i) out[i] = static_cast<int32_t>(sum[i]);
    }
    if (wide)
      for (int i = 0; i < 32; ++i)
        if (sum[i] != out[i]) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "vmac lane %d: %lld does not fit 32 bits (whether a lane wraps or saturates is not public)", i,
                        static_cast<long long>(sum[i]));
          core.fail(buf);
        }
    for (int h = 0; h < 2; ++h) {
      Write& w = later(core, 3);  // issue + 4: the result at cycle 5
      w.file = kFileBm, w.idx = static_cast<uint8_t>(2 * l.d + h), w.offset = 0, w.bytes = 64, w.unknown = 0, w.vec_bypass = true;
      std::memcpy(w.data, out + 16 * h, 64);
    }
  }
  late_in_flight_ -= n;
  s.n = 0;
}

// vmul / vmac / vmsc with an integer configuration word (docs/aie2-vector.md "vmul / vmac"): the
// word's fields (llvm-aie AIE2InstrPatterns.td class VecConf; mlir-aie aiev2_vmac_compute_control)
// select the product: (amode, bmode, cmode) = (0, 3, 1) mul_elem_32 16 x 16 bit, (0, 1, 4)
// mul_conv_32x8 8 x 8 bit (the intrinsics of clang's aiev2_vmult.h that build each triple; UG1583
// for the conv and element-wise formulas). mul_elem_32_2's placement of its two terms is only
// derived (aie_api), and no shared binary uses it: refused with the others. (0, 1, 0) is
// mul_4x8_8x8, the int8 matrix multiply (matmul_4x8_8x8_products).
void VectorUnit::mul_mac(const MicroOp& u, Core& core) {
  const uint32_t conf = core.regs_[static_cast<uint8_t>(u.imm)];
  const bool zero = conf & 1, sign_y = (conf >> 8) & 1, sign_x = (conf >> 9) & 1;
  const uint32_t amode = (conf >> 1) & 3, bmode = (conf >> 3) & 3, cmode = (conf >> 5) & 7;
  const bool acc_shift = (conf >> 10) & 1, mul_neg = (conf >> 11) & 1, acc0_neg = (conf >> 12) & 1, acc1_neg = (conf >> 13) & 1;
  char buf[400];
  const char* name = u.c == 0 ? "vmul" : u.c == 1 ? "vmac" : "vmsc";
  const bool elem16 = amode == 0 && bmode == 3 && cmode == 1, conv = amode == 0 && bmode == 1 && cmode == 4;
  const bool matmul = amode == 0 && bmode == 1 && cmode == 0;
  if (!(elem16 || conv || matmul) || acc_shift || acc1_neg || (conf >> 14)) {
    std::snprintf(buf, sizeof buf,
                  "%s with configuration 0x%X (amode %u, bmode %u, cmode %u%s): only the integer mul_elem_32 (0,3,1), mul_conv_32x8 (0,1,4) "
                  "and mul_4x8_8x8 (0,1,0) without the shift, second-accumulator or complex bits are simulated",
                  name, conf, amode, bmode, cmode, acc_shift ? ", accShift" : "");
    core.fail(buf);
  }
  // X and Y are read at issue, without a bypass (II_VMAC bypasses [VEC, VEC, No, No]).
  const uint8_t* xs = x(u.a);
  const uint8_t* ys = x(u.b);
  // The bytes each mode reads: X 0..38 and Y 0..7 for the convolution, X 0..31 and all of Y for
  // the matrix multiply, everything otherwise.
  refuse_unknown(core,
                 conv     ? (xu_[u.a] & unit_mask(0, 20)) | (xu_[u.b] & unit_mask(0, 4))
                 : matmul ? (xu_[u.a] & unit_mask(0, 16)) | xu_[u.b]
                          : xu_[u.a] | xu_[u.b],
                 name);
  // vmac / vmsc with an accumulator input add it at cycle 3 (run_late): their products go straight
  // into the late read that carries them there.
  const bool accumulates = u.c != 0 && !zero;
  Late* l = accumulates ? &late(core, 3) : nullptr;
  if (l) l->kind = kVMulMac, l->d = u.d, l->a = u.width, l->flags = static_cast<uint8_t>(acc0_neg ? 2 : 0);
  const bool negate_products = (u.c == 2) != mul_neg;  // vmsc subtracts them; dynMulNeg inverts that (VecConf)
  if (accumulates && (conv || matmul || sign_x || sign_y)) {
    // Every product here and its negation fit 32 bits (|p| < 2^31: a signed 16-bit operand's
    // product magnitude is at most 2^15 (2^16 - 1) or 2^30; the convolution's and the matrix
    // multiply's 8 x 255 x 255), so the accumulate runs in 32-bit lanes (run_late, accumulate32).
    uint32_t q[32];
    if (matmul) {
      int64_t p[32];
      matmul_4x8_8x8_products(xs, ys, sign_x, sign_y, p);
      for (int i = 0; i < 32; ++i) q[i] = static_cast<uint32_t>(p[i]);
    } else {
      products32(elem16, xs, ys, sign_x, sign_y, q);
    }
    const uint32_t flip = negate_products ? ~0u : 0u;  // negate as (q ^ -1) + 1, modulo 2^32
    for (int i = 0; i < 32; ++i) l->lanes32[i] = static_cast<int32_t>((q[i] ^ flip) - flip);
    l->flags |= 8;
    return;
  }
  int64_t own[32];
  int64_t* const p = accumulates ? l->lanes : own;
  if (matmul) matmul_4x8_8x8_products(xs, ys, sign_x, sign_y, p);
  else if (elem16) elem16_products(xs, ys, sign_x, sign_y, p);
  else conv_products(xs, ys, sign_x, sign_y, p);
  if (negate_products)
    for (int i = 0; i < 32; ++i) p[i] = -p[i];
  if (!accumulates) {
    // No accumulator input (vmul, or dynZeroAccum "Replace default first accumulator with zeros").
    int32_t out[32];
    for (int i = 0; i < 32; ++i) {
      if (p[i] < INT32_MIN || p[i] > INT32_MAX) core.fail(std::string(name) + ": a lane does not fit 32 bits (wrap or saturate is not public)");
      out[i] = static_cast<int32_t>(p[i]);
    }
    for (int h = 0; h < 2; ++h) {
      Write& w = later(core, 5);  // II_VMUL / II_VMAC: the accumulator at cycle 5, VEC_Bypass
      w.file = kFileBm, w.idx = static_cast<uint8_t>(2 * u.d + h), w.offset = 0, w.bytes = 64, w.unknown = 0, w.vec_bypass = true;
      std::memcpy(w.data, out + 16 * h, 64);
    }
    return;
  }
}

// vsrs / vst.srs (docs/aie2-vector.md "SRS"): every signed accumulator lane through srs_lane,
// crSat, crRnd and crSRSSign read at issue (II_VSRS / II_VST_SRS [..., crSat 1, crRnd 1,
// crSRSSign 1]); the register result at cycle 4; the stored form writes the bytes vsrs would
// produce (the "VST.SRS combine", AIEBaseInstructionSelector.cpp) with the 256-bit store's addressing.
void VectorUnit::srs(const MicroOp& u, Core& core) {
  const int out_b = u.c & 0xF, in_b = u.c >> 4, lanes = 128 / in_b, mode = u.width & 7;
  bool sign = u.sign;
  if (!sign) {
    const uint32_t cr = core.regs_[reg::CR0 + kCrSRSSign];
    if (cr > 1) core.fail("vsrs with crSRSSign = " + std::to_string(cr) + ": only 0 and 1 are fixed");
    sign = cr == 1;
  }
  const int forced = core.prog_->rules().vector.force_srs_crRnd;
  const uint32_t rnd = forced >= 0 ? static_cast<uint32_t>(forced) : core.regs_[reg::CR0 + kCrRnd];
  const uint32_t sat = core.prog_->rules().vector.srs_ignores_crSat ? 0 : core.regs_[reg::CR0 + kCrSat], shift = core.regs_[u.b];
  refuse_unknown(core, bmu_[2 * u.a] | bmu_[2 * u.a + 1], "vsrs");
  std::string why;
  // The shift register's 60..63 are the shifts -4..-1 (docs/aie2-vector.md "SRS"): Chess loads 62
  // for aie_api's to_vector(-2). A negative shift multiplies by 2^-shift; nothing is dropped, so
  // crRnd changes nothing.
  const bool negative = shift >= 60 && shift <= 63;
  if (!srs_mode_known(negative ? 0 : shift, rnd, sat, sign, &why)) core.fail("vsrs: " + why);
  // The low out_b bytes of each result (two's complement), lane i at bytes out_b * i: 32 or 64 bytes for
  // the decoded (out, in) pairs, room for any lanes x out_b so that no narrowing can run past it.
  uint8_t out[256];
  if (negative) {
    const int k = 64 - static_cast<int>(shift), lane_bits = 8 * in_b;
    int64_t in[64], res[64];
    widen_lanes(acc_[u.a].data(), in_b, true, in);
    widen_lanes(acc_[u.a].data() + 64, in_b, true, in + 64 / in_b);
    const int64_t lim = int64_t{1} << (lane_bits - 1 - k);
    for (int i = 0; i < lanes; ++i) {
      // UG1583 calls -4..-2 "unsafe": what the hardware keeps of a lane the shift carries out of its
      // accumulator width is not public, so such a lane stops the run.
      if (in[i] >= lim || in[i] < -lim)
        core.fail("vsrs: shift -" + std::to_string(k) + " carries accumulator lane " + std::to_string(i) + " (" +
                  std::to_string(in[i]) + ") out of its " + std::to_string(lane_bits) +
                  " bits: what the hardware keeps then is not public (UG1583: unsafe)");
      res[i] = srs_known_lane(in[i] * (int64_t{1} << k), 0, rnd, sat, sign, 8 * out_b);
    }
    narrow_lanes(res, lanes, out_b, out);
  } else if (in_b == 4) {
    srs_acc32(acc_[u.a].data(), lanes, shift, rnd, sat, sign, out_b, out);  // the two 512-bit halves are contiguous
  } else {
    int64_t in[64];  // accumulator lanes are read signed, both 512-bit halves
    widen_lanes(acc_[u.a].data(), in_b, true, in);
    widen_lanes(acc_[u.a].data() + 64, in_b, true, in + 64 / in_b);
    int64_t res[64];
    if (in_b <= 4) srs_lanes32(in, lanes, shift, rnd, sat, sign, 8 * out_b, res);
    else for (int i = 0; i < lanes; ++i) res[i] = srs_known_lane(in[i], shift, rnd, sat, sign, 8 * out_b);
    narrow_lanes(res, lanes, out_b, out);
  }
  const int bytes = lanes * out_b;
  if (mode == 7) {
    Write& w = later(core, 4);
    w.file = kFileX, w.unknown = 0, w.bytes = static_cast<uint8_t>(bytes);
    if (u.width & 16) w.idx = u.d, w.offset = 0;
    else w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1));
    std::memcpy(w.data, out, bytes);
    return;
  }
  const uint32_t addr = access_address(core, u.d, static_cast<uint8_t>(u.imm >> 8), u.imm, mode, "vst.srs");
  std::memcpy(core.vector_access(addr, 32, true), out, 32);
}

void VectorUnit::land(Slot& s) {
  for (int k = 0; k < s.n; ++k) {
    const Write& w = s.w[k];
    uint8_t* dst = w.file == kFileX ? x(w.idx) : bm(w.idx);
    if (w.bytes == 64) std::memcpy(dst + w.offset, w.data, 64);  // the common whole-register write, copied inline
    else std::memcpy(dst + w.offset, w.data, w.bytes);
    uint32_t& unk = w.file == kFileX ? xu_[w.idx] : bmu_[w.idx];
    unk = (unk & ~unit_mask(w.offset / 2, w.bytes / 2)) | w.unknown;
  }
  in_flight_ -= s.n;
  s.n = 0;
}

// crVaddSign: 1 signed, 0 unsigned. llvm-aie selects the D form for a constant sign 0 without
// writing crVaddSign (AIE2InstrPatterns.td), so a 0 there is unsigned; see docs/aie2-vector.md.
bool VectorUnit::lane_sign(const MicroOp& u, Core& core) {
  if (!(u.imm & 1)) return u.sign;
  const uint32_t cr = core.regs_[reg::CR0 + kCrVaddSign];
  if (cr > 1) core.fail("crVaddSign = " + std::to_string(cr) + ": only 0 (unsigned) and 1 (signed) are fixed by a public fact");
  return (cr == 1) != core.prog_->rules().vector.vadd_sign_inverted;
}

// A mask over 64 8-bit lanes is an l register pair r(16+2n) (lanes 0..31), r(17+2n) (32..63)
// (the eL operand, AIE2RegisterInfo.td); over 32 or 16 lanes, one r register (eRS8), lane i in bit i.
uint64_t VectorUnit::read_mask(Core& core, uint8_t r, int lane_bytes) {
  if (lane_bytes == 1) return core.regs_[reg::R0 + 16 + 2 * r] | static_cast<uint64_t>(core.regs_[reg::R0 + 17 + 2 * r]) << 32;
  return core.regs_[r];
}

void VectorUnit::write_mask(Core& core, uint8_t r, int lane_bytes, uint64_t mask, int latency) {
  if (lane_bytes == 1) {
    core.write_later_from_vector(static_cast<uint8_t>(reg::R0 + 16 + 2 * r), static_cast<uint32_t>(mask), latency);
    core.write_later_from_vector(static_cast<uint8_t>(reg::R0 + 17 + 2 * r), static_cast<uint32_t>(mask >> 32), latency);
  } else {
    core.write_later_from_vector(r, static_cast<uint32_t>(mask), latency);
  }
}

void VectorUnit::refuse_unknown(Core& core, uint32_t unknown, const char* what) {
  if (unknown) core.fail(std::string(what) + " reads lanes a conversion left undetermined (no fact fixes them)");
}

// The address of a vector load or store in addressing mode u.width (as kVLoadW lists them), the
// post-modified pointer where the mode has one; an address off the access's size stops the run:
// the load and store units take aligned addresses (AM020).
// effective_address's, access_address's and vldb.128's address (below, and in exec), as a Reach.
// A reach that disagrees with exec cannot go unseen: an isolated run that leaves its tile anyway
// stops with an internal error (Core::neighbour_ptr).
bool VectorUnit::reach_of(const MicroOp& u, Reach* r) {
  r->bytes = 32;
  switch (u.kind) {
    case kVLoadW: case kVStoreW:  // effective_address
      r->base = u.width == 4 ? static_cast<uint8_t>(reg::SP) : u.a;
      if (u.width == 0) r->index = u.b;
      else r->imm = u.width == 1 || u.width == 4 ? u.imm : 0;
      return true;
    case kVLoadUnpack:  // access_address(core, u.a, u.b, u.imm, u.width)
      r->base = u.a;
      if (u.width == 0) r->index = u.b;
      else r->imm = u.width == 1 ? u.imm : 0;
      return true;
    case kVSrs: {  // vst.srs: access_address(core, u.d, u.imm >> 8, u.imm, u.width & 7); mode 7 is vsrs into a register
      const int mode = u.width & 7;
      if (mode == 7) return false;
      r->base = u.d;
      if (mode == 0) r->index = static_cast<uint8_t>(u.imm >> 8);
      else r->imm = mode == 1 ? u.imm : 0;
      return true;
    }
    case kVLoad128:  // exec's kVLoad128
      r->base = u.a, r->bytes = 16;
      if (u.width == 0) r->index = u.b;
      else r->imm = 0;
      return true;
    default: return false;
  }
}

uint32_t VectorUnit::effective_address(const MicroOp& u, Core& core, int bytes, const char* what, uint32_t* next, bool* post) {
  constexpr uint32_t kMask20 = 0xFFFFF;
  const uint32_t p = u.width == 4 ? core.regs_[reg::SP] : core.regs_[u.a];
  uint32_t addr = p & kMask20;
  *post = true;
  switch (u.width) {
    case 0: addr = (p + core.regs_[u.b]) & kMask20, *post = false; break;
    case 1: case 4: addr = (p + static_cast<uint32_t>(u.imm)) & kMask20, *post = false; break;
    case 2: *next = (p + core.regs_[u.b]) & kMask20; break;
    case 3: *next = (p + static_cast<uint32_t>(u.imm)) & kMask20; break;
    case 5: *next = core.post_modify_2d(u.a, u.b, 1); break;
    default: *next = core.post_modify_3d(u.a, u.b); break;
  }
  if (addr & static_cast<uint32_t>(bytes - 1)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%d-bit vector %s at 0x%X: not %d-byte aligned (the %s units take aligned addresses)", 8 * bytes, what, addr, bytes, what);
    core.fail(buf);
  }
  return addr;
}

void VectorUnit::forward_x(const Write& w, uint64_t cycle) {
  Forward& f = fwd_[w.idx][(cycle + 1) & 1];
  const uint32_t units = unit_mask(w.offset / 2, w.bytes / 2);
  // Two results for the same register forwarded in the same cycle (its two halves): keep both.
  if (f.cycle != cycle + 1) f.units = 0, f.unknown = 0;
  f.cycle = cycle + 1;
  f.units |= units;
  f.unknown = (f.unknown & ~units) | (w.unknown & units);
  if (w.bytes == 64) std::memcpy(f.data, w.data, 64);  // the whole register (offset 0), copied inline
  else std::memcpy(f.data + w.offset, w.data, w.bytes);
}

void VectorUnit::exec(const MicroOp& u, Core& core) {
  char buf[160];
  switch (u.kind) {
    case kVMovX: {
      // VMOV_mv_x: a 512-bit copy (bitcasts between v16int32 and v8acc64 select it, AIE2InstrPatterns.td);
      // II_VMOV_X_* [2,1]: the destination is written at cycle 2.
      // Itineraries by operand files, II_VMOV_X_<dst>_<src>: an x source is read with MOV_Bypass
      // (XM_XM, BM_XM), an x destination is written with it (XM_XM, XM_BM).
      uint32_t unk;
      const uint8_t* src = u.c == kFileBm ? (unk = bmu_[u.a], bm(u.a)) : read_x(u.a, true, core.cycle_, &unk);
      Write& w = later(core, 2);
      w.file = u.b, w.idx = u.d, w.offset = 0, w.bytes = 64;
      std::memcpy(w.data, src, 64);
      w.unknown = unk;
      if (u.b == kFileX) forward_x(w, core.cycle_);
      return;
    }
    case kVInsert: {
      // vinsert.N dst, src, r29, s: dst = src with lane r29 (N-byte lanes) replaced by the low N
      // bytes of s (clang aiev2 upd_elem -> __builtin_aiev2_vinsertN_I512(v, idx, b)); II_VINSERT [2,...].
      const uint32_t idx = core.regs_[29];
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vinsert.%d with index r29 = %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      // II_VINSERT bypasses [MOV_Bypass (dst), MOV_Bypass (src), NoBypass, NoBypass].
      const uint32_t v = core.regs_[u.b];
      uint32_t unk;
      const uint8_t* src = read_x(u.a, true, core.cycle_, &unk);
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64;
      std::memcpy(w.data, src, 64);
      std::memcpy(w.data + idx * u.width, &v, u.width);  // little-endian host: low bytes first
      w.unknown = unk;
      if (u.width >= 2) w.unknown &= ~unit_mask(idx * u.width / 2, u.width / 2);
      else if ((unk >> (idx / 2)) & 1) w.unknown |= 1u << (idx / 2);  // the other byte of the unit is still unknown
      forward_x(w, core.cycle_);
      return;
    }
    case kVExtractS: {
      // vextract.sN r, x, rs: lane rs (N-byte lanes) sign-extended to 32 bits (clang aiev2
      // ext_elem(v, idx, sign) -> __builtin_aiev2_vextract_elemN_I512); II_VEXTRACT [2,...].
      const uint32_t idx = core.regs_[u.b];
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vextract.s%d with index %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      // II_VEXTRACT bypasses [NoBypass (dst), MOV_Bypass (x), NoBypass].
      uint32_t unk;
      const uint8_t* xs = read_x(u.a, true, core.cycle_, &unk);
      const int unit = idx * u.width / 2, units = u.width >= 2 ? u.width / 2 : 1;
      if (unk & unit_mask(unit, units)) {
        std::snprintf(buf, sizeof buf, "vextract.s%d reads lane %u of x%d, which a conversion left undetermined (no fact fixes it)",
                      8 * u.width, idx, u.a);
        core.fail(buf);
      }
      const uint8_t* p = xs + idx * u.width;
      uint32_t v;
      if (u.width == 1) v = static_cast<uint32_t>(static_cast<int8_t>(p[0]));
      else if (u.width == 2) v = static_cast<uint32_t>(static_cast<int16_t>(p[0] | p[1] << 8));
      else std::memcpy(&v, p, 4);
      core.write_later_from_vector(u.d, v, 2);
      return;
    }
    case kVConvBf16Fp32: {
      // vconv.bf16.fp32 w, bm: the 16 fp32 lanes of bm to 16 bf16 lanes of w, lane i to lane i
      // (to_v16bfloat16(v16accfloat), UG1583), rounded by crRnd (II_VCONV reads crRnd at cycle 1;
      // AIE2PS's to_v16bfloat16_conf sets crRnd around the same conversion); result at cycle 2.
      const int forced = core.prog_->rules().vector.force_crRnd;
      const uint32_t mode = forced >= 0 ? static_cast<uint32_t>(forced) : core.regs_[reg::CR0 + kCrRnd];
      const uint8_t* src = bm(u.a);
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      w.unknown = 0;
      for (int i = 0; i < 16; ++i) {
        uint32_t f;
        std::memcpy(&f, src + 4 * i, 4);
        uint16_t h = 0;
        const bool known = !((bmu_[u.a] >> (2 * i)) & 3) && fp32_to_bf16(f, mode, &h);
        if (!known) w.unknown |= 1u << (16 * (u.d & 1) + i);
        std::memcpy(w.data + 2 * i, &h, 2);
      }
      return;
    }
    case kVBcst: {
      // vbcst.N x, r: every N-bit lane of x = the low N bits of r (clang aiev2 broadcast_to_v64int8 /
      // v32int16 / v16int32 -> __builtin_aiev2_vbroadcastN_I512); II_VBCST [2,1], def MOV_Bypass.
      const uint32_t v = core.regs_[u.a];
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      for (int k = 0; k < 64; k += u.width) std::memcpy(w.data + k, &v, u.width);
      forward_x(w, core.cycle_);
      return;
    }
    case kVLoadW: {
      // vlda/vldb w: 32 bytes from data memory, lane order as memory (little-endian); the load
      // units take aligned addresses (AM020 "Two 256-bit load ... units with aligned addresses"),
      // so an unaligned one stops. II_VLDA_W / II_VLDB [7,1,1]: w at cycle 7, a post-modified
      // pointer at cycle 1; memory read at issue as the scalar loads (docs/aie2.md).
      uint32_t next = 0;
      bool post = false;
      const uint32_t addr = effective_address(u, core, 32, "load", &next, &post);
      // The core's address space: its own memory, or a neighbour's in the whole array (as scalar loads).
      const uint8_t* src = core.vector_access(addr, 32, false);
      Write& w = later(core, 7);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      w.unknown = 0;
      std::memcpy(w.data, src, 32);
      if (post) core.write_later_from_vector(u.a, next, 1);
      return;
    }
    case kVStoreW: {
      // vst w: 32 bytes of wl/wh to data memory, byte k of the register to byte k of memory (as
      // the loads); the store units take aligned addresses (AM020), so an unaligned one stops.
      // ITIN_VST_W: the register is read at issue and memory written at issue, in issue order
      // after the loads, as the scalar stores (docs/aie2-vector.md "Timing").
      uint32_t next = 0;
      bool post = false;
      const uint32_t addr = effective_address(u, core, 32, "store", &next, &post);
      const int n = u.d >> 1, half = u.d & 1;
      if (xu_[n] & unit_mask(16 * half, 16)) {
        std::snprintf(buf, sizeof buf, "vst w%c%d stores lanes a conversion left undetermined (no fact fixes them)", half ? 'h' : 'l', n);
        core.fail(buf);
      }
      std::memcpy(core.vector_access(addr, 32, true), x(n) + 32 * half, 32);
      if (post) core.write_later_from_vector(u.a, next, 1);
      return;
    }
    case kVCmp: {
      // vlt / vge: bit i of the mask = (s1[i] < s2[i]) / (s1[i] >= s2[i]) (clang aiev2_vadd.h:
      // lt(a, b) -> __builtin_aiev2_vlt8(a, b, sign), ge likewise; AIE2InstrPatterns.td selects
      // VLT_D8 for sign 0 and VLT_S8 for sign 1). A D variant reads the sign from crVaddSign.
      const bool sign = lane_sign(u, core);
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      refuse_unknown(core, ua | ub, u.c ? "vge" : "vlt");
      const uint64_t mask = compare_pick(a, b, u.width, sign, u.c == 1, nullptr);
      write_mask(core, u.d, u.width, mask, kCmpLatency);
      return;
    }
    case kVMinMax: {
      // vmin_ge: lane i = min(s1[i], s2[i]), mask bit i = s1[i] >= s2[i]; vmax_lt: max and
      // s1[i] < s2[i] (clang aiev2_vadd.h min_ge(a, b, cmp) / max_lt(a, b, cmp), and min(a, b) =
      // min_ge with the mask dropped). Sign as kVCmp.
      const bool sign = lane_sign(u, core);
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      refuse_unknown(core, ua | ub, u.c ? "vmax_lt" : "vmin_ge");
      Write& w = later(core, kMinMaxLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      // min_ge: the bit is s1 >= s2 and picks s2 (the minimum); max_lt: s1 < s2, picking s2 (the maximum).
      const uint64_t mask = compare_pick(a, b, u.width, sign, u.c == 0, w.data);
      write_mask(core, static_cast<uint8_t>(u.imm >> 1), u.width, mask, kMinMaxLatency);
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVSel: {
      // vsel: lane i = mask bit i ? src2[i] : src1[i] (AIE2InstrPatterns.td: "sel ? v1 : v2 is
      // equivalent to vsel(sel-1, v1, v2)", i.e. a 0 bit takes the first source).
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      const uint64_t mask = read_mask(core, u.c, u.width) ^ (core.prog_->rules().vector.vsel_inverted ? ~uint64_t{0} : 0);
      Write& w = later(core, kSelLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      select_lanes(a, b, mask, u.width, w.data);
      if (ua | ub)  // undetermined lanes come along with the lanes selected
        for (int i = 0, lanes = 64 / u.width; i < lanes; ++i) {
          const bool bit = (mask >> i) & 1;
          const uint32_t units = unit_mask(i * u.width / 2, u.width >= 2 ? u.width / 2 : 1);
          w.unknown |= (bit ? ub : ua) & units;
        }
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVExtBcst: {
      // vextbcst.N x, src, i: lane i of src (N-bit lanes) in every lane (clang aiev2
      // __builtin_aiev2_vextract_broadcastN_I512(v, idx); AIE2InstrPatterns.td selects the
      // immediate form for an imm5 index, the register form otherwise).
      const uint32_t idx = u.sign ? core.regs_[u.b] : static_cast<uint32_t>(u.imm);
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vextbcst.%d with index %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      uint32_t unk;
      const uint8_t* src = read_x(u.a, true, core.cycle_, &unk);
      refuse_unknown(core, unk & unit_mask(idx * u.width / 2, u.width >= 2 ? u.width / 2 : 1), "vextbcst");
      Write& w = later(core, kExtBcstLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      for (int i = 0; i < lanes; ++i) std::memcpy(w.data + i * u.width, src + idx * u.width, u.width);
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVEqz: {
      // veqz.N: bit i of the mask = (src[i] == 0) (clang aiev2_vadd.h eqz(a) -> __builtin_aiev2_veqzN;
      // eq(a, b) = eqz(sub(a, b))).
      uint32_t unk;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &unk);
      refuse_unknown(core, unk, "veqz");
      uint64_t mask = 0;
      int64_t la[64];
      widen_lanes(a, u.width, false, la);
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i)
        if (la[i] == 0) mask |= uint64_t{1} << i;
      write_mask(core, u.d, u.width, mask, kEqzLatency);
      return;
    }
    case kVAddSub: {
      // vadd.N / vsub.N: lane-wise modulo 2^N (AIE2InstrPatterns.td selects them for the generic
      // add / sub of v64i8, v32i16, v16i32, which wrap).
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      Write& w = later(core, kAddSubLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = ua | ub;
      int64_t la[64], lb[64];
      widen_lanes(a, u.width, false, la);
      widen_lanes(b, u.width, false, lb);
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i) {
        const uint64_t x1 = static_cast<uint64_t>(la[i]), x2 = static_cast<uint64_t>(lb[i]);
        const uint64_t r = u.c ? x1 - x2 : x1 + x2;
        std::memcpy(w.data + i * u.width, &r, u.width);  // little-endian host: the low N bits
      }
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVBitwise: {
      // vband / vbor: 512-bit and / or (AIE2InstrPatterns.td selects them for the generic and / or
      // of every 512-bit integer vector type).
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      Write& w = later(core, kBitwiseLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = ua | ub;
      for (int i = 0; i < 64; ++i) w.data[i] = static_cast<uint8_t>(u.c ? a[i] | b[i] : a[i] & b[i]);
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVExtractD: {
      // vextract.dN r, x, rs: lane rs zero-extended when crVaddSign = 0, sign-extended when 1
      // (AIE2InstrPatterns.td selects VEXTRACT_D* for the zero-extending extract without writing
      // crVaddSign; the selector brackets a run-time sign with crVaddSign := sign). II_VEXTRACT [2,1,1,crVaddSign 1].
      const uint32_t cr = core.regs_[reg::CR0 + kCrVaddSign];
      if (cr > 1) core.fail("vextract.d with crVaddSign = " + std::to_string(cr) + ": only 0 and 1 are fixed by a public fact");
      const uint32_t idx = core.regs_[u.b];
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vextract.d%d with index %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      uint32_t unk;
      const uint8_t* xs = read_x(u.a, true, core.cycle_, &unk);
      refuse_unknown(core, unk & unit_mask(idx * u.width / 2, u.width >= 2 ? u.width / 2 : 1), "vextract.d");
      core.write_later_from_vector(u.d, static_cast<uint32_t>(lane(xs, static_cast<int>(idx), u.width, cr == 1)), 2);
      return;
    }
    case kVLoad128: {
      // vldb.128 w: 16 bytes into bits 0..127 of w (128-bit vector types live in the low part of
      // a register: mlir-aie widens them with the low-part set_I512_I128); what bits 128..255
      // hold afterwards no public fact says: marked undetermined. II_VLDB_PTR_POSTINC [7, 1, 1, 1]
      // (AIE2GenFixupInstrInfo.td, AIE2Schedule.td): w at cycle 7, the pointer at 1.
      constexpr uint32_t kMask20 = 0xFFFFF;
      const uint32_t p = core.regs_[u.a];
      uint32_t addr = p & kMask20;
      if (u.width == 0) addr = (p + core.regs_[u.b]) & kMask20;
      else core.write_later_from_vector(u.a, (p + core.regs_[u.b]) & kMask20, 1);
      if (addr & 15) {
        std::snprintf(buf, sizeof buf, "128-bit vector load at 0x%X: not 16-byte aligned (the load units take aligned addresses)", addr);
        core.fail(buf);
      }
      Write& w = later(core, 7);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      std::memset(w.data, 0, 32);
      std::memcpy(w.data, core.vector_access(addr, 16, false), 16);
      w.unknown = unit_mask(16 * (u.d & 1) + 8, 8);
      return;
    }
    case kVMovW: {
      // vmov w, w: a 256-bit copy. II_VMOV_W_<dst>_<src> [2, 1]: a wl destination forwards its
      // result with MOV_Bypass, a wl source is read with it; wh sides have no bypass (AIE2Schedule.td).
      const int sn = u.a >> 1, sh = u.a & 1;
      uint32_t unk;
      const uint8_t* src = sh ? (unk = xu_[sn], x(sn)) : read_x(sn, true, core.cycle_, &unk);
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      std::memcpy(w.data, src + 32 * sh, 32);
      w.unknown = ((unk >> (16 * sh)) & 0xFFFF) << (16 * (u.d & 1));
      if (!(u.d & 1)) forward_x(w, core.cycle_);
      return;
    }
    case kVUnpack: {
      // vunpack.d16.d8 x, w: II_VUNPACK [7, 7, crUnpackSign 7]: the source w and crUnpackSign are
      // read at cycle 7, the result lands at 7 (run_late).
      if (core.prog_->rules().vector.unpack_reads_at_issue) {
        Late l{};
        l.kind = kVUnpack, l.d = u.d, l.a = u.a, l.sign = u.sign;
        std::memcpy(l.bytes, x(u.a >> 1) + 32 * (u.a & 1), 32);
        l.unknown = (xu_[u.a >> 1] >> (16 * (u.a & 1))) & 0xFFFF;
        l.width = 1;  // the bytes were read already
        unpack_into(core, l, 7);
        return;
      }
      Late& l = late(core, 7);
      l.kind = kVUnpack, l.d = u.d, l.a = u.a, l.sign = u.sign, l.width = 0;
      return;
    }
    case kVLoadUnpack: {
      // vldb.unpack.d16.d8 x, [p ...]: the 256-bit load (memory read at issue, as vldb; a
      // post-modified pointer at 1), widened at cycle 7 with crUnpackSign read there
      // (II_VLDB_UNPACK* [7, 1, 1, ..., crUnpackSign 7]).
      const uint32_t addr = access_address(core, u.a, u.b, u.imm, u.width, "256-bit vector load (vldb.unpack)");
      Late& l = late(core, 7);
      l.kind = kVUnpack, l.d = u.d, l.a = 0, l.sign = u.sign, l.width = 1, l.unknown = 0;
      std::memcpy(l.bytes, core.vector_access(addr, 32, false), 32);
      return;
    }
    case kVPushLo: {
      // vpush.lo.N x, r, x_s: lane 0 = the low N bits of r, lane i = lane i-1 of x_s (docs/aie2-vector.md
      // "vpush.lo": derived). II_VPUSH_LO [2, 1, 1], bypasses [MOV, No (r), MOV (x_s)].
      uint32_t unk;
      const uint8_t* src = read_x(u.a, true, core.cycle_, &unk);
      const uint32_t v = core.regs_[u.b];
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64;
      std::memcpy(w.data + u.width, src, 64 - u.width);
      std::memcpy(w.data, &v, u.width);
      // The scalar's bytes are determined: a window of (0 || x_s) starting at 64 - width.
      w.unknown = units_of_window(static_cast<uint64_t>(unk) << 32, 64 - u.width);
      forward_x(w, core.cycle_);
      return;
    }
    case kVShuffle: {
      // vshuffle d, x1, x2, r: a 2-D transpose of x1 || x2 (shuffle_mode above). II_VSHUFFLE
      // [2, 1, 1, 1], bypasses [MOV, MOV, MOV, No].
      const uint32_t m = core.regs_[static_cast<uint8_t>(u.imm)];
      const ShufflePermutations& perms = shuffle_permutations();
      if (m >= 48 || !perms.known[m]) {
        std::snprintf(buf, sizeof buf, "vshuffle mode %u: no public fact fixes it (only 0-38, 44 and 45 are 512- or 1024-bit transposes)", m);
        core.fail(buf);
      }
      const bool transposed = core.prog_->rules().vector.shuffle_transposed;
      uint32_t ua, ub;
      uint8_t in[128];
      std::memcpy(in, read_x(u.a, true, core.cycle_, &ua), 64);
      std::memcpy(in + 64, read_x(u.b, true, core.cycle_, &ub), 64);
      Write& w = later(core, 2);
      w.file = u.c, w.idx = u.d, w.offset = 0, w.bytes = 64;
      shuffle_bytes(m, transposed, in, w.data);
      // Undetermined lanes move with their bytes: unit k from the units of bytes perm[2k], perm[2k+1].
      w.unknown = perms.undetermined(m, transposed, ua | static_cast<uint64_t>(ub) << 32);
      if (u.c == kFileX) forward_x(w, core.cycle_);
      return;
    }
    case kVShift: {
      // vshift x, x1, x2, r: byte i = byte i + r of x1 || x2 (clang aiev2_scl2vec.h shift_bytes,
      // shiftl_elem / shiftr_elem; llvm-aie's own uses in AIELegalizerHelper.cpp). II_VSHIFT
      // [2, 1, 1, 1], bypasses [MOV, MOV, MOV, No].
      const uint32_t sh = core.regs_[static_cast<uint8_t>(u.imm)];
      if (sh > 63) {
        std::snprintf(buf, sizeof buf, "vshift by %u bytes: only 0..63 are fixed by a public fact", sh);
        core.fail(buf);
      }
      uint32_t ua, ub;
      uint8_t in[128];
      std::memcpy(in, read_x(u.a, true, core.cycle_, &ua), 64);
      std::memcpy(in + 64, read_x(u.b, true, core.cycle_, &ub), 64);
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64;
      std::memcpy(w.data, in + sh, 64);
      w.unknown = units_of_window(ua | static_cast<uint64_t>(ub) << 32, static_cast<int>(sh));
      forward_x(w, core.cycle_);
      return;
    }
    case kVMulMac: {
      mul_mac(u, core);
      return;
    }
    case kVSrs: {
      srs(u, core);
      return;
    }
    case kVUps: {
      // vups.s32.d8 cm, w, s: lane i of the input (sign per crUPSSign for D, signed for S) shifted
      // left by s into accumulator lane i (UG1583 "Upshift": "No rounding is needed ... after the
      // saturation is computed, the shift is performed"). II_VUPS [3, 1, 1, srUPS_of, crSat 1,
      // crUPSSign 1]: result at 3, no bypass.
      const int in_b = u.c & 0xF, out_b = u.c >> 4, lanes = 128 / out_b;
      const uint32_t sh = core.regs_[u.b];
      bool sign = u.sign;
      if (!u.sign) {
        const uint32_t cr = core.regs_[reg::CR0 + kCrUPSSign];
        if (cr > 1) core.fail("vups with crUPSSign = " + std::to_string(cr) + ": only 0 and 1 are fixed");
        sign = cr == 1;
      }
      if (sh > 63) core.fail("vups shift " + std::to_string(sh) + " outside 0..63 (UG1583)");
      const uint8_t* src = u.width ? x(u.a) : x(u.a >> 1) + 32 * (u.a & 1);
      const uint32_t unk = u.width ? xu_[u.a] : (xu_[u.a >> 1] >> (16 * (u.a & 1))) & 0xFFFF;
      refuse_unknown(core, unk, "vups");
      uint8_t out[128];
      for (int i = 0; i < lanes; ++i) {
        const int64_t v = lane(src, i, in_b, sign);
        const int64_t r = static_cast<int64_t>(static_cast<uint64_t>(v) << sh);
        const int bits = 8 * out_b;
        if (sh >= static_cast<uint32_t>(64 - 8 * in_b) || (r >> sh) != v || (bits < 64 && (r < -(int64_t{1} << (bits - 1)) || r >= (int64_t{1} << (bits - 1))))) {
          std::snprintf(buf, sizeof buf, "vups lane %d: %lld << %u does not fit the accumulator lane (the saturation bounds are not fixed)", i,
                        static_cast<long long>(v), sh);
          core.fail(buf);
        }
        std::memcpy(out + i * out_b, &r, out_b);
      }
      for (int h = 0; h < 2; ++h) {
        Write& w = later(core, 3);
        w.file = kFileBm, w.idx = static_cast<uint8_t>(2 * u.d + h), w.offset = 0, w.bytes = 64, w.unknown = 0;
        std::memcpy(w.data, out + 64 * h, 64);
      }
      return;
    }
    default: core.fail("internal: vector micro-op " + std::to_string(u.kind) + " has no rule");
  }
}

}  // namespace attncheck::aie2
