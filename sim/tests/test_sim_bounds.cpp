// Issue 26.7, a bounded simulator: time linear in transfers, memory bounded by the buffers, signals, size and range checks, designs checked against the ELF.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "fixtures/testing/test_support.hpp"
#include "sim/tests/encode.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
using namespace attncheck::aie2::enc;

namespace {

std::string gelu_dir() { return shared_dir() + "/aie2/gelu-512-2025-11-03"; }
std::string int32_dir() { return shared_dir() + "/aie2/int32-2025-11-03"; }
std::string matmul_dir() { return shared_dir() + "/aie2/matmul-32x32-2025-11-03"; }

void put32(std::string& s, size_t at, uint32_t v) {
  for (int k = 0; k < 4; ++k) s[at + k] = static_cast<char>(v >> (8 * k));
}
void put16(std::string& s, size_t at, uint32_t v) {
  s[at] = static_cast<char>(v), s[at + 1] = static_cast<char>(v >> 8);
}

// A linked AIE2 core ELF32 as the ELF spec lays it out, written here so the tests control its
// symbols and sections: .text at address 0 (entry 0), optional data sections (loaded, so also
// program headers), a symbol table. Symbols: (name, value, size, type: 0 NOTYPE, 1 OBJECT, 2 FUNC).
struct ElfSpec {
  std::vector<uint8_t> text;
  std::vector<std::tuple<std::string, uint32_t, uint32_t, int>> symbols;
  std::vector<std::tuple<std::string, uint32_t, uint32_t>> data;  // name, address, bytes
};

std::string write_elf(const ElfSpec& e) {
  const size_t nseg = 1 + e.data.size();
  std::string shstr(1, '\0'), str(1, '\0');
  auto name_in = [](std::string& table, const std::string& n) {
    const uint32_t at = static_cast<uint32_t>(table.size());
    table += n + '\0';
    return at;
  };
  std::string out(52 + 32 * nseg, '\0');
  struct Sec {
    uint32_t name, type, flags, addr, offset, size, link, info, entsize;
  };
  std::vector<Sec> secs = {{0, 0, 0, 0, 0, 0, 0, 0, 0}};
  auto place = [&](const std::string& bytes) {
    while (out.size() % 16) out += '\0';
    const uint32_t at = static_cast<uint32_t>(out.size());
    out += bytes;
    return at;
  };
  const uint32_t text_off = place(std::string(e.text.begin(), e.text.end()));
  secs.push_back({name_in(shstr, ".text"), 1, 6, 0, text_off, static_cast<uint32_t>(e.text.size()), 0, 0, 0});
  std::vector<uint32_t> data_off;
  for (const auto& [n, addr, bytes] : e.data) {
    data_off.push_back(place(std::string(bytes, '\x5a')));
    secs.push_back({name_in(shstr, n), 1, 3, addr, data_off.back(), bytes, 0, 0, 0});
  }
  std::string symtab(16, '\0');
  for (const auto& [n, value, size, type] : e.symbols) {
    std::string s(16, '\0');
    put32(s, 0, name_in(str, n));
    put32(s, 4, value);
    put32(s, 8, size);
    s[12] = static_cast<char>((1 << 4) | type);  // STB_GLOBAL
    put16(s, 14, type == 2 ? 1 : 0xFFF1);         // .text, or SHN_ABS as the link script's symbols
    symtab += s;
  }
  const uint32_t symtab_index = static_cast<uint32_t>(secs.size());
  const uint32_t symtab_name = name_in(shstr, ".symtab"), strtab_name = name_in(shstr, ".strtab"), shstr_name = name_in(shstr, ".shstrtab");
  secs.push_back({symtab_name, 2, 0, 0, place(symtab), static_cast<uint32_t>(symtab.size()), symtab_index + 1, 1, 16});
  secs.push_back({strtab_name, 3, 0, 0, place(str), static_cast<uint32_t>(str.size()), 0, 0, 0});
  secs.push_back({shstr_name, 3, 0, 0, place(shstr), static_cast<uint32_t>(shstr.size()), 0, 0, 0});
  const uint32_t shoff = place("");
  for (const Sec& s : secs) {
    std::string h(40, '\0');
    const uint32_t f[] = {s.name, s.type, s.flags, s.addr, s.offset, s.size, s.link, s.info, 4, s.entsize};
    for (int k = 0; k < 10; ++k) put32(h, 4 * k, f[k]);
    out += h;
  }
  std::memcpy(out.data(), "\x7f" "ELF\x01\x01\x01", 7);
  put16(out, 16, 2);       // ET_EXEC
  put16(out, 18, 0x108);   // AIE2
  put32(out, 20, 1);
  put32(out, 28, 52);      // program headers
  put32(out, 32, shoff);
  put32(out, 36, 2);       // e_flags EF_AIE_AIE2, as Peano writes it
  put16(out, 40, 52);
  put16(out, 42, 32);
  put16(out, 44, static_cast<uint32_t>(nseg));
  put16(out, 46, 40);
  put16(out, 48, static_cast<uint32_t>(secs.size()));
  put16(out, 50, static_cast<uint32_t>(secs.size() - 1));
  auto phdr = [&](size_t i, uint32_t off, uint32_t addr, uint32_t bytes, uint32_t flags) {
    const uint32_t f[] = {1, off, addr, addr, bytes, bytes, flags, 16};
    for (int k = 0; k < 8; ++k) put32(out, 52 + 32 * i + 4 * k, f[k]);
  };
  phdr(0, text_off, 0, static_cast<uint32_t>(e.text.size()), 5);
  for (size_t i = 0; i < e.data.size(); ++i) phdr(i + 1, data_off[i], std::get<1>(e.data[i]), std::get<2>(e.data[i]), 6);
  return out;
}

// movxm p0, #0x70400; movxm r1, #1; L: j L, its five delay slots each `st r1, [p0, #0]`: a store
// into the first input buffer in five of every six bundles, forever, and never a lock.
std::vector<uint8_t> store_loop_text() {
  const uint32_t loop = 12;
  std::vector<uint8_t> st = i32_st(st_word_idx_imm(scl_r(1), 0, 0));
  return program({i48_lng(lng_movxm(mv_p(0), 0x70400)), i48_lng(lng_movxm(scl_r(1), 1)), i48_lng(lng_j(loop)), st, st, st, st, st});
}

// A placed single-core design in the toolchain's text form: FIFO of_in (two buffers of `in_bytes`
// from 0x70400) into the core, of_out (two of `out_bytes` after them) out of it; the stack below.
std::string design_text(uint32_t in_bytes, uint32_t out_bytes, const std::string& extra_locks = "") {
  const uint32_t in0 = 0x400, in1 = in0 + in_bytes, out0 = in1 + in_bytes, out1 = out0 + out_bytes;
  auto buf = [](const std::string& n, uint32_t at, uint32_t bytes) {
    return "    %" + n + " = aie.buffer(%tile_0_2) {address = " + std::to_string(at) + " : i32, sym_name = \"" + n + "\"} : memref<" +
           std::to_string(bytes) + "xi8>\n";
  };
  auto bd = [](const std::string& acq, const std::string& b, uint32_t bytes, int id, int next, const std::string& rel, const std::string& to) {
    return "      aie.use_lock(%" + acq + ", AcquireGreaterEqual, 1)\n      aie.dma_bd(%" + b + " : memref<" + std::to_string(bytes) +
           "xi8>, 0, " + std::to_string(bytes) + ") {bd_id = " + std::to_string(id) + " : i32, next_bd_id = " + std::to_string(next) +
           " : i32}\n      aie.use_lock(%" + rel + ", Release, 1)\n      aie.next_bd ^" + to + "\n";
  };
  return "module @bounds {\n  aie.device(npu1) {\n    %tile_0_0 = aie.tile(0, 0)\n    %tile_0_2 = aie.tile(0, 2)\n" +
         buf("of_in_cons_buff_0", in0, in_bytes) + buf("of_in_cons_buff_1", in1, in_bytes) + buf("of_out_buff_0", out0, out_bytes) +
         buf("of_out_buff_1", out1, out_bytes) +
         "    %in_prod = aie.lock(%tile_0_2, 0) {init = 2 : i32, sym_name = \"in_prod\"}\n"
         "    %in_cons = aie.lock(%tile_0_2, 1) {init = 0 : i32, sym_name = \"in_cons\"}\n"
         "    %out_prod = aie.lock(%tile_0_2, 2) {init = 2 : i32, sym_name = \"out_prod\"}\n"
         "    %out_cons = aie.lock(%tile_0_2, 3) {init = 0 : i32, sym_name = \"out_cons\"}\n" +
         extra_locks +
         "    %core_0_2 = aie.core(%tile_0_2) {\n      aie.end\n    } {link_with = \"loop.o\"}\n"
         "    %mem_0_2 = aie.mem(%tile_0_2) {\n      %0 = aie.dma_start(S2MM, 0, ^bb1, ^bb3)\n    ^bb1:\n" +
         bd("in_prod", "of_in_cons_buff_0", in_bytes, 0, 1, "in_cons", "bb2") + "    ^bb2:\n" +
         bd("in_prod", "of_in_cons_buff_1", in_bytes, 1, 0, "in_cons", "bb1") +
         "    ^bb3:\n      %1 = aie.dma_start(MM2S, 0, ^bb4, ^bb6)\n    ^bb4:\n" +
         bd("out_cons", "of_out_buff_0", out_bytes, 2, 3, "out_prod", "bb5") + "    ^bb5:\n" +
         bd("out_cons", "of_out_buff_1", out_bytes, 3, 2, "out_prod", "bb4") + "    ^bb6:\n      aie.end\n    }\n  }\n}\n";
}

// The ELF of the store loop, its symbols as the link script of design_text's layout defines them.
ElfSpec store_loop_elf(uint32_t in_bytes, uint32_t out_bytes) {
  ElfSpec e;
  e.text = store_loop_text();
  const uint32_t in0 = 0x70400, in1 = in0 + in_bytes, out0 = in1 + in_bytes, out1 = out0 + out_bytes;
  e.symbols = {{"store_loop", 0, static_cast<uint32_t>(e.text.size()), 2},
               {"_sp_start_value_DM_stack", 0x70000, 0, 0},
               {"of_in_cons_buff_0", in0, 0, 0},
               {"of_in_cons_buff_1", in1, 0, 0},
               {"of_out_buff_0", out0, 0, 0},
               {"of_out_buff_1", out1, 0, 0}};
  return e;
}

// A bad command: exit 2, exactly one line on stderr, naming what it says, nothing written.
void one_line(const CliResult& r, const std::string& names) {
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err_lines().size() == 1);
  CHECK(r.err.find(names) != std::string::npos);
}

