// One AIE2 compute tile's core executing a Peano-built ELF: registers, 64 KiB data memory, locks, the exposed pipeline.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <memory>
#include <vector>

#include "sim/load/elf.hpp"
#include "sim/inspect.hpp"
#include "sim/core/zeroed_bytes.hpp"
#include "sim/isa/isa.hpp"
#include "sim/core/vector_unit.hpp"

namespace attncheck::aie2 {

// The core's own data memory as it addresses it; anything else is an error naming the access.
constexpr uint32_t kDataMemBase = 0x70000;
constexpr uint32_t kDataMemBytes = 0x10000;
constexpr int kLocalLockBase = 48;  // a core program names its own tile's lock n as 48 + n
constexpr int kLocks = 16;          // per compute tile
constexpr int kBranchDelaySlots = 5;

// The timing and addressing rules the interpreter applies (docs/aie2.md gives each one's source).
// Only the mutation tests change them, to show that breaking one rule breaks bit-exactness.
struct SimRules {
  int load_latency = 7;        // II_LDA [7,1,1]: a load's result is read by the 7th bundle after it
  int branch_delay_slots = 5;  // AIEBaseInstrInfo NumDelaySlots
  bool word_offsets_unscaled = false;  // [p, #imm] of word loads/stores: imm6x4 / imm12x4 are scaled by 4
};

// Every rule a run applies: the scalar core's and the vector unit's. A run's rules are part of its
// configuration (CompiledProgram, ArrayOptions, BackendOptions), never process-wide state, so a
// mutation test changes its own run and nothing else running beside it.
struct Rules {
  SimRules core;
  VectorRules vector;
};

// Why the core stopped running.
enum class Stop {
  Blocked,     // an acquire cannot succeed now: someone else must release first
  Done,        // executed `done`
  CycleLimit,  // the caller's budget ran out
  Neighbour,   // run_isolated only: the next bundle would reach a neighbour's memory or lock (not issued)
  Lock,        // run_free only: the next bundle holds a lock operation (not issued)
};

// Where a run may reach: anywhere (run), its own tile (run_isolated), its own tile's memory and no
// lock at all (run_free); the last either looked at before each bundle issues, or found out as the
// bundle runs (an exception partway: the caller puts the core back to a checkpoint).
enum class Confine { None, Tile, TileNoLocks, TileNoLocksUnchecked };

// A stop that is a defect of the program or of the simulator's knowledge: unknown or unsupported
// instruction, illegal address, a branch into the middle of a bundle. `what()` is one line naming
// the PC, the bundle and the function.
struct SimError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The stores one bundle (one PC) made into one watched region since the region was last filled:
// the watch keeps these, not each store, so its memory is bounded by the program and the buffers
// however long the core runs (issue 26.7: a store per bundle for 10^9 bundles).
struct StoreSite {
  uint32_t pc = 0;
  uint32_t first_byte = 0, last_byte = 0;  // offsets in the region, over every store of this site
  uint64_t stores = 0;
  uint32_t min_sp = 0, max_sp = 0;  // SP when the stores issued: with the stack base, the frame's depth
  bool in_frame = true;             // every store landed below SP: inside the storing function's frame
};

struct WatchRegion {
  std::string name;
  uint32_t address, size;
};

// Per-core counters for the report.
struct CoreStats {
  uint64_t bundles = 0;     // issued bundles: one cycle each in the exposed pipeline
  uint64_t lock_waits = 0;  // times an acquire found its lock unavailable and the core stalled
  uint64_t stream_waits = 0;  // times a stream-port access found no word (input) or no room (output) and the core stalled
  uint64_t stream_words_in = 0, stream_words_out = 0;  // words the core took from / gave to its stream ports
  uint32_t max_sp = 0;   // highest SP value seen
  uint64_t part_word_hazards = 0;  // a store to a word while a part-word store to it was in flight
  uint64_t plain_bundles = 0;  // of `bundles`, those issued in plain stretches (Core::run_plain)
};

// The core's own stream ports as the whole-array simulator connects them (sim/array): `mov r, SS`
// takes the next word the switch's Core master delivered, `mov ms, r` gives one to its Core slave.
// Both block: the core stalls, nothing of the bundle issuing, until a word (or room) is there
// (docs/aie2-array.md "Core stream ports").
class CoreStreamPorts {
 public:
  virtual ~CoreStreamPorts() = default;
  virtual bool can_get() const = 0;  // a word waits at the input port
  virtual uint32_t get() = 0;        // only after can_get()
  virtual bool can_put() const = 0;  // the output stream takes a word now (its route checked by put)
  virtual void put(uint32_t word) = 0;
};

// What a profiled core records (Core::set_profile): how often each bundle issued, and every
// call and return as it issued, at the array's time (core cycle + time_offset, which the array
// moves by the cycles the core spent blocked). Off (no profile set), the core pays nothing.
struct CoreProfile {
  std::vector<uint64_t> issues;  // by bundle index (CompiledProgram::bundles)
  struct Branch {
    uint64_t time;    // array cycle the jl / ret bundle issued
    uint32_t target;  // callee entry (call, tail jump) or return address (ret)
    bool ret;
    bool tail = false;  // a `j` to a function's entry: the callee returns for the jumping function
  };
  std::vector<Branch> branches;
  std::vector<uint8_t> tail_jump;  // by bundle index: its `j` targets a function symbol's entry
  uint64_t time_offset = 0;
};

// The program in a form the interpreter runs fast: each bundle's slots turned into micro-ops.
struct MicroOp {
  uint8_t kind;
  uint8_t d, a, b, c;  // register numbers or small fields
  uint8_t width;
  bool sign;
  // Bits 0-2 (kDirectMask): which of its latency-1 results may be written straight into the
  // register file as it issues instead of through the write ring (a DirectTarget mask): no later
  // micro-op of the bundle reads the register and no other writes it (CompiledProgram,
  // direct_writes). Bit 3 (kReadsWide): a source of an ALU, move or conditional-branch kind is a
  // 20-bit register, which reads sign-extended; without it both sources read as they are.
  uint8_t flags;
  int32_t imm;
};
inline constexpr uint8_t kDirectMask = 7, kReadsWide = 8;
inline constexpr int kMaxBundleOps = 7;  // a bundle's slots, at most

// Where a load, store or lock operation of a bundle reaches, read from the registers as the bundle
// issues: address (regs[base] + (index != 0xFF ? regs[index] : imm)) & 0xFFFFF, `bytes` wide; a lock
// (bytes 0): id regs[base], or imm when base is 0xFF. Core::stays_in_tile reads these.
struct Reach {
  uint8_t base = 0xFF, index = 0xFF, bytes = 0;
  int32_t imm = 0;
};

// A bundle's loads, stores and lock operations, beside the bundle (CompiledProgram::reaches):
// run_isolated looks where they reach before the bundle issues; run never reads them.
struct BundleReach {
  uint8_t n = 0;
  Reach at[4];
};

struct ProgramBundle {
  uint32_t address;
  uint32_t next;         // sequential successor
  uint32_t return_addr;  // address of the bundle after this one's five delay slots (for jl)
  uint8_t size;
  uint8_t nops;
  // A lock operation or a stream-port access: either may stall the whole core before the bundle
  // issues (Core::run_loop), and neither is the tile's alone (the confined runs stop before it).
  bool has_sync;
  bool has_branch;
  // No lock, branch, part-word store, done or trap micro-op: in a core with no branch pending and
  // no part-word store in flight, the bundle leaves both so, and its next bundle is `next` or the
  // loop start (Core::run_loop's plain stretch).
  bool plain;
  // The bundle at `next` in the same program (the program's bundles never move: CompiledProgram is
  // not copied), or when no bundle starts there a bundle that is not plain and never issues
  // (kNoBundle in core.cpp): a plain stretch then ends on its one test of `plain`, and run_loop
  // names the address.
  const ProgramBundle* next_bundle;
  // ops[nops] is the bundle's end (Core::run_plain's threaded dispatch jumps there).
  MicroOp ops[kMaxBundleOps + 1];
};

class CompiledProgram {
 public:
  // SimError on an ELF that has bundles the simulator cannot run (with where and why); decoding
  // is strict: unknown slots stop here, before any cycle runs.
  // With `defer_unsupported`, a bundle the core cannot execute stops the run only when it issues
  // (the whole-array simulator lets a multi-core design run up to a core's first such bundle).
  explicit CompiledProgram(const Elf& elf, bool defer_unsupported = false, const Rules& rules = Rules{});
  // Moved, never copied: each bundle points at its successor (ProgramBundle::next_bundle).
  CompiledProgram(const CompiledProgram&) = delete;
  CompiledProgram& operator=(const CompiledProgram&) = delete;
  CompiledProgram(CompiledProgram&&) = default;
  CompiledProgram& operator=(CompiledProgram&&) = default;
  // The rules the program was compiled for and its cores apply.
  const Rules& rules() const { return rules_; }
  const std::string& trap(int i) const { return traps_[static_cast<size_t>(i)]; }
  const Elf& elf() const { return *elf_; }
  const std::vector<ProgramBundle>& bundles() const { return bundles_; }
  const std::vector<BundleReach>& reaches() const { return reaches_; }  // by bundle index
  // Every result through the write ring, none written as it issues (MicroOp::direct): the
  // reference the direct writes are tested against.
  void write_all_results_through_ring() {
    for (auto& b : bundles_)
      for (auto& u : b.ops) u.flags &= static_cast<uint8_t>(~kDirectMask);
  }
  // No bundle plain: the core issues every bundle through the general step, the reference the
  // plain stretches (ProgramBundle::plain, Core::run_plain) are tested against.
  void no_plain_stretches() {
    for (auto& b : bundles_) b.plain = false;
  }
  // -1 when `address` is not a bundle start.
  int index_of(uint32_t address) const {
    const uint32_t off = address - base_;
    return off < index_.size() ? index_[off] : -1;
  }
  // index_of's table as a run loop keeps it in registers: bundle index by byte offset from base().
  const int32_t* index_table() const { return index_.data(); }
  uint32_t index_span() const { return static_cast<uint32_t>(index_.size()); }
  uint32_t base() const { return base_; }
  std::string where(uint32_t address) const;  // "PC 0x3B0 (attention_tile_32x32+0x0), bundle 'nopa ; ...'"
  const Program& decoded() const { return decoded_; }

