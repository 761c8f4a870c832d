// Metrics against formulas written out here independently (numpy's definitions), and their edge cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "compare/metrics.hpp"
#include "ref/errors.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;

namespace {

// Straightforward numpy-definition formulas, deliberately naive and separate from metrics.cpp.
struct Reference {
  double corr, mae, rmse, max_err, sqnr_db, cosine, min, max;
  size_t argmax;
  std::vector<double> within;
};

Reference reference(const std::vector<double>& d, const std::vector<double>& g) {
  const size_t n = d.size();
  Reference r{};
  double md = 0, mg = 0;
  for (size_t i = 0; i < n; ++i) md += d[i];
  for (size_t i = 0; i < n; ++i) mg += g[i];
  md /= n;
  mg /= n;
  // np.cov: centred products over N-1; corrcoef divides by the sqrt of the diagonal.
  double cxy = 0, cxx = 0, cyy = 0;
  for (size_t i = 0; i < n; ++i) {
    cxy += (d[i] - md) * (g[i] - mg);
    cxx += (d[i] - md) * (d[i] - md);
    cyy += (g[i] - mg) * (g[i] - mg);
  }
  cxy /= (n - 1);
  cxx /= (n - 1);
  cyy /= (n - 1);
  r.corr = cxy / std::sqrt(cxx) / std::sqrt(cyy);
  double sa = 0, ss = 0, sg = 0, sd = 0, sdg = 0;
  r.max_err = -1;
  for (size_t i = 0; i < n; ++i) {
    const double e = d[i] - g[i];
    sa += std::abs(e);
    ss += e * e;
    sg += g[i] * g[i];
    sd += d[i] * d[i];
    sdg += d[i] * g[i];
    if (std::abs(e) > r.max_err) {
      r.max_err = std::abs(e);
      r.argmax = i;
    }
  }
  r.mae = sa / n;
  r.rmse = std::sqrt(ss / n);
  r.sqnr_db = 10 * std::log10(sg / ss);
  r.cosine = sdg / (std::sqrt(sd) * std::sqrt(sg));
  r.min = *std::min_element(d.begin(), d.end());
  r.max = *std::max_element(d.begin(), d.end());
  for (int t : kWithinBuckets) {
    size_t c = 0;
    for (size_t i = 0; i < n; ++i) c += std::abs(d[i] - g[i]) <= t;
    r.within.push_back(static_cast<double>(c) / n);
  }
  return r;
}

bool close(double a, double b, double rel = 1e-9) {
  return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)) + 1e-300;
}

DoubleTensor tensor(Shape s, std::vector<double> v) {
  DoubleTensor t(s);
  REQUIRE(v.size() == t.data.size());
  t.data = std::move(v);
  return t;
}

std::string input_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

void check_against_reference(const DoubleTensor& dut, const DoubleTensor& golden) {
  const VsGolden m = compare_to_golden(dut, golden);
  const Reference r = reference(dut.data, golden.data);
  REQUIRE(m.correlation.value);
  CHECK(close(*m.correlation.value, r.corr));
  CHECK(close(m.mae, r.mae));
  CHECK(close(m.rmse, r.rmse));
  CHECK(m.max_abs_error == r.max_err);
  const auto at = m.max_abs_error_at;
  CHECK(dut.index(at[0], at[1], at[2]) == r.argmax);
  REQUIRE(m.sqnr_db.value);
  CHECK(close(*m.sqnr_db.value, r.sqnr_db));
  REQUIRE(m.cosine.value);
  CHECK(close(*m.cosine.value, r.cosine));
  CHECK(m.output_min == r.min);
  CHECK(m.output_max == r.max);
  CHECK(m.count == dut.data.size());
  REQUIRE(m.within.size() == kWithinBuckets.size());
  for (size_t k = 0; k < kWithinBuckets.size(); ++k) {
    CHECK(m.within[k].first == kWithinBuckets[k]);
    CHECK(m.within[k].second == r.within[k]);  // counts over n: exact
  }
}

}  // namespace

