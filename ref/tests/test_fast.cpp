// The fast paths against the scalar reference: every registry revision at every dispatch level this CPU runs, bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "fixtures/testing/test_support.hpp"
#include "kernels/tests/differential.hpp"
#include "ref/fast.hpp"
#include "ref/fast_kernels.hpp"
#include "ref/golden.hpp"
#include "ref/precise_v1.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

namespace {

constexpr uint32_t kSeed = 20251106;
// Per revision and level; the edge corpus comes on top.
constexpr size_t kTiles = attncheck::testing::scaled(3000, 300);

// The revision's own `model` entry point with the level forced, so the dispatch itself is tested.
AttentionFn at_level(const Revision& rev, fast::Level level) {
  return [&rev, level](const AttentionInputs& in, const Params& p) {
    fast::set_level(level);
    Int8Tensor out = rev.model(in, p);
    fast::set_level(std::nullopt);
    return out;
  };
}

std::vector<fast::Level> fast_levels() {
  std::vector<fast::Level> out;
  for (fast::Level l : fast::available_levels())
    if (l != fast::Level::scalar) out.push_back(l);
  return out;
}

AttentionInputs random_inputs(std::mt19937& g, Shape s, int lo, int hi, bool scales) {
  AttentionInputs in;
  in.q = Int8Tensor(s), in.k = Int8Tensor(s), in.v = Int8Tensor(s);
  std::uniform_int_distribution<int> u(lo, hi);
  for (auto* t : {&in.q, &in.k, &in.v})
    for (auto& x : t->data) x = static_cast<int8_t>(u(g));
  if (scales) {
    std::uniform_real_distribution<double> a(0.002, 0.05), b(0.02, 0.5);
    in.scales = Scales{a(g), a(g), a(g), b(g), true};
  }
  return in;
}

}  // namespace

TEST_CASE("fast paths: this CPU's levels are found and the dispatch can be forced", "[fast]") {
  const auto levels = fast::available_levels();
  REQUIRE(levels.size() >= 2);  // scalar and portable run anywhere
  CHECK(levels.front() == fast::Level::scalar);
  CHECK(levels[1] == fast::Level::portable);
  for (fast::Level l : levels) {
    fast::set_level(l);
    CHECK(fast::active_level() == l);
    CHECK(fast::parse_level(fast::level_name(l)) == l);
  }
  fast::set_level(std::nullopt);
  CHECK(fast::active_level() == levels.back());
  CHECK_THROWS(fast::parse_level("sse9"));
  std::printf("fast levels on this CPU:");
  for (fast::Level l : levels) std::printf(" %s", fast::level_name(l).c_str());
  std::printf("\n");
}

TEST_CASE("fast paths equal the scalar models on random tiles and edge tiles, every revision and level", "[fast]") {
  for (const auto& rev : revisions()) {
    const AttentionFn scalar = at_level(rev, fast::Level::scalar);
    for (fast::Level level : fast_levels()) {
      const AttentionFn fast_fn = at_level(rev, level);
      CorpusResult r;
      random_corpus(rev, kSeed, kTiles, [&](const Batch& b) { run_batch(rev, scalar, fast_fn, b, &r); });
      edge_corpus(rev, [&](const Batch& b) { run_batch(rev, scalar, fast_fn, b, &r); });
      const std::string text = summary(rev.name + " at " + fast::level_name(level), r);
      std::printf("%s", text.c_str());
      INFO(text);
      CHECK(r.tiles >= kTiles);
      CHECK(r.mismatches == 0);
    }
  }
}

TEST_CASE("precise-v1 fast path equals the scalar model over many key tiles, partial tiles and exp_bits", "[fast]") {
  const Revision& rev = find_revision("precise-v1");
  std::mt19937 g(kSeed);
  // S around tile and key-block boundaries (16-key blocks, 64-row blocks, 6-row micro-tiles).
  const int64_t seqs[] = {1, 2, 5, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 383, 513, 1000};
  CorpusResult r;
  size_t cases = 0;
  for (int64_t s : seqs) {
    for (int variant = 0; variant < 4; ++variant) {
      const int lo = variant == 2 ? -4 : -128, hi = variant == 2 ? 3 : 127;
      Batch b;
      b.in = random_inputs(g, {2, s, 64}, lo, hi, variant % 2 == 1);
      // exp_bits from the smallest allowed to the largest safe for this S (0: derived).
      const int64_t max_bits = std::min<int64_t>(precise_v1::kMaxExpBits, 24 - static_cast<int64_t>(std::ceil(std::log2(double(s)))));
      b.params = {{"exp_bits", variant == 3 ? max_bits : (variant == 2 ? 8 : 0)}};
      b.label = "S=" + std::to_string(s) + " variant " + std::to_string(variant);
      b.head_kind = {"random", "random"};
      for (fast::Level level : fast_levels()) run_batch(rev, at_level(rev, fast::Level::scalar), at_level(rev, level), b, &r);
      ++cases;
    }
  }
  const std::string text = summary("precise-v1 multi-tile", r);
  INFO(text);
  CHECK(cases == 64);
  CHECK(r.mismatches == 0);
}

