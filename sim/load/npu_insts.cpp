// Reads NPU instruction streams (TXN 0.1 / 1.0, the legacy IPU stream, aiecc's npu_insts.mlir) into typed ops; every fact cites its public source.
#include "sim/load/npu_insts.hpp"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>

#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

namespace attncheck::aie2 {
namespace {

std::string hex32(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%08" PRIX64, v);
  return b;
}

// Opcodes, Xilinx/aie-rt xaie_txn.h XAie_TxnOpcode (the same enum is copied into mlir-aie's
// AIETargetNPU.cpp "see aie-rt commit a6196eb"). The numbering is fixed: "To support backward
// compatibility existing enums should not be modified".
enum : uint32_t {
  XAIE_IO_WRITE = 0,
  XAIE_IO_BLOCKWRITE = 1,
  XAIE_IO_BLOCKSET = 2,
  XAIE_IO_MASKWRITE = 3,
  XAIE_IO_MASKPOLL = 4,
  XAIE_IO_NOOP = 5,
  XAIE_IO_PREEMPT = 6,
  XAIE_IO_MASKPOLL_BUSY = 7,
  XAIE_IO_LOADPDI = 8,
  XAIE_IO_LOAD_PM_START = 9,
  XAIE_IO_CREATE_SCRATCHPAD = 10,
  XAIE_IO_UPDATE_STATE_TABLE = 11,
  XAIE_IO_UPDATE_REG = 12,
  XAIE_IO_UPDATE_SCRATCH = 13,
  XAIE_CONFIG_SHIMDMA_BD = 14,
  XAIE_CONFIG_SHIMDMA_DMABUF_BD = 15,
  XAIE_IO_CUSTOM_OP_TCT = 0x80,  // XAIE_IO_CUSTOM_OP_BEGIN = 1U<<7U
  XAIE_IO_CUSTOM_OP_DDR_PATCH = 0x81,
  XAIE_IO_CUSTOM_OP_READ_REGS = 0x82,
  XAIE_IO_CUSTOM_OP_RECORD_TIMER = 0x83,
  XAIE_IO_CUSTOM_OP_MERGE_SYNC = 0x84,
};

// aie-rt names of the opcodes this reader refuses, so the refusal says what the op is.
const char* refused_txn_name(uint32_t op) {
  switch (op) {
    case XAIE_IO_BLOCKSET: return "XAIE_IO_BLOCKSET (aie-rt serializes it as a BLOCKWRITE; a stream never holds it)";
    case XAIE_IO_LOAD_PM_START: return "XAIE_IO_LOAD_PM_START";
    case XAIE_IO_CREATE_SCRATCHPAD: return "XAIE_IO_CREATE_SCRATCHPAD";
    case XAIE_IO_UPDATE_STATE_TABLE: return "XAIE_IO_UPDATE_STATE_TABLE";
    case XAIE_IO_UPDATE_REG: return "XAIE_IO_UPDATE_REG";
    case XAIE_IO_UPDATE_SCRATCH: return "XAIE_IO_UPDATE_SCRATCH";
    case XAIE_CONFIG_SHIMDMA_BD: return "XAIE_CONFIG_SHIMDMA_BD";
    case XAIE_CONFIG_SHIMDMA_DMABUF_BD: return "XAIE_CONFIG_SHIMDMA_DMABUF_BD";
    default: return nullptr;
  }
}

// The legacy stream's prolog, mlir-aie lib/Targets/AIETargetIPU.cpp getProlog(); Riallto's
// sequence.py reads its first word (17) as the number of words before the first op.
constexpr uint32_t kIpuProlog[17] = {0x00000011, 0x01000405, 0x01000100, 0x0B590100, 0x000055FF, 0x00000001,
                                     0x00000010, 0x314E5A5F, 0x635F5F31, 0x676E696C, 0x39354E5F, 0x6E693131,
                                     0x5F727473, 0x64726F77, 0x00004573, 0x07BD9630, 0x000055FF};

// AIE2 tile address: column << 25 | row << 20 | offset (mlir-aie AIETargetModel.h, AIE2TargetModel
// getColumnShift() 25, getRowShift() 20; aie-rt XAIEML_COL_SHIFT / XAIEML_ROW_SHIFT).
constexpr unsigned kColShift = 25, kRowShift = 20;
constexpr uint32_t kTileOffsetMask = (1u << kRowShift) - 1;
// Shim DMA BD n's first register: NOC_MODULE_DMA_BD0_0 0x1D000, BD1_0 0x1D020 (aie-rt
// driver/src/global/xaiemlgbl_params.h).
constexpr uint32_t kShimBd0 = 0x1D000, kShimBdStride = 0x20;

// Largest argument index accepted: it must fit an int after the XRT offset (3) is added.
constexpr uint64_t kMaxArgIndex = 0x7FFFFFF0u;

class WordReader {
 public:
  WordReader(const std::vector<uint32_t>& w, const std::string& name) : w_(w), name_(name) {}
  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw InputError(name_ + ": word " + std::to_string(at) + ": " + what);
  }
  size_t size() const { return w_.size(); }
  uint32_t at(size_t i) const { return w_[i]; }
  const uint32_t* ptr(size_t i) const { return w_.data() + i; }
  uint64_t u64(size_t i) const { return uint64_t(w_[i]) | uint64_t(w_[i + 1]) << 32; }
  // The op at `i` needs `n` words.
  void need(size_t i, size_t n, const char* op) const {
    if (n > w_.size() - i)
      fail(i, std::string(op) + " needs " + std::to_string(n) + " words, only " + std::to_string(w_.size() - i) +
                  " remain");
  }
  // A byte-size field at word i + field, at least `min_bytes`, a whole number of words; returns words.
  size_t size_field(size_t i, size_t field, uint32_t min_bytes, const char* op) const {
    need(i, field + 1, op);
    const uint32_t bytes = w_[i + field];
    if (bytes < min_bytes || bytes % 4 != 0)
      fail(i, std::string(op) + " size field " + std::to_string(bytes) + " bytes (word " + std::to_string(i + field) +
                  ") is not a whole number of words of at least " + std::to_string(min_bytes));
    need(i, bytes / 4, op);
    return bytes / 4;
  }

