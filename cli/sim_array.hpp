// The array mode of `attncheck sim` (--insts): its arguments, shared with the single-core mode's parser.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck {

struct SimArrayArgs {
  std::string elf, xclbin, pdi, design, insts, json, stack_at;
  std::vector<std::string> inputs, outputs, args;
  size_t iterations = 0;
  uint64_t max_cycles = 0;
  double clock_mhz = 0;  // 0: the npu1 default (sim/array/timeline.hpp npu1_clock)
  std::string trace;     // Trace Event Format file to write
  bool profile = false;  // cycles per function
  uint32_t quantum = 0;  // 0: ArrayOptions' default
  bool time_cores = false;  // report core_seconds (ArrayOptions::time_cores)
  int threads = 1;          // host threads for the cores (ArrayOptions::threads)
};

void run_sim_array_command(const SimArrayArgs& a, int& exit_code);

}  // namespace attncheck
