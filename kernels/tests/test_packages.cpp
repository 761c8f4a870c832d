// Kernel packages (issue 15): the user's own source as a package on every backend the host runs, its one-line errors, and one registry.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "fixtures/testing/test_support.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/packages.hpp"
#include "kernels/tests/differential.hpp"
#include "ref/errors.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

const std::string kUserDir = "/aie2/int32-2025-11-03";
constexpr size_t kMinTiles = scaled(10000, 1000);

// The compile cache of one test: fresh, so a test sees its own compiles, not another test's.
struct CacheDir {
  TempDir dir;
  CacheDir() { setenv("ATTNCHECK_CACHE_DIR", dir.path().c_str(), 1); }
};

// The package of the issue: the user's original source and header, copied, with this kernel.json.
nlohmann::json issue_kernel_json() {
  return nlohmann::json::parse(R"({
    "name": "my-int32-lut",
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
}

// Writes a package into `dir`: the user's files, `edit_json` applied to the issue's kernel.json and
// `edit_source` to the C source. Returns dir.
std::string write_package(const std::string& dir, const std::function<void(nlohmann::json&)>& edit_json = {},
                          const std::function<void(std::string&)>& edit_source = {}) {
  fs::create_directories(dir);
  const std::string user = shared_dir() + kUserDir;
  fs::copy_file(user + "/exp_lut_int8.h", dir + "/exp_lut_int8.h", fs::copy_options::overwrite_existing);
  std::string src = read_text(user + "/attention_int8_64x64_tiled.c");
  if (edit_source) edit_source(src);
  write_bytes(dir + "/attention_int8_64x64_tiled.c", src);
  nlohmann::json j = issue_kernel_json();
  if (edit_json) edit_json(j);
  write_bytes(dir + "/kernel.json", j.dump(2));
  return dir;
}

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
}

// `run` must fail with exit 2 and exactly one stderr line containing every `parts`.
void expect_one_line_error(const CliResult& r, const std::vector<std::string>& parts) {
  INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err_lines().size() == 1);
  for (const auto& p : parts) CHECK(r.err.find(p) != std::string::npos);
}

CliResult run_host(const std::string& pkg, const std::string& fixture, const std::string& json = "") {
  std::vector<std::string> a = {"run", "--backend", "host", "--kernel", pkg, "--fixture", fixture};
  if (!json.empty()) a.insert(a.end(), {"--json", json});
  return run_cli(a);
}

std::string repo_fixture() { return source_dir() + "/fixtures/realistic_s11_64x64"; }

}  // namespace

TEST_CASE("issue 15.1: the user's original INT32 source as a package is bit-exact with uc-int32-lut on the differential corpus") {
  CacheDir cache;
  TempDir tmp;
  const Revision& rev = resolve_kernel(write_package(tmp.file("pkg")));
  CHECK(rev.name == "my-int32-lut");
  REQUIRE(rev.model);
  CHECK_FALSE(rev.package->builtin);
  const HostKernel& k = host_kernel(rev);
  CHECK(k.build.at("built_at") == "run time");
  CorpusResult random, edge;
  random_corpus(rev, 20251103, kMinTiles, [&](const Batch& b) { run_batch(rev, rev.model, k.run, b, &random); });
  edge_corpus(rev, [&](const Batch& b) { run_batch(rev, rev.model, k.run, b, &edge); });
  INFO(summary("package random", random) << summary("package edge", edge));
  CHECK(random.tiles >= kMinTiles);
  CHECK(random.mismatches == 0);
  CHECK(edge.tiles > 0);
  CHECK(edge.mismatches == 0);

  // The same corpus bites: the output rounding one step off (64 -> 63) is a different kernel.
  const Revision& off = resolve_kernel(write_package(tmp.file("off"), {}, [](std::string& s) {
    replace_once(s, "(weighted_sum + sign * 64) >> 7", "(weighted_sum + sign * 63) >> 7");
  }));
  CorpusResult bad;
  random_corpus(off, 20251103, 256, [&](const Batch& b) { run_batch(off, off.model, host_kernel(off).run, b, &bad); });
  CHECK(bad.mismatches > 0);
}

