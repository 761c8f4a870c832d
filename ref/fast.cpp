// Fast paths of the models: picks the kernels for this CPU, splits work over threads, and walks row blocks.
#include "ref/fast.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <time.h>

#include "ref/errors.hpp"
#include "ref/fast_kernels.hpp"

namespace attncheck::fast {
namespace {

std::atomic<int> g_forced{-1};  // a Level, or -1 for automatic
std::atomic<int> g_jobs{0};

bool cpu_has(Level l) {
  switch (l) {
    case Level::scalar:
    case Level::portable: return true;
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
    case Level::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Level::avx512vnni:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
#else
    default: return false;
#endif
  }
  return false;
}

const Kernels& kernels_for(Level l) {
  switch (l) {
    case Level::avx512vnni: return avx512vnni::kernels();
    case Level::avx2: return avx2::kernels();
    default: return portable::kernels();
  }
}

std::optional<Level> env_level() {
  const char* v = std::getenv("ATTNCHECK_ISA");
  if (!v || !*v) return std::nullopt;
  const Level l = parse_level(v);
  if (!cpu_has(l)) throw InputError("ATTNCHECK_ISA=" + std::string(v) + ": this CPU cannot run it");
  return l;
}

}  // namespace

std::string level_name(Level l) {
  switch (l) {
    case Level::scalar: return "scalar";
    case Level::portable: return "portable";
    case Level::avx2: return "avx2";
    case Level::avx512vnni: return "avx512vnni";
  }
  return "?";
}

Level parse_level(const std::string& name) {
  for (Level l : {Level::scalar, Level::portable, Level::avx2, Level::avx512vnni})
    if (level_name(l) == name) return l;
  throw InputError("unknown model level '" + name + "' (known: scalar, portable, avx2, avx512vnni)");
}

std::vector<Level> available_levels() {
  std::vector<Level> out;
  for (Level l : {Level::scalar, Level::portable, Level::avx2, Level::avx512vnni})
    if (cpu_has(l)) out.push_back(l);
  return out;
}

Level active_level() {
  const int f = g_forced.load();
  if (f >= 0) return static_cast<Level>(f);
  static const std::optional<Level> from_env = env_level();
  if (from_env) return *from_env;
  return available_levels().back();
}

void set_level(std::optional<Level> level) {
  if (level && !cpu_has(*level)) throw InputError("model level " + level_name(*level) + ": this CPU cannot run it");
  g_forced.store(level ? static_cast<int>(*level) : -1);
}

void set_jobs(int n) { g_jobs.store(std::max(0, n)); }

int jobs() {
  const int n = g_jobs.load();
  if (n > 0) return n;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

// The work loop of parallel_for: `threads` workers take items in order until none is left; the
// first exception stops the others at their next item and is rethrown here. `State` is what each
// worker keeps across its items (parallel_for's is empty; the models' holds their scratch).
template <class State>
void run_items(size_t n, const std::function<void(size_t, State&)>& fn) {
  const size_t threads = std::min(n, static_cast<size_t>(jobs()));
  if (threads <= 1) {
    State state;
    for (size_t i = 0; i < n; ++i) fn(i, state);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    State state;
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i, state);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(n);  // the others stop at their next item
      }
    }
  };
  std::vector<std::thread> pool;
  // Under a memory limit (ulimit -v) a thread's stack may not map (std::system_error) or its state
  // not be allocated (std::bad_alloc): the work runs on the threads that started, with the same
  // result, instead of a joinable std::thread ending the process.
  try {
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  } catch (...) {
  }
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

struct NoState {};

}  // namespace

void parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  run_items<NoState>(n, [&fn](size_t i, NoState&) { fn(i); });
}