 private:
  const std::vector<uint32_t>& w_;
  const std::string& name_;
};

int checked_arg_index(const WordReader& r, size_t i, uint64_t idx) {
  if (idx > kMaxArgIndex)
    r.fail(i, "DDR patch of argument index " + std::to_string(static_cast<int64_t>(idx)) +
                  ": negative or beyond any kernel's arguments");
  return static_cast<int>(idx);
}

// Custom ops (opcode >= 0x80) share XAie_CustomOpHdr: the op byte, then the size in bytes of the
// whole op (header included) in word 1; the payload starts at word 2 (xaie_txn.h, both formats:
// XAie_CustomOpHdr and XAie_CustomOpHdr_opt are 8 bytes).
void parse_custom(const WordReader& r, size_t i, uint32_t opc, bool opt, NpuOp& op) {
  switch (opc) {
    case XAIE_IO_CUSTOM_OP_TCT: {
      // tct_op_t {word, config}; fields as mlir-aie's appendSync writes them:
      // word = direction | row << 8 | column << 16; config = row_num << 8 | column_num << 16 | channel << 24.
      op.kind = NpuOpKind::Sync;
      op.word_count = r.size_field(i, 1, 16, "TCT sync");
      const uint32_t word = r.at(i + 2), config = r.at(i + 3);
      op.direction = static_cast<int>(word & 0xff);
      op.row = static_cast<int>((word >> 8) & 0xff);
      op.column = static_cast<int>((word >> 16) & 0xff);
      op.row_count = static_cast<int>((config >> 8) & 0xff);
      op.column_count = static_cast<int>((config >> 16) & 0xff);
      op.channel = static_cast<int>(config >> 24);
      return;
    }
    case XAIE_IO_CUSTOM_OP_DDR_PATCH: {
      op.kind = NpuOpKind::DdrPatch;
      if (!opt) {
        // patch_op_t {op_base b (8 bytes); u32 action; u64 regaddr; u64 argidx; u64 argplus}: 40
        // bytes after the 8-byte header, regaddr at byte 24 = word 6 (mlir-aie appendAddressPatch:
        // words[6] addr, [8] arg_idx, [10] arg_plus, 12 words).
        op.word_count = r.size_field(i, 1, 48, "DDR patch");
        op.address = r.u64(i + 6);
        op.arg_index = checked_arg_index(r, i, r.u64(i + 8));
        op.arg_offset = r.u64(i + 10);
      } else {
        // patch_op_opt_t {u32 regaddr; u8 argidx; u8 padding[3]; u64 argplus} after the header.
        op.word_count = r.size_field(i, 1, 24, "DDR patch");
        op.address = r.at(i + 2);
        op.arg_index = static_cast<int>(r.at(i + 3) & 0xff);
        op.arg_offset = r.u64(i + 4);
      }
      return;
    }
    case XAIE_IO_CUSTOM_OP_READ_REGS: {
      // read_register_op_t {u32 count; register_data_t data[] (u64 address, 8-aligned)}: count at
      // payload word 0, addresses from payload word 2 (the _opt struct pads explicitly to the same).
      op.kind = NpuOpKind::ReadRegs;
      op.word_count = r.size_field(i, 1, 16, "READ_REGS");
      const uint64_t count = r.at(i + 2);
      if (count > (op.word_count - 4) / 2)
        r.fail(i, "READ_REGS counts " + std::to_string(count) + " registers, its size holds " +
                      std::to_string((op.word_count - 4) / 2));
      op.value = static_cast<uint32_t>(count);
      op.data.assign(r.ptr(i + 4), r.ptr(i + 4) + 2 * count);
      return;
    }
    case XAIE_IO_CUSTOM_OP_RECORD_TIMER:
      // record_timer_op_t {u32 id}.
      op.kind = NpuOpKind::RecordTimer;
      op.word_count = r.size_field(i, 1, 12, "RECORD_TIMER");
      op.value = r.at(i + 2);
      return;
    case XAIE_IO_CUSTOM_OP_MERGE_SYNC:
      // aie-rt XAie_Txn_MergeSync(num_tokens, num_cols) stores a tct_op_t whose word is meant as
      // num_tokens | num_cols << 8 (xaie_helper.c; its code joins them with a logical ||).
      op.kind = NpuOpKind::MergeSync;
      op.word_count = r.size_field(i, 1, 16, "MERGE_SYNC");
      op.value = r.at(i + 2) & 0xff;
      op.column_count = static_cast<int>((r.at(i + 2) >> 8) & 0xff);
      return;
    default:
      r.fail(i, "opcode " + hex32(r.at(i)) + " is not an npu instruction this reader knows");
  }
}

// One op of a TXN stream at word i. `opt`: the 1.0 ("optimized") layouts of xaie_txn.h's *_opt
// structs; else the 0.1 layouts (the structs without _opt, C alignment: a u64 RegOff sits at byte 8).
NpuOp parse_txn_op(const WordReader& r, size_t i, bool opt) {
  NpuOp op;
  op.word_index = i;
  const uint32_t w0 = r.at(i);
  // XAie_OpHdr {u8 Op; u8 Col; u8 Row}: the op is the low byte. Col/Row are not used: aie-rt
  // fills them from RegOff with helpers that do not give the column and row (_XAie_GetColfromRegOff
  // masks the row bits, _XAie_GetRowfromRegOff keeps the offset's low byte), mlir-aie writes 0; the
  // register address is RegOff, absolute (col << 25 | row << 20 | offset) in both writers.
  const uint32_t opc = w0 & 0xff;
  switch (opc) {
    case XAIE_IO_WRITE:
      op.kind = NpuOpKind::Write32;
      if (opt) {  // XAie_Write32Hdr_opt {hdr; u32 RegOff; u32 Value}
        r.need(i, 3, "write32");
        op.word_count = 3;
        op.address = r.at(i + 1);
        op.value = r.at(i + 2);
      } else {  // XAie_Write32Hdr {hdr; u64 RegOff @8; u32 Value @16; u32 Size @20}
        op.word_count = r.size_field(i, 5, 24, "write32");
        op.address = r.u64(i + 2);
        op.value = r.at(i + 4);
      }
      return op;
    case XAIE_IO_BLOCKWRITE: {
      op.kind = NpuOpKind::BlockWrite;
      // XAie_BlockWrite32Hdr {hdr; u8 Col; u8 Row; u32 RegOff @8; u32 Size @12} (16 bytes), or
      // XAie_BlockWrite32Hdr_opt {hdr; u32 RegOff @4; u32 Size @8} (12 bytes); payload follows,
      // Size counts header and payload.
      const size_t hdr = opt ? 3 : 4;
      op.word_count = r.size_field(i, hdr - 1, static_cast<uint32_t>(4 * hdr), "blockwrite");
      op.address = r.at(i + hdr - 2);
      op.data.assign(r.ptr(i + hdr), r.ptr(i + op.word_count));
      return op;
    }
    case XAIE_IO_MASKWRITE:
    case XAIE_IO_MASKPOLL:
    case XAIE_IO_MASKPOLL_BUSY: {
      const char* what = opc == XAIE_IO_MASKWRITE ? "maskwrite" : "maskpoll";
      op.kind = opc == XAIE_IO_MASKWRITE ? NpuOpKind::MaskWrite
                : opc == XAIE_IO_MASKPOLL ? NpuOpKind::MaskPoll
                                          : NpuOpKind::MaskPollBusy;
      if (opt) {  // {hdr; u32 RegOff; u32 Value; u32 Mask}
        r.need(i, 4, what);
        op.word_count = 4;
        op.address = r.at(i + 1);
        op.value = r.at(i + 2);
        op.mask = r.at(i + 3);
      } else {  // {hdr; u64 RegOff @8; u32 Value @16; u32 Mask @20; u32 Size @24}: mlir-aie writes
                // 28 bytes, aie-rt sizeof() 32; both say so in Size.
        op.word_count = r.size_field(i, 6, 28, what);
        op.address = r.u64(i + 2);
        op.value = r.at(i + 4);
        op.mask = r.at(i + 5);
      }
      return op;
    }
    case XAIE_IO_NOOP:  // XAie_NoOpHdr {u8 Op; u8 padding[3]}
      op.kind = NpuOpKind::Noop;
      op.word_count = 1;
      return op;
    case XAIE_IO_PREEMPT:  // XAie_PreemptHdr {u8 Op; u8 Preempt_level; u16 Reserved}
      op.kind = NpuOpKind::Preempt;
      op.word_count = 1;
      op.value = (w0 >> 8) & 0xff;
      return op;
    case XAIE_IO_LOADPDI:  // XAie_LoadPdiHdr {u8 Op; u8 Padding; u16 PdiId; u32 PdiSize; u64 PdiAddress}
      r.need(i, 4, "load_pdi");
      op.kind = NpuOpKind::LoadPdi;
      op.word_count = 4;
      op.value = w0 >> 16;
      op.mask = r.at(i + 1);
      op.arg_offset = r.u64(i + 2);
      return op;
    default:
      break;
  }
  if (opc >= 0x80) {
    parse_custom(r, i, opc, opt, op);
    op.word_index = i;
    return op;
  }
  std::string msg = "opcode " + hex32(w0) + " is not an npu instruction this reader knows";
  if (const char* n = refused_txn_name(opc)) msg += std::string(" (aie-rt's ") + n + ")";
  r.fail(i, msg);
}

void parse_txn(const WordReader& r, InstructionStream& s) {
  // XAie_TxnHeader {u8 Major, Minor, DevGen, NumRows, NumCols, NumMemTileRows; u16 pad; u32 NumOps; u32 TxnSize}.
  if (r.size() < 4) r.fail(0, "a TXN header needs 4 words, the stream has " + std::to_string(r.size()));
  const uint32_t w0 = r.at(0), w1 = r.at(1);
  s.version_major = static_cast<int>(w0 & 0xff);
  s.version_minor = static_cast<int>((w0 >> 8) & 0xff);
  s.device_generation = static_cast<int>((w0 >> 16) & 0xff);
  s.rows = static_cast<int>(w0 >> 24);
  s.columns = static_cast<int>(w1 & 0xff);
  s.mem_tile_rows = static_cast<int>((w1 >> 8) & 0xff);
  s.encoding = s.version_major == 1 ? "txn-1.0" : "txn-0.1";
  // The header names the device the stream was made for (aie-rt xaiegbl_defs.h XAIE_DEV_GEN_*:
  // 3 AIE2IPU = Phoenix; 4, 8, 9 AIE2P = Strix; 1 AIE; 2 AIE-ML) and its geometry (npu1: 6 rows,
  // 1 memory-tile row, at most 5 columns; mlir-aie AIETargetNPU.cpp writes devGen 3 for npu1).
  if (s.device_generation != 3)
    r.fail(0, "the TXN header's device generation is " + std::to_string(s.device_generation) +
                  (s.device_generation == 4 || s.device_generation == 8 || s.device_generation == 9 ? " (AIE2P: Strix, npu4 and later)"
                   : s.device_generation == 1                                                       ? " (AIE1)"
                   : s.device_generation == 2                                                       ? " (AIE-ML)"
                                                                                                    : "") +
                  ", not 3 (AIE2IPU: Phoenix, npu1): a stream for another device");
  if (s.rows != 6 || s.mem_tile_rows != 1 || s.columns < 1 || s.columns > 5)
    r.fail(1, "the TXN header describes " + std::to_string(s.columns) + " columns, " + std::to_string(s.rows) + " rows, " +
                  std::to_string(s.mem_tile_rows) + " memory-tile rows: npu1 has 6 rows, 1 memory-tile row and at most 5 columns");
  s.first_buffer_kernel_arg = 3;
  const bool opt = s.version_major == 1;
  const uint64_t num_ops = r.at(2), txn_size = r.at(3);
  if (txn_size != 4 * uint64_t(r.size()))
    r.fail(3, "the header's transaction size is " + std::to_string(txn_size) + " bytes, the stream holds " +
                  std::to_string(4 * uint64_t(r.size())));
  size_t i = 4;
  while (i < r.size()) {
    if (s.ops.size() == num_ops)
      r.fail(i, "words remain after the " + std::to_string(num_ops) + " ops the header (word 2) counts");
    NpuOp op = parse_txn_op(r, i, opt);
    i += op.word_count;  // every op takes at least one word: the loop ends
    s.ops.push_back(std::move(op));
  }
  if (s.ops.size() != num_ops)
    r.fail(2, "the header counts " + std::to_string(num_ops) + " ops, the stream holds " + std::to_string(s.ops.size()));
}

// The legacy stream, mlir-aie AIETargetIPU.cpp: each op's first word holds the opcode in bits
// 31:24, column in 23:16.
void parse_ipu_legacy(const WordReader& r, InstructionStream& s) {
  s.encoding = "ipu-legacy";
  s.first_buffer_kernel_arg = 2;
  size_t i = 17;
  while (i < r.size()) {
    NpuOp op;
    op.word_index = i;
    const uint32_t w0 = r.at(i);
    const int column = static_cast<int>((w0 >> 16) & 0xff);
    switch (w0 >> 24) {
      case 2: {  // appendWrite32: [op | col << 16 | row << 8, address, value]
        r.need(i, 3, "write32");
        op.kind = NpuOpKind::Write32;
        op.word_count = 3;
        op.column = column;
        op.row = static_cast<int>((w0 >> 8) & 0xff);
        const uint32_t offset = r.at(i + 1);
        // The address is the tile's own offset (the lowering wrote 0x1D214, a shim register, with
        // column and row beside it); one with bits above the 20-bit offset cannot be placed.
        if (offset > kTileOffsetMask)
          r.fail(i, "write32 offset " + hex32(offset) + " is wider than a tile's 20-bit register offset");
        op.address = uint64_t(column) << kColShift | uint64_t(op.row) << kRowShift | offset;
        op.value = r.at(i + 2);
        break;
      }
      case 3: {  // appendSync: [op | col << 16 | row << 8 | direction & 1, channel << 24 | col_num << 16 | row_num << 8]
        r.need(i, 2, "sync");
        op.kind = NpuOpKind::Sync;
        op.word_count = 2;
        op.column = column;
        op.row = static_cast<int>((w0 >> 8) & 0xff);
        op.direction = static_cast<int>(w0 & 1);
        const uint32_t w1 = r.at(i + 1);
        op.channel = static_cast<int>(w1 >> 24);
        op.column_count = static_cast<int>((w1 >> 16) & 0xff);
        op.row_count = static_cast<int>((w1 >> 8) & 0xff);
        break;
      }
      case 6: {  // appendWriteBdShimTile: [op | col << 16 | col_num << 8 | ddr_id << 4 | bd_id, 0, BD words 0..7]
        r.need(i, 10, "shim BD write");
        op.kind = NpuOpKind::WriteShimBd;
        op.word_count = 10;
        op.column = column;
        op.column_count = static_cast<int>((w0 >> 8) & 0xff);
        op.arg_index = static_cast<int>((w0 >> 4) & 0xf);
        op.bd_id = static_cast<int>(w0 & 0xf);
        op.data.assign(r.ptr(i + 2), r.ptr(i + 10));
        op.arg_offset = r.at(i + 3);  // words[3] = buffer offset (BD word 1)
        op.address = uint64_t(column) << kColShift | (kShimBd0 + kShimBdStride * uint32_t(op.bd_id));
        break;
      }
      default:
        r.fail(i, "opcode " + hex32(w0) + " is not an npu instruction this reader knows (legacy IPU stream: 2, 3, 6)");
    }
    i += op.word_count;
    s.ops.push_back(std::move(op));
  }
}

bool has_ipu_prolog(const std::vector<uint32_t>& w) {
  return w.size() >= 17 && std::equal(std::begin(kIpuProlog), std::end(kIpuProlog), w.begin());
}

}  // namespace

