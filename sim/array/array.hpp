// The npu1 array as XRT drives it: tiles whose registers the xclbin's CDO and the instruction stream write, cores, DMA channels, stream routes and host buffers, advanced by one scheduler.
#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <array>
#include <atomic>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/array/core_threads.hpp"
#include "sim/array/dma.hpp"
#include "sim/array/image_writes.hpp"
#include "sim/array/regs.hpp"
#include "sim/core/core.hpp"
#include "sim/core/tile.hpp"
#include "sim/inspect.hpp"
#include "sim/load/npu_insts.hpp"
#include "sim/load/pdi.hpp"

namespace attncheck::aie2::array {

class Timeline;  // sim/array/timeline.hpp

// How long a run may go without progress, and the core options of the single-core path.
struct ArrayOptions {
  uint64_t max_cycles = 1000000000ull;  // cycles in which no DMA word and no instruction moved
  uint64_t cycle_budget = 0;            // a call's whole length in cycles; 0: no bound beyond max_cycles
  std::optional<uint32_t> stack_at;     // --sim-stack-at, for every core
  // Cycles each core runs before the DMA channels catch up: the scheduler's granularity. A lock
  // a DMA releases within a quantum is seen by a waiting core at the quantum's end.
  uint32_t quantum = 1024;
  // Words a stream route buffers between its source and each destination (a named assumption:
  // docs/aie2-array.md; no public fact gives the switch FIFO depth, and no result depends on it).
  size_t stream_buffer_words = 4;
  // The ELF (with symbols) of a tile's core when the caller has one; it is used only when its
  // segments equal what the CDO wrote (compare_with_elf), else the program is read from memory.
  std::function<const Elf*(int col, int row)> core_elf;
  // Called after every quantum; may throw (interrupts).
  std::function<void()> poll;
  // The event record for --trace and the profile (sim/array/timeline.hpp); nullptr records nothing.
  Timeline* timeline = nullptr;
  // Compute tiles whose core is replaced by a stand-in that follows the ObjectFIFO lock protocol of
  // the tile's own DMA BDs: it takes each buffer an S2MM BD fills (acquiring the lock the BD
  // releases, releasing the one it acquires), records it, and fills each MM2S buffer with a copy of
  // the input it took. For checking a design's data movement where its cores cannot run yet.
  std::function<bool(int col, int row)> stand_in;
  // Measure the host time spent inside the cores (Array::core_seconds): two clock reads per quantum
  // around all the cores' runs, for `bench`, which compares the cores' bundle rate with the scalar core's.
  bool time_cores = false;
  // The rules every core of the array applies (a mutation test's own; sim/core/core.hpp Rules).
  Rules rules;
  // Each core's CORE_ID is row | column << 16 (UG1583 "Core ID"): set when the xclbin's partition
  // can start at column 0 alone (make_array), where the design's columns are the physical ones
  // whether or not the hardware register counts from the partition; otherwise a read stops the run.
  bool core_id_known = false;
  // Step every busy DMA channel once per cycle (the reference model), never a run of cycles at
  // once, and find the busy channels by a scan of every channel each phase, never from the last
  // phase's list. The fast path (false) reaches the same state, counters and memory; tests compare the two.
  bool reference_dma = false;
  // Issue every core bundle through the bundle-at-a-time step (CompiledProgram::no_plain_stretches),
  // never a plain stretch (Core::run_plain). The same results bit for bit; tests compare the two.
  bool reference_core = false;
  // Host threads for the cores (ArrayOptions::threads > 1): in each quantum, the cores whose tile no
  // earlier core in tile order can reach run on these threads at once until their first access to a
  // neighbour's memory or lock (Core::run_isolated); every core then finishes the quantum in tile
  // order as before. The results equal the one-thread run's bit for bit (docs/aie2-array.md
  // "Parallel quanta"). Not with a timeline (its events are recorded in tile order).
  int threads = 1;
  // With threads > 1: while every DMA channel waits on a lock or a stream and the instruction
  // stream on a sync, the cores run window after window of quanta on the threads without the DMA's
  // phases between them, until one reaches a lock operation, a neighbour, done or a fault
  // (Core::run_free); cores that ran past that quantum are put back to a copy and run to it again;
  // the DMA's phases are then replayed, each moving nothing, as the one-thread run does them
  // (docs/aie2-array.md "Free quanta"). false: every quantum as above (tests compare the two).
  bool free_quanta = true;
};

// One buffer a stand-in core took from an S2MM channel, in order.
struct StandInTransfer {
  int channel = 0, bd = 0;
  uint32_t address = 0;  // in the tile's data memory
  std::vector<uint8_t> bytes;
};

// A host buffer as XRT hands it to the kernel: kernel argument number, bytes, and the device
// address the simulator gives it (the DDR patches write that address into shim BDs).
struct HostBuffer {
  int arg = -1;
  std::vector<uint8_t>* bytes = nullptr;
  uint64_t device_address = 0;
};

// What a compute tile's core did, for reports.
struct CoreReport {
  int col = 0, row = 0;
  std::string program;  // "main_core_0_2.elf" or "CDO image"
  CoreStats stats;
  uint64_t lock_stall_cycles = 0, stream_stall_cycles = 0;
  std::string state;  // "running", "waits on lock 49 >= 1 at PC ...", "done"
  std::vector<Overlap> stack_over_data;  // the ELF's own data its stack ran over (data_section_overlaps)
};

class Array {
 public:
  explicit Array(ArrayOptions opt = {});
  ~Array();
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;

