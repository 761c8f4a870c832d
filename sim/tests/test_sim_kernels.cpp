// The user's other single-core builds (gelu, layernorm, matmul) run by the simulator against their C sources compiled for the host, and their PDIs against their ELFs.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>

#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"
#include "ref/fast.hpp"
#include "sim/core/core.hpp"
#include "sim/load/design.hpp"
#include "sim/inspect.hpp"
#include "sim/load/pdi.hpp"
#include "sim/core/tile.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

// The user's sources, compiled for the host from ../shared/aie2 by this test's CMake.
extern "C" {
void gelu_int8_512(const int8_t* input, int8_t* output, uint32_t n);
void layernorm_int8_256(const int8_t* input_combined, int8_t* output);
void matmul_int8_32x32_packed(const int8_t* packed_input, int8_t* c);
}

using namespace attncheck;
using namespace attncheck::aie2;
using namespace attncheck::testing;

namespace {

using Bytes = std::vector<uint8_t>;

std::string build_dir(const std::string& name) { return shared_dir() + "/aie2/" + name; }

size_t wanted(size_t full, size_t sanitized) { return scaled(full, sanitized); }

std::vector<Bytes> random_transfers(size_t n, size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, 255);
  std::vector<Bytes> out(n, Bytes(bytes));
  for (auto& t : out)
    for (auto& b : t) b = static_cast<uint8_t>(d(rng));
  return out;
}

// One single-core build of ../shared/aie2: its ELF and placed design, run on a list of transfers
// of its one input FIFO, in order, on one core (as the device's long-running core sees them).
class KernelRun {
 public:
  // Not copyable: the compiled program refers to the ELF it holds.
  explicit KernelRun(const std::string& name, std::optional<uint32_t> stack_at = std::nullopt)
      : stack_at_(stack_at), dir_(build_dir(name)), design_(read_design(dir_ + "/input_physical_with_elfs.mlir")), elf_(read_elf(dir_ + "/main_core_0_2.elf")),
        prog_(elf_) {
    for (const auto& f : design_.fifos) (f.input ? in_ : out_) = &f;
  }
  KernelRun(const KernelRun&) = delete;
  KernelRun& operator=(const KernelRun&) = delete;
  const DesignFifo& input() const { return *in_; }
  const DesignFifo& output() const { return *out_; }
  const Elf& elf() const { return elf_; }

  TileRunResult run(const std::vector<Bytes>& transfers) const {
    TileRunOptions o;
    if (stack_at_) o.stack_at = stack_at_;
    return run_tile(prog_, design_, {{in_->name, transfers}}, {{out_->name, transfers.size()}}, o);
  }
  // Runs `transfers` in `chunks` independent runs in parallel; each chunk starts from reset.
  std::vector<TileRunResult> run_chunked(const std::vector<Bytes>& transfers, size_t chunks) const {
    std::vector<TileRunResult> out(chunks);
    const size_t per = (transfers.size() + chunks - 1) / chunks;
    fast::parallel_for(chunks, [&](size_t c) {
      const size_t lo = std::min(transfers.size(), c * per), hi = std::min(transfers.size(), lo + per);
      if (lo < hi) out[c] = run({transfers.begin() + lo, transfers.begin() + hi});
    });
    return out;
  }

 private:
  std::optional<uint32_t> stack_at_;
  std::string dir_;
  Design design_;
  Elf elf_;
  CompiledProgram prog_;
  const DesignFifo *in_ = nullptr, *out_ = nullptr;
};

// gemmlowp-style failure text: how many transfers differ, and the first differing bytes.
struct Diff {
  size_t transfers = 0, differing = 0;
  std::string first;
  void add(size_t t, const Bytes& want, const Bytes& got) {
    ++transfers;
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i] == got[i]) continue;
      if (first.size() < 400) {
        std::ostringstream o;
        o << " transfer " << t << " byte " << i << ": host " << int(int8_t(want[i])) << ", sim " << int(int8_t(got[i])) << ";";
        first += o.str();
      }
      ++bad;
    }
    differing += bad ? 1 : 0;
  }
  std::string text() const {
    return std::to_string(differing) + " of " + std::to_string(transfers) + " transfers differ." + first;
  }
};

