// The core's rules one at a time, on small programs assembled by hand: load latency, delay slots, calls, loops, part-word stores, divs, 2D addressing, faults.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>

#include "fixtures/testing/test_support.hpp"
#include "sim/core/core.hpp"
#include "sim/load/elf.hpp"
#include "sim/inspect.hpp"
#include "sim/tests/encode.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck::aie2;
using namespace attncheck::aie2::enc;

namespace {

constexpr uint32_t kMem = 0x70000;
uint32_t r_dst(int n) { return static_cast<uint32_t>(n) << 2; }  // r_n in mMvSclDst
uint32_t dn_dst(int n) { return (static_cast<uint32_t>(n | 8) << 2) | 2; }
uint32_t dj_dst(int n) { return (static_cast<uint32_t>(n | 16) << 2) | 2; }
uint32_t dc_dst(int n) { return (static_cast<uint32_t>(n | 24) << 2) | 2; }

struct Run {
  Elf elf;
  std::unique_ptr<CompiledProgram> prog;
  std::unique_ptr<Core> core;
  Stop stop;
  explicit Run(std::vector<uint8_t> text, uint64_t budget = 10000) : elf(Elf::from_text("test.elf", std::move(text))) {
    prog = std::make_unique<CompiledProgram>(elf);
    core = std::make_unique<Core>(*prog);
    core->load_elf_images();
    stop = core->run(budget);
  }
  uint32_t r(int n) const { return core->reg(static_cast<uint8_t>(reg::R0 + n)); }
};

std::vector<uint8_t> movxm(uint32_t dst, uint32_t v) { return i48_lng(lng_movxm(dst, v)); }
std::vector<uint8_t> done() { return i32_alu(alu_done()); }

// Random one- to five-slot scalar bundles over r0..r5 and p0..p2 (few registers: collisions are
// the point), for the tests that hold two ways of running a program to each other. `byte_loads`
// adds lda.s8; `wide_moves` adds moves from p and m registers (20-bit sources).
struct RandomScalarBundles {
  std::mt19937& rng;
  bool byte_loads = false, wide_moves = false;
  int pick(int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); }
  int r() { return pick(6); }
  int p() { return pick(3); }
  uint64_t alu() {
    switch (pick(5)) {
      case 0: return alu_add_ri(r(), r(), pick(128));
      case 1: return alu_rr(kAdd, r(), r(), r());
      case 2: return alu_rr(pick(2) ? kSub : kLtu, r(), r(), r());
      case 3: return alu_mul(r(), r(), r());
      default: return alu_movx(r(), pick(2048) - 1024);
    }
  }
  uint64_t lda() {
    switch (pick(byte_loads ? 6 : 5)) {
      case 0: return lda_word_post_imm(scl_r(r()), p(), pick(2) ? 4 : -4);
      case 1: return lda_word_idx_imm(scl_r(r()), p(), 4 * pick(16));
      case 2: return lda_padda_imm(p(), pick(2) ? 4 : -4);
      case 3: return lda_st_s8_idx_imm(r(), p(), pick(64));
      case 5: return lda_s8_idx_imm(r(), p(), pick(4));
      default: return lda_word_idx_imm(scl_r(r()), p(), 4 * pick(4));
    }
  }
  uint64_t mv() {
    if (!wide_moves) return pick(4) ? mv_mov(r_dst(r()), scl_r(r())) : mv_mov_imm(r_dst(r()), pick(1024) - 512);
    switch (pick(5)) {
      case 0: return mv_mov_imm(r_dst(r()), pick(1024) - 512);
      case 1: return mv_mov(r_dst(r()), pick(2) ? mv_p(p()) : mv_m(pick(2)));  // a 20-bit source, read sign-extended
      default: return mv_mov(r_dst(r()), scl_r(r()));
    }
  }
  uint64_t st() { return st_word_idx_imm(scl_r(r()), p(), 4 * pick(16)); }
  std::vector<uint8_t> bundle() {
    switch (pick(10)) {
      case 0: return i32_alu(alu());
      case 1: return i32_lda(lda());
      case 2: return i32_mv(mv());
      case 3: return i32_st(st());
      case 4: case 5: return i48_lda_alu(lda(), alu());
      case 6: return i48_lda_mv(lda(), mv());
      case 7: return i64_alu_mv(alu(), mv());
      case 8: return i80_lda_alu_mv(lda(), alu(), mv());
      default: return i112_lda_ldb_alu_mv_st(lda(), kLdbNop, alu(), mv(), st());
    }
  }
};

}  // namespace

TEST_CASE("core: a load's result is read by the 7th bundle after it, not the 6th (II_LDA [7,1,1])") {
  Run run(program({movxm(mv_p(0), kMem), movxm(r_dst(1), 123), i32_st(st_word_idx_imm(scl_r(1), 0, 0)),
                   movxm(r_dst(2), 7), i32_lda(lda_word_idx_imm(scl_r(2), 0, 0)), i16_nop(), i16_nop(), i16_nop(),
                   i16_nop(), i16_nop(), i32_mv(mv_mov(r_dst(3), scl_r(2))), i32_mv(mv_mov(r_dst(4), scl_r(2))), done()}));
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.r(3) == 7);    // issued 6 bundles after the load: the old value
  CHECK(run.r(4) == 123);  // 7 bundles after: the loaded one
}

TEST_CASE("core: the five bundles after a branch run, the sixth does not") {
  // Bundles of 6 bytes: j at 0, delay slots at 6..30, the skipped bundle at 36, the target at 42.
  Run run(program({i48_lng(lng_j(42)), movxm(r_dst(1), 1), movxm(r_dst(2), 2), movxm(r_dst(3), 3), movxm(r_dst(4), 4),
                   movxm(r_dst(5), 5), movxm(r_dst(10), 99), done()}));
  REQUIRE(run.stop == Stop::Done);
  for (int k = 1; k <= 5; ++k) CHECK(run.r(k) == static_cast<uint32_t>(k));
  CHECK(run.r(10) == 0);
}

