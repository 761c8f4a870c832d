// `run --keep-outputs`: the arrays behind a report, saved beside it as .npy and read back with hash checks.
#include "cli/outputs.hpp"

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

OutputSet::~OutputSet() {
  for (const auto& p : written_) std::remove(p.c_str());
}

namespace {

// "-", or something that exists and is not a regular file (after links): written in place.
bool written_in_place(const std::string& path) {
  if (path == "-") return true;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  return !ec && fs::exists(st) && !fs::is_regular_file(st) && !fs::is_directory(st);
}

}  // namespace

void OutputSet::wrote(const std::string& path) {
  std::error_code ec;
  if (written_in_place(path) || fs::is_symlink(path, ec)) return;
  written_.push_back(path);
}

void OutputSet::check(const std::string& option, const std::string& given) {
  if (given.empty() || written_in_place(given)) return;
  std::error_code ec;
  if (fs::is_directory(given, ec)) throw InputError(option + " " + given + ": is a directory, expected a file name");
  std::string path = given;
  for (int hops = 0; fs::is_symlink(path, ec) && hops < 40; ++hops) {
    fs::path t = fs::read_symlink(path, ec);
    if (ec) break;
    path = (t.is_relative() ? fs::path(path).parent_path() / t : t).string();
  }
  const fs::path parent = fs::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  if (!fs::is_directory(dir, ec)) throw InputError(option + " " + given + ": directory " + dir + " does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw InputError(option + " " + given + ": directory " + dir + " is not writable");
}

nlohmann::json save_outputs(const std::string& json_path, const RunOutcome& r, OutputSet* set) {
  fs::path report(json_path);
  std::string stem = report.filename().string();
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".json") == 0) stem.resize(stem.size() - 5);
  const fs::path dir = report.parent_path();
  nlohmann::json out = {{"device", stem + ".device.npy"}, {"golden", stem + ".golden.npy"}, {"model", nullptr}};
  auto save = [&](const std::string& name, const NpyArray& a) {
    const std::string path = (dir / name).string();
    write_npy(path, a);
    if (set) set->wrote(path);
    out["sha256"][name] = sha256_file(path);
  };
  save(out["device"], int8_tensor_to_npy(r.device, false));
  save(out["golden"], double_tensor_to_npy(r.golden, false));
  if (r.model) {
    out["model"] = stem + ".model.npy";
    save(out["model"], int8_tensor_to_npy(*r.model, false));
  }
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
  check_json_depth(text, path);
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
