// The backends of `attncheck run`; each says in its report object what produced the numbers.
#include "cli/backends.hpp"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <cstring>

#include "fixtures/npy.hpp"
#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "kernels/host_kernels.hpp"
#include "npu/build_manifest.hpp"
#include "npu/insts.hpp"
#include "npu/xrt_runner.hpp"
#include "sim/load/pdi.hpp"
#include "ref/errors.hpp"

namespace attncheck {

std::vector<BackendInfo> backend_list() {
  return {
      {"model", "the integer model of the revision (ref/), the bit-exact reference", true},
      {"host", "the revision's device source compiled for this CPU (kernels/)", true},
      {"npu",
       npu_built() ? "the revision's xclbin on the Phoenix NPU through XRT " + xrt_build_version() + " (--xclbin, --insts)"
                   : "the revision's xclbin on the Phoenix NPU: not built: " + npu_not_built_reason(),
       npu_built()},
      {"replay", "a device output captured earlier by attncheck or any tool (--device-output F.npy)", true},
      {"sim", "the compiled core ELF run by attncheck's AIE2 core simulator (--elf, --design): not a device", true},
      {"auto", "npu when a device opens and --xclbin/--insts are given, else model; the report says which", true},
  };
}

namespace {

// A captured output must be exactly the fixture's int8 array: anything else was captured from
// another fixture or another layout, and comparing it would localize a mismatch that is not there.
Int8Tensor read_replay(const std::string& path, const Fixture& fx, std::string* reshaped_from) {
  if (path.empty()) throw InputError("--backend replay: needs --device-output F.npy (a captured int8 output)");
  const NpyArray a = read_npy(path);
  const Shape& s = fx.shape();
  std::string want = "(" + std::to_string(s.heads) + ", " + std::to_string(s.seq) + ", " + std::to_string(s.dim) + ")";
  if (s.heads == 1) want += " or (" + std::to_string(s.seq) + ", " + std::to_string(s.dim) + ")";
  // What pyxrt's bo.read() returns, saved as is: a flat uint8 (or int8) array of the output
  // buffer's bytes. Those bytes are the int8 output in row-major order, so the right count is
  // reshaped here; any other count is another buffer (or another fixture).
  if (a.shape.size() == 1 && (a.dtype == DType::UInt8 || a.dtype == DType::Int8)) {
    const size_t bytes = static_cast<size_t>(s.heads * s.seq * s.dim);
    if (a.bytes.size() != bytes)
      throw InputError(path + ": a flat " + std::string(a.dtype == DType::UInt8 ? "uint8" : "int8") + " buffer of " +
                       std::to_string(a.bytes.size()) + " bytes, but the fixture's output " + want + " has " +
                       std::to_string(bytes) + " bytes");
    Int8Tensor t;
    t.shape = s;
    t.data.assign(reinterpret_cast<const int8_t*>(a.bytes.data()), reinterpret_cast<const int8_t*>(a.bytes.data()) + bytes);
    *reshaped_from = "(" + std::to_string(a.bytes.size()) + ",) " + (a.dtype == DType::UInt8 ? "uint8" : "int8");
    return t;
  }
  if (a.dtype != DType::Int8)
    throw InputError(path + ": dtype " + dtype_descr(a.dtype) +
                     ", a device output must be int8 (|i1) of the fixture's shape, or a flat uint8/int8 buffer of its bytes");
  std::string got = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) got += (i ? ", " : "") + std::to_string(a.shape[i]);
  got += a.shape.size() == 1 ? ",)" : ")";
  const bool ok3 = a.shape == std::vector<int64_t>{s.heads, s.seq, s.dim};
  const bool ok2 = s.heads == 1 && a.shape == std::vector<int64_t>{s.seq, s.dim};
  if (!ok3 && !ok2) throw InputError(path + ": shape " + got + " differs from the fixture's " + want);
  Int8Tensor t = npy_to_int8_tensor(a, path);
  t.shape = s;
  return t;
}

std::string npu_description() {
  for (const auto& b : backend_list())
    if (b.name == "npu") return b.description;
  return "npu";
}

// Named files must exist whichever way auto goes: a typo is bad input, never a reason to fall back.
void check_npu_files(const BackendOptions& opt) {
  std::error_code ec;
  if (!opt.xclbin.empty() && !std::filesystem::is_regular_file(opt.xclbin, ec))
    throw InputError(opt.xclbin + ": no such xclbin file (--xclbin)");
  if (!opt.insts.empty() && !std::filesystem::is_regular_file(opt.insts, ec))
    throw InputError(opt.insts + ": no such instruction file (--insts)");
  if (!opt.build_manifest.empty() && !std::filesystem::is_regular_file(opt.build_manifest, ec))
    throw InputError(opt.build_manifest + ": no such build manifest (--build-manifest)");
}

// The axlf header, without XRT: the magic, and a length the file holds (xclbin.h's axlf_header
// puts m_length at byte 304). So a wrong or cut file is refused in every build, XRT or not.
void check_xclbin_header(const std::string& path) {
  const int fd = open_regular_file(path);
  char head[312] = {};
  const ssize_t got = ::read(fd, head, sizeof head);
  ::close(fd);
  if (got < static_cast<ssize_t>(sizeof head) || std::memcmp(head, "xclbin2", 8) != 0)
    throw InputError(path + ": not an xclbin (no 'xclbin2' axlf header)");
  uint64_t length = 0;
  std::memcpy(&length, head + 304, sizeof length);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (length < sizeof head || length > size)
    throw InputError(path + ": truncated xclbin: its header says " + std::to_string(length) + " bytes, the file has " +
                     std::to_string(size));
}

// What the xclbin was built for against this run, before any device: a fixture of another S, a
// --param the design fixes, or another revision's build is bad input (exit 2), never a mismatch.
// Without a build manifest (an xclbin the team's own scripts built): what the manifest checked,
// derived from the xclbin itself where it can be. The kernel package (or revision) gives the
// layout: each runtime buffer's size per launch; the PDI's tile DMA buffer descriptors give the
// sizes the design moves. A buffer no descriptor moves means another tile size or layout (exit 2).
nlohmann::json check_build_from_xclbin(const Revision& rev, const Params& params, const Fixture& fx, const BackendOptions& opt) {
  aie2::DeviceImage img;
  try {
    img = aie2::read_device_image(opt.xclbin);
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) + " (no " + kBuildManifestName + " beside " + opt.xclbin +
                     ", so its build is checked from its PDI, which this xclbin must hold)");
  }
  const LaunchPlan plan(rev, fx.inputs, params);
  // DMA_BDn_0's Buffer_Length [13:0] in 32-bit words (AM025; decoded as sim/load/pdi.cpp reads it).
  std::map<uint32_t, std::string> moved;  // bytes -> the first descriptor moving them
  std::string all;
  for (const auto& [pos, tile] : img.tiles)
    for (const auto& [bd, word0] : tile.bd_word0) {
      const uint32_t bytes = (word0 & 0x3FFF) * 4;
      const std::string where = "tile (" + std::to_string(pos.first) + "," + std::to_string(pos.second) + ") BD " + std::to_string(bd);
      moved.emplace(bytes, where);
      all += (all.empty() ? "" : ", ") + where + " " + std::to_string(bytes) + " B";
    }
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& b : plan.buffers()) {
    const auto it = moved.find(static_cast<uint32_t>(b.bytes));
    if (it == moved.end())
      throw InputError(opt.xclbin + ": no buffer descriptor of its PDI moves " + std::to_string(b.bytes) + " B, the size of " + rev.name +
                       "'s buffer " + b.name + " on " + fx.shape().str() + " (its descriptors: " + (all.empty() ? "none" : all) +
                       "): built for another tile or layout; and no " + kBuildManifestName + " beside it");
    checks.push_back({{"check", "buffer " + b.name + " moves " + std::to_string(b.bytes) + " B per launch"},
                      {"from", "xclbin: PDI buffer descriptor " + it->second + " (Buffer_Length), layout from " +
                                   (rev.package && !rev.package->builtin ? rev.package->path : std::string("the revision"))}});
  }
  return {{"source", "xclbin"},
          {"path", opt.xclbin},
          {"xclbin_sha256", img.sha256},
          {"pdi_sha256", img.pdi_sha256},
          {"checks", checks},
          {"not_checked", {"the revision it was built from (no manifest names it)",
                           "parameters baked into the design (scale_shift): a --param override is not refused",
                           "the manifest's seal (its xclbin's sha256)"}}};
}

