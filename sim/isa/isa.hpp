// AIE2 instruction set as data: bundle formats, slot encodings, operand kinds, and the decoded forms the tools share.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck::aie2 {

// The issue slots of a bundle (AIE2Slots.td). Widths in bits: lda 21, ldb 16, alu 20, mv 22,
// st 21, vec 26, lng 42 (the alu and mv slots fused), nop 12 (the 16-bit nop bundle).
enum class Slot : uint8_t { Lda, Ldb, Alu, Mv, St, Vec, Lng, Nop, kCount };
int slot_width(Slot s);
const char* slot_name(Slot s);

// How an operand field's bits become a value: a register of some file, or an immediate with
// its sign, scale and offset rules (AIEBaseDisassembler.h decoders).
enum class OperandKind : uint8_t {
  // Scalar register files.
  eR, eP, eM, eDJ, eDN, eDC, eD, eDS, eL, eRS8, eS, mCRm,
  // Composite 7- or 6-bit selectors over several files (AIE2Disassembler.cpp tables).
  mAluCg, mMvSclDst, mMvSclSrc, mLdaScl, mLdaCg, mSclSt,
  // Vector, accumulator and mask files (decoded for the listing; never simulated).
  mW, mW1, mX, mAM, mBM, mCM, mQ, mBMX, mBMXs, mAMWQs, mAMWQd, mShfl, eRS4,
  // Sparse-multiply operands: eYs (y2..y5), mQQXw (qx0..qx3), mQXHLb (qwh0, qwl0, .., qwl3).
  eYs, mQQXw, mQXHLb,
  // Immediates: signed N bits, unsigned N bits, signed N bits times a step, and absolute targets.
  Simm, Uimm, SimmScaled, SimmNegScaled, Target,
};

// What an instruction does, for the simulator. Operand order is the order of the syntax.
enum class Sem : uint8_t {
  Nop,
  // alu
  AddImm, Add, Adc, Sub, Sbc, And, Or, Xor, Ashl, Lshl, Eq, Ne, Lt, Ltu, Ge, Geu, Mul,
  Abs, Clb, Clz, Eqz, Nez, ExtS8, ExtS16, ExtU8, ExtU16, SelEqz, SelNez, Divs,
  JumpInd, CallInd, Jnzd, Ret, Done, Acq, Rel, AcqCond, RelCond, Event,
  // moves and constants
  Mov, MovImm, MovDelayed, MovCntr, AddNc,
  // lng
  Jump, Call, Jz, Jnz,
  // load/store and pointer arithmetic; the entry's mem fields say width, sign and addressing
  Load, Store, PartStore, Padd, PaddSp,
  // the core's own stream ports, blocking: a word from the input port, a word to the output port
  StreamGet, StreamPut,
  // decoded, but the simulator does not run it (vector, stream, tile-memory ops)
  Unsupported,
};

enum class AddrMode : uint8_t { None, IdxImm, IdxReg, PostImm, PostReg, Post2D, Post3D, SpImm };

struct Field {
  char letter = 0;
  OperandKind kind = OperandKind::Uimm;
  int bits = 0;       // total width of the operand
  int step = 1;       // scale of SimmScaled / SimmNegScaled
  // Positions of the operand's bits in the slot word, operand MSB first.
  std::vector<uint8_t> positions;
};

// One slot instruction, compiled from its row in sim/isa/isa_table.cpp.
struct Encoding {
  const char* name;    // the TableGen def, so a row can be checked against llvm-aie by name
  Slot slot;
  const char* pattern;  // MSB..LSB over the slot: 0/1 fixed, ? ignored, letters are operand bits
  const char* syntax;   // llvm-objdump text with $A.. for operands
  Sem sem;
  uint8_t width = 0;  // memory access bytes, or the k of mov.dk
  bool sign = false;
  AddrMode am = AddrMode::None;
  const char* operand_kinds = "";  // "A:eR B:Simm7": the kind of each operand letter
  // Filled by the table build:
  uint64_t mask = 0, value = 0;
  int fixed_bits = 0;
  std::vector<Field> fields;  // in syntax order
};