const char* kind_name(NpuOpKind k) {
  switch (k) {
    case NpuOpKind::Write32: return "write32";
    case NpuOpKind::BlockWrite: return "blockwrite";
    case NpuOpKind::MaskWrite: return "maskwrite32";
    case NpuOpKind::MaskPoll: return "maskpoll32";
    case NpuOpKind::MaskPollBusy: return "maskpoll32_busy";
    case NpuOpKind::DdrPatch: return "ddr_patch";
    case NpuOpKind::Sync: return "sync";
    case NpuOpKind::Noop: return "noop";
    case NpuOpKind::Preempt: return "preempt";
    case NpuOpKind::LoadPdi: return "load_pdi";
    case NpuOpKind::ReadRegs: return "read_regs";
    case NpuOpKind::RecordTimer: return "record_timer";
    case NpuOpKind::MergeSync: return "merge_sync";
    case NpuOpKind::WriteShimBd: return "write_shim_bd";
  }
  return "?";
}

namespace {
std::string where(uint64_t a) {
  return hex32(a) + " (col " + std::to_string(a >> kColShift) + " row " + std::to_string((a >> kRowShift) & 0x1f) +
         " +" + hex32(a & kTileOffsetMask) + ")";
}
}  // namespace

std::string describe(const NpuOp& op) {
  std::string s = "word " + std::to_string(op.word_index) + ": " + kind_name(op.kind);
  switch (op.kind) {
    case NpuOpKind::Write32: return s + " " + where(op.address) + " = " + hex32(op.value);
    case NpuOpKind::BlockWrite: return s + " " + std::to_string(op.data.size()) + " words at " + where(op.address);
    case NpuOpKind::MaskWrite:
    case NpuOpKind::MaskPoll:
    case NpuOpKind::MaskPollBusy:
      return s + " " + where(op.address) + " value " + hex32(op.value) + " mask " + hex32(op.mask);
    case NpuOpKind::DdrPatch:
      return s + " " + where(op.address) + " <- address of argument " + std::to_string(op.arg_index) + " + " +
             std::to_string(op.arg_offset);
    case NpuOpKind::Sync:
      return s + " column " + std::to_string(op.column) + " row " + std::to_string(op.row) + " direction " +
             std::to_string(op.direction) + (op.direction == 0 ? " (S2MM)" : op.direction == 1 ? " (MM2S)" : "") +
             " channel " + std::to_string(op.channel) + " columns " + std::to_string(op.column_count) + " rows " +
             std::to_string(op.row_count);
    case NpuOpKind::Noop: return s;
    case NpuOpKind::Preempt: return s + " level " + std::to_string(op.value);
    case NpuOpKind::LoadPdi:
      return s + " id " + std::to_string(op.value) + " size " + std::to_string(op.mask) + " address " +
             hex32(op.arg_offset);
    case NpuOpKind::ReadRegs: return s + " " + std::to_string(op.value) + " registers";
    case NpuOpKind::RecordTimer: return s + " id " + std::to_string(op.value);
    case NpuOpKind::MergeSync:
      return s + " tokens " + std::to_string(op.value) + " columns " + std::to_string(op.column_count);
    case NpuOpKind::WriteShimBd:
      return s + " BD " + std::to_string(op.bd_id) + " at " + where(op.address) + " columns " +
             std::to_string(op.column_count) + " argument " + std::to_string(op.arg_index) + " offset " +
             std::to_string(op.arg_offset) + " length " + std::to_string(op.data.empty() ? 0 : op.data[0]);
  }
  return s;
}

