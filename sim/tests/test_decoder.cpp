// The AIE2 decoder against facts it was not built from: llvm-aie's own objdump lines, bundles encoded by hand from the TableGen concatenations, and exhaustive table properties.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <set>

#include "fixtures/testing/test_support.hpp"
#include "sim/isa/isa.hpp"
#include "sim/tests/encode.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck::aie2;

namespace {

Bundle decode(const std::vector<uint8_t>& b, uint32_t address = 0) { return decode_bundle(b.data(), b.size(), address); }

std::vector<uint8_t> hex_bytes(const char* s) {
  std::vector<uint8_t> out;
  for (const char* p = s; *p;) {
    while (*p == ' ') ++p;
    if (!*p) break;
    out.push_back(static_cast<uint8_t>(std::strtoul(std::string(p, 2).c_str(), nullptr, 16)));
    p += 2;
  }
  return out;
}

}  // namespace

TEST_CASE("decoder: the bundle length comes from the low bits of the first byte") {
  // AIE2Disassembler.cpp formatSize: bit0 = 0 -> 16; xx101 -> 6; else the low nibble.
  const int expect[16] = {16, 2, 16, 8, 16, 6, 16, 12, 16, 4, 16, 10, 16, 6, 16, 14};
  for (int n = 0; n < 16; ++n) CHECK(bundle_size(static_cast<uint8_t>(0xF0 | n)) == expect[n]);
}

