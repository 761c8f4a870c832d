// Hand encoders for the tests: AIE2 slot words and bundles built from llvm-aie's TableGen concatenations, independently of sim/isa/isa_table.cpp.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace attncheck::aie2::enc {

// A TableGen concatenation {a, b, c}: the first part is the most significant.
struct Part {
  uint64_t value;
  int width;
};
inline uint64_t cat(std::initializer_list<Part> parts) {
  uint64_t v = 0;
  for (const Part& p : parts) v = (v << p.width) | (p.value & ((uint64_t{1} << p.width) - 1));
  return v;
}

// A bundle of `bytes` from its 128-bit word, little-endian (AIE2Disassembler.cpp reads it so).
inline std::vector<uint8_t> bytes_of(uint64_t lo, uint64_t hi, int bytes) {
  std::vector<uint8_t> b(bytes);
  for (int i = 0; i < bytes; ++i) b[i] = static_cast<uint8_t>(i < 8 ? lo >> (8 * i) : hi >> (8 * (i - 8)));
  return b;
}

// Register codes of the 7-bit selectors (AIE2MCCodeEmitterRegOperandDef.h): r_n = n<<2,
// p_n = (n<<4)|0b1101 in mLdaScl/mSclSt, p_n = (n<<4)|0b0011 in mMvSclDst, sp = 0b1100111.
constexpr uint32_t scl_r(int n) { return static_cast<uint32_t>(n) << 2; }
constexpr uint32_t lda_p(int n) { return (static_cast<uint32_t>(n) << 4) | 0b1101; }
constexpr uint32_t mv_p(int n) { return (static_cast<uint32_t>(n) << 4) | 0b0011; }
constexpr uint32_t mv_m(int n) { return (static_cast<uint32_t>(n) << 2) | 0b10; }
constexpr uint32_t kMvSp = 0b1100111, kMvLr = 0b0100111, kMvLs = 0b0000111, kMvLe = 0b1000111, kMvLc = 0b1010111;