InstructionStream parse_instruction_words(const std::vector<uint32_t>& words, const std::string& name) {
  InstructionStream s;
  s.path = name;
  s.format = "words";
  s.words = words;
  const WordReader r(s.words, name);
  if (words.empty()) throw InputError(name + ": no instruction words");
  const uint32_t major = words[0] & 0xff, minor = (words[0] >> 8) & 0xff;
  if (has_ipu_prolog(words)) {
    parse_ipu_legacy(r, s);
  } else if ((major == 0 && minor == 1) || (major == 1 && minor == 0)) {
    // Versions aie-rt writes: 0.1 (TransactionHeaderVersion_Major/Minor) and 1.0 (the _opt
    // serializer), xaie_helper.c. mlir-aie's AIETargetNPU.cpp writes 0.1; an earlier version of it
    // (commit 00bd68c38c9b) wrote 1.0 with the _opt layouts (3-word write32, 6-word patch).
    parse_txn(r, s);
  } else {
    r.fail(0, hex32(words[0]) + " is neither a TXN header (version 0.1 or 1.0) nor the legacy IPU prolog (0x00000011 ...)");
  }
  return s;
}

namespace {

bool looks_like_mlir(const std::string& b) {
  return b.find('\0') == std::string::npos && b.find("runtime_sequence") != std::string::npos;
}

std::vector<uint32_t> words_of_hex_text(const std::string& text, const std::string& name) {
  std::vector<uint32_t> words;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    size_t b = pos, e = end;
    pos = end + 1;
    while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
    if (b == e) continue;  // blank lines carry nothing (aiecc ends the file with a newline)
    size_t h = b;
    if (e - b > 2 && text[b] == '0' && (text[b + 1] == 'x' || text[b + 1] == 'X')) h += 2;
    bool ok = e - h >= 1 && e - h <= 8;
    uint32_t v = 0;
    for (size_t k = h; ok && k < e; ++k) {
      const char c = text[k];
      ok = std::isxdigit(static_cast<unsigned char>(c)) != 0;
      v = v << 4 | static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
    }
    if (!ok)
      throw InputError(terminal_text(name + ":" + std::to_string(line_no) + ": '" + text.substr(b, std::min<size_t>(e - b, 40)) +
                                     "' is not one 32-bit hex word"));
    words.push_back(v);
  }
  if (words.empty()) throw InputError(name + ": no instruction words");
  return words;
}

}  // namespace

