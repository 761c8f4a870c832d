// The AIE-ML register map as aie-rt names it, in runs of like registers: what register_name() falls back to.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/array/tile_kind.hpp"

namespace attncheck::aie2::array {

// `count` registers at first, first + stride, ...; `name` is aie-rt's macro name without the
// XAIEMLGBL_<MODULE>_ prefix, its varying number written '#' when count > 1.
struct RegisterGroup {
  TileKind kind;
  uint32_t first, stride;
  int count;
  const char* name;
};

// Generated from Xilinx/aie-rt driver/src/global/xaiemlgbl_params.h (register_groups.cpp names
// the commit): the compute tile is CORE_MODULE + MEMORY_MODULE, the memory tile MEM_TILE_MODULE,
// the shim NOC_MODULE + PL_MODULE.
const std::vector<RegisterGroup>& register_groups();

}  // namespace attncheck::aie2::array
