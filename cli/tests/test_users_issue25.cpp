// Issue 25: the team's own builds and habits through the CLI (packages run their own code, skipped device checks, stack checks, foreign xclbins, pyxrt outputs, reports).
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "fixtures/npy.hpp"
#include "fixtures/testing/test_support.hpp"
#include "sim/load/xclbin_wrap.hpp"
#include "xrt/detail/xclbin.h"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

const std::string kUserBuild = "/aie2/int32-2025-11-03";

// A compile cache of this test's own, so it sees its compiles and leaves the user's cache alone.
struct CacheDir {
  TempDir dir;
  CacheDir() { setenv("ATTNCHECK_CACHE_DIR", dir.path().c_str(), 1); }
};

// The issue's package: the team's INT32 source and header (shared, copied), held to uc-int32-lut;
// `edit_source` changes the C source (v2's arithmetic), `edit_json` kernel.json.
std::string write_package(const std::string& dir, const std::function<void(std::string&)>& edit_source = {},
                          const std::function<void(nlohmann::json&)>& edit_json = {}) {
  fs::create_directories(dir);
  const std::string user = shared_dir() + kUserBuild;
  fs::copy_file(user + "/exp_lut_int8.h", dir + "/exp_lut_int8.h", fs::copy_options::overwrite_existing);
  std::string src = read_text(user + "/attention_int8_64x64_tiled.c");
  if (edit_source) edit_source(src);
  write_bytes(dir + "/attention_int8_64x64_tiled.c", src);
  nlohmann::json j = nlohmann::json::parse(R"({
    "name": "team-int32-lut",
    "sources": ["attention_int8_64x64_tiled.c"],
    "include_dirs": ["."],
    "entry": "attention_64x64",
    "tile": {"seq": 64, "dim": 64},
    "args": [
      {"input": ["q", "k", "v"]},
      {"output": "out"},
      {"param": "scale_shift", "type": "uint32", "default": 4, "min": 0, "max": 31}
    ],
    "model": "uc-int32-lut"
  })");
  if (edit_json) edit_json(j);
  write_bytes(dir + "/kernel.json", j.dump(2));
  return dir;
}

// v2 of the issue: the output's rounding constant changed (+64 -> +127 before >> 7).
void v2_rounding(std::string& s) {
  const std::string from = "(weighted_sum + sign * 64) >> 7";
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), "(weighted_sum + sign * 127) >> 7");
}

std::string seed42() { return source_dir() + "/fixtures/seed42"; }

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

std::vector<int8_t> npy_bytes(const std::string& path) {
  const NpyArray a = read_npy(path);
  return std::vector<int8_t>(reinterpret_cast<const int8_t*>(a.bytes.data()),
                             reinterpret_cast<const int8_t*>(a.bytes.data()) + a.bytes.size());
}

}  // namespace

