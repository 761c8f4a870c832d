// One `run`: golden, model and a backend on one fixture, compared, as a report and a readable summary.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/backends.hpp"
#include "compare/gates.hpp"
#include "compare/metrics.hpp"
#include "fixtures/fixture.hpp"

namespace attncheck {

struct RunRequest {
  std::string revision;
  std::string fixture_dir;
  // Inputs already in memory (the Python module): used instead of reading fixture_dir.
  std::optional<Fixture> fixture;
  std::string backend;  // empty: default_backend() of the revision (the model, or a package's host build)
  std::vector<std::string> params;  // "k=v" overrides
  BackendOptions backend_options;
  std::optional<GatesFile> gates;  // checked into the report's `gates` and `pass`; exit 1 when one fails
  // The verdict's own checks (docs/gates-and-reports.md, "Default checks"): a backend other than
  // the model must equal it bit for bit unless this is set (or a gates file sets
  // require_bit_exact: false); constant and never-written outputs fail regardless.
  bool allow_mismatch = false;
  // `auto` without a device runs the model: the device checks are skipped and the run exits 3,
  // unless this is set (then 0, with the skips in the text, JSON and JUnit).
  bool allow_fallback = false;
  // Stage progress on stderr (terminal) or periodic lines (CI logs): `run` sets it; a suite's
  // workers do not (the suite shows its cases).
  bool progress = false;
};

struct RunOutcome {
  nlohmann::json report;
  std::string summary;  // the table printed on stdout
  int exit_code = 0;
  // The arrays behind the metrics, for `--keep-outputs`, `diff` and the plots of `report`.
  Int8Tensor device;
  std::optional<Int8Tensor> model;  // empty when the backend is the model
  FloatTensor golden;               // FP32 as computed, in output LSB (saved and returned as float64)
};

// Everything is computed before anything is written, so an error leaves no report behind.
RunOutcome execute_run(const RunRequest& req);

// Refuses, naming fixture.json, scales that put the golden model of `precision` out of range
// (Inf/NaN outputs, or logits that make it argmax attention): ref/golden.hpp's golden_range_problem.
void check_golden_range(const Fixture& fx, bool fp64);

// Pieces every report shares.
nlohmann::json tool_json();
nlohmann::json fixture_json(const Fixture& fx);
std::string format_number(double v, int precision = 4);
std::string at_text(const std::array<int64_t, 3>& a);
// The metrics table, one column per comparison against golden, so that the algorithm's accuracy
// (model vs golden) and the device's (device vs golden) read side by side.
std::string metrics_table(const std::vector<std::pair<std::string, const VsGolden*>>& cols);
// "+1 in 1004, -1 in 980 (-1 to 1)": device - model by frequency, the first `max_listed` values.
std::string difference_histogram_text(const VsModel& vs_model, size_t max_listed = 6);
// One sentence on device vs model: bit-exact, or how many differ and where the first is.
std::string model_verdict_line(const VsModel& vs_model, size_t count);

}  // namespace attncheck
