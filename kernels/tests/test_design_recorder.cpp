// Each design.py executed against a recording stand-in of the IRON API: buffers, calls, DMA volumes, stack.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"
#include "kernels/device_layout.hpp"
#include "kernels/host_kernels.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

namespace {

// The sequence length precise-v1's design is built for by default (its Makefile's SEQ).
constexpr int64_t kDesignSeq = 1500;

int64_t design_seq(const Revision& rev) { return rev.tile_only ? rev.tile : kDesignSeq; }

// Runs `design` (a path) under the recorder; the design prints JSON instead of MLIR. kernels/ is on
// the path for attncheck_manifest, which a design finds beside its own folder, so edited copies in a
// temp dir run too.
nlohmann::json record(const std::string& design, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "PYTHONPATH=" + source_dir() + "/kernels/tests/iron_recorder:" + source_dir() + "/kernels",
                                   python(), design};
  argv.insert(argv.end(), args.begin(), args.end());
  const CliResult r = run_program(argv);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

AttentionInputs zeros(const Shape& s) {
  AttentionInputs in;
  in.q = Int8Tensor(s);
  in.k = Int8Tensor(s);
  in.v = Int8Tensor(s);
  return in;
}

}  // namespace

TEST_CASE("kernel designs execute and declare the buffers, calls and stack the host side expects", "[kernel][design]") {
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    const KernelFacts* f = find_kernel_facts(rev.name);
    REQUIRE(f != nullptr);
    const std::vector<std::string> args =
        rev.tile_only ? std::vector<std::string>{} : std::vector<std::string>{std::to_string(design_seq(rev))};
    const nlohmann::json rec = record(source_dir() + "/" + f->design_file, args);
    // Every call type-checked and every DMA balanced against what the core consumes and produces.
    CHECK(rec.at("errors") == nlohmann::json::array());
    // The runtime sequence takes exactly the buffers the host packs per launch, in order.
    const AttentionInputs in = zeros(Shape{1, design_seq(rev), rev.tile_only ? rev.tile : 64});
    const Params params = runtime_params(rev, in, resolve_params(rev, {}));
    const LaunchPlan plan(rev.name, in, params);
    std::vector<size_t> host;
    for (const auto& b : plan.buffers()) host.push_back(b.bytes);
    CHECK(rec.at("sequence").get<std::vector<size_t>>() == host);
    // The drains write the output buffer, the fills read the inputs.
    for (const auto& t : rec.at("transfers")) {
      const bool output = plan.buffers().at(t.at("arg").get<size_t>()).is_output;
      CHECK((t.at("kind") == "drain") == output);
    }
    // The stack the worker reserves is what the stack check read from the same file.
    REQUIRE(rec.at("workers").size() == 1);
    const auto& ss = rec.at("workers")[0].at("stack_size");
    CHECK((ss.is_null() ? int64_t{0x400} : ss.get<int64_t>()) == f->stack_reserved);
    // Every kernel the design declares is a measured entry point.
    for (const auto& [symbol, k] : rec.at("kernels").items())
      CHECK(std::find(f->entries.begin(), f->entries.end(), symbol) != f->entries.end());
  }
}

namespace {

// A design run under the stand-in that Python itself rejects (as real IRON would): its last stderr line.
std::string rejected(const std::string& path, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "PYTHONPATH=" + source_dir() + "/kernels/tests/iron_recorder:" + source_dir() + "/kernels",
                                   python(), path};
  argv.insert(argv.end(), args.begin(), args.end());
  const CliResult r = run_program(argv);
  INFO("stdout: " << r.out);
  CHECK(r.exit_code != 0);
  const auto lines = r.err_lines();
  return lines.empty() ? std::string() : lines.back();
}

std::string edited(const std::string& text, const std::string& pattern, const std::string& replacement) {
  const std::string out = std::regex_replace(text, std::regex(pattern), replacement);
  REQUIRE(out != text);
  return out;
}

