// Atomic report writing, full reports checked against docs/report.schema.json, and the validator's own teeth.
#include <catch2/catch.hpp>

#include <filesystem>

#include "compare/metrics.hpp"
#include "compare/report.hpp"
#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
namespace t = attncheck::testing;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

t::CliResult validate(const std::string& dir) {
  return t::run_program({t::python(), t::source_dir() + "/compare/tests/validate_reports.py",
                         t::source_dir() + "/docs/report.schema.json", dir});
}

// Arrays shaped like a small run: the golden, the integer model (off by rounding), a device.
struct Outputs {
  DoubleTensor golden, model, device;
};

Outputs outputs(Shape s, bool device_matches_model) {
  Outputs o{DoubleTensor(s), DoubleTensor(s), DoubleTensor(s)};
  for (size_t i = 0; i < o.golden.data.size(); ++i) {
    o.golden.data[i] = std::sin(0.37 * static_cast<double>(i)) * 60.0;
    o.model.data[i] = std::round(o.golden.data[i] + ((i % 5 == 0) ? 0.6 : 0.0));
    o.device.data[i] = o.model.data[i];
  }
  if (!device_matches_model) {
    o.device.at(0, 1, 2) += 1;
    o.device.at(s.heads - 1, s.seq - 1, 0) -= 3;
  }
  return o;
}

nlohmann::json base_report(const std::string& command, Shape s) {
  return {{"schema", kReportSchemaId},
          {"tool", {{"name", "attncheck"}, {"version", "0.1.0"}}},
          {"command", command},
          {"fixture",
           {{"path", "fixtures/small"},
            {"shape", {s.heads, s.seq, s.dim}},
            {"seed", 1234},
            {"recipe", "numpy-randint"},
            {"scales", nullptr},
            {"sha256",
             {{"q.npy", std::string(64, 'a')}, {"k.npy", std::string(64, 'b')}, {"v.npy", std::string(64, 'c')}}}}},
          {"kernel", {{"revision", "uc-int32-lut@3f2a"}, {"params", {{"shift", 7}, {"lut_bits", 8}}}}},
          {"backend", {{"name", "model"}, {"description", "the bit-exact integer model"}}},
          {"golden", {{"precision", "fp32"}, {"logit_scale", nullptr}}},
          {"gates", nlohmann::json::array()},
          {"pass", true},
          {"seed", 1234}};
}

std::string bad_report_text() {
  // The correlation as the string "NaN" is what a careless NaN-to-JSON path produces.
  nlohmann::json r = base_report("run", {1, 2, 3});
  r["metrics"] = {{"vs_golden", to_json(compare_to_golden(outputs({1, 2, 3}, true).model, outputs({1, 2, 3}, true).golden))}};
  r["metrics"]["vs_golden"]["correlation"] = "NaN";
  return r.dump(2);
}

}  // namespace

TEST_CASE("write_file_atomic replaces the file and leaves no temp file", "[compare][report]") {
  t::TempDir dir;
  const std::string path = dir.file("report.json");
  write_file_atomic(path, "first\n");
  CHECK(t::read_text(path) == "first\n");
  write_file_atomic(path, "second, longer than the first\n");
  CHECK(t::read_text(path) == "second, longer than the first\n");
  write_file_atomic(path, "");
  CHECK(t::read_text(path).empty());
  CHECK(dir_entries(dir.path()) == std::vector<std::string>{"report.json"});
}

