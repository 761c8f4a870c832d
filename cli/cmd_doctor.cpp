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

std::string doctor_text(unsigned index, bool& can_load) {
  std::ostringstream o;
  std::vector<std::string> todo, cannot;
  o << "attncheck " << ATTNCHECK_VERSION << " doctor\n";
  const bool built = npu_built();
  if (built) {
    o << "  npu backend        built with XRT " << xrt_build_version() << " headers; xclbins load with " << xrt_load_path()
      << "\n";
  } else {
    o << "  npu backend        npu backend not built: " << npu_not_built_reason() << "\n";
    cannot.push_back("the npu backend is not built");
    todo.push_back("install XRT as amd/xdna-driver documents (build.sh -npu, then the base and npu packages; XRT 2.18 "
                   "to 2.20 under /opt/xilinx/xrt) and reconfigure attncheck with -DXRT_ROOT=/opt/xilinx/xrt");
  }
  if (xrt_found()) {
    const std::string rt = xrt_runtime_version();
    o << "  XRT library        "
      << (rt.empty() ? "version not reported (xrt::version is XRT 2.16 and later; headers " + xrt_build_version() + ")"
                     : rt + " (xrt::version of the libxrt_coreutil loaded)")
      << "\n";
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
  if (!driver) {
    cannot.push_back("the amdxdna driver is not loaded");
    todo.push_back("load the amdxdna driver: in-tree since Linux 6.14 (sudo modprobe amdxdna), else build "
                   "github.com/amd/xdna-driver; the NPU must be enabled in the BIOS");
  }
  if (driver && !accel) todo.push_back("amdxdna is loaded but " + node + " is missing: check dmesg | grep -i amdxdna");
  if (!firmware) todo.push_back("install the NPU firmware (linux-firmware with amdnpu/, or xdna-driver's)");
  if (xrt_found()) {
    const DeviceProbe p = probe_device(index);
    if (p.opened) {
      o << "  device " << index << "           opens: " << p.name << (p.bdf.empty() ? "" : " at " + p.bdf)
        << "; firmware " << (p.firmware.empty() ? "version unreadable" : p.firmware) << "\n";
    } else {
      o << "  device " << index << "           does not open: " << p.message << "\n";
      cannot.push_back("device " + std::to_string(index) + " does not open");
      // XRT before 2.20 finds its device plugins only through XILINX_XRT (setup.sh sets it).
      if (!xilinx_xrt) todo.push_back("source /opt/xilinx/xrt/setup.sh (sets XILINX_XRT, which XRT before 2.20 needs)");
    }
  } else {
    o << "  device " << index << "           not probed: no XRT in this build\n";
    cannot.push_back("no XRT in this build");
  }
  // The verdict is about this build on this machine: a runner that can load (hw_context), a
  // driver, and a device that opens. Anything less and `run --backend npu` cannot run here.
  can_load = cannot.empty();
  if (cannot.empty()) {
    o << "  verdict            this build can load an xclbin on this machine: run --backend npu --xclbin final.xclbin "
         "--insts insts.bin (docs/npu.md)\n";
  } else {
    std::string why;
    for (const auto& c : cannot) why += (why.empty() ? "" : "; ") + c;
    o << "  verdict            this build cannot load an xclbin on this machine: " << why << "\n";
  }
  if (!todo.empty()) {
    o << "  to do (docs/npu.md):\n";
    for (const auto& t : todo) o << "    - " << t << "\n";
  }
  return o.str();
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("doctor", "Check this machine for the npu backend: XRT, amdxdna driver, device; says what to install");
  auto index = std::make_shared<unsigned>(0);
  auto require = std::make_shared<bool>(false);
  cmd->add_option("--device-index", *index, "XRT device index to try")->capture_default_str();
  cmd->add_flag("--require-device", *require,
                "Exit 3 unless this build can load an xclbin on this machine (for scripts; without it doctor exits 0)");
  cmd->callback([index, require, &exit_code] {
    // A diagnosis exits 0 whenever it could look, device or not; --require-device makes it a check.
    bool can_load = false;
    print(doctor_text(*index, can_load));
    exit_code = *require && !can_load ? kExitNoDevice : kExitOk;
  });
}

}  // namespace attncheck