TEST_CASE("issue 15.1: the package runs `run --backend host` bit-exact on every shared vector, and says how it was built") {
  CacheDir cache;
  TempDir tmp;
  const std::string pkg = write_package(tmp.file("pkg"));
  const std::string pkg_sha = sha256_file(pkg + "/kernel.json");
  size_t ran = 0, refused = 0;
  for (const auto& e : fs::directory_iterator(shared_dir() + "/vectors")) {
    const std::string vec = e.path().string();
    INFO("vector " << vec);
    const std::string report = tmp.file(e.path().filename().string() + ".json");
    const CliResult r = run_host(pkg, vec, report);
    INFO(r.out << r.err);
    // The kernel takes one 64x64 tile per head; a vector of another S is refused in one line.
    const auto dims = read_npy(vec + "/q.npy").shape;
    const bool tile = dims.size() >= 2 && dims[dims.size() - 1] == 64 && dims[dims.size() - 2] == 64;
    if (!tile) {
      expect_one_line_error(r, {vec, "my-int32-lut is defined for 64x64 tiles per head"});
      ++refused;
      continue;
    }
    REQUIRE(r.exit_code == 0);
    ++ran;
    const auto j = nlohmann::json::parse(read_text(report));
    CHECK(j.at("metrics").at("vs_model").at("bit_exact") == true);
    CHECK(j.at("kernel").at("revision") == "my-int32-lut");
    CHECK(j.at("kernel").at("package").at("sha256") == pkg_sha);
    CHECK(j.at("kernel").at("package").at("model") == "uc-int32-lut");
    const auto& build = j.at("backend").at("build");
    CHECK(build.at("built_at") == "run time");
    CHECK(build.at("compiler").get<std::string>().size() > 0);
    const auto flags = build.at("flags").get<std::vector<std::string>>();
    CHECK(std::count(flags.begin(), flags.end(), "-ffreestanding") == 1);
    CHECK(std::count(flags.begin(), flags.end(), "-Wextra") == 1);
    // The user's source has one warning (an unused parameter): reported, at its line.
    CHECK(build.at("warnings").dump().find("attention_int8_64x64_tiled.c:125") != std::string::npos);
    // And the output is the built-in revision's, byte for byte.
    const std::string builtin_report = tmp.file("builtin.json");
    REQUIRE(run_host("uc-int32-lut", vec, builtin_report).exit_code == 0);
    CHECK(j.at("output_sha256") == nlohmann::json::parse(read_text(builtin_report)).at("output_sha256"));
  }
  CHECK(ran >= 1);
  CHECK(ran + refused >= 2);
}

TEST_CASE("issue 15.1: with \"elf\" pointing at the shared ELF, --backend sim runs from the package") {
  CacheDir cache;
  TempDir tmp;
  const std::string user = shared_dir() + kUserDir;
  // With an xclbin too (not built here): the simulator runs the ELF, the NPU would load the xclbin.
  const std::string pkg = write_package(tmp.file("pkg"), [](nlohmann::json& j) {
    j["elf"] = "build/main_core_0_2.elf";
    j["xclbin"] = "build/final.xclbin";
    j["insts"] = "build/insts.bin";
  });
  fs::create_directories(pkg + "/build");
  for (const char* f : {"main_core_0_2.elf", "input_physical_with_elfs.mlir"})
    fs::copy_file(user + "/" + f, pkg + "/build/" + f);
  const std::string fx = source_dir() + "/fixtures/seed42";
  const CliResult a = run_cli({"run", "--backend", "sim", "--kernel", pkg, "--fixture", fx, "--json", tmp.file("a.json")});
  const CliResult b = run_cli({"run", "--backend", "sim", "--kernel", "uc-int32-lut", "--elf", user + "/main_core_0_2.elf",
                               "--fixture", fx, "--json", tmp.file("b.json")});
  INFO(a.out << a.err << b.out << b.err);
  // The shared ELF overflows its 1 KiB stack into its input (docs/kernels.md): the verdict is the
  // binary's, the same from the package as from --elf.
  REQUIRE((a.exit_code == 0 || a.exit_code == 1));
  CHECK(a.exit_code == b.exit_code);
  const auto ja = nlohmann::json::parse(read_text(tmp.file("a.json")));
  const auto jb = nlohmann::json::parse(read_text(tmp.file("b.json")));
  CHECK(ja.at("backend").at("name") == "sim");
  CHECK(ja.at("output_sha256") == jb.at("output_sha256"));
  CHECK(ja.at("metrics").at("vs_model").at("bit_exact") == jb.at("metrics").at("vs_model").at("bit_exact"));
}