// Slot words (AIE2GenInstrFormats.td + AIE2GenInstrInfo.td).
inline uint64_t alu_add_ri(int d, int s, int imm7) { return cat({{uint64_t(s), 5}, {uint64_t(d), 5}, {uint64_t(imm7), 7}, {0b11, 2}, {0, 1}}); }
inline uint64_t alu_rr(int op4, int d, int a, int b) { return cat({{uint64_t(a), 5}, {uint64_t(d), 5}, {uint64_t(b), 5}, {uint64_t(op4), 4}, {1, 1}}); }
constexpr int kAdd = 0b0000, kSub = 0b0001, kLtu = 0b1100, kMul = -1;
inline uint64_t alu_mul(int d, int a, int b) { return cat({{uint64_t(a), 5}, {uint64_t(d), 5}, {uint64_t(b), 5}, {0b11111, 5}}); }
inline uint64_t alu_divs(int d0, int s0, int s1) { return cat({{uint64_t(s0), 5}, {uint64_t(d0), 5}, {uint64_t(s1), 5}, {0b10100, 5}}); }
inline uint64_t alu_done() { return 0b00000000000000010000; }
inline uint64_t alu_ret() { return 0b00000000000000110000; }
// jnzd mRx, mRx0, mPm: {mRx0, mRx, mPm, 0b0011000}
inline uint64_t alu_jnzd(int d, int s, int p) { return cat({{uint64_t(s), 5}, {uint64_t(d), 5}, {uint64_t(p), 3}, {0b0011000, 7}}); }
// movx r, #simm11: {i[10:6], dst(mAluCg = r<<1), i[5:0], 0b010}
inline uint64_t alu_movx(int r, int imm) {
  const uint64_t i = static_cast<uint64_t>(imm) & 0x7FF;
  return cat({{i >> 6, 5}, {uint64_t(r) << 1, 6}, {i & 63, 6}, {0b010, 3}});
}
// mv: mov dst, #simm10: {dst(7), i[9:1], 0b11, i[0], 0b1, 0b00}
inline uint64_t mv_mov_imm(uint32_t dst, int imm) {
  const uint64_t i = static_cast<uint64_t>(imm) & 0x3FF;
  return cat({{dst, 7}, {i >> 1, 9}, {0b11, 2}, {i & 1, 1}, {1, 1}, {0, 2}});
}
// mv: mov dst, src: {dst(7), src(7), 0b10110010}
inline uint64_t mv_mov(uint32_t dst, uint32_t src) { return cat({{dst, 7}, {src, 7}, {0b10110010, 8}}); }
inline uint64_t mv_nop() { return 0b111000; }
// lng: movxm dst, #simm32: {i[31:12], dst(7), i[11:0], 0b001}
inline uint64_t lng_movxm(uint32_t dst, uint32_t imm) {
  return cat({{imm >> 12, 20}, {dst, 7}, {imm & 0xFFF, 12}, {0b001, 3}});
}
inline uint64_t lng_j(uint32_t target) { return cat({{0, 5}, {target, 20}, {0b00000000000000010, 17}}); }
inline uint64_t lng_jl(uint32_t target) { return cat({{0, 5}, {target, 20}, {0b00000000000000100, 17}}); }
inline uint64_t lng_jnz(int r, uint32_t target) { return cat({{uint64_t(r), 5}, {target, 20}, {0b10000000000000110, 17}}); }
// lda slot: lda dst, [p, #imm6x4]: {ptr, imm/4 (6), 0b1010, mLdaScl(7), 0b1}
inline uint64_t lda_word_idx_imm(uint32_t dst, int p, int imm) {
  return cat({{uint64_t(p), 3}, {uint64_t(imm / 4), 6}, {0b1010, 4}, {dst, 7}, {1, 1}});
}
// lda slot: lda.s8 r, [p, #simm3]: {ptr, imm(3), 0b0110000, r(5), 0b111}
inline uint64_t lda_s8_idx_imm(int r, int p, int imm) {
  return cat({{uint64_t(p), 3}, {uint64_t(imm), 3}, {0b0110000, 7}, {uint64_t(r), 5}, {0b111, 3}});
}
// lda slot: lda r, [p], #imm7x4 (post-increment): {ptr, imm/4 (7), 0b110, mLdaScl, 0b1}
inline uint64_t lda_word_post_imm(uint32_t dst, int p, int imm) {
  return cat({{uint64_t(p), 3}, {uint64_t(imm / 4), 7}, {0b110, 3}, {dst, 7}, {1, 1}});
}
// lda slot: st.s8 r, [p, #simm3] (a part-word store in the lda slot): {ptr, imm(3), 0b0110100, r(5), 0b000}
inline uint64_t lda_st_s8_idx_imm(int r, int p, int imm) {
  return cat({{uint64_t(p), 3}, {uint64_t(imm), 3}, {0b0110100, 7}, {uint64_t(r), 5}, {0b000, 3}});
}
// st slot: st src, [p, #imm6x4]: {ptr, imm/4 (6), 0b1010, mSclSt(7), 0b0}
inline uint64_t st_word_idx_imm(uint32_t src, int p, int imm) {
  return cat({{uint64_t(p), 3}, {uint64_t(imm / 4), 6}, {0b1010, 4}, {src, 7}, {0, 1}});
}
// lda slot: mov r, SS (MOV_mv_ss2scl, AIE2_mv_ss2scl_b): {mSStream = 0 (blocking), 0b000000000110, mRa(5), 0b000}
inline uint64_t lda_mov_from_ss(int r) { return cat({{0, 1}, {0b000000000110, 12}, {uint64_t(r), 5}, {0b000, 3}}); }
// st slot: mov ms, src (MOV_mv_scl2ms, AIE2_mv_scl2ms_b_noTlast): {dst = 0b000, 0, dontcare, 0b0111, 0b1000, mSclMS(7), 0};
// mSclMS codes registers as mLdaScl does (AIE2MCCodeEmitter::getmSclMSOpValue)
inline uint64_t st_mov_to_ms(uint32_t src) { return cat({{0, 3}, {0, 1}, {0, 1}, {0b0111, 4}, {0b1000, 4}, {src, 7}, {0, 1}}); }
// lda slot: padda [p], #imm10x4: {ptr, imm/4 (10), 0b11, ??, 0b1110}
inline uint64_t lda_padda_imm(int p, int imm) { return cat({{uint64_t(p), 3}, {uint64_t(imm / 4), 10}, {0b11, 2}, {0, 2}, {0b1110, 4}}); }
// lda slot: padda [p], dj... 2D: padda.2d [p], d: {ptr, d(3), 0b110, ????, 0b11, ??, 0b0110}
inline uint64_t lda_padda_2d(int p, int d) { return cat({{uint64_t(p), 3}, {uint64_t(d), 3}, {0b110, 3}, {0, 4}, {0b11, 2}, {0, 2}, {0b0110, 4}}); }

