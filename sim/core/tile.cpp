// The DMA stand-in: the design's BD rings played through the tile's locks, one whole transfer at a time, whenever the core waits.
#include "sim/core/tile.hpp"
#include "sim/hex.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace attncheck::aie2 {
namespace {

struct ChannelState {
  const DmaChannel* ch;
  const DesignFifo* fifo;
  size_t pos = 0;       // next BD in the ring
  size_t moved = 0;     // transfers done
  size_t wanted = 0;    // transfers to do
  const std::vector<std::vector<uint8_t>>* source = nullptr;  // S2MM data
};

}  // namespace

void finish_input_use(Core& core, const Elf& elf, int region, InputUse& use) {
  // From the core's per-PC aggregates since the fill (Core::store_sites): the cost is the number of
  // store sites and the buffer's bytes, never the stores made (issue 26.7: it rescanned every
  // store of the run at each transfer).
  const std::vector<StoreSite>& sites = core.store_sites(region);
  use.core_stores = 0;
  use.writers.clear();
  use.clobbered = core.clobbered_before_use(region);
  use.clobbered_bytes = 0;
  for (const auto& [lo, hi] : use.clobbered) use.clobbered_bytes += hi - lo + 1;
  std::map<std::string, StoreWriter> by_fn;
  std::map<std::string, std::pair<uint32_t, uint32_t>> pcs;  // PC range of the sites no function symbol names
  for (const StoreSite& st : sites) {
    const ElfSymbol* f = elf.function_at(st.pc);
    const std::string fn = f ? f->name : "";
    StoreWriter& w = by_fn[fn];
    if (w.stores == 0) w.function = fn, w.first_byte = st.first_byte, w.last_byte = st.last_byte, w.min_sp = st.min_sp, w.max_sp = st.max_sp;
    w.first_byte = std::min(w.first_byte, st.first_byte), w.last_byte = std::max(w.last_byte, st.last_byte);
    w.min_sp = std::min(w.min_sp, st.min_sp), w.max_sp = std::max(w.max_sp, st.max_sp);
    w.in_frame = w.in_frame && st.in_frame;
    w.stores += st.stores;
    use.core_stores += st.stores;
    if (!f) {
      auto it = pcs.try_emplace(fn, st.pc, st.pc).first;
      it->second.first = std::min(it->second.first, st.pc), it->second.second = std::max(it->second.second, st.pc);
    }
  }
  for (auto& [fn, w] : by_fn) {
    // No symbols (a program read from a PDI): name the code by the PCs that stored.
    if (fn.empty()) w.function = "pc " + hex32(pcs[fn].first) + ".." + hex32(pcs[fn].second);
    use.writers.push_back(w);
  }
}

