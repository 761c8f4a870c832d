// A device image's CDO commands as the register writes they make, in order: what the array simulator replays to configure the tiles.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/load/pdi.hpp"

namespace attncheck::aie2::array {

// One 32-bit write: the register becomes (old & ~mask) | (value & mask).
struct RegisterWrite {
  uint64_t address = 0;
  uint32_t value = 0, mask = 0xFFFFFFFFu;
};

// Bootgen's CDOv2 commands as sim/load/pdi.cpp reads them: WRITE 0x103 (address, value), MASK_WRITE
// 0x102 (address, mask, value), DMA_WRITE 0x105 (address high, address low, words...: one write per
// word at consecutive addresses), MASK_WRITE64 0x107 (high, low, mask, value), WRITE64 0x108 (high,
// low, value). Polls, delays, NOPs, markers and the end mark write nothing. parse_pdi has checked
// every command's payload length.
std::vector<RegisterWrite> register_writes(const DeviceImage& image);

}  // namespace attncheck::aie2::array
