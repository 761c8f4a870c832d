// NPU instruction streams from aiecc.py: insts.bin (raw little-endian words) or insts.txt (hex, one word a line).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck {

// Reads `path` as text when it ends in ".txt", else as binary; ".mlir" (npu_insts.mlir) is refused
// by name until its parser is plugged in here. The kernel's instruction count is
// the size of the returned vector: 32-bit words, as mlir-aie's test_utils passes it (the pyxrt
// seeds passed bytes). InputError naming the file: missing, empty, a .bin whose size is not a
// multiple of 4, a .txt line that is not one hex word (with its line number).
std::vector<uint32_t> read_insts(const std::string& path);

// The same parsers on in-memory content; `name` prefixes errors.
std::vector<uint32_t> parse_insts_bin(const std::string& bytes, const std::string& name);
std::vector<uint32_t> parse_insts_txt(const std::string& text, const std::string& name);

}  // namespace attncheck
