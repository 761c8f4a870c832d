// The npu1 array: register writes land in tiles, cores run in quanta, DMA channels move one word a cycle through resolved stream routes, and the instruction stream drives shim DMA and waits on its syncs.
#include "sim/array/array.hpp"

#include <algorithm>
#include <exception>
#include <chrono>
#include <cstring>
#include <numeric>
#include <set>

#include "ref/errors.hpp"
#include "sim/array/timeline.hpp"
#include "sim/core/tile.hpp"
#include "sim/core/zeroed_bytes.hpp"
#include "sim/hex.hpp"

namespace attncheck::aie2::array {
namespace {

std::string tile_name(int col, int row) { return "(" + std::to_string(col) + "," + std::to_string(row) + ")"; }

// Host buffers are placed at these device addresses, one window each, so that a DDR address in a
// shim BD names one buffer and an offset in it; 0 is never a buffer (an unpatched BD reads 0).
constexpr uint64_t kHostWindowBase = 0x10000000ull, kHostWindow = 0x10000000ull;

// Where a memory tile's DMA address lands: its west neighbour's memory (0..512 KiB), its own
// (512 KiB..1 MiB) or its east neighbour's (1..1.5 MiB) (regs.hpp BufferDescriptor::address).
struct MemTileTarget {
  int column_delta;
  uint64_t offset;
};
MemTileTarget mem_tile_dma_target(uint64_t address) {
  constexpr uint64_t kMemTileBytes = 512 * 1024;
  return {static_cast<int>(address / kMemTileBytes) - 1, address % kMemTileBytes};
}

// Whose lock a BD's lock id names: compute and shim tiles their own; a memory tile 0..63 its west
// neighbour's, 64..127 its own, 128..191 its east neighbour's (regs.hpp BufferDescriptor).
struct LockTarget {
  int column_delta;
  int id;
};
LockTarget bd_lock_target(TileKind kind, int id) {
  if (kind != TileKind::Mem) return {0, id};
  return {id / 64 - 1, id % 64};
}

uint32_t reg_or_zero(const std::map<uint32_t, uint32_t>& regs, uint32_t offset) {
  auto it = regs.find(offset);
  return it == regs.end() ? 0 : it->second;
}

// AIE2 lock semantics (regs.hpp bd_acquire): acquire-greater-equal waits for >= value and
// subtracts it; acquire-equal waits for == value and leaves the lock as it is. The same rule as
// Core::try_acquire, for the locks of tiles without a running core.
bool acquire_lock(int& lock, int value, bool ge) {
  if (ge ? lock < value : lock != value) return false;
  if (ge) lock -= value;
  return true;
}

}  // namespace

// A core's stream ports (Core::set_stream_ports; docs/aie2-array.md "Core stream ports"): `in` holds
// the words a route delivered to the tile switch's Core master that the core has not taken (the
// stream's buffering, as a DMA channel's route has: AM020 puts no FIFO at the core's ports), and
// `out_route` is the route from the switch's Core slave. A full input buffer holds its route's
// source back (StreamRoute::can_push), as a full S2MM buffer does.
struct Array::CorePorts final : CoreStreamPorts {
  WordFifo in;
  StreamRoute* in_route = nullptr;
  StreamRoute* out_route = nullptr;
  size_t capacity = 0;
  std::string name;  // "core (0,2)"
  bool can_get() const override { return !in.empty(); }
  uint32_t get() override {
    const uint32_t w = in.front();
    in.pop_front();
    return w;
  }
  // A word for a stream that goes nowhere is taken at once: put names the defect.
  bool can_put() const override { return !out_route || out_route->can_push(capacity); }
  void put(uint32_t w) override {
    StreamRoute* r = out_route;
    if (!r || (r->sinks.empty() && !r->to_core()))
      throw SimError(name + " writes its output stream port (mov ms, r), which is routed nowhere" +
                     (r && !r->hops.empty() ? " (it ends after " + r->hops.back() + ")" : ""));
    if (r->packet_slave >= 0)
      throw SimError(name + " writes a word without a packet header into a packet-switched slave (tile " +
                     tile_name(r->packet_col, r->packet_row) + "); a core's packet headers (mov.ph) are not modelled");
    r->push(w);
  }
};

struct Array::Tile {
  int col = 0, row = 0;
  TileKind kind = TileKind::Compute;
  const TileLayout* layout = nullptr;
  std::map<uint32_t, uint32_t> regs;  // every configuration register's last value
  ZeroedBytes memory;                 // data memory; a compute tile's lives in its core once it runs
  ZeroedBytes program;                // compute tiles: program memory
  uint32_t program_end = 0;           // one past the last program byte written
  std::vector<int> locks;
  std::vector<DmaChannel> s2mm, mm2s;
  uint32_t core_control = 0;
  // Compute tiles, once the core is enabled.
  std::unique_ptr<Elf> elf;
  std::unique_ptr<CompiledProgram> compiled;
  std::unique_ptr<Core> core;
  CorePorts ports;  // compute tiles: the core's stream ports, connected when the core starts
  std::string program_name;
  uint64_t core_time = 0, lock_stall = 0, stream_stall = 0;  // cycles blocked on an acquire / a stream port
  // The counter of what the core is blocked on now (Core::waiting).
  uint64_t& stall() { return core->waiting().port != Core::Wait::Port::None ? stream_stall : lock_stall; }
  bool core_done = false;
  std::string core_state = "not enabled";
  // The write watch: the buffers the tile's S2MM BDs fill, and what the core did to each fill.
  std::vector<WatchRegion> regions;
  std::vector<int> open_use;  // per region: index into inputs of the fill being watched, or -1
  std::vector<InputUse> inputs;
  std::map<std::string, size_t> fills;  // per channel name: fills so far
  // A stand-in core: per channel, the BD its next buffer belongs to (-1: not started).
  bool stand_in = false;
  std::vector<int> stand_in_in_bd, stand_in_out_bd;
  std::vector<StandInTransfer> received;
};

Array::Array(ArrayOptions opt) : opt_(std::move(opt)) {
  if (opt_.threads < 1 || opt_.threads > 64) throw SimError("--sim-threads " + std::to_string(opt_.threads) + ": must be from 1 to 64");
  if (opt_.threads > 1 && opt_.timeline)
    throw SimError("--sim-threads " + std::to_string(opt_.threads) + " with --trace or --profile: the timeline records the cores in "
                   "tile order from one thread; run it with --sim-threads 1");
  host_threads_ = std::min(opt_.threads, CoreThreads::usable_cpus());
  if (host_threads_ > 1) threads_ = std::make_unique<CoreThreads>(host_threads_);
  if (opt_.max_cycles == 0 || opt_.max_cycles > kMaxMaxCycles)
    throw SimError("--sim-max-cycles " + std::to_string(opt_.max_cycles) + ": must be from 1 to 10^15");
}
Array::~Array() = default;

// Every DMA word looks its tile up: a flat grid, not the map (the map keeps ownership and order).
Array::Tile* Array::find_tile(int col, int row) {
  if (col < 0 || col >= kNpu1Columns || row < 0 || row >= kNpu1Rows) return nullptr;
  return grid_[static_cast<size_t>(col * kNpu1Rows + row)];
}

Array::Tile& Array::tile(int col, int row, const std::string& origin) {
  if (Tile* t = find_tile(col, row)) return *t;
  if (col < 0 || col >= kNpu1Columns || row < 0 || row >= kNpu1Rows)
    throw SimError(origin + ": tile " + tile_name(col, row) + " is outside the npu1 array (" + std::to_string(kNpu1Columns) +
                   " columns, " + std::to_string(kNpu1Rows) + " rows)");
  auto t = std::make_unique<Tile>();
  t->col = col, t->row = row;
  t->kind = npu1_tile_kind(col, row);
  t->ports.name = "core " + tile_name(col, row);
  t->ports.capacity = opt_.stream_buffer_words;
  t->layout = &layout(t->kind);
  t->memory = ZeroedBytes(t->layout->data_memory_bytes);
  if (t->kind == TileKind::Compute) t->program = ZeroedBytes(t->layout->program_memory_bytes);
  t->locks.assign(t->layout->locks, 0);
  for (int c = 0; c < t->layout->s2mm_channels + t->layout->mm2s_channels; ++c) {
    DmaChannel ch;
    ch.col = col, ch.row = row, ch.kind = t->kind;
    ch.s2mm = c < t->layout->s2mm_channels;
    ch.channel = ch.s2mm ? c : c - t->layout->s2mm_channels;
    (ch.s2mm ? t->s2mm : t->mm2s).push_back(std::move(ch));
  }
  for (auto* v : {&t->s2mm, &t->mm2s})
    for (auto& ch : *v) ch.bd_uses.assign(t->layout->bds, 0);
  Tile& ref = *t;
  grid_[static_cast<size_t>(col * kNpu1Rows + row)] = t.get();
  tiles_.emplace(std::make_pair(col, row), std::move(t));
  return ref;
}

Core* Array::core(int col, int row) {
  Tile* t = find_tile(col, row);
  return t ? t->core.get() : nullptr;
}

void Array::configure(const DeviceImage& img) {
  const auto writes = register_writes(img);
  for (size_t i = 0; i < writes.size(); ++i) write(writes[i], img.path + ": CDO write " + std::to_string(i));
}

void Array::write(const RegisterWrite& w, const std::string& origin) {
  const RegisterAddress a = split_address(w.address);
  Tile& t = tile(a.col, a.row, origin);
  const RegHit hit = classify(t.kind, a.offset);
  auto masked = [&](uint32_t old) { return (old & ~w.mask) | (w.value & w.mask); };
  if (a.offset % 4) throw SimError(origin + ": a write to " + hex(w.address) + " is not word aligned");
  switch (hit.kind) {
    case RegKind::DataMemory: {
      uint8_t* p = nullptr;
      if (t.core) p = t.core->data(kDataMemBase + a.offset, 4);
      else if (a.offset + 4 <= t.memory.size()) p = t.memory.data() + a.offset;
      if (!p) throw SimError(origin + ": data memory write at " + hex(a.offset) + " is outside tile " + tile_name(t.col, t.row) + "'s memory");
      uint32_t old;
      std::memcpy(&old, p, 4);
      const uint32_t v = masked(old);
      std::memcpy(p, &v, 4);
      return;
    }
    case RegKind::ProgramMemory: {
      if (t.core) throw SimError(origin + ": writes program memory of tile " + tile_name(t.col, t.row) + " while its core runs");
      const uint32_t off = a.offset - t.layout->program_memory_offset;
      if (off + 4 > t.program.size()) throw SimError(origin + ": program memory write at " + hex(a.offset) + " is out of range");
      uint32_t old;
      std::memcpy(&old, t.program.data() + off, 4);
      const uint32_t v = masked(old);
      std::memcpy(t.program.data() + off, &v, 4);
      t.program_end = std::max(t.program_end, off + 4);
      return;
    }
    case RegKind::Lock: {
      const uint32_t v = masked(t.regs[a.offset]);
      t.regs[a.offset] = v;
      const int value = lock_register_value(v);
      if (t.core) t.core->set_lock(hit.index, value);
      else t.locks.at(hit.index) = value;
      return;
    }
    case RegKind::ChannelQueue: {
      const uint32_t v = masked(t.regs[a.offset]);
      t.regs[a.offset] = v;
      auto& chans = hit.s2mm ? t.s2mm : t.mm2s;
      if (hit.index < 0 || hit.index >= static_cast<int>(chans.size()))
        throw SimError(origin + ": start queue of channel " + std::to_string(hit.index) + " of tile " + tile_name(t.col, t.row));
      const QueueEntry q = decode_queue(t.kind, v);
      if (q.start_bd < 0 || q.start_bd >= t.layout->bds)
        throw SimError(origin + ": " + chans[hit.index].name() + " is started on BD " + std::to_string(q.start_bd) + ", the tile has " +
                       std::to_string(t.layout->bds));
      chans[hit.index].queue.push_back(q);
      ++queue_pushes_;
      return;
    }
    case RegKind::CoreControl: {
      t.core_control = masked(t.core_control);
      t.regs[a.offset] = t.core_control;
      if (core_enabled(t.core_control) && !core_reset(t.core_control) && !t.core) start_core(t);
      return;
    }
    case RegKind::StreamMaster:
    case RegKind::StreamSlave:
    case RegKind::StreamSlot:
    case RegKind::ShimMux:
    case RegKind::ShimDemux:
      t.regs[a.offset] = masked(t.regs[a.offset]);
      routes_dirty_ = true;
      return;
    case RegKind::LockRequest:
      throw SimError(origin + ": a lock request through " + register_name(t.kind, a.offset) + " of tile " + tile_name(t.col, t.row) +
                     " (a read acquires or releases there; the instruction stream's writes to it are not modelled)");
    case RegKind::Bd:
    case RegKind::ChannelCtrl:
    case RegKind::CoreStatus:
      t.regs[a.offset] = masked(t.regs[a.offset]);
      return;
    case RegKind::ChannelStatus:
      throw SimError(origin + ": writes " + register_name(t.kind, a.offset) + " of tile " + tile_name(t.col, t.row) +
                     ", a read-only status register");
    case RegKind::KnownUnmodelled:
      t.regs[a.offset] = masked(t.regs[a.offset]);
      ++writes_unmodelled_;
      ++unmodelled_groups_[register_name(t.kind, a.offset)];
      return;
    case RegKind::Unknown:
      break;
  }
  throw SimError(origin + ": a write to " + hex(w.address) + " (tile " + tile_name(t.col, t.row) + " offset " + hex(a.offset) +
                 ") is no register of a " + (t.kind == TileKind::Shim ? "shim" : t.kind == TileKind::Mem ? "memory" : "compute") +
                 " tile this simulator knows");
}

void Array::start_core(Tile& t) {
  if (opt_.stand_in && opt_.stand_in(t.col, t.row)) {
    t.stand_in = true;
    t.core_state = "stand-in";
    t.stand_in_in_bd.assign(t.s2mm.size(), -1);
    t.stand_in_out_bd.assign(t.mm2s.size(), -1);
    return;
  }
  // The program the core runs is what program memory holds; a caller's ELF is used for its
  // symbols only when its segments equal the memories the CDO wrote.
  std::vector<uint8_t> text(t.program.begin(), t.program.begin() + t.program_end);
  const Elf* given = opt_.core_elf ? opt_.core_elf(t.col, t.row) : nullptr;
  bool use_given = false;
  if (given) {
    use_given = given->text().size() <= text.size() &&
                std::equal(given->text().begin(), given->text().end(), text.begin()) &&
                std::all_of(text.begin() + given->text().size(), text.end(), [](uint8_t b) { return b == 0; });
    for (const auto& img : given->load_images()) {
      if (img.program || !use_given) continue;
      if (img.address < kDataMemBase || img.address - kDataMemBase + img.bytes.size() > t.memory.size() ||
          !std::equal(img.bytes.begin(), img.bytes.end(), t.memory.begin() + (img.address - kDataMemBase)))
        use_given = false;
    }
  }
  if (use_given) {
    t.elf = std::make_unique<Elf>(*given);
    t.program_name = given->path;
  } else {
    t.elf = std::make_unique<Elf>(Elf::from_text("tile " + tile_name(t.col, t.row) + " program memory", std::move(text)));
    t.program_name = "CDO image of tile " + tile_name(t.col, t.row);
  }
  t.compiled = std::make_unique<CompiledProgram>(*t.elf, /*defer_unsupported=*/true, opt_.rules);
  if (opt_.reference_core) t.compiled->no_plain_stretches();
  t.core = std::make_unique<Core>(*t.compiled);
  t.core->set_stream_ports(&t.ports);
  if (opt_.core_id_known) t.core->set_core_id(static_cast<uint32_t>(t.row) | static_cast<uint32_t>(t.col) << 16);
  // The tile's data memory and locks, as configured, become the core's.
  std::memcpy(t.core->data(kDataMemBase, static_cast<uint32_t>(t.memory.size())), t.memory.data(), t.memory.size());
  for (int i = 0; i < static_cast<int>(t.locks.size()) && i < kLocks; ++i) t.core->set_lock(i, t.locks[i]);
  if (opt_.stack_at) t.core->set_sp_start_override(*opt_.stack_at);
  // Watch every buffer an S2MM BD of this tile fills, named by the ELF's symbol at its address.
  const TileLayout& L = *t.layout;
  for (int bd = 0; bd < L.bds; ++bd) {
    std::vector<uint32_t> words(L.bd_words);
    for (int w = 0; w < L.bd_words; ++w) words[w] = reg_or_zero(t.regs, L.bd_offset(bd, w));
    const BufferDescriptor d = decode_bd(t.kind, words.data());
    if (!d.valid || d.length == 0 || d.address + d.length_bytes() > t.memory.size()) continue;
    bool s2mm_bd = false;
    for (int c = 0; c < L.s2mm_channels; ++c)
      for (const auto& q : t.s2mm[c].queue) {
        // The BD is on a chain an S2MM task starts: follow next-BD from its start.
        int b = q.start_bd;
        for (int steps = 0; steps < L.bds && b >= 0; ++steps) {
          if (b == bd) s2mm_bd = true;
          std::vector<uint32_t> ww(L.bd_words);
          for (int w = 0; w < L.bd_words; ++w) ww[w] = reg_or_zero(t.regs, L.bd_offset(b, w));
          const BufferDescriptor n = decode_bd(t.kind, ww.data());
          b = n.use_next_bd ? n.next_bd : -1;
        }
      }
    if (!s2mm_bd) continue;
    const uint32_t addr = kDataMemBase + static_cast<uint32_t>(d.address);
    bool seen = false;
    for (const auto& r : t.regions) seen = seen || r.address == addr;
    if (seen) continue;
    std::string name = "S2MM BD " + std::to_string(bd) + " buffer";
    for (const auto& sym : t.elf->symbols)
      if (sym.value == addr && !sym.name.empty() && sym.name.rfind("_", 0) != 0) name = sym.name;
    t.regions.push_back({name, addr, static_cast<uint32_t>(d.length_bytes())});
  }
  t.open_use.assign(t.regions.size(), -1);
  t.core->set_watch(t.regions);
  t.core_time = now_;
  t.core_state = "running";
  if (opt_.timeline) t.core->set_profile(opt_.timeline->core_started(t.col, t.row, t.compiled.get(), now_));
  neighbours_connected_ = false;
}

std::vector<uint8_t> Array::data_memory(int col, int row) {
  Tile* t = find_tile(col, row);
  if (!t) return {};
  if (!t->core) return {t->memory.begin(), t->memory.end()};
  const uint8_t* p = t->core->data(kDataMemBase, static_cast<uint32_t>(t->memory.size()));
  return {p, p + t->memory.size()};
}

const std::vector<StandInTransfer>& Array::stand_in_received(int col, int row) {
  static const std::vector<StandInTransfer> none;
  Tile* t = find_tile(col, row);
  return t ? t->received : none;
}

// One step of a stand-in core: take the next buffer of every S2MM channel that has a task and hand
// out the next buffer of every MM2S channel, as one iteration of an ObjectFIFO loop does (acquire
// everything, compute, release everything). The BD chain of each channel says which buffer is next
// and which locks guard it: the core acquires the lock its BD releases and releases the one its BD
// acquires. True when a step was taken.
bool Array::step_stand_in(Tile& t) {
  const TileLayout& L = *t.layout;
  auto bd_at = [&](int bd) {
    std::vector<uint32_t> w(L.bd_words);
    for (int k = 0; k < L.bd_words; ++k) w[k] = reg_or_zero(t.regs, L.bd_offset(bd, k));
    return decode_bd(t.kind, w.data());
  };
  auto next_bd = [&](const DmaChannel& ch, int cur) {
    if (cur < 0) return ch.state != ChannelState::Idle ? ch.task.start_bd : ch.queue.empty() ? -1 : ch.queue.front().start_bd;
    const BufferDescriptor d = bd_at(cur);
    return d.use_next_bd ? d.next_bd : cur;
  };
  struct Take {
    bool out;
    int channel, bd;
    BufferDescriptor d;
  };
  std::vector<Take> takes;
  for (size_t c = 0; c < t.s2mm.size(); ++c) {
    const int bd = next_bd(t.s2mm[c], t.stand_in_in_bd[c]);
    if (bd >= 0) takes.push_back({false, static_cast<int>(c), bd, bd_at(bd)});
  }
  for (size_t c = 0; c < t.mm2s.size(); ++c) {
    const int bd = next_bd(t.mm2s[c], t.stand_in_out_bd[c]);
    if (bd >= 0) takes.push_back({true, static_cast<int>(c), bd, bd_at(bd)});
  }
  if (takes.empty()) return false;
  // All or nothing: a step waits until every buffer it needs is free.
  for (const auto& k : takes)
    if (k.d.lock_rel_value > 0 && t.locks.at(k.d.lock_rel_id) < k.d.lock_rel_value) return false;
  std::vector<uint8_t> first_input;
  for (const auto& k : takes) {
    if (k.d.lock_rel_value > 0) t.locks[k.d.lock_rel_id] -= k.d.lock_rel_value;
    if (k.out) continue;
    if (k.d.address + k.d.length_bytes() > t.memory.size())
      throw SimError("stand-in core " + tile_name(t.col, t.row) + ": S2MM BD " + std::to_string(k.bd) + " lies outside its memory");
    StandInTransfer tr{k.channel, k.bd, static_cast<uint32_t>(k.d.address),
                       {t.memory.begin() + k.d.address, t.memory.begin() + k.d.address + k.d.length_bytes()}};
    if (first_input.empty()) first_input = tr.bytes;
    t.received.push_back(std::move(tr));
  }
  for (const auto& k : takes) {
    if (k.out) {
      if (k.d.address + k.d.length_bytes() > t.memory.size())
        throw SimError("stand-in core " + tile_name(t.col, t.row) + ": MM2S BD " + std::to_string(k.bd) + " lies outside its memory");
      uint8_t* p = t.memory.data() + k.d.address;
      std::fill(p, p + k.d.length_bytes(), 0);
      std::memcpy(p, first_input.data(), std::min<size_t>(first_input.size(), k.d.length_bytes()));
      t.stand_in_out_bd[k.channel] = k.bd;
    } else {
      t.stand_in_in_bd[k.channel] = k.bd;
    }
    const LockOp op = bd_acquire(k.d.lock_acq_value);
    if (k.d.lock_acq_enable) t.locks[k.d.lock_acq_id] = std::min(kLockMax, t.locks[k.d.lock_acq_id] + op.value);
  }
  return true;
}

uint8_t* Array::memory(Tile& t, uint64_t address, uint32_t bytes, const DmaChannel& ch) {
  // A compute tile's DMA addresses its own data memory from 0; a memory tile's reaches its
  // neighbours through the address bits above its own 512 KiB (docs/aie2-array-registers.md).
  Tile* target = &t;
  uint64_t local = address;
  if (t.kind == TileKind::Mem) {
    const MemTileTarget m = mem_tile_dma_target(address);
    target = m.column_delta == 0 ? &t : find_tile(t.col + m.column_delta, t.row);
    local = m.offset;
    if (!target || target->kind != TileKind::Mem)
      throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " addresses " + hex(address) + ", the memory of a tile that does not exist");
  }
  if (local + bytes > target->memory.size())
    throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " reaches byte " + hex(local + bytes - 1) + ", outside tile " +
                   tile_name(target->col, target->row) + "'s " + std::to_string(target->memory.size() / 1024) + " KiB memory");
  if (target->core) return target->core->data(kDataMemBase + static_cast<uint32_t>(local), bytes);
  return target->memory.data() + local;
}

