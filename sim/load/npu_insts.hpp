// The NPU instruction stream (the "instr" buffer XRT hands the device) in every form users have, read into one typed list of operations.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck::aie2 {

// Sources of every fact below (repository + path); docs/npu-instructions.md has the full table.
//  [txn-h]   Xilinx/aie-rt driver/src/common/xaie_txn.h: opcodes XAie_TxnOpcode, XAie_TxnHeader,
//            op header structs, patch_op_t, tct_op_t and the *_opt structs of the 1.0 format.
//  [txn-c]   Xilinx/aie-rt driver/src/common/xaie_helper.c (release/main_aig): how a transaction
//            is serialized (version 0.1 by _XAie_CreateTxnHeader, 1.0 by _XAie_CreateTxnHeader_opt).
//  [npu-bin] Xilinx/mlir-aie lib/Targets/AIETargetNPU.cpp: aie-translate --aie-npu-to-binary, the
//            words aiecc writes to insts.bin / insts.txt; test/Targets/NPU/npu_instgen.mlir: its
//            expected words.
//  [ipu]     Xilinx/mlir-aie lib/Targets/AIETargetIPU.cpp (2023, before the TXN format): the
//            legacy stream (17-word prolog, opcode in the top byte), which Riallto's .seq files hold.
//  [aiebu]   Xilinx/aiebu src/cpp/preprocessor/aie2/aie2_blob_preprocessor_input.cpp: "In Xclbin
//            kernel argument, actual argument start from 3, 0th is opcode, 1st is instruct buffer,
//            2nd is instruct buffer size" (ARG_OFFSET = 3 added to a DDR patch's argidx).
//  [riallto] AMDResearch/Riallto runtime/apprunner.py (shared copy: npu1/riallto-0593d004/runtime/)
//            call(): self.kernel(self.instr, len(self.sequence.buffer), *run_args),
//            so a legacy stream's buffers are XRT kernel arguments 2, 3, ...

enum class NpuOpKind {
  Write32,       // one register write: *address = value
  BlockWrite,    // data.size() consecutive register writes from address
  MaskWrite,     // *address = (*address & ~mask) | (value & mask)
  MaskPoll,      // wait until (*address & mask) == value
  MaskPollBusy,  // the same, XAIE_IO_MASKPOLL_BUSY ([txn-h]); what "busy" adds is not public
  DdrPatch,      // the register at `address` receives the device address of argument arg_index plus arg_offset
  Sync,          // TCT: wait for the task-complete token of a DMA channel
  Noop,
  Preempt,       // `value` is the preemption level ([txn-h] XAie_Preempt_level)
  LoadPdi,       // `value` = PDI id, `mask` = PDI size, `arg_offset` = PDI address
  ReadRegs,      // `data` holds the 64-bit register addresses as (low, high) word pairs
  RecordTimer,   // `value` = timer id
  MergeSync,     // `value` = number of tokens, `column_count` = number of columns
  WriteShimBd,   // legacy [ipu] opcode 6: BD `bd_id` of the shim DMA in `column`, `data` = its 8 words
};

struct NpuOp {
  NpuOpKind kind = NpuOpKind::Noop;
  size_t word_index = 0;  // index of the op's first word in InstructionStream::words
  size_t word_count = 0;  // words the op occupies
  // Absolute register address col<<25 | row<<20 | offset (AIE2: column shift 25, row shift 20,
  // mlir-aie AIETargetModel getColumnShift/getRowShift). TXN formats hold it absolute already; the
  // legacy format holds column and row in the op word and a tile offset, combined here.
  uint64_t address = 0;
  uint32_t value = 0, mask = 0;
  std::vector<uint32_t> data;  // BlockWrite payload; WriteShimBd BD words; ReadRegs addresses
  // DdrPatch / WriteShimBd: index of the runtime-sequence argument (the n-th buffer the host
  // passes); its XRT kernel argument number is arg_index + InstructionStream::first_buffer_kernel_arg.
  int arg_index = -1;
  uint64_t arg_offset = 0;  // DdrPatch: added to the buffer's device address; WriteShimBd: BD word 1 (buffer offset)
  // Sync: column, row, direction (0 = S2MM, 1 = MM2S: mlir-aie AIEAttrs.td DMAChannelDir), channel,
  // and the column/row counts of the TCT op ([npu-bin] appendSync). WriteShimBd: column, column_count.
  int column = 0, row = 0, direction = 0, channel = 0, column_count = 1, row_count = 1;
  int bd_id = -1;  // WriteShimBd
};

struct InstructionStream {
  std::string path, sha256;
  // "txn-bin" / "txn-txt" (TXN 0.1 or 1.0, raw little-endian words or hex text), "npu_insts.mlir"
  // (encoded here as aie-translate would), "ipu-legacy-txt" / "ipu-legacy-bin" (the 2023 stream;
  // Riallto's .seq files are "ipu-legacy-txt"), or "words" from parse_instruction_words.
  std::string format;
  std::string encoding;  // "txn-0.1", "txn-1.0" or "ipu-legacy"
  std::vector<uint32_t> words;  // what XRT passes as the instruction buffer
  std::vector<NpuOp> ops;
  // TXN header ([txn-h] XAie_TxnHeader); -1 in the legacy format, which has none.
  int version_major = -1, version_minor = -1, device_generation = -1, rows = -1, columns = -1, mem_tile_rows = -1;
  // XRT kernel argument number of runtime-sequence argument 0: 3 for TXN streams (kernel(opcode,
  // instr, n_words, buffers...): [aiebu] ARG_OFFSET), 2 for the legacy stream (kernel(instr,
  // n_words, buffers...): [riallto]).
  int first_buffer_kernel_arg = 3;
};

// The ops of `words`, the format found by content: a TXN header (version 0.1 or 1.0, [txn-h]) or
// the legacy prolog ([ipu] getProlog). InputError "NAME: word N: ..." for an unknown opcode, an op
// running past the end, a header whose op count or size disagrees with the words, a patch of an
// argument index that is negative or does not fit an int. Never crashes or hangs on any input.
InstructionStream parse_instruction_words(const std::vector<uint32_t>& words, const std::string& name);

// Any form, detected by content (never by file name): MLIR text holding a runtime sequence is
// encoded with encode_npu_insts_mlir; text of one hex word a line is parsed as words; anything
// else is raw little-endian words. InputError naming the file otherwise.
InstructionStream read_instruction_stream(const std::string& path);
// The same on in-memory bytes; `name` prefixes errors.
InstructionStream parse_instruction_bytes(const std::string& bytes, const std::string& name);

// The words mlir-aie's aie-translate --aie-npu-to-binary ([npu-bin]) makes of a lowered runtime
// sequence (aiecc's npu_insts.mlir): TXN 0.1 header, then write32, maskwrite32, blockwrite
// (memref.get_global of a dense memref.global of i32), address_patch, sync, load_pdi and preempt.
// InputError "NAME:LINE: ..." for an op it does not know (an unlowered dma_memcpy_nd, ...), a
// missing attribute or global, or more than one runtime sequence.
std::vector<uint32_t> encode_npu_insts_mlir(const std::string& text, const std::string& name);

// One line naming the op and its fields, for errors and `attncheck insts dump`.
std::string describe(const NpuOp& op);
const char* kind_name(NpuOpKind kind);

}  // namespace attncheck::aie2
