// The npu, replay and auto backends, doctor and docs/npu.md end to end through the CLI and the real XRT library; no device needed or faked.
#include <cstdlib>
#include <cstring>
#include <set>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include <catch2/catch.hpp>

#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "fixtures/testing/test_support.hpp"
#include "npu/host_env.hpp"
#include "npu/xrt_runner.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

namespace {

const std::string kSeed42 = source_dir() + "/fixtures/seed42";

// Sets (or unsets) an environment variable for one scope; the CLI children inherit it.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~EnvVar() {
    if (old_) setenv(name_.c_str(), old_->c_str(), 1);
    else unsetenv(name_.c_str());
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The smallest file xrt::xclbin accepts: a 496-byte axlf header ("xclbin2", m_length 496, no
// sections), so a run gets past parsing to the device step without a real build.
void write_minimal_xclbin(const std::string& path) {
  std::string a(496, '\0');
  a.replace(0, 8, std::string("xclbin2\0", 8));
  const uint64_t len = 496;
  std::memcpy(&a[8 + 4 + 28 + 256 + 8], &len, sizeof len);  // axlf_header.m_length
  write_bytes(path, a);
}

// attncheck-build.json as kernels/uc-int32-lut/Makefile writes and seals it for `xclbin`.
nlohmann::json uc_int32_manifest(const std::string& xclbin) {
  return {{"schema", "attncheck.build/1"}, {"revision", "uc-int32-lut"}, {"seq_len", 64}, {"head_dim", 64},
          {"buffers", {{{"name", "qkv"}, {"bytes", 12288}}, {{"name", "out"}, {"bytes", 4096}}}},
          {"baked", {{"scale_shift", 4}}}, {"xclbin_sha256", sha256_file(xclbin)}};
}

struct NpuFiles {
  TempDir dir;
  std::string xclbin = dir.file("final.xclbin"), insts = dir.file("insts.bin"), manifest = dir.file("attncheck-build.json");
  NpuFiles() {
    write_minimal_xclbin(xclbin);
    write_bytes(insts, std::string("\x00\x01\x03\x06\x00\x00\x00\x00", 8));
    write_bytes(manifest, uc_int32_manifest(xclbin).dump());
  }
};

bool device_present() { return accel_node_present(0); }

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(read_text(p)); }

}  // namespace

TEST_CASE("npu cli: the npu backend is listed as built exactly when CMake found XRT") {
  CHECK(npu_built() == static_cast<bool>(ATTNCHECK_NPU_BUILT));
  const CliResult r = run_cli({"run", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("npu, replay, sim, auto") != std::string::npos);
}

TEST_CASE("npu cli: no device: doctor shows XRT's own words, and --backend npu exits 3 in one line") {
  if (!xrt_found()) FAIL("this build has no XRT; .ci/deps installs libxrt-dev");
  if (device_present()) {
    WARN("/dev/accel/accel0 exists: the no-device path cannot be shown on this machine");
    return;
  }
  NpuFiles f;
  // Three ways XRT finds no NPU: no XILINX_XRT; one without a shim; the real shim with no device.
  TempDir empty, shim;
  std::filesystem::create_directories(shim.file("lib"));
  std::filesystem::create_symlink("/usr/lib/x86_64-linux-gnu/libxrt_core.so.2", shim.file("lib/libxrt_core.so.2"));
  const std::vector<std::pair<std::optional<std::string>, std::string>> envs = {
      {std::nullopt, "XILINX_XRT not set"},
      {empty.path(), "No such library"},
      {shim.path(), "Could not open device with index '0'"},
  };
  for (const auto& [value, xrt_says] : envs) {
    CAPTURE(value.value_or("(unset)"));
    if (value && value->find(shim.path()) == 0 && !file_exists("/usr/lib/x86_64-linux-gnu/libxrt_core.so.2")) continue;
    EnvVar env("XILINX_XRT", value ? value->c_str() : nullptr);
    // Through the real XRT this build links (Debian's 2.13 in CI): the probe doctor runs.
    const CliResult d = run_cli({"doctor"});
    CHECK(d.exit_code == 0);
    CHECK(d.out.find("device 0           does not open: ") != std::string::npos);
    CHECK(d.out.find(xrt_says) != std::string::npos);
    CHECK(d.out.find("verdict            this build cannot load an xclbin on this machine") != std::string::npos);
    TempDir out;
    const CliResult r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "npu",
                                 "--xclbin", f.xclbin, "--insts", f.insts, "--json", out.file("r.json")});
    CHECK(r.exit_code == 3);
    REQUIRE(r.err_lines().size() == 1);
    const std::string line = r.err_lines()[0];
    if (npu_built()) {
      CHECK(line.find("XRT " + xrt_build_version()) != std::string::npos);
      CHECK(line.find("device index 0") != std::string::npos);
      CHECK(line.find("/dev/accel/accel0 absent") != std::string::npos);
      CHECK(line.find("amdxdna driver") != std::string::npos);
      CHECK(line.find(xrt_says) != std::string::npos);
    } else {
      // An XRT without hw_context builds no runner: it says which XRT and why, not "no device".
      CHECK(line.find("npu backend not built: XRT " + xrt_build_version()) != std::string::npos);
      CHECK(line.find("has no xrt::hw_context") != std::string::npos);
    }
    CHECK_FALSE(file_exists(out.file("r.json")));
    CHECK(r.out.empty());
  }
}

