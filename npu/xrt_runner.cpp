// XrtRunner: opens the NPU, loads the xclbin, and feeds the revision's LaunchPlan through MLIR_AIE launch by launch.
#include "npu/xrt_runner.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "npu/xrt_includes.hpp"
#ifndef ATTNCHECK_XRT_HW_CONTEXT
#error "npu/xrt_runner.cpp needs xrt::hw_context (XRT >= 2.14); CMake builds npu_not_built.cpp for older XRT"
#endif

#include "fixtures/sha256.hpp"
#include "kernels/device_layout.hpp"
#include "npu/host_env.hpp"
#include "npu/insts.hpp"
#include "npu/launch_loop.hpp"

namespace attncheck {

bool npu_built() { return true; }
std::string npu_not_built_reason() { return ""; }
std::string xrt_load_path() { return "register_xclbin + xrt::hw_context"; }

namespace {

std::string state_name(ert_cmd_state s) {
  switch (s) {
    case ERT_CMD_STATE_NEW: return "ERT_CMD_STATE_NEW";
    case ERT_CMD_STATE_QUEUED: return "ERT_CMD_STATE_QUEUED";
    case ERT_CMD_STATE_RUNNING: return "ERT_CMD_STATE_RUNNING";
    case ERT_CMD_STATE_COMPLETED: return "ERT_CMD_STATE_COMPLETED";
    case ERT_CMD_STATE_ERROR: return "ERT_CMD_STATE_ERROR";
    case ERT_CMD_STATE_ABORT: return "ERT_CMD_STATE_ABORT";
    case ERT_CMD_STATE_SUBMITTED: return "ERT_CMD_STATE_SUBMITTED";
    case ERT_CMD_STATE_TIMEOUT: return "ERT_CMD_STATE_TIMEOUT";
    case ERT_CMD_STATE_NORESPONSE: return "ERT_CMD_STATE_NORESPONSE";
    default: return "ert_cmd_state " + std::to_string(static_cast<int>(s));
  }
}

template <xrt::info::device Param>
nlohmann::json info_or_null(const xrt::device& dev) {
  try {
    return dev.get_info<Param>();
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

NpuResult run_on_npu(const Revision& revision, const AttentionInputs& in, const Params& params,
                     const NpuOptions& opt) {
  namespace fs = std::filesystem;
  if (opt.xclbin.empty()) throw InputError("--backend npu: needs --xclbin FILE (the revision's final.xclbin)");
  if (opt.insts.empty()) throw InputError("--backend npu: needs --insts FILE (insts.bin or insts.txt)");
  if (!fs::is_regular_file(opt.xclbin)) throw InputError(opt.xclbin + ": no such xclbin file");
  if (!fs::is_regular_file(opt.insts)) throw InputError(opt.insts + ": no such instruction file");
  if (opt.timeout_ms <= 0) throw InputError("--timeout-ms: must be positive");
  if (opt.iterations < 1) throw InputError("--iterations: must be at least 1");
  if (opt.warmup < 0) throw InputError("--warmup: must be 0 or more");
  const std::vector<uint32_t> insts = read_insts(opt.insts);
  const LaunchPlan plan(revision, in, params);

  // Everything about the inputs is checked before the device, so a bad file is exit 2 everywhere.
  std::unique_ptr<xrt::xclbin> xb;
  try {
    xb = std::make_unique<xrt::xclbin>(opt.xclbin);
  } catch (const std::exception& e) {
    throw InputError(opt.xclbin + ": not an xclbin XRT can read (" + e.what() + ")");
  }
  nlohmann::json device = {
      {"xrt_version", xrt_build_version()},
      {"xrt_runtime_version", xrt_runtime_version().empty() ? nlohmann::json(nullptr) : nlohmann::json(xrt_runtime_version())},
      {"load_path", xrt_load_path()},
      {"index", opt.device_index},
      {"xclbin", {{"path", opt.xclbin}, {"sha256", sha256_file(opt.xclbin)}, {"uuid", xb->get_uuid().to_string()}}},
      {"insts", {{"path", opt.insts}, {"sha256", sha256_file(opt.insts)}, {"words", insts.size()}}},
      {"timeout_ms", opt.timeout_ms},
  };

  std::unique_ptr<xrt::device> dev;
  try {
    dev = std::make_unique<xrt::device>(opt.device_index);
  } catch (const std::exception& e) {
    throw DeviceUnavailable("--backend npu: " + no_device_message(opt.device_index, e.what()));
  }
  device["name"] = info_or_null<xrt::info::device::name>(*dev);
  device["bdf"] = info_or_null<xrt::info::device::bdf>(*dev);
  // No XRT release has the firmware version in xrt::info; amdxdna publishes it in sysfs.
  const std::string fw = device["bdf"].is_string() ? read_fw_version(device["bdf"].get<std::string>()) : "";
  device["firmware"] = fw.empty() ? nlohmann::json(nullptr) : nlohmann::json(fw);
  if (fw.empty())
    device["firmware_reason"] = device["bdf"].is_string()
                                    ? "/sys/bus/pci/devices/" + device["bdf"].get<std::string>() + "/fw_version unreadable"
                                    : "XRT reported no PCI address";

  // mlir-aie matches by prefix: aiecc may decorate the name of the one kernel it emits.
  std::string kname;
  std::string known;
  for (const auto& k : xb->get_kernels()) {
    const std::string n = k.get_name();
    known += (known.empty() ? "" : ", ") + n;
    if (kname.empty() && n.rfind(opt.kernel_name, 0) == 0) kname = n;
  }
  if (kname.empty())
    throw InputError(opt.xclbin + ": no kernel named '" + opt.kernel_name + "' (kernels: " +
                     (known.empty() ? "none" : known) + "); see --kernel-name");
  device["kernel_name"] = kname;

  const auto where = " on device " + std::to_string(opt.device_index);
  // mlir-aie's test_utils does the same: the amdxdna shim has no load_axlf (load_xclbin throws
  // not_supported there); the xclbin is registered and a hardware context created from it.
  xrt::kernel kernel;
  xrt::hw_context context;
  try {
    dev->register_xclbin(*xb);
    context = xrt::hw_context(*dev, xb->get_uuid());
    kernel = xrt::kernel(context, kname);
  } catch (const std::exception& e) {
    throw DeviceError("--backend npu: loading " + opt.xclbin + where + " failed: " + e.what());
  }

  // kernel_buffers() is the tested layout: [0] the instructions, then the plan's data buffers.
  const std::vector<KernelBuffer> layout = kernel_buffers(plan, insts.size());
  xrt::bo bo_instr;
  std::vector<xrt::bo> bos;  // data buffers, in plan order; the output last
  xrt::run run;
  try {
    const KernelBuffer& ki = layout[0];
    bo_instr = xrt::bo(*dev, ki.bytes, XCL_BO_FLAGS_CACHEABLE, kernel.group_id(ki.group_id));
    std::memcpy(bo_instr.map<void*>(), insts.data(), ki.bytes);
    bo_instr.sync(XCL_BO_SYNC_BO_TO_DEVICE);
    for (size_t b = 1; b < layout.size(); ++b)
      bos.emplace_back(*dev, layout[b].bytes, XRT_BO_FLAGS_HOST_ONLY, kernel.group_id(layout[b].group_id));
    run = xrt::run(kernel);
    run.set_arg(0, kNpuOpcode);
    run.set_arg(ki.group_id, bo_instr);
    run.set_arg(2, static_cast<uint32_t>(insts.size()));
    for (size_t b = 1; b < layout.size(); ++b) run.set_arg(layout[b].group_id, bos[b - 1]);
  } catch (const std::exception& e) {
    throw DeviceError("--backend npu: allocating buffers for " + kname + where + " failed: " + e.what());
  }
  nlohmann::json buffers = nlohmann::json::array();
  for (const auto& k : layout)
    buffers.push_back({{"name", k.name}, {"group_id", k.group_id}, {"bytes", k.bytes},
                       {"flags", k.cacheable ? "cacheable" : "host_only"}});
  device["buffers"] = buffers;

  const int timeout_ms = opt.timeout_ms;
  DeviceStep step = [&](size_t i, const std::vector<std::vector<uint8_t>>& inputs, uint8_t* out, size_t out_bytes) {
    try {
      for (size_t b = 0; b < inputs.size(); ++b) {
        std::memcpy(bos[b].map<void*>(), inputs[b].data(), inputs[b].size());
        bos[b].sync(XCL_BO_SYNC_BO_TO_DEVICE);
      }
      // The sentinel goes to the device too, so an output the kernel skips comes back as sentinel.
      std::memcpy(bos.back().map<void*>(), out, out_bytes);
      bos.back().sync(XCL_BO_SYNC_BO_TO_DEVICE);
    } catch (const std::exception& e) {
      throw DeviceError("--backend npu: syncing launch " + std::to_string(i) + " to the device failed: " + e.what());
    }
    // XRT documents that a wait can miss its timeout while other runs complete; the watchdog makes
    // "never a hang" hold regardless, and after a failure it stays armed until the process ends.
    Watchdog dog(std::chrono::milliseconds(timeout_ms + 5000), [i, timeout_ms] {
      std::fprintf(stderr,
                   "attncheck: --backend npu: launch %zu: XRT did not return within %d ms (--timeout-ms) + 5 s grace; "
                   "exiting\n",
                   i, timeout_ms);
      std::fflush(stderr);
      std::_Exit(kExitNoDevice);
    });
    std::cv_status waited = std::cv_status::no_timeout;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      run.start();
      // wait2 separates the two timeouts wait() conflates: the host's gives cv_status::timeout; a
      // command the firmware ended otherwise than COMPLETED (its TDR sets ERT_CMD_STATE_TIMEOUT)
      // throws command_error (aie_error in 2.20, with the context's health in what()).
      waited = run.wait2(std::chrono::milliseconds(timeout_ms));
    } catch (const xrt::run::command_error& e) {
      dog.keep_armed();
      throw DeviceError("--backend npu: launch " + std::to_string(i) + ": the device ended the command in " +
                        state_name(e.get_command_state()) + " (" + e.what() + ")");
    } catch (const std::exception& e) {
      dog.keep_armed();
      throw DeviceError("--backend npu: launch " + std::to_string(i) + " failed: " + e.what());
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (waited == std::cv_status::timeout) {
      // No run.abort(): amdxdna has no ERT abort opcode (its command builders refuse op 4), and XRT's
      // abort waits for it without limit. The driver's own timeout recovers the hung context.
      dog.keep_armed();
      throw DeviceError("--backend npu: launch " + std::to_string(i) + " did not complete within " +
                        std::to_string(timeout_ms) + " ms (--timeout-ms, host side); not aborted (amdxdna has no ERT "
                        "abort), the driver's timeout recovers the context");
    }
    dog.disarm();
    try {
      bos.back().sync(XCL_BO_SYNC_BO_FROM_DEVICE);
      std::memcpy(out, bos.back().map<void*>(), out_bytes);
    } catch (const std::exception& e) {
      throw DeviceError("--backend npu: syncing launch " + std::to_string(i) + " from the device failed: " + e.what());
    }
    return std::chrono::duration<double, std::micro>(t1 - t0).count();
  };

  LoopOptions lo;
  lo.iterations = opt.iterations;
  lo.warmup = opt.warmup;
  lo.on_launch = opt.on_launch;
  LoopResult r = run_launch_loop(plan, in.shape(), step, lo);
  device["launches"] = r.launches;
  device["sentinel"] = sentinel_json(r, lo.sentinel);
  NpuResult out;
  out.output = std::move(r.output);
  out.device = device;
  out.latency = latency_json(r.latency_us, opt.iterations, opt.warmup, r.launches);
  return out;
}

}  // namespace attncheck
