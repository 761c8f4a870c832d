// uc-legacy-int8 stage by stage on hand-made tiles, expected values derived from the spec by hand.
#include <catch2/catch.hpp>

#include <algorithm>

#include "ref/uc_legacy_int8.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
namespace L = attncheck::uc_legacy_int8;

namespace {

AttentionInputs filled(int8_t q, int8_t k, int8_t v) {
  AttentionInputs in;
  const Shape s{1, 64, 64};
  in.q = Int8Tensor(s, q);
  in.k = Int8Tensor(s, k);
  in.v = Int8Tensor(s, v);
  return in;
}

}  // namespace

TEST_CASE("legacy qk_scores: shift then clamp to int8", "[uc-legacy-int8][stage]") {
  int8_t q[64], k[64 * 64], s[64];
  std::fill(q, q + 64, 127);
  std::fill(k, k + 64 * 64, 0);
  std::fill(k, k + 64, 127);                  // key 0: 64 * 127 * 127 = 1032256 >> 4 = 64516 -> 127
  std::fill(k + 64, k + 128, -128);           // key 1: -1040384 >> 4 = -65024 -> -128
  k[2 * 64] = 1;                              // key 2: 127 >> 4 = 7
  k[3 * 64] = -1;                             // key 3: -127 >> 4 = -8 (arithmetic shift floors)
  L::qk_scores(q, k, 4, s);
  CHECK(int(s[0]) == 127);
  CHECK(int(s[1]) == -128);
  CHECK(int(s[2]) == 7);
  CHECK(int(s[3]) == -8);
  CHECK(int(s[4]) == 0);
  L::qk_scores(q, k, 0, s);  // no shift: 127 and -127 pass, the others clamp
  CHECK(int(s[2]) == 127);
  CHECK(int(s[3]) == -127);
}

TEST_CASE("legacy softmax_row: Taylor exp, clamp at -64, weights e*127/sum", "[uc-legacy-int8][stage]") {
  L::SoftmaxRow r;
  int8_t s[64];
  SECTION("ties: every e is 64, w = 64*127/4096 = 1") {
    std::fill(s, s + 64, 5);
    L::softmax_row(s, &r);
    CHECK(r.max == 5);
    CHECK(r.sum == 64 * 64);
    for (int j = 0; j < 64; ++j) CHECK((r.e[j] == 64 && r.w[j] == 1));
  }
  SECTION("one max, the rest far below: x clamps at -64, e = 64 - 64 + 4096/128 = 32") {
    std::fill(s, s + 64, -128);
    s[9] = 127;
    L::softmax_row(s, &r);
    CHECK(r.sum == 64 + 63 * 32);                   // 2080
    CHECK(int(r.w[9]) == 64 * 127 / 2080);          // 3
    CHECK(int(r.w[0]) == 32 * 127 / 2080);          // 1
  }
  SECTION("x = -10: e = 64 - 10 + 100/128 = 54 (division truncates)") {
    std::fill(s, s + 64, 0);
    s[1] = 10;
    L::softmax_row(s, &r);
    CHECK(r.e[1] == 64);
    CHECK(r.e[0] == 54);
    CHECK(r.sum == 64 + 63 * 54);
    CHECK(int(r.w[0]) == 54 * 127 / (64 + 63 * 54));  // 0
    CHECK(int(r.w[1]) == 64 * 127 / (64 + 63 * 54));  // 2
  }
}

TEST_CASE("legacy pv_requant: arithmetic >> 7 then clamp", "[uc-legacy-int8][stage]") {
  int8_t w[64], v[64 * 64], o[64];
  std::fill(w, w + 64, 0);
  std::fill(v, v + 64 * 64, 0);
  w[0] = 127;
  v[0] = 127;     // col 0: 16129 >> 7 = 126
  v[1] = -128;    // col 1: -16256 >> 7 = -127
  v[2] = -1;      // col 2: -127 >> 7 = -1 (floor, not 0)
  v[3] = 1;       // col 3: 127 >> 7 = 0
  L::pv_requant(w, v, o);
  CHECK(int(o[0]) == 126);
  CHECK(int(o[1]) == -127);
  CHECK(int(o[2]) == -1);
  CHECK(int(o[3]) == 0);
  std::fill(w, w + 64, 127);
  std::fill(v, v + 64 * 64, 127);  // 64 * 127 * 127 >> 7 = 8064: clamps at 127
  L::pv_requant(w, v, o);
  CHECK(int(o[0]) == 127);
  std::fill(v, v + 64 * 64, -128);  // -1040384 >> 7 = -8128: clamps at -128
  L::pv_requant(w, v, o);
  CHECK(int(o[0]) == -128);
}

TEST_CASE("legacy whole tiles: zeros, all 127, all -128", "[uc-legacy-int8][tile]") {
  const Params p{{"scale_shift", 4}};
  // Zeros: every score 0, ties, w = 1, V = 0: out 0.
  for (int8_t o : L::model(filled(0, 0, 0), p).data) REQUIRE(int(o) == 0);
  // All 127: every score clamps to 127, ties, w = 1: out = 64 * 127 >> 7 = 63.
  for (int8_t o : L::model(filled(127, 127, 127), p).data) REQUIRE(int(o) == 63);
  // All -128: Q.K = 2^20 >> 4 clamps to 127, ties, w = 1: out = -8192 >> 7 = -64.
  for (int8_t o : L::model(filled(-128, -128, -128), p).data) REQUIRE(int(o) == -64);
}

TEST_CASE("legacy one-hot rows pick their key", "[uc-legacy-int8][tile]") {
  // Q row i and K row i are one-hot at column i (value 100): score(i, i) = 10000 >> 4 -> 127,
  // every other score 0, so x = -127 clamps to -64 and e = 32: w_ii = 64*127/(64+63*32) = 3,
  // others 1. V row j holds j: out = (3*i + sum_{j != i} j) >> 7 = (2016 + 2*i) >> 7.
  AttentionInputs in = filled(0, 0, 0);
  for (int i = 0; i < 64; ++i) {
    in.q.at(0, i, i) = 100;
    in.k.at(0, i, i) = 100;
    for (int c = 0; c < 64; ++c) in.v.at(0, i, c) = static_cast<int8_t>(i);
  }
  const Int8Tensor out = L::model(in, {{"scale_shift", 4}});
  for (int i = 0; i < 64; ++i)
    for (int c = 0; c < 64; ++c) REQUIRE(int(out.at(0, i, c)) == (2016 + 2 * i) >> 7);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
