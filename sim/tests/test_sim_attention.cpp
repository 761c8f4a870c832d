// The compiled INT32 attention kernel run by the simulator: bit-exact with the uc-int32-lut model when its stack fits, and the overflow found and explained when it does not.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>

#include "cli/backends.hpp"
#include "fixtures/testing/test_support.hpp"
#include "kernels/tests/differential.hpp"
#include "ref/errors.hpp"
#include "sim/core/core.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

namespace {

std::string int32_dir() { return shared_dir() + "/aie2/int32-2025-11-03"; }
std::string int32_elf() { return int32_dir() + "/main_core_0_2.elf"; }
// Above the .data section (0x78400..0x785FF) and every buffer: a stack with room to grow.
constexpr const char* kClearStack = "0x78800";

// Sanitizer builds run the same corpus, smaller: the interpreter is far slower there, and the
// Release build of the same suite runs it whole.
size_t tiles_wanted(size_t full) { return scaled(full, full / 128); }

// `rules`: the run's (a mutation test's own).
AttentionFn sim_kernel(const std::string& stack_at, const aie2::Rules& rules = aie2::Rules{}) {
  return [stack_at, rules](const AttentionInputs& in, const Params& p) {
    Fixture fx;
    fx.path = "(corpus)";
    fx.inputs = in;
    BackendOptions o;
    o.elf = int32_elf();
    o.sim_stack_at = stack_at;
    o.sim_rules = rules;
    return run_sim_backend(find_revision("uc-int32-lut"), p, fx, o, "sim").output;
  };
}

// uc-int32-lut with scale_shift fixed at the value the built design passes (4): the corpus then
// varies the inputs only, as the binary can only be run with its own parameter.
Revision built_revision() {
  Revision r = find_revision("uc-int32-lut");
  for (auto& p : r.params) p.min = p.max = p.default_value;
  return r;
}

}  // namespace

TEST_CASE("sim: the INT32 ELF with a stack that fits equals the uc-int32-lut model on >= 2,000 random tiles") {
  const Revision rev = built_revision();
  CorpusResult r;
  random_corpus(rev, 20261201, tiles_wanted(2000), [&](const Batch& b) { run_batch(rev, rev.model, sim_kernel(kClearStack), b, &r); });
  const std::string text = summary("sim uc-int32-lut random", r);
  std::printf("%s", text.c_str());
  INFO(text);
  CHECK(r.tiles >= tiles_wanted(2000));
  CHECK(r.mismatches == 0);
}

TEST_CASE("sim: the INT32 ELF with a stack that fits equals the model on the edge corpus and the shared vectors") {
  const Revision rev = built_revision();
  CorpusResult r;
  edge_corpus(rev, [&](const Batch& b) { run_batch(rev, rev.model, sim_kernel(kClearStack), b, &r); });
  INFO(summary("sim uc-int32-lut edge", r));
  CHECK(r.tiles > 0);
  CHECK(r.mismatches == 0);
  TempDir t;
  const auto res = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", shared_dir() + "/vectors/seed42", "--backend",
                            "sim", "--elf", int32_elf(), "--sim-stack-at", kClearStack, "--json", t.file("r.json")});
  INFO(res.out << res.err);
  REQUIRE(res.exit_code == 0);
  const auto j = nlohmann::json::parse(read_text(t.file("r.json")));
  CHECK(j["backend"]["name"] == "sim");
  CHECK(j["backend"]["program"]["sha256"] == "ea443071363891146325c564793006aba2e67e703b1c225fea6ec11e6ea3b566");
  CHECK(j["backend"]["program"]["kind"] == "elf");
  CHECK(j["backend"]["simulated_bundles"].get<uint64_t>() > 1000000);
  CHECK(j["metrics"]["vs_model"]["bit_exact"] == true);
}

TEST_CASE("sim: with the link script's stack the report is not bit-exact and blames the frames' writes into Q|K|V") {
  TempDir t;
  const auto res = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", shared_dir() + "/vectors/seed42", "--backend",
                            "sim", "--elf", int32_elf(), "--json", t.file("r.json")});
  INFO(res.out << res.err);
  REQUIRE(res.exit_code == 1);  // not bit-exact with the model: the run fails, the report says why
  const auto j = nlohmann::json::parse(read_text(t.file("r.json")));
  const auto& vm = j["metrics"]["vs_model"];
  CHECK(vm["bit_exact"] == false);
  // The rows whose Q bytes the tile function's frame overwrote before reading them.
  std::set<int64_t> rows;
  for (const auto& hr : vm["mismatch_rows"]) rows.insert(hr[1].get<int64_t>());
  CHECK(rows == std::set<int64_t>{22, 23, 24, 25, 26, 27});
  const auto& a = vm["attribution"];
  CHECK(a["explained"] == true);
  CHECK(a["unexplained_rows"] == 0);
  CHECK(a["mismatching_rows"] == 6);
  const auto& w = a["launches"][0]["writers"][0];
  CHECK(w["function"] == "attention_tile_32x32");
  CHECK(w["in_frame"] == true);
  CHECK(a["launches"][0]["buffer"] == "of_QKV_cons_buff_0");
  CHECK(j["backend"]["max_sp"] == 0x70AE0);
  CHECK(res.out.find("writes: launch 0: attention_tile_32x32's stack frame stored at of_QKV_cons_buff_0") != std::string::npos);
  CHECK(res.out.find("these writes explain all 6 mismatching rows") != std::string::npos);
}

