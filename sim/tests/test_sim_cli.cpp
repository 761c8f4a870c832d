// `attncheck sim`, `elf inspect --design` and `--xclbin` end to end: reports, files, an xclbin laid out by XRT's own header, and one-line errors for bad designs and inputs.
#include <catch2/catch.hpp>

#include <sched.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "fixtures/testing/test_support.hpp"
#include "sim/load/design.hpp"
#include "sim/load/elf.hpp"
#include "xrt/detail/xclbin.h"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

extern "C" void gelu_int8_512(const int8_t* input, int8_t* output, uint32_t n);

using namespace attncheck;
using namespace attncheck::testing;

namespace {

std::string gelu_dir() { return shared_dir() + "/aie2/gelu-512-2025-11-03"; }
std::string int32_dir() { return shared_dir() + "/aie2/int32-2025-11-03"; }

// An xclbin as xclbinutil lays one out for an NPU design: the axlf header, a metadata section,
// and AIE_PARTITION holding one aie_pdi whose image is `pdi`. Offsets come from XRT 2.20's structs.
std::string make_xclbin(const std::string& pdi, bool with_partition = true) {
  const std::string metadata = "<?xml version=\"1.0\"?><project name=\"attncheck-test\"/>";
  const uint32_t nsec = 2;
  const size_t headers = sizeof(axlf) + (nsec - 1) * sizeof(axlf_section_header);
  const size_t meta_off = (headers + 7) & ~size_t{7};
  const size_t part_off = (meta_off + metadata.size() + 7) & ~size_t{7};
  const size_t pdi_entry = sizeof(aie_partition), image = pdi_entry + sizeof(aie_pdi);
  const size_t part_len = image + pdi.size();
  std::string out(part_off + part_len, '\0');
  auto* top = reinterpret_cast<axlf*>(out.data());
  std::memcpy(top->m_magic, "xclbin2", 8);
  top->m_signature_length = -1;
  top->m_header.m_length = out.size();
  top->m_header.m_versionMajor = 2;
  top->m_header.m_mode = XCLBIN_FLAT;
  std::memcpy(top->m_header.m_platformVBNV, "xilinx_v1_ipu_0_0", 18);
  top->m_header.m_numSections = nsec;
  auto* sec = reinterpret_cast<axlf_section_header*>(out.data() + offsetof(axlf, m_sections));
  sec[0].m_sectionKind = EMBEDDED_METADATA;
  std::strcpy(sec[0].m_sectionName, "metadata");
  sec[0].m_sectionOffset = meta_off;
  sec[0].m_sectionSize = metadata.size();
  std::memcpy(out.data() + meta_off, metadata.data(), metadata.size());
  sec[1].m_sectionKind = with_partition ? AIE_PARTITION : AIE_METADATA;
  std::strcpy(sec[1].m_sectionName, "partition");
  sec[1].m_sectionOffset = part_off;
  sec[1].m_sectionSize = part_len;
  auto* part = reinterpret_cast<aie_partition*>(out.data() + part_off);
  part->info.column_width = 1;
  part->aie_pdi.size = 1;
  part->aie_pdi.offset = static_cast<uint32_t>(pdi_entry);
  auto* entry = reinterpret_cast<aie_pdi*>(out.data() + part_off + pdi_entry);
  entry->pdi_image.size = static_cast<uint32_t>(pdi.size());
  entry->pdi_image.offset = static_cast<uint32_t>(image);
  std::memcpy(out.data() + part_off + image, pdi.data(), pdi.size());
  return out;
}

NpyArray int8_rows(size_t rows, size_t cols, uint32_t seed) {
  NpyArray a;
  a.dtype = DType::Int8;
  a.shape = {static_cast<int64_t>(rows), static_cast<int64_t>(cols)};
  a.bytes.resize(rows * cols);
  uint32_t x = seed;
  for (auto& b : a.bytes) b = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  return a;
}

// A bad command: exit 2, exactly one line on stderr, naming what it says.
void check_one_line_error(const CliResult& r, const std::string& names) {
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err_lines().size() == 1);
  CHECK(r.err.find(names) != std::string::npos);
}

}  // namespace

