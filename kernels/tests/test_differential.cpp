// Every registry revision's host-compiled device source against its integer model, bit for bit, and proof the check bites.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "fixtures/testing/test_support.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/tests/differential.hpp"
#include "ref/uc_int32_lut.hpp"
#include "ref/uc_legacy_int8.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

namespace {

constexpr uint32_t kSeed = 20251103;
constexpr size_t kMinTiles = scaled(10000, 1000);

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("kernel differential: every registry revision has a host kernel and stack facts") {
  // A revision cannot join the registry without a device source built for the host: this is the gate.
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name << ": kernels/" << rev.name << "/kernel.json names its sources and entries "
                     << "(docs/kernels.md, 'Adding a revision')");
    CHECK(host_kernel_for(rev.name));
    CHECK(find_kernel_facts(rev.name) != nullptr);
  }
  CHECK_FALSE(host_kernel_for("no-such-revision"));
  // And no host kernel for a revision the registry does not know (a typo would hide it from the tests).
  for (const auto& k : host_kernels()) {
    INFO("host kernel " << k.revision);
    CHECK_NOTHROW(find_revision(k.revision));
  }
}

TEST_CASE("kernel differential: host kernels equal the models on >= 10,000 random tiles") {
  for (const auto& rev : revisions()) {
    const AttentionFn kernel = host_kernel_for(rev.name);
    if (!kernel) {
      FAIL_CHECK(rev.name << " has no host kernel: it cannot be checked against its model");
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    CorpusResult r;
    random_corpus(rev, kSeed, kMinTiles, [&](const Batch& b) { run_batch(rev, rev.model, kernel, b, &r); });
    const std::string text = summary(rev.name + " random", r);
    std::printf("%s  (%.2f s)\n", text.c_str(), seconds_since(t0));
    INFO(text);
    CHECK(r.tiles >= kMinTiles);
    CHECK(r.mismatches == 0);
  }
}

TEST_CASE("kernel differential: host kernels equal the models on edge tiles") {
  for (const auto& rev : revisions()) {
    const AttentionFn kernel = host_kernel_for(rev.name);
    if (!kernel) {
      FAIL_CHECK(rev.name << " has no host kernel: it cannot be checked against its model");
      continue;
    }
    CorpusResult r;
    edge_corpus(rev, [&](const Batch& b) { run_batch(rev, rev.model, kernel, b, &r); });
    const std::string text = summary(rev.name + " edge", r);
    std::printf("%s", text.c_str());
    INFO(text);
    CHECK(r.tiles > 0);
    CHECK(r.mismatches == 0);
  }
}

TEST_CASE("kernel differential: a one-bit change anywhere in the output is caught and located") {
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    // The perturbed "kernel" is the model with one bit of one random element flipped; the same
    // comparison that passes the real kernels must report exactly that element.
    std::mt19937 g(kSeed);
    Mismatch flipped{};
    const AttentionFn perturbed = [&](const AttentionInputs& in, const Params& p) {
      Int8Tensor out = rev.model(in, p);
      const Shape& s = out.shape;
      flipped.head = static_cast<int64_t>(g() % s.heads);
      flipped.row = static_cast<int64_t>(g() % s.seq);
      flipped.col = static_cast<int64_t>(g() % s.dim);
      int8_t& x = out.at(flipped.head, flipped.row, flipped.col);
      flipped.model = x;
      x = static_cast<int8_t>(static_cast<uint8_t>(x) ^ (1u << (g() % 8)));
      flipped.kernel = x;
      return out;
    };
    size_t seen = 0;
    random_corpus(rev, kSeed, 1, [&](const Batch& b) {
      if (seen++ % 16 != 0) return;  // a spread of recipes and params, not the whole corpus
      CorpusResult r;
      run_batch(rev, rev.model, perturbed, b, &r);
      INFO(b.label << "\n" << summary("perturbed", r));
      CHECK(r.mismatches == 1);
      CHECK(r.failing_batches == 1);
      const std::string where = "head " + std::to_string(flipped.head) + " (" + b.head_kind[flipped.head] + ") row " +
                                std::to_string(flipped.row) + " col " + std::to_string(flipped.col) + ": model " +
                                std::to_string(flipped.model) + " kernel " + std::to_string(flipped.kernel);
      CHECK(r.report.find(where) != std::string::npos);
    });
    CHECK(seen > 1);
  }
}

namespace {

// The historical revisions' models with one stage's rounding changed, built from their stage functions.
Int8Tensor int32_lut_floor_requant(const AttentionInputs& in, const Params& p) {
  namespace m = uc_int32_lut;
  Int8Tensor out(in.shape());
  int32_t scores[m::kTile];
  m::SoftmaxRow row;
  for (int64_t h = 0; h < in.shape().heads; ++h)
    for (int i = 0; i < m::kTile; ++i) {
      m::qk_scores(in.q.head(h) + i * m::kTile, in.k.head(h), static_cast<int>(p.at("scale_shift")), scores);
      m::softmax_row(scores, &row);
      for (int c = 0; c < m::kTile; ++c) {
        int32_t acc = 0;
        for (int j = 0; j < m::kTile; ++j) acc += int32_t{row.w[j]} * int32_t{in.v.head(h)[j * m::kTile + c]};
        out.head(h)[i * m::kTile + c] = static_cast<int8_t>(std::clamp<int32_t>(acc >> 7, -128, 127));  // no +-64
      }
    }
  return out;
}

Int8Tensor legacy_truncating_requant(const AttentionInputs& in, const Params& p) {
  namespace m = uc_legacy_int8;
  Int8Tensor out(in.shape());
  int8_t scores[m::kTile];
  m::SoftmaxRow row;
  for (int64_t h = 0; h < in.shape().heads; ++h)
    for (int i = 0; i < m::kTile; ++i) {
      m::qk_scores(in.q.head(h) + i * m::kTile, in.k.head(h), static_cast<int>(p.at("scale_shift")), scores);
      m::softmax_row(scores, &row);
      for (int c = 0; c < m::kTile; ++c) {
        int32_t acc = 0;
        for (int j = 0; j < m::kTile; ++j) acc += int32_t{row.w[j]} * int32_t{in.v.head(h)[j * m::kTile + c]};
        out.head(h)[i * m::kTile + c] = static_cast<int8_t>(std::clamp<int32_t>(acc / 128, -128, 127));  // toward 0
      }
    }
  return out;
}

}  // namespace

TEST_CASE("kernel differential: a rounding change in one stage is caught by the random corpus") {
  const std::pair<const char*, AttentionFn> variants[] = {
      {"uc-int32-lut", int32_lut_floor_requant},
      {"uc-legacy-int8", legacy_truncating_requant},
  };
  for (const auto& entry : variants) {
    // Not a structured binding: C++17 lambdas cannot capture those (clang refuses).
    const auto& name = entry.first;
    const auto& variant = entry.second;
    const Revision& rev = find_revision(name);
    const AttentionFn kernel = host_kernel_for(name);
    REQUIRE(kernel);
    CorpusResult r;
    size_t seen = 0;
    random_corpus(rev, kSeed, kMinTiles, [&](const Batch& b) {
      if (seen++ % 8 == 0) run_batch(rev, variant, kernel, b, &r);
    });
    INFO(summary(std::string(name) + " with a changed requant rounding", r));
    CHECK(r.mismatches > 0);
    CHECK(r.report.find("model ") != std::string::npos);
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