TEST_CASE("core: jl returns to the bundle after its five delay slots and ret goes there") {
  // jl at 0 (6 B), five 2-byte nops (6..15), the return point at 16, the callee at 26.
  Run run(program({i48_lng(lng_jl(26)), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(),
                   movxm(r_dst(7), 5), done(),                                   // 16: return point, 22: done
                   movxm(r_dst(6), 1), i32_alu(alu_ret()), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop()}));
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.r(6) == 1);
  CHECK(run.r(7) == 5);
  CHECK(run.core->reg(reg::LR) == 16);
}

TEST_CASE("core: a zero-overhead loop runs its body lc times (le is the body's last bundle)") {
  // Setup, seven 16-byte spacers as the compiler places them, body at L (two bundles), then done.
  std::vector<std::vector<uint8_t>> b = {movxm(kMvLs, 0), movxm(kMvLe, 0), i32_mv(mv_mov_imm(kMvLc, 3))};
  size_t addr = 6 + 6 + 4;
  for (int k = 0; k < 7; ++k) b.push_back(bytes_of(0x3C0, 0, 16)), addr += 16;  // nopb ; nopa ; nops ; nopxm ; nopv
  const uint32_t loop = static_cast<uint32_t>(addr), last = loop + 4;
  b[0] = movxm(kMvLs, loop);
  b[1] = movxm(kMvLe, last);
  b.push_back(i32_alu(alu_add_ri(1, 1, 1)));
  b.push_back(i32_alu(alu_add_ri(2, 2, 2)));
  b.push_back(done());
  const std::vector<uint8_t> text = program(b);
  Run run(text);
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.r(1) == 3);
  CHECK(run.r(2) == 6);
  CHECK(run.core->reg(reg::LC) == 0);
}

TEST_CASE("core: jnzd compares before it decrements") {
  // r1 = 2 (the backedge count), p1 = the loop; body: r3 += 1; jnzd r1, r1, p1; five slots; done.
  const uint32_t loop = 6 + 6;
  Run run(program({movxm(r_dst(1), 2), movxm(mv_p(1), loop), i32_alu(alu_add_ri(3, 3, 1)), i32_alu(alu_jnzd(1, 1, 1)),
                   i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), done()}));
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.r(3) == 3);
  CHECK(run.r(1) == 0xFFFFFFFFu);
}

TEST_CASE("core: a part-word store reads its data in E7 and rewrites its word in E11") {
  // st.s8 r1 at t; r1 changes at t+1, which the store still sees (data read at cycle 7); a word
  // store at t+2 into the same word is undone by the read-modify-write (II_STHB, MemoryCycles<[5,11]>).
  Run run(program({movxm(mv_p(0), kMem), movxm(r_dst(1), 0x11), movxm(r_dst(5), 0xAABBCCDD),
                   i32_lda(lda_st_s8_idx_imm(1, 0, 1)), movxm(r_dst(1), 0x22), i32_st(st_word_idx_imm(scl_r(5), 0, 0)),
                   i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), done()}));
  REQUIRE(run.stop == Stop::Done);
  uint32_t word;
  std::memcpy(&word, run.core->data(kMem, 4), 4);
  CHECK(word == 0x00002200u);
  CHECK(run.core->stats().part_word_hazards == 1);
}

TEST_CASE("core: 32 divs steps leave quotient in r31 and remainder in d, for any divisor") {
  const uint32_t cases[][2] = {{100, 7}, {0xFFFFFFFFu, 3}, {0xFFFFFFFFu, 0x80000001u}, {5, 0xFFFFFFF0u}, {12345678, 1}};
  for (const auto& c : cases) {
    std::vector<std::vector<uint8_t>> b = {movxm(r_dst(31), c[0]), movxm(r_dst(0), 0), movxm(r_dst(2), c[1])};
    for (int k = 0; k < 32; ++k) b.push_back(i32_alu(alu_divs(0, 0, 2)));
    b.push_back(done());
    const std::vector<uint8_t> text = program(b);
    Run run(text);
    INFO(c[0] << " / " << c[1]);
    REQUIRE(run.stop == Stop::Done);
    CHECK(run.r(31) == c[0] / c[1]);
    CHECK(run.r(0) == c[0] % c[1]);
  }
}

TEST_CASE("core: mul's result lands in the second cycle, an add's in the first") {
  Run run(program({movxm(r_dst(1), 6), movxm(r_dst(2), 7), i32_alu(alu_mul(3, 1, 2)), i32_mv(mv_mov(r_dst(4), scl_r(3))),
                   i32_mv(mv_mov(r_dst(5), scl_r(3))), done()}));
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.r(4) == 0);   // the bundle right after mul reads the old r3
  CHECK(run.r(5) == 42);
}

TEST_CASE("core: 2D post-modify steps by dj until dc reaches dn, then by m") {
  Run run(program({movxm(mv_p(0), 0), i32_mv(mv_mov_imm(dn_dst(0), 1)), i32_mv(mv_mov_imm(dj_dst(0), 4)),
                   i32_mv(mv_mov_imm(mv_m(0), 100)), i32_mv(mv_mov_imm(dc_dst(0), 0)), i32_lda(lda_padda_2d(0, 0)),
                   i32_lda(lda_padda_2d(0, 0)), i32_lda(lda_padda_2d(0, 0)), done()}));
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.core->reg(reg::P0) == 108);  // +4, then +100 (wrap), then +4
  CHECK(run.core->reg(reg::DC0) == 1);
}

