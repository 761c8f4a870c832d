// The stack check: parser behaviour on known inputs, the generated facts, and `attncheck kernels --details`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "fixtures/testing/test_support.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/stack_facts.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;

namespace {

// The shape GCC 12 writes: static functions titled "file:name", clones with suffixes, external callees bare.
const char* kGraph = R"ci(graph: { title: "k.c"
node: { title: "k.c:leaf_small" label: "leaf_small\nk.c:1:1\n16 bytes (static)" }
node: { title: "k.c:leaf_big.constprop.0" label: "leaf_big.constprop\nk.c:2:1\n300 bytes (static)" }
node: { title: "k.c:mid" label: "mid\nk.c:3:1\n100 bytes (static)" }
edge: { sourcename: "k.c:mid" targetname: "k.c:leaf_small" label: "k.c:3:9" }
node: { title: "k.c:side" label: "side\nk.c:4:1\n350 bytes (static)" }
edge: { sourcename: "k.c:mid" targetname: "k.c:leaf_big.constprop.0" label: "k.c:3:12" }
node: { title: "entry" label: "entry\nk.c:5:6\n40 bytes (static)" }
edge: { sourcename: "entry" targetname: "k.c:mid" label: "k.c:5:9" }
edge: { sourcename: "entry" targetname: "k.c:side" label: "k.c:5:12" }
}
)ci";

}  // namespace

TEST_CASE("kernel stack parser: the deepest chain wins, by bytes not by depth") {
  CallGraph g;
  parse_callgraph_info(kGraph, "k.ci", &g);
  const ChainResult c = deepest_chain(g, "entry");
  // entry 40 -> mid 100 -> leaf_big 300 = 440 beats entry 40 -> side 350 = 390.
  CHECK(c.bytes == 440);
  REQUIRE(c.chain.size() == 3);
  CHECK(c.chain[0].function == "entry");
  CHECK(c.chain[1].function == "mid");
  CHECK(c.chain[2].function == "leaf_big");  // the .constprop clone is the source's leaf_big
  CHECK(c.bounded);
  CHECK_THROWS_WITH(deepest_chain(g, "missing"), Catch::Contains("'missing'"));
}

TEST_CASE("kernel stack parser: recursion, unknown callees and dynamic frames make the need unbounded") {
  SECTION("recursion") {
    CallGraph g;
    parse_callgraph_info(R"ci(graph: { title: "r.c"
node: { title: "entry" label: "entry\nr.c:1:1\n32 bytes (static)" }
node: { title: "r.c:self" label: "self\nr.c:2:1\n64 bytes (static)" }
edge: { sourcename: "entry" targetname: "r.c:self" label: "r.c:1:5" }
edge: { sourcename: "r.c:self" targetname: "r.c:self" label: "r.c:2:5" }
}
)ci",
                         "r.ci", &g);
    const ChainResult c = deepest_chain(g, "entry");
    CHECK_FALSE(c.bounded);
    CHECK(c.notes.at(0).find("recursion through self") != std::string::npos);
  }
  SECTION("a callee compiled elsewhere") {
    CallGraph g;
    parse_callgraph_info(R"ci(graph: { title: "m.c"
node: { title: "entry" label: "entry\nm.c:1:1\n48 bytes (static)" }
node: { title: "memset" label: "memset\n<built-in>" shape : ellipse }
edge: { sourcename: "entry" targetname: "memset" label: "m.c:1:5" }
}
)ci",
                         "m.ci", &g);
    const ChainResult c = deepest_chain(g, "entry");
    CHECK(c.bytes == 48);
    CHECK_FALSE(c.bounded);
    CHECK(c.notes.at(0).find("memset") != std::string::npos);
  }
  SECTION("alloca without a bound; with a bound it stays bounded") {
    CallGraph g;
    parse_callgraph_info(R"ci(graph: { title: "d.c"
node: { title: "entry" label: "entry\nd.c:1:1\n48 bytes (dynamic)" }
node: { title: "other" label: "other\nd.c:2:1\n80 bytes (dynamic,bounded)" }
}
)ci",
                         "d.ci", &g);
    CHECK_FALSE(deepest_chain(g, "entry").bounded);
    CHECK(deepest_chain(g, "other").bounded);
    CHECK(deepest_chain(g, "other").bytes == 80);
  }
  SECTION("not a call graph") {
    CallGraph g;
    CHECK_THROWS_WITH(parse_callgraph_info("hello\n", "x.ci", &g), Catch::Contains("x.ci"));
  }
}

