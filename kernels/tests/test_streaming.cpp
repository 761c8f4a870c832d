// Streaming revisions (any S) on the host against their models: partial key tiles, many tiles, many heads.
#include <catch2/catch.hpp>

#include <random>

#include "fixtures/realistic.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/tests/differential.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;

namespace {

AttentionInputs random_inputs(const Shape& s, std::mt19937& rng, int lo, int hi, bool scales) {
  std::uniform_int_distribution<int> d(lo, hi);
  AttentionInputs in;
  in.q = Int8Tensor(s);
  in.k = Int8Tensor(s);
  in.v = Int8Tensor(s);
  for (auto* t : {&in.q, &in.k, &in.v})
    for (auto& x : t->data) x = static_cast<int8_t>(d(rng));
  if (scales) {
    std::uniform_real_distribution<double> u(0.005, 0.2);
    in.scales = {u(rng), u(rng), u(rng), u(rng), true};
  }
  return in;
}

}  // namespace

TEST_CASE("kernel streaming: host equals model bit for bit across S, partial tiles and heads", "[kernel][differential]") {
  int streaming = 0;
  for (const auto& rev : revisions()) {
    if (rev.tile_only) continue;
    ++streaming;
    const AttentionFn kernel = host_kernel_for(rev.name);
    REQUIRE(static_cast<bool>(kernel));
    std::mt19937 rng(20261123);
    for (int64_t seq : {1, 2, 63, 64, 65, 127, 128, 129, 200, 333}) {
      for (int recipe = 0; recipe < 4; ++recipe) {
        const int lo = recipe == 0 ? -128 : recipe == 1 ? -64 : recipe == 2 ? -4 : -128;
        const int hi = recipe == 0 ? 127 : recipe == 1 ? 63 : recipe == 2 ? 4 : -100;
        const AttentionInputs in = random_inputs(Shape{3, seq, 64}, rng, lo, hi, recipe % 2 == 1);
        const Params p = runtime_params(rev, in, resolve_params(rev, {}));
        const testing::DiffStats d = testing::compare_exact(rev.model(in, p), kernel(in, p));
        INFO(rev.name << " S=" << seq << " recipe " << recipe << ": " << d.mismatches << " of " << d.elements
                      << " differ" << (d.first.empty() ? "" : ", first at head " + std::to_string(d.first[0].head) +
                                                                   " row " + std::to_string(d.first[0].row)));
        REQUIRE(d.mismatches == 0);
      }
    }
    // Whisper's shape, one head of the realistic recipe: 24 key tiles, the last one partial.
    RealisticRecipe r;
    r.seed = 5;
    r.heads = 1;
    r.seq = 1500;
    const AttentionInputs in = make_realistic(r).inputs;
    const Params p = runtime_params(rev, in, resolve_params(rev, {}));
    const testing::DiffStats d = testing::compare_exact(rev.model(in, p), kernel(in, p));
    INFO(rev.name << " realistic 1x1500x64: " << d.mismatches << " of " << d.elements << " differ");
    CHECK(d.mismatches == 0);
    CHECK(d.elements == 1500u * 64u);
  }
  CHECK(streaming >= 1);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
