// The registry: every revision listed once, parameters and shapes checked with one-line errors.
#include <catch2/catch.hpp>

#include <set>

#include "ref/errors.hpp"
#include "ref/registry.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;

TEST_CASE("every revision is listed once, with a model and a summary", "[registry]") {
  std::set<std::string> names;
  for (const auto& r : revisions()) {
    CHECK(names.insert(r.name).second);
    CHECK(static_cast<bool>(r.model));
    CHECK_FALSE(r.summary.empty());
  }
  CHECK(names.count("uc-legacy-int8"));
  CHECK(names.count("uc-int32-lut"));
  CHECK(names.count("precise-v1"));
}

TEST_CASE("unknown revisions and bad params are one-line InputErrors", "[registry]") {
  CHECK_THROWS_WITH(find_revision("nope"), Catch::Contains("unknown revision") && Catch::Contains("uc-int32-lut"));
  const Revision& r = find_revision("uc-int32-lut");
  CHECK(resolve_params(r, {}).at("scale_shift") == 4);
  CHECK(resolve_params(r, {"scale_shift=3"}).at("scale_shift") == 3);
  CHECK_THROWS_WITH(resolve_params(r, {"scale_shift=32"}), Catch::Contains("out of range 0..31"));
  CHECK_THROWS_WITH(resolve_params(r, {"scale_shift=x"}), Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(resolve_params(r, {"scale_shift"}), Catch::Contains("NAME=INTEGER"));
  CHECK_THROWS_WITH(resolve_params(r, {"shift=3"}), Catch::Contains("no parameter 'shift'"));
  CHECK_THROWS_WITH(resolve_params(r, {"scale_shift=99999999999999999999"}), Catch::Contains("not an integer"));
}

TEST_CASE("tile-only revisions reject other shapes, precise-v1 takes any S at D = 64", "[registry]") {
  CHECK_NOTHROW(check_shape(find_revision("uc-int32-lut"), Shape{8, 64, 64}, "f"));
  CHECK_THROWS_WITH(check_shape(find_revision("uc-int32-lut"), Shape{1, 200, 64}, "f"),
                    Catch::StartsWith("f: uc-int32-lut is defined for 64x64 tiles"));
  CHECK_THROWS_AS(check_shape(find_revision("uc-legacy-int8"), Shape{1, 64, 32}, "f"), InputError);
  CHECK_NOTHROW(check_shape(find_revision("precise-v1"), Shape{8, 1500, 64}, "f"));
  CHECK_NOTHROW(check_shape(find_revision("precise-v1"), Shape{1, 1, 64}, "f"));
  CHECK_THROWS_WITH(check_shape(find_revision("precise-v1"), Shape{1, 64, 32}, "f"), Catch::Contains("D=64"));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