 private:
  Rules rules_;
  const Elf* elf_;
  Program decoded_;
  uint32_t base_ = 0;
  std::vector<ProgramBundle> bundles_;
  std::vector<BundleReach> reaches_;
  std::vector<int32_t> index_;  // by byte offset from base_
  std::vector<std::string> traps_;  // deferred refusals, by kTrap's imm
};

class Core {
 public:
  explicit Core(const CompiledProgram& prog);
  // A whole copy: a checkpoint of the free quanta (sim/array/array.cpp), which assigning it back
  // restores. The memory is copied into the bytes the core has (a neighbour keeps a pointer to
  // them); the program, the neighbours and the watched regions are the same in both.
  Core(const Core&) = default;
  Core& operator=(const Core&) = default;

  // Memory and locks as a loader or a DMA sees them.
  void load_elf_images();  // .text is the program; loadable data segments into data memory
  uint8_t* data(uint32_t address, uint32_t bytes);  // InputError-free: SimError when out of range
  int lock_value(int local_id) const { return locks_[local_id]; }
  // A lock's value by the id the core names it with (Wait::id): its own or a connected neighbour's;
  // nullopt for a neighbour that is not connected.
  std::optional<int> lock_value_named(int id) const;
  void set_lock(int local_id, int value) { locks_[local_id] = value; }
  // A DMA-side lock operation; false when an acquire cannot succeed now.
  bool try_acquire(int local_id, int value, bool greater_equal);
  void release(int local_id, int value);

