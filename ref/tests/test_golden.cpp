// The golden model against PyTorch 1.13's FP32 outputs in ../shared/vectors, and FP32 against FP64.
#include <catch2/catch.hpp>

#include <cmath>

#include "fixtures/fixture.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/testing/test_support.hpp"
#include "ref/golden.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using attncheck::testing::shared_dir;

namespace {

double max_abs_diff(const FloatTensor& a, const DoubleTensor& b) {
  REQUIRE(a.shape == b.shape);
  double m = 0;
  for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::fabs(double(a.data[i]) - b.data[i]));
  return m;
}

}  // namespace

TEST_CASE("golden FP32 is within 1e-3 of torch on both shared fixtures", "[golden]") {
  for (const char* name : {"seed42", "seed7_h2_s200"}) {
    const std::string dir = shared_dir() + "/vectors/" + name;
    const Fixture fx = load_fixture(dir);
    const DoubleTensor torch = npy_to_double_tensor(read_npy(dir + "/golden_torch_fp32.npy"), "golden_torch_fp32.npy");
    const FloatTensor ours = golden_attention_fp32(fx.inputs);
    INFO(name);
    CHECK(max_abs_diff(ours, torch) <= 1e-3);
  }
}

TEST_CASE("the golden CLI writes the same array torch did, element by element within 1e-3", "[golden][cli]") {
  for (const char* name : {"seed42", "seed7_h2_s200"}) {
    testing::TempDir tmp;
    const std::string dir = shared_dir() + "/vectors/" + name;
    const auto r = testing::run_cli({"golden", "--fixture", dir, "--out", tmp.file("g.npy")});
    REQUIRE(r.exit_code == 0);
    const NpyArray ours = read_npy(tmp.file("g.npy"));
    const NpyArray torch = read_npy(dir + "/golden_torch_fp32.npy");
    CHECK(ours.dtype == DType::Float32);
    CHECK(ours.shape == torch.shape);  // a 2-D fixture gives a 2-D golden
    const DoubleTensor a = npy_to_double_tensor(ours, "ours"), b = npy_to_double_tensor(torch, "torch");
    for (size_t i = 0; i < a.data.size(); ++i) REQUIRE(std::fabs(a.data[i] - b.data[i]) <= 1e-3);
  }
}

TEST_CASE("FP64 golden agrees with FP32 to FP32's own error, and the scales enter as the spec says", "[golden]") {
  const Fixture fx = load_fixture(shared_dir() + "/vectors/seed7_h2_s200");
  const FloatTensor f32 = golden_attention_fp32(fx.inputs);
  const DoubleTensor f64 = golden_attention_fp64(fx.inputs);
  const double diff = max_abs_diff(f32, f64);
  CHECK(diff <= 1e-3);
  // Scaling V and the output by the same factor leaves the output in LSB unchanged; scaling Q
  // by 2 is the same as a logit scale twice as large.
  AttentionInputs scaled = fx.inputs;
  scaled.scales.v = 0.5;
  scaled.scales.out = 0.5;
  CHECK(max_abs_diff(golden_attention_fp32(scaled), f64) <= 1e-3);
  scaled.scales = Scales{};
  scaled.scales.q = 2.0;
  GoldenOptions twice;
  twice.logit_scale = 2.0 / 8.0;
  CHECK(max_abs_diff(golden_attention_fp32(scaled), golden_attention_fp64(fx.inputs, twice)) <= 1e-3);
}

TEST_CASE("golden rows are softmax-weighted averages: ties give the column mean", "[golden]") {
  AttentionInputs in;
  const Shape s{1, 10, 64};
  in.q = Int8Tensor(s, 3);
  in.k = Int8Tensor(s, -7);
  in.v = Int8Tensor(s, 0);
  for (int j = 0; j < 10; ++j)
    for (int c = 0; c < 64; ++c) in.v.at(0, j, c) = static_cast<int8_t>(j * 10 - c);
  const DoubleTensor g = golden_attention_fp64(in);
  for (int i = 0; i < 10; ++i)
    for (int c = 0; c < 64; ++c) REQUIRE(g.at(0, i, c) == Approx(45.0 - c).margin(1e-12));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
