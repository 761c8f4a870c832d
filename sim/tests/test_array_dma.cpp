// The array's fast paths against their references: the DMA's runs of cycles against its per-cycle step (ArrayOptions::reference_dma), and the cores' plain stretches against the bundle-at-a-time step (ArrayOptions::reference_core); the same buffers, tile memories, reports, call lengths, trace and profile, call by call, on Riallto's 720p designs, the 4-core attention, random inputs at several quanta and stream buffer sizes, and random racing memory-tile loopbacks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>

#include "fixtures/testing/test_support.hpp"
#include "sim/array/program.hpp"
#include "sim/array/timeline.hpp"
#include "sim/load/npu_insts.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::aie2;
using namespace attncheck::testing;

namespace {

using Bytes = std::vector<uint8_t>;
using Args = std::map<int, Bytes>;

std::string riallto(const std::string& app, const std::string& ext) {
  return shared_dir() + "/npu1/riallto-0593d004/binaries/" + app + "." + ext;
}

Bytes random_bytes(size_t n, std::mt19937& rng) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Everything a run of calls leaves that a caller, a report or a trace can see.
struct Observed {
  std::vector<std::string> errors;             // per call: what it threw, "" when it returned
  std::vector<Args> buffers;                   // per call: every argument afterwards
  std::vector<std::vector<Bytes>> memories;    // per call: the watched tiles' data memories
  std::vector<std::string> reports;            // per call: Array::report()
  std::vector<uint64_t> call_cycles, now;      // per call: last_call_cycles(), now()
  std::string trace, profile;                  // the Timeline's, when recorded
  uint64_t bundles = 0, plain_bundles = 0;     // the watched tiles' cores' CoreStats, after the last call
};

struct Setup {
  std::function<std::unique_ptr<array::Array>(array::ArrayOptions)> make;
  const InstructionStream* insts = nullptr;
  std::vector<std::pair<int, int>> tiles;  // whose data memories to compare
};

Observed run_calls(const Setup& s, array::ArrayOptions opt, bool reference, const std::vector<Args>& calls, bool record) {
  opt.reference_dma = reference;
  std::unique_ptr<array::Timeline> timeline;
  if (record) timeline = std::make_unique<array::Timeline>(true, true);
  opt.timeline = timeline.get();
  auto a = s.make(opt);
  Observed o;
  for (const Args& args : calls) {
    Args bufs = args;
    std::map<int, std::vector<uint8_t>*> pointers;
    for (auto& [k, b] : bufs) pointers[k] = &b;
    std::string error;
    try {
      a->call(*s.insts, pointers);
    } catch (const std::exception& e) {
      error = e.what();
    }
    o.errors.push_back(error);
    o.buffers.push_back(std::move(bufs));
    std::vector<Bytes> mem;
    for (const auto& [c, r] : s.tiles) mem.push_back(a->data_memory(c, r));
    o.memories.push_back(std::move(mem));
    o.reports.push_back(a->report().dump());
    o.call_cycles.push_back(a->last_call_cycles());
    o.now.push_back(a->now());
  }
  for (const auto& [c, r] : s.tiles)
    if (const Core* core = a->core(c, r)) o.bundles += core->stats().bundles, o.plain_bundles += core->stats().plain_bundles;
  if (timeline) {
    const array::Clock clock = array::npu1_clock();
    o.trace = timeline->trace_json(clock, a->now()).dump();
    o.profile = timeline->profile_json(a->now(), clock).dump();
  }
  return o;
}

// Where two byte strings first differ, in a line: "" when they are equal.
template <class Seq>
std::string first_difference(const Seq& got, const Seq& want) {
  if (got == want) return "";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  std::ostringstream s;
  s << "sizes " << got.size() << " and " << want.size() << ", first difference at " << i;
  if constexpr (std::is_same_v<Seq, std::string>) {
    const size_t from = i > 80 ? i - 80 : 0;
    s << ": fast ..." << got.substr(from, 160) << "... reference ..." << want.substr(from, 160) << "...";
  } else {
    if (i < got.size() && i < want.size()) s << ": " << int(got[i]) << " vs " << int(want[i]);
  }
  return s.str();
}

// The fast path's run equals the reference's in everything observable; `what` names the case.
void require_same(const Observed& fast, const Observed& ref, const std::string& what) {
  INFO(what);
  REQUIRE(fast.reports.size() == ref.reports.size());
  for (size_t c = 0; c < ref.reports.size(); ++c) {
    INFO("call " << c);
    CHECK(fast.errors[c] == ref.errors[c]);
    CHECK(fast.call_cycles[c] == ref.call_cycles[c]);
    CHECK(fast.now[c] == ref.now[c]);
    CHECK(first_difference(fast.reports[c], ref.reports[c]) == "");
    REQUIRE(fast.buffers[c].size() == ref.buffers[c].size());
    for (const auto& [arg, bytes] : ref.buffers[c]) {
      INFO("argument " << arg);
      CHECK(first_difference(fast.buffers[c].at(arg), bytes) == "");
    }
    for (size_t t = 0; t < ref.memories[c].size(); ++t) {
      INFO("tile memory " << t);
      CHECK(first_difference(fast.memories[c][t], ref.memories[c][t]) == "");
    }
  }
  CHECK(first_difference(fast.trace, ref.trace) == "");
  CHECK(first_difference(fast.profile, ref.profile) == "");
}

// The words every channel of the last report moved: the run did move data.
uint64_t words_moved(const Observed& o) {
  uint64_t n = 0;
  const nlohmann::json report = nlohmann::json::parse(o.reports.back());
  for (const auto& c : report["channels"]) n += c["words"].get<uint64_t>();
  return n;
}

struct DesignUnderTest {
  array::ArrayProgram ap;
  InstructionStream insts;
  Setup setup(std::function<bool(int, int)> stand_in = nullptr) const {
    Setup s;
    s.make = [this, stand_in](array::ArrayOptions o) {
      o.stand_in = stand_in;
      return array::make_array(ap, o);
    };
    s.insts = &insts;
    s.tiles = {{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}};
    return s;
  }
};

DesignUnderTest riallto_design(const std::string& app) {
  return {array::load_array_program(riallto(app, "xclbin"), ""), read_instruction_stream(riallto(app, "seq"))};
}

// A Riallto call: the frame in argument 2, the output (a gray frame for denoise) in 3.
Args frame_call(const std::string& app, std::mt19937& rng) {
  const size_t out = app == "denoise_task_parallel_720p" ? 1280 * 720 : 1280 * 720 * 4;
  return {{2, random_bytes(1280 * 720 * 4, rng)}, {3, Bytes(out, 0x5A)}};
}

DesignUnderTest attention_design() {
  const std::string dir = shared_dir() + "/aie2/iron-attention-4core-2025-11-03";
  return {array::load_array_program("", dir + "/main.pdi"), read_instruction_stream(dir + "/npu_insts.mlir")};
}

// Four heads of random Q|K|V bytes (arguments 3..6), their outputs 7..10.
Args attention_call(std::mt19937& rng) {
  Args a;
  for (int j = 0; j < 4; ++j) a[3 + j] = random_bytes(12288, rng), a[7 + j] = Bytes(4096, 0x5A);
  return a;
}

}  // namespace