TEST_CASE("fast paths give the same bits with 1, 2 and 3 threads", "[fast]") {
  std::mt19937 g(kSeed + 1);
  const AttentionInputs in = random_inputs(g, {3, 300, 64}, -128, 127, true);
  const Revision& rev = find_revision("precise-v1");
  const Params p = runtime_params(rev, in, {{"exp_bits", 0}});
  fast::set_jobs(1);
  const Int8Tensor one = rev.model(in, p);
  const FloatTensor g1 = golden_attention_fp32(in);
  for (int j : {2, 3}) {
    fast::set_jobs(j);
    CHECK(rev.model(in, p).data == one.data);
    CHECK(golden_attention_fp32(in).data == g1.data);
  }
  fast::set_jobs(0);
}

TEST_CASE("precise-v1's fused model and golden (model_with_golden) equal the model and golden_attention_fp32 bit for bit, every level", "[fast][golden]") {
  const Revision& rev = find_revision("precise-v1");
  REQUIRE(rev.model_with_golden);
  std::mt19937 g(kSeed + 5);
  size_t cases = 0;
  for (int64_t s : {1, 17, 64, 65, 200, 383, 1000}) {
    for (int variant = 0; variant < 3; ++variant) {
      const AttentionInputs in = random_inputs(g, {variant == 0 ? 1 : 3, s, 64}, -128, 127, variant != 0);
      // exp_bits 0 (derived), 8, and the largest safe (above 14 for short rows: the int32 P.V path).
      const int64_t max_bits = std::min<int64_t>(precise_v1::kMaxExpBits, 24 - static_cast<int64_t>(std::ceil(std::log2(double(s)))));
      const Params p = runtime_params(rev, in, {{"exp_bits", variant == 0 ? 0 : (variant == 1 ? 8 : max_bits)}});
      const double logit = variant == 1 ? 0.37 : default_logit_scale(in.shape());
      GoldenOptions opt;
      opt.logit_scale = logit;
      for (fast::Level level : fast::available_levels()) {
        fast::set_level(level);
        const ModelAndGolden both = rev.model_with_golden(in, p, logit);
        const Int8Tensor m = rev.model(in, p);
        const FloatTensor gold = golden_attention_fp32(in, opt);
        fast::set_level(std::nullopt);
        INFO("S=" << s << " variant " << variant << " level " << fast::level_name(level));
        CHECK(both.model.data == m.data);
        REQUIRE(both.golden.data.size() == gold.data.size());
        CHECK(std::memcmp(both.golden.data.data(), gold.data.data(), gold.data.size() * sizeof(float)) == 0);
        ++cases;
      }
    }
  }
  CHECK(cases == 21 * fast::available_levels().size());
}

TEST_CASE("fast golden stays within 1e-3 of FP64 at every level, over several row blocks", "[fast][golden]") {
  std::mt19937 g(kSeed + 2);
  for (int64_t s : {1, 37, 64, 200, 700}) {
    const AttentionInputs in = random_inputs(g, {2, s, 64}, -128, 127, s % 2 == 0);
    const DoubleTensor f64 = golden_attention_fp64(in);
    for (fast::Level level : fast::available_levels()) {
      fast::set_level(level);
      const FloatTensor f32 = golden_attention_fp32(in);
      fast::set_level(std::nullopt);
      double worst = 0;
      for (size_t i = 0; i < f32.data.size(); ++i) worst = std::max(worst, std::fabs(double(f32.data[i]) - f64.data[i]));
      INFO("S=" << s << " level " << fast::level_name(level) << " max |fp32 - fp64| " << worst);
      CHECK(worst <= 1e-3);
    }
  }
}

TEST_CASE("fast golden: the avx512vnni level gives the avx2 level's FP32 bits (same exp, same sum order)", "[fast][golden]") {
  const auto levels = fast::available_levels();
  const bool both = std::count(levels.begin(), levels.end(), fast::Level::avx2) &&
                    std::count(levels.begin(), levels.end(), fast::Level::avx512vnni);
  if (!both) {
    WARN("this CPU lacks avx2 or avx512vnni: nothing to compare");
    return;
  }
  std::mt19937 g(kSeed + 3);
  // S around the 8- and 16-lane edges and the 6-row groups; with and without scales.
  for (int64_t s : {1, 7, 8, 9, 15, 16, 17, 65, 300, 1000}) {
    const AttentionInputs in = random_inputs(g, {2, s, 64}, -128, 127, s % 2 == 1);
    fast::set_level(fast::Level::avx2);
    const FloatTensor a = golden_attention_fp32(in);
    fast::set_level(fast::Level::avx512vnni);
    const FloatTensor b = golden_attention_fp32(in);
    fast::set_level(std::nullopt);
    size_t differ = 0;
    for (size_t i = 0; i < a.data.size(); ++i) differ += std::memcmp(&a.data[i], &b.data[i], sizeof(float)) != 0;
    INFO("S=" << s << ": " << differ << " of " << a.data.size() << " elements differ");
    CHECK(differ == 0);
  }
}

