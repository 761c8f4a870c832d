// Time on the array simulator: the NPU1 clock, per-call timing figures, the optional event record (lock waits, BD transfers, calls) behind --trace and the per-function profile.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/core.hpp"

namespace attncheck::aie2::array {

struct DmaChannel;

// The AIE array clock cycles are converted at (docs/aie2-timing.md).
struct Clock {
  double mhz = 0;
  std::string source;
};
// The default: 1024 MHz, the npu1 H clock (the array clock) of amd/xdna-driver's npu1 DPM levels
// 1..4, and the earlier driver's fixed NPU1_HCLK_FREQ_MAX; `override_mhz` replaces it (--clock-mhz).
Clock npu1_clock(std::optional<double> override_mhz = std::nullopt);
// The other npu1 H-clock levels the driver's table names, for reports: {MHz, what}.
std::vector<std::pair<double, std::string>> npu1_clock_levels();

// The timing of one XRT call from the array's reports before and after it (Array::report())
// and its length in cycles: per core busy / lock-stalled / stream-stalled cycles, per DMA
// channel active and waiting cycles, and the predicted time at `clock`.
nlohmann::json call_timing(const nlohmann::json& before, const nlohmann::json& after, uint64_t cycles, const Clock& clock);

// One function's share of a core's time: inclusive of its callees (every cycle between its entry
// and its return, lock stalls included) and self (bundles it issued plus the stalls it sat in).
struct FunctionTime {
  std::string name;
  uint64_t calls = 0, inclusive = 0, self_bundles = 0, self_stall = 0;
};

// The optional event record of a run. Given to the array through ArrayOptions::timeline; a run
// without one records nothing and pays nothing. `trace` keeps spans for the trace file;
// `profile` makes each core count its bundles and calls (Core::set_profile).
class Timeline {
 public:
  Timeline(bool trace, bool profile) : trace_(trace), profile_(profile) {}
  bool tracing() const { return trace_; }

  // Hooks the array calls.
  CoreProfile* core_started(int col, int row, const CompiledProgram* prog, uint64_t now);
  void core_blocked(int col, int row, uint64_t from, uint64_t to, uint32_t pc, int lock);
  void core_done(int col, int row, uint64_t at);
  void bd_loaded(const DmaChannel& ch, uint64_t now);
  void bd_moving(const DmaChannel& ch, uint64_t now);
  void bd_released(const DmaChannel& ch, uint64_t now);
  void call_span(uint64_t from, uint64_t to, const std::string& name);

  // The per-function profile of a core (inclusive shares of `total` cycles, the core's time
  // from its start to its end or the last call's end); empty when profiling was off.
  std::vector<FunctionTime> functions(int col, int row, uint64_t end) const;
  nlohmann::json profile_json(uint64_t end, const Clock& clock) const;
  // The Trace Event Format document (ts and dur in microseconds at `clock`).
  nlohmann::json trace_json(const Clock& clock, uint64_t end) const;

 private:
  struct Span {
    uint64_t from, to;
    std::string name;
    nlohmann::json args;
  };
  struct CoreRecord {
    const CompiledProgram* prog = nullptr;
    uint64_t start = 0, end = 0;
    bool done = false;
    CoreProfile profile;
    std::vector<Span> waits;
    std::vector<std::pair<uint32_t, uint64_t>> stall_at;  // pc, cycles
  };
  struct ChannelRecord {
    std::string name;
    uint64_t loaded = 0, moving = 0;
    int bd = -1;
    std::vector<Span> spans;
  };
  std::string function_name(const CoreRecord& c, uint32_t address) const;

  bool trace_, profile_;
  std::map<std::pair<int, int>, CoreRecord> cores_;
  std::unordered_map<const DmaChannel*, ChannelRecord> channels_;
  std::vector<Span> calls_;
};

// Problems of a document against the Trace Event Format (Google's "Trace Event Format" spec, the
// JSON Object Format with "X" complete and "M" metadata events); empty when it conforms.
std::vector<std::string> trace_format_errors(const nlohmann::json& doc);

}  // namespace attncheck::aie2::array