  // The memories and locks of the south, west and north neighbours (0, 1, 2), as the whole-array
  // simulator connects them: the core reaches them at 0x40000, 0x50000, 0x60000 and as lock ids
  // 0..47. Unconnected (nullptr), an access there is a fault naming it.
  struct Neighbour {
    uint8_t* memory = nullptr;  // 64 KiB
    int* locks = nullptr;       // 16
  };
  void set_neighbour(int side, Neighbour n) { neighbours_[static_cast<size_t>(side)] = n; }
  // The stream ports (nullptr, as in the single-core simulator: a stream access stops the run).
  void set_stream_ports(CoreStreamPorts* p) { streams_ = p; }
  // What `mov r, CORE_ID` reads (UG1583: row in bits 0-4, column in 16-22); unset, a read stops the run.
  void set_core_id(uint32_t id) { core_id_ = id, core_id_known_ = true; }
  // Whether the access the core is blocked on (waiting().port) could go ahead now.
  bool stream_ready() const;
  uint8_t* memory_data() { return mem_.data(); }
  int* lock_data() { return locks_.data(); }

  // The stack start that __start loads into SP (the link script's) is replaced by `sp`.
  void set_sp_start_override(uint32_t sp);
  // Runs until a stop; throws SimError. `cycle_budget` counts issued bundles.
  Stop run(uint64_t cycle_budget);
  // As run, but stops (Stop::Neighbour) before issuing a bundle that would read or write a
  // neighbour's memory or lock: until then the core touches only its own tile, so the whole-array
  // simulator can run it on another host thread (sim/array/array.cpp, "parallel quanta"). No
  // profile: the profiler's counts are shared with the timeline.
  Stop run_isolated(uint64_t cycle_budget);
  // As run_isolated, but also stops (Stop::Lock) before issuing a bundle with a lock operation,
  // its own tile's included: until then the core changes nothing a DMA channel or another core
  // reads, so the whole-array simulator can run it for many quanta while the DMA waits on locks
  // (sim/array/array.cpp, "free quanta").
  Stop run_free(uint64_t cycle_budget);
  // As run_free, without reading where each bundle reaches before it issues: a bundle that leaves
  // the tile, or faults, throws SimError partway through, the core then in no defined state. The
  // free quanta's threads run this from a checkpoint of the core (a copy), and on any exception put
  // the core back and run_free it instead, which stops before that bundle.
  Stop run_free_unchecked(uint64_t cycle_budget);
  // Counts issued bundles and calls into `p` from now on (nullptr: stop counting).
  void set_profile(CoreProfile* p);
  CoreProfile* profile() const { return profile_; }

