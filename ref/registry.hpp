// The one list of kernel revisions: every kernels/<rev>/kernel.json with its integer model; CLI, tests, host kernels, sim and NPU runner expand it.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ref/kernel_package.hpp"
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
// The integer model's output and the FP32 golden (golden_attention_fp32 at `logit_scale`) of the
// same inputs, made together where a model can share their work; each equals its own call bit for bit.
struct ModelAndGolden {
  Int8Tensor model;
  FloatTensor golden;
};
using ModelWithGoldenFn = std::function<ModelAndGolden(const AttentionInputs&, const Params&, double logit_scale)>;

struct Revision {
  std::string name;
  std::string summary;  // one line, for `attncheck kernels`
  std::vector<ParamSpec> params;
  // Historical revisions are defined for one 64x64 tile per head only.
  bool tile_only = false;
  int64_t tile = 64;      // S of the tile
  int64_t tile_dim = 64;  // D of the tile
  // Required head dimension D when not tile_only (0: any).
  int64_t head_dim = 0;
  // Parameters a built design fixes (the historical designs pass scale_shift = 4 from the core
  // program): a backend that runs a built binary (sim, npu) cannot honour an override of these.
  std::vector<std::string> baked_params;
  // The integer model: the revision's arithmetic written from the spec, stage by stage. Empty for a
  // package that names no model: its host-compiled source is then the reference.
  AttentionFn model;
  // The model with the golden in one pass (empty: none; callers then make the two separately).
  ModelWithGoldenFn model_with_golden;
  // The kernel package this revision was made from (every revision has one); its layout drives
  // LaunchPlan, its sources the host backend, its ELF/xclbin the sim and NPU defaults.
  std::shared_ptr<const KernelPackage> package;
  // Completes the user's params with what the host derives before launching the kernel
  // (e.g. fixed-point multipliers and shifts from the fixture's scales and S). The
  // model, the host kernel and the NPU runner all take the completed set. Null: nothing to derive.
  std::function<Params(const AttentionInputs&, const Params&)> derive;
};

// The registry: every built-in revision, one per kernels/<rev>/kernel.json (embedded at build time),
// each held to the built-in integer model its package names.
const std::vector<Revision>& revisions();
// InputError "unknown revision 'x' (known: a, b, c)". Built-in names only; kernel packages on disk
// resolve through kernels/packages.hpp's resolve_kernel.
const Revision& find_revision(const std::string& name);

// kernels/<rev>/kernel.json as embedded by ref/CMakeLists.txt (generated builtin_packages.cpp).
struct BuiltinPackageText {
  const char* dir;   // kernels/<rev> in the source tree, absolute
  const char* json;  // kernel.json's text
};
const std::vector<BuiltinPackageText>& builtin_package_texts();

// The integer models, by name: what a package's "model" may name. Adding a revision adds its
// model here and its kernels/<rev>/ directory, nothing else.
const std::vector<Revision>& models();
const Revision* find_model(const std::string& name);

// The revision a package describes: its params and tile, held to the model it names (InputError,
// naming pkg.path, when the package and the model disagree on params or tile).
Revision revision_from_package(const KernelPackage& pkg);
// "<name>" for a built-in, "<name> (<kernel.json path>)" for a package on disk.
std::string revision_label(const Revision& rev);

// Defaults overridden by "k=v" strings; InputError names the offending "--param k=v".
Params resolve_params(const Revision& rev, const std::vector<std::string>& overrides);
// The runtime params of `rev` for these inputs: user params completed by rev.derive.
Params runtime_params(const Revision& rev, const AttentionInputs& in, const Params& user);

// InputError when the revision is not defined for this shape.
void check_shape(const Revision& rev, const Shape& shape, const std::string& where);

}  // namespace attncheck
