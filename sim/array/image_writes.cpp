// A device image's CDO commands flattened into register writes, in the order the PDI makes them.
#include "sim/array/image_writes.hpp"

namespace attncheck::aie2::array {

std::vector<RegisterWrite> register_writes(const DeviceImage& image) {
  std::vector<RegisterWrite> out;
  for (const CdoCommand& c : image.commands) {
    const std::vector<uint32_t>& p = c.payload;
    auto addr64 = [&] { return (uint64_t{p[0]} << 32) | p[1]; };
    switch (c.opcode) {
      case 0x102: if (p.size() >= 3) out.push_back({p[0], p[2], p[1]}); break;
      case 0x103: if (p.size() >= 2) out.push_back({p[0], p[1], 0xFFFFFFFFu}); break;
      case 0x105:
        if (p.size() >= 2)
          for (size_t k = 2; k < p.size(); ++k) out.push_back({addr64() + 4 * (k - 2), p[k], 0xFFFFFFFFu});
        break;
      case 0x107: if (p.size() >= 4) out.push_back({addr64(), p[3], p[2]}); break;
      case 0x108: if (p.size() >= 3) out.push_back({addr64(), p[2], 0xFFFFFFFFu}); break;
      default: break;
    }
  }
  return out;
}

}  // namespace attncheck::aie2::array
