// The AIE2 core interpreter: each rule cites its ISA fact in docs/aie2.md; the pipeline is exposed, so every write lands at its itinerary's cycle.
#include "sim/core/core.hpp"
#include "sim/hex.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <bitset>
#include <cstdio>
#include <cstring>

namespace attncheck::aie2 {
namespace {

// Micro-op kinds: the slot semantics, with each addressing mode its own kind so the interpreter
// switch does no further decoding. One list: the enum and the plain stretch's dispatch table
// (Core::run_plain) are both made from it, so they cannot disagree on a kind's number. kTrap is a
// bundle the core cannot execute, kept until it issues (CompiledProgram's deferred mode).
#define ATTNCHECK_SCALAR_UOPS(X)                                                                                       \
  X(kNop)                                                                                                              \
  X(kAdd) X(kAdc) X(kSub) X(kSbc) X(kAnd) X(kOr) X(kXor) X(kAshl) X(kLshl) X(kEq) X(kNe) X(kLt) X(kLtu) X(kGe)         \
  X(kGeu) X(kMul) X(kSelEqz) X(kSelNez)                                                                                \
  X(kAbs) X(kClb) X(kClz) X(kEqz) X(kNez) X(kExtS8) X(kExtS16) X(kExtU8) X(kExtU16) X(kAddImm) X(kDivs)                \
  X(kMov) X(kMovDelayed) X(kMovImm) X(kMovCntr) X(kMovCoreId) X(kAddNc)                                                \
  X(kJump) X(kCall) X(kJumpInd) X(kCallInd) X(kRet) X(kJz) X(kJnz) X(kJnzd)                                            \
  X(kDone) X(kAcq) X(kRel) X(kAcqCond) X(kRelCond) X(kEvent) X(kStreamGet) X(kStreamPut)                                \
  X(kLdIdxImm) X(kLdIdxReg) X(kLdPostImm) X(kLdPostReg) X(kLd2D) X(kLd3D) X(kLdSp)                                     \
  X(kStIdxImm) X(kStIdxReg) X(kStPostImm) X(kStPostReg) X(kSt2D) X(kSt3D) X(kStSp)                                     \
  X(kPsIdxImm) X(kPsIdxReg) X(kPsPostImm) X(kPsPostReg) X(kPs2D) X(kPs3D)                                              \
  X(kPaddImm) X(kPaddReg) X(kPadd2D) X(kPadd3D) X(kPaddSp)                                                             \
  X(kTrap)

enum Uop : uint16_t {
#define ATTNCHECK_UOP_ENUM(k) k,
  ATTNCHECK_SCALAR_UOPS(ATTNCHECK_UOP_ENUM)
#undef ATTNCHECK_UOP_ENUM
  // Not an instruction: every bundle's micro-ops end with one (ProgramBundle::ops[nops]), where the
  // plain stretch's threaded dispatch ends the bundle; the bundle-at-a-time step stops at nops.
  kBundleEnd,
};

// A kind a plain bundle may hold (ProgramBundle::plain): none that sets a branch pending, acts on a
// lock, puts a part-word store in flight, stops the core or refuses the bundle. Every vector kind
// is one: the vector unit neither branches nor stores part words, and the stretch lands its results
// as commit_cycle does.
constexpr bool plain_kind(unsigned k) {
  if (k >= kVecFirst) return true;
  return k < kTrap && !(k >= kJump && k <= kJnzd) && !(k >= kAcq && k <= kRelCond) && k != kDone && k != kStreamGet &&
         k != kStreamPut && !(k >= kPsIdxImm && k <= kPs3D);
}

constexpr uint32_t kMask20 = 0xFFFFF;
constexpr uint8_t kNoReg = 0xFF;
// II_MOV_SS [7, 8] (llvm-aie AIE2Schedule.td): `mov r, SS` defines r at cycle 7, as a scalar load
// (II_LDA [7,1,1]) does; `mov ms, r` (II_ST_MS [1,1]) reads r as it issues.
constexpr int kStreamGetLatency = 7;

// The 20-bit registers (p, m, dn, dj, dc and ls, le, lr, sp, dp), for the hot paths: writes keep
// 20 bits, reads as a 32-bit source sign-extend them (by sext_shift, SRC below).
struct WideTable {
  bool wide[256] = {};
  uint8_t sext_shift[256] = {};
  constexpr WideTable() {
    for (int r = reg::P0; r < reg::S0; ++r) wide[r] = true;
    wide[reg::LS] = wide[reg::LE] = wide[reg::LR] = wide[reg::SP] = wide[reg::DP] = true;
    for (int r = 0; r < 256; ++r) sext_shift[r] = wide[r] ? 12 : 0;
  }
};
constexpr WideTable kWide;

int32_t sext20(uint32_t v) { return static_cast<int32_t>((v & kMask20) ^ 0x80000u) - 0x80000; }

uint16_t mem_kind(AddrMode am, uint16_t idx_imm) {
  switch (am) {
    case AddrMode::IdxImm: return idx_imm;
    case AddrMode::IdxReg: return idx_imm + 1;
    case AddrMode::PostImm: return idx_imm + 2;
    case AddrMode::PostReg: return idx_imm + 3;
    case AddrMode::Post2D: return idx_imm + 4;
    case AddrMode::Post3D: return idx_imm + 5;
    default: return idx_imm + 6;  // SpImm
  }
}

// One slot instruction as a micro-op; false (with `why`) when the simulator cannot run it.
bool lower(const SlotInst& s, MicroOp* u, std::string* why, const SimRules& rules) {
  const Encoding& e = *s.enc;
  // `mov r, CORE_ID` reads the tile's position (kMovCoreId, Core::set_core_id); CORE_ID as any other
  // operand (llvm-aie decodes it as a destination too) is refused.
  const bool reads_core_id = e.sem == Sem::Mov && s.ops.size() == 2 && s.ops[1].kind == OperandKind::mMvSclSrc &&
                             s.ops[1].value == reg::CORE_ID && s.ops[0].value != reg::CORE_ID;
  for (const Operand& o : s.ops)
    if (!reads_core_id && o.kind != OperandKind::Simm && o.kind != OperandKind::Uimm && o.value == reg::CORE_ID &&
        (o.kind == OperandKind::mMvSclDst || o.kind == OperandKind::mMvSclSrc)) {
      *why = std::string("'") + format_slot(s) + "' writes CORE_ID, a read-only register";
      return false;
    }
  for (const Operand& o : s.ops)
    if (o.kind == OperandKind::mMvSclSrc && (o.value == reg::SR0 + 5 || o.value == reg::SR0 + 7)) {
      // srMS0 / srSS0: a non-blocking access's success and the TLAST of the last word read
      // (UG1583 "Status registers"); the stream model carries no TLAST and runs no .nb form.
      *why = std::string("'") + format_slot(s) + "' reads a stream status register, which the simulator does not model";
      return false;
    }
  *u = MicroOp{kNop, kNoReg, kNoReg, kNoReg, kNoReg, 0, false, 0, 0};
  auto r = [&](size_t i) { return static_cast<uint8_t>(s.ops[i].value); };
  auto imm = [&](size_t i) { return static_cast<int32_t>(s.ops[i].value); };
  static const uint16_t alu3[] = {kAdd, kAdc, kSub, kSbc, kAnd, kOr, kXor, kAshl, kLshl, kEq, kNe, kLt, kLtu, kGe, kGeu, kMul};
  switch (e.sem) {
    case Sem::Nop: return true;
    case Sem::Add: case Sem::Adc: case Sem::Sub: case Sem::Sbc: case Sem::And: case Sem::Or: case Sem::Xor:
    case Sem::Ashl: case Sem::Lshl: case Sem::Eq: case Sem::Ne: case Sem::Lt: case Sem::Ltu: case Sem::Ge:
    case Sem::Geu: case Sem::Mul:
      u->kind = alu3[static_cast<int>(e.sem) - static_cast<int>(Sem::Add)];
      u->d = r(0), u->a = r(1), u->b = r(2);
      return true;
    case Sem::SelEqz: case Sem::SelNez:
      u->kind = e.sem == Sem::SelEqz ? kSelEqz : kSelNez;
      u->d = r(0), u->a = r(1), u->b = r(2);
      return true;
    case Sem::Abs: u->kind = kAbs; break;
    case Sem::Clb: u->kind = kClb; break;
    case Sem::Clz: u->kind = kClz; break;
    case Sem::Eqz: u->kind = kEqz; break;
    case Sem::Nez: u->kind = kNez; break;
    case Sem::ExtS8: u->kind = kExtS8; break;
    case Sem::ExtS16: u->kind = kExtS16; break;
    case Sem::ExtU8: u->kind = kExtU8; break;
    case Sem::ExtU16: u->kind = kExtU16; break;
    case Sem::AddImm: u->kind = kAddImm, u->d = r(0), u->a = r(1), u->imm = imm(2); return true;
    case Sem::Divs: u->kind = kDivs, u->d = r(0), u->a = r(1), u->b = r(2); return true;
    case Sem::Mov:
      if (reads_core_id) u->kind = kMovCoreId, u->d = r(0);
      else u->kind = kMov, u->d = r(0), u->a = r(1);
      return true;
    case Sem::MovDelayed: u->kind = kMovDelayed, u->d = r(0), u->a = r(1), u->width = e.width; return true;
    case Sem::MovImm: u->kind = kMovImm, u->d = r(0), u->imm = imm(1); return true;
    case Sem::MovCntr: u->kind = kMovCntr, u->d = static_cast<uint8_t>(16 + 2 * s.ops[0].value); return true;
    case Sem::AddNc: u->kind = kAddNc, u->d = r(0), u->a = r(1), u->imm = imm(2); return true;
    case Sem::Jump: u->kind = kJump, u->imm = imm(0); return true;
    case Sem::Call: u->kind = kCall, u->imm = imm(0); return true;
    case Sem::JumpInd: u->kind = kJumpInd, u->a = r(0); return true;
    case Sem::CallInd: u->kind = kCallInd, u->a = r(0); return true;
    case Sem::Ret: u->kind = kRet; return true;
    case Sem::Jz: case Sem::Jnz: u->kind = e.sem == Sem::Jz ? kJz : kJnz, u->a = r(0), u->imm = imm(1); return true;
    case Sem::Jnzd: u->kind = kJnzd, u->d = r(0), u->a = r(1), u->b = r(2); return true;
    case Sem::Done: u->kind = kDone; return true;
    case Sem::Event: u->kind = kEvent; return true;
    case Sem::Acq: case Sem::Rel: case Sem::AcqCond: case Sem::RelCond: {
      u->kind = e.sem == Sem::Acq ? kAcq : e.sem == Sem::Rel ? kRel : e.sem == Sem::AcqCond ? kAcqCond : kRelCond;
      if (s.ops[0].kind == OperandKind::Uimm) u->a = kNoReg, u->imm = imm(0);
      else u->a = r(0);
      u->b = r(1);
      return true;
    }
    case Sem::Load: case Sem::Store: case Sem::PartStore: {
      const uint16_t base = e.sem == Sem::Load ? kLdIdxImm : e.sem == Sem::Store ? kStIdxImm : kPsIdxImm;
      u->kind = mem_kind(e.am, base);
      u->width = e.width;
      u->sign = e.sign;
      u->d = r(0);  // data register (destination of a load, source of a store)
      const bool unscale = rules.word_offsets_unscaled && e.width == 4;
      if (e.am == AddrMode::SpImm) {
        u->imm = unscale ? imm(1) / 4 : imm(1);
      } else {
        u->a = r(1);  // pointer
        const Operand& off = s.ops[2];
        if (off.kind == OperandKind::eD || off.kind == OperandKind::eDS) u->b = static_cast<uint8_t>(off.value);
        else if (e.am == AddrMode::IdxImm || e.am == AddrMode::PostImm)
          u->imm = static_cast<int32_t>(unscale && e.am == AddrMode::IdxImm ? off.value / 4 : off.value);
        else u->b = static_cast<uint8_t>(off.value);
      }
      if (e.sem == Sem::PartStore && e.am == AddrMode::SpImm) break;
      return true;
    }
    case Sem::Padd: {
      u->a = r(0);
      const Operand& off = s.ops[1];
      if (e.am == AddrMode::Post2D) u->kind = kPadd2D, u->b = static_cast<uint8_t>(off.value);
      else if (e.am == AddrMode::Post3D) u->kind = kPadd3D, u->b = static_cast<uint8_t>(off.value);
      else if (off.kind == OperandKind::eM) u->kind = kPaddReg, u->b = static_cast<uint8_t>(off.value);
      else u->kind = kPaddImm, u->imm = static_cast<int32_t>(off.value);
      return true;
    }
    case Sem::PaddSp: u->kind = kPaddSp, u->imm = imm(0); return true;
    case Sem::StreamGet: u->kind = kStreamGet, u->d = r(0); return true;
    case Sem::StreamPut: u->kind = kStreamPut, u->a = r(0); return true;
    case Sem::Unsupported: return lower_vector(s, u, why);
  }
  if (u->kind != kNop) {  // the two-operand alu group set only the kind
    u->d = r(0), u->a = r(1);
    return true;
  }
  *why = std::string("'") + format_slot(s) + "' (" + e.name + ") is decoded but not simulated: " +
         "vector, stream and tile-memory instructions are outside the scalar core model";
  return false;
}

}  // namespace


namespace {
// Where a scalar load, store or lock operation reaches (struct Reach), as step_bundle and run_loop
// compute it; vector ones as VectorUnit::exec does (VectorUnit::reach_of).
bool reach_of(const MicroOp& u, Reach* r) {
  switch (u.kind) {
    case kAcq: case kAcqCond: case kRel: case kRelCond:  // id = u.a == kNoReg ? u.imm : regs[u.a] (run_loop)
      r->base = u.a, r->imm = u.imm, r->bytes = 0;
      return true;
    case kLdIdxImm: case kStIdxImm: case kPsIdxImm: r->base = u.a, r->imm = u.imm; break;
    case kLdIdxReg: case kStIdxReg: case kPsIdxReg: r->base = u.a, r->index = u.b; break;
    case kLdPostImm: case kLdPostReg: case kLd2D: case kLd3D:
    case kStPostImm: case kStPostReg: case kSt2D: case kSt3D:
    case kPsPostImm: case kPsPostReg: case kPs2D: case kPs3D: r->base = u.a, r->imm = 0; break;
    case kLdSp: case kStSp: r->base = reg::SP, r->imm = u.imm; break;
    // A stream port is no part of the tile's memory or locks (lock id -1 is never the tile's): the
    // isolated run leaves the bundle to the tile-order pass, as a neighbour access.
    case kStreamGet: case kStreamPut: r->base = kNoReg, r->index = kNoReg, r->bytes = 0, r->imm = -1; return true;
    default: return u.kind >= kVecFirst && VectorUnit::reach_of(u, r);
  }
  r->bytes = static_cast<uint8_t>(u.width);
  return true;
}
}  // namespace

namespace {
// Which results of a micro-op land one cycle after issue (write_later(..., 1) in step_bundle), by
// the bit step_bundle passes to write1: the destination d, a second result (the carry, r31 of a
// division step, the high word of the cycle counter) and a post-modified pointer a.
enum DirectTarget : uint32_t { kDirectD = 1, kDirectSecond = 2, kDirectA = 4 };

void latency1_targets(const MicroOp& u, uint8_t t[3]) {
  t[0] = t[1] = t[2] = kNoReg;
  switch (u.kind) {
    case kAdd: case kAdc: case kSub: case kSbc: case kAddImm: case kAbs: t[0] = u.d, t[1] = reg::kCarry; break;
    case kDivs: t[0] = u.d, t[1] = 31; break;
    case kMovCntr: t[0] = u.d, t[1] = static_cast<uint8_t>(u.d + 1); break;
    case kAnd: case kOr: case kXor: case kLshl: case kAshl: case kEq: case kNe: case kLt: case kLtu: case kGe: case kGeu:
    case kSelEqz: case kSelNez: case kClz: case kClb: case kEqz: case kNez: case kExtS8: case kExtS16: case kExtU8: case kExtU16:
    case kMov: case kMovImm: case kMovCoreId: case kAddNc: case kJnzd:
      t[0] = u.d;
      break;
    case kLdPostImm: case kLdPostReg: case kLd2D: case kLd3D: case kStPostImm: case kStPostReg: case kSt2D: case kSt3D:
    case kPsPostImm: case kPsPostReg: case kPs2D: case kPs3D: case kPaddImm: case kPaddReg: case kPadd2D: case kPadd3D:
      t[2] = u.a;
      break;
    default: break;
  }
}

using RegSet = std::bitset<256>;

// The address-generation registers a 2D/3D post-modify (by d-register u.b) reads, or with
// `counters_only` writes; none for other kinds.
void add_dims(RegSet& s, const MicroOp& u, bool counters_only) {
  const bool two_d = u.kind == kLd2D || u.kind == kSt2D || u.kind == kPs2D || u.kind == kPadd2D;
  const bool three_d = u.kind == kLd3D || u.kind == kSt3D || u.kind == kPs3D || u.kind == kPadd3D;
  if (!two_d && !three_d) return;
  for (int j = 0; j < (three_d ? 2 : 1); ++j) {
    const int k = u.b + 4 * j;
    s.set(reg::DC0 + k);
    if (!counters_only) s.set(reg::DN0 + k), s.set(reg::DJ0 + k), s.set(reg::M0 + k);
  }
}

// Every register step_bundle reads for the micro-op (a vector micro-op or an unlisted kind: all).
RegSet reads_of(const MicroOp& u) {
  RegSet s;
  if (u.kind > kTrap) return s.set();  // the vector kinds lie above every scalar one
  if (u.a != kNoReg) s.set(u.a);
  if (u.b != kNoReg) s.set(u.b);
  switch (u.kind) {
    case kAdc: case kSbc: s.set(reg::kCarry); break;
    case kSelEqz: case kSelNez: s.set(27); break;
    case kDivs: s.set(31); break;
    case kRet: s.set(reg::LR); break;
    case kAcq: case kRel: case kAcqCond: case kRelCond: s.set(26); break;
    case kLdSp: case kPaddSp: s.set(reg::SP); break;
    case kStIdxImm: case kStIdxReg: case kStPostImm: case kStPostReg: case kSt2D: case kSt3D: case kStSp:
      s.set(u.d), s.set(reg::SP);  // the data, and SP for the watch's record of the store
      break;
    case kPsIdxImm: case kPsIdxReg: case kPsPostImm: case kPsPostReg: case kPs2D: case kPs3D: s.set(reg::SP); break;
    default: break;
  }
  add_dims(s, u, false);
  return s;
}

// Every register the micro-op writes, at any latency (a vector micro-op or an unlisted kind: all).
RegSet writes_of(const MicroOp& u) {
  RegSet s;
  if (u.kind > kTrap) return s.set();  // the vector kinds lie above every scalar one
  uint8_t t[3];
  latency1_targets(u, t);
  for (const uint8_t r : t)
    if (r != kNoReg) s.set(r);
  switch (u.kind) {
    case kMul: case kMovDelayed: case kLdIdxImm: case kLdIdxReg: case kLdPostImm: case kLdPostReg: case kLd2D: case kLd3D: case kLdSp:
    case kStreamGet:
      s.set(u.d);
      break;
    case kCall: case kCallInd: s.set(reg::LR); break;
    case kPaddSp: s.set(reg::SP); break;
    default: break;
  }
  add_dims(s, u, true);
  return s;
}

// MicroOp::direct for each micro-op of the bundle (lowering leaves it 0). With every result going
// through the ring, no micro-op of a bundle sees another's result, and a result landing this cycle
// from an older bundle is overwritten by this bundle's. A latency-1 result written at issue keeps
// both when no micro-op after it in the bundle reads its register, no other micro-op of the bundle
// writes it (a later ring write would then be the one to keep: the read rule settles every other
// pair of writers, not a write only the ring makes, such as a 2D post-modify's dc or a delayed
// move), the micro-op itself writes it once, and the bundle's own end does not read it (the loop
// registers; SP, whose write the stack override and max_sp watch). A bundle with a vector
// micro-op keeps the ring throughout.
void direct_writes(ProgramBundle& b) {
  for (int i = 0; i < b.nops; ++i)
    if (b.ops[i].kind >= kVecFirst || b.ops[i].kind == kTrap) return;
  for (int i = 0; i < b.nops; ++i) {
    uint8_t t[3];
    latency1_targets(b.ops[i], t);
    RegSet later_reads, other_writes;
    for (int j = 0; j < b.nops; ++j) {
      if (j > i) later_reads |= reads_of(b.ops[j]);
      if (j != i) other_writes |= writes_of(b.ops[j]);
    }
    for (int k = 0; k < 3; ++k) {
      const uint8_t r = t[k];
      if (r == kNoReg || r == reg::SP || r == reg::LS || r == reg::LE || r == reg::LC || r >= reg::kCount) continue;
      if (later_reads.test(r) || other_writes.test(r) || std::count(t, t + 3, r) > 1) continue;
      b.ops[i].flags = static_cast<uint8_t>(b.ops[i].flags | (1u << k));
    }
  }
}

// MicroOp's kReadsWide: the ALU, move and conditional-branch kinds read both sources as 32-bit
// values, a 20-bit register's sign-extended (SRC); a micro-op whose sources are both 32-bit
// registers (or absent) reads them as they are, which is the same value.
void mark_wide_reads(ProgramBundle& b) {
  for (int i = 0; i < b.nops; ++i) {
    MicroOp& u = b.ops[i];
    if (u.kind <= kJnzd && (kWide.wide[u.a] || kWide.wide[u.b])) u.flags = static_cast<uint8_t>(u.flags | kReadsWide);
  }
}

// ProgramBundle::plain: none of the micro-ops that set a branch pending, put a part-word store or
// a vector result in flight, act on a lock, stop the core or refuse the bundle.
// The successor of a bundle after which no bundle starts (ProgramBundle::next_bundle): not plain,
// never issued.
const ProgramBundle kNoBundle{};

bool is_plain(const ProgramBundle& b) {
  for (int i = 0; i < b.nops; ++i)
    if (!plain_kind(b.ops[i].kind)) return false;
  return true;
}
}  // namespace

CompiledProgram::CompiledProgram(const Elf& elf, bool defer_unsupported, const Rules& rules)
    : rules_(rules), elf_(&elf), decoded_(decode_program(elf)) {
  base_ = decoded_.base;
  const auto& db = decoded_.bundles;
  index_.assign(elf.text().size(), -1);
  bundles_.reserve(db.size());
  reaches_.reserve(db.size());
  for (size_t i = 0; i < db.size(); ++i) {
    const Bundle& b = db[i];
    if (!b.ok()) {
      std::string what = b.format ? "a slot matches no instruction" : "no bundle format matches";
      throw SimError(elf.path + ": unknown instruction at " + where(b.address) + ": bytes " + b.bytes_hex() + " (" + what +
                     ")");
    }
    ProgramBundle pb{};
    BundleReach br;
    pb.address = b.address;
    pb.size = b.size;
    pb.next = b.address + b.size;
    uint32_t ret = pb.next;
    for (size_t k = 1; k <= kBranchDelaySlots && i + k < db.size(); ++k) ret = db[i + k].address + db[i + k].size;
    pb.return_addr = ret;
    for (const auto& s : b.slots) {
      MicroOp u;
      std::string why;
      if (!lower(s, &u, &why, rules_.core)) {
        if (!defer_unsupported) throw SimError(elf.path + ": at " + where(b.address) + ": " + why);
        // The whole bundle becomes one trap: nothing of it issues, and the error is the same line.
        pb.nops = 0;
        pb.has_sync = pb.has_branch = false;
        br.n = 0;
        pb.ops[pb.nops++] = MicroOp{kTrap, kNoReg, kNoReg, kNoReg, kNoReg, 0, false, 0, static_cast<int32_t>(traps_.size())};
        traps_.push_back(elf.path + ": at " + where(b.address) + ": " + why);
        break;
      }
      if (u.kind == kNop) continue;
      // Absent operands read the register file's spare entry 0xFF as 0 (SRC): no micro-op writes it.
      if (u.kind < kVecFirst && writes_of(u).test(kNoReg))
        throw SimError(elf.path + ": internal: at " + where(b.address) + ": a micro-op writes no register");
      if (pb.nops == kMaxBundleOps) throw SimError(elf.path + ": internal: at " + where(b.address) + ": more micro-ops than a bundle holds");
      pb.ops[pb.nops++] = u;
      if ((u.kind >= kAcq && u.kind <= kRelCond) || u.kind == kStreamGet || u.kind == kStreamPut) pb.has_sync = true;
      if (u.kind >= kJump && u.kind <= kJnzd) pb.has_branch = true;
      Reach r;
      if (reach_of(u, &r)) {
        // More than the four a bundle's slots allow: the isolated run leaves the bundle to the
        // tile-order pass (lock id -1 is never the tile's), rather than refusing the program.
        if (br.n == 4) br.at[0] = Reach{kNoReg, kNoReg, 0, -1};
        else br.at[br.n++] = r;
      }
    }
    direct_writes(pb);
    mark_wide_reads(pb);
    pb.plain = is_plain(pb);
    pb.ops[pb.nops] = MicroOp{kBundleEnd, kNoReg, kNoReg, kNoReg, kNoReg, 0, false, 0, 0};
    index_[b.address - base_] = static_cast<int32_t>(bundles_.size());
    bundles_.push_back(pb);
    reaches_.push_back(br);
  }
  for (auto& pb : bundles_) {
    const int next = index_of(pb.next);
    pb.next_bundle = next >= 0 ? &bundles_[static_cast<size_t>(next)] : &kNoBundle;
  }
}

std::string CompiledProgram::where(uint32_t address) const {
  std::string s = "PC " + hex32(address);
  if (const ElfSymbol* f = elf_->function_at(address)) s += " (" + f->name + "+" + hex32(address - f->value) + ")";
  const int i = decoded_.index_at(address);
  if (i >= 0) s += ", bundle '" + format_bundle(decoded_.bundles[i]) + "'";
  else s += ", not a bundle start";
  return s;
}

Core::Core(const CompiledProgram& prog)
    : prog_(&prog),
      mem_(kDataMemBytes),
      watch_map_(std::make_shared<const std::vector<int8_t>>(kDataMemBytes, -1)),
      load_unseen_(kDataMemBytes / 64 + 1, 0),
      store_unseen_(kDataMemBytes / 64 + 1, 0),
      clobbered_bits_(kDataMemBytes / 64 + 1, 0),
      load_latency_(prog.rules().core.load_latency),
      delay_slots_(prog.rules().core.branch_delay_slots) {
  vec_.set_rules(prog.rules().vector);
  pc_ = prog.elf().entry;
  const ElfSymbol* sp = prog.elf().symbol("_sp_start_value_DM_stack");
  sp_start_ = sp ? sp->value : kDataMemBase;
}

void Core::set_sp_start_override(uint32_t sp) {
  sp_override_ = sp & kMask20;
  sp_override_pending_ = true;
}

void Core::fail(const std::string& what) const { throw SimError(prog_->elf().path + ": " + what + " at " + prog_->where(pc_)); }

void Core::load_elf_images() {
  for (const auto& img : prog_->elf().load_images()) {
    if (img.program) continue;  // program memory is the decoded .text
    if (img.address < kDataMemBase || img.address + img.bytes.size() > kDataMemBase + kDataMemBytes)
      throw SimError(prog_->elf().path + ": a loadable segment at " + hex32(img.address) +
                     " lies outside the tile's data memory 0x70000..0x7FFFF (a neighbour's memory is not modelled)");
    std::memcpy(mem_.data() + (img.address - kDataMemBase), img.bytes.data(), img.bytes.size());
  }
}

uint8_t* Core::data(uint32_t address, uint32_t bytes) {
  if (address < kDataMemBase || address - kDataMemBase + uint64_t{bytes} > kDataMemBytes)
    throw SimError(prog_->elf().path + ": host access " + hex32(address) + "+" + std::to_string(bytes) +
                   " is outside the tile's data memory");
  return mem_.data() + (address - kDataMemBase);
}

// Lock ids as the core names them: 0..15 south, 16..31 west, 32..47 north, 48..63 its own tile's
// (mlir-aie AIETargetModel.cpp AIE2TargetModel::getLockLocalBaseIndex: 0, 16, 32, 48).
const int* Core::named_lock(int core_id) const {
  if (core_id >= kLocalLockBase && core_id < kLocalLockBase + kLocks) return &locks_[core_id - kLocalLockBase];
  if (core_id >= 0 && core_id < kLocalLockBase && neighbours_[core_id / kLocks].locks) return neighbours_[core_id / kLocks].locks + core_id % kLocks;
  return nullptr;
}

int* Core::lock_slot(int core_id) {
  if (core_id >= 0 && core_id < kLocalLockBase && isolated_)
    throw SimError("internal: lock id " + std::to_string(core_id) + " is a neighbour's, in an isolated run (Core::stays_in_tile did not see it "
                   "coming) at " + prog_->where(pc_) + "; --sim-threads 1 runs it sequentially");
  return const_cast<int*>(named_lock(core_id));
}

bool Core::try_acquire(int id, int value, bool ge) {
  int& l = locks_[id];
  if (ge) {
    if (l < value) return false;
    l -= value;
  } else if (l != value) {
    return false;
  }
  return true;
}

void Core::release(int id, int value) { locks_[id] = std::min(63, std::max(-64, locks_[id] + value)); }

void Core::set_watch(std::vector<WatchRegion> regions) {
  watch_ = std::move(regions);
  auto map = std::make_shared<std::vector<int8_t>>(kDataMemBytes, -1);
  sites_.assign(watch_.size(), {});
  site_of_.assign(watch_.size() * prog_->bundles().size(), -1);
  store_bits_exact_ = true;
  for (size_t i = 0; i < watch_.size(); ++i) {
    const auto& w = watch_[i];
    for (uint32_t a = w.address; a < w.address + w.size; ++a)
      if (a >= kDataMemBase && a < kDataMemBase + kDataMemBytes) {
        if ((*map)[a - kDataMemBase] >= 0) store_bits_exact_ = false;
        (*map)[a - kDataMemBase] = static_cast<int8_t>(i);
      }
  }
  watch_map_ = std::move(map);
  first_store_.assign(store_bits_exact_ ? 0 : watch_.size(), {});
  if (!store_bits_exact_)
    for (size_t i = 0; i < watch_.size(); ++i) first_store_[i].assign(watch_[i].size, kNever);
  fresh_store_cycle_ = kNever, fresh_stores_.clear();
  // Each region's bytes as words of the bit vectors (a later region overlapping an earlier one
  // owns the overlap, as in watch_map_).
  region_words_.assign(watch_.size(), {});
  for (uint32_t off = 0; off < kDataMemBytes; ++off) {
    const int r = (*watch_map_)[off];
    if (r < 0) continue;
    auto& words = region_words_[r];
    if (words.empty() || words.back().first != off >> 6) words.push_back({off >> 6, 0});
    words.back().second |= uint64_t{1} << (off & 63);
  }
  std::fill(load_unseen_.begin(), load_unseen_.end(), 0);
  std::fill(store_unseen_.begin(), store_unseen_.end(), 0);
  std::fill(clobbered_bits_.begin(), clobbered_bits_.end(), 0);
  for (size_t i = 0; i < watch_.size(); ++i) mark_unseen(static_cast<int>(i));
}

void Core::mark_unseen(int region) {
  for (const auto& [w, bits] : region_words_[region]) {
    load_unseen_[w] |= bits;
    store_unseen_[w] |= bits;
    clobbered_bits_[w] &= ~bits;
  }
}

void Core::mark_filled(int region) {
  // With exact store bits, note_load reads a byte's first store only once its store bit says it was
  // stored since this fill, and that store wrote it: the earlier fill's cycles need no reset.
  if (!store_bits_exact_) std::fill(first_store_[region].begin(), first_store_[region].end(), kNever);
  mark_unseen(region);
  // Only the sites that stored are reset: the cost is the program's store sites, not its size.
  const size_t nb = prog_->bundles().size();
  for (const StoreSite& s : sites_[region]) {
    const int idx = prog_->index_of(s.pc);
    if (idx >= 0) site_of_[static_cast<size_t>(region) * nb + static_cast<size_t>(idx)] = -1;
  }
  sites_[region].clear();
}

// The offsets of `region` whose first load since the fill came after their first store, as ranges.
std::vector<std::pair<uint32_t, uint32_t>> Core::clobbered_before_use(int region) const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  bool any = false;  // a word test per 64 bytes before the byte walk
  for (const auto& [word, bits] : region_words_[region]) any |= (clobbered_bits_[word] & bits) != 0;
  if (!any) return out;
  const WatchRegion& w = watch_[region];
  for (uint32_t off = 0; off < w.size; ++off) {
    const uint32_t a = w.address + off;
    if (a < kDataMemBase || a >= kDataMemBase + kDataMemBytes) continue;
    const uint32_t b = a - kDataMemBase;
    if ((*watch_map_)[b] != region || !((clobbered_bits_[b >> 6] >> (b & 63)) & 1)) continue;
    if (!out.empty() && out.back().second + 1 == off) out.back().second = off;
    else out.push_back({off, off});
  }
  return out;
}

