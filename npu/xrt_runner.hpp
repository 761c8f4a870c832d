// XrtRunner: runs a revision's xclbin + insts on the Phoenix NPU through XRT, launch by launch as kernels/device_layout plans it.
#pragma once
#include <functional>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ref/errors.hpp"
#include "ref/registry.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// No device could be opened (as opposed to one that opened and then failed). `run --backend auto`
// falls back to the model on this error only; everything else stays an error.
struct DeviceUnavailable : DeviceError {
  using DeviceError::DeviceError;
};

struct NpuOptions {
  std::string xclbin;
  std::string insts;
  std::string kernel_name = "MLIR_AIE";
  unsigned device_index = 0;
  int timeout_ms = 10000;
  int iterations = 1;
  int warmup = 0;
  std::function<void(size_t, size_t)> on_launch;  // progress: (launches done, total)
};

struct NpuResult {
  Int8Tensor output;
  nlohmann::json device;   // the report's `device` object
  nlohmann::json latency;  // the report's `latency` object
};

// True when the runner is built: XRT with xrt::hw_context (2.18 to 2.20 on Phoenix). False in a
// build against an XRT without it (Debian's 2.13) or without XRT: the CLI lists npu as not built.
bool npu_built();
// Why not, in one sentence, naming the XRT found and what to do; "" when built.
std::string npu_not_built_reason();
// True when some XRT was found, so probe_device() opens devices through it.
bool xrt_found();
// "2.20.0": the XRT headers attncheck was compiled with; "" without XRT.
std::string xrt_build_version();
// The libxrt_coreutil this process runs with ("2.20.172", from xrt::version, XRT >= 2.16); "" when
// the XRT has no such API (2.13) or there is none.
std::string xrt_runtime_version();
// How the runner loads an xclbin: "register_xclbin + xrt::hw_context", or "" when not built.
std::string xrt_load_path();

// Whether device `index` opens, without loading anything: for `doctor` and `run --backend auto`.
struct DeviceProbe {
  bool opened = false;
  std::string name;      // when opened
  std::string bdf;       // PCI address, when XRT reports it
  std::string firmware;  // amdxdna's fw_version of that PCI device, when readable
  std::string message;   // XRT's words when not opened
};
DeviceProbe probe_device(unsigned index);

// One line for a device that did not open: the XRT version, the device index, /dev/accel/accel0 and
// the amdxdna module (each present or not), then XRT's own message.
std::string no_device_message(unsigned index, const std::string& xrt_message);

// Runs every launch of the revision's LaunchPlan on the device. InputError naming the file for a
// missing or malformed xclbin or insts, or a kernel name the xclbin lacks; DeviceUnavailable when
// the device does not open; DeviceError for a host-side timeout, a command the firmware ended in
// another state than COMPLETED (its state and XRT's message), or an output the device never wrote.
// No abort is sent (amdxdna has no ERT abort; its own timeout recovers the context), and after a
// failure a watchdog stays armed until the process ends, so XRT's teardown cannot hang it.
NpuResult run_on_npu(const Revision& revision, const AttentionInputs& in, const Params& params,
                     const NpuOptions& opt);

}  // namespace attncheck