namespace {

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Ops per CPU second of one probe on this thread: the best of three runs of about 25 ms.
double probe_rate(int64_t (*probe)(int64_t), double ops_per_round, std::atomic<int64_t>* sink) {
  constexpr int64_t kRounds = 4'000'000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = thread_cpu_seconds();
    sink->fetch_add(probe(kRounds));
    const double dt = thread_cpu_seconds() - t0;
    if (dt > 0) best = std::max(best, ops_per_round * static_cast<double>(kRounds) / dt);
  }
  return best;
}

}  // namespace

std::optional<PeakRates> measure_peak(int threads) {
  const Level level = active_level();
  const Kernels& kr = kernels_for(level);
  if (level == Level::scalar || !kr.peak_int8 || !kr.peak_fp32) return std::nullopt;
  threads = std::max(1, threads);
  std::vector<double> int8(static_cast<size_t>(threads)), fp32(static_cast<size_t>(threads));
  std::atomic<int64_t> sink{0};
  auto one = [&](int t) {
    int8[static_cast<size_t>(t)] = probe_rate(kr.peak_int8, static_cast<double>(kr.peak_int8_macs) * kPeakChains, &sink);
    fp32[static_cast<size_t>(t)] = probe_rate(kr.peak_fp32, static_cast<double>(kr.peak_fp32_fmas) * kPeakChains, &sink);
  };
  std::vector<std::thread> pool;
  try {
    for (int t = 1; t < threads; ++t) pool.emplace_back(one, t);
  } catch (...) {  // a probe thread that cannot start: no abort, and no peak (below)
  }
  one(0);
  for (auto& t : pool) t.join();
  // A thread that did not run measured nothing: a peak summed without it would understate the
  // machine and flatter "vs floor", so there is no measurement rather than a partial one.
  if (pool.size() + 1 != static_cast<size_t>(threads)) return std::nullopt;
  PeakRates r;
  r.threads = threads;
  r.level = level_name(level);
  r.how = kr.peak_how;
  for (int t = 0; t < threads; ++t) r.int8_mac_per_s += int8[static_cast<size_t>(t)], r.fp32_fma_per_s += fp32[static_cast<size_t>(t)];
  return r;
}

namespace {

constexpr int kBlockRows = 64;  // query rows per work item: scores of one block are 64 x S int32

// The forms of V a call reads (a mask: the model and the golden together need two).
enum PackV : unsigned { kV32 = 1, kV16 = 2, kVf = 4 };

std::atomic<uint64_t> g_calls{0};  // numbers the model calls, so no packing outlives its call

// One head's packed operands, per worker. Work items are handed out head by head, so a worker
// packs each head it meets about once per call, into memory kept across heads and calls (the
// scratch pool below): no whole-tensor copies, and few fresh pages to fault in.
struct HeadPack {
  uint64_t call = ~uint64_t{0};
  int64_t head = -1;
  int n = 0, npad = 0;
  std::vector<int16_t> k;    // packed K (Kernels::pack_k)
  std::vector<int32_t> v32;  // S x 64, for the integer models' per-row path
  std::vector<int16_t> v16;  // npad x 64 as key pairs (Kernels::pack_v16), for the row-blocked path
  std::vector<float> vf;     // S x 64, for the golden model
};

// What a worker of the models keeps across its items: the head's packed operands and the row
// buffers. Taken from a pool for the call and given back after it, so the memory serves the next
// call too. Not thread_local: glibc allocates to register a thread_local's destructor at its first
// use in a thread, and ends the process (no exception) when that allocation fails, which a run
// under `ulimit -v` reached.
struct Scratch {
  HeadPack pack;
  std::vector<int32_t> scores;
  std::vector<int16_t> e16;
  std::vector<uint32_t> e;
  std::vector<float> p;
};

class ScratchPool {
 public:
  std::unique_ptr<Scratch> take() {
    {
      std::lock_guard<std::mutex> lock(m_);
      if (!free_.empty()) {
        std::unique_ptr<Scratch> s = std::move(free_.back());
        free_.pop_back();
        return s;
      }
    }
    return std::make_unique<Scratch>();
  }
  // One scratch is kept for the next call (as a thread_local kept the calling thread's); the other
  // workers' are freed as they finish, so a call's peak memory is what it was (test "issue 17.9").
  void give(std::unique_ptr<Scratch> s) noexcept {
    std::lock_guard<std::mutex> lock(m_);
    if (free_.size() < free_.capacity()) free_.push_back(std::move(s));  // never allocates here
  }
  ScratchPool() { free_.reserve(1); }