TEST_CASE("issue 15.2: a package whose source does not compile is one line at the user's file and line") {
  CacheDir cache;
  TempDir tmp;
  int line = 0;
  const std::string pkg = write_package(tmp.file("pkg"), {}, [&line](std::string& s) {
    const std::string at = "const int8_t* V = &QKV_combined[8192];";
    line = 1 + static_cast<int>(std::count(s.begin(), s.begin() + static_cast<long>(s.find(at)), '\n'));
    replace_once(s, at, "const int8_t* V = &QKV_combined[8192] +;");
  });
  expect_one_line_error(run_host(pkg, repo_fixture()),
                        {"pkg/attention_int8_64x64_tiled.c:" + std::to_string(line) + ":", "error: expected expression"});
}

TEST_CASE("issue 15.2: a package whose entry point is missing is one line naming the entry and the sources") {
  CacheDir cache;
  TempDir tmp;
  const std::string pkg = write_package(tmp.file("pkg"), [](nlohmann::json& j) { j["entry"] = "attention_64x65"; });
  expect_one_line_error(run_host(pkg, repo_fixture()),
                        {"kernel.json", "entry attention_64x65 is not defined by attention_int8_64x64_tiled.c"});
}

TEST_CASE("issue 15.2: a package whose argument list differs from its C function is one line at the definition") {
  CacheDir cache;
  TempDir tmp;
  // One scalar too many: the C function takes (qkv, out, scale_shift).
  const std::string pkg = write_package(tmp.file("pkg"), [](nlohmann::json& j) {
    j["args"].push_back({{"param", "extra"}, {"default", 1}});
    j.erase("model");
  });
  expect_one_line_error(run_host(pkg, repo_fixture()),
                        {"attention_int8_64x64_tiled.c:203:", "conflicting types for",
                         "declares void attention_64x64(const int8_t*, int8_t*, uint32_t, uint32_t)"});
  // Input and output swapped: const-ness differs.
  const std::string swapped = write_package(tmp.file("swapped"), [](nlohmann::json& j) {
    std::swap(j["args"][0], j["args"][1]);
  });
  expect_one_line_error(run_host(swapped, repo_fixture()), {"attention_int8_64x64_tiled.c:203:", "conflicting types for"});
}

TEST_CASE("issue 15.2: a package whose buffers cannot hold its tile is one line naming the argument") {
  CacheDir cache;
  TempDir tmp;
  const std::string small = write_package(tmp.file("small"), [](nlohmann::json& j) { j["args"][0]["bytes"] = 8192; });
  expect_one_line_error(run_host(small, repo_fixture()),
                        {"kernel.json: args[0]: packs q, k, v of a 64x64 tile (12288 B), but its buffer holds 8192 B"});
  // A tile whose double-buffered buffers exceed a compute tile's 64 KiB.
  const std::string big = write_package(tmp.file("big"), [](nlohmann::json& j) {
    j["tile"]["dim"] = 128;
    j.erase("model");
  });
  expect_one_line_error(run_host(big, repo_fixture()), {"kernel.json: tile 64x128", "64 KiB of data memory"});
  // And a tile the model is not defined for.
  const std::string other = write_package(tmp.file("other"), [](nlohmann::json& j) { j["tile"]["seq"] = 32; });
  expect_one_line_error(run_host(other, repo_fixture()), {"model uc-int32-lut is defined for 64x64 tiles"});
}

