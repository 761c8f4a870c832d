// The npu runner of a build that cannot load an xclbin on amdxdna (no XRT, or one without hw_context): every entry point says why.
#include "npu/xrt_runner.hpp"

#include "npu/host_env.hpp"

#ifndef ATTNCHECK_NPU_NOT_BUILT_REASON
#define ATTNCHECK_NPU_NOT_BUILT_REASON "XRT was not found when attncheck was configured"
#endif

namespace attncheck {

bool npu_built() { return false; }
std::string npu_not_built_reason() { return ATTNCHECK_NPU_NOT_BUILT_REASON; }
std::string xrt_load_path() { return ""; }

// With an XRT too old for the runner, xrt_probe.cpp still opens devices for doctor.
#ifndef ATTNCHECK_HAVE_XRT_PROBE
bool xrt_found() { return false; }
std::string xrt_build_version() { return ""; }
std::string xrt_runtime_version() { return ""; }

DeviceProbe probe_device(unsigned) {
  DeviceProbe p;
  p.message = "XRT was not found when attncheck was configured";
  return p;
}

std::string no_device_message(unsigned index, const std::string& xrt_message) {
  return "npu backend not built (no XRT at configure time); device index " + std::to_string(index) + "; " +
         (accel_node_present(index) ? "/dev/accel/accel" + std::to_string(index) + " present"
                                    : "/dev/accel/accel" + std::to_string(index) + " absent") +
         "; amdxdna driver " + (amdxdna_loaded() ? "loaded" : "not loaded") + ": " + xrt_message;
}
#endif

NpuResult run_on_npu(const Revision&, const AttentionInputs&, const Params&, const NpuOptions&) {
  throw DeviceUnavailable("--backend npu: npu backend not built: " + npu_not_built_reason());
}

}  // namespace attncheck