TEST_CASE("issue 25.1: a kernel package runs its own code by default, and a diff of two packages shows the arithmetic change",
          "[cli][issue25]") {
  CacheDir cache;
  TempDir tmp;
  const std::string v1 = write_package(tmp.file("v1"));
  const std::string v2 = write_package(tmp.file("v2"), v2_rounding, [](nlohmann::json& j) { j["name"] = "team-int32-lut-v2"; });

  // The expected count, derived apart from the default and from diff: each package's own source run
  // with an explicit --backend host, saved, and compared here element by element.
  for (const auto& [pkg, out] : {std::pair{v1, tmp.file("v1.npy")}, std::pair{v2, tmp.file("v2.npy")}}) {
    const CliResult r = run_cli({"run", "--backend", "host", "--allow-mismatch", "--kernel", pkg, "--fixture", seed42(),
                                 "--save-device-output", out});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  const std::vector<int8_t> a = npy_bytes(tmp.file("v1.npy")), b = npy_bytes(tmp.file("v2.npy"));
  REQUIRE(a.size() == 4096);
  REQUIRE(b.size() == a.size());
  size_t changed = 0;
  for (size_t i = 0; i < a.size(); ++i) changed += a[i] != b[i];
  REQUIRE(changed > 0);

  // diff without --backend: the change shows, element for element.
  const CliResult d = run_cli({"diff", "--kernel", v1, "--kernel", v2, "--fixture", seed42(), "--json", tmp.file("d.json")});
  INFO(d.out << d.err);
  CHECK(d.exit_code == 1);  // v2 is no longer bit-exact with the model it names: a regression
  CHECK(d.out.find("NO CHANGE") == std::string::npos);
  CHECK(d.out.find("backend host for both") != std::string::npos);
  const nlohmann::json dj = read_json(tmp.file("d.json"));
  CHECK(dj.at("changes").at("changed") == changed);
  CHECK(dj.at("changes").at("count") == 4096);
  CHECK(dj.at("verdict") == "REGRESSED");

  // run without --backend: v2's own output under v2's name, not the model's.
  const CliResult r2 = run_cli({"run", "--kernel", v2, "--fixture", seed42(), "--json", tmp.file("r2.json")});
  INFO(r2.out << r2.err);
  CHECK(r2.exit_code == 1);  // its own code differs from the model it names: the default check fails
  CHECK(r2.out.find("host is the default for a kernel package") != std::string::npos);
  const nlohmann::json j2 = read_json(tmp.file("r2.json"));
  CHECK(j2.at("backend").at("name") == "host");
  CHECK(j2.at("backend").at("default").get<std::string>().find("its own source") != std::string::npos);
  CHECK(j2.at("metrics").at("vs_model").at("mismatches") == changed);  // v1 is the model bit for bit, so v2's changes are its mismatches
  // A built-in revision by name keeps the model as its default.
  const CliResult m = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--json", tmp.file("m.json")});
  REQUIRE(m.exit_code == 0);
  CHECK(read_json(tmp.file("m.json")).at("backend").at("name") == "model");
  // An option of another backend names the default it was checked against.
  const CliResult bad = run_cli({"run", "--kernel", v2, "--fixture", seed42(), "--elf", "x.elf"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("not --backend host (the default for") != std::string::npos);
}

TEST_CASE("issue 25.2: a skipped device check is never a pass: auto without an NPU is pass null, not_run, exit 3, NOT RUN",
          "[cli][issue25]") {
  if (fs::exists("/dev/accel/accel0")) {
    WARN("/dev/accel/accel0 exists: auto would run the NPU");
    return;
  }
  TempDir tmp;
  write_bytes(tmp.file("g.json"), R"({"require_bit_exact": true, "min_correlation": 0.5})");
  for (bool allow : {false, true}) {
    CAPTURE(allow);
    std::vector<std::string> args = {"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "auto",
                                     "--gates", tmp.file("g.json"), "--json", tmp.file("r.json")};
    if (allow) args.push_back("--allow-fallback");
    const CliResult r = run_cli(args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == (allow ? 0 : 3));
    const nlohmann::json j = read_json(tmp.file("r.json"));
    CHECK(j.at("pass").is_null());
    CHECK(j.at("not_run").get<std::string>().find("no device ran") != std::string::npos);
    CHECK(r.out.find("verdict   NOT RUN") != std::string::npos);
    CHECK(r.out.find("verdict   PASS") == std::string::npos);
    // report renders it NOT RUN, in Markdown and HTML, never PASS.
    const CliResult md = run_cli({"report", tmp.file("r.json"), "--md", tmp.file("r.md"), "--html", tmp.file("r.html")});
    INFO(md.err);
    REQUIRE(md.exit_code == 0);
    CHECK(md.out.find("verdict NOT RUN") != std::string::npos);
    const std::string text = read_text(tmp.file("r.md"));
    CHECK(text.find("attncheck validation: NOT RUN") != std::string::npos);
    CHECK(text.find("| NOT RUN | uc-int32-lut") != std::string::npos);
    CHECK(text.find("validation: PASS") == std::string::npos);
    CHECK(read_text(tmp.file("r.html")).find("<h1>attncheck validation: NOT RUN</h1>") != std::string::npos);
  }
  // A gate that fails is still a failure (exit 1, pass false), with or without a device.
  write_bytes(tmp.file("strict.json"), R"({"min_correlation": 0.99})");
  const CliResult f = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "auto", "--gates",
                               tmp.file("strict.json"), "--json", tmp.file("f.json")});
  CHECK(f.exit_code == 1);
  CHECK(read_json(tmp.file("f.json")).at("pass") == false);
  CHECK_FALSE(read_json(tmp.file("f.json")).contains("not_run"));
}