namespace {
// The sanitizer build runs each design about ten times slower (the whole sweep took 20 minutes
// there) and looks for memory errors, not for more combinations: there the sweeps take one, quantum
// 7 with a one-word stream buffer (the odd quantum and the fullest FIFOs), and the Riallto designs
// one frame; the racing loopbacks run whole. The Release build runs every combination.
constexpr bool kSanitized = testing::scaled(0, 1) == 1;
const std::vector<uint32_t> kQuanta = kSanitized ? std::vector<uint32_t>{7} : std::vector<uint32_t>{1, 7, 64, 1024};
const std::vector<size_t> kBuffers = kSanitized ? std::vector<size_t>{1} : std::vector<size_t>{1, 2, 4, 16};
}  // namespace

TEST_CASE("array DMA fast path: Riallto's 720p designs equal the per-cycle reference call by call, trace and profile included") {
  for (const std::string app : {"color_threshold_v1_720p", "edge_detect_720p", "denoise_task_parallel_720p"}) {
    const DesignUnderTest d = riallto_design(app);
    std::mt19937 rng(20260101);
    std::vector<Args> calls = {frame_call(app, rng)};
    if (!kSanitized) calls.push_back(frame_call(app, rng));
    array::ArrayOptions opt;
    opt.quantum = 64;  // the CLI's
    const Observed ref = run_calls(d.setup(), opt, true, calls, true);
    const Observed fast = run_calls(d.setup(), opt, false, calls, true);
    CHECK(words_moved(ref) > calls.size() * 921600);
    require_same(fast, ref, app);
  }
}

