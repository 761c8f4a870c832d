// compare/localize on planted faults: ranges, launches and input bytes, constant offsets, zero rows, per-head counts.
#include <catch2/catch.hpp>

#include "compare/localize.hpp"
#include "kernels/device_layout.hpp"
#include "npu/launch_loop.hpp"
#include "ref/registry.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;

namespace {

DoubleTensor ramp(const Shape& s) {
  DoubleTensor t(s);
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<double>(static_cast<int>(i % 201) - 100);
  return t;
}

size_t at(const Shape& s, int64_t h, int64_t r, int64_t c) { return static_cast<size_t>((h * s.seq + r) * s.dim + c); }

}  // namespace

TEST_CASE("localize: a constant offset on rows of one head, mapped to the Q bytes of its launch") {
  const Shape s{2, 64, 64};
  const DoubleTensor model = ramp(s);
  DoubleTensor dev = model;
  for (int64_t r = 10; r <= 12; ++r)
    for (int64_t c = 0; c < 64; ++c) dev.data[at(s, 1, r, c)] += 3;
  AttentionInputs in;
  in.q = in.k = in.v = Int8Tensor(s);
  const Revision& rev = find_revision("uc-int32-lut");
  const LaunchPlan plan(rev.name, in, runtime_params(rev, in, resolve_params(rev, {})));
  const VsModel vm = compare_to_model(dev, model, model);
  const Localization loc = localize(dev, model, vm, launch_spans(plan, s));
  CHECK(loc.per_head == std::vector<size_t>{0, 192});
  REQUIRE(loc.ranges.size() == 1);
  const RowRange& r = loc.ranges[0];
  CHECK(r.head == 1);
  CHECK(r.first_row == 10);
  CHECK(r.last_row == 12);
  CHECK(r.full_rows == 3);
  REQUIRE(r.span);
  CHECK(r.span->launch == 1);
  CHECK(r.span->row_buffer == "qkv");
  CHECK(r.span->row_group_id == 3);
  CHECK(r.byte_begin == 640);
  CHECK(r.byte_end == 831);
  REQUIRE(loc.constant_offset);
  CHECK(*loc.constant_offset == 3);
  CHECK(loc.summary.find("off by +3") != std::string::npos);
  CHECK(loc.summary.find("head 1 rows 10-12 = launch 1 qkv (group 3) bytes 640..831") != std::string::npos);
  nlohmann::json j = to_json(vm);
  add_localization(&j, loc, vm.bit_exact);
  CHECK(j["pattern"]["row_ranges"][0]["input"]["bytes"] == nlohmann::json::array({640, 831}));
  CHECK(j["mismatches_per_head"] == nlohmann::json::array({0, 192}));
}

TEST_CASE("localize: a row range crossing precise-v1's Q tiles splits at the launch boundary, zero rows counted") {
  const Shape s{1, 150, 64};
  const DoubleTensor model = ramp(s);
  DoubleTensor dev = model;
  for (int64_t r = 60; r <= 70; ++r)
    for (int64_t c = 0; c < 64; ++c) dev.data[at(s, 0, r, c)] = 0;
  AttentionInputs in;
  in.q = in.k = in.v = Int8Tensor(s);
  const Revision& rev = find_revision("precise-v1");
  const LaunchPlan plan(rev.name, in, runtime_params(rev, in, resolve_params(rev, {})));
  const VsModel vm = compare_to_model(dev, model, model);
  const Localization loc = localize(dev, model, vm, launch_spans(plan, s));
  REQUIRE(loc.ranges.size() == 2);
  CHECK(loc.ranges[0].first_row == 60);
  CHECK(loc.ranges[0].last_row == 63);
  CHECK(loc.ranges[0].span->launch == 0);
  CHECK(loc.ranges[0].byte_begin == 60 * 64);
  CHECK(loc.ranges[1].first_row == 64);
  CHECK(loc.ranges[1].last_row == 70);
  CHECK(loc.ranges[1].span->launch == 1);
  CHECK(loc.ranges[1].byte_begin == 0);
  CHECK(loc.ranges[1].byte_end == 7 * 64 - 1);
  CHECK(loc.zero_rows == 11);
  CHECK_FALSE(loc.constant_offset);
  CHECK(loc.summary.find("11 of these rows are all zero") != std::string::npos);
}

TEST_CASE("localize: without a layout the ranges carry no launch, and a bit-exact output has no pattern") {
  const Shape s{1, 8, 4};
  const DoubleTensor model = ramp(s);
  DoubleTensor dev = model;
  dev.data[at(s, 0, 2, 1)] -= 1;
  dev.data[at(s, 0, 5, 3)] += 2;
  const VsModel vm = compare_to_model(dev, model, model);
  const Localization loc = localize(dev, model, vm);
  REQUIRE(loc.ranges.size() == 2);
  CHECK_FALSE(loc.ranges[0].span);
  CHECK(loc.ranges[0].full_rows == 0);
  CHECK_FALSE(loc.constant_offset);
  nlohmann::json j = to_json(vm);
  add_localization(&j, loc, false);
  CHECK(j["pattern"]["row_ranges"][1]["input"].is_null());

  const VsModel same = compare_to_model(model, model, model);
  nlohmann::json k = to_json(same);
  add_localization(&k, localize(model, model, same), true);
  CHECK_FALSE(k.contains("pattern"));
  CHECK(k["mismatches_per_head"] == nlohmann::json::array({0}));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