TEST_CASE("issue 25.5: replay takes what pyxrt's bo.read returns: a flat uint8 or int8 buffer of the output's bytes",
          "[cli][issue25]") {
  TempDir tmp;
  // The device output, from the host build, then saved the way a pyxrt script saves bo.read(): flat uint8.
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--backend", "host", "--fixture", seed42(), "--save-device-output",
                   tmp.file("dev.npy")})
              .exit_code == 0);
  const NpyArray dev = read_npy(tmp.file("dev.npy"));
  REQUIRE(dev.bytes.size() == 4096);
  for (const DType t : {DType::UInt8, DType::Int8}) {
    NpyArray flat;
    flat.dtype = t;
    flat.shape = {4096};
    flat.bytes = dev.bytes;
    write_npy(tmp.file("flat.npy"), flat);
    const CliResult r = run_cli({"run", "--kernel", "uc-int32-lut", "--backend", "replay", "--fixture", seed42(),
                                 "--device-output", tmp.file("flat.npy"), "--json", tmp.file("r.json")});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    const nlohmann::json j = read_json(tmp.file("r.json"));
    CHECK(j.at("metrics").at("vs_model").at("bit_exact") == true);
    CHECK(j.at("backend").at("reshaped_from") == (t == DType::UInt8 ? "(4096,) uint8" : "(4096,) int8"));
  }
  // A wrong byte count: one line naming both sizes.
  NpyArray twice;
  twice.dtype = DType::UInt8;
  twice.shape = {8192};
  twice.bytes.assign(8192, 0);
  write_npy(tmp.file("twice.npy"), twice);
  const CliResult bad = run_cli({"run", "--kernel", "uc-int32-lut", "--backend", "replay", "--fixture", seed42(),
                                 "--device-output", tmp.file("twice.npy"), "--json", tmp.file("bad.json")});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err_lines().size() == 1);
  CHECK(bad.err.find("8192 bytes") != std::string::npos);
  CHECK(bad.err.find("4096 bytes") != std::string::npos);
  CHECK_FALSE(file_exists(tmp.file("bad.json")));
}

