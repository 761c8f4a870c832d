// Issue 25's CI at scale: `suite --shard K/N` runs case K-1 modulo N, and `merge` of the N shards equals the unsharded run.
#include <algorithm>
#include <filesystem>
#include <regex>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(read_text(p)); }

// What two runs of the same cases may differ in: times (each report's duration_s and the
// JUnit's time attributes), the worker count (-j, "jobs") and the merge's own note of its inputs.
nlohmann::json without_times(nlohmann::json j) {
  j.erase("jobs");
  j.erase("merged");
  for (auto& c : j["cases"])
    if (c.contains("report")) c["report"].erase("duration_s");
  return j;
}
std::string junit_without_times(const std::string& xml) { return std::regex_replace(xml, std::regex(R"( time="[^"]*")"), ""); }

}  // namespace

TEST_CASE("issue 25: a suite split 4 ways and merged equals the unsharded run, in JSON and JUnit", "[cli][suite][merge]") {
  TempDir t;
  // 2 fixtures x 3 revisions x 3 backends = 18 cases of every verdict: PASS, FAIL (a gate), skip
  // (the head-tile revisions take 64x64 only) and ERROR (replay cases without a device output).
  const std::string seed42 = source_dir() + "/fixtures/seed42";
  REQUIRE(run_cli({"fixture", "make", "--recipe", "realistic", "--seed", "3", "--shape", "100x64", "--out", t.file("fx100")}).exit_code == 0);
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", seed42, "--out", t.file("dev.npy")}).exit_code == 0);
  write_bytes(t.file("gates.json"), R"({"min_correlation": 0.9})");
  const nlohmann::json suite = {
      {"fixtures", {seed42, t.file("fx100")}},
      {"revisions", {"uc-legacy-int8", "uc-int32-lut", "precise-v1"}},
      {"backends", {"model", "host", "replay"}},
      {"gates", t.file("gates.json")},
      {"cases", {{{"backend", "replay"}, {"fixture", seed42}, {"revision", "uc-int32-lut"}, {"device_output", t.file("dev.npy")}}}},
  };
  write_bytes(t.file("s.json"), suite.dump());
  const CliResult whole = run_cli({"suite", t.file("s.json"), "--json", t.file("whole.json"), "--junit", t.file("whole.xml")});
  INFO(whole.out << whole.err);
  REQUIRE(whole.exit_code == 2);  // the replay cases without an output are errors
  const nlohmann::json w = read_json(t.file("whole.json"));
  REQUIRE(w["cases"].size() == 18);
  std::map<std::string, int> statuses;
  for (const auto& c : w["cases"]) statuses[c["status"].get<std::string>() + (c.contains("report") ? (c["report"]["pass"] == true ? " pass" : " fail") : "")]++;
  CHECK(statuses["ok pass"] > 0);
  CHECK(statuses["ok fail"] > 0);
  CHECK(statuses["skipped"] > 0);
  CHECK(statuses["error"] > 0);

  std::vector<std::string> inputs;
  for (int k = 1; k <= 4; ++k) {
    const std::string shard = std::to_string(k) + "/4", json = t.file("shard" + std::to_string(k) + ".json");
    const CliResult r = run_cli({"suite", t.file("s.json"), "--shard", shard, "--json", json, "--junit", t.file("shard" + std::to_string(k) + ".xml")});
    INFO(r.out << r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2));
    // Shard K runs the cases whose index in suite order is K-1 modulo 4, in that order.
    const nlohmann::json s = read_json(json);
    std::vector<std::string> ids, want;
    for (const auto& c : s["cases"]) ids.push_back(c["id"]);
    for (size_t i = k - 1; i < w["cases"].size(); i += 4) want.push_back(w["cases"][i]["id"]);
    CHECK(ids == want);
    CHECK(s["shard"] == nlohmann::json({{"index", k}, {"count", 4}, {"suite_cases", 18}}));
    CHECK(r.out.find(" cases of 18: shard " + shard) != std::string::npos);
    inputs.push_back(json);
  }
  // Merged in any order: the same cases, reports and verdicts as the unsharded run, and its JUnit.
  const CliResult m = run_cli({"merge", inputs[2], inputs[0], inputs[3], inputs[1], "--json", t.file("merged.json"), "--junit", t.file("merged.xml")});
  INFO(m.out << m.err);
  CHECK(m.exit_code == whole.exit_code);
  const nlohmann::json merged = read_json(t.file("merged.json"));
  CHECK(merged["merged"]["shards"] == 4);
  CHECK(without_times(merged) == without_times(w));
  CHECK(merged["summary"] == w["summary"]);
  CHECK(junit_without_times(read_text(t.file("merged.xml"))) == junit_without_times(read_text(t.file("whole.xml"))));
  // The table reads as the suite's: the same case lines.
  const auto table = [](const std::string& out) {
    std::string lines;
    for (size_t p = out.find("\n  "); p != std::string::npos; p = out.find("\n  ", p + 1)) {
      const std::string line = out.substr(p + 1, out.find('\n', p + 1) - p - 1);
      if (line.rfind("  PASS", 0) == 0 || line.rfind("  FAIL", 0) == 0 || line.rfind("  skip", 0) == 0 || line.rfind("  ERROR", 0) == 0)
        lines += line + "\n";
    }
    return lines;
  };
  CHECK(table(m.out) == table(whole.out));
  CHECK(!table(m.out).empty());

  // What cannot be one campaign is refused in one line.
  for (const auto& [args, words] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"merge", inputs[0], inputs[1], inputs[3]}, "shard 3/4 is missing (given: 1, 2, 4)"},
           {{"merge", inputs[0], inputs[0], inputs[1], inputs[2], inputs[3]}, "is the same shard"},
           {{"merge", inputs[0], t.file("whole.json")}, "every input must come from the same split"},
           {{"merge", inputs[0], t.file("dev.npy")}, "dev.npy"},
           {{"suite", t.file("s.json"), "--shard", "5/4"}, "--shard 5/4: expected K/N with 1 <= K <= N"},
           {{"suite", t.file("s.json"), "--shard", "0/4"}, "--shard 0/4: expected K/N"},
           {{"suite", t.file("s.json"), "--shard", "two"}, "--shard two: expected K/N"},
       }) {
    const CliResult e = run_cli(args);
    CAPTURE(args);
    CHECK(e.exit_code == 2);
    REQUIRE(e.err_lines().size() == 1);
    CHECK(e.err.find(words) != std::string::npos);
  }
  // Another suite's shard is not this one's.
  nlohmann::json other = suite;
  other["revisions"] = {"uc-int32-lut"};
  write_bytes(t.file("other.json"), other.dump());
  REQUIRE(run_cli({"suite", t.file("other.json"), "--shard", "2/4", "--json", t.file("other2.json")}).exit_code != 4);
  const CliResult e = run_cli({"merge", inputs[0], t.file("other2.json"), inputs[2], inputs[3]});
  CHECK(e.exit_code == 2);
  CHECK(e.err.find("its \"suite\" differs from") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