void Core::access_fault(uint32_t addr, int width, const char* what) const {
  if (addr < kDataMemBase || addr + width > kDataMemBase + kDataMemBytes)
    fail(std::string(what) + " of " + std::to_string(width) + " B at " + hex32(addr) +
         " is outside the tile's data memory 0x70000..0x7FFFF");
  fail(std::string("unaligned ") + what + " of " + std::to_string(width) + " B at " + hex32(addr));
}

__attribute__((always_inline)) inline void Core::check_access(uint32_t addr, int width, const char* what) const {
  if (__builtin_expect(addr - kDataMemBase > kDataMemBytes - width || (addr & (width - 1)) != 0, 0))
    access_fault(addr, width, what);
}

namespace {
// The bits of bytes off..off+width-1 (1 <= width <= 64) in word off / 64 (m0) and the next (m1).
inline void range_masks(uint32_t off, uint32_t width, uint64_t* m0, uint64_t* m1) {
  const uint32_t s = off & 63;
  *m0 = s + width >= 64 ? ~uint64_t{0} << s : ((uint64_t{1} << width) - 1) << s;
  *m1 = s + width > 64 ? (uint64_t{1} << (s + width - 64)) - 1 : 0;
}
}  // namespace

// A load's bytes seen for the first time since their fill: clobbered before use where the byte's
// first store came at an earlier cycle (a store and a load in one bundle is not a clobber).
__attribute__((always_inline)) inline void Core::note_load(uint32_t addr, int width) {
  if (watch_.empty() || addr - kDataMemBase >= kDataMemBytes) return;  // the watch covers the own memory
  const uint32_t off = addr - kDataMemBase, w = off >> 6;
  // Most loads lie in one 64-byte word of bits, and their bytes were seen already: one test.
  if ((off & 63) + static_cast<uint32_t>(width) <= 64 && width < 64 &&
      (load_unseen_[w] & (((uint64_t{1} << width) - 1) << (off & 63))) == 0)
    return;
  uint64_t m0, m1;
  range_masks(off, static_cast<uint32_t>(width), &m0, &m1);
  const uint64_t n0 = load_unseen_[w] & m0, n1 = load_unseen_[w + 1] & m1;
  if (!(n0 | n1)) return;
  load_unseen_[w] &= ~n0, load_unseen_[w + 1] &= ~n1;
  const uint64_t fresh[2] = {n0, n1};
  for (uint32_t j = 0; j < 2; ++j) {
    if (store_bits_exact_) {
      // A byte was stored since its fill when its store bit is clear; its first store came before
      // this load unless it came in this very cycle (a store and a load in one bundle is no clobber).
      uint64_t c = fresh[j] & ~store_unseen_[w + j];
      if (c && fresh_store_cycle_ == cycle_)
        for (const auto& [word, bits] : fresh_stores_)
          if (word == w + j) c &= ~bits;
      clobbered_bits_[w + j] |= c;
      continue;
    }
    for (uint64_t c = fresh[j]; c;) {
      const uint32_t b = ((w + j) << 6) + static_cast<uint32_t>(__builtin_ctzll(c));
      c &= c - 1;
      const int region = (*watch_map_)[b];
      const uint64_t stored = first_store_[region][kDataMemBase + b - watch_[region].address];
      if (stored != kNever && stored < cycle_) clobbered_bits_[b >> 6] |= uint64_t{1} << (b & 63);
    }
  }
}

