// The runner's device-free half: buffer and argument layout per revision, tile assembly, the sentinel check, latency, watchdog.
#include <atomic>
#include <cstring>
#include <random>

#include <catch2/catch.hpp>

#include "compare/localize.hpp"
#include "kernels/device_layout.hpp"
#include "kernels/host_kernels.hpp"
#include "npu/launch_loop.hpp"
#include "ref/errors.hpp"
#include "ref/registry.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;

namespace {

AttentionInputs random_inputs(const Shape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-64, 63);
  AttentionInputs in;
  for (Int8Tensor* t : {&in.q, &in.k, &in.v}) {
    *t = Int8Tensor(s);
    for (auto& x : t->data) x = static_cast<int8_t>(d(rng));
  }
  return in;
}

Shape shape_for(const std::string& rev) { return rev == "precise-v1" ? Shape{2, 150, 64} : Shape{3, 64, 64}; }

template <class Fn>
Fn entry_of(const std::string& rev, const std::string& symbol) {
  for (const auto& e : builtin_entries())
    if (rev == e.revision && symbol == e.symbol) return reinterpret_cast<Fn>(e.address);
  FAIL("no host entry " << symbol << " for " << rev);
  return nullptr;
}

// A stand-in for the device: the revision's host-compiled core body on the packed buffers, with
// the launch's arguments exactly as the runner hands them over. It tests assembly, not the NPU.
DeviceStep host_core_step(const std::string& rev, const Params& p, int64_t seq) {
  return [rev, p, seq](size_t, const std::vector<std::vector<uint8_t>>& in, uint8_t* out, size_t out_bytes) {
    REQUIRE(out_bytes == 4096);
    if (rev == "precise-v1") {
      const auto* q = reinterpret_cast<const int8_t*>(in[0].data());
      const auto* kv = reinterpret_cast<const int8_t*>(in[1].data());
      std::vector<int32_t> row_max(64), acc(4096);
      std::vector<uint32_t> row_sum(64);
      const int64_t tiles = (seq + 63) / 64;
      const auto precise_v1_begin = entry_of<void (*)(int32_t*, int32_t*, uint32_t*)>(rev, "precise_v1_begin");
      const auto precise_v1_max_pass =
          entry_of<void (*)(const int8_t*, const int8_t*, int32_t, int32_t*)>(rev, "precise_v1_max_pass");
      const auto precise_v1_acc_pass = entry_of<void (*)(const int8_t*, const int8_t*, int32_t, const int32_t*, int32_t*, uint32_t*)>(
          rev, "precise_v1_acc_pass");
      const auto precise_v1_finish =
          entry_of<void (*)(const int8_t*, const int32_t*, const uint32_t*, int8_t*)>(rev, "precise_v1_finish");
      precise_v1_begin(row_max.data(), acc.data(), row_sum.data());
      for (int64_t t = 0; t < tiles; ++t)
        precise_v1_max_pass(q, kv + t * 8192, static_cast<int32_t>(std::min<int64_t>(64, seq - t * 64)), row_max.data());
      for (int64_t t = 0; t < tiles; ++t)
        precise_v1_acc_pass(q, kv + t * 8192, static_cast<int32_t>(std::min<int64_t>(64, seq - t * 64)), row_max.data(),
                            acc.data(), row_sum.data());
      precise_v1_finish(q, acc.data(), row_sum.data(), reinterpret_cast<int8_t*>(out));
    } else {
      const auto entry = entry_of<void (*)(const int8_t*, int8_t*, uint32_t)>(rev, "attention_64x64");
      entry(reinterpret_cast<const int8_t*>(in[0].data()), reinterpret_cast<int8_t*>(out),
            static_cast<uint32_t>(p.at("scale_shift")));
    }
    return 1.0;
  };
}

const std::vector<std::string> kDeviceRevisions = {"uc-legacy-int8", "uc-int32-lut", "precise-v1"};

}  // namespace

TEST_CASE("npu layout: every registry revision with a device layout is covered here") {
  for (const auto& rev : revisions()) {
    const AttentionInputs in = random_inputs(shape_for(rev.name), 1);
    bool has_layout = true;
    try {
      LaunchPlan(rev.name, in, runtime_params(rev, in, resolve_params(rev, {})));
    } catch (const InputError&) {
      has_layout = false;
    }
    if (has_layout)
      CHECK(std::find(kDeviceRevisions.begin(), kDeviceRevisions.end(), rev.name) != kDeviceRevisions.end());
  }
}