TEST_CASE("metrics agree with numpy's formulas on random arrays", "[compare][metrics]") {
  std::mt19937 rng(20240611);
  const std::vector<Shape> shapes = {{1, 1, 2}, {1, 3, 7}, {2, 17, 5}, {4, 64, 64}, {8, 1500, 64}};
  for (const Shape& s : shapes) {
    DYNAMIC_SECTION("int8-valued dut vs float golden " << s.str()) {
      // The device's int8 output against a real-valued golden: rounding-sized and a few larger errors.
      std::uniform_real_distribution<float> val(-120.f, 120.f);
      std::normal_distribution<float> noise(0.f, 1.2f);
      Int8Tensor dut(s);
      FloatTensor golden(s);
      for (size_t i = 0; i < dut.data.size(); ++i) {
        golden.data[i] = val(rng);
        const float x = std::round(golden.data[i] + noise(rng));
        dut.data[i] = static_cast<int8_t>(std::clamp(x, -128.f, 127.f));
      }
      check_against_reference(to_double(dut), to_double(golden));
    }
    DYNAMIC_SECTION("weakly correlated doubles " << s.str()) {
      std::normal_distribution<double> nd(3.0, 40.0);
      DoubleTensor a(s), b(s);
      for (size_t i = 0; i < a.data.size(); ++i) {
        a.data[i] = nd(rng);
        b.data[i] = 0.1 * a.data[i] + nd(rng);
      }
      check_against_reference(a, b);
    }
  }
}

TEST_CASE("an int8 dut against an FP32 golden: the metrics of the float64 arrays, bit for bit, and the same errors", "[compare][metrics]") {
  // run keeps its golden as FP32 and compares without widened copies; every metric must equal the
  // one computed from to_double of both, to the last bit (float to double is exact).
  std::mt19937 rng(20261206);
  for (const Shape& s : std::vector<Shape>{{1, 1, 2}, {1, 3, 7}, {2, 17, 5}, {8, 1500, 64}}) {
    INFO(s.str());
    std::uniform_real_distribution<float> val(-150.f, 150.f);
    Int8Tensor dut(s);
    FloatTensor golden(s);
    for (size_t i = 0; i < dut.data.size(); ++i) {
      golden.data[i] = val(rng) * (i % 5 == 0 ? 1e-6f : 1.0f);
      dut.data[i] = static_cast<int8_t>(std::clamp(std::round(golden.data[i]), -128.f, 127.f));
    }
    const VsGolden a = compare_to_golden(dut, golden), b = compare_to_golden(to_double(dut), to_double(golden));
    CHECK(to_json(a).dump() == to_json(b).dump());
    CHECK(a.mae == b.mae);
    CHECK(a.rmse == b.rmse);
    CHECK(*a.correlation.value == *b.correlation.value);
  }
  FloatTensor bad(Shape{1, 2, 2});
  bad.data = {0.f, 1.f, std::numeric_limits<float>::quiet_NaN(), 2.f};
  Int8Tensor d(Shape{1, 2, 2});
  std::string e1, e2;
  try {
    compare_to_golden(d, bad);
  } catch (const InputError& e) {
    e1 = e.what();
  }
  try {
    compare_to_golden(to_double(d), to_double(bad));
  } catch (const InputError& e) {
    e2 = e.what();
  }
  CHECK(!e1.empty());
  CHECK(e1 == e2);  // "golden: NaN at [0, 1, 0]" either way
}

TEST_CASE("to_double keeps shape and values", "[compare][metrics]") {
  Int8Tensor i8(Shape{1, 2, 2});
  i8.data = {-128, -1, 0, 127};
  const DoubleTensor d = to_double(i8);
  CHECK(d.shape == i8.shape);
  CHECK(d.data == std::vector<double>{-128, -1, 0, 127});
  FloatTensor f(Shape{1, 1, 2});
  f.data = {0.1f, -2.5f};
  const DoubleTensor df = to_double(f);
  CHECK(df.data[0] == static_cast<double>(0.1f));
  CHECK(df.data[1] == -2.5);
}

