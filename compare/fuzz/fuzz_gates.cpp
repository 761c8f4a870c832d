// libFuzzer target: any bytes as a gates file, parsed and then checked against a real report's metrics.
#include <cstdint>
#include <string>

#include "compare/gates.hpp"
#include "ref/errors.hpp"
#include "ref/registry.hpp"

using namespace attncheck;

namespace {

// Metrics as a run writes them, with a null correlation so the undefined-metric path runs too.
const nlohmann::json& sample_metrics() {
  static const nlohmann::json m = nlohmann::json::parse(R"({
    "vs_golden": {"correlation": null, "correlation_reason": "constant output", "mae": 0.5, "rmse": 0.7,
                  "max_abs_error": 3.0, "max_abs_error_at": [0, 1, 2],
                  "within": {"0": 0.1, "1": 0.6, "2": 0.8, "5": 0.99, "10": 1.0},
                  "sqnr_db": 20.0, "cosine": 0.99, "output_range": [-3, 4], "count": 4096},
    "vs_model": {"bit_exact": false, "mismatches": 1, "mismatch_rows": [[0, 1]],
                 "first_mismatches": [{"at": [0, 1, 2], "device": 3, "model": 0, "golden": 0.5}]}})");
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  GatesFile g;
  try {
    g = parse_gates_text(std::string(reinterpret_cast<const char*>(data), size), "gates.json");
  } catch (const InputError&) {
    return 0;
  }
  // A file that parses must evaluate without throwing for every revision: `run` does this after
  // the minutes of work, where a late exception would lose the result.
  for (const auto& r : revisions()) {
    const nlohmann::json gates = evaluate_gates(gates_for_revision(g, r.name), sample_metrics());
    (void)gates_pass(gates);
    (void)gates_summary(gates);
  }
  return 0;
}