TEST_CASE("npu layout: instructions on group 1 (cacheable), data on groups 3.. (host_only) sized as the LaunchPlan") {
  for (const auto& name : kDeviceRevisions) {
    CAPTURE(name);
    const Revision& rev = find_revision(name);
    const AttentionInputs in = random_inputs(shape_for(name), 2);
    const LaunchPlan plan(name, in, runtime_params(rev, in, resolve_params(rev, {})));
    const auto k = kernel_buffers(plan, 37);
    REQUIRE(k.size() == plan.buffers().size() + 1);
    CHECK(k[0].group_id == 1);
    CHECK(k[0].cacheable);
    CHECK(k[0].bytes == 37 * 4);
    for (size_t b = 1; b < k.size(); ++b) {
      CHECK(k[b].group_id == static_cast<int>(b) + 2);  // 3, 4, ...: argument index == group id
      CHECK_FALSE(k[b].cacheable);
      CHECK(k[b].bytes == plan.buffers()[b - 1].bytes);
      CHECK(k[b].is_output == (b + 1 == k.size()));
    }
    CHECK(kNpuOpcode == 3u);
    if (name == "precise-v1") {
      // S = 150: 3 Q tiles per head, K|V pairs of all 3 key tiles in one buffer.
      CHECK(plan.launches() == 2 * 3);
      CHECK(k[1].bytes == 64 * 64 + 32);
      CHECK(k[2].bytes == 3 * 2 * 4096);
      CHECK(k[3].bytes == 4096);
    } else {
      CHECK(plan.launches() == 3);
      CHECK(k[1].bytes == 12288);
      CHECK(k[2].bytes == 4096);
    }
  }
}

TEST_CASE("npu assembly: launch by launch through an injected host-kernel step equals the model, every revision") {
  for (const auto& name : kDeviceRevisions) {
    CAPTURE(name);
    const Revision& rev = find_revision(name);
    const Shape s = shape_for(name);
    const AttentionInputs in = random_inputs(s, 3);
    const Params p = runtime_params(rev, in, resolve_params(rev, {}));
    const LaunchPlan plan(name, in, p);
    std::vector<size_t> seen;
    const DeviceStep inner = host_core_step(name, p, s.seq);
    DeviceStep step = [&](size_t i, const std::vector<std::vector<uint8_t>>& bufs, uint8_t* out, size_t n) {
      seen.push_back(i);
      // The loop must hand the device a sentinel-filled output buffer every call.
      for (size_t b = 0; b < n; ++b) REQUIRE(out[b] == 0x5A);
      return inner(i, bufs, out, n);
    };
    LoopOptions o;
    o.iterations = 2;
    o.warmup = 1;
    const LoopResult r = run_launch_loop(plan, s, step, o);
    CHECK(r.output.data == rev.model(in, p).data);
    CHECK(r.launches == plan.launches());
    CHECK(r.calls == plan.launches() * 3);
    CHECK(r.latency_us.size() == plan.launches() * 2);
    CHECK(r.untouched.empty());
    CHECK(r.unstable_launches.empty());
    REQUIRE(seen.size() == plan.launches() * 3);
    CHECK(seen.front() == 0);
    CHECK(seen.back() == plan.launches() - 1);
  }
}

TEST_CASE("npu sentinel: an output the device never writes is a DeviceError, not a result") {
  const Revision& rev = find_revision("uc-int32-lut");
  const AttentionInputs in = random_inputs({2, 64, 64}, 4);
  const LaunchPlan plan(rev.name, in, runtime_params(rev, in, resolve_params(rev, {})));
  DeviceStep nothing = [](size_t, const std::vector<std::vector<uint8_t>>&, uint8_t*, size_t) { return 1.0; };
  CHECK_THROWS_WITH(run_launch_loop(plan, in.shape(), nothing, {}),
                    Catch::Contains("output buffer was not written by the device"));
}