// Riallto's cores are vector code (vmac, vsrs, vshuffle, vector loads and stores, results landing
// up to 7 cycles after issue) in zero-overhead loops: their plain stretches (Core::run_plain, vector
// kinds among the plain ones) must equal the bundle-at-a-time step, which issues the same micro-ops
// through issue_ops and lands them through commit_cycle. No timeline: a profiled core takes no
// stretch, so there would be nothing to compare.
TEST_CASE("core plain stretches: Riallto's 720p designs (vector code) and the 4-core attention equal the bundle-at-a-time step (ArrayOptions::reference_core) call by call") {
  struct Case {
    std::string what;
    DesignUnderTest d;
  };
  std::vector<Case> cases;
  for (const std::string app : {"color_threshold_v1_720p", "edge_detect_720p", "denoise_task_parallel_720p"})
    cases.push_back({app, riallto_design(app)});
  cases.push_back({"4-core attention", attention_design()});
  for (const Case& c : cases) {
    std::mt19937 rng(20261207);
    std::vector<Args> calls;
    for (int k = 0; k < (kSanitized ? 1 : 2); ++k)
      calls.push_back(c.what == "4-core attention" ? attention_call(rng) : frame_call(c.what, rng));
    array::ArrayOptions opt;
    opt.quantum = 64;  // the CLI's
    const auto observe = [&](bool reference) {
      array::ArrayOptions o = opt;
      o.reference_core = reference;
      return run_calls(c.d.setup(), o, false, calls, false);
    };
    const Observed ref = observe(true), fast = observe(false);
    INFO(c.what << ": " << fast.plain_bundles << " of " << fast.bundles << " bundles in plain stretches");
    CHECK(ref.plain_bundles == 0);
    CHECK(fast.plain_bundles * 2 > fast.bundles);
    require_same(fast, ref, c.what);
  }
}

TEST_CASE("array DMA fast path: the 4-core attention equals the reference at quanta 1, 7, 64, 1024 and stream buffers of 1, 2, 4, 16 words") {
  const DesignUnderTest d = attention_design();
  for (uint32_t quantum : kQuanta)
    for (size_t buffer : kBuffers) {
      std::mt19937 rng(quantum * 100 + static_cast<uint32_t>(buffer));
      const std::vector<Args> calls = {attention_call(rng), attention_call(rng)};
      array::ArrayOptions opt;
      opt.quantum = quantum;
      opt.stream_buffer_words = buffer;
      const Observed ref = run_calls(d.setup(), opt, true, calls, quantum == 64);
      const Observed fast = run_calls(d.setup(), opt, false, calls, quantum == 64);
      CHECK(words_moved(ref) > 0);
      require_same(fast, ref, "quantum " + std::to_string(quantum) + ", stream buffer " + std::to_string(buffer));
    }
}