// Runs `args` under GNU time: exit code, stderr without time's line, peak RSS in MiB, CPU seconds.
struct Timed {
  CliResult r;
  double rss_mib = 0, cpu_s = 0;
};
[[maybe_unused]] Timed timed(TempDir& t, const std::vector<std::string>& args) {  // unused where the sanitizers leave its tests out
  std::vector<std::string> argv = {"/usr/bin/time", "-f", "%M %U %S", "-o", t.file("time.txt"), "/usr/bin/timeout", "-s", "KILL", "120",
                                   ATTNCHECK_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  Timed out;
  out.r = run_program(argv);
  const std::string txt = read_text(t.file("time.txt"));
  const size_t line = txt.rfind('\n', txt.size() - 2);  // "Command exited with non-zero status 2" comes first
  double kib = 0, user = 0, sys = 0;
  std::sscanf(txt.c_str() + (line == std::string::npos ? 0 : line + 1), "%lf %lf %lf", &kib, &user, &sys);
  out.rss_mib = kib / 1024.0, out.cpu_s = user + sys;
  return out;
}

// Starts `args` in a shell, sends `sig` after `after` seconds, waits at most 20 s: "rc=N" on stdout.
CliResult signalled(const std::vector<std::string>& args, const char* sig, const char* after) {
  std::string cmd = ATTNCHECK_EXE;
  for (const auto& a : args) cmd += " '" + a + "'";
  return run_program({"/bin/sh", "-c",
                      cmd + " & p=$!; sleep " + after + "; kill -" + sig + " $p; "
                            "/usr/bin/timeout 20 sh -c \"while kill -0 $p 2>/dev/null; do sleep 0.05; done\"; kill -KILL $p 2>/dev/null; wait $p; "
                            "echo rc=$?"});
}

}  // namespace

