// Loads kernel packages from disk into revisions the registry's consumers take like the built-in ones.
#include "kernels/packages.hpp"

#include <deque>
#include <filesystem>
#include <mutex>

#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace fs = std::filesystem;

bool is_package_path(const std::string& spec) {
  for (const auto& r : revisions())
    if (r.name == spec) return false;
  std::error_code ec;
  return spec.find('/') != std::string::npos || (spec.size() > 5 && spec.compare(spec.size() - 5, 5, ".json") == 0) ||
         fs::is_directory(spec, ec);
}

nlohmann::json kernel_json(const Revision& rev, const Params& params) {
  nlohmann::json j = {{"revision", rev.name}, {"params", params}};
  if (const auto& p = rev.package)
    j["package"] = {{"builtin", p->builtin},
                    {"path", p->builtin ? "kernels/" + rev.name + "/kernel.json" : p->path},
                    {"sha256", p->sha256.empty() ? nlohmann::json(nullptr) : nlohmann::json(p->sha256)},
                    {"layout", layout_name(p->layout)},
                    {"model", p->model.empty() ? nlohmann::json(nullptr) : nlohmann::json(p->model)}};
  return j;
}

const Revision& resolve_kernel(const std::string& spec) {
  if (!is_package_path(spec)) return find_revision(spec);
  std::error_code ec;
  std::string file = spec;
  if (fs::is_directory(spec, ec)) {
    file = (fs::path(spec) / "kernel.json").string();
    if (!fs::exists(file, ec)) throw InputError(spec + ": a directory without kernel.json (not a kernel package)");
  } else if (!fs::exists(spec, ec)) {
    throw InputError(spec + ": no such kernel package (give DIR or DIR/kernel.json, or a built-in name)");
  }
  const std::string canonical = fs::weakly_canonical(file, ec).string();

  // Keyed by path and content: a process that lives on (a Python session) sees an edited kernel.json.
  static std::mutex mu;
  static std::deque<std::pair<std::string, Revision>> loaded;
  const std::string text = read_text_file(file);
  const std::string key = canonical + "\n" + sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  std::lock_guard<std::mutex> lock(mu);
  for (const auto& [k, rev] : loaded)
    if (k == key) return rev;

  check_json_input(text, file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file + ": not JSON (" + std::string(e.what()) + ")");
  }
  const std::string dir = fs::path(canonical).parent_path().string();
  KernelPackage pkg = parse_kernel_package(j, dir, file);
  pkg.sha256 = sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  for (const auto& src : pkg.sources) {
    // Only C goes to the compiler: a .so or .s source went to the linker (libc linked in, /etc/passwd
    // read as a linker script); headers come in through #include.
    if (fs::path(src).extension() != ".c")
      throw InputError(file + ": source " + src + " is not a .c file (sources are C files; headers come in through #include)");
    if (!fs::is_regular_file(src, ec)) throw InputError(file + ": source " + src + " is not a file");
  }
  loaded.emplace_back(key, revision_from_package(pkg));
  return loaded.back().second;
}

}  // namespace attncheck
