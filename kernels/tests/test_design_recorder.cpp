// Each design.py executed against a recording stand-in of the IRON API: buffers, calls, DMA volumes, stack.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"
#include "kernels/device_layout.hpp"
#include "kernels/host_kernels.hpp"

using namespace attncheck;
using namespace attncheck::testing;

namespace {

// The sequence length precise-v1's design is built for by default (its Makefile's SEQ).
constexpr int64_t kDesignSeq = 1500;

int64_t design_seq(const Revision& rev) { return rev.tile_only ? rev.tile : kDesignSeq; }

// Runs `design` (a path) under the recorder; the design prints JSON instead of MLIR.
nlohmann::json record(const std::string& design, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "PYTHONPATH=" + source_dir() + "/kernels/tests/iron_recorder",
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

TEST_CASE("the design recorder catches a design whose DMA and core disagree", "[kernel][design]") {
  const std::string text = read_text(source_dir() + "/kernels/precise-v1/design.py");
  const std::string bad = std::regex_replace(text, std::regex(R"(sizes=\[1, 1, N_TILES, )"), "sizes=[1, 1, N_TILES + 1, ");
  REQUIRE(bad != text);
  TempDir tmp;
  write_bytes(tmp.file("design.py"), bad);
  const nlohmann::json rec = record(tmp.file("design.py"), {"1500"});
  CHECK(rec.at("errors").size() == 2);  // past the end of the host buffer, and more than the core consumes
  // And a kernel called with a buffer of the wrong size.
  const std::string bad_call = std::regex_replace(text, std::regex(R"(max_pass\(q, k, )"), "max_pass(q, q, ");
  REQUIRE(bad_call != text);
  write_bytes(tmp.file("design2.py"), bad_call);
  const nlohmann::json rec2 = record(tmp.file("design2.py"), {"1500"});
  REQUIRE(rec2.at("errors").size() == 24);  // once per unrolled key tile of S = 1500
  for (const auto& e : rec2.at("errors"))
    CHECK(e.get<std::string>().find("precise_v1_max_pass argument 1: 4096 bytes declared, got 4128") != std::string::npos);
}