#ifndef ATTNCHECK_SANITIZED
// Peak RSS and CPU time: AddressSanitizer's shadow memory and slowdown would swamp both.
TEST_CASE("issue 26.7: sim time grows linearly with the transfer count (gelu-512: 8,000 transfers within 16x 1,000's CPU time)") {
  TempDir t;
  write_bytes(t.file("in.bin"), std::string(512, '\x11'));
  auto run = [&](int n) {
    const Timed r = timed(t, {"sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--input", "of_input=" + t.file("in.bin"), "--iterations",
                              std::to_string(n)});
    REQUIRE(r.r.exit_code == 0);
    return r.cpu_s;
  };
  const double one = run(1000), eight = run(8000);
  INFO("1,000 transfers: " << one << " s CPU, 8,000: " << eight << " s (it was 0.47 s and about 25 s: the watch rescanned every store per transfer)");
  CHECK(eight < 16 * std::max(one, 0.05));
  CHECK(eight < 10.0);
}

TEST_CASE("issue 26.7: a program storing in a loop runs in bounded memory and stops at --sim-max-cycles with one line") {
  TempDir t;
  write_bytes(t.file("loop.elf"), write_elf(store_loop_elf(512, 512)));
  write_bytes(t.file("loop.mlir"), design_text(512, 512));
  write_bytes(t.file("in.bin"), std::string(512, '\0'));
  auto run = [&](const std::string& bundles) {
    const Timed r = timed(t, {"sim", "--elf", t.file("loop.elf"), "--design", t.file("loop.mlir"), "--input", "of_in=" + t.file("in.bin"),
                              "--sim-max-cycles", bundles, "--json", t.file("r.json")});
    one_line(r.r, "no transfer moved in " + bundles + " bundles, stopped at PC 0x");
    CHECK(r.r.err.find("(store_loop+0x") != std::string::npos);
    CHECK(!file_exists(t.file("r.json")));
    return r.rss_mib;
  };
  // 10^7 and 10^8 bundles: 8.3 * 10^7 stores more in the second run. The watch kept 32 B per store
  // (2.7 GB at 10^8 bundles); now its records are per PC and per byte of the buffers.
  const double small = run("10000000"), large = run("100000000");
  INFO("peak RSS at 10^7 bundles " << small << " MiB, at 10^8 " << large << " MiB");
  CHECK(large < 200);
  CHECK(large - small < 4);
}