nlohmann::json check_build(const Revision& rev, const Params& params, const Fixture& fx, const BackendOptions& opt) {
  check_xclbin_header(opt.xclbin);
  const std::string path = opt.build_manifest.empty() ? manifest_beside(opt.xclbin) : opt.build_manifest;
  // The manifest is optional: attncheck's Makefile writes one; an xclbin of the team's own build has none.
  std::error_code ec;
  if (opt.build_manifest.empty() && !std::filesystem::exists(path, ec)) return check_build_from_xclbin(rev, params, fx, opt);
  const BuildManifest m = read_build_manifest(path);
  const LaunchPlan plan(rev, fx.inputs, params);
  check_build_manifest(m, opt.xclbin, sha256_file(opt.xclbin), rev, fx.shape(), fx.path, plan, params);
  return {{"source", "manifest"}, {"path", path}, {"revision", m.revision}, {"seq_len", m.seq_len}, {"head_dim", m.head_dim},
          {"baked", m.baked}, {"xclbin_sha256", m.xclbin_sha256}};
}

BackendResult run_npu(const Revision& rev, const Params& params, const Fixture& fx, const BackendOptions& opt,
                      const std::string& description) {
  check_npu_files(opt);
  if (opt.xclbin.empty()) throw InputError("--backend npu: needs --xclbin FILE (the revision's final.xclbin)");
  if (opt.insts.empty()) throw InputError("--backend npu: needs --insts FILE (insts.bin or insts.txt)");
  read_insts(opt.insts);  // parsed here too, so a bad file is exit 2 in a build without the runner
  const nlohmann::json build = check_build(rev, params, fx, opt);
  NpuOptions n;
  n.xclbin = opt.xclbin;
  n.insts = opt.insts;
  n.kernel_name = opt.kernel_name;
  n.device_index = opt.device_index;
  n.timeout_ms = opt.timeout_ms;
  n.iterations = opt.iterations;
  n.on_launch = opt.on_launch;
  n.warmup = opt.warmup;
  NpuResult res = run_on_npu(rev, fx.inputs, params, n);
  BackendResult r;
  r.output = std::move(res.output);
  r.info = {{"name", "npu"}, {"description", description}, {"xclbin", opt.xclbin}, {"insts", opt.insts}};
  r.device = std::move(res.device);
  r.device["build"] = build;
  r.latency = std::move(res.latency);
  return r;
}

