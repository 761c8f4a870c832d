// The AIE2 vector unit's semantics: one small function per instruction family, each with the public fact it follows (docs/aie2-vector.md).
#include "sim/vector_unit.hpp"

#include <cstdio>
#include <cstring>

#include "sim/core.hpp"

namespace attncheck::aie2 {
namespace {

constexpr uint8_t kFileX = 0, kFileBm = 1;
constexpr int kCrRnd = 6;
constexpr int kCrVaddSign = 0;  // control register 0 (AIE2RegisterInfo.cpp getControlRegister: {0, AIE2::crVaddSign})
// Result cycles of the element-wise families (AIE2Schedule.td; docs/aie2-vector.md "Timing").
constexpr int kCmpLatency = 2, kMinMaxLatency = 2, kSelLatency = 2, kExtBcstLatency = 2, kEqzLatency = 2,
              kAddSubLatency = 2, kBitwiseLatency = 2;  // crRnd is control register 6 (sim/decode.cpp's cr table; mlir-aie AIECoreToStandard sets "control register 6 (rounding mode)")

uint32_t unit_mask(int first_unit, int units) {
  return units >= 32 ? ~0u : ((1u << units) - 1) << first_unit;
}

// Lane i of e-byte elements, sign- or zero-extended.
int64_t lane(const uint8_t* v, int i, int e, bool sign) {
  const uint8_t* p = v + i * e;
  if (e == 1) return sign ? static_cast<int8_t>(p[0]) : p[0];
  if (e == 2) {
    const uint16_t h = static_cast<uint16_t>(p[0] | p[1] << 8);
    return sign ? static_cast<int16_t>(h) : h;
  }
  uint32_t w;
  std::memcpy(&w, p, 4);
  return sign ? static_cast<int32_t>(w) : w;
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
  // 256-bit stores from a W register (syntax "vst $C, [$A, $B]" / "[$A], $B" / "vst $B, [sp, $A]":
  // ops in print order, the register first); modes as the loads above.
  static const struct {
    const char* name;
    uint8_t mode;
  } stores[] = {
      {"VST_dmw_sts_w_ag_idx", 0}, {"VST_dmw_sts_w_ag_idx_imm", 1}, {"VST_dmw_sts_w_ag_pstm_nrm", 2},
      {"VST_dmw_sts_w_ag_pstm_nrm_imm", 3}, {"VST_dmw_sts_w_ag_spill", 4}, {"VST_2D_dmw_sts_w", 5}, {"VST_3D_dmw_sts_w", 6},
  };
  for (const auto& st : stores) {
    if (name != st.name) continue;
    u->kind = kVStoreW;
    u->width = st.mode;
    u->d = static_cast<uint8_t>(op(0));
    if (st.mode == 4) {
      u->imm = static_cast<int32_t>(op(1));
    } else {
      u->a = static_cast<uint8_t>(op(1));
      if (st.mode == 1 || st.mode == 3) u->imm = static_cast<int32_t>(op(2));
      else u->b = static_cast<uint8_t>(op(2));
    }
    return true;
  }
  // Element-wise families (docs/aie2-vector.md "Element-wise"). The lane width is the name's
  // suffix; a D variant takes its sign from crVaddSign, an S variant is signed.
  auto lane_bytes = [&](const std::string& suffix) -> int {
    const std::string n = suffix.substr(suffix[0] == 'D' || suffix[0] == 'S' ? 1 : 0);
    return n == "8" ? 1 : n == "16" ? 2 : n == "32" ? 4 : 0;
  };
  auto split = [&](const std::string& prefix, std::string* suffix) {
    if (name.rfind(prefix, 0) != 0) return false;
    *suffix = name.substr(prefix.size());
    return true;
  };
  std::string suf;
  if (split("VLT_", &suf) || split("VGE_", &suf)) {
    if (lane_bytes(suf) == 0) return *why = name + ": bf16 comparisons are not simulated", false;
    u->kind = kVCmp;  // "vlt.d8 $A, $B, $C": ops mask, s1, s2
    u->c = name[1] == 'G';
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->sign = suf[0] == 'S';
    u->imm = suf[0] == 'D';  // the sign comes from crVaddSign
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  if (split("VMIN_GE_", &suf) || split("VMAX_LT_", &suf)) {
    if (lane_bytes(suf) == 0) return *why = name + ": bf16 min/max are not simulated", false;
    u->kind = kVMinMax;  // "vmin_ge.d8 $A, $B, $C, $D": ops x dst, mask, s1, s2
    u->c = name[2] == 'A';
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->sign = suf[0] == 'S';
    u->imm = (suf[0] == 'D') | static_cast<int>(op(1)) << 1;  // bit 0: sign from crVaddSign; above: the mask pair
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(2)), u->b = static_cast<uint8_t>(op(3));
    return true;
  }
  if (split("VSEL_", &suf) && lane_bytes(suf)) {
    u->kind = kVSel;  // "vsel.8 $A, $C, $D, $B": ops dst, src1, src2, mask (an l pair for .8, an r for .16/.32)
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    u->c = static_cast<uint8_t>(op(3));
    return true;
  }
  if (name == "VEXTBCST_8_mExtractIdxImm" || name == "VEXTBCST_16_mExtractIdxImm" || name == "VEXTBCST_32_mExtractIdxImm" ||
      name == "VEXTBCST_8_mRm" || name == "VEXTBCST_16_mRm" || name == "VEXTBCST_32_mRm") {
    u->kind = kVExtBcst;  // "vextbcst.N $A, $C, $B": ops dst, src, index (#imm or r)
    u->width = static_cast<uint8_t>(name[9] == '8' ? 1 : name[9] == '1' ? 2 : 4);
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    u->sign = name.find("_mRm") != std::string::npos;  // index in a register
    if (u->sign) u->b = static_cast<uint8_t>(op(2));
    else u->imm = static_cast<int32_t>(op(2));
    return true;
  }
  if (split("VEQZ_", &suf) && lane_bytes(suf)) {
    u->kind = kVEqz;  // "veqz.N $A, $B": ops mask, src
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1));
    return true;
  }
  if ((split("VADD_", &suf) || split("VSUB_", &suf)) && lane_bytes(suf) && suf[0] != 'D' && suf[0] != 'S') {
    u->kind = kVAddSub;  // "vadd.N $A, $B, $C": ops dst, s1, s2
    u->c = name[1] == 'S';
    u->width = static_cast<uint8_t>(lane_bytes(suf));
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  if (name == "VBAND" || name == "VBOR") {
    u->kind = kVBitwise;  // "vband $A, $B, $C": ops dst, s1, s2
    u->c = name == "VBOR";
    u->d = static_cast<uint8_t>(op(0)), u->a = static_cast<uint8_t>(op(1)), u->b = static_cast<uint8_t>(op(2));
    return true;
  }
  *why = std::string("'") + format_slot(s) + "' (" + name + ") is decoded but not simulated: " +
         (is_vector_instruction(s) ? "the vector unit runs vmov (x/bm), vinsert, vextract.s, vconv.bf16.fp32, vbcst, vextbcst, 256-bit vlda/vldb/vst, "
                                     "vlt/vge, vmin_ge/vmax_lt, vsel, veqz, vadd/vsub and vband/vbor only (docs/aie2-vector.md)"
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

// crVaddSign: 1 signed, 0 unsigned. llvm-aie selects the D form for a constant sign 0 without
// writing crVaddSign (AIE2InstrPatterns.td), so a 0 there is unsigned; see docs/aie2-vector.md.
bool VectorUnit::lane_sign(const MicroOp& u, Core& core) {
  if (!(u.imm & 1)) return u.sign;
  const uint32_t cr = core.regs_[reg::CR0 + kCrVaddSign];
  if (cr > 1) core.fail("crVaddSign = " + std::to_string(cr) + ": only 0 (unsigned) and 1 (signed) are fixed by a public fact");
  return (cr == 1) != vector_rules_for_tests().vadd_sign_inverted;
}

// A mask over 64 8-bit lanes is an l register pair r(16+2n) (lanes 0..31), r(17+2n) (32..63)
// (the eL operand, AIE2RegisterInfo.td); over 32 or 16 lanes, one r register (eRS8), lane i in bit i.
uint64_t VectorUnit::read_mask(Core& core, uint8_t r, int lane_bytes) {
  if (lane_bytes == 1) return core.regs_[reg::R0 + 16 + 2 * r] | static_cast<uint64_t>(core.regs_[reg::R0 + 17 + 2 * r]) << 32;
  return core.regs_[r];
}

void VectorUnit::write_mask(Core& core, uint8_t r, int lane_bytes, uint64_t mask, int latency) {
  if (lane_bytes == 1) {
    core.write_later_from_vector(static_cast<uint8_t>(reg::R0 + 16 + 2 * r), static_cast<uint32_t>(mask), latency);
    core.write_later_from_vector(static_cast<uint8_t>(reg::R0 + 17 + 2 * r), static_cast<uint32_t>(mask >> 32), latency);
  } else {
    core.write_later_from_vector(r, static_cast<uint32_t>(mask), latency);
  }
}

void VectorUnit::refuse_unknown(Core& core, uint32_t unknown, const char* what) {
  if (unknown) core.fail(std::string(what) + " reads lanes a conversion left undetermined (no fact fixes them)");
}

// The address of a vector load or store in addressing mode u.width (as kVLoadW lists them), the
// post-modified pointer where the mode has one; an address off the access's size stops the run:
// the load and store units take aligned addresses (AM020).
uint32_t VectorUnit::effective_address(const MicroOp& u, Core& core, int bytes, const char* what, uint32_t* next, bool* post) {
  constexpr uint32_t kMask20 = 0xFFFFF;
  const uint32_t p = u.width == 4 ? core.regs_[reg::SP] : core.regs_[u.a];
  uint32_t addr = p & kMask20;
  *post = true;
  switch (u.width) {
    case 0: addr = (p + core.regs_[u.b]) & kMask20, *post = false; break;
    case 1: case 4: addr = (p + static_cast<uint32_t>(u.imm)) & kMask20, *post = false; break;
    case 2: *next = (p + core.regs_[u.b]) & kMask20; break;
    case 3: *next = (p + static_cast<uint32_t>(u.imm)) & kMask20; break;
    case 5: *next = core.post_modify_2d(u.a, u.b, 1); break;
    default: *next = core.post_modify_3d(u.a, u.b); break;
  }
  if (addr & static_cast<uint32_t>(bytes - 1)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%d-bit vector %s at 0x%X: not %d-byte aligned (the %s units take aligned addresses)", 8 * bytes, what, addr, bytes, what);
    core.fail(buf);
  }
  return addr;
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
      uint32_t next = 0;
      bool post = false;
      const uint32_t addr = effective_address(u, core, 32, "load", &next, &post);
      // The core's address space: its own memory, or a neighbour's in the whole array (as scalar loads).
      const uint8_t* src = core.vector_access(addr, 32, false);
      Write& w = later(core, 7);
      w.file = kFileX, w.idx = static_cast<uint8_t>(u.d >> 1), w.offset = static_cast<uint8_t>(32 * (u.d & 1)), w.bytes = 32;
      w.unknown = 0;
      std::memcpy(w.data, src, 32);
      if (post) core.write_later_from_vector(u.a, next, 1);
      return;
    }
    case kVStoreW: {
      // vst w: 32 bytes of wl/wh to data memory, byte k of the register to byte k of memory (as
      // the loads); the store units take aligned addresses (AM020), so an unaligned one stops.
      // ITIN_VST_W: the register is read at issue and memory written at issue, in issue order
      // after the loads, as the scalar stores (docs/aie2-vector.md "Timing").
      uint32_t next = 0;
      bool post = false;
      const uint32_t addr = effective_address(u, core, 32, "store", &next, &post);
      const int n = u.d >> 1, half = u.d & 1;
      if (xu_[n] & unit_mask(16 * half, 16)) {
        std::snprintf(buf, sizeof buf, "vst w%c%d stores lanes a conversion left undetermined (no fact fixes them)", half ? 'h' : 'l', n);
        core.fail(buf);
      }
      std::memcpy(core.vector_access(addr, 32, true), x(n) + 32 * half, 32);
      if (post) core.write_later_from_vector(u.a, next, 1);
      return;
    }
    case kVCmp: {
      // vlt / vge: bit i of the mask = (s1[i] < s2[i]) / (s1[i] >= s2[i]) (clang aiev2_vadd.h:
      // lt(a, b) -> __builtin_aiev2_vlt8(a, b, sign), ge likewise; AIE2InstrPatterns.td selects
      // VLT_D8 for sign 0 and VLT_S8 for sign 1). A D variant reads the sign from crVaddSign.
      const bool sign = lane_sign(u, core);
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      refuse_unknown(core, ua | ub, u.c ? "vge" : "vlt");
      uint64_t mask = 0;
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i) {
        const int64_t x1 = lane(a, i, u.width, sign), x2 = lane(b, i, u.width, sign);
        if (u.c ? x1 >= x2 : x1 < x2) mask |= uint64_t{1} << i;
      }
      write_mask(core, u.d, u.width, mask, kCmpLatency);
      return;
    }
    case kVMinMax: {
      // vmin_ge: lane i = min(s1[i], s2[i]), mask bit i = s1[i] >= s2[i]; vmax_lt: max and
      // s1[i] < s2[i] (clang aiev2_vadd.h min_ge(a, b, cmp) / max_lt(a, b, cmp), and min(a, b) =
      // min_ge with the mask dropped). Sign as kVCmp.
      const bool sign = lane_sign(u, core);
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      refuse_unknown(core, ua | ub, u.c ? "vmax_lt" : "vmin_ge");
      uint64_t mask = 0;
      Write& w = later(core, kMinMaxLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i) {
        const int64_t x1 = lane(a, i, u.width, sign), x2 = lane(b, i, u.width, sign);
        const bool bit = u.c ? x1 < x2 : x1 >= x2;
        if (bit) mask |= uint64_t{1} << i;
        // min_ge keeps s2 where s1 >= s2, max_lt keeps s2 where s1 < s2: the bit picks s2.
        std::memcpy(w.data + i * u.width, (bit ? b : a) + i * u.width, u.width);
      }
      write_mask(core, static_cast<uint8_t>(u.imm >> 1), u.width, mask, kMinMaxLatency);
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVSel: {
      // vsel: lane i = mask bit i ? src2[i] : src1[i] (AIE2InstrPatterns.td: "sel ? v1 : v2 is
      // equivalent to vsel(sel-1, v1, v2)", i.e. a 0 bit takes the first source).
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      const uint64_t mask = read_mask(core, u.c, u.width) ^ (vector_rules_for_tests().vsel_inverted ? ~uint64_t{0} : 0);
      Write& w = later(core, kSelLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i) {
        const bool bit = (mask >> i) & 1;
        std::memcpy(w.data + i * u.width, (bit ? b : a) + i * u.width, u.width);
        const uint32_t units = unit_mask(i * u.width / 2, u.width >= 2 ? u.width / 2 : 1);
        w.unknown |= (bit ? ub : ua) & units;
      }
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVExtBcst: {
      // vextbcst.N x, src, i: lane i of src (N-bit lanes) in every lane (clang aiev2
      // __builtin_aiev2_vextract_broadcastN_I512(v, idx); AIE2InstrPatterns.td selects the
      // immediate form for an imm5 index, the register form otherwise).
      const uint32_t idx = u.sign ? core.regs_[u.b] : static_cast<uint32_t>(u.imm);
      const int lanes = 64 / u.width;
      if (idx >= static_cast<uint32_t>(lanes)) {
        std::snprintf(buf, sizeof buf, "vextbcst.%d with index %u outside 0..%d: no fact fixes it", 8 * u.width, idx, lanes - 1);
        core.fail(buf);
      }
      uint32_t unk;
      const uint8_t* src = read_x(u.a, true, core.cycle_, &unk);
      refuse_unknown(core, unk & unit_mask(idx * u.width / 2, u.width >= 2 ? u.width / 2 : 1), "vextbcst");
      Write& w = later(core, kExtBcstLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = 0;
      for (int i = 0; i < lanes; ++i) std::memcpy(w.data + i * u.width, src + idx * u.width, u.width);
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVEqz: {
      // veqz.N: bit i of the mask = (src[i] == 0) (clang aiev2_vadd.h eqz(a) -> __builtin_aiev2_veqzN;
      // eq(a, b) = eqz(sub(a, b))).
      uint32_t unk;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &unk);
      refuse_unknown(core, unk, "veqz");
      uint64_t mask = 0;
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i)
        if (lane(a, i, u.width, false) == 0) mask |= uint64_t{1} << i;
      write_mask(core, u.d, u.width, mask, kEqzLatency);
      return;
    }
    case kVAddSub: {
      // vadd.N / vsub.N: lane-wise modulo 2^N (AIE2InstrPatterns.td selects them for the generic
      // add / sub of v64i8, v32i16, v16i32, which wrap).
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      Write& w = later(core, kAddSubLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = ua | ub;
      for (int i = 0, lanes = 64 / u.width; i < lanes; ++i) {
        const uint64_t x1 = static_cast<uint64_t>(lane(a, i, u.width, false)), x2 = static_cast<uint64_t>(lane(b, i, u.width, false));
        const uint64_t r = u.c ? x1 - x2 : x1 + x2;
        std::memcpy(w.data + i * u.width, &r, u.width);  // little-endian host: the low N bits
      }
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    case kVBitwise: {
      // vband / vbor: 512-bit and / or (AIE2InstrPatterns.td selects them for the generic and / or
      // of every 512-bit integer vector type).
      uint32_t ua, ub;
      const uint8_t* a = read_x(u.a, true, core.cycle_, &ua);
      const uint8_t* b = read_x(u.b, true, core.cycle_, &ub);
      Write& w = later(core, kBitwiseLatency);
      w.file = kFileX, w.idx = u.d, w.offset = 0, w.bytes = 64, w.unknown = ua | ub;
      for (int i = 0; i < 64; ++i) w.data[i] = static_cast<uint8_t>(u.c ? a[i] | b[i] : a[i] & b[i]);
      forward_x(w, core.cycle_);  // the result carries MOV_Bypass (AIE2Schedule.td)
      return;
    }
    default: core.fail("internal: vector micro-op " + std::to_string(u.kind) + " has no rule");
  }
}

}  // namespace attncheck::aie2