void check_program_layout(const Elf& elf, const Design& design, std::optional<uint32_t> stack_at) {
  struct Range {
    std::string what;
    uint32_t lo = 0, bytes = 0;
    bool overlaps(const Range& o) const { return bytes && o.bytes && lo < o.lo + uint64_t{o.bytes} && o.lo < lo + uint64_t{bytes}; }
    std::string str() const { return what + " (" + hex32(lo) + ".." + hex32(lo + bytes - 1) + ")"; }
  };
  std::vector<Range> buffers, sections;
  for (const auto& b : design.buffers)
    if (b.tile == design.core_tile) buffers.push_back({"buffer " + b.name, b.core_address(), b.bytes});
  for (const auto& s : elf.sections)
    if ((s.flags & 2) && !(s.flags & 4) && s.size && s.addr >= kDataMemBase && s.addr < kDataMemBase + kDataMemBytes)
      sections.push_back({elf.path + "'s " + (s.name.empty() ? std::string("data section") : s.name), s.addr, s.size});
  const std::string not_built = ": not the program this design was built for";
  if (!elf.symbols.empty())
    for (const auto& b : design.buffers) {
      if (b.tile != design.core_tile) continue;
      const ElfSymbol* sym = elf.symbol(b.name);
      if (!sym)
        throw SimError(design.path + " has buffer " + b.name + " at " + hex32(b.core_address()) + ", which " + elf.path +
                       " does not define" + not_built);
      if (sym->value != b.core_address() || (sym->size && sym->size != b.bytes))
        throw SimError(design.path + " has buffer " + b.name + " at " + hex32(b.core_address()) + " (" + std::to_string(b.bytes) + " B), but " +
                       elf.path + " defines it at " + hex32(sym->value) + (sym->size ? " (" + std::to_string(sym->size) + " B)" : "") +
                       not_built);
    }
  for (const auto& b : buffers)
    for (const auto& s : sections)
      if (b.overlaps(s)) throw SimError(design.path + "'s " + b.str() + " overlaps " + s.str() + not_built);
  if (!stack_at) {
    if (const ElfSymbol* sp = elf.symbol("_sp_start_value_DM_stack")) {
      const Range stack{elf.path + "'s stack (_sp_start_value_DM_stack, " + design.path + "'s stack_size " + std::to_string(design.stack_size) + ")",
                        sp->value, design.stack_size};
      for (const auto& b : buffers)
        if (b.overlaps(stack)) throw SimError(design.path + "'s " + b.str() + " overlaps " + stack.str() + not_built);
    }
  } else {
    const Range start{"", *stack_at, 1};
    for (const auto& r : buffers)
      if (r.overlaps(start)) throw SimError("--sim-stack-at " + hex32(*stack_at) + ": inside " + design.path + "'s " + r.str() + ", which the stack would overwrite");
    for (const auto& r : sections)
      if (r.overlaps(start)) throw SimError("--sim-stack-at " + hex32(*stack_at) + ": inside " + r.str() + ", which the stack would overwrite");
  }
}