TEST_CASE("array DMA fast path: random 720p frames through color_threshold (its core) and edge_detect (stand-in cores, a broadcast) equal the reference at quanta 1, 7, 64, 1024 and stream buffers of 1, 2, 4, 16 words") {
  const DesignUnderTest color = riallto_design("color_threshold_v1_720p"), edge = riallto_design("edge_detect_720p");
  for (uint32_t quantum : kQuanta)
    for (size_t buffer : kBuffers) {
      const std::string what = "quantum " + std::to_string(quantum) + ", stream buffer " + std::to_string(buffer);
      array::ArrayOptions opt;
      opt.quantum = quantum;
      opt.stream_buffer_words = buffer;
      std::mt19937 rng(quantum * 100 + static_cast<uint32_t>(buffer));
      {
        const std::vector<Args> calls = {frame_call("color_threshold_v1_720p", rng)};
        const Observed ref = run_calls(color.setup(), opt, true, calls, false);
        require_same(run_calls(color.setup(), opt, false, calls, false), ref, "color_threshold_v1_720p, " + what);
      }
      {
        const auto stand_in = [](int, int) { return true; };
        const std::vector<Args> calls = {frame_call("edge_detect_720p", rng)};
        const Observed ref = run_calls(edge.setup(stand_in), opt, true, calls, false);
        require_same(run_calls(edge.setup(stand_in), opt, false, calls, false), ref, "edge_detect_720p with stand-in cores, " + what);
      }
    }
}

