// `attncheck sim --xclbin F --insts F --arg N=...`: any design run on the array simulator exactly as XRT would call it, buffers by kernel argument number.
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>

#include "cli/backends.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/run.hpp"
#include "cli/sim_array.hpp"
#include "cli/timing_report.hpp"
#include "fixtures/input_file.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"
#include "sim/array/program.hpp"
#include "sim/array/timeline.hpp"
#include "sim/load/npu_insts.hpp"

namespace attncheck {
namespace {

struct ArgBinding {
  int arg = -1;
  std::string spec, file;  // file: input to read, or output to write
  bool rewritten = false;  // an existing file the device only writes: an output again
  bool input = false;
  uint64_t size = 0;       // N=SIZE: a zero-filled buffer of that many bytes, not saved
  std::vector<uint8_t> bytes;
};

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// A buffer is at most 256 MiB (as N=SIZE), so a larger file is refused before it is read.
constexpr uint64_t kMaxArgBytes = uint64_t{256} << 20;

std::vector<uint8_t> read_arg_file(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".npy") {
    check_file_size(path, kMaxArgBytes + 65536, "a kernel argument's .npy (256 MiB of data and its header)");
    return read_npy(path).bytes;
  }
  return read_file_bytes(path, 2, kMaxArgBytes, "a kernel argument's buffer");
}

}  // namespace