// `text` with one pattern rewritten and IRON's TensorAccessPattern imported for it.
std::string with_tap(const std::string& text, const std::string& pattern, const std::string& replacement) {
  return edited(edited(text, pattern, replacement), R"(from aie.iron.placers import SequentialPlacer)",
                "from aie.iron.placers import SequentialPlacer\nfrom aie.helpers.taplib import TensorAccessPattern");
}

bool has_error(const nlohmann::json& rec, const std::string& words) {
  for (const auto& e : rec.at("errors"))
    if (e.get<std::string>().find(words) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("each design writes the build manifest its Makefile seals, and attncheck accepts it for a matching run", "[kernel][design]") {
  const std::string fixture = source_dir() + "/fixtures/seed42";  // 64 x 64
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    const KernelFacts* f = find_kernel_facts(rev.name);
    REQUIRE(f != nullptr);
    TempDir build;
    // As the Makefile does: design.py [SEQ] --manifest, aiecc (an xclbin header stands in for its
    // output here: only its bytes are hashed), then attncheck_manifest.py seal.
    std::vector<std::string> args;
    if (!rev.tile_only) args.push_back("64");
    args.insert(args.end(), {"--manifest", build.file("attncheck-build.json")});
    const nlohmann::json rec = record(source_dir() + "/" + f->design_file, args);
    CHECK(rec.at("errors") == nlohmann::json::array());
    std::string xclbin(496, '\0');
    xclbin.replace(0, 8, std::string("xclbin2\0", 8));
    xclbin[304] = static_cast<char>(496 & 0xff);
    xclbin[305] = static_cast<char>(496 >> 8);
    write_bytes(build.file("final.xclbin"), xclbin);
    write_bytes(build.file("insts.bin"), std::string("\x00\x01\x03\x06\x00\x00\x00\x00", 8));
    const CliResult seal = run_program({python(), source_dir() + "/kernels/attncheck_manifest.py", "seal",
                                        build.file("attncheck-build.json"), build.file("final.xclbin")});
    REQUIRE(seal.exit_code == 0);
    const nlohmann::json m = nlohmann::json::parse(read_text(build.file("attncheck-build.json")));
    CHECK(m.at("revision") == rev.name);
    CHECK(m.at("seq_len") == 64);
    // The baked parameters are the revision's, at its defaults.
    for (const auto& name : rev.baked_params)
      for (const auto& p : rev.params)
        if (p.name == name) CHECK(m.at("baked").at(name) == p.default_value);
    CHECK(m.at("baked").size() == rev.baked_params.size());
    // Every input check passes, so the run reaches the device step (exit 3 here: no NPU, or no runner).
    const CliResult r = run_cli({"run", "--kernel", rev.name, "--fixture", fixture, "--backend", "npu", "--xclbin",
                                 build.file("final.xclbin"), "--insts", build.file("insts.bin")});
    INFO(r.err);
    CHECK(r.exit_code == 3);
  }
}

TEST_CASE("the strict IRON stand-in rejects precise-v1's old design for both of aiecc's reasons", "[kernel][design]") {
  // The design as it stood before issue 13 (kernels/tests/data): three input ObjectFifos, and
  // Runtime.fill(..., sizes=, strides=), which is not IRON's signature.
  const std::string old_path = source_dir() + "/kernels/tests/data/precise-v1-design-three-fifos.py";
  const std::string old = read_text(old_path);
  CHECK(rejected(old_path, {"1500"}) == "TypeError: Runtime.fill() got an unexpected keyword argument 'sizes'");

  // The same access pattern written as IRON takes it (a tap): then the third input ObjectFifo fails,
  // at placement on npu1_1col's one shim tile, and in aiecc's channel check on a wider device.
  TempDir tmp;
  const std::string tap =
      with_tap(old, R"(, sizes=\[1, 1, N_TILES, TILE \* DIM\], strides=\[0, 0, 2 \* TILE \* DIM, 1\]\))",
               ", tap=TensorAccessPattern((N_TILES * 2 * TILE * DIM,), 0, [1, 1, N_TILES, TILE * DIM], "
               "[0, 0, 2 * TILE * DIM, 1]))");
  write_bytes(tmp.file("tap.py"), tap);
  const std::string placed = rejected(tmp.file("tap.py"), {"1500"});
  CHECK(placed.find("ValueError: Failed to find a tile matching column 0") == 0);
  CHECK(placed.find("fills 3") != std::string::npos);
  write_bytes(tmp.file("wide.py"), edited(tap, "NPU1Col1", "NPU1"));
  const nlohmann::json wide = record(tmp.file("wide.py"), {"1500"});
  CHECK(has_error(wide, "aiecc: 'aie.tile' op number of input DMA channel exceeded! (the worker consumes 3 ObjectFifos"));
  // And its key-only stream moved 4096 bytes per row of the pattern: more than a shim BD's 1023 words.
  CHECK(has_error(wide, "aiecc: fill of k: Size 0 exceeds the [0:1023] range."));
  CHECK(wide.at("errors").size() == 2);
}

TEST_CASE("the strict IRON stand-in refuses what IRON or aiecc refuse in the new design's shape", "[kernel][design]") {
  const std::string text = read_text(source_dir() + "/kernels/precise-v1/design.py");
  TempDir tmp;
  // A keyword IRON's ObjectFifo does not take.
  write_bytes(tmp.file("kw.py"), edited(text, R"(depth=1, name="q_rtp")", R"(depth=1, fifo_name="q_rtp")"));
  CHECK(rejected(tmp.file("kw.py"), {"1500"}).find("TypeError: ") == 0);
  // Fifteen K|V buffers: more BDs than a compute tile's DMA has, and more than its 64 KiB.
  write_bytes(tmp.file("deep.py"), edited(text, R"(ObjectFifo\(kv_ty, depth=2)", "ObjectFifo(kv_ty, depth=15"));
  const nlohmann::json deep = record(tmp.file("deep.py"), {"1500"});
  CHECK(has_error(deep, "the compute tile's DMA has more than 16 blocks (17 BDs"));
  CHECK(has_error(deep, "allocated buffers exceeded available memory"));
  // A stack that no longer fits beside the buffers.
  write_bytes(tmp.file("stack.py"), edited(text, R"(stack_size=0x200)", "stack_size=0x6000"));
  const nlohmann::json stack = record(tmp.file("stack.py"), {"1500"});
  CHECK(has_error(stack, "allocated buffers exceeded available memory (66080 of 65536 bytes)"));
  CHECK(stack.at("errors").size() == 1);
}

TEST_CASE("the design recorder catches a design whose DMA and core disagree", "[kernel][design]") {
  const std::string text = read_text(source_dir() + "/kernels/precise-v1/design.py");
  TempDir tmp;
  // The K|V stream of pass 1 given one pair more than the host buffer holds and the core consumes.
  const std::string bad = with_tap(text, R"(rt.fill\(of_kv.prod\(\), kv_in\)  # pass 1)",
                                   "rt.fill(of_kv.prod(), kv_in, tap=TensorAccessPattern((N_TILES * 2 * TILE * DIM,), 0, "
                                   "[1, N_TILES + 1, 8, 1024], [0, 2 * TILE * DIM, 1024, 1]))  # pass 1");
  write_bytes(tmp.file("design.py"), bad);
  const nlohmann::json rec = record(tmp.file("design.py"), {"1500"});
  CHECK(rec.at("errors").size() == 2);  // past the end of the host buffer, and more than the core consumes
  // And a kernel called with a buffer of the wrong size.
  write_bytes(tmp.file("design2.py"), edited(text, R"(max_pass\(q, kv, )", "max_pass(q, q, "));
  const nlohmann::json rec2 = record(tmp.file("design2.py"), {"1500"});
  REQUIRE(rec2.at("errors").size() == 24);  // once per unrolled key tile of S = 1500
  for (const auto& e : rec2.at("errors"))
    CHECK(e.get<std::string>().find("precise_v1_max_pass argument 1: 8192 bytes declared, got 4128") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