namespace {

// A memory tile (1,1) whose DMA channels loop back into it through its own stream switch, with
// random BDs: lengths, n-D patterns, BD chains, task repeats, the iteration dimension, locks taken
// and released at random, and addresses inside one 12 KiB region so that channels read and write
// the same words in the same cycles. Every S2MM task issues a token the stream syncs on, after all
// the routes' tasks are queued or, in half the designs, after each route's. Many such designs
// deadlock or race; the fast path must fail and race exactly as the reference does.
struct Loopback {
  std::vector<array::RegisterWrite> setup;
  InstructionStream insts;
  int sync_groups = 0;  // 2 or 3: a route's tasks were queued after an earlier route's sync
};

Loopback random_loopback(std::mt19937& rng) {
  using namespace array;
  constexpr int kCol = 1, kRow = 1;
  constexpr uint32_t kOwn = 512 * 1024, kRegionWords = 3072;  // the tile's own memory, seen by its DMA
  const TileLayout& L = layout(TileKind::Mem);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto at = [&](uint32_t offset) { return tile_address(kCol, kRow, offset); };
  Loopback lb;
  lb.insts.path = "random loopback";
  lb.insts.first_buffer_kernel_arg = 3;
  auto op_write = [&](uint64_t address, uint32_t value) {
    NpuOp op;
    op.kind = NpuOpKind::Write32;
    op.address = address, op.value = value;
    op.word_index = lb.insts.ops.size();
    lb.insts.ops.push_back(op);
  };
  // The region's words, and the lock pool's values (the tile's own locks 0..3, BD lock ids 64..67).
  for (uint32_t w = 0; w < kRegionWords + 64; ++w) lb.setup.push_back({at(4 * w), static_cast<uint32_t>(rng())});
  for (int l = 0; l < 4; ++l) lb.setup.push_back({at(L.lock_offset(l)), static_cast<uint32_t>(pick(0, 3))});
  int next_bd = 0;
  const bool locked = pick(0, 1);  // half the designs take locks
  // One task's BD chain moving `total` words in 1..3 BDs; returns its first BD.
  auto chain = [&](uint32_t total, int repeat) {
    std::vector<uint32_t> lengths;
    for (int parts = pick(1, 3); parts > 1 && total > 8; --parts) {
      const uint32_t l = static_cast<uint32_t>(pick(1, static_cast<int>(total) - 1));
      lengths.push_back(l), total -= l;
    }
    lengths.push_back(total);
    const int first = next_bd;
    for (size_t k = 0; k < lengths.size(); ++k) {
      BufferDescriptor d;
      d.valid = true;
      d.length = lengths[k];
      d.dims = {{0, 1}, {0, 1}, {0, 1}, {0, 1}};
      if (pick(0, 2)) {
        d.dims[0] = {static_cast<uint32_t>(pick(1, 9)), static_cast<uint32_t>(pick(1, 3))};
        d.dims[1] = {static_cast<uint32_t>(pick(1, 5)), static_cast<uint32_t>(pick(1, 40))};
        d.dims[2] = {static_cast<uint32_t>(pick(0, 3)), static_cast<uint32_t>(pick(1, 90))};
        d.dims[3] = {0, static_cast<uint32_t>(pick(1, 200))};
      }
      if (repeat && pick(0, 1)) d.iteration_wrap = 2, d.iteration_step = static_cast<uint32_t>(pick(1, 300));
      // Its furthest word over the uses the task makes of it, to place it inside the region.
      int64_t furthest = 0;
      for (int use = 0; use <= repeat + 2; ++use) {
        AddressPattern p(d, static_cast<uint32_t>(use));
        for (uint32_t w = 0; w < p.words(); ++w) furthest = std::max(furthest, p.next());
      }
      if (furthest >= kRegionWords) d.dims = {{0, 1}, {0, 1}, {0, 1}, {0, 1}}, d.iteration_wrap = 1, furthest = d.length - 1;
      if (furthest >= kRegionWords) furthest = kRegionWords - 1, d.length = kRegionWords;
      d.address = kOwn + 4 * static_cast<uint64_t>(pick(0, kRegionWords - 1 - static_cast<int>(furthest)));
      if (locked && pick(0, 2) == 0) {
        d.lock_acq_enable = true;
        d.lock_acq_id = 64 + pick(0, 3);
        d.lock_acq_value = pick(0, 5) ? -1 : pick(0, 2);  // mostly acquire-greater-equal 1
        d.lock_rel_id = 64 + pick(0, 3);
        d.lock_rel_value = pick(0, 5) ? pick(1, 2) : -1;
      }
      d.use_next_bd = k + 1 < lengths.size();
      d.next_bd = next_bd + 1;
      const auto words = encode_bd(TileKind::Mem, d);
      for (int w = 0; w < L.bd_words; ++w) lb.setup.push_back({at(L.bd_offset(next_bd, w)), words[w]});
      ++next_bd;
    }
    return first;
  };
  // 1..3 routes, each from an MM2S channel to one or two S2MM channels, every sink taking what it sends.
  std::vector<int> sources = {0, 1, 2, 3, 4, 5}, sinks = {0, 1, 2, 3, 4, 5};
  std::shuffle(sources.begin(), sources.end(), rng);
  std::shuffle(sinks.begin(), sinks.end(), rng);
  const int routes = pick(1, 3);
  // Half the designs queue and sync route by route: a later route's tasks are pushed after DMA
  // phases have run (and gone idle), so the channels that become busy mid-call must be found.
  const bool staged = pick(0, 1);
  std::vector<int> synced;
  auto sync_all = [&] {
    for (int sink : synced) {
      NpuOp op;
      op.kind = NpuOpKind::Sync;
      op.column = kCol, op.row = kRow, op.direction = 0, op.channel = sink;
      op.word_index = lb.insts.ops.size();
      lb.insts.ops.push_back(op);
    }
    lb.sync_groups += !synced.empty();
    synced.clear();
  };
  for (int r = 0, s = 0; r < routes; ++r) {
    const int src = sources[r], fanout = pick(1, 2), repeat = pick(0, 3) ? 0 : 1;
    const uint32_t total = static_cast<uint32_t>(pick(1, 700));
    const int slave = slave_index(TileKind::Mem, {PortType::Dma, src});
    lb.setup.push_back({at(L.slave_offset(slave)), 1u << 31});
    op_write(at(L.channel_queue(false, src)), static_cast<uint32_t>(chain(total, repeat)) | static_cast<uint32_t>(repeat) << 16);
    for (int f = 0; f < fanout; ++f, ++s) {
      const int sink = sinks[s];
      lb.setup.push_back({at(L.master_offset(master_index(TileKind::Mem, {PortType::Dma, sink}))), 1u << 31 | static_cast<uint32_t>(slave)});
      op_write(at(L.channel_queue(true, sink)), static_cast<uint32_t>(chain(total, repeat)) | static_cast<uint32_t>(repeat) << 16 | 1u << 31);
      synced.push_back(sink);
    }
    if (staged) sync_all();
  }
  sync_all();
  return lb;
}

}  // namespace

