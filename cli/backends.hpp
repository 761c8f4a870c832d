// The backends of `attncheck run`: what produces the device-under-test output, named in every report.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/localize.hpp"
#include "sim/core/core.hpp"
#include "fixtures/fixture.hpp"
#include "ref/registry.hpp"

namespace attncheck {

struct BackendOptions {
  std::string device_output;  // replay: a captured output .npy
  // npu (and auto): the revision's build products and how to run them (npu/xrt_runner.hpp).
  std::string xclbin, insts;
  std::string build_manifest;  // what the xclbin was built for; empty: attncheck-build.json beside it
  std::string kernel_name = "MLIR_AIE";
  unsigned device_index = 0;
  int timeout_ms = 10000;
  int iterations = 1, warmup = 0;
  // sim: the core ELF and its placed design (docs/aie2.md).
  std::string elf, design, pdi;  // the program: --elf, or --xclbin / --pdi (what the device loads)
  std::string sim_stack_at;  // hex or decimal address; empty: the link script's stack
  uint64_t sim_max_cycles = 0;  // 0: the default
  bool sim_chain = false;       // every launch on one core, in order, as one NPU context runs them
  double clock_mhz = 0;         // sim --insts: the AIE clock time is predicted at (0: npu1's, sim/array/timeline.hpp)
  aie2::Rules sim_rules;        // sim: the rules the simulator applies (the ISA's; only mutation tests change them)
  // Called (from any thread) as launches finish, with done and total: run shows it in its progress.
  std::function<void(size_t, size_t)> on_launch;
};

struct BackendResult {
  Int8Tensor output;
  nlohmann::json info;  // the report's `backend` object: name, description, and backend facts
  bool is_model = false;  // the output is the integer model itself: no vs_model section
  nlohmann::json device;   // npu: the report's `device` object (null otherwise)
  nlohmann::json latency;  // npu: the report's `latency` object (null otherwise)
  std::string note;        // one line for stdout, e.g. why `auto` chose the model
  // sim: what the write watch saw each launch's core store into its input buffers.
  std::vector<InputWrites> input_writes;
  bool watched = false;
};

struct BackendInfo {
  std::string name;
  std::string description;
  bool built;
};
// Every backend the CLI knows, built into this binary or not, for help and errors.
std::vector<BackendInfo> backend_list();

// The backend of a run that names none: a built-in revision's integer model; a kernel package's own
// code (its sources compiled for this CPU), never its model's output under the package's name.
// `why` is empty for the model, else the line the summary and the report's backend.default carry.
struct DefaultBackend {
  std::string name, why;
};
DefaultBackend default_backend(const Revision& rev);

// Runs `name` on the fixture. InputError for an unknown backend or bad options; DeviceError
// when a device backend cannot run. Never falls back to another backend, except `auto`, which
// is defined as "npu when a device opens, else model" and says which in info and note.
BackendResult run_backend(const std::string& name, const Revision& rev, const Params& params, const Fixture& fx,
                          const BackendOptions& opt);
// What --backend model reports for a model output made elsewhere (Revision::model_with_golden).
BackendResult model_backend_result(Int8Tensor output);

// `bench --sim-elf`: the simulator on one thread against the host-compiled source of the same
// revision on the same launches, `repeat` times each; medians, bundles per second, and the ratio.
nlohmann::json bench_sim(const std::string& fixture, const std::string& revision, const std::string& elf,
                         const std::string& stack_at, int repeat);

// The placed design a simulation runs in: `design` when given, else input_physical_with_elfs.mlir
// beside `program` (the toolchain leaves it there); InputError naming the option otherwise.
std::string sim_design_path(const std::string& program, const std::string& design, const std::string& option);
// --sim-stack-at's value: hex or decimal, 20 bits; InputError naming `option` otherwise.
uint32_t parse_sim_address(const std::string& s, const char* option);

// --backend sim (cli/sim_backend.cpp): the revision's LaunchPlan through the AIE2 core simulator.
BackendResult run_sim_backend(const Revision& rev, const Params& params, const Fixture& fx, const BackendOptions& opt,
                              const std::string& description);

}  // namespace attncheck