TEST_CASE("issue 26.7: --iterations repeats one input in place (no N copies), and one that cannot fit is refused before the run") {
  TempDir t;
  write_bytes(t.file("qkv.bin"), std::string(12288, '\x03'));
  // 100,000 transfers of 12,288 B were 1.2 GB of copies before the first bundle; 1.5 s in, the
  // core now runs in a few MiB (VmHWM: the peak so far), and SIGTERM stops it.
  const CliResult r = run_program(
      {"/bin/sh", "-c",
       std::string(ATTNCHECK_EXE) + " sim --elf " + int32_dir() + "/main_core_0_2.elf --input of_QKV=" + t.file("qkv.bin") +
           " --iterations 100000 --output of_out=" + t.file("out.bin") +
           " & p=$!; sleep 1.5; grep VmHWM /proc/$p/status; kill -TERM $p; "
           "/usr/bin/timeout 20 sh -c \"while kill -0 $p 2>/dev/null; do sleep 0.05; done\"; kill -KILL $p 2>/dev/null; wait $p; echo rc=$?"});
  INFO(r.out << r.err);
  CHECK(r.out.find("rc=143") != std::string::npos);
  CHECK(r.err.find("interrupted by SIGTERM") != std::string::npos);
  CHECK(!file_exists(t.file("out.bin")));
  const size_t hwm = r.out.find("VmHWM:");
  REQUIRE(hwm != std::string::npos);
  const double mib = std::stod(r.out.substr(hwm + 6)) / 1024.0;
  INFO("peak RSS 1.5 s into the run: " << mib << " MiB");
  CHECK(mib < 100);
  // 10^8 transfers: their outputs and watch records are refused in a moment, naming --iterations.
  const auto t0 = std::chrono::steady_clock::now();
  write_bytes(t.file("in.bin"), std::string(512, '\x01'));
  one_line(run_program({"/usr/bin/timeout", "-s", "KILL", "30", ATTNCHECK_EXE, "sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--input",
                        "of_input=" + t.file("in.bin"), "--iterations", "100000000", "--output", "of_output=" + t.file("o.bin")}),
           "sim --iterations 100000000");
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 5);
  CHECK(!file_exists(t.file("o.bin")));
}

