// Two reports side by side: metric deltas, regressions of B against A, and changed elements when outputs are kept.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/tensor.hpp"

namespace attncheck {

struct ElementChanges {
  size_t changed = 0, count = 0;   // elements of B's output that differ from A's
  size_t changed_rows = 0, rows = 0;  // rows (head, query position) with at least one change
};

// InputError when the shapes differ.
ElementChanges count_changes(const DoubleTensor& a, const DoubleTensor& b);

struct DiffResult {
  std::string text;                      // the side-by-side table a person reads
  std::vector<std::string> regressions;  // names of the metrics B made worse beyond the tolerance
  // Same inputs and the same kernel output (no element changed, or equal `output_sha256`): no
  // change, and no regression whatever the golden-side metrics did.
  bool unchanged = false;
  // The same as JSON (attncheck.diff/1 case): a, b, metrics [{name, a, b, delta, mark}], bit_exact,
  // changes, unchanged, regressions, verdict.
  nlohmann::json json;
};

// Per-metric tolerances: `absolute` for every metric unless `by_metric` names it; a worsening
// counts only when it exceeds both the absolute and `relative` x |A|.
struct DiffTolerance {
  DiffTolerance(double abs = 1e-9) : absolute(abs) {}  // NOLINT: a bare number is the absolute tolerance
  double absolute;
  double relative = 0;
  std::map<std::string, double> by_metric;  // "mae" -> absolute tolerance of that metric
  double for_metric(const std::string& name) const {
    const auto it = by_metric.find(name);
    return it == by_metric.end() ? absolute : it->second;
  }
};

// Compares metrics.vs_golden of `b` against `a`. Regressions: lower correlation, higher MAE or
// RMSE, a lower `within` share in any bucket, or bit-exactness (vs_model) lost, each by more than
// `tolerance` (absolute). max_abs_error, SQNR and cosine are shown but never gate.
// InputError "NAME: malformed report: ..." unless `r` has every field diff_reports reads, with
// the right types; diff_reports checks both reports with it first.
void check_diffable(const nlohmann::json& r, const std::string& name);

DiffResult diff_reports(const nlohmann::json& a, const std::string& a_name, const nlohmann::json& b,
                        const std::string& b_name, const DiffTolerance& tolerance,
                        const std::optional<ElementChanges>& changes);

// The names diff_reports compares, for checking --tolerance-for.
const std::vector<std::string>& diff_metric_names();

// A diff (or a suite diff) as Markdown, from its JSON.
std::string diff_markdown(const nlohmann::json& diff);
// InputError "WHERE: malformed diff: FIELD: ..." unless `d` has every field diff_markdown and
// diff_html read, with the right types (a diff's JSON given to `report` is user input).
void check_diff_json(const nlohmann::json& d, const std::string& where);
// Diffs (attncheck.diff/1) as one self-contained HTML page (`attncheck report D.json --html`).
std::string diff_html(const std::vector<nlohmann::json>& diffs);

}  // namespace attncheck
