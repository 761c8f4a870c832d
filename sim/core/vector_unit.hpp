// The AIE2 vector unit beside the scalar core: vector and accumulator register files, their pending writes, and one semantics function per instruction family (docs/aie2-vector.md).
#pragma once
#include <array>
#include <cstring>
#include <cstdint>
#include <string>

#include "sim/isa/isa.hpp"

namespace attncheck::aie2 {

struct MicroOp;
class Core;
struct Reach;

// Micro-op kinds of the vector unit; above every scalar kind of sim/core/core.cpp so one `default:`
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
  kVUnpack,            // vunpack.d16.d8 / .s16.s8 x, w: 32 bytes widened to 32 16-bit lanes, the source read at cycle 7
  kVLoadUnpack,        // vldb.unpack.d16.d8 x, [p ...]: a 256-bit load widened as kVUnpack; width holds the addressing mode
  kVPushLo,            // vpush.lo.8/16/32 x, r, x: lanes move up by one, r enters lane 0
  kVShuffle,           // vshuffle d, x1, x2, r: one of the 2-D transposes of x1 || x2 named by r
  kVShift,             // vshift x, x1, x2, r: bytes r..r+63 of x1 || x2
  kVMulMac,            // vmul / vmac / vmsc cm, [cm,] x, x, r: integer matrix, convolution or element-wise products; c = 0 mul, 1 mac, 2 msc
  kVSrs,               // vsrs.d8.s32 w, cm, s (and vst.srs with the store): shift, round, saturate 32 lanes of acc32
  kVUps,               // vups.s32.d8 cm, w, s: 32 bytes widened into acc32 lanes and shifted up
  kVExtractD,          // vextract.d8/16/32 r, x, rs: sign from crVaddSign
  kVMovW,              // vmov w, w (VMOV_mv_w between W registers): 256-bit copy
  kVLoad128,           // vldb.128 w, [p], m / [p, dj]: 16 bytes into the low 128 bits of w
  kVecLast,  // below 256: MicroOp::kind is one byte
};
static_assert(kVecLast <= 256, "MicroOp::kind holds a micro-op kind in one byte");