// The layernorm arithmetic of layernorm_int8.c with its three constants as parameters:
// epsilon, the numerator of 1/sqrt, and the shift of the normalisation.
void layernorm_reference(const int8_t* in, int8_t* out, uint32_t epsilon, uint32_t rsqrt_numerator, int shift) {
  int32_t sum = 0;
  for (int i = 0; i < 256; ++i) sum += in[i];
  const int32_t mean = sum / 256;
  int64_t var_sum = 0;
  for (int i = 0; i < 256; ++i) {
    const int32_t d = in[i] - mean;
    var_sum += static_cast<int64_t>(d * d);
  }
  const uint32_t x = static_cast<uint32_t>(var_sum / 256) + epsilon;
  uint32_t std_inv = 128;
  if (x != 0) {
    uint32_t s = x;
    if (x > 1) {  // Newton's integer square root, as the source's isqrt
      uint32_t y = (s + 1) / 2;
      while (y < s) s = y, y = (s + x / s) / 2;
    }
    if (s != 0) std_inv = rsqrt_numerator / s;
  }
  for (int i = 0; i < 256; ++i) {
    const int32_t normalized = ((in[i] - mean) * static_cast<int32_t>(std_inv)) >> shift;
    int32_t r = ((static_cast<int32_t>(in[256 + i]) * normalized) >> 7) + in[512 + i];
    out[i] = static_cast<int8_t>(std::min(127, std::max(-128, r)));
  }
}

std::vector<Bytes> layernorm_edges() {
  std::vector<Bytes> e;
  auto row = [&](auto x, auto gamma, auto beta) {
    Bytes t(768);
    for (int i = 0; i < 256; ++i) {
      t[i] = static_cast<uint8_t>(x(i));
      t[256 + i] = static_cast<uint8_t>(gamma(i));
      t[512 + i] = static_cast<uint8_t>(beta(i));
    }
    e.push_back(t);
  };
  row([](int) { return 0; }, [](int) { return 127; }, [](int i) { return i - 128; });          // variance 0
  row([](int) { return -128; }, [](int) { return -128; }, [](int) { return 127; });            // constant extreme
  row([](int i) { return i % 2 ? 127 : -128; }, [](int) { return 127; }, [](int) { return 0; });  // maximal variance
  row([](int i) { return i % 2 ? 1 : -1; }, [](int) { return 127; }, [](int) { return -128; });   // variance 1
  row([](int i) { return i == 0 ? -1 : 0; }, [](int) { return 127; }, [](int) { return 0; });     // sum -1: mean rounds to 0
  row([](int i) { return i - 128; }, [](int i) { return 127 - i; }, [](int i) { return i; });     // ramps
  return e;
}

}  // namespace

TEST_CASE("sim kernels: gelu-512 equals gelu_int8_512 compiled for the host on >= 500 random and the edge transfers") {
  const KernelRun k("gelu-512-2025-11-03");
  std::vector<Bytes> in = random_transfers(wanted(600, 40), 512, 512001);
  Bytes ramp(512), lo(512, 0x80), hi(512, 0x7F);
  for (int i = 0; i < 512; ++i) ramp[i] = static_cast<uint8_t>(i);
  in.push_back(ramp), in.push_back(lo), in.push_back(hi);
  const TileRunResult r = k.run(in);
  Diff d;
  for (size_t t = 0; t < in.size(); ++t) {
    Bytes want(512);
    gelu_int8_512(reinterpret_cast<const int8_t*>(in[t].data()), reinterpret_cast<int8_t*>(want.data()), 512);
    d.add(t, want, r.outputs.at("of_output").at(t));
  }
  std::printf("sim gelu-512: %zu transfers, %llu bundles, vs gelu_int8_512 on the host: %s\n", d.transfers,
              static_cast<unsigned long long>(r.core.bundles), d.text().c_str());
  INFO(d.text());
  CHECK(d.transfers == in.size());
  CHECK(d.differing == 0);
  for (const auto& u : r.inputs) CHECK(u.core_stores == 0);
}

