// `run --keep-outputs`: the arrays behind a report, saved beside it as .npy and read back with hash checks.
#include "cli/outputs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compare/report.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace fs = std::filesystem;

namespace {

// What identifies a file: device and inode when it exists, else its absolute lexical path with
// links resolved as far as they exist (weakly_canonical), so fx/../fx/q.npy and a link to it match.
struct FileId {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string path;
  bool operator==(const FileId& o) const {
    return exists == o.exists && (exists ? dev == o.dev && ino == o.ino : path == o.path);
  }
};

FileId file_id(const std::string& p) {
  FileId id;
  struct stat st;
  if (::stat(p.c_str(), &st) == 0) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    return id;
  }
  std::error_code ec;
  id.path = fs::weakly_canonical(fs::absolute(p, ec), ec).string();
  if (ec) id.path = fs::absolute(p).lexically_normal().string();
  return id;
}

}  // namespace

void OutputSet::write_json(const std::string& path, const nlohmann::json& j) {
  tx_.stage(path, report_json_text(j));
}

void OutputSet::write_npy(const std::string& path, const NpyArray& a) {
  const std::vector<uint8_t> bytes = encode_npy(a);
  tx_.stage(path, std::string(bytes.begin(), bytes.end()));
}

void check_distinct_paths(const std::vector<PathRole>& inputs, const std::vector<PathRole>& outputs) {
  std::vector<std::pair<const PathRole*, FileId>> seen;
  for (const PathRole& o : outputs) {
    if (o.path.empty() || written_in_place(o.path)) continue;
    const FileId id = file_id(o.path);
    for (const PathRole& in : inputs) {
      if (in.path.empty() || in.path == "-") continue;
      if (file_id(in.path) == id)
        throw InputError(o.option + " " + o.path + ": is the input " + in.option + "; an output never replaces what the command reads");
    }
    for (const auto& [other, other_id] : seen)
      if (other_id == id)
        throw InputError(o.option + " " + o.path + ": is also " + other->option + " " + other->path + "; each output needs its own file");
    seen.emplace_back(&o, id);
  }
}

std::vector<std::string> kept_output_paths(const std::string& json_path, bool with_model) {
  fs::path report(json_path);
  std::string stem = report.filename().string();
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".json") == 0) stem.resize(stem.size() - 5);
  std::vector<std::string> out;
  for (const char* kind : {".device.npy", ".golden.npy", ".model.npy"}) {
    if (!with_model && std::string(kind) == ".model.npy") continue;
    out.push_back((report.parent_path() / (stem + kind)).string());
  }
  return out;
}

void OutputSet::check(const std::string& option, const std::string& given) {
  if (given.empty() || written_in_place(given)) return;
  std::error_code ec;
  if (fs::is_directory(given, ec)) throw InputError(option + " " + given + ": is a directory, expected a file name");
  const std::string path = resolve_write_target(given);
  fs::path parent = fs::path(path).parent_path();
  // Missing directories are created when the output is written (`--json r/v2.json` makes r/): the
  // nearest one that exists must be a writable directory, and no part of the path a file.
  while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.parent_path()) parent = parent.parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  if (!fs::is_directory(dir, ec)) throw InputError(option + " " + given + ": " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InputError(option + " " + given + ": directory " + dir + " is not writable");
}

nlohmann::json save_outputs(const std::string& json_path, const RunOutcome& r, OutputSet& set) {
  const std::vector<std::string> paths = kept_output_paths(json_path, r.model.has_value());
  nlohmann::json out = {{"model", nullptr}};
  auto save = [&](const char* key, const std::string& path, const NpyArray& a) {
    const std::string name = fs::path(path).filename().string();
    const std::vector<uint8_t> bytes = encode_npy(a);
    set.write(path, std::string(bytes.begin(), bytes.end()));
    out[key] = name;
    out["sha256"][name] = sha256_hex(bytes.data(), bytes.size());
  };
  save("device", paths[0], int8_tensor_to_npy(r.device, false));
  save("golden", paths[1], double_tensor_to_npy(to_double(r.golden), false));
  if (r.model) save("model", paths[2], int8_tensor_to_npy(*r.model, false));
  return out;
}

std::optional<KeptOutputs> load_outputs(const nlohmann::json& report, const std::string& report_path) {
  if (!report.contains("outputs") || report["outputs"].is_null()) return std::nullopt;
  const nlohmann::json& o = report["outputs"];
  const fs::path dir = fs::path(report_path).parent_path();
  auto load = [&](const std::string& name) {
    // save_outputs writes plain names beside the report; anything else (an absolute path, "..",
    // /dev/zero) would make a report read, or hang on, files it never wrote.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
      throw InputError(report_path + ": kept output '" + name + "' is not a file name beside the report");
    const std::string path = (dir / name).string();
    if (!fs::exists(path)) throw InputError(report_path + ": kept output " + path + " is missing");
    const std::string want = o.value("sha256", nlohmann::json::object()).value(name, std::string());
    if (!want.empty() && sha256_file(path) != want)
      throw InputError(report_path + ": kept output " + path + " changed since the report was written (SHA-256 differs)");
    return npy_to_double_tensor(read_npy(path), path);
  };
  try {
    std::optional<KeptOutputs> k(std::in_place);
    k->device = load(o.at("device").get<std::string>());
    k->golden = load(o.at("golden").get<std::string>());
    if (o.contains("model") && o["model"].is_string()) {
      k->model = load(o["model"].get<std::string>());
      k->has_model = true;
    }
    if (k->device.shape != k->golden.shape || (k->has_model && k->model.shape != k->device.shape))
      throw InputError(report_path + ": kept outputs have different shapes");
    return k;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(report_path + ": malformed 'outputs': " + std::string(e.what()));
  }
}

nlohmann::json read_report_file(const std::string& path, bool allow_suite) {
  return parse_report_text(read_text_file(path), path, allow_suite);
}

nlohmann::json parse_report_text(const std::string& text, const std::string& path, bool allow_suite) {
  check_json_input(text, path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw InputError(path + ": not a JSON report");
  }
  // value() would throw a type error on a non-string schema; such a file is simply not a report.
  const auto it = j.is_object() ? j.find("schema") : j.end();
  const std::string schema = (j.is_object() && it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
  if (schema == kReportSchemaId || (allow_suite && schema == kSuiteSchemaId)) return j;
  throw InputError(path + ": schema '" + schema + "', expected " + kReportSchemaId +
                   (allow_suite ? std::string(" or ") + kSuiteSchemaId : std::string()));
}

}  // namespace attncheck
