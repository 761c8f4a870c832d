// Two reports side by side: metric deltas, regressions of B against A, and changed elements when outputs are kept.
#pragma once
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
};

// Compares metrics.vs_golden of `b` against `a`. Regressions: lower correlation, higher MAE or
// RMSE, a lower `within` share in any bucket, or bit-exactness (vs_model) lost, each by more than
// `tolerance` (absolute). max_abs_error, SQNR and cosine are shown but never gate.
// InputError "NAME: malformed report: ..." unless `r` has every field diff_reports reads, with
// the right types; diff_reports checks both reports with it first.
void check_diffable(const nlohmann::json& r, const std::string& name);

DiffResult diff_reports(const nlohmann::json& a, const std::string& a_name, const nlohmann::json& b,
                        const std::string& b_name, double tolerance, const std::optional<ElementChanges>& changes);

}  // namespace attncheck