TileRunResult run_tile(const CompiledProgram& prog, const Design& design,
                       const std::map<std::string, std::vector<std::vector<uint8_t>>>& inputs,
                       const std::map<std::string, size_t>& outputs_wanted, const TileRunOptions& opt) {
  TileRunResult r;
  if (opt.max_cycles == 0 || opt.max_cycles > kMaxMaxCycles)
    throw SimError("--sim-max-cycles " + std::to_string(opt.max_cycles) + ": must be from 1 to 10^15");
  check_program_layout(prog.elf(), design, opt.stack_at);
  Core core(prog);
  core.load_elf_images();
  if (opt.stack_at) core.set_sp_start_override(*opt.stack_at);

  // Locks of the core's tile, as the design initialises them.
  std::vector<int> lock_local(design.locks.size(), -1);
  for (size_t i = 0; i < design.locks.size(); ++i) {
    const DesignLock& l = design.locks[i];
    if (l.tile != design.core_tile) continue;
    if (l.id >= kLocks) throw SimError(design.path + ": lock " + l.name + " has id " + std::to_string(l.id) + ", a compute tile has 16");
    lock_local[i] = l.id;
    core.set_lock(l.id, l.init);
    r.locks.push_back({l.name, l.id, l.init, 0, 0, 0});
  }
  auto summary = [&](int local) -> LockSummary* {
    for (auto& s : r.locks)
      if (s.id == local) return &s;
    return nullptr;
  };

  // Every buffer of the core's tile is watched: its stores, and reads of bytes the core overwrote.
  std::vector<WatchRegion> regions;
  std::vector<int> region_of_buffer(design.buffers.size(), -1);
  for (size_t i = 0; i < design.buffers.size(); ++i) {
    const DesignBuffer& b = design.buffers[i];
    if (b.tile != design.core_tile) continue;
    region_of_buffer[i] = static_cast<int>(regions.size());
    regions.push_back({b.name, b.core_address(), b.bytes});
  }
  core.set_watch(regions);

  std::vector<ChannelState> chans;
  for (const auto& f : design.fifos) {
    ChannelState cs{&design.channels[f.channel], &f};
    if (f.input) {
      auto it = inputs.find(f.name);
      if (it != inputs.end()) cs.source = &it->second, cs.wanted = it->second.size();
      for (const auto& t : cs.source ? *cs.source : std::vector<std::vector<uint8_t>>{})
        if (t.size() != f.transfer_bytes)
          throw SimError("input for " + f.name + " has " + std::to_string(t.size()) + " B per transfer, the design moves " +
                         std::to_string(f.transfer_bytes) + " B");
      if (opt.input_transfers && cs.source && !cs.source->empty()) cs.wanted = opt.input_transfers;
    } else {
      auto it = outputs_wanted.find(f.name);
      cs.wanted = it == outputs_wanted.end() ? 0 : it->second;
      r.outputs[f.name];
      r.delivered[f.name];
    }
    chans.push_back(cs);
  }
  std::vector<int> open_input(regions.size(), -1);  // region -> index into r.inputs of its current transfer

  auto outputs_done = [&] {
    for (const auto& c : chans)
      if (!c.fifo->input && c.moved < c.wanted) return false;
    return true;
  };
  auto close_input = [&](int region) {
    const int k = open_input[region];
    if (k < 0) return;
    finish_input_use(core, prog.elf(), region, r.inputs[k]);
    open_input[region] = -1;
  };
  // One transfer on every channel that can move; true when any moved.
  auto dma_step = [&]() {
    bool moved = false;
    for (auto& c : chans) {
      if (c.moved >= c.wanted) continue;
      const DmaBd& bd = c.ch->ring[c.pos];
      const int acq = lock_local[bd.acquire_lock], rel = lock_local[bd.release_lock];
      if (acq < 0 || rel < 0)
        throw SimError(design.path + ": a BD of " + c.fifo->name + " uses a lock of another tile; only the core's tile is modelled");
      if (!core.try_acquire(acq, bd.acquire_value, bd.acquire_ge)) continue;
      summary(acq)->dma_acquires++;
      const DesignBuffer& buf = design.buffers[bd.buffer];
      uint8_t* mem = core.data(buf.core_address() + bd.offset_bytes, bd.bytes);
      const int region = region_of_buffer[bd.buffer];
      if (c.fifo->input) {
        close_input(region);
        std::memcpy(mem, (*c.source)[c.moved % c.source->size()].data(), bd.bytes);
        core.mark_filled(region);
        InputUse use;
        use.fifo = c.fifo->name, use.buffer = buf.name, use.buffer_address = buf.core_address();
        use.transfer = c.moved, use.fill_cycle = core.cycle();
        r.inputs.push_back(std::move(use));
        open_input[region] = static_cast<int>(r.inputs.size() - 1);
      } else {
        if (!opt.discard_outputs.count(c.fifo->name)) r.outputs[c.fifo->name].emplace_back(mem, mem + bd.bytes);
        ++r.delivered[c.fifo->name];
      }
      core.release(rel, bd.release_value);
      summary(rel)->dma_releases++;
      c.pos = (c.pos + 1) % c.ch->ring.size();
      if (!c.ch->cyclic && c.pos == 0) c.wanted = std::min(c.wanted, c.moved + 1);
      ++c.moved;
      moved = true;
    }
    return moved;
  };

  // The limit counts bundles since a transfer last moved: a long run of healthy iterations never
  // reaches it, a core that stops making progress does within max_cycles.
  uint64_t last_progress = 0;
  while (true) {
    // In batches, so that a signal is seen while a core runs (issue 26.7): the budget's end and a
    // batch's end are both Stop::CycleLimit, told apart by the bundle count.
    const uint64_t limit = last_progress + opt.max_cycles;
    Stop stop;
    do {
      if (opt.poll) opt.poll();
      const uint64_t left = limit - std::min(limit, core.stats().bundles);
      stop = core.run(std::min(left, kPollBundles));
    } while (stop == Stop::CycleLimit && core.stats().bundles < limit);
    if (stop == Stop::CycleLimit)
      throw SimError(prog.elf().path + ": no transfer moved in " + std::to_string(opt.max_cycles) + " bundles, stopped at " +
                     core.where() + " (--sim-max-cycles)");
    bool progressed = false;
    while (dma_step()) progressed = true;
    if (progressed) last_progress = core.stats().bundles;
    if (progressed && opt.on_output) {
      size_t delivered = 0, wanted = 0;
      for (const auto& c : chans)
        if (!c.fifo->input) delivered += c.moved, wanted += c.wanted;
      opt.on_output(delivered, wanted);
    }
    if (outputs_done()) {
      r.ended = stop == Stop::Done ? "the core executed done" : "every output transfer delivered; the core waits at " + core.where();
      break;
    }
    if (stop == Stop::Done)
      throw SimError(prog.elf().path + ": the core executed done before every output was delivered, at " + core.where());
    if (progressed) continue;
    // Blocked and the DMA cannot move: nothing will ever make progress.
    std::string locks;
    for (const auto& l : r.locks)
      locks += (locks.empty() ? "" : ", ") + l.name + "=" + std::to_string(core.lock_value(l.id));
    const Core::Wait& w = core.waiting();
    std::string lock_name = "lock " + std::to_string(w.lock);
    for (const auto& l : r.locks)
      if (l.id == w.lock) lock_name += " (" + l.name + ")";
    throw SimError(prog.elf().path + ": deadlock: the core waits to acquire " + lock_name + (w.ge ? " >= " : " == ") +
                   std::to_string(w.value) + " at " + core.where() + " and no DMA channel can move (locks: " + locks + ")");
  }
  for (size_t reg = 0; reg < open_input.size(); ++reg) close_input(static_cast<int>(reg));
  for (auto& l : r.locks) l.final_value = core.lock_value(l.id);
  r.core = core.stats();
  if (opt.stack_at) r.stack_note = "SP started at " + hex32(*opt.stack_at) + " (--sim-stack-at)";
  r.stack_over_data = stack_over_data(prog.elf(), opt.stack_at, r.core.max_sp);
  return r;
}

