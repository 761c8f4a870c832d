// libFuzzer target: any bytes as a PDI (or an xclbin holding one), its CDO commands read into the tiles' memories.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "ref/errors.hpp"
#include "sim/load/pdi.hpp"

using namespace attncheck;
using namespace attncheck::aie2;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    std::vector<uint8_t> pdi;
    if (size >= 8 && std::memcmp(data, "xclbin2", 8) == 0) pdi = pdi_of_xclbin(data, size, "fuzz.xclbin");
    else pdi.assign(data, data + size);
    const DeviceImage img = parse_pdi(pdi.data(), pdi.size(), "fuzz.pdi");
    for (const auto& [key, t] : img.tiles) {
      if (t.program.size() != t.program_written.size() || t.data.size() != t.data_written.size()) std::abort();
      try {
        const Elf e = core_program(img, key.first, key.second);
        // The program read back from the image is what the image wrote, byte for byte.
        if (e.text().empty()) std::abort();
        for (size_t k = 0; k < e.text().size(); ++k)
          if (t.program_written[k] && e.text()[k] != t.program[k]) std::abort();
        (void)compare_with_elf(img, key.first, key.second, e);
      } catch (const InputError&) {
      }
    }
  } catch (const InputError&) {
  }
  return 0;
}
