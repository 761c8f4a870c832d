// One compute tile as a design places it: the core running its ELF, and a DMA stand-in that plays the design's ObjectFIFO transfers through the locks.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/core.hpp"
#include "sim/inspect.hpp"
#include "sim/load/design.hpp"

namespace attncheck::aie2 {

// Far above any real kernel (the 64x64 attention tiles issue about 10^6 bundles), low enough that
// a program that never finishes stops within seconds.
constexpr uint64_t kDefaultMaxCycles = 1000000000ull;
// The largest --sim-max-cycles: 10^15 bundles are weeks of simulation at this simulator's rate,
// and every sum of it with a bundle count stays far from 2^64 (2^64 - 1 used to wrap).
constexpr uint64_t kMaxMaxCycles = 1000000000000000ull;
// Bundles the core runs between two calls of TileRunOptions::poll: a few hundredths of a second
// (half a second under the sanitizers).
constexpr uint64_t kPollBundles = 1ull << 22;

struct TileRunOptions {
  uint64_t max_cycles = kDefaultMaxCycles;  // issued bundles without any transfer moving, 1..kMaxMaxCycles
  std::optional<uint32_t> stack_at;         // --sim-stack-at: SP starts here instead
  // Called when output transfers were delivered, with (delivered, wanted) over all output FIFOs:
  // the CLI's progress for long runs. Empty: nothing.
  std::function<void(size_t, size_t)> on_output;
  // Called every kPollBundles bundles while the core runs; may throw (the CLI's SIGINT/SIGTERM).
  std::function<void()> poll;
  // 0: each input FIFO moves the transfers it is given. N: each moves N, transfer k being the
  // given transfer k mod (the number given): one given transfer is repeated N times without
  // N copies (issue 26.7: --iterations 10^8 copied its input 10^8 times first).
  size_t input_transfers = 0;
  // Output FIFOs whose transfers are counted (TileRunResult::delivered) but not kept: nobody reads them.
  std::set<std::string> discard_outputs;
};

// The core's stores into one input transfer, by the function that made them.
struct StoreWriter {
  std::string function;  // from the ELF's symbols; "pc 0x..-0x.." without them (a PDI's program)
  uint32_t first_byte = 0, last_byte = 0;  // offsets in the buffer
  uint64_t stores = 0;
  uint32_t min_sp = 0, max_sp = 0;
  bool in_frame = true;  // every store landed below SP: the function's own stack frame
};

// One transfer of an input FIFO into the tile, and what the core did to it before its next fill.
struct InputUse {
  std::string fifo, buffer;
  uint32_t buffer_address = 0;
  size_t transfer = 0;          // index among this FIFO's transfers
  uint64_t fill_cycle = 0;
  uint64_t core_stores = 0;  // stores by the core into the buffer while it held this transfer
  // Buffer offsets the core overwrote before it first read them, as inclusive runs, and their count.
  std::vector<std::pair<uint32_t, uint32_t>> clobbered;
  uint64_t clobbered_bytes = 0;
  std::vector<StoreWriter> writers;  // the core's stores grouped by function
  const std::vector<std::pair<uint32_t, uint32_t>>& clobbered_ranges() const { return clobbered; }
};

struct LockSummary {
  std::string name;
  int id = 0, init = 0, final_value = 0;
  uint64_t dma_acquires = 0, dma_releases = 0;
};

struct TileRunResult {
  std::map<std::string, std::vector<std::vector<uint8_t>>> outputs;  // per output FIFO, in order (none for discard_outputs)
  std::map<std::string, size_t> delivered;                           // per output FIFO: transfers delivered
  std::vector<InputUse> inputs;                                      // every input transfer
  std::vector<LockSummary> locks;
  CoreStats core;
  std::string ended;  // how the run ended, e.g. "core waits on lock ... at PC ..."
  std::string stack_note;
  // The ELF's own data (tables, LUTs) the stack ran over, from where SP started to the highest SP
  // the run reached: the watch's answer to a stack that overwrites .data (elf inspect's, statically).
  std::vector<Overlap> stack_over_data;
};

// Closes a watched input transfer (filled at use.fill_cycle into watch region `region`): the
// core's stores into it since then, the bytes overwritten before they were read, and the stores
// grouped by the function (from `elf`'s symbols) that made them.
void finish_input_use(Core& core, const Elf& elf, int region, InputUse& use);

// SimError, one line naming both, when the program contradicts the design it is to run in
// (issue 26.7: gelu's ELF ran in matmul's design and exited 0):
// - an ELF with symbols that does not define a buffer of the core's tile, or defines it at another
//   address (or, when its symbol has a size, another size): the toolchain's link script defines
//   every buffer of the tile at the design's address;
// - a buffer that overlaps an allocated data section of the ELF (.data, .rodata, .bss): the link
//   script places them in the data memory past the buffers;
// - a buffer that overlaps the stack reservation (_sp_start_value_DM_stack, the design's
//   stack_size); with `stack_at` (--sim-stack-at), a stack start inside a buffer or a data section.
void check_program_layout(const Elf& elf, const Design& design, std::optional<uint32_t> stack_at);

// Runs the core from reset: loads the ELF's data segments, sets the design's lock values, then
// alternates the core with the DMA stand-in: whenever the core waits on a lock, every channel
// that can move (its BD's acquire succeeds) moves one transfer. Stops when every output FIFO has
// delivered `outputs_wanted` transfers. SimError on a deadlock (no one can move and outputs are
// missing), the cycle limit, or a program fault; each names PC, bundle and function.
TileRunResult run_tile(const CompiledProgram& prog, const Design& design,
                       const std::map<std::string, std::vector<std::vector<uint8_t>>>& inputs,
                       const std::map<std::string, size_t>& outputs_wanted, const TileRunOptions& opt);

// The report object of a run: counts, locks, how it ended, and the write watch.
nlohmann::json to_json(const TileRunResult& r, const Design& design);
// The stack's run over the ELF's data sections as the reports give it: [{section, bytes [first, last], count}].
nlohmann::json stack_json(const std::vector<Overlap>& over);

}  // namespace attncheck::aie2