// Rules of the vector unit only the mutation tests change, to show that breaking one breaks the
// bit-exact kernel tests (docs/aie2-vector.md gives each one's source).
struct VectorRules {
  bool mov_bypass = true;        // MOV_Bypass forwarding of whole-x results (AIE2Schedule.td)
  int force_crRnd = -1;          // >= 0: vconv.bf16.fp32 uses this rounding mode instead of crRnd
  bool vadd_sign_inverted = false;  // a D variant reads crVaddSign 0 as signed (the wrong way round)
  bool vsel_inverted = false;       // vsel takes the first source where the mask bit is 1
  int force_srs_crRnd = -1;         // >= 0: vsrs / vst.srs round with this mode instead of crRnd
  bool unpack_reads_at_issue = false;  // vunpack reads its source at issue instead of cycle 7
  bool shuffle_transposed = false;  // vshuffle takes a mode R x C as C x R (the wrong orientation)
  bool srs_ignores_crSat = false;   // vsrs / vst.srs wrap (crSat 0) whatever crSat holds
};

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
  // The memory a vector micro-op reaches, as a Reach (sim/core/core.hpp): the address exec
  // computes from the registers as the bundle issues, without its post-modify. False: none.
  static bool reach_of(const MicroOp& u, Reach* r);
  // The run's rules (the core's program carries them); only mov_bypass is read on the hot path.
  void set_rules(const VectorRules& r) { mov_bypass_ = r.mov_bypass; }
  // Runs the reads due late in `cycle` (an operand read after issue, AIE2Schedule.td), then lands
  // the vector writes due at its end.
  void commit(Core& core, uint64_t cycle) {
    auto& d = late_[cycle & (kRing - 1)];
    if (d.n) run_late(core, d, cycle);
    auto& slot = ring_[cycle & (kRing - 1)];
    if (slot.n) land(slot);
  }
  bool pending() const { return in_flight_ != 0 || late_in_flight_ != 0; }

 private:
  struct Write {
    uint8_t file;   // 0: x (idx = n, bytes at offset), 1: bm (idx = 2n+h)
    uint8_t idx, offset, bytes;
    uint32_t unknown;  // 16-bit-unit mask over the written bytes, relative to the register
    bool vec_bypass;   // the def operand names VEC_Bypass (vmul, vmac: AIE2Schedule.td)
    alignas(16) uint8_t data[64];
  };
  // An operand read after issue (the itinerary's use cycle > 1): vunpack reads its w at cycle 7,
  // vmac its accumulator at cycle 3. What was read at issue travels with it.
  struct Late {
    uint16_t kind;
    uint8_t d, a, width;
    bool sign;
    uint8_t bytes[64];      // vldb.unpack: the loaded bytes
    union {                 // vmac / vmsc: the product sums computed from x, y and conf at issue,
      int64_t lanes[32];    // as 64-bit integers,
      int32_t lanes32[32];  // or as 32-bit ones when every one fits with its negation (flags bit 3; accumulate32)
    };
    uint32_t unknown;
    uint8_t flags;          // vmac: bit 1 negate the accumulator input, bit 3 the products are in lanes32
  };
  struct LateSlot {
    int n = 0;
    std::array<Late, 4> l;
  };
  Late& late(Core& core, int use_cycle);
  void unpack_into(Core& core, const Late& l, int latency);
  void mul_mac(const MicroOp& u, Core& core);
  void srs(const MicroOp& u, Core& core);
  // The address of a 256-bit access in addressing mode `mode` (0 [p, m], 1 [p, #imm], 2 [p], m,
  // 3 [p], #imm), its post-modify scheduled; an unaligned one stops.
  static uint32_t access_address(Core& core, uint8_t p, uint8_t m, int32_t imm, int mode, const char* what);
  void run_late(Core& core, LateSlot& s, uint64_t cycle);
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
    uint32_t units = 0;  // the 16-bit units of the register `data` holds (a wl result forwards half)
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
  const uint8_t* read_x(int n, bool bypass, uint64_t cycle, uint32_t* unknown) {
    const Forward& f = fwd_[n][cycle & 1];
    if (bypass && f.cycle == cycle && mov_bypass_) {
      if (f.units == ~0u) return *unknown = f.unknown, f.data;
      // Part of the register forwarded (vmov wl): those units from the bypass, the rest as held.
      uint8_t* m = merged_[n].data();
      for (int k = 0; k < 32; ++k) std::memcpy(m + 2 * k, ((f.units >> k) & 1 ? f.data : xr_[n].data()) + 2 * k, 2);
      *unknown = (f.unknown & f.units) | (xu_[n] & ~f.units);
      return m;
    }
    return *unknown = xu_[n], xr_[n].data();
  }
  std::array<std::array<uint8_t, 64>, 12> merged_{};
  // Two per register, by the parity of the cycle they serve: a write issued in the cycle a
  // forwarded value is read must not replace it before every slot of that bundle has read it.
  std::array<std::array<Forward, 2>, kX> fwd_{};
  bool mov_bypass_ = true;  // VectorRules::mov_bypass of the run

  std::array<std::array<uint8_t, 64>, kX> xr_{};
  std::array<std::array<uint8_t, 128>, kCm> acc_{};
  std::array<uint32_t, kX> xu_{};
  std::array<uint32_t, 2 * kCm> bmu_{};
  std::array<Slot, kRing> ring_{};
  std::array<LateSlot, kRing> late_{};
  int in_flight_ = 0, late_in_flight_ = 0;
};

// fp32 -> bf16 as vconv.bf16.fp32 rounds under crRnd `mode` (docs/aie2-vector.md): false when no
// public fact fixes the result (NaN, subnormal input, overflow, a mode other than 0 or 12).
bool fp32_to_bf16(uint32_t f, uint32_t mode, uint16_t* out);