TEST_CASE("issue 26.7: files are sized before they are read: a 1.5 GB ELF, PDI, xclbin, design, instruction stream or input is one line") {
  TempDir t;
  // Sparse: 1.5 GB of file and no disk.
  auto huge = [&](const std::string& name, off_t extra = 0) {
    const int fd = ::open(t.file(name).c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, (off_t{1536} << 20) + extra) == 0);
    ::close(fd);
    return t.file(name);
  };
  const std::string design = gelu_dir() + "/input_physical_with_elfs.mlir", elf = gelu_dir() + "/main_core_0_2.elf";
  write_bytes(t.file("in.bin"), std::string(512, '\x01'));
  const std::string in = "of_input=" + t.file("in.bin");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"sim", "--elf", huge("big.elf"), "--design", design, "--input", in}, "big.elf: 1610612736 bytes, larger than a core ELF can be (64 MiB)"},
      {{"sim", "--pdi", huge("big.pdi"), "--design", design, "--input", in}, "big.pdi: 1610612736 bytes, larger than an xclbin or a PDI can be"},
      {{"sim", "--xclbin", huge("big.xclbin"), "--design", design, "--input", in}, "big.xclbin: 1610612736 bytes, larger than an xclbin"},
      {{"sim", "--elf", elf, "--design", huge("big.mlir"), "--input", in}, "big.mlir: 1610612736 bytes, larger than a placed design can be"},
      {{"sim", "--xclbin", huge("big2.xclbin"), "--insts", gelu_dir() + "/npu_insts.mlir", "--arg", "3=" + t.file("in.bin"), "--arg",
        "4=" + t.file("o.bin")},
       "big2.xclbin: 1610612736 bytes"},
      {{"sim", "--pdi", gelu_dir() + "/main.pdi", "--insts", huge("big.insts"), "--arg", "3=" + t.file("in.bin")},
       "big.insts: 1610612736 bytes, larger than an instruction stream can be"},
      {{"sim", "--elf", elf, "--input", "of_input=" + huge("big.bin"), "--iterations", "4"},
       "big.bin: 1610612736 bytes, larger than --input of_input with --iterations 4 (one or 4 transfers of 512 B) can be"},
      {{"xclbin", "wrap", "--pdi", huge("big3.pdi"), "--out", t.file("w.xclbin")}, "big3.pdi: 1610612736 bytes, larger than a PDI can be"},
  };
  for (const Case& c : cases) {
    const Timed r = timed(t, c.args);
    INFO(c.args[1] << " " << c.args[2] << ": " << r.r.err << " peak RSS " << r.rss_mib << " MiB");
    one_line(r.r, c.says);
    CHECK(r.rss_mib < 100);  // it read 1.5 GB before "too large"
  }
  // A raw input that is no whole number of transfers is refused by its size, unread.
  const Timed odd = timed(t, {"sim", "--elf", elf, "--input", "of_input=" + huge("odd.bin", 1)});
  one_line(odd.r, "odd.bin: 1610612737 bytes, not a whole number of of_input's 512 B transfers");
  CHECK(odd.rss_mib < 100);
}
#endif

TEST_CASE("issue 26.7: --sim-max-cycles 0, -1, 2^64-1 and 10^15+1 are refused in one line by sim, run --backend sim and sim --insts") {
  TempDir t;
  write_bytes(t.file("in.bin"), std::string(512, '\x01'));
  const std::vector<std::vector<std::string>> commands = {
      {"sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--input", "of_input=" + t.file("in.bin")},
      {"run", "--kernel", "uc-int32-lut", "--fixture", source_dir() + "/fixtures/seed42", "--backend", "sim", "--elf", int32_dir() + "/main_core_0_2.elf"},
      {"sim", "--pdi", gelu_dir() + "/main.pdi", "--insts", gelu_dir() + "/npu_insts.mlir", "--arg", "3=" + t.file("in.bin"), "--arg",
       "4=" + t.file("o.bin")},
  };
  for (const auto& base : commands)
    for (const char* v : {"0", "-1", "18446744073709551615", "1000000000000001", "1e9", "0x10"}) {
      std::vector<std::string> args = base;
      args.insert(args.end(), {"--sim-max-cycles", v});
      INFO(base[0] << " " << base[2] << " --sim-max-cycles " << v);
      one_line(run_cli(args), std::string("--sim-max-cycles: must be an integer from 1 to 10^15 (bundles without a transfer), got ") + v);
    }
  CHECK(!file_exists(t.file("o.bin")));
  // The largest accepted value runs: the limit's sum with the bundle count no longer wraps.
  CHECK(run_cli({"sim", "--elf", gelu_dir() + "/main_core_0_2.elf", "--input", "of_input=" + t.file("in.bin"), "--sim-max-cycles",
                 "1000000000000000"}).exit_code == 0);
}

