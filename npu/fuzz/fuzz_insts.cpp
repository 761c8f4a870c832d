// libFuzzer target: any bytes as an instruction stream, both as insts.bin and as insts.txt.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "npu/insts.hpp"
#include "ref/errors.hpp"

using namespace attncheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    // Binary words are the file's bytes, four at a time: any other count is a parser bug.
    if (parse_insts_bin(bytes, "insts.bin").size() * 4 != size) std::abort();
  } catch (const InputError&) {
  }
  try {
    (void)parse_insts_txt(bytes, "insts.txt");
  } catch (const InputError&) {
  }
  return 0;
}
