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
  // The integer model: the revision's arithmetic written from the spec, stage by stage.
  AttentionFn model;
};

const std::vector<Revision>& revisions();
// InputError "unknown revision 'x' (known: a, b, c)".
const Revision& find_revision(const std::string& name);

// Defaults overridden by "k=v" strings; InputError names the offending "--param k=v".
Params resolve_params(const Revision& rev, const std::vector<std::string>& overrides);
// InputError when the revision is not defined for this shape.
void check_shape(const Revision& rev, const Shape& shape, const std::string& where);

}  // namespace attncheck
