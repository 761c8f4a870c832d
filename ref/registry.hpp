// The one list of kernel revisions: CLI, tests, host kernels and the NPU runner all expand from it.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ref/tensor.hpp"

namespace attncheck {

using Params = std::map<std::string, int64_t>;

struct ParamSpec {
  std::string name;
  int64_t default_value;
  int64_t min, max;  // inclusive; the arithmetic is only defined inside (e.g. shifts below 32)
  std::string help;
};

// Runs one revision over every head of the inputs and returns the int8 output (H, S, D).
using AttentionFn = std::function<Int8Tensor(const AttentionInputs&, const Params&)>;

struct Revision {
  std::string name;
  std::string summary;  // one line, for `attncheck kernels`
  std::vector<ParamSpec> params;
  // Historical revisions are defined for one 64x64 tile per head only.
  bool tile_only = false;
  int64_t tile = 64;
  // Required head dimension D when not tile_only (0: any).
  int64_t head_dim = 0;
  // Parameters a built design fixes (the historical designs pass scale_shift = 4 from the core
  // program): a backend that runs a built binary (sim, npu) cannot honour an override of these.
  std::vector<std::string> baked_params;
  // The integer model: the revision's arithmetic written from the spec, stage by stage.
  AttentionFn model;
  // Completes the user's params with what the host derives before launching the kernel
  // (precise-v1: fixed-point multipliers and shifts from the fixture's scales and S). The
  // model, the host kernel and the NPU runner all take the completed set. Null: nothing to derive.
  std::function<Params(const AttentionInputs&, const Params&)> derive;
};

const std::vector<Revision>& revisions();
// InputError "unknown revision 'x' (known: a, b, c)".
const Revision& find_revision(const std::string& name);

// Defaults overridden by "k=v" strings; InputError names the offending "--param k=v".
Params resolve_params(const Revision& rev, const std::vector<std::string>& overrides);
// The runtime params of `rev` for these inputs: user params completed by rev.derive.
Params runtime_params(const Revision& rev, const AttentionInputs& in, const Params& user);

// InputError when the revision is not defined for this shape.
void check_shape(const Revision& rev, const Shape& shape, const std::string& where);

}  // namespace attncheck