TEST_CASE("issue 25.3: packages get the stack check, and elf inspect --fail-on-overlap gates on an overlapping stack",
          "[cli][issue25]") {
  CacheDir cache;
  TempDir tmp;
  const std::string user = shared_dir() + kUserBuild;
  const std::string pkg = write_package(tmp.file("pkg"), {}, [&](nlohmann::json& j) {
    j["design"] = user + "/input_physical_with_elfs.mlir";
    j["elf"] = user + "/main_core_0_2.elf";
  });
  const CliResult k = run_cli({"kernels", "--details", pkg});
  INFO(k.out << k.err);
  REQUIRE(k.exit_code == 0);
  // The source's estimate against the design's reservation (no stack_size: mlir-aie's 1 KiB), and a verdict.
  CHECK(k.out.find("stack est.") != std::string::npos);
  CHECK(k.out.find("reserved     1024 B") != std::string::npos);
  CHECK(k.out.find("verdict      OVERFLOW") != std::string::npos);
  // The same arithmetic as the built-in uc-int32-lut, whose need the build measured on its own
  // source (kernels/CMakeLists.txt): the package's estimate is that figure.
  const CliResult builtin = run_cli({"kernels", "--details"});
  auto need = [](const std::string& text, const std::string& after) {
    const size_t at = text.find("stack est.   ", text.find(after));
    REQUIRE(at != std::string::npos);
    return std::stol(text.substr(at + 13));
  };
  CHECK(need(k.out, "team-int32-lut") == need(builtin.out, "uc-int32-lut "));
  CHECK(need(k.out, "team-int32-lut") > 1024);
  // The binary's own frames against its link script: it runs into the input buffer.
  CHECK(k.out.find("/main_core_0_2.elf (sha256 ") != std::string::npos);
  CHECK(k.out.find("stack reaches") != std::string::npos);
  // Item 7: only the package asked for, not every built-in.
  CHECK(k.out.find("uc-legacy-int8") == std::string::npos);
  CHECK(k.out.find("precise-v1") == std::string::npos);

  const std::vector<std::string> inspect = {"elf", "inspect", user + "/main_core_0_2.elf", "--ld-script",
                                            user + "/main_core_0_2.ld.script", "--design", user + "/input_physical_with_elfs.mlir"};
  CHECK(run_cli(inspect).exit_code == 0);  // an analysis, not a gate, unless asked
  std::vector<std::string> gated = inspect;
  gated.push_back("--fail-on-overlap");
  const CliResult g = run_cli(gated);
  INFO(g.out << g.err);
  CHECK(g.exit_code == 1);
  CHECK(g.out.find("verdict   FAIL: stack reaches") != std::string::npos);
  // The same binary with the stack moved clear of the buffers passes: the gate is about the overlap.
  const std::string gelu = shared_dir() + "/aie2/gelu-512-2025-11-03";
  const CliResult ok = run_cli({"elf", "inspect", gelu + "/main_core_0_2.elf", "--ld-script", gelu + "/main_core_0_2.ld.script",
                                "--design", gelu + "/input_physical_with_elfs.mlir", "--fail-on-overlap"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("verdict   PASS") != std::string::npos);
}

TEST_CASE("issue 25.7: a mismatch report explains an arithmetic change, compare takes 1-D arrays, --json makes its directory",
          "[cli][issue25]") {
  CacheDir cache;
  TempDir tmp;
  const std::string v2 = write_package(tmp.file("v2"), v2_rounding);
  // v2's own output against its model: the histogram of device - model, in text and JSON, and the
  // failing check's line gives the count and the first element. --json into a directory not there yet.
  const CliResult r = run_cli({"run", "--kernel", v2, "--fixture", seed42(), "--json", tmp.file("r/v2.json"), "--save-device-output",
                               tmp.file("v2.npy")});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  REQUIRE(file_exists(tmp.file("r/v2.json")));
  const nlohmann::json j = read_json(tmp.file("r/v2.json"));
  const nlohmann::json& vm = j.at("metrics").at("vs_model");
  // The histogram, recounted here from the arrays.
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--out", tmp.file("model.npy")}).exit_code == 0);
  const std::vector<int8_t> dev = npy_bytes(tmp.file("v2.npy")), model = npy_bytes(tmp.file("model.npy"));
  REQUIRE(dev.size() == model.size());
  std::map<int, size_t> want;
  size_t differing = 0;
  for (size_t i = 0; i < dev.size(); ++i)
    if (dev[i] != model[i]) ++want[dev[i] - model[i]], ++differing;
  REQUIRE(differing > 0);
  nlohmann::json want_json = nlohmann::json::array();
  for (const auto& [d, n] : want) want_json.push_back({{"difference", d}, {"count", n}});
  CHECK(vm.at("difference_histogram") == want_json);
  CHECK(r.out.find("differences (device - model): ") != std::string::npos);
  const std::string first = "first at " + std::string("[") + std::to_string(vm.at("first_mismatches")[0].at("at")[0].get<int>()) +
                            ", " + std::to_string(vm.at("first_mismatches")[0].at("at")[1].get<int>()) + ", " +
                            std::to_string(vm.at("first_mismatches")[0].at("at")[2].get<int>()) + "]";
  // The default check's line and a require_bit_exact gate's line both say how many and where.
  CHECK(r.out.find("FAIL  bit_exact_with_model false  " + std::to_string(differing) + " of 4096 elements differ; " + first) !=
        std::string::npos);
  write_bytes(tmp.file("g.json"), R"({"require_bit_exact": true})");
  const CliResult gr = run_cli({"run", "--kernel", v2, "--fixture", seed42(), "--gates", tmp.file("g.json")});
  CHECK(gr.exit_code == 1);
  CHECK(gr.out.find("false (required: true): " + std::to_string(differing) + " of 4096 elements differ; " + first) !=
        std::string::npos);

  // compare with 1-D arrays (flat buffers from any tool).
  NpyArray flat = read_npy(tmp.file("v2.npy"));
  flat.shape = {4096};
  write_npy(tmp.file("dut1d.npy"), flat);
  NpyArray flat_model = read_npy(tmp.file("model.npy"));
  flat_model.shape = {4096};
  write_npy(tmp.file("model1d.npy"), flat_model);
  const CliResult c = run_cli({"compare", "--golden", tmp.file("model1d.npy"), "--dut", tmp.file("dut1d.npy"), "--model",
                               tmp.file("model1d.npy"), "--json", tmp.file("c/c.json")});
  INFO(c.out << c.err);
  CHECK(c.exit_code == 0);
  CHECK(read_json(tmp.file("c/c.json")).at("metrics").at("vs_model").at("mismatches") == differing);

  // A package without a model: the verdict names what it was checked against, not "the integer model".
  const std::string own = write_package(tmp.file("own"), {}, [](nlohmann::json& pj) { pj.erase("model"); });
  const CliResult o = run_cli({"run", "--kernel", own, "--fixture", seed42()});
  INFO(o.out << o.err);
  CHECK(o.exit_code == 0);
  CHECK(o.out.find("the integer model") == std::string::npos);
  CHECK(o.out.find("own source, compiled for this CPU, against golden only") != std::string::npos);
}

TEST_CASE("issue 25.7: report renders a diff's JSON as Markdown and HTML", "[cli][issue25]") {
  CacheDir cache;
  TempDir tmp;
  const std::string v1 = write_package(tmp.file("v1"));
  const std::string v2 = write_package(tmp.file("v2"), v2_rounding, [](nlohmann::json& j) { j["name"] = "team-int32-lut-v2"; });
  REQUIRE(run_cli({"diff", "--kernel", v1, "--kernel", v2, "--fixture", seed42(), "--json", tmp.file("d.json")}).exit_code == 1);
  const nlohmann::json d = read_json(tmp.file("d.json"));
  const CliResult r = run_cli({"report", tmp.file("d.json"), "--md", tmp.file("d.md"), "--html", tmp.file("d.html")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string md = read_text(tmp.file("d.md")), html = read_text(tmp.file("d.html"));
  const std::string changed = std::to_string(d.at("changes").at("changed").get<size_t>());
  CHECK(md.find("REGRESSED") != std::string::npos);
  CHECK(md.find(changed) != std::string::npos);
  CHECK(html.find("<!DOCTYPE html>") == 0);
  CHECK(html.find("REGRESSED") != std::string::npos);
  CHECK(html.find(changed + " of 4096") != std::string::npos);
  CHECK(html.find("team-int32-lut-v2") != std::string::npos);
  // A diff's JSON is user input: a malformed one is one line naming the field, and nothing is written.
  nlohmann::json broken = d;
  broken.erase("metrics");
  write_bytes(tmp.file("broken.json"), broken.dump());
  const CliResult b = run_cli({"report", tmp.file("broken.json"), "--md", tmp.file("b.md")});
  CHECK(b.exit_code == 2);
  CHECK(b.err_lines().size() == 1);
  CHECK(b.err.find("broken.json: malformed diff: metrics") != std::string::npos);
  CHECK_FALSE(file_exists(tmp.file("b.md")));
}

TEST_CASE("issue 25.4: the team's own xclbin: xclbin wrap writes XRT's layout around a PDI, the simulator runs it, and the build is checked without a manifest",
          "[cli][issue25]") {
  TempDir tmp;
  const std::string user = shared_dir() + kUserBuild;
  const std::string pdi_text = read_text(user + "/main.pdi");
  const CliResult w = run_cli({"xclbin", "wrap", "--pdi", user + "/main.pdi", "--out", tmp.file("build/final.xclbin")});
  INFO(w.out << w.err);
  REQUIRE(w.exit_code == 0);
  const std::string x = read_text(tmp.file("build/final.xclbin"));

  // Read back through XRT 2.20's own structs (xrt/detail/xclbin.h), independently of the writer.
  static_assert(aie2::axlf_layout::kHeader == offsetof(axlf, m_header));
  static_assert(aie2::axlf_layout::kSections == offsetof(axlf, m_sections));
  static_assert(aie2::axlf_layout::kAxlfSize == sizeof(axlf));
  static_assert(aie2::axlf_layout::kNumSections == offsetof(axlf_header, m_numSections));
  static_assert(aie2::axlf_layout::kUuid == offsetof(axlf_header, uuid));
  static_assert(aie2::axlf_layout::kSectionHeaderSize == sizeof(axlf_section_header));
  static_assert(aie2::axlf_layout::kPartitionSize == sizeof(aie_partition));
  static_assert(aie2::axlf_layout::kPartitionPdiArray == offsetof(aie_partition, aie_pdi));
  static_assert(aie2::axlf_layout::kPdiImageArray == offsetof(aie_pdi, pdi_image));
  REQUIRE(x.size() > sizeof(axlf));
  const auto* top = reinterpret_cast<const axlf*>(x.data());
  CHECK(std::string(top->m_magic) == "xclbin2");
  CHECK(top->m_header.m_length == x.size());
  REQUIRE(top->m_header.m_numSections == 2);
  const axlf_section_header* part_sec = nullptr;
  for (uint32_t i = 0; i < top->m_header.m_numSections; ++i)
    if (top->m_sections[i].m_sectionKind == AIE_PARTITION) part_sec = &top->m_sections[i];
  REQUIRE(part_sec != nullptr);
  REQUIRE(part_sec->m_sectionOffset + part_sec->m_sectionSize <= x.size());
  const auto* part = reinterpret_cast<const aie_partition*>(x.data() + part_sec->m_sectionOffset);
  REQUIRE(part->aie_pdi.size == 1);
  const auto* pdi = reinterpret_cast<const aie_pdi*>(x.data() + part_sec->m_sectionOffset + part->aie_pdi.offset);
  REQUIRE(pdi->pdi_image.size == pdi_text.size());
  CHECK(x.compare(part_sec->m_sectionOffset + pdi->pdi_image.offset, pdi_text.size(), pdi_text) == 0);
  // Not a PDI: one line, nothing written.
  write_bytes(tmp.file("junk.pdi"), "not a pdi at all");
  const CliResult junk = run_cli({"xclbin", "wrap", "--pdi", tmp.file("junk.pdi"), "--out", tmp.file("junk.xclbin")});
  CHECK(junk.exit_code == 2);
  CHECK(junk.err_lines().size() == 1);
  CHECK_FALSE(file_exists(tmp.file("junk.xclbin")));

  // The simulator's xclbin reader takes it: the same output as the core ELF it holds.
  const std::vector<std::string> sim = {"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "sim",
                                        "--design", user + "/input_physical_with_elfs.mlir", "--allow-mismatch"};
  std::vector<std::string> from_elf = sim, from_xclbin = sim;
  from_elf.insert(from_elf.end(), {"--elf", user + "/main_core_0_2.elf", "--json", tmp.file("elf.json")});
  from_xclbin.insert(from_xclbin.end(), {"--xclbin", tmp.file("build/final.xclbin"), "--json", tmp.file("xclbin.json")});
  const CliResult re = run_cli(from_elf), rx = run_cli(from_xclbin);
  INFO(re.err << rx.err);
  REQUIRE(re.exit_code == 0);
  REQUIRE(rx.exit_code == 0);
  CHECK(read_json(tmp.file("xclbin.json")).at("output_sha256") == read_json(tmp.file("elf.json")).at("output_sha256"));
  CHECK(read_json(tmp.file("xclbin.json")).at("backend").at("program").at("kind") == "xclbin");

  // No attncheck-build.json: the build is checked from the xclbin's PDI, and the report says from where.
  write_bytes(tmp.file("build/insts.bin"), std::string("\x00\x01\x03\x06\x00\x00\x00\x00", 8));
  const CliResult a = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "auto", "--xclbin",
                               tmp.file("build/final.xclbin"), "--insts", tmp.file("build/insts.bin"), "--json", tmp.file("a.json")});
  INFO(a.out << a.err);
  if (!fs::exists("/dev/accel/accel0")) {
    CHECK(a.exit_code == 3);  // checked, then no device ran
    const nlohmann::json build = read_json(tmp.file("a.json")).at("backend").at("build");
    CHECK(build.at("source") == "xclbin");
    REQUIRE(build.at("checks").size() == 2);  // qkv and out, the revision's buffers
    for (const auto& c : build.at("checks")) CHECK(c.at("from").get<std::string>().find("PDI buffer descriptor") != std::string::npos);
    CHECK(build.at("checks")[0].at("check") == "buffer qkv moves 12288 B per launch");
    CHECK(build.at("not_checked").size() == 3);
  }
  // A kernel whose buffers this design does not move is refused before any device, naming the descriptors.
  const CliResult other = run_cli({"run", "--kernel", "precise-v1", "--fixture", seed42(), "--backend", "npu", "--xclbin",
                                   tmp.file("build/final.xclbin"), "--insts", tmp.file("build/insts.bin")});
  CHECK(other.exit_code == 2);
  CHECK(other.err_lines().size() == 1);
  CHECK(other.err.find("no buffer descriptor of its PDI moves") != std::string::npos);
  // npu_insts.mlir is read (encoded as aie-translate would): the run gets as far as the device,
  // which this machine does not have (exit 3); a broken one is exit 2 naming its line.
  const CliResult mlir = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "npu", "--xclbin",
                                  tmp.file("build/final.xclbin"), "--insts", user + "/npu_insts.mlir"});
  INFO(mlir.err);
  CHECK(mlir.exit_code == 3);
  CHECK(mlir.err.find("npu_insts.mlir") == std::string::npos);
  write_bytes(tmp.file("bad_insts.mlir"), "module {\n  aiex.runtime_sequence() {\n    aiex.npu.frobnicate {x = 1 : i32}\n  }\n}\n");
  const CliResult bad = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", seed42(), "--backend", "npu", "--xclbin",
                                 tmp.file("build/final.xclbin"), "--insts", tmp.file("bad_insts.mlir")});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err_lines().size() == 1);
  CHECK(bad.err.find("bad_insts.mlir") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