  // Applies every CDO write of the image (the xclbin's configuration), in order.
  void configure(const DeviceImage& img);
  // One register or memory write; `origin` names where it came from for errors.
  void write(const RegisterWrite& w, const std::string& origin);

  // One XRT call: runs the instruction stream's operations in order against the array, the
  // host buffers given by XRT kernel argument number (3, 4, ...), until every operation is done
  // (the last sync satisfied). SimError names the word, tile, channel or lock on any failure.
  void call(const InstructionStream& insts, const std::map<int, std::vector<uint8_t>*>& args);

  uint64_t now() const { return now_; }
  // Cycles of the last call: from its start to the cycle after the last task-complete token it
  // issued (the sync that ends it sees that token); the scheduler's quantum does not round it.
  uint64_t last_call_cycles() const { return last_call_cycles_; }
  // Host seconds spent inside the cores' run loops over every call (ArrayOptions::time_cores; 0 otherwise).
  double core_seconds() const { return core_seconds_; }
  // Bundles the cores issued on the host threads' isolated stretches (ArrayOptions::threads), over every call.
  uint64_t parallel_bundles() const { return parallel_bundles_; }
  // Quanta the cores ran on the threads without a DMA phase between them (ArrayOptions::free_quanta), over every call.
  uint64_t free_quanta() const { return free_quanta_; }
  // How the free runs ended, over every call: the cores that stopped, by why, and the runs that
  // reached their bound (a poll, or the quantum where a cycle check may fire).
  struct FreeStats {
    uint64_t runs = 0, ended_by_lock = 0, ended_by_neighbour = 0, ended_by_done = 0, ended_by_error = 0, ended_by_bound = 0;
    uint64_t cores_blocked = 0;  // cores that sat blocked on an acquire through a run, summed over the runs
    uint64_t cores_rerun = 0;    // cores put back to their checkpoint (they ran past another's stop), summed
    uint64_t windows_rechecked = 0;  // a core's window run again looking before each bundle (one left the tile or faulted)
  };
  const FreeStats& free_stats() const { return free_stats_; }
  // The host threads the cores run on: ArrayOptions::threads, at most the CPUs this process may use.
  int host_threads() const { return host_threads_; }
  // How the shim DMA used each kernel argument's host buffer in the calls so far: read (MM2S) or
  // written (S2MM). The CLI writes an output-only argument back even to a file that existed.
  struct ArgumentUse {
    bool read = false, written = false;
  };
  const std::map<int, ArgumentUse>& argument_use() const { return argument_use_; }
  // The least common multiple of the BD chain lengths of the channels with queued tasks (see
  // ring_period in program.hpp).
  size_t ring_period();
  std::vector<CoreReport> cores() const;
  nlohmann::json report() const;
  // The core of a compute tile, or nullptr before it started.
  Core* core(int col, int row);
  // The write watch of a compute tile: every fill of a buffer its S2MM BDs write, and what the
  // core stored into it before the next fill (sim/core/tile.hpp InputUse).
  std::vector<InputUse> input_uses(int col, int row);
  // A copy of a tile's data memory (its core's once the core runs); empty for a tile never written.
  std::vector<uint8_t> data_memory(int col, int row);
  // What a stand-in core (ArrayOptions::stand_in) received, in order.
  const std::vector<StandInTransfer>& stand_in_received(int col, int row);