TEST_CASE("fast kernels: each level's row-blocked stages equal its per-row stages bit for bit (exp_row16, pv16, pv_f32_rows)", "[fast]") {
  std::vector<std::pair<std::string, const fast::Kernels*>> levels;
  for (fast::Level l : fast::available_levels()) {
    if (l == fast::Level::avx2) levels.emplace_back("avx2", &fast::avx2::kernels());
    if (l == fast::Level::avx512vnni) levels.emplace_back("avx512vnni", &fast::avx512vnni::kernels());
  }
  if (levels.empty()) {
    WARN("this CPU has no level with row-blocked stages");
    return;
  }
  std::mt19937 g(kSeed + 4);
  const uint32_t* table = precise_v1::exp2_table();
  size_t rows_checked = 0;
  for (const auto& [name, kr] : levels) {
    REQUIRE(kr->pack_v16);
    REQUIRE(kr->exp_row16);
    REQUIRE(kr->pv16);
    REQUIRE(kr->pv_f32_rows);
    for (int n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257, 1000}) {
      for (int rows = 1; rows <= fast::kPvRows; ++rows) {
        const int npad = fast::padded_keys(n);
        std::uniform_int_distribution<int> i8(-128, 127), sc(-300000, 300000), bits(8, fast::kMaxExp16Bits);
        std::vector<int8_t> v(static_cast<size_t>(n) * fast::kD);
        for (auto& x : v) x = static_cast<int8_t>(i8(g));
        const std::vector<int32_t> v32(v.begin(), v.end());
        const std::vector<float> vf(v.begin(), v.end());
        std::vector<int16_t> vp(static_cast<size_t>(npad) * fast::kD);
        kr->pack_v16(v.data(), n, vp.data());
        // Scores with garbage past n (the row may be longer than n), some rows near their maximum.
        std::vector<int32_t> s(static_cast<size_t>(rows) * npad);
        for (auto& x : s) x = sc(g) / (rows % 2 ? 1 : 1000);
        const precise_v1::RuntimeParams rp = precise_v1::derive_runtime(Scales{0.01 * (1 + rows), 0.02, 0.03, 0.1, true}, n, 64, bits(g));
        const fast::ExpWords w{rp.exp_mult, rp.exp_shift, rp.score_floor, rp.exp_bits, table, precise_v1::exp2_pair_table()};
        std::vector<int16_t> e16(static_cast<size_t>(rows) * npad, int16_t{0x5A5A});
        std::vector<int32_t> acc_row(static_cast<size_t>(rows) * fast::kD, 0), acc_blk(acc_row.size());
        std::vector<float> p(static_cast<size_t>(rows) * npad), accf_blk(acc_row.size()), accf_row(acc_row.size());
        std::uniform_real_distribution<float> uf(0.0f, 1.0f);
        for (auto& x : p) x = uf(g);
        for (int r = 0; r < rows; ++r) {
          const int32_t* sr = s.data() + static_cast<size_t>(r) * npad;
          const int32_t m = kr->row_max(sr, n, std::numeric_limits<int32_t>::min());
          std::vector<uint32_t> e(static_cast<size_t>(n));
          kr->exp_row(sr, n, m, w, e.data());
          const uint32_t l16 = kr->exp_row16(sr, n, m, w, e16.data() + static_cast<size_t>(r) * npad);
          uint32_t l = 0;
          kr->pv_int(e.data(), n, v32.data(), acc_row.data() + r * fast::kD, &l);
          INFO(name << " n=" << n << " rows=" << rows << " row " << r);
          CHECK(l16 == l);
          for (int j = 0; j < npad; ++j) {
            const int32_t want = j < n ? static_cast<int32_t>(e[static_cast<size_t>(j)]) : 0;
            if (e16[static_cast<size_t>(r) * npad + j] != want) FAIL_CHECK("e16[" << j << "] = " << e16[static_cast<size_t>(r) * npad + j] << ", exp_row gives " << want);
          }
          float* a0 = accf_row.data() + r * fast::kD;
          float unused[fast::kD];
          kr->pv_f32(p.data() + static_cast<size_t>(r) * npad, p.data() + static_cast<size_t>(r) * npad, n, vf.data(), a0, unused);
        }
        kr->pv16(e16.data(), static_cast<size_t>(npad), rows, npad, vp.data(), acc_blk.data());
        kr->pv_f32_rows(p.data(), static_cast<size_t>(npad), rows, n, vf.data(), accf_blk.data());
        INFO(name << " n=" << n << " rows=" << rows);
        CHECK(acc_blk == acc_row);
        CHECK(std::memcmp(accf_blk.data(), accf_row.data(), accf_row.size() * sizeof(float)) == 0);
        rows_checked += static_cast<size_t>(rows);
      }
    }
  }
  CHECK(rows_checked == levels.size() * 14 * 21);
}

TEST_CASE("the machine-peak probes report positive rates on every thread asked for", "[fast]") {
  const auto pk = fast::measure_peak(2);
  if (!pk) {
    WARN("level " << fast::level_name(fast::active_level()) << " has no peak probe");
    return;
  }
  CHECK(pk->threads == 2);
  CHECK(pk->int8_mac_per_s > 0);
  CHECK(pk->fp32_fma_per_s > 0);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