TEST_CASE("npu cli: Debian's XRT 2.13 builds the probe but no runner, which needs hw_context") {
  CHECK(xrt_found() == static_cast<bool>(ATTNCHECK_XRT_FOUND));
  if (xrt_build_version().rfind("2.13", 0) == 0) {
    CHECK_FALSE(npu_built());
    CHECK(npu_not_built_reason().find("has no xrt::hw_context") != std::string::npos);
    CHECK(xrt_runtime_version().empty());  // xrt::version is XRT 2.16 and later
  }
  if (npu_built()) {
    CHECK(npu_not_built_reason().empty());
    CHECK(xrt_load_path() == "register_xclbin + xrt::hw_context");
  }
}

TEST_CASE("npu cli: missing or malformed xclbin and insts are exit 2 naming the file, before any device") {
  NpuFiles f;
  auto run = [&](const std::string& x, const std::string& i, const std::string& backend = "npu") {
    return run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", backend, "--xclbin", x,
                    "--insts", i});
  };
  CliResult r = run(f.dir.file("nope.xclbin"), f.insts);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("nope.xclbin") != std::string::npos);
  r = run(f.xclbin, f.dir.file("nope.bin"), "auto");  // auto never turns a typo into a fallback
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("nope.bin") != std::string::npos);
  write_bytes(f.dir.file("odd.bin"), "1234567");
  r = run(f.xclbin, f.dir.file("odd.bin"));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("odd.bin: 7 bytes") != std::string::npos);
  write_bytes(f.dir.file("bad.txt"), "00000001\nzz\n");
  r = run(f.xclbin, f.dir.file("bad.txt"));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("bad.txt:2:") != std::string::npos);
  // The axlf header is checked without XRT, so every build refuses these the same way.
  write_bytes(f.dir.file("junk.xclbin"), std::string(600, 'j'));
  r = run(f.dir.file("junk.xclbin"), f.insts);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("junk.xclbin: not an xclbin") != std::string::npos);
  write_bytes(f.dir.file("cut.xclbin"), read_text(f.xclbin).substr(0, 400));
  r = run(f.dir.file("cut.xclbin"), f.insts);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("cut.xclbin: truncated xclbin: its header says 496 bytes, the file has 400") != std::string::npos);
}