TEST_CASE("issue 15.2: what an AIE2 core cannot run is refused by the host compile: floating point, libc, 64-bit division") {
  CacheDir cache;
  TempDir tmp;
  auto with_body = [&](const std::string& name, const std::string& body) {
    return write_package(tmp.file(name), {}, [&](std::string& s) {
      replace_once(s, "    // Process first 32 rows of Q (rows 0-31)", body + "\n    // Process first 32 rows of Q (rows 0-31)");
    });
  };
  expect_one_line_error(run_host(with_body("float", "    volatile float f = (float)scale_shift * 0.5f; (void)f;"), repo_fixture()),
                        {"attention_int8_64x64_tiled.c:", "floating point"});
  expect_one_line_error(
      run_host(with_body("div64", "    volatile int64_t a = (int64_t)Q[0] << 40, b = (int64_t)K[0] + 999; output[0] = (int8_t)(a / b);"),
               repo_fixture()),
      {"kernel.json: function attention_64x64 divides 64-bit integers"});
  expect_one_line_error(
      run_host(with_body("libc", "    extern void* memset(void*, int, unsigned long); memset(output, 0, 4096);"), repo_fixture()),
      {"undefined reference to `memset'", "a core has no libc"});
}

TEST_CASE("issue 15.2: kernel.json itself is checked: unknown keys, params the model lacks, bad values, not JSON") {
  CacheDir cache;
  TempDir tmp;
  auto pkg = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
    return write_package(tmp.file(name), edit);
  };
  expect_one_line_error(run_host(pkg("typo", [](nlohmann::json& j) { j["entrry"] = "x"; }), repo_fixture()),
                        {"kernel.json: unknown key \"entrry\""});
  expect_one_line_error(run_host(pkg("noparam", [](nlohmann::json& j) { j["args"].erase(2); }), repo_fixture()),
                        {"model uc-int32-lut takes param scale_shift"});
  expect_one_line_error(run_host(pkg("range", [](nlohmann::json& j) { j["args"][2]["max"] = 40; }), repo_fixture()),
                        {"allows 0..40, model uc-int32-lut is defined for 0..31"});
  expect_one_line_error(run_host(pkg("model", [](nlohmann::json& j) { j["model"] = "uc-int64"; }), repo_fixture()),
                        {"\"model\" uc-int64 is not a built-in integer model"});
  expect_one_line_error(run_host(pkg("tensor", [](nlohmann::json& j) { j["args"][0]["input"] = {"q", "k"}; }), repo_fixture()),
                        {"never passes tensor v"});
  const std::string broken = pkg("broken", {});
  write_bytes(broken + "/kernel.json", "{\"name\": ");
  expect_one_line_error(run_host(broken, repo_fixture()), {"kernel.json: not JSON"});
  expect_one_line_error(run_host(tmp.file("nothing-here/kernel.json"), repo_fixture()), {"no such kernel package"});
  expect_one_line_error(run_host("my-unknown-rev", repo_fixture()), {"unknown revision", "uc-int32-lut"});
}

TEST_CASE("issue 15: the compile cache is keyed by what the compiler sees, and a built design's parameter is not overridden") {
  CacheDir cache;
  TempDir tmp;
  const std::string pkg = write_package(tmp.file("pkg"), [](nlohmann::json& j) { j["args"][2]["baked"] = true; });
  auto build_of = [&](const std::string& json) { return nlohmann::json::parse(read_text(json)).at("backend").at("build"); };
  REQUIRE(run_host(pkg, repo_fixture(), tmp.file("1.json")).exit_code == 0);
  REQUIRE(run_host(pkg, repo_fixture(), tmp.file("2.json")).exit_code == 0);
  CHECK(build_of(tmp.file("1.json")).at("cached") == false);
  CHECK(build_of(tmp.file("2.json")).at("cached") == true);
  CHECK(build_of(tmp.file("1.json")).at("library") == build_of(tmp.file("2.json")).at("library"));
  // A header the source includes changes: a new key, a new build.
  std::string header = read_text(pkg + "/exp_lut_int8.h");
  // (A comment alone would not: the key is the preprocessed text, so it is the same program.)
  write_bytes(pkg + "/exp_lut_int8.h", header + "\nstatic const int attncheck_test_edit = 1;\n");
  REQUIRE(run_host(pkg, repo_fixture(), tmp.file("3.json")).exit_code == 0);
  CHECK(build_of(tmp.file("3.json")).at("cached") == false);
  CHECK(build_of(tmp.file("3.json")).at("library") != build_of(tmp.file("1.json")).at("library"));
  // The host takes a baked override (it runs the source); the simulator runs the built binary and cannot.
  const std::string user = shared_dir() + kUserDir;
  CHECK(run_cli({"run", "--backend", "host", "--kernel", pkg, "--fixture", repo_fixture(), "--param", "scale_shift=5"})
            .exit_code == 0);
  expect_one_line_error(run_cli({"run", "--backend", "sim", "--kernel", pkg, "--elf", user + "/main_core_0_2.elf", "--fixture",
                                 repo_fixture(), "--param", "scale_shift=5"}),
                        {"scale_shift=5", "cannot honour an override"});
}