TEST_CASE("sim command: gelu-512 from .npy to .npy and .bin, equal to the host-compiled source, with a schema-checked report") {
  TempDir t;
  const NpyArray in = int8_rows(7, 512, 11);
  write_npy(t.file("in.npy"), in);
  const auto r = run_cli({"sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--input", "of_input=" + t.file("in.npy"), "--output",
                          "of_output=" + t.file("out.npy"), "--json", t.file("sim.json")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("backend  sim (the AIE2 core simulator running the compiled program; not a device)") != std::string::npos);
  const NpyArray out = read_npy(t.file("out.npy"));
  CHECK(out.dtype == DType::Int8);
  CHECK(out.shape == std::vector<int64_t>{7, 512});
  for (size_t row = 0; row < 7; ++row) {
    int8_t want[512];
    gelu_int8_512(reinterpret_cast<const int8_t*>(in.bytes.data()) + row * 512, want, 512);
    CHECK(std::memcmp(want, out.bytes.data() + row * 512, 512) == 0);
  }
  const auto j = nlohmann::json::parse(read_text(t.file("sim.json")));
  CHECK(j["schema"] == "attncheck.sim/1");
  CHECK(j["program"]["sha256"] == sha256_file(gelu_dir() + "/main_core_0_2.elf"));
  CHECK(j["design"]["sha256"] == sha256_file(gelu_dir() + "/input_physical_with_elfs.mlir"));
  CHECK(j["iterations"] == 7);
  CHECK(j["run"]["bundles"].get<uint64_t>() > 7 * 512);
  CHECK(j["run"]["output_transfers"]["of_output"] == 7);
  CHECK(j["outputs"][0]["sha256"] == sha256_file(t.file("out.npy")));
  // Every DMA acquire of the input ring's producer lock is one transfer in.
  for (const auto& l : j["run"]["locks"])
    if (l["name"] == "of_input_cons_prod_lock_0") CHECK(l["dma_acquires"] == 7);

  // The same bytes raw, one transfer repeated by --iterations: the output holds that row three times.
  write_bytes(t.file("row.bin"), std::string(in.bytes.begin(), in.bytes.begin() + 512));
  const auto b = run_cli({"sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--input", "of_input=" + t.file("row.bin"), "--iterations",
                          "3", "--output", "of_output=" + t.file("out.bin")});
  REQUIRE(b.exit_code == 0);
  const std::string raw = read_text(t.file("out.bin"));
  REQUIRE(raw.size() == 3 * 512);
  for (int k = 0; k < 3; ++k) CHECK(std::memcmp(raw.data() + k * 512, out.bytes.data(), 512) == 0);
}

TEST_CASE("sim command: --xclbin (XRT 2.20 layout around main.pdi), --pdi and --elf run the same program") {
  TempDir t;
  write_bytes(t.file("gelu.xclbin"), make_xclbin(read_text(gelu_dir() + "/main.pdi")));
  write_npy(t.file("in.npy"), int8_rows(4, 512, 5));
  std::string outs[3];
  const char* kinds[3] = {"--elf", "--xclbin", "--pdi"};
  const std::string programs[3] = {gelu_dir() + "/main_core_0_2.elf", t.file("gelu.xclbin"), gelu_dir() + "/main.pdi"};
  for (int k = 0; k < 3; ++k) {
    const auto r = run_cli({"sim", kinds[k], programs[k], "--design", gelu_dir() + "/input_physical_with_elfs.mlir", "--input",
                            "of_input=" + t.file("in.npy"), "--output", "of_output=" + t.file("o" + std::to_string(k) + ".bin"), "--json",
                            t.file("r" + std::to_string(k) + ".json")});
    INFO(kinds[k] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    outs[k] = read_text(t.file("o" + std::to_string(k) + ".bin"));
    const auto j = nlohmann::json::parse(read_text(t.file("r" + std::to_string(k) + ".json")));
    CHECK(j["program"]["kind"] == std::string(kinds[k] + 2));
  }
  CHECK(outs[0] == outs[1]);
  CHECK(outs[0] == outs[2]);
  const auto j0 = nlohmann::json::parse(read_text(t.file("r0.json"))), j1 = nlohmann::json::parse(read_text(t.file("r1.json")));
  CHECK(j0["run"]["bundles"] == j1["run"]["bundles"]);
  CHECK(j0["run"]["locks"] == j1["run"]["locks"]);

  // An xclbin without AIE_PARTITION, or cut short, is refused in one line naming the file.
  write_bytes(t.file("nopart.xclbin"), make_xclbin(read_text(gelu_dir() + "/main.pdi"), false));
  check_one_line_error(run_cli({"sim", "--xclbin", t.file("nopart.xclbin"), "--design", gelu_dir() + "/input_physical_with_elfs.mlir",
                                "--input", "of_input=" + t.file("in.npy")}),
                       "nopart.xclbin: no AIE_PARTITION section");
  write_bytes(t.file("cut.xclbin"), make_xclbin(read_text(gelu_dir() + "/main.pdi")).substr(0, 900));
  check_one_line_error(run_cli({"sim", "--xclbin", t.file("cut.xclbin"), "--design", gelu_dir() + "/input_physical_with_elfs.mlir",
                                "--input", "of_input=" + t.file("in.npy")}),
                       "cut.xclbin");
  // The PDI of another design: its lock values are not this design's.
  check_one_line_error(run_cli({"sim", "--pdi", shared_dir() + "/aie2/matmul-32x32-2025-11-03/main.pdi", "--design",
                                int32_dir() + "/input_physical_with_elfs.mlir", "--input", "of_QKV=" + t.file("in.npy")}),
                       "main.pdi");
}

TEST_CASE("sim command: run --backend sim --xclbin and --elf give identical reports for the INT32 attention build") {
  TempDir t;
  write_bytes(t.file("attn.xclbin"), make_xclbin(read_text(int32_dir() + "/main.pdi")));
  nlohmann::json reports[2];
  const std::string programs[2][2] = {{"--elf", int32_dir() + "/main_core_0_2.elf"}, {"--xclbin", t.file("attn.xclbin")}};
  for (int k = 0; k < 2; ++k) {
    const auto r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", shared_dir() + "/vectors/seed42", "--backend", "sim",
                            programs[k][0], programs[k][1], "--design", int32_dir() + "/input_physical_with_elfs.mlir", "--json",
                            t.file("r" + std::to_string(k) + ".json"), "--keep-outputs"});
    INFO(programs[k][0] << ": " << r.err);
    REQUIRE(r.exit_code <= 1);
    reports[k] = nlohmann::json::parse(read_text(t.file("r" + std::to_string(k) + ".json")));
  }
  CHECK(reports[0]["metrics"] == reports[1]["metrics"]);
  CHECK(reports[0]["outputs"]["sha256"]["device"] == reports[1]["outputs"]["sha256"]["device"]);
  CHECK(reports[0]["backend"]["simulated_bundles"] == reports[1]["backend"]["simulated_bundles"]);
  CHECK(reports[0]["backend"]["program"]["kind"] == "elf");
  CHECK(reports[1]["backend"]["program"]["kind"] == "xclbin");
  CHECK(reports[1]["backend"]["program"]["sha256"] == sha256_file(t.file("attn.xclbin")));
  // The real stack overflows into of_QKV: both runs see it, the xclbin's writer named by PC.
  CHECK(reports[0]["metrics"]["vs_model"]["bit_exact"] == false);
}