TEST_CASE("a constant output has no correlation, with a reason", "[compare][metrics]") {
  const Shape s{1, 2, 3};
  const DoubleTensor dut = tensor(s, {4, 4, 4, 4, 4, 4});
  const DoubleTensor golden = tensor(s, {1, 2, 3, 4, 5, 6});
  const VsGolden m = compare_to_golden(dut, golden);
  CHECK_FALSE(m.correlation.value);
  CHECK(m.correlation.reason == "dut output is constant");
  CHECK(m.cosine.value);
  const VsGolden g = compare_to_golden(golden, dut);
  CHECK(g.correlation.reason == "golden output is constant");
  // A caller naming its array "... output" does not get "output output".
  CHECK(compare_to_golden(dut, golden, "device output").correlation.reason == "device output is constant");

  // 0.1 repeated has a mean that rounds; the range, not the centred sum, decides constancy.
  const DoubleTensor tenth = tensor(s, std::vector<double>(6, 0.1));
  CHECK_FALSE(compare_to_golden(tenth, golden).correlation.value);

  const nlohmann::json j = to_json(m);
  CHECK(j["correlation"].is_null());
  CHECK(j["correlation_reason"] == "dut output is constant");
  CHECK_FALSE(j.contains("cosine_reason"));
  CHECK(j["cosine"].is_number());
}

TEST_CASE("a single element has no correlation", "[compare][metrics]") {
  const VsGolden m = compare_to_golden(tensor({1, 1, 1}, {2}), tensor({1, 1, 1}, {3}));
  CHECK_FALSE(m.correlation.value);
  CHECK(m.correlation.reason == "fewer than 2 elements");
  CHECK(m.mae == 1);
}

TEST_CASE("identical arrays: no SQNR, every bucket full", "[compare][metrics]") {
  const Shape s{2, 2, 2};
  const DoubleTensor a = tensor(s, {1, -2, 3, -4, 5, -6, 7, 8.5});
  const VsGolden m = compare_to_golden(a, a);
  CHECK_FALSE(m.sqnr_db.value);
  CHECK(m.sqnr_db.reason == "error is zero");
  REQUIRE(m.correlation.value);
  CHECK(*m.correlation.value == 1.0);
  CHECK(*m.cosine.value == 1.0);
  CHECK(m.mae == 0);
  CHECK(m.rmse == 0);
  CHECK(m.max_abs_error == 0);
  CHECK(m.max_abs_error_at == std::array<int64_t, 3>{0, 0, 0});
  for (const auto& [t, share] : m.within) CHECK(share == 1.0);
  const nlohmann::json j = to_json(m);
  CHECK(j["sqnr_db"].is_null());
  CHECK(j["sqnr_db_reason"] == "error is zero");
  CHECK(j["within"] == nlohmann::json{{"0", 1.0}, {"1", 1.0}, {"2", 1.0}, {"5", 1.0}, {"10", 1.0}});
}

TEST_CASE("zero arrays leave correlation, SQNR and cosine undefined, never NaN", "[compare][metrics]") {
  const Shape s{1, 2, 2};
  const DoubleTensor z = tensor(s, {0, 0, 0, 0});
  const DoubleTensor g = tensor(s, {1, 0, -1, 2});
  const VsGolden both = compare_to_golden(z, z);
  CHECK_FALSE(both.correlation.value);
  CHECK_FALSE(both.sqnr_db.value);
  CHECK_FALSE(both.cosine.value);
  CHECK(both.cosine.reason == "dut norm is zero");

  const VsGolden dut_zero = compare_to_golden(z, g);
  CHECK(dut_zero.correlation.reason == "dut output is constant");
  CHECK(*dut_zero.sqnr_db.value == Approx(0.0).margin(1e-12));  // error equals the signal
  CHECK(dut_zero.cosine.reason == "dut norm is zero");

  const VsGolden golden_zero = compare_to_golden(g, z);
  CHECK(golden_zero.sqnr_db.reason == "golden is all zero");
  CHECK(golden_zero.cosine.reason == "golden norm is zero");
  CHECK(golden_zero.output_min == -1);
  CHECK(golden_zero.output_max == 2);
  // Undefined metrics serialize as null plus a reason, never as NaN (which would dump as null silently).
  const std::string text = to_json(both).dump();
  CHECK(text.find("NaN") == std::string::npos);
  CHECK(to_json(both)["cosine_reason"] == "dut norm is zero");
}

