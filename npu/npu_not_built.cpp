// The npu backend of a build without XRT: every entry point says so, so the CLI can report "not built".
#include "npu/xrt_runner.hpp"

#include "npu/host_env.hpp"

namespace attncheck {

bool npu_built() { return false; }
std::string xrt_build_version() { return ""; }
std::string xrt_load_path() { return ""; }

DeviceProbe probe_device(unsigned) {
  DeviceProbe p;
  p.message = "npu backend not built (XRT was not found when attncheck was configured)";
  return p;
}

std::string no_device_message(unsigned index, const std::string& xrt_message) {
  return "npu backend not built (no XRT at configure time); device index " + std::to_string(index) + "; " +
         (accel_node_present(index) ? "/dev/accel/accel" + std::to_string(index) + " present"
                                    : "/dev/accel/accel" + std::to_string(index) + " absent") +
         "; amdxdna driver " + (amdxdna_loaded() ? "loaded" : "not loaded") + ": " + xrt_message;
}

NpuResult run_on_npu(const std::string&, const AttentionInputs&, const Params&, const NpuOptions&) {
  throw DeviceUnavailable(
      "--backend npu: npu backend not built: XRT was not found when attncheck was configured; install libxrt-dev "
      "uuid-dev (or AMD's XRT) and reconfigure with -DXRT_ROOT=/opt/xilinx/xrt");
}

}  // namespace attncheck