void Core::note_store(uint32_t addr, int width, uint32_t pc, uint32_t sp) {
  if (watch_.empty() || addr - kDataMemBase >= kDataMemBytes) return;
  const int region = (*watch_map_)[addr - kDataMemBase];
  if (region < 0) return;
  const uint32_t lo = addr - watch_[region].address, size = watch_[region].size;
  const uint32_t n = std::min(static_cast<uint32_t>(width), size - lo);  // the bytes inside the region
  if (!store_bits_exact_) {
    for (uint32_t k = 0; k < n; ++k) {
      uint64_t& first = first_store_[region][lo + k];
      if (first == kNever) first = cycle_;
    }
  } else {
    const uint32_t off = addr - kDataMemBase, w = off >> 6;
    uint64_t m0, m1;
    range_masks(off, n, &m0, &m1);
    const uint64_t fresh[2] = {store_unseen_[w] & m0, store_unseen_[w + 1] & m1};
    store_unseen_[w] &= ~fresh[0], store_unseen_[w + 1] &= ~fresh[1];
    if (fresh[0] | fresh[1]) {
      if (fresh_store_cycle_ != cycle_) fresh_store_cycle_ = cycle_, fresh_stores_.clear();
      for (uint32_t j = 0; j < 2; ++j)
        if (fresh[j]) fresh_stores_.push_back({w + j, fresh[j]});
    }
  }
  // One aggregate per (region, PC): a program storing in a loop for 10^9 bundles keeps as many
  // records as it has store bundles.
  const int idx = prog_->index_of(pc);
  std::vector<StoreSite>& sites = sites_[region];
  StoreSite* site = nullptr;
  if (idx >= 0) {
    int32_t& slot = site_of_[static_cast<size_t>(region) * prog_->bundles().size() + static_cast<size_t>(idx)];
    if (slot < 0) {
      slot = static_cast<int32_t>(sites.size());
      sites.push_back({pc, lo, lo, 0, sp, sp, true});
    }
    site = &sites[static_cast<size_t>(slot)];
  } else {
    for (auto& s : sites)
      if (s.pc == pc) site = &s;
    if (!site) sites.push_back({pc, lo, lo, 0, sp, sp, true}), site = &sites.back();
  }
  const uint32_t hi = lo + static_cast<uint32_t>(width) - 1;
  if (site->stores == 0) site->first_byte = lo, site->last_byte = hi, site->min_sp = site->max_sp = sp;
  site->first_byte = std::min(site->first_byte, lo), site->last_byte = std::max(site->last_byte, hi);
  site->min_sp = std::min(site->min_sp, sp), site->max_sp = std::max(site->max_sp, sp);
  site->in_frame = site->in_frame && addr < sp;
  ++site->stores;
}