TEST_CASE("sim command: bad designs give one-line errors: a missing buffer, a lock never released, a transfer that does not fit") {
  TempDir t;
  const std::string good = read_text(gelu_dir() + "/input_physical_with_elfs.mlir");
  write_npy(t.file("in.npy"), int8_rows(4, 512, 3));
  auto mutate = [&](const std::string& from, const std::string& to, const std::string& name) {
    std::string s = good;
    const size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    write_bytes(t.file(name), s);
    return run_cli({"sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--design", t.file(name), "--input", "of_input=" + t.file("in.npy"),
                    "--output", "of_output=" + t.file(name + ".out.npy"), "--json", t.file(name + ".json")});
  };
  const std::string buffer_line = good.substr(good.find("    %of_input_cons_buff_1 = aie.buffer"),
                                              good.find('\n', good.find("%of_input_cons_buff_1 = aie.buffer")) -
                                                  good.find("    %of_input_cons_buff_1 = aie.buffer") + 1);
  check_one_line_error(mutate(buffer_line, "", "missing_buffer.mlir"),
                       "missing_buffer.mlir:38: dma_bd on %of_input_cons_buff_1, which is not an aie.buffer defined above");
  // The output ring hands its buffers back with Release 0: the core's third output acquire waits forever.
  const auto never = mutate("aie.use_lock(%of_output_prod_lock_0, Release, 1)", "aie.use_lock(%of_output_prod_lock_0, Release, 0)",
                            "never_released.mlir");
  check_one_line_error(never, "deadlock: the core waits to acquire lock 2 (of_output_prod_lock_0) >= 1");
  check_one_line_error(mutate("memref<512xi8>, 0, 512) {bd_id = 1", "memref<512xi8>, 0, 1024) {bd_id = 1", "too_big.mlir"),
                       "too_big.mlir:39: dma_bd moves 1024 B at offset 0 of of_input_cons_buff_1, which holds 512 B");
  check_one_line_error(mutate("memref<512xi8>, 0, 512) {bd_id = 1", "memref<512xi8>, 0, 256) {bd_id = 1", "two_sizes.mlir"),
                       "two_sizes.mlir: the of_input ring moves 512 B and 256 B in different BDs");
  check_one_line_error(mutate("aie.use_lock(%of_input_cons_cons_lock_0, Release, 1)\n", "", "no_release.mlir"),
                       "no_release.mlir:35: BD on of_input_cons_buff_0 releases no lock");
  // A length that wraps a 32-bit size (found by fuzz_aie2_design) is out of range, not 512 B.
  check_one_line_error(mutate("memref<512xi8>, 0, 512) {bd_id = 1", "memref<512xi8>, 0, 4294967808) {bd_id = 1", "wraps.mlir"),
                       "wraps.mlir:39: dma_bd length 4294967808 is out of range (0..65536)");
  check_one_line_error(mutate("%shim_noc_tile_0_0 = aie.tile(0, 0)", "%shim_noc_tile_0_0 = aie.tile(99999999999999999999, 0)", "huge.mlir"),
                       "huge.mlir:7: aie.tile column 99999999999999999999 is out of range");
  check_one_line_error(mutate("module @gelu_npu {", "module @gelu_npu { //" + std::string(5000, 'x'), "long_line.mlir"),
                       "long_line.mlir:1: a line of 5021 characters");
  // None of the failed runs left an output or a report behind.
  for (const char* n : {"missing_buffer.mlir", "never_released.mlir", "too_big.mlir", "two_sizes.mlir", "no_release.mlir", "wraps.mlir"}) {
    CHECK(!file_exists(t.file(std::string(n) + ".out.npy")));
    CHECK(!file_exists(t.file(std::string(n) + ".json")));
  }
}

TEST_CASE("sim command: bad inputs give one-line errors naming the file or the FIFO") {
  TempDir t;
  const std::string elf = gelu_dir() + "/main_core_0_2.elf";
  write_npy(t.file("in.npy"), int8_rows(3, 512, 1));
  write_npy(t.file("wide.npy"), int8_rows(2, 768, 1));
  NpyArray f;
  f.dtype = DType::Float32;
  f.shape = {512};
  f.bytes.resize(2048);
  write_npy(t.file("float.npy"), f);
  write_bytes(t.file("short.bin"), std::string(500, '\1'));
  write_bytes(t.file("trunc.npy"), read_text(t.file("in.npy")).substr(0, 700));
  const std::string in = "of_input=" + t.file("in.npy");
  check_one_line_error(run_cli({"sim", "--input", in}), "sim: needs the program");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--pdi", gelu_dir() + "/main.pdi", "--input", in}), "exactly one of --elf, --xclbin or --pdi");
  check_one_line_error(run_cli({"sim", "--elf", t.file("none.elf"), "--design", gelu_dir() + "/input_physical_with_elfs.mlir", "--input", in}),
                       "none.elf");
  check_one_line_error(run_cli({"sim", "--elf", elf}), "no --input for of_input");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_in=" + t.file("in.npy")}), "has no FIFO of_in (it has of_input (in, 512 B)");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", in, "--input", in}), "of_input given twice");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_output=" + t.file("in.npy")}), "of_output is an output of the core");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_input"}), "expected FIFO=FILE");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_input=" + t.file("float.npy")}), "float.npy: dtype <f4");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_input=" + t.file("wide.npy")}), "wide.npy: shape (2, 768) does not split");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_input=" + t.file("short.bin")}),
                       "short.bin: 500 bytes, not a whole number of of_input's 512 B transfers");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", "of_input=" + t.file("trunc.npy")}), "trunc.npy: truncated");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", in, "--iterations", "5"}), "holds 3 transfers of of_input, --iterations is 5");
  // A missing directory is created (issue 25); a path under a file is refused up front.
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", in, "--output", "of_output=" + t.file("float.npy/o.npy")}), "is not a directory");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", in, "--sim-stack-at", "0x123456"}), "--sim-stack-at 0x123456");
  check_one_line_error(run_cli({"sim", "--elf", elf, "--input", in, "--sim-max-cycles", "500", "--output", "of_output=" + t.file("o.npy")}),
                       "no transfer moved in 500 bundles");
  CHECK(!file_exists(t.file("o.npy")));
}

TEST_CASE("sim command: the design fuzz target's committed seed is a design the reader accepts") {
  const aie2::Design d = aie2::read_design(source_dir() + "/sim/fuzz/corpus/fuzz_aie2_design/minimal.mlir");
  REQUIRE(d.fifos.size() == 2);
  CHECK(d.fifo("in")->transfer_bytes == 64);
  CHECK(d.fifo("in")->depth == 2);
  CHECK(d.fifo("out")->element_type == "i32");
  CHECK(d.fifo("out")->transfer_bytes == 64);
}

