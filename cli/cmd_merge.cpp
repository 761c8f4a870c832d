// `attncheck merge`: the aggregates of `suite --shard K/N` joined into the aggregate, JUnit and table of the whole suite.
#include <algorithm>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "cli/suite_file.hpp"
#include "compare/junit.hpp"
#include "compare/validation_report.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string json, junit;
};

struct ShardInput {
  std::string path;
  nlohmann::json aggregate;
  size_t index = 1, count = 1, suite_cases = 0;
};

// Cases of a `suite_cases`-case suite that shard `index` of `count` runs (index - 1 modulo count).
size_t cases_of_shard(size_t suite_cases, size_t index, size_t count) {
  return suite_cases >= index ? (suite_cases - index) / count + 1 : 0;
}

ShardInput read_shard(const std::string& path) {
  ShardInput s;
  s.path = path;
  s.aggregate = read_report_file(path, true);
  const nlohmann::json& j = s.aggregate;
  if (j.value("schema", "") != kSuiteSchemaId)
    throw InputError(path + ": a run report; merge joins suite aggregates (suite S.json --shard K/N --json F)");
  try {
    if (j.contains("shard")) {
      s.index = j["shard"].at("index").get<size_t>();
      s.count = j["shard"].at("count").get<size_t>();
      s.suite_cases = j["shard"].at("suite_cases").get<size_t>();
    } else {
      s.suite_cases = j.at("cases").size();  // an unsharded run: the one shard of one
    }
    if (s.count < 1 || s.index < 1 || s.index > s.count) throw InputError("");
    const size_t want = cases_of_shard(s.suite_cases, s.index, s.count), have = j.at("cases").size();
    if (have != want)
      throw InputError(path + ": shard " + std::to_string(s.index) + "/" + std::to_string(s.count) + " of a " +
                       std::to_string(s.suite_cases) + "-case suite runs " + std::to_string(want) + " cases, it has " +
                       std::to_string(have));
    (void)tally_suite_cases(j.at("cases"));  // every case readable: status, ids, report or reason or error
  } catch (const InputError& e) {
    if (*e.what()) throw;
    throw InputError(path + ": malformed \"shard\" (expected index K and count N with 1 <= K <= N, and suite_cases)");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": malformed suite aggregate (" + std::string(e.what()).substr(0, 200) + ")");
  }
  return s;
}

int merge_cmd(const MergeArgs& a) {
  if (a.inputs.empty()) throw InputError("merge: needs the shards' aggregates, one per shard (suite S.json --shard K/N --json F)");
  OutputSet::check("--json", a.json);
  OutputSet::check("--junit", a.junit);
  if (a.json == "-" || a.junit == "-") send_text_to_stderr();  // stdout carries the document alone
  {
    std::vector<PathRole> inputs;
    for (const auto& p : a.inputs) inputs.push_back({"merge input", p});
    check_distinct_paths(inputs, {{"--json", a.json}, {"--junit", a.junit}});
  }
  std::vector<ShardInput> shards;
  for (const auto& p : a.inputs) shards.push_back(read_shard(p));
  const ShardInput& first = shards.front();
  const std::string n = std::to_string(first.count);
  std::map<size_t, const ShardInput*> by_index;
  for (const auto& s : shards) {
    const std::string name = s.path + " (shard " + std::to_string(s.index) + "/" + std::to_string(s.count) + ")";
    if (s.count != first.count)
      throw InputError(name + ": " + first.path + " is one of " + n + " shards; every input must come from the same split");
    // The same suite, gates and tool: otherwise the cases would not be one campaign's.
    for (const char* key : {"suite", "gates_file", "tool"})
      if (s.aggregate.value(key, nlohmann::json()) != first.aggregate.value(key, nlohmann::json()))
        throw InputError(name + ": its \"" + key + "\" differs from " + first.path + "'s (" +
                         s.aggregate.value(key, nlohmann::json()).dump().substr(0, 120) + " vs " +
                         first.aggregate.value(key, nlohmann::json()).dump().substr(0, 120) + ")");
    if (s.suite_cases != first.suite_cases)
      throw InputError(name + ": a suite of " + std::to_string(s.suite_cases) + " cases, " + first.path + " of " +
                       std::to_string(first.suite_cases));
    if (!by_index.emplace(s.index, &s).second)
      throw InputError(name + ": " + by_index[s.index]->path + " is the same shard");
  }
  for (size_t k = 1; k <= first.count; ++k)
    if (!by_index.count(k)) {
      std::string given;
      for (const auto& [i, s] : by_index) given += (given.empty() ? "" : ", ") + std::to_string(i);
      throw InputError("merge: shard " + std::to_string(k) + "/" + n + " is missing (given: " + given + ")");
    }

  // Case i of the whole suite is case i / N of shard i % N + 1: suite order, as one unsharded run.
  nlohmann::json cases = nlohmann::json::array();
  for (size_t i = 0; i < first.suite_cases; ++i)
    cases.push_back(by_index[i % first.count + 1]->aggregate["cases"][i / first.count]);
  const SuiteTally t = tally_suite_cases(cases);
  const bool pass = t.failed == 0 && t.errors == 0 && t.not_run == 0;
  const nlohmann::json& suite = first.aggregate["suite"];
  const std::string suite_path = suite.value("path", std::string());
  nlohmann::json aggregate = {
      {"schema", kSuiteSchemaId},
      {"tool", first.aggregate["tool"]},
      {"command", "suite"},
      {"suite", suite},
      {"gates_file", first.aggregate["gates_file"]},
      {"cases", cases},
      {"summary", {{"cases", cases.size()}, {"passed", t.passed}, {"failed", t.failed}, {"errors", t.errors}, {"skipped", t.skipped}, {"not_run", t.not_run}}},
      {"pass", pass},
      {"merged", {{"shards", first.count}, {"inputs", a.inputs}}},
  };
  OutputSet outputs;
  if (!a.junit.empty()) outputs.write(a.junit, junit_xml("attncheck suite " + suite_path, t.junit));
  if (!a.json.empty()) outputs.write_json(a.json, aggregate);
  outputs.commit();
  std::ostringstream text;
  text << "attncheck " << ATTNCHECK_VERSION << " merge: " << n << " shard" << (first.count == 1 ? "" : "s") << " of suite "
       << suite_path << "  (" << cases.size() << " cases)\n\n"
       << t.table << "\n  " << t.passed << " passed, " << t.failed << " failed gates, " << t.errors << " errors, "
       << t.skipped << " skipped\n  verdict   " << (t.errors ? "ERROR" : t.failed ? "FAIL" : "PASS") << "\n";
  if (!a.json.empty()) text << "  report    " << a.json << "\n";
  print(text.str());
  return t.errors ? kExitBadInput : t.failed ? kExitGateFailed : kExitOk;
}

}  // namespace

void add_merge_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("merge", "Join the aggregates of `suite --shard K/N` (all N) into the whole suite's aggregate and JUnit");
  auto a = std::make_shared<MergeArgs>();
  cmd->add_option("inputs", a->inputs, "The N shards' `suite --json` aggregates, in any order")->required();
  cmd->add_option("--json", a->json, "Write the merged aggregate (attncheck.suite/1) here; - is stdout");
  cmd->add_option("--junit", a->junit, "Write the merged JUnit XML here (made from the aggregates, as `suite --junit` does)");
  cmd->callback([a, &exit_code] { exit_code = merge_cmd(*a); });
}

}  // namespace attncheck
