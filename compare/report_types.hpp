// The report as types: one reader, checked against the schema's types, for gates, diff, report, JUnit and suite.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/metrics.hpp"

namespace attncheck {

// One entry of a report's `gates` (docs/report-schema.md): the value and threshold stay JSON
// because a gate may compare a boolean (require_bit_exact) or meet an undefined value (null).
struct GateResult {
  std::string name, metric;
  nlohmann::json threshold, value;
  bool pass = false;
  bool skipped = false;  // a device check that a fallback run could not make
  std::string reason;
};

// metrics: the comparisons and what localize.cpp found in the mismatches.
struct ReportMetrics {
  VsGolden vs_golden;
  std::optional<VsGolden> model_vs_golden;  // absent when the backend is the model
  std::optional<VsModel> vs_model;
  std::vector<int64_t> mismatches_per_head;
  std::string where;   // vs_model.pattern.summary: row ranges mapped to launches and input bytes
  std::string writes;  // vs_model.attribution.summary: the stores that explain them (sim)
  std::optional<double> constant_offset;
  int64_t zero_rows = 0, untouched_rows = 0;
};

// An attncheck.report/1 document read back. The open-ended parts (backend facts, the device,
// latency) stay JSON: their keys differ by backend and are shown, not computed with.
struct RunReport {
  std::string fixture_path, recipe;
  std::array<int64_t, 3> shape{};
  std::optional<uint64_t> seed;
  std::map<std::string, std::string> input_sha256;  // "q.npy" -> hex
  std::string revision;
  nlohmann::json params = nlohmann::json::object();
  std::string backend, backend_description;
  nlohmann::json backend_facts = nlohmann::json::object();  // every backend key beside name and description
  ReportMetrics metrics;
  std::vector<GateResult> gates;
  bool pass = false;
  // Non-empty when the report's pass is null (no device ran: auto fell back to the model): why.
  // Such a report is neither PASS nor FAIL but NOT RUN.
  std::string not_run;
  std::string output_sha256;  // "" in reports written before it existed
  nlohmann::json device, latency, golden;  // null when absent
  std::string tool_version;
};

// InputError "WHERE: malformed report: metrics.vs_golden.mae: expected a number, got \"<scr...\""
// for the first field whose type differs from the schema's (values quoted at most 40 characters).
VsGolden vs_golden_from_json(const nlohmann::json& j, const std::string& where, const std::string& field);
VsModel vs_model_from_json(const nlohmann::json& j, const std::string& where, const std::string& field);
ReportMetrics metrics_from_json(const nlohmann::json& j, const std::string& where);
std::vector<GateResult> gates_from_json(const nlohmann::json& j, const std::string& where);
RunReport run_report_from_json(const nlohmann::json& j, const std::string& where);

// A metric by its gate/diff name ("correlation", "mae", "within.5", "sqnr_db", ...): the value,
// or nullopt when it is undefined (correlation of a constant output) or the name is unknown.
std::optional<double> metric_value(const VsGolden& g, const std::string& name);

}  // namespace attncheck