TEST_CASE("write_file_atomic creates a missing directory, and a set never committed leaves none behind", "[compare][report]") {
  t::TempDir dir;
  const std::string path = dir.file("no/such/dir/report.json");
  write_file_atomic(path, "x");
  CHECK(t::read_text(path) == "x");
  {
    FileTransaction tx;
    tx.stage(dir.file("other/deeper/a.json"), "a");
    CHECK(std::filesystem::is_directory(dir.file("other/deeper")));
  }  // destroyed before commit(): its file and the directories it made are gone
  CHECK_FALSE(std::filesystem::exists(dir.file("other")));
  // A path through a file is still an InputError naming the path.
  t::write_bytes(dir.file("plain"), "p");
  try {
    write_file_atomic(dir.file("plain/report.json"), "x");
    FAIL("no InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).rfind(dir.file("plain/report.json") + ": cannot write: ", 0) == 0);
  }
}

TEST_CASE("write_file_atomic over a directory fails and cleans up its temp file", "[compare][report]") {
  t::TempDir dir;
  fs::create_directory(dir.file("taken"));
  fs::create_directory(dir.file("taken/inner"));  // a non-empty directory cannot be renamed over
  CHECK_THROWS_AS(write_file_atomic(dir.file("taken"), "x"), InputError);
  CHECK(dir_entries(dir.path()) == std::vector<std::string>{"taken"});
  CHECK_THROWS_WITH(write_file_atomic(dir.path() + "/", "x"), Catch::Contains("cannot write"));
}

TEST_CASE("write_json_atomic writes indented JSON with a trailing newline", "[compare][report]") {
  t::TempDir dir;
  const nlohmann::json j = {{"a", 1}, {"b", {1, 2}}};
  write_json_atomic(dir.file("r.json"), j);
  const std::string text = t::read_text(dir.file("r.json"));
  CHECK(text == j.dump(2) + "\n");
  CHECK(nlohmann::json::parse(text) == j);
}

TEST_CASE("full reports satisfy the schema", "[compare][report][schema]") {
  const Shape s{2, 4, 8};
  std::vector<std::pair<std::string, nlohmann::json>> reports;

  {  // `run` on the model backend: no vs_model, since the device is the model.
    const Outputs o = outputs(s, true);
    nlohmann::json r = base_report("run", s);
    r["metrics"] = {{"vs_golden", to_json(compare_to_golden(o.model, o.golden))}};
    reports.emplace_back("run_model", r);
  }
  {  // `run` on a device that disagrees with the model in two rows, with scales and a failing gate.
    const Outputs o = outputs(s, false);
    nlohmann::json r = base_report("run", s);
    r["backend"] = {{"name", "npu"}, {"description", "Phoenix NPU via XRT"}, {"xclbin", "attn.xclbin"}};
    r["fixture"]["two_d"] = false;
    r["fixture"]["scales"] = {{"q", 0.02}, {"k", 0.02}, {"v", 0.05}, {"out", 0.1}};
    r["golden"]["logit_scale"] = 0.125;
    r["metrics"] = {{"vs_golden", to_json(compare_to_golden(o.device, o.golden))},
                    {"vs_model", to_json(compare_to_model(o.device, o.model, o.golden))},
                    {"model_vs_golden", to_json(compare_to_golden(o.model, o.golden))}};
    REQUIRE_FALSE(r["metrics"]["vs_model"]["bit_exact"].get<bool>());
    r["gates"] = {{{"name", "bit_exact"}, {"threshold", true}, {"value", false}, {"pass", false}},
                  {{"name", "min_correlation"}, {"threshold", 0.99}, {"value", 0.999}, {"pass", true}}};
    r["pass"] = false;
    r["latency"] = {{"unit", "us"}, {"iterations", 2}, {"warmup", 1}, {"launches", 1}, {"calls", 2},
                    {"mean", 812.5}, {"stddev", 1.5}, {"min", 811.0}, {"p50", 812.5}, {"p95", 813.9},
                    {"p99", 814.0}, {"max", 814.0}, {"samples", {811.0, 814.0}}};  // npu/launch_loop.cpp's layout
    reports.emplace_back("run_npu", r);
  }
  {  // `compare` on bare arrays: no fixture directory, no seed, and a constant device output.
    const Outputs o = outputs(s, true);
    DoubleTensor flat(s, 3.0);
    nlohmann::json r = base_report("compare", s);
    r["fixture"] = {{"path", nullptr},
                    {"shape", {s.heads, s.seq, s.dim}},
                    {"seed", nullptr},
                    {"recipe", nullptr},
                    {"scales", nullptr},
                    {"sha256", {{"out.npy", std::string(64, '0')}, {"golden.npy", std::string(64, 'f')}}}};
    r["seed"] = nullptr;
    r["kernel"] = {{"revision", nullptr}, {"params", nlohmann::json::object()}};
    r["backend"] = {{"name", "external"}, {"description", "arrays given to compare"}};
    r.erase("golden");
    r["metrics"] = {{"vs_golden", to_json(compare_to_golden(flat, o.golden))}};
    REQUIRE(r["metrics"]["vs_golden"]["correlation"].is_null());
    reports.emplace_back("compare_constant", r);
  }
  {  // Identical arrays: SQNR undefined, every bucket full.
    const Outputs o = outputs(s, true);
    nlohmann::json r = base_report("compare", s);
    r["backend"] = {{"name", "replay"}, {"description", "a recorded device output"}};
    r["metrics"] = {{"vs_golden", to_json(compare_to_golden(o.model, o.model))},
                    {"vs_model", to_json(compare_to_model(o.model, o.model, o.golden))}};
    REQUIRE(r["metrics"]["vs_golden"]["sqnr_db"].is_null());
    reports.emplace_back("compare_identical", r);
  }

  t::TempDir dir;
  for (const auto& [name, r] : reports) {
    t::keep_report(r, "compare_" + name);  // report_schema validates these with everything else
    write_json_atomic(dir.file(name + ".json"), r);
  }
  // Checked here too, so a schema break names this test rather than only the final report_schema.
  const t::CliResult v = validate(dir.path());
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  CHECK(v.out.find(std::to_string(reports.size()) + " passed, 0 failed") != std::string::npos);
}

TEST_CASE("the validator rejects a bad report", "[compare][report][schema]") {
  t::TempDir dir;
  fs::create_directory(dir.file("nested"));
  t::write_bytes(dir.file("nested/bad.json"), bad_report_text());
  const t::CliResult v = validate(dir.path());
  INFO(v.out << v.err);
  CHECK(v.exit_code == 1);
  CHECK(v.out.find("bad.json: /metrics/vs_golden/correlation:") != std::string::npos);
  CHECK(v.out.find("0 passed, 1 failed") != std::string::npos);
}

TEST_CASE("the validator rejects non-JSON NaN and unparsable files", "[compare][report][schema]") {
  t::TempDir dir;
  nlohmann::json r = nlohmann::json::parse(bad_report_text());
  r["metrics"]["vs_golden"]["correlation"] = 0.5;
  std::string text = r.dump(2);
  const std::string key = "\"correlation\": 0.5";
  REQUIRE(text.find(key) != std::string::npos);
  text.replace(text.find(key), key.size(), "\"correlation\": NaN");
  t::write_bytes(dir.file("nan.json"), text);
  t::write_bytes(dir.file("cut.json"), "{\"schema\": ");
  const t::CliResult v = validate(dir.path());
  INFO(v.out << v.err);
  CHECK(v.exit_code == 1);
  CHECK(v.out.find("0 passed, 2 failed") != std::string::npos);
}

TEST_CASE("the validator fails on a directory without reports", "[compare][report][schema]") {
  t::TempDir dir;
  t::write_bytes(dir.file("notes.txt"), "not a report");
  const t::CliResult empty = validate(dir.path());
  CHECK(empty.exit_code == 1);
  CHECK(empty.out.find("0 passed, 0 failed") != std::string::npos);
  CHECK(validate(dir.file("missing")).exit_code == 1);
}

TEST_CASE("the validator refuses a schema that accepts everything", "[compare][report][schema]") {
  t::TempDir dir;
  t::write_bytes(dir.file("lax.schema.json"), "{}");
  fs::create_directory(dir.file("reports"));
  t::write_bytes(dir.file("reports/bad.json"), bad_report_text());
  const t::CliResult v = t::run_program({t::python(), t::source_dir() + "/compare/tests/validate_reports.py",
                                         dir.file("lax.schema.json"), dir.file("reports")});
  INFO(v.out << v.err);
  CHECK(v.exit_code == 1);
  CHECK(v.out.find("self-check: a broken report is accepted") != std::string::npos);
}

TEST_CASE("the example in docs/report-schema.md is a valid report", "[compare][report][schema]") {
  // Keeping the documented example as a report makes report_schema catch a doc that drifted.
  const std::string doc = t::read_text(t::source_dir() + "/docs/report-schema.md");
  const std::string open = "```json\n";
  const size_t begin = doc.find(open);
  REQUIRE(begin != std::string::npos);
  const size_t end = doc.find("```", begin + open.size());
  REQUIRE(end != std::string::npos);
  const nlohmann::json example = nlohmann::json::parse(doc.substr(begin + open.size(), end - begin - open.size()));
  CHECK(example["schema"] == kReportSchemaId);
  t::keep_report(example, "compare_doc_example");
  t::TempDir dir;
  write_json_atomic(dir.file("example.json"), example);
  const t::CliResult v = validate(dir.path());
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