TEST_CASE("array DMA fast path: random racing memory-tile loopbacks (n-D patterns, chains, repeats, locks, overlapping buffers, broadcasts) equal the reference, deadlocks included") {
  std::mt19937 rng(777);
  size_t completed = 0, failed = 0, staged_completed = 0;
  for (int design = 0; design < 300; ++design) {
    const Loopback lb = random_loopback(rng);
    Setup s;
    s.make = [&lb](array::ArrayOptions o) {
      auto a = std::make_unique<array::Array>(o);
      for (const auto& w : lb.setup) a->write(w, "random loopback setup");
      return a;
    };
    s.insts = &lb.insts;
    s.tiles = {{1, 1}};
    static const uint32_t quanta[] = {1, 2, 3, 7, 64, 1024};
    static const size_t buffers[] = {1, 2, 3, 4, 16};
    array::ArrayOptions opt;
    opt.quantum = quanta[design % 6];
    opt.stream_buffer_words = buffers[(design / 6) % 5];
    opt.max_cycles = 100000;
    const std::vector<Args> calls(2);
    const Observed ref = run_calls(s, opt, true, calls, design % 4 == 0);
    const Observed fast = run_calls(s, opt, false, calls, design % 4 == 0);
    (ref.errors[0].empty() ? completed : failed) += 1;
    staged_completed += ref.errors[0].empty() && lb.sync_groups > 1;
    require_same(fast, ref, "design " + std::to_string(design) + ": quantum " + std::to_string(opt.quantum) + ", stream buffer " +
                                std::to_string(opt.stream_buffer_words) + (ref.errors[0].empty() ? "" : ", reference: " + ref.errors[0]));
  }
  // Both kinds occur: designs that complete, and ones that stop.
  CHECK(completed >= 60);
  CHECK(failed >= 10);
  CHECK(staged_completed >= 20);  // calls that queued tasks after a sync, and finished
}

// argument_extents sizes each host buffer from the furthest word its shim BDs reach; furthest_word
// finds it run by run. The oracle here is the definition of an n-D pattern written out: word k's
// indices are k in mixed radix over the wraps (a wrap of 0, or the last dimension, takes all that
// is left), its offset the sum of index times step.
TEST_CASE("array: a BD's furthest word, found run by run, equals the largest offset of every word of its pattern, on 3,000 random BDs") {
  std::mt19937 rng(4242);
  for (int t = 0; t < 3000; ++t) {
    array::BufferDescriptor bd;
    bd.dims.resize(1 + rng() % 4);
    for (auto& d : bd.dims) d.wrap = rng() % 4 == 0 ? 0 : 1 + rng() % 6, d.step = 1 + rng() % 50;
    bd.dims.back().wrap = 0;  // the outermost dimension has no wrap register
    bd.length = t % 50 == 0 ? 0 : rng() % 400;
    int64_t expect = 0;
    for (uint32_t k = 0; k < bd.length; ++k) {
      uint64_t left = k;
      int64_t off = 0;
      for (size_t i = 0; i < bd.dims.size(); ++i) {
        const auto& d = bd.dims[i];
        if (i + 1 == bd.dims.size() || d.wrap == 0) {
          off += static_cast<int64_t>(left) * d.step;
          break;
        }
        off += static_cast<int64_t>(left % d.wrap) * d.step;
        left /= d.wrap;
      }
      expect = std::max(expect, off);
    }
    INFO("BD " << t << ": " << bd.dims.size() << " dimensions, " << bd.length << " words");
    REQUIRE(array::furthest_word(bd) == expect);
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