// vec slot (AIE2GenInstrFormats.td *_inst_vec classes; the source modes vmac_cm_core_* and
// vmac_bm_core_* of AIE2GenFixupInstrInfo.td). Dense core: {c(5)} and {s1(4), s2(4)}; sparse_wide:
// {c} and {0b11, ys1(2), 0b11, qxs2(2)}.
inline uint64_t core1_dense(int s1, int s2) { return cat({{uint64_t(s1), 4}, {uint64_t(s2), 4}}); }
inline uint64_t core1_sparse_wide(int ys, int qx) { return cat({{0b11, 2}, {uint64_t(ys), 2}, {0b11, 2}, {uint64_t(qx), 2}}); }
// vmac/vmsc/vnegmac/vnegmsc: {core0, acc1(4), 0, core1, dst(4), mdm, md1, 0}, then 0
inline uint64_t vec_vmac(int mdm, int md1, int dst, int acc1, uint64_t core1, int c) {
  return cat({{uint64_t(c), 5}, {uint64_t(acc1), 4}, {0, 1}, {core1, 8}, {uint64_t(dst), 4}, {uint64_t(mdm), 1}, {uint64_t(md1), 1}, {0, 1}, {0, 1}});
}
// vmul/vnegmul: {core0, 0b1111, 0, core1, dst(4), mdm, 0, 0}, then 0
inline uint64_t vec_vmul(int mdm, int dst, uint64_t core1, int c) {
  return cat({{uint64_t(c), 5}, {0b1111, 4}, {0, 1}, {core1, 8}, {uint64_t(dst), 4}, {uint64_t(mdm), 1}, {0, 2}, {0, 1}});
}
// vmac.f/vmsc.f: {core0, acc1(5), core1, dst(5), mdm, 0}, then 1
inline uint64_t vec_vmac_f(int mdm, int dst, int acc1, uint64_t core1, int c) {
  return cat({{uint64_t(c), 5}, {uint64_t(acc1), 5}, {core1, 8}, {uint64_t(dst), 5}, {uint64_t(mdm), 1}, {0, 1}, {1, 1}});
}
// vaddmac.f/vaddmsc.f: {core0, acc1(5), core1, acc2(5), mdm, 1}, then 1 ($dst is $acc1)
inline uint64_t vec_vaddmac_f(int mdm, int acc1, int acc2, uint64_t core1, int c) {
  return cat({{uint64_t(c), 5}, {uint64_t(acc1), 5}, {core1, 8}, {uint64_t(acc2), 5}, {uint64_t(mdm), 1}, {1, 1}, {1, 1}});
}
// vadd/vsub/vnegadd/vnegsub on cm: {c, acc1(4), 0, 0b1110, acc2(4), dst(4), md2, md1, 0}, then 0
inline uint64_t vec_vacc(int md2, int md1, int dst, int acc1, int acc2, int c) {
  return cat({{uint64_t(c), 5}, {uint64_t(acc1), 4}, {0, 1}, {0b1110, 4}, {uint64_t(acc2), 4}, {uint64_t(dst), 4}, {uint64_t(md2), 1}, {uint64_t(md1), 1}, {0, 1}, {0, 1}});
}
// vadd.f/vsub.f/vnegadd.f/vnegsub.f on bm: {c, acc1(5), md1, dontcare(2), acc2(5), dst(5), md2, 1}, then 0
inline uint64_t vec_vacc_f(int md2, int md1, int dst, int acc1, int acc2, int c) {
  return cat({{uint64_t(c), 5}, {uint64_t(acc1), 5}, {uint64_t(md1), 1}, {0, 2}, {uint64_t(acc2), 5}, {uint64_t(dst), 5}, {uint64_t(md2), 1}, {1, 1}, {0, 1}});
}
// vclr cm: {dontcare(9), 0, 0b1111, 0b0000, dst(4), 1, 0, 0}, then 0; vclr bm: {dontcare(5), 0b11111, 0b1111, 0b0000, dst(5), 0, 0}, then 1
inline uint64_t vec_vclr_cm(int dst) { return cat({{0, 10}, {0b1111, 4}, {0, 4}, {uint64_t(dst), 4}, {0b100, 3}, {0, 1}}); }
inline uint64_t vec_vclr_bm(int dst) { return cat({{0, 5}, {0b11111, 5}, {0b1111, 4}, {0, 4}, {uint64_t(dst), 5}, {0, 2}, {1, 1}}); }
// vmov.d cdst, csrc: {dontcare(5), csrc(4), 0, 0b1111, 0b0000, cdst(4), 0, 0, 0}, then 0
inline uint64_t vec_vmov_d(int dst, int src) { return cat({{0, 5}, {uint64_t(src), 4}, {0, 1}, {0b1111, 4}, {0, 4}, {uint64_t(dst), 4}, {0, 3}, {0, 1}}); }
// vneg.f dst, acc1, c: {c, acc1(5), 0b1111, 0b0000, dst(5), 0, 0}, then 1
inline uint64_t vec_vneg_f(int dst, int acc1, int c) { return cat({{uint64_t(c), 5}, {uint64_t(acc1), 5}, {0b1111, 4}, {0, 4}, {uint64_t(dst), 5}, {0, 2}, {1, 1}}); }
// ldb: vldb.sparse.pop.8 / peek: {ptr, op(2), smode(2), 0b1000, dst(3), dontcare, 0}; pop op 0b01, peek 0b11
inline uint64_t ldb_sparse(int op, int smode, int dst, int p) {
  return cat({{uint64_t(p), 3}, {uint64_t(op), 2}, {uint64_t(smode), 2}, {0b1000, 4}, {uint64_t(dst), 3}, {0, 1}, {0, 1}});
}

