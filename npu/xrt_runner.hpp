// XrtRunner: runs a revision's xclbin + insts on the Phoenix NPU through XRT, launch by launch as kernels/device_layout plans it.
#pragma once
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
};

struct NpuResult {
  Int8Tensor output;
  nlohmann::json device;   // the report's `device` object
  nlohmann::json latency;  // the report's `latency` object
};

// False in a build without XRT (the stub): the CLI lists the npu backend as not built.
bool npu_built();
// "2.13.0": the XRT headers attncheck was built with; "" when not built.
std::string xrt_build_version();
// How the xclbin is loaded in this build: "xrt::hw_context" or "load_xclbin" ("" when not built).
std::string xrt_load_path();

// Whether device `index` opens, without loading anything: for `doctor` and `run --backend auto`.
struct DeviceProbe {
  bool opened = false;
  std::string name;     // when opened
  std::string message;  // XRT's words when not
};
DeviceProbe probe_device(unsigned index);

// One line for a device that did not open: the XRT version, the device index, /dev/accel/accel0 and
// the amdxdna module (each present or not), then XRT's own message.
std::string no_device_message(unsigned index, const std::string& xrt_message);

// Runs every launch of the revision's LaunchPlan on the device. InputError naming the file for a
// missing or malformed xclbin or insts, or a kernel name the xclbin lacks; DeviceUnavailable when
// the device does not open; DeviceError for a timeout, an abnormal command state or an output the
// device never wrote. Never waits longer than about timeout_ms per call.
NpuResult run_on_npu(const std::string& revision, const AttentionInputs& in, const Params& params,
                     const NpuOptions& opt);

}  // namespace attncheck