bool Array::lock_acquire(Tile& t, int id, int value, bool ge, const DmaChannel& ch) {
  const LockTarget lt = bd_lock_target(t.kind, id);
  Tile* target = find_tile(t.col + lt.column_delta, t.row);
  if (!target || lt.id < 0 || lt.id >= static_cast<int>(target->locks.size()))
    throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " acquires lock " + std::to_string(id) + ", which no tile has");
  if (target->core) return target->core->try_acquire(lt.id, value, ge);
  return acquire_lock(target->locks[lt.id], value, ge);
}

void Array::lock_release(Tile& t, int id, int value, const DmaChannel& ch) {
  const LockTarget lt = bd_lock_target(t.kind, id);
  Tile* target = find_tile(t.col + lt.column_delta, t.row);
  if (!target || lt.id < 0 || lt.id >= static_cast<int>(target->locks.size()))
    throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " releases lock " + std::to_string(id) + ", which no tile has");
  if (target->core) return target->core->release(lt.id, value);
  int& l = target->locks[lt.id];
  l = std::min(kLockMax, std::max(kLockMin, l + value));
}

// An S2MM BD filled a watched buffer of a running core: the previous fill's watch closes, a new one opens.
void Array::note_fill(Tile& t, const DmaChannel& ch) {
  const uint32_t addr = kDataMemBase + static_cast<uint32_t>(ch.current.address);
  for (size_t r = 0; r < t.regions.size(); ++r) {
    if (t.regions[r].address != addr) continue;
    if (t.open_use[r] >= 0) finish_input_use(*t.core, *t.elf, static_cast<int>(r), t.inputs[t.open_use[r]]);
    t.core->mark_filled(static_cast<int>(r));
    InputUse u;
    u.fifo = ch.name();
    u.buffer = t.regions[r].name;
    u.buffer_address = addr;
    u.transfer = t.fills[ch.name()]++;
    u.fill_cycle = t.core->cycle();
    t.inputs.push_back(std::move(u));
    t.open_use[r] = static_cast<int>(t.inputs.size() - 1);
  }
}