// Stand-alone bundles (AIE2CompositeFormats.td).
inline std::vector<uint8_t> i16_nop() { return bytes_of(0b0001, 0, 2); }
inline std::vector<uint8_t> i32_alu(uint64_t alu) { return bytes_of(cat({{0b00010, 5}, {alu, 20}, {0b001, 3}, {0b1001, 4}}), 0, 4); }
inline std::vector<uint8_t> i32_lda(uint64_t lda) { return bytes_of(cat({{0b00000, 5}, {lda, 21}, {0b01, 2}, {0b1001, 4}}), 0, 4); }
inline std::vector<uint8_t> i32_mv(uint64_t mv) { return bytes_of(cat({{0b00011, 5}, {mv, 22}, {0b1, 1}, {0b1001, 4}}), 0, 4); }
inline std::vector<uint8_t> i32_st(uint64_t st) { return bytes_of(cat({{0b00001, 5}, {st, 21}, {0b01, 2}, {0b1001, 4}}), 0, 4); }
// I32_VEC: {vec, 0b00, 0b1001}; I32_LDB: {0b00111, ldb, 0b0000001, 0b1001}
inline std::vector<uint8_t> i32_vec(uint64_t vec) { return bytes_of(cat({{vec, 26}, {0b00, 2}, {0b1001, 4}}), 0, 4); }
inline std::vector<uint8_t> i32_ldb(uint64_t ldb) { return bytes_of(cat({{0b00111, 5}, {ldb, 16}, {0b0000001, 7}, {0b1001, 4}}), 0, 4); }
inline std::vector<uint8_t> i48_lng(uint64_t lng) { return bytes_of(cat({{lng, 42}, {0b010, 3}, {0b101, 3}}), 0, 6); }
// I48_LDA_ALU: {lda, alu, 0b0011, 0b101}
inline std::vector<uint8_t> i48_lda_alu(uint64_t lda, uint64_t alu) {
  return bytes_of(cat({{lda, 21}, {alu, 20}, {0b0011, 4}, {0b101, 3}}), 0, 6);
}
// I48_LDA_MV: {lda, mv, 0b01, 0b101}
inline std::vector<uint8_t> i48_lda_mv(uint64_t lda, uint64_t mv) {
  return bytes_of(cat({{lda, 21}, {mv, 22}, {0b01, 2}, {0b101, 3}}), 0, 6);
}
// I64_ALU_MV: {0b0000000000, alu, mv, 0b1, 0b0000100, 0b0011}
inline std::vector<uint8_t> i64_alu_mv(uint64_t alu, uint64_t mv) {
  const uint64_t hi = cat({{0, 10}, {alu, 20}});  // bits 63..34
  const uint64_t lo = cat({{mv, 22}, {1, 1}, {0b0000100, 7}, {0b0011, 4}});  // bits 33..0
  return bytes_of((hi << 34) | lo, 0, 8);
}

// A concatenation wider than 64 bits (parts of at most 63 bits), as its low and high words.
inline std::pair<uint64_t, uint64_t> cat128(std::initializer_list<Part> parts) {
  unsigned __int128 v = 0;
  for (const Part& p : parts) v = (v << p.width) | (p.value & ((uint64_t{1} << p.width) - 1));
  return {static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64)};
}
// I80_LDA_ALU_MV: {lda, 0b00000, {alu, mv, 0b1}, 0b0001011} and the 80-bit marker 0b1011
inline std::vector<uint8_t> i80_lda_alu_mv(uint64_t lda, uint64_t alu, uint64_t mv) {
  const auto w = cat128({{lda, 21}, {0, 5}, {alu, 20}, {mv, 22}, {1, 1}, {0b0001011, 7}, {0b1011, 4}});
  return bytes_of(w.first, w.second, 10);
}
// I112_LDA_LDB_ALU_MV_ST: {lda, ldb, {alu, mv, 0b1}, st, 0b0000111} and the 112-bit marker 0b1111
inline std::vector<uint8_t> i112_lda_ldb_alu_mv_st(uint64_t lda, uint64_t ldb, uint64_t alu, uint64_t mv, uint64_t st) {
  const auto w = cat128({{lda, 21}, {ldb, 16}, {alu, 20}, {mv, 22}, {1, 1}, {st, 21}, {0b0000111, 7}, {0b1111, 4}});
  return bytes_of(w.first, w.second, 14);
}
constexpr uint64_t kLdbNop = 0;  // NOPB

inline std::vector<uint8_t> program(const std::vector<std::vector<uint8_t>>& bundles) {
  std::vector<uint8_t> out;
  for (const auto& b : bundles) out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace attncheck::aie2::enc