TEST_CASE("issue 26.7: SIGTERM and SIGINT stop a core that is running: exit 143 or 130, one line, nothing written") {
  TempDir t;
  // The store loop never moves a transfer; --sim-max-cycles 10^15 is weeks of simulation.
  write_bytes(t.file("loop.elf"), write_elf(store_loop_elf(12288, 4096)));
  write_bytes(t.file("loop.mlir"), design_text(12288, 4096));
  write_bytes(t.file("in.bin"), std::string(12288, '\0'));
  const std::vector<std::string> sim = {"sim", "--elf", t.file("loop.elf"), "--design", t.file("loop.mlir"), "--input", "of_in=" + t.file("in.bin"),
                                        "--output", "of_out=" + t.file("out.bin"), "--json", t.file("sim.json"), "--sim-max-cycles",
                                        "1000000000000000"};
  // run --backend sim: the same loop as uc-int32-lut's one core (12,288 B of q, k, v in, 4,096 B out).
  const std::vector<std::string> run = {"run", "--kernel", "uc-int32-lut", "--fixture", source_dir() + "/fixtures/seed42", "--backend", "sim",
                                        "--elf", t.file("loop.elf"), "--design", t.file("loop.mlir"), "--json", t.file("run.json"),
                                        "--sim-max-cycles", "1000000000000000"};
  for (const auto& [args, sig, code] : {std::tuple{sim, "TERM", 143}, std::tuple{sim, "INT", 130}, std::tuple{run, "TERM", 143},
                                         std::tuple{run, "INT", 130}}) {
    const auto t0 = std::chrono::steady_clock::now();
    const CliResult r = signalled(args, sig, "0.7");
    INFO(args[0] << " SIG" << sig << ": " << r.out << r.err);
    CHECK(r.out.find("rc=" + std::to_string(code)) != std::string::npos);
    CHECK(r.err.find(std::string("interrupted by SIG") + sig + ": stopped; no report or output written") != std::string::npos);
    CHECK(r.err_lines().size() == 1);
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 5);
  }
  for (const char* f : {"out.bin", "sim.json", "run.json"}) CHECK(!file_exists(t.file(f)));
}

