// `attncheck sim`: any single-core design run by the AIE2 core simulator from its ELF, xclbin or PDI, with inputs and outputs per ObjectFIFO.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include "cli/backends.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "cli/sim_array.hpp"
#include "compare/report.hpp"
#include "fixtures/input_file.hpp"
#include "fixtures/memory_guard.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "ref/atomic_file.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"
#include "sim/load/pdi.hpp"
#include "sim/core/tile.hpp"

namespace attncheck {
namespace {

using SimArgs = SimArrayArgs;

struct Binding {
  const aie2::DesignFifo* fifo = nullptr;
  std::string file;
};

// "of_input=in.npy" against the design's FIFOs of one direction; each FIFO at most once.
std::vector<Binding> bind_fifos(const std::vector<std::string>& specs, const aie2::Design& d, bool input) {
  const char* option = input ? "--input" : "--output";
  std::vector<Binding> out;
  for (const auto& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw InputError(std::string(option) + " " + spec + ": expected FIFO=FILE (FIFOs of " + d.path + ": " + d.fifo_names() + ")");
    const std::string name = spec.substr(0, eq);
    const aie2::DesignFifo* f = d.fifo(name);
    if (!f) throw InputError(std::string(option) + " " + spec + ": " + d.path + " has no FIFO " + name + " (it has " + d.fifo_names() + ")");
    if (f->input != input)
      throw InputError(std::string(option) + " " + spec + ": " + name + " is an " + (f->input ? "input" : "output") + " of the core (use " +
                       (f->input ? "--input" : "--output") + ")");
    for (const auto& b : out)
      if (b.fifo == f) throw InputError(std::string(option) + " " + spec + ": " + name + " given twice");
    out.push_back({f, spec.substr(eq + 1)});
  }
  return out;
}

bool is_npy(const std::string& path) { return std::filesystem::path(path).extension() == ".npy"; }

// The numpy dtype that holds a FIFO's elements; none for bf16 (raw .bin only).
bool npy_dtype_for(const std::string& element_type, DType* t) {
  if (element_type == "i8") *t = DType::Int8;
  else if (element_type == "i16") *t = DType::Int16;
  else if (element_type == "i32") *t = DType::Int32;
  else if (element_type == "i64") *t = DType::Int64;
  else if (element_type == "f32") *t = DType::Float32;
  else return false;
  return true;
}

// A file's bytes cut into the FIFO's transfers. A .npy must hold the FIFO's element type (int8 or
// uint8 for i8) and a whole number of transfers; a .bin is taken as raw bytes. With --iterations N
// a file holds one transfer or N: a larger one is refused before it is read, as is a .bin whose
// size is no whole number of transfers.
std::vector<std::vector<uint8_t>> read_transfers(const Binding& b, size_t iterations) {
  const aie2::DesignFifo& f = *b.fifo;
  const uint64_t most = iterations ? mul_sat(iterations, f.transfer_bytes) : 0;
  const std::string kind = "--input " + f.name + " with --iterations " + std::to_string(iterations) + " (one or " +
                           std::to_string(iterations) + " transfers of " + std::to_string(f.transfer_bytes) + " B)";
  std::vector<uint8_t> bytes;
  if (is_npy(b.file)) {
    if (most) check_file_size(b.file, add_sat(most, 65536), kind + " and an .npy header");
    NpyArray a = read_npy(b.file);
    DType want;
    const bool ok = npy_dtype_for(f.element_type, &want) &&
                    (a.dtype == want || (want == DType::Int8 && a.dtype == DType::UInt8));
    if (!ok)
      throw InputError(b.file + ": dtype " + dtype_descr(a.dtype) + ", but FIFO " + f.name + " carries " + f.element_type +
                       " elements" + (f.element_type == "bf16" ? " (give bf16 data as raw .bin)" : ""));
    // A multi-dimensional array must be a stack of transfers: trailing axes that make one transfer.
    if (a.shape.size() >= 2) {
      const int64_t per = f.transfer_bytes / f.element_bytes;
      int64_t tail = 1;
      bool splits = false;
      for (size_t k = a.shape.size(); k-- > 0;) {
        tail *= a.shape[k];
        splits = splits || tail == per;
      }
      if (!splits) {
        std::string shape;
        for (auto d : a.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
        throw InputError(b.file + ": shape (" + shape + ") does not split into " + f.name + "'s transfers of " + std::to_string(per) +
                         " elements (give (N, " + std::to_string(per) + "), or a flat array)");
      }
    }
    bytes = std::move(a.bytes);
  } else {
    const uint64_t size = check_file_size(b.file, most ? most : ~uint64_t{0}, kind);
    if (size == 0 || size % f.transfer_bytes)
      throw InputError(b.file + ": " + std::to_string(size) + " bytes, not a whole number of " + f.name + "'s " +
                       std::to_string(f.transfer_bytes) + " B transfers");
    bytes = read_file_bytes(b.file, 2);
  }
  if (bytes.empty() || bytes.size() % f.transfer_bytes)
    throw InputError(b.file + ": " + std::to_string(bytes.size()) + " bytes, not a whole number of " + f.name + "'s " +
                     std::to_string(f.transfer_bytes) + " B transfers");
  std::vector<std::vector<uint8_t>> t;
  for (size_t o = 0; o < bytes.size(); o += f.transfer_bytes)
    t.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(o), bytes.begin() + static_cast<std::ptrdiff_t>(o + f.transfer_bytes));
  return t;
}

std::string bytes_of(const std::vector<std::vector<uint8_t>>& transfers) {
  std::string s;
  for (const auto& t : transfers) s.append(t.begin(), t.end());
  return s;
}

// The file an output binding gets: the raw transfers, or an .npy of the FIFO's element type.
std::string transfers_file(const Binding& b, const std::vector<std::vector<uint8_t>>& transfers) {
  const aie2::DesignFifo& f = *b.fifo;
  if (!is_npy(b.file)) return bytes_of(transfers);
  NpyArray a;
  npy_dtype_for(f.element_type, &a.dtype);
  const int64_t per = f.transfer_bytes / f.element_bytes;
  a.shape = transfers.size() == 1 ? std::vector<int64_t>{per} : std::vector<int64_t>{static_cast<int64_t>(transfers.size()), per};
  const std::string s = bytes_of(transfers);
  a.bytes.assign(s.begin(), s.end());
  const std::vector<uint8_t> file = encode_npy(a);
  return std::string(file.begin(), file.end());
}

std::string short_hash(const std::string& sha) { return sha.substr(0, 12); }

// Bytes one input transfer costs until the end of the run: its watch record (an InputUse with its
// names and writers) and, with --json, its entry in the report's JSON. Measured on gelu-512 (peak
// RSS over 1,000 to 16,000 transfers): about 160 B without --json, about 1.9 KB with it.
constexpr uint64_t kWatchRecordBytes = 512, kReportEntryBytes = 3072;

}  // namespace

void add_profile_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand("profile",
                                 "Cycles per function, callees included, with each one's share: a design run on the array simulator as XRT "
                                 "calls it (the same as sim --insts --profile; docs/aie2-timing.md)");
  cmd->add_option("--xclbin", a->xclbin, "The xclbin");
  cmd->add_option("--pdi", a->pdi, "Or its PDI (main.pdi)");
  cmd->add_option("--insts", a->insts, "The instruction stream XRT passes (insts.bin, insts.txt, npu_insts.mlir, .seq)")->required();
  cmd->add_option("--arg", a->args, "N=FILE (an input buffer when FILE exists, unless the device only writes argument N), N=OUT.bin (written after the run) or N=SIZE, N the XRT kernel argument")->take_all();
  cmd->add_option("--iterations", a->iterations, "XRT calls (default 1)")->check(at_least(1));
  cmd->add_option("--clock-mhz", a->clock_mhz, "Convert cycles to time at this AIE clock (default: npu1's 1024 MHz)")->check(CLI::Range(1.0, 10000.0));
  cmd->add_option("--trace", a->trace, "Also write a Chrome/Perfetto trace (Trace Event Format JSON)");
  cmd->add_option("--sim-quantum", a->quantum, "Cycles the cores run before the DMA catches up (default 64)")->check(CLI::Range(1u, 1u << 20));
  cmd->add_option("--json", a->json, "Write the run report (attncheck.sim-array/1, with `profile`) here");
  cmd->callback([a, &exit_code] {
    a->profile = true;
    run_sim_array_command(*a, exit_code);
  });
}