// Latency-1 results a bundle writes straight into the register file as it issues
// (MicroOp::direct) against the write ring every result used to go through: random programs of
// one- to four-slot bundles over few registers (in I112_LDA_LDB_ALU_MV_ST, alu and mv may write the
// register st then reads), so that a slot reads what another writes in the same bundle, a load's
// result lands in the cycle an add writes the same register, post-modified
// pointers are read beside their update, and part-word stores (which read their data register as
// a cycle's writes land) are in flight. Both cores step one cycle at a time; every register must
// be equal after every cycle, and the memory and counters at the end. A failure names the seed
// and the cycle.
TEST_CASE("core: results written as they issue (MicroOp::direct) equal the write ring, cycle by cycle, on 600 random programs") {
  uint64_t direct_bundles = 0;
  for (uint32_t seed = 1; seed <= 600; ++seed) {
    std::mt19937 rng(seed);
    RandomScalarBundles gen{rng};
    std::vector<std::vector<uint8_t>> b;
    for (int k = 0; k < 3; ++k) b.push_back(movxm(mv_p(k), kMem + 0x4000 + 0x800 * static_cast<uint32_t>(k)));
    for (int k = 0; k < 6; ++k) b.push_back(movxm(r_dst(k), static_cast<uint32_t>(rng())));
    for (int k = 0; k < 160; ++k) b.push_back(gen.bundle());
    b.push_back(done());
    const std::vector<uint8_t> text = program(b);
    const Elf elf = Elf::from_text("random.elf", text);
    CompiledProgram direct(elf), ring(elf);
    ring.write_all_results_through_ring();
    for (const auto& pb : direct.bundles())
      direct_bundles += std::any_of(pb.ops, pb.ops + pb.nops, [](const MicroOp& u) { return (u.flags & kDirectMask) != 0; });
    Core a(direct), c(ring);
    a.load_elf_images();
    c.load_elf_images();
    INFO("seed " << seed);
    Stop sa = Stop::CycleLimit, sc = Stop::CycleLimit;
    bool same = true;
    for (int cycle = 0; cycle < 400 && sa != Stop::Done && same; ++cycle) {
      sa = a.run(1);
      sc = c.run(1);
      INFO("cycle " << cycle);
      REQUIRE(sa == sc);
      int differs = -1;
      for (int k = 0; k < reg::kCount && differs < 0; ++k)
        if (a.reg(static_cast<uint8_t>(k)) != c.reg(static_cast<uint8_t>(k))) differs = k;
      INFO("first differing register " << differs);
      same = differs < 0;
      CHECK(same);
    }
    REQUIRE(sa == Stop::Done);
    CHECK(std::memcmp(a.data(kMem, 0x10000), c.data(kMem, 0x10000), 0x10000) == 0);
    CHECK(a.stats().part_word_hazards == c.stats().part_word_hazards);
  }
  CHECK(direct_bundles > 20000);  // the programs exercise the direct writes, not only the ring
}

// docs/aie2.md: a 20-bit register read as a 32-bit source is sign-extended (MicroOp's
// kReadsWide marks the micro-ops that need it), in a plain bundle as in one the general step
// issues (after a branch, in its delay slots).
TEST_CASE("core: a 20-bit register read as a 32-bit source is sign-extended, in plain bundles and in a branch's delay slots") {
  const uint32_t after = 6 + 6 + 6 + 4 + 4 + 6;  // the bundle after the jump
  Run run(program({movxm(mv_m(0), 0x80004), movxm(mv_m(1), 0x7FFFC), movxm(mv_p(0), 0xFFFFF), i32_mv(mv_mov(r_dst(1), mv_m(0))),
                   i32_mv(mv_mov(r_dst(2), mv_m(1))), i48_lng(lng_j(after)), i32_mv(mv_mov(r_dst(3), mv_p(0))),
                   i32_alu(alu_add_ri(4, 1, 0)), i16_nop(), i16_nop(), i16_nop(), done()}));
  REQUIRE(run.stop == Stop::Done);
  CHECK(run.r(1) == 0xFFF80004u);
  CHECK(run.r(2) == 0x0007FFFCu);
  CHECK(run.r(3) == 0xFFFFFFFFu);  // in the jump's first delay slot
  CHECK(run.r(4) == 0xFFF80004u);  // r1 through an add
  CHECK(run.core->stats().plain_bundles > 0);
}