TEST_CASE("NaN or Inf in either array is an InputError naming the array and index", "[compare][metrics]") {
  const Shape s{2, 3, 8};
  DoubleTensor a(s, 1.0), b(s, 2.0);
  DoubleTensor nan_golden = b;
  nan_golden.at(0, 2, 7) = std::numeric_limits<double>::quiet_NaN();
  nan_golden.at(1, 0, 0) = std::numeric_limits<double>::quiet_NaN();  // only the first is named
  CHECK(input_error([&] { compare_to_golden(a, nan_golden); }) == "golden: NaN at [0, 2, 7]");
  DoubleTensor inf_dut = a;
  inf_dut.at(1, 1, 3) = std::numeric_limits<double>::infinity();
  CHECK(input_error([&] { compare_to_golden(inf_dut, b); }) == "dut: Inf at [1, 1, 3]");
  inf_dut.at(1, 1, 3) = -std::numeric_limits<double>::infinity();
  CHECK(input_error([&] { compare_to_golden(inf_dut, b, "device output"); }) == "device output: -Inf at [1, 1, 3]");
  CHECK(input_error([&] { compare_to_model(a, nan_golden, b); }) == "model: NaN at [0, 2, 7]");
}

TEST_CASE("shape mismatch is a one-line InputError naming both arrays", "[compare][metrics]") {
  const DoubleTensor a(Shape{1, 4, 8}), b(Shape{1, 8, 4}), c(Shape{2, 4, 8});
  const std::string msg = input_error([&] { compare_to_golden(a, b); });
  CHECK(msg == "dut: shape 1x4x8 does not match golden shape 1x8x4");
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(input_error([&] { compare_to_model(a, c, a); }) == "dut: shape 1x4x8 does not match model shape 2x4x8");
  CHECK(input_error([&] { compare_to_model(a, a, c); }) == "dut: shape 1x4x8 does not match golden shape 2x4x8");
  DoubleTensor broken(Shape{1, 2, 2});
  broken.data.pop_back();
  CHECK(input_error([&] { compare_to_golden(broken, broken); }).find("does not match its 3 elements") !=
        std::string::npos);
}

TEST_CASE("max_abs_error_at is the first largest error, like np.argmax", "[compare][metrics]") {
  const Shape s{3, 4, 5};
  DoubleTensor g(s, 0.0), d(s, 0.0);
  d.at(1, 2, 3) = -7;  // ties with the later +7 and the later -7
  d.at(2, 0, 0) = 7;
  d.at(2, 3, 4) = -7;
  d.at(0, 0, 1) = 6.5;
  const VsGolden m = compare_to_golden(d, g);
  CHECK(m.max_abs_error == 7);
  CHECK(m.max_abs_error_at == std::array<int64_t, 3>{1, 2, 3});
  CHECK(to_json(m)["max_abs_error_at"] == nlohmann::json{1, 2, 3});
}

TEST_CASE("within counts errors at the bucket edge as inside", "[compare][metrics]") {
  const Shape s{1, 1, 6};
  const DoubleTensor g = tensor(s, {0, 0, 0, 0, 0, 0});
  const DoubleTensor d = tensor(s, {0, -1, 2, 5.0000001, 10, -11});
  const VsGolden m = compare_to_golden(d, g);
  const std::vector<double> want = {1 / 6.0, 2 / 6.0, 3 / 6.0, 3 / 6.0, 5 / 6.0};
  for (size_t k = 0; k < want.size(); ++k) CHECK(m.within[k].second == want[k]);
}