 private:
  std::mutex m_;
  std::vector<std::unique_ptr<Scratch>> free_;
};

ScratchPool& scratch_pool() {
  static ScratchPool pool;
  return pool;
}

// A worker's state in the models' loops: its scratch, taken at its first item.
struct WorkerScratch {
  std::unique_ptr<Scratch> s;
  Scratch& get() {
    if (!s) s = scratch_pool().take();
    return *s;
  }
  ~WorkerScratch() {
    if (s) scratch_pool().give(std::move(s));
  }
};

const HeadPack& head_pack(HeadPack& p, uint64_t call, const Kernels& kr, const AttentionInputs& in, int64_t h, unsigned forms) {
  if (p.call == call && p.head == h) return p;
  const Shape& sh = in.shape();
  p.call = call, p.head = h;
  p.n = static_cast<int>(sh.seq);
  p.npad = padded_keys(p.n);
  p.k.resize(static_cast<size_t>(p.npad) * kD);
  kr.pack_k(in.k.head(h), p.n, p.k.data());
  const int8_t* v = in.v.head(h);
  if (forms & kV16) {
    p.v16.resize(static_cast<size_t>(p.npad) * kD);
    kr.pack_v16(v, p.n, p.v16.data());
  }
  if (forms & kV32) p.v32.assign(v, v + sh.head_size());
  if (forms & kVf) p.vf.assign(v, v + sh.head_size());
  return p;
}

// One work item's query rows: block qb of head h, its scores computed once and its row maxima.
struct Block {
  int64_t h, qb;
  int rows;
  const HeadPack* ph;
  const int32_t* scores;  // rows x ph->npad
  int32_t max[kBlockRows];
};

Block score_block(const Kernels& kr, const AttentionInputs& in, Scratch& sc, uint64_t call, size_t item, unsigned forms) {
  const Shape& sh = in.shape();
  const int64_t blocks = (sh.seq + kBlockRows - 1) / kBlockRows;
  Block b{};
  b.h = static_cast<int64_t>(item) / blocks, b.qb = static_cast<int64_t>(item) % blocks;
  b.rows = static_cast<int>(std::min<int64_t>(kBlockRows, sh.seq - b.qb * kBlockRows));
  b.ph = &head_pack(sc.pack, call, kr, in, b.h, forms);
  sc.scores.resize(static_cast<size_t>(kBlockRows) * b.ph->npad);
  kr.qk(in.q.head(b.h) + b.qb * kBlockRows * kD, b.rows, b.ph->k.data(), b.ph->n, sc.scores.data(), b.ph->npad);
  b.scores = sc.scores.data();
  for (int i = 0; i < b.rows; ++i)
    b.max[i] = kr.row_max(b.scores + static_cast<size_t>(i) * b.ph->npad, b.ph->n, std::numeric_limits<int32_t>::min());
  return b;
}

// Weights of at most 2^14 fit int16: P.V then runs as int16 pair multiply-adds, rows blocked.
bool model_blocked(const Kernels& kr, const ExpWords& words) { return kr.pv16 && words.exp_bits <= kMaxExp16Bits; }

// The two-pass model's stages on one block's scores: exp weights, P.V and the weight sums, requant.
void model_block(const Kernels& kr, const Block& b, Scratch& sc, const ExpWords& words, const RowRequant& requant, Int8Tensor& out) {
  const HeadPack& ph = *b.ph;
  int8_t* o = out.head(b.h) + b.qb * kBlockRows * kD;
  if (model_blocked(kr, words)) {
    std::vector<int16_t>& e16 = sc.e16;
    e16.resize(static_cast<size_t>(kPvRows) * ph.npad);
    int32_t acc[kPvRows * kD];
    uint32_t l[kPvRows];
    for (int i0 = 0; i0 < b.rows; i0 += kPvRows) {
      const int r = std::min(kPvRows, b.rows - i0);
      for (int t = 0; t < r; ++t)
        l[t] = kr.exp_row16(b.scores + static_cast<size_t>(i0 + t) * ph.npad, ph.n, b.max[i0 + t], words,
                            e16.data() + static_cast<size_t>(t) * ph.npad);
      kr.pv16(e16.data(), ph.npad, r, ph.npad, ph.v16.data(), acc);
      for (int t = 0; t < r; ++t) requant(acc + t * kD, l[t], o + (i0 + t) * kD);
    }
    return;
  }
  std::vector<uint32_t>& e = sc.e;
  e.resize(ph.npad);
  int32_t acc[kD];
  for (int i = 0; i < b.rows; ++i) {
    kr.exp_row(b.scores + static_cast<size_t>(i) * ph.npad, ph.n, b.max[i], words, e.data());
    std::fill(acc, acc + kD, 0);
    uint32_t l = 0;
    kr.pv_int(e.data(), ph.n, ph.v32.data(), acc, &l);
    requant(acc, l, o + i * kD);
  }
}

// The golden's stages on the same scores: FP32 exp against the row maximum, P.V, normalization.
void golden_block(const Kernels& kr, const Block& b, Scratch& sc, float logit, float out_factor, FloatTensor& out) {
  const HeadPack& ph = *b.ph;
  std::vector<float>& p = sc.p;
  p.resize(static_cast<size_t>(kPvRows) * ph.npad);
  const float* v = ph.vf.data();
  // Rows in groups: kPvRows at once where the level has a row-blocked P.V, else two.
  const int group = kr.pv_f32_rows ? kPvRows : 2;
  for (int i = 0; i < b.rows; i += group) {
    const int r = std::min(group, b.rows - i);
    float sum[kPvRows], acc[kPvRows][kD];
    for (int t = 0; t < r; ++t)
      sum[t] = kr.softmax_f32(b.scores + static_cast<size_t>(i + t) * ph.npad, ph.n, b.max[i + t], logit,
                              p.data() + static_cast<size_t>(t) * ph.npad);
    if (kr.pv_f32_rows) {
      kr.pv_f32_rows(p.data(), ph.npad, r, ph.n, v, acc[0]);
    } else {
      const float* p1 = p.data() + (r == 2 ? ph.npad : 0);
      kr.pv_f32(p.data(), p1, ph.n, v, acc[0], acc[1]);
    }
    for (int t = 0; t < r; ++t) {
      // Normalizing the 64 sums instead of the S weights: the same value to FP32 rounding.
      const float f = out_factor / sum[t];
      float* o = out.head(b.h) + (b.qb * kBlockRows + i + t) * kD;
      for (int c = 0; c < kD; ++c) o[c] = acc[t][c] * f;
    }
  }
}

// As the reference: integer scores are exact in FP32, so the scales apply once to the scores.
float golden_logit(const AttentionInputs& in, double logit_scale) {
  return static_cast<float>(logit_scale) * static_cast<float>(in.scales.q) * static_cast<float>(in.scales.k);
}
float golden_out_factor(const AttentionInputs& in) { return static_cast<float>(in.scales.v / in.scales.out); }

size_t block_items(const Shape& sh) { return static_cast<size_t>(sh.heads * ((sh.seq + kBlockRows - 1) / kBlockRows)); }

void check_dim(const Shape& sh, const char* who) {
  if (sh.dim != kD) throw InputError(std::string(who) + ": the fast path needs D = 64, got " + std::to_string(sh.dim));
}

}  // namespace