TEST_CASE("issue 26.7: a design that contradicts the ELF's symbols, overlaps itself, .data or the stack, or reuses lock ids is one line naming both") {
  TempDir t;
  const std::string gelu_design = read_text(gelu_dir() + "/input_physical_with_elfs.mlir");
  write_bytes(t.file("in.bin"), std::string(2048, '\x01'));  // matmul's of_input moves 2,048 B (gelu's 512: the check comes first)
  auto sim = [&](const std::string& elf, const std::string& design, const std::string& input, std::vector<std::string> extra = {}) {
    // A bounded run, so that a check that lets the design through ends (it ran the store loop for 10^9 bundles).
    std::vector<std::string> a = {"sim", "--elf", elf, "--design", design, "--input", input, "--json", t.file("r.json"), "--sim-max-cycles", "100000"};
    a.insert(a.end(), extra.begin(), extra.end());
    const CliResult r = run_cli(a);
    CHECK(!file_exists(t.file("r.json")));
    return r;
  };
  auto gelu_with = [&](const std::string& from, const std::string& to, const std::string& name) {
    std::string s = gelu_design;
    const size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    s.replace(at, from.size(), to);
    write_bytes(t.file(name), s);
    return t.file(name);
  };
  const std::string gelu_elf = gelu_dir() + "/main_core_0_2.elf", in512 = "of_input=" + t.file("in.bin");
  // gelu's ELF in matmul's design: the same buffer names at other addresses (it ran and exited 0).
  one_line(sim(gelu_elf, matmul_dir() + "/input_physical_with_elfs.mlir", "of_input=" + t.file("in.bin")),
           "matmul-32x32-2025-11-03/input_physical_with_elfs.mlir has buffer of_output_buff_0 at 0x71400 (1024 B), but " + gelu_elf +
               " defines it at 0x70400: not the program this design was built for");
  // A buffer the ELF does not define.
  one_line(sim(gelu_elf, gelu_with("\"of_output_buff_1\"", "\"spare_buff_1\"", "renamed.mlir"), in512),
           "renamed.mlir has buffer spare_buff_1 at 0x70600, which " + gelu_elf + " does not define");
  // Buffers that overlap each other (either order of definition).
  one_line(sim(gelu_elf, gelu_with("{address = 1536 : i32, sym_name = \"of_output_buff_1\"}", "{address = 1280 : i32, sym_name = \"of_output_buff_1\"}",
                                   "overlap.mlir"), in512),
           "overlap.mlir:12: aie.buffer of_output_buff_1 (0x70500..0x706FF) overlaps of_output_buff_0 (0x70400..0x705FF, line 11)");
  one_line(sim(gelu_elf, gelu_with("{address = 1024 : i32, sym_name = \"of_output_buff_0\"}", "{address = 1792 : i32, sym_name = \"of_output_buff_0\"}",
                                   "overlap2.mlir"), in512),
           "overlap2.mlir:12: aie.buffer of_output_buff_1 (0x70600..0x707FF) overlaps of_output_buff_0 (0x70700..0x708FF, line 11)");
  // A buffer over .data, and one over the stack, with an ELF whose symbols agree with the design.
  ElfSpec over_data = store_loop_elf(512, 512);
  over_data.data = {{".data", 0x70A00, 64}};
  write_bytes(t.file("data.elf"), write_elf(over_data));
  write_bytes(t.file("loop.mlir"), design_text(512, 512));
  write_bytes(t.file("in512.bin"), std::string(512, '\x01'));
  one_line(sim(t.file("data.elf"), t.file("loop.mlir"), "of_in=" + t.file("in512.bin")),
           "loop.mlir's buffer of_out_buff_1 (0x70A00..0x70BFF) overlaps " + t.file("data.elf") + "'s .data (0x70A00..0x70A3F)");
  std::string big_stack = design_text(512, 512);
  big_stack.replace(big_stack.find("{link_with = \"loop.o\"}"), 22, "{link_with = \"loop.o\", stack_size = 2048 : i32}");
  write_bytes(t.file("stack.mlir"), big_stack);
  write_bytes(t.file("loop.elf"), write_elf(store_loop_elf(512, 512)));
  one_line(sim(t.file("loop.elf"), t.file("stack.mlir"), "of_in=" + t.file("in512.bin")),
           "stack.mlir's buffer of_in_cons_buff_0 (0x70400..0x705FF) overlaps " + t.file("loop.elf") +
               "'s stack (_sp_start_value_DM_stack, " + t.file("stack.mlir") + "'s stack_size 2048) (0x70000..0x707FF)");
  // --sim-stack-at inside a buffer or .data.
  one_line(sim(gelu_elf, gelu_dir() + "/input_physical_with_elfs.mlir", in512, {"--sim-stack-at", "0x70900"}),
           "--sim-stack-at 0x70900: inside " + gelu_dir() + "/input_physical_with_elfs.mlir's buffer of_input_cons_buff_0 (0x70800..0x709FF)");
  one_line(sim(gelu_elf, gelu_dir() + "/input_physical_with_elfs.mlir", in512, {"--sim-stack-at", "0x70C40"}),
           "--sim-stack-at 0x70C40: inside " + gelu_elf + "'s .data (0x70C00..0x70CFF)");
  // 100,000 locks on one id: refused at the second, in a moment; a lock id past the compute tile's 16.
  std::string locks;
  for (int k = 0; k < 100000; ++k) locks += "    %extra" + std::to_string(k) + " = aie.lock(%tile_0_2, 5) {init = 1 : i32}\n";
  write_bytes(t.file("locks.mlir"), design_text(512, 512, locks));
  const auto t0 = std::chrono::steady_clock::now();
  one_line(sim(t.file("loop.elf"), t.file("locks.mlir"), "of_in=" + t.file("in512.bin")),
           "locks.mlir:14: aie.lock extra1 has id 5 on tile (0,2), as extra0 (line 13) does: a tile's locks each have their own id");
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 5);
  one_line(sim(gelu_elf, gelu_with("aie.lock(%tile_0_2, 3)", "aie.lock(%tile_0_2, 16)", "lock16.mlir"), in512),
           "lock16.mlir:14: aie.lock of_output_cons_lock_0 has id 16, but tile (0,2) has 16 locks");
  // The user's builds pass every one of these checks (sim kernels runs each of them).
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