// The core's data address space (AIE-ML): its own memory at 0x70000, and the memories of its
// south, west and north neighbours at 0x40000, 0x50000 and 0x60000 (mlir-aie AIETargetModel.cpp,
// AIE2TargetModel getMemSouthBaseAddress/getMemWestBaseAddress/getMemNorthBaseAddress/
// getMemEastBaseAddress). Only the whole-array simulator connects neighbours; alone, a core faults
// outside its own memory as before.
uint8_t* Core::neighbour_ptr(uint32_t addr, int width, const char* what) {
  if (__builtin_expect(isolated_, 0))
    throw SimError("internal: a " + std::string(what) + " at " + hex32(addr) + " left the tile in an isolated run (Core::stays_in_tile did "
                   "not see it coming) at " + prog_->where(pc_) + "; --sim-threads 1 runs it sequentially");
  if ((addr & (width - 1)) == 0 && addr >= 0x40000 && addr < kDataMemBase) {
    const int side = static_cast<int>((addr - 0x40000) >> 16);
    const uint32_t off = addr & 0xFFFF;
    if (neighbours_[side].memory && off + width <= kDataMemBytes) return neighbours_[side].memory + off;
  }
  access_fault(addr, width, what);
}

__attribute__((always_inline)) inline uint8_t* Core::addr_ptr(uint32_t addr, int width, const char* what) {
  if (__builtin_expect(addr - kDataMemBase > kDataMemBytes - width || (addr & (width - 1)) != 0, 0))
    return neighbour_ptr(addr, width, what);
  return mem_.data() + (addr - kDataMemBase);
}

