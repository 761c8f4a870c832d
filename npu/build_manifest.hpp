// What an xclbin was built for (revision, S, buffer sizes, parameters baked into the design), read from the manifest the Makefile writes beside it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/device_layout.hpp"
#include "ref/registry.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// kernels/<rev>/Makefile writes build/attncheck-build.json (schema attncheck.build/1) from the
// design itself (design.py --manifest), then seals it with the sha256 of the final.xclbin it built.
struct BuildManifest {
  std::string path;
  std::string revision;
  int64_t seq_len = 0;   // keys per head the design unrolls for
  int64_t head_dim = 0;  // D
  std::vector<std::pair<std::string, size_t>> buffers;  // runtime-sequence arguments, in order
  Params baked;                                         // parameters the design fixes
  std::string xclbin_sha256;
};

constexpr const char* kBuildManifestName = "attncheck-build.json";

// The manifest beside an xclbin: <dir of xclbin>/attncheck-build.json.
std::string manifest_beside(const std::string& xclbin);

// InputError naming the file for a missing, truncated or malformed manifest.
BuildManifest read_build_manifest(const std::string& path);

// InputError, one line, when the build cannot run this request as asked: another revision, another
// S or D than the fixture's, a buffer the host plans at another size, a --param that overrides a
// baked one, or a manifest sealed for another xclbin (`xclbin_sha256`: of the file given).
void check_build_manifest(const BuildManifest& m, const std::string& xclbin, const std::string& xclbin_sha256,
                          const Revision& rev, const Shape& fixture_shape, const std::string& fixture_name,
                          const LaunchPlan& plan, const Params& user_params);

}  // namespace attncheck