// Plain stretches (Core::run_plain: bundles with no branch, lock, part-word store or vector
// micro-op, issued without the general step's checks while no branch is pending and no part-word
// store or vector result is in flight) against the same program with no bundle plain
// (CompiledProgram::no_plain_stretches), which issues every bundle through the general step.
// Random programs: a zero-overhead loop over a random stretch of the body (LC 1..4), forward
// jnz branches with their five delay slots (taken or not by the data), part-word stores whose
// store lands up to six bundles into a stretch, loads landing seven cycles later, moves from
// pointer registers (20-bit sources read sign-extended), post-modified pointers. Both cores run
// the same random budgets (1..40 bundles), so stretches start and stop everywhere; after every
// run the stop, every register, the PC, the cycle and the issued count must be equal, and the
// memory and hazard count at the end. A failure names the seed and the call.
TEST_CASE("core: plain stretches (ProgramBundle::plain) equal the bundle-at-a-time step on 400 random programs with loops, branches and part-word stores") {
  uint64_t plain_issued = 0, issued = 0, loop_backs = 0;
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    std::mt19937 rng(seed);
    RandomScalarBundles gen{rng, true, true};
    auto pick = [&](int n) { return gen.pick(n); };
    auto r = [&] { return gen.r(); };
    // The body first, branches as placeholders; addresses once every size is known.
    std::vector<std::vector<uint8_t>> body;
    std::vector<int> branch_at;
    const int n = 100 + pick(60);
    int quiet = 0;  // bundles since the last branch: none in a branch's five delay slots
    for (int k = 0; k < n; ++k) {
      if (quiet >= 5 && k + 8 < n && pick(12) == 0) {
        branch_at.push_back(k);
        body.push_back(i48_lng(lng_jnz(r(), 0)));
        quiet = 0;
        continue;
      }
      ++quiet;
      body.push_back(gen.bundle());
    }
    std::vector<std::vector<uint8_t>> setup;
    for (int k = 0; k < 3; ++k) setup.push_back(movxm(mv_p(k), kMem + 0x4000 + 0x800 * static_cast<uint32_t>(k)));
    for (int k = 0; k < 6; ++k) setup.push_back(movxm(r_dst(k), static_cast<uint32_t>(rng())));
    for (int k = 0; k < 2; ++k) setup.push_back(movxm(mv_m(k), static_cast<uint32_t>(rng()) & 0xFFFFF));  // half with bit 19 set
    const size_t ls_at = setup.size();
    setup.push_back(movxm(kMvLs, 0));
    setup.push_back(movxm(kMvLe, 0));
    setup.push_back(i32_mv(mv_mov_imm(kMvLc, 1 + pick(4))));
    uint32_t at = 0;
    for (const auto& x : setup) at += static_cast<uint32_t>(x.size());
    std::vector<uint32_t> addr;
    for (const auto& x : body) addr.push_back(at), at += static_cast<uint32_t>(x.size());
    int ls = pick(n / 2);
    // A third of the loops start at a branch: a stretch's loop-back lands on a bundle it must not run.
    if (pick(3) == 0 && !branch_at.empty() && branch_at[0] < n / 2) ls = branch_at[0];
    int le = ls + 1 + pick(n / 2 - 1);
    // Not a branch: its loop-back would land the loop start in the branch's delay slots, which the
    // core refuses (a branch at LS would then issue inside them).
    if (std::count(branch_at.begin(), branch_at.end(), le)) ++le;
    setup[ls_at] = movxm(kMvLs, addr[static_cast<size_t>(ls)]);
    setup[ls_at + 1] = movxm(kMvLe, addr[static_cast<size_t>(le)]);
    for (const int k : branch_at)  // forward, past the delay slots: the program ends
      body[static_cast<size_t>(k)] = i48_lng(lng_jnz(r(), addr[static_cast<size_t>(k + 6 + pick(n - k - 6))]));
    setup.insert(setup.end(), body.begin(), body.end());
    setup.push_back(done());
    const std::vector<uint8_t> text = program(setup);
    const Elf elf = Elf::from_text("random.elf", text);
    CompiledProgram stretched(elf), stepped(elf);
    stepped.no_plain_stretches();
    Core a(stretched), c(stepped);
    a.load_elf_images();
    c.load_elf_images();
    INFO("seed " << seed);
    Stop sa = Stop::CycleLimit, sc = Stop::CycleLimit;
    bool same = true;
    for (int call = 0; call < 2000 && sa != Stop::Done && same; ++call) {
      const uint64_t budget = pick(4) == 0 ? 1 : 1 + static_cast<uint64_t>(pick(40));
      const uint32_t lc_before = c.reg(reg::LC);
      sa = a.run(budget);
      sc = c.run(budget);
      loop_backs += c.reg(reg::LC) != lc_before;
      INFO("call " << call << ", budget " << budget);
      REQUIRE(sa == sc);
      int differs = -1;
      for (int k = 0; k < reg::kCount && differs < 0; ++k)
        if (a.reg(static_cast<uint8_t>(k)) != c.reg(static_cast<uint8_t>(k))) differs = k;
      INFO("first differing register " << differs);
      same = differs < 0 && a.pc() == c.pc() && a.cycle() == c.cycle() && a.stats().bundles == c.stats().bundles;
      CHECK(same);
    }
    REQUIRE(sa == Stop::Done);
    CHECK(std::memcmp(a.data(kMem, 0x10000), c.data(kMem, 0x10000), 0x10000) == 0);
    CHECK(a.stats().part_word_hazards == c.stats().part_word_hazards);
    CHECK(c.stats().plain_bundles == 0);
    plain_issued += a.stats().plain_bundles, issued += a.stats().bundles;
  }
  // The stretches carried a good part of the work (budgets of 1 and part-word stores end them),
  // and the loops went round.
  INFO(plain_issued << " of " << issued << " bundles in plain stretches, " << loop_backs << " calls moved lc");
  CHECK(plain_issued * 3 > issued);
  CHECK(loop_backs > 400);
}

TEST_CASE("core: faults stop with one line naming PC, bundle and function") {
  SECTION("a load outside the data memory") {
    try {
      Run run(program({movxm(mv_p(0), 0x60000), i32_lda(lda_word_idx_imm(scl_r(1), 0, 0)), done()}));
      FAIL("no fault");
    } catch (const SimError& e) {
      const std::string m = e.what();
      CHECK(m.find("outside the tile's data memory") != std::string::npos);
      CHECK(m.find("PC 0x6") != std::string::npos);
      CHECK(m.find("bundle 'lda r1, [p0, #0]'") != std::string::npos);
      CHECK(m.find('\n') == std::string::npos);
    }
  }
  SECTION("an unknown instruction") {
    try {
      Run run(program({movxm(r_dst(1), 1), bytes_of(0xF8000039u, 0, 4)}));
      FAIL("no fault");
    } catch (const SimError& e) {
      CHECK(std::string(e.what()).find("unknown instruction at PC 0x6") != std::string::npos);
    }
  }
  SECTION("the cycle budget of a program that never ends") {
    Run run(program({i48_lng(lng_j(0)), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop()}), 5000);
    CHECK(run.stop == Stop::CycleLimit);
    CHECK(run.core->stats().bundles == 5000);
  }
  SECTION("a stream-port access with no array around the core (the single-core simulator)") {
    try {
      Run run(program({i32_lda(lda_mov_from_ss(1)), done()}));
      FAIL("no fault");
    } catch (const SimError& e) {
      CHECK(std::string(e.what()).find("reads its input stream port (mov r, SS): stream ports are connected only when the whole array runs") !=
            std::string::npos);
    }
  }
  SECTION("a read of the stream status register srSS0 (TLAST and .nb success: not modelled)") {
    // mov r1, srSS0: mMvSclSrc codes a status register as (its encoding << 3) | 0b101
    // (AIE2MCCodeEmitter::getmMvSclSrcOpValue), srSS0's encoding 0b0111 (AIE2StatusReg<0b0111, "srSS0">).
    try {
      Run run(program({i32_mv(mv_mov(r_dst(1), (0b0111u << 3) | 0b101u)), done()}));
      FAIL("no fault");
    } catch (const SimError& e) {
      CHECK(std::string(e.what()).find("reads a stream status register, which the simulator does not model") != std::string::npos);
    }
  }
  SECTION("a read of CORE_ID where no array fixes the tile's column") {
    // mov r1, CORE_ID: mMvSclSrc codes CORE_ID as its register encoding alone (getmMvSclSrcOpValue's switch),
    // 0b0110111 (the low bits 111 of the special registers, as kMvSp; the RyzenAI GEMM's 'mov r24, CORE_ID').
    try {
      Run run(program({i32_mv(mv_mov(r_dst(1), 0b0110111u)), done()}));
      FAIL("no fault");
    } catch (const SimError& e) {
      CHECK(std::string(e.what()).find("mov r, CORE_ID: its column bits (16-22) are the physical column of the tile") != std::string::npos);
    }
  }
  SECTION("an acquire nobody will release stalls the core") {
    // acq #48, r1 with r1 = -1: lock 0 starts at 0.
    const uint64_t acq = cat({{48, 6}, {0, 1}, {0, 1}, {0b01, 2}, {1, 5}, {0b00100, 5}});
    Run run(program({movxm(r_dst(1), 0xFFFFFFFFu), i32_alu(acq), done()}));
    CHECK(run.stop == Stop::Blocked);
    CHECK(run.core->pc() == 6);
  }
}

