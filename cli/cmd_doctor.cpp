// `attncheck doctor`: what this machine has for the npu backend (XRT, driver, device node, device), and what to install next.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "npu/host_env.hpp"
#include "npu/xrt_runner.hpp"

namespace attncheck {
namespace {

std::string doctor_text(unsigned index) {
  std::ostringstream o;
  std::vector<std::string> todo;
  o << "attncheck " << ATTNCHECK_VERSION << " doctor\n";
  const bool built = npu_built();
  if (built) {
    o << "  npu backend        built with XRT " << xrt_build_version() << " (xclbin loaded with " << xrt_load_path()
      << ")\n";
  } else {
    o << "  npu backend        npu backend not built (XRT was not found when attncheck was configured)\n";
    todo.push_back("install XRT (Debian: apt install libxrt-dev uuid-dev; for a real NPU: AMD's XRT from "
                   "github.com/amd/xdna-driver) and reconfigure, with -DXRT_ROOT=/opt/xilinx/xrt for AMD's");
  }
  const std::string node = "/dev/accel/accel" + std::to_string(index);
  const bool accel = accel_node_present(index);
  const bool driver = amdxdna_loaded();
  std::error_code ec;
  const bool firmware = std::filesystem::exists("/lib/firmware/amdnpu", ec);
  const char* xilinx_xrt = std::getenv("XILINX_XRT");
  o << "  " << node << (node.size() < 19 ? std::string(19 - node.size(), ' ') : " ") << (accel ? "present" : "absent")
    << "\n";
  o << "  amdxdna driver     " << (driver ? "loaded" : "not loaded (/sys/module/amdxdna absent)") << "\n";
  o << "  NPU firmware       /lib/firmware/amdnpu " << (firmware ? "present" : "absent") << "\n";
  o << "  XILINX_XRT         " << (xilinx_xrt ? xilinx_xrt : "not set") << "\n";
  if (!driver)
    todo.push_back("load the amdxdna driver: in-tree since Linux 6.14 (sudo modprobe amdxdna), else build "
                   "github.com/amd/xdna-driver; the NPU must be enabled in the BIOS");
  if (driver && !accel) todo.push_back("amdxdna is loaded but " + node + " is missing: check dmesg | grep -i amdxdna");
  if (!firmware) todo.push_back("install the NPU firmware (linux-firmware with amdnpu/, or xdna-driver's)");
  if (built) {
    const DeviceProbe p = probe_device(index);
    if (p.opened) {
      o << "  device " << index << "           opens: " << p.name << "\n";
    } else {
      o << "  device " << index << "           does not open: " << p.message << "\n";
      if (!xilinx_xrt) todo.push_back("source /opt/xilinx/xrt/setup.sh (sets XILINX_XRT) before running");
      if (xrt_build_version().rfind("2.13", 0) == 0)
        todo.push_back("XRT " + xrt_build_version() +
                       " (Debian's) predates NPU support: build attncheck against the XRT that amd/xdna-driver "
                       "installs, -DXRT_ROOT=/opt/xilinx/xrt");
    }
  }
  if (todo.empty()) {
    o << "  ready: run --backend npu --xclbin final.xclbin --insts insts.bin (docs/npu.md)\n";
  } else {
    o << "  to do (docs/npu.md):\n";
    for (const auto& t : todo) o << "    - " << t << "\n";
  }
  return o.str();
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("doctor", "Check this machine for the npu backend: XRT, amdxdna driver, device; says what to install");
  auto index = std::make_shared<unsigned>(0);
  cmd->add_option("--device-index", *index, "XRT device index to try")->capture_default_str();
  cmd->callback([index, &exit_code] {
    // A diagnosis, not a gate: it exits 0 whenever it could look, device or not.
    print(doctor_text(*index));
    exit_code = 0;
  });
}

}  // namespace attncheck
