// The placed mlir-aie design a core runs in, read from the toolchain's own input_physical_with_elfs.mlir: buffers, locks, DMA rings, ObjectFIFOs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck::aie2 {

struct DesignTile {
  std::string ssa;  // "%tile_0_2"
  int col = 0, row = 0;
};

struct DesignBuffer {
  std::string name;  // sym_name
  int tile = -1;
  uint32_t offset = 0;  // in the tile's data memory (the core sees it at 0x70000 + offset)
  uint32_t bytes = 0;
  uint32_t element_bytes = 1;
  std::string element_type = "i8";  // the memref element type: i8, i16, i32, i64, bf16, f32
  int line = 0;  // where the design defines it, for errors that name two buffers
  uint32_t core_address() const { return 0x70000 + offset; }
};

struct DesignLock {
  std::string name;
  int tile = -1;
  int id = 0;
  int init = 0;
  int line = 0;
};

// One buffer descriptor of a tile DMA channel: acquire, move `bytes` at `buffer`+`offset`, release.
struct DmaBd {
  int buffer = -1;
  uint32_t offset_bytes = 0, bytes = 0;
  int acquire_lock = -1, acquire_value = 0;  // lock index into Design::locks
  bool acquire_ge = true;                    // AcquireGreaterEqual (else Acquire: equal)
  int release_lock = -1, release_value = 0;
  int bd_id = -1;
};

// A tile DMA channel: S2MM writes the tile's memory from a stream, MM2S reads it out.
struct DmaChannel {
  bool s2mm = true;
  int channel = 0;
  int tile = -1;
  std::vector<DmaBd> ring;  // in the order next_bd visits them, from the start block
  bool cyclic = true;       // the last BD chains back to the first
};

// An ObjectFIFO end at the core's tile, as the design's channel and buffers realise it.
struct DesignFifo {
  std::string name;     // "of_QKV": the buffers' sym_name without "_cons_buff_N" / "_buff_N"
  bool input = true;    // into the core's tile (S2MM)
  int channel = -1;     // index into Design::channels
  uint32_t transfer_bytes = 0;
  int depth = 0;        // buffers in the ring
  std::string element_type;  // of its buffers
  uint32_t element_bytes = 1;
};

struct Design {
  std::string path, sha256;
  std::string device;  // "npu1"
  std::vector<DesignTile> tiles;
  std::vector<DesignBuffer> buffers;
  std::vector<DesignLock> locks;
  std::vector<DmaChannel> channels;
  std::vector<DesignFifo> fifos;
  int core_tile = -1;
  std::string elf_file;  // as the design names it (an absolute path on the build machine)
  // The core's stack reservation (aie.core's stack_size; mlir-aie's default 0x400), which the
  // toolchain places at the bottom of the tile's data memory, below every buffer.
  uint32_t stack_size = 0x400;
  // The runtime sequence's transfer sizes per host argument, in bytes.
  std::vector<uint32_t> sequence_bytes;

  const DesignFifo* fifo(const std::string& name) const;
  std::string fifo_names() const;  // "of_QKV (in, 12288 B), of_out (out, 4096 B)"
  int buffer_index(const std::string& name) const;
};

// Parses the subset of MLIR text that input_physical_with_elfs.mlir uses for a single-core
// design. InputError "FILE:LINE: ..." on anything it does not understand inside aie.mem blocks,
// on a design with no compute core or more than one, a lock or buffer referenced but never
// defined, a BD whose size does not fit its buffer, or a BD ring that never releases a lock the
// core waits on; and on what the toolchain never places (issue 26.7): two locks of one tile with
// one id, a lock id past the tile's locks, two buffers of one tile that overlap.
Design parse_design(const std::string& text, const std::string& name);
Design read_design(const std::string& path);

}  // namespace attncheck::aie2