  void set_watch(std::vector<WatchRegion> regions);
  const std::vector<WatchRegion>& watch_regions() const { return watch_; }
  // Each PC's stores into `region` since its last fill (mark_filled), in the order the PCs first stored.
  const std::vector<StoreSite>& store_sites(int region) const { return sites_[static_cast<size_t>(region)]; }
  const CoreStats& stats() const { return stats_; }
  VectorUnit& vector_unit() { return vec_; }
  uint32_t pc() const { return pc_; }
  uint32_t reg(uint8_t r) const { return regs_[r]; }
  std::string where() const { return prog_->where(pc_); }
  uint64_t cycle() const { return cycle_; }
  // The acquire or stream-port access the core is blocked on since its last run() or run_isolated()
  // stopped (Stop::Blocked); id -1 and port None when it is not blocked.
  struct Wait {
    int lock = -1, value = 0;  // lock: the tile's own lock index 0..15, or -1 for a neighbour's lock
    bool ge = false;
    int id = -1;  // the lock as the core names it: 0.. south, 16.. west, 32.. north, 48.. its own
    // Or a stream port (id -1): StreamIn waits for a word at the input, StreamOut for room at the output.
    enum class Port { None, StreamIn, StreamOut } port = Port::None;
  };
  const Wait& waiting() const { return wait_; }

