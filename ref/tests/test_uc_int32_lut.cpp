// uc-int32-lut stage by stage on hand-made tiles, expected values derived from the spec by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "ref/uc_int32_lut.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
namespace U = attncheck::uc_int32_lut;

TEST_CASE("int32-lut LUT is max(1, floor(2^20 exp(-n))) and the spec's listed values", "[uc-int32-lut][stage]") {
  const int32_t listed[14] = {1048576, 385749, 141909, 52205, 19205, 7065, 2599, 956, 351, 129, 47, 17, 6, 2};
  for (int n = 0; n < 128; ++n) {
    const auto derived = std::max<int64_t>(1, static_cast<int64_t>(std::floor(std::ldexp(std::exp(-(long double)n), 20))));
    INFO("n = " << n);
    CHECK(U::kExpLut[n] == derived);
    CHECK(U::kExpLut[n] == (n < 14 ? listed[n] : 1));
  }
}

TEST_CASE("int32-lut qk_scores: shift without clamp", "[uc-int32-lut][stage]") {
  int8_t q[64], k[64 * 64];
  int32_t s[64];
  std::fill(q, q + 64, 127);
  std::fill(k, k + 64 * 64, 0);
  std::fill(k, k + 64, 127);         // 1032256 >> 4 = 64516, kept
  std::fill(k + 64, k + 128, -128);  // -1040384 >> 4 = -65024
  k[2 * 64] = -1;                    // -127 >> 4 = -8
  U::qk_scores(q, k, 4, s);
  CHECK(s[0] == 64516);
  CHECK(s[1] == -65024);
  CHECK(s[2] == -8);
  CHECK(s[3] == 0);
  U::qk_scores(q, k, 31, s);  // the largest shift: everything becomes 0 or -1
  CHECK(s[0] == 0);
  CHECK(s[1] == -1);
}

TEST_CASE("int32-lut softmax_row: (s - max) >> 8, clamp, LUT, 32-bit normalize", "[uc-int32-lut][stage]") {
  int32_t s[64];
  U::SoftmaxRow r;
  SECTION("ties: e = 2^20 each, w = (1024 * 127) / (2^26 >> 10) = 1") {
    std::fill(s, s + 64, -77);
    U::softmax_row(s, &r);
    CHECK(r.sum == 64u << 20);
    for (int j = 0; j < 64; ++j) CHECK((r.e[j] == (1u << 20) && r.w[j] == 1));
  }
  SECTION("a difference of -1 floors to x = -1, not 0") {
    std::fill(s, s + 64, -100000);
    s[0] = 1000;
    s[1] = 999;
    U::softmax_row(s, &r);
    CHECK(r.e[0] == 1048576u);
    CHECK(r.e[1] == 385749u);
    CHECK(r.e[2] == 1u);  // (-101000) >> 8 = -395: clamps at -127, LUT[127] = 1
    CHECK(r.sum == 1048576u + 385749u + 62u);
    const uint32_t denom = (1048576u + 385749u + 62u) >> 10;  // 1400
    CHECK(int(r.w[0]) == int(1024u * 127u / denom));           // 92
    CHECK(int(r.w[1]) == int((385749u >> 10) * 127u / denom));  // 376 * 127 / 1400 = 34
    CHECK(int(r.w[2]) == 0);                                    // 1 >> 10 = 0
  }
  SECTION("one-hot: w = 127 for the max, 0 for the rest") {
    std::fill(s, s + 64, 0);
    s[5] = 127 * 256;
    U::softmax_row(s, &r);
    CHECK(r.sum == 1048576u + 63u);
    CHECK(int(r.w[5]) == 127);
    CHECK(int(r.w[0]) == 0);
  }
  SECTION("x exactly -127 and beyond hit the LUT's last entry") {
    std::fill(s, s + 64, 0);
    s[0] = 127 * 256;
    s[1] = 127 * 256 - 127 * 256;  // x = -127
    s[2] = -(1 << 20);             // x far below: clamped
    U::softmax_row(s, &r);
    CHECK(r.e[1] == 1u);
    CHECK(r.e[2] == 1u);
  }
}

TEST_CASE("int32-lut pv_requant: round half away by +-64 then floor shift, clamp", "[uc-int32-lut][stage]") {
  int8_t w[64], v[64 * 64], o[64];
  std::fill(w, w + 64, 0);
  std::fill(v, v + 64 * 64, 0);
  w[0] = 1;
  const int acc[8] = {64, 63, -64, -65, -63, 127, -128, 0};
  // (acc + (acc >= 0 ? 64 : -64)) >> 7 with >> flooring: 1, 0, -1, -2, -1, 1, -2, 0.
  const int expected[8] = {1, 0, -1, -2, -1, 1, -2, 0};
  for (int c = 0; c < 8; ++c) {
    // acc = w0 * v + w1 * v': split each acc into two int8 products.
    v[c] = static_cast<int8_t>(acc[c] / 2);
    v[64 + c] = static_cast<int8_t>(acc[c] - acc[c] / 2);
  }
  w[1] = 1;
  U::pv_requant(w, v, o);
  for (int c = 0; c < 8; ++c) {
    INFO("acc = " << acc[c]);
    CHECK(int(o[c]) == expected[c]);
  }
  std::fill(w, w + 64, 127);
  std::fill(v, v + 64 * 64, 127);  // (1032256 + 64) >> 7 = 8065: clamps at 127
  U::pv_requant(w, v, o);
  CHECK(int(o[0]) == 127);
  std::fill(v, v + 64 * 64, -128);  // (-1040384 - 64) >> 7 = -8129: clamps at -128
  U::pv_requant(w, v, o);
  CHECK(int(o[0]) == -128);
}

TEST_CASE("int32-lut whole tiles: zeros, all 127, all -128", "[uc-int32-lut][tile]") {
  const Params p{{"scale_shift", 4}};
  const Shape s{1, 64, 64};
  auto tile = [&](int8_t q, int8_t k, int8_t v) {
    AttentionInputs in;
    in.q = Int8Tensor(s, q);
    in.k = Int8Tensor(s, k);
    in.v = Int8Tensor(s, v);
    return U::model(in, p);
  };
  // Ties everywhere, w = 1: out = (64 * v +- 64) >> 7.
  for (int8_t o : tile(0, 0, 0).data) REQUIRE(int(o) == 0);
  for (int8_t o : tile(127, 127, 127).data) REQUIRE(int(o) == (64 * 127 + 64) >> 7);     // 64
  for (int8_t o : tile(-128, -128, -128).data) REQUIRE(int(o) == (-8192 - 64) >> 7);     // -65
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