TEST_CASE("decoder: llvm-aie's own objdump test lines decode to their text") {
  // llvm/test/MC/AIE/codealign.s and the AIECC-212 CodeGen test: bytes as llvm-objdump printed them.
  struct Line {
    const char* bytes;
    const char* text;
    const char* format;
  };
  const Line lines[] = {
      {"99 34 82 10", "and r1, r2, r3", "I32_ALU"},
      {"c0 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "nopb ; nopa ; nops ; nopxm ; nopv", "I128_LDB_LDA_ST_LNG_VEC"},
      {"37 88 03 00 00 00 00 00 00 00 00 00", "nops ; nopb ; nopx ; nopm", "I96_ST_LDB_ALU_MV"},
      {"3b 10 00 18 00 00 00 08 0b 01", "paddb [p1], m0; movxm p0, #0", "I80_LDB_LNG"},
      {"55 00 60 00 00 00", "movxm p0, #0", "I48_LNG"},
      {"99 35 82 10", "or r1, r2, r3", "I32_ALU"},
  };
  for (const auto& l : lines) {
    const Bundle b = decode(hex_bytes(l.bytes));
    INFO(l.bytes);
    REQUIRE(b.ok());
    CHECK(std::string(b.format->name) == l.format);
    CHECK(format_bundle(b) == l.text);
  }
}

TEST_CASE("decoder: bundles encoded by hand from the TableGen facts decode to their fields") {
  using namespace enc;
  struct Case {
    std::vector<uint8_t> bytes;
    const char* text;
  };
  const Case cases[] = {
      {i32_alu(alu_add_ri(5, 6, -3)), "add r5, r6, #-3"},
      {i32_alu(alu_rr(kSub, 1, 2, 3)), "sub r1, r2, r3"},
      {i32_alu(alu_mul(7, 8, 9)), "mul r7, r8, r9"},
      {i32_alu(alu_divs(0, 0, 2)), "divs r0, r31, r0, r2"},
      {i32_alu(alu_ret()), "ret lr"},
      {i32_alu(alu_movx(4, -300)), "movx r4, #-300"},
      {i32_mv(mv_mov(mv_p(6), kMvSp)), "mov p6, sp"},
      {i32_mv(mv_mov_imm(mv_m(3), -17)), "mov m3, #-17"},
      {i48_lng(lng_movxm(kMvSp, 0x70000)), "movxm sp, #458752"},
      {i48_lng(lng_jl(944)), "jl #944"},
      {i48_lng(lng_jnz(3, 0x110)), "jnz r3, #272"},
      {i32_lda(lda_s8_idx_imm(3, 1, 2)), "lda.s8 r3, [p1, #2]"},
      {i32_lda(lda_word_idx_imm(lda_p(0), 2, -8)), "lda p0, [p2, #-8]"},
      {i32_lda(lda_word_post_imm(scl_r(5), 4, 12)), "lda r5, [p4], #12"},
      {i32_lda(lda_st_s8_idx_imm(9, 3, -1)), "st.s8 r9, [p3, #-1]"},
      {i32_lda(lda_padda_imm(1, 4)), "padda [p1], #4"},
      {i32_lda(lda_padda_2d(7, 4)), "padda.2d [p7], d4"},
      {i32_st(st_word_idx_imm(scl_r(4), 2, 8)), "st r4, [p2, #8]"},
      {i48_lda_alu(lda_padda_imm(1, 4), alu_rr(kAdd, 0, 0, 1)), "padda [p1], #4; add r0, r0, r1"},
      {i64_alu_mv(alu_rr(kLtu, 1, 2, 1), mv_nop()), "ltu r1, r2, r1; nopm"},
      {i16_nop(), "nop"},
      // The vec slot: register names from AIE2Disassembler.cpp's tables (eCM cm0..cm8, mBMm bml0,
      // bmh0, .., mXv x0..x11, eYs y2..y5, mQQXw qx0..qx3, mQXHLb qwh0, qwl0, ..), text from the defs' asm strings.
      {i32_vec(vec_vmac(0, 0, 3, 2, core1_dense(1, 11), 7)), "vmac cm3, cm2, x1, x11, r7"},
      {i32_vec(vec_vmac(1, 0, 8, 0, core1_dense(0, 4), 31)), "vmsc cm8, cm0, x0, x4, r31"},
      {i32_vec(vec_vmac(1, 1, 1, 1, core1_sparse_wide(2, 3), 4)), "vnegmac cm1, cm1, y4, qx3, r4"},
      {i32_vec(vec_vmac(0, 1, 5, 6, core1_dense(9, 10), 0)), "vnegmsc cm5, cm6, x9, x10, r0"},
      {i32_vec(vec_vmul(0, 4, core1_dense(2, 3), 12)), "vmul cm4, x2, x3, r12"},
      {i32_vec(vec_vmul(1, 0, core1_sparse_wide(0, 1), 1)), "vnegmul cm0, y2, qx1, r1"},
      {i32_vec(vec_vmac_f(0, 3, 3, core1_dense(2, 4), 10)), "vmac.f bmh1, bmh1, x2, x4, r10"},
      {i32_vec(vec_vmac_f(1, 16, 2, core1_dense(0, 0), 3)), "vmsc.f bml8, bml1, x0, x0, r3"},
      {i32_vec(vec_vaddmac_f(0, 4, 5, core1_dense(6, 7), 2)), "vaddmac.f bml2, bml2, bmh2, x6, x7, r2"},
      {i32_vec(vec_vacc(0, 0, 2, 0, 1, 9)), "vadd cm2, cm0, cm1, r9"},
      {i32_vec(vec_vacc(1, 0, 2, 0, 1, 9)), "vsub cm2, cm0, cm1, r9"},
      {i32_vec(vec_vacc(1, 1, 7, 6, 5, 0)), "vnegadd cm7, cm6, cm5, r0"},
      {i32_vec(vec_vacc_f(0, 0, 1, 2, 3, 4)), "vadd.f bmh0, bml1, bmh1, r4"},
      {i32_vec(vec_vacc_f(0, 1, 17, 0, 0, 0)), "vnegsub.f bmh8, bml0, bml0, r0"},
      {i32_vec(vec_vclr_cm(6)), "vclr cm6"},
      {i32_vec(vec_vclr_bm(1)), "vclr bmh0"},
      {i32_vec(vec_vmov_d(2, 8)), "vmov.d cm2, cm8"},
      {i32_vec(vec_vneg_f(5, 4, 3)), "vneg.f bmh2, bml2, r3"},
      {i32_ldb(ldb_sparse(0b01, 0b10, 3, 5)), "vldb.sparse.pop.8 qwl1, [p5]"},
      {i32_ldb(ldb_sparse(0b11, 0b11, 6, 0)), "vldb.sparse.peek.16 qwh3, [p0]"},
  };
  for (const auto& c : cases) {
    const Bundle b = decode(c.bytes);
    INFO(c.text << " bytes " << b.bytes_hex());
    REQUIRE(b.ok());
    CHECK(format_bundle(b) == c.text);
  }
}

TEST_CASE("decoder: vector-unit instructions are told from scalar ones") {
  using namespace enc;
  auto first_slot = [](const std::vector<uint8_t>& b) {
    const Bundle d = decode(b);
    REQUIRE(d.ok());
    REQUIRE(d.slots.size() == 1);
    return d.slots[0];
  };
  CHECK(is_vector_instruction(first_slot(i32_vec(vec_vmac(0, 0, 3, 2, core1_dense(1, 11), 7)))));
  CHECK(is_vector_instruction(first_slot(i32_vec(vec_vclr_bm(1)))));
  CHECK(is_vector_instruction(first_slot(i32_ldb(ldb_sparse(0b01, 0b10, 3, 5)))));
  CHECK_FALSE(is_vector_instruction(first_slot(i32_vec(0b00000000000000000111100000))));  // nopv
  CHECK_FALSE(is_vector_instruction(first_slot(i32_alu(alu_rr(kAdd, 1, 2, 3)))));
  CHECK_FALSE(is_vector_instruction(first_slot(i32_lda(lda_word_idx_imm(lda_p(0), 2, -8)))));
}

TEST_CASE("decoder: no two formats of one size can match the same bytes") {
  const auto& f = formats();
  for (size_t i = 0; i < f.size(); ++i)
    for (size_t j = i + 1; j < f.size(); ++j) {
      if (f[i].bytes != f[j].bytes) continue;
      // Two formats are told apart by a bit both fix to different values.
      bool distinct = false;
      for (int w = 0; w < 2; ++w) distinct = distinct || ((f[i].mask[w] & f[j].mask[w]) & (f[i].value[w] ^ f[j].value[w])) != 0;
      INFO(f[i].name << " vs " << f[j].name);
      CHECK(distinct);
    }
}

TEST_CASE("decoder: every slot word of every slot but lng has one reading, or one most specific reading") {
  // Patterns overlap on fixed bits (vector moves reuse scalar fixed bits), and llvm-aie tells
  // them apart by register validity. Walk every word and count the encodings that accept it; where
  // two do, the decoder takes the one with more fixed bits, which must be unique (llvm-aie tries
  // vmov MCD before vpack.d4.d8 for the 12 st words where both read, and so does this table).
  // The vec slot (26 bits) is walked too: its dense and sparse multiplier forms share fixed bits
  // and, as in llvm-aie, only register validity tells them apart (x0..x11 never start 0b11).
  for (Slot s : {Slot::Ldb, Slot::Alu, Slot::Lda, Slot::St, Slot::Mv, Slot::Nop, Slot::Vec}) {
    std::vector<const Encoding*> mine;
    for (const auto& e : encodings())
      if (e.slot == s) mine.push_back(&e);
    const uint64_t words = uint64_t{1} << slot_width(s);
    uint64_t ambiguous = 0, resolved = 0, decoded = 0;
    uint64_t first_ambiguous = 0;
    std::set<std::string> pairs;
    // Every word in the Release run; the sanitizer run, which looks for memory errors in the same
    // walk, takes every 7th (testing::scaled): the table property is the Release run's to prove.
    const uint64_t stride = attncheck::testing::scaled(1, 7);
    for (uint64_t w = 0; w < words; w += stride) {
      std::vector<const Encoding*> accepting;
      for (const Encoding* e : mine)
        if ((w & e->mask) == e->value && encoding_accepts(*e, w)) accepting.push_back(e);
      decoded += !accepting.empty();
      if (accepting.size() < 2) continue;
      std::sort(accepting.begin(), accepting.end(), [](const Encoding* a, const Encoding* b) { return a->fixed_bits > b->fixed_bits; });
      if (accepting[0]->fixed_bits > accepting[1]->fixed_bits) {
        ++resolved;
        pairs.insert(std::string(accepting[0]->name) + " over " + accepting[1]->name);
        SlotInst si;
        REQUIRE(decode_slot(s, w, &si));
        CHECK(si.enc == accepting[0]);
      } else if (ambiguous++ == 0) {
        first_ambiguous = w;
      }
    }
    std::string which;
    for (const auto& p : pairs) which += " " + p;
    INFO(slot_name(s) << ": " << decoded << " of " << words << " words decode; " << resolved
                      << " resolved by specificity:" << which << "; first ambiguous word 0x" << std::hex << first_ambiguous);
    CHECK(ambiguous == 0);
    CHECK(decoded > 0);
    // The only overlap the table has is the vector pair llvm-aie resolves the same way.
    const std::set<std::string> expected =
        s == Slot::St ? std::set<std::string>{"VMOV_mv_mcd over VPACK_D4_D8"} : std::set<std::string>{};
    if (stride == 1) CHECK(pairs == expected);
    else CHECK(std::includes(expected.begin(), expected.end(), pairs.begin(), pairs.end()));
  }
}

TEST_CASE("decoder: an unknown encoding is reported with its address and bytes, never guessed") {
  // A 4-byte bundle no 32-bit format takes: bits 5..4 = 11 and top bits 11111 fit no I32_* wrapper.
  const std::vector<uint8_t> junk = enc::bytes_of(0xF8000039u, 0, 4);
  const Bundle b = decode(junk, 0x40);
  CHECK_FALSE(b.ok());
  CHECK(b.format == nullptr);
  CHECK(b.bytes_hex() == "39 00 00 f8");
  // A known format (I32_VEC) whose vec word names no instruction this table knows.
  const Bundle c = decode(enc::bytes_of((uint64_t{0x3FFFFFF} << 6) | 0b001001, 0, 4), 0x44);
  REQUIRE(c.format != nullptr);
  CHECK_FALSE(c.ok());
  CHECK(format_bundle(c).find("<unknown") != std::string::npos);
}

TEST_CASE("decoder: a truncated bundle is not decoded") {
  const std::vector<uint8_t> b = enc::i48_lng(enc::lng_jl(8));
  const Bundle d = decode_bundle(b.data(), 4, 0);
  CHECK(d.size == 6);
  CHECK(d.format == nullptr);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