TEST_CASE("elf inspect --design: buffers sized and locks named by the placed design") {
  TempDir t;
  const std::string dir = shared_dir() + "/aie2/matmul-32x32-2025-11-03";
  const auto r = run_cli({"elf", "inspect", dir + "/main_core_0_2.elf", "--design", dir + "/input_physical_with_elfs.mlir", "--json",
                          t.file("e.json")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("of_input_cons_buff_0 at 0x70400, 2048 B (design)") != std::string::npos);
  CHECK(r.out.find("of_input_cons_prod_lock_0  id 0, init 2") != std::string::npos);
  CHECK(r.out.find("stack reaches 0x71100: 2048 B into of_input_cons_buff_0 (bytes 0..2047); 1280 B into of_input_cons_buff_1 (bytes 0..1279)") !=
        std::string::npos);
  const auto j = nlohmann::json::parse(read_text(t.file("e.json")));
  CHECK(j["schema"] == "attncheck.elf/1");
  CHECK(j["design"]["locks"].size() == 4);
  for (const auto& b : j["buffers"]) CHECK(b["size_source"] == "design");
  check_one_line_error(run_cli({"elf", "inspect", dir + "/main_core_0_2.elf", "--design", t.file("missing.mlir")}), "missing.mlir");
}

namespace {
std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
}  // namespace

// `--arg N=FILE` reads FILE when it exists. A second run with the same output path used to read the
// previous output back as an input of argument 4, write nothing and exit 0: a stale result shown as
// a fresh one. The device only writes argument 4 (shim S2MM, never MM2S), so it is written again.
TEST_CASE("sim command: --insts with an output file that already exists writes it again, not reads it as an input") {
  TempDir d;
  const std::string dir = shared_dir() + "/aie2/int32-2025-11-03";
  std::string a(12288, '\0'), b(12288, '\0');
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>(i * 7 + 1), b[i] = static_cast<char>(i * 13 + 5);
  write_bytes(d.file("a.bin"), a);
  write_bytes(d.file("b.bin"), b);
  auto run = [&](const std::string& in, const std::string& out) {
    return run_cli({"sim", "--pdi", dir + "/main.pdi", "--insts", dir + "/npu_insts.mlir", "--arg", "3=" + in, "--arg", "4=" + out});
  };
  REQUIRE(run(d.file("a.bin"), d.file("out.bin")).exit_code == 0);
  const std::string from_a = file_bytes(d.file("out.bin"));
  const CliResult again = run(d.file("b.bin"), d.file("out.bin"));
  REQUIRE(again.exit_code == 0);
  CHECK(again.out.find("to " + d.file("out.bin") + " (it existed; the device only writes this argument)") != std::string::npos);
  REQUIRE(run(d.file("b.bin"), d.file("fresh.bin")).exit_code == 0);
  CHECK(file_bytes(d.file("out.bin")) == file_bytes(d.file("fresh.bin")));
  CHECK(file_bytes(d.file("out.bin")) != from_a);
  // An argument the device reads stays an input, even when the device also wrote another one.
  CHECK(file_bytes(d.file("b.bin")) == b);
}

TEST_CASE("bench --sim-xclbin: a vector design on the array simulator beside the scalar ELF, rates from its own report") {
  TempDir dir;
  const std::string bins = shared_dir() + "/npu1/riallto-0593d004/binaries/";
  // A 720p frame of a gradient: the rates do not depend on the pixels, the run must finish.
  std::string frame(1280 * 720 * 4, '\0');
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<char>(i * 7 / 4096);
  write_bytes(dir.file("frame.bin"), frame);
  const CliResult r = run_cli({"bench", "--sim-elf", int32_dir() + "/main_core_0_2.elf", "--kernel", "uc-int32-lut", "--fixture",
                               shared_dir() + "/vectors/seed42", "--sim-stack-at", "0x78800", "--repeat", "1", "--sim-xclbin",
                               bins + "color_threshold_v1_720p.xclbin", "--sim-insts", bins + "color_threshold_v1_720p.seq", "--sim-arg",
                               "2=" + dir.file("frame.bin"), "--sim-arg", "3=3686400", "--out", dir.file("bench.json")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(read_text(dir.file("bench.json")));
  const nlohmann::json& a = j.at("array");
  // The bundles are the core's, from the child's report: color_threshold issues over a million a frame.
  CHECK(a.at("cores") == 1);
  CHECK(a.at("simulated_bundles").get<uint64_t>() > 1000000);
  CHECK(a.at("median_core_s").get<double>() > 0);
  CHECK(a.at("median_core_s").get<double>() < a.at("median_s").get<double>());  // the cores are part of the run
  CHECK(a.at("core_mbundles_per_second_median").get<double>() > a.at("mbundles_per_second_median").get<double>());
  const double scalar = j.at("mbundles_per_second_median").get<double>();
  CHECK(a.at("ratio_to_scalar").get<double>() == Approx(a.at("mbundles_per_second_median").get<double>() / scalar));
  CHECK(r.out.find("inside the cores") != std::string::npos);
  CHECK(r.out.find("the scalar core's rate") != std::string::npos);

  // Without the scalar side there is nothing to set the rate beside: one line, exit 2.
  const CliResult e = run_cli({"bench", "--fixture", shared_dir() + "/vectors/seed42", "--sim-xclbin", bins + "color_threshold_v1_720p.xclbin",
                               "--sim-insts", bins + "color_threshold_v1_720p.seq"});
  CHECK(e.exit_code == 2);
  REQUIRE(e.err_lines().size() == 1);
  CHECK(e.err_lines()[0].find("--sim-xclbin: needs --sim-insts") != std::string::npos);
}

TEST_CASE("sim --sim-threads and bench --sim-pdi --sim-threads: the 4-core attention on 2 host threads, its report, and the speedup bench measures") {
  TempDir dir;
  const std::string build = shared_dir() + "/aie2/iron-attention-4core-2025-11-03";
  std::vector<std::string> args;
  for (int j = 0; j < 4; ++j) {
    std::string qkv(12288, '\0');
    for (size_t i = 0; i < qkv.size(); ++i) qkv[i] = static_cast<char>((i * (31 + j)) % 29 - 14);
    write_bytes(dir.file("qkv" + std::to_string(j) + ".bin"), qkv);
    args.insert(args.end(), {"--arg", std::to_string(3 + j) + "=" + dir.file("qkv" + std::to_string(j) + ".bin")});
  }
  nlohmann::json reports[2];
  std::string outputs[2];
  for (int threads : {1, 2}) {
    std::vector<std::string> argv = {"sim", "--pdi", build + "/main.pdi", "--insts", build + "/npu_insts.mlir", "--sim-threads",
                                     std::to_string(threads), "--json", dir.file("run" + std::to_string(threads) + ".json")};
    argv.insert(argv.end(), args.begin(), args.end());
    for (int j = 0; j < 4; ++j) argv.insert(argv.end(), {"--arg", std::to_string(7 + j) + "=" + dir.file("out" + std::to_string(threads) + "_" + std::to_string(j) + ".bin")});
    const CliResult r = run_cli(argv);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    reports[threads - 1] = nlohmann::json::parse(read_text(dir.file("run" + std::to_string(threads) + ".json")));
    for (int j = 0; j < 4; ++j) outputs[threads - 1] += read_text(dir.file("out" + std::to_string(threads) + "_" + std::to_string(j) + ".bin"));
    CHECK((r.out.find("host threads") != std::string::npos) == (threads == 2));
  }
  CHECK(outputs[0] == outputs[1]);
  CHECK(outputs[0].size() == 4 * 4096);
  CHECK(reports[0]["array"] == reports[1]["array"]);
  CHECK(reports[0]["timing"] == reports[1]["timing"]);
  CHECK(reports[0]["host_threads"] == 1);
  CHECK(reports[1]["host_threads"] == 2);
  CHECK(reports[0]["parallel_bundles"] == 0);
  CHECK(reports[1]["parallel_bundles"].get<uint64_t>() > 10000000);
  // While the four compute every channel waits: most of the run's quanta ran free (docs/aie2-array.md).
  CHECK(reports[0]["free_quanta"] == 0);
  CHECK(reports[1]["free_quanta"].get<uint64_t>() * 64 > reports[1]["array"]["cycles"].get<uint64_t>() / 2);

  // A process that may run on one CPU only (taskset, a container's cpuset) runs the cores on one
  // thread and says so: two threads there would meet through the scheduler every quantum.
  {
    cpu_set_t all, one;
    REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
    std::vector<std::string> argv = {"sim", "--pdi", build + "/main.pdi", "--insts", build + "/npu_insts.mlir", "--sim-threads", "2",
                                     "--json", dir.file("one_cpu.json")};
    argv.insert(argv.end(), args.begin(), args.end());
    for (int j = 0; j < 4; ++j) argv.insert(argv.end(), {"--arg", std::to_string(7 + j) + "=" + dir.file("one_cpu_" + std::to_string(j) + ".bin")});
    const CliResult r = run_cli(argv);
    sched_setaffinity(0, sizeof all, &all);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const nlohmann::json rep = nlohmann::json::parse(read_text(dir.file("one_cpu.json")));
    CHECK(rep["host_threads"] == 1);
    CHECK(rep["host_threads_asked"] == 2);
    CHECK(rep["parallel_bundles"] == 0);
    CHECK(rep["array"] == reports[0]["array"]);
    std::string out;
    for (int j = 0; j < 4; ++j) out += read_text(dir.file("one_cpu_" + std::to_string(j) + ".bin"));
    CHECK(out == outputs[0]);
    CHECK(r.out.find("--sim-threads 2 asked, but this process may run on 1 CPU(s)") != std::string::npos);
  }

  // The timeline is recorded in tile order from one thread: refused in one line, nothing written.
  std::vector<std::string> traced = {"sim", "--pdi", build + "/main.pdi", "--insts", build + "/npu_insts.mlir", "--sim-threads", "2",
                                     "--trace", dir.file("trace.json"), "--arg", "7=4096", "--arg", "8=4096", "--arg", "9=4096", "--arg", "10=4096"};
  traced.insert(traced.end(), args.begin(), args.end());
  const CliResult t = run_cli(traced);
  CHECK(t.exit_code == 2);
  REQUIRE(t.err_lines().size() == 1);
  CHECK(t.err_lines()[0].find("--sim-threads 2 with --trace or --profile") != std::string::npos);
  CHECK(!file_exists(dir.file("trace.json")));

  // bench: each repetition runs once on one thread and once on two; the speedup is their medians' ratio.
  std::vector<std::string> bench = {"bench", "--sim-elf", int32_dir() + "/main_core_0_2.elf", "--kernel", "uc-int32-lut", "--fixture",
                                    shared_dir() + "/vectors/seed42", "--sim-stack-at", "0x78800", "--repeat", "1", "--sim-pdi",
                                    build + "/main.pdi", "--sim-insts", build + "/npu_insts.mlir", "--sim-threads", "2", "--out",
                                    dir.file("bench.json"), "--sim-arg", "7=4096", "--sim-arg", "8=4096", "--sim-arg", "9=4096", "--sim-arg", "10=4096"};
  for (int j = 0; j < 4; ++j) bench.insert(bench.end(), {"--sim-arg", std::to_string(3 + j) + "=" + dir.file("qkv" + std::to_string(j) + ".bin")});
  const CliResult b = run_cli(bench);
  INFO(b.err);
  REQUIRE(b.exit_code == 0);
  const nlohmann::json a = nlohmann::json::parse(read_text(dir.file("bench.json"))).at("array");
  CHECK(a.at("cores") == 4);
  CHECK(a.at("threads") == 2);
  CHECK(a.at("parallel_bundles") == a.at("simulated_bundles"));
  CHECK(a.at("free_quanta").get<uint64_t>() > 0);
  CHECK(a.at("threads_speedup").get<double>() == Approx(a.at("median_s").get<double>() / a.at("median_threads_s").get<double>()));
  CHECK(b.out.find("on 2 host threads") != std::string::npos);
  CHECK(a.at("threads_round_trip_us").get<double>() > 0);
  CHECK(b.out.find("the threads meet in") != std::string::npos);
  // Every one-thread run on the CPU bench pinned itself to; with more than one CPU, the one-thread
  // run on each and the best a perfect split over them allows (the sum of their rates).
  const nlohmann::json top = nlohmann::json::parse(read_text(dir.file("bench.json")));
  const std::vector<int> cpus = top.at("host_cpus").get<std::vector<int>>();
  REQUIRE(!cpus.empty());
  REQUIRE(top.at("host_cpu").is_number());
  const int pinned = top.at("host_cpu").get<int>();
  CHECK(std::find(cpus.begin(), cpus.end(), pinned) != cpus.end());
  CHECK(b.out.find("every one-thread run on host CPU " + std::to_string(pinned)) != std::string::npos);
  if (cpus.size() == 1) {
    CHECK(!a.contains("one_thread_s_by_host_cpu"));
  } else {
    const nlohmann::json& on = a.at("one_thread_s_by_host_cpu");
    REQUIRE(on.size() == cpus.size());
    CHECK(on.at(std::to_string(pinned)).get<double>() == Approx(a.at("median_s").get<double>()));
    std::vector<double> s;
    for (const int c : cpus) s.push_back(on.at(std::to_string(c)).get<double>());
    std::sort(s.begin(), s.end());
    CHECK(a.at("threads_speedup_bound").get<double>() == Approx(s[0] * (1 / s[0] + 1 / s[1])));
    CHECK(a.at("threads_speedup_over_fastest_cpu").get<double>() == Approx(s[0] / a.at("median_threads_s").get<double>()));
    CHECK(b.out.find("one thread on each host CPU") != std::string::npos);
  }
}

// Issue 22, the watch: a stack that runs over the ELF's own data at run time. The INT8 LUT build
// keeps its exp table in .data (0x78400, 512 B) and its stack, from 0x70000, reaches past 0x71000;
// the same ELF with .data's section header moved to 0x70080 (inside the stack's reservation, below
// every buffer, so the design check accepts it) has its table under the frames. The run reports
// the section and its bytes in the text and the JSON; the unmoved ELF reports nothing.
TEST_CASE("sim command: a stack that runs over the ELF's own .data at run time is named, with the bytes it covered") {
  TempDir dir;
  const std::string build = shared_dir() + "/aie2/int8-lut-2025-11-03";
  std::string bytes = read_text(build + "/main_core_0_2.elf");
  const aie2::Elf original = aie2::parse_elf(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "int8-lut.elf");
  size_t data_index = 0;
  for (size_t i = 0; i < original.sections.size(); ++i)
    if (original.sections[i].name == ".data") data_index = i;
  REQUIRE(data_index > 0);
  REQUIRE(original.sections[data_index].size == 512);
  uint32_t shoff;
  std::memcpy(&shoff, &bytes[32], 4);
  const uint32_t moved = 0x70080;
  std::memcpy(&bytes[shoff + 40 * data_index + 12], &moved, 4);  // sh_addr
  write_bytes(dir.file("moved.elf"), bytes);
  std::string qkv(12288, '\0');
  for (size_t i = 0; i < qkv.size(); ++i) qkv[i] = static_cast<char>((i * 37) % 23 - 11);
  write_bytes(dir.file("qkv.bin"), qkv);
  for (const bool patched : {false, true}) {
    INFO(patched);
    const CliResult r = run_cli({"sim", "--elf", patched ? dir.file("moved.elf") : build + "/main_core_0_2.elf", "--design",
                                 build + "/input_physical_with_elfs.mlir", "--input", "of_QKV=" + dir.file("qkv.bin"), "--json",
                                 dir.file("run.json")});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const nlohmann::json j = nlohmann::json::parse(read_text(dir.file("run.json")));
    const nlohmann::json& over = j.at("run").at("stack_over_data");
    const uint32_t max_sp = j.at("run").at("max_sp").get<uint32_t>();
    if (!patched) {
      CHECK(over.empty());
      CHECK(r.out.find("  stack    ran over") == std::string::npos);
      continue;
    }
    REQUIRE(max_sp > moved);  // the stack did pass the moved table's start
    REQUIRE(over.size() == 1);
    CHECK(over[0].at("section") == ".data (the ELF's own data)");
    CHECK(over[0].at("bytes")[0] == 0);
    CHECK(over[0].at("bytes")[1].get<uint32_t>() == std::min<uint32_t>(511, max_sp - moved - 1));
    CHECK(r.out.find("  stack    ran over .data (the ELF's own data) bytes 0..") != std::string::npos);
  }
}

// Issue 22: an xclbin or instruction stream made for another device is refused in one line, not
// simulated as npu1. What names a device (docs/aie2-array.md, "Which device"): the partition's
// width and start columns (XRT's aie_partition_info), AIE_METADATA's hw_gen and geometry (aie-rt's
// XAIE_DEV_GEN_*), the TXN header's device generation and geometry. Each case patches one field of
// a real Phoenix file, which loads unpatched.
TEST_CASE("sim command: an xclbin or a TXN stream for another device (partition width, hw_gen, TXN devGen) is refused naming the field") {
  TempDir dir;
  const std::string riallto = shared_dir() + "/npu1/riallto-0593d004/binaries/color_threshold_v1_720p";
  const std::string ryzen = shared_dir() + "/npu1/ryzenai-sw-2a3c4afe";
  const std::string seq = riallto + ".seq";
  // The AIE_PARTITION section's file offset (axlf: section headers from 0x1C8, 40 bytes each).
  auto partition_at = [](const std::string& x) {
    uint32_t n;
    std::memcpy(&n, &x[0x1C0], 4);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t kind;
      uint64_t off;
      std::memcpy(&kind, &x[0x1C8 + 40 * i], 4);
      std::memcpy(&off, &x[0x1C8 + 40 * i + 0x18], 8);
      if (kind == 32) return static_cast<size_t>(off);
    }
    return size_t{0};
  };
  // Arguments no design here uses: a file that loads stops at them (exit 2, naming the argument).
  auto sim_error = [&](const std::string& xclbin, const std::string& insts) {
    const CliResult r = run_cli({"sim", "--xclbin", xclbin, "--insts", insts, "--arg", "9=16"});
    CHECK(r.exit_code == 2);
    return r.err_lines().size() == 1 ? r.err_lines()[0] : "(" + std::to_string(r.err_lines().size()) + " lines) " + r.err;
  };
  const std::string original = read_text(riallto + ".xclbin");
  const size_t part = partition_at(original);
  REQUIRE(part > 0);
  uint16_t width, first;
  uint32_t starts, starts_off;
  std::memcpy(&width, &original[part + 0x20], 2);
  std::memcpy(&starts, &original[part + 0x28], 4);
  std::memcpy(&starts_off, &original[part + 0x2C], 4);
  std::memcpy(&first, &original[part + starts_off], 2);
  REQUIRE(width == 1);  // Riallto's: one column, starting anywhere in 1..4
  REQUIRE(starts == 4);
  REQUIRE(first == 1);
  // Unpatched it loads: the run stops later, at the argument, not at the device.
  CHECK(sim_error(riallto + ".xclbin", seq).find("uses no kernel argument 9") != std::string::npos);

  std::string wide = original;
  const uint16_t eight = 8;
  std::memcpy(&wide[part + 0x20], &eight, 2);
  write_bytes(dir.file("wide.xclbin"), wide);
  std::string e = sim_error(dir.file("wide.xclbin"), seq);
  CHECK(e.find(dir.file("wide.xclbin") + ": its AIE_PARTITION is 8 columns wide: npu1 (Phoenix) has 5") != std::string::npos);

  std::string past = original;
  const uint16_t two = 2, four = 4;
  std::memcpy(&past[part + 0x20], &two, 2);
  std::memcpy(&past[part + starts_off + 6], &four, 2);  // the fourth start column: 4, two wide
  write_bytes(dir.file("past.xclbin"), past);
  e = sim_error(dir.file("past.xclbin"), seq);
  CHECK(e.find("starts 2 columns at column 4: past npu1's 5 columns") != std::string::npos);
  // `elf inspect` handed an xclbin: another device's is refused by the loader's check, npu1's is
  // named for what it is (not "bad ELF magic").
  for (const std::string& f : {dir.file("wide.xclbin"), riallto + ".xclbin"}) {
    const CliResult r = run_cli({"elf", "inspect", f});
    CHECK(r.exit_code == 2);
    REQUIRE(r.err_lines().size() == 1);
    CHECK(r.err_lines()[0].find(f == riallto + ".xclbin" ? "an npu1 xclbin, not a core ELF" : "8 columns wide: npu1 (Phoenix) has 5") !=
          std::string::npos);
  }

  // RyzenAI's GEMM xclbin carries AIE_METADATA with hw_gen "3"; as "4" (AIE2P) it is refused.
  std::string gemm = read_text(ryzen + "/xclbin/gemm_4x4_a8w8acc32.xclbin");
  const std::string insts = ryzen + "/txn/a8w8acc32_16_2048_2048.bin";
  CHECK(sim_error(ryzen + "/xclbin/gemm_4x4_a8w8acc32.xclbin", insts).find("uses no kernel argument 9") != std::string::npos);
  size_t at = 0, patched = 0;
  while ((at = gemm.find("\"hw_gen\":\"3\"", at)) != std::string::npos) gemm[at + 10] = '4', ++patched;
  REQUIRE(patched > 0);
  write_bytes(dir.file("strix.xclbin"), gemm);
  e = sim_error(dir.file("strix.xclbin"), insts);
  CHECK(e.find("its AIE_METADATA says hw_gen 4 (AIE2P: Strix, npu4 and later), not 3 (AIE2IPU: Phoenix, npu1)") != std::string::npos);

  // The TXN header: byte 2 is the device generation, byte 3 the rows.
  const std::string txn = read_text(insts);
  REQUIRE(txn[2] == 3);
  std::string gen4 = txn, rows8 = txn;
  gen4[2] = 4;
  rows8[3] = 8;
  write_bytes(dir.file("gen4.bin"), gen4);
  write_bytes(dir.file("rows8.bin"), rows8);
  e = sim_error(ryzen + "/xclbin/gemm_4x4_a8w8acc32.xclbin", dir.file("gen4.bin"));
  CHECK(e.find("word 0") != std::string::npos);
  CHECK(e.find("device generation is 4 (AIE2P: Strix, npu4 and later), not 3") != std::string::npos);
  e = sim_error(ryzen + "/xclbin/gemm_4x4_a8w8acc32.xclbin", dir.file("rows8.bin"));
  CHECK(e.find("8 rows") != std::string::npos);
  CHECK(e.find("npu1 has 6 rows, 1 memory-tile row and at most 5 columns") != std::string::npos);
}

// `elf disasm FILE --core C,R` lists the program an xclbin's or PDI's CDO writes into one core. The
// oracle is the user's own ELF of the same build: PDI and ELF must give the same bundles, byte for
// byte and word for word (the ELF's lines add symbol names, `<name>`, which the PDI does not carry),
// for a scalar build and two vector builds. Then RyzenAI's GEMM, which has no ELF: its core (0,4)
// holds the cascade reads docs/aie2-vector.md quotes, at the addresses quoted.
TEST_CASE("elf disasm --core lists one core of an xclbin or PDI, the same bundles as the build's ELF") {
  auto bundle_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos || line.find_first_not_of(' ') == colon ||
          line.find_first_not_of(" 0123456789abcdef") != colon)
        continue;  // headers and `<symbol>:` labels
      for (size_t sym; (sym = line.find(" <")) != std::string::npos;) line.erase(sym, line.find('>', sym) + 1 - sym);
      lines.push_back(line);
    }
    return lines;
  };
  for (const std::string build : {"gelu-512-2025-11-03", "softmax-bf16-2025-11-22", "layernorm-bf16-2025-11-22"}) {
    INFO(build);
    const std::string dir = shared_dir() + "/aie2/" + build;
    const CliResult from_pdi = run_cli({"elf", "disasm", dir + "/main.pdi", "--core", "0,2"});
    const CliResult from_elf = run_cli({"elf", "disasm", dir + "/main_core_0_2.elf"});
    REQUIRE(from_pdi.exit_code == 0);
    REQUIRE(from_elf.exit_code == 0);
    CHECK(from_pdi.out.rfind(dir + "/main.pdi core (0,2):  file format elf32-aie2", 0) == 0);
    const auto a = bundle_lines(from_pdi.out), b = bundle_lines(from_elf.out);
    CHECK(a.size() > 200);
    CHECK(a == b);
  }

  const std::string gemm = shared_dir() + "/npu1/ryzenai-sw-2a3c4afe/xclbin/gemm_4x4_a8w8acc32.xclbin";
  const CliResult r = run_cli({"elf", "disasm", gemm, "--core", "0,4"});
  REQUIRE(r.exit_code == 0);
  const auto lines = bundle_lines(r.out);
  auto at = [&](const std::string& address) {
    for (const auto& l : lines)
      if (l.find_first_not_of(' ') == l.find(address + ":")) return l;
    return std::string("(no bundle at " + address + ")");
  };
  CHECK(at("12e6").find("vmov.lo cm8, SCD; vldb wh1, [p2, #32]; vmac cm3, cm3, x3, x1, r1") != std::string::npos);
  CHECK(at("132a").find("vmov.hi cm8, SCD") != std::string::npos);
  CHECK(at("1330").find("vmov.hi cm8, SCD; vldb wh0, [p2, #32]; vaddmac cm0, cm0, cm8, x6, x5, r1") != std::string::npos);
  CHECK(at("1350").find("vaddmac cm3, cm3, cm8, x3, x5, r1") != std::string::npos);

  // Bad use: one line naming the file and the problem, exit 2, nothing on stdout.
  struct Bad {
    std::vector<std::string> args;
    std::string says;
  };
  const std::string elf = shared_dir() + "/aie2/gelu-512-2025-11-03/main_core_0_2.elf";
  for (const Bad& bad : std::vector<Bad>{
           {{"elf", "disasm", gemm}, "name one with --core COLUMN,ROW (it writes programs into (0,2) (0,3) (0,4) (0,5) (1,2)"},
           {{"elf", "disasm", gemm, "--core", "0,1"}, "writes no program into core (0,1)"},
           {{"elf", "disasm", gemm, "--core", "4"}, "--core: '4' is not COLUMN,ROW"},
           {{"elf", "disasm", gemm, "--core", "0,4,1"}, "--core: '0,4,1' is not COLUMN,ROW"},
           {{"elf", "disasm", gemm, "--core", "99999999999,1"}, "--core: '99999999999,1' is not COLUMN,ROW"},
           {{"elf", "disasm", gemm, "--core", "0,"}, "--core: '0,' is not COLUMN,ROW"},
           {{"elf", "disasm", gemm, "--core", "64,2"}, "--core: '64,2' is not COLUMN,ROW"},
           {{"elf", "disasm", elf, "--core", "0,2"}, "a core ELF is one core already"}}) {
    const CliResult e = run_cli(bad.args);
    INFO(bad.args.back());
    CHECK(e.exit_code == 2);
    REQUIRE(e.err_lines().size() == 1);
    CHECK(e.err_lines()[0].find(bad.says) != std::string::npos);
    CHECK(e.out.empty());
  }
}