nlohmann::json stack_json(const std::vector<Overlap>& over) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& o : over) j.push_back({{"section", o.buffer}, {"bytes", {o.first_byte, o.last_byte}}, {"count", o.bytes}});
  return j;
}

nlohmann::json to_json(const TileRunResult& r, const Design& design) {
  nlohmann::json locks = nlohmann::json::array();
  for (const auto& l : r.locks)
    locks.push_back({{"name", l.name}, {"id", l.id}, {"init", l.init}, {"final", l.final_value},
                     {"dma_acquires", l.dma_acquires}, {"dma_releases", l.dma_releases}});
  nlohmann::json ins = nlohmann::json::array();
  for (const auto& u : r.inputs) {
    nlohmann::json writers = nlohmann::json::array();
    for (const auto& w : u.writers)
      writers.push_back({{"function", w.function}, {"bytes", {w.first_byte, w.last_byte}}, {"stores", w.stores},
                         {"sp", {w.min_sp, w.max_sp}}, {"in_frame", w.in_frame}});
    nlohmann::json clob = nlohmann::json::array();
    for (const auto& [a, b] : u.clobbered_ranges()) clob.push_back({a, b});
    ins.push_back({{"fifo", u.fifo}, {"buffer", u.buffer}, {"transfer", u.transfer}, {"core_stores", u.core_stores},
                   {"writers", writers}, {"clobbered_before_read", clob}});
  }
  nlohmann::json outs = nlohmann::json::object();
  for (const auto& [k, v] : r.delivered) outs[k] = v;
  return {{"bundles", r.core.bundles},
          {"lock_waits", r.core.lock_waits},
          {"max_sp", r.core.max_sp},
          {"part_word_hazards", r.core.part_word_hazards},
          {"ended", r.ended},
          {"design", {{"path", design.path}, {"sha256", design.sha256}}},
          {"locks", locks},
          {"stack_over_data", stack_json(r.stack_over_data)},
          {"input_transfers", ins},
          {"output_transfers", outs}};
}

}  // namespace attncheck::aie2
