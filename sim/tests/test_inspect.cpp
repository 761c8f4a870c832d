// The ELF reader and the static analysis on the user's compiled kernels (../shared/aie2): every bundle decodes, frames and the stack's reach into the buffers.
#include <catch2/catch.hpp>

#include <fstream>

#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"
#include "sim/inspect.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::aie2;
using attncheck::testing::shared_dir;

namespace {

std::string build(const std::string& name) { return shared_dir() + "/aie2/" + name + "/main_core_0_2"; }

const char* kBuilds[] = {"int32-2025-11-03", "int8-lut-2025-11-03", "gelu-512-2025-11-03", "layernorm-256-2025-11-03",
                         "matmul-32x32-2025-11-03"};

const FunctionInfo& fn(const ElfReport& r, const std::string& name) {
  for (const auto& f : r.functions)
    if (f.name == name) return f;
  FAIL("no function " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("elf: every shared core ELF decodes with no unknown bundle and every branch lands on a bundle start") {
  for (const char* b : kBuilds) {
    const Elf e = read_elf(build(b) + ".elf");
    const LinkScript ld = read_link_script(build(b) + ".ld.script");
    const ElfReport r = inspect_elf(e, &ld);
    INFO(b);
    CHECK(e.machine == kElfMachineAie2);
    CHECK(r.bundles > 200);
    CHECK(r.undecoded.empty());
    CHECK(r.bad_targets.empty());
    // Calls resolve to named functions.
    for (const auto& f : r.functions)
      for (const auto& c : f.calls)
        if (c.kind == "call") CHECK_FALSE(c.callee.empty());
  }
}

TEST_CASE("elf: inspect counts the vector bundles of each function") {
  // matmul-bf16-vectorized: its kernel holds the five vec-slot bundles (vclr, vmac.f) the decoder
  // could not read before the vec slot was in the table, besides its vector loads and stores; the
  // 32-byte entry stub __start is scalar.
  const std::string b = shared_dir() + "/aie2/matmul-bf16-vectorized-2025-11-22/main_core_0_2";
  const ElfReport r = inspect_elf(read_elf(b + ".elf"), nullptr);
  const FunctionInfo& k = fn(r, "_Z31matmul_vectorized_unrolled_bf16P8bfloat16S0_S0_iii");
  CHECK(k.vector_bundles >= 5);
  CHECK(fn(r, "__start").vector_bundles == 0);
  size_t sum = 0;
  for (const auto& f : r.functions) sum += f.vector_bundles;
  CHECK(sum <= r.bundles);
}

TEST_CASE("elf: the INT32 build's frames and its stack's reach into the Q|K|V buffer") {
  const Elf e = read_elf(build("int32-2025-11-03") + ".elf");
  const LinkScript ld = read_link_script(build("int32-2025-11-03") + ".ld.script");
  const ElfReport r = inspect_elf(e, &ld);
  CHECK(fn(r, "core_0_2").frame_bytes == 64);
  CHECK(fn(r, "attention_64x64").frame_bytes == 32);
  CHECK(fn(r, "attention_tile_32x32").frame_bytes == 2656);
  CHECK(fn(r, "_main_init").frame_bytes == 32);
  CHECK(fn(r, "__udivsi3").frame_bytes == 0);
  // __start calls _main_init, which calls main (core_0_2) with its own 32-byte frame in place.
  CHECK(r.stack.entry == "__start");
  CHECK(r.stack.base == 0x70000);
  CHECK(r.stack.reserved_bytes == 0x400);
  CHECK(r.stack.reserved_source == "link script");
  CHECK(r.stack.max_bytes == 32 + 64 + 32 + 2656);
  const std::vector<std::string> chain = {"__start", "_main_init", "core_0_2", "attention_64x64", "attention_tile_32x32",
                                          "__udivsi3"};
  CHECK(r.stack.deepest_chain == chain);
  REQUIRE(r.overlaps.size() == 1);
  CHECK(r.overlaps[0].buffer == "of_QKV_cons_buff_0");
  CHECK(r.overlaps[0].first_byte == 0);
  CHECK(r.overlaps[0].last_byte == 1759);
  CHECK(r.overlaps[0].bytes == 1760);
  CHECK(stack_verdict(r, 64) == "stack reaches 0x70AE0: 1760 B into of_QKV_cons_buff_0 (bytes 0..1759, rows 0..27 of 64 B)");
  // attention_64x64 calls the tile for rows 0..31 and tail-calls it for rows 32..63.
  bool call = false, tail = false;
  for (const auto& c : fn(r, "attention_64x64").calls) {
    call = call || (c.kind == "call" && c.callee == "attention_tile_32x32");
    tail = tail || (c.kind == "tail" && c.callee == "attention_tile_32x32");
  }
  CHECK(call);
  CHECK(tail);
}

TEST_CASE("elf: the INT8 LUT build's tile frame reaches 3520 B into the buffer") {
  const Elf e = read_elf(build("int8-lut-2025-11-03") + ".elf");
  const LinkScript ld = read_link_script(build("int8-lut-2025-11-03") + ".ld.script");
  const ElfReport r = inspect_elf(e, &ld);
  CHECK(fn(r, "attention_tile_32x32").frame_bytes == 4416);
  CHECK(r.stack.max_bytes == 32 + 64 + 32 + 4416);
  REQUIRE(r.overlaps.size() == 1);
  CHECK(r.overlaps[0].buffer == "of_QKV_cons_buff_0");
  CHECK(r.overlaps[0].bytes == 3520);
}

TEST_CASE("elf: the matmul build's 4 KiB accumulator frame runs through both input buffers") {
  // matmul_int8_32x32.c keeps `int32_t acc[1024]` on a 1 KiB stack.
  const Elf e = read_elf(build("matmul-32x32-2025-11-03") + ".elf");
  const LinkScript ld = read_link_script(build("matmul-32x32-2025-11-03") + ".ld.script");
  const ElfReport r = inspect_elf(e, &ld);
  CHECK(r.stack.max_bytes == 4352);
  REQUIRE(r.overlaps.size() == 2);
  CHECK(r.overlaps[0].buffer == "of_input_cons_buff_0");
  CHECK(r.overlaps[0].bytes == 2048);
  CHECK(r.overlaps[1].buffer == "of_input_cons_buff_1");
  CHECK(r.overlaps[1].bytes == 1280);
}

TEST_CASE("elf: the single-core gelu and layernorm builds fit their stack") {
  for (const char* b : {"gelu-512-2025-11-03", "layernorm-256-2025-11-03"}) {
    const Elf e = read_elf(build(b) + ".elf");
    const LinkScript ld = read_link_script(build(b) + ".ld.script");
    const ElfReport r = inspect_elf(e, &ld);
    INFO(b << ": " << stack_verdict(r));
    CHECK(r.overlaps.empty());
    CHECK(r.stack.max_bytes <= r.stack.reserved_bytes);
  }
}

// The INT8 LUT build keeps its exp table in .data (0x78400, 512 B). The same ELF with .data moved
// (section header only) to 128 bytes above the stack base: the deepest frame now runs through it,
// and inspect says so, naming the section and its bytes.
TEST_CASE("elf: a stack that runs into the ELF's own .data is reported like one into a buffer") {
  std::string bytes;
  {
    std::ifstream f(build("int8-lut-2025-11-03") + ".elf", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const Elf original = parse_elf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "int8-lut.elf");
  const ElfReport before = inspect_elf(original, nullptr);
  for (const auto& o : before.overlaps) CHECK(o.buffer.find(".data") == std::string::npos);
  REQUIRE(before.stack.max_bytes > 0x80 + 16);
  uint32_t shoff;
  std::memcpy(&shoff, &bytes[32], 4);
  size_t data_index = 0;
  for (size_t i = 0; i < original.sections.size(); ++i)
    if (original.sections[i].name == ".data") data_index = i;
  REQUIRE(data_index > 0);
  const uint32_t moved = before.stack.base + 0x80;
  std::memcpy(&bytes[shoff + 40 * data_index + 12], &moved, 4);  // sh_addr
  const Elf patched = parse_elf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "int8-lut-moved-data.elf");
  const ElfReport r = inspect_elf(patched, nullptr);
  bool named = false;
  for (const auto& o : r.overlaps)
    if (o.buffer == ".data (the ELF's own data)") named = o.first_byte == 0 && o.bytes == std::min<uint32_t>(512, r.stack.max_bytes - 0x80);
  CHECK(named);
  CHECK(stack_verdict(r).find(".data (the ELF's own data)") != std::string::npos);
}

TEST_CASE("elf: without a link script the stack reservation is mlir-aie's default") {
  const Elf e = read_elf(build("int32-2025-11-03") + ".elf");
  const ElfReport r = inspect_elf(e, nullptr);
  CHECK(r.stack.reserved_bytes == 0x400);
  CHECK(r.stack.reserved_source.find("default") != std::string::npos);
  for (const auto& b : r.buffers) CHECK(b.size_source == "unknown");
}

TEST_CASE("elf: the link script reader takes the location-counter statements") {
  const LinkScript ld = parse_link_script(
      "MEMORY { data (!RX) : ORIGIN = 0x78400, LENGTH = 0x7C00 }\nSECTIONS\n{\n  .text : { . = 0x5; }\n"
      ". = 0x70000;\n_sp_start_value_DM_stack = .;\n. += 0x400; /* stack */\n. = 0x70400;\nof_in_buff_0 = .;\n. += 0x3000;\n}\n",
      "t.ld");
  REQUIRE(ld.find("_sp_start_value_DM_stack"));
  CHECK(ld.find("_sp_start_value_DM_stack")->address == 0x70000);
  CHECK(ld.find("_sp_start_value_DM_stack")->size == 0x400);
  CHECK(ld.find("of_in_buff_0")->size == 0x3000);
  CHECK_THROWS_AS(parse_link_script("/* open", "bad.ld"), InputError);
}

TEST_CASE("elf: bad files are one-line errors naming the file") {
  attncheck::testing::TempDir d;
  const auto bytes = [&](const std::string& name, const std::string& content) {
    attncheck::testing::write_bytes(d.file(name), content);
    return d.file(name);
  };
  std::string good;
  {
    std::ifstream f(build("gelu-512-2025-11-03") + ".elf", std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(f), {});
  }
  struct Case {
    std::string file, expect;
  };
  std::string x86 = good;
  x86[18] = 0x3E, x86[19] = 0;
  // e_type (offset 16) and e_flags (offset 36) as llvm-aie writes them for other builds.
  std::string rel = good, aie2p = good, aie1 = good;
  rel[16] = 1;
  aie2p[36] = 3;
  aie1[36] = 1;
  const Case cases[] = {
      {bytes("kernel.o", rel), "a relocatable object (ET_REL), not a linked core program"},
      {bytes("strix.elf", aie2p), "e_flags 0x3 (EF_AIE_AIE2P: built for AIE2P, npu4/Strix), not EF_AIE_AIE2 (0x2)"},
      {bytes("versal.elf", aie1), "EF_AIE_AIE1"},
      {bytes("text.elf", "hello, not an elf"), "not an ELF file"},
      {bytes("short.elf", good.substr(0, 40)), "truncated"},
      {bytes("cut.elf", good.substr(0, good.size() / 2)), "truncated"},
      {bytes("x86.elf", x86), "not AIE2"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    try {
      read_elf(c.file);
      FAIL("no error");
    } catch (const InputError& e) {
      const std::string m = e.what();
      CHECK(m.find(c.file) == 0);
      CHECK(m.find(c.expect) != std::string::npos);
      CHECK(m.find('\n') == std::string::npos);
    }
  }
  for (const char* f : {"kernel.o", "strix.elf"}) {
    const auto e = attncheck::testing::run_cli({"elf", "inspect", d.file(f)});
    CHECK(e.exit_code == 2);
    CHECK(e.err_lines().size() == 1);
  }
  const auto r = attncheck::testing::run_cli({"elf", "inspect", d.file("missing.elf")});
  CHECK(r.exit_code == 2);
  REQUIRE(r.err_lines().size() == 1);
  CHECK(r.err_lines()[0].find("missing.elf") != std::string::npos);
}

TEST_CASE("elf cli: disasm names functions and branch targets, inspect writes the JSON fields") {
  using attncheck::testing::run_cli;
  const std::string elf = build("int32-2025-11-03") + ".elf";
  const auto dis = run_cli({"elf", "disasm", elf});
  REQUIRE(dis.exit_code == 0);
  CHECK(dis.out.find("000003b0 <attention_tile_32x32>:") != std::string::npos);
  CHECK(dis.out.find("jl #944 <attention_tile_32x32>") != std::string::npos);
  CHECK(dis.out.find("movxm sp, #458752") != std::string::npos);
  CHECK(dis.out.find("I128_LDB_LDA_ST_LNG_VEC") != std::string::npos);
  CHECK(dis.out.find("<unknown") == std::string::npos);

  attncheck::testing::TempDir d;
  const auto ins = run_cli({"elf", "inspect", elf, "--ld-script", build("int32-2025-11-03") + ".ld.script", "--json",
                            d.file("i.json"), "--row-bytes", "64"});
  REQUIRE(ins.exit_code == 0);
  CHECK(ins.out.find("stack reaches 0x70AE0: 1760 B into of_QKV_cons_buff_0 (bytes 0..1759, rows 0..27 of 64 B)") !=
        std::string::npos);
  const auto j = nlohmann::json::parse(attncheck::testing::read_text(d.file("i.json")));
  CHECK(j["bundles"] == 795);
  CHECK(j["undecoded"].empty());
  bool tile = false;
  for (const auto& f : j["functions"]) {
    CHECK(f.contains("name"));
    CHECK(f.contains("address"));
    CHECK(f.contains("size"));
    CHECK(f.contains("frame_bytes"));
    CHECK(f.contains("vector_bundles"));
    tile = tile || (f["name"] == "attention_tile_32x32" && f["frame_bytes"] == 2656);
  }
  CHECK(tile);
  CHECK(j["stack"]["base"] == 0x70000);
  CHECK(j["stack"]["reserved_bytes"] == 1024);
  CHECK(j["stack"]["max_bytes"] == 2784);
  CHECK(j["stack"]["deepest_chain"].size() == 6);
  REQUIRE(j["overlaps"].size() == 1);
  CHECK(j["overlaps"][0] == nlohmann::json({{"buffer", "of_QKV_cons_buff_0"}, {"first_byte", 0}, {"last_byte", 1759}, {"bytes", 1760}}));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