Int8Tensor two_pass_exp_model(const AttentionInputs& in, Level level, const ExpWords& words, const RowRequant& requant) {
  check_dim(in.shape(), "two-pass exp model");
  const Kernels& kr = kernels_for(level);
  const uint64_t call = g_calls.fetch_add(1);
  const unsigned forms = model_blocked(kr, words) ? kV16 : kV32;
  Int8Tensor out(in.shape());
  run_items<WorkerScratch>(block_items(in.shape()), [&](size_t item, WorkerScratch& ws) {
    Scratch& sc = ws.get();
    model_block(kr, score_block(kr, in, sc, call, item, forms), sc, words, requant, out);
  });
  return out;
}

ModelAndGolden two_pass_exp_model_with_golden(const AttentionInputs& in, Level level, const ExpWords& words,
                                              const RowRequant& requant, double logit_scale) {
  check_dim(in.shape(), "two-pass exp model");
  const Kernels& kr = kernels_for(level);
  const uint64_t call = g_calls.fetch_add(1);
  const unsigned forms = (model_blocked(kr, words) ? kV16 : kV32) | kVf;
  const float logit = golden_logit(in, logit_scale), out_factor = golden_out_factor(in);
  ModelAndGolden both{Int8Tensor(in.shape()), FloatTensor(in.shape())};
  // Each block's scores serve the model and then the golden: Q.K^T and the row maxima once.
  run_items<WorkerScratch>(block_items(in.shape()), [&](size_t item, WorkerScratch& ws) {
    Scratch& sc = ws.get();
    const Block b = score_block(kr, in, sc, call, item, forms);
    model_block(kr, b, sc, words, requant, both.model);
    golden_block(kr, b, sc, logit, out_factor, both.golden);
  });
  return both;
}