 private:
  struct Tile;
  struct CorePorts;
  Tile& tile(int col, int row, const std::string& origin);
  Tile* find_tile(int col, int row);
  void start_core(Tile& t);
  void resolve_routes();
  void connect_neighbours();
  StreamRoute* trace_route(Tile& t, int slave_index, const std::string& source, std::vector<std::string>& hops, int depth);
  // Where master `m` of tile `t` sends the words of `route` (routes_.back()): a DMA channel, or on
  // into the neighbour's slave (trace_route).
  void follow_master(Tile& t, int m, StreamRoute* route, const std::string& source, std::vector<std::string>& hops, int depth);
  // The route a packet with id `id` takes from the packet-switched slave `r` reaches (built once per id).
  StreamRoute* packet_branch(StreamRoute& r, int id, const DmaChannel& from);
  uint8_t* memory(Tile& t, uint64_t address, uint32_t bytes, const DmaChannel& ch);
  int* lock(Tile& t, int id, const DmaChannel& ch, int* bound_out);
  bool lock_acquire(Tile& t, int id, int value, bool ge, const DmaChannel& ch);
  void lock_release(Tile& t, int id, int value, const DmaChannel& ch);
  bool step_channel(DmaChannel& ch, Tile& t);  // t: the channel's own tile
  void note_fill(Tile& t, const DmaChannel& ch);
  bool step_stand_in(Tile& t);
  void load_bd(DmaChannel& ch, int bd);
  // The DMA fast path: advances the busy channels by up to `max_cycles` cycles at once from
  // cycle `first_cycle` when each of them provably does the same thing every one of those cycles
  // (moves a word, waits, or nothing); returns the cycles advanced, 0 when the next cycle must be
  // stepped one channel at a time (a state changes, a FIFO fills or drains, a word leaves its window).
  uint64_t dma_batch(const std::vector<std::pair<DmaChannel*, Tile*>>& busy, uint64_t max_cycles, uint64_t first_cycle);
  bool route_pushes(const StreamRoute& r) const;
  static bool sink_pops(const StreamRoute& r, size_t i);
  std::optional<int> lock_value(Tile& t, int id);
  // A channel that moves a word every cycle of a batch, and the runs of memory its words are at.
  struct BatchMover {
    DmaChannel* ch = nullptr;
    size_t first_run = 0, runs = 0;  // in batch_runs_
    uintptr_t lo = 0, hi = 0;        // the host bytes the batch's words cover
  };
  std::vector<BatchMover> batch_movers_;
  std::vector<AddressPattern> batch_walks_;  // per mover: its pattern walked ahead (capacity reused)
  std::vector<WordRun> batch_runs_;
  std::vector<DmaChannel*> batch_lock_waits_, batch_stream_waits_;
  std::vector<uint32_t> batch_words_, batch_in_;
  bool run_ops();
  void advance(uint64_t cycles, bool* progressed);
  [[noreturn]] void deadlock(const std::string& waiting_op);
  // The host address of the channel's word at `word_offset` from its BD's base: from the window
  // the channel's last word fell in when this one does too, else found and checked (word_at_slow).
  uint8_t* word_at(DmaChannel& ch, Tile& t, int64_t word_offset) {
    const int64_t byte = static_cast<int64_t>(ch.current.address) + 4 * word_offset;
    const uint64_t b = static_cast<uint64_t>(byte);
    if (byte >= 0 && ch.window_call == calls_ && b >= ch.window_lo && b + 4 <= ch.window_hi) return ch.window_base + (b - ch.window_lo);
    return word_at_slow(ch, t, byte);
  }
  uint8_t* word_at_slow(DmaChannel& ch, Tile& t, int64_t byte);
  // Every channel with its tile, in stepping order (sinks before sources).
  std::vector<std::pair<DmaChannel*, Tile*>> channels();
  uint32_t dma_status(const DmaChannel& ch) const;
  std::string waits() const;  // what every core and busy channel waits on, for a deadlock


