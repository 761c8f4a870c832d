// The three kinds of npu1 tile, which decide a tile's register map.
#pragma once

namespace attncheck::aie2::array {

enum class TileKind { Shim, Mem, Compute };

}  // namespace attncheck::aie2::array