std::vector<InputUse> Array::input_uses(int col, int row) {
  Tile* t = find_tile(col, row);
  if (!t || !t->core) return {};
  for (size_t r = 0; r < t->regions.size(); ++r)
    if (t->open_use[r] >= 0) {
      // Close the open fills as of now (a later call reopens nothing: the core goes on storing).
      InputUse u = t->inputs[t->open_use[r]];
      finish_input_use(*t->core, *t->elf, static_cast<int>(r), u);
      t->inputs[t->open_use[r]] = u;
    }
  return t->inputs;
}

void Array::load_bd(DmaChannel& ch, int bd) {
  Tile& t = *find_tile(ch.col, ch.row);
  const TileLayout& L = *t.layout;
  std::vector<uint32_t> words(L.bd_words);
  for (int k = 0; k < L.bd_words; ++k) {
    auto it = t.regs.find(L.bd_base + bd * L.bd_stride + 4 * k);
    words[k] = it == t.regs.end() ? 0 : it->second;
  }
  ch.bd = bd;
  ch.current = decode_bd(t.kind, words.data());
  if (!ch.current.valid)
    throw SimError(ch.name() + ": starts BD " + std::to_string(bd) + ", which is not marked valid (its registers were never written)");
  ch.packet_route = nullptr, ch.header_pending = false;
  if (ch.current.packet_enable && !ch.s2mm) {
    // A packet: a header word (AM020: the packet's id and type, source row and column), then the
    // BD's words. Its route from the packet-switched slave on is the one its id selects.
    if (!ch.route || ch.route->packet_slave < 0)
      throw SimError(ch.name() + ": BD " + std::to_string(bd) + " sends packets into a circuit-switched stream (its header would "
                     "arrive as data): not modelled");
    ch.packet_route = packet_branch(*ch.route, ch.current.packet_id, ch);
    ch.header_pending = true;
  }
  ch.pattern = AddressPattern(ch.current, ch.bd_uses[bd]++);
  ch.state = ChannelState::Acquire;
  if (opt_.timeline) opt_.timeline->bd_loaded(ch, dma_now_);
}

// A channel's DMA_*_STATUS as far as the simulator produces it (kDmaStatusProduced, regs.hpp): the
// tasks waiting in its start queue, whether it runs a task, and what it waits on now.
uint32_t Array::dma_status(const DmaChannel& ch) const {
  uint32_t v = static_cast<uint32_t>(std::min<size_t>(ch.queue.size(), 7)) << kDmaStatusQueueSizeLsb;
  if (ch.state != ChannelState::Idle) v |= kDmaStatusRunning;
  if (ch.state == ChannelState::Acquire) v |= kDmaStatusStalledLockAcq;
  if (ch.state == ChannelState::Move) {
    const bool starved = ch.s2mm ? !ch.route || ch.route->fifo[ch.sink_index].empty()
                                 : !ch.route || !ch.route->can_push(opt_.stream_buffer_words);
    if (starved && ch.pattern.done() < ch.pattern.words()) v |= kDmaStatusStalledStream;
  }
  return v;  // lock releases and task-complete tokens never stall here: Stalled_Lock_Rel and Stalled_TCT stay 0
}

// One cycle of one channel; true when it did something (a lock, a word, a BD or task step).
bool Array::step_channel(DmaChannel& ch, Tile& t) {
  switch (ch.state) {
    case ChannelState::Idle: {
      if (ch.queue.empty()) return false;
      ch.task = ch.queue.front();
      ch.queue.pop_front();
      ch.repeats_left = ch.task.repeat_count;
      load_bd(ch, ch.task.start_bd);
      return true;
    }
    case ChannelState::Acquire: {
      if (ch.current.lock_acq_enable) {
        const LockOp op = bd_acquire(ch.current.lock_acq_value);
        if (!lock_acquire(t, ch.current.lock_acq_id, op.value, op.acquire_ge, ch)) {
          ++ch.lock_wait_cycles;
          return false;
        }
      }
      ch.state = ChannelState::Move;
      if (opt_.timeline) opt_.timeline->bd_moving(ch, dma_now_);
      return true;
    }
    case ChannelState::Move: {
      if (ch.pattern.done() >= ch.pattern.words()) {
        ch.state = ChannelState::Release;
        return true;
      }
      if (!ch.s2mm) {
        StreamRoute* r = ch.packet_route ? ch.packet_route : ch.route;
        if (r && !ch.packet_route && r->packet_slave >= 0)
          throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " sends words without a packet header into a packet-switched " +
                         "slave (tile " + tile_name(r->packet_col, r->packet_row) + ")");
        if (!r || (r->sinks.empty() && !r->to_core()))
          throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " sends words into a stream that is routed nowhere" +
                         (r && !r->hops.empty() ? " (it ends after " + r->hops.back() + ")" : ""));
        if (ch.header_pending) {
          // The header takes the channel one cycle; the master that routes the packet drops it
          // (packet_branch refuses one that keeps it), so no sink receives it.
          ch.header_pending = false;
          return true;
        }
        if (!r->can_push(opt_.stream_buffer_words)) {
          ++ch.stream_wait_cycles;
          return false;
        }
        uint32_t w;
        std::memcpy(&w, word_at(ch, t, ch.pattern.next()), 4);
        r->push(w);
      } else {
        if (!ch.route || ch.route->fifo[ch.sink_index].empty()) {
          ++ch.stream_wait_cycles;
          return false;
        }
        auto& f = ch.route->fifo[ch.sink_index];
        const uint32_t w = f.front();
        f.pop_front();
        std::memcpy(word_at(ch, t, ch.pattern.next()), &w, 4);
      }
      ++ch.words;
      return true;
    }
    case ChannelState::Release: {
      if (ch.current.lock_rel_value != 0) lock_release(t, ch.current.lock_rel_id, ch.current.lock_rel_value, ch);
      if (opt_.timeline) opt_.timeline->bd_released(ch, dma_now_);
      ++ch.bds_done;
      if (ch.s2mm && t.core) note_fill(t, ch);
      if (ch.current.use_next_bd) {
        load_bd(ch, ch.current.next_bd);
        return true;
      }
      if (ch.repeats_left > 0) {
        --ch.repeats_left;
        load_bd(ch, ch.task.start_bd);
        return true;
      }
      ++ch.tasks_done;
      if (ch.task.enable_token_issue) ++ch.tokens, last_token_ = dma_now_;
      ch.state = ChannelState::Idle;
      return true;
    }
  }
  return false;
}

// The DMA fast path. A run of cycles can be done at once when every busy channel does the same
// thing in each of them, which holds while no channel changes state: no lock is taken or released
// (so a failed acquire fails again, and the cores do not run inside the DMA loop), no BD ends, and
// every stream route is at a fixed point: each FIFO gains a word exactly when its sink takes one,
// so the occupancies, and with them every channel's move-or-wait choice, repeat every cycle.
// Such a run moves a word on each moving channel every cycle and adds one wait per cycle to each
// waiting channel; the words go through the FIFOs in the same order, and memory is read and written
// in the per-cycle order whenever two channels' words of the run touch the same bytes.

// Whether the route's source pushes a word this cycle, after its sinks took theirs (step_channel's
// rule, sinks stepped before sources).
// Whether sink i of the route takes a word from its FIFO this cycle.
bool Array::sink_pops(const StreamRoute& r, size_t i) {
  const DmaChannel* s = r.sinks[i];
  return s->route == &r && s->sink_index == i && s->state == ChannelState::Move && !r.fifo[i].empty();
}

bool Array::route_pushes(const StreamRoute& r) const {
  const DmaChannel* src = r.source_channel;
  if (!src || src->state != ChannelState::Move || src->pattern.done() >= src->pattern.words()) return false;
  for (size_t i = 0; i < r.fifo.size(); ++i)
    if (r.fifo[i].size() - (sink_pops(r, i) ? 1 : 0) >= opt_.stream_buffer_words) return false;
  return true;
}

// The value of the lock a channel's BD names, without taking it; nothing when no tile has it (the
// step reports that).
std::optional<int> Array::lock_value(Tile& t, int id) {
  const LockTarget lt = bd_lock_target(t.kind, id);
  Tile* target = find_tile(t.col + lt.column_delta, t.row);
  if (!target || lt.id < 0 || lt.id >= static_cast<int>(target->locks.size())) return std::nullopt;
  return target->core ? target->core->lock_value(lt.id) : target->locks[lt.id];
}