InstructionStream parse_instruction_bytes(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name + ": empty instruction file");
  InstructionStream s;
  std::string suffix;
  if (looks_like_mlir(bytes)) {
    s = parse_instruction_words(encode_npu_insts_mlir(bytes, name), name);
    s.format = "npu_insts.mlir";
  } else {
    // Text when no byte is NUL: every binary stream has one (a TXN header's version bytes hold a
    // 0, the legacy prolog starts 0x00000011).
    const bool text = bytes.find('\0') == std::string::npos;
    std::vector<uint32_t> words;
    if (text) {
      words = words_of_hex_text(bytes, name);
    } else {
      if (bytes.size() % 4 != 0)
        throw InputError(name + ": " + std::to_string(bytes.size()) + " bytes is not a whole number of 32-bit words");
      words.resize(bytes.size() / 4);
      for (size_t i = 0; i < words.size(); ++i) {
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + 4 * i);
        words[i] = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
      }
    }
    s = parse_instruction_words(words, name);
    const bool legacy = s.encoding == "ipu-legacy";
    s.format = std::string(legacy ? "ipu-legacy" : "txn") + (text ? "-txt" : "-bin");
  }
  s.path = name;
  s.sha256 = sha256_hex(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return s;
}

InstructionStream read_instruction_stream(const std::string& path) {
  return parse_instruction_bytes(read_text_file(path, kMaxTextInputBytes, "an instruction stream"), path);
}

// ---------------------------------------------------------------------------------------------
// npu_insts.mlir -> words, as mlir-aie lib/Targets/AIETargetNPU.cpp (AIETranslateNpuToBinary).

namespace {

struct MlirLine {
  size_t no;
  std::string text;  // trimmed
};

class MlirEncoder {
 public:
  MlirEncoder(const std::string& text, const std::string& name) : name_(name) {
    size_t pos = 0, no = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      ++no;
      size_t b = pos, e = end;
      while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
      while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
      lines_.push_back({no, text.substr(b, e - b)});
      if (end == text.size()) break;
      pos = end + 1;
    }
  }

  std::vector<uint32_t> encode() {
    read_device();
    read_globals();
    const size_t seq = find_sequence();
    std::vector<uint32_t> out(4, 0);
    // Header: major 0, minor 1, devGen 3 ("NPU (PHX HWK)"), rows, columns, mem tile rows.
    out[0] = uint32_t(rows_) << 24 | 3u << 16 | 1u << 8 | 0u;
    out[1] = uint32_t(mem_tile_rows_) << 8 | uint32_t(columns_);
    uint32_t count = 0;
    int depth = 1;
    bool closed = false;
    for (size_t k = seq + 1; k < lines_.size() && !closed; ++k) {
      const MlirLine& l = lines_[k];
      const std::string& t = l.text;
      if (t.empty() || t.rfind("//", 0) == 0) continue;
      if (t == "}") {
        closed = --depth == 0;
        continue;
      }
      if (t.find("memref.get_global") != std::string::npos) {
        read_get_global(l);
        continue;
      }
      const std::string opname = op_name(t);
      ++count;
      if (opname == "aiex.npu.write32") write32(l, out);
      else if (opname == "aiex.npu.maskwrite32") maskwrite32(l, out);
      else if (opname == "aiex.npu.blockwrite") blockwrite(l, out);
      else if (opname == "aiex.npu.address_patch") address_patch(l, out);
      else if (opname == "aiex.npu.sync") sync(l, out);
      else if (opname == "aiex.npu.load_pdi") load_pdi(l, out);
      else if (opname == "aiex.npu.preempt") preempt(l, out);
      else if (opname.rfind("aiex.npu.", 0) == 0 && (opname.find("dma_memcpy_nd") != std::string::npos ||
                                                     opname.find("dma_wait") != std::string::npos ||
                                                     opname.find("push_queue") != std::string::npos ||
                                                     opname.find("writebd") != std::string::npos ||
                                                     opname.find("rtp_write") != std::string::npos))
        fail(l, "'" + opname + "' is not lowered: aie-translate --aie-npu-to-binary takes the sequence after aiecc's "
                              "lowering (aie-dma-to-npu), which npu_insts.mlir holds");
      else
        fail(l, "'" + opname + "' is not an op the npu_insts.mlir encoder knows");
      if (out.size() > (uint64_t(1) << 24)) fail(l, "the stream grows beyond 64 MiB");
    }
    if (!closed) fail(lines_[seq], "the runtime sequence does not end ('}' missing)");
    out[2] = count;
    out[3] = static_cast<uint32_t>(4 * out.size());
    return out;
  }