TEST_CASE("npu sentinel: half-written tiles are reported per launch and localized as untouched rows") {
  const Revision& rev = find_revision("uc-int32-lut");
  const Shape s{2, 64, 64};
  const AttentionInputs in = random_inputs(s, 5);
  const Params p = runtime_params(rev, in, resolve_params(rev, {}));
  const LaunchPlan plan(rev.name, in, p);
  const DeviceStep full = host_core_step(rev.name, p, 64);
  // Writes the tile into scratch, then only its first 32 rows into the output buffer.
  DeviceStep half = [&](size_t i, const std::vector<std::vector<uint8_t>>& b, uint8_t* out, size_t n) {
    std::vector<uint8_t> tmp(n);
    full(i, b, tmp.data(), n);
    std::memcpy(out, tmp.data(), n / 2);
    return 1.0;
  };
  const LoopResult r = run_launch_loop(plan, s, half, {});
  REQUIRE(r.untouched.size() == 2);
  for (const auto& u : r.untouched) {
    CHECK(u.rows == 64);
    CHECK(u.untouched == 32);
  }
  CHECK(sentinel_json(r, 0x5A)["untouched_rows"] == 64);
  const DoubleTensor dev = to_double(r.output), model = to_double(rev.model(in, p));
  const VsModel vm = compare_to_model(dev, model, model);
  const Localization loc = localize(dev, model, vm, launch_spans(plan, s));
  CHECK(loc.untouched_rows == vm.mismatch_rows.size());
  CHECK(loc.untouched_rows >= 60);  // a model row of 64 values all equal to 90 is possible, not likely
  REQUIRE(loc.ranges.size() == 2);
  CHECK(loc.ranges[0].head == 0);
  CHECK(loc.ranges[0].first_row >= 32);
  CHECK(loc.ranges[0].span->launch == 0);
  CHECK(loc.ranges[1].span->launch == 1);
  CHECK(loc.summary.find("sentinel") != std::string::npos);
}

TEST_CASE("npu sentinel: a launch whose repeated calls disagree is listed as unstable") {
  const Revision& rev = find_revision("uc-legacy-int8");
  const AttentionInputs in = random_inputs({1, 64, 64}, 6);
  const Params p = runtime_params(rev, in, resolve_params(rev, {}));
  const LaunchPlan plan(rev.name, in, p);
  const DeviceStep full = host_core_step(rev.name, p, 64);
  int call = 0;
  DeviceStep flaky = [&](size_t i, const std::vector<std::vector<uint8_t>>& b, uint8_t* out, size_t n) {
    full(i, b, out, n);
    if (call++ == 2) out[100] ^= 1;
    return 1.0;
  };
  LoopOptions o;
  o.iterations = 4;
  const LoopResult r = run_launch_loop(plan, in.shape(), flaky, o);
  CHECK(r.unstable_launches == std::vector<size_t>{0});
}

TEST_CASE("npu latency: mean, sample stddev and numpy-linear percentiles in microseconds") {
  std::vector<double> us;
  for (int i = 100; i >= 1; --i) us.push_back(i);
  const auto j = latency_json(us, 50, 3, 2);
  CHECK(j["unit"] == "us");
  CHECK(j["calls"] == 100);
  CHECK(j["mean"].get<double>() == Approx(50.5));
  CHECK(j["stddev"].get<double>() == Approx(29.011491975882016));
  CHECK(j["min"].get<double>() == 1);
  CHECK(j["max"].get<double>() == 100);
  CHECK(j["p50"].get<double>() == Approx(50.5));
  CHECK(j["p95"].get<double>() == Approx(95.05));
  CHECK(j["p99"].get<double>() == Approx(99.01));
  const auto one = latency_json({7.0}, 1, 0, 1);
  CHECK(one["stddev"].get<double>() == 0);
  CHECK(one["p99"].get<double>() == 7);
}

TEST_CASE("npu watchdog: fires when not disarmed in time, stays silent when disarmed") {
  std::atomic<bool> fired{false};
  {
    Watchdog w(std::chrono::milliseconds(20), [&] { fired = true; });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(fired);
  fired = false;
  {
    Watchdog w(std::chrono::milliseconds(5000), [&] { fired = true; });
    w.disarm();
  }
  CHECK_FALSE(fired);
}

TEST_CASE("npu watchdog: keep_armed outlives the object, so a failure's unwinding cannot disarm it") {
  auto fired = std::make_shared<std::atomic<bool>>(false);
  {
    Watchdog w(std::chrono::milliseconds(50), [fired] { *fired = true; });
    w.keep_armed();
  }  // destroyed at once, as when an exception unwinds the launch
  CHECK_FALSE(*fired);
  for (int i = 0; i < 200 && !*fired; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(*fired);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