uint64_t Array::dma_batch(const std::vector<std::pair<DmaChannel*, Tile*>>& busy, uint64_t max_cycles, uint64_t first_cycle) {
  // A bound on one batch's words per channel, to keep the scratch buffers small; a longer steady
  // stretch is simply several batches.
  constexpr uint64_t kMaxBatch = 4096;
  batch_movers_.clear();
  batch_lock_waits_.clear();
  batch_stream_waits_.clear();
  uint64_t k = std::min(max_cycles, kMaxBatch);
  // 1. Every busy channel must keep doing one thing for the whole run.
  for (const auto& [ch, t] : busy) {
    switch (ch->state) {
      case ChannelState::Idle:
        if (!ch->queue.empty()) return 0;  // starts a task
        continue;                          // stays idle: only the instruction stream queues tasks
      case ChannelState::Release: return 0;
      case ChannelState::Acquire: {
        if (!ch->current.lock_acq_enable) return 0;
        const std::optional<int> v = lock_value(*t, ch->current.lock_acq_id);
        if (!v) return 0;
        const LockOp op = bd_acquire(ch->current.lock_acq_value);
        if (op.acquire_ge ? *v >= op.value : *v == op.value) return 0;  // would take it
        batch_lock_waits_.push_back(ch);
        continue;
      }
      case ChannelState::Move: {
        if (ch->pattern.done() >= ch->pattern.words()) return 0;  // the BD ends
        const StreamRoute* r = ch->route;
        bool moves;
        if (ch->s2mm) {
          if (!r) {
            batch_stream_waits_.push_back(ch);
            continue;
          }
          // It takes a word iff its FIFO holds one; the FIFO stays as it is iff the source then
          // pushes exactly when it took one.
          moves = !r->fifo[ch->sink_index].empty();
          if (moves != route_pushes(*r)) return 0;
        } else {
          if (!r || r->sinks.empty() || r->to_core()) return 0;  // the step reports it
          moves = route_pushes(*r);
          for (size_t i = 0; i < r->fifo.size(); ++i)
            if (sink_pops(*r, i) != moves) return 0;
        }
        if (!moves) {
          batch_stream_waits_.push_back(ch);
          continue;
        }
        k = std::min<uint64_t>(k, ch->pattern.words() - ch->pattern.done());
        BatchMover m;
        m.ch = ch;
        batch_movers_.push_back(m);
        continue;
      }
    }
  }
  // A cycle in which nothing moves ends the quantum's DMA loop: the per-cycle step does that one.
  if (batch_movers_.empty()) return 0;
  // 2. Each mover's words as runs of host memory inside the window its last word fell in; a word
  // outside it goes through word_at_slow (checks, errors, host-buffer use), so the run stops short.
  batch_runs_.clear();
  if (batch_walks_.size() < batch_movers_.size()) batch_walks_.resize(batch_movers_.size());
  for (size_t mi = 0; mi < batch_movers_.size(); ++mi) {
    BatchMover& m = batch_movers_[mi];
    const DmaChannel& ch = *m.ch;
    AddressPattern& walk = batch_walks_[mi];
    walk = ch.pattern;
    m.first_run = batch_runs_.size();
    const int64_t stride = 4 * walk.stride_words();
    uint64_t covered = 0;
    while (covered < k) {
      const uint32_t want = static_cast<uint32_t>(std::min<uint64_t>(k - covered, walk.run_length()));
      const int64_t byte = static_cast<int64_t>(ch.current.address) + 4 * walk.take(want);
      const uint64_t b = static_cast<uint64_t>(byte);
      if (byte < 0 || ch.window_call != calls_ || b < ch.window_lo || b + 4 > ch.window_hi) break;
      const uint32_t fits = static_cast<uint32_t>(std::min<uint64_t>(want, (ch.window_hi - b - 4) / stride + 1));
      batch_runs_.push_back({ch.window_base + (b - ch.window_lo), fits, stride});
      covered += fits;
      if (fits < want) break;
    }
    m.runs = batch_runs_.size() - m.first_run;
    k = std::min(k, covered);
  }
  if (k == 0) return 0;
  // Every mover moves k words: cut the runs there and note the host bytes they cover.
  for (BatchMover& m : batch_movers_) {
    uint64_t left = k;
    size_t used = 0;
    m.lo = UINTPTR_MAX, m.hi = 0;
    for (; used < m.runs && left; ++used) {
      WordRun& run = batch_runs_[m.first_run + used];
      run.count = static_cast<uint32_t>(std::min<uint64_t>(run.count, left));
      left -= run.count;
      const uintptr_t first = reinterpret_cast<uintptr_t>(run.at);
      m.lo = std::min(m.lo, first);
      m.hi = std::max(m.hi, first + static_cast<uintptr_t>(run.count - 1) * static_cast<uintptr_t>(run.stride) + 4);
    }
    m.runs = used;
  }
  // 3. Channel by channel when no written byte is touched by another mover; else cycle by cycle
  // in the step's order (sinks, then sources, each in `busy` order), so races resolve alike.
  bool apart = true;
  for (const BatchMover& w : batch_movers_) {
    if (!w.ch->s2mm) continue;
    for (const BatchMover& o : batch_movers_)
      if (&o != &w && w.lo < o.hi && o.lo < w.hi) apart = false;
  }
  auto runs_of = [&](const BatchMover& m) { return &batch_runs_[m.first_run]; };
  if (apart) {
    batch_words_.resize(k);
    batch_in_.resize(k);
    for (const BatchMover& src : batch_movers_) {
      if (src.ch->s2mm) continue;
      uint32_t* out = batch_words_.data();
      for (const WordRun* run = runs_of(src); run != runs_of(src) + src.runs; ++run) {
        if (run->stride == 4) {
          std::memcpy(out, run->at, 4 * size_t{run->count});
        } else {
          for (uint32_t j = 0; j < run->count; ++j) std::memcpy(out + j, run->at + j * run->stride, 4);
        }
        out += run->count;
      }
      // Each sink takes the words its FIFO held, then the source's first ones; the FIFO keeps the
      // source's last words, as many as it held.
      StreamRoute& r = *src.ch->route;
      for (size_t i = 0; i < r.fifo.size(); ++i) {
        WordFifo& f = r.fifo[i];
        const size_t held = std::min<size_t>(f.size(), k);
        f.pop_front(batch_in_.data(), held);
        std::memcpy(batch_in_.data() + held, batch_words_.data(), 4 * (k - held));
        f.push_back(batch_words_.data() + (k - held), held);
        const BatchMover* sink = nullptr;
        for (const BatchMover& m : batch_movers_)
          if (m.ch == r.sinks[i]) sink = &m;
        const uint32_t* in = batch_in_.data();
        for (const WordRun* run = runs_of(*sink); run != runs_of(*sink) + sink->runs; ++run) {
          if (run->stride == 4) {
            std::memcpy(run->at, in, 4 * size_t{run->count});
          } else {
            for (uint32_t j = 0; j < run->count; ++j) std::memcpy(run->at + j * run->stride, in + j, 4);
          }
          in += run->count;
        }
      }
    }
  } else {
    struct Cursor {
      const WordRun* run;
      uint32_t j;
    };
    std::vector<Cursor> at(batch_movers_.size());
    for (size_t mi = 0; mi < batch_movers_.size(); ++mi) at[mi] = {runs_of(batch_movers_[mi]), 0};
    for (uint64_t c = 0; c < k; ++c)
      for (size_t mi = 0; mi < batch_movers_.size(); ++mi) {
        DmaChannel& ch = *batch_movers_[mi].ch;
        Cursor& cur = at[mi];
        uint8_t* p = cur.run->at + cur.j * cur.run->stride;
        if (++cur.j == cur.run->count) ++cur.run, cur.j = 0;
        if (ch.s2mm) {
          WordFifo& f = ch.route->fifo[ch.sink_index];
          const uint32_t w = f.front();
          f.pop_front();
          std::memcpy(p, &w, 4);
        } else {
          uint32_t w;
          std::memcpy(&w, p, 4);
          for (WordFifo& f : ch.route->fifo) f.push_back(w);
        }
      }
  }
  // 4. The counters, as k per-cycle steps would leave them.
  for (size_t mi = 0; mi < batch_movers_.size(); ++mi) {
    DmaChannel& ch = *batch_movers_[mi].ch;
    ch.pattern.skip(k);
    ch.words += k;
    if (!ch.s2mm) ch.route->words += k;
  }
  for (DmaChannel* ch : batch_lock_waits_) ch->lock_wait_cycles += k;
  for (DmaChannel* ch : batch_stream_waits_) ch->stream_wait_cycles += k;
  dma_now_ = first_cycle + k - 1;
  return k;
}

}  // namespace attncheck::aie2::array

namespace attncheck::aie2::array {

uint8_t* Array::word_at_slow(DmaChannel& ch, Tile& t, int64_t byte) {
  const uint64_t b = static_cast<uint64_t>(byte);
  if (byte < 0)
    throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " steps to a negative address (" + std::to_string(byte) + ")");
  if (t.kind != TileKind::Shim) {
    uint8_t* p = memory(t, b, 4, ch);
    // The whole memory this word is in: a compute tile's own, or the memory tile (own or a
    // neighbour's) its 512 KiB window names; memory() checked this word against it.
    // (Every memory tile has the same 512 KiB; a compute tile's memory is its layout's size.)
    const uint64_t size = t.kind == TileKind::Mem ? 512 * 1024 : t.memory.size();
    if (t.kind == TileKind::Mem && t.memory.size() != size) return p;  // no window: every word checked
    ch.window_lo = b / size * size, ch.window_hi = ch.window_lo + size;
    ch.window_base = p - (b - ch.window_lo);
    ch.window_call = calls_;
    return p;
  }
  // Shim DMA: the address is a device (DDR) address; it must fall inside one host buffer.
  for (const auto& h : host_)
    if (b >= h.device_address && b + 4 <= h.device_address + h.bytes->size()) {
      ArgumentUse& use = argument_use_[h.arg];
      (ch.s2mm ? use.written : use.read) = true;
      ch.window_lo = h.device_address, ch.window_hi = h.device_address + h.bytes->size();
      ch.window_base = h.bytes->data();
      ch.window_call = calls_;
      return h.bytes->data() + (b - h.device_address);
    }
  std::string args;
  for (const auto& h : host_)
    args += (args.empty() ? "" : ", ") + std::to_string(h.arg) + ": " + std::to_string(h.bytes->size()) + " B at " + hex(h.device_address);
  throw SimError(ch.name() + ": BD " + std::to_string(ch.bd) + " reaches DDR address " + hex(byte) +
                 ", inside no host buffer (kernel arguments " + (args.empty() ? "none" : args) + ")");
}

std::vector<std::pair<DmaChannel*, Array::Tile*>> Array::channels() {
  std::vector<std::pair<DmaChannel*, Tile*>> out;
  // Sinks before sources: a word pushed in a cycle is taken the cycle after.
  for (auto& [k, t] : tiles_)
    for (auto& c : t->s2mm) out.push_back({&c, t.get()});
  for (auto& [k, t] : tiles_)
    for (auto& c : t->mm2s) out.push_back({&c, t.get()});
  return out;
}

// Follows a stream from slave `slave_index` of tile `t` through every master that selects it.
StreamRoute* Array::trace_route(Tile& t, int slave, const std::string& source, std::vector<std::string>& hops, int depth) {
  if (depth > 64) throw SimError("stream from " + source + " loops through the switches (" + std::to_string(hops.size()) + " hops)");
  StreamRoute* route = routes_.back().get();
  const TileLayout& L = *t.layout;
  const auto slave_reg = t.regs.find(L.slave_base + 4 * slave);
  const auto sport = slave_port(t.kind, slave);
  const std::string here = "tile " + tile_name(t.col, t.row) + " slave " + (sport ? port_name(*sport) : std::to_string(slave));
  hops.push_back(here);
  if (slave_reg == t.regs.end() || !decode_slave(slave_reg->second).enable) return route;  // stops at a disabled port
  if (decode_slave(slave_reg->second).packet_enable) {
    // Packet switched: where the words go depends on each packet's id (packet_branch).
    if (route->branch || route->packet_slave >= 0)
      throw SimError("stream from " + source + ": " + here + " is packet-switched, after another packet switch on the way; "
                     "packets through two switches are not modelled");
    route->packet_col = t.col, route->packet_row = t.row, route->packet_slave = slave;
    return route;
  }
  for (int m = 0; m < L.master_count(); ++m) {
    const auto it = t.regs.find(L.master_base + 4 * m);
    if (it == t.regs.end()) continue;
    const MasterConfig mc = decode_master(it->second);
    if (!mc.enable || mc.packet_enable || mc.slave_select() != slave) continue;
    follow_master(t, m, route, source, hops, depth);
  }
  return route;
}