TEST_CASE("npu cli: the build manifest refuses what the xclbin was not built for, in one line, before any device") {
  NpuFiles f;
  auto run = [&](std::vector<std::string> extra, const std::string& kernel = "uc-int32-lut") {
    std::vector<std::string> args = {"run", "--kernel", kernel, "--fixture", kSeed42, "--backend", "npu",
                                     "--xclbin", f.xclbin, "--insts", f.insts};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  auto refused = [](const CliResult& r, const std::string& words) {
    CHECK(r.exit_code == 2);
    REQUIRE(r.err_lines().size() == 1);
    CHECK(r.err_lines()[0].find(words) != std::string::npos);
  };
  // The historical designs pass scale_shift = 4 from the core program: an override cannot reach the
  // device, so it is refused rather than reported as a mismatch.
  refused(run({"--param", "scale_shift=3"}), "--param scale_shift=3: " + f.xclbin + " was built with scale_shift=4");
  // Another revision's build.
  nlohmann::json m = uc_int32_manifest(f.xclbin);
  m["revision"] = "uc-legacy-int8";
  write_bytes(f.manifest, m.dump());
  refused(run({}), "the xclbin was built for revision uc-legacy-int8, not --kernel uc-int32-lut");
  // precise-v1 built for S = 1500 against a fixture of S = 64.
  m = {{"schema", "attncheck.build/1"}, {"revision", "precise-v1"}, {"seq_len", 1500}, {"head_dim", 64},
       {"buffers", {{{"name", "q_rtp"}, {"bytes", 4128}}, {{"name", "kv"}, {"bytes", 196608}}, {{"name", "out"}, {"bytes", 4096}}}},
       {"baked", nlohmann::json::object()}, {"xclbin_sha256", sha256_file(f.xclbin)}};
  write_bytes(f.manifest, m.dump());
  refused(run({}, "precise-v1"), "S = 64, but " + f.xclbin + " was built for S = 1500");
  m["seq_len"] = 64;
  write_bytes(f.manifest, m.dump());
  refused(run({}, "precise-v1"), "runtime buffer 1 is kv of 196608 bytes in the build, the host plans kv of 8192");
  // A manifest sealed for another xclbin, one never sealed, a missing one, a broken one.
  m = uc_int32_manifest(f.xclbin);
  m["xclbin_sha256"] = std::string(64, '0');
  write_bytes(f.manifest, m.dump());
  refused(run({}), "attncheck-build.json: sealed for an xclbin with sha256 000000000000...");
  m.erase("xclbin_sha256");
  write_bytes(f.manifest, m.dump());
  refused(run({}), "attncheck-build.json: no 'xclbin_sha256' (not sealed");
  write_bytes(f.manifest, uc_int32_manifest(f.xclbin).dump().substr(0, 50));
  refused(run({}), "attncheck-build.json: not a JSON object");
  std::filesystem::remove(f.manifest);
  // Without a manifest the build is checked from the xclbin's PDI (issue 25): this one holds none.
  refused(run({}), "no attncheck-build.json beside " + f.xclbin + ", so its build is checked from its PDI");
  refused(run({"--build-manifest", f.dir.file("elsewhere.json")}), "elsewhere.json: no such build manifest");
  // auto checks a given build too: a mismatch is bad input, never a reason to fall back.
  write_bytes(f.manifest, uc_int32_manifest(f.xclbin).dump());
  const CliResult a = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "auto", "--xclbin",
                               f.xclbin, "--insts", f.insts, "--param", "scale_shift=5"});
  refused(a, "--param scale_shift=5: ");
  // With --build-manifest the file may live anywhere.
  write_bytes(f.dir.file("other.json"), uc_int32_manifest(f.xclbin).dump());
  std::filesystem::remove(f.manifest);
  const CliResult ok = run({"--build-manifest", f.dir.file("other.json")});
  CHECK(ok.exit_code == 3);  // past every input check, to the device (none here, or no runner)
}

