// libFuzzer target: a whole-array image (a PDI's CDO, any bytes) configures the npu1 array, and an instruction stream (the bytes after it) drives one bounded call.
#include <cstdint>
#include <cstring>
#include <vector>

#include "ref/errors.hpp"
#include "sim/array/array.hpp"
#include "sim/core/core.hpp"
#include "sim/load/npu_insts.hpp"
#include "sim/load/pdi.hpp"

using namespace attncheck;
using namespace attncheck::aie2;

// Input: a 4-byte little-endian length N, N bytes of PDI, then the instruction stream's words.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t n = 0;
  std::memcpy(&n, data, 4);
  if (n > size - 4) n = static_cast<uint32_t>(size - 4);
  const uint8_t* pdi = data + 4;
  std::vector<uint32_t> words((size - 4 - n) / 4);
  if (!words.empty()) std::memcpy(words.data(), pdi + n, 4 * words.size());
  try {
    const DeviceImage img = parse_pdi(pdi, n, "fuzz.pdi");
    const InstructionStream insts = parse_instruction_words(words, "fuzz.insts");
    array::ArrayOptions opt;
    opt.max_cycles = 4096;
    opt.cycle_budget = 1 << 17;
    opt.quantum = 64;
    array::Array a(opt);
    a.configure(img);
    std::vector<uint8_t> b3(4096, 1), b4(4096, 0);
    a.call(insts, {{insts.first_buffer_kernel_arg, &b3}, {insts.first_buffer_kernel_arg + 1, &b4}});
  } catch (const InputError&) {
  } catch (const SimError&) {
  }
  return 0;
}