  ArrayOptions opt_;
  std::map<std::pair<int, int>, std::unique_ptr<Tile>> tiles_;
  std::array<Tile*, kNpu1Columns * kNpu1Rows> grid_{};  // tiles_ by col * kNpu1Rows + row
  std::vector<std::unique_ptr<StreamRoute>> routes_;
  bool routes_dirty_ = true;
  bool neighbours_connected_ = false;
  uint64_t now_ = 0;
  uint64_t dma_now_ = 0;     // the cycle the DMA channels are stepping
  uint64_t last_token_ = 0;  // the cycle of the last task-complete token
  uint64_t last_call_cycles_ = 0;
  double core_seconds_ = 0;
  int host_threads_ = 1;
  std::unique_ptr<CoreThreads> threads_;  // host_threads_ > 1
  // This quantum's cores on the threads: what each runs (written by the caller), what it did
  // (written by its thread, a cache line each), and the slot of each tile of the caller's list.
  struct IsolatedIn {
    Core* core = nullptr;
    uint64_t budget = 0;
  };
  struct alignas(64) IsolatedOut {
    uint64_t issued = 0;
    Stop stop = Stop::CycleLimit;
    std::exception_ptr error;
  };
  std::vector<IsolatedIn> isolated_in_;
  std::vector<IsolatedOut> isolated_out_;
  std::vector<int> isolated_slot_;
  uint64_t parallel_bundles_ = 0;
  // Runs the quantum's isolated cores on the threads; false when fewer than two could run.
  bool run_isolated_stretches(const std::vector<Tile*>& ordered, uint64_t target);
  void run_isolated_slot(size_t i);
  // Free quanta (docs/aie2-array.md). Each core on the threads, a cache line each: its copy, its
  // window, the bundles of its whole quanta, and how its last quantum ended. Every field is written
  // by the thread that runs the core in the window, before the threads meet; after the meeting only
  // that thread touches it again (the stop's quantum), or the next window's owner does.
  struct alignas(64) FreeSlot {
    Tile* tile = nullptr;
    Core* checkpoint = nullptr;  // the core as the window found it (free_checkpoints_)
    size_t order = 0;  // its index in the caller's tile list
    bool isolated = false;  // no core below it that is not done, blocked or not (run_isolated_stretches)
    uint64_t window_issued = 0, whole_issued = 0, last_issued = 0, reruns = 0, rechecks = 0;
    uint64_t before_window = 0;  // whole_issued before the window (whole_issued counts the window whole)
    int64_t stop_quantum = 0;  // the quantum it stopped in, or the bound
    Stop window_stop = Stop::CycleLimit, last_stop = Stop::CycleLimit;
    std::exception_ptr error;
  };
  // Quanta a free run's threads run between meetings, and at most in one free run (a poll between).
  static constexpr int64_t kFreeWindow = 512, kFreeQuantaBound = 4096;
  std::map<const Core*, std::unique_ptr<Core>> free_checkpoints_;
  // How far each thread ran its cores (the windows it completed, -1: none yet).
  struct alignas(64) FreeProgress {
    std::atomic<int64_t> through{-1};
    // Its window's figures, written before `through`, by the window's parity (a thread may write
    // the next window's while another still reads these): the bundles its cores issued and the
    // host seconds they took; each thread shares the next window's cores out by these rates.
    uint64_t bundles[2] = {0, 0};
    double seconds[2] = {0, 0};
  };
  std::vector<FreeSlot> free_slots_;
  std::unique_ptr<FreeProgress[]> free_progress_;
  struct alignas(64) {
    std::atomic<int64_t> at{0};
  } free_stop_;  // the first quantum in which a core stopped
  int64_t free_max_quanta_ = 0;
  int64_t free_last_ = 0;  // the quantum every thread ended in
  std::vector<Tile*> free_blocked_;  // cores blocked on an acquire through the free quanta
  std::vector<std::pair<uint64_t, uint64_t>> free_counts_;  // each channel's lock and stream waits before a replayed phase
  FreeStats free_stats_;
  uint64_t free_quanta_ = 0;  // quanta the cores ran without a DMA phase between them, over every call
  bool dma_moved_ = true;     // the last DMA phase moved a word or changed a channel's state
  // The busy list a DMA phase keeps between quanta: a channel becomes busy only when a task is
  // pushed into its start queue (queue_pushes_ counts them), so while none was pushed since the
  // last full scan, the busy channels are the last list's that still are (dma_phase).
  // busy_scan_pushes_ is queue_pushes_ at that scan, kRescan when the next phase must scan (a new
  // call, a new channel list).
  static constexpr uint64_t kRescan = ~uint64_t{0};
  uint64_t queue_pushes_ = 0, busy_scan_pushes_ = kRescan;
  // Runs the free quanta from now_ when they may run: true when it did (now_ then is the last
  // quantum's start, and isolated_slot_/isolated_out_ say how each core's last quantum ended).
  bool run_free_quanta(const std::vector<Tile*>& ordered, const std::vector<std::pair<DmaChannel*, Tile*>>& chans,
                       std::vector<std::pair<DmaChannel*, Tile*>>& busy, uint64_t last_progress, uint64_t started);
  void free_worker(size_t thread);
  // One quantum's DMA phase from now_: every busy channel stepped until none moves (runs of cycles
  // at once unless reference_dma); true when a channel moved a word or changed state.
  bool dma_phase(const std::vector<std::pair<DmaChannel*, Tile*>>& chans, std::vector<std::pair<DmaChannel*, Tile*>>& busy);
  std::map<int, ArgumentUse> argument_use_;
  // The call in progress.
  const InstructionStream* insts_ = nullptr;
  size_t next_op_ = 0;
  // The channels the sync at op `sync_op_` of call `sync_call_` waits on: a sync is re-checked every
  // quantum until its tokens arrive, and the channels it names do not change while it waits.
  std::vector<DmaChannel*> sync_want_;
  bool sync_still_waits() const;
  size_t sync_op_ = 0;
  uint64_t sync_call_ = 0;
  std::vector<HostBuffer> host_;
  uint64_t calls_ = 0;  // calls started (see DmaChannel::window_call)
  uint64_t writes_unmodelled_ = 0;
  std::map<std::string, uint64_t> unmodelled_groups_;
};

}  // namespace attncheck::aie2::array
