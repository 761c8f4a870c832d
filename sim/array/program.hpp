// What XRT hands the device, read for the array simulator: the xclbin (or its PDI), the core ELFs beside it for function names, and the instruction stream; and one XRT call run on a fresh or a running array.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/array/array.hpp"
#include "sim/load/elf.hpp"
#include "sim/load/npu_insts.hpp"
#include "sim/load/pdi.hpp"

namespace attncheck::aie2::array {

struct ArrayProgram {
  DeviceImage image;
  std::string kind;  // "xclbin" or "pdi"
  std::string path, sha256;
  // main_core_C_R.elf beside the image, by (col, row): function names for the cores whose
  // program memory they equal (Array checks that before using one).
  std::map<std::pair<int, int>, Elf> symbol_elfs;
  std::vector<std::pair<int, int>> cores;  // compute tiles whose Core_Control the CDO enables
};

// Reads exactly one of `xclbin` and `pdi`. InputError naming the file for anything malformed.
ArrayProgram load_array_program(const std::string& xclbin, const std::string& pdi);

// A fresh array configured by the program's CDO, ready for calls.
std::unique_ptr<Array> make_array(const ArrayProgram& prog, ArrayOptions opt);

// How many calls bring every DMA ring of a freshly configured array back to where it started: the
// least common multiple of the BD chain lengths of the channels the CDO starts. A fresh array run
// for launch i first makes (i mod period) calls, so that its buffers and locks stand where one
// long-running device's stand at launch i.
size_t ring_period(const ArrayProgram& prog);

// The instruction stream's buffer arguments (runtime-sequence argument k is XRT kernel argument
// k + 3): the set of XRT argument numbers its DDR patches name.
std::vector<int> patched_arguments(const InstructionStream& insts);

// The furthest word of the BD's address pattern (iteration 0), in words from its base address (0
// for an empty BD): as the largest of AddressPattern::next() over the transfer, found run by run.
int64_t furthest_word(const BufferDescriptor& bd);

// For each XRT argument the stream patches: the bytes its shim BDs reach (offset + the BD's
// furthest word), from the BD registers the stream writes before each patch. A buffer that size
// holds every word the device can move for it.
std::map<int, uint64_t> argument_extents(const InstructionStream& insts);

}  // namespace attncheck::aie2::array