TEST_CASE("npu cli: replay of an output with rows 0-5 and one more element altered localizes exactly those") {
  TempDir t;
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--out", t.file("model.npy")}).exit_code == 0);
  NpyArray a = read_npy(t.file("model.npy"));
  REQUIRE(a.bytes.size() == 4096);
  for (size_t i = 0; i < 6 * 64; ++i) a.bytes[i] ^= 0x01;  // rows 0-5, every column
  a.bytes[40 * 64 + 7] ^= 0x10;                            // [0, 40, 7]
  write_npy(t.file("device.npy"), a);
  const CliResult r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay",
                               "--device-output", t.file("device.npy"), "--json", t.file("r.json")});
  // Not bit-exact with the model: the default check fails the run, and the report says where.
  REQUIRE(r.exit_code == 1);
  const auto j = read_json(t.file("r.json"));
  CHECK(j["backend"]["name"] == "replay");
  const auto& vm = j["metrics"]["vs_model"];
  CHECK(vm["bit_exact"] == false);
  CHECK(vm["mismatches"] == 6 * 64 + 1);
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 0; i < 6; ++i) rows.push_back({0, i});
  rows.push_back({0, 40});
  CHECK(vm["mismatch_rows"] == rows);
  CHECK(vm["mismatches_per_head"] == nlohmann::json::array({385}));
  const auto& p = vm["pattern"];
  REQUIRE(p["row_ranges"].size() == 2);
  CHECK(p["row_ranges"][0]["rows"] == nlohmann::json::array({0, 5}));
  CHECK(p["row_ranges"][0]["full_rows"] == 6);
  CHECK(p["row_ranges"][0]["launch"] == 0);
  CHECK(p["row_ranges"][0]["input"]["buffer"] == "qkv");
  CHECK(p["row_ranges"][0]["input"]["bytes"] == nlohmann::json::array({0, 383}));
  CHECK(p["row_ranges"][1]["rows"] == nlohmann::json::array({40, 40}));
  CHECK(p["row_ranges"][1]["mismatches"] == 1);
  CHECK(p["row_ranges"][1]["input"]["bytes"] == nlohmann::json::array({2560, 2623}));
  CHECK(p["summary"].get<std::string>().find("head 0 rows 0-5") != std::string::npos);
  CHECK(r.out.find("NOT bit-exact: 385 of 4096") != std::string::npos);
  CHECK(r.out.find("where: 385 of 4096 elements differ in 7 rows (2 contiguous ranges: head 0 rows 0-5") !=
        std::string::npos);
}

TEST_CASE("npu cli: replay accepts only an int8 array of the fixture's shape") {
  TempDir t;
  NpyArray a;
  a.dtype = DType::Int8;
  a.shape = {1, 64, 64};
  a.bytes.assign(4096, 0);
  write_npy(t.file("three_d.npy"), a);
  CliResult r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay",
                         "--device-output", t.file("three_d.npy")});
  // (1, S, D) and (S, D) both fit a one-head fixture: read, compared, and failed for being all zero.
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAIL  output_not_constant") != std::string::npos);
  a.shape = {64, 32};
  a.bytes.assign(2048, 0);
  write_npy(t.file("small.npy"), a);
  r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay", "--device-output",
               t.file("small.npy"), "--json", t.file("r.json")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("small.npy: shape (64, 32) differs from the fixture's (1, 64, 64) or (64, 64)") != std::string::npos);
  CHECK_FALSE(file_exists(t.file("r.json")));
  a.dtype = DType::Int16;
  a.shape = {64, 64};
  a.bytes.assign(8192, 0);
  write_npy(t.file("wide.npy"), a);
  r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay", "--device-output",
               t.file("wide.npy")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("wide.npy: dtype <i2") != std::string::npos);
  r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--device-output") != std::string::npos);
}

TEST_CASE("npu cli: --save-device-output keeps what the backend produced, and replaying it is bit-exact") {
  TempDir t;
  CliResult r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "host",
                         "--save-device-output", t.file("dev.npy"), "--json", t.file("host.json")});
  REQUIRE(r.exit_code == 0);
  CHECK(read_json(t.file("host.json"))["backend"]["saved_device_output"] == t.file("dev.npy"));
  r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay", "--device-output",
               t.file("dev.npy"), "--json", t.file("replay.json")});
  REQUIRE(r.exit_code == 0);
  const auto j = read_json(t.file("replay.json"));
  CHECK(j["metrics"]["vs_model"]["bit_exact"] == true);
  CHECK_FALSE(j["metrics"]["vs_model"].contains("pattern"));
}