// Shift-round-saturate of one accumulator lane as vsrs does it (docs/aie2-vector.md "SRS"): v
// divided by 2^shift, rounded by crRnd `rnd`, saturated by crSat `sat` to `bits`-bit signed or
// unsigned lanes. False with `why` where no public fact fixes the result (shift outside 0..59,
// rnd 4..7 / 14 / 15, crSat 2, symmetric saturation of an unsigned lane).
bool srs_lane(int64_t v, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int bits, int64_t* out, std::string* why);
// srs_lane over n lanes of at most 32 bits each, for a mode srs_lane accepts (the fast form vsrs uses).
void srs_lanes32(const int64_t* in, int n, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int bits, int64_t* out);
// vmac's accumulate for products that fit 32 bits with their negation: out[i] = (negate ? -acc[i] :
// acc[i]) + products[i] in 32-bit host lanes (SSE2), false when a lane's exact sum leaves 32 bits
// (out is then unspecified: vmac refuses the lane, naming it from the 64-bit sums).
bool accumulate32(const int32_t* acc, const int32_t* products, bool negate, int32_t* out);
// vsrs's bytes from n (<= 64) 32-bit accumulator lanes (acc, little-endian) to out_bytes-byte lanes,
// for a mode srs_lane accepts: srs_lanes32 and the narrowing, the fast form vsrs uses.
void srs_acc32(const uint8_t* acc, int n, uint32_t shift, uint32_t rnd, uint32_t sat, bool signed_out, int out_bytes, uint8_t* out);

// vshuffle's 64 result bytes from x1 || x2 (`in`, 128 bytes) for a mode with a fact (0..38, 44,
// 45), its R x C transpose or, with `transposed`, the C x R one (the mutation rule): the
// _reference form moves byte k from its permutation entry one byte at a time; shuffle_bytes is the
// fast form vshuffle uses (pshufb where the CPU has SSSE3, shuffle_bytes_portable otherwise, which
// moves whole elements).
void shuffle_bytes(uint32_t mode, bool transposed, const uint8_t* in, uint8_t* out);
void shuffle_bytes_portable(uint32_t mode, bool transposed, const uint8_t* in, uint8_t* out);
void shuffle_bytes_reference(uint32_t mode, bool transposed, const uint8_t* in, uint8_t* out);

// vmul / vmac's products, 32 lanes (docs/aie2-vector.md "vmul / vmac"): mul_elem_32 (16 x 16 bit)
// and mul_conv_32x8 (8 taps of 8 x 8 bit), operands read signed or unsigned; the _reference forms
// are the lane-by-lane definition, the others the fast forms mul_mac uses.
void elem16_products(const uint8_t* x, const uint8_t* y, bool sign_x, bool sign_y, int64_t* out);
void conv_products(const uint8_t* x, const uint8_t* y, bool sign_x, bool sign_y, int64_t* out);
void elem16_products_reference(const uint8_t* x, const uint8_t* y, bool sign_x, bool sign_y, int64_t* out);
void conv_products_reference(const uint8_t* x, const uint8_t* y, bool sign_x, bool sign_y, int64_t* out);

// Lane-wise helpers of the element-wise families over 512 bits of e-byte lanes (64 / e of them),
// read signed or unsigned (64-bit lanes always signed). select_lanes: out lane i = mask bit i ?
// b lane i : a lane i. compare_lanes: bit i = a[i] >= b[i] when `ge`, else a[i] < b[i].
// compare_pick: compare_lanes, and with `picked` the select_lanes of that mask, the fast form.
void select_lanes(const uint8_t* a, const uint8_t* b, uint64_t mask, int e, uint8_t* out);
uint64_t compare_lanes(const uint8_t* a, const uint8_t* b, int e, bool sign, bool ge);
uint64_t compare_pick(const uint8_t* a, const uint8_t* b, int e, bool sign, bool ge, uint8_t* picked);

}  // namespace attncheck::aie2