void Array::follow_master(Tile& t, int m, StreamRoute* route, const std::string& source, std::vector<std::string>& hops, int depth) {
  const std::string here = "tile " + tile_name(t.col, t.row);
  const auto mport = master_port(t.kind, m);
  if (!mport) throw SimError("stream from " + source + ": " + here + " feeds master " + std::to_string(m) + ", which tile " +
                             tile_name(t.col, t.row) + " does not have");
  hops.push_back("tile " + tile_name(t.col, t.row) + " master " + port_name(*mport));
  // A channel two streams reach would take their words interleaved by the switch's arbitration.
  auto add_sink = [&](DmaChannel& sink) {
    if (sink.route && sink.route != route)
      throw SimError("streams from " + sink.route->source + " and " + source + " both reach " + sink.name() +
                     ": merging streams (packet arbitration) is not modelled");
    sink.route = route;
    sink.sink_index = route->fifo.size();
    route->sinks.push_back(&sink);
    route->fifo.emplace_back();
  };
  switch (mport->type) {
    case PortType::Dma: add_sink(t.s2mm.at(mport->channel)); break;
    case PortType::Core: {
      // The core's input stream port: its words wait for `mov r, SS` (CorePorts).
      CorePorts& p = t.ports;
      if (p.in_route && p.in_route != route)
        throw SimError("streams from " + p.in_route->source + " and " + source + " both reach " + p.name +
                       "'s input stream port: merging streams (packet arbitration) is not modelled");
      p.in_route = route;
      route->core_fifos.push_back(&p.in);
      route->core_names.push_back(p.name);
      break;
    }
    case PortType::South:
      if (t.kind == TileKind::Shim) {
        std::optional<int> ch;
        for (int c = 0; c < t.layout->s2mm_channels; ++c)
          if (shim_s2mm_master(c, reg_or_zero(t.regs, t.layout->demux_config)) == mport) ch = c;
        if (!ch) throw SimError("stream from " + source + " leaves the array at shim " + tile_name(t.col, t.row) + " " +
                                port_name(*mport) + " toward the NoC/PL, which is not modelled");
        add_sink(t.s2mm.at(*ch));
        break;
      }
      [[fallthrough]];
    case PortType::North:
    case PortType::East:
    case PortType::West: {
      const auto next = connected_slave(t.col, t.row, *mport);
      if (!next) throw SimError("stream from " + source + " leaves tile " + tile_name(t.col, t.row) + " through " + port_name(*mport) +
                                " toward no tile");
      const auto [c2, r2, p2] = *next;
      Tile& t2 = tile(c2, r2, "stream from " + source);
      const int s2 = slave_index(t2.kind, p2);
      if (s2 < 0) throw SimError("stream from " + source + " reaches tile " + tile_name(c2, r2) + " at " + port_name(p2) + ", no slave port there");
      trace_route(t2, s2, source, hops, depth + 1);
      break;
    }
    default:
      throw SimError("stream from " + source + " reaches " + port_name(*mport) + " of tile " + tile_name(t.col, t.row) + ", which is not modelled");
  }
}

StreamRoute* Array::packet_branch(StreamRoute& r, int id, const DmaChannel& from) {
  if (const auto it = r.branches.find(id); it != r.branches.end()) return it->second;
  Tile& t = *find_tile(r.packet_col, r.packet_row);
  const TileLayout& L = *t.layout;
  const auto sport = slave_port(t.kind, r.packet_slave);
  const std::string here = "tile " + tile_name(t.col, t.row) + " slave " + (sport ? port_name(*sport) : std::to_string(r.packet_slave));
  // The first enabled slot whose id matches under its mask (Stream_Switch_Slave_<port>_Slot<k>).
  std::optional<SlotConfig> slot;
  for (int k = 0; k < L.slots_per_slave && !slot; ++k) {
    const SlotConfig sc = decode_slot(reg_or_zero(t.regs, L.slot_offset(r.packet_slave, k)));
    if (sc.enable && (id & sc.mask) == (sc.id & sc.mask)) slot = sc;
  }
  if (!slot)
    throw SimError(from.name() + ": BD " + std::to_string(from.bd) + " sends packet id " + std::to_string(id) + ", which no slot of " + here +
                   " matches");
  routes_.push_back(std::make_unique<StreamRoute>());
  StreamRoute* b = routes_.back().get();
  b->source = r.source + " packet " + std::to_string(id);
  b->hops = r.hops;
  b->branch = true;
  // Every packet master of the tile that has the slot's msel enabled and its arbiter (Master_Config:
  // Packet_Enable, Drop_Header 7, msel enables 6:3, arbiter 2:0).
  for (int m = 0; m < L.master_count(); ++m) {
    const MasterConfig mc = decode_master(reg_or_zero(t.regs, L.master_offset(m)));
    if (!mc.enable || !mc.packet_enable || !((mc.msel_mask() >> slot->msel) & 1) || mc.arbiter() != slot->arbiter) continue;
    if (!mc.drop_header)
      throw SimError(from.name() + ": packet id " + std::to_string(id) + " leaves " + here + " through master " + std::to_string(m) +
                     " with its header kept; a header delivered as data is not modelled");
    follow_master(t, m, b, b->source, b->hops, 0);
  }
  r.branches[id] = b;
  return b;
}

void Array::resolve_routes() {
  // Words in flight stay with their routes only while the switches do not change; the
  // instruction stream reconfigures switches only between transfers in the designs seen.
  for (const auto& r : routes_)
    for (const auto& f : r->fifo)
      if (!f.empty()) throw SimError("a stream switch was reconfigured while words from " + r->source + " were in flight");
  for (auto& [k, t] : tiles_)
    if (!t->ports.in.empty())
      throw SimError("a stream switch was reconfigured while words for " + t->ports.name + "'s input stream port were in flight");
  routes_.clear();
  for (auto& [k, t] : tiles_) {
    for (auto* v : {&t->s2mm, &t->mm2s})
      for (auto& c : *v) c.route = nullptr, c.packet_route = nullptr;
    t->ports.in_route = t->ports.out_route = nullptr;
  }
  // Tiles a route reaches may be created while tracing: take the sources first.
  std::vector<std::pair<Tile*, DmaChannel*>> sources;
  for (auto& [k, t] : tiles_)
    for (auto& c : t->mm2s) sources.push_back({t.get(), &c});
  for (auto [t, c] : sources) {
    int slave = -1;
    if (t->kind == TileKind::Shim) {
      const auto port = shim_mm2s_slave(c->channel, reg_or_zero(t->regs, t->layout->mux_config));
      if (port) slave = slave_index(t->kind, *port);
    } else {
      slave = slave_index(t->kind, StreamPort{PortType::Dma, c->channel});
    }
    routes_.push_back(std::make_unique<StreamRoute>());
    StreamRoute* r = routes_.back().get();
    r->source = c->name();
    r->source_channel = c;
    c->route = r;
    if (slave >= 0) trace_route(*t, slave, r->source, r->hops, 0);
  }
  // Each compute tile's output stream port (the switch's Core slave 0, aie-rt's AieMlTileStrmSwSlavePortMap).
  std::vector<Tile*> compute;
  for (auto& [k, t] : tiles_)
    if (t->kind == TileKind::Compute) compute.push_back(t.get());
  for (Tile* t : compute) {
    routes_.push_back(std::make_unique<StreamRoute>());
    StreamRoute* r = routes_.back().get();
    r->source = t->ports.name;  // no DMA channel pushes: the core's `mov ms` does (CorePorts::put)
    t->ports.out_route = r;
    const int slave = slave_index(t->kind, StreamPort{PortType::Core, 0});
    if (slave >= 0) trace_route(*t, slave, r->source, r->hops, 0);
  }
  // A channel in the middle of a packet BD takes its packet's route again.
  for (auto [t, c] : sources)
    if (c->state != ChannelState::Idle && c->current.packet_enable && c->route && c->route->packet_slave >= 0)
      c->packet_route = packet_branch(*c->route, c->current.packet_id, *c);
  routes_dirty_ = false;
}

std::string Array::waits() const {
  std::string s;
  auto add = [&](const std::string& x) { s += (s.empty() ? "" : "; ") + x; };
  // The cores first, then the channels: a long line is cut for the terminal (cli/main.cpp), and
  // what the cores wait on is most often where a hang starts.
  for (const auto& [k, t] : tiles_) {
    if (t->core && !t->core_done) {
      const Core::Wait& w = t->core->waiting();
      if (w.port != Core::Wait::Port::None) {
        add("core " + tile_name(t->col, t->row) +
            (w.port == Core::Wait::Port::StreamIn ? " waits for a word at its input stream port (" +
                                                        (t->ports.in_route ? "from " + t->ports.in_route->source : std::string("no stream reaches it")) + ")"
                                                  : std::string(" waits for room at its output stream port")) +
            " at " + t->core->where());
      } else if (w.id < 0) {
        add("core " + tile_name(t->col, t->row) + " runs at " + t->core->where());
      } else {
        // The lock as the core names it (48.. its own, 0/16/32.. its south, west, north neighbour's).
        static const char* const kSide[] = {"south", "west", "north", "own"};
        const std::optional<int> v = t->core->lock_value_named(w.id);
        add("core " + tile_name(t->col, t->row) + " waits on lock " + std::to_string(w.id) +
            (w.id < kLocalLockBase ? std::string(" (") + kSide[w.id / kLocks] + " " + std::to_string(w.id % kLocks) + ")" : std::string()) +
            (w.ge ? " >= " : " == ") + std::to_string(w.value) + " (value " + (v ? std::to_string(*v) : std::string("unknown")) + ") at " +
            t->core->where());
      }
    }
  }
  for (const auto& [k, t] : tiles_) {
    for (const auto* v : {&t->s2mm, &t->mm2s})
      for (const auto& c : *v) {
        if (!c.busy()) continue;
        std::string what = c.state == ChannelState::Acquire
                               ? "waits to acquire lock " + std::to_string(c.current.lock_acq_id) + " (BD " + std::to_string(c.bd) + ")"
                           : c.state == ChannelState::Move ? (c.s2mm ? "waits for stream words" : "waits for stream space") +
                                                                std::string(" at word ") + std::to_string(c.pattern.done()) + " of " +
                                                                std::to_string(c.pattern.words()) + " (BD " + std::to_string(c.bd) + ")"
                                                          : "has queued tasks";
        add(c.name() + " " + what);
      }
  }
  return s.empty() ? "nothing is running" : s;
}

void Array::deadlock(const std::string& waiting_op) {
  throw SimError("deadlock at cycle " + std::to_string(now_) + ": " + waiting_op + ", and nothing can move: " + waits());
}

// Executes instruction-stream operations until one must wait; true when any executed.
// The sync that waited in an earlier quantum waits on: the first of its channels without a token
// is still busy (an idle one goes to the full test, which names it).
bool Array::sync_still_waits() const {
  for (const DmaChannel* ch : sync_want_)
    if (ch->tokens == 0) return ch->busy();
  return false;
}