TEST_CASE("npu cli: --backend auto without a device produces a model report and says so") {
  if (device_present()) {
    WARN("/dev/accel/accel0 exists: auto would use it");
    return;
  }
  NpuFiles f;
  for (bool with_files : {false, true}) {
    for (bool allow : {false, true}) {
      CAPTURE(with_files, allow);
      TempDir t;
      std::vector<std::string> args = {"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "auto",
                                       "--json", t.file("r.json"), "--junit", t.file("r.xml")};
      if (with_files) args.insert(args.end(), {"--xclbin", f.xclbin, "--insts", f.insts});
      if (allow) args.push_back("--allow-fallback");
      const CliResult r = run_cli(args);
      // No device ran: without --allow-fallback that is exit 3, not a pass (issue 14, finding 3).
      REQUIRE(r.exit_code == (allow ? 0 : 3));
      if (!allow) {
        REQUIRE(r.err_lines().size() == 1);
        CHECK(r.err.find("--allow-fallback") != std::string::npos);
      }
      const auto j = read_json(t.file("r.json"));
      CHECK(j["backend"]["name"] == "model");
      CHECK(j["backend"]["requested"] == "auto");
      const std::string why = j["backend"]["fallback_reason"];
      CHECK(why.find(!npu_built() ? "npu backend not built: " : with_files ? "device" : "no --xclbin/--insts given") !=
            std::string::npos);
      CHECK(r.out.find("auto: no NPU used, so the model backend produced this output") != std::string::npos);
      CHECK_FALSE(j.contains("device"));
      CHECK_FALSE(j["metrics"].contains("vs_model"));
      // The device checks are there, skipped, in the JSON, the text and the JUnit, whose class stays auto.
      REQUIRE(j["gates"].size() == 3);
      for (const auto& g : j["gates"]) CHECK(g["skipped"] == true);
      CHECK(r.out.find("SKIP  bit_exact_with_model") != std::string::npos);
      const std::string xml = read_text(t.file("r.xml"));
      CHECK(xml.find("classname=\"attncheck.uc-int32-lut.auto\"") != std::string::npos);
      CHECK(xml.find("skipped=\"3\"") != std::string::npos);
      CHECK(xml.find("<skipped message=") != std::string::npos);
    }
  }
}

TEST_CASE("npu doctor: prints the XRT versions and the device checks, and a verdict, exit 0 without a device") {
  const CliResult r = run_cli({"doctor"});
  CHECK(r.exit_code == 0);
  if (npu_built()) {
    CHECK(r.out.find("built with XRT " + xrt_build_version() + " headers") != std::string::npos);
  } else {
    CHECK(r.out.find("npu backend not built: " + npu_not_built_reason()) != std::string::npos);
  }
  if (xrt_found()) {
    CHECK(!xrt_build_version().empty());
    CHECK(r.out.find("  XRT library        ") != std::string::npos);
  }
  CHECK(r.out.find("/dev/accel/accel0") != std::string::npos);
  CHECK(r.out.find("amdxdna driver") != std::string::npos);
  // "can load" needs all three: a runner, the driver, a device that opens.
  const bool can = npu_built() && amdxdna_loaded() && probe_device(0).opened;
  CHECK(r.out.find(can ? "verdict            this build can load an xclbin on this machine"
                       : "verdict            this build cannot load an xclbin on this machine: ") != std::string::npos);
  if (!device_present()) {
    CHECK(r.out.find("device 0") != std::string::npos);
    CHECK(r.out.find("to do") != std::string::npos);
  }
}