TEST_CASE("sim: independent launches equal one chained core, and alternate ping-pong buffers") {
  // Eight heads: launches 0, 2, 4, 6 use buffer 0 (where the frames land), 1, 3, 5, 7 buffer 1.
  TempDir t;
  REQUIRE(run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "5", "--heads", "8", "--out", t.file("fx")})
              .exit_code == 0);
  nlohmann::json reports[2];
  const char* modes[2] = {"independent", "chained"};
  for (int m = 0; m < 2; ++m) {
    std::vector<std::string> args = {"run", "--kernel", "uc-int32-lut", "--fixture", t.file("fx"), "--backend", "sim",
                                     "--elf", int32_elf(), "--json", t.file(std::string(modes[m]) + ".json")};
    if (m == 1) args.push_back("--sim-chain");
    const auto res = run_cli(args);
    INFO(res.err);
    REQUIRE(res.exit_code == 1);  // the frames corrupt Q in both modes: not bit-exact, so the run fails
    reports[m] = nlohmann::json::parse(read_text(t.file(std::string(modes[m]) + ".json")));
  }
  CHECK(reports[0]["metrics"]["vs_model"]["mismatch_rows"] == reports[1]["metrics"]["vs_model"]["mismatch_rows"]);
  CHECK(reports[0]["metrics"]["vs_model"]["mismatches"] == reports[1]["metrics"]["vs_model"]["mismatches"]);
  std::set<int64_t> heads;
  for (const auto& hr : reports[0]["metrics"]["vs_model"]["mismatch_rows"]) heads.insert(hr[0].get<int64_t>());
  for (int64_t h : heads) CHECK(h % 2 == 0);
  CHECK(reports[0]["metrics"]["vs_model"]["attribution"]["explained"] == true);
}

TEST_CASE("sim: breaking one ISA rule breaks bit-exactness, and the failure names the first differing element") {
  const Revision rev = built_revision();
  struct Mutation {
    const char* what;
    void (*apply)(aie2::SimRules&);
  };
  const Mutation mutations[] = {
      {"load latency 7 -> 6", [](aie2::SimRules& r) { r.load_latency = 6; }},
      {"load latency 7 -> 8", [](aie2::SimRules& r) { r.load_latency = 8; }},
      {"branch delay slots 5 -> 4", [](aie2::SimRules& r) { r.branch_delay_slots = 4; }},
      {"[p, #imm] word offsets read unscaled (imm6x4 as bytes)", [](aie2::SimRules& r) { r.word_offsets_unscaled = true; }},
  };
  for (const auto& m : mutations) {
    INFO(m.what);
    aie2::Rules mutated;
    m.apply(mutated.core);
    CorpusResult r;
    std::string error;
    try {
      random_corpus(rev, 7, 8, [&](const Batch& b) { run_batch(rev, rev.model, sim_kernel(kClearStack, mutated), b, &r); });
    } catch (const std::exception& e) {
      error = e.what();  // a broken rule may also derail the program (a fault the simulator names)
    }
    const std::string text = summary(std::string("sim mutated: ") + m.what, r);
    INFO(text << error);
    CHECK((r.mismatches > 0 || !error.empty()));
    if (error.empty()) CHECK(std::regex_search(r.report, std::regex(R"(head \d+ \([^)]*\) row \d+ col \d+: model -?\d+ kernel -?\d+)")));
  }
}

TEST_CASE("sim: bad input for the sim backend is a one-line error") {
  TempDir t;
  const std::string fx = shared_dir() + "/vectors/seed42";
  struct Case {
    std::vector<std::string> extra;
    const char* expect;
  };
  const Case cases[] = {
      {{}, "needs --elf"},
      {{"--elf", t.file("missing.elf")}, "missing.elf"},
      {{"--elf", int32_elf(), "--param", "scale_shift=3"}, "cannot honour an override"},
      {{"--elf", int32_elf(), "--sim-max-cycles", "1000"}, "no transfer moved in 1000 bundles, stopped at PC"},
      {{"--elf", int32_elf(), "--sim-stack-at", "0x7FFF0"}, "outside the tile's data memory"},
      {{"--elf", int32_elf(), "--sim-stack-at", "banana"}, "--sim-stack-at banana"},
      {{"--elf", int32_elf(), "--design", shared_dir() + "/aie2/gelu-512-2025-11-03/input_physical_with_elfs.mlir"},
       "FIFO of_input moves 512 B per transfer"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--backend", "sim"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const auto r = run_cli(args);
    INFO(c.expect << ": " << r.err);
    CHECK(r.exit_code == 2);
    REQUIRE(r.err_lines().size() == 1);
    CHECK(r.err_lines()[0].find(c.expect) != std::string::npos);
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
