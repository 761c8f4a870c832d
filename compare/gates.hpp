// Accuracy gates: a JSON file of thresholds, checked against a report's metrics into pass/fail verdicts.
#pragma once
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "compare/report_types.hpp"

namespace attncheck {

// One set of thresholds. Absent fields are not checked.
struct GateSpec {
  std::optional<double> min_correlation, max_mae, max_rmse, max_abs_error;
  std::map<int, double> min_within;  // bucket (LSB, one of kWithinBuckets) -> least share in [0, 1]
  std::optional<bool> require_bit_exact;
};

struct GatesFile {
  std::string path;
  GateSpec defaults;
  // "revisions": {"NAME": {...}}: fields given there replace the defaults for that revision only.
  std::map<std::string, GateSpec> by_revision;
};

// Every problem (missing file, not JSON, unknown key, wrong type, non-finite or out-of-range
// number, unknown revision) is one InputError line starting with the file name.
GatesFile load_gates(const std::string& path);
GatesFile parse_gates(const nlohmann::json& j, const std::string& name);
// The file's text parsed as load_gates does: the entry point of the gates fuzz target.
GatesFile parse_gates_text(const std::string& text, const std::string& name);

// The defaults with the revision's overrides applied field by field.
GateSpec gates_for_revision(const GatesFile& g, const std::string& revision);

// "312 of 4096 elements differ; first at [0, 22, 0]: device 17 model -3": why a bit-exactness
// check failed, in the gate's `reason` and on its summary line.
std::string bit_exact_failure(const VsModel& vs_model, size_t count);

// The report's `gates` array for `metrics` (a report's `metrics` object): one item per threshold,
// {name, metric, threshold, value, pass}. An undefined metric (null) fails its gate.
nlohmann::json evaluate_gates(const GateSpec& spec, const nlohmann::json& metrics);
// The same on metrics read into types (compare/report_types.hpp): the JSON form reads through it.
nlohmann::json evaluate_gates(const GateSpec& spec, const ReportMetrics& metrics);
bool gates_pass(const nlohmann::json& gates);

// `v` printed with at least `precision` decimals, and more until the printed number stands on the
// same side of `threshold` as `v` does (and differs from it when `v` does): 0.9999948 against a
// threshold of 1 prints 0.999995 at 6, never 1.0000 at 4. Shares are floored, never rounded up.
// With `floor`, each candidate is floored rather than rounded (for shares).
std::string format_decisive(double v, double threshold, int precision, bool floor = false);
// A share in [0, 1] floored at `precision` decimals: 0.99976 is "0.9997", never "0.9998" or "1.0000".
std::string format_share(double share, int precision);
// A share in [0, 1] as a percentage, floored at `decimals`: 0.9999948 is "99.9%", never "100.0%".
std::string format_share_percent(double share, int decimals = 1);

// One line per gate, for the summary a person reads: "  PASS  min_correlation  0.9160 >= 0.99".
std::string gates_summary(const nlohmann::json& gates);

}  // namespace attncheck
