// `--backend sim`: each launch of the revision's LaunchPlan run by the AIE2 core simulator on the compiled ELF, tiles in parallel.
#include <atomic>
#include <chrono>
#include <time.h>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "cli/backends.hpp"
#include "cli/run.hpp"
#include "kernels/device_layout.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/packages.hpp"
#include "npu/launch_loop.hpp"
#include "ref/errors.hpp"
#include "ref/fast.hpp"
#include "ref/interrupt.hpp"
#include "sim/inspect.hpp"
#include "cli/timing_report.hpp"
#include "sim/array/program.hpp"
#include "sim/load/npu_insts.hpp"
#include "sim/load/pdi.hpp"
#include "sim/core/tile.hpp"

namespace attncheck {

uint32_t parse_sim_address(const std::string& s, const char* option) {
  try {
    size_t used = 0;
    const unsigned long v = std::stoul(s, &used, 0);
    if (used != s.size() || v > 0xFFFFF) throw std::invalid_argument("range");
    return static_cast<uint32_t>(v);
  } catch (const std::exception&) {
    throw InputError(std::string(option) + " " + s + ": expected an address such as 0x78800 (20 bits)");
  }
}

std::string sim_design_path(const std::string& program, const std::string& design, const std::string& option) {
  if (!design.empty()) return design;
  const auto beside = std::filesystem::path(program).parent_path() / "input_physical_with_elfs.mlir";
  std::error_code ec;
  if (std::filesystem::is_regular_file(beside, ec)) return beside.string();
  throw InputError(option + ": needs --design PHYSICAL.mlir (the placed design; none found beside " + program + ")");
}

namespace {

std::string program_path(const BackendOptions& opt) { return !opt.elf.empty() ? opt.elf : !opt.xclbin.empty() ? opt.xclbin : opt.pdi; }

// The watch of one launch, in the form the localizer reads: the writers of its row buffer.
InputWrites input_writes(size_t launch, const aie2::InputUse& use) {
  InputWrites w;
  w.launch = launch;
  w.buffer = use.buffer;
  for (const auto& sw : use.writers)
    w.writers.push_back({sw.function, sw.first_byte, sw.last_byte, sw.last_byte - sw.first_byte + 1, sw.stores, sw.min_sp,
                         sw.max_sp, sw.in_frame});
  for (const auto& [lo, hi] : use.clobbered_ranges()) w.clobbered.push_back({lo, hi});
  return w;
}

// The simulated launches' outputs assembled by the launch loop exactly as it does for the NPU.
Int8Tensor assemble_outputs(const LaunchPlan& plan, const Shape& shape, const std::vector<std::vector<uint8_t>>& outputs) {
  const DeviceStep step = [&](size_t i, const std::vector<std::vector<uint8_t>>&, uint8_t* out, size_t bytes) {
    std::memcpy(out, outputs[i].data(), bytes);
    return 0.0;
  };
  return run_launch_loop(plan, shape, step, LoopOptions{}).output;
}

}  // namespace

// --backend sim --xclbin F --insts F: the array simulator takes what --backend npu takes, and the
// same LaunchPlan packs the same buffers into the same kernel arguments (npu/launch_loop.hpp).
BackendResult run_sim_array_backend(const Revision& rev, const Params& params, const Fixture& fx, const BackendOptions& opt,
                                    const std::string& description) {
  if (!opt.elf.empty()) throw InputError("--backend sim --insts: runs the xclbin (or --pdi) and its instruction stream; --elf takes --design instead");
  if (!opt.design.empty()) throw InputError("--backend sim --insts: the xclbin configures the array; --design is for --elf runs");
  const aie2::array::ArrayProgram prog = aie2::array::load_array_program(opt.xclbin, opt.pdi);
  const aie2::InstructionStream insts = aie2::read_instruction_stream(opt.insts);
  const LaunchPlan plan(rev, fx.inputs, params);
  const std::vector<KernelBuffer> kbufs = kernel_buffers(plan, insts.words.size());
  // The stream must patch exactly the buffers the plan passes: another design's stream would
  // read or write arguments this kernel does not have.
  std::vector<int> plan_args;
  for (const auto& b : kbufs)
    if (b.group_id >= 3) plan_args.push_back(b.group_id);
  const std::vector<int> patched = aie2::array::patched_arguments(insts);
  auto list = [](const std::vector<int>& v) {
    std::string s;
    for (int a : v) s += (s.empty() ? "" : ", ") + std::to_string(a);
    return s.empty() ? std::string("none") : s;
  };
  if (patched != plan_args)
    throw InputError(opt.insts + ": its DDR patches address kernel arguments " + list(patched) + ", but " + rev.name +
                     " passes buffers as arguments " + list(plan_args));
  aie2::array::ArrayOptions aopt;
  if (opt.sim_max_cycles) aopt.max_cycles = opt.sim_max_cycles;
  if (!opt.sim_stack_at.empty()) aopt.stack_at = parse_sim_address(opt.sim_stack_at, "--sim-stack-at");
  aopt.poll = [] { throw_if_interrupted(); };
  aopt.quantum = kTimedQuantum;
  aopt.rules = opt.sim_rules;
  const aie2::array::Clock clock = aie2::array::npu1_clock(opt.clock_mhz > 0 ? std::optional<double>(opt.clock_mhz) : std::nullopt);
  const size_t period = aie2::array::ring_period(prog);

  const size_t n = plan.launches();
  std::vector<std::vector<uint8_t>> outputs(n);
  std::vector<nlohmann::json> reports(opt.sim_chain ? 1 : n);
  // The write watch of the design's first core: its input fills, per launch.
  std::vector<std::vector<aie2::InputUse>> uses(opt.sim_chain ? 1 : n);
  auto watch_of = [&](aie2::array::Array& a) {
    return prog.cores.empty() ? std::vector<aie2::InputUse>{} : a.input_uses(prog.cores[0].first, prog.cores[0].second);
  };
  std::vector<uint64_t> cycles(n, 0);
  std::vector<std::vector<std::vector<uint8_t>>> packed(n);
  for (size_t i = 0; i < n; ++i) plan.pack(i, &packed[i]);
  const size_t out_bytes = kbufs.back().bytes;
  const auto t0 = std::chrono::steady_clock::now();
  // One XRT call of launch i on `a`: inputs copied in, the output pre-filled with the sentinel
  // the NPU path uses, so that rows the device never writes show as such.
  std::vector<nlohmann::json> timing(n);
  std::vector<std::unique_ptr<aie2::array::Timeline>> timelines(n);
  auto call = [&](aie2::array::Array& a, size_t i, std::vector<uint8_t>* out, nlohmann::json* timed = nullptr) {
    const nlohmann::json before = timed ? a.report() : nlohmann::json();
    std::vector<std::vector<uint8_t>> in = packed[i];
    out->assign(out_bytes, LoopOptions{}.sentinel);
    std::map<int, std::vector<uint8_t>*> args;
    for (size_t b = 0; b < in.size(); ++b) args[plan_args[b]] = &in[b];
    args[plan_args.back()] = out;
    try {
      a.call(insts, args);
    } catch (const aie2::SimError& e) {
      throw InputError(std::string(e.what()) + " (launch " + std::to_string(i) + ")");
    }
    if (timed) {
      *timed = aie2::array::call_timing(before, a.report(), a.last_call_cycles(), clock);
      (*timed)["launch"] = i;
    }
  };
  if (opt.sim_chain) {
    auto a = aie2::array::make_array(prog, aopt);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t before = a->now();
      call(*a, i, &outputs[i], &timing[i]);
      cycles[i] = a->now() - before;
      if (opt.on_launch) opt.on_launch(i + 1, n);
    }
    reports[0] = a->report();
    uses[0] = watch_of(*a);
  } else {
    std::atomic<size_t> finished{0};
    fast::parallel_for(n, [&](size_t i) {
      throw_if_interrupted();
      // Each launch's array counts its cores' bundles and calls (the profile costs no measurable time).
      timelines[i] = std::make_unique<aie2::array::Timeline>(false, true);
      aie2::array::ArrayOptions lopt = aopt;
      lopt.timeline = timelines[i].get();
      auto a = aie2::array::make_array(prog, lopt);
      std::vector<uint8_t> scratch;
      for (size_t k = 0; k < i % period; ++k) call(*a, i, &scratch);
      const uint64_t before = a->now();
      call(*a, i, &outputs[i], &timing[i]);
      cycles[i] = a->now() - before;
      reports[i] = a->report();
      if (timelines[i]) timing[i]["profile"] = timelines[i]->profile_json(a->now(), clock);
      uses[i] = watch_of(*a);
      const size_t done = ++finished;
      if (opt.on_launch) opt.on_launch(done, n);
    });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BackendResult r;
  r.output = assemble_outputs(plan, fx.shape(), outputs);
  r.watched = !prog.cores.empty();
  // A launch's own fill of the first input channel: in a chained run the launches' fills in
  // order; in independent runs the fill after the priming calls.
  for (size_t i = 0; i < n; ++i) {
    const auto& us = opt.sim_chain ? uses[0] : uses[i];
    if (us.empty()) continue;
    const std::string first_channel = us.front().fifo;
    const size_t want = opt.sim_chain ? i : i % period;
    for (const auto& u : us)
      if (u.fifo == first_channel && u.transfer == want) r.input_writes.push_back(input_writes(i, u));
  }
  uint64_t bundles = 0;
  nlohmann::json per_launch = nlohmann::json::array();
  for (size_t i = 0; i < reports.size(); ++i) {
    for (const auto& c : reports[i]["cores"]) bundles += c["bundles"].get<uint64_t>();
    per_launch.push_back({{"launch", i}, {"cycles", opt.sim_chain ? reports[0]["cycles"] : nlohmann::json(cycles[i])},
                          {"priming_calls", opt.sim_chain ? 0 : i % period}, {"array", reports[i]}});
  }
  r.info = {{"name", "sim"},
            {"description", description},
            {"simulator", "array"},
            {"program", {{"kind", prog.kind}, {"path", prog.path}, {"sha256", prog.sha256}}},
            {"insts", {{"path", insts.path}, {"sha256", insts.sha256}, {"format", insts.format}, {"operations", insts.ops.size()}}},
            {"launch_model", opt.sim_chain ? "chained: every launch on one array in order, as one NPU context runs them"
                                           : "independent: a fresh array per launch, first called to the launch's DMA ring position"},
            {"ring_period", period},
            {"simulated_bundles", bundles},
            {"per_launch", per_launch},
            {"timing", timing_json(clock, nlohmann::json(timing))},
            {"seconds", seconds},
            {"threads", opt.sim_chain ? 1 : std::min<size_t>(n, static_cast<size_t>(fast::jobs()))},
            {"stack_at", aopt.stack_at ? nlohmann::json(*aopt.stack_at) : nlohmann::json(nullptr)}};
  r.note = "sim (array): " + std::to_string(bundles) + " bundles in " + std::to_string(n) + " launch(es) from " + prog.path + " + " + insts.path;
  std::string lines = timing_text(r.info["timing"]);
  while (!lines.empty() && lines.back() == '\n') lines.pop_back();
  r.note += "\n" + lines;
  return r;
}

BackendResult run_sim_backend(const Revision& rev, const Params& params, const Fixture& fx, const BackendOptions& opt,
                              const std::string& description) {
  if (!opt.insts.empty()) return run_sim_array_backend(rev, params, fx, opt, description);
  if (program_path(opt).empty())
    throw InputError("--backend sim: needs --elf FILE.elf (the compiled core program, main_core_0_2.elf), or --xclbin / --pdi");
  for (const auto& name : rev.baked_params) {
    const ParamSpec* spec = nullptr;
    for (const auto& p : rev.params)
      if (p.name == name) spec = &p;
    if (spec && params.count(name) && params.at(name) != spec->default_value)
      throw InputError("--param " + name + "=" + std::to_string(params.at(name)) + ": --backend sim runs a built binary, whose design fixes " +
                       name + "=" + std::to_string(spec->default_value) + "; it cannot honour an override");
  }
  const std::string design_path = sim_design_path(program_path(opt), opt.design, "--backend sim");
  const aie2::Design design = aie2::read_design(design_path);
  const aie2::CoreSource src = aie2::load_core_source(opt.elf, opt.xclbin, opt.pdi, design);
  const aie2::Elf& elf = src.elf;
  std::unique_ptr<aie2::CompiledProgram> prog;
  try {
    prog = std::make_unique<aie2::CompiledProgram>(elf, false, opt.sim_rules);
  } catch (const aie2::SimError& e) {
    throw InputError(e.what());
  }
  const LaunchPlan plan(rev, fx.inputs, params);

  // The plan's buffers onto the design's FIFOs: inputs in channel order, then the one output.
  std::vector<const aie2::DesignFifo*> in_fifos, out_fifos;
  for (const auto& f : design.fifos) (f.input ? in_fifos : out_fifos).push_back(&f);
  const auto& bufs = plan.buffers();
  if (out_fifos.size() != 1 || in_fifos.size() + 1 != bufs.size())
    throw InputError(design_path + ": has FIFOs " + design.fifo_names() + ", but " + rev.name + " launches " +
                     std::to_string(bufs.size() - 1) + " input buffer(s) and 1 output");
  for (size_t i = 0; i + 1 < bufs.size(); ++i)
    if (bufs[i].bytes != in_fifos[i]->transfer_bytes)
      throw InputError(design_path + ": FIFO " + in_fifos[i]->name + " moves " + std::to_string(in_fifos[i]->transfer_bytes) +
                       " B per transfer, " + rev.name + "'s buffer " + bufs[i].name + " has " + std::to_string(bufs[i].bytes) + " B");
  if (bufs.back().bytes != out_fifos[0]->transfer_bytes)
    throw InputError(design_path + ": FIFO " + out_fifos[0]->name + " moves " + std::to_string(out_fifos[0]->transfer_bytes) +
                     " B, " + rev.name + "'s output has " + std::to_string(bufs.back().bytes) + " B");
  // The program against its design (buffer symbols, data sections, stack), before any launch.
  try {
    aie2::check_program_layout(elf, design, opt.sim_stack_at.empty() ? std::nullopt
                                                                     : std::optional<uint32_t>(parse_sim_address(opt.sim_stack_at, "--sim-stack-at")));
  } catch (const aie2::SimError& e) {
    throw InputError(e.what());
  }

  aie2::TileRunOptions topt;
  if (opt.sim_max_cycles) topt.max_cycles = opt.sim_max_cycles;
  if (!opt.sim_stack_at.empty()) topt.stack_at = parse_sim_address(opt.sim_stack_at, "--sim-stack-at");
  topt.poll = [] { throw_if_interrupted(); };
  // A fresh core per launch must stand where the NPU's one long-running core stands for that
  // launch: at transfer i of every ring. So launch i first plays (i mod period) transfers.
  size_t period = 1;
  for (const auto& f : design.fifos) period = std::lcm(period, static_cast<size_t>(f.depth));

  const size_t n = plan.launches();
  std::vector<std::vector<uint8_t>> outputs(n);
  std::vector<aie2::TileRunResult> runs(opt.sim_chain ? 1 : n);
  std::vector<std::vector<std::vector<uint8_t>>> packed(n);
  for (size_t i = 0; i < n; ++i) plan.pack(i, &packed[i]);
  const auto t0 = std::chrono::steady_clock::now();
  auto simulate = [&](size_t first, size_t count, size_t priming, aie2::TileRunResult* out) {
    std::map<std::string, std::vector<std::vector<uint8_t>>> in;
    for (size_t b = 0; b < in_fifos.size(); ++b) {
      auto& v = in[in_fifos[b]->name];
      for (size_t k = 0; k < priming; ++k) v.push_back(packed[first][b]);
      for (size_t k = 0; k < count; ++k) v.push_back(packed[first + k][b]);
    }
    try {
      *out = aie2::run_tile(*prog, design, in, {{out_fifos[0]->name, priming + count}}, topt);
    } catch (const aie2::SimError& e) {
      throw InputError(std::string(e.what()) + " (launch " + std::to_string(first) + ")");
    }
    const auto& o = out->outputs.at(out_fifos[0]->name);
    for (size_t k = 0; k < count; ++k) outputs[first + k] = o[priming + k];
  };
  if (opt.sim_chain) {
    simulate(0, n, 0, &runs[0]);
  } else {
    std::atomic<size_t> finished{0};
    fast::parallel_for(n, [&](size_t i) {
      throw_if_interrupted();
      simulate(i, 1, i % period, &runs[i]);
      const size_t done = ++finished;
      if (opt.on_launch) opt.on_launch(done, n);
    });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  BackendResult r;
  r.output = assemble_outputs(plan, fx.shape(), outputs);
  r.watched = true;
  uint64_t bundles = 0;
  nlohmann::json per_launch = nlohmann::json::array();
  uint32_t max_sp = 0;
  std::string over_data;  // the first launch whose stack ran over the ELF's own data, for the note
  for (size_t i = 0; i < runs.size(); ++i) {
    const aie2::TileRunResult& t = runs[i];
    bundles += t.core.bundles;
    max_sp = std::max(max_sp, t.core.max_sp);
    per_launch.push_back({{"launch", i}, {"bundles", t.core.bundles}, {"cycles", t.core.bundles},
                          {"priming_transfers", opt.sim_chain ? 0 : i % period}, {"max_sp", t.core.max_sp},
                          {"lock_waits", t.core.lock_waits}, {"part_word_hazards", t.core.part_word_hazards},
                          {"stack_over_data", aie2::stack_json(t.stack_over_data)}});
    for (const auto& d : t.stack_over_data)
      if (over_data.empty()) over_data = "; the stack ran over " + d.buffer + " bytes " + std::to_string(d.first_byte) + ".." + std::to_string(d.last_byte) + " in launch " + std::to_string(i);
  }
  // The watch: in a chained run the transfers are the launches in order; in independent runs
  // each launch's measured transfer is its last one.
  for (size_t i = 0; i < n; ++i) {
    const aie2::TileRunResult& t = opt.sim_chain ? runs[0] : runs[i];
    for (const auto& use : t.inputs) {
      if (use.fifo != in_fifos[0]->name) continue;
      const size_t launch_of_use = opt.sim_chain ? use.transfer : (use.transfer == i % period ? i : SIZE_MAX);
      if (launch_of_use == i) r.input_writes.push_back(input_writes(i, use));
    }
  }
  // The static stack analysis needs function symbols: the ELF's, or those of a matching ELF beside an image's design.
  nlohmann::json static_stack = nullptr, static_verdict = nullptr;
  if (!elf.symbols.empty()) {
    std::unique_ptr<aie2::LinkScript> ld;
    const auto ld_path = std::filesystem::path(src.kind == "elf" ? src.path : src.symbols_from).replace_extension(".ld.script");
    std::error_code ec;
    if (std::filesystem::is_regular_file(ld_path, ec)) ld = std::make_unique<aie2::LinkScript>(aie2::read_link_script(ld_path.string()));
    const aie2::ElfReport static_report = aie2::inspect_elf(elf, ld.get());
    static_stack = static_report.stack.max_bytes;
    static_verdict = aie2::stack_verdict(static_report);
  }
  char sp_hex[16];
  std::snprintf(sp_hex, sizeof sp_hex, "0x%X", max_sp);
  r.info = {{"name", "sim"},
            {"description", description},
            {"program", {{"kind", src.kind}, {"path", src.path}, {"sha256", src.sha256},
                         {"symbols_from", src.symbols_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(src.symbols_from)}}},
            {"design", {{"path", design_path}, {"sha256", design.sha256}}},
            {"launch_model", opt.sim_chain ? "chained: every launch on one core in order, as one NPU context runs them"
                                           : "independent: a fresh core per launch, first played to the launch's ObjectFIFO position"},
            {"simulated_bundles", bundles},
            {"simulated_cycles", bundles},
            {"cycles_note", "one cycle per issued bundle; DMA and memory-bank stalls are not modelled"},
            {"per_launch", per_launch},
            {"seconds", seconds},
            {"mbundles_per_second", seconds > 0 ? static_cast<double>(bundles) / seconds / 1e6 : 0.0},
            {"threads", opt.sim_chain ? 1 : std::min<size_t>(n, static_cast<size_t>(fast::jobs()))},
            {"stack_at", topt.stack_at ? nlohmann::json(*topt.stack_at) : nlohmann::json(nullptr)},
            {"max_sp", max_sp},
            {"static_stack", static_stack},
            {"static_verdict", static_verdict},
            {"max_cycles", topt.max_cycles}};
  r.note = "sim: " + std::to_string(bundles) + " bundles in " + std::to_string(n) + " launch(es), " +
           std::to_string(static_cast<long long>(seconds > 0 ? bundles / seconds / 1e6 : 0)) + " M bundles/s; SP reached " + sp_hex +
           (topt.stack_at ? " (--sim-stack-at)" : "") + over_data;
  return r;
}

nlohmann::json bench_sim(const std::string& fixture, const std::string& revision, const std::string& elf,
                         const std::string& stack_at, int repeat) {
  const Fixture fx = load_fixture(fixture);
  const Revision& rev = resolve_kernel(revision);
  check_shape(rev, fx.shape(), fx.path);
  const Params params = runtime_params(rev, fx.inputs, resolve_params(rev, {}));
  const HostKernel* host = &host_kernel(rev);
  BackendOptions opt;
  opt.elf = elf;
  opt.sim_stack_at = stack_at;
  // One thread on each side: the rate per core is what the simulator promises.
  const int saved_jobs = fast::jobs();
  fast::set_jobs(1);
  // Wall time, and this thread's CPU time: on a machine other jobs share, the wall time of the
  // longer side also counts their time slices, the CPU time does not.
  auto thread_cpu = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  };
  std::vector<double> sim_s, host_s, rates, sim_cpu, host_cpu;
  uint64_t bundles = 0;
  for (int r = 0; r < repeat; ++r) {
    throw_if_interrupted();
    auto t0 = std::chrono::steady_clock::now();
    double c0 = thread_cpu();
    const BackendResult b = run_sim_backend(rev, params, fx, opt, "sim");
    sim_cpu.push_back(thread_cpu() - c0);
    sim_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    bundles = b.info["simulated_bundles"].get<uint64_t>();
    rates.push_back(static_cast<double>(bundles) / sim_s.back() / 1e6);
    // The host side takes well under a millisecond: it runs the same launches again until 20 ms
    // of CPU time have passed, and one run's time is the mean, so the clocks' resolution and a
    // single time slice do not decide the ratio.
    t0 = std::chrono::steady_clock::now();
    c0 = thread_cpu();
    int runs = 0;
    do {
      (void)host->run(fx.inputs, params);
      ++runs;
    } while (thread_cpu() - c0 < 0.02);
    host_cpu.push_back((thread_cpu() - c0) / runs);
    host_s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / runs);
  }
  fast::set_jobs(saved_jobs);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  const double ms = median(sim_s), mh = median(host_s), mr = median(rates);
  nlohmann::json j = {{"fixture", fx.path},
                      {"shape", {fx.shape().heads, fx.shape().seq, fx.shape().dim}},
                      {"kernel", rev.name},
                      {"elf", elf},
                      {"repeat", repeat},
                      {"threads", 1},
                      {"simulated_bundles", bundles},
                      {"sim_seconds", sim_s},
                      {"host_seconds", host_s},
                      {"sim_median_s", ms},
                      {"host_median_s", mh},
                      {"mbundles_per_second_median", mr},
                      {"ratio_sim_over_host", ms / mh},
                      {"sim_cpu_seconds", sim_cpu},
                      {"host_cpu_seconds", host_cpu},
                      {"sim_median_cpu_s", median(sim_cpu)},
                      {"host_median_cpu_s", median(host_cpu)},
                      {"mbundles_per_cpu_second", static_cast<double>(bundles) / median(sim_cpu) / 1e6},
                      {"ratio_cpu_sim_over_host", median(sim_cpu) / median(host_cpu)}};
  std::ostringstream o;
  o << "attncheck bench --sim-elf: " << rev.name << " on " << fx.path << " (" << fx.shape().str() << "), " << repeat
    << " repetitions, one thread each\n";
  o << "  simulator   median " << format_number(ms, 3) << " s for " << bundles << " bundles: " << format_number(mr, 1)
    << " M bundles/s per core\n";
  o << "  host source median " << format_number(mh, 6) << " s (" << host_compiler() << ", the same launches, mean of repeated runs)\n";
  o << "  ratio       " << format_number(ms / mh, 1) << "x (simulator time / host-compiled source time)\n";
  o << "  cpu         simulator " << format_number(median(sim_cpu), 3) << " s ("
    << format_number(j["mbundles_per_cpu_second"].get<double>(), 1) << " M bundles per CPU second), host source "
    << format_number(median(host_cpu), 6) << " s: ratio " << format_number(j["ratio_cpu_sim_over_host"].get<double>(), 1)
    << "x (this thread's CPU time, which other jobs on the machine do not inflate)\n";
  j["text"] = o.str();
  return j;
}

}  // namespace attncheck