void add_sim_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SimArgs>();
  auto* sim = app.add_subcommand(
      "sim", "Run a single-core design on the AIE2 core simulator: the compiled core program (ELF, xclbin or PDI) in its placed "
             "design, inputs and outputs per ObjectFIFO (docs/aie2.md)");
  sim->add_option("--elf", a->elf, "The core program (main_core_0_2.elf)");
  sim->add_option("--xclbin", a->xclbin, "Or the xclbin: the program its PDI loads into the design's core tile");
  sim->add_option("--pdi", a->pdi, "Or the PDI (main.pdi)");
  sim->add_option("--insts", a->insts,
                  "The instruction stream XRT passes (insts.bin, insts.txt, npu_insts.mlir, .seq): runs the whole array from the xclbin, no --design")
      ->group("Array (--insts)");
  sim->add_option("--arg", a->args, "With --insts: N=FILE (an input buffer when FILE exists, unless the device only writes argument N), N=OUT.bin (written after the run) or N=SIZE, N the XRT kernel argument")
      ->take_all()->group("Array (--insts)");
  sim->add_option("--design", a->design,
                  "The placed design, input_physical_with_elfs.mlir (default: the one beside the program)");
  sim->add_option("--input", a->inputs, "FIFO=FILE: one input ObjectFIFO's data, .npy or raw .bin, a whole number of transfers")
      ->take_all();
  sim->add_option("--output", a->outputs, "FIFO=FILE: where an output ObjectFIFO's transfers go (.npy or raw .bin)")->take_all();
  sim->add_option("--iterations", a->iterations,
                  "Transfers per FIFO (default: as many as the inputs hold; an input holding one transfer is repeated)")
      ->check(at_least(1));
  sim->add_option("--json", a->json, "Write the run report (attncheck.sim/1) here");
  sim->add_option("--sim-stack-at", a->stack_at, "Start SP here instead of the address the program loads (e.g. 0x78800)");
  sim->add_option("--sim-max-cycles", a->max_cycles, "Stop when no transfer moved for this many issued bundles (default 10^9, at most 10^15)")
      ->check(sim_max_cycles_range());
  sim->add_option("--clock-mhz", a->clock_mhz, "With --insts: convert cycles to time at this AIE clock (default: npu1's 1024 MHz, docs/aie2-timing.md)")
      ->check(CLI::Range(1.0, 10000.0))->group("Array (--insts)");
  sim->add_option("--trace", a->trace, "With --insts: write a Chrome/Perfetto trace (Trace Event Format JSON): a track per core and DMA channel")
      ->group("Array (--insts)");
  sim->add_option("--sim-quantum", a->quantum, "With --insts: cycles the cores run before the DMA catches up (default 64); lock hand-offs are seen at this granularity")
      ->check(CLI::Range(1u, 1u << 20))->group("Array (--insts)");
  sim->add_flag("--time-cores", a->time_cores, "With --insts: also report core_seconds, the host time spent inside the cores (as `bench --sim-xclbin` uses)")
      ->group("Array (--insts)");
  sim->add_flag("--profile", a->profile, "With --insts: cycles per function, callees included, and each one's share")->group("Array (--insts)");
  sim->add_option("--sim-threads", a->threads,
                  "With --insts: host threads for the cores (default 1): cores whose tiles no earlier core reaches run at once up to "
                  "their first neighbour access; the results are the one-thread run's, bit for bit (docs/aie2-array.md)")
      ->check(CLI::Range(1, 64))->group("Array (--insts)");
  sim->callback([a, &exit_code] {
    if (!a->insts.empty()) return run_sim_array_command(*a, exit_code);
    if (!a->args.empty()) throw InputError("sim --arg: needs --insts (the instruction stream that uses the kernel arguments)");
    if (!a->trace.empty() || a->profile || a->clock_mhz > 0)
      throw InputError("sim --trace/--profile/--clock-mhz: time is modelled on the array simulator; give --insts (and --xclbin or --pdi)");
    const std::string program = !a->elf.empty() ? a->elf : !a->xclbin.empty() ? a->xclbin : a->pdi;
    if (program.empty()) throw InputError("sim: needs the program: --elf FILE.elf, --xclbin FILE.xclbin or --pdi main.pdi");
    OutputSet::check("--json", a->json);
    if (a->json == "-") send_text_to_stderr();
    const std::string design_path = sim_design_path(program, a->design, "sim");
    const aie2::Design design = aie2::read_design(design_path);
    const std::vector<Binding> ins = bind_fifos(a->inputs, design, true), outs = bind_fifos(a->outputs, design, false);
    for (const auto& f : design.fifos)
      if (f.input && std::none_of(ins.begin(), ins.end(), [&](const Binding& b) { return b.fifo == &f; }))
        throw InputError("sim: no --input for " + f.name + ", an input FIFO of " + design_path + " (" + design.fifo_names() + ")");
    {
      std::vector<PathRole> in = {{"--elf", a->elf}, {"--xclbin", a->xclbin}, {"--pdi", a->pdi}, {"--design", design_path}},
                            out = {{"--json", a->json}};
      for (const auto& b : ins) in.push_back({"--input " + b.fifo->name, b.file});
      for (const auto& b : outs) {
        OutputSet::check("--output " + b.fifo->name, b.file);
        out.push_back({"--output " + b.fifo->name, b.file});
      }
      check_distinct_paths(in, out);
    }
    const aie2::CoreSource src = aie2::load_core_source(a->elf, a->xclbin, a->pdi, design);
    std::optional<uint32_t> stack_at;
    if (!a->stack_at.empty()) stack_at = parse_sim_address(a->stack_at, "--sim-stack-at");
    try {
      aie2::check_program_layout(src.elf, design, stack_at);  // before any input is read
    } catch (const aie2::SimError& e) {
      throw InputError(e.what());
    }

    std::map<std::string, std::vector<std::vector<uint8_t>>> data;
    size_t n = a->iterations;
    for (const auto& b : ins) {
      auto t = read_transfers(b, a->iterations);
      if (!a->iterations && t.size() > 1) {
        if (n > 1 && t.size() != n)
          throw InputError(b.file + ": holds " + std::to_string(t.size()) + " transfers of " + b.fifo->name + ", another input holds " +
                           std::to_string(n) + " (give --iterations with inputs of one transfer to repeat them)");
        n = t.size();
      } else if (a->iterations && t.size() != 1 && t.size() != a->iterations) {
        throw InputError(b.file + ": holds " + std::to_string(t.size()) + " transfers of " + b.fifo->name + ", --iterations is " +
                         std::to_string(a->iterations) + " (give that many, or one to repeat)");
      }
      data[b.fifo->name] = std::move(t);
    }
    if (!n) n = 1;
    // The run keeps, per transfer, each bound output's bytes and one watch record (with its report
    // entry) per input FIFO; the inputs are repeated in place (TileRunOptions::input_transfers),
    // never copied n times. Refused before the run when that does not fit.
    uint64_t per_transfer = 0;
    for (const auto& f : design.fifos) {
      const bool kept = f.input || std::any_of(outs.begin(), outs.end(), [&](const Binding& b) { return b.fifo == &f; });
      if (f.input) per_transfer = add_sat(per_transfer, kWatchRecordBytes + (a->json.empty() ? 0 : kReportEntryBytes));
      else if (kept) per_transfer = add_sat(per_transfer, 4 * uint64_t{f.transfer_bytes} + 64);  // kept, joined, as .npy, encoded
    }
    require_memory(mul_sat(per_transfer, n), "sim --iterations " + std::to_string(n) + " (" + std::to_string(n) +
                                                  " transfers: the outputs kept and a watch record per input transfer)");

    std::unique_ptr<aie2::CompiledProgram> prog;
    try {
      prog = std::make_unique<aie2::CompiledProgram>(src.elf);
    } catch (const aie2::SimError& e) {
      throw InputError(e.what());
    }
    aie2::TileRunOptions topt;
    if (a->max_cycles) topt.max_cycles = a->max_cycles;
    topt.input_transfers = n;
    topt.poll = [] { throw_if_interrupted(); };
    for (const auto& f : design.fifos)
      if (!f.input && std::none_of(outs.begin(), outs.end(), [&](const Binding& b) { return b.fifo == &f; }))
        topt.discard_outputs.insert(f.name);
    topt.stack_at = stack_at;
    std::map<std::string, size_t> wanted;
    for (const auto& f : design.fifos)
      if (!f.input) wanted[f.name] = n;
    const auto t0 = std::chrono::steady_clock::now();
    aie2::TileRunResult r;
    size_t total = 0;
    for (const auto& [name, count] : wanted) total += count;
    // A bar on a terminal, a line every ATTNCHECK_PROGRESS_SECONDS in a CI log: a long
    // --iterations run shows it is alive. Ended before the summary is printed.
    auto progress = std::make_unique<Progress>("sim " + src.path + ": output transfers", total);
    topt.on_output = [p = progress.get()](size_t delivered, size_t) { p->set(delivered); };
    try {
      r = aie2::run_tile(*prog, design, data, wanted, topt);
    } catch (const aie2::SimError& e) {
      throw InputError(e.what());
    }
    topt.on_output = nullptr;
    progress.reset();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    OutputSet written;
    nlohmann::json jin = nlohmann::json::array(), jout = nlohmann::json::array();
    for (const auto& b : ins)
      jin.push_back({{"fifo", b.fifo->name}, {"file", b.file}, {"sha256", sha256_file(b.file)}, {"transfer_bytes", b.fifo->transfer_bytes},
                     {"transfers", n}});
    for (const auto& b : outs) {
      const std::string file = transfers_file(b, r.outputs.at(b.fifo->name));
      written.write(b.file, file);
      jout.push_back({{"fifo", b.fifo->name}, {"file", b.file},
                      {"sha256", sha256_hex(reinterpret_cast<const uint8_t*>(file.data()), file.size())}, {"transfer_bytes", b.fifo->transfer_bytes},
                      {"transfers", n}});
    }
    // The report is built only when it is written: it holds an entry per input transfer.
    if (!a->json.empty()) {
      nlohmann::json fifos = nlohmann::json::array();
      for (const auto& f : design.fifos)
        fifos.push_back({{"name", f.name}, {"direction", f.input ? "in" : "out"}, {"transfer_bytes", f.transfer_bytes}, {"depth", f.depth},
                         {"element_type", f.element_type}});
      nlohmann::json j = {{"schema", "attncheck.sim/1"},
                          {"tool", tool_json()},
                          {"command", "sim"},
                          {"backend", "sim"},
                          {"program", {{"kind", src.kind}, {"path", src.path}, {"sha256", src.sha256},
                                       {"symbols_from", src.symbols_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(src.symbols_from)}}},
                          {"design", {{"path", design_path}, {"sha256", design.sha256}, {"fifos", fifos}}},
                          {"iterations", n},
                          {"stack_at", topt.stack_at ? nlohmann::json(*topt.stack_at) : nlohmann::json(nullptr)},
                          {"max_cycles", topt.max_cycles},
                          {"inputs", jin},
                          {"outputs", jout},
                          {"run", aie2::to_json(r, design)},
                          {"simulated_cycles", r.core.bundles},
                          {"cycles_note", "one cycle per issued bundle; DMA and memory-bank stalls are not modelled"},
                          {"seconds", seconds}};
      written.write_json(a->json, j);
    }
    written.commit();

    std::ostringstream o;
    o << "attncheck sim: " << src.path << " (" << src.kind << ", sha256 " << short_hash(src.sha256) << ") in " << design_path << "\n";
    for (const auto& f : design.fifos) {
      std::string file = "(not saved)";
      for (const auto& b : f.input ? ins : outs)
        if (b.fifo == &f) file = (f.input ? "from " : "to ") + b.file;
      o << "  " << f.name << "  " << (f.input ? "in " : "out") << "  " << f.transfer_bytes << " B x " << n << "  " << file << "\n";
    }
    size_t clobbered = 0, stored = 0;
    for (const auto& u : r.inputs) {
      clobbered += u.clobbered_bytes;
      stored += u.core_stores ? 1 : 0;
    }
    char sp[16];
    std::snprintf(sp, sizeof sp, "0x%X", r.core.max_sp);
    o << "  cycles   " << r.core.bundles << " bundles issued (one cycle each), " << r.core.lock_waits << " lock waits, SP reached " << sp
      << (topt.stack_at ? " (--sim-stack-at)" : "") << "\n";
    for (const auto& d : r.stack_over_data)
      o << "  stack    ran over " << d.buffer << " bytes " << d.first_byte << ".." << d.last_byte << " (SP reached " << sp
        << "): frames there overwrite what the program keeps in it\n";
    o << "  watch    ";
    if (!stored) {
      o << "the core stored nothing into its input buffers\n";
    } else {
      o << "the core stored into " << stored << " of " << r.inputs.size() << " input transfers; " << clobbered
        << " bytes overwritten before it read them\n";
      // One transfer stands for the rest: the first whose bytes were overwritten before use, else the first stored into.
      const aie2::InputUse* shown = nullptr;
      for (const auto& u : r.inputs)
        if (!shown && u.clobbered_bytes) shown = &u;
      for (const auto& u : r.inputs)
        if (!shown && u.core_stores) shown = &u;
      for (const auto& w : shown->writers)
        o << "           " << shown->fifo << " transfer " << shown->transfer << " (" << shown->buffer << "): " << w.function
          << " wrote bytes " << w.first_byte << ".." << w.last_byte << (w.in_frame ? ", inside its stack frame" : "") << "\n";
    }
    o << "  backend  sim (the AIE2 core simulator running the compiled program; not a device)\n";
    if (!a->json.empty()) o << "  report   " << a->json << "\n";
    print(o.str());
    exit_code = 0;
  });
}

}  // namespace attncheck