 private:
  [[noreturn]] void fail(const MlirLine& l, const std::string& what) const {
    throw InputError(terminal_text(name_ + ":" + std::to_string(l.no) + ": " + what));
  }
  [[noreturn]] void fail(const std::string& what) const { throw InputError(terminal_text(name_ + ": " + what)); }

  static std::string op_name(const std::string& t) {
    size_t b = 0;
    if (!t.empty() && t[0] == '%') {  // "%0 = op ..."
      const size_t eq = t.find(" = ");
      if (eq != std::string::npos) b = eq + 3;
    }
    size_t e = b;
    while (e < t.size() && (std::isalnum(static_cast<unsigned char>(t[e])) || t[e] == '.' || t[e] == '_')) ++e;
    return e > b ? t.substr(b, e - b) : t.substr(b, std::min<size_t>(t.size() - b, 30));
  }

  // The device: aie.device(npu1...) fixes the header's rows, columns and mem tile rows (mlir-aie
  // AIETargetModel: npu1 is the 4-column Phoenix array, npu1_Ncol its first N columns; 6 rows,
  // 1 mem tile row; npu_instgen.mlir's header for npu1: 06030100 00000104).
  void read_device() {
    for (const MlirLine& l : lines_) {
      const size_t p = l.text.find("aie.device(");
      if (p == std::string::npos) continue;
      const size_t b = p + 11, e = l.text.find(')', b);
      const std::string dev = l.text.substr(b, e == std::string::npos ? 0 : e - b);
      static const std::map<std::string, int> kCols = {
          {"npu1", 4}, {"npu1_1col", 1}, {"npu1_2col", 2}, {"npu1_3col", 3}, {"npu1_4col", 4}};
      const auto it = kCols.find(dev);
      if (it == kCols.end()) fail(l, "device '" + dev + "': only npu1 (Phoenix) devices are encoded");
      if (columns_ != 0) fail(l, "a second aie.device: one device a file is encoded");
      columns_ = it->second;
      rows_ = 6;
      mem_tile_rows_ = 1;
    }
    if (columns_ == 0) fail("no aie.device(npu1...) in the file");
  }

  // memref.global "private" constant @NAME : memref<NxTY> = dense<...>
  void read_globals() {
    for (const MlirLine& l : lines_) {
      const std::string& t = l.text;
      if (t.rfind("memref.global", 0) != 0) continue;
      const size_t at = t.find('@');
      if (at == std::string::npos) fail(l, "memref.global without a @name");
      size_t e = at + 1;
      while (e < t.size() && !std::isspace(static_cast<unsigned char>(t[e])) && t[e] != ':') ++e;
      const std::string sym = t.substr(at + 1, e - at - 1);
      const size_t ty = t.find("memref<", e);
      if (ty == std::string::npos) fail(l, "memref.global @" + sym + " without a memref type");
      const size_t ty_end = t.find('>', ty);
      if (ty_end == std::string::npos) fail(l, "memref.global @" + sym + ": unterminated memref type");
      const std::string type = t.substr(ty + 7, ty_end - ty - 7);
      Global g;
      g.line = l.no;
      // Only 32-bit elements: AIETargetNPU.cpp refuses others ("Only 32-bit data type is supported").
      const size_t x = type.rfind('x');
      if (x == std::string::npos || (type.substr(x + 1) != "i32" && type.substr(x + 1) != "ui32"))
        g.error = "memref.global @" + sym + " of memref<" + type + ">: blockwrite data must be 32-bit integers";
      else
        g.count = parse_shape(l, type.substr(0, x));
      const size_t dense = t.find("dense<", ty_end);
      if (dense == std::string::npos) {
        g.error = "memref.global @" + sym + " has no dense<...> initial value";
      } else if (g.error.empty()) {
        const size_t db = dense + 6, de = t.rfind('>');
        if (de == std::string::npos || de < db) fail(l, "memref.global @" + sym + ": unterminated dense<...>");
        g.data = parse_dense(l, t.substr(db, de - db), g.count);
      }
      if (globals_.count(sym)) fail(l, "memref.global @" + sym + " defined twice");
      globals_[sym] = std::move(g);
    }
  }

