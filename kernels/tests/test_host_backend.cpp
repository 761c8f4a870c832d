// `attncheck run --backend host` end to end: the report names the host backend and finds it bit-exact with the model.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"
#include "kernels/host_kernels.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

TEST_CASE("kernel host backend: attncheck run --backend host is bit-exact with the model for every revision") {
  TempDir tmp;
  const auto made = run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "42", "--heads", "2", "--out",
                             tmp.file("fx")});
  REQUIRE(made.exit_code == 0);
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    const std::string report = tmp.file(rev.name + ".json");
    const auto r = run_cli({"run", "--backend", "host", "--kernel", rev.name, "--fixture", tmp.file("fx"), "--json", report});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    if (r.exit_code != 0) continue;
    const auto j = nlohmann::json::parse(read_text(report));
    CHECK(j.at("backend").at("name") == "host");
    CHECK(j.at("backend").at("compiler").get<std::string>() == host_compiler());
    CHECK(j.at("metrics").at("vs_model").at("bit_exact") == true);
    CHECK(r.out.find("bit-exact on all 8192 elements") != std::string::npos);
  }
}

TEST_CASE("kernel host backend: a scale_shift the C shift cannot take is refused, not run") {
  const AttentionFn k = host_kernel_for("uc-int32-lut");
  REQUIRE(k);
  AttentionInputs in;
  in.q = in.k = in.v = Int8Tensor(Shape{1, 64, 64});
  CHECK_NOTHROW(k(in, {{"scale_shift", 31}}));
  CHECK_THROWS_WITH(k(in, {{"scale_shift", 32}}), Catch::Contains("outside 0..31"));
  in.q = in.k = in.v = Int8Tensor(Shape{1, 32, 64});
  CHECK_THROWS_WITH(k(in, {{"scale_shift", 4}}), Catch::Contains("64x64"));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