bool Array::run_ops() {
  bool any = false;
  while (next_op_ < insts_->ops.size()) {
    const NpuOp& op = insts_->ops[next_op_];
    if (op.kind == NpuOpKind::Sync && sync_call_ == calls_ && sync_op_ == next_op_ && sync_still_waits()) return any;
    const std::string origin = insts_->path + ": word " + std::to_string(op.word_index);
    switch (op.kind) {
      case NpuOpKind::Write32: write({op.address, op.value, ~0u}, origin); break;
      case NpuOpKind::MaskWrite: write({op.address, op.value, op.mask}, origin); break;
      case NpuOpKind::BlockWrite:
        for (size_t k = 0; k < op.data.size(); ++k) write({op.address + 4 * k, op.data[k], ~0u}, origin);
        break;
      case NpuOpKind::DdrPatch: {
        const HostBuffer* h = nullptr;
        for (const auto& b : host_)
          if (b.arg == op.arg_index + insts_->first_buffer_kernel_arg) h = &b;
        if (!h) throw SimError(origin + ": patches a DDR address with runtime argument " + std::to_string(op.arg_index) + " (XRT kernel argument " +
                               std::to_string(op.arg_index + insts_->first_buffer_kernel_arg) + "), which the call does not pass");
        if (op.arg_offset >= h->bytes->size() && !h->bytes->empty())
          throw SimError(origin + ": patches an address " + std::to_string(op.arg_offset) + " B into argument " +
                         std::to_string(op.arg_index) + ", which holds " + std::to_string(h->bytes->size()) + " B");
        write({op.address, static_cast<uint32_t>(h->device_address + op.arg_offset), ~0u}, origin);
        break;
      }
      case NpuOpKind::WriteShimBd: {
        // The legacy stream writes a whole shim BD with its buffer named by argument and offset.
        const HostBuffer* h = nullptr;
        for (const auto& b : host_)
          if (b.arg == op.arg_index + insts_->first_buffer_kernel_arg) h = &b;
        if (!h) throw SimError(origin + ": writes a shim BD for runtime argument " + std::to_string(op.arg_index) + " (XRT kernel argument " +
                               std::to_string(op.arg_index + insts_->first_buffer_kernel_arg) + "), which the call does not pass");
        const TileLayout& L = layout(TileKind::Shim);
        for (size_t k = 0; k < op.data.size(); ++k)
          write({tile_address(op.column, 0, L.bd_offset(op.bd_id, static_cast<int>(k))), op.data[k], ~0u}, origin);
        write({tile_address(op.column, 0, L.bd_offset(op.bd_id, 1)), static_cast<uint32_t>(h->device_address + op.arg_offset), ~0u}, origin);
        break;
      }
      case NpuOpKind::Sync: {
        std::vector<DmaChannel*>& want = sync_want_;
        want.clear();
        sync_call_ = calls_, sync_op_ = next_op_;
        for (int c = op.column; c < op.column + op.column_count; ++c)
          for (int r = op.row; r < op.row + op.row_count; ++r) {
            Tile& t = tile(c, r, origin);
            auto& chans = op.direction == 0 ? t.s2mm : t.mm2s;
            if (op.channel < 0 || op.channel >= static_cast<int>(chans.size()))
              throw SimError(origin + ": syncs on channel " + std::to_string(op.channel) + " of tile " + tile_name(c, r) + ", which has " +
                             std::to_string(chans.size()));
            want.push_back(&chans[op.channel]);
          }
        for (auto* ch : want)
          if (ch->tokens == 0) {
            if (!ch->busy()) {
              // Nothing queued will ever issue the token: the device would wait forever.
              throw SimError(origin + ": waits for a task of " + ch->name() + " to complete, but the channel has no task (" +
                             std::to_string(ch->tasks_done) + " done, none issuing a token is pending)");
            }
            return any;
          }
        for (auto* ch : want) --ch->tokens;
        want.clear();
        break;
      }
      case NpuOpKind::MaskPoll: {
        // The device re-reads the register until (value & mask) == expected. A DMA channel's status
        // is produced from the channel (dma_status); a register the configuration wrote reads back
        // what was written; anything else (other status, counters, events) the simulator does not
        // produce, and a poll of it is refused rather than answered with a default.
        const RegisterAddress a = split_address(op.address);
        Tile& t = tile(a.col, a.row, origin);
        const RegHit hit = classify(t.kind, a.offset);
        uint32_t v = 0;
        if (hit.kind == RegKind::ChannelStatus) {
          if (op.mask & ~kDmaStatusProduced)
            throw SimError(origin + ": polls " + register_name(t.kind, a.offset) + " of tile " + tile_name(a.col, a.row) + " with mask " +
                           hex(op.mask) + ": the simulator produces only its queue size, running and stall bits (" +
                           hex(kDmaStatusProduced) + "), not Cur_BD, Status or the error bits");
          auto& chans = hit.s2mm ? t.s2mm : t.mm2s;
          if (hit.index >= static_cast<int>(chans.size()))
            throw SimError(origin + ": polls the status of " + std::string(hit.s2mm ? "S2MM" : "MM2S") + " channel " +
                           std::to_string(hit.index) + " of tile " + tile_name(a.col, a.row) + ", which has " + std::to_string(chans.size()));
          v = dma_status(chans[hit.index]);
          if ((v & op.mask) != op.value) {
            // Waits like a sync: the channel moves on in the cycles that follow. A channel that is
            // idle with nothing queued will never change (the deadlock check names it).
            if (!chans[hit.index].busy())
              throw SimError(origin + ": polls " + chans[hit.index].name() + "'s status for " + hex(op.value) + " under mask " +
                             hex(op.mask) + ", but the channel is idle with nothing queued: its status reads " + hex(v & op.mask) + " for ever");
            return any;
          }
          break;
        }
        const bool held = hit.kind == RegKind::Bd || hit.kind == RegKind::ChannelCtrl || hit.kind == RegKind::StreamMaster ||
                          hit.kind == RegKind::StreamSlave || hit.kind == RegKind::StreamSlot || hit.kind == RegKind::ShimMux ||
                          hit.kind == RegKind::ShimDemux;
        if (!held)
          throw SimError(origin + ": polls " + register_name(t.kind, a.offset) + " of tile " + tile_name(a.col, a.row) +
                         ", a register whose value the simulator does not produce (of the status registers only the DMA channels' are "
                         "modelled)");
        const auto it = t.regs.find(a.offset);
        v = it == t.regs.end() ? 0 : it->second;
        if ((v & op.mask) != op.value)
          throw SimError(origin + ": polls " + register_name(t.kind, a.offset) + " of tile " + tile_name(a.col, a.row) + " for " +
                         hex(op.value) + " under mask " + hex(op.mask) + ", but it holds " + hex(v) + " as configured, and nothing changes it");
        break;
      }
      case NpuOpKind::Noop: break;
      default:
        throw SimError(origin + ": " + describe(op) + ": this operation is not modelled");
    }
    ++next_op_;
    any = true;
  }
  return any;
}

// Each running core reaches its south, west and north compute neighbours' memories and locks
// (Core::set_neighbour): their cores' when they run, else the tiles' own.
void Array::connect_neighbours() {
  const int dc[3] = {0, -1, 0}, dr[3] = {-1, 0, 1};
  for (auto& [k, t] : tiles_) {
    if (!t->core) continue;
    for (int side = 0; side < 3; ++side) {
      Tile* n = find_tile(t->col + dc[side], t->row + dr[side]);
      Core::Neighbour nb;
      if (n && n->kind == TileKind::Compute) {
        nb.memory = n->core ? n->core->memory_data() : n->memory.data();
        nb.locks = n->core ? n->core->lock_data() : n->locks.data();
      }
      t->core->set_neighbour(side, nb);
    }
  }
  neighbours_connected_ = true;
}

void Array::call(const InstructionStream& insts, const std::map<int, std::vector<uint8_t>*>& args) {
  if (!neighbours_connected_) connect_neighbours();
  insts_ = &insts;
  ++calls_;  // the channels' memory windows are from earlier calls now (host buffers change)
  next_op_ = 0;
  const uint64_t call_start = now_;
  last_token_ = 0;
  host_.clear();
  for (const auto& [arg, bytes] : args) {
    const int first = insts.first_buffer_kernel_arg;
    if (arg < first || arg >= first + 14)
      throw SimError("kernel argument " + std::to_string(arg) + ": buffers are arguments " + std::to_string(first) + ".." +
                     std::to_string(first + 13));
    if (bytes->size() > kHostWindow) throw SimError("kernel argument " + std::to_string(arg) + " is larger than 256 MiB");
    host_.push_back({arg, bytes, kHostWindowBase + kHostWindow * static_cast<uint64_t>(arg - first)});
  }
  uint64_t last_progress = now_;
  const uint64_t started = now_;
  dma_moved_ = true;  // free quanta only after a DMA phase of this call moved nothing
  std::vector<std::pair<DmaChannel*, Tile*>> chans, busy;
  busy_scan_pushes_ = kRescan;
  // The tiles in the map's order (column, then row), looked at every quantum: a flat list.
  std::vector<Tile*> ordered;
  size_t known_tiles = 0;
  while (true) {
    bool progressed = run_ops();
    if (next_op_ == insts.ops.size()) break;
    if (routes_dirty_) resolve_routes();
    if (!neighbours_connected_) connect_neighbours();
    if (tiles_.size() != known_tiles || chans.empty()) {
      chans = channels(), known_tiles = tiles_.size();
      busy_scan_pushes_ = kRescan;
      ordered.clear();
      for (auto& kt : tiles_) ordered.push_back(kt.second.get());
    }
    bool cores_ran = false;
    for (Tile* t : ordered)
      if (t->stand_in)
        for (int step = 0; step < 64 && step_stand_in(*t); ++step) cores_ran = true;
    // The cores' share of the run, timed around all of them at once: a clock read per core and
    // quantum would itself be a visible share of a short quantum.
    const auto cores_from = opt_.time_cores ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    // Free quanta first (they end at a quantum whose cores then finish as below); else this quantum's isolated stretches.
    bool isolated = threads_ && !progressed && !cores_ran && run_free_quanta(ordered, chans, busy, last_progress, started);
    const uint64_t target = now_ + opt_.quantum;
    if (threads_ && !isolated) isolated = run_isolated_stretches(ordered, target);
    for (size_t k = 0; k < ordered.size(); ++k) {
      Tile* t = ordered[k];
      if (!t->core || t->core_done) continue;
      if (t->core_time >= target) continue;
      const int slot = isolated ? isolated_slot_[k] : -1;
      if (opt_.timeline)  // profiles exist only with a timeline (and then there is one thread)
        if (CoreProfile* p = t->core->profile()) p->time_offset = t->core_time - t->core->cycle();
      Stop stop;
      uint64_t issued = 0;
      try {
        if (slot < 0) {
          const uint64_t before = t->core->stats().bundles;
          stop = t->core->run(target - t->core_time);
          issued = t->core->stats().bundles - before;
        } else {
          // Its isolated stretch ran on a host thread; what it ended on is settled here, in tile
          // order, as if the core had run now; a neighbour access ahead is run now.
          const IsolatedOut& out = isolated_out_[static_cast<size_t>(slot)];
          if (out.error) std::rethrow_exception(out.error);
          stop = out.stop;
          issued = out.issued;
          if (stop == Stop::Neighbour || stop == Stop::Lock) {
            const uint64_t before = t->core->stats().bundles;
            stop = t->core->run(target - t->core_time - issued);
            issued += t->core->stats().bundles - before;
          }
        }
      } catch (const SimError& e) {
        t->core_state = std::string("stopped: ") + e.what();
        throw SimError("core " + tile_name(t->col, t->row) + ", cycle " + std::to_string(t->core_time) + ": " + e.what());
      }
      t->core_time += issued;
      if (issued) cores_ran = true;
      if (stop == Stop::Done) {
        t->core_done = true;
        t->core_state = "done at " + t->core->where();
        if (opt_.timeline) opt_.timeline->core_done(t->col, t->row, t->core_time);
      } else if (stop == Stop::Blocked) {
        if (opt_.timeline)
          opt_.timeline->core_blocked(t->col, t->row, t->core_time, target, t->core->pc(), t->core->waiting().id);
        t->stall() += target - t->core_time;
        t->core_time = target;
      }
    }
    if (opt_.time_cores) core_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - cores_from).count();
    const bool moved = dma_phase(chans, busy);
    now_ = target;
    if (moved || progressed) last_progress = now_;
    if (!moved && !progressed && !cores_ran) deadlock(insts.path + ": word " + std::to_string(insts.ops[next_op_].word_index) + " (" +
                                                     describe(insts.ops[next_op_]) + ") waits");
    if (now_ - last_progress > opt_.max_cycles)
      throw SimError("no DMA word and no instruction moved in " + std::to_string(opt_.max_cycles) + " cycles (--sim-max-cycles): " + waits());
    if (opt_.cycle_budget && now_ - started > opt_.cycle_budget)
      throw SimError("the call ran " + std::to_string(now_ - started) + " cycles, its budget: " + waits());
    if (opt_.poll) opt_.poll();
  }
  insts_ = nullptr;
  host_.clear();
  last_call_cycles_ = (last_token_ >= call_start && last_token_ > 0 ? last_token_ + 1 : now_) - call_start;
  if (opt_.timeline) opt_.timeline->call_span(call_start, call_start + last_call_cycles_, "XRT call");
}