void run_sim_array_command(const SimArrayArgs& a, int& exit_code) {
  if (!a.elf.empty()) throw InputError("sim --insts: runs an xclbin (or --pdi) with its instruction stream; --elf runs take --design and --input");
  if (!a.design.empty()) throw InputError("sim --insts: the xclbin's PDI configures the whole array; --design is for --elf runs");
  if (!a.inputs.empty() || !a.outputs.empty())
    throw InputError("sim --insts: buffers are kernel arguments: --arg 3=in.bin --arg 4=out.bin (not --input/--output FIFO=FILE)");
  if (a.xclbin.empty() && a.pdi.empty()) throw InputError("sim --insts: needs --xclbin FILE (or --pdi main.pdi)");
  const aie2::array::ArrayProgram prog = aie2::array::load_array_program(a.xclbin, a.pdi);
  const aie2::InstructionStream insts = aie2::read_instruction_stream(a.insts);
  const std::map<int, uint64_t> extents = aie2::array::argument_extents(insts);

  std::vector<ArgBinding> binds;
  for (const auto& spec : a.args) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || !all_digits(spec.substr(0, eq)) || eq + 1 == spec.size() || eq > 3)
      throw InputError("--arg " + spec + ": expected N=FILE (input), N=FILE to write (output) or N=SIZE, N the XRT kernel argument (3, 4, ...)");
    ArgBinding b;
    b.spec = spec;
    b.arg = std::stoi(spec.substr(0, eq));
    const std::string v = spec.substr(eq + 1);
    for (const auto& o : binds)
      if (o.arg == b.arg) throw InputError("--arg " + spec + ": argument " + std::to_string(b.arg) + " given twice");
    if (!extents.count(b.arg)) {
      std::string known;
      for (const auto& [k, e] : extents) known += (known.empty() ? "" : ", ") + std::to_string(k) + " (" + std::to_string(e) + " B)";
      throw InputError("--arg " + spec + ": " + insts.path + " uses no kernel argument " + std::to_string(b.arg) + " (it uses " +
                       (known.empty() ? "none" : known) + ")");
    }
    std::error_code ec;
    if (all_digits(v)) {
      b.size = std::stoull(v.substr(0, 12));
      if (v.size() > 12 || b.size > (256u << 20)) throw InputError("--arg " + spec + ": more than 256 MiB");
    } else if (std::filesystem::exists(v, ec)) {
      b.input = true;
      b.file = v;
      b.bytes = read_arg_file(v);
    } else {
      b.file = v;
      OutputSet::check("--arg " + std::to_string(b.arg), v);
    }
    binds.push_back(std::move(b));
  }
  for (const auto& e : extents) {
    const int arg = e.first;  // a structured binding cannot be captured in C++17 (clang refuses it)
    if (std::none_of(binds.begin(), binds.end(), [arg](const ArgBinding& b) { return b.arg == arg; }))
      throw InputError("sim: " + insts.path + " moves data for kernel argument " + std::to_string(arg) + " (" + std::to_string(e.second) +
                       " B): give --arg " + std::to_string(arg) + "=FILE or =SIZE");
  }
  {
    std::vector<PathRole> in = {{"--xclbin", a.xclbin}, {"--pdi", a.pdi}, {"--insts", a.insts}}, out = {{"--json", a.json}, {"--trace", a.trace}};
    OutputSet::check("--trace", a.trace);
    for (const auto& b : binds) (b.input ? in : out).push_back({"--arg " + std::to_string(b.arg), b.file});
    check_distinct_paths(in, out);
  }
  // Every buffer holds at least what the shim BDs reach; an input shorter than that is an error,
  // an output is sized from the BDs.
  std::map<int, std::vector<uint8_t>> buffers;
  for (auto& b : binds) {
    const uint64_t need = extents.at(b.arg);
    std::vector<uint8_t>& buf = buffers[b.arg];
    if (b.input) {
      if (b.bytes.size() < need)
        throw InputError(b.file + ": " + std::to_string(b.bytes.size()) + " bytes, but " + insts.path + " moves " + std::to_string(need) +
                         " B of kernel argument " + std::to_string(b.arg));
      buf = std::move(b.bytes);  // read once; a second copy of a 720p frame was 900 page faults
    } else {
      buf.assign(std::max<uint64_t>(need, b.size), 0);
    }
  }
  aie2::array::ArrayOptions opt;
  if (a.max_cycles) opt.max_cycles = a.max_cycles;
  // The timed default: lock hand-offs between a core and the DMA are seen within this many
  // cycles (docs/aie2-timing.md measures the predicted time against quantum 1).
  opt.quantum = a.quantum ? a.quantum : kTimedQuantum;
  if (!a.stack_at.empty()) opt.stack_at = parse_sim_address(a.stack_at, "--sim-stack-at");
  opt.poll = [] { throw_if_interrupted(); };
  opt.time_cores = a.time_cores;
  if (a.threads > 1 && (!a.trace.empty() || a.profile))
    throw InputError("--sim-threads " + std::to_string(a.threads) + " with --trace or --profile: the timeline records the cores in tile "
                     "order from one thread; use --sim-threads 1 for them");
  opt.threads = a.threads;
  const size_t calls = a.iterations ? a.iterations : 1;
  const aie2::array::Clock clock = aie2::array::npu1_clock(a.clock_mhz > 0 ? std::optional<double>(a.clock_mhz) : std::nullopt);
  std::unique_ptr<aie2::array::Timeline> timeline;
  if (!a.trace.empty() || a.profile) timeline = std::make_unique<aie2::array::Timeline>(!a.trace.empty(), a.profile);
  opt.timeline = timeline.get();
  const auto t0 = std::chrono::steady_clock::now();
  auto arr = aie2::array::make_array(prog, opt);
  std::map<int, std::vector<uint8_t>*> args;
  for (auto& [k, v] : buffers) args[k] = &v;
  nlohmann::json timings = nlohmann::json::array();
  try {
    for (size_t i = 0; i < calls; ++i) {
      const nlohmann::json before = arr->report();
      arr->call(insts, args);
      nlohmann::json t = aie2::array::call_timing(before, arr->report(), arr->last_call_cycles(), clock);
      t["call"] = i;
      timings.push_back(t);
    }
  } catch (const aie2::SimError& e) {
    throw InputError(e.what());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // An existing file names an input: unless the device only wrote that argument (shim S2MM, never
  // MM2S), which makes it an output the user is running again: it is written, not left stale.
  for (auto& b : binds) {
    const auto use = arr->argument_use().find(b.arg);
    if (b.input && use != arr->argument_use().end() && use->second.written && !use->second.read) {
      b.input = false;
      b.rewritten = true;
      OutputSet::check("--arg " + std::to_string(b.arg), b.file);
    }
  }
  OutputSet written;
  nlohmann::json jargs = nlohmann::json::array();
  for (const auto& b : binds) {
    const auto& buf = buffers.at(b.arg);
    nlohmann::json j = {{"arg", b.arg}, {"bytes", buf.size()}, {"direction", b.input ? "in" : b.file.empty() ? "scratch" : "out"},
                        {"sha256", sha256_hex(buf.data(), buf.size())}};
    if (!b.file.empty()) j["file"] = b.file;
    if (!b.input && !b.file.empty()) {
      if (std::filesystem::path(b.file).extension() == ".npy") {
        NpyArray n;
        n.dtype = DType::UInt8;
        n.shape = {static_cast<int64_t>(buf.size())};
        n.bytes = buf;
        written.write_npy(b.file, n);
      } else {
        written.write(b.file, std::string(buf.begin(), buf.end()));
      }
    }
    jargs.push_back(j);
  }
  const nlohmann::json rep = arr->report();
  nlohmann::json j = {{"schema", "attncheck.sim-array/1"},
                      {"tool", tool_json()},
                      {"command", "sim"},
                      {"backend", "sim"},
                      {"simulator", "array"},
                      {"program", {{"kind", prog.kind}, {"path", prog.path}, {"sha256", prog.sha256}}},
                      {"insts", {{"path", insts.path}, {"sha256", insts.sha256}, {"format", insts.format}, {"operations", insts.ops.size()}}},
                      {"calls", calls},
                      {"args", jargs},
                      {"array", rep},
                      {"timing", timing_json(clock, timings)},
                      {"seconds", seconds}};
  if (a.time_cores) j["core_seconds"] = arr->core_seconds();
  // How the host ran it (the simulated results do not depend on it): threads, and the bundles the
  // cores issued on them at once.
  j["host_threads"] = arr->host_threads();
  if (arr->host_threads() != a.threads) j["host_threads_asked"] = a.threads;
  j["parallel_bundles"] = arr->parallel_bundles();
  // Quanta the cores ran without the DMA's phase between them, while every channel waited
  // (docs/aie2-array.md "Free quanta").
  j["free_quanta"] = arr->free_quanta();
  if (timeline && a.profile) j["profile"] = timeline->profile_json(arr->now(), clock);
  if (!a.json.empty()) written.write_json(a.json, j);
  if (timeline && !a.trace.empty()) written.write_json(a.trace, timeline->trace_json(clock, arr->now()));
  written.commit();

  std::ostringstream o;
  o << "attncheck sim: " << prog.path << " (" << prog.kind << ") + " << insts.path << " (" << insts.format << ", " << insts.ops.size()
    << " operations), " << calls << " call(s)\n";
  for (const auto& b : binds)
    o << "  arg " << b.arg << "  " << buffers.at(b.arg).size() << " B  "
      << (b.input ? "from " + b.file : b.file.empty() ? "scratch" : "to " + b.file) << (b.rewritten ? " (it existed; the device only writes this argument)" : "")
      << "\n";
  for (const auto& c : rep["cores"])
    o << "  core (" << c["tile"][0].get<int>() << "," << c["tile"][1].get<int>() << ")  " << c["bundles"].get<uint64_t>() << " bundles, "
      << c["lock_stall_cycles"].get<uint64_t>() << " cycles waiting on locks, "
      << (c["stream_words_in"].get<uint64_t>() + c["stream_words_out"].get<uint64_t>()
              ? std::to_string(c["stream_words_in"].get<uint64_t>()) + " stream words in, " + std::to_string(c["stream_words_out"].get<uint64_t>()) +
                    " out, " + std::to_string(c["stream_stall_cycles"].get<uint64_t>()) + " cycles waiting on its stream ports, "
              : std::string())
      << c["state"].get<std::string>() << "\n";
  for (const auto& c : rep["cores"])
    for (const auto& d : c["stack_over_data"])
      o << "  stack    core (" << c["tile"][0].get<int>() << "," << c["tile"][1].get<int>() << ") ran over " << d["section"].get<std::string>()
        << " bytes " << d["bytes"][0].get<uint32_t>() << ".." << d["bytes"][1].get<uint32_t>() << ": frames there overwrite what the program keeps in it\n";
  o << "  cycles   " << rep["cycles"].get<uint64_t>() << " simulated in all (scheduler quanta of " << opt.quantum << ")\n";
  if (a.threads > 1) {
    uint64_t all = 0;
    for (const auto& c : rep["cores"]) all += c["bundles"].get<uint64_t>();
    o << "  threads  " << arr->host_threads() << (arr->host_threads() > 1 ? " host threads: " : " host thread: ") << arr->parallel_bundles() << " of " << all
      << " bundles issued with other cores at once (the rest in tile order); " << arr->free_quanta()
      << " quanta ran free while every DMA channel waited (docs/aie2-array.md)";
    if (arr->host_threads() != a.threads)
      o << "; --sim-threads " << a.threads << " asked, but this process may run on " << arr->host_threads()
        << " CPU(s) (its affinity): more threads would wait on each other every quantum";
    o << "\n";
  }
  o << timing_text(j["timing"]);
  if (j.contains("profile")) o << profile_text(j["profile"]);
  if (!a.trace.empty()) o << "  trace    " << a.trace << " (Trace Event Format: ui.perfetto.dev or chrome://tracing)\n";
  o << "  backend  sim (the npu1 array simulator running the xclbin and its instruction stream; not a device)\n";
  if (!a.json.empty()) o << "  report   " << a.json << "\n";
  print(o.str());
  exit_code = 0;
}

}  // namespace attncheck
