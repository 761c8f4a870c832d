// The AIE2 vector unit beside the scalar core: vector and accumulator register files, their pending writes, and one semantics function per instruction family (docs/aie2-vector.md).
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "sim/isa.hpp"

namespace attncheck::aie2 {

struct MicroOp;
class Core;

// Micro-op kinds of the vector unit; above every scalar kind of sim/core.cpp so one `default:`
// of the core's switch hands them here.
enum VecUop : uint16_t {
  kVecFirst = 200,
  kVMovX = kVecFirst,  // vmov (VMOV_mv_x): 512-bit copy between x and bm registers
  kVInsert,            // vinsert.8/16/32 x, x, r29, r
  kVExtractS,          // vextract.s8/s16/s32 r, x, rs
  kVConvBf16Fp32,      // vconv.bf16.fp32 w, bm
  kVBcst,              // vbcst.8/16/32 x, r
  kVLoadW,             // vlda / vldb w, [p ...]: 256-bit loads; width holds the addressing mode
  kVStoreW,            // vst w, [p ...]: 256-bit stores; width holds the addressing mode (as kVLoadW)
  kVCmp,               // vlt / vge .d8/.d16/.d32/.s*: a lane mask into an l register pair; c = 0 lt, 1 ge
  kVMinMax,            // vmin_ge / vmax_lt: lane-wise min / max and the comparison's mask; c = 0 min_ge, 1 max_lt
  kVSel,               // vsel.8/16/32 x, x1, x2, mask: lane from x2 where the mask bit is 1, else from x1
  kVExtBcst,           // vextbcst.8/16/32 x, x, #i or r: lane i broadcast to every lane
  kVEqz,               // veqz.8/16/32 l, x: a lane mask, bit set where the lane is 0
  kVAddSub,            // vadd / vsub .8/16/32: lane-wise, modulo 2^N; c = 0 add, 1 sub
  kVBitwise,           // vband / vbor: 512-bit and / or; c = 0 and, 1 or
  kVecLast,
};

// Rules of the vector unit only the mutation tests change, to show that breaking one breaks the
// bit-exact kernel tests (docs/aie2-vector.md gives each one's source).
struct VectorRules {
  bool mov_bypass = true;        // MOV_Bypass forwarding of whole-x results (AIE2Schedule.td)
  int force_crRnd = -1;          // >= 0: vconv.bf16.fp32 uses this rounding mode instead of crRnd
  bool vadd_sign_inverted = false;  // a D variant reads crVaddSign 0 as signed (the wrong way round)
  bool vsel_inverted = false;       // vsel takes the first source where the mask bit is 1
};
VectorRules& vector_rules_for_tests();

// Lowers a decoded vector instruction to a micro-op; false with `why` for one the unit does not
// run (its semantics are not fixed by a public fact here, or not implemented yet).
bool lower_vector(const SlotInst& s, MicroOp* u, std::string* why);

// Register state, as AIE2RegisterInfo.td names it (docs/aie2-vector.md "State"):
// x0..x11 are 512 bits, wl_n / wh_n their low / high 256 bits; cm0..cm8 are 1024 bits,
// bml_n / bmh_n their low / high 512 bits, amll/amlh/amhl/amhh_n their 256-bit quarters.
// Byte k of a register is bits 8k..8k+7, lane i of e-byte elements bytes e*i..e*i+e-1.
class VectorUnit {
 public:
  static constexpr int kX = 12, kCm = 9;
  uint8_t* x(int n) { return xr_[n].data(); }
  uint8_t* bm(int i) { return acc_[i >> 1].data() + 64 * (i & 1); }  // i = 2n + (high half)
  // 16-bit units of x_n (bit k) / bm_i whose value no public fact fixes (a lane a conversion
  // left undetermined): reading one is refused; copying carries it.
  uint32_t& x_unknown(int n) { return xu_[n]; }
  uint32_t& bm_unknown(int i) { return bmu_[i]; }

  void exec(const MicroOp& u, Core& core);
  // Lands the vector writes due at the end of `cycle`.
  void commit(uint64_t cycle) {
    auto& slot = ring_[cycle & (kRing - 1)];
    if (slot.n) land(slot);
  }
  bool pending() const { return in_flight_ != 0; }

 private:
  struct Write {
    uint8_t file;   // 0: x (idx = n, bytes at offset), 1: bm (idx = 2n+h)
    uint8_t idx, offset, bytes;
    uint32_t unknown;  // 16-bit-unit mask over the written bytes, relative to the register
    alignas(16) uint8_t data[64];
  };
  struct Slot {
    int n = 0;
    std::array<Write, 8> w;
  };
  static constexpr int kRing = 16;
  Write& later(Core& core, int latency);
  void land(Slot& s);
  // MOV_Bypass (AIE2Schedule.td): a result whose def operand names MOV_Bypass, read by a use
  // operand that names it too, is there one cycle early (LLVM InstrItineraryData::
  // hasPipelineForwarding lowers the latency by one). Only whole-x results forward here.
  struct Forward {
    uint64_t cycle = ~uint64_t{0};  // the cycle a bypassing reader sees `data`
    uint32_t unknown = 0;
    uint8_t data[64];
  };
  void forward_x(const Write& w, uint64_t cycle);
  // The element-wise families' operands: the sign a D variant reads from crVaddSign, a lane mask
  // in an l register pair (8-bit lanes) or one r register (16/32-bit lanes), undetermined lanes.
  static bool lane_sign(const MicroOp& u, Core& core);
  static uint64_t read_mask(Core& core, uint8_t reg, int lane_bytes);
  static void write_mask(Core& core, uint8_t reg, int lane_bytes, uint64_t mask, int latency);
  static void refuse_unknown(Core& core, uint32_t unknown, const char* what);
  static uint32_t effective_address(const MicroOp& u, Core& core, int bytes, const char* what, uint32_t* next, bool* post);
  const uint8_t* read_x(int n, bool bypass, uint64_t cycle, uint32_t* unknown) const {
    const Forward& f = fwd_[n][cycle & 1];
    if (bypass && f.cycle == cycle && vector_rules_for_tests().mov_bypass) return *unknown = f.unknown, f.data;
    return *unknown = xu_[n], xr_[n].data();
  }
  // Two per register, by the parity of the cycle they serve: a write issued in the cycle a
  // forwarded value is read must not replace it before every slot of that bundle has read it.
  std::array<std::array<Forward, 2>, kX> fwd_{};

  std::array<std::array<uint8_t, 64>, kX> xr_{};
  std::array<std::array<uint8_t, 128>, kCm> acc_{};
  std::array<uint32_t, kX> xu_{};
  std::array<uint32_t, 2 * kCm> bmu_{};
  std::array<Slot, kRing> ring_{};
  int in_flight_ = 0;
};

// fp32 -> bf16 as vconv.bf16.fp32 rounds under crRnd `mode` (docs/aie2-vector.md): false when no
// public fact fixes the result (NaN, subnormal input, overflow, a mode other than 0 or 12).
bool fp32_to_bf16(uint32_t f, uint32_t mode, uint16_t* out);

}  // namespace attncheck::aie2