TEST_CASE("npu host: the firmware version is read from amdxdna's sysfs file of the PCI device, and only if well formed") {
  TempDir sys;
  const std::string bdf = "0000:c5:00.1";
  std::filesystem::create_directories(sys.file("bus/pci/devices/" + bdf));
  const std::string file = sys.file("bus/pci/devices/" + bdf + "/fw_version");
  CHECK(read_fw_version(bdf, sys.path()).empty());  // absent
  write_bytes(file, "1.5.2.380\n");
  CHECK(read_fw_version(bdf, sys.path()) == "1.5.2.380");
  for (const char* bad : {"1.5.2\n", "1.5.2.x\n", "1..2.3\n", "\n", "1.5.2.380.1\n"}) {
    CAPTURE(bad);
    write_bytes(file, bad);
    CHECK(read_fw_version(bdf, sys.path()).empty());
  }
  CHECK(read_fw_version("../../etc", sys.path()).empty());
  CHECK(read_fw_version("", sys.path()).empty());
}

namespace {

// Every `attncheck ...` line in a fenced or indented code block, continuations joined.
std::vector<std::vector<std::string>> doc_commands(const std::string& text) {
  std::vector<std::vector<std::string>> cmds;
  std::istringstream in(text);
  std::string line;
  bool fenced = false;
  std::string pending;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      fenced = !fenced;
      continue;
    }
    const bool code = fenced || line.rfind("    ", 0) == 0;
    if (!code && pending.empty()) continue;
    std::string s = line;
    s.erase(0, s.find_first_not_of(" \t"));
    if (s.rfind("$ ", 0) == 0) s.erase(0, 2);
    if (pending.empty() && s.rfind("attncheck ", 0) != 0) continue;
    const size_t hash = s.find("  #");
    if (hash != std::string::npos) s.erase(hash);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (!s.empty() && s.back() == '\\') {
      pending += s.substr(0, s.size() - 1) + " ";
      continue;
    }
    pending += s;
    std::istringstream words(pending);
    std::vector<std::string> argv;
    std::string w;
    while (words >> w) argv.push_back(w);
    cmds.push_back(std::vector<std::string>(argv.begin() + 1, argv.end()));
    pending.clear();
  }
  return cmds;
}

}  // namespace

TEST_CASE("npu docs: every attncheck command in docs/npu.md is one the CLI accepts (run with --help)") {
  const auto cmds = doc_commands(read_text(source_dir() + "/docs/npu.md"));
  REQUIRE(cmds.size() >= 8);
  std::set<std::string> subs;
  for (const auto& c : cmds) {
    REQUIRE_FALSE(c.empty());
    subs.insert(c[0]);
    std::vector<std::string> args = c;
    for (auto& a : args)
      if (a.find('<') != std::string::npos || a.find('$') != std::string::npos) FAIL("placeholder in docs command: " << a);
    args.push_back("--help");
    CAPTURE(c);
    const CliResult r = run_cli(args, source_dir());
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    // CLI11 answers --help before it rejects unknown options, so each option is looked up in the
    // subcommand's help too: a misspelled one in the docs fails here.
    for (const auto& a : c) {
      if (a.rfind("--", 0) != 0) continue;
      CAPTURE(a);
      CHECK(std::regex_search(r.out, std::regex("(^|\\s)" + a + "[\\s,=]")));
    }
  }
  for (const char* s : {"doctor", "run", "kernels"}) CHECK(subs.count(s) == 1);
}

TEST_CASE("npu docs: the worked example's figure is what attncheck prints for the source on seed42") {
  const std::string doc = read_text(source_dir() + "/docs/npu.md");
  CHECK(doc.find("0.9160") != std::string::npos);
  CHECK(doc.find("0.8498") != std::string::npos);
  CHECK(doc.find("2720") != std::string::npos);
  const CliResult r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", "fixtures/seed42"}, source_dir());
  REQUIRE(r.exit_code == 0);
  CHECK(std::regex_search(r.out, std::regex("correlation\\s+0\\.9159")));
  const CliResult k = run_cli({"kernels", "--details"});
  CHECK(k.out.find("2720") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
