// The device image a design loads: an xclbin's AIE_PARTITION, its PDI, and the CDO commands that write each core's program and data memory.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/load/design.hpp"
#include "sim/load/elf.hpp"

namespace attncheck::aie2 {

// One CDO command as the PDI holds it (bootgen's CDOv2): the opcode is the low 16 bits of the
// command word; payload words follow.
struct CdoCommand {
  uint32_t offset = 0;  // byte offset of the command word in the file
  uint16_t opcode = 0;
  std::vector<uint32_t> payload;
};

// What the CDO leaves in one tile: program memory (16 KiB) and data memory (64 KiB) with the
// bytes it wrote marked, the lock values, and Core_Control.
struct TileImage {
  int col = 0, row = 0;
  std::vector<uint8_t> program, data;
  std::vector<uint8_t> program_written, data_written;  // 1 where the CDO wrote the byte
  std::map<int, int> locks;                            // lock id -> last value written
  uint32_t core_control = 0;
  bool core_control_written = false;
  std::map<int, uint32_t> bd_word0;  // DMA_BDn_0 of the tile's DMA, by BD id: buffer address and length
};

struct DeviceImage {
  std::string path, sha256;  // the file given (an xclbin or a PDI)
  std::string pdi_sha256;
  std::vector<CdoCommand> commands;
  std::map<std::pair<int, int>, TileImage> tiles;  // (col, row) of every compute tile written
  // From an xclbin's AIE_PARTITION: the columns the partition may start at (empty for a bare PDI,
  // which says nothing of where it will run).
  std::vector<int> partition_start_columns;
  const TileImage* tile(int col, int row) const;
};

// InputError "NAME: ..." for anything that is not a well-formed PDI (SMAP header or none, image
// header table, image and partition headers with their checksums) holding CDOv2 objects, or a CDO
// command this reader does not know. Never crashes on any input (fuzz_aie2_cdo).
DeviceImage parse_pdi(const uint8_t* data, size_t size, const std::string& name);
// The PDI inside an xclbin ("xclbin2" axlf container): the first aie_pdi of its AIE_PARTITION
// section (kind 32), as XRT's xclbin.h lays it out.
// `start_columns`, when given, receives the partition's start columns.
std::vector<uint8_t> pdi_of_xclbin(const uint8_t* data, size_t size, const std::string& name, std::vector<int>* start_columns = nullptr);
// Reads `path` as an xclbin when it starts with "xclbin2", else as a PDI.
DeviceImage read_device_image(const std::string& path);

// The core program a tile's memories hold, as an ELF the simulator runs: .text from program
// memory (up to the last byte written) and every written run of data memory as a data segment.
// No symbols: functions are named by address.
Elf core_program(const DeviceImage& img, int col, int row);

// Differences between the memories a PDI writes for (col, row) and an ELF's loadable segments,
// one line each; empty when they agree byte for byte.
std::vector<std::string> compare_with_elf(const DeviceImage& img, int col, int row, const Elf& elf);

// The program a simulation runs, from exactly one of: a core ELF, an xclbin, or a PDI. From an
// image, it is the design's core tile's memories; the image's lock values must be the design's
// `init` values and its tile DMA BDs must move the design's buffers (InputError naming both otherwise).
struct CoreSource {
  Elf elf;
  std::string kind;  // "elf", "xclbin" or "pdi"
  std::string path, sha256;
  // From an image: the ELF whose symbols name the functions (the design's elf_file or the
  // main_core_C_R.elf beside the design, used only when its segments equal the image's memories).
  std::string symbols_from;
};
CoreSource load_core_source(const std::string& elf, const std::string& xclbin, const std::string& pdi, const Design& design);

}  // namespace attncheck::aie2