bool Array::dma_phase(const std::vector<std::pair<DmaChannel*, Tile*>>& chans, std::vector<std::pair<DmaChannel*, Tile*>>& busy) {
  bool moved = false;
  // Only the instruction stream queues tasks (run_ops), so a channel idle with an empty queue now
  // stays idle for the whole quantum: stepping it would do nothing. Nor can it become busy later
  // without a push: with none since the last scan, the busy channels are the last list's that still
  // are, in the same (chans) order, and the scan of every channel, each in its own cache line, is
  // spared (it was a twentieth of the 4-core attention's one-thread run, on the thread the others wait for).
  if (opt_.reference_dma || busy_scan_pushes_ != queue_pushes_) {
    busy.clear();
    for (const auto& c : chans)
      if (c.first->busy()) busy.push_back(c);
    busy_scan_pushes_ = queue_pushes_;
  } else {
    busy.erase(std::remove_if(busy.begin(), busy.end(), [](const auto& c) { return !c.first->busy(); }), busy.end());
  }
  for (uint64_t c = 0; c < opt_.quantum && !busy.empty();) {
    if (!opt_.reference_dma) {
      // A run of cycles in which every channel does the same thing each cycle, at once.
      if (const uint64_t k = dma_batch(busy, opt_.quantum - c, now_ + c)) {
        c += k;
        moved = true;
        continue;
      }
    }
    bool any = false;
    dma_now_ = now_ + c;
    for (const auto& [ch, t] : busy) any |= step_channel(*ch, *t);
    if (!any) break;
    moved = true;
    ++c;
  }
  dma_moved_ = moved;
  return moved;
}

// Free quanta (docs/aie2-array.md). When the last DMA phase moved nothing (every busy channel
// waited on a lock or a stream, its one step a wait) and the instruction stream made no progress
// (it waits on a sync or a poll of those channels), the next DMA phase does exactly the same
// unless something it reads changes: a lock (only lock operations change one; the DMA's own
// releases need a word moved first) or a register the instruction stream writes (it waits).
// Cores that do no lock operation and touch only their own tile's memory change neither, and read
// nothing a waiting channel writes. So such cores may run quantum after quantum with the DMA's
// phases left for later: the phases are then replayed in order, each moving nothing, as the
// one-thread run does them; one that moved would be a simulator defect, and stops the run.
// The threads meet once a window (free_worker), through a counter each (FreeProgress). The first
// stop of any core (a lock operation, a neighbour, done, an error) ends the free run in its
// quantum, every core put where the one-quantum-at-a-time order leaves it: there, the stopped
// cores finish as in any quantum (isolated stretches, then tile order), and the DMA's phase follows.
bool Array::run_free_quanta(const std::vector<Tile*>& ordered, const std::vector<std::pair<DmaChannel*, Tile*>>& chans,
                            std::vector<std::pair<DmaChannel*, Tile*>>& busy, uint64_t last_progress, uint64_t started) {
  if (!opt_.free_quanta || dma_moved_) return false;
  // The checks after each quantum (call()) may not fire inside the free quanta: the run stops
  // before the first quantum that could, and that one runs as ever.
  int64_t quanta = kFreeQuantaBound;  // a poll (opt_.poll) between
  const uint64_t idle = now_ - last_progress;
  if (idle >= opt_.max_cycles) return false;
  quanta = std::min<int64_t>(quanta, static_cast<int64_t>((opt_.max_cycles - idle) / opt_.quantum));
  if (opt_.cycle_budget) {
    const uint64_t used = now_ - started;
    if (used >= opt_.cycle_budget) return false;
    quanta = std::min<int64_t>(quanta, static_cast<int64_t>((opt_.cycle_budget - used) / opt_.quantum));
  }
  if (quanta < 2) return false;
  free_slots_.clear();
  free_blocked_.clear();
  // A core blocked on an acquire that would fail now stays blocked: only a lock operation or a DMA
  // release changes a lock (a core after it in tile order may have released it in the last
  // quantum: then it runs). It touches nothing else, so it is no running core for the others'
  // isolation.
  // So does a core blocked on a stream port that cannot go ahead now: only a DMA channel's word or
  // another core's stream access (which ends the free run) changes that.
  const auto blocked = [](const Tile* t) {
    const Core::Wait& w = t->core->waiting();
    if (w.port != Core::Wait::Port::None) return !t->core->stream_ready();
    if (w.id < 0) return false;
    const std::optional<int> v = t->core->lock_value_named(w.id);
    return v && (w.ge ? *v < w.value : *v != w.value);
  };
  for (size_t k = 0; k < ordered.size(); ++k) {
    Tile* t = ordered[k];
    if (t->stand_in) return false;
    if (!t->core || t->core_done) continue;
    // Every core starts the quantum with it (none blocked past it).
    if (t->core_time != now_) return false;
    if (blocked(t)) {
      free_blocked_.push_back(t);
      continue;
    }
    // Isolated: no running core before it in tile order reaches its tile (run_isolated_stretches).
    const Tile* below = find_tile(t->col, t->row - 1);
    if (below && below->core && !below->core_done && !blocked(below)) return false;
    FreeSlot slot;
    slot.tile = t, slot.order = k;
    std::unique_ptr<Core>& checkpoint = free_checkpoints_[t->core.get()];
    if (!checkpoint) checkpoint = std::make_unique<Core>(*t->core);
    slot.checkpoint = checkpoint.get();
    slot.isolated = !(below && below->core && !below->core_done);
    free_slots_.push_back(slot);
  }
  if (free_slots_.size() < 2) return false;
  const size_t threads = static_cast<size_t>(threads_->threads());
  if (!free_progress_) free_progress_ = std::make_unique<FreeProgress[]>(64);
  for (size_t w = 0; w < threads; ++w) free_progress_[w].through.store(-1, std::memory_order_relaxed);
  free_stop_.at.store(quanta, std::memory_order_relaxed);  // no stop yet
  free_max_quanta_ = quanta;
  free_last_ = -1;
  threads_->run(threads, [this](size_t w) { free_worker(w); });
  const int64_t last = free_last_;
  if (last < 0) throw SimError("internal: the free quanta's threads ended in no quantum");
  // The whole quanta: the cores' time, then the DMA phases and instruction-stream checks between them.
  for (FreeSlot& s : free_slots_) {
    s.tile->core_time += s.whole_issued;
    parallel_bundles_ += s.whole_issued;
  }
  // The blocked cores try their acquire again each quantum, in vain, as in call().
  for (int64_t q = 0; q < last; ++q)
    for (Tile* t : free_blocked_) {
      const uint64_t before = t->core->stats().bundles;
      if (t->core->run(opt_.quantum) != Stop::Blocked || t->core->stats().bundles != before)
        throw SimError("internal: core " + tile_name(t->col, t->row) + " left its acquire between free quanta (cycle " +
                       std::to_string(now_ + static_cast<uint64_t>(q) * opt_.quantum) + ")");
      t->stall() += opt_.quantum;
      t->core_time += opt_.quantum;
    }
  if (last > 0) {
    // The first DMA phase and instruction-stream check as call() runs them. It moved nothing, so
    // it left every channel as it found it but for its wait counts, and each later phase is the
    // same phase: its counts, times the phases.
    free_counts_.clear();
    for (const auto& [ch, t] : chans) free_counts_.push_back({ch->lock_wait_cycles, ch->stream_wait_cycles});
    const uint64_t dma_now = dma_now_;
    if (dma_phase(chans, busy))
      throw SimError("internal: a DMA phase replayed after free quanta moved a word (cycle " + std::to_string(now_) + ")");
    now_ += opt_.quantum;
    if (run_ops() || next_op_ == insts_->ops.size())
      throw SimError("internal: the instruction stream moved between free quanta (cycle " + std::to_string(now_) + ")");
    const uint64_t more = static_cast<uint64_t>(last - 1);
    for (size_t c = 0; c < chans.size(); ++c) {
      DmaChannel& ch = *chans[c].first;
      ch.lock_wait_cycles += (ch.lock_wait_cycles - free_counts_[c].first) * more;
      ch.stream_wait_cycles += (ch.stream_wait_cycles - free_counts_[c].second) * more;
    }
    if (dma_now_ != dma_now) dma_now_ += more * opt_.quantum;  // the last phase's one step
    now_ += more * opt_.quantum;
  }
  free_quanta_ += static_cast<uint64_t>(last);
  ++free_stats_.runs;
  free_stats_.cores_blocked += free_blocked_.size();
  for (const FreeSlot& sl : free_slots_) {
    free_stats_.cores_rerun += sl.reruns, free_stats_.windows_rechecked += sl.rechecks;
    if (sl.error) ++free_stats_.ended_by_error;
    else if (sl.last_stop == Stop::Lock) ++free_stats_.ended_by_lock;
    else if (sl.last_stop == Stop::Neighbour) ++free_stats_.ended_by_neighbour;
    else if (sl.last_stop == Stop::Done) ++free_stats_.ended_by_done;
  }
  if (last + 1 == free_max_quanta_) ++free_stats_.ended_by_bound;
  // The last quantum: how each core ended it, for the caller's tile-order pass. A core stopped
  // before a lock operation runs on as an isolated stretch first (its own locks are its tile's)
  // where it is isolated as run_isolated_stretches has it; otherwise in the tile-order pass.
  const uint64_t target = now_ + opt_.quantum;
  isolated_slot_.assign(ordered.size(), -1);
  if (isolated_in_.size() < free_slots_.size()) isolated_in_.resize(free_slots_.size()), isolated_out_.resize(free_slots_.size());
  std::vector<size_t> locked;
  for (size_t i = 0; i < free_slots_.size(); ++i) {
    const FreeSlot& s = free_slots_[i];
    isolated_slot_[s.order] = static_cast<int>(i);
    IsolatedOut& out = isolated_out_[i];
    out.issued = s.last_issued;
    out.stop = s.last_stop;
    out.error = s.error;
    isolated_in_[i].core = s.tile->core.get();
    isolated_in_[i].budget = target - s.tile->core_time - s.last_issued;
    // Only where no core waits below: a lock of this tile the core takes or gives now, the one
    // below may name (north), and the tile order lets that one look first.
    if (!out.error && out.stop == Stop::Lock && s.isolated) locked.push_back(i);
  }
  if (!locked.empty()) threads_->run(locked.size(), [this, &locked](size_t j) { run_isolated_slot(locked[j]); });
  for (size_t i = 0; i < free_slots_.size(); ++i) parallel_bundles_ += isolated_out_[i].issued;
  return true;
}

