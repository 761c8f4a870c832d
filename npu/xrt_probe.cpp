// What any XRT (2.13 included) can say without loading anything: its versions, whether a device opens, its PCI address and firmware.
#include <string>

#include "npu/host_env.hpp"
#include "npu/xrt_includes.hpp"
#include "npu/xrt_runner.hpp"

namespace attncheck {

bool xrt_found() { return true; }
std::string xrt_build_version() { return ::xrt_build_version; }

std::string xrt_runtime_version() {
#ifdef ATTNCHECK_XRT_VERSION_API
  // Parenthesised: glibc's <sys/sysmacros.h> defines major() and minor() as macros.
  return std::to_string((xrt::version::major)()) + "." + std::to_string((xrt::version::minor)()) + "." +
         std::to_string(xrt::version::patch());
#else
  return "";
#endif
}

std::string no_device_message(unsigned index, const std::string& xrt_message) {
  const std::string node = "/dev/accel/accel" + std::to_string(index);
  return "no NPU opened: XRT " + xrt_build_version() + " could not open device index " + std::to_string(index) +
         " (" + xrt_message + "); " + node + (accel_node_present(index) ? " present" : " absent") +
         "; amdxdna driver " + (amdxdna_loaded() ? "loaded" : "not loaded (/sys/module/amdxdna absent)") +
         "; see `attncheck doctor`";
}

DeviceProbe probe_device(unsigned index) {
  DeviceProbe p;
  try {
    xrt::device dev(index);
    p.opened = true;
    try {
      p.name = dev.get_info<xrt::info::device::name>();
    } catch (const std::exception&) {
      p.name = "(name not reported)";
    }
    try {
      p.bdf = dev.get_info<xrt::info::device::bdf>();
    } catch (const std::exception&) {
    }
    p.firmware = read_fw_version(p.bdf);
  } catch (const std::exception& e) {
    p.message = e.what();
  }
  return p;
}

}  // namespace attncheck
