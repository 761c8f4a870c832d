// The time figures of array-simulator runs as `sim --insts` and `run --backend sim` report and print them (docs/aie2-timing.md).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "sim/array/timeline.hpp"

namespace attncheck {

// The scheduler quantum of the array simulator's command-line runs: small enough that a lock
// hand-off between a core and the DMA is seen within 64 cycles (docs/aie2-timing.md).
constexpr uint32_t kTimedQuantum = 64;

// The report's "timing" object: the clock and where it comes from, and each call's call_timing.
nlohmann::json timing_json(const aie2::array::Clock& clock, const nlohmann::json& calls);
// Text lines: the predicted time per call, per core busy / stalled cycles.
std::string timing_text(const nlohmann::json& timing);
// Text lines: each core's functions by inclusive share.
std::string profile_text(const nlohmann::json& profile, size_t top = 8);

}  // namespace attncheck