// Unified scalar register numbering of the simulator; decoded register operands carry these.
namespace reg {
constexpr uint8_t R0 = 0, P0 = 32, M0 = 40, DN0 = 48, DJ0 = 56, DC0 = 64, S0 = 72;
constexpr uint8_t LS = 76, LE = 77, LC = 78, LR = 79, SP = 80, DP = 81, CORE_ID = 82;
constexpr uint8_t CR0 = 83;  // 12 control registers, crVaddSign .. crUnpackSign
constexpr uint8_t SR0 = 95;  // 10 status registers, srCarry .. srUPS_of
constexpr uint8_t kCount = 105;
constexpr uint8_t kCarry = SR0;
}  // namespace reg
std::string reg_name(uint8_t r);
bool is_pointer_width(uint8_t r);  // p, m, dn, dj, dc, and the 20-bit specials ls, le, lr, sp, dp

struct Operand {
  OperandKind kind;
  int64_t value;   // register number (reg:: for scalar kinds, file index otherwise) or immediate
  uint32_t raw;    // the field bits
};

struct SlotInst {
  const Encoding* enc = nullptr;
  uint64_t bits = 0;  // the slot word
  std::vector<Operand> ops;
};

// One bundle format (AIE2CompositeFormats.td): its size, the bits that identify it, and where
// each slot sits (bit offset of the slot's LSB inside the bundle word).
struct Format {
  const char* name;
  int bytes;
  const char* layout;  // MSB..LSB tokens: slot names and bit literals
  // Filled by the table build:
  std::array<uint64_t, 2> mask{}, value{};
  struct Place { Slot slot; int lsb; };
  std::vector<Place> slots;  // in print order
};

struct Bundle {
  uint32_t address = 0;
  uint8_t size = 0;
  std::array<uint8_t, 16> bytes{};
  const Format* format = nullptr;  // null: no format matches these bytes
  std::vector<SlotInst> slots;     // print order; a slot with enc == nullptr did not decode
  bool ok() const;
  std::string bytes_hex() const;
};

// Size of the bundle starting with byte b0: the low bits of the first byte (2..16).
int bundle_size(uint8_t b0);

const std::vector<Format>& formats();
const std::vector<Encoding>& encodings();

// Decodes one bundle at `address` from up to `avail` bytes. Never throws: an unknown format or
// slot leaves format/enc null, and a truncated bundle has size > avail and no format.
Bundle decode_bundle(const uint8_t* bytes, size_t avail, uint32_t address);
// Decodes one slot word; false when no encoding with valid operands matches.
bool decode_slot(Slot slot, uint64_t bits, SlotInst* out);
// Whether `e` reads `bits`: its fixed bits match and every operand names a register or value.
bool encoding_accepts(const Encoding& e, uint64_t bits);

// Whether a slot instruction uses the vector unit: a mnemonic of the vector ISA (v...: vector loads,
// stores, moves and arithmetic, nopv excluded) or an operand of a vector, accumulator or mask file
// (the q-register loads and stores, `lda q0, [p0]`). `elf inspect` counts the bundles holding one.
bool is_vector_instruction(const SlotInst& s);

// llvm-objdump's AIE2 text (with --no-print-imm-hex, whitespace runs folded to one space) of one
// slot instruction and of a bundle ("nopb ; nopa ; nops ; nopxm ; nopv"). `target_name`, when
// given, follows a branch target as "<name>".
std::string format_slot(const SlotInst& s, const std::string& target_name = "");
std::string format_bundle(const Bundle& b, const std::vector<std::string>& target_names = {});

// Builds the tables once; a malformed row is a programming error (std::logic_error naming it).
void check_tables();

}  // namespace attncheck::aie2