TEST_CASE("issue 15: a package with no model is its own reference: host against golden, sim against the host build") {
  CacheDir cache;
  TempDir tmp;
  const std::string user = shared_dir() + kUserDir;
  const std::string pkg = write_package(tmp.file("pkg"), [&](nlohmann::json& j) {
    j.erase("model");
    j["elf"] = user + "/main_core_0_2.elf";
  });
  const CliResult host = run_host(pkg, repo_fixture(), tmp.file("host.json"));
  INFO(host.out << host.err);
  REQUIRE(host.exit_code == 0);
  const auto jh = nlohmann::json::parse(read_text(tmp.file("host.json")));
  CHECK(jh.at("backend").at("reference") == true);
  CHECK(jh.at("kernel").at("package").at("model").is_null());
  CHECK_FALSE(jh.at("metrics").contains("vs_model"));
  expect_one_line_error(run_cli({"run", "--backend", "model", "--kernel", pkg, "--fixture", repo_fixture()}),
                        {"names no \"model\""});
  expect_one_line_error(run_cli({"emulate", "--kernel", pkg, "--fixture", repo_fixture(), "--out", tmp.file("e.npy")}),
                        {"no integer model to emulate"});
  // The simulated binary is held to the host build of the same source, bit for bit.
  const CliResult sim = run_cli({"run", "--backend", "sim", "--kernel", pkg, "--fixture", repo_fixture(), "--sim-stack-at",
                                 "0x78800", "--json", tmp.file("sim.json")});
  INFO(sim.out << sim.err);
  REQUIRE(sim.exit_code == 0);
  CHECK(nlohmann::json::parse(read_text(tmp.file("sim.json"))).at("metrics").at("vs_model").at("bit_exact") == true);
}

TEST_CASE("issue 15.3: suite and diff take packages: diff --kernel pkgA --kernel pkgB compares two revisions of a user's kernel") {
  CacheDir cache;
  TempDir tmp;
  const std::string a = write_package(tmp.file("rev-a"));
  const std::string b = write_package(tmp.file("rev-b"), [](nlohmann::json& j) { j["name"] = "my-int32-lut-b"; },
                                      [](std::string& s) {
                                        replace_once(s, "(weighted_sum + sign * 64) >> 7", "(weighted_sum + sign * 63) >> 7");
                                      });
  const CliResult d = run_cli({"diff", "--kernel", a, "--kernel", b, "--fixture", repo_fixture(), "--backend", "host", "--json",
                               tmp.file("diff.json")});
  INFO(d.out << d.err);
  CHECK(d.exit_code == 1);  // B is no longer bit-exact with the model: a regression
  CHECK(d.out.find("my-int32-lut-b") != std::string::npos);
  CHECK(d.out.find("bit_exact (model)  true           false") != std::string::npos);
  const CliResult same = run_cli({"diff", "--kernel", a, "--kernel", a, "--fixture", repo_fixture(), "--backend", "host"});
  CHECK(same.exit_code == 0);

  // A suite names packages relative to itself, beside built-in names.
  write_bytes(tmp.file("s.suite.json"), nlohmann::json{{"fixtures", {repo_fixture()}},
                                                       {"revisions", {"rev-a", "rev-b", "uc-int32-lut"}},
                                                       {"backends", {"host"}}}
                                            .dump());
  const CliResult s = run_cli({"suite", tmp.file("s.suite.json"), "--json", tmp.file("suite.json")});
  INFO(s.out << s.err);
  CHECK(s.exit_code == 1);
  CHECK(std::regex_search(s.out, std::regex("PASS +\\S*rev-a ")));
  CHECK(std::regex_search(s.out, std::regex("FAIL +\\S*rev-b ")));
  CHECK(std::regex_search(s.out, std::regex("PASS +uc-int32-lut ")));
}