// RyzenAI's 16-core GEMM overlay (issue 23.6): its stream queues every shim task, then waits for
// each channel with mask polls. Those polls once read an unwritten register as 0 and passed, so
// the run "succeeded" in 0 cycles with no core started. Now the polls wait on the channels, its
// packet-switched slave (memory tile (0,1) South 5, two slots) routes its packets, the cores read
// CORE_ID (its partition starts at column 0 alone) and take the 50-word parameter packet (packet
// id 1 of shim (1,0) MM2S 0) through their input stream ports. The parameters are the host's
// (RyzenAI's init_gemm_instr_ddr appends them to the activations in argument 4); given as zeros
// here, every core reads a zero length, asks for the next sequence, and waits at `mov r0, SS` while
// the data packets wait for the cores: a deadlock naming them, as a device would hang.
TEST_CASE("sim command: RyzenAI's GEMM overlay's 16 cores read CORE_ID and take their parameter packet through their stream ports, then wait for more") {
  const std::string ryzen = shared_dir() + "/npu1/ryzenai-sw-2a3c4afe";
  const CliResult r = run_cli({"sim", "--xclbin", ryzen + "/xclbin/gemm_4x4_a8w8acc32.xclbin", "--insts",
                               ryzen + "/txn/a8w8acc32_16_2048_2048.bin", "--arg", "3=131072", "--arg", "4=32968", "--arg", "5=4194304"});
  CHECK(r.exit_code == 2);
  REQUIRE(r.err_lines().size() == 1);
  CHECK(r.err_lines()[0].find("deadlock at cycle ") != std::string::npos);
  CHECK(r.err_lines()[0].find("core (0,2) waits for a word at its input stream port (from shim (1,0) MM2S 0 packet 1) at PC 0x330") !=
        std::string::npos);
  CHECK(r.err_lines()[0].find("not modelled") == std::string::npos);
  CHECK(r.out.empty());
}