TEST_CASE("sim kernels: layernorm-256 runs other constants than the source beside it: epsilon 128, 2^23/sqrt, >>15") {
  const KernelRun k("layernorm-256-2025-11-03");
  std::vector<Bytes> in = random_transfers(wanted(600, 40), 768, 256001);
  for (auto& e : layernorm_edges()) in.push_back(e);
  const TileRunResult r = k.run(in);
  Diff vs_source, vs_as_built, reference_vs_source;
  for (size_t t = 0; t < in.size(); ++t) {
    const auto* x = reinterpret_cast<const int8_t*>(in[t].data());
    Bytes source(256), as_built(256), reference(256);
    layernorm_int8_256(x, reinterpret_cast<int8_t*>(source.data()));
    // The parameterised reference is the source when given the source's constants...
    layernorm_reference(x, reinterpret_cast<int8_t*>(reference.data()), 1, 128 * 256, 8);
    reference_vs_source.add(t, source, reference);
    // ...and with the constants the binary holds, it is what the binary computes.
    layernorm_reference(x, reinterpret_cast<int8_t*>(as_built.data()), 128, 1u << 23, 15);
    vs_source.add(t, source, r.outputs.at("of_output").at(t));
    vs_as_built.add(t, as_built, r.outputs.at("of_output").at(t));
  }
  std::printf("sim layernorm-256: %zu transfers, %llu bundles; vs layernorm_int8_256 on the host: %zu differ; vs the binary's constants: %zu differ\n",
              vs_source.transfers, static_cast<unsigned long long>(r.core.bundles), vs_source.differing, vs_as_built.differing);
  INFO("reference with the source's constants vs the source: " << reference_vs_source.text());
  CHECK(reference_vs_source.differing == 0);
  INFO("sim vs the constants read from the binary: " << vs_as_built.text());
  CHECK(vs_as_built.differing == 0);
  INFO("sim vs the source: " << vs_source.text());
  CHECK(vs_source.differing > in.size() * 9 / 10);

  // Where the binary says so: the constants in layernorm_int8_256's instructions.
  const std::string listing = disassemble(k.elf());
  CHECK(listing.find("mova r1, #128") != std::string::npos);         // variance + 128
  CHECK(listing.find("movxm r1, #8388608") != std::string::npos);    // 2^23 / sqrt
  CHECK(listing.find("movx r1, #-15") != std::string::npos);         // ashl by -15: >> 15
  CHECK(listing.find("#32768") == std::string::npos);                 // the source's 128 * 256 is absent
}

TEST_CASE("sim kernels: matmul-32x32 equals its source with the stack moved, and with its own stack every wrong output had its input overwritten first") {
  const KernelRun moved("matmul-32x32-2025-11-03", 0x78000);
  const std::vector<Bytes> in = random_transfers(wanted(500, 12), 2048, 32001);
  Diff d;
  size_t t = 0;
  for (const TileRunResult& r : moved.run_chunked(in, 10)) {
    if (r.outputs.empty()) continue;  // a chunk left empty when there are fewer transfers than chunks
    for (const auto& u : r.inputs) CHECK(u.core_stores == 0);
    for (const Bytes& got : r.outputs.at("of_output")) {
      Bytes want(1024);
      matmul_int8_32x32_packed(reinterpret_cast<const int8_t*>(in[t].data()), reinterpret_cast<int8_t*>(want.data()));
      d.add(t++, want, got);
    }
  }
  std::printf("sim matmul-32x32, stack at 0x78000: %s\n", d.text().substr(0, d.text().find('.') + 1).c_str());
  INFO("stack moved to 0x78000: " << d.text());
  CHECK(d.transfers == in.size());
  CHECK(d.differing == 0);

  // The build's own stack (4352 B deep from 0x70000) runs over both input buffers.
  const KernelRun own("matmul-32x32-2025-11-03");
  const std::vector<Bytes> few(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(wanted(16, 4)));
  const TileRunResult r = own.run(few);
  size_t wrong = 0;
  for (size_t i = 0; i < few.size(); ++i) {
    Bytes want(1024);
    matmul_int8_32x32_packed(reinterpret_cast<const int8_t*>(few[i].data()), reinterpret_cast<int8_t*>(want.data()));
    if (want == r.outputs.at("of_output").at(i)) continue;
    ++wrong;
    const InputUse* use = nullptr;
    for (const auto& u : r.inputs)
      if (u.transfer == i) use = &u;
    REQUIRE(use);
    INFO("transfer " << i << " in " << use->buffer);
    CHECK(use->clobbered_bytes > 0);
    bool by_the_kernel_in_its_frame = false;
    for (const auto& w : use->writers)
      by_the_kernel_in_its_frame |= (w.function == "matmul_int8_32x32_packed" || w.function == "zero_memory_int32") && w.in_frame;
    CHECK(by_the_kernel_in_its_frame);
  }
  std::printf("sim matmul-32x32, own stack: %zu of %zu transfers wrong, each with its input overwritten before read; %llu bundles\n", wrong,
              few.size(), static_cast<unsigned long long>(r.core.bundles));
  CHECK(wrong > 0);
  CHECK(r.core.max_sp == 0x70000 + 4352);
}

