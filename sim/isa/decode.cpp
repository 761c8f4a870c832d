// AIE2 bundle decoder and disassembler text, driven by the one table in sim/isa/isa_table.cpp.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "sim/isa/isa.hpp"

namespace attncheck::aie2 {

std::vector<Format> format_table();
std::vector<Encoding> encoding_table();

namespace {

struct SlotInfo {
  const char* name;
  int width;
};
constexpr SlotInfo kSlots[] = {{"lda", 21}, {"ldb", 16}, {"alu", 20}, {"mv", 22},
                               {"st", 21},  {"vec", 26}, {"lng", 42}, {"nop", 12}};

// A 128-bit bundle word: bit k is bit (k % 8) of byte k / 8 (AIE2Disassembler.cpp reads little-endian).
struct Word {
  uint64_t lo = 0, hi = 0;
  uint64_t bits(int lsb, int width) const {
    uint64_t v;
    if (lsb >= 64) {
      v = hi >> (lsb - 64);
    } else {
      v = lo >> lsb;
      if (lsb > 0 && lsb + width > 64) v |= hi << (64 - lsb);
    }
    return width >= 64 ? v : v & ((uint64_t{1} << width) - 1);
  }
};

Word word_of(const uint8_t* b, int size) {
  Word w;
  for (int i = 0; i < size; ++i) {
    if (i < 8)
      w.lo |= uint64_t{b[i]} << (8 * i);
    else
      w.hi |= uint64_t{b[i]} << (8 * (i - 8));
  }
  return w;
}

[[noreturn]] void table_error(const std::string& row, const std::string& what) {
  throw std::logic_error("sim/isa/isa_table.cpp: " + row + ": " + what);
}

void set_bit(std::array<uint64_t, 2>* v, int bit) { (*v)[bit / 64] |= uint64_t{1} << (bit % 64); }

Slot slot_by_name(const std::string& s, const char* row) {
  for (int i = 0; i < static_cast<int>(Slot::kCount); ++i)
    if (s == kSlots[i].name) return static_cast<Slot>(i);
  table_error(row, "unknown slot '" + s + "'");
}

void build_format(Format* f) {
  std::vector<std::string> toks;
  for (const char* p = f->layout; *p;) {
    while (*p == ' ') ++p;
    const char* q = p;
    while (*q && *q != ' ') ++q;
    if (q > p) toks.emplace_back(p, q);
    p = q;
  }
  int pos = 8 * f->bytes;
  for (const auto& t : toks) {
    const bool literal = t.find_first_not_of("01") == std::string::npos;
    const int w = literal ? static_cast<int>(t.size()) : slot_width(slot_by_name(t, f->name));
    pos -= w;
    if (pos < 0) table_error(f->name, "layout wider than the format");
    if (literal) {
      for (int i = 0; i < w; ++i) {
        const int bit = pos + w - 1 - i;
        set_bit(&f->mask, bit);
        if (t[i] == '1') set_bit(&f->value, bit);
      }
    } else {
      f->slots.push_back({slot_by_name(t, f->name), pos});
    }
  }
  if (pos != 0) table_error(f->name, "layout narrower than the format");
}

struct KindSpec {
  const char* name;
  OperandKind kind;
  int bits;  // 0: any width (immediates)
};
constexpr KindSpec kKinds[] = {
    {"eR", OperandKind::eR, 5},         {"eP", OperandKind::eP, 3},       {"eM", OperandKind::eM, 3},
    {"eDJ", OperandKind::eDJ, 3},       {"eDN", OperandKind::eDN, 3},     {"eDC", OperandKind::eDC, 3},
    {"eD", OperandKind::eD, 3},         {"eDS", OperandKind::eDS, 2},     {"eL", OperandKind::eL, 3},
    {"eRS8", OperandKind::eRS8, 3},     {"eS", OperandKind::eS, 2},       {"mCRm", OperandKind::mCRm, 4},
    {"mAluCg", OperandKind::mAluCg, 6}, {"mMvSclDst", OperandKind::mMvSclDst, 7},
    {"mMvSclSrc", OperandKind::mMvSclSrc, 7}, {"mLdaScl", OperandKind::mLdaScl, 7},
    {"mLdaCg", OperandKind::mLdaCg, 7}, {"mSclSt", OperandKind::mSclSt, 7}, {"mW", OperandKind::mW, 5},
    {"mW1", OperandKind::mW1, 5},       {"mX", OperandKind::mX, 4},       {"mAM", OperandKind::mAM, 6},
    {"mBM", OperandKind::mBM, 5},       {"mCM", OperandKind::mCM, 4},     {"mQ", OperandKind::mQ, 2},
    {"mBMX", OperandKind::mBMX, 6},     {"mBMXs", OperandKind::mBMXs, 9}, {"mAMWQs", OperandKind::mAMWQs, 9},
    {"mAMWQd", OperandKind::mAMWQd, 7}, {"mShfl", OperandKind::mShfl, 5}, {"eRS4", OperandKind::eRS4, 2},
    {"eYs", OperandKind::eYs, 2},       {"mQQXw", OperandKind::mQQXw, 2}, {"mQXHLb", OperandKind::mQXHLb, 3},
};

// "Simm7", "Uimm6", "Scaled6x4", "Neg12x32", "Target" or a register kind.
void parse_kind(const std::string& s, Field* f, const char* row) {
  for (const auto& k : kKinds)
    if (s == k.name) {
      f->kind = k.kind;
      if (f->bits != k.bits) table_error(row, "operand " + std::string(1, f->letter) + " of kind " + s + " has " +
                                                  std::to_string(f->bits) + " bits");
      return;
    }
  auto num = [&](size_t at) { return std::atoi(s.c_str() + at); };
  if (s.rfind("Simm", 0) == 0) {
    f->kind = OperandKind::Simm;
  } else if (s.rfind("Uimm", 0) == 0) {
    f->kind = OperandKind::Uimm;
  } else if (s.rfind("Scaled", 0) == 0 || s.rfind("Neg", 0) == 0) {
    const bool neg = s[0] == 'N';
    f->kind = neg ? OperandKind::SimmNegScaled : OperandKind::SimmScaled;
    const size_t x = s.find('x');
    if (x == std::string::npos) table_error(row, "bad kind " + s);
    f->step = num(x + 1);
    if (num(neg ? 3 : 6) != f->bits) table_error(row, "kind " + s + " does not fit its " + std::to_string(f->bits) + " bits");
    return;
  } else if (s == "Target") {
    f->kind = OperandKind::Target;
    if (f->bits != 20) table_error(row, "a branch target has 20 bits");
    return;
  } else {
    table_error(row, "unknown operand kind " + s);
  }
  if (num(4) != f->bits) table_error(row, "kind " + s + " does not fit its " + std::to_string(f->bits) + " bits");
}

void build_encoding(Encoding* e) {
  const int w = slot_width(e->slot);
  if (static_cast<int>(std::strlen(e->pattern)) != w)
    table_error(e->name, "pattern is not " + std::to_string(w) + " characters");
  const int n = static_cast<int>(std::strlen(e->pattern));
  std::vector<Field> by_letter(26);
  for (int i = 0; i < n; ++i) {
    const char c = e->pattern[i];
    const int bit = n - 1 - i;
    if (c == '0' || c == '1') {
      e->mask |= uint64_t{1} << bit;
      if (c == '1') e->value |= uint64_t{1} << bit;
      ++e->fixed_bits;
    } else if (c >= 'A' && c <= 'Z') {
      Field& f = by_letter[c - 'A'];
      f.letter = c;
      f.positions.push_back(static_cast<uint8_t>(bit));
      ++f.bits;
    } else if (c != '?') {
      table_error(e->name, std::string("bad pattern character '") + c + "'");
    }
  }
  std::string kinds = e->operand_kinds;
  for (size_t p = 0; p < kinds.size();) {
    while (p < kinds.size() && kinds[p] == ' ') ++p;
    if (p >= kinds.size()) break;
    const size_t q = kinds.find(' ', p);
    const std::string tok = kinds.substr(p, q == std::string::npos ? std::string::npos : q - p);
    p = q == std::string::npos ? kinds.size() : q;
    if (tok.size() < 3 || tok[1] != ':' || tok[0] < 'A' || tok[0] > 'Z') table_error(e->name, "bad operand '" + tok + "'");
    Field& f = by_letter[tok[0] - 'A'];
    if (f.bits == 0) table_error(e->name, "operand " + tok + " has no bits in the pattern");
    parse_kind(tok.substr(2), &f, e->name);
  }
  // Syntax order: each $X in the syntax names an operand.
  for (const char* s = e->syntax; *s; ++s) {
    if (*s != '$') continue;
    const char c = s[1];
    if (c < 'A' || c > 'Z' || by_letter[c - 'A'].bits == 0) table_error(e->name, "syntax names an unknown operand");
    e->fields.push_back(by_letter[c - 'A']);
  }
  for (const auto& f : by_letter)
    if (f.bits && std::none_of(e->fields.begin(), e->fields.end(), [&](const Field& g) { return g.letter == f.letter; }))
      table_error(e->name, std::string("operand ") + f.letter + " is not in the syntax");
}

struct Tables {
  std::vector<Format> formats;
  std::vector<Encoding> encodings;
  std::vector<std::vector<const Encoding*>> by_slot;
  Tables() : formats(format_table()), encodings(encoding_table()), by_slot(static_cast<size_t>(Slot::kCount)) {
    for (auto& f : formats) build_format(&f);
    for (auto& e : encodings) {
      build_encoding(&e);
      by_slot[static_cast<size_t>(e.slot)].push_back(&e);
    }
    // Most fixed bits first: the decoder takes the first encoding whose operands all decode.
    for (auto& v : by_slot)
      std::stable_sort(v.begin(), v.end(), [](const Encoding* a, const Encoding* b) { return a->fixed_bits > b->fixed_bits; });
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

int64_t sext(uint64_t v, int bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

// The 7-bit m/dn/dj/dc group (low bits 10): 0-7 m, 8-15 dn, 16-23 dj, 24-31 dc.
uint8_t mod_group(uint32_t v) {
  const uint32_t g = v >> 2;
  return static_cast<uint8_t>((g < 8 ? reg::M0 : g < 16 ? reg::DN0 - 8 : g < 24 ? reg::DJ0 - 16 : reg::DC0 - 24) + g);
}

// Register number for `raw` in a scalar selector; -1 when the code names no register.
int scalar_reg(OperandKind k, uint32_t v) {
  switch (k) {
    case OperandKind::eR: return reg::R0 + v;
    case OperandKind::eP: return reg::P0 + v;
    case OperandKind::eM: return reg::M0 + v;
    case OperandKind::eDJ: return reg::DJ0 + v;
    case OperandKind::eDN: return reg::DN0 + v;
    case OperandKind::eDC: return reg::DC0 + v;
    case OperandKind::eRS8: case OperandKind::eRS4: return reg::R0 + 16 + v;
    case OperandKind::eS: return reg::S0 + v;
    case OperandKind::mCRm: return v < 12 ? reg::CR0 + v : -1;
    case OperandKind::mAluCg: return (v & 1) ? reg::LC : reg::R0 + (v >> 1);
    case OperandKind::mLdaScl:
    case OperandKind::mSclSt:
    case OperandKind::mLdaCg: {
      if ((v & 3) == 0) return reg::R0 + (v >> 2);
      if ((v & 3) == 2) return mod_group(v);
      if ((v & 15) == 13) return reg::P0 + (v >> 4);
      if (k == OperandKind::mLdaCg) return v == 21 ? reg::LC : -1;
      return v == 5 ? reg::LR : -1;
    }
    case OperandKind::mMvSclDst:
    case OperandKind::mMvSclSrc: {
      if ((v & 3) == 0) return reg::R0 + (v >> 2);
      if ((v & 3) == 2) return mod_group(v);
      if ((v & 15) == 3) return reg::P0 + (v >> 4);
      if ((v & 31) == 11) return reg::S0 + (v >> 5);
      if ((v & 31) == 27) return -1;
      if ((v & 7) == 1) return (v >> 3) < 12 ? reg::CR0 + (v >> 3) : -1;
      if ((v & 7) == 5) return (v >> 3) < 10 ? reg::SR0 + (v >> 3) : -1;
      switch (v >> 3) {  // low bits 111: the special registers
        case 0: return reg::LS;
        case 2: return reg::DP;
        case 4: return reg::LR;
        case 6: return reg::CORE_ID;  // llvm-aie decodes it as a destination too; the simulator refuses the write
        case 8: return reg::LE;
        case 10: return reg::LC;
        case 12: return reg::SP;
        default: return -1;
      }
    }
    default: return -1;
  }
}

// Value of an operand field, or false when the code names nothing (the encoding does not apply).
bool operand_value(const Field& f, uint32_t raw, int64_t* out) {
  switch (f.kind) {
    case OperandKind::eD: case OperandKind::eDS: case OperandKind::eL: case OperandKind::mQ:
    case OperandKind::eYs: case OperandKind::mQQXw: case OperandKind::mQXHLb:  // every code names a register
      *out = raw;
      return true;
    case OperandKind::mW: *out = raw; return raw < 24;
    case OperandKind::mW1: *out = raw; return (raw & 7) < 6;
    case OperandKind::mX: *out = raw; return raw < 12;
    case OperandKind::mAM: *out = raw; return raw < 36;
    case OperandKind::mBM: *out = raw; return raw < 18;
    case OperandKind::mCM: *out = raw; return raw < 9;
    case OperandKind::mBMX: *out = raw; return (raw & 1) ? (raw >> 1) < 18 : (raw >> 2) < 12;  // bm[raw>>1] or x[raw>>2]
    // The composite vector-move selectors of AIE2Disassembler.cpp, in its order of tries; the value
    // is (file << 8) | index: 1 am, 2 w (mWm_1 order), 3 q, 4 bm, 5 x, 6 bm (mBMSm order).
    case OperandKind::mAMWQs:  // each try that names no register falls through to the next
      if ((raw & 0b101) == 0b001 && (raw >> 3) < 36) return *out = (1 << 8) | (raw >> 3), true;
      if ((raw >> 6) == 0b110 && (raw & 7) < 6) return *out = (2 << 8) | (raw & 0x1F), true;
      if ((raw >> 6) == 0b111) return *out = (3 << 8) | ((raw >> 4) & 3), true;
      return false;
    case OperandKind::mAMWQd:
      if (raw & 1) return (raw >> 1) < 36 ? (*out = (1 << 8) | (raw >> 1), true) : false;
      if ((raw & 3) == 0) return ((raw >> 2) & 7) < 6 ? (*out = (2 << 8) | (raw >> 2), true) : false;
      return (raw >> 5) < 4 ? (*out = (3 << 8) | (raw >> 5), true) : false;
    case OperandKind::mBMXs:
      if ((raw >> 4) < 18) return *out = (4 << 8) | (raw >> 4), true;
      if ((raw >> 7) == 0b11) return (raw & 0xF) < 12 ? (*out = (5 << 8) | (raw & 0xF), true) : false;
      return false;
    case OperandKind::mShfl:
      if (raw & 1) return *out = (6 << 8) | (raw >> 1), true;  // mBMSm has all 16 entries
      return (raw >> 1) < 12 ? (*out = (5 << 8) | (raw >> 1), true) : false;
    case OperandKind::Simm: *out = sext(raw, f.bits); return true;
    case OperandKind::Uimm: case OperandKind::Target: *out = raw; return true;
    case OperandKind::SimmScaled: *out = sext(raw, f.bits) * f.step; return true;
    case OperandKind::SimmNegScaled: *out = (static_cast<int64_t>(raw) - (int64_t{1} << f.bits)) * f.step; return true;
    default: {
      const int r = scalar_reg(f.kind, raw);
      *out = r;
      return r >= 0;
    }
  }
}

std::string vector_name(OperandKind k, int64_t v) {
  char buf[16];
  switch (k) {
    case OperandKind::mW: std::snprintf(buf, sizeof buf, "w%c%d", v & 1 ? 'h' : 'l', static_cast<int>(v >> 1)); break;
    case OperandKind::mW1:
      std::snprintf(buf, sizeof buf, "w%c%d", v & 16 ? 'h' : 'l', static_cast<int>(2 * (v & 7) + ((v >> 3) & 1)));
      break;
    case OperandKind::mX: std::snprintf(buf, sizeof buf, "x%d", static_cast<int>(v)); break;
    case OperandKind::mAM: {
      static const char* q[] = {"ll", "lh", "hl", "hh"};
      std::snprintf(buf, sizeof buf, "am%s%d", q[v & 3], static_cast<int>(v >> 2));
      break;
    }
    case OperandKind::mBM: std::snprintf(buf, sizeof buf, "bm%c%d", v & 1 ? 'h' : 'l', static_cast<int>(v >> 1)); break;
    case OperandKind::mCM: std::snprintf(buf, sizeof buf, "cm%d", static_cast<int>(v)); break;
    case OperandKind::mBMX:
      if (v & 1) std::snprintf(buf, sizeof buf, "bm%c%d", (v >> 1) & 1 ? 'h' : 'l', static_cast<int>(v >> 2));
      else std::snprintf(buf, sizeof buf, "x%d", static_cast<int>(v >> 2));
      break;
    case OperandKind::mBMXs: case OperandKind::mAMWQs: case OperandKind::mAMWQd: case OperandKind::mShfl: {
      const int file = static_cast<int>(v >> 8), i = static_cast<int>(v & 0xFF);
      if (file == 1) return vector_name(OperandKind::mAM, i);
      if (file == 2) return vector_name(OperandKind::mW1, i);
      if (file == 3) return vector_name(OperandKind::mQ, i);
      if (file == 4) return vector_name(OperandKind::mBM, i);
      if (file == 5) return vector_name(OperandKind::mX, i);
      std::snprintf(buf, sizeof buf, "bm%c%d", i & 8 ? 'h' : 'l', i & 7);  // mBMSm: 0-7 bml, 8-15 bmh
      break;
    }
    case OperandKind::mQ: std::snprintf(buf, sizeof buf, "q%d", static_cast<int>(v)); break;
    // AIE2Disassembler.cpp: eYsDecoderTable {y2, y3, y4, y5}, mQQXwDecoderTable {qx0..qx3},
    // mQXHLbDecoderTable {qwh0, qwl0, qwh1, qwl1, qwh2, qwl2, qwh3, qwl3}.
    case OperandKind::eYs: std::snprintf(buf, sizeof buf, "y%d", static_cast<int>(v) + 2); break;
    case OperandKind::mQQXw: std::snprintf(buf, sizeof buf, "qx%d", static_cast<int>(v)); break;
    case OperandKind::mQXHLb: std::snprintf(buf, sizeof buf, "qw%c%d", v & 1 ? 'l' : 'h', static_cast<int>(v >> 1)); break;
    case OperandKind::eD: case OperandKind::eDS: std::snprintf(buf, sizeof buf, "d%d", static_cast<int>(v)); break;
    case OperandKind::eL:
      std::snprintf(buf, sizeof buf, "r%d:r%d", static_cast<int>(17 + 2 * v), static_cast<int>(16 + 2 * v));
      break;
    default: std::snprintf(buf, sizeof buf, "?"); break;
  }
  return buf;
}

}  // namespace

int slot_width(Slot s) { return kSlots[static_cast<int>(s)].width; }
const char* slot_name(Slot s) { return kSlots[static_cast<int>(s)].name; }

std::string reg_name(uint8_t r) {
  static const char* special[] = {"ls", "le", "lc", "lr", "sp", "dp", "CORE_ID"};
  static const char* cr[] = {"crVaddSign", "crF2FMask", "crF2IMask", "crFPMask", "crMCDEn",  "crPackSign",
                             "crRnd",      "crSCDEn",   "crSRSSign", "crSat",    "crUPSSign", "crUnpackSign"};
  static const char* sr[] = {"srCarry", "srCompr_uf", "srF2FFlags", "srF2IFlags", "srFPFlags",
                             "srMS0",   "srSRS_of",   "srSS0",      "srSparse_of", "srUPS_of"};
  char buf[16];
  if (r < reg::P0) std::snprintf(buf, sizeof buf, "r%d", r);
  else if (r < reg::M0) std::snprintf(buf, sizeof buf, "p%d", r - reg::P0);
  else if (r < reg::DN0) std::snprintf(buf, sizeof buf, "m%d", r - reg::M0);
  else if (r < reg::DJ0) std::snprintf(buf, sizeof buf, "dn%d", r - reg::DN0);
  else if (r < reg::DC0) std::snprintf(buf, sizeof buf, "dj%d", r - reg::DJ0);
  else if (r < reg::S0) std::snprintf(buf, sizeof buf, "dc%d", r - reg::DC0);
  else if (r < reg::LS) std::snprintf(buf, sizeof buf, "s%d", r - reg::S0);
  else if (r < reg::CR0) return special[r - reg::LS];
  else if (r < reg::SR0) return cr[r - reg::CR0];
  else if (r < reg::kCount) return sr[r - reg::SR0];
  else std::snprintf(buf, sizeof buf, "reg%d", r);
  return buf;
}

bool is_pointer_width(uint8_t r) {
  return (r >= reg::P0 && r < reg::S0) || r == reg::LS || r == reg::LE || r == reg::LR || r == reg::SP || r == reg::DP;
}

int bundle_size(uint8_t b0) {
  if ((b0 & 1) == 0) return 16;
  if ((b0 & 7) == 5) return 6;
  switch (b0 & 15) {
    case 0x1: return 2;
    case 0x9: return 4;
    case 0x3: return 8;
    case 0xB: return 10;
    case 0x7: return 12;
    default: return 14;  // 0xF
  }
}

const std::vector<Format>& formats() { return tables().formats; }
const std::vector<Encoding>& encodings() { return tables().encodings; }
void check_tables() { (void)tables(); }

namespace {

bool read_operands(const Encoding& e, uint64_t bits, std::vector<Operand>* ops) {
  for (const Field& f : e.fields) {
    uint32_t raw = 0;
    for (uint8_t p : f.positions) raw = raw << 1 | static_cast<uint32_t>((bits >> p) & 1);
    int64_t v = 0;
    if (!operand_value(f, raw, &v)) return false;
    if (ops) ops->push_back({f.kind, v, raw});
  }
  return true;
}

}  // namespace

bool encoding_accepts(const Encoding& e, uint64_t bits) { return (bits & e.mask) == e.value && read_operands(e, bits, nullptr); }

bool decode_slot(Slot slot, uint64_t bits, SlotInst* out) {
  for (const Encoding* e : tables().by_slot[static_cast<size_t>(slot)]) {
    if ((bits & e->mask) != e->value) continue;
    std::vector<Operand> ops;
    ops.reserve(e->fields.size());
    if (!read_operands(*e, bits, &ops)) continue;
    out->enc = e;
    out->bits = bits;
    out->ops = std::move(ops);
    return true;
  }
  out->enc = nullptr;
  out->bits = bits;
  out->ops.clear();
  return false;
}

bool is_vector_instruction(const SlotInst& s) {
  if (!s.enc) return false;
  if (s.enc->syntax[0] == 'v') return true;  // nopv is "nopv" and so starts with 'n'
  for (const Field& f : s.enc->fields)
    switch (f.kind) {
      case OperandKind::mW: case OperandKind::mW1: case OperandKind::mX: case OperandKind::mAM: case OperandKind::mBM:
      case OperandKind::mCM: case OperandKind::mQ: case OperandKind::mBMX: case OperandKind::mBMXs:
      case OperandKind::mAMWQs: case OperandKind::mAMWQd: case OperandKind::mShfl: case OperandKind::eYs:
      case OperandKind::mQQXw: case OperandKind::mQXHLb:
        return true;
      default: break;
    }
  return false;
}

bool Bundle::ok() const {
  if (!format) return false;
  for (const auto& s : slots)
    if (!s.enc) return false;
  return true;
}

std::string Bundle::bytes_hex() const {
  std::string s;
  char buf[4];
  for (int i = 0; i < size && i < 16; ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02x" : "%02x", bytes[i]);
    s += buf;
  }
  return s;
}

Bundle decode_bundle(const uint8_t* bytes, size_t avail, uint32_t address) {
  Bundle b;
  b.address = address;
  if (avail == 0) return b;
  b.size = static_cast<uint8_t>(bundle_size(bytes[0]));
  if (b.size > avail) return b;
  std::memcpy(b.bytes.data(), bytes, b.size);
  const Word w = word_of(bytes, b.size);
  for (const Format& f : tables().formats) {
    if (f.bytes != b.size) continue;
    if ((w.lo & f.mask[0]) != f.value[0] || (w.hi & f.mask[1]) != f.value[1]) continue;
    b.format = &f;
    for (const auto& place : f.slots) {
      SlotInst si;
      decode_slot(place.slot, w.bits(place.lsb, slot_width(place.slot)), &si);
      b.slots.push_back(std::move(si));
    }
    break;
  }
  return b;
}

std::string format_slot(const SlotInst& s, const std::string& target_name) {
  if (!s.enc) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "<unknown 0x%llx>", static_cast<unsigned long long>(s.bits));
    return buf;
  }
  std::string out;
  size_t op = 0;
  for (const char* p = s.enc->syntax; *p; ++p) {
    if (*p != '$') {
      out += *p;
      continue;
    }
    ++p;
    const Operand& o = s.ops[op++];
    char buf[48];
    switch (o.kind) {
      case OperandKind::Simm: case OperandKind::Uimm: case OperandKind::SimmScaled: case OperandKind::SimmNegScaled:
        std::snprintf(buf, sizeof buf, "#%lld", static_cast<long long>(o.value));
        out += buf;
        break;
      case OperandKind::Target:
        std::snprintf(buf, sizeof buf, "#%lld", static_cast<long long>(o.value));
        out += buf;
        if (!target_name.empty()) out += " <" + target_name + ">";
        break;
      case OperandKind::eD: case OperandKind::eDS: case OperandKind::eL: case OperandKind::mW: case OperandKind::mW1:
      case OperandKind::mX: case OperandKind::mAM: case OperandKind::mBM: case OperandKind::mCM: case OperandKind::mQ:
      case OperandKind::mBMX: case OperandKind::mBMXs: case OperandKind::mAMWQs: case OperandKind::mAMWQd:
      case OperandKind::mShfl: case OperandKind::eYs: case OperandKind::mQQXw: case OperandKind::mQXHLb:
        out += vector_name(o.kind, o.value);
        break;
      default: out += reg_name(static_cast<uint8_t>(o.value)); break;
    }
  }
  return out;
}

std::string format_bundle(const Bundle& b, const std::vector<std::string>& target_names) {
  if (!b.format) return "<unknown bundle>";
  std::string out;
  for (size_t i = 0; i < b.slots.size(); ++i) {
    const std::string t = format_slot(b.slots[i], i < target_names.size() ? target_names[i] : "");
    // llvm-objdump prints "\tmnemonic\toperands" per slot joined by ";\t": folded, a slot with no
    // operands leaves a space before the ';'.
    if (i) out += b.slots[i - 1].enc && !b.slots[i - 1].enc->fields.empty() ? "; " : " ; ";
    out += t;
  }
  return out;
}

}  // namespace attncheck::aie2
