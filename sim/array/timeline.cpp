// Time on the array simulator: the clock and its sources, per-call timing from the array's counters, and the event record behind --trace and the profile.
#include "sim/array/timeline.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "sim/array/dma.hpp"
#include "sim/hex.hpp"

namespace attncheck::aie2::array {
namespace {

const nlohmann::json* find_by(const nlohmann::json& list, const char* key, const nlohmann::json& value) {
  for (const auto& e : list)
    if (e.contains(key) && e[key] == value) return &e;
  return nullptr;
}

uint64_t field(const nlohmann::json* e, const char* key) {
  return e && e->contains(key) ? (*e)[key].get<uint64_t>() : 0;
}

}  // namespace

// amd/xdna-driver src/driver/amdxdna/npu1_regs.c: npu1_dpm_clk_table = {npuclk, hclk} MHz per DPM
// level: {400, 800}, {600, 1024} x4, {720, 1309} x2, {847, 1600}; the earlier driver fixed
// NPU1_HCLK_FREQ_MAX 1024. aie2_smu.c npu1_set_dpm sends hclk as AIE_SMU_SET_HCLK_FREQ; the
// H clock is the array's (NPU4_DPM_TOPS counts TOPS from hclk x columns).
Clock npu1_clock(std::optional<double> override_mhz) {
  if (override_mhz) return {*override_mhz, "--clock-mhz"};
  return {1024.0,
          "npu1 H clock 1024 MHz: amd/xdna-driver src/driver/amdxdna/npu1_regs.c npu1_dpm_clk_table levels 1-4 "
          "(and NPU1_HCLK_FREQ_MAX 1024 of the earlier driver); level 0 is 800 MHz, level 7 1600 MHz (docs/aie2-timing.md)"};
}

std::vector<std::pair<double, std::string>> npu1_clock_levels() {
  return {{800.0, "DPM level 0 (POWER_MODE_LOW)"},
          {1024.0, "DPM levels 1-4; NPU1_HCLK_FREQ_MAX of the earlier driver"},
          {1309.0, "DPM levels 5-6"},
          {1600.0, "DPM level 7 (the newer driver's aie2_pm_init level)"}};
}

nlohmann::json call_timing(const nlohmann::json& before, const nlohmann::json& after, uint64_t cycles, const Clock& clock) {
  nlohmann::json cores = nlohmann::json::array();
  static const nlohmann::json none = nlohmann::json::array();
  const nlohmann::json& before_cores = before.contains("cores") ? before["cores"] : none;
  const nlohmann::json& before_chans = before.contains("channels") ? before["channels"] : none;
  for (const auto& c : after["cores"]) {
    const nlohmann::json* b = find_by(before_cores, "tile", c["tile"]);
    const uint64_t busy = c["bundles"].get<uint64_t>() - field(b, "bundles");
    const uint64_t lock = c["lock_stall_cycles"].get<uint64_t>() - field(b, "lock_stall_cycles");
    const uint64_t stream = c["stream_stall_cycles"].get<uint64_t>() - field(b, "stream_stall_cycles");
    cores.push_back({{"tile", c["tile"]},
                     {"busy_cycles", busy},
                     {"lock_stall_cycles", lock},
                     // Cycles the core waited at its stream ports (Core::Wait::port), at the
                     // scheduler's resolution as a lock wait is.
                     {"stream_stall_cycles", stream},
                     {"bank_conflict_cycles", nullptr},
                     {"busy_us", static_cast<double>(busy) / clock.mhz},
                     {"lock_stall_us", static_cast<double>(lock) / clock.mhz}});
  }
  nlohmann::json chans = nlohmann::json::array();
  for (const auto& c : after["channels"]) {
    const nlohmann::json* b = find_by(before_chans, "channel", c["channel"]);
    const uint64_t words = c["words"].get<uint64_t>() - field(b, "words");
    if (!words && c["tasks"].get<uint64_t>() == field(b, "tasks")) continue;
    chans.push_back({{"channel", c["channel"]},
                     {"words", words},
                     {"transfer_cycles", words},  // one 32-bit word per cycle (docs/aie2-timing.md)
                     {"lock_wait_cycles", c["lock_wait_cycles"].get<uint64_t>() - field(b, "lock_wait_cycles")},
                     {"stream_wait_cycles", c["stream_wait_cycles"].get<uint64_t>() - field(b, "stream_wait_cycles")}});
  }
  return {{"cycles", cycles},
          {"predicted_us", static_cast<double>(cycles) / clock.mhz},
          {"clock_mhz", clock.mhz},
          {"cores", cores},
          {"channels", chans},
          {"bank_conflicts", "not modelled: no public fact gives AIE2's data-memory bank arbitration between the core and the DMA"}};
}

CoreProfile* Timeline::core_started(int col, int row, const CompiledProgram* prog, uint64_t now) {
  CoreRecord& c = cores_[{col, row}];
  c.prog = prog;
  c.start = now;
  c.profile.time_offset = now;
  return profile_ ? &c.profile : nullptr;
}

void Timeline::core_blocked(int col, int row, uint64_t from, uint64_t to, uint32_t pc, int lock) {
  if (to <= from) return;
  CoreRecord& c = cores_[{col, row}];
  if (!c.stall_at.empty() && c.stall_at.back().first == pc && !c.waits.empty() && c.waits.back().to == from) {
    c.stall_at.back().second += to - from;
    c.waits.back().to = to;
    return;
  }
  c.stall_at.push_back({pc, to - from});
  if (trace_) c.waits.push_back({from, to, "lock wait", {{"lock", lock}, {"pc", hex(pc)}}});
  else c.waits.push_back({from, to, {}, {}});
}

void Timeline::core_done(int col, int row, uint64_t at) {
  CoreRecord& c = cores_[{col, row}];
  c.done = true;
  c.end = at;
}

void Timeline::bd_loaded(const DmaChannel& ch, uint64_t now) {
  ChannelRecord& r = channels_[&ch];
  if (r.name.empty()) r.name = ch.name();
  r.loaded = now;
  r.bd = ch.bd;
}

void Timeline::bd_moving(const DmaChannel& ch, uint64_t now) {
  ChannelRecord& r = channels_[&ch];
  if (trace_ && now > r.loaded) r.spans.push_back({r.loaded, now, "lock wait (BD " + std::to_string(r.bd) + ")", nlohmann::json::object()});
  r.moving = now;
}

void Timeline::bd_released(const DmaChannel& ch, uint64_t now) {
  ChannelRecord& r = channels_[&ch];
  if (trace_) r.spans.push_back({r.moving, now + 1, "BD " + std::to_string(r.bd), {{"words", ch.pattern.words()}}});
}

void Timeline::call_span(uint64_t from, uint64_t to, const std::string& name) { calls_.push_back({from, to, name, nlohmann::json::object()}); }

std::string Timeline::function_name(const CoreRecord& c, uint32_t address) const {
  if (c.prog)
    if (const ElfSymbol* s = c.prog->elf().function_at(address)) return s->name;
  return "?" + hex(address);
}

std::vector<FunctionTime> Timeline::functions(int col, int row, uint64_t end) const {
  const auto it = cores_.find({col, row});
  if (it == cores_.end() || !profile_) return {};
  const CoreRecord& c = it->second;
  const uint64_t stop = c.done ? c.end : end;
  std::map<std::string, FunctionTime> by;
  auto at = [&](const std::string& n) -> FunctionTime& {
    FunctionTime& f = by[n];
    f.name = n;
    return f;
  };
  for (size_t i = 0; i < c.profile.issues.size(); ++i)
    if (c.profile.issues[i]) at(function_name(c, c.prog->bundles()[i].address)).self_bundles += c.profile.issues[i];
  for (const auto& [pc, n] : c.stall_at) at(function_name(c, pc)).self_stall += n;
  // Inclusive: a callee runs from its jl's fifth delay slot's successor to its ret's (the
  // branch redirects fetch after kBranchDelaySlots bundles); a function active deeper in the
  // stack (recursion) is counted once.
  const uint64_t redirect = kBranchDelaySlots + 1;
  struct Frame {
    std::string name;
    uint64_t from;
    bool tail;  // entered by a tail jump: its ret also ends the frame below
  };
  std::vector<Frame> stack{{function_name(c, c.prog ? c.prog->bundles().front().address : 0), c.start, false}};
  std::map<std::string, int> active{{stack[0].name, 1}};
  auto close = [&](const Frame& f, uint64_t to) {
    if (--active[f.name] == 0) at(f.name).inclusive += to > f.from ? to - f.from : 0;
    ++at(f.name).calls;
  };
  // A tail-called function's time stays inside the function that jumped to it (as its callee).
  for (const auto& b : c.profile.branches) {
    if (!b.ret) {
      stack.push_back({function_name(c, b.target), b.time + redirect, b.tail});
      ++active[stack.back().name];
    } else {
      bool more = true;
      while (more && stack.size() > 1) {
        more = stack.back().tail;
        close(stack.back(), b.time + redirect);
        stack.pop_back();
      }
    }
  }
  while (!stack.empty()) {
    close(stack.back(), stop);
    stack.pop_back();
  }
  std::vector<FunctionTime> out;
  for (auto& [n, f] : by) out.push_back(f);
  std::sort(out.begin(), out.end(), [](const FunctionTime& a, const FunctionTime& b) { return a.inclusive > b.inclusive; });
  return out;
}

nlohmann::json Timeline::profile_json(uint64_t end, const Clock& clock) const {
  nlohmann::json cores = nlohmann::json::array();
  for (const auto& [k, c] : cores_) {
    const uint64_t stop = c.done ? c.end : end;
    const uint64_t total = stop - c.start;
    nlohmann::json fns = nlohmann::json::array();
    for (const auto& f : functions(k.first, k.second, end)) {
      const uint64_t self = f.self_bundles + f.self_stall;
      fns.push_back({{"function", f.name},
                     {"calls", f.calls},
                     {"inclusive_cycles", f.inclusive},
                     {"inclusive_share", total ? static_cast<double>(f.inclusive) / static_cast<double>(total) : 0.0},
                     {"self_cycles", self},
                     {"self_bundles", f.self_bundles},
                     {"self_lock_stall_cycles", f.self_stall},
                     {"self_share", total ? static_cast<double>(self) / static_cast<double>(total) : 0.0},
                     {"inclusive_us", static_cast<double>(f.inclusive) / clock.mhz}});
    }
    cores.push_back({{"tile", {k.first, k.second}}, {"cycles", total}, {"done", c.done}, {"functions", fns}});
  }
  return {{"clock_mhz", clock.mhz}, {"cores", cores}};
}

nlohmann::json Timeline::trace_json(const Clock& clock, uint64_t end) const {
  nlohmann::json ev = nlohmann::json::array();
  auto us = [&](uint64_t cycles) { return static_cast<double>(cycles) / clock.mhz; };
  auto meta = [&](const char* what, int tid, const std::string& name) {
    nlohmann::json m = {{"name", what}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", name}}}};
    if (tid >= 0) m["tid"] = tid;
    ev.push_back(m);
  };
  auto span = [&](int tid, const Span& s, const char* cat) {
    ev.push_back({{"name", s.name}, {"cat", cat}, {"ph", "X"}, {"ts", us(s.from)}, {"dur", us(s.to - s.from)}, {"pid", 1}, {"tid", tid},
                  {"args", s.args.is_null() ? nlohmann::json::object() : s.args}});
  };
  meta("process_name", -1, "npu1 array (simulated, " + std::to_string(static_cast<int>(clock.mhz)) + " MHz)");
  int tid = 1;
  meta("thread_name", tid, "instruction stream (XRT calls)");
  for (const auto& s : calls_) span(tid, s, "call");
  for (const auto& [k, c] : cores_) {
    ++tid;
    meta("thread_name", tid, "core (" + std::to_string(k.first) + "," + std::to_string(k.second) + ")");
    // Function spans from the call log (when profiling), then the lock waits inside them.
    if (profile_) {
      const uint64_t redirect = kBranchDelaySlots + 1, stop = c.done ? c.end : end;
      std::vector<Span> open{{c.start, 0, function_name(c, c.prog ? c.prog->bundles().front().address : 0), nlohmann::json::object()}};
      for (const auto& b : c.profile.branches) {
        if (!b.ret) {
          open.push_back({b.time + redirect, 0, function_name(c, b.target), b.tail ? nlohmann::json{{"tail_call", true}} : nlohmann::json::object()});
        } else {
          bool more = true;
          while (more && open.size() > 1) {
            more = open.back().args.contains("tail_call");
            open.back().to = b.time + redirect;
            span(tid, open.back(), "function");
            open.pop_back();
          }
        }
      }
      while (!open.empty()) {
        open.back().to = std::max(stop, open.back().from);
        span(tid, open.back(), "function");
        open.pop_back();
      }
    }
    for (const auto& w : c.waits) span(tid, w, "lock");
  }
  std::vector<const ChannelRecord*> chans;
  for (const auto& [p, r] : channels_) chans.push_back(&r);
  std::sort(chans.begin(), chans.end(), [](const ChannelRecord* a, const ChannelRecord* b) { return a->name < b->name; });
  for (const auto* r : chans) {
    ++tid;
    meta("thread_name", tid, r->name);
    for (const auto& s : r->spans) span(tid, s, "dma");
  }
  return {{"traceEvents", ev}, {"displayTimeUnit", "ns"},
          {"otherData", {{"clock_mhz", clock.mhz}, {"clock_source", clock.source}, {"generator", "attncheck array simulator"}}}};
}

std::vector<std::string> trace_format_errors(const nlohmann::json& doc) {
  std::vector<std::string> err;
  if (!doc.is_object()) return {"the document is not a JSON object (the JSON Object Format)"};
  if (!doc.contains("traceEvents") || !doc["traceEvents"].is_array()) return {"no \"traceEvents\" array"};
  if (doc.contains("displayTimeUnit") && doc["displayTimeUnit"] != "ms" && doc["displayTimeUnit"] != "ns")
    err.push_back("displayTimeUnit is neither \"ms\" nor \"ns\"");
  static const std::set<std::string> phases = {"B", "E", "X", "i", "I", "C", "b", "n", "e", "s", "t", "f", "P", "O", "N", "D", "M", "R", "c", "(", ")"};
  static const std::set<std::string> meta_names = {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"};
  std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<double, double>>> complete;
  std::set<std::pair<int64_t, int64_t>> named_threads;
  size_t i = 0;
  for (const auto& e : doc["traceEvents"]) {
    const std::string at = "event " + std::to_string(i++);
    if (!e.is_object()) { err.push_back(at + ": not an object"); continue; }
    if (!e.contains("ph") || !e["ph"].is_string() || !phases.count(e["ph"].get<std::string>())) {
      err.push_back(at + ": \"ph\" is missing or not a phase of the format");
      continue;
    }
    const std::string ph = e["ph"];
    if (!e.contains("name") || !e["name"].is_string()) err.push_back(at + ": \"name\" is missing or not a string");
    if (!e.contains("pid") || !e["pid"].is_number_integer()) err.push_back(at + ": \"pid\" is missing or not an integer");
    if (ph == "M") {
      const std::string n = e.value("name", "");
      if (!meta_names.count(n)) err.push_back(at + ": metadata event named \"" + n + "\", which the format does not define");
      if (!e.contains("args") || !e["args"].is_object()) err.push_back(at + ": metadata event without \"args\"");
      else if ((n == "process_name" || n == "thread_name") && (!e["args"].contains("name") || !e["args"]["name"].is_string()))
        err.push_back(at + ": " + n + " without a string args.name");
      if (n == "thread_name" && e.contains("tid") && e["tid"].is_number_integer() && e["pid"].is_number_integer())
        named_threads.insert({e["pid"].get<int64_t>(), e["tid"].get<int64_t>()});
      continue;
    }
    if (!e.contains("tid") || !e["tid"].is_number_integer()) err.push_back(at + ": \"tid\" is missing or not an integer");
    if (!e.contains("ts") || !e["ts"].is_number() || e["ts"].get<double>() < 0) err.push_back(at + ": \"ts\" is missing, not a number or negative");
    if (ph == "X") {
      if (!e.contains("dur") || !e["dur"].is_number() || e["dur"].get<double>() < 0)
        err.push_back(at + ": complete event without a non-negative \"dur\"");
      else if (e.contains("tid") && e["tid"].is_number_integer() && e["pid"].is_number_integer() && e["ts"].is_number())
        complete[{e["pid"].get<int64_t>(), e["tid"].get<int64_t>()}].push_back({e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>()});
    }
    if (e.contains("args") && !e["args"].is_object()) err.push_back(at + ": \"args\" is not an object");
  }
  // Complete events on one thread form a stack (each one inside or after the other), as the
  // viewers draw them; a partial overlap would be drawn wrongly.
  for (auto& [key, v] : complete) {
    if (!named_threads.count(key)) err.push_back("thread " + std::to_string(key.second) + " has events but no thread_name");
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first || (a.first == b.first && a.second > b.second); });
    std::vector<double> ends;
    for (const auto& [s, t] : v) {
      while (!ends.empty() && ends.back() <= s + 1e-9) ends.pop_back();
      if (!ends.empty() && t > ends.back() + 1e-9) {
        err.push_back("thread " + std::to_string(key.second) + ": complete events overlap without nesting at ts " + std::to_string(s));
        break;
      }
      ends.push_back(t);
    }
  }
  return err;
}

}  // namespace attncheck::aie2::array
