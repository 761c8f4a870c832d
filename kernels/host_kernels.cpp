// The `host` backend: feeds each revision's host-compiled device source exactly as the NPU design feeds the core.
#include "kernels/host_kernels.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/device_layout.hpp"
#include "kernels/host_symbols.h"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

constexpr int64_t kTile = 64;
constexpr size_t kTileBytes = kTile * kTile;

// Runs every launch of the revision's LaunchPlan: pack the buffers the design's runtime sequence
// would move, call what the core calls, and place the output tile, exactly as the NPU runner does.
template <class CoreBody>
Int8Tensor run_launches(const std::string& revision, const AttentionInputs& in, const Params& params, CoreBody body) {
  const LaunchPlan plan(revision, in, params);
  Int8Tensor out(in.shape());
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<uint8_t> out_tile(plan.buffers().back().bytes);
  for (size_t i = 0; i < plan.launches(); ++i) {
    plan.pack(i, &inputs);
    body(inputs, out_tile.data());
    plan.unpack(i, out_tile.data(), &out);
  }
  return out;
}

using QkvTileEntry = void (*)(const int8_t* qkv, int8_t* out, uint32_t scale_shift);

// The historical interface: one Q|K|V buffer in, one tile out, scale_shift as a scalar argument.
HostKernel qkv_tile_kernel(const std::string& revision, QkvTileEntry entry) {
  HostKernel k;
  k.revision = revision;
  k.entries = {"attention_64x64"};
  k.run = [revision, entry](const AttentionInputs& in, const Params& params) {
    const int64_t shift = params.at("scale_shift");
    // A shift by 32 or more is undefined in C: refuse it rather than run undefined code.
    if (shift < 0 || shift > 31)
      throw InputError("--backend host: scale_shift " + std::to_string(shift) + " outside 0..31");
    return run_launches(revision, in, params, [&](const std::vector<std::vector<uint8_t>>& bufs, uint8_t* out) {
      entry(reinterpret_cast<const int8_t*>(bufs[0].data()), reinterpret_cast<int8_t*>(out),
            static_cast<uint32_t>(shift));
    });
  };
  return k;
}

// precise-v1: the core body of kernels/precise-v1/design.py, one (head, Q tile) launch at a time.
HostKernel precise_v1_kernel() {
  HostKernel k;
  k.revision = "precise-v1";
  k.entries = {"precise_v1_begin", "precise_v1_max_pass", "precise_v1_acc_pass", "precise_v1_finish"};
  k.run = [](const AttentionInputs& in, const Params& params) {
    const int64_t S = in.shape().seq;
    const int64_t tiles = (S + kTile - 1) / kTile;
    std::vector<int32_t> row_max(kTile), acc(kTileBytes);
    std::vector<uint32_t> row_sum(kTile);
    return run_launches("precise-v1", in, params, [&](const std::vector<std::vector<uint8_t>>& bufs, uint8_t* out) {
      const auto* q_rtp = reinterpret_cast<const int8_t*>(bufs[0].data());
      const auto* kv = reinterpret_cast<const int8_t*>(bufs[1].data());
      precise_v1_begin(row_max.data(), acc.data(), row_sum.data());
      for (int64_t t = 0; t < tiles; ++t)
        precise_v1_max_pass(q_rtp, kv + t * 2 * kTileBytes, static_cast<int32_t>(std::min(kTile, S - t * kTile)),
                            row_max.data());
      for (int64_t t = 0; t < tiles; ++t)
        precise_v1_acc_pass(q_rtp, kv + t * 2 * kTileBytes, static_cast<int32_t>(std::min(kTile, S - t * kTile)),
                            row_max.data(), acc.data(), row_sum.data());
      precise_v1_finish(q_rtp, acc.data(), row_sum.data(), reinterpret_cast<int8_t*>(out));
    });
  };
  return k;
}

}  // namespace

const std::vector<HostKernel>& host_kernels() {
  // One entry per revision with a device source; kernels/tests fail for a registry revision missing here.
  static const std::vector<HostKernel> all = {
      qkv_tile_kernel("uc-legacy-int8", &uc_legacy_int8_attention_64x64),
      qkv_tile_kernel("uc-int32-lut", &uc_int32_lut_attention_64x64),
      precise_v1_kernel(),
  };
  return all;
}

const HostKernel* find_host_kernel(const std::string& revision) {
  for (const auto& k : host_kernels())
    if (k.revision == revision) return &k;
  return nullptr;
}

AttentionFn host_kernel_for(const std::string& revision) {
  const HostKernel* k = find_host_kernel(revision);
  return k ? k->run : AttentionFn();
}

const KernelFacts* find_kernel_facts(const std::string& revision) {
  for (const auto& f : kernel_facts())
    if (f.revision == revision) return &f;
  return nullptr;
}

std::string host_compiler() { return ATTNCHECK_HOST_C_COMPILER; }

}  // namespace attncheck
