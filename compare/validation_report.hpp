// The validation report a reviewer reads, from JSON reports: Markdown for CI summaries, HTML with inline SVG plots.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/report_types.hpp"
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

// One checked case: a run report, or a suite case that could not run (`error` set, `report`
// null) or was skipped (`skipped` holds the reason, `report` null).
struct ReportEntry {
  std::string source;  // the file it came from, and the case id for suite cases
  nlohmann::json report;
  std::optional<RunReport> run;  // `report` read into types (run_report_from_json); empty when it did not run
  std::optional<OutputArrays> arrays;
  std::string error;
  // Why the plots that need the arrays are missing although the report named kept outputs (a
  // file removed or changed since); "" when they loaded or none were kept.
  std::string arrays_note;
  std::string skipped;
  std::string revision, fixture, backend;  // from the report, or from the suite case that did not run
};

// "PASS", "FAIL" (a gate failed), "ERROR" (did not run) or "SKIP" (a suite case not defined for
// its fixture's shape: shown in the grid, not counted against the verdict).
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
std::vector<MetricRow> metric_rows(const RunReport& report);
std::string fmt(const nlohmann::json& v, int precision = 6);
std::string str(const nlohmann::json& v, const std::string& fallback = "n/a");
std::string num(double v, int precision);
std::string num(const MaybeValue& v, int precision);  // "n/a (reason)" when undefined
// Key facts, in reading order: [label, value].
std::vector<std::pair<std::string, std::string>> provenance(const RunReport& report);
// One sentence on device vs model.
std::string model_line(const RunReport& report);
// What the report found beyond its metrics, as [label, sentence] in reading order: where the
// mismatching rows are and which launch and input bytes they map to (`where`), which stores
// explain them (`writes`), a constant offset, all-zero and never-written rows, and the stack (sim).
std::vector<std::pair<std::string, std::string>> findings(const RunReport& report);
// Per head of a multi-head fixture: mismatches against the model (from the report), MAE and
// largest |error| against golden (only with the arrays).
struct HeadRow {
  int64_t head = 0;
  std::optional<int64_t> mismatches;
  std::optional<double> mae, max_abs;
};
std::vector<HeadRow> head_rows(const RunReport& report, const OutputArrays* arrays);
// Suites as a revision x fixture grid: one row per revision, one column per fixture, each cell
// "backend VERDICT" for every backend of that pair. Empty when there is only one cell.
struct Grid {
  std::vector<std::string> revisions, fixtures;
  std::vector<std::vector<std::vector<std::pair<std::string, std::string>>>> cells;  // [rev][fixture] -> (backend, verdict)
};
Grid suite_grid(const std::vector<ReportEntry>& entries);
// How many entries have each verdict, for the line under the banner.
struct VerdictCounts {
  size_t pass = 0, fail = 0, error = 0, skip = 0, not_run = 0;
};
VerdictCounts count_verdicts(const std::vector<ReportEntry>& entries);

}  // namespace report_detail
}  // namespace attncheck