// One host thread's cores through the free quanta (run_free_quanta): slots thread, thread + T, ...
// in windows of kFreeWindow quanta. Each core is copied (its checkpoint), then runs the whole window
// at once; the threads then meet. A core that stopped in the window (a lock operation, a
// neighbour, done, a fault) ends the free run in its quantum, the earliest such over all cores:
// every core that ran past it is put back to its checkpoint and runs again to that quantum's end.
// Runs in a tile of its own, touching no lock, repeat exactly, so the cores end where the
// one-quantum-at-a-time order leaves them.
void Array::free_worker(size_t thread) {
  const size_t threads = static_cast<size_t>(threads_->threads());
  const size_t slots = free_slots_.size();
  const int64_t max = free_max_quanta_;
  const uint64_t quantum = opt_.quantum;
  // Which thread runs each core in the window: round robin first, then shared out by the threads'
  // rates in the last window (host CPUs need not be alike: docs/performance.md). Every thread
  // computes the same from the same published figures; any owner gives the same results.
  std::vector<size_t> owner(slots), count(threads);
  std::vector<double> rate(threads, 1.0);
  for (size_t i = 0; i < slots; ++i) owner[i] = i % threads;
  const auto mine = [&](auto&& each) {
    for (size_t i = 0; i < slots; ++i)
      if (owner[i] == thread) each(free_slots_[i]);
  };
  for (int64_t w0 = 0, window = 0; w0 < max; w0 += kFreeWindow, ++window) {
    const int64_t n = std::min<int64_t>(kFreeWindow, max - w0);
    int64_t first_stop = max;
    uint64_t issued = 0;
    const auto started = std::chrono::steady_clock::now();
    mine([&](FreeSlot& s) {
      Core& core = *s.tile->core;
      const uint64_t before = core.stats().bundles;
      s.window_stop = Stop::CycleLimit;
      // A copy may need memory (a watch that grew): none left ends the call there, in this quantum.
      const auto no_memory = [&] {
        s.error = std::current_exception();
        s.window_issued = 0, s.stop_quantum = w0, first_stop = std::min(first_stop, w0);
      };
      try {
        *s.checkpoint = core;
      } catch (...) {
        return no_memory();
      }
      try {
        s.window_stop = core.run_free_unchecked(static_cast<uint64_t>(n) * quantum);
      } catch (...) {
        // A bundle left the tile, or faulted, partway: the window again from the checkpoint,
        // looking where each bundle reaches before it issues (it stops before that one).
        ++s.rechecks;
        try {
          core = *s.checkpoint;
        } catch (...) {
          return no_memory();
        }
        try {
          s.window_stop = core.run_free(static_cast<uint64_t>(n) * quantum);
        } catch (...) {
          s.error = std::current_exception();  // rethrown in tile order, as the one-thread run would
        }
      }
      s.window_issued = core.stats().bundles - before;
      issued += s.window_issued;
      // The quantum it stopped in: a stop before a bundle (a lock, a neighbour) or partway through
      // one (a fault) is in the quantum of the next bundle; `done` is a bundle it issued.
      if (s.error || s.window_stop == Stop::Lock || s.window_stop == Stop::Neighbour)
        s.stop_quantum = w0 + static_cast<int64_t>(s.window_issued / quantum);
      else if (s.window_stop == Stop::Done)
        s.stop_quantum = w0 + static_cast<int64_t>((s.window_issued - 1) / quantum);
      else
        s.stop_quantum = max;
      first_stop = std::min(first_stop, s.stop_quantum);
      // Counted whole here, by the thread that ran it: after the meeting another thread may own it.
      s.before_window = s.whole_issued;
      s.whole_issued += s.window_issued;
    });
    if (first_stop < max) {
      int64_t at = free_stop_.at.load(std::memory_order_relaxed);
      while (first_stop < at && !free_stop_.at.compare_exchange_weak(at, first_stop, std::memory_order_acq_rel)) {}
    }
    const size_t parity = static_cast<size_t>(window & 1);
    free_progress_[thread].bundles[parity] = issued;
    free_progress_[thread].seconds[parity] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    free_progress_[thread].through.store(window, std::memory_order_release);
    for (CoreThreads::SpinWait wait;; wait.step()) {
      bool all = true;
      for (size_t w = 0; w < threads && all; ++w)
        if (free_progress_[w].through.load(std::memory_order_acquire) < window) all = false;
      if (all) break;
    }
    const int64_t stop = free_stop_.at.load(std::memory_order_acquire);
    if (stop < w0 + n) {
      const uint64_t before_stop = static_cast<uint64_t>(stop - w0) * quantum;  // the window's bundles before quantum `stop`
      mine([&](FreeSlot& s) {
        if (s.stop_quantum > stop) {
          Core& core = *s.tile->core;
          ++s.reruns;
          s.error = nullptr;
          try {
            core = *s.checkpoint;
            const uint64_t before = core.stats().bundles;
            const Stop again = core.run_free_unchecked(before_stop + quantum);  // it ran these before without a stop
            const uint64_t ran = core.stats().bundles - before;
            if (again != Stop::CycleLimit || ran != before_stop + quantum)
              throw SimError("internal: core " + tile_name(s.tile->col, s.tile->row) + " ran otherwise from its checkpoint than before (free quanta)");
          } catch (...) {
            s.error = std::current_exception();  // that, or no memory left for the copy
          }
          s.window_issued = before_stop + quantum;
          s.window_stop = Stop::CycleLimit;
        }
        s.whole_issued = s.before_window + before_stop;
        s.last_issued = s.window_issued - before_stop;
        s.last_stop = s.window_stop;
      });
      if (thread == 0) free_last_ = stop;
      return;
    }
    if (w0 + n == max) {
      // Every window ran whole: the last quantum is the bound's, and every core ran all of it.
      mine([&](FreeSlot& s) {
        s.whole_issued -= quantum;
        s.last_issued = quantum;
        s.last_stop = Stop::CycleLimit;
      });
      if (thread == 0) free_last_ = max - 1;
      return;
    }
    // The next window's owners: each core to the thread that would finish it first at its rate
    // (cores taken as alike), a core staying with its owner where that owner keeps as many.
    for (size_t w = 0; w < threads; ++w) {
      const FreeProgress& p = free_progress_[w];
      if (p.bundles[parity] && p.seconds[parity] > 0) rate[w] = static_cast<double>(p.bundles[parity]) / p.seconds[parity];
    }
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < slots; ++i) {
      size_t best = 0;
      for (size_t w = 1; w < threads; ++w)
        if (static_cast<double>(count[w] + 1) / rate[w] < static_cast<double>(count[best] + 1) / rate[best]) best = w;
      ++count[best];
    }
    std::vector<size_t> next(slots, threads);
    for (size_t i = 0; i < slots; ++i)
      if (count[owner[i]] > 0) --count[owner[i]], next[i] = owner[i];
    for (size_t i = 0, w = 0; i < slots; ++i)
      if (next[i] == threads) {
        while (count[w] == 0) ++w;
        --count[w], next[i] = w;
      }
    owner = next;
  }
}

// Parallel quanta (docs/aie2-array.md). The one-thread order runs each core's whole quantum in
// tile order (column, then row). A core reaches its south, west and north neighbours' memories
// and locks; of the cores that can reach tile T, only the one below T (T is its north) comes
// before T's own core in that order. So a core with no running core below it can run, up to its
// first access outside its tile, before every other core and beside every other such core: no
// core earlier in the order touches its tile, and what it touches no other core reads until its
// own turn (their first neighbour access waits for the tile-order pass). The DMA and the stand-ins
// run outside the cores' phase, as before.
bool Array::run_isolated_stretches(const std::vector<Tile*>& ordered, uint64_t target) {
  // What the threads read is written only where it changed, and what they write sits a cache line
  // per core: a quantum is a few microseconds of work, and every line that crosses between host
  // cores costs a visible part of it.
  isolated_slot_.assign(ordered.size(), -1);
  size_t n = 0;
  for (size_t k = 0; k < ordered.size(); ++k) {
    const Tile* t = ordered[k];
    if (!t->core || t->core_done || t->core_time >= target) continue;
    const Tile* below = find_tile(t->col, t->row - 1);
    if (below && below->core && !below->core_done) continue;
    if (n == isolated_in_.size()) isolated_in_.emplace_back(), isolated_out_.emplace_back();
    IsolatedIn& in = isolated_in_[n];
    const uint64_t budget = target - t->core_time;
    if (in.core != t->core.get() || in.budget != budget) in.core = t->core.get(), in.budget = budget;
    isolated_slot_[k] = static_cast<int>(n++);
  }
  if (n < 2) return false;  // one core alone gains nothing from a thread
  for (size_t i = 0; i < n; ++i) isolated_out_[i].issued = 0, isolated_out_[i].error = nullptr;
  threads_->run(n, [this](size_t i) { run_isolated_slot(i); });
  for (size_t i = 0; i < n; ++i) parallel_bundles_ += isolated_out_[i].issued;
  return true;
}

// Slot i's core as an isolated stretch of its budget (on a host thread): the bundles it issued
// added to the slot's, its stop or its error kept for the tile-order pass.
void Array::run_isolated_slot(size_t i) {
  const IsolatedIn& in = isolated_in_[i];
  IsolatedOut& out = isolated_out_[i];
  const uint64_t before = in.core->stats().bundles;
  try {
    out.stop = in.core->run_isolated(in.budget);
  } catch (...) {
    out.error = std::current_exception();  // rethrown in tile order, as the one-thread run would
  }
  out.issued += in.core->stats().bundles - before;
}

size_t Array::ring_period() {
  size_t period = 1;
  for (auto& [k, t] : tiles_) {
    if (t->kind == TileKind::Shim) continue;
    const TileLayout& L = *t->layout;
    for (auto* v : {&t->s2mm, &t->mm2s})
      for (auto& c : *v) {
        if (c.queue.empty()) continue;
        // Follow next-BD from the queued BD until it repeats; the cycle's length is the ring's.
        std::vector<int> seen(L.bds, -1);
        int bd = c.queue.front().start_bd, steps = 0;
        while (bd >= 0 && bd < L.bds && seen[bd] < 0) {
          seen[bd] = steps++;
          std::vector<uint32_t> words(L.bd_words);
          for (int w = 0; w < L.bd_words; ++w) {
            auto it = t->regs.find(L.bd_base + bd * L.bd_stride + 4 * w);
            words[w] = it == t->regs.end() ? 0 : it->second;
          }
          const BufferDescriptor d = decode_bd(t->kind, words.data());
          if (!d.use_next_bd) { bd = -1; break; }
          bd = d.next_bd;
        }
        const size_t cycle = bd >= 0 && bd < L.bds && seen[bd] >= 0 ? static_cast<size_t>(steps - seen[bd]) : 1;
        period = std::lcm(period, cycle);
      }
  }
  return period;
}

std::vector<CoreReport> Array::cores() const {
  std::vector<CoreReport> out;
  for (const auto& [k, t] : tiles_) {
    if (t->kind != TileKind::Compute || !t->core) continue;
    CoreReport r;
    r.col = t->col, r.row = t->row;
    r.program = t->program_name;
    r.stats = t->core->stats();
    r.lock_stall_cycles = t->lock_stall;
    r.stream_stall_cycles = t->stream_stall;
    r.state = t->core_state;
    // The ELF's own data the stack ran over (where the program came with its ELF: its sections).
    if (t->elf) r.stack_over_data = stack_over_data(*t->elf, opt_.stack_at, r.stats.max_sp);
    out.push_back(r);
  }
  return out;
}

nlohmann::json Array::report() const {
  nlohmann::json cores = nlohmann::json::array();
  for (const auto& c : this->cores())
    cores.push_back({{"tile", {c.col, c.row}}, {"program", c.program}, {"bundles", c.stats.bundles}, {"lock_waits", c.stats.lock_waits},
                     {"lock_stall_cycles", c.lock_stall_cycles}, {"stream_waits", c.stats.stream_waits},
                     {"stream_stall_cycles", c.stream_stall_cycles}, {"stream_words_in", c.stats.stream_words_in},
                     {"stream_words_out", c.stats.stream_words_out}, {"max_sp", c.stats.max_sp}, {"state", c.state},
                     {"stack_over_data", stack_json(c.stack_over_data)}});
  nlohmann::json chans = nlohmann::json::array();
  for (const auto& [k, t] : tiles_)
    for (const auto* v : {&t->s2mm, &t->mm2s})
      for (const auto& c : *v)
        if (c.words || c.tasks_done)
          chans.push_back({{"channel", c.name()}, {"words", c.words}, {"bds", c.bds_done}, {"tasks", c.tasks_done},
                           {"lock_wait_cycles", c.lock_wait_cycles}, {"stream_wait_cycles", c.stream_wait_cycles}});
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& r : routes_)
    if (!r->sinks.empty() || r->to_core()) {
      nlohmann::json sinks = nlohmann::json::array();
      for (const auto* s : r->sinks) sinks.push_back(s->name());
      for (const auto& c : r->core_names) sinks.push_back(c + " input stream port");
      routes.push_back({{"source", r->source}, {"sinks", sinks}, {"words", r->words}});
    }
  return {{"cycles", now_}, {"cores", cores}, {"channels", chans}, {"routes", routes},
          {"unmodelled_register_writes", writes_unmodelled_}};
}

}  // namespace attncheck::aie2::array
