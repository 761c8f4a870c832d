// The validation report a reviewer reads, from JSON reports: Markdown for CI summaries, HTML with inline SVG plots.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/tensor.hpp"

namespace attncheck {

// The aggregate of `attncheck suite`: one attncheck.report/1 per case inside (docs/suite.schema.json).
constexpr const char* kSuiteSchemaId = "attncheck.suite/1";

// The arrays behind one report (kept by `run --keep-outputs`), all in output LSB.
struct OutputArrays {
  DoubleTensor device, golden;
  // A plain tensor and a flag: std::optional of a tensor here sets off GCC 12's -Wmaybe-uninitialized.
  DoubleTensor model;
  bool has_model = false;  // false when the backend was the model (device is the model)
};

// One checked case: a run report, or a suite case that could not run (`error` set, `report` null).
struct ReportEntry {
  std::string source;  // the file it came from, and the case id for suite cases
  nlohmann::json report;
  std::optional<OutputArrays> arrays;
  std::string error;
};

// "PASS", "FAIL" (a gate failed) or "ERROR" (did not run).
std::string entry_verdict(const ReportEntry& e);
// PASS only when every entry passed.
std::string overall_verdict(const std::vector<ReportEntry>& entries);

// GitHub-flavoured Markdown, sized for a CI job summary: verdict, one table row per case, then
// per case the metrics against the gates, provenance and mismatch localization. No plots.
std::string render_markdown(const std::vector<ReportEntry>& entries);

// One self-contained HTML page: inline CSS and SVG, no script, no external resource.
std::string render_html(const std::vector<ReportEntry>& entries);

// Pieces both renderers share.
namespace report_detail {

struct MetricRow {
  std::string label;
  std::string device, model;  // formatted; model empty when the report has no model_vs_golden
  std::string threshold;      // "" when no gate checks this metric
  std::string gate_verdict;   // "PASS", "FAIL" or ""
};
std::vector<MetricRow> metric_rows(const nlohmann::json& report);
std::string fmt(const nlohmann::json& v, int precision = 6);
std::string str(const nlohmann::json& v, const std::string& fallback = "n/a");
// A share in [0, 1], floored at 4 decimals (never rounded up across a threshold).
std::string share(const nlohmann::json& v);
// Key facts, in reading order: [label, value].
std::vector<std::pair<std::string, std::string>> provenance(const nlohmann::json& report);
// One sentence on device vs model.
std::string model_line(const nlohmann::json& report);

}  // namespace report_detail
}  // namespace attncheck