  // A region filled from outside (a DMA transfer) starts a new watch of it.
  void mark_filled(int region);
  // Offsets of a region the core stored to before it first loaded them since the last fill, as
  // inclusive runs: an input the program overwrote before it read it, e.g. a stack frame grown
  // into the buffer.
  std::vector<std::pair<uint32_t, uint32_t>> clobbered_before_use(int region) const;

 private:
  friend class VectorUnit;  // reads scalar operands, writes scalar results, names the PC on refusal
  Wait wait_;
  struct PendingWrite {
    uint8_t reg;
    uint32_t value;
  };
  struct PartStore {
    uint32_t address;  // the word holding the bytes
    uint32_t snapshot; // the word as read in E5
    uint8_t shift, width, data_reg;
    uint32_t pc, sp;
  };
  static constexpr int kRing = 16;  // longest write-back is 11 cycles out (part-word store)

  template <bool kProfiled, Confine kConfine>
  Stop run_loop(uint64_t cycle_budget);
  template <Confine kConfine>
  Stop run_confined(uint64_t cycle_budget);
  // Every address the bundle's loads, stores and lock operations would reach, from the registers
  // as it issues, lies in this tile (own memory, aligned; own locks).
  bool stays_in_tile(const BundleReach& b) const;
  void note_branches(const ProgramBundle& b, int index);
  void issue_ops(const ProgramBundle& b, bool& branch, uint32_t& target);
  void exec_op(const ProgramBundle& b, const MicroOp& u, unsigned kind, uint32_t allow, bool& branch, uint32_t& target);
  void step_bundle(const ProgramBundle& b);
  void run_plain(int idx, uint64_t end);  // plain bundles from bundle idx on (run_loop)
  void write_later(uint8_t reg, uint32_t value, int latency);
  // A latency-1 result: when `bits` (the micro-op's direct bits, 0 while a part-word store is in
  // flight) has `which`, into the register file now (every read of it this cycle is already done),
  // remembered so that an older write landing in this cycle does not overwrite it (commit_cycle);
  // else through the ring.
  void write1(uint32_t bits, uint32_t which, uint8_t reg, uint32_t value);
  // The vector unit's memory access: the same address space, faults and watch as the scalar
  // loads and stores (`width` bytes, aligned to their size).
  uint8_t* vector_access(uint32_t addr, int width, bool store);
  void write_later_from_vector(uint8_t reg, uint32_t value, int latency);  // write_later, not inlined
  void commit_cycle();
  void commit_ring();
  void commit_part_stores(std::vector<PartStore>& due);
  uint32_t load(uint32_t addr, int width, bool sign);
  template <int kWidth>
  uint32_t load_sized(uint32_t addr, bool sign);
  uint8_t* addr_ptr(uint32_t addr, int width, const char* what);
  uint8_t* neighbour_ptr(uint32_t addr, int width, const char* what);  // faults unless a connected neighbour's
  const int* named_lock(int core_id) const;  // nullptr: no such lock, or no neighbour there
  int* lock_slot(int core_id);
  void store(uint32_t addr, int width, uint32_t value);
  void check_access(uint32_t addr, int width, const char* what) const;
  [[noreturn]] void access_fault(uint32_t addr, int width, const char* what) const;
  void note_store(uint32_t addr, int width, uint32_t pc, uint32_t sp);
  void note_load(uint32_t addr, int width);
  uint32_t post_modify_2d(uint8_t p, uint8_t d, int dcount_latency);
  uint32_t post_modify_3d(uint8_t p, uint8_t d);
  [[noreturn]] void fail(const std::string& what) const;