  uint64_t parse_shape(const MlirLine& l, const std::string& dims) {
    uint64_t n = 1;
    size_t p = 0;
    while (p < dims.size()) {
      size_t e = dims.find('x', p);
      if (e == std::string::npos) e = dims.size();
      const std::string d = dims.substr(p, e - p);
      if (d.empty() || d.size() > 9 || !std::all_of(d.begin(), d.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        fail(l, "memref shape '" + dims.substr(0, 40) + "' is not static");
      n *= std::stoull(d);
      // A blockwrite is register data (BD words, control packets); 2^20 words (4 MiB) is far above any.
      if (n > (uint64_t(1) << 20)) fail(l, "memref of more than 2^20 elements");
      p = e + 1;
    }
    return n;
  }

  // dense<[a, b, ...]>, dense<N> (splat) or dense<"0xHEX"> (little-endian element bytes); each
  // element stored as its 32-bit two's complement (AIETargetNPU.cpp: d.getZExtValue()).
  std::vector<uint32_t> parse_dense(const MlirLine& l, const std::string& body, uint64_t count) {
    std::vector<uint32_t> v;
    if (!body.empty() && body[0] == '"') {
      const size_t q = body.find('"', 1);
      std::string hex = body.substr(1, q == std::string::npos ? std::string::npos : q - 1);
      if (hex.rfind("0x", 0) != 0 || (hex.size() - 2) % 8 != 0) fail(l, "dense<\"...\"> is not hex of 32-bit elements");
      for (size_t k = 2; k < hex.size(); k += 8) {
        uint32_t w = 0;
        for (int byte = 0; byte < 4; ++byte) {
          const std::string hb = hex.substr(k + 2 * byte, 2);
          if (!std::isxdigit(static_cast<unsigned char>(hb[0])) || !std::isxdigit(static_cast<unsigned char>(hb[1])))
            fail(l, "dense<\"...\"> holds a non-hex digit");
          w |= static_cast<uint32_t>(std::stoul(hb, nullptr, 16)) << (8 * byte);
        }
        v.push_back(w);
      }
    } else if (!body.empty() && body[0] == '[') {
      const size_t close = body.find(']');
      if (close == std::string::npos) fail(l, "dense<[...]> without ']'");
      size_t p = 1;
      while (p < close) {
        size_t e = body.find(',', p);
        if (e == std::string::npos || e > close) e = close;
        v.push_back(static_cast<uint32_t>(parse_int(l, body.substr(p, e - p), -2147483648LL, 4294967295LL, "dense element")));
        p = e + 1;
      }
    } else {
      const uint32_t splat = static_cast<uint32_t>(parse_int(l, body, -2147483648LL, 4294967295LL, "dense splat"));
      v.assign(count, splat);
    }
    if (v.size() != count)
      fail(l, "dense<...> holds " + std::to_string(v.size()) + " elements, the memref " + std::to_string(count));
    return v;
  }

  static std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
  }

  // A decimal or 0x-hex integer, optionally negative, within [lo, hi].
  int64_t parse_int(const MlirLine& l, const std::string& raw, int64_t lo, int64_t hi, const std::string& what) const {
    const std::string s = trim(raw);
    bool neg = false;
    size_t p = 0;
    if (p < s.size() && s[p] == '-') neg = true, ++p;
    int base = 10;
    if (s.size() - p > 2 && s[p] == '0' && (s[p + 1] == 'x' || s[p + 1] == 'X')) base = 16, p += 2;
    if (p == s.size() || s.size() - p > 20) fail(l, what + " '" + s.substr(0, 30) + "' is not an integer");
    uint64_t v = 0;
    for (size_t k = p; k < s.size(); ++k) {
      const char c = s[k];
      int d;
      if (std::isdigit(static_cast<unsigned char>(c))) d = c - '0';
      else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) d = std::tolower(c) - 'a' + 10;
      else fail(l, what + " '" + s.substr(0, 30) + "' is not an integer");
      if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
        fail(l, what + " '" + s.substr(0, 30) + "' is out of range");
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    if (!neg && v > static_cast<uint64_t>(hi)) fail(l, what + " " + s + " is out of range");
    if (neg && v > static_cast<uint64_t>(-lo)) fail(l, what + " " + s + " is out of range");
    return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  }

  // The {key = value : type, ...} dictionary of an op line.
  std::map<std::string, std::string> attrs(const MlirLine& l) const {
    std::map<std::string, std::string> a;
    const size_t b = l.text.find('{');
    if (b == std::string::npos) return a;
    const size_t e = l.text.find('}', b);
    if (e == std::string::npos) fail(l, "attribute dictionary without '}'");
    const std::string body = l.text.substr(b + 1, e - b - 1);
    size_t p = 0;
    while (p < body.size()) {
      size_t c = body.find(',', p);
      if (c == std::string::npos) c = body.size();
      const std::string item = body.substr(p, c - p);
      p = c + 1;
      if (trim(item).empty()) continue;
      const size_t eq = item.find('=');
      if (eq == std::string::npos) fail(l, "attribute '" + trim(item).substr(0, 30) + "' has no value");
      std::string value = item.substr(eq + 1);
      const size_t colon = value.find(':');
      if (colon != std::string::npos) value = value.substr(0, colon);
      const std::string key = trim(item.substr(0, eq));
      if (a.count(key)) fail(l, "attribute " + key + " given twice");
      a[key] = trim(value);
    }
    return a;
  }

  int64_t get(const MlirLine& l, const std::map<std::string, std::string>& a, const std::string& key, int64_t lo,
              int64_t hi) const {
    const auto it = a.find(key);
    if (it == a.end()) fail(l, "'" + op_name(l.text) + "' without its " + key + " attribute");
    if (!it->second.empty() && it->second[0] == '@')
      fail(l, "'" + op_name(l.text) + "': symbolic " + key + " " + it->second + " (aie-translate: \"Cannot translate symbolic address\")");
    return parse_int(l, it->second, lo, hi, key);
  }
  std::optional<int64_t> opt(const MlirLine& l, const std::map<std::string, std::string>& a, const std::string& key,
                             int64_t lo, int64_t hi) const {
    if (!a.count(key)) return std::nullopt;
    return get(l, a, key, lo, hi);
  }

  // NpuWrite32Op/NpuMaskWrite32Op/NpuBlockWriteOp getAbsoluteAddress(): with both column and row,
  // (col & 0xff) << 25 | (row & 0xff) << 20 | (address & 0xFFFFF); else the address as given
  // (npu_instgen.mlir: column 3, row 4, 0xabc00def -> 0x06400DEF).
  uint32_t absolute(const MlirLine& l, const std::map<std::string, std::string>& a) const {
    if (a.count("buffer")) fail(l, "'" + op_name(l.text) + "' with a symbolic buffer (aie-translate: \"Cannot translate symbolic address\")");
    const uint32_t addr = static_cast<uint32_t>(get(l, a, "address", 0, 0xFFFFFFFFLL));
    const auto col = opt(l, a, "column", 0, 0x7FFFFFFF), row = opt(l, a, "row", 0, 0x7FFFFFFF);
    if (col && row)
      return (static_cast<uint32_t>(*col) & 0xff) << kColShift | (static_cast<uint32_t>(*row) & 0xff) << kRowShift |
             (addr & kTileOffsetMask);
    return addr;
  }

  // appendWrite32: [XAIE_IO_WRITE, 0, address, 0, value, 24].
  void write32(const MlirLine& l, std::vector<uint32_t>& out) const {
    const auto a = attrs(l);
    const uint32_t addr = absolute(l, a);
    const uint32_t value = static_cast<uint32_t>(get(l, a, "value", 0, 0xFFFFFFFFLL));
    out.insert(out.end(), {XAIE_IO_WRITE, 0, addr, 0, value, 24});
  }
  // appendMaskWrite32: [XAIE_IO_MASKWRITE, 0, address, 0, value, mask, 28].
  void maskwrite32(const MlirLine& l, std::vector<uint32_t>& out) const {
    const auto a = attrs(l);
    const uint32_t addr = absolute(l, a);
    const uint32_t value = static_cast<uint32_t>(get(l, a, "value", 0, 0xFFFFFFFFLL));
    const uint32_t mask = static_cast<uint32_t>(get(l, a, "mask", 0, 0xFFFFFFFFLL));
    out.insert(out.end(), {XAIE_IO_MASKWRITE, 0, addr, 0, value, mask, 28});
  }
  // appendBlockWrite: [XAIE_IO_BLOCKWRITE, col | row << 8 (when both are given), address,
  // 4 * (4 + n)], then the n data words of the memref.global the operand's get_global names.
  void blockwrite(const MlirLine& l, std::vector<uint32_t>& out) const {
    const std::string& t = l.text;
    const size_t lp = t.find('('), rp = t.find(')');
    if (lp == std::string::npos || rp == std::string::npos || rp < lp) fail(l, "blockwrite without its (%data) operand");
    const std::string operand = trim(t.substr(lp + 1, rp - lp - 1));
    const auto ssa = values_.find(operand);
    if (ssa == values_.end())
      fail(l, "blockwrite of " + operand.substr(0, 30) + ", which no memref.get_global in the sequence defines");
    const auto g = globals_.find(ssa->second);
    if (g == globals_.end()) fail(l, "blockwrite of @" + ssa->second + ": no memref.global of that name");
    if (!g->second.error.empty()) fail(l, g->second.error + " (line " + std::to_string(g->second.line) + ")");
    const auto a = attrs(l);
    const uint32_t addr = absolute(l, a);
    const auto col = opt(l, a, "column", 0, 0x7FFFFFFF), row = opt(l, a, "row", 0, 0x7FFFFFFF);
    const uint32_t colrow = col && row ? (static_cast<uint32_t>(*col) & 0xff) | (static_cast<uint32_t>(*row) & 0xff) << 8 : 0;
    const std::vector<uint32_t>& d = g->second.data;
    out.insert(out.end(), {XAIE_IO_BLOCKWRITE, colrow, addr, static_cast<uint32_t>(4 * (4 + d.size()))});
    out.insert(out.end(), d.begin(), d.end());
  }
  // appendAddressPatch: 12 words, [0] XAIE_IO_CUSTOM_OP_DDR_PATCH, [1] 48, [6] addr, [8] arg_idx, [10] arg_plus.
  void address_patch(const MlirLine& l, std::vector<uint32_t>& out) const {
    const auto a = attrs(l);
    const uint32_t addr = static_cast<uint32_t>(get(l, a, "addr", 0, 0xFFFFFFFFLL));
    const int64_t arg = get(l, a, "arg_idx", -2147483648LL, 2147483647LL);
    if (arg < 0) fail(l, "address_patch of a negative argument (arg_idx = " + std::to_string(arg) + ")");
    const uint32_t plus = static_cast<uint32_t>(get(l, a, "arg_plus", -2147483648LL, 4294967295LL));
    std::vector<uint32_t> w(12, 0);
    w[0] = XAIE_IO_CUSTOM_OP_DDR_PATCH;
    w[1] = 48;
    w[6] = addr;
    w[8] = static_cast<uint32_t>(arg);
    w[10] = plus;
    out.insert(out.end(), w.begin(), w.end());
  }
  // appendSync: [XAIE_IO_CUSTOM_OP_TCT, 16, direction | row << 8 | column << 16,
  // row_num << 8 | column_num << 16 | channel << 24], each field & 0xff.
  void sync(const MlirLine& l, std::vector<uint32_t>& out) const {
    const auto a = attrs(l);
    auto f = [&](const char* k) { return static_cast<uint32_t>(get(l, a, k, 0, 0x7FFFFFFF)) & 0xff; };
    const uint32_t dir = f("direction"), row = f("row"), col = f("column");
    const uint32_t rows = f("row_num"), cols = f("column_num"), ch = f("channel");
    out.insert(out.end(), {XAIE_IO_CUSTOM_OP_TCT, 16, dir | row << 8 | col << 16, rows << 8 | cols << 16 | ch << 24});
  }
  // appendLoadPdi: [XAIE_IO_LOADPDI | id << 16, size, address low, address high].
  void load_pdi(const MlirLine& l, std::vector<uint32_t>& out) const {
    const auto a = attrs(l);
    const uint32_t id = static_cast<uint32_t>(get(l, a, "id", 0, 0xFFFF));
    const uint32_t size = static_cast<uint32_t>(opt(l, a, "size", 0, 0xFFFFFFFFLL).value_or(0));
    const uint64_t addr = static_cast<uint64_t>(opt(l, a, "address", 0, std::numeric_limits<int64_t>::max()).value_or(0));
    out.insert(out.end(), {XAIE_IO_LOADPDI | id << 16, size, static_cast<uint32_t>(addr), static_cast<uint32_t>(addr >> 32)});
  }
  // appendPreempt: [XAIE_IO_PREEMPT | level << 8].
  void preempt(const MlirLine& l, std::vector<uint32_t>& out) const {
    const auto a = attrs(l);
    out.push_back(XAIE_IO_PREEMPT | static_cast<uint32_t>(get(l, a, "level", 0, 0xFF)) << 8);
  }

  void read_get_global(const MlirLine& l) {
    const std::string& t = l.text;
    const size_t eq = t.find(" = ");
    const size_t at = t.find('@');
    if (t[0] != '%' || eq == std::string::npos || at == std::string::npos) fail(l, "memref.get_global not of the form %v = memref.get_global @name");
    size_t e = at + 1;
    while (e < t.size() && !std::isspace(static_cast<unsigned char>(t[e])) && t[e] != ':') ++e;
    values_[t.substr(0, eq)] = t.substr(at + 1, e - at - 1);
  }

  // The line opening the one runtime sequence (aiex.runtime_sequence, or aie.runtime_sequence in
  // newer mlir-aie); its body follows, one op a line as aiecc prints it.
  size_t find_sequence() const {
    size_t found = lines_.size();
    for (size_t k = 0; k < lines_.size(); ++k) {
      const std::string& t = lines_[k].text;
      if (t.rfind("aiex.runtime_sequence", 0) != 0 && t.rfind("aie.runtime_sequence", 0) != 0) continue;
      if (found != lines_.size()) fail(lines_[k], "a second runtime sequence: aie-translate encodes one");
      if (t.empty() || t.back() != '{') fail(lines_[k], "runtime sequence line does not open its body with '{'");
      found = k;
    }
    if (found == lines_.size()) fail("no aiex.runtime_sequence in the file");
    return found;
  }

  struct Global {
    size_t line = 0;
    uint64_t count = 0;
    std::vector<uint32_t> data;
    std::string error;  // why a blockwrite of it is refused
  };
  std::string name_;
  std::vector<MlirLine> lines_;
  std::map<std::string, Global> globals_;
  std::map<std::string, std::string> values_;  // %ssa -> global symbol
  int columns_ = 0, rows_ = 0, mem_tile_rows_ = 0;
};

}  // namespace

std::vector<uint32_t> encode_npu_insts_mlir(const std::string& text, const std::string& name) {
  return MlirEncoder(text, name).encode();
}

}  // namespace attncheck::aie2
