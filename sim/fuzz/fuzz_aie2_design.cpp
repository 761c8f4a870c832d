// libFuzzer target: any text as a placed mlir-aie design (input_physical_with_elfs.mlir), read by the subset parser.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ref/errors.hpp"
#include "sim/load/design.hpp"

using namespace attncheck;
using namespace attncheck::aie2;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const Design d = parse_design(std::string(reinterpret_cast<const char*>(data), size), "fuzz.mlir");
    // What the simulator relies on, for any design the parser accepts.
    if (d.core_tile < 0 || d.core_tile >= static_cast<int>(d.tiles.size()) || d.fifos.empty()) std::abort();
    for (const auto& f : d.fifos) {
      if (f.channel < 0 || f.channel >= static_cast<int>(d.channels.size()) || f.transfer_bytes == 0 || f.depth < 1) std::abort();
      for (const auto& bd : d.channels[f.channel].ring) {
        if (bd.buffer < 0 || bd.buffer >= static_cast<int>(d.buffers.size())) std::abort();
        if (bd.offset_bytes + uint64_t{bd.bytes} > d.buffers[bd.buffer].bytes) std::abort();
        if (bd.acquire_lock < 0 || bd.release_lock < 0 || bd.acquire_lock >= static_cast<int>(d.locks.size()) ||
            bd.release_lock >= static_cast<int>(d.locks.size()))
          std::abort();
      }
    }
    for (const auto& b : d.buffers)
      if (b.offset + uint64_t{b.bytes} > 0x10000) std::abort();
    (void)d.fifo_names();
  } catch (const InputError&) {
  }
  return 0;
}
