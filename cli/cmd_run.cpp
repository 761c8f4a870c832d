// `attncheck run`: one revision on one fixture through a backend, compared against golden and model.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "compare/gates.hpp"
#include "compare/junit.hpp"
#include "compare/report.hpp"
#include "fixtures/npy.hpp"
#include "kernels/packages.hpp"
#include "ref/errors.hpp"
#include "ref/fast.hpp"

namespace attncheck {

namespace {

// An option the chosen backend does not read is a mistake, never silently ignored: the seeds'
// `--device-output x.npy` without `--backend replay` ran the model and passed.
void check_backend_options(const CLI::App& cmd, const std::string& backend, const std::string& default_note) {
  static const std::vector<std::pair<const char*, std::vector<std::string>>> owners = {
      {"--device-output", {"replay"}},
      {"--xclbin", {"npu", "auto", "sim"}},
      {"--insts", {"npu", "auto", "sim"}},
      {"--build-manifest", {"npu", "auto"}},
      {"--kernel-name", {"npu", "auto"}},
      {"--device-index", {"npu", "auto"}},
      {"--timeout-ms", {"npu", "auto"}},
      {"--iterations", {"npu", "auto"}},
      {"--warmup", {"npu", "auto"}},
      {"--elf", {"sim"}},
      {"--pdi", {"sim"}},
      {"--design", {"sim"}},
      {"--sim-stack-at", {"sim"}},
      {"--sim-max-cycles", {"sim"}},
      {"--sim-chain", {"sim"}},
      {"--clock-mhz", {"sim"}},
      {"--allow-fallback", {"auto"}},
  };
  for (const auto& [option, backends] : owners) {
    if (cmd.count(option) == 0) continue;
    bool ok = false;
    std::string list;
    for (const auto& b : backends) {
      ok = ok || b == backend;
      list += (list.empty() ? "--backend " : " or ") + b;
    }
    if (!ok) throw InputError(std::string(option) + ": applies to " + list + " only, not --backend " + backend + default_note);
  }
}

std::vector<PathRole> run_inputs(const RunRequest& req, const std::string& gates) {
  std::vector<PathRole> in;
  for (const char* f : {"q.npy", "k.npy", "v.npy", "fixture.json"})
    in.push_back({"--fixture " + req.fixture_dir + " (" + f + ")", req.fixture_dir + "/" + f});
  const BackendOptions& bo = req.backend_options;
  const std::pair<const char*, const std::string*> named[] = {
      {"--gates", &gates},          {"--device-output", &bo.device_output}, {"--xclbin", &bo.xclbin},
      {"--insts", &bo.insts},       {"--build-manifest", &bo.build_manifest}, {"--elf", &bo.elf},
      {"--pdi", &bo.pdi},           {"--design", &bo.design}};
  for (const auto& [option, path] : named) in.push_back({option, *path});
  return in;
}

std::vector<PathRole> run_outputs(const std::string& json, const std::string& junit, const std::string& save,
                                  bool keep, bool with_model) {
  std::vector<PathRole> out = {{"--json", json}, {"--junit", junit}, {"--save-device-output", save}};
  if (keep)
    for (const std::string& p : kept_output_paths(json, with_model)) out.push_back({"--keep-outputs", p});
  return out;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run a kernel revision on a fixture through a backend; compare with golden and model");
  auto req = std::make_shared<RunRequest>();
  auto json_path = std::make_shared<std::string>();
  cmd->add_option("--kernel", req->revision, "Kernel revision (see `attncheck kernels`)")->required();
  cmd->add_option("--fixture", req->fixture_dir, "Fixture directory holding q.npy, k.npy, v.npy")->required();
  std::string backends;
  for (const auto& b : backend_list()) backends += (backends.empty() ? "" : ", ") + b.name;
  cmd->add_option("--backend", req->backend,
                  "What produces the output under test: " + backends +
                      " (default: model for a built-in revision, host for a kernel package: its own source)");
  cmd->add_option("--param", req->params, "Revision parameter override NAME=INTEGER (repeatable)");
  cmd->add_option("--json", *json_path, "Write the JSON report here");
  auto gates_path = std::make_shared<std::string>();
  auto junit_path = std::make_shared<std::string>();
  auto keep = std::make_shared<bool>(false);
  cmd->add_option("--gates", *gates_path, "Gates file (JSON thresholds, docs/gates-and-reports.md); exit 1 when one fails");
  cmd->add_option("--junit", *junit_path, "Write JUnit XML here: one test case per gate");
  cmd->add_flag("--keep-outputs", *keep, "Save the device, golden and model arrays as .npy beside the --json report");
  cmd->add_option_function<int>("-j,--jobs", [](const int& n) { fast::set_jobs(n); },
                                "Threads of the golden and integer models (default 0: every core)")
      ->check(at_least(0));
  add_kernel_timeout_option(cmd);
  // The device backends (docs/npu.md).
  BackendOptions& bo = req->backend_options;
  auto* npu = "NPU (--backend npu|auto)";
  cmd->add_option("--xclbin", bo.xclbin, "The revision's final.xclbin (kernels/<rev>/Makefile)")->group(npu);
  cmd->add_option("--insts", bo.insts, "Its instruction stream: insts.bin (LE 32-bit words) or insts.txt (hex lines)")->group(npu);
  cmd->add_option("--build-manifest", bo.build_manifest,
                  "What the xclbin was built for (default: attncheck-build.json beside it; written by the Makefile)")
      ->group(npu);
  cmd->add_option("--kernel-name", bo.kernel_name, "Kernel in the xclbin")->capture_default_str()->group(npu);
  cmd->add_option("--device-index", bo.device_index, "XRT device index")->capture_default_str()->group(npu);
  cmd->add_option("--timeout-ms", bo.timeout_ms, "Wait per kernel call before it is an error")
      ->capture_default_str()->check(at_least(1))->group(npu);
  cmd->add_option("--iterations", bo.iterations, "Measured kernel calls per launch (latency in the report)")
      ->capture_default_str()->check(at_least(1))->group(npu);
  cmd->add_option("--warmup", bo.warmup, "Unmeasured kernel calls per launch before them")
      ->capture_default_str()->check(at_least(0))->group(npu);
  cmd->add_option("--device-output", bo.device_output, "--backend replay: a captured int8 output .npy, the fixture's shape");
  auto* sim = "Simulator (--backend sim, docs/aie2.md)";
  cmd->add_option("--elf", bo.elf, "The compiled core program (main_core_0_2.elf)")->group(sim);
  cmd->add_option("--pdi", bo.pdi, "The design's main.pdi instead of --elf (--xclbin works the same way)")->group(sim);
  cmd->add_option("--design", bo.design, "Its placed design (input_physical_with_elfs.mlir; default: beside the ELF)")->group(sim);
  cmd->add_option("--sim-stack-at", bo.sim_stack_at,
                  "Start SP here instead of the link script's stack (e.g. 0x78800): what would the binary compute with a stack that fits?")
      ->group(sim);
  cmd->add_option("--sim-max-cycles", bo.sim_max_cycles, "Stop a launch when no transfer moved for this many bundles (default 1000000000)")
      ->check(sim_max_cycles_range())->group(sim);
  cmd->add_flag("--sim-chain", bo.sim_chain, "Run every launch on one core in order, as one NPU context does (one thread)")->group(sim);
  cmd->add_option("--clock-mhz", bo.clock_mhz, "With --insts: predict time at this AIE clock (default: npu1's 1024 MHz, docs/aie2-timing.md)")
      ->check(CLI::Range(1.0, 10000.0))->group(sim);
  cmd->add_flag("--allow-mismatch", req->allow_mismatch,
                "Accept a backend output that differs from the integer model (default: any difference fails the run)");
  cmd->add_flag("--allow-fallback", req->allow_fallback,
                "With --backend auto: accept a run on the model when no NPU opened (exit 0, device checks skipped)");
  auto save_path = std::make_shared<std::string>();
  cmd->add_option("--save-device-output", *save_path, "Write the output under test (any backend) to this .npy (int8)");
  cmd->callback([cmd, req, json_path, gates_path, junit_path, keep, save_path, &exit_code] {
    // A package runs its own code unless told otherwise; the options are checked against that backend.
    const std::string backend = req->backend.empty() ? default_backend(resolve_kernel(req->revision)).name : req->backend;
    check_backend_options(*cmd, backend,
                          req->backend.empty() ? " (the default for " + req->revision + "; give --backend)" : "");
    if (*keep && json_path->empty()) throw InputError("--keep-outputs: needs --json (the arrays are saved beside the report)");
    OutputSet::check("--json", *json_path);
    OutputSet::check("--junit", *junit_path);
    OutputSet::check("--save-device-output", *save_path);
    // A document on stdout keeps stdout to itself: the summary and progress go to stderr.
    if (*json_path == "-" || *junit_path == "-" || *save_path == "-") send_text_to_stderr();
    req->progress = true;
    check_distinct_paths(run_inputs(*req, *gates_path), run_outputs(*json_path, *junit_path, *save_path, *keep, backend != "model"));
    if (!gates_path->empty()) req->gates = load_gates(*gates_path);
    RunOutcome r = execute_run(*req);
    // A failed gate is a result: the report and the JUnit file are written all the same, and
    // together: a failure before commit() leaves the previous run's files as they were.
    OutputSet outputs;
    if (*keep) r.report["outputs"] = save_outputs(*json_path, r, outputs);
    if (!save_path->empty()) {
      outputs.write_npy(*save_path, int8_tensor_to_npy(r.device, r.report["fixture"].value("two_d", false)));
      r.report["backend"]["saved_device_output"] = *save_path;
    }
    if (!junit_path->empty()) outputs.write(*junit_path, junit_xml("attncheck run", junit_cases(r.report)));
    if (!json_path->empty()) outputs.write_json(*json_path, r.report);
    outputs.commit();
    print(r.summary);
    if (!json_path->empty()) print("  report    " + *json_path + "\n");
    if (r.exit_code == kExitNoDevice)
      std::fprintf(stderr, "attncheck: --backend auto: no NPU ran (%s); its device checks were skipped; "
                           "--allow-fallback accepts a run on the model\n",
                   terminal_text(r.report["backend"].value("fallback_reason", std::string("no device"))).c_str());
    exit_code = r.exit_code;
  });
}

}  // namespace attncheck
