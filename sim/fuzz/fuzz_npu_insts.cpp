// libFuzzer target: any bytes as an NPU instruction stream (TXN words or hex text, the legacy IPU stream, npu_insts.mlir).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ref/errors.hpp"
#include "sim/load/npu_insts.hpp"

using namespace attncheck;
using namespace attncheck::aie2;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const InstructionStream s = parse_instruction_bytes(bytes, "fuzz");
    // The ops tile the words after the header exactly, in order: no word read twice or skipped.
    size_t next = s.encoding == "ipu-legacy" ? 17 : 4;
    for (const NpuOp& op : s.ops) {
      if (op.word_index != next || op.word_count == 0) std::abort();
      next += op.word_count;
      if (describe(op).empty()) std::abort();
    }
    if (next != s.words.size()) std::abort();
  } catch (const InputError&) {
  }
  try {
    // What the encoder makes is a stream the reader takes, op for op.
    const std::vector<uint32_t> words = encode_npu_insts_mlir(bytes, "fuzz.mlir");
    try {
      const InstructionStream s = parse_instruction_words(words, "fuzz.mlir");
      if (s.words[2] != s.ops.size()) std::abort();
    } catch (const InputError&) {
      std::abort();
    }
  } catch (const InputError&) {
  }
  return 0;
}