TEST_CASE("compare_to_model: bit-exact needs every element equal", "[compare][metrics]") {
  const Shape s{2, 3, 4};
  DoubleTensor m(s), g(s);
  for (size_t i = 0; i < m.data.size(); ++i) {
    m.data[i] = static_cast<double>(i % 7) - 3;
    g.data[i] = m.data[i] + 0.25;
  }
  const VsModel same = compare_to_model(m, m, g);
  CHECK(same.bit_exact);
  CHECK(same.mismatches == 0);
  CHECK(same.mismatch_rows.empty());
  CHECK(same.first_mismatches.empty());
  CHECK(to_json(same) == nlohmann::json::parse(
                             R"({"bit_exact": true, "mismatches": 0, "mismatch_rows": [], "first_mismatches": [], "difference_histogram": []})"));

  DoubleTensor d = m;
  d.at(1, 2, 3) += 1e-12;  // no tolerance, ever
  const VsModel tiny = compare_to_model(d, m, g);
  CHECK_FALSE(tiny.bit_exact);
  CHECK(tiny.mismatches == 1);
}

TEST_CASE("mismatch rows span heads in ascending order, first_mismatches in index order, capped",
          "[compare][metrics]") {
  const Shape s{3, 4, 5};
  DoubleTensor model(s), golden(s);
  for (size_t i = 0; i < model.data.size(); ++i) {
    model.data[i] = static_cast<double>(i % 11) - 5;
    golden.data[i] = model.data[i] * 1.01;
  }
  DoubleTensor dut = model;
  // Set out of index order on purpose: the result must still come back sorted.
  const std::vector<std::array<int64_t, 3>> changed = {{2, 3, 4}, {0, 1, 0}, {2, 0, 2}, {0, 1, 4},
                                                      {1, 3, 1}, {0, 1, 2}, {2, 0, 1}};
  for (const auto& at : changed) dut.at(at[0], at[1], at[2]) += 1;

  const VsModel r = compare_to_model(dut, model, golden, 4);
  CHECK_FALSE(r.bit_exact);
  CHECK(r.mismatches == changed.size());
  const std::vector<std::array<int64_t, 2>> rows = {{0, 1}, {1, 3}, {2, 0}, {2, 3}};
  CHECK(r.mismatch_rows == rows);
  REQUIRE(r.first_mismatches.size() == 4);
  const std::vector<std::array<int64_t, 3>> first = {{0, 1, 0}, {0, 1, 2}, {0, 1, 4}, {1, 3, 1}};
  for (size_t i = 0; i < first.size(); ++i) {
    const Mismatch& x = r.first_mismatches[i];
    CHECK(x.at == first[i]);
    CHECK(x.device == dut.at(first[i][0], first[i][1], first[i][2]));
    CHECK(x.model == model.at(first[i][0], first[i][1], first[i][2]));
    CHECK(x.golden == golden.at(first[i][0], first[i][1], first[i][2]));
  }
  CHECK(compare_to_model(dut, model, golden).first_mismatches.size() == changed.size());  // default cap 16
  CHECK(compare_to_model(dut, model, golden, 0).first_mismatches.empty());

  const nlohmann::json j = to_json(r);
  CHECK(j["bit_exact"] == false);
  CHECK(j["mismatches"] == changed.size());
  CHECK(j["mismatch_rows"] == nlohmann::json{{0, 1}, {1, 3}, {2, 0}, {2, 3}});
  const nlohmann::json& f0 = j["first_mismatches"][0];
  CHECK(f0["at"] == nlohmann::json{0, 1, 0});
  CHECK(f0["device"] == r.first_mismatches[0].device);
  CHECK(f0["model"] == r.first_mismatches[0].model);
  CHECK(f0["golden"] == r.first_mismatches[0].golden);
  CHECK(f0.size() == 4);
}

TEST_CASE("vs_golden JSON has exactly the documented keys", "[compare][metrics]") {
  const Shape s{1, 2, 3};
  const VsGolden m = compare_to_golden(tensor(s, {1, 2, 3, 4, 5, 7}), tensor(s, {1, 2, 3, 4, 5, 6}));
  nlohmann::json j = to_json(m);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"correlation", "cosine", "count", "mae", "max_abs_error", "max_abs_error_at",
                                         "output_range", "rmse", "sqnr_db", "within"});
  CHECK(j["output_range"] == nlohmann::json{1.0, 7.0});
  CHECK(j["count"] == 6);
  CHECK(j["max_abs_error_at"] == nlohmann::json{0, 1, 2});
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