// A scalar load of kWidth (1, 2 or 4) bytes: addr_ptr, note_load and the little-endian read with
// the width known, so no step tests it again.
template <int kWidth>
__attribute__((always_inline)) inline uint32_t Core::load_sized(uint32_t addr, bool sign) {
  const uint32_t off = addr - kDataMemBase;
  const uint8_t* p;
  if (__builtin_expect(off <= kDataMemBytes - kWidth && (addr & (kWidth - 1)) == 0, 1)) {
    p = mem_.data() + off;
    // An aligned access of at most 4 bytes: its bytes lie in one 64-bit word of load_unseen_,
    // whose bits are set only for watched bytes not yet loaded (set_watch, mark_unseen), so one
    // test says whether note_load has anything to record.
    if (__builtin_expect(((load_unseen_[off >> 6] >> (off & 63)) & ((1u << kWidth) - 1)) != 0, 0)) note_load(addr, kWidth);
  } else {
    p = neighbour_ptr(addr, kWidth, "load");  // or a fault; the watch covers the own memory only
  }
  if constexpr (kWidth == 1) return sign ? static_cast<uint32_t>(static_cast<int8_t>(p[0])) : p[0];
  if constexpr (kWidth == 2) {
    const uint16_t v = static_cast<uint16_t>(p[0] | p[1] << 8);
    return sign ? static_cast<uint32_t>(static_cast<int16_t>(v)) : v;
  }
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

// The ISA table's scalar loads are 1, 2 or 4 bytes wide (Sem::Load).
__attribute__((always_inline)) inline uint32_t Core::load(uint32_t addr, int width, bool sign) {
  return width == 1 ? load_sized<1>(addr, sign) : width == 2 ? load_sized<2>(addr, sign) : load_sized<4>(addr, sign);
}

void Core::store(uint32_t addr, int width, uint32_t value) {
  uint8_t* p = addr_ptr(addr, width, "store");
  note_store(addr, width, pc_, regs_[reg::SP]);
  for (int k = 0; k < width; ++k) p[k] = static_cast<uint8_t>(value >> (8 * k));
  // A word store into a word a part-word store is still rewriting: the rewrite will undo it.
  if (part_stores_in_flight_)
    for (const auto& slot : part_stores_)
      for (const auto& ps : slot)
        if (ps.address == (addr & ~3u)) ++stats_.part_word_hazards;
}

__attribute__((always_inline)) inline void Core::write_later(uint8_t r, uint32_t value, int latency) {
  const size_t i = (cycle_ + static_cast<uint64_t>(latency) - 1) & (kRing - 1);
  if (__builtin_expect(ring_count_[i] >= ring_[i].size(), 0)) fail("more register writes land in one cycle than the simulator holds");
  ring_[i][ring_count_[i]++] = {r, kWide.wide[r] ? value & kMask20 : value};
}

__attribute__((always_inline)) inline void Core::write1(uint32_t bits, uint32_t which, uint8_t r, uint32_t value) {
  if (bits & which) {
    regs_[r] = kWide.wide[r] ? value & kMask20 : value;
    direct_cycle_[r] = cycle_;
  } else {
    write_later(r, value, 1);
  }
}

uint8_t* Core::vector_access(uint32_t addr, int width, bool store) {
  uint8_t* p = addr_ptr(addr, width, store ? "vector store" : "vector load");
  if (store) note_store(addr, width, pc_, regs_[reg::SP]);
  else note_load(addr, width);
  return p;
}

void Core::write_later_from_vector(uint8_t r, uint32_t value, int latency) { write_later(r, value, latency); }

// 2D post-modify of pointer p with d-register k = {m_k, dn_k, dj_k, dc_k}: count up to dn, then
// wrap with m (aiev2_addr.h's dims_2d_from_steps; docs/aie2.md).
uint32_t Core::post_modify_2d(uint8_t p, uint8_t k, int) {
  const uint32_t dc = regs_[reg::DC0 + k], dn = regs_[reg::DN0 + k];
  int32_t step;
  uint32_t ndc;
  if (dc == dn) step = sext20(regs_[reg::M0 + k]), ndc = 0;
  else step = sext20(regs_[reg::DJ0 + k]), ndc = dc + 1;
  write_later(reg::DC0 + k, ndc & kMask20, 1);
  return (regs_[p] + static_cast<uint32_t>(step)) & kMask20;
}

uint32_t Core::post_modify_3d(uint8_t p, uint8_t k) {
  const uint8_t hi = static_cast<uint8_t>(k + 4);
  const uint32_t dc0 = regs_[reg::DC0 + k], dn0 = regs_[reg::DN0 + k];
  const uint32_t dc1 = regs_[reg::DC0 + hi], dn1 = regs_[reg::DN0 + hi];
  int32_t step;
  if (dc0 != dn0) {
    step = sext20(regs_[reg::DJ0 + k]);
    write_later(reg::DC0 + k, (dc0 + 1) & kMask20, 1);
  } else {
    write_later(reg::DC0 + k, 0, 1);
    if (dc1 != dn1) {
      step = sext20(regs_[reg::DJ0 + hi]);
      write_later(reg::DC0 + hi, (dc1 + 1) & kMask20, 1);
    } else {
      step = sext20(regs_[reg::M0 + k]);
      write_later(reg::DC0 + hi, 0, 1);
    }
  }
  return (regs_[p] + static_cast<uint32_t>(step)) & kMask20;
}

// Registers as a 32-bit source: 20-bit registers read sign-extended (docs/aie2.md).
// Branch-free: a 20-bit register holds its value masked to 20 bits, so shifting its bit 19 up to
// bit 31 and arithmetically back sign-extends it; other registers shift by 0. An absent operand
// (kNoReg) reads the register file's spare entry 0xFF, which is always 0.
#define SEXT_AS(v, r) static_cast<uint32_t>(static_cast<int32_t>((v) << kWide.sext_shift[r]) >> kWide.sext_shift[r])
#define SRC(r) SEXT_AS(regs_[r], r)

// One micro-op u of bundle b, whose kind is `kind` (u.kind: the plain stretch passes it as a
// constant, so that the switch folds to the one case), its latency-1 results written directly
// where `allow` and u's direct bits say so.
__attribute__((always_inline)) inline void Core::exec_op(const ProgramBundle& b, const MicroOp& u, unsigned kind, uint32_t allow,
                                                         bool& branch, uint32_t& target) {
  const uint32_t bits = u.flags & allow;
  // The 32-bit sources of the ALU, move and conditional-branch kinds (the enum's kAdd..kJnzd),
  // read for every kind so that no test of the kind precedes the switch (a and b index the
  // register file whatever they mean; loads, stores and the vector unit read their registers
  // themselves). Only a 20-bit source needs SRC's sign extension (MicroOp::flags, kReadsWide).
  uint32_t x = regs_[u.a], y = regs_[u.b];
  if (__builtin_expect(u.flags & kReadsWide, 0)) x = SEXT_AS(x, u.a), y = SEXT_AS(y, u.b);
  switch (kind) {
    case kTrap: throw SimError(prog_->trap(u.imm));
    case kAdd: {
      const uint64_t s = uint64_t{x} + y;
      write1(bits, kDirectD, u.d, static_cast<uint32_t>(s));
      write1(bits, kDirectSecond, reg::kCarry, static_cast<uint32_t>(s >> 32));
      break;
    }
    case kAdc: {
      const uint64_t s = uint64_t{x} + y + (regs_[reg::kCarry] & 1);
      write1(bits, kDirectD, u.d, static_cast<uint32_t>(s));
      write1(bits, kDirectSecond, reg::kCarry, static_cast<uint32_t>(s >> 32));
      break;
    }
    case kSub:
      write1(bits, kDirectD, u.d, x - y);
      write1(bits, kDirectSecond, reg::kCarry, x < y);  // borrow
      break;
    case kSbc: {
      const uint64_t sub = uint64_t{y} + (regs_[reg::kCarry] & 1);
      write1(bits, kDirectD, u.d, static_cast<uint32_t>(x - sub));
      write1(bits, kDirectSecond, reg::kCarry, uint64_t{x} < sub);
      break;
    }
    case kAddImm: {
      const uint64_t s = uint64_t{x} + static_cast<uint32_t>(u.imm);
      write1(bits, kDirectD, u.d, static_cast<uint32_t>(s));
      write1(bits, kDirectSecond, reg::kCarry, static_cast<uint32_t>(s >> 32));
      break;
    }
    case kAnd: write1(bits, kDirectD, u.d, x & y); break;
    case kOr: write1(bits, kDirectD, u.d, x | y); break;
    case kXor: write1(bits, kDirectD, u.d, x ^ y); break;
    case kLshl: {
      const int32_t n = static_cast<int32_t>(y);
      write1(bits, kDirectD, u.d, n >= 32 || n <= -32 ? 0u : n >= 0 ? x << n : x >> -n);
      break;
    }
    case kAshl: {
      const int32_t n = static_cast<int32_t>(y), v = static_cast<int32_t>(x);
      const uint32_t r = n >= 32 ? 0u : n >= 0 ? x << n : n <= -32 ? static_cast<uint32_t>(v >> 31)
                                                                  : static_cast<uint32_t>(v >> -n);
      write1(bits, kDirectD, u.d, r);
      break;
    }
    case kEq: write1(bits, kDirectD, u.d, x == y); break;
    case kNe: write1(bits, kDirectD, u.d, x != y); break;
    case kLt: write1(bits, kDirectD, u.d, static_cast<int32_t>(x) < static_cast<int32_t>(y)); break;
    case kLtu: write1(bits, kDirectD, u.d, x < y); break;
    case kGe: write1(bits, kDirectD, u.d, static_cast<int32_t>(x) >= static_cast<int32_t>(y)); break;
    case kGeu: write1(bits, kDirectD, u.d, x >= y); break;
    case kMul: write_later(u.d, x * y, 2); break;  // II_MUL [2,1,1]
    case kSelEqz: write1(bits, kDirectD, u.d, regs_[27] == 0 ? x : y); break;
    case kSelNez: write1(bits, kDirectD, u.d, regs_[27] != 0 ? x : y); break;
    case kAbs: {
      const int32_t v = static_cast<int32_t>(x);
      write1(bits, kDirectD, u.d, v < 0 ? 0u - x : x);
      write1(bits, kDirectSecond, reg::kCarry, 0);
      break;
    }
    case kClz: write1(bits, kDirectD, u.d, x ? static_cast<uint32_t>(__builtin_clz(x)) : 32u); break;
    case kClb: {
      // Leading bits equal to the sign bit, the sign bit excluded (docs/aie2.md: an assumption).
      const uint32_t v = static_cast<int32_t>(x) < 0 ? ~x : x;
      write1(bits, kDirectD, u.d, v ? static_cast<uint32_t>(__builtin_clz(v)) - 1 : 31u);
      break;
    }
    case kEqz: write1(bits, kDirectD, u.d, x == 0); break;
    case kNez: write1(bits, kDirectD, u.d, x != 0); break;
    case kExtS8: write1(bits, kDirectD, u.d, static_cast<uint32_t>(static_cast<int8_t>(x))); break;
    case kExtS16: write1(bits, kDirectD, u.d, static_cast<uint32_t>(static_cast<int16_t>(x))); break;
    case kExtU8: write1(bits, kDirectD, u.d, x & 0xFF); break;
    case kExtU16: write1(bits, kDirectD, u.d, x & 0xFFFF); break;
    case kDivs: {
      // One restoring step on {remainder, r31}: shift left one, subtract the divisor when it
      // fits (33-bit compare); 32 steps give quotient in r31 and remainder in d.
      const uint32_t q = regs_[31];
      uint64_t rem = (uint64_t{x} << 1) | (q >> 31);
      uint32_t nq = q << 1;
      if (rem >= y) rem -= y, nq |= 1;
      write1(bits, kDirectD, u.d, static_cast<uint32_t>(rem));
      write1(bits, kDirectSecond, 31, nq);
      break;
    }
    case kMov: write1(bits, kDirectD, u.d, x); break;
    case kMovDelayed: write_later(u.d, x, u.width + 1); break;  // II_MOVdK: def cycle K+1
    case kMovImm: write1(bits, kDirectD, u.d, static_cast<uint32_t>(u.imm)); break;
    case kMovCoreId:
      // UG1583 "Core ID": row in bits 0-4, column in bits 16-22. The column is fixed only where the
      // array knows it (ArrayOptions::core_id_known).
      if (!core_id_known_)
        fail("mov r, CORE_ID: its column bits (16-22) are the physical column of the tile, which depends on where the driver "
             "places the partition; fixed only for an xclbin whose partition can start at column 0 alone (run with --xclbin and --insts)");
      write1(bits, kDirectD, u.d, core_id_);
      break;
    case kMovCntr:
      write1(bits, kDirectD, u.d, static_cast<uint32_t>(cycle_));
      write1(bits, kDirectSecond, static_cast<uint8_t>(u.d + 1), static_cast<uint32_t>(cycle_ >> 32));
      break;
    case kAddNc: write1(bits, kDirectD, u.d, x + static_cast<uint32_t>(u.imm)); break;
    case kJump: branch = true, target = static_cast<uint32_t>(u.imm); break;
    case kCall:
      branch = true, target = static_cast<uint32_t>(u.imm);
      write_later(reg::LR, b.return_addr, 4);  // II_JL: lr is defined at cycle 4
      break;
    case kJumpInd: branch = true, target = regs_[u.a] & kMask20; break;
    case kCallInd:
      branch = true, target = regs_[u.a] & kMask20;
      write_later(reg::LR, b.return_addr, 4);
      break;
    case kRet: branch = true, target = regs_[reg::LR] & kMask20; break;
    case kJz: if (x == 0) branch = true, target = static_cast<uint32_t>(u.imm); break;
    case kJnz: if (x != 0) branch = true, target = static_cast<uint32_t>(u.imm); break;
    case kJnzd:
      // Compares before it decrements: taken while the old count is nonzero.
      if (x != 0) branch = true, target = regs_[u.b] & kMask20;
      write1(bits, kDirectD, u.d, x - 1);
      break;
    case kDone: done_ = true; break;
    case kEvent: break;
    case kAcq: case kAcqCond: case kRel: case kRelCond: break;  // applied by run() before the bundle issues
    // The stream ports: run_loop stalled the bundle until the word (or room) was there.
    case kStreamGet:
      write_later(u.d, streams_->get(), kStreamGetLatency);
      ++stats_.stream_words_in;
      break;
    case kStreamPut:
      streams_->put(SRC(u.a));
      ++stats_.stream_words_out;
      break;
    // Loads: address from the pointer read at issue; data lands in E7 (II_LDA [7,1,1]). Memory is
    // read at issue, which orders loads and stores exactly as their common E5 stage does.
    case kLdIdxImm: write_later(u.d, load((regs_[u.a] + u.imm) & kMask20, u.width, u.sign), load_latency_); break;
    case kLdIdxReg: write_later(u.d, load((regs_[u.a] + regs_[u.b]) & kMask20, u.width, u.sign), load_latency_); break;
    case kLdPostImm:
      write_later(u.d, load(regs_[u.a] & kMask20, u.width, u.sign), load_latency_);
      write1(bits, kDirectA, u.a, (regs_[u.a] + u.imm) & kMask20);
      break;
    case kLdPostReg:
      write_later(u.d, load(regs_[u.a] & kMask20, u.width, u.sign), load_latency_);
      write1(bits, kDirectA, u.a, (regs_[u.a] + regs_[u.b]) & kMask20);
      break;
    case kLd2D:
      write_later(u.d, load(regs_[u.a] & kMask20, u.width, u.sign), load_latency_);
      write1(bits, kDirectA, u.a, post_modify_2d(u.a, u.b, 1));
      break;
    case kLd3D:
      write_later(u.d, load(regs_[u.a] & kMask20, u.width, u.sign), load_latency_);
      write1(bits, kDirectA, u.a, post_modify_3d(u.a, u.b));
      break;
    case kLdSp: write_later(u.d, load((regs_[reg::SP] + u.imm) & kMask20, u.width, u.sign), load_latency_); break;
    // Word stores: data read at issue, written in E5.
    case kStIdxImm: store((regs_[u.a] + u.imm) & kMask20, u.width, SRC(u.d)); break;
    case kStIdxReg: store((regs_[u.a] + regs_[u.b]) & kMask20, u.width, SRC(u.d)); break;
    case kStPostImm:
      store(regs_[u.a] & kMask20, u.width, SRC(u.d));
      write1(bits, kDirectA, u.a, (regs_[u.a] + u.imm) & kMask20);
      break;
    case kStPostReg:
      store(regs_[u.a] & kMask20, u.width, SRC(u.d));
      write1(bits, kDirectA, u.a, (regs_[u.a] + regs_[u.b]) & kMask20);
      break;
    case kSt2D:
      store(regs_[u.a] & kMask20, u.width, SRC(u.d));
      write1(bits, kDirectA, u.a, post_modify_2d(u.a, u.b, 1));
      break;
    case kSt3D:
      store(regs_[u.a] & kMask20, u.width, SRC(u.d));
      write1(bits, kDirectA, u.a, post_modify_3d(u.a, u.b));
      break;
    case kStSp: store((regs_[reg::SP] + u.imm) & kMask20, u.width, SRC(u.d)); break;
    // Part-word stores (st.s8/st.s16, lda slot) read the word in E5, the data register in E7, and
    // write the merged word in E11 (II_STHB, MemoryCycles<[5, 11]>).
    case kPsIdxImm: case kPsIdxReg: case kPsPostImm: case kPsPostReg: case kPs2D: case kPs3D: {
      uint32_t addr;
      if (kind == kPsIdxImm) addr = (regs_[u.a] + u.imm) & kMask20;
      else if (kind == kPsIdxReg) addr = (regs_[u.a] + regs_[u.b]) & kMask20;
      else addr = regs_[u.a] & kMask20;
      addr_ptr(addr, u.width, "store");
      const uint32_t word = addr & ~3u;
      PartStore ps{word, 0, static_cast<uint8_t>(8 * (addr & 3)), u.width, u.d, b.address, regs_[reg::SP]};
      std::memcpy(&ps.snapshot, addr_ptr(word, 4, "store"), 4);
      part_stores_[(cycle_ + 6) & (kRing - 1)].push_back(ps);
      ++part_stores_in_flight_;
      if (word - kDataMemBase >= kDataMemBytes) ++part_stores_out_;
      if (kind == kPsPostImm) write1(bits, kDirectA, u.a, (regs_[u.a] + u.imm) & kMask20);
      else if (kind == kPsPostReg) write1(bits, kDirectA, u.a, (regs_[u.a] + regs_[u.b]) & kMask20);
      else if (kind == kPs2D) write1(bits, kDirectA, u.a, post_modify_2d(u.a, u.b, 1));
      else if (kind == kPs3D) write1(bits, kDirectA, u.a, post_modify_3d(u.a, u.b));
      break;
    }
    case kPaddImm: write1(bits, kDirectA, u.a, (regs_[u.a] + u.imm) & kMask20); break;
    case kPaddReg: write1(bits, kDirectA, u.a, (regs_[u.a] + regs_[u.b]) & kMask20); break;
    case kPadd2D: write1(bits, kDirectA, u.a, post_modify_2d(u.a, u.b, 1)); break;
    case kPadd3D: write1(bits, kDirectA, u.a, post_modify_3d(u.a, u.b)); break;
    case kPaddSp: write_later(reg::SP, (regs_[reg::SP] + u.imm) & kMask20, 1); break;
    default:
      // Never from the plain stretch: it passes a scalar kind with its case above as a constant,
      // and sends vector kinds to vec_.exec from its own label.
      if (kind >= kVecFirst) vec_.exec(u, *this);  // the vector unit (sim/core/vector_unit.cpp)
      else fail("internal: micro-op " + std::to_string(kind) + " has no rule");
  }
}

// The bundle's micro-ops, in slot order (the bundle-at-a-time step; a plain stretch issues them by
// threaded dispatch, Core::run_plain); a branch it issues is returned in `branch` and `target`.
__attribute__((always_inline)) inline void Core::issue_ops(const ProgramBundle& b, bool& branch, uint32_t& target) {
  // No direct write while a part-word store is in flight: it reads its data register as this
  // cycle's writes land (commit_part_stores), which must not see this bundle's results yet.
  const uint32_t allow = !part_stores_in_flight_ ? kDirectMask : 0u;
  // In locals: a byte store into data memory may alias anything, so the compiler would reload
  // them from the bundle after every micro-op.
  const int nops = b.nops;
  const MicroOp* const ops = b.ops;
  for (int i = 0; i < nops; ++i) exec_op(b, ops[i], ops[i].kind, allow, branch, target);
}

__attribute__((always_inline)) inline void Core::step_bundle(const ProgramBundle& b) {
  bool branch = false;
  uint32_t target = 0;
  issue_ops(b, branch, target);
  // Next fetch: a branch issued now redirects after its five delay slots; one issued earlier may
  // be due now; otherwise the zero-overhead loop or the next bundle.
  uint32_t next = b.next;
  if (branch_countdown_ > 0) {
    if (--branch_countdown_ == 0) next = branch_target_;
  } else if (b.address == (regs_[reg::LE] & kMask20) && regs_[reg::LC] != 0) {
    // The last bundle of a zero-overhead loop body: lc counts the iterations left.
    if (--regs_[reg::LC] != 0) next = regs_[reg::LS] & kMask20;
  }
  if (branch) {
    if (branch_countdown_ > 0) fail("a branch inside another branch's delay slots");
    branch_countdown_ = delay_slots_;
    branch_target_ = target;
  }
  pc_ = next;
}

void Core::commit_part_stores(std::vector<PartStore>& ps) {
  for (const auto& s : ps) {
    if (s.address - kDataMemBase >= kDataMemBytes) --part_stores_out_;
    const uint32_t data = regs_[s.data_reg];
    const uint32_t mask = (s.width == 1 ? 0xFFu : 0xFFFFu) << s.shift;
    const uint32_t word = (s.snapshot & ~mask) | ((data << s.shift) & mask);
    note_store(s.address + s.shift / 8, s.width, s.pc, s.sp);
    std::memcpy(addr_ptr(s.address, 4, "store"), &word, 4);
  }
  part_stores_in_flight_ -= static_cast<int>(ps.size());
  ps.clear();
}

__attribute__((always_inline)) inline void Core::commit_cycle() {
  const size_t i = cycle_ & (kRing - 1);
  // Part-word stores due now read their data register before this cycle's writes land.
  if (__builtin_expect(part_stores_in_flight_ != 0, 0) && !part_stores_[i].empty()) commit_part_stores(part_stores_[i]);
  commit_ring();
  if (__builtin_expect(vec_.pending(), 0)) vec_.commit(*this, cycle_);
}

// The register writes landing in this cycle (commit_cycle without the part-word stores and the
// vector unit, which a plain stretch has none of).
__attribute__((always_inline)) inline void Core::commit_ring() {
  const size_t i = cycle_ & (kRing - 1);
  const int n = ring_count_[i];
  for (int k = 0; k < n; ++k) {
    const PendingWrite& w = ring_[i][k];
    // A result this cycle's bundle wrote directly is newer than any ring write landing with it.
    if (direct_cycle_[w.reg] == cycle_) continue;
    regs_[w.reg] = w.value;
    if (w.reg == reg::SP) {
      // --sim-stack-at: the stack start __start loads into SP is replaced by the requested one.
      if (sp_override_pending_ && w.value == sp_start_) regs_[reg::SP] = sp_override_, sp_override_pending_ = false;
      stats_.max_sp = std::max(stats_.max_sp, regs_[reg::SP]);
    }
  }
  ring_count_[i] = 0;
  regs_[kNoReg] = 0;  // the spare entry absent operands read: nothing may leave a value there
}

void Core::set_profile(CoreProfile* p) {
  profile_ = p;
  if (!p) return;
  const auto& bundles = prog_->bundles();
  if (p->issues.size() < bundles.size()) p->issues.resize(bundles.size(), 0);
  // Tail calls: a direct jump to the first bundle of a function symbol (llvm-aie emits `j f` for
  // a call in tail position); marked once here so the profiled loop tests one byte.
  p->tail_jump.assign(bundles.size(), 0);
  for (size_t i = 0; i < bundles.size(); ++i)
    for (int k = 0; k < bundles[i].nops; ++k)
      if (bundles[i].ops[k].kind == kJump) {
        const uint32_t target = static_cast<uint32_t>(bundles[i].ops[k].imm);
        const ElfSymbol* f = prog_->elf().function_at(target);
        if (f && f->value == target) p->tail_jump[i] = 1;
      }
}

// A profiled bundle: its issue counted, and a call or return it issues recorded with its target
// (read before the bundle's writes land, as the branch itself reads it).
void Core::note_branches(const ProgramBundle& b, int index) {
  ++profile_->issues[static_cast<size_t>(index)];
  if (!b.has_branch) return;
  for (int k = 0; k < b.nops; ++k) {
    const MicroOp& u = b.ops[k];
    uint32_t target;
    if (u.kind == kCall) target = static_cast<uint32_t>(u.imm);
    else if (u.kind == kCallInd) target = regs_[u.a] & kMask20;
    else if (u.kind == kRet) target = regs_[reg::LR] & kMask20;
    else if (u.kind == kJump && profile_->tail_jump[static_cast<size_t>(index)]) target = static_cast<uint32_t>(u.imm);
    else continue;
    profile_->branches.push_back({cycle_ + profile_->time_offset, target, u.kind == kRet, u.kind == kJump});
  }
}

// The untimed loop stays as it was; the profiled one is the same loop with one counter and the
// call log, chosen once per run() call.
Stop Core::run(uint64_t budget) {
  wait_ = Wait{};  // blocked again only if this run stops on an acquire
  return profile_ ? run_loop<true, Confine::None>(budget) : run_loop<false, Confine::None>(budget);
}

bool Core::stream_ready() const {
  if (!streams_) return false;
  if (wait_.port == Wait::Port::StreamIn) return streams_->can_get();
  if (wait_.port == Wait::Port::StreamOut) return streams_->can_put();
  return false;
}

std::optional<int> Core::lock_value_named(int id) const {
  const int* lock = named_lock(id);
  return lock ? std::optional<int>(*lock) : std::nullopt;
}

template <Confine kConfine>
Stop Core::run_confined(uint64_t budget) {
  if (profile_) throw SimError("internal: a confined run on a profiled core");
  wait_ = Wait{};
  isolated_ = true;
  struct Leave {
    bool& flag;
    ~Leave() { flag = false; }
  } leave{isolated_};
  return run_loop<false, kConfine>(budget);
}

Stop Core::run_isolated(uint64_t budget) { return run_confined<Confine::Tile>(budget); }
Stop Core::run_free(uint64_t budget) { return run_confined<Confine::TileNoLocks>(budget); }
Stop Core::run_free_unchecked(uint64_t budget) { return run_confined<Confine::TileNoLocksUnchecked>(budget); }

// Whether every load, store and lock operation of the bundle stays in this tile, read from the
// registers as the bundle issues (every result of a bundle lands through write_later, so no
// micro-op of it changes them before another reads them). A lock id or address outside the tile,
// or one that would fault (misaligned), keeps the bundle for the sequential pass, which runs it as
// ever.
bool Core::stays_in_tile(const BundleReach& b) const {
  for (int k = 0; k < b.n; ++k) {
    const Reach& r = b.at[k];
    if (r.bytes == 0) {
      const int id = r.base == kNoReg ? r.imm : static_cast<int>(regs_[r.base]);
      if (id < kLocalLockBase || id >= kLocalLockBase + kLocks) return false;
      continue;
    }
    const uint32_t addr = (regs_[r.base] + (r.index != kNoReg ? regs_[r.index] : static_cast<uint32_t>(r.imm))) & kMask20;
    if ((addr & (r.bytes - 1u)) != 0 || addr < kDataMemBase || addr - kDataMemBase > kDataMemBytes - r.bytes) return false;
  }
  return true;
}

// Plain bundles from bundle `idx` on, until one is not plain, the cycle `end`, or control reaches
// an address that starts no bundle (run_loop then names it). The caller has checked that no branch
// is pending and no part-word store is in flight, and that bundle idx is plain.
//
// Threaded dispatch: each micro-op's code ends by jumping to the next micro-op's, through a table
// indexed by kind (GCC's labels as values), and the bundle's end (its kBundleEnd micro-op) to the
// next bundle's first; each label runs exec_op with its kind a constant, the same code as the
// bundle-at-a-time step. The host's branch predictor then sees one indirect jump per kind and
// per bundle end instead of one for every micro-op, and no loop counts them.
__attribute__((noinline)) void Core::run_plain(int idx, uint64_t end) {
  const int32_t* const index = prog_->index_table();
  const uint32_t base = prog_->base(), span = prog_->index_span();
  const ProgramBundle* const bundles = prog_->bundles().data();
  // Counted as the stretch ends, or as a fault leaves it (the bundles before it issued: one cycle
  // each).
  struct Count {
    CoreStats& stats;
    const uint64_t& cycle;
    const uint64_t start;
    ~Count() { stats.bundles += cycle - start, stats.plain_bundles += cycle - start; }
  } count{stats_, cycle_, cycle_};
  // By kind: the scalar kinds' labels in the enum's order, the bundle's end, the vector kinds'
  // (from kVecFirst) one label, and no kind between. Filled once: labels are addresses only this
  // function can take, so no static initializer can hold the gap.
  static const void* dispatch[256];
  static std::atomic<bool> dispatch_ready{false};
  if (__builtin_expect(!dispatch_ready.load(std::memory_order_acquire), 0)) {
    static std::mutex filling;
    std::lock_guard<std::mutex> lock(filling);
    if (!dispatch_ready.load(std::memory_order_relaxed)) {
#define ATTNCHECK_UOP_LABEL(k) &&op_##k,
      static const void* const scalar[] = {ATTNCHECK_SCALAR_UOPS(ATTNCHECK_UOP_LABEL) && bundle_end};
#undef ATTNCHECK_UOP_LABEL
      static_assert(sizeof scalar / sizeof scalar[0] == kBundleEnd + 1, "one label per kind, and the bundle's end");
      for (int k = 0; k < 256; ++k) dispatch[k] = k <= kBundleEnd ? scalar[k] : k >= kVecFirst ? &&op_vector : &&not_plain;
      dispatch_ready.store(true, std::memory_order_release);
    }
  }
  bool branch = false;  // a plain bundle issues none (exec_op's signature)
  uint32_t target = 0;
  // The vector unit has reads or writes in flight (VectorUnit::pending), kept here so that a
  // stretch of scalar bundles tests a local, not the unit, at each bundle's end.
  bool vector_busy = vec_.pending();
  const ProgramBundle* bp = bundles + idx;
  const MicroOp* u = bp->ops;
  goto* dispatch[u->kind];
  // A kind no plain bundle holds (plain_kind) jumps to not_plain.
#define ATTNCHECK_UOP_CASE(k)                                          \
  op_##k:                                                              \
  if constexpr (plain_kind(k)) {                                       \
    exec_op(*bp, *u, k, kDirectMask, branch, target);                  \
    ++u;                                                               \
    goto* dispatch[u->kind];                                           \
  } else {                                                             \
    goto not_plain;                                                    \
  }
  ATTNCHECK_SCALAR_UOPS(ATTNCHECK_UOP_CASE)
#undef ATTNCHECK_UOP_CASE
op_vector:
  vec_.exec(*u, *this);  // the vector unit (sim/core/vector_unit.cpp), as exec_op's default does
  vector_busy = true;
  ++u;
  goto* dispatch[u->kind];
bundle_end : {
  // step_bundle's next fetch with no branch pending: the zero-overhead loop or the next bundle.
  const ProgramBundle& b = *bp;
  uint32_t next = b.next;
  bp = b.next_bundle;
  if (b.address == (regs_[reg::LE] & kMask20) && regs_[reg::LC] != 0) {
    if (--regs_[reg::LC] != 0) {
      next = regs_[reg::LS] & kMask20;
      const uint32_t off = next - base;
      const int at = off < span ? index[off] : -1;
      bp = at >= 0 ? bundles + at : &kNoBundle;
    }
  }
  pc_ = next;
  // commit_cycle with no part-word store in flight: the ring, then the vector unit's late reads and
  // writes due now.
  commit_ring();
  if (vector_busy) {
    vec_.commit(*this, cycle_);
    vector_busy = vec_.pending();
  }
  ++cycle_;
  if (!bp->plain || cycle_ >= end) return;
  u = bp->ops;
  goto* dispatch[u->kind];
}
not_plain:
  fail("internal: micro-op " + std::to_string(u->kind) + " in a plain bundle");
}

template <bool kProfiled, Confine kConfine>
Stop Core::run_loop(uint64_t budget) {
  const uint64_t end = cycle_ + budget;
  // The program's tables in locals: the compiler cannot keep them in registers through prog_,
  // since every register-file store might alias them.
  const int32_t* const index = prog_->index_table();
  const uint32_t base = prog_->base(), span = prog_->index_span();
  const ProgramBundle* const bundles = prog_->bundles().data();
  while (!done_) {
    if (cycle_ >= end) return Stop::CycleLimit;
    const uint32_t off = pc_ - base;
    const int idx = off < span ? index[off] : -1;
    if (idx < 0) fail("control reached an address that starts no bundle");
    if constexpr (!kProfiled && (kConfine == Confine::None || kConfine == Confine::TileNoLocksUnchecked)) {
      // The plain stretch: while no branch is pending and no part-word store is in flight, plain
      // bundles (ProgramBundle::plain) keep it so, and each next bundle is the sequential one or
      // the loop start. They run here without the branch countdown, the part-word checks or the
      // address table for the sequential successor: each step is step_bundle's and
      // commit_cycle's with those parts known to do nothing. The free
      // quanta's unchecked run (Confine::TileNoLocksUnchecked) stops only before lock bundles,
      // which are not plain, and while a part-word store into a neighbour is in flight, which
      // part_stores_in_flight_ == 0 excludes: its plain stretches are the same.
      if (branch_countdown_ == 0 && part_stores_in_flight_ == 0 && bundles[idx].plain) {
        run_plain(idx, end);
        continue;
      }
    }
    const ProgramBundle& b = bundles[idx];
    if constexpr (kConfine != Confine::None) {
      // A part-word store the tile-order pass issued into a neighbour lands in this cycle or a
      // later one (E11): that write is the tile order's too.
      if (part_stores_out_) return Stop::Neighbour;
      if constexpr (kConfine != Confine::TileNoLocksUnchecked) {
        const BundleReach& reach = prog_->reaches()[static_cast<size_t>(idx)];
        if (reach.n && !stays_in_tile(reach)) return Stop::Neighbour;
      }
    }
    if (b.has_sync) {
      // A lock another core or a DMA channel may wait on, or one they may release, or a stream port
      // another core or a DMA channel feeds or drains: run_free's caller runs this bundle in tile order.
      if constexpr (kConfine == Confine::TileNoLocks || kConfine == Confine::TileNoLocksUnchecked) return Stop::Lock;
      // A stream access that cannot go ahead stalls the whole core, as an acquire does (checked
      // first: it changes nothing, so a stall leaves the locks as they were).
      for (int k = 0; k < b.nops; ++k) {
        const unsigned kind = b.ops[k].kind;
        if (kind != kStreamGet && kind != kStreamPut) continue;
        if (!streams_)
          fail(std::string(kind == kStreamGet ? "reads its input stream port (mov r, SS)" : "writes its output stream port (mov ms, r)") +
               ": stream ports are connected only when the whole array runs (--insts)");
        if (kind == kStreamGet ? !streams_->can_get() : !streams_->can_put()) {
          ++stats_.stream_waits;
          wait_ = Wait{};
          wait_.port = kind == kStreamGet ? Wait::Port::StreamIn : Wait::Port::StreamOut;
          return Stop::Blocked;
        }
      }
      // Lock operations act as the bundle issues; an acquire that cannot succeed stalls the whole
      // core (nothing of the bundle issues) until someone releases.
      for (int k = 0; k < b.nops; ++k) {
        const MicroOp& u = b.ops[k];
        if (u.kind < kAcq || u.kind > kRelCond) continue;
        if ((u.kind == kAcqCond || u.kind == kRelCond) && (regs_[26] & 1) == 0) continue;
        const int id = u.a == kNoReg ? u.imm : static_cast<int>(regs_[u.a]);
        int* slot = lock_slot(id);
        if (!slot)
          fail("lock id " + std::to_string(id) + (id >= 0 && id < kLocalLockBase ? " is a neighbour's lock, and no neighbour is connected"
                                                                               : " is not a lock id (0..63)"));
        const int v = static_cast<int32_t>(regs_[u.b]);
        const bool acquire = u.kind == kAcq || u.kind == kAcqCond;
        if (acquire) {
          // A negative value is acquire-greater-equal |v| (mlir-aie encodes AcquireGreaterEqual so).
          const int want = v < 0 ? -v : v;
          const bool ge = v < 0;
          if (ge ? *slot < want : *slot != want) {
            ++stats_.lock_waits;
            wait_ = {id >= kLocalLockBase ? id - kLocalLockBase : -1, want, ge, id};
            return Stop::Blocked;
          }
          if (ge) *slot -= want;
        } else {
          *slot = std::min(63, std::max(-64, *slot + v));
        }
      }
    }
    if constexpr (kProfiled) note_branches(b, idx);
    step_bundle(b);
    commit_cycle();
    ++cycle_;
    ++stats_.bundles;
  }
  // Let the pipeline drain so every store issued before `done` is in memory.
  for (int k = 0; k < kRing; ++k) {
    commit_cycle();
    ++cycle_;
  }
  return Stop::Done;
}

}  // namespace attncheck::aie2