Int8Tensor tile_model(const AttentionInputs& in, Level level, const TileSoftmaxRow& softmax_row, TileRequant requant) {
  const Shape& sh = in.shape();
  check_dim(sh, "tile model");
  if (sh.seq != 64) throw InputError("tile model: the fast path is for 64x64 tiles, got S = " + std::to_string(sh.seq));
  const Kernels& kr = kernels_for(level);
  Int8Tensor out(sh);
  parallel_for(static_cast<size_t>(sh.heads), [&](size_t hh) {
    const int64_t h = static_cast<int64_t>(hh);
    const int n = static_cast<int>(sh.seq);
    const int npad = padded_keys(n);
    std::vector<int16_t> kp(static_cast<size_t>(npad) * kD);
    std::vector<int32_t> scores(static_cast<size_t>(n) * npad);
    kr.pack_k(in.k.head(h), n, kp.data());
    kr.qk(in.q.head(h), n, kp.data(), n, scores.data(), npad);
    const int8_t* v = in.v.head(h);
    for (int i = 0; i < n; ++i) {
      int8_t w[64];
      softmax_row(scores.data() + static_cast<size_t>(i) * npad, w);
      // acc[c] = sum_j w[j] * V[j][c]: rows of V in order, so the inner loop runs over columns.
      int32_t acc[kD] = {};
      for (int j = 0; j < n; ++j)
        for (int c = 0; c < kD; ++c) acc[c] += int32_t{w[j]} * int32_t{v[j * kD + c]};
      for (int c = 0; c < kD; ++c) out.at(h, i, c) = requant(acc[c]);
    }
  });
  return out;
}

FloatTensor golden_fp32(const AttentionInputs& in, double logit_scale, Level level) {
  check_dim(in.shape(), "golden");
  const Kernels& kr = kernels_for(level);
  const uint64_t call = g_calls.fetch_add(1);
  const float logit = golden_logit(in, logit_scale), out_factor = golden_out_factor(in);
  FloatTensor out(in.shape());
  run_items<WorkerScratch>(block_items(in.shape()), [&](size_t item, WorkerScratch& ws) {
    Scratch& sc = ws.get();
    golden_block(kr, score_block(kr, in, sc, call, item, kVf), sc, logit, out_factor, out);
  });
  return out;
}

}  // namespace attncheck::fast