// The same overlay with its parameter block: the superkernel sequence RyzenAI's host appends to the
// activations (qlinear_2's run_aie calls init_gemm_instr_ddr at byte M x K of argument 4). Its
// format, written here from RyzenAI-SW's super_instr.h (GemmSeq: total size, an unused word, outer
// repeat and repeat size, three GemmInstr, two words of padding) and ml_params.h (MLKernelParams,
// its defaults and update_params): 200 bytes, the 50-word packet shim (1,0) MM2S 0 sends the cores.
// With it, all 16 cores run their int8 matrix multiplies (vmul/vmac mul_4x8_8x8) for thousands of
// cycles until the first cascade read, which the simulator refuses, naming it (the cascade's
// placement of 512 bits in a 1024-bit accumulator is not public).
TEST_CASE("sim command: RyzenAI's GEMM overlay with its parameter block runs its 16 cores' int8 matrix multiplies until the first cascade read, refused naming it") {
  const std::string ryzen = shared_dir() + "/npu1/ryzenai-sw-2a3c4afe";
  const int M = 16, K = 2048, N = 2048, Msubv = 64, Ksubv = 128, Nsubv = 64, Mgran = 8, Kgran = 8, Ngran = 16, rows = 4, cols = 4;
  std::string params;
  auto put = [&](uint64_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) params.push_back(static_cast<char>(v >> (8 * k)));
  };
  // MLKernelParams after update_params(Msubv, Ksubv, Nsubv, Mgran, Kgran, Ngran), ctrl 773 with out_64 (bit 10).
  auto kernel_params = [&] {
    const int y_g = Msubv / Mgran, n_g = Ksubv / Kgran, x_g = Nsubv / Ngran;
    put(0, 1), put(0, 1), put(0, 1), put(0, 1);           // Kx_g Ky_g Ci_g S_g
    put(n_g, 1), put(x_g, 1), put(y_g, 1), put(0, 1);     // N_g X_g Y_g Co_g
    put(n_g, 2), put(y_g * x_g, 2);                        // inner_g outer_g
    put(12, 1), put(12, 1), put(0, 1), put(0, 1);         // shift_tdm shift_res shift_norm shift_bias
    put(Ksubv * 8, 2), put(8, 2), put(0, 2), put(Msubv * 8, 2), put(Mgran, 2), put(Msubv * 8, 2), put(Mgran, 2), put(0, 2);
    put(0, 4);                                             // param_value
    put(773 | 1 << 10, 4);                                 // ctrl
  };
  const int outer = ((M + Msubv - 1) / Msubv) * (N / (cols * Nsubv)), inner = K / (rows * Ksubv) - 2;
  const int instr_words = 15, total = 50 - 2;
  put(total, 4), put(0, 4), put(outer, 2), put(total, 2);
  const uint32_t opcodes[3] = {0x02010d01, 0x02010c01, 0x02010e01};
  for (int i = 0; i < 3; ++i) {
    put(instr_words + (i == 2 ? 2 : 0), 2), put(i == 1 ? inner : 1, 2);
    put(0x003c000f, 4), put(128, 4), put(4 * (instr_words - 3) + (i == 2 ? 8 : 0), 4), put(opcodes[i], 4);
    kernel_params();
  }
  put(0, 8);
  REQUIRE(params.size() == 200);
  TempDir t;
  std::mt19937 rng(5);
  std::string a(M * K, '\0'), w(4194304, '\0');
  for (auto& c : a) c = static_cast<char>(rng());
  for (auto& c : w) c = static_cast<char>(rng());
  write_bytes(t.file("a.bin"), a + params);
  write_bytes(t.file("w.bin"), w);
  const CliResult r = run_cli({"sim", "--xclbin", ryzen + "/xclbin/gemm_4x4_a8w8acc32.xclbin", "--insts", ryzen + "/txn/a8w8acc32_16_2048_2048.bin",
                               "--arg", "3=131072", "--arg", "4=" + t.file("a.bin"), "--arg", "5=" + t.file("w.bin")});
  CHECK(r.exit_code == 2);
  REQUIRE(r.err_lines().size() == 1);
  const std::string e = r.err_lines()[0];
  INFO(e);
  CHECK(e.find("'vmov.lo cm8, SCD' (VMOV_LO) is a cascade move, not simulated") != std::string::npos);
  const size_t at = e.find(", cycle ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoull(e.substr(at + 8)) > 10000);  // thousands of cycles of matrix multiplies first
  // Without the block (zeros), the cores never get that far (the test above).
}
}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
