// Reads and checks attncheck-build.json, so a fixture or --param the xclbin was not built for is refused before any device.
#include "npu/build_manifest.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ref/errors.hpp"
#include "fixtures/input_file.hpp"

namespace attncheck {

std::string manifest_beside(const std::string& xclbin) {
  const std::filesystem::path p(xclbin);
  return (p.parent_path().empty() ? std::filesystem::path(kBuildManifestName) : p.parent_path() / kBuildManifestName)
      .string();
}

namespace {

int64_t whole(const nlohmann::json& j, const std::string& path, const std::string& key, int64_t lo, int64_t hi) {
  if (!j.contains(key) || !j[key].is_number_integer())
    throw InputError(path + ": '" + key + "' must be an integer");
  const int64_t v = j[key].get<int64_t>();
  if (v < lo || v > hi)
    throw InputError(path + ": '" + key + "' = " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return v;
}

}  // namespace

BuildManifest read_build_manifest(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path + ": no build manifest (kernels/<rev>/Makefile writes it beside final.xclbin; "
                            "give another with --build-manifest)");
  const std::string text = read_text_file(path);
  check_json_input(text, path);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InputError(path + ": not a JSON object (truncated or not a build manifest)");
  if (!j.contains("schema") || j["schema"] != "attncheck.build/1")
    throw InputError(path + ": schema is not attncheck.build/1");
  BuildManifest m;
  m.path = path;
  if (!j.contains("revision") || !j["revision"].is_string()) throw InputError(path + ": 'revision' must be a string");
  m.revision = j["revision"].get<std::string>();
  m.seq_len = whole(j, path, "seq_len", 1, int64_t(1) << 24);
  m.head_dim = whole(j, path, "head_dim", 1, 4096);
  if (!j.contains("buffers") || !j["buffers"].is_array() || j["buffers"].empty())
    throw InputError(path + ": 'buffers' must be a non-empty array");
  for (const auto& b : j["buffers"]) {
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string())
      throw InputError(path + ": every buffer needs a string 'name'");
    m.buffers.emplace_back(b["name"].get<std::string>(),
                           static_cast<size_t>(whole(b, path, "bytes", 1, int64_t(1) << 40)));
  }
  if (j.contains("baked")) {
    if (!j["baked"].is_object()) throw InputError(path + ": 'baked' must be an object of integers");
    for (const auto& [k, v] : j["baked"].items()) {
      if (!v.is_number_integer()) throw InputError(path + ": baked parameter '" + k + "' must be an integer");
      m.baked[k] = v.get<int64_t>();
    }
  }
  if (!j.contains("xclbin_sha256") || !j["xclbin_sha256"].is_string() || j["xclbin_sha256"].get<std::string>().size() != 64)
    throw InputError(path + ": no 'xclbin_sha256' (not sealed: the Makefile seals it once final.xclbin is built)");
  m.xclbin_sha256 = j["xclbin_sha256"].get<std::string>();
  return m;
}

void check_build_manifest(const BuildManifest& m, const std::string& xclbin, const std::string& xclbin_sha256,
                          const Revision& rev, const Shape& shape, const std::string& fixture_name,
                          const LaunchPlan& plan, const Params& params) {
  if (m.xclbin_sha256 != xclbin_sha256)
    throw InputError(m.path + ": sealed for an xclbin with sha256 " + m.xclbin_sha256.substr(0, 12) + "..., but " + xclbin +
                     " has " + xclbin_sha256.substr(0, 12) + "... (a manifest of another build)");
  if (m.revision != rev.name)
    throw InputError(m.path + ": the xclbin was built for revision " + m.revision + ", not --kernel " + rev.name);
  const int64_t s = rev.tile_only ? rev.tile : shape.seq;
  if (m.seq_len != s)
    throw InputError(fixture_name + ": S = " + std::to_string(s) + ", but " + xclbin + " was built for S = " +
                     std::to_string(m.seq_len) + " (" + m.path + "; rebuild with make SEQ=" + std::to_string(s) + ")");
  if (m.head_dim != shape.dim)
    throw InputError(fixture_name + ": D = " + std::to_string(shape.dim) + ", but " + xclbin + " was built for D = " +
                     std::to_string(m.head_dim) + " (" + m.path + ")");
  for (const auto& [name, value] : m.baked) {
    bool known = false;
    for (const auto& p : rev.params) known = known || p.name == name;
    if (!known) throw InputError(m.path + ": baked parameter '" + name + "' is not one of " + rev.name + "'s");
    const auto it = params.find(name);
    if (it != params.end() && it->second != value)
      throw InputError("--param " + name + "=" + std::to_string(it->second) + ": " + xclbin + " was built with " + name +
                       "=" + std::to_string(value) + ", which the device cannot change (" + m.path + ")");
  }
  const auto& want = plan.buffers();
  if (want.size() != m.buffers.size())
    throw InputError(m.path + ": the build has " + std::to_string(m.buffers.size()) + " runtime buffers, the host plans " +
                     std::to_string(want.size()) + " for " + rev.name);
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i].name != m.buffers[i].first || want[i].bytes != m.buffers[i].second)
      throw InputError(m.path + ": runtime buffer " + std::to_string(i) + " is " + m.buffers[i].first + " of " +
                       std::to_string(m.buffers[i].second) + " bytes in the build, the host plans " + want[i].name + " of " +
                       std::to_string(want[i].bytes));
}

}  // namespace attncheck