// CORE_ID (UG1583 "Core ID"): the row in bits 0-4, the column in bits 16-22, as the whole array sets
// it (Core::set_core_id); `mov r, CORE_ID` lands in the next bundle, as a move does.
TEST_CASE("core: mov r, CORE_ID reads the row in bits 0-4 and the column in bits 16-22, set by the array") {
  const Elf elf = Elf::from_text("core_id.elf", program({i32_mv(mv_mov(r_dst(1), 0b0110111u)), i32_mv(mv_mov(r_dst(2), scl_r(1))), done()}));
  CompiledProgram prog(elf);
  for (const auto& [col, row] : std::vector<std::pair<uint32_t, uint32_t>>{{0, 2}, {3, 5}, {4, 4}}) {
    Core core(prog);
    core.load_elf_images();
    core.set_core_id(row | col << 16);
    CHECK(core.run(100) == Stop::Done);
    CHECK(core.reg(static_cast<uint8_t>(reg::R0 + 1)) == (row | col << 16));
    CHECK(core.reg(static_cast<uint8_t>(reg::R0 + 2)) == (row | col << 16));  // read by the next bundle
  }
}

TEST_CASE("core: a vector-unit instruction is refused with its text and PC before any cycle runs") {
  // The decoder reads the whole vec slot now; the scalar core still executes none of it, and
  // CompiledProgram names the first such instruction in one line (sim/core/core.cpp is unchanged).
  // vnegmac: no public text fixes its formula (docs/aie2-vector.md), so the vector unit refuses it.
  const std::vector<uint8_t> text = program({i16_nop(), i32_vec(vec_vmac(1, 1, 3, 2, core1_dense(1, 11), 7)), i16_nop()});
  const Elf elf = Elf::from_text("vec.elf", text);
  std::string msg;
  try {
    CompiledProgram p(elf);
  } catch (const SimError& e) {
    msg = e.what();
  }
  INFO(msg);
  CHECK(msg.find("at PC 0x2") != std::string::npos);
  CHECK(msg.find("'vnegmac cm3, cm2, x1, x11, r7' (VNEGMAC_vmac_cm_core_dense) is decoded but not simulated") != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("core: the user's vector builds compile except where the vector unit refuses, named, before running") {
  // gelu, layernorm, softmax and matmul-bf16 use only vinsert.32, vmov bmh x, vconv.bf16.fp32 and
  // vextract.s16 (the fp32 -> bf16 cast); matmul-bf16-vectorized also holds vmac.f and friends.
  for (const char* b : {"gelu-bf16-2025-11-22", "layernorm-bf16-2025-11-22", "softmax-bf16-2025-11-22", "matmul-bf16-2025-11-22"}) {
    const Elf elf = read_elf(attncheck::testing::shared_dir() + "/aie2/" + b + "/main_core_0_2.elf");
    INFO(b);
    CHECK_NOTHROW(CompiledProgram(elf));
  }
  const Elf elf = read_elf(attncheck::testing::shared_dir() + "/aie2/matmul-bf16-vectorized-2025-11-22/main_core_0_2.elf");
  std::string first;  // the first bundle, in address order, holding an instruction lower_vector refuses
  for (const Bundle& bd : decode_program(elf).bundles)
    for (const auto& s : bd.slots) {
      MicroOp u;
      std::string why;
      if (first.empty() && s.enc && s.enc->sem == Sem::Unsupported && !lower_vector(s, &u, &why)) first = "'" + format_slot(s) + "' (" + s.enc->name + ")";
    }
  std::string msg;
  try {
    CompiledProgram p(elf);
  } catch (const SimError& e) {
    msg = e.what();
  }
  INFO(msg);
  REQUIRE_FALSE(first.empty());
  CHECK(msg.find(first + " is decoded but not simulated") != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("core: the watch names exactly the bytes stored before their first load, per region, on 300 random access sequences, refilled halfway") {
  // The watch's rule (docs/reliability.md, the stack-over-data finding): per region and byte, the
  // cycle of the first store since the fill (a store's bytes counted in its first byte's region,
  // up to that region's end) and of the first load (each byte in the region the map gives it, the
  // later of two overlapping regions); a byte is clobbered when its first store came first. The
  // oracle keeps those two cycles per byte, as the rule says; the core keeps bits. Halfway through
  // each sequence every region is filled again (the DMA's mark_filled): only what follows counts.
  struct Access {
    int kind;  // 0 st word, 1 lda word, 2 vldb 256-bit, 3 lda.s8 (any byte: a later word load then
               // finds some of its bytes seen and some not), 4 st word and lda word of the same
               // word in one bundle (a store and a load in one cycle: no clobber, whichever comes first)
    uint32_t offset;
  };
  const std::vector<uint8_t> vldb = {0x19, 0x08, 0x11, 0x39};  // vldb wl4, [p1, dj0]
  const std::vector<std::vector<WatchRegion>> layouts = {
      {{"a", kMem + 0x100, 0x36}, {"b", kMem + 0x136, 0x2A}},                      // adjacent, not word-aligned
      {{"a", kMem + 0x100, 0x36}, {"b", kMem + 0x130, 0x30}},                      // overlapping: b owns 0x130..0x135
      {{"a", kMem + 0x108, 0x10}, {"b", kMem + 0x120, 0x21}, {"c", kMem + 0x150, 0x30}},  // gaps between
  };
  std::mt19937 rng(2024);
  int clobbered_seen = 0, same_cycle_seen = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const auto& regions = layouts[static_cast<size_t>(trial) % layouts.size()];
    std::vector<Access> seq;
    for (int k = 0, n = 10 + static_cast<int>(rng() % 40); k < n; ++k) {
      const int kind = static_cast<int>(rng() % 6 == 0 ? 4 : rng() % 5 == 0 ? 2 : rng() % 4 == 0 ? 3 : rng() % 2);
      seq.push_back({kind, static_cast<uint32_t>(kind == 2 ? 32 * (rng() % 4) : kind == 3 ? rng() % 128 : 4 * (rng() % 32))});
    }
    std::vector<std::vector<uint8_t>> bundles = {movxm(mv_p(0), kMem + 0x100), movxm(mv_p(1), kMem + 0x100), movxm(r_dst(1), 0x5A5A5A5A)};
    std::vector<int> cycle_of;  // the bundle index each access issues in
    int refill_at = -1;             // the cycle of the refill, amid nops no access is in flight over
    for (const Access& a : seq) {
      if (&a == &seq[seq.size() / 2]) {
        for (int k = 0; k < 8; ++k) bundles.push_back(i16_nop());
        refill_at = static_cast<int>(bundles.size()) - 4;
      }
      if (a.kind == 2) {
        bundles.push_back(movxm(dj_dst(0), a.offset));
        bundles.push_back(i16_nop());
      }
      if (a.kind == 3) {
        bundles.push_back(movxm(mv_p(2), kMem + 0x100 + a.offset));
        bundles.push_back(i16_nop());
      }
      cycle_of.push_back(static_cast<int>(bundles.size()));
      if (a.kind == 0) bundles.push_back(i32_st(st_word_idx_imm(scl_r(1), 0, static_cast<int>(a.offset))));
      else if (a.kind == 1) bundles.push_back(i32_lda(lda_word_idx_imm(scl_r(2), 0, static_cast<int>(a.offset))));
      else if (a.kind == 3) bundles.push_back(i32_lda(lda_s8_idx_imm(3, 2, 0)));
      else if (a.kind == 4)
        bundles.push_back(i112_lda_ldb_alu_mv_st(lda_word_idx_imm(scl_r(2), 0, static_cast<int>(a.offset)), kLdbNop,
                                                 alu_add_ri(5, 5, 0), mv_nop(), st_word_idx_imm(scl_r(1), 0, static_cast<int>(a.offset))));
      else bundles.push_back(vldb);
    }
    for (int k = 0; k < 8; ++k) bundles.push_back(i16_nop());
    bundles.push_back(done());
    const std::vector<uint8_t> text = program(bundles);
    const Elf elf = Elf::from_text("watch.elf", text);
    CompiledProgram prog(elf);
    Core core(prog);
    core.load_elf_images();
    core.set_watch(regions);
    REQUIRE(core.run(static_cast<uint64_t>(refill_at)) == Stop::CycleLimit);
    REQUIRE(core.stats().bundles == static_cast<uint64_t>(refill_at));
    for (size_t r = 0; r < regions.size(); ++r) core.mark_filled(static_cast<int>(r));
    REQUIRE(core.run(100000) == Stop::Done);

    // The oracle.
    constexpr int kNever = -1;
    auto owner = [&](uint32_t addr) {
      int r = -1;
      for (size_t i = 0; i < regions.size(); ++i)
        if (addr >= regions[i].address && addr < regions[i].address + regions[i].size) r = static_cast<int>(i);
      return r;
    };
    std::vector<std::vector<int>> st(regions.size()), ld(regions.size());
    for (size_t i = 0; i < regions.size(); ++i) st[i].assign(regions[i].size, kNever), ld[i].assign(regions[i].size, kNever);
    for (size_t k = 0; k < seq.size(); ++k) {
      if (cycle_of[k] < refill_at) continue;  // before the refill
      const uint32_t addr = kMem + 0x100 + seq[k].offset, width = seq[k].kind == 2 ? 32 : seq[k].kind == 3 ? 1 : 4;
      if (seq[k].kind == 0 || seq[k].kind == 4) {
        const int r = owner(addr);
        if (r < 0) continue;
        for (uint32_t b = 0; b < width && addr - regions[r].address + b < regions[r].size; ++b) {
          int& c = st[r][addr - regions[r].address + b];
          if (c == kNever) c = cycle_of[k];
        }
      }
      if (seq[k].kind != 0) {
        for (uint32_t b = 0; b < width; ++b) {
          const int r = owner(addr + b);
          if (r < 0) continue;
          int& c = ld[r][addr + b - regions[r].address];
          if (c == kNever) c = cycle_of[k];
        }
      }
    }
    for (size_t r = 0; r < regions.size(); ++r) {
      std::vector<std::pair<uint32_t, uint32_t>> want;
      for (uint32_t off = 0; off < regions[r].size; ++off) {
        same_cycle_seen += st[r][off] != kNever && st[r][off] == ld[r][off];
        if (st[r][off] == kNever || ld[r][off] == kNever || st[r][off] >= ld[r][off]) continue;
        if (!want.empty() && want.back().second + 1 == off) want.back().second = off;
        else want.push_back({off, off});
      }
      INFO("trial " << trial << ", region " << regions[r].name);
      CHECK(core.clobbered_before_use(static_cast<int>(r)) == want);
      clobbered_seen += !want.empty();
    }
  }
  CHECK(clobbered_seen > 100);  // the sequences do clobber, in every layout
  CHECK(same_cycle_seen > 20);   // and store a byte first in the cycle of its first load
}

// A word load whose first byte a byte load has already seen still counts as the first load of its
// other three bytes (Core::load_sized tests all of the access's bits, not its first byte's): a
// store after it does not clobber them.
TEST_CASE("core: the watch counts a word load's later bytes when a byte load saw its first one") {
  const std::vector<uint8_t> text = program({movxm(mv_p(0), kMem + 0x100), movxm(mv_p(2), kMem + 0x100), movxm(r_dst(1), 0x5A5A5A5A),
                                             i32_lda(lda_s8_idx_imm(3, 2, 0)),                  // byte 0
                                             i32_lda(lda_word_idx_imm(scl_r(2), 0, 0)),         // bytes 0..3: 1..3 first
                                             i32_st(st_word_idx_imm(scl_r(1), 0, 0)),           // then stored
                                             i32_lda(lda_s8_idx_imm(3, 2, 1)), i16_nop(),       // byte 1 again i16_nop(), i16_nop(), i16_nop(),
                                             i16_nop(), i16_nop(), i16_nop(), done()});
  const Elf elf = Elf::from_text("watch.elf", text);
  CompiledProgram prog(elf);
  Core core(prog);
  core.load_elf_images();
  core.set_watch({{"a", kMem + 0x100, 8}});
  REQUIRE(core.run(1000) == Stop::Done);
  CHECK(core.clobbered_before_use(0).empty());
}

// A copy of a core (the free quanta's checkpoint: sim/array/array.cpp) put back into a core that
// ran on in between runs on exactly as the copied one: registers, data memory, stats, PC, cycle,
// and what the watch recorded (store sites, clobbered bytes), on random programs of stores,
// loads, part-word stores, 256-bit vector loads and post-incremented loads over watched regions.
TEST_CASE("core: a copy assigned back over a core that ran on runs on exactly as the copied core did, its memory where it was") {
  const std::vector<uint8_t> vldb = {0x19, 0x08, 0x11, 0x39};  // vldb wl4, [p1, dj0]
  const std::vector<WatchRegion> regions = {{"a", kMem + 0x100, 0x36}, {"b", kMem + 0x136, 0x2A}, {"c", kMem + 0x180, 0x40}};
  std::mt19937 rng(20261207);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::vector<uint8_t>> bundles = {movxm(mv_p(0), kMem + 0x100), movxm(mv_p(1), kMem + 0x100), movxm(r_dst(1), rng()),
                                                 movxm(mv_p(2), kMem + 0x140)};
    for (int k = 0, n = 20 + static_cast<int>(rng() % 60); k < n; ++k) {
      const uint32_t off = 4 * (rng() % 48);
      switch (rng() % 6) {
        case 0: bundles.push_back(i32_st(st_word_idx_imm(scl_r(1), 0, static_cast<int>(off % 64)))); break;
        case 1: bundles.push_back(i32_lda(lda_word_idx_imm(scl_r(2), 0, static_cast<int>(off % 64)))); break;
        case 2: bundles.push_back(i32_lda(lda_st_s8_idx_imm(1, 2, static_cast<int>(rng() % 4)))); break;
        case 3:
          bundles.push_back(movxm(dj_dst(0), 32 * (rng() % 4)));
          bundles.push_back(vldb);
          break;
        case 4: bundles.push_back(i32_lda(lda_word_post_imm(scl_r(3), 2, 4))); break;  // p2 moves on
        default: bundles.push_back(i32_alu(alu_add_ri(1, 1, static_cast<int>(rng() % 64)))); break;
      }
    }
    for (int k = 0; k < 8; ++k) bundles.push_back(i16_nop());
    bundles.push_back(done());
    const std::vector<uint8_t> text = program(bundles);
    const Elf elf = Elf::from_text("copy.elf", text);
    CompiledProgram prog(elf);
    Core core(prog);
    core.load_elf_images();
    core.set_watch(regions);
    const uint64_t split = 1 + rng() % (bundles.size() - 1);
    REQUIRE(core.run(split) == Stop::CycleLimit);
    Core copy(core);                       // as the checkpoint is made the first time
    Core reused(prog);                     // and as it is made again: assigned over another core
    reused = core;
    const uint8_t* const memory = core.memory_data();
    REQUIRE(core.run(100000) == Stop::Done);  // the original runs on: what the copies must give
    const auto state = [&](Core& c) {
      std::ostringstream o;
      o << c.pc() << ' ' << c.cycle() << ' ' << c.stats().bundles << ' ' << c.stats().max_sp << ';';
      for (int r = 0; r < 256; ++r) o << c.reg(static_cast<uint8_t>(r)) << ',';
      for (size_t r = 0; r < regions.size(); ++r) {
        for (const auto& [a, b] : c.clobbered_before_use(static_cast<int>(r))) o << a << '-' << b << ',';
        for (const StoreSite& site : c.store_sites(static_cast<int>(r)))
          o << site.pc << ':' << site.first_byte << ':' << site.last_byte << ':' << site.stores << ':' << site.in_frame << ',';
      }
      return o.str() + std::string(reinterpret_cast<const char*>(c.memory_data()), kDataMemBytes);
    };
    const std::string want = state(core);
    INFO("trial " << trial << ", copied after " << split << " bundles");
    for (Core* from : {&copy, &reused}) {
      core = *from;  // put back: the memory copied into the bytes the core has
      CHECK(core.memory_data() == memory);
      REQUIRE(core.run(100000) == Stop::Done);
      CHECK(state(core) == want);
    }
  }
}

TEST_CASE("core: a part-word store into a neighbour still in flight keeps run_isolated from issuing until it has landed") {
  // st.s8 writes its word in E11, six cycles after it issues (II_STHB): one issued by the tile-order
  // pass (run) into the west neighbour lands in a later quantum, and that write is the tile order's:
  // run_isolated must issue nothing while it is in flight (found by the random-program test of
  // sim/tests/test_array.cpp, where the isolated run stopped with an internal error instead).
  const std::vector<uint8_t> text = program({movxm(mv_p(0), 0x50003), movxm(r_dst(1), 0x5A), i32_lda(lda_st_s8_idx_imm(1, 0, 0)), i16_nop(),
                                             i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), done()});
  const Elf elf = Elf::from_text("in_flight.elf", text);
  CompiledProgram prog(elf);
  std::vector<uint8_t> west_a(65536, 0xA5), west_b(65536, 0xA5);
  std::array<int, 16> locks{};
  Core isolated(prog), whole(prog);
  for (Core* c : {&isolated, &whole}) c->load_elf_images();
  isolated.set_neighbour(1, {west_a.data(), locks.data()});
  whole.set_neighbour(1, {west_b.data(), locks.data()});
  REQUIRE(isolated.run(3) == Stop::CycleLimit);  // the two set-ups and the st.s8: in flight now
  for (int k = 0; k < 6; ++k) {
    INFO("cycle " << isolated.cycle());
    REQUIRE(isolated.run_isolated(1000) == Stop::Neighbour);
    CHECK(isolated.stats().bundles == static_cast<uint64_t>(3 + k));  // nothing issued isolated
    CHECK(west_a[3] == 0xA5);                                           // not landed yet
    REQUIRE(isolated.run(1) == Stop::CycleLimit);                       // one cycle in tile order
  }
  CHECK(west_a[3] == 0x5A);  // landed at the end of its sixth cycle
  CHECK(isolated.run_isolated(1000) == Stop::Done);  // then nothing leaves the tile
  CHECK(whole.run(1000) == Stop::Done);
  CHECK(isolated.cycle() == whole.cycle());
  CHECK(isolated.stats().bundles == whole.stats().bundles);
  CHECK(west_a == west_b);
}

TEST_CASE("core: run_isolated stops before the first bundle that would leave the tile, having issued none of it, and run then gives the one-run result") {
  // Core::stays_in_tile reads each load, store and lock operation's address or id from the
  // registers as the bundle issues (sim/core/core.cpp). Each program below sets p0/p1/r1 (3
  // bundles), then one access; run_isolated must stop exactly there, and finishing with run must
  // equal running it with run alone: registers, cycle, bundles, and the neighbour's memory and locks.
  const uint64_t acq_west = cat({{16, 6}, {0, 1}, {0, 1}, {0b01, 2}, {1, 5}, {0b00100, 5}});  // acq #16 (west lock 0), r1
  const uint64_t acq_own = cat({{48, 6}, {0, 1}, {0, 1}, {0b01, 2}, {1, 5}, {0b00100, 5}});   // acq #48 (own lock 0), r1
  const std::vector<uint8_t> vldb = {0x19, 0x08, 0x11, 0x39};                                   // vldb wl4, [p1, dj0]
  struct Case {
    const char* what;
    uint32_t p0, p1;
    std::vector<uint8_t> access;
    bool leaves;
  };
  const std::vector<Case> cases = {
      {"st to the west neighbour", 0x50010, kMem, i32_st(st_word_idx_imm(scl_r(1), 0, 0)), true},
      {"st to the south neighbour at the end of its memory", 0x4FFFC, kMem, i32_st(st_word_idx_imm(scl_r(1), 0, 0)), true},
      {"st to the last word of its own memory", 0x7FFFC, kMem, i32_st(st_word_idx_imm(scl_r(1), 0, 0)), false},
      {"lda from the north neighbour by an offset", 0x6FFF0, kMem, i32_lda(lda_word_idx_imm(scl_r(2), 0, 8)), true},
      {"lda from its own memory, an offset away from the north", 0x6FFF0, kMem, i32_lda(lda_word_idx_imm(scl_r(2), 0, 16)), false},
      {"a misaligned word store in its own memory (the sequential pass faults on it)", kMem + 2, kMem,
       i32_st(st_word_idx_imm(scl_r(1), 0, 0)), true},
      {"st.s8 to the west neighbour", 0x50003, kMem, i32_lda(lda_st_s8_idx_imm(1, 0, 0)), true},
      {"vldb from the south neighbour", kMem, 0x40020, vldb, true},
      {"vldb from its own memory", kMem, kMem + 0x20, vldb, false},
      {"acquire of the west neighbour's lock", kMem, kMem, i32_alu(acq_west), true},
      {"acquire of its own lock", kMem, kMem, i32_alu(acq_own), false},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const std::vector<uint8_t> text = program({movxm(mv_p(0), c.p0), movxm(mv_p(1), c.p1), movxm(r_dst(1), 0), c.access, i16_nop(),
                                               i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), i16_nop(), done()});
    const Elf elf = Elf::from_text("isolated.elf", text);
    CompiledProgram prog(elf);
    struct Side {
      std::vector<uint8_t> memory = std::vector<uint8_t>(65536, 0xA5);
      std::array<int, 16> locks{};
    };
    auto make = [&](std::array<Side, 3>& sides) {
      auto core = std::make_unique<Core>(prog);
      core->load_elf_images();
      for (int s = 0; s < 3; ++s) core->set_neighbour(s, {sides[s].memory.data(), sides[s].locks.data()});
      return core;
    };
    std::array<Side, 3> a, b;
    auto isolated = make(a), whole = make(b);
    std::string isolated_error, whole_error;
    Stop first = Stop::Done;
    try {
      first = isolated->run_isolated(1000);
      CHECK(first == (c.leaves ? Stop::Neighbour : Stop::Done));
      if (first == Stop::Neighbour) {
        CHECK(isolated->stats().bundles == 3);  // the three set-ups, none of the access's bundle
        CHECK(isolated->pc() == 3 * 6);
        first = isolated->run(1000);
      }
    } catch (const SimError& e) {
      isolated_error = e.what();
    }
    Stop second = Stop::Done;
    try {
      second = whole->run(1000);
    } catch (const SimError& e) {
      whole_error = e.what();
    }
    if (isolated_error.empty() && whole_error.empty()) CHECK(first == second);
    CHECK(isolated_error == whole_error);  // the misaligned store faults alike, and nothing else faults
    CHECK(whole_error.empty() == (std::string(c.what).find("faults") == std::string::npos));
    CHECK(isolated_error.find("internal") == std::string::npos);
    CHECK(isolated->cycle() == whole->cycle());
    CHECK(isolated->stats().bundles == whole->stats().bundles);
    for (int r = 0; r < 8; ++r) CHECK(isolated->reg(static_cast<uint8_t>(reg::R0 + r)) == whole->reg(static_cast<uint8_t>(reg::R0 + r)));
    for (int s = 0; s < 3; ++s) {
      CHECK(a[s].memory == b[s].memory);
      CHECK(a[s].locks == b[s].locks);
    }
    CHECK(std::memcmp(isolated->memory_data(), whole->memory_data(), 65536) == 0);
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