TEST_CASE("kernel stack parser: stack_size of a design, comments ignored") {
  CHECK(parse_design_stack("w = Worker(f, [a])\n# precise-v1 sets stack_size=0x2000\n", "d.py").by_default);
  CHECK(parse_design_stack("w = Worker(f, [a])\n", "d.py").bytes == 0x400);
  const DesignStack hex = parse_design_stack("w = Worker(f, [a], stack_size=0xA00)\n", "d.py");
  CHECK_FALSE(hex.by_default);
  CHECK(hex.bytes == 0xA00);
  CHECK(parse_design_stack("a = Worker(f, stack_size=4096)\nb = Worker(g, stack_size=0xC00)\n", "d.py").bytes == 0xC00);
  CHECK(parse_design_stack("\"\"\"Docs: stack_size=1\"\"\"\nw = Worker(f)\n", "d.py").by_default);
  CHECK(parse_design_stack("%c = aie.core(%t) { aie.end } { stack_size = 2560 : i32 } // stack_size = 1\n", "d.mlir")
            .bytes == 2560);
  CHECK_THROWS_WITH(parse_design_stack("w = Worker(f, stack_size=STACK)\n", "d.py"), Catch::Contains("literal integer"));
}

TEST_CASE("kernel stack: every revision's deepest chain is measured from its entry point") {
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    const KernelFacts* f = find_kernel_facts(rev.name);
    if (!f) {
      FAIL_CHECK("no stack facts: " << rev.name << " has no device source in kernels/CMakeLists.txt");
      continue;
    }
    CHECK(f->stack_need > 0);
    CHECK(f->need_bounded);
    CHECK_FALSE(f->chain.empty());
    if (!f->chain.empty()) CHECK(f->chain.front().function == f->entry);
    CHECK(std::find(f->entries.begin(), f->entries.end(), f->entry) != f->entries.end());
    const int64_t sum = std::accumulate(f->chain.begin(), f->chain.end(), int64_t{0},
                                        [](int64_t a, const StackFrame& fr) { return a + fr.bytes; });
    CHECK(sum == f->stack_need);
    CHECK(f->stack_reserved > 0);
    CHECK_FALSE(f->design_file.empty());
    if (const HostKernel* k = find_host_kernel(rev.name))
      for (const auto& e : k->entries) CHECK(std::find(f->entries.begin(), f->entries.end(), e) != f->entries.end());
  }
}

TEST_CASE("kernel stack: uc-int32-lut's historical build overflows its 1 KiB stack, uc-legacy-int8 fits") {
  const KernelFacts* lut = find_kernel_facts("uc-int32-lut");
  REQUIRE(lut != nullptr);
  CHECK(lut->reserved_by_default);
  CHECK(lut->stack_reserved == 0x400);
  // Its arrays alone: weights 32*64 int8 + scores_row 64 int32 + exp_vals 64 uint32.
  CHECK(lut->stack_need >= 32 * 64 + 64 * 4 + 64 * 4);
  CHECK(lut->overflow());
  std::vector<std::string> names;
  for (const auto& fr : lut->chain) names.push_back(fr.function);
  CHECK(names == std::vector<std::string>{"attention_64x64", "attention_tile_32x32", "softmax_int32_to_int8"});

  const KernelFacts* legacy = find_kernel_facts("uc-legacy-int8");
  REQUIRE(legacy != nullptr);
  CHECK(legacy->stack_reserved == 0x400);
  CHECK_FALSE(legacy->overflow());
}

TEST_CASE("kernel stack: attncheck kernels --details prints need, chain, reserve and the verdict") {
  const auto r = attncheck::testing::run_cli({"kernels", "--details"});
  REQUIRE(r.exit_code == 0);
  for (const auto& rev : revisions()) {
    INFO(r.out);
    const KernelFacts* f = find_kernel_facts(rev.name);
    if (!f) {
      FAIL_CHECK("no stack facts for " << rev.name);
      continue;
    }
    // The revision's block: its unindented line and the indented lines under it.
    std::string block;
    bool in_block = false;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line[0] != ' ') in_block = line.rfind(rev.name + " ", 0) == 0;
      if (in_block) block += line + "\n";
    }
    CHECK_FALSE(block.empty());
    INFO(block);
    CHECK(block.find("stack est.   " + std::to_string(f->stack_need) + " B") != std::string::npos);
    CHECK(block.find("an estimate by a different compiler than Peano") != std::string::npos);
    CHECK(block.find("reserved     " + std::to_string(f->stack_reserved) + " B") != std::string::npos);
    for (const auto& fr : f->chain) CHECK(block.find(fr.function + " " + std::to_string(fr.bytes)) != std::string::npos);
    CHECK((block.find("OVERFLOW") != std::string::npos) == f->overflow());
  }
  CHECK(r.out.find("OVERFLOW") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
