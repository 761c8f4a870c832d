// libFuzzer target: random bytes as .text, run by the core for a bounded number of bundles; every stop must be one the simulator explains.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "sim/core/core.hpp"

using namespace attncheck::aie2;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;  // program memory is 16 KiB
  const Elf elf = Elf::from_text("fuzz.text", std::vector<uint8_t>(data, data + size));
  try {
    const CompiledProgram prog(elf);
    Core core(prog);
    core.load_elf_images();
    for (int lock = 0; lock < kLocks; ++lock) core.set_lock(lock, 1);
    // A bounded budget: a program that loops forever is a CycleLimit, never a hang.
    const Stop s = core.run(20000);
    if (s != Stop::Blocked && s != Stop::Done && s != Stop::CycleLimit) std::abort();
  } catch (const SimError& e) {
    // Unknown or unsimulated instruction, illegal address, a branch into a delay slot or off a
    // bundle start: each is a one-line SimError naming the PC.
    if (std::string(e.what()).find("PC 0x") == std::string::npos) std::abort();
  }
  return 0;
}