TEST_CASE("sim kernels: every shared main.pdi writes exactly its ELF's loadable segments and the design's lock values") {
  for (const char* name : {"int32-2025-11-03", "int8-lut-2025-11-03", "matmul-32x32-2025-11-03", "gelu-512-2025-11-03",
                           "layernorm-256-2025-11-03"}) {
    INFO(name);
    const std::string dir = build_dir(name);
    const DeviceImage img = read_device_image(dir + "/main.pdi");
    const Design design = read_design(dir + "/input_physical_with_elfs.mlir");
    const DesignTile& t = design.tiles.at(design.core_tile);
    const Elf elf = read_elf(dir + "/main_core_0_2.elf");
    const std::vector<std::string> diffs = compare_with_elf(img, t.col, t.row, elf);
    std::string text;
    for (const auto& l : diffs) text += l + "; ";
    INFO(text);
    CHECK(diffs.empty());
    const TileImage* ti = img.tile(t.col, t.row);
    REQUIRE(ti);
    size_t locks = 0;
    for (const auto& l : design.locks) {
      if (l.tile != design.core_tile) continue;
      ++locks;
      CHECK(ti->locks.count(l.id));
      if (ti->locks.count(l.id)) CHECK(ti->locks.at(l.id) == l.init);
    }
    CHECK(locks > 0);
    CHECK(ti->core_control_written);
    // And the program a PDI loads runs as its ELF does (no symbols: writers are named by PC).
    CHECK_NOTHROW(load_core_source("", "", dir + "/main.pdi", design));
  }
}

TEST_CASE("sim kernels: a PDI with one program byte changed is told apart from its ELF, naming the address") {
  const std::string dir = build_dir("gelu-512-2025-11-03");
  const std::string bytes = read_text(dir + "/main.pdi");
  const DeviceImage good = parse_pdi(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "main.pdi");
  // The same ELF with one .text byte flipped: the comparison must find it at that offset.
  std::string elf_bytes = read_text(dir + "/main_core_0_2.elf");
  const Elf elf = parse_elf(reinterpret_cast<const uint8_t*>(elf_bytes.data()), elf_bytes.size(), "main_core_0_2.elf");
  CHECK(compare_with_elf(good, 0, 2, elf).empty());
  const ElfSegment* text = nullptr;
  for (const auto& seg : elf.segments)
    if (seg.executable() && seg.filesz > 8) text = &seg;
  REQUIRE(text);
  elf_bytes[text->offset + 8] = static_cast<char>(elf_bytes[text->offset + 8] ^ 0x40);
  const Elf other = parse_elf(reinterpret_cast<const uint8_t*>(elf_bytes.data()), elf_bytes.size(), "changed.elf");
  const auto diffs = compare_with_elf(good, 0, 2, other);
  REQUIRE(diffs.size() == 1);
  INFO(diffs[0]);
  CHECK(diffs[0].find("program memory: 1 bytes differ") != std::string::npos);
  char at[32];
  std::snprintf(at, sizeof at, "first at offset 0x%X", text->vaddr + 8);
  CHECK(diffs[0].find(at) != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