// A package's elf, placed design, xclbin and insts stand in for the options not given: the
// simulator runs its ELF (else its xclbin), the NPU its xclbin and insts.
BackendOptions with_package_defaults(BackendOptions opt, const Revision& rev, const std::string& backend) {
  if (!rev.package) return opt;
  const KernelPackage& p = *rev.package;
  const bool program_given = !opt.elf.empty() || !opt.xclbin.empty() || !opt.pdi.empty();
  if (backend == "sim") {
    if (!program_given && !p.elf.empty()) opt.elf = p.elf;
    else if (!program_given) opt.xclbin = p.xclbin;
  } else if (opt.xclbin.empty() && opt.pdi.empty()) {
    opt.xclbin = p.xclbin;
  }
  if (opt.design.empty()) opt.design = p.physical;
  // The package's instruction stream is the NPU's; the simulator runs its ELF or xclbin in the
  // placed design, and the array (--insts) only when asked.
  if (opt.insts.empty() && backend != "sim") opt.insts = p.insts;
  return opt;
}

}  // namespace

DefaultBackend default_backend(const Revision& rev) {
  if (!rev.package || rev.package->builtin) return {"model", ""};
  // Every package has sources (kernel.json requires them), so its own code can always be compiled
  // here; its ELF or xclbin runs only when asked (--backend sim/npu): slower, and a build may be stale.
  return {"host", "host is the default for a kernel package: its own source, compiled for this CPU (" +
                      std::string(rev.model ? "--backend model runs the model it names" : "it names no model") +
                      (rev.package->elf.empty() && rev.package->xclbin.empty() ? "" : "; --backend sim runs its build") + ")"};
}