  const CompiledProgram* prog_;  // a pointer, not a reference: a Core is copied whole (checkpoints)
  // Indexed by register number or by 0xFF, the spare entry an absent operand reads (always 0).
  std::array<uint32_t, 256> regs_{};
  ZeroedBytes mem_;
  std::array<int, kLocks> locks_{};
  std::array<Neighbour, 3> neighbours_{};
  CoreStreamPorts* streams_ = nullptr;
  uint32_t core_id_ = 0;
  bool core_id_known_ = false;
  uint32_t pc_ = 0;
  uint64_t cycle_ = 0;
  int branch_countdown_ = 0;
  uint32_t branch_target_ = 0;
  bool done_ = false;
  bool isolated_ = false;  // inside run_isolated or run_free: a neighbour access is a simulator defect
  bool sp_override_pending_ = false;
  uint32_t sp_override_ = 0, sp_start_ = 0;
  int part_stores_in_flight_ = 0;
  // Of those, the ones whose word lies outside the tile's own data memory: a neighbour's memory
  // written up to six cycles after the bundle issued, so run_isolated issues nothing until they land.
  int part_stores_out_ = 0;
  std::array<std::array<PendingWrite, 32>, kRing> ring_{};
  std::array<uint8_t, kRing> ring_count_{};
  // Per register, the cycle whose bundle last wrote it directly (write1): a ring write landing in
  // that cycle is older and is dropped.
  std::array<uint64_t, 256> direct_cycle_ = filled_never();
  static std::array<uint64_t, 256> filled_never() {
    std::array<uint64_t, 256> a;
    a.fill(~uint64_t{0});
    return a;
  }
  std::array<std::vector<PartStore>, kRing> part_stores_{};
  std::vector<WatchRegion> watch_;
  // Per data-memory byte: region index or -1. Set only by set_watch and shared by the copies a
  // checkpoint makes (free quanta copy each core every window: 64 KiB saved per copy).
  std::shared_ptr<const std::vector<int8_t>> watch_map_;
  std::vector<std::vector<StoreSite>> sites_;  // per region
  std::vector<int32_t> site_of_;  // per region x bundle index: index into sites_[region], or -1
  static constexpr uint64_t kNever = ~uint64_t{0};
  // Only where regions overlap (!store_bits_exact_): per region and byte, the cycle of its first
  // store since the fill, or kNever. With exact store bits a byte's first store is its store bit,
  // and the one cycle the rule needs to tell apart, a load's own, is fresh_stores_'s.
  std::vector<std::vector<uint64_t>> first_store_;
  // The bytes whose first store since their fill came in cycle fresh_store_cycle_, as (word of the
  // bit vectors, bits): a load in that same cycle does not count them as clobbered.
  uint64_t fresh_store_cycle_ = kNever;
  std::vector<std::pair<uint32_t, uint64_t>> fresh_stores_;
  // Per data-memory byte, one bit each: watched and not yet loaded / stored since its region's
  // fill; loaded at a cycle after its first store (clobbered before use). A load or store whose
  // bytes have no bit set has nothing to record: the watch costs a word test, not a loop over
  // bytes. Bytes belong to the region watch_map_ gives them.
  std::vector<uint64_t> load_unseen_, store_unseen_, clobbered_bits_;
  std::vector<std::vector<std::pair<uint32_t, uint64_t>>> region_words_;  // per region: (word, its bytes' bits)
  // No two regions share a byte: a store's bytes are then all its first byte's region's, which the
  // store bits assume. Overlapping regions (a hostile design) keep the per-byte loop for stores.
  bool store_bits_exact_ = true;
  void mark_unseen(int region);
  CoreStats stats_;
  VectorUnit vec_;
  int load_latency_, delay_slots_;
  CoreProfile* profile_ = nullptr;
};

}  // namespace attncheck::aie2
