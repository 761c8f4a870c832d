// Cross-check of the metrics against real numpy (Debian's python3-numpy), not just our reading of it.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "compare/metrics.hpp"
#include "fixtures/testing/test_support.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
namespace t = attncheck::testing;

namespace {

// Float64 native-endian raw files keep the exact doubles; a text round trip could round them.
std::string raw_bytes(const DoubleTensor& x) {
  return std::string(reinterpret_cast<const char*>(x.data.data()), x.data.size() * sizeof(double));
}

const char* kNumpyScript = R"PY(
import json, sys
import numpy as np
d = np.fromfile(sys.argv[1], dtype=np.float64)
g = np.fromfile(sys.argv[2], dtype=np.float64).reshape(d.shape)
e = d - g
a = np.abs(e)
print(json.dumps({
    "correlation": float(np.corrcoef(d, g)[0, 1]),
    "mae": float(np.mean(a)),
    "rmse": float(np.sqrt(np.mean(e * e))),
    "max_abs_error": float(a.max()),
    "argmax": int(np.argmax(a)),
    "within": [float(np.mean(a <= t)) for t in (0, 1, 2, 5, 10)],
    "sqnr_db": float(10 * np.log10(np.sum(g * g) / np.sum(e * e))),
    "cosine": float(np.dot(d, g) / (np.linalg.norm(d) * np.linalg.norm(g))),
    "min": float(d.min()), "max": float(d.max()),
}))
)PY";

bool close(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b)); }

}  // namespace

TEST_CASE("metrics match numpy itself", "[compare][metrics][numpy]") {
  std::mt19937 rng(77);
  const std::vector<Shape> shapes = {{1, 5, 3}, {2, 64, 64}, {8, 150, 64}};
  for (const Shape& s : shapes) {
    DYNAMIC_SECTION("int8 dut vs float golden " << s.str()) {
      std::uniform_real_distribution<float> val(-100.f, 100.f);
      std::normal_distribution<float> noise(0.f, 2.f);
      Int8Tensor dut(s);
      FloatTensor golden(s);
      for (size_t i = 0; i < dut.data.size(); ++i) {
        golden.data[i] = val(rng);
        dut.data[i] = static_cast<int8_t>(std::clamp(std::round(golden.data[i] + noise(rng)), -128.f, 127.f));
      }
      const DoubleTensor d = to_double(dut), g = to_double(golden);

      t::TempDir tmp;
      t::write_bytes(tmp.file("dut.f64"), raw_bytes(d));
      t::write_bytes(tmp.file("golden.f64"), raw_bytes(g));
      t::write_bytes(tmp.file("ref.py"), kNumpyScript);
      const t::CliResult r = t::run_program({t::python(), tmp.file("ref.py"), tmp.file("dut.f64"), tmp.file("golden.f64")});
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const nlohmann::json np = nlohmann::json::parse(r.out);

      const VsGolden m = compare_to_golden(d, g);
      REQUIRE(m.correlation.value);
      CHECK(close(*m.correlation.value, np["correlation"].get<double>()));
      CHECK(close(m.mae, np["mae"].get<double>()));
      CHECK(close(m.rmse, np["rmse"].get<double>()));
      CHECK(m.max_abs_error == np["max_abs_error"].get<double>());
      const auto at = m.max_abs_error_at;
      CHECK(d.index(at[0], at[1], at[2]) == np["argmax"].get<size_t>());
      for (size_t k = 0; k < kWithinBuckets.size(); ++k) CHECK(m.within[k].second == np["within"][k].get<double>());
      REQUIRE(m.sqnr_db.value);
      CHECK(close(*m.sqnr_db.value, np["sqnr_db"].get<double>()));
      REQUIRE(m.cosine.value);
      CHECK(close(*m.cosine.value, np["cosine"].get<double>()));
      CHECK(m.output_min == np["min"].get<double>());
      CHECK(m.output_max == np["max"].get<double>());
    }
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