TEST_CASE("issue 15.4: a revision is known only to its directory, its model and the registry") {
  // Every place in the product's code that names a built-in revision (as kernel.json names it, or
  // as a C identifier). Tests, docs and fuzz corpora name revisions to test them, not to run them.
  const fs::path root = source_dir();
  std::set<std::string> allowed_common = {"ref/registry.cpp", "ref/CMakeLists.txt"};
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    std::string ident = rev.name;
    for (auto& c : ident) c = c == '-' ? '_' : c;
    const std::regex named("(" + std::regex_replace(rev.name, std::regex("-"), "[-_]") + ")", std::regex::icase);
    std::set<std::string> allowed = allowed_common;
    allowed.insert("ref/" + ident + ".hpp");
    allowed.insert("ref/" + ident + ".cpp");
    // What the package itself names (its peer script emulates the same arithmetic).
    if (!rev.package->peer.empty()) allowed.insert(fs::relative(rev.package->peer, root).string());
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
      const std::string rel = fs::relative(it->path(), root).string();
      const std::string leaf = it->path().filename().string();
      if (it->is_directory()) {
        if (leaf.rfind("build", 0) == 0 || leaf[0] == '.' || leaf == "tests" || leaf == "fuzz" || leaf == "docs" ||
            leaf == "testing" || leaf == "__pycache__" || (rel.rfind("kernels/", 0) == 0 && fs::exists(it->path() / "kernel.json")))
          it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file() || leaf == "README.md" || it->path().extension() == ".npy") continue;
      if (allowed.count(rel)) continue;
      if (std::regex_search(read_text(it->path().string()), named)) found.push_back(rel);
    }
    std::string list;
    for (const auto& f : found) list += f + " ";
    INFO("files naming it outside the revisions' directories, its model and the registry: " << list);
    CHECK(found.empty());
    // And the registry has it from its directory: kernels/<rev>/kernel.json.
    CHECK(file_exists(source_dir() + "/kernels/" + rev.name + "/kernel.json"));
    CHECK(rev.package->builtin);
  }
  // Every kernels/*/kernel.json is in the registry, each held to a model.
  size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(root / "kernels"))
    if (fs::exists(e.path() / "kernel.json")) {
      ++dirs;
      CHECK_NOTHROW(find_revision(e.path().filename().string()));
    }
  CHECK(dirs == revisions().size());
  for (const auto& rev : revisions()) CHECK(rev.model);
}

TEST_CASE("issue 15: each built-in package agrees with its model, and the host build covers every entry") {
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    const Revision* m = find_model(rev.package->model);
    REQUIRE(m != nullptr);
    REQUIRE(rev.params.size() == m->params.size());
    for (size_t i = 0; i < rev.params.size(); ++i) {
      CHECK(rev.params[i].name == m->params[i].name);
      CHECK(rev.params[i].default_value == m->params[i].default_value);
      CHECK(rev.params[i].min == m->params[i].min);
      CHECK(rev.params[i].max == m->params[i].max);
    }
    CHECK(rev.baked_params == m->baked_params);
    CHECK(rev.tile_only == m->tile_only);
    CHECK(rev.head_dim == m->head_dim);
    const HostKernel* k = find_host_kernel(rev.name);
    REQUIRE(k != nullptr);
    CHECK(k->entries == rev.package->entry_symbols());
  }
}

TEST_CASE("issue 15: every kernel.json validates against docs/kernel.schema.json, and the schema refuses a typo") {
  TempDir tmp;
  std::vector<std::string> files;
  for (const auto& rev : revisions()) files.push_back(rev.package->dir + "/kernel.json");
  files.push_back(write_package(tmp.file("pkg")) + "/kernel.json");
  const std::string bad = write_package(tmp.file("bad"), [](nlohmann::json& j) { j["entrry"] = "x"; }) + "/kernel.json";
  const std::string script = R"(
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sys.argv[3:]:
    v.validate(json.load(open(f)))
errors = list(v.iter_errors(json.load(open(sys.argv[2]))))
assert errors, "the typo validated"
print("ok", len(sys.argv) - 3)
)";
  std::vector<std::string> argv = {python(), "-c", script, source_dir() + "/docs/kernel.schema.json", bad};
  argv.insert(argv.end(), files.begin(), files.end());
  const CliResult r = run_program(argv);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ok " + std::to_string(files.size())) != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