BackendResult model_backend_result(Int8Tensor output) {
  BackendResult r;
  r.output = std::move(output);
  for (const auto& b : backend_list())
    if (b.name == "model") r.info = {{"name", "model"}, {"description", b.description}};
  r.is_model = true;
  return r;
}

BackendResult run_backend(const std::string& name, const Revision& rev, const Params& params, const Fixture& fx,
                          const BackendOptions& given) {
  const BackendOptions opt = with_package_defaults(given, rev, name);
  for (const auto& b : backend_list()) {
    if (b.name != name) continue;
    if (name == "model") {
      if (!rev.model)
        throw InputError("--backend model: kernel package " + rev.package->path +
                         " names no \"model\": its host-compiled source is the reference (use --backend host, sim or npu)");
      return model_backend_result(rev.model(fx.inputs, params));
    }
    if (name == "host") {
      const HostKernel& k = host_kernel(rev);
      BackendResult r;
      r.output = k.run(fx.inputs, params);
      r.info = {{"name", "host"}, {"description", b.description}, {"compiler", k.build.at("compiler")}, {"build", k.build}};
      r.info["sources"] = k.build.at("sources");
      if (rev.package->builtin)
        if (const KernelFacts* f = find_kernel_facts(rev.name)) r.info["sources"] = f->sources;
      // Without a model the host build is the reference itself: nothing to hold it to but golden.
      if (!rev.model) {
        r.is_model = true;
        r.info["reference"] = true;
        r.note = "host: " + rev.name + " names no model, so this output is the reference (compared with golden only)";
      }
      return r;
    }
    if (name == "npu") return run_npu(rev, params, fx, opt, b.description);
    if (name == "sim") return run_sim_backend(rev, params, fx, opt, b.description);
    if (name == "replay") {
      BackendResult r;
      std::string reshaped_from;
      r.output = read_replay(opt.device_output, fx, &reshaped_from);
      r.info = {{"name", "replay"},
                {"description", b.description},
                {"device_output", opt.device_output},
                {"sha256", sha256_file(opt.device_output)}};
      if (!reshaped_from.empty()) {
        r.info["reshaped_from"] = reshaped_from;
        r.note = "replay: " + opt.device_output + " is a flat " + reshaped_from + " buffer (as pyxrt's bo.read returns), read as the int8 output";
      }
      return r;
    }
    if (name == "auto") {
      // Only "no device" falls back; a device that opens and then fails, or a bad file, is an error.
      check_npu_files(opt);
      // A build given is checked against the run whichever way auto goes: a mismatch is not "no device".
      nlohmann::json build;
      if (!opt.xclbin.empty()) build = check_build(rev, params, fx, opt);
      std::string reason;
      if (!npu_built()) {
        reason = "npu backend not built: " + npu_not_built_reason();
      } else if (opt.xclbin.empty() || opt.insts.empty()) {
        const DeviceProbe p = probe_device(opt.device_index);
        reason = std::string("no --xclbin/--insts given") +
                 (p.opened ? " (device " + std::to_string(opt.device_index) + " opens: " + p.name + ")"
                           : " and " + no_device_message(opt.device_index, p.message));
      } else {
        try {
          BackendResult r = run_npu(rev, params, fx, opt, npu_description());
          r.info["requested"] = "auto";
          r.note = "auto: an NPU opened; the npu backend produced this output";
          return r;
        } catch (const DeviceUnavailable& e) {
          reason = e.what();
        }
      }
      BackendResult r = run_backend("model", rev, params, fx, opt);
      r.info["requested"] = "auto";
      r.info["fallback_reason"] = reason;
      if (!build.is_null()) r.info["build"] = build;  // what was checked of the xclbin, and from where
      r.note = "auto: no NPU used, so the model backend produced this output: " + reason;
      return r;
    }
  }
  std::string known;
  for (const auto& b : backend_list()) known += (known.empty() ? "" : ", ") + b.name;
  throw InputError("--backend " + name + ": unknown backend (known: " + known + ")");
}

}  // namespace attncheck
