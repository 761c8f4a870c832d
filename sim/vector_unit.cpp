// The AIE2 vector unit's semantics: one small function per instruction family, each with the public fact it follows (docs/aie2-vector.md).
#include "sim/vector_unit.hpp"

#include <cstdio>
#include <cstring>

#include "sim/core.hpp"

namespace attncheck::aie2 {
namespace {

constexpr uint8_t kFileX = 0, kFileBm = 1;
constexpr int kCrRnd = 6;  // crRnd is control register 6 (sim/decode.cpp's cr table; mlir-aie AIECoreToStandard sets "control register 6 (rounding mode)")

uint32_t unit_mask(int first_unit, int units) {
  return units >= 32 ? ~0u : ((1u << units) - 1) << first_unit;
}

}  // namespace

VectorRules& vector_rules_for_tests() {
  static VectorRules rules;
  return rules;
}

bool lower_vector(const SlotInst& s, MicroOp* u, std::string* why) {
  const std::string name = s.enc->name;
  auto op = [&](size_t i) { return s.ops[i].value; };
  *u = MicroOp{kVecFirst, 0, 0, 0, 0, 0, false, 0};
  if (name == "VMOV_mv_x") {
    // vmov dst, src over mBMX / mBMXs (sim/decode.cpp): dst bm (v & 1) or x; src file 4 bm, 5 x.
    const int64_t d = op(0), sv = op(1);
    u->kind = kVMovX;
    if (d & 1) u->b = kFileBm, u->d = static_cast<uint8_t>(d >> 1);
    else u->b = kFileX, u->d = static_cast<uint8_t>(d >> 2);
    u->c = (sv >> 8) == 4 ? kFileBm : kFileX;
    u->a = static_cast<uint8_t>(sv & 0xFF);
    return true;
  }
  if (name == "VINSERT_8" || name == "VINSERT_16" || name == "VINSERT_32") {
    u->kind = kVInsert;  // syntax "vinsert.N $A, $C, r29, $B": ops A (dst), C (src), B (value)
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->width = name == "VINSERT_8" ? 1 : name == "VINSERT_16" ? 2 : 4;
    return true;
  }
  if (name == "VEXTRACT_S8" || name == "VEXTRACT_S16" || name == "VEXTRACT_S32") {
    u->kind = kVExtractS;  // syntax "vextract.sN $A, $C, $B": ops A (scalar dst), C (x), B (index reg)
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->width = name == "VEXTRACT_S8" ? 1 : name == "VEXTRACT_S16" ? 2 : 4;
    u->sign = true;
    return true;
  }
  if (name == "VCONV_BF16_FP32") {
    u->kind = kVConvBf16Fp32;  // vconv.bf16.fp32 w, bm: w = 2n + high, bm = 2n + high
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    return true;
  }
  if (name == "VBCST_8" || name == "VBCST_16" || name == "VBCST_32") {
    u->kind = kVBcst;  // "vbcst.N $A, $B": ops A (x), B (scalar)
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    u->width = name == "VBCST_8" ? 1 : name == "VBCST_16" ? 2 : 4;
    return true;
  }
  // 256-bit loads into a W register (syntax "vld? $C, [$A, $B]" / "[$A], $B": ops C, A, B).
  static const struct {
    const char* name;
    uint8_t mode;  // 0 [p, dj], 1 [p, #imm], 2 [p], m, 3 [p], #imm, 4 [sp, #imm], 5 2d, 6 3d
  } loads[] = {
      {"VLDB_dmw_ldb_ag_idx", 0}, {"VLDB_dmw_ldb_ag_idx_imm", 1}, {"VLDB_dmw_ldb_ag_pstm_nrm", 2},
      {"VLDB_dmw_ldb_ag_pstm_nrm_imm", 3}, {"VLDB_2D", 5}, {"VLDB_3D", 6},
      {"VLDA_dmw_lda_w_ag_idx", 0}, {"VLDA_dmw_lda_w_ag_idx_imm", 1}, {"VLDA_dmw_lda_w_ag_pstm_nrm", 2},
      {"VLDA_dmw_lda_w_ag_pstm_nrm_imm", 3}, {"VLDA_dmw_lda_w_ag_spill", 4}, {"VLDA_2D_dmw_lda_w", 5},
      {"VLDA_3D_dmw_lda_w", 6},
  };
  for (const auto& l : loads) {
    if (name != l.name) continue;
    u->kind = kVLoadW;
    u->width = l.mode;
    u->d = static_cast<uint8_t>(op(0));
    if (l.mode == 4) {
      u->imm = static_cast<int32_t>(op(1));
    } else {
      u->a = static_cast<uint8_t>(op(1));
      if (l.mode == 1 || l.mode == 3) u->imm = static_cast<int32_t>(op(2));
      else u->b = static_cast<uint8_t>(op(2));
    }
    return true;
  }
  *why = std::string("'") + format_slot(s) + "' (" + name + ") is decoded but not simulated: " +
         (is_vector_instruction(s) ? "the vector unit runs vmov (x/bm), vinsert, vextract.s, vconv.bf16.fp32, vbcst and 256-bit vlda/vldb only "
                                     "(docs/aie2-vector.md)"
                                   : "stream and tile-memory instructions are outside the core model");
  return false;
}

// crRnd 0 (floor): "Truncate LSB, always round down (towards negative infinity)", the documented
// default (AMD UG1583 rnd_floor = 0; UG1603 "floor ... Default"); measured on npu1 for the float
// narrowing: every result <= the exact value (Xilinx/mlir-aie PR #3587). crRnd 12 (conv_even):
// "Round halfway towards nearest even" (UG1583 rnd_conv_even = 12); matched numpy's bf16 (RNE) on
// every element on npu1 (PR #3587).
bool fp32_to_bf16(uint32_t f, uint32_t mode, uint16_t* out) {
  const uint32_t exp = (f >> 23) & 0xFF, man = f & 0x7FFFFF;
  if (exp == 0xFF) {
    if (man) return false;  // NaN: no fact fixes the payload
    *out = static_cast<uint16_t>(f >> 16);  // infinity: the low half is zero, nothing to round
    return true;
  }
  if (exp == 0 && man) return false;  // subnormal: flush or keep, no fact says
  uint32_t hi = f >> 16;
  const uint32_t lo = f & 0xFFFF;
  const bool neg = f >> 31;
  if (mode == 0) {
    if (neg && lo) ++hi;  // toward -inf: a negative value with dropped bits grows in magnitude
  } else if (mode == 12) {
    if (lo > 0x8000 || (lo == 0x8000 && (hi & 1))) ++hi;
  } else {
    return false;
  }
  if (((hi >> 7) & 0xFF) == 0xFF) return false;  // rounded past the largest finite: overflow rule not fixed
  *out = static_cast<uint16_t>(hi);
  return true;
}

VectorUnit::Write& VectorUnit::later(Core& core, int latency) {
  Slot& s = ring_[(core.cycle_ + static_cast<uint64_t>(latency) - 1) & (kRing - 1)];
  if (s.n >= static_cast<int>(s.w.size())) core.fail("more vector register writes land in one cycle than the simulator holds");
  ++in_flight_;
  return s.w[s.n++];
}

void VectorUnit::land(Slot& s) {
  for (int k = 0; k < s.n; ++k) {
    const Write& w = s.w[k];
    uint8_t* dst = w.file == kFileX ? x(w.idx) : bm(w.idx);
    std::memcpy(dst + w.offset, w.data, w.bytes);
    uint32_t& unk = w.file == kFileX ? xu_[w.idx] : bmu_[w.idx];
    unk = (unk & ~unit_mask(w.offset / 2, w.bytes / 2)) | w.unknown;
  }
  in_flight_ -= s.n;
  s.n = 0;
}

void VectorUnit::forward_x(const Write& w, uint64_t cycle) {
  Forward& f = fwd_[w.idx][(cycle + 1) & 1];
  f.cycle = cycle + 1;
  f.unknown = w.unknown;
  std::memcpy(f.data, w.data, 64);
}

void VectorUnit::exec(const MicroOp& u, Core& core) {
  char buf[160];
  switch (u.kind) {
    case kVMovX: {
      // VMOV_mv_x: a 512-bit copy (bitcasts between v16int32 and v8acc64 select it, AIE2InstrPatterns.td);
      // II_VMOV_X_* [2,1]: the destination is written at cycle 2.
      // Itineraries by operand files, II_VMOV_X_<dst>_<src>: an x source is read with MOV_Bypass
      // (XM_XM, BM_XM), an x destination is written with it (XM_XM, XM_BM).
      uint32_t unk;
      const uint8_t* src = u.c == kFileBm ? (unk = bmu_[u.a], bm(u.a)) : read_x(u.a, true, core.cycle_, &unk);
      Write& w = later(core, 2);
      w.file = u.b, w.idx = u.d, w.offset = 0, w.bytes = 64;
      std::memcpy(w.data, src, 64);
      w.unknown = unk;
      if (u.b == kFileX) forward_x(w, core.cycle_);
      return;
    }
    case kVInsert: {
      // vinsert.N dst, src, r29, s: dst = src with lane r29 (N-byte lanes) replaced by the low N
      // bytes of s (clang aiev2 upd_elem -> __builtin_aiev2_vinsertN_I512(v, idx, b)); II_VINSERT [2,...].
      const uint32_t idx = core.regs_[29];
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vinsert.%d with index r29 = %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      // II_VINSERT bypasses [MOV_Bypass (dst), MOV_Bypass (src), NoBypass, NoBypass].
      const uint32_t v = core.regs_[u.b];
      uint32_t unk;
      const uint8_t* src = read_x(u.a, true, core.cycle_, &unk);
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64;
      std::memcpy(w.data, src, 64);
      std::memcpy(w.data + idx * u.width, &v, u.width);  // little-endian host: low bytes first
      w.unknown = unk;
      if (u.width >= 2) w.unknown &= ~unit_mask(idx * u.width / 2, u.width / 2);
      else if ((unk >> (idx / 2)) & 1) w.unknown |= 1u << (idx / 2);  // the other byte of the unit is still unknown
      forward_x(w, core.cycle_);
      return;
    }
    case kVExtractS: {
      // vextract.sN r, x, rs: lane rs (N-byte lanes) sign-extended to 32 bits (clang aiev2
      // ext_elem(v, idx, sign) -> __builtin_aiev2_vextract_elemN_I512); II_VEXTRACT [2,...].
      const uint32_t idx = core.regs_[u.b];
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vextract.s%d with index %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      // II_VEXTRACT bypasses [NoBypass (dst), MOV_Bypass (x), NoBypass].
      uint32_t unk;
      const uint8_t* xs = read_x(u.a, true, core.cycle_, &unk);
      const int unit = idx * u.width / 2, units = u.width >= 2 ? u.width / 2 : 1;
      if (unk & unit_mask(unit, units)) {
        std::snprintf(buf, sizeof buf, "vextract.s%d reads lane %u of x%d, which a conversion left undetermined (no fact fixes it)",
                      8 * u.width, idx, u.a);
        core.fail(buf);
      }
      const uint8_t* p = xs + idx * u.width;
      uint32_t v;
      if (u.width == 1) v = static_cast<uint32_t>(static_cast<int8_t>(p[0]));
      else if (u.width == 2) v = static_cast<uint32_t>(static_cast<int16_t>(p[0] | p[1] << 8));
      else std::memcpy(&v, p, 4);
      core.write_later_from_vector(u.d, v, 2);
      return;
    }
    case kVConvBf16Fp32: {
      // vconv.bf16.fp32 w, bm: the 16 fp32 lanes of bm to 16 bf16 lanes of w, lane i to lane i
      // (to_v16bfloat16(v16accfloat), UG1583), rounded by crRnd (II_VCONV reads crRnd at cycle 1;
      // AIE2PS's to_v16bfloat16_conf sets crRnd around the same conversion); result at cycle 2.
      const int forced = vector_rules_for_tests().force_crRnd;
      const uint32_t mode = forced >= 0 ? static_cast<uint32_t>(forced) : core.regs_[reg::CR0 + kCrRnd];
      const uint8_t* src = bm(u.a);
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      w.unknown = 0;
      for (int i = 0; i < 16; ++i) {
        uint32_t f;
        std::memcpy(&f, src + 4 * i, 4);
        uint16_t h = 0;
        const bool known = !((bmu_[u.a] >> (2 * i)) & 3) && fp32_to_bf16(f, mode, &h);
        if (!known) w.unknown |= 1u << (16 * (u.d & 1) + i);
        std::memcpy(w.data + 2 * i, &h, 2);
      }
      return;
    }
    case kVBcst: {
      // vbcst.N x, r: every N-bit lane of x = the low N bits of r (clang aiev2 broadcast_to_v64int8 /
      // v32int16 / v16int32 -> __builtin_aiev2_vbroadcastN_I512); II_VBCST [2,1], def MOV_Bypass.
      const uint32_t v = core.regs_[u.a];
      Write& w = later(core, 2);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      for (int k = 0; k < 64; k += u.width) std::memcpy(w.data + k, &v, u.width);
      forward_x(w, core.cycle_);
      return;
    }
    case kVLoadW: {
      // vlda/vldb w: 32 bytes from data memory, lane order as memory (little-endian); the load
      // units take aligned addresses (AM020 "Two 256-bit load ... units with aligned addresses"),
      // so an unaligned one stops. II_VLDA_W / II_VLDB [7,1,1]: w at cycle 7, a post-modified
      // pointer at cycle 1; memory read at issue as the scalar loads (docs/aie2.md).
      constexpr uint32_t kMask20 = 0xFFFFF;
      const uint32_t p = u.width == 4 ? core.regs_[reg::SP] : core.regs_[u.a];
      uint32_t addr = p & kMask20, next = 0;
      bool post = true;
      switch (u.width) {
        case 0: addr = (p + core.regs_[u.b]) & kMask20, post = false; break;
        case 1: case 4: addr = (p + static_cast<uint32_t>(u.imm)) & kMask20, post = false; break;
        case 2: next = (p + core.regs_[u.b]) & kMask20; break;
        case 3: next = (p + static_cast<uint32_t>(u.imm)) & kMask20; break;
        case 5: next = core.post_modify_2d(u.a, u.b, 1); break;
        default: next = core.post_modify_3d(u.a, u.b); break;
      }
      if (addr < kDataMemBase || addr - kDataMemBase > kDataMemBytes - 32 || (addr & 31) != 0) {
        std::snprintf(buf, sizeof buf, "256-bit vector load at 0x%X: %s", addr,
                      (addr & 31) ? "not 32-byte aligned (the load units take aligned addresses)" : "outside the tile's data memory 0x70000..0x7FFFF");
        core.fail(buf);
      }
      Write& w = later(core, 7);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      w.unknown = 0;
      std::memcpy(w.data, core.mem_.data() + (addr - kDataMemBase), 32);
      if (post) core.write_later_from_vector(u.a, next, 1);
      return;
    }
    default: core.fail("internal: vector micro-op " + std::to_string(u.kind) + " has no rule");
  }
}

}  // namespace attncheck::aie2
