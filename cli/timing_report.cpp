// The time figures of array-simulator runs: the report object and the text summary lines.
#include "cli/timing_report.hpp"

#include <sstream>

#include "cli/run.hpp"

namespace attncheck {

nlohmann::json timing_json(const aie2::array::Clock& clock, const nlohmann::json& calls) {
  nlohmann::json levels = nlohmann::json::array();
  for (const auto& [mhz, what] : aie2::array::npu1_clock_levels()) levels.push_back({{"mhz", mhz}, {"what", what}});
  return {{"clock", {{"mhz", clock.mhz}, {"source", clock.source}, {"npu1_levels", levels}}},
          {"model",
           "cycle-approximate (docs/aie2-timing.md): one issued bundle a cycle, a blocked acquire stalls the core, one 32-bit word "
           "per cycle per DMA channel, instruction-stream writes take no array time; lock hand-offs between core and DMA are seen "
           "at the scheduler's quantum; XRT's per-call overhead and bank conflicts are not modelled"},
          {"calls", calls}};
}

std::string timing_text(const nlohmann::json& timing) {
  std::ostringstream o;
  const double mhz = timing["clock"]["mhz"].get<double>();
  for (const auto& c : timing["calls"]) {
    const uint64_t cyc = c["cycles"].get<uint64_t>();
    o << "  time     " << (c.contains("launch") ? "launch " + std::to_string(c["launch"].get<int>()) : "call " + std::to_string(c.value("call", 0))) << ": " << cyc << " cycles = predicted "
      << format_number(static_cast<double>(cyc) / mhz, 1) << " us at " << format_number(mhz, 0) << " MHz";
    if (mhz != 800.0) o << " (" << format_number(static_cast<double>(cyc) / 800.0, 1) << " us at 800 MHz)";
    o << ", device only: XRT's per-call overhead is not included\n";
    for (const auto& k : c["cores"])
      o << "           core (" << k["tile"][0].get<int>() << "," << k["tile"][1].get<int>() << ") busy " << k["busy_cycles"].get<uint64_t>()
        << ", stalled on locks " << k["lock_stall_cycles"].get<uint64_t>() << ", on streams " << k["stream_stall_cycles"].get<uint64_t>()
        << " cycles; bank conflicts not modelled\n";
  }
  o << "  clock    " << timing["clock"]["source"].get<std::string>() << "\n";
  return o.str();
}

std::string profile_text(const nlohmann::json& profile, size_t top) {
  std::ostringstream o;
  for (const auto& c : profile["cores"]) {
    o << "  profile  core (" << c["tile"][0].get<int>() << "," << c["tile"][1].get<int>() << "), " << c["cycles"].get<uint64_t>()
      << " cycles; inclusive (callees included) / self shares:\n";
    size_t n = 0;
    for (const auto& f : c["functions"]) {
      if (n++ == top) break;
      o << "           " << format_number(100.0 * f["inclusive_share"].get<double>(), 1) << "% / "
        << format_number(100.0 * f["self_share"].get<double>(), 1) << "%  " << f["function"].get<std::string>() << " ("
        << f["calls"].get<uint64_t>() << " calls, " << f["inclusive_cycles"].get<uint64_t>() << " cycles)\n";
    }
  }
  return o.str();
}

}  // namespace attncheck
